"""``nbitpack``: lossless n-bit packing (e.g. 12-bit camera data in 1.5 bytes per pixel)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
from numcodecs.abc import Codec

from .. import _binding
from ..errors import DecodeError
from ._buffers import memory_order_array, output_array

MAGIC = b"PMCN"
VERSION = 1
_HEADER = struct.Struct("<4sBBBBQ")
CODEC_ID = "nbitpack"


@dataclass(frozen=True)
class NBitHeader:
    """What the 16-byte header of an ``nbitpack`` stream says: value size, bits per value, value count."""

    itemsize: int
    nbits: int
    n: int

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.uint8 if self.itemsize == 1 else np.uint16)

    @property
    def payload_size(self) -> int:
        """Bytes of packed values the stream must hold after the header."""
        return (self.n // 8) * self.nbits + ((self.n % 8) * self.nbits + 7) // 8


def encode(data, nbits: int = 0) -> bytes:
    """Header + ``data`` (8- or 16-bit integers, memory order) packed into ``nbits`` bits per value (0: the fewest
    that hold the largest value).

    Examples
    --------
    >>> import numpy as np
    >>> stream = encode(np.array([1, 2, 3], np.uint8))
    >>> read_header(stream)
    NBitHeader(itemsize=1, nbits=2, n=3)
    """
    arr = memory_order_array(data, ("u1", "i1", "u2", "i2"), CODEC_ID).reshape(-1)
    limit = 8 * arr.itemsize
    if nbits > limit:
        raise ValueError(f"nbits={nbits} is wider than the {limit}-bit data")
    nbits = nbits or max(1, int(arr.view(f"u{arr.itemsize}").max(initial=0)).bit_length())
    header = _HEADER.pack(MAGIC, VERSION, arr.itemsize, nbits, 0, arr.size)
    return header + _binding.nbit_pack(arr, nbits)


def read_header(buf) -> NBitHeader:
    """Parse and validate the header of an ``nbitpack`` stream, including the payload size (DecodeError)."""
    src = _binding.bytes_view(buf)
    if src.size < _HEADER.size:
        raise DecodeError(f"{CODEC_ID}: stream is truncated ({src.size} bytes, header needs 16)")
    magic, version, itemsize, nbits, flags, n = _HEADER.unpack(src[: _HEADER.size].tobytes())
    if magic != MAGIC:
        raise DecodeError(f"{CODEC_ID}: not an n-bit packed stream (bad magic bytes)")
    if version != VERSION:
        raise DecodeError(f"{CODEC_ID}: unsupported stream format version {version}")
    if itemsize not in (1, 2) or not 1 <= nbits <= 8 * itemsize or flags != 0:
        raise DecodeError(f"{CODEC_ID}: corrupt header (itemsize={itemsize}, nbits={nbits})")
    header = NBitHeader(itemsize, nbits, n)
    if src.size - _HEADER.size != header.payload_size:
        raise DecodeError(f"{CODEC_ID}: payload holds {src.size - _HEADER.size} bytes, header announces "
                          f"{header.payload_size}")
    return header


def decode(buf, header: NBitHeader, out=None) -> np.ndarray:
    """Unpack the stream whose parsed header is ``header`` into ``out`` (any writable buffer of the decoded size)
    or a new flat array; returns ``out`` when given."""
    payload = _binding.bytes_view(buf)[_HEADER.size:]
    dest = output_array(out, header.n * header.itemsize, header.dtype, header.n)
    _binding.nbit_unpack(payload, header.nbits, dest)
    return dest if out is None else out


class NBitPack(Codec):
    """Pack each value into ``nbits`` bits, losslessly.

    Parameters
    ----------
    nbits : int
        Bits per value, 1..16 (1..8 for 8-bit data); 0 (the default) picks the
        smallest width that holds the chunk's largest value, per chunk.

    Examples
    --------
    >>> import numpy as np
    >>> from pymecompress import NBitPack
    >>> data = np.array([0, 4095, 17, 2048], dtype=np.uint16)
    >>> packed = NBitPack(nbits=12).encode(data)
    >>> len(packed) - 16, NBitPack().decode(packed).tolist()
    (6, [0, 4095, 17, 2048])
    """

    codec_id = CODEC_ID

    def __init__(self, nbits: int = 0):
        if isinstance(nbits, bool) or not isinstance(nbits, (int, np.integer)) or not 0 <= nbits <= 16:
            raise ValueError(f"nbits must be an integer from 0 (automatic) to 16, got {nbits!r}")
        self.nbits = int(nbits)

    def get_config(self) -> dict:
        return {"id": self.codec_id, "nbits": self.nbits}

    def encode(self, buf) -> bytes:
        return encode(buf, self.nbits)

    def read_header(self, buf) -> NBitHeader:
        """The parsed header of an nbitpack stream (DecodeError if it is not one)."""
        return read_header(buf)

    def decode(self, buf, out=None, *, header: NBitHeader | None = None):
        """Unpack a stream into ``out`` (or a new flat array); ``header``: its :meth:`read_header`, if already read."""
        return decode(buf, read_header(buf) if header is None else header, out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(nbits={self.nbits!r})"
