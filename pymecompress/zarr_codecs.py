"""zarr-python 3 faces of the pymecompress codecs.

This module imports zarr; ``import pymecompress`` does not import it, so numcodecs-only users do not need
zarr. zarr finds these classes by name through the ``zarr.codecs`` entry points (the name written to
``zarr.json`` is the numcodecs id), and ``from pymecompress import HuffmanQuant16`` returns the class defined
here whenever zarr is installed.

Each class subclasses both the numcodecs codec and the zarr codec base class, so one instance works with
``zarr_format=3`` (as a zarr codec) and ``zarr_format=2`` (as a numcodecs codec):

- :class:`HuffmanQuant16`, :class:`HuffmanLossless`: bytes-to-bytes compressors (they read dtype and chunk
  shape from the chunk spec: the planes they predict on are the chunk's last two axes);
- :class:`VSTQuant16`: array-to-array filter (uint16 values to uint16 codes);
- :class:`NBitPack`: array-to-bytes serializer.

Examples
--------
>>> import numpy as np, zarr
>>> from pymecompress import HuffmanQuant16
>>> z = zarr.create_array({}, shape=(64, 64), chunks=(32, 32), dtype="uint16",
...                       compressors=[HuffmanQuant16(offset=100, gain=2.2)])
>>> z[:] = 100
>>> int(z[5, 5])
100
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import numpy as np
from zarr.abc.codec import ArrayArrayCodec, ArrayBytesCodec, BaseCodec, BytesBytesCodec

from . import _binding
from .codecs import hufflossless, huffquant16, nbitpack, vstquant16
from .errors import DecodeError


def _numpy_dtype(dtype) -> np.dtype:
    """numpy dtype of a zarr dtype (zarr 3.1+ wraps it in a ZDType; older ones use numpy's)."""
    to_native = getattr(dtype, "to_native_dtype", None)
    return np.dtype(to_native() if to_native is not None else dtype)


def _native_dtype(chunk_spec) -> np.dtype:
    return _numpy_dtype(chunk_spec.dtype)


def _count(chunk_spec) -> int:
    return math.prod(chunk_spec.shape)


def _is_zarr_batch(data) -> bool:
    """Whether ``encode``/``decode`` was called by zarr's pipeline (an iterable of (chunk, spec) pairs)
    rather than through numcodecs (a buffer or an array)."""
    if isinstance(data, (bytes, bytearray, memoryview, np.ndarray)) or hasattr(data, "__array_interface__"):
        return False
    try:
        memoryview(data)
    except TypeError:
        return True
    return False


class _CodecDict(dict):
    """The v3 JSON form of a codec that zarr v2 metadata still recognises as a numcodecs codec.

    zarr serialises metadata by recursing into every field that is a zarr ``Metadata`` (our codecs are),
    calling ``to_dict()``; zarr v3 writes the result, while zarr v2 afterwards replaces anything that looks
    like a numcodecs codec by its ``get_config()``. This mapping is the v3 form and answers the numcodecs
    protocol with the v2 form, so one codec instance serialises correctly for both formats.
    """

    def __init__(self, codec):
        config = codec.get_config()
        self._numcodecs_config = dict(config)
        config.pop("id")
        super().__init__(name=codec.codec_id, configuration=config)

    codec_id = ""  # set per codec: zarr checks it on the class

    def get_config(self) -> dict[str, Any]:
        return dict(self._numcodecs_config)

    def encode(self, buf):
        raise TypeError("this is a codec description, not a codec")

    decode = encode

    @classmethod
    def from_config(cls, config):
        raise TypeError("this is a codec description, not a codec")


_CODEC_DICT_CLASSES: dict[str, type[_CodecDict]] = {}


def _codec_dict_class(codec_id: str) -> type[_CodecDict]:
    if codec_id not in _CODEC_DICT_CLASSES:
        _CODEC_DICT_CLASSES[codec_id] = type(f"_CodecDict_{codec_id}", (_CodecDict,), {"codec_id": codec_id})
    return _CODEC_DICT_CLASSES[codec_id]


class _ZarrFace:
    """zarr v3 glue shared by every class here: naming, JSON, hashing, async-to-thread.

    zarr's codec base class and numcodecs both name their entry points ``encode`` and ``decode``: zarr calls
    them with an iterable of (chunk, spec) pairs and awaits the result, numcodecs with one buffer. Both are
    served, by looking at the argument.
    """

    codec_id: str
    is_fixed_size = False

    def encode(self, data, *args, **kwargs):
        if _is_zarr_batch(data):
            return BaseCodec.encode(self, data, *args, **kwargs)
        return super().encode(data, *args, **kwargs)

    def decode(self, data, *args, **kwargs):
        if _is_zarr_batch(data):
            return BaseCodec.decode(self, data, *args, **kwargs)
        return super().decode(data, *args, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        return _codec_dict_class(self.codec_id)(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        if data.get("name") != cls.codec_id:
            raise ValueError(f"expected a codec named {cls.codec_id!r}, got {data.get('name')!r}")
        return cls(**(data.get("configuration") or {}))

    def __hash__(self) -> int:
        return hash(json.dumps(self.get_config(), sort_keys=True))

    def compute_encoded_size(self, input_byte_length: int, chunk_spec) -> int:
        raise NotImplementedError(f"{self.codec_id} output size depends on the data")

    async def _encode_single(self, chunk, chunk_spec):
        return await asyncio.to_thread(self._encode_sync, chunk, chunk_spec)

    async def _decode_single(self, chunk, chunk_spec):
        return await asyncio.to_thread(self._decode_sync, chunk, chunk_spec)


def _check_decoded_size(codec_id: str, data: np.ndarray, chunk_spec, itemsize: int) -> None:
    info = _binding.stream_info(data)
    expected = _count(chunk_spec)
    if info.n != expected or info.itemsize != itemsize:
        raise DecodeError(f"{codec_id}: the stored chunk holds {info.n} values of {info.itemsize} byte(s) but the "
                          f"array expects {expected} values of {itemsize} byte(s) for chunk shape "
                          f"{tuple(chunk_spec.shape)}: the chunk belongs to another array or is corrupt")


class _PMCSCompressor(_ZarrFace):
    """Bytes-to-bytes face of the PMCS codecs: reinterpret the serialized chunk with the spec's dtype."""

    def _chunk_array(self, chunk_bytes, chunk_spec) -> np.ndarray:
        dtype = _native_dtype(chunk_spec)
        raw = chunk_bytes.as_numpy_array().view(np.uint8)
        if raw.nbytes != _count(chunk_spec) * dtype.itemsize:
            raise ValueError(f"{self.codec_id}: got {raw.nbytes} bytes for a chunk of shape "
                             f"{tuple(chunk_spec.shape)} and dtype {dtype}")
        # the bytes codec before us wrote the chunk in C order, little-endian by default
        return raw.view(dtype.newbyteorder("<")).reshape(chunk_spec.shape)

    def _encode_sync(self, chunk_bytes, chunk_spec):
        encoded = self.encode(self._chunk_array(chunk_bytes, chunk_spec))
        return chunk_spec.prototype.buffer.from_bytes(encoded)

    def _decode_sync(self, chunk_bytes, chunk_spec):
        dtype = _native_dtype(chunk_spec)
        data = chunk_bytes.as_numpy_array().view(np.uint8)
        _check_decoded_size(self.codec_id, data, chunk_spec, dtype.itemsize)
        out = np.empty(_count(chunk_spec), dtype=dtype.newbyteorder("<"))
        self.decode(data, out=out)
        return chunk_spec.prototype.buffer.from_array_like(out.view(np.uint8))


class HuffmanQuant16(_PMCSCompressor, huffquant16.HuffmanQuant16, BytesBytesCodec):
    """``huffquant16`` for zarr 3 (bytes-to-bytes) and zarr 2 (numcodecs); see the numcodecs class.

    Examples
    --------
    >>> HuffmanQuant16(offset=100, gain=2.2).to_dict()["name"]
    'huffquant16'
    """

    def validate(self, *, shape=None, dtype=None, chunk_grid=None, **kwargs) -> None:
        if dtype is not None:
            native = _numpy_dtype(dtype)
            if native.kind != "u" or native.itemsize != 2:
                raise TypeError(f"huffquant16 compresses uint16 arrays, this array is {native}; use "
                                "hufflossless or another codec (pymecompress.list_codecs())")


class HuffmanLossless(_PMCSCompressor, hufflossless.HuffmanLossless, BytesBytesCodec):
    """``hufflossless`` for zarr 3 (bytes-to-bytes) and zarr 2 (numcodecs); see the numcodecs class."""

    def validate(self, *, shape=None, dtype=None, chunk_grid=None, **kwargs) -> None:
        if dtype is not None:
            native = _numpy_dtype(dtype)
            if native.kind not in "ui" or native.itemsize not in (1, 2):
                raise TypeError(f"hufflossless compresses 8- and 16-bit integer arrays, this array is {native}")


class VSTQuant16(_ZarrFace, vstquant16.VSTQuant16, ArrayArrayCodec):
    """``vstquant16`` for zarr 3 (array-to-array filter) and zarr 2 (numcodecs filter)."""

    def resolve_metadata(self, chunk_spec):
        return chunk_spec  # codes are uint16 like the values

    def _encode_sync(self, chunk_array, chunk_spec):
        codes = self.encode(np.asarray(chunk_array.as_ndarray_like()))
        return chunk_spec.prototype.nd_buffer.from_ndarray_like(codes)

    def _decode_sync(self, chunk_array, chunk_spec):
        codes = np.asarray(chunk_array.as_ndarray_like())
        order = "F" if codes.flags.f_contiguous and not codes.flags.c_contiguous else "C"
        values = self.decode(codes).reshape(codes.shape, order=order)  # decode keeps the memory order
        return chunk_spec.prototype.nd_buffer.from_ndarray_like(values)


class NBitPack(_ZarrFace, nbitpack.NBitPack, ArrayBytesCodec):
    """``nbitpack`` for zarr 3 (array-to-bytes serializer) and zarr 2 (numcodecs compressor)."""

    def _encode_sync(self, chunk_array, chunk_spec):
        arr = np.ascontiguousarray(chunk_array.as_ndarray_like())
        return chunk_spec.prototype.buffer.from_bytes(self.encode(arr))

    def _decode_sync(self, chunk_bytes, chunk_spec):
        dtype = _native_dtype(chunk_spec)
        out = np.empty(chunk_spec.shape, dtype=dtype)
        self.decode(chunk_bytes.as_numpy_array(), out=out)
        return chunk_spec.prototype.nd_buffer.from_ndarray_like(out)


CODECS = {cls.codec_id: cls for cls in (HuffmanQuant16, HuffmanLossless, VSTQuant16, NBitPack)}
