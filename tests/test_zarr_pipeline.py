"""The opt-in codec pipeline (pymecompress.zarr.pipeline): the same values as zarr's own pipeline, read in threads."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import numpy as np
import pytest

zarr = pytest.importorskip("zarr")

from pymecompress import DecodeError, HuffmanLossless, HuffmanQuant8, HuffmanQuant16, NBitPack  # noqa: E402
from pymecompress.zarr import compat as zarr_compat  # noqa: E402
from pymecompress.zarr import pipeline as zp  # noqa: E402
from pymecompress.zarr import read as zr  # noqa: E402

SHAPE = (6, 100, 130)


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    rng = np.random.default_rng(7)
    return (rng.poisson(60, SHAPE) * 2 + 100).astype(np.uint16)


LAYOUTS = [(3, {"chunks": (1, 100, 130)}), (3, {"chunks": (2, 40, 50)}),
           (3, {"chunks": (1, 50, 130), "shards": (2, 100, 130)}), (2, {"chunks": (1, 100, 130)}),
           (2, {"chunks": (4, 30, 64)}),
           (3, {"chunks": (1, 40, 64), "shards": (4, 80, 128)}),  # shards cut short at the array's edges
           (3, {"chunks": (2, 50, 65), "shards": {"shape": (2, 100, 130), "index_location": "start"}})]


def _stores(root, data):
    """(label, path) of arrays written with zarr's own pipeline: v3 plain and sharded, v2, three codecs."""
    for codec in (HuffmanQuant16(offset=100, gain=2.0), HuffmanLossless(), NBitPack(nbits=12)):
        for fmt, layout in LAYOUTS:
            sharded = "-sharded" if "shards" in layout else ""
            label = f"v{fmt}-{codec.codec_id}-{'x'.join(map(str, layout['chunks']))}{sharded}"
            slot = {"serializer": codec, "compressors": None} if codec.codec_id == "nbitpack" and fmt == 3 else {
                "compressors": [codec]}
            path = root / f"{label}.zarr"
            arr = zarr.create_array(path, shape=SHAPE, dtype="uint16", zarr_format=fmt, **slot, **layout)
            arr[:] = data
            yield label, path


SELECTIONS = [np.s_[:], np.s_[2], np.s_[1:4, 10:90, 5:], np.s_[:, 3, :], np.s_[::2], np.s_[5, 99, 129],
              np.s_[[0, 3], :, 7], np.s_[..., 64:]]


def test_same_values_as_zarrs_pipeline(tmp_path, data) -> None:
    for label, path in _stores(tmp_path, data):
        ref = zarr.open_array(path)
        with zp.threaded_reads():
            fast = zarr.open_array(path)
        assert type(fast.async_array.codec_pipeline) is zr.ThreadedReadPipeline
        for sel in SELECTIONS:
            np.testing.assert_array_equal(fast[sel], ref[sel], err_msg=f"{label} {sel}")
        np.testing.assert_array_equal(fast.get_orthogonal_selection(([1, 4], slice(None), [0, 129])),
                                      ref.get_orthogonal_selection(([1, 4], slice(None), [0, 129])))
        coords = ([2, 3, 5], [5, 99, 0], [0, 129, 64])
        np.testing.assert_array_equal(fast.get_coordinate_selection(coords), ref.get_coordinate_selection(coords))
        mask = np.zeros(SHAPE, bool)
        mask[1, 20:30, 40:90] = True
        np.testing.assert_array_equal(fast.get_mask_selection(mask), ref.get_mask_selection(mask))


