"""``pymecompress-quant16``: the square-root quantizing codec of the original pymecompress, for compatibility."""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np
from numcodecs.abc import Codec
from numcodecs.compat import ensure_ndarray_like

from .. import _binding
from ..errors import DecodeError
from ._buffers import output_array
from .legacy_huffman import flat_bytes, pack_count, split_chunk


def _number(value, name: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def check_params(offset, scale) -> tuple[int | float, int | float]:
    """Validate ``offset`` (finite) and ``scale`` (finite, > 0); ints stay ints so configs round-trip."""
    offset, scale = _number(offset, "offset"), _number(scale, "scale")
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    return offset, scale


def quantize(values: np.ndarray, offset: float, scale: float) -> np.ndarray:
    """Legacy square-root codes ``q = round(sqrt(x - offset) / scale)`` as uint8, any shape.

    Exact in binary64 (correctly rounded sqrt, halves round up), 0 below ``offset``,
    saturating at 255.

    Examples
    --------
    >>> import numpy as np
    >>> from pymecompress.codecs.legacy_quant16 import quantize
    >>> quantize(np.array([0, 100, 101, 200, 65535], dtype=np.uint16), 100, 1).tolist()
    [0, 0, 1, 10, 255]
    """
    values = np.asarray(values)
    if values.dtype == np.uint16:
        return _quant_lut(float(offset), float(scale))[values]
    x = values.astype(np.float64)
    if np.isnan(x).any():
        raise ValueError("cannot quantize NaN")
    return _quantize_float(x, float(offset), float(scale))


def _quantize_float(x: np.ndarray, offset: float, scale: float) -> np.ndarray:
    v = np.sqrt(np.maximum(x - offset, 0.0)) / scale
    v = np.minimum(v, 255.0)
    low = np.floor(v)
    return (low + (v - low >= 0.5)).astype(np.uint8)


@functools.lru_cache(maxsize=32)
def _quant_lut(offset: float, scale: float) -> np.ndarray:
    lut = _quantize_float(np.arange(65536, dtype=np.float64), offset, scale)
    lut.flags.writeable = False
    return lut


@functools.lru_cache(maxsize=32)
def dequant_table(offset: float, scale: float, legacy: bool) -> np.ndarray:
    """uint16 value of each code 0..255.

    Default: ``trunc((scale * q)**2 + offset)`` clipped to 0..65535.  ``legacy=True``:
    ``trunc(q*q / scale + offset)`` as the original pymecompress decoder computed it
    (binary64), wrapping modulo 65536 outside 0..65535.
    """
    q = np.arange(256, dtype=np.float64)
    if legacy:
        v = np.trunc(q * q / scale + offset)
        table = np.mod(np.clip(v, -(2.0**62), 2.0**62).astype(np.int64), 65536).astype(np.uint16)
    else:
        table = np.clip(np.trunc((scale * q) ** 2 + offset), 0, 65535).astype(np.uint16)
    table.flags.writeable = False
    return table


class LegacyQuant16(Codec):
    """Square-root quantization + Huffman in the format of the original pymecompress (``pymecompress-quant16``).

    Encoding maps each uint16 pixel ``x`` to ``q = round(sqrt(x - offset) / scale)``
    (0 below ``offset``, saturating at 255) and writes the codes as a BCL Huffman
    bit stream followed by the pixel count (little-endian uint32), which the
    original pymecompress and PYME read.  Decoding gives ``(scale*q)**2 + offset``
    (truncated to an integer, clipped to 0..65535): for ``scale == 1`` exactly what
    the original returned.  Chunks written by the original hold twice as many
    symbols as pixels; only the first ``count`` are read.

    Parameters
    ----------
    offset : float
        Camera offset (ADU) subtracted before the square root.
    scale : float
        Quantization step in units of sqrt(ADU); 1 keeps the error within one
        shot-noise sigma for a gain of 1 ADU per electron.
    legacy_decode : bool
        Reproduce the original decoder bit for bit, including its bug for
        ``scale != 1``: it returned ``trunc(q*q / scale + offset)`` instead of
        ``(scale*q)**2 + offset``.  Only for matching old results; False by default.
        (The option is left out of the configuration unless set, so old software
        can still read zarr metadata written with this codec.)

    Examples
    --------
    >>> import numpy as np
    >>> from pymecompress import LegacyQuant16
    >>> frame = np.array([[100, 104, 130], [200, 1000, 90]], dtype=np.uint16)
    >>> chunk = LegacyQuant16(offset=100, scale=1).encode(frame)
    >>> LegacyQuant16(offset=100, scale=1).decode(chunk).tolist()
    [100, 104, 125, 200, 1000, 100]
    >>> chunk = LegacyQuant16(offset=100, scale=2).encode(frame)
    >>> LegacyQuant16(offset=100, scale=2).decode(chunk).tolist()
    [100, 104, 136, 200, 1000, 100]
    >>> LegacyQuant16(offset=100, scale=2, legacy_decode=True).decode(chunk).tolist()
    [100, 100, 104, 112, 212, 100]
    """

    codec_id = "pymecompress-quant16"

    def __init__(self, offset: float = 0, scale: float = 1, legacy_decode: bool = False):
        self.offset, self.scale = check_params(offset, scale)
        if not isinstance(legacy_decode, (bool, np.bool_)):
            raise ValueError(f"legacy_decode must be True or False, got {legacy_decode!r}")
        self.legacy_decode = bool(legacy_decode)

    def get_config(self) -> dict:
        config = {"id": self.codec_id, "offset": self.offset, "scale": self.scale}
        if self.legacy_decode:
            config["legacy_decode"] = True
        return config

    def encode(self, buf) -> bytes:
        arr = np.asarray(ensure_ndarray_like(buf))  # bytes-like objects are uint8 data
        if arr.dtype.kind != "u" or arr.dtype.itemsize != 2:
            raise TypeError(f"{self.codec_id} encodes uint16 data, got dtype {arr.dtype}; "
                            "convert with .astype(np.uint16) or pick another codec (see pymecompress.list_codecs())")
        if not arr.dtype.isnative:
            arr = arr.astype(arr.dtype.newbyteorder("="))
        values = flat_bytes(arr).view(np.uint16)
        codes = quantize(values, self.offset, self.scale)
        return _binding.legacy_huffman_encode(codes) + pack_count(values.size, self.codec_id)

    def decode(self, buf, out=None):
        stream, count = split_chunk(buf, self.codec_id)
        if count > _binding.legacy_huffman_max_symbols(stream.size):
            raise DecodeError(f"{self.codec_id}: the chunk claims {count} pixels but its {stream.size}-byte stream "
                              "cannot hold that many")
        dest = output_array(out, 2 * count, np.dtype(np.uint16), count)
        codes, _ = _binding.legacy_huffman_decode(stream, count)
        np.take(dequant_table(float(self.offset), float(self.scale), self.legacy_decode), codes, out=dest)
        return dest if out is None else out

    def __repr__(self) -> str:
        extra = ", legacy_decode=True" if self.legacy_decode else ""
        return f"{type(self).__name__}(offset={self.offset!r}, scale={self.scale!r}{extra})"
