"""Malformed input raises DecodeError (never a crash, hang or silent wrong pixels)."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from helpers import simulate_scmos

from pymecompress import DecodeError, HuffmanLossless, HuffmanQuant16, NBitPack

QUANT = HuffmanQuant16(offset=100, gain=2.2)


def _valid_streams():
    a = simulate_scmos((40, 50), 40.0)
    return [
        (QUANT, QUANT.encode(a)),
        (HuffmanLossless(), HuffmanLossless().encode(a)),
        (HuffmanLossless(checksum=False), HuffmanLossless(checksum=False).encode(a)),
        (HuffmanQuant16(offset=100, gain=2.2, checksum=False),
         HuffmanQuant16(offset=100, gain=2.2, checksum=False).encode(a)),
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


def test_bit_flips_without_checksum_never_crash():
    for codec, enc in _valid_streams()[2:]:
        rng = np.random.default_rng(1)
        for pos in rng.integers(0, len(enc), 400):
            bad = bytearray(enc)
            bad[pos] ^= 1 << int(rng.integers(0, 8))
            try:
                codec.decode(bytes(bad))
            except DecodeError:
                pass


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


def test_nbitpack_malformed():
    enc = NBitPack(12).encode(np.arange(100, dtype=np.uint16))
    for bad in (enc[:10], enc[:-1], enc + b"\0", b"XXXX" + enc[4:], enc[:6] + b"\x11" + enc[7:]):
        with pytest.raises(DecodeError):
            NBitPack().decode(bad)
    padded = bytearray(NBitPack(12).encode(np.arange(3, dtype=np.uint16)))
    padded[-1] |= 0xF0  # nonzero padding bits
    with pytest.raises(DecodeError):
        NBitPack().decode(bytes(padded))
