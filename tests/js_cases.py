"""Write the inputs of the JavaScript tests (js/test/) to a folder: committed fixtures and zarr stores.

``python tests/js_cases.py OUT`` writes ``OUT/manifest.json`` and, beside it:

- ``fixtures/``: every committed format fixture (``tests/fixtures/**/*.npz``) as raw files (the encoded chunk,
  its input and its decoded values, little-endian), so the Node tests need no .npy reader and no binary data
  is committed twice;
- ``arrays/``: zarr stores written by zarr-python with our codecs (zarr v3 plain and sharded, zarr v2, C and F
  order, uint8 and uint16, an OME-Zarr from ``pymecompress convert --ome``) and the committed zarr v3 store of
  every codec with a zarr v3 face (``tests/fixtures/zarr_v3``, as ``committed_<id>``), each with the raw bytes
  zarr-python reads back (``*.raw``, C order, little-endian) that zarrita.js must reproduce;
- ``corrupt/``: copies of stores with a chunk flipped or truncated, with the error the C decoder reports.

tests/test_js.py runs this, then ``node --test`` in js/.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numcodecs
import numpy as np
import zarr
from zarr.codecs import TransposeCodec, ZstdCodec

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fixture_cases import FIXTURES, ZARR_V3, zarr_v3_cases  # noqa: E402
from pymecompress import registry  # noqa: E402
from pymecompress.errors import DecodeError  # noqa: E402
from pymecompress.zarr.codecs import HuffmanLossless, HuffmanQuant8, HuffmanQuant16, NBitPack, VSTQuant16  # noqa: E402

CAMERA = {"offset": 100.0, "gain": 2.2, "read_noise": 1.5, "step": 1.0}


def _raw(arr: np.ndarray) -> bytes:
    return np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()


# what js/ registers with zarrita: every codec with a zarr v3 face (tests/test_js.py checks js/src/codecs.js)
JS_CODECS = registry.codec_ids(zarr_v3=True)


def export_fixtures(out: Path) -> list[dict]:
    """Every committed fixture as raw files plus what the JS tests check of it."""
    folder = out / "fixtures"
    folder.mkdir(parents=True)
    cases = []
    for path in sorted(FIXTURES.glob("*.npz")) + sorted((FIXTURES / "decode_only").glob("*.npz")):
        stored = np.load(path)
        config = json.loads(str(stored["config"]))
        if config["id"] not in JS_CODECS:  # the legacy codecs are numcodecs-only (docs/codecs/README.md)
            continue
        name = path.stem if path.parent == FIXTURES else f"decode_only/{path.stem}"
        stem = name.replace("/", "__")
        decoded = stored["decoded"]
        (folder / f"{stem}.enc").write_bytes(stored["encoded"].tobytes())
        (folder / f"{stem}.dec").write_bytes(_raw(decoded))
        (folder / f"{stem}.in").write_bytes(_raw(stored["input"]))
        case = {"name": name, "config": config, "encoded": f"fixtures/{stem}.enc", "decoded": f"fixtures/{stem}.dec",
                "input": f"fixtures/{stem}.in", "dtype": str(decoded.dtype), "input_dtype": str(stored["input"].dtype),
                "input_shape": list(stored["input"].shape), "n": int(decoded.size),
                "current_encoder": path.parent == FIXTURES}
        if config["id"] in ("huffquant16", "huffquant8", "hufflossless"):  # PMCS streams: what their header says
            from pymecompress import _binding

            info = _binding.stream_info(stored["encoded"].tobytes())
            case["info"] = {"n": info.n, "nx": info.nx, "ny": info.ny, "mode": info.mode, "itemsize": info.itemsize}
        cases.append(case)
    return cases


def _movie(shape: tuple[int, ...], seed: int, dtype=np.uint16) -> np.ndarray:
    """Camera-like frames: a blob on a Poisson background, in ADU (offset 100, gain 2.2)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.indices(shape[-2:])
    blob = 400 * np.exp(-((yy - shape[-2] / 2) ** 2 + (xx - shape[-1] / 3) ** 2) / 60.0)
    photons = rng.poisson(np.broadcast_to(20 + blob, shape))
    values = photons * 2.2 + 100 + rng.normal(0, 3, shape)
    if dtype == np.uint8:
        return np.clip(values / 4, 0, 255).astype(np.uint8)
    return np.clip(values, 0, 65535).astype(np.uint16)


