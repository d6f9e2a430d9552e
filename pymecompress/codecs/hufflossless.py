"""``hufflossless``: lossless predictive Huffman codec for 8- and 16-bit images."""

from __future__ import annotations

from numcodecs.abc import Codec

from .. import _binding
from . import _pmcs


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
        self.checksum = _pmcs.checksum_flag(checksum)

    def get_config(self) -> dict:
        return {"id": self.codec_id, "checksum": self.checksum}

    def encode(self, buf) -> bytes:
        return _pmcs.encode(buf, mode=_pmcs.LOSSLESS, camera=None, checksum=self.checksum, codec_id=self.codec_id,
                            dtypes=("u1", "i1", "u2", "i2"))

    def read_header(self, buf) -> _binding.StreamInfo:
        """The parsed header of a hufflossless chunk (DecodeError if it is not one)."""
        return _pmcs.read_header(buf, mode=_pmcs.LOSSLESS, codec_id=self.codec_id)

    def decode(self, buf, out=None, *, header: _binding.StreamInfo | None = None):
        """Decode a chunk into ``out`` (or a new flat array); ``header``: its :meth:`read_header`, if already read."""
        return _pmcs.decode(buf, self.read_header(buf) if header is None else header, out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(checksum={self.checksum!r})"
