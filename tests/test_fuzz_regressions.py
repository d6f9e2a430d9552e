"""Regressions from fuzzing the C decoders (fuzz/) and from the sanitizer build of the suite (tests/sanitize.sh).

The UndefinedBehaviorSanitizer run found the C core reading and writing uint16 data through misaligned pointers
when a codec was handed a numpy view at an odd address (``pmc_encode``, ``pmc_decode``, ``pmc_nbit_pack``,
``pmc_nbit_unpack``, and the ``vstquant16`` filter's ``pmc_quantize``/``pmc_dequantize``).
x86 forgives that, but it is undefined behaviour that an optimising compiler may turn into a
crash or wrong data; the C core now copies such data with ``memcpy``.  These tests pin the results of those code
paths (identical to the aligned ones) and, under tests/sanitize.sh, that they stay free of sanitizer reports.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest
from helpers import simulate_scmos
from numcodecs.abc import Codec

from pymecompress import DecodeError, HuffmanLossless, HuffmanQuant16, NBitPack, VSTQuant16

CODECS = [HuffmanQuant16(offset=100, gain=2.2), HuffmanLossless(), HuffmanLossless(checksum=False), NBitPack()]


def _odd_address(a: np.ndarray) -> np.ndarray:
    """A copy of ``a`` whose data starts at an odd address (same dtype and shape, C order)."""
    raw = np.zeros(a.nbytes + 1, np.uint8)
    view = raw[1:].view(a.dtype).reshape(a.shape)
    view[...] = a
    assert view.ctypes.data % 2 == 1
    return view


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: repr(c))
@pytest.mark.parametrize("shape", [(1,), (7,), (1000,), (40, 50), (3, 33, 70), (2, 1, 1100)])
def test_misaligned_input_encodes_like_aligned(codec: Codec, shape: tuple[int, ...]) -> None:
    """Encoding uint16 data at an odd address gives the same stream bytes as encoding it aligned."""
    a = simulate_scmos(shape, 40.0)
    assert codec.encode(_odd_address(a)) == codec.encode(a)


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: repr(c))
@pytest.mark.parametrize("shape", [(1,), (7,), (1000,), (40, 50), (3, 33, 70)])
def test_misaligned_output_decodes_like_aligned(codec: Codec, shape: tuple[int, ...]) -> None:
    """Decoding into an ``out`` at an odd address fills it exactly as an aligned ``out``."""
    a = simulate_scmos(shape, 40.0)
    enc = codec.encode(a)
    expected = np.asarray(codec.decode(enc)).reshape(-1)
    out = _odd_address(np.full(a.size, 0xBEEF, np.uint16))
    assert codec.decode(enc, out=out) is out
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: repr(c))
def test_misaligned_output_still_refuses_malformed_streams(codec: Codec) -> None:
    """Truncated streams and trailing bytes are refused with DecodeError when ``out`` is misaligned too."""
    a = simulate_scmos((40, 50), 40.0)
    enc = codec.encode(a)
    for bad in (enc[:-3], enc + b"\0"):
        with pytest.raises(DecodeError):
            codec.decode(bad, out=_odd_address(np.zeros(a.size, np.uint16)))


@pytest.mark.parametrize("shape", [(1,), (7,), (1000,), (40, 50), (3, 33, 70)])
def test_vstquant16_misaligned_buffers(shape: tuple[int, ...]) -> None:
    """The quantizer filter reads values and codes, and writes ``out``, at odd addresses like at even ones."""
    codec = VSTQuant16(offset=100, gain=2.2)
    a = simulate_scmos(shape, 40.0)
    codes = codec.encode(a)
    np.testing.assert_array_equal(codec.encode(_odd_address(a)), codes)
    expected = np.asarray(codec.decode(codes)).reshape(shape)
    np.testing.assert_array_equal(np.asarray(codec.decode(_odd_address(codes))).reshape(shape), expected)
    out = _odd_address(np.full(shape, 0xBEEF, np.uint16))
    assert codec.decode(_odd_address(codes), out=out) is out
    np.testing.assert_array_equal(out, expected)
    bad = _odd_address(np.full(shape, codec.ncodes, np.uint16))
    with pytest.raises(DecodeError):
        codec.decode(bad, out=_odd_address(np.zeros(shape, np.uint16)))


def test_empty_chunk_with_huge_plane_size() -> None:
    """An empty chunk may name any plane size (FORMAT.md); nothing may be sized by it.

    Found while fuzzing: an empty chunk whose header says ``nx = ny = 2**32 - 1`` is valid and must decode to an
    empty array at once (re-encoding it with the stream's plane size had the encoder allocate row buffers of ``nx``
    values, which is why the fuzz target re-encodes non-empty chunks only).
    """
    enc = bytearray(HuffmanLossless(checksum=False).encode(np.zeros(0, np.uint16)))
    struct.pack_into("<II", enc, 16, 2**32 - 1, 2**32 - 1)
    out = HuffmanLossless().decode(bytes(enc))
    assert out.size == 0