def _array_cases() -> list[tuple[str, dict, np.dtype]]:
    """name -> keyword arguments of zarr.create_array (besides store, shape, chunks, dtype)."""
    quant = HuffmanQuant16(**CAMERA)
    quant8 = HuffmanQuant8(offset=25.0, gain=0.55, read_noise=0.8)  # the 8-bit movie: ADU / 4
    lossless = HuffmanLossless()
    vst = VSTQuant16(**CAMERA)
    u2, u1, i2 = np.dtype("uint16"), np.dtype("uint8"), np.dtype("int16")
    cases = []
    for fmt in (3, 2):
        orders = ("C", "F") if fmt == 2 else ("C",)
        for order in orders:
            tag = f"v{fmt}_{order}"
            common = {"zarr_format": fmt, **({"order": order} if fmt == 2 else {})}
            cases += [
                (f"{tag}_huffquant16", {**common, "compressors": quant}, u2),
                (f"{tag}_huffquant8", {**common, "compressors": quant8}, u1),
                (f"{tag}_hufflossless_u16", {**common, "compressors": lossless}, u2),
                (f"{tag}_hufflossless_u8", {**common, "compressors": lossless}, u1),
                (f"{tag}_hufflossless_i16", {**common, "compressors": lossless}, i2),
                (f"{tag}_vstquant16", {**common, "filters": vst, "compressors": None}, u2),
                (f"{tag}_vstquant16_zstd" if fmt == 3 else f"{tag}_vstquant16_huff",
                 {**common, "filters": vst, "compressors": ZstdCodec() if fmt == 3 else lossless}, u2),
            ]
            if fmt == 3:
                cases += [
                    (f"{tag}_hufflossless_nocrc", {**common, "compressors": HuffmanLossless(checksum=False)}, u2),
                    (f"{tag}_nbitpack_u16", {**common, "serializer": NBitPack(nbits=12), "compressors": None}, u2),
                    (f"{tag}_nbitpack_u8", {**common, "serializer": NBitPack(), "compressors": None}, u1),
                ]
            else:
                cases += [
                    (f"{tag}_nbitpack_u16", {**common, "compressors": NBitPack(nbits=12)}, u2),
                    (f"{tag}_nbitpack_u8", {**common, "compressors": NBitPack()}, u1),
                ]
    sharded = {"zarr_format": 3, "shards": (1, 64, 80)}
    cases += [
        ("v3_sharded_huffquant16", {**sharded, "compressors": quant}, u2),
        ("v3_sharded_hufflossless_u8", {**sharded, "compressors": lossless}, u1),
        ("v3_sharded_huffquant8", {**sharded, "compressors": quant8}, u1),
        ("v3_sharded_vstquant16_zstd", {**sharded, "filters": vst, "compressors": ZstdCodec()}, u2),
        ("v3_sharded_nbitpack_u16", {**sharded, "serializer": NBitPack(), "compressors": None}, u2),
        # F order in zarr v3: a transpose codec before ours (the chunk's memory order is then transposed)
        ("v3_F_huffquant16", {"zarr_format": 3, "filters": [TransposeCodec(order=(2, 1, 0))], "compressors": quant},
         u2),
        ("v3_F_vstquant16", {"zarr_format": 3, "filters": [TransposeCodec(order=(0, 2, 1)), vst],
                             "compressors": lossless}, u2),
    ]
    return cases


def _array_entry(folder: Path, name: str, region: tuple[slice, ...]) -> dict:
    """Write what zarr-python reads back of the store ``folder/<name>.zarr`` (all, and ``region``); its manifest
    entry."""
    path = folder / f"{name}.zarr"
    back = zarr.open_array(str(path), mode="r")
    values = back[...]
    (folder / f"{name}.raw").write_bytes(_raw(values))
    (folder / f"{name}.region.raw").write_bytes(_raw(values[region]))
    return {"name": name, "path": f"arrays/{name}.zarr", "raw": f"arrays/{name}.raw",
            "region": [[s.start, s.stop] for s in region], "region_raw": f"arrays/{name}.region.raw",
            "shape": list(values.shape), "dtype": str(values.dtype), "zarr_format": back.metadata.zarr_format}


