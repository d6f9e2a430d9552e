"""Read and write PYME's PZF frames (``loads`` / ``dumps``, the names PYME uses).

A PZF frame is a packed little-endian header followed by the pixels: raw, or a
header-less BCL Huffman bit stream of the bytes, optionally of square-root
quantized codes.  Header versions 1 to 3 are read; version 3 is written.  The
layout is described in docs/FORMAT.md ("Legacy formats").

Examples
--------
>>> import numpy as np
>>> from pymecompress.io import pzf
>>> frame = np.arange(12, dtype=np.uint16).reshape(3, 4)
>>> data = pzf.dumps(frame, compression=pzf.DATA_COMP_HUFFCODE, frame_num=7)
>>> restored, header = pzf.loads(data)
>>> restored.shape, bool((restored[:, :, 0] == frame).all()), header["FrameNum"]
((3, 4, 1), True, 7)
"""

from __future__ import annotations

import math
import struct

import numpy as np

from .. import _binding
from ..codecs.legacy_huffman import flat_bytes
from ..codecs.legacy_quant16 import quantize
from ..errors import DecodeError

__all__ = [
    "DATA_COMP_HUFFCODE",
    "DATA_COMP_HUFFCODE_CHUNKS",
    "DATA_COMP_RAW",
    "DATA_FMT_FLOAT32",
    "DATA_FMT_UINT16",
    "DATA_FMT_UINT8",
    "DATA_QUANT_NONE",
    "DATA_QUANT_SQRT",
    "dumps",
    "loads",
    "loads_header",
]

DATA_FMT_UINT8 = 0
DATA_FMT_UINT16 = 1
DATA_FMT_FLOAT32 = 2
DATA_COMP_RAW = 0
DATA_COMP_HUFFCODE = 1
DATA_COMP_HUFFCODE_CHUNKS = 2  # recognised, not supported (see loads)
DATA_QUANT_NONE = 0
DATA_QUANT_SQRT = 1

_DTYPES = {DATA_FMT_UINT8: np.dtype("u1"), DATA_FMT_UINT16: np.dtype("<u2"), DATA_FMT_FLOAT32: np.dtype("<f4")}
_FORMATS = {np.dtype("u1"): DATA_FMT_UINT8, np.dtype("u2"): DATA_FMT_UINT16, np.dtype("f4"): DATA_FMT_FLOAT32}

# ID, Version, DataFormat, DataCompression, DataQuantization, DimOrder, reserved, SequenceID, FrameNum,
# Width, Height, Depth, FrameTimestamp, QuantOffset, QuantScale (48 bytes); version 3 adds DataOffset + 12 reserved
_HEADER_V1 = struct.Struct("<2sBBBBcxqIIIIQff")
_HEADER_V3 = struct.Struct("<2sBBBBcxqIIIIQffI12x")
_FIELDS = ("ID", "Version", "DataFormat", "DataCompression", "DataQuantization", "DimOrder", "SequenceID",
           "FrameNum", "Width", "Height", "Depth", "FrameTimestamp", "QuantOffset", "QuantScale")


def _parse_header(src: np.ndarray) -> dict:
    if src.size < _HEADER_V1.size:
        raise DecodeError(f"PZF: {src.size} bytes are too short for a frame header (48 bytes at least)")
    if src[:2].tobytes() != b"BD":
        raise DecodeError("PZF: not a PZF frame (the first two bytes are not 'BD')")
    version = int(src[2])
    if version not in (1, 2, 3):
        raise DecodeError(f"PZF: unsupported header version {version} (1 to 3 are known)")
    if version == 3:
        if src.size < _HEADER_V3.size:
            raise DecodeError(f"PZF: {src.size} bytes are too short for a version 3 header (64 bytes)")
        values = _HEADER_V3.unpack(src[: _HEADER_V3.size].tobytes())
        header = dict(zip(_FIELDS, values[:-1], strict=True), DataOffset=values[-1])
    else:
        values = _HEADER_V1.unpack(src[: _HEADER_V1.size].tobytes())
        header = dict(zip(_FIELDS, values, strict=True), DataOffset=_HEADER_V1.size)
    header["ID"] = header["ID"].decode("ascii")
    # version 1 has no DimOrder field: its frames are C-ordered
    header["DimOrder"] = "C" if version == 1 else header["DimOrder"].decode("latin-1")
    return header


