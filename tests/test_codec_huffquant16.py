"""``huffquant16`` through the shared harness (tests/common.py), and what is particular to it."""

from __future__ import annotations

import numcodecs
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
    legacy_shared_draw,
    scene,
)
from helpers import simulate_scmos
from pymecompress import HuffmanQuant16

CODECS = [HuffmanQuant16(offset=100, gain=2.2, read_noise=1.5), HuffmanQuant16(offset=100, gain=2.0),
          HuffmanQuant16(offset=100.5, gain=2.2, read_noise=1.5, step=1.5, checksum=False),
          HuffmanQuant16(offset=100, scale=1.0)]
SHAPES = [(0,), (1,), (7,), (1000,), (3, 5), (1, 1), (33, 65), (64, 64), (2, 31, 17), (3, 40, 70), (1, 1, 1),
          (0, 5), (5, 0, 3), (2, 2, 2, 9), (40, 50), (3, 33, 70), (2, 1, 1100)]
ARRAYS = {**{f"scmos{shape}": simulate_scmos(shape, 20.0) for shape in SHAPES},
          "zeros": np.zeros((64, 64), np.uint16), "max": np.full((64, 64), 65535, np.uint16),
          "extremes": np.tile(np.array([0, 65535], np.uint16), 2048).reshape(64, 64)}


# -- committed fixtures (tests/fixture_cases.py writes them once; a committed fixture never changes) ----------------

FIXTURE_CASES = {
    "huffquant16_scene_2d": ({"id": "huffquant16", "offset": 100.0, "gain": 2.2, "read_noise": 1.5, "step": 1.0,
                              "checksum": True}, lambda: scene((64, 80), 1)),
    "huffquant16_step2_3d": ({"id": "huffquant16", "offset": 100.0, "gain": 2.2, "read_noise": 0.0, "step": 2.0,
                              "checksum": False}, lambda: scene((3, 40, 37), 2, level=5.0)),
    "huffquant16_scale_1d": ({"id": "huffquant16", "offset": 100.0, "gain": 1.0, "read_noise": 0.0, "step": 2.0,
                              "checksum": True}, lambda: scene((1, 3000), 3)[0]),
    "huffquant16_below_offset": ({"id": "huffquant16", "offset": 400.0, "gain": 4.2, "read_noise": 1.0, "step": 1.0,
                                  "checksum": True},
                                 lambda: legacy_shared_draw("huffquant16_below_offset").astype(np.uint16)),
    "huffquant16_empty": ({"id": "huffquant16", "offset": 0.0, "gain": 1.0, "read_noise": 0.0, "step": 1.0,
                           "checksum": True}, lambda: np.zeros((0,), np.uint16)),
    # format version 2: the dithered quantizer (phases chained over the first 1024 elements, then seeded)
    "huffquant16_dithered_2d": ({"id": "huffquant16", "offset": 100.0, "gain": 2.2, "read_noise": 1.5, "step": 1.0,
                                 "saturation": 65535, "dither": True, "checksum": True}, lambda: scene((64, 80), 1)),
    "huffquant16_dithered_sat4095_3d": ({"id": "huffquant16", "offset": 100.0, "gain": 2.2, "read_noise": 0.0,
                                         "step": 2.0, "saturation": 4095, "dither": True, "checksum": False},
                                        lambda: _with_extremes(scene((3, 40, 37), 2, level=5.0), 4095)),
    "huffquant16_dithered_1d": ({"id": "huffquant16", "offset": 400.0, "gain": 4.2, "read_noise": 1.0, "step": 1.0,
                                 "saturation": 65535, "dither": True, "checksum": True},
                                lambda: legacy_shared_draw("huffquant16_below_offset").astype(np.uint16)[:600]),
}


def _with_extremes(frames: np.ndarray, saturation: int) -> np.ndarray:
    """``frames`` with zeros, saturated pixels and pixels above saturation sprinkled in."""
    out = frames.copy()
    out.flat[::53] = 0
    out.flat[7::61] = saturation
    out.flat[11::67] = saturation + 100
    return out
ZARR_V3_CASE = ({"compressors": [{"name": "huffquant16", "configuration": {
    "offset": 100.0, "gain": 2.2, "read_noise": 1.5, "step": 1.0, "checksum": True}}]}, lambda: scene((2, 24, 20), 9))


def within_step(codec: HuffmanQuant16):
    """Compare: every decoded pixel within ``step`` noise sigmas of the original."""
    def compare(original: np.ndarray, decoded: np.ndarray) -> None:
        assert decoded.dtype == np.uint16 and decoded.size == original.size
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
    check_wrong_dtype_refused(codec)
    check_malformed(ARRAYS["scmos(40, 50)"], codec)