def export_arrays(out: Path) -> list[dict]:
    """zarr stores written by zarr-python with our codecs and the committed zarr v3 stores, with the bytes
    zarr-python reads back."""
    folder = out / "arrays"
    folder.mkdir(parents=True)
    cases = []
    for i, (name, kwargs, dtype) in enumerate(_array_cases()):
        shape, chunks = (3, 70, 90), (1, 32, 40)
        data = _movie(shape, i, np.uint8 if dtype == np.uint8 else np.uint16).astype(dtype)
        if dtype == np.int16:
            data = (data.astype(np.int32) - 300).astype(np.int16)
        arr = zarr.create_array(str(folder / f"{name}.zarr"), shape=shape, chunks=chunks, dtype=dtype, fill_value=0,
                                **kwargs)
        arr[...] = data
        cases.append(_array_entry(folder, name, (slice(1, 3), slice(5, 61), slice(33, 77))))
    for codec_id in zarr_v3_cases():  # (2, 24, 20) in chunks of (1, 16, 16): the region crosses chunk edges
        shutil.copytree(ZARR_V3 / f"{codec_id}.zarr", folder / f"committed_{codec_id}.zarr")
        cases.append(_array_entry(folder, f"committed_{codec_id}", (slice(1, 2), slice(5, 21), slice(3, 17))))
    return cases


def export_ome(out: Path, tiff: Path) -> dict:
    """An OME-Zarr written by ``pymecompress convert --ome`` and the raw bytes of each of its levels."""
    store = out / "arrays" / "ome.zarr"
    cmd = [sys.executable, "-m", "pymecompress", "convert", "--ome", "--offset", "400", "--gain", "4.2",
           "--force", "--quiet", "--chunks", "1,32,32", "--levels", "2", str(tiff), str(store)]
    # not from the repository root: `python -m` would import the source tree (unbuilt in CI) before the install
    subprocess.run(cmd, check=True, capture_output=True, cwd=out)
    group = zarr.open_group(str(store), mode="r")
    attrs = dict(group.attrs)
    multiscales = attrs.get("ome", attrs).get("multiscales")
    levels = []
    for k, ds in enumerate(multiscales[0]["datasets"]):
        arr = group[ds["path"]][...]
        raw = f"arrays/ome.level{k}.raw"
        (out / raw).write_bytes(_raw(arr))
        levels.append({"path": ds["path"], "raw": raw, "shape": list(arr.shape), "dtype": str(arr.dtype)})
    return {"path": "arrays/ome.zarr", "levels": levels}


def _chunk_files(store: Path) -> list[Path]:
    return sorted(p for p in store.rglob("*") if p.is_file() and not p.name.startswith((".z", "zarr.json")))


def export_corrupt(out: Path) -> list[dict]:
    """Stores with one damaged chunk, and the message the C decoder gives for it."""
    folder = out / "corrupt"
    folder.mkdir(parents=True)
    cases = []
    damages = {
        "flip": lambda b: b[:40] + bytes([b[40] ^ 0x10]) + b[41:],
        "truncate": lambda b: b[: len(b) // 2],
    }
    for source in ("v3_C_huffquant16", "v3_C_hufflossless_u16", "v2_C_hufflossless_u8", "v3_C_hufflossless_nocrc"):
        for damage, fn in damages.items():
            name = f"{source}_{damage}"
            path = folder / f"{name}.zarr"
            shutil.copytree(out / "arrays" / f"{source}.zarr", path)
            chunk = _chunk_files(path)[0]
            broken = fn(chunk.read_bytes())
            chunk.write_bytes(broken)
            config = json.loads((path / "zarr.json").read_text())["codecs"][-1] if (path / "zarr.json").exists() \
                else json.loads((path / ".zarray").read_text())["compressor"]
            if "name" in config:  # zarr v3: {"name", "configuration"} -> the numcodecs configuration
                config = {"id": config["name"], **config.get("configuration", {})}
            try:
                numcodecs.get_codec(config).decode(broken)
            except DecodeError as err:
                message = str(err)
            else:
                raise AssertionError(f"{name}: the damaged chunk decodes")
            index = [int(p) for p in chunk.relative_to(path).parts[-3:]] if (path / "zarr.json").exists() \
                else [int(p) for p in chunk.name.split(".")]
            cases.append({"name": name, "path": f"corrupt/{name}.zarr", "chunk": index, "error": message})
    return cases


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    manifest = {
        "fixtures": export_fixtures(out),
        "arrays": export_arrays(out),
        "ome": export_ome(out, HERE / "data" / "camera" / "widefield_timelapse_ecoli_gfp_53x64x64.tif"),
        "corrupt": export_corrupt(out),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))


if __name__ == "__main__":
    main()