def _check_header(header: dict, size: int) -> None:
    if header["DataFormat"] not in _DTYPES:
        raise DecodeError(f"PZF: unknown DataFormat {header['DataFormat']} (0 uint8, 1 uint16, 2 float32)")
    if header["DataCompression"] == DATA_COMP_HUFFCODE_CHUNKS:
        raise DecodeError("PZF: DataCompression 2 (Huffman chunks) is not supported")
    if header["DataCompression"] not in (DATA_COMP_RAW, DATA_COMP_HUFFCODE):
        raise DecodeError(f"PZF: unknown DataCompression {header['DataCompression']} (0 raw, 1 Huffman)")
    if header["DataQuantization"] not in (DATA_QUANT_NONE, DATA_QUANT_SQRT):
        raise DecodeError(f"PZF: unknown DataQuantization {header['DataQuantization']} (0 none, 1 sqrt)")
    if header["DimOrder"] not in ("C", "F"):
        raise DecodeError(f"PZF: DimOrder must be 'C' or 'F', got {header['DimOrder']!r}")
    if header["DataQuantization"] == DATA_QUANT_SQRT:
        if not (math.isfinite(header["QuantOffset"]) and math.isfinite(header["QuantScale"])):
            raise DecodeError("PZF: QuantOffset and QuantScale must be finite")
    minimum = _HEADER_V3.size if header["Version"] == 3 else _HEADER_V1.size
    if not minimum <= header["DataOffset"] <= size:
        raise DecodeError(f"PZF: DataOffset {header['DataOffset']} lies outside the frame ({minimum}..{size})")


def loads_header(data, frame_size: int | None = None) -> dict:
    """Decode and check only the header of a PZF frame, without touching its payload.

    Enough to learn a frame's shape and dtype from the first 64 bytes of a file, e.g. to check that a
    folder of frames is consistent before decoding any of them.

    Parameters
    ----------
    data : bytes-like
        The start of the frame: at least its header (48 bytes in versions 1 and 2, 64 in version 3).
    frame_size : int, optional
        Size of the whole frame in bytes (default ``len(data)``), to check ``DataOffset`` against it.

    Returns
    -------
    dict
        The header fields, as :func:`loads` returns them.

    Raises
    ------
    pymecompress.DecodeError
        Not a PZF header, or one with unknown or unsupported fields (as :func:`loads`).

    Examples
    --------
    >>> import numpy as np
    >>> from pymecompress.io import pzf
    >>> data = pzf.dumps(np.zeros((6, 4), dtype=np.uint16), compression=pzf.DATA_COMP_HUFFCODE)
    >>> h = pzf.loads_header(data[:64], frame_size=len(data))
    >>> h["Width"], h["Height"], h["Depth"], h["DataFormat"] == pzf.DATA_FMT_UINT16
    (6, 4, 1, True)
    """
    src = _binding.bytes_view(data)
    header = _parse_header(src)
    _check_header(header, src.size if frame_size is None else int(frame_size))
    return header


def loads(data) -> tuple[np.ndarray, dict]:
    """Decode one PZF frame.

    Parameters
    ----------
    data : bytes-like
        The frame: header (version 1, 2 or 3) and payload.

    Returns
    -------
    array : numpy.ndarray
        Shape ``(Width, Height, Depth)`` in the frame's ``DimOrder`` (C or F), dtype
        from ``DataFormat`` (uint8, uint16 or float32), as PYME's reader returns it.
        Quantized frames are dequantized as ``(float32(q) * QuantScale)**2 + QuantOffset``
        in float32, then cast (integers: truncated, clipped to the dtype's range).
    header : dict
        The header fields by their PYME names (``ID``, ``Version``, ``DataFormat``,
        ``DataCompression``, ``DataQuantization``, ``DimOrder``, ``SequenceID``,
        ``FrameNum``, ``Width``, ``Height``, ``Depth``, ``FrameTimestamp``,
        ``QuantOffset``, ``QuantScale``, ``DataOffset``).

    Raises
    ------
    pymecompress.DecodeError
        For anything that is not a well-formed frame, including the Huffman-chunks
        compression (``DataCompression == 2``), which is not supported.

    Examples
    --------
    >>> import numpy as np
    >>> from pymecompress.io import pzf
    >>> frame = np.full((4, 2), 400 + 81, dtype=np.uint16)
    >>> data = pzf.dumps(frame, compression=pzf.DATA_COMP_HUFFCODE, quantization=pzf.DATA_QUANT_SQRT,
    ...                  quant_offset=400, quant_scale=1)
    >>> array, header = pzf.loads(data)
    >>> int(array[0, 0, 0]), header["DataQuantization"], header["Width"], header["Height"]
    (481, 1, 4, 2)
    """
    src = _binding.bytes_view(data)
    header = _parse_header(src)
    _check_header(header, src.size)
    shape = (header["Width"], header["Height"], header["Depth"])
    count = math.prod(shape)
    dtype = _DTYPES[header["DataFormat"]]
    quantized = header["DataQuantization"] == DATA_QUANT_SQRT
    nbytes = count if quantized else count * dtype.itemsize
    payload = src[header["DataOffset"]:]

    if header["DataCompression"] == DATA_COMP_RAW:
        if payload.size != nbytes:
            raise DecodeError(f"PZF: raw payload holds {payload.size} bytes, the header announces {nbytes}")
        raw = payload.copy()
    else:
        if nbytes > _binding.legacy_huffman_max_symbols(payload.size):
            raise DecodeError(f"PZF: a {payload.size}-byte Huffman payload cannot hold the {nbytes} bytes "
                              f"of a {shape} frame")
        raw, _ = _binding.legacy_huffman_decode(payload, nbytes)

    if quantized:
        q = raw.astype(np.float32)
        values = (q * np.float32(header["QuantScale"])) ** 2 + np.float32(header["QuantOffset"])
        if dtype.kind == "u":
            info = np.iinfo(dtype)
            values = np.clip(np.nan_to_num(values, nan=0.0), info.min, info.max)
        out = values.astype(dtype.newbyteorder("="))
    else:
        out = raw.view(dtype).astype(dtype.newbyteorder("="), copy=False)
    return out.reshape(shape, order=header["DimOrder"]), header


