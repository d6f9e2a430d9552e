"""``hufflossless`` through the shared harness (tests/common.py), and what is particular to it."""

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
    legacy_shared_draw,
    scene,
)
from helpers import simulate_scmos
from pymecompress import HuffmanLossless

CODECS = [HuffmanLossless(), HuffmanLossless(checksum=False)]
SHAPES = [(0,), (1,), (7,), (1000,), (3, 5), (1, 1), (33, 65), (64, 64), (2, 31, 17), (3, 40, 70), (1, 1, 1),
          (0, 5), (5, 0, 3), (2, 2, 2, 9)]


def _random(shape, dtype):
    info = np.iinfo(dtype)
    return np.random.default_rng(sum(shape) + len(dtype)).integers(info.min, info.max, size=shape,
                                                                    endpoint=True).astype(dtype)


ARRAYS = {**{f"{dtype}{shape}": _random(shape, dtype) for shape in SHAPES
             for dtype in ("uint8", "int8", "uint16", "int16")},
          **{f"scmos{shape}": simulate_scmos(shape, 40.0) for shape in [(40, 50), (3, 33, 70), (2, 1, 1100)]},
          "zeros": np.zeros((64, 64), np.uint16), "max": np.full((64, 64), 65535, np.uint16),
          "extremes": np.tile(np.array([0, 65535], np.uint16), 2048).reshape(64, 64)}

# -- committed fixtures (tests/fixture_cases.py writes them once; a committed fixture never changes) ----------------

FIXTURE_CASES = {
    "hufflossless_u16_scene": ({"id": "hufflossless", "checksum": True}, lambda: scene((48, 48), 4)),
    "hufflossless_u8": ({"id": "hufflossless", "checksum": False},
                        lambda: legacy_shared_draw("hufflossless_u8").clip(0, 255).astype(np.uint8)),
    "hufflossless_u16_extremes": ({"id": "hufflossless", "checksum": True},
                                  lambda: np.tile(np.array([0, 65535, 1, 40000], np.uint16), 100).reshape(20, 20)),
    "hufflossless_constant": ({"id": "hufflossless", "checksum": True}, lambda: np.full((33, 33), 7, np.uint16)),
}
ZARR_V3_CASE = ({"compressors": [{"name": "hufflossless", "configuration": {"checksum": True}}]},
                lambda: scene((2, 24, 20), 9))


@pytest.mark.parametrize("name", sorted(ARRAYS))
@pytest.mark.parametrize("codec", CODECS, ids=repr)
def test_encode_decode(codec, name):
    check_encode_decode(ARRAYS[name], codec)


@pytest.mark.parametrize("codec", CODECS, ids=repr)
def test_config_repr_dtypes_malformed(codec):
    check_config(codec)
    check_repr(codec)
    check_wrong_dtype_refused(codec)
    check_malformed(ARRAYS["scmos(40, 50)"], codec)


def test_backwards_compatibility():
    check_backwards_compatibility("hufflossless")


def test_zero_chunk_is_tiny():
    # an all-zero 1 MiB chunk compresses to almost nothing: header, 4 bits per 32x32 tile, 4 tiny segments
    assert len(HuffmanLossless().encode(np.zeros((512, 1024), np.uint16))) < 400


@settings(max_examples=80, deadline=None)
@given(hnp.arrays(st.sampled_from([np.uint8, np.uint16, np.int16, np.int8]),
                  hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=50)))
def test_lossless_property(a):
    codec = HuffmanLossless(checksum=False)
    back = codec.decode(codec.encode(a))
    assert back.tobytes() == np.ascontiguousarray(a).tobytes()
