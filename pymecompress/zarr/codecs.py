"""zarr v3 faces of the pymecompress codecs, and the public classes that both zarr formats accept.

This module imports zarr; ``import pymecompress`` does not, so numcodecs-only users need no zarr.

Why three classes per codec
---------------------------
zarr-python 3.1 takes codec *objects* in ``zarr.create_array(compressors=..., filters=..., serializer=...)`` and
treats them by format:

- ``zarr_format=3`` accepts only instances of its codec base classes (``BytesBytesCodec``, ``ArrayArrayCodec``,
  ``ArrayBytesCodec``: ``zarr.registry._parse_bytes_bytes_codec`` checks ``isinstance``); it does *not* wrap a
  numcodecs codec (a ``numcodecs.Zstd()`` is refused with a TypeError). Every codec of a new array then goes
  through the codec hook ``evolve_from_array_spec`` (``ArrayV3Metadata.__init__``, and the sharding codec for
  its inner codecs), and the pipeline and ``zarr.json`` use what that returns.
- ``zarr_format=2`` accepts anything shaped like a numcodecs codec (``codec_id``, ``get_config``,
  ``from_config``, ``encode(buf)``, ``decode(buf, out=None)``) and calls ``encode``/``decode`` on it chunk by chunk.

Both protocols name their entry points ``encode`` and ``decode`` (zarr v3: a coroutine over a batch of (chunk,
spec) pairs; numcodecs: one buffer), so one object cannot serve both without guessing its caller from the
argument. Instead, per codec:

- the **numcodecs class** (``pymecompress.codecs.<module>``): numcodecs protocol only, registered under the
  ``numcodecs.codecs`` entry points; a thin wrapper over the plain chunk functions of its module;
- the **zarr v3 face** (``<Class>Codec`` here, e.g. :class:`HuffmanQuant16Codec`): zarr v3 protocol only,
  registered under the ``zarr.codecs`` entry points (it is what reading a ``zarr.json`` builds); it holds a
  numcodecs codec for its parameters and calls the same chunk functions through it (composition);
- the **public class** (``<Class>`` here, ``pymecompress.HuffmanQuant16`` when zarr is installed): the numcodecs
  class, also declared a zarr v3 codec of its kind so that zarr v3 admits it. Its ``encode``/``decode`` are the
  numcodecs ones, which is what zarr v2 calls; for zarr v3 its ``evolve_from_array_spec`` returns its zarr face,
  which zarr v3 then uses and writes. So ``compressors=[HuffmanQuant16(...)]`` works for both formats, and
  ``zarr.json`` holds exactly what the face writes: ``{"name": <codec id>, "configuration": <numcodecs config
  without "id">}``.

zarr v2 metadata serialises its compressor and filters by recursing into every zarr ``Metadata`` it holds (the
public class is one, through its zarr base class) and then keeps ``get_config()`` of numcodecs codecs: the public
class's ``to_dict`` therefore returns its numcodecs configuration, exactly what ``.zarray`` held before. zarr v3
never serialises a public object (it is replaced by its face first).

The public class subclasses a zarr class, so it exists only where zarr is installed: without zarr,
``pymecompress.HuffmanQuant16`` is the numcodecs class itself (the public class's base, same behaviour for
numcodecs), and ``numcodecs.get_codec`` always returns the numcodecs class, so reading numcodecs or zarr v2 data
never imports zarr. (zarr's own answer for numcodecs codecs, ``numcodecs.zarr3``, is separate classes that users
pick per format; the public class spares users that choice.)

Each codec of :mod:`pymecompress.registry` with a zarr v3 kind has its two classes written out below, a few lines
each: a face (``<Class>Codec``, on the base of its kind) and a public class; ``tests/test_codec_specs.py`` checks
that they match the registry, so a codec added there without them fails with what to write.

Examples
--------
>>> import numpy as np, zarr
>>> from pymecompress import HuffmanQuant16
>>> z = zarr.create_array({}, shape=(64, 64), chunks=(32, 32), dtype="uint16",
...                       compressors=[HuffmanQuant16(offset=100, gain=2.2)])
>>> z[:] = 100
>>> int(z[5, 5]), type(z.compressors[0]).__name__
(100, 'HuffmanQuant16Codec')
>>> z.compressors[0].to_dict()["name"]
'huffquant16'
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from zarr.abc.codec import ArrayArrayCodec, ArrayBytesCodec, BytesBytesCodec
from zarr.codecs import BytesCodec

from .. import _binding, registry
from ..codecs import hufflossless, huffquant8, huffquant16, nbitpack, vstquant16
from ..errors import DecodeError


def _numpy_dtype(dtype) -> np.dtype:
    """numpy dtype of a zarr dtype (zarr 3.1+ wraps it in a ZDType; older ones use numpy's)."""
    to_native = getattr(dtype, "to_native_dtype", None)
    return np.dtype(to_native() if to_native is not None else dtype)


def _count(chunk_spec) -> int:
    return math.prod(chunk_spec.shape)


def check_chunk_size(name: str, header, chunk_spec, itemsize: int) -> None:
    """Refuse a chunk whose header announces another size than the array's chunk (read the header only once)."""
    expected = _count(chunk_spec)
    if header.n != expected or header.itemsize != itemsize:
        raise DecodeError(f"{name}: the stored chunk holds {header.n} values of {header.itemsize} byte(s) but the "
                          f"array expects {expected} values of {itemsize} byte(s) for chunk shape "
                          f"{tuple(chunk_spec.shape)}: the chunk belongs to another array or is corrupt")


class _ZarrFace:
    """zarr v3 protocol shared by the faces: JSON form, equality, dtype check, work in a thread.

    A face holds ``codec``, an instance of its numcodecs class, for the parameters and the chunk functions.
    """

    spec: ClassVar[registry.CodecSpec]
    codec_class: ClassVar[type]
    is_fixed_size = False

    def __init__(self, **configuration: Any):
        object.__setattr__(self, "codec", self.codec_class(**configuration))

    @property
    def configuration(self) -> dict[str, Any]:
        """The codec's parameters as written to ``zarr.json`` (its numcodecs config without ``id``)."""
        config = self.codec.get_config()
        config.pop("id")
        return config

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.spec.id, "configuration": self.configuration}

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        """From ``zarr.json``: the configuration is read as the numcodecs class reads a stored one
        (``from_config``: e.g. a quantizer's configuration from before dithering keeps writing what it wrote)."""
        if data.get("name") != cls.spec.id:
            raise ValueError(f"expected a codec named {cls.spec.id!r}, got {data.get('name')!r}")
        face = cls.__new__(cls)
        object.__setattr__(face, "codec", cls.codec_class.from_config(dict(data.get("configuration") or {})))
        return face

    def evolve_from_array_spec(self, array_spec):
        return self

    def validate(self, *, shape=None, dtype=None, chunk_grid=None, **kwargs) -> None:
        if dtype is not None:
            native = _numpy_dtype(dtype)
            if native.name not in self.spec.dtypes:
                raise TypeError(f"{self.spec.id} takes {', '.join(self.spec.dtypes)} arrays, this array is {native}; "
                                "pick another codec (pymecompress.list_codecs())")

    def compute_encoded_size(self, input_byte_length: int, chunk_spec) -> int:
        raise NotImplementedError(f"{self.spec.id} output size depends on the data")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.configuration == self.configuration

    def __hash__(self) -> int:
        return hash((self.spec.id, json.dumps(self.configuration, sort_keys=True)))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.configuration.items())
        return f"{type(self).__name__}({args})"

    async def _encode_single(self, chunk, chunk_spec):
        return await asyncio.to_thread(self._encode_sync, chunk, chunk_spec)

    async def _decode_single(self, chunk, chunk_spec):
        return await asyncio.to_thread(self._decode_sync, chunk, chunk_spec)


