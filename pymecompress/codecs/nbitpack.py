"""``nbitpack``: lossless n-bit packing (e.g. 12-bit camera data in 1.5 bytes per pixel)."""

from __future__ import annotations

import struct

import numpy as np
from numcodecs.abc import Codec

from .. import _binding
from ..errors import DecodeError
from ._buffers import memory_order_array, output_array

MAGIC = b"PMCN"
VERSION = 1
_HEADER = struct.Struct("<4sBBBBQ")


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

    codec_id = "nbitpack"

    def __init__(self, nbits: int = 0):
        if isinstance(nbits, bool) or not isinstance(nbits, (int, np.integer)) or not 0 <= nbits <= 16:
            raise ValueError(f"nbits must be an integer from 0 (automatic) to 16, got {nbits!r}")
        self.nbits = int(nbits)

    def get_config(self) -> dict:
        return {"id": self.codec_id, "nbits": self.nbits}

    def encode(self, buf) -> bytes:
        arr = memory_order_array(buf, ("u1", "i1", "u2", "i2"), self.codec_id).reshape(-1)
        limit = 8 * arr.itemsize
        if self.nbits > limit:
            raise ValueError(f"nbits={self.nbits} is wider than the {limit}-bit data")
        nbits = self.nbits or max(1, int(arr.view(f"u{arr.itemsize}").max(initial=0)).bit_length())
        header = _HEADER.pack(MAGIC, VERSION, arr.itemsize, nbits, 0, arr.size)
        return header + _binding.nbit_pack(arr, nbits)

    def decode(self, buf, out=None):
        src = _binding.bytes_view(buf)
        if src.size < _HEADER.size:
            raise DecodeError(f"{self.codec_id}: stream is truncated ({src.size} bytes, header needs 16)")
        magic, version, itemsize, nbits, flags, n = _HEADER.unpack(src[: _HEADER.size].tobytes())
        if magic != MAGIC:
            raise DecodeError(f"{self.codec_id}: not an n-bit packed stream (bad magic bytes)")
        if version != VERSION:
            raise DecodeError(f"{self.codec_id}: unsupported stream format version {version}")
        if itemsize not in (1, 2) or not 1 <= nbits <= 8 * itemsize or flags != 0:
            raise DecodeError(f"{self.codec_id}: corrupt header (itemsize={itemsize}, nbits={nbits})")
        payload = src[_HEADER.size:]
        need = (n // 8) * nbits + ((n % 8) * nbits + 7) // 8
        if payload.size != need:
            raise DecodeError(f"{self.codec_id}: payload holds {payload.size} bytes, header announces {need}")
        dtype = np.dtype(np.uint8 if itemsize == 1 else np.uint16)
        dest = output_array(out, n * itemsize, dtype, n)
        _binding.nbit_unpack(payload, nbits, dest)
        return dest if out is None else out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(nbits={self.nbits!r})"
