"""``vstquant16`` (the quantizer filter) through the shared harness (tests/common.py), and what is particular to
it; the quantizer itself is tested in test_quantizer.py."""

from __future__ import annotations

import numpy as np
import pytest

from common import (
    check_backwards_compatibility,
    check_config,
    check_encode_decode,
    check_repr,
    check_wrong_dtype_refused,
    odd_address,
    scene,
)
from helpers import simulate_scmos
from pymecompress import DecodeError, VSTQuant16

CODECS = [VSTQuant16(offset=100, gain=2.2), VSTQuant16(offset=90, gain=1.8, read_noise=1.5, step=2.0),
          VSTQuant16(offset=100, scale=1.0)]
SHAPES = [(0,), (1,), (5, 7), (2, 3, 4), (7,), (1000,), (40, 50), (3, 33, 70), (64, 64)]
ARRAYS = {**{f"scmos{shape}": simulate_scmos(shape, 10.0) for shape in SHAPES},
          "extremes": np.tile(np.array([0, 65535], np.uint16), 2048).reshape(64, 64)}

# -- committed fixtures (tests/fixture_cases.py writes them once; a committed fixture never changes) ----------------

FIXTURE_CASES = {
    "vstquant16_scene_2d": ({"id": "vstquant16", "offset": 100.0, "gain": 2.2, "read_noise": 1.5, "step": 1.0},
                            lambda: scene((32, 40), 6)),
    "vstquant16_step2_below_offset": ({"id": "vstquant16", "offset": 400.0, "gain": 4.2, "read_noise": 1.0,
                                       "step": 2.0}, lambda: np.arange(300, 1300, 4, dtype=np.uint16).reshape(10, 25)),
    # dithered codes (docs/FORMAT.md, "Dithered quantizer")
    "vstquant16_dithered_2d": ({"id": "vstquant16", "offset": 100.0, "gain": 2.2, "read_noise": 1.5, "step": 1.0,
                                "saturation": 4095, "dither": True}, lambda: scene((40, 48), 6)),
}
ZARR_V3_CASE = ({"filters": [{"name": "vstquant16", "configuration": {
    "offset": 100.0, "gain": 2.2, "read_noise": 1.5, "step": 1.0}}], "compressors": None},
    lambda: scene((2, 24, 20), 9))


def within_step(codec: VSTQuant16):
    def compare(original: np.ndarray, decoded: np.ndarray) -> None:
        assert decoded.dtype == np.uint16 and decoded.size == original.size
        assert codec.camera.error_sigmas(original, decoded).max(initial=0) <= codec.camera.step * (1 + 1e-12)
        assert np.array_equal(codec.encode(decoded), codec.encode(original))  # idempotent
    return compare


@pytest.mark.parametrize("name", sorted(ARRAYS))
@pytest.mark.parametrize("codec", CODECS, ids=repr)
def test_encode_decode(codec, name):
    check_encode_decode(ARRAYS[name], codec, within_step(codec))


@pytest.mark.parametrize("codec", CODECS, ids=repr)
def test_config_repr_dtypes(codec):
    check_config(codec)
    check_repr(codec)
    check_wrong_dtype_refused(codec)


def test_backwards_compatibility():
    check_backwards_compatibility("vstquant16")


@pytest.mark.parametrize("shape", [(1,), (7,), (1000,), (40, 50), (3, 33, 70)])
def test_undefined_codes_refused_into_misaligned_out(shape):
    codec = CODECS[0]
    bad = odd_address(np.full(shape, codec.ncodes, np.uint16))
    with pytest.raises(DecodeError):
        codec.decode(bad, out=odd_address(np.zeros(shape, np.uint16)))
    with pytest.raises(ValueError, match="odd"):
        codec.decode(b"\0\0\0")