class _CompressorFace(_ZarrFace, BytesBytesCodec):
    """Bytes-to-bytes face: reinterpret the serialized chunk with the spec's dtype and shape (the planes the PMCS
    codecs predict on are the chunk's last two axes)."""

    def _encode_sync(self, chunk_bytes, chunk_spec):
        dtype = _numpy_dtype(chunk_spec.dtype)
        raw = chunk_bytes.as_numpy_array().view(np.uint8)
        if raw.nbytes != _count(chunk_spec) * dtype.itemsize:
            raise ValueError(f"{self.spec.id}: got {raw.nbytes} bytes for a chunk of shape "
                             f"{tuple(chunk_spec.shape)} and dtype {dtype}")
        # the bytes codec before us wrote the chunk in C order, little-endian by default
        chunk = raw.view(dtype.newbyteorder("<")).reshape(chunk_spec.shape)
        return chunk_spec.prototype.buffer.from_bytes(self.codec.encode(chunk))

    def _decode_sync(self, chunk_bytes, chunk_spec):
        dtype = _numpy_dtype(chunk_spec.dtype)
        data = chunk_bytes.as_numpy_array().view(np.uint8)
        header = self.codec.read_header(data)
        check_chunk_size(self.spec.id, header, chunk_spec, dtype.itemsize)
        out = _binding.empty(_count(chunk_spec), dtype.newbyteorder("<"))
        self.codec.decode(data, out=out, header=header)
        return chunk_spec.prototype.buffer.from_array_like(out.view(np.uint8))


