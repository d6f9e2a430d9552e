"""``hufflossless``: lossless predictive Huffman codec for 8- and 16-bit images."""

from __future__ import annotations

from numcodecs.abc import Codec

from .. import _binding
from ..errors import DecodeError
from ._buffers import memory_order_array, output_array, plane_shape


class HuffmanLossless(Codec):
    """Block-adaptive prediction + Huffman coding, bit-exact.

    Accepts uint8, int8, uint16 and int16 arrays (signed data is coded by its bit
    pattern); decoding returns the same bytes as uint8/uint16.

    Parameters
    ----------
    checksum : bool
        Append a CRC-32C of the stream so corruption is detected (default True).

    Examples
    --------
    >>> import numpy as np
    >>> from pymecompress import HuffmanLossless
    >>> codec = HuffmanLossless()
    >>> image = np.arange(4096, dtype=np.uint16).reshape(64, 64)
    >>> bool((codec.decode(codec.encode(image)).reshape(64, 64) == image).all())
    True
    """

    codec_id = "hufflossless"

    def __init__(self, checksum: bool = True):
        self.checksum = bool(checksum)

    def get_config(self) -> dict:
        return {"id": self.codec_id, "checksum": self.checksum}

    def encode(self, buf) -> bytes:
        arr = memory_order_array(buf, ("u1", "i1", "u2", "i2"), self.codec_id)
        nx, ny = plane_shape(arr)
        return _binding.encode_chunk(arr, nx, ny, _binding.MODE_LOSSLESS, None, self.checksum)

    def decode(self, buf, out=None):
        info = _binding.stream_info(buf)
        if info.mode != _binding.MODE_LOSSLESS:
            raise DecodeError(f"{self.codec_id}: this stream is quantized (huffquant16); "
                              "decode it with HuffmanQuant16")
        dest = output_array(out, info.n * info.itemsize, info.dtype, info.n)
        _binding.decode_chunk(buf, dest, info)
        return dest if out is None else out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(checksum={self.checksum!r})"
