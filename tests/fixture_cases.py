"""Fixed inputs and configurations whose encoded bytes are committed in tests/fixtures/.

``python tests/fixture_cases.py`` writes the fixture of every case that has none yet and never rewrites an
existing one: a committed fixture pins the bytes of a format version for good. A deliberate format change gets a
new format version and new cases; the old fixtures stay (moved to ``fixtures/decode_only`` when the encoder no
longer writes them).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _scene(shape, seed, offset=100.0, gain=2.2, level=50.0, dtype=np.uint16):
    rng = np.random.default_rng(seed)
    yy, xx = np.indices(shape[-2:])
    blob = level * 20 * np.exp(-((yy - shape[-2] / 2) ** 2 + (xx - shape[-1] / 3) ** 2) / 40.0)
    photons = rng.poisson(np.broadcast_to(level + blob, shape))
    top = np.iinfo(dtype).max
    return np.clip(photons * gain + offset + rng.normal(0, 3, shape), 0, top).astype(dtype)


def cases() -> dict[str, tuple[dict, np.ndarray]]:
    """name -> (numcodecs config, input array)."""
    rng = np.random.default_rng(2024)
    return {
        "huffquant16_scene_2d": ({"id": "huffquant16", "offset": 100.0, "gain": 2.2, "read_noise": 1.5,
                                  "step": 1.0, "checksum": True}, _scene((64, 80), 1)),
        "huffquant16_step2_3d": ({"id": "huffquant16", "offset": 100.0, "gain": 2.2, "read_noise": 0.0,
                                  "step": 2.0, "checksum": False}, _scene((3, 40, 37), 2, level=5.0)),
        "huffquant16_scale_1d": ({"id": "huffquant16", "offset": 100.0, "gain": 1.0, "read_noise": 0.0,
                                  "step": 2.0, "checksum": True}, _scene((1, 3000), 3)[0]),
        "huffquant16_below_offset": ({"id": "huffquant16", "offset": 400.0, "gain": 4.2, "read_noise": 1.0,
                                      "step": 1.0, "checksum": True},
                                     rng.integers(350, 420, (17, 19)).astype(np.uint16)),
        "huffquant16_empty": ({"id": "huffquant16", "offset": 0.0, "gain": 1.0, "read_noise": 0.0,
                               "step": 1.0, "checksum": True}, np.zeros((0,), np.uint16)),
        "huffquant8_scene_2d": ({"id": "huffquant8", "offset": 10.0, "gain": 1.0, "read_noise": 1.2, "step": 1.0,
                                 "checksum": True}, _scene((40, 56), 10, offset=10.0, gain=1.0, level=20.0,
                                                                        dtype=np.uint8)),
        "huffquant8_saturating_3d": ({"id": "huffquant8", "offset": 16.0, "gain": 0.5, "read_noise": 0.0,
                                      "step": 2.0, "checksum": False},
                                     np.arange(256, dtype=np.uint8).repeat(3).reshape(3, 16, 16)),
        "hufflossless_u16_scene": ({"id": "hufflossless", "checksum": True}, _scene((48, 48), 4)),
        "hufflossless_u8": ({"id": "hufflossless", "checksum": False},
                            (rng.normal(100, 8, (30, 50)).clip(0, 255)).astype(np.uint8)),
        "hufflossless_u16_extremes": ({"id": "hufflossless", "checksum": True},
                                      np.tile(np.array([0, 65535, 1, 40000], np.uint16), 100).reshape(20, 20)),
        "hufflossless_constant": ({"id": "hufflossless", "checksum": True}, np.full((33, 33), 7, np.uint16)),
        "nbitpack_12bit": ({"id": "nbitpack", "nbits": 12},
                           rng.integers(0, 4096, 1001).astype(np.uint16)),
        "nbitpack_auto_u8": ({"id": "nbitpack", "nbits": 0}, rng.integers(0, 32, 77).astype(np.uint8)),
        "nbitpack_16bit_2d": ({"id": "nbitpack", "nbits": 16}, _scene((9, 13), 5)),
        "vstquant16_scene_2d": ({"id": "vstquant16", "offset": 100.0, "gain": 2.2, "read_noise": 1.5, "step": 1.0},
                                _scene((32, 40), 6)),
        "vstquant16_step2_below_offset": ({"id": "vstquant16", "offset": 400.0, "gain": 4.2, "read_noise": 1.0,
                                           "step": 2.0}, np.arange(300, 1300, 4, dtype=np.uint16).reshape(10, 25)),
        "pymecompress-huffman_u8": ({"id": "pymecompress-huffman"},
                                    (rng.normal(60, 9, (24, 31)).clip(0, 255)).astype(np.uint8)),
        "pymecompress-quant16_scene": ({"id": "pymecompress-quant16", "offset": 100, "scale": 1},
                                       _scene((20, 30), 7)),
        "pymecompress-quant16_legacy_decode": ({"id": "pymecompress-quant16", "offset": 90.5, "scale": 0.5,
                                                "legacy_decode": True}, _scene((12, 17), 8, offset=90.0)),
    }


def write_all() -> None:
    """Write the fixture of every case that has none (existing fixtures are never rewritten)."""
    import numcodecs

    FIXTURES.mkdir(exist_ok=True)
    for name, (config, data) in cases().items():
        if (FIXTURES / f"{name}.npz").exists():
            continue
        codec = numcodecs.get_codec(dict(config))
        encoded = codec.encode(data)
        decoded = codec.decode(encoded)
        np.savez(FIXTURES / f"{name}.npz", input=data, encoded=np.frombuffer(encoded, np.uint8),
                 decoded=decoded, config=np.array(json.dumps(config)))
        print(f"{name}: {data.nbytes} -> {np.asarray(encoded).nbytes} bytes")


ZARR_V3 = FIXTURES / "zarr_v3"
"""One small zarr v3 store per codec with a zarr v3 face: the ``zarr.json`` they hold (codec names and
configuration keys) is what other readers (such as a JavaScript one) rely on."""


def zarr_v3_cases() -> dict[str, dict]:
    """name -> ``zarr.create_array`` codec arguments, as JSON (the codec written to zarr.json)."""
    return {
        "huffquant16": {"compressors": [{"name": "huffquant16", "configuration": {
            "offset": 100.0, "gain": 2.2, "read_noise": 1.5, "step": 1.0, "checksum": True}}]},
        "huffquant8": {"dtype": "uint8", "compressors": [{"name": "huffquant8", "configuration": {
            "offset": 10.0, "gain": 1.0, "read_noise": 1.2, "step": 1.0, "checksum": True}}]},
        "hufflossless": {"compressors": [{"name": "hufflossless", "configuration": {"checksum": True}}]},
        "vstquant16": {"filters": [{"name": "vstquant16", "configuration": {
            "offset": 100.0, "gain": 2.2, "read_noise": 1.5, "step": 1.0}}], "compressors": None},
        "nbitpack": {"serializer": {"name": "nbitpack", "configuration": {"nbits": 12}}, "compressors": None},
    }


def zarr_v3_input(dtype: str = "uint16") -> np.ndarray:
    if dtype == "uint8":
        return _scene((2, 24, 20), 11, offset=10.0, gain=1.0, level=20.0, dtype=np.uint8)
    return _scene((2, 24, 20), 9)


def write_zarr_stores() -> None:
    """Write the zarr v3 store of every case that has none (existing stores are never rewritten)."""
    import zarr

    ZARR_V3.mkdir(exist_ok=True)
    for name, kwargs in zarr_v3_cases().items():
        path = ZARR_V3 / f"{name}.zarr"
        if path.exists():
            continue
        kwargs = dict(kwargs)
        dtype = kwargs.pop("dtype", "uint16")
        data = zarr_v3_input(dtype)
        z = zarr.create_array(str(path), shape=data.shape, chunks=(1, 16, 16), dtype=dtype, fill_value=0,
                              zarr_format=3, **kwargs)
        z[:] = data
        np.save(ZARR_V3 / f"{name}.decoded.npy", z[:])
        print(f"{name}: zarr v3 store written")


if __name__ == "__main__":
    write_all()
    write_zarr_stores()
