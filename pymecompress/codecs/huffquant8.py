"""``huffquant8``: noise-bounded compression of 8-bit camera data that keeps the dtype (uint8 in, uint8 out)."""

from __future__ import annotations

from .huffquant16 import HuffmanQuant16


class HuffmanQuant8(HuffmanQuant16):
    """Camera-model quantizer + predictor + Huffman coder for uint8 images (8-bit sCMOS/CCD modes, video).

    The same stream as :class:`~pymecompress.codecs.huffquant16.HuffmanQuant16` with 1-byte items
    (docs/FORMAT.md, "uint8 data" and "Dithered quantizer"): every decoded pixel stays within about half a
    ``step`` of noise sigmas of the original, without bias, and decodes to uint8; 255 (or ``saturation``) and 0
    stay exact.

    Parameters
    ----------
    offset, gain, read_noise, step, scale, dither, checksum
        As for :class:`~pymecompress.codecs.huffquant16.HuffmanQuant16` (offset and gain are required).
    saturation : int, optional
        Values at or above it decode to exactly it, and no other value does (default 255).

    Examples
    --------
    >>> import numpy as np
    >>> frames = (np.random.default_rng(0).poisson(20, (2, 64, 64)) + 10).astype(np.uint8)
    >>> codec = HuffmanQuant8(offset=10, gain=1.0)
    >>> back = codec.decode(codec.encode(frames)).reshape(frames.shape)
    >>> back.dtype, bool(np.all(np.abs(codec.camera.vst(back) - codec.camera.vst(frames)) <= 1.0))
    (dtype('uint8'), True)
    """

    codec_id = "huffquant8"
    _DTYPES = ("u1",)
    _ITEMSIZE = 1
    _TOP = 255
