"""``nbitpack`` through the shared harness (tests/common.py), and what is particular to it."""

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
from pymecompress import DecodeError, NBitPack

SHAPES = [(0,), (1,), (7,), (1000,), (40, 50), (3, 33, 70), (2, 1, 1100), (2, 2, 2, 9)]
ARRAYS = {**{f"scmos{shape}": simulate_scmos(shape, 40.0) for shape in SHAPES},
          "uint8": np.arange(256, dtype=np.uint8).reshape(16, 16), "int8": np.arange(-128, 128, dtype=np.int8),
          "int16": np.arange(-3000, 3000, 7, dtype=np.int16).reshape(-1, 3)[:285].reshape(15, 19, 3),
          "max": np.full((64, 64), 65535, np.uint16)}

# -- committed fixtures (tests/fixture_cases.py writes them once; a committed fixture never changes) ----------------

FIXTURE_CASES = {
    "nbitpack_12bit": ({"id": "nbitpack", "nbits": 12}, lambda: legacy_shared_draw("nbitpack_12bit").astype(np.uint16)),
    "nbitpack_auto_u8": ({"id": "nbitpack", "nbits": 0},
                         lambda: legacy_shared_draw("nbitpack_auto_u8").astype(np.uint8)),
    "nbitpack_16bit_2d": ({"id": "nbitpack", "nbits": 16}, lambda: scene((9, 13), 5)),
}
ZARR_V3_CASE = ({"serializer": {"name": "nbitpack", "configuration": {"nbits": 12}}, "compressors": None},
                lambda: scene((2, 24, 20), 9))


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_encode_decode_automatic_width(name):
    check_encode_decode(ARRAYS[name], NBitPack())


@pytest.mark.parametrize("name", [n for n in sorted(ARRAYS) if n.startswith("scmos")])
def test_encode_decode_12_bits(name):
    # raw bytes (8-bit data) are refused by nbits=12 (test_range_errors), so only arrays here
    check_encode_decode(ARRAYS[name] % 4096, NBitPack(12), raw_bytes=False)


@pytest.mark.parametrize("codec", [NBitPack(), NBitPack(12), NBitPack(16)], ids=repr)
def test_config_repr_dtypes_malformed(codec):
    check_config(codec)
    check_repr(codec)
    check_wrong_dtype_refused(codec)
    check_malformed(ARRAYS["scmos(40, 50)"] % 4096, codec)


def test_backwards_compatibility():
    check_backwards_compatibility("nbitpack")


def test_auto_width_and_range_errors():
    a = np.array([0, 4095, 12], dtype=np.uint16)
    assert NBitPack().encode(a)[6] == 12
    with pytest.raises(ValueError, match="more than nbits=8"):
        NBitPack(8).encode(a)
    with pytest.raises(ValueError, match="wider"):
        NBitPack(12).encode(np.arange(256, dtype=np.uint8))
    for bad in (-1, 17, 2.5, True):
        with pytest.raises(ValueError, match="nbits"):
            NBitPack(bad)


def test_malformed_headers_and_padding():
    enc = NBitPack(12).encode(np.arange(100, dtype=np.uint16))
    for bad in (enc[:10], enc[:-1], enc + b"\0", b"XXXX" + enc[4:], enc[:6] + b"\x11" + enc[7:]):
        with pytest.raises(DecodeError):
            NBitPack().decode(bad)
    padded = bytearray(NBitPack(12).encode(np.arange(3, dtype=np.uint16)))
    padded[-1] |= 0xF0  # nonzero padding bits
    with pytest.raises(DecodeError):
        NBitPack().decode(bytes(padded))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 16), hnp.arrays(np.uint16, st.integers(0, 300)))
def test_size_and_roundtrip_property(nbits, a):
    a = a & np.uint16((1 << nbits) - 1)
    enc = NBitPack(nbits).encode(a)
    assert len(enc) == 16 + (a.size * nbits + 7) // 8
    assert np.array_equal(NBitPack().decode(enc), a)