class _FilterFace(_ZarrFace, ArrayArrayCodec):
    """Array-to-array face (values to codes of the same dtype and shape).

    zarr v3 stores a chunk in its logical (C) order whatever memory order the array is configured with, so the
    filter sees every chunk in C order: the dithered quantizer's phases follow an element's index in that order,
    and the values a chunk decodes to do not depend on the memory order a reader asks for."""

    def resolve_metadata(self, chunk_spec):
        return chunk_spec

    def _encode_sync(self, chunk_array, chunk_spec):
        codes = self.codec.encode(np.ascontiguousarray(chunk_array.as_ndarray_like()))
        return chunk_spec.prototype.nd_buffer.from_ndarray_like(codes)

    def _decode_sync(self, chunk_array, chunk_spec):
        codes = np.ascontiguousarray(chunk_array.as_ndarray_like())
        values = self.codec.decode(codes).reshape(codes.shape)
        return chunk_spec.prototype.nd_buffer.from_ndarray_like(values)


class _SerializerFace(_ZarrFace, ArrayBytesCodec):
    """Array-to-bytes face."""

    def _encode_sync(self, chunk_array, chunk_spec):
        arr = np.ascontiguousarray(chunk_array.as_ndarray_like())
        return chunk_spec.prototype.buffer.from_bytes(self.codec.encode(arr))

    def _decode_sync(self, chunk_bytes, chunk_spec):
        dtype = _numpy_dtype(chunk_spec.dtype)
        data = chunk_bytes.as_numpy_array()
        header = self.codec.read_header(data)
        check_chunk_size(self.spec.id, header, chunk_spec, dtype.itemsize)
        out = _binding.empty(_count(chunk_spec), dtype).reshape(chunk_spec.shape)
        self.codec.decode(data, out=out, header=header)
        return chunk_spec.prototype.nd_buffer.from_ndarray_like(out)


class _AdmittedByZarr3:
    """The zarr v3 side of a public class: zarr v3 admits it as a codec of its kind and evolves it into its face.

    The numcodecs side (``encode``, ``decode``, ``get_config``, ...) comes from the numcodecs class, which comes
    before the zarr base class in the MRO: zarr v2 calls those. zarr v3 never calls ``encode``/``decode`` on this
    object: it replaces it by :meth:`zarr_codec` in ``evolve_from_array_spec`` when it builds the array metadata.
    """

    zarr_face: ClassVar[type[_ZarrFace]]

    def zarr_codec(self) -> _ZarrFace:
        """This codec's zarr v3 face (same parameters: its configuration, read as a stored one is)."""
        config = self.get_config()
        config.pop("id")
        return self.zarr_face.from_dict({"name": self.codec_id, "configuration": config})

    def evolve_from_array_spec(self, array_spec) -> _ZarrFace:
        return self.zarr_codec().evolve_from_array_spec(array_spec)

    def validate(self, **kwargs) -> None:
        self.zarr_codec().validate(**kwargs)

    def resolve_metadata(self, chunk_spec):
        return self.zarr_codec().resolve_metadata(chunk_spec)

    def compute_encoded_size(self, input_byte_length: int, chunk_spec) -> int:
        return self.zarr_codec().compute_encoded_size(input_byte_length, chunk_spec)

    def to_dict(self) -> dict[str, Any]:
        """The numcodecs configuration (``{"id": ..., **parameters}``).

        zarr serialises this object only inside zarr v2 metadata (zarr v3 replaces it by its face first, whose
        ``to_dict`` is the v3 form), where it recurses into every field that is a zarr ``Metadata`` and then
        writes what it gets: the numcodecs configuration is what zarr v2 metadata holds.
        """
        return self.get_config()

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        """From a numcodecs configuration or the zarr v3 form ``{"name": ..., "configuration": {...}}``."""
        if "id" in data:
            return cls.from_config(data)
        return cls.from_config(cls.zarr_face.from_dict(data).configuration)

    def __hash__(self) -> int:
        return hash(self.zarr_codec())


