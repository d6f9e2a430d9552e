"""``huffquant16``: noise-bounded lossy codec for uint16 camera data."""

from __future__ import annotations

from numcodecs.abc import Codec

from .. import _binding
from ..camera import CameraModel
from . import _pmcs


class HuffmanQuant16(Codec):
    """Quantize within the photon noise, predict, Huffman-code (uint16 in, uint16 out).

    Every decoded pixel stays within ``step`` noise sigmas of the original (in the
    variance-stabilised domain, see :mod:`pymecompress.camera`), without bias.

    Parameters
    ----------
    offset, gain, read_noise, step : float
        The camera model (ADU, ADU per electron, electrons, noise sigmas); ``step`` defaults to 1.0.
    scale : float, optional
        PYME/original-pymecompress parameterisation ``q = round(sqrt(x - offset) / scale)``;
        sets the step itself (``step = 2 * scale / sqrt(gain)``), so it cannot be given with ``step``.
    checksum : bool
        Append a CRC-32C of the stream so corruption is detected (default True).

    Examples
    --------
    >>> import numpy as np
    >>> from pymecompress import HuffmanQuant16
    >>> codec = HuffmanQuant16(offset=100, gain=2.2)
    >>> frame = np.random.default_rng(0).poisson(50, (64, 64)).astype(np.uint16) * 2 + 100
    >>> restored = codec.decode(codec.encode(frame)).reshape(frame.shape)
    >>> bool(codec.camera.error_sigmas(frame, restored).max() <= 1.0)
    True
    """

    codec_id = "huffquant16"
    _DTYPES: tuple[str, ...] = ("u2",)  # what it takes (numpy codes) and the item size of its streams
    _ITEMSIZE = 2

    def __init__(self, offset: float = 0.0, gain: float = 1.0, read_noise: float = 0.0, step: float | None = None,
                 scale: float | None = None, checksum: bool = True):
        self.camera = CameraModel.from_config(offset, gain, read_noise, step, scale)
        self.checksum = _pmcs.checksum_flag(checksum)
        _binding.quant_tables(*self.camera.params)  # validate + warm the table cache

    @property
    def offset(self) -> float:
        return self.camera.offset

    @property
    def gain(self) -> float:
        return self.camera.gain

    @property
    def read_noise(self) -> float:
        return self.camera.read_noise

    @property
    def step(self) -> float:
        return self.camera.step

    def get_config(self) -> dict:
        return {"id": self.codec_id, **self.camera.to_dict(), "checksum": self.checksum}

    def encode(self, buf) -> bytes:
        return _pmcs.encode(buf, mode=_pmcs.QUANT, camera=self.camera, checksum=self.checksum,
                            codec_id=self.codec_id, dtypes=self._DTYPES)

    def read_header(self, buf) -> _binding.StreamInfo:
        """The parsed header of a chunk of this codec (DecodeError if it is not one)."""
        return _pmcs.read_header(buf, mode=_pmcs.QUANT, codec_id=self.codec_id, itemsize=self._ITEMSIZE)

    def decode(self, buf, out=None, *, header: _binding.StreamInfo | None = None):
        """Decode a chunk into ``out`` (or a new flat array of the codec's dtype); ``header``: its
        :meth:`read_header`, if read."""
        return _pmcs.decode(buf, self.read_header(buf) if header is None else header, out)

    def __repr__(self) -> str:
        c = self.camera
        return (f"{type(self).__name__}(offset={c.offset!r}, gain={c.gain!r}, read_noise={c.read_noise!r}, "
                f"step={c.step!r}, checksum={self.checksum!r})")