def dumps(array, sequence_id: int = 0, frame_num: int = 0, frame_timestamp: int = 0,
          compression: int = DATA_COMP_RAW, quantization: int = DATA_QUANT_NONE, quant_offset: float = 0.0,
          quant_scale: float = 1.0, order: str | None = None) -> bytes:
    """Encode an array as one PZF frame (header version 3), readable by PYME.

    Parameters
    ----------
    array : numpy.ndarray
        uint8, uint16 or float32, with 1 to 3 dimensions: ``(Width, Height, Depth)``,
        missing trailing axes count as 1.
    sequence_id, frame_num, frame_timestamp : int
        Stored in the header (int64, uint32 and uint64).
    compression : int
        ``DATA_COMP_RAW`` (0, default) or ``DATA_COMP_HUFFCODE`` (1).
    quantization : int
        ``DATA_QUANT_NONE`` (0, default) or ``DATA_QUANT_SQRT`` (1, needs Huffman
        compression): pixels become ``q = round(sqrt(x - quant_offset) / quant_scale)``
        (0 below the offset, saturating at 255), computed exactly from the float32
        values of offset and scale that the header stores.
    quant_offset, quant_scale : float
        Quantization parameters (``quant_scale > 0``); the header stores 0 for both
        when the frame is not quantized, as PYME does.
    order : {'C', 'F'}, optional
        ``DimOrder`` of the payload; by default F for arrays that are only
        Fortran-contiguous, else C.

    Returns
    -------
    bytes

    Examples
    --------
    >>> import numpy as np
    >>> from pymecompress.io import pzf
    >>> len(pzf.dumps(np.zeros((8, 8), dtype=np.uint8)))
    128
    """
    arr = np.asarray(array)
    if arr.ndim > 3:
        raise ValueError(f"a PZF frame has at most 3 dimensions (Width, Height, Depth), got shape {arr.shape}")
    native = arr.dtype.newbyteorder("=")
    if native not in _FORMATS:
        raise TypeError(f"PZF frames hold uint8, uint16 or float32 data, got dtype {arr.dtype}")
    if compression not in (DATA_COMP_RAW, DATA_COMP_HUFFCODE):
        raise ValueError(f"compression must be DATA_COMP_RAW (0) or DATA_COMP_HUFFCODE (1), got {compression!r}")
    if quantization not in (DATA_QUANT_NONE, DATA_QUANT_SQRT):
        raise ValueError(f"quantization must be DATA_QUANT_NONE (0) or DATA_QUANT_SQRT (1), got {quantization!r}")
    if quantization == DATA_QUANT_SQRT and compression != DATA_COMP_HUFFCODE:
        raise ValueError("sqrt quantization is written with Huffman compression (compression=DATA_COMP_HUFFCODE)")
    if order is None:
        order = "F" if arr.flags.f_contiguous and not arr.flags.c_contiguous else "C"
    if order not in ("C", "F"):
        raise ValueError(f"order must be 'C' or 'F', got {order!r}")
    shape = tuple(arr.shape) + (1,) * (3 - arr.ndim)
    if any(n > 0xFFFFFFFF for n in shape):
        raise ValueError(f"PZF dimensions are 32-bit, got shape {arr.shape}")
    # like PYME, an unquantized frame stores 0 for both
    offset32, scale32 = np.float32(0.0), np.float32(0.0)
    if quantization == DATA_QUANT_SQRT:
        offset32, scale32 = np.float32(quant_offset), np.float32(quant_scale)
        if not (np.isfinite(offset32) and np.isfinite(scale32) and scale32 > 0):
            raise ValueError(f"quant_offset must be finite and quant_scale finite and positive, got "
                             f"{quant_offset!r}, {quant_scale!r}")

    values = np.ravel(arr.reshape(shape), order=order)
    if quantization == DATA_QUANT_SQRT:
        payload = quantize(values, float(offset32), float(scale32))
    else:
        payload = flat_bytes(values.astype(native.newbyteorder("<"), copy=False))
    if compression == DATA_COMP_HUFFCODE:
        body = _binding.legacy_huffman_encode(np.ascontiguousarray(payload).view(np.uint8))
    else:
        body = payload.tobytes()
    try:
        header = _HEADER_V3.pack(b"BD", 3, _FORMATS[native], compression, quantization, order.encode("ascii"),
                                 int(sequence_id), int(frame_num), *shape, int(frame_timestamp), offset32, scale32,
                                 _HEADER_V3.size)
    except struct.error as err:
        raise ValueError(f"a header field is out of range (sequence_id: int64, frame_num: uint32, "
                         f"frame_timestamp: uint64): {err}") from None
    return header + body
