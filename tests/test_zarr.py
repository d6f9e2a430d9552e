"""zarr v3 and v2 arrays written with every codec, reopened in a fresh process; sharding, orders, partial writes."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fixture_cases
from helpers import simulate_scmos

zarr = pytest.importorskip("zarr")

from pymecompress import CameraModel, HuffmanLossless, HuffmanQuant16, NBitPack, VSTQuant16, registry  # noqa: E402

CAM = {"offset": 100.0, "gain": 2.2, "read_noise": 1.5}
BOUND = CameraModel(**CAM)


def encodings(fmt: int, dtype: str):
    """(label, create_array keyword arguments, lossless) for every codec that takes this dtype."""
    out = []
    if dtype == "uint16":
        out.append(("huffquant16", {"compressors": [HuffmanQuant16(**CAM)]}, False))
        if fmt == 3:
            out.append(("vstquant16+zstd", {"filters": [VSTQuant16(**CAM)]}, False))
            out.append(("nbitpack", {"serializer": NBitPack(12), "compressors": None}, True))
        else:
            out.append(("vstquant16+zstd", {"filters": [VSTQuant16(**CAM)], "compressors": [{"id": "zstd"}]},
                        False))
            out.append(("nbitpack", {"compressors": [NBitPack(12)]}, True))
    out.append(("hufflossless", {"compressors": [HuffmanLossless()]}, True))
    return out


def cases():
    for fmt in (3, 2):
        for dtype in ("uint16", "uint8"):
            for label, kwargs, lossless in encodings(fmt, dtype):
                for sharded in ((False, True) if fmt == 3 else (False,)):
                    for order in ("C", "F"):
                        yield pytest.param(fmt, dtype, kwargs, lossless, sharded, order,
                                           id=f"v{fmt}-{dtype}-{label}-{'sharded' if sharded else 'plain'}-{order}")


def _data(dtype: str) -> np.ndarray:
    a = simulate_scmos((3, 70, 90), np.linspace(1, 900, 90)[None, None, :], **CAM, seed=5)
    return (a % 4096).astype(np.uint16) if dtype == "uint16" else (a % 256).astype(np.uint8)


READER = textwrap.dedent("""
    import json, sys, numpy as np, zarr
    z = zarr.open_array(sys.argv[1], mode="r")
    np.save(sys.argv[2], z[:])
    print(json.dumps({"codecs": [type(c).__module__ for c in z.compressors]}))
""")


@pytest.mark.parametrize(("fmt", "dtype", "kwargs", "lossless", "sharded", "order"), list(cases()))
def test_write_reopen_in_fresh_process(tmp_path, fmt, dtype, kwargs, lossless, sharded, order):
    a = _data(dtype)
    if order == "F":
        a = np.asfortranarray(a)
    extra = {"shards": (3, 64, 64)} if sharded else {}
    if fmt == 2:
        extra["order"] = order
    else:
        extra["config"] = {"order": order}
    z = zarr.create_array(tmp_path / "a.zarr", shape=a.shape, chunks=(1, 32, 32), dtype=dtype, zarr_format=fmt,
                          **kwargs, **extra)
    z[:] = a
    out = subprocess.run([sys.executable, "-c", READER, str(tmp_path / "a.zarr"), str(tmp_path / "b.npy")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    b = np.load(tmp_path / "b.npy")
    if lossless:
        assert np.array_equal(a, b)
    else:
        assert BOUND.error_sigmas(a, b).max() <= 1.0
    assert a.tobytes() == _data(dtype).tobytes()  # our input was not modified


def test_user_line_as_written(tmp_path):
    """The README's line: ``compressors=[HuffmanQuant16(offset=100, gain=2.2)]`` for v3 and v2."""
    a = simulate_scmos((100, 100), 50.0, offset=100, gain=2.2)
    for fmt in (3, 2):
        store = tmp_path / f"v{fmt}.zarr"
        z = zarr.create_array(store, shape=a.shape, chunks=(50, 50), dtype="uint16", zarr_format=fmt,
                              compressors=[HuffmanQuant16(offset=100, gain=2.2)])
        z[:] = a
        meta = json.loads((store / ("zarr.json" if fmt == 3 else ".zarray")).read_text())
        if fmt == 3:
            assert meta["codecs"][-1] == {"name": "huffquant16", "configuration": {
                "offset": 100.0, "gain": 2.2, "read_noise": 0.0, "step": 1.0, "saturation": 65535, "dither": True,
                "checksum": True}}
        else:
            assert meta["compressor"] == {"id": "huffquant16", "offset": 100.0, "gain": 2.2, "read_noise": 0.0,
                                          "step": 1.0, "saturation": 65535, "dither": True, "checksum": True}
        back = zarr.open_array(store, mode="r")[:]
        assert CameraModel(offset=100, gain=2.2).error_sigmas(a, back).max() <= 0.6


