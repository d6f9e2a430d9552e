"""``vstquant16``: the camera-model quantizer alone, as a filter (uint16 -> codes)."""

from __future__ import annotations

import numpy as np
from numcodecs.abc import Codec
from numcodecs.compat import ensure_contiguous_ndarray_like, ensure_ndarray_like

from .. import _binding
from ._buffers import memory_order_array, output_array
from ._quant_settings import QuantSettings, QuantSettingsFace

CODEC_ID = "vstquant16"


Tables = _binding.QuantTables | _binding.DitherTables


def encode(data, tables: Tables) -> np.ndarray:
    """Codes of uint16 ``data``: same shape and memory layout (C or F), little-endian uint16.  With dither tables
    the codes depend on each element's index in memory order (the array is one chunk).

    Examples
    --------
    >>> import numpy as np
    >>> from pymecompress import _binding
    >>> encode(np.array([100, 101, 5000], np.uint16), _binding.quant_tables(100.0, 1.0, 0.0, 1.0)).tolist()
    [100, 101, 239]
    """
    src = np.asarray(ensure_ndarray_like(data))
    f_order = src.flags.f_contiguous and not src.flags.c_contiguous
    arr = memory_order_array(data, ("u2",), CODEC_ID)  # C-contiguous; an F-ordered input transposed
    codes = np.empty(arr.shape, "<u2")
    quantize = _binding.dquantize if isinstance(tables, _binding.DitherTables) else _binding.quantize
    quantize(arr.reshape(-1), tables, codes.reshape(-1))
    return codes.T if f_order else codes


def decode(buf, tables: Tables, out=None) -> np.ndarray:
    """Values of the little-endian uint16 codes in ``buf`` (flat, memory order) into ``out`` or a new flat array;
    DecodeError for a code the tables do not define."""
    raw = np.asarray(ensure_contiguous_ndarray_like(buf)).ravel(order="K").view(np.uint8)  # memory order
    if raw.nbytes % 2:
        raise ValueError(f"{CODEC_ID} decodes uint16 codes; got {raw.nbytes} bytes, an odd count")
    codes = raw.view("<u2").astype(np.uint16, copy=False)
    dest = output_array(out, codes.nbytes, np.dtype(np.uint16), codes.size)
    dequantize = _binding.ddequantize if isinstance(tables, _binding.DitherTables) else _binding.dequantize
    dequantize(codes, tables, dest)
    return dest if out is None else out


class VSTQuant16(QuantSettingsFace, Codec):
    """Variance-stabilising quantizer filter: uint16 ADU values to uint16 codes and back.

    Pair it with any lossless compressor (Zstd, Blosc, ...).  Encoding is
    idempotent: ``encode(decode(codes)) == codes``.  Parameters as in
    :class:`~pymecompress.codecs.huffquant16.HuffmanQuant16` (offset and gain are required).  With ``dither``
    (the default) the codes of an element depend on its index in the array handed to one call, which zarr makes
    one chunk; a configuration without the key is from before dithering and reads without it.

    Examples
    --------
    >>> import numpy as np
    >>> from pymecompress import VSTQuant16
    >>> f = VSTQuant16(offset=100, gain=2.0)
    >>> codes = f.encode(np.array([90, 100, 500, 65535], dtype=np.uint16))
    >>> codes.dtype, bool((f.encode(f.decode(codes)) == codes).all()), int(f.decode(codes)[3])
    (dtype('uint16'), True, 65535)
    """

    codec_id = CODEC_ID

    def __init__(self, offset: float | None = None, gain: float | None = None, read_noise: float = 0.0,
                 step: float | None = None, scale: float | None = None, saturation: int | None = None,
                 dither: bool = True):
        self.settings = QuantSettings.from_args(CODEC_ID, 65535, offset, gain, read_noise, step, scale,
                                                saturation, dither)
        params = self.camera.params
        self._tables = (_binding.dither_tables(*params, self.saturation) if self.dither
                        else _binding.quant_tables(*params))

    @property
    def ncodes(self) -> int:
        """Number of codes these parameters use (codes are 0..ncodes-1)."""
        if isinstance(self._tables, _binding.DitherTables):
            return (int(self._tables.fine[self.saturation]) + 31) // 32 + 1
        return self._tables.ncodes

    def get_config(self) -> dict:
        return {"id": self.codec_id, **self.settings.to_dict()}

    def __getstate__(self):
        return self.get_config()

    def __setstate__(self, state):
        state = dict(state)
        state.pop("id", None)
        self.__init__(**state)

    def encode(self, buf) -> np.ndarray:
        """Codes of ``buf``: same shape and memory layout (C or F), little-endian uint16."""
        return encode(buf, self._tables)

    def decode(self, buf, out=None):
        return decode(buf, self._tables, out)

    def __repr__(self) -> str:
        c = self.camera
        return (f"{type(self).__name__}(offset={c.offset!r}, gain={c.gain!r}, read_noise={c.read_noise!r}, "
                f"step={c.step!r}, saturation={self.saturation!r}, dither={self.dither!r})")