# ---- the codecs: a zarr v3 face and a public class each (registry.CODECS, every entry with zarr_v3) ----


class HuffmanQuant16Codec(_CompressorFace):
    """``huffquant16`` as a zarr v3 bytes-to-bytes codec; parameters as in
    :class:`pymecompress.codecs.huffquant16.HuffmanQuant16`."""

    spec = registry.BY_ID["huffquant16"]
    codec_class = huffquant16.HuffmanQuant16


class HuffmanQuant16(_AdmittedByZarr3, huffquant16.HuffmanQuant16, BytesBytesCodec):
    """``huffquant16`` for numcodecs and zarr v2 (this class) and zarr v3 (:class:`HuffmanQuant16Codec`);
    parameters as in :class:`pymecompress.codecs.huffquant16.HuffmanQuant16`."""

    zarr_face = HuffmanQuant16Codec


class HuffmanQuant8Codec(_CompressorFace):
    """``huffquant8`` as a zarr v3 bytes-to-bytes codec; parameters as in
    :class:`pymecompress.codecs.huffquant8.HuffmanQuant8`."""

    spec = registry.BY_ID["huffquant8"]
    codec_class = huffquant8.HuffmanQuant8


class HuffmanQuant8(_AdmittedByZarr3, huffquant8.HuffmanQuant8, BytesBytesCodec):
    """``huffquant8`` for numcodecs and zarr v2 (this class) and zarr v3 (:class:`HuffmanQuant8Codec`);
    parameters as in :class:`pymecompress.codecs.huffquant8.HuffmanQuant8`."""

    zarr_face = HuffmanQuant8Codec


class HuffmanLosslessCodec(_CompressorFace):
    """``hufflossless`` as a zarr v3 bytes-to-bytes codec; parameters as in
    :class:`pymecompress.codecs.hufflossless.HuffmanLossless`."""

    spec = registry.BY_ID["hufflossless"]
    codec_class = hufflossless.HuffmanLossless


class HuffmanLossless(_AdmittedByZarr3, hufflossless.HuffmanLossless, BytesBytesCodec):
    """``hufflossless`` for numcodecs and zarr v2 (this class) and zarr v3 (:class:`HuffmanLosslessCodec`);
    parameters as in :class:`pymecompress.codecs.hufflossless.HuffmanLossless`."""

    zarr_face = HuffmanLosslessCodec


class VSTQuant16Codec(_FilterFace):
    """``vstquant16`` as a zarr v3 array-to-array codec; parameters as in
    :class:`pymecompress.codecs.vstquant16.VSTQuant16`."""

    spec = registry.BY_ID["vstquant16"]
    codec_class = vstquant16.VSTQuant16


class VSTQuant16(_AdmittedByZarr3, vstquant16.VSTQuant16, ArrayArrayCodec):
    """``vstquant16`` for numcodecs and zarr v2 (this class) and zarr v3 (:class:`VSTQuant16Codec`); parameters
    as in :class:`pymecompress.codecs.vstquant16.VSTQuant16`."""

    zarr_face = VSTQuant16Codec


class NBitPackCodec(_SerializerFace):
    """``nbitpack`` as a zarr v3 array-to-bytes codec; parameters as in
    :class:`pymecompress.codecs.nbitpack.NBitPack`."""

    spec = registry.BY_ID["nbitpack"]
    codec_class = nbitpack.NBitPack


class NBitPack(_AdmittedByZarr3, nbitpack.NBitPack, ArrayBytesCodec):
    """``nbitpack`` for numcodecs and zarr v2 (this class) and zarr v3 (:class:`NBitPackCodec`); parameters as in
    :class:`pymecompress.codecs.nbitpack.NBitPack`."""

    zarr_face = NBitPackCodec