def test_our_chains_are_read_in_threads_others_by_zarr(tmp_path, data, monkeypatch) -> None:
    """Every chunk of our chains goes through the threaded read (whole, partial, sharded inner chunks); zarr's
    default compressor, filters and F order go through zarr's own."""
    seen = []
    original = zr._read_one
    monkeypatch.setattr(zr, "_read_one", lambda *args: (seen.append(args[3]), original(*args)))
    codec = HuffmanQuant16(offset=100, gain=2.0)
    plain = zarr.create_array(tmp_path / "plain.zarr", data=data, chunks=(1, 100, 65), compressors=[codec])
    sharded = zarr.create_array(tmp_path / "sharded.zarr", data=data, chunks=(1, 50, 130), shards=(2, 100, 130),
                                compressors=[codec])
    zstd = zarr.create_array(tmp_path / "zstd.zarr", data=data, chunks=(1, 100, 65))
    u8 = zarr.create_array(tmp_path / "u8.zarr", data=(data // 4).astype(np.uint8), chunks=(1, 100, 65),
                           compressors=[HuffmanQuant8(offset=25, gain=0.5)])
    del plain, sharded, zstd, u8
    sharded_count = 12  # the inner chunks of shards too (zarr 3.1: through its sharding helpers; 3.2+: our reader)
    for name, count in (("plain", 12), ("sharded", sharded_count), ("u8", 12)):
        with zp.threaded_reads():
            arr = zarr.open_array(tmp_path / f"{name}.zarr")
        seen.clear()  # read outside the block: the pipeline is the array's from its opening on
        assert arr[:].shape == SHAPE
        assert len(seen) == count, name
        seen.clear()
        arr[2:4, 10:20]
        assert len(seen) == (4 if name != "sharded" else 2), name
    seen.clear()
    with zp.threaded_reads():
        np.testing.assert_array_equal(zarr.open_array(tmp_path / "zstd.zarr")[:], data)
    assert seen == []


def test_whole_chunks_decode_straight_into_the_destination(tmp_path, data, monkeypatch) -> None:
    """Chunks that land in the output as one contiguous block never use the scratch array."""
    zarr.create_array(tmp_path / "a.zarr", data=data, chunks=(1, 100, 130), compressors=[HuffmanLossless()])
    calls = []
    monkeypatch.setattr(zr._Scratch, "get", lambda self, size, dtype: calls.append(size) or np.empty(size, dtype))
    with zp.threaded_reads():
        arr = zarr.open_array(tmp_path / "a.zarr")
    np.testing.assert_array_equal(arr[1:5], data[1:5])
    assert calls == []
    np.testing.assert_array_equal(arr[:, 10:20], data[:, 10:20])
    assert len(calls) == SHAPE[0]


def test_missing_chunks_take_the_fill_value(tmp_path, data) -> None:
    for fmt in (2, 3):
        arr = zarr.create_array(tmp_path / f"sparse{fmt}.zarr", shape=SHAPE, dtype="uint16", chunks=(1, 100, 130),
                                fill_value=7, compressors=[HuffmanLossless()], zarr_format=fmt)
        arr[3] = data[3]
        with zp.threaded_reads():
            got = zarr.open_array(tmp_path / f"sparse{fmt}.zarr")[:]
        assert (got[[0, 1, 2, 4, 5]] == 7).all()
        np.testing.assert_array_equal(got[3], data[3])


def test_other_stores_are_fetched_through_zarr(data) -> None:
    store = zarr.storage.MemoryStore()
    zarr.create_array(store, data=data, chunks=(2, 50, 65), compressors=[HuffmanQuant16(offset=100, gain=2.0)])
    ref = zarr.open_array(store)[:]
    with zp.threaded_reads():
        arr = zarr.open_array(store)
    assert type(arr.async_array.codec_pipeline) is zr.ThreadedReadPipeline
    np.testing.assert_array_equal(arr[:], ref)


def test_corrupt_and_foreign_chunks_raise(tmp_path, data) -> None:
    path = tmp_path / "corrupt.zarr"
    zarr.create_array(path, data=data, chunks=(1, 100, 130), compressors=[HuffmanQuant16(offset=100, gain=2.0)])
    chunk = path / "c" / "2" / "0" / "0"
    raw = bytearray(chunk.read_bytes())
    raw[len(raw) // 2] ^= 0x40
    chunk.write_bytes(bytes(raw))
    with zp.threaded_reads():
        arr = zarr.open_array(path)
    with pytest.raises(DecodeError, match="checksum"):
        arr[:]
    other = tmp_path / "other.zarr"  # a chunk of another array's chunk shape, under this array's key
    zarr.create_array(other, data=data[:, :50], chunks=(1, 50, 130), compressors=[HuffmanQuant16(offset=100, gain=2)])
    chunk.write_bytes((other / "c" / "2" / "0" / "0").read_bytes())
    with pytest.raises(DecodeError, match="another array or is corrupt"):
        arr[2]


def test_dask_and_xarray_read_through_it(tmp_path, data) -> None:
    da = pytest.importorskip("dask.array")
    xr = pytest.importorskip("xarray")
    path = tmp_path / "movie.zarr"
    zarr.create_array(path, data=data, chunks=(1, 100, 130), compressors=[HuffmanLossless()],
                      dimension_names=["t", "y", "x"])
    group = zarr.open_group(tmp_path / "group.zarr", mode="w")
    group.create_array("movie", data=data, chunks=(1, 100, 130), compressors=[HuffmanQuant16(offset=100, gain=2)],
                       dimension_names=["t", "y", "x"])
    ref = zarr.open_array(tmp_path / "group.zarr" / "movie")[:]
    with zp.threaded_reads():
        np.testing.assert_array_equal(da.from_zarr(str(path)).compute(scheduler="threads"), data)
        ds = xr.open_zarr(tmp_path / "group.zarr", consolidated=False)
        np.testing.assert_array_equal(ds["movie"].values, ref)


def test_environment_variable_turns_it_on(tmp_path, data) -> None:
    """A program that never imports pymecompress.zarr.pipeline finds the class by the ``zarr.codec_pipeline``
    entry point, with the setting in the environment (how Dask workers get it)."""
    path = tmp_path / "a.zarr"
    zarr.create_array(path, data=data, chunks=(1, 100, 130), compressors=[HuffmanLossless()])
    code = ("import sys, zarr; a = zarr.open_array(sys.argv[1]); "
            "print(type(a.async_array.codec_pipeline).__name__, int(a[:].sum()))")
    env = {**os.environ, "ZARR_CODEC_PIPELINE__PATH": zp.PIPELINE_PATH}
    done = subprocess.run([sys.executable, "-c", code, str(path)], env=env, capture_output=True, text=True,
                          cwd=tmp_path)  # away from a source checkout, whose package may be unbuilt
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ThreadedReadPipeline", str(int(data.sum()))]


def test_the_setting_is_scoped() -> None:
    before = zarr.config.get("codec_pipeline.path")
    with zp.threaded_reads():
        assert zarr.config.get("codec_pipeline.path") == zp.PIPELINE_PATH
    assert zarr.config.get("codec_pipeline.path") == before


def test_shards_are_read_into_the_destination(tmp_path, data, monkeypatch) -> None:
    """Shards of our chunks are read straight into their part of the destination (no shard-sized array);
    shards never written take the fill value; fancy selections go through zarr's sharding codec.  zarr 3.1: through
    its sharding codec's helpers; zarr 3.2+ (which has none): by our reader of local shard files."""
    shards = []
    original, local = zr._read_shard, zr._read_local_shard
    monkeypatch.setattr(zr, "_read_shard", lambda *args: (shards.append(args[1][0]), original(*args))[1])
    monkeypatch.setattr(zr, "_read_local_shard", lambda *args: (shards.append(args[2]), local(*args))[1])
    arr = zarr.create_array(tmp_path / "s.zarr", shape=SHAPE, dtype="uint16", chunks=(1, 50, 65),
                            shards=(2, 100, 130), fill_value=9, compressors=[HuffmanQuant16(offset=100, gain=2.0)])
    arr[2:4] = data[2:4]
    ref = arr[:]
    with zp.threaded_reads():
        fast = zarr.open_array(tmp_path / "s.zarr")
    np.testing.assert_array_equal(fast[:], ref)
    assert len(shards) == 3 and (ref[:2] == 9).all() and (ref[4:] == 9).all()
    shards.clear()
    np.testing.assert_array_equal(fast[3, 40:60], ref[3, 40:60])  # part of one shard: index, then chunks
    assert len(shards) == 1
    shards.clear()
    np.testing.assert_array_equal(fast.get_coordinate_selection(([2, 3], [5, 99], [0, 129])),
                                  ref[[2, 3], [5, 99], [0, 129]])
    assert shards == []


def test_zarr_31_shards_are_read_here() -> None:
    """The shard fast path is found by feature detection: on zarr 3.1, whose sharding codec has its helpers, it
    must be on (a rename in a 3.1 release would otherwise turn it off without a word)."""
    if tuple(int(p) for p in zarr.__version__.split(".")[:2]) < (3, 2):
        assert zarr_compat.THREADED_SHARDS


def test_missing_chunks_are_reported_as_zarr_reports_them(tmp_path, data) -> None:
    """zarr 3.2+ asks the pipeline which chunks were missing and raises for them when told to; the threaded read
    answers as zarr's own pipeline does (zarr 3.1 has no such setting)."""
    path = tmp_path / "sparse.zarr"
    arr = zarr.create_array(path, shape=SHAPE, dtype="uint16", chunks=(1, 100, 130), fill_value=0,
                            compressors=[HuffmanLossless()])
    arr[1] = data[1]
    if "read_missing_chunks" not in zarr.config.get("array"):
        pytest.skip(f"zarr {zarr.__version__} has no array.read_missing_chunks setting")
    outcomes = []
    for threaded in (False, True):
        with zarr.config.set({"array.read_missing_chunks": False}), (
                zp.threaded_reads() if threaded else contextlib.nullcontext()):
            strict = zarr.open_array(path)
            np.testing.assert_array_equal(strict[1], data[1])
            with pytest.raises(Exception, match="not found") as raised:
                strict[:]
            outcomes.append((type(raised.value), str(raised.value).count("chunk '")))
    assert outcomes[0] == outcomes[1] and outcomes[0][1] == SHAPE[0] - 1


def test_damaged_shards_raise(tmp_path, data) -> None:
    """A shard whose index fails its CRC-32C, or that is cut short, raises (zarr 3.2+: our reader of shard files
    names the file and the fault), never a silent fill value."""
    path = tmp_path / "s.zarr"
    zarr.create_array(path, data=data, chunks=(1, 50, 65), shards=(2, 100, 130),
                      compressors=[HuffmanQuant16(offset=100, gain=2.0)])
    shard = path / "c" / "1" / "0" / "0"
    good = shard.read_bytes()
    for damaged, fault in ((good[:-70] + bytes([good[-70] ^ 1]) + good[-69:], "CRC-32C"), (good[-10:], "truncated")):
        shard.write_bytes(damaged)
        with zp.threaded_reads():
            fast = zarr.open_array(path)
        with pytest.raises(Exception) as raised:
            fast[:]
        if not zarr_compat.THREADED_SHARDS:
            assert isinstance(raised.value, DecodeError) and fault in str(raised.value) and str(shard) in str(
                raised.value)
    shard.write_bytes(good)
    with zp.threaded_reads():
        fast = zarr.open_array(path)
    np.testing.assert_array_equal(fast[:], zarr.open_array(path)[:])  # zarr's own pipeline, outside the block
