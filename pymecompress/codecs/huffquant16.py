"""``huffquant16``: noise-bounded lossy codec for uint16 camera data."""

from __future__ import annotations

from numcodecs.abc import Codec

from .. import _binding
from . import _pmcs
from ._quant_settings import QuantSettings, QuantSettingsFace


class HuffmanQuant16(QuantSettingsFace, Codec):
    """Quantize within the photon noise, predict, Huffman-code (uint16 in, uint16 out).

    Every decoded pixel stays within about half a ``step`` of noise sigmas of the original (in the
    variance-stabilised domain, see :mod:`pymecompress.camera`), and decoded data are unbiased for the mean and,
    with dithering (the default), for medians and modes: decoded values do not sit on a grid of levels
    (docs/FORMAT.md, "Dithered quantizer").

    Parameters
    ----------
    offset, gain : float
        The camera's dark level (ADU) and gain (ADU per photo-electron): required, the codec never assumes a
        camera (``pymecompress calibrate`` measures them).
    read_noise, step : float
        Read noise (electrons, default 0) and the quantization step (noise sigmas, default 1.0).
    scale : float, optional
        PYME/original-pymecompress parameterisation ``q = round(sqrt(x - offset) / scale)``;
        sets the step itself (``step = 2 * scale / sqrt(gain)``, gain 1 when not given), so it cannot be given
        with ``step``.
    saturation : int, optional
        Values at or above it decode to exactly it, and no other value does (default: the dtype's maximum).
    dither : bool
        Subtractive dither (format version 2, the default); False writes version 1 streams, which readers older
        than dithering can read (their decoded values sit on a grid of reconstruction levels).
    checksum : bool
        Append a CRC-32C of the stream so corruption is detected (default True).

    Examples
    --------
    >>> import numpy as np
    >>> from pymecompress import HuffmanQuant16
    >>> codec = HuffmanQuant16(offset=100, gain=2.2)
    >>> frame = np.random.default_rng(0).poisson(50, (64, 64)).astype(np.uint16) * 2 + 100
    >>> restored = codec.decode(codec.encode(frame)).reshape(frame.shape)
    >>> bool(codec.camera.error_sigmas(frame, restored).max() < 0.6)  # about half a step (here 1 sigma)
    True
    """

    codec_id = "huffquant16"
    _DTYPES: tuple[str, ...] = ("u2",)  # what it takes (numpy codes) and the item size of its streams
    _ITEMSIZE = 2
    _TOP = 65535  # the dtype's largest value

    def __init__(self, offset: float | None = None, gain: float | None = None, read_noise: float = 0.0,
                 step: float | None = None, scale: float | None = None, saturation: int | None = None,
                 dither: bool = True, checksum: bool = True):
        self.settings = QuantSettings.from_args(self.codec_id, self._TOP, offset, gain, read_noise, step, scale,
                                                saturation, dither)
        self.checksum = _pmcs.checksum_flag(checksum)
        self._warm()

    def _warm(self) -> None:
        """Build (validate, and cache) the tables encoding will use."""
        if self.dither:
            _binding.dither_tables(*self.camera.params, self.saturation)
        else:
            _binding.quant_tables(*self.camera.params)

    def get_config(self) -> dict:
        return {"id": self.codec_id, **self.settings.to_dict(), "checksum": self.checksum}

    def encode(self, buf) -> bytes:
        return _pmcs.encode(buf, mode=_pmcs.QUANT, camera=self.camera, checksum=self.checksum,
                            codec_id=self.codec_id, dtypes=self._DTYPES,
                            saturation=self.saturation if self.dither else None)

    def read_header(self, buf) -> _binding.StreamInfo:
        """The parsed header of a chunk of this codec (DecodeError if it is not one)."""
        return _pmcs.read_header(buf, mode=_pmcs.QUANT, codec_id=self.codec_id, itemsize=self._ITEMSIZE)

    def decode(self, buf, out=None, *, header: _binding.StreamInfo | None = None):
        """Decode a chunk into ``out`` (or a new flat array of the codec's dtype); ``header``: its
        :meth:`read_header`, if read.  Every chunk this codec or an older one wrote decodes, dithered or not."""
        return _pmcs.decode(buf, self.read_header(buf) if header is None else header, out)

    def __repr__(self) -> str:
        c = self.camera
        return (f"{type(self).__name__}(offset={c.offset!r}, gain={c.gain!r}, read_noise={c.read_noise!r}, "
                f"step={c.step!r}, saturation={self.saturation!r}, dither={self.dither!r}, "
                f"checksum={self.checksum!r})")