def test_partial_chunk_writes_are_stable(tmp_path):
    """zarr decodes, patches and re-encodes whole chunks: untouched pixels must not drift."""
    a = simulate_scmos((64, 64), 80.0, **CAM)
    z = zarr.create_array(tmp_path / "p.zarr", shape=a.shape, chunks=(32, 32), dtype="uint16",
                          compressors=[HuffmanQuant16(**CAM)])
    z[:] = a
    first = z[:]
    for i in range(5):
        z[i, i] = a[i, i]  # touch one pixel of the same chunk, five times
    second = z[:]
    untouched = np.ones(a.shape, bool)
    untouched[np.arange(5), np.arange(5)] = False
    assert np.array_equal(first[untouched], second[untouched])
    assert BOUND.error_sigmas(a, second).max() <= 1.0


def test_chunk_from_another_array_refused(tmp_path):
    z = zarr.create_array(tmp_path / "x.zarr", shape=(64, 64), chunks=(32, 32), dtype="uint16",
                          compressors=[HuffmanLossless()])
    z[:] = 7
    chunk = (tmp_path / "x.zarr" / "c" / "0" / "0").read_bytes()
    (tmp_path / "x.zarr" / "c" / "0" / "1").write_bytes(chunk[:-1] + bytes([chunk[-1] ^ 1]))
    from pymecompress import DecodeError

    with pytest.raises(DecodeError):
        zarr.open_array(tmp_path / "x.zarr", mode="r")[:]


def test_wrong_dtype_refused_with_clear_message(tmp_path):
    with pytest.raises(TypeError, match="uint16"):
        zarr.create_array(tmp_path / "f.zarr", shape=(8,), chunks=(8,), dtype="float32",
                          compressors=[HuffmanQuant16(offset=100, gain=2.0)])