_PAIRS = ((HuffmanQuant16Codec, HuffmanQuant16), (HuffmanQuant8Codec, HuffmanQuant8),
          (HuffmanLosslessCodec, HuffmanLossless), (VSTQuant16Codec, VSTQuant16), (NBitPackCodec, NBitPack))

FACES: dict[str, type[_ZarrFace]] = {face.spec.id: face for face, _ in _PAIRS}
"""codec id -> zarr v3 face class (what the ``zarr.codecs`` entry points name)."""
PUBLIC: dict[str, type] = {face.spec.id: public for face, public in _PAIRS}
"""codec id -> public class (numcodecs codec that zarr v3 also admits)."""


# the numcodecs codecs of ours that turn a chunk's stored bytes into its values on their own (zarr v2 compressors)
_BYTES_CODECS = frozenset(registry.codec_ids(kinds=("compressor", "serializer")))


def sole_codec(chain: Sequence[Any]) -> Any | None:
    """The codec of ours that alone turns a chunk's stored bytes into the chunk's values and back, or None: the one
    test of "is this codec chain ours" that the readers (:mod:`pymecompress.zarr.read`) and the chunk writer
    (:mod:`pymecompress.zarr.chunk_writer`) share.

    ``chain`` is a zarr v3 chain (its codecs in order), or the codecs of zarr v2 metadata (the filters, then the
    compressor). Ours alone is, in zarr v3, the ``bytes`` serializer (little-endian) and one of our compressors,
    or one of our serializers alone: the face is returned (its ``codec`` is the numcodecs codec); in zarr v2, one
    of our compressors (a compressor or serializer in :mod:`pymecompress.registry`) without filters: that
    numcodecs codec is returned. Callers check the rest (byte order of the machine, the array's memory order).

    Examples
    --------
    >>> from zarr.codecs import BytesCodec, GzipCodec
    >>> face = FACES["hufflossless"]()
    >>> sole_codec([BytesCodec(), face]) is face, sole_codec([BytesCodec(), GzipCodec()])
    (True, None)
    >>> sole_codec([PUBLIC["hufflossless"]()]).codec_id  # zarr v2: the compressor
    'hufflossless'
    """
    chain = list(chain)
    if len(chain) == 1 and isinstance(chain[0], _SerializerFace):
        return chain[0]
    if len(chain) == 1 and not isinstance(chain[0], _ZarrFace):
        return chain[0] if getattr(chain[0], "codec_id", None) in _BYTES_CODECS else None
    if len(chain) == 2 and isinstance(chain[0], BytesCodec) and isinstance(chain[1], _CompressorFace):
        return chain[1] if getattr(chain[0].endian, "value", None) in ("little", None) else None
    return None


def create_array_kwargs(codec: str, camera, dtype: np.dtype, zarr_format: int,
                        saturation: int | None = None) -> dict[str, Any]:
    """``zarr.create_array`` keyword arguments that put the codec ``codec`` (an id) in its place.

    A compressor goes to ``compressors``, a filter to ``filters``, a serializer to ``serializer`` (zarr v3) or,
    having no such slot in zarr v2, to ``compressors``. ``camera`` (a CameraModel) and ``saturation`` (ADU; None:
    the dtype's maximum) parameterise the codecs that take a camera.

    Examples
    --------
    >>> create_array_kwargs("nbitpack", None, np.dtype("uint16"), 3)
    {'serializer': NBitPack(nbits=0), 'compressors': None}
    >>> create_array_kwargs("nbitpack", None, np.dtype("uint16"), 2)
    {'compressors': [NBitPack(nbits=0)]}
    """
    spec = registry.BY_ID[codec]
    if np.dtype(dtype).name not in spec.dtypes:
        raise ValueError(f"{codec} takes {' or '.join(spec.dtypes)} data, got {np.dtype(dtype)}")
    if spec.takes_camera:
        instance = PUBLIC[codec](**camera.to_dict(), **({} if saturation is None else {"saturation": saturation}))
    else:
        instance = PUBLIC[codec]()
    if spec.kind == "serializer" and zarr_format == 3:
        return {"serializer": instance, "compressors": None}
    return {"filters" if spec.kind == "filter" else "compressors": [instance]}
