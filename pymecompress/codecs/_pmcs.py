"""Plain functions over the PMCS chunk format (``huffquant16``, ``huffquant8`` and ``hufflossless`` streams).

A PMCS chunk starts with a self-describing header (docs/FORMAT.md).  Decoding reads that header once
(:func:`read_header`) and hands the parsed :class:`~pymecompress._binding.StreamInfo` to :func:`decode`, so a
caller that needs the decoded size first (the zarr face checks it against the chunk spec) parses nothing twice.

Examples
--------
>>> import numpy as np
>>> chunk = encode(np.arange(6, dtype=np.uint16).reshape(2, 3), mode=LOSSLESS, camera=None, checksum=True,
...                codec_id="hufflossless", dtypes=("u2",))
>>> header = read_header(chunk, mode=LOSSLESS, codec_id="hufflossless")
>>> header.n, header.nx, header.ny, decode(chunk, header).tolist()
(6, 3, 2, [0, 1, 2, 3, 4, 5])
"""

from __future__ import annotations

import numpy as np

from .. import _binding
from ..camera import CameraModel
from ..errors import DecodeError
from ._buffers import memory_order_array, output_array, plane_shape

LOSSLESS = _binding.MODE_LOSSLESS
QUANT = _binding.MODE_QUANT

_OTHER = {LOSSLESS: ("lossless (hufflossless), not quantized", "HuffmanLossless"),
          QUANT: ("quantized (huffquant16)", "HuffmanQuant16")}
_QUANT_BY_ITEMSIZE = {1: ("uint8 data (huffquant8)", "HuffmanQuant8"),
                      2: ("uint16 data (huffquant16)", "HuffmanQuant16")}


def checksum_flag(value) -> bool:
    """``checksum`` as a bool; anything but true or false (a string, a number) is refused.

    >>> checksum_flag(False)
    False
    """
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"checksum must be true or false, got {value!r}")
    return bool(value)


def encode(data, *, mode: int, camera: CameraModel | None, checksum: bool, codec_id: str,
           dtypes: tuple[str, ...], saturation: int | None = None) -> bytes:
    """One PMCS chunk of ``data`` (any buffer of one of ``dtypes``, numpy codes such as ``"u2"``; planes are its
    last two axes in memory order).

    ``camera`` is required for ``mode=QUANT`` and ignored otherwise; with ``saturation`` the chunk is quantized
    with dithering (format version 2), else without (version 1).
    """
    arr = memory_order_array(data, dtypes, codec_id)
    nx, ny = plane_shape(arr)
    params = camera.params if mode == QUANT else None
    return _binding.encode_chunk(arr, nx, ny, mode, params, checksum, saturation=saturation)


def read_header(buf, *, mode: int, codec_id: str, itemsize: int | None = None) -> _binding.StreamInfo:
    """Parse and validate the header of a PMCS chunk, refusing a stream of the other mode or, with ``itemsize``,
    of another item size (DecodeError)."""
    info = _binding.stream_info(buf)
    if info.mode != mode:
        what, cls = _OTHER[info.mode]
        raise DecodeError(f"{codec_id}: this stream is {what}; decode it with {cls}")
    if itemsize is not None and info.itemsize != itemsize:
        what, cls = _QUANT_BY_ITEMSIZE[info.itemsize]
        raise DecodeError(f"{codec_id}: this stream holds {what}; decode it with {cls}")
    return info


def decode(buf, header: _binding.StreamInfo, out=None) -> np.ndarray:
    """Decode the chunk whose parsed header is ``header`` into ``out`` (any writable buffer of the decoded size) or
    a new flat array of the stream's dtype; returns ``out`` when given."""
    dtype = header.dtype
    dest = output_array(out, header.n * dtype.itemsize, dtype, header.n)
    _binding.decode_chunk(buf, dest)
    return dest if out is None else out