def test_zarr_entry_points_resolve_in_fresh_interpreter(tmp_path):
    code = textwrap.dedent(f"""
        import zarr.registry as r
        cameras = {[s.id for s in registry.CODECS if s.takes_camera]!r}
        for name in {registry.codec_ids(zarr_v3=True)!r}:
            cls = r.get_codec_class(name)
            configuration = {{"offset": 100.0, "gain": 2.0}} if name in cameras else {{}}
            codec = cls.from_dict({{"name": name, "configuration": configuration}}).evolve_from_array_spec(None)
            assert codec.to_dict()["name"] == name and cls.__module__ == "pymecompress.zarr.codecs", cls
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.strip() == "ok", out.stderr


def test_import_pymecompress_does_not_import_zarr(tmp_path):
    code = ("import sys, pymecompress, numcodecs; "
            "numcodecs.get_codec({'id': 'huffquant16', 'offset': 100, 'gain': 2}); "
            "print('zarr' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.parametrize("name", sorted(fixture_cases.zarr_v3_cases()))
def test_committed_zarr_v3_stores(tmp_path, name):
    """The committed stores (tests/fixtures/zarr_v3) read back, their zarr.json names the codec with the
    configuration other readers rely on, and writing the same data again gives the same zarr.json and chunks."""
    path = fixture_cases.ZARR_V3 / f"{name}.zarr"
    meta = json.loads((path / "zarr.json").read_text())
    kwargs = fixture_cases.zarr_v3_cases()[name]
    data = fixture_cases.zarr_v3_input(name)
    assert meta["data_type"] == data.dtype.name and tuple(meta["shape"]) == data.shape
    written = [c for c in meta["codecs"] if c["name"] not in ("bytes",)]
    expected = [*(kwargs.get("filters") or []), *([kwargs["serializer"]] if "serializer" in kwargs else []),
                *(kwargs.get("compressors") or [])]
    assert written == expected
    z = zarr.open_array(path, mode="r")
    np.testing.assert_array_equal(z[:], np.load(fixture_cases.ZARR_V3 / f"{name}.decoded.npy"))
    again = zarr.create_array(tmp_path / "a.zarr", shape=data.shape, chunks=(1, 16, 16), dtype=data.dtype,
                              fill_value=0, zarr_format=3, **kwargs)
    again[:] = data
    for f in sorted(p.relative_to(path) for p in path.rglob("*") if p.is_file()):
        assert (tmp_path / "a.zarr" / f).read_bytes() == (path / f).read_bytes(), f


def test_every_zarr_v3_codec_has_a_committed_store():
    cases = fixture_cases.zarr_v3_cases()
    for codec_id in set(registry.codec_ids(zarr_v3=True)) - set(cases):
        pytest.fail(f"{codec_id} has a zarr v3 face but no committed store: define ZARR_V3_CASE = (create_array codec "
                    f"arguments as JSON, input) in tests/{fixture_cases.codec_test_file(codec_id).name}, run "
                    "python tests/fixture_cases.py once and commit tests/fixtures/zarr_v3/" + codec_id + ".*")
    assert set(cases) == set(registry.codec_ids(zarr_v3=True))
    for codec_id in cases:
        assert (fixture_cases.ZARR_V3 / f"{codec_id}.zarr" / "zarr.json").is_file(), \
            f"no committed store for {codec_id}: run python tests/fixture_cases.py once and commit it"


@pytest.mark.parametrize("spec", [s for s in registry.CODECS if s.zarr_v3 and s.kind != "filter"], ids=lambda s: s.id)
def test_bytes_codecs_have_what_their_face_calls(spec):
    """The zarr v3 face of a compressor or serializer reads a chunk's header once, checks its size against the
    array's chunk and decodes with that header: the numcodecs class provides both calls."""
    cls = spec.numcodecs_class()
    assert callable(getattr(cls, "read_header", None)) and "header" in inspect.signature(cls.decode).parameters, (
        f"{spec.cls} ({spec.module}) is a zarr v3 {spec.kind}: its face calls read_header(buf), which returns the "
        "header with the value count n and itemsize (raising DecodeError when it is not one), and "
        "decode(buf, out=None, *, header=None); see pymecompress/zarr/codecs.py")


def test_faces_read_the_committed_stores_in_fresh_interpreter(tmp_path):
    """The zarr v3 faces alone (what pyproject.toml's ``zarr.codecs`` entry points name) read every committed
    store, whatever an older installation's entry-point metadata names."""
    code = textwrap.dedent(f"""
        import numpy as np, zarr, zarr.registry as r
        from pymecompress.zarr.codecs import FACES
        for name, face in FACES.items():
            r.register_codec(name, face)
        zarr.config.set({{f"codecs.{{n}}": f"{{f.__module__}}.{{f.__name__}}" for n, f in FACES.items()}})
        for name in {sorted(fixture_cases.zarr_v3_cases())!r}:
            z = zarr.open_array("{fixture_cases.ZARR_V3}/" + name + ".zarr", mode="r")
            assert all(type(c).__name__.endswith("Codec") for c in z.metadata.codecs), z.metadata.codecs
            assert np.array_equal(z[:], np.load("{fixture_cases.ZARR_V3}/" + name + ".decoded.npy")), name
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-W", "error::UserWarning", "-c", code], capture_output=True, text=True,
                         cwd=tmp_path)
    assert out.stdout.strip() == "ok", out.stderr
