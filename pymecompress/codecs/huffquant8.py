"""``huffquant8``: noise-bounded compression of 8-bit camera data that keeps the dtype (uint8 in, uint8 out)."""

from __future__ import annotations

from .huffquant16 import HuffmanQuant16


class HuffmanQuant8(HuffmanQuant16):
    """Camera-model quantizer + predictor + Huffman coder for uint8 images (8-bit sCMOS/CCD modes, video).

    The same stream as :class:`~pymecompress.codecs.huffquant16.HuffmanQuant16` with 1-byte items
    (docs/FORMAT.md, "Mode 1 with itemsize 1"): every decoded pixel stays within ``step`` noise sigmas of the
    original, without bias, and decodes to uint8.

    Parameters
    ----------
    offset, gain, read_noise, step : float
        The camera model (ADU, ADU per electron, electrons, noise sigmas); ``step`` defaults to 1.0.
    scale : float, optional
        PYME's parameterisation; sets the step itself (``step = 2 * scale / sqrt(gain)``), not with ``step``.
    checksum : bool
        Append a CRC-32C of the stream so corruption is detected (default True).

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
