"""``pymecompress-huffman``: the byte Huffman codec of the original pymecompress, read and written for compatibility."""

from __future__ import annotations

import struct

import numpy as np
from numcodecs.abc import Codec
from numcodecs.compat import ensure_ndarray_like

from .. import _binding
from ..errors import DecodeError
from ._buffers import output_array

_COUNT = struct.Struct("<I")
_WIDE = (2, 4, 8)  # item sizes of chunks the original wrote from wider data


def flat_bytes(buf) -> np.ndarray:
    """The bytes of ``buf`` in memory order as a flat uint8 array (copied only when not contiguous)."""
    arr = np.asarray(buf)
    if not arr.flags.c_contiguous and not arr.flags.f_contiguous:
        arr = np.ascontiguousarray(arr)
    return arr.reshape(-1, order="A").view(np.uint8)


def split_chunk(buf, codec_id: str) -> tuple[np.ndarray, int]:
    """Split a legacy chunk into its bit stream and the element count of its 4-byte trailer."""
    src = _binding.bytes_view(buf)
    if src.size < _COUNT.size:
        raise DecodeError(f"{codec_id}: chunk is truncated ({src.size} bytes; the count trailer alone needs 4)")
    (count,) = _COUNT.unpack(src[-_COUNT.size:].tobytes())
    return src[: -_COUNT.size], count


def pack_count(count: int, codec_id: str) -> bytes:
    """The 4-byte little-endian count trailer."""
    if count > 0xFFFFFFFF:
        raise ValueError(f"{codec_id}: a chunk holds at most 2**32 - 1 elements (the format's count is 32-bit), "
                         f"got {count}; use smaller chunks")
    return _COUNT.pack(count)


class LegacyHuffman(Codec):
    """Huffman coding of bytes in the format of the original pymecompress (codec id ``pymecompress-huffman``).

    Reads every chunk the original pymecompress 0.3 wrote and writes chunks it
    (and PYME) can read: a header-less BCL Huffman bit stream of the bytes, then
    the element count as a little-endian uint32.  Lossless for 1-byte data, which
    is all the original could round-trip; for new data prefer ``hufflossless``
    (smaller, faster, checksummed) unless old software must read it.

    Decoding a chunk that the original wrote from wider data (its count is the
    number of elements, not bytes, and the original decoder returned only that
    many bytes) returns all of the chunk's bytes whenever the stream holds
    exactly 2, 4 or 8 times ``count`` symbols, so such zarr arrays read back
    correctly; with ``out`` the size of ``out`` decides.

    Examples
    --------
    >>> import numpy as np
    >>> from pymecompress import LegacyHuffman
    >>> codec = LegacyHuffman()
    >>> chunk = codec.encode(np.array([1, 2, 1, 2, 1, 2, 1, 2], dtype=np.uint8))
    >>> chunk.hex()
    '40604aa008000000'
    >>> codec.decode(chunk).tolist()
    [1, 2, 1, 2, 1, 2, 1, 2]
    """

    codec_id = "pymecompress-huffman"

    def get_config(self) -> dict:
        return {"id": self.codec_id}

    def encode(self, buf) -> bytes:
        arr = np.asarray(ensure_ndarray_like(buf))  # bytes-like objects are uint8 data
        if arr.dtype.itemsize != 1 or arr.dtype.kind not in "uib":
            raise TypeError(f"{self.codec_id} encodes 1-byte data (uint8, int8, bool), got dtype {arr.dtype}: the "
                            "original pymecompress cannot decode wider data; use hufflossless for it")
        data = flat_bytes(arr)
        return _binding.legacy_huffman_encode(data) + pack_count(data.size, self.codec_id)

    def decode(self, buf, out=None):
        stream, count = split_chunk(buf, self.codec_id)
        if out is not None:
            nbytes = np.asarray(out).nbytes
            if nbytes not in {count * k for k in (1, *_WIDE)}:
                raise ValueError(f"out holds {nbytes} bytes but the chunk holds {count} elements; pass an out of "
                                 f"{count} bytes (or {count} elements of a 2-, 4- or 8-byte dtype) or none")
            dest = output_array(out, nbytes, np.dtype(np.uint8), nbytes)
            _binding.legacy_huffman_decode(stream, nbytes, dest)
            return out
        data, end = _binding.legacy_huffman_decode(stream, count)
        if (end + 7) // 8 < stream.size:
            # more than padding follows: written by the original from wider data?
            for k in _WIDE:
                if k * count > _binding.legacy_huffman_max_symbols(stream.size):
                    break
                try:
                    wide, end_k = _binding.legacy_huffman_decode(stream, k * count)
                except DecodeError:
                    break
                if (end_k + 7) // 8 == stream.size:
                    return wide
        return data

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
