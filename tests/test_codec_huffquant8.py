"""``huffquant8`` (8-bit camera data, uint8 kept) through the shared harness (tests/common.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from common import (
    check_backwards_compatibility,
    check_config,
    check_encode_decode,
    check_malformed,
    check_repr,
    check_wrong_dtype_refused,
    scene,
)
from pymecompress import DecodeError, HuffmanQuant8, HuffmanQuant16

CODECS = [HuffmanQuant8(offset=10, gain=1.0, read_noise=1.2), HuffmanQuant8(offset=0, gain=0.5),
          HuffmanQuant8(offset=16.5, gain=2.0, step=1.5, checksum=False)]


def _camera8(shape, seed: int = 0) -> np.ndarray:
    """An 8-bit camera frame stack: Poisson photons, gain 1 ADU/e-, offset 10, saturating at 255."""
    rng = np.random.default_rng(seed)
    mean = np.broadcast_to(np.linspace(2, 300, shape[-1]) if shape and shape[-1] else 2.0, shape)
    return (rng.poisson(mean) + 10).clip(0, 255).astype(np.uint8)


SHAPES = [(0,), (1,), (7,), (1000,), (3, 5), (33, 65), (2, 31, 17), (3, 40, 70), (0, 5), (2, 1, 1100)]
ARRAYS = {**{f"camera{shape}": _camera8(shape, i) for i, shape in enumerate(SHAPES)},
          "zeros": np.zeros((64, 64), np.uint8), "saturated": np.full((64, 64), 255, np.uint8),
          "extremes": np.tile(np.array([0, 255], np.uint8), 2048).reshape(64, 64)}


# -- committed fixtures (tests/fixture_cases.py writes them once; a committed fixture never changes) ----------------

FIXTURE_CASES = {
    "huffquant8_scene_2d": ({"id": "huffquant8", "offset": 10.0, "gain": 1.0, "read_noise": 1.2, "step": 1.0,
                             "checksum": True},
                            lambda: scene((40, 56), 10, offset=10.0, gain=1.0, level=20.0, dtype=np.uint8)),
    "huffquant8_saturating_3d": ({"id": "huffquant8", "offset": 16.0, "gain": 0.5, "read_noise": 0.0, "step": 2.0,
                                  "checksum": False},
                                 lambda: np.arange(256, dtype=np.uint8).repeat(3).reshape(3, 16, 16)),
    # format version 2: the dithered quantizer
    "huffquant8_dithered_2d": ({"id": "huffquant8", "offset": 10.0, "gain": 1.0, "read_noise": 1.2, "step": 1.0,
                                "saturation": 255, "dither": True, "checksum": True},
                               lambda: scene((40, 56), 10, offset=10.0, gain=1.0, level=20.0, dtype=np.uint8)),
    "huffquant8_dithered_sat200_3d": ({"id": "huffquant8", "offset": 16.0, "gain": 0.5, "read_noise": 0.0,
                                       "step": 2.0, "saturation": 200, "dither": True, "checksum": False},
                                      lambda: np.arange(256, dtype=np.uint8).repeat(12).reshape(3, 32, 32)),
}
ZARR_V3_CASE = ({"compressors": [{"name": "huffquant8", "configuration": {
    "offset": 10.0, "gain": 1.0, "read_noise": 1.2, "step": 1.0, "checksum": True}}]},
    lambda: scene((2, 24, 20), 11, offset=10.0, gain=1.0, level=20.0, dtype=np.uint8))


def within_step(codec: HuffmanQuant8):
    """Compare: uint8 out, every decoded pixel within ``step`` noise sigmas of the original."""
    def compare(original: np.ndarray, decoded: np.ndarray) -> None:
        assert decoded.dtype == np.uint8 and decoded.size == original.size
        assert codec.camera.error_sigmas(original, decoded).max(initial=0) <= codec.step * (1 + 1e-12)
    return compare


@pytest.mark.parametrize("name", sorted(ARRAYS))
@pytest.mark.parametrize("codec", CODECS, ids=repr)
def test_encode_decode(codec, name):
    check_encode_decode(ARRAYS[name], codec, within_step(codec))


@pytest.mark.parametrize("codec", CODECS, ids=repr)
def test_config_repr_dtypes_malformed(codec):
    check_config(codec)
    check_repr(codec)
    check_wrong_dtype_refused(codec, ("uint16", "int8", "float32", "uint32"))
    check_malformed(ARRAYS["camera(3, 40, 70)"], codec)


def test_backwards_compatibility():
    check_backwards_compatibility("huffquant8")


def test_dithered_255_and_0_stay_exact():
    """With dithering (format version 2) 255, the default saturation value, and 0 decode exactly and nothing else
    decodes to them; a lower saturation value saturates everything above it."""
    frame = np.arange(256, dtype=np.uint8).repeat(4).reshape(16, 64)
    for saturation in (255, 200):
        codec = HuffmanQuant8(offset=0, gain=5.0, step=3.0, saturation=saturation)
        back = codec.decode(codec.encode(frame)).reshape(frame.shape)
        clipped = np.minimum(frame, saturation)
        assert np.array_equal(back == saturation, clipped == saturation) and np.array_equal(back == 0, frame == 0)
        np.testing.assert_array_equal(codec.decode(codec.encode(back)).reshape(frame.shape), back)


def test_top_code_is_clamped_to_255_not_wrapped():
    """Version 1 streams (no dithering): with gain 5 and step 3 the code of 255 covers 226..338 and its value is
    278: it decodes to 255, not to 278 - 256; every decoded pixel stays within the bound and decoding is
    idempotent."""
    codec = HuffmanQuant8(offset=0, gain=5.0, step=3.0, dither=False)
    frame = np.arange(256, dtype=np.uint8).repeat(4).reshape(16, 64)
    once = codec.decode(codec.encode(frame)).reshape(frame.shape)
    assert (once[frame >= 230] == 255).all()
    within_step(codec)(frame.reshape(-1), once.reshape(-1))
    np.testing.assert_array_equal(codec.decode(codec.encode(once)).reshape(frame.shape), once)


def test_streams_of_the_other_width_are_refused_with_the_codec_to_use():
    frame = _camera8((20, 30))
    camera = {"offset": 10, "gain": 1.0}
    with pytest.raises(DecodeError, match="uint8 data \\(huffquant8\\); decode it with HuffmanQuant8"):
        HuffmanQuant16(**camera).decode(HuffmanQuant8(**camera).encode(frame))
    wide = HuffmanQuant16(**camera).encode(frame.astype(np.uint16))
    with pytest.raises(DecodeError, match="uint16 data \\(huffquant16\\); decode it with HuffmanQuant16"):
        HuffmanQuant8(**camera).decode(wide)


def test_smaller_than_lossless_on_camera_data():
    from pymecompress import HuffmanLossless

    frames = _camera8((8, 128, 128), 3)
    assert len(CODECS[0].encode(frames)) < 0.7 * len(HuffmanLossless().encode(frames))


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=1, max_dims=3, max_side=40)),
       st.floats(0, 100), st.floats(0.05, 20), st.floats(0, 10), st.floats(0.1, 4))
def test_bound_and_idempotence_property(a, offset, gain, rn, step):
    codec = HuffmanQuant8(offset=offset, gain=gain, read_noise=rn, step=step)
    dec = codec.decode(codec.encode(a))
    within_step(codec)(a.reshape(-1), dec)
    np.testing.assert_array_equal(codec.decode(codec.encode(dec)), dec)


def test_convert_picks_huffquant8_for_uint8_input(tmp_path):
    """``convert`` without --codec: the noise-bounded codec of the input's dtype; uint8 stays uint8 in zarr."""
    import zarr

    from pymecompress.tools.convert import convert

    frames = _camera8((6, 64, 80), 9)
    np.save(tmp_path / "movie8.npy", frames)
    summary = convert(str(tmp_path / "movie8.npy"), str(tmp_path / "movie8.zarr"), camera={"offset": 10, "gain": 1.0},
                      progress=False)
    arr = zarr.open_array(tmp_path / "movie8.zarr")
    assert summary.codec == "huffquant8" and arr.dtype == np.uint8 and summary.ratio > 1.5
    assert [c.to_dict()["name"] for c in arr.metadata.codecs] == ["bytes", "huffquant8"]
    within_step(HuffmanQuant8(offset=10, gain=1.0))(frames.reshape(-1), arr[:].reshape(-1))
