"""Malformed input raises DecodeError (never a crash, hang or silent wrong pixels)."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from helpers import simulate_scmos
from pymecompress import DecodeError, HuffmanLossless, HuffmanQuant16, _binding

QUANT = HuffmanQuant16(offset=100, gain=2.2)


def _valid_streams():
    a = simulate_scmos((40, 50), 40.0)
    return [
        (QUANT, QUANT.encode(a)),
        (HuffmanLossless(), HuffmanLossless().encode(a)),
        (HuffmanLossless(checksum=False), HuffmanLossless(checksum=False).encode(a)),
        (HuffmanQuant16(offset=100, gain=2.2, checksum=False),
         HuffmanQuant16(offset=100, gain=2.2, checksum=False).encode(a)),
        (HuffmanQuant16(offset=100, gain=2.2, checksum=False, dither=False),  # format version 1
         HuffmanQuant16(offset=100, gain=2.2, checksum=False, dither=False).encode(a)),
    ]


def test_decode_error_is_value_error():
    assert issubclass(DecodeError, ValueError)


@pytest.mark.parametrize("data", [b"", b"P", b"PMCS", b"garbage that is not ours", bytes(64), b"PMCS\x02" + bytes(59)])
def test_garbage(data):
    with pytest.raises(DecodeError):
        QUANT.decode(data)


def test_every_truncation_refused():
    for codec, enc in _valid_streams():
        for cut in list(range(0, 80)) + list(range(80, len(enc), 7)):
            with pytest.raises(DecodeError):
                codec.decode(enc[:cut])


def test_trailing_bytes_refused():
    for codec, enc in _valid_streams():
        with pytest.raises(DecodeError):
            codec.decode(enc + b"\0")


def test_bit_flips_detected_with_checksum():
    codec, enc = _valid_streams()[0]
    rng = np.random.default_rng(0)
    for pos in rng.integers(0, len(enc), 300):
        bad = bytearray(enc)
        bad[pos] ^= 1 << int(rng.integers(0, 8))
        with pytest.raises(DecodeError):
            codec.decode(bytes(bad))


# header bytes whose flip the decoder must name: magic, version, and the checksum flag (bit 0 of byte 7), which
# announces a CRC trailer the stream does not have
HEADER_ERRORS = {**dict.fromkeys(range(4), "bad magic bytes"), 4: "unsupported stream format version"}


def test_bit_flips_without_checksum_never_crash():
    """Without a checksum a flipped bit may decode, but only to an array of the chunk's size and dtype, whose
    quantized values are all reconstruction points of the stream's (possibly flipped) parameters; flips of the
    magic, the version or the checksum flag are refused with their own message."""
    for codec, enc in _valid_streams()[2:]:
        original = codec.decode(enc)
        rng = np.random.default_rng(1)
        flips = [(int(p), int(rng.integers(0, 8))) for p in rng.integers(0, len(enc), 400)]
        flips += [(pos, bit) for pos in range(8) for bit in range(8)]  # every bit of the first header fields
        decoded = 0
        for pos, bit in flips:
            bad = bytearray(enc)
            bad[pos] ^= 1 << bit
            try:
                out = codec.decode(bytes(bad))
            except DecodeError as err:
                if pos in HEADER_ERRORS:
                    assert HEADER_ERRORS[pos] in str(err)
                elif (pos, bit) == (7, 0):
                    assert "checksum" in str(err)
                continue
            assert pos not in HEADER_ERRORS and (pos, bit) != (7, 0), f"flip of bit {bit} of byte {pos} decoded"
            decoded += 1
            assert out.dtype == original.dtype and out.shape == original.shape
            info = _binding.stream_info(bytes(bad))
            if info.mode == _binding.MODE_QUANT and info.version == 2:
                assert np.isin(out, _binding.dither_tables(*info.params, info.saturation).rec).all()
            elif info.mode == _binding.MODE_QUANT:
                assert np.isin(out, _binding.quant_tables(*info.params).dec).all()
        assert decoded > 0  # (the stream has no checksum: some payload flips do decode)


def test_huge_element_count_refused_before_allocation():
    enc = bytearray(HuffmanLossless(checksum=False).encode(np.zeros(16, np.uint16)))
    struct.pack_into("<Q", enc, 8, 10**12)
    struct.pack_into("<II", enc, 16, 10**6, 10**6)
    with pytest.raises(DecodeError, match="truncated|corrupt"):
        HuffmanLossless().decode(bytes(enc))


def test_invalid_quant_parameters_in_stream_refused():
    enc = bytearray(HuffmanQuant16(offset=100, gain=2.2, checksum=False).encode(np.zeros(16, np.uint16)))
    struct.pack_into("<d", enc, 40, -1.0)  # gain
    with pytest.raises(DecodeError, match="quantizer parameters"):
        QUANT.decode(bytes(enc))


def test_wrong_codec_for_stream():
    a = np.zeros(10, np.uint16)
    with pytest.raises(DecodeError, match="lossless"):
        QUANT.decode(HuffmanLossless().encode(a))
    with pytest.raises(DecodeError, match="quantized"):
        HuffmanLossless().decode(QUANT.encode(a))