def test_backwards_compatibility():
    check_backwards_compatibility("huffquant16")


def test_dtype_refused_with_clear_message():
    with pytest.raises(TypeError, match="huffquant16 encodes u2 data, got dtype float32"):
        HuffmanQuant16(offset=100, gain=2.0).encode(np.zeros(4, np.float32))


def test_defaults():
    assert HuffmanQuant16(offset=100, gain=2.0).get_config() == {
        "id": "huffquant16", "offset": 100.0, "gain": 2.0, "read_noise": 0.0, "step": 1.0, "saturation": 65535,
        "dither": True, "checksum": True}


@pytest.mark.parametrize("config", [{}, {"gain": 2.0}, {"offset": 100.0}, {"read_noise": 1.0, "step": 2.0}])
def test_no_codec_without_a_camera(config):
    """The codec never assumes a camera: without an offset and a gain (or PYME's scale) it refuses to exist, in
    Python, through numcodecs' registry and as a zarr v3 face, and says what to do."""
    with pytest.raises(ValueError, match="needs the camera's offset .* and gain .*pymecompress calibrate"):
        HuffmanQuant16(**config)
    with pytest.raises(ValueError, match="needs the camera's offset"):
        numcodecs.get_codec({"id": "huffquant16", **config})
    zarr_codecs = pytest.importorskip("pymecompress.zarr.codecs")
    with pytest.raises(ValueError, match="needs the camera's offset"):
        zarr_codecs.HuffmanQuant16Codec.from_dict({"name": "huffquant16", "configuration": config})
    assert HuffmanQuant16(offset=100, scale=1.0).step == 2.0  # the original's offset and scale suffice


def test_configurations_from_before_dithering_keep_their_streams():
    """A stored configuration without ``dither`` (every array written before it) keeps writing version 1 streams, so
    a chunk zarr re-encodes after a partial write keeps its values; new codecs dither and say so."""
    old = numcodecs.get_codec({"id": "huffquant16", "offset": 100.0, "gain": 2.2, "read_noise": 1.5, "step": 1.0,
                               "checksum": True})
    frame = simulate_scmos((32, 40), 20.0)
    assert not old.dither and old.encode(frame)[4] == 1 and "dither" not in old.get_config()
    new = HuffmanQuant16(offset=100.0, gain=2.2, read_noise=1.5)
    assert new.dither and new.encode(frame)[4] == 2
    decoded_old = old.decode(old.encode(frame)).reshape(frame.shape)
    assert old.encode(decoded_old) == old.encode(frame)  # a partial write of an old array changes nothing else
    with pytest.raises(ValueError, match="needs dither=True"):
        HuffmanQuant16(offset=100.0, gain=2.2, saturation=4095, dither=False)


def test_saturation_and_zero_are_exact():
    """Pixels at or above the saturation value decode to exactly it, no other pixel does, and 0 stays 0 (a 12-bit
    camera's 4095; version 1 gave 4072-4073 for it)."""
    codec = HuffmanQuant16(offset=100.0, gain=2.0, read_noise=1.0, step=2.0, saturation=4095)
    frame = simulate_scmos((64, 64), np.linspace(0, 2200, 64 * 64).reshape(64, 64)).clip(0, 5000)
    frame[::7, ::5] = 4095
    frame[3::9, ::4] = 4200
    frame[::11, 2::6] = 0
    back = codec.decode(codec.encode(frame)).reshape(frame.shape)
    clipped = np.minimum(frame, 4095)
    assert np.array_equal(back == 4095, clipped == 4095) and np.array_equal(back == 0, clipped == 0)


def test_large_chunk_beyond_original_limit():
    """The original pymecompress crashed from 262,144 values on; several segments here."""
    a = simulate_scmos((3, 512, 700), 30.0)
    codec = CODECS[0]
    within_step(codec)(a.reshape(-1), codec.decode(codec.encode(a)))


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.uint16, hnp.array_shapes(min_dims=1, max_dims=3, max_side=40)),
       st.floats(0, 1000), st.floats(0.05, 50), st.floats(0, 20), st.floats(0.1, 4))
def test_bound_and_idempotence_property(a, offset, gain, rn, step):
    codec = HuffmanQuant16(offset=offset, gain=gain, read_noise=rn, step=step)
    enc = codec.encode(a)
    back = codec.decode(enc).reshape(a.shape)
    within_step(codec)(a.reshape(-1), back.reshape(-1))
    assert codec.encode(back) == enc  # idempotent, so partial chunk writes change nothing
