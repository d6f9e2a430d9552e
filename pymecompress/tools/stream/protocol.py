"""The messages of a live stream (docs/STREAM.md): a 32-byte header, then one self-describing PMCS chunk.

Header, little-endian:

======  ======  ==========================================================================
offset  type    field
======  ======  ==========================================================================
0       4 x u8  magic ``PMLF``
4       u8      version: 1
5       u8      sample type of the frame: 1 uint8, 2 uint16
6       u16     reserved, 0
8       u64     frame index: 0, 1, 2, ... as ``send`` was called (gaps: frames skipped)
16      f64     time: seconds since 1970 (UTC) when ``send`` was called
24      u32     rows (height) of the frame
28      u32     columns (width) of the frame
======  ======  ==========================================================================

Examples
--------
>>> msg = pack(7, 12.5, np.dtype(np.uint16), (2, 3), b"chunk")
>>> len(msg), msg[:4]
(37, b'PMLF')
>>> header, payload = parse(msg)
>>> header, bytes(payload)
(FrameHeader(index=7, time=12.5, dtype=dtype('uint16'), shape=(2, 3)), b'chunk')
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

MAGIC = b"PMLF"
VERSION = 1
HEADER = struct.Struct("<4sBBHQdII")
DTYPES = {1: np.dtype(np.uint8), 2: np.dtype(np.uint16)}
CODES = {dtype: code for code, dtype in DTYPES.items()}


class StreamError(ValueError):
    """A message that is not a live-stream frame of this version."""


@dataclass(frozen=True)
class FrameHeader:
    """What a message says of its frame."""

    index: int
    time: float
    dtype: np.dtype
    shape: tuple[int, int]


def pack(index: int, time: float, dtype: np.dtype, shape: tuple[int, int], payload: bytes) -> bytes:
    """One message: the header for frame ``index`` and ``payload``, the frame's encoded chunk."""
    return HEADER.pack(MAGIC, VERSION, CODES[np.dtype(dtype)], 0, index, time, shape[0], shape[1]) + payload


def parse(message: bytes | memoryview) -> tuple[FrameHeader, memoryview]:
    """The header of ``message`` and a view of its chunk.

    Raises
    ------
    StreamError
        Too short, another magic or version, or an unknown sample type.
    """
    view = memoryview(message)
    if len(view) < HEADER.size:
        raise StreamError(f"a live-stream message of {len(view)} bytes: shorter than its {HEADER.size}-byte header")
    magic, version, code, _, index, time, rows, cols = HEADER.unpack_from(view)
    if magic != MAGIC:
        raise StreamError(f"not a pymecompress live-stream message (magic {magic!r}, expected {MAGIC!r})")
    if version != VERSION:
        raise StreamError(f"live-stream message version {version}; this pymecompress reads version {VERSION}: "
                          "upgrade the older side")
    if code not in DTYPES:
        raise StreamError(f"live-stream message with unknown sample type {code}")
    return FrameHeader(index, time, DTYPES[code], (rows, cols)), view[HEADER.size:]


def decode(header: FrameHeader, payload) -> np.ndarray:
    """The frame a message's chunk holds, as a 2-D array (raises :class:`pymecompress.DecodeError` on a damaged
    chunk, :class:`StreamError` when the chunk does not hold the frame the header describes)."""
    from ... import _binding
    from ...codecs import _pmcs

    info = _binding.stream_info(payload)
    rows, cols = header.shape
    if info.n != rows * cols or info.itemsize != header.dtype.itemsize:
        raise StreamError(f"frame {header.index}: the chunk holds {info.n} values of {info.itemsize} bytes, the "
                          f"header {rows} x {cols} {header.dtype}")
    return _pmcs.decode(payload, info).view(header.dtype).reshape(rows, cols)
