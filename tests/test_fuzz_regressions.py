"""Regressions from fuzzing the C decoders (fuzz/) and from the sanitizer build of the suite (tests/sanitize.sh).

The UndefinedBehaviorSanitizer run found the C core reading and writing uint16 data through misaligned pointers
when a codec was handed a numpy view at an odd address (``pmc_encode``, ``pmc_decode``, ``pmc_nbit_pack``,
``pmc_nbit_unpack``, and the ``vstquant16`` filter's ``pmc_quantize``/``pmc_dequantize``).
x86 forgives that, but it is undefined behaviour that an optimising compiler may turn into a
crash or wrong data; the C core now copies such data with ``memcpy``.  The shared codec harness pins the results of
those code paths for every codec (tests/common.py: ``check_encode_decode`` encodes from and decodes into buffers at
odd addresses and requires the aligned results, ``check_malformed`` refuses bad streams into a misaligned ``out``)
and, under tests/sanitize.sh, that they stay free of sanitizer reports.
"""

from __future__ import annotations

import struct

import numpy as np

from pymecompress import HuffmanLossless


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
