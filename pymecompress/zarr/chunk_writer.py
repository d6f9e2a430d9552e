"""Write whole chunks of a zarr v3 array: encode them with pymecompress's codec in the calling thread, store the
encoded bytes through zarr's store (zarr v3 arrays, and zarr v2 ones such as OME-NGFF 0.4 images).

``arr[sel] = block`` makes zarr-python split the block into chunks, copy each one, encode it through its async codec
pipeline and store it, at a per-chunk cost several times that of encoding a 1 MB chunk with our codecs.
:class:`ChunkWriter` does the same work directly for arrays whose chunks are ``huffquant16`` or ``hufflossless``
streams (zarr v3: the ``bytes`` serializer, little-endian, then that one compressor, sharded or not; zarr v2: that
compressor; no filters): each chunk of the block is encoded by the codec zarr holds in the array's metadata (the
same object and bytes zarr would use), padded with the fill value at the array's edges as zarr pads it, skipped when
it holds nothing but the fill value and the array does not write empty chunks (zarr's rule), and stored under the
key zarr's chunk key encoding gives. In a sharded array the block covers whole shards, and each shard is assembled
here as the zarr v3 sharding specification lays it out (:class:`ShardLayout`): one file or object per shard. Encoded
chunks are handed to the store in batches (one call per :data:`BATCH_CHUNKS` chunks or :data:`BATCH_BYTES` bytes,
whichever comes first): each call into zarr's event loop costs about a millisecond of contended GIL, as much as
encoding a chunk. :meth:`ChunkWriter.flush` stores what is left; a writer used as a context manager flushes on a
clean exit. zarr keeps owning the metadata, the chunk keys and the store; anything else (other codecs or index
codecs, blocks that are not whole chunks or shards) goes through ``arr[sel] = block``.

Examples
--------
>>> import numpy as np, tempfile, zarr
>>> from pymecompress import HuffmanLossless
>>> arr = zarr.create_array(tempfile.mkdtemp() + "/a.zarr", shape=(2, 70, 90), chunks=(1, 64, 64),
...                         dtype="uint16", fill_value=0, compressors=[HuffmanLossless()])
>>> block = np.arange(70 * 90, dtype=np.uint16).reshape(1, 70, 90)
>>> with ChunkWriter(arr) as writer:
...     writer.direct, writer.write((slice(1, 2), slice(0, 70), slice(0, 90)), block)
(True, 4)
>>> bool((arr[1] == block[0]).all())
True
"""

from __future__ import annotations

import asyncio
import itertools
import struct
import sys
import threading
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from .. import registry

# the zarr v3 compressors (all write self-describing PMCS chunks, docs/FORMAT.md)
_PMCS_CODECS = frozenset(registry.codec_ids(zarr_v3=True, kinds=("compressor",)))
BATCH_CHUNKS = 64
BATCH_BYTES = 8 << 20  # encoded bytes held before a store call: convert's peak memory grows with it (32 MB
# of batches with 4 MB chunks: +21 MB peak RSS on a 336 MB input; 8 MB: -3 MB, at the same speed)
MISSING = 2**64 - 1  # a shard index entry (offset and length) of a chunk not stored


def _pmcs_codec(arr) -> Any | None:
    """The numcodecs codec that encodes ``arr``'s chunks on its own, when its chain is one PMCS compressor.

    zarr v3: the ``bytes`` serializer (little-endian) and one ``huffquant16``/``hufflossless`` compressor, also as
    the inner chain of a ``sharding_indexed`` codec (:func:`_shard_layout`); zarr v2 (OME-NGFF 0.4): that
    compressor, no filters, C order, a little-endian dtype.
    """
    metadata = arr.metadata
    if sys.byteorder != "little":
        return None
    if getattr(metadata, "zarr_format", None) == 2:
        from .codecs import sole_codec

        little = np.dtype(arr.dtype).byteorder in "<=|"
        if metadata.order != "C" or not little:
            return None
        codec = sole_codec([*(metadata.filters or ()), metadata.compressor])
        return codec if getattr(codec, "codec_id", None) in _PMCS_CODECS else None
    codecs = list(metadata.codecs)
    if len(codecs) == 1 and _name(codecs[0]) == "sharding_indexed":
        return _chain_codec(list(codecs[0].codecs)) if _shard_layout(arr) is not None else None
    return _chain_codec(codecs)


def _name(codec) -> str | None:
    try:
        return codec.to_dict()["name"]
    except Exception:  # a codec without a zarr v3 form: not ours
        return None


def _chain_codec(codecs: list) -> Any | None:
    """The numcodecs codec of a zarr v3 chain that is the ``bytes`` serializer (little-endian) and one PMCS
    compressor (:func:`pymecompress.zarr.codecs.sole_codec`), else None."""
    from .codecs import sole_codec

    face = sole_codec(codecs)
    numcodec = getattr(face, "codec", None)  # the face holds the numcodecs codec that writes the bytes
    return numcodec if face is not None and face.spec.id in _PMCS_CODECS and hasattr(numcodec, "encode") else None


@dataclass(frozen=True)
class ShardLayout:
    """How a ``sharding_indexed`` array's shards are laid out (the zarr v3 sharding specification): the inner
    chunk shape, and an index of (offset, length) little-endian uint64 pairs for the inner chunks in C order (both
    2^64 - 1 for a missing chunk), followed by its CRC-32C (little-endian uint32) when ``crc``, at the shard's
    ``end`` or ``start``."""

    chunks: tuple[int, ...]
    crc: bool
    at_end: bool

    def index_bytes(self, n_chunks: int) -> int:
        """The size of the index of a shard of ``n_chunks`` inner chunks."""
        return 16 * n_chunks + (4 if self.crc else 0)


def _shard_layout(arr) -> ShardLayout | None:
    """The layout of ``arr``'s shards when it is sharded with an index this writer writes, else None."""
    if getattr(arr.metadata, "zarr_format", None) != 3 or len(arr.metadata.codecs) != 1:
        return None
    return shard_layout_of(arr.metadata.codecs[0])


def shard_layout_of(sharding) -> ShardLayout | None:
    """The layout of a ``sharding_indexed`` codec's shards when its index is one this package writes and reads
    (``bytes``, little-endian, with or without ``crc32c``, at the start or the end), else None."""
    if _name(sharding) != "sharding_indexed":
        return None
    index = [_name(c) for c in sharding.index_codecs]
    little = getattr(getattr(sharding.index_codecs[0], "endian", None), "value", "little") == "little"
    location = getattr(sharding.index_location, "value", sharding.index_location)
    if index not in (["bytes"], ["bytes", "crc32c"]) or not little or location not in ("start", "end"):
        return None
    return ShardLayout(tuple(int(c) for c in sharding.chunk_shape), len(index) == 2, location == "end")


def _zarr_compat() -> ModuleType | None:
    """:mod:`pymecompress.zarr.compat`, which has zarr's way to run a store's coroutine on its event loop (zarr has
    no public one), or None with a warning when this zarr lacks an internal it needs: zarr then writes the blocks
    itself (the same bytes, more slowly)."""
    try:
        from . import compat as zarr_compat
    except ImportError as error:
        warnings.warn(f"{error} Writing through zarr instead.", RuntimeWarning, stacklevel=3)
        return None
    return zarr_compat


class ChunkWriter:
    """Writes blocks made of whole chunks (up to the array's edges) to one zarr v3 array (see the module doc).

    Parameters
    ----------
    arr : zarr.Array
        The array, opened for writing.

    Attributes
    ----------
    direct : bool
        Whether blocks are encoded here and stored through the store (else ``arr[sel] = block``).
    """

    def __init__(self, arr) -> None:
        self.arr = arr
        self._codec = _pmcs_codec(arr)
        self._compat = _zarr_compat() if self._codec is not None else None
        self.direct = self._compat is not None
        if self.direct:
            from zarr.buffer import default_buffer_prototype

            self._buffer = default_buffer_prototype().buffer
            self._chunks = tuple(int(c) for c in arr.chunks)  # the inner chunks of a sharded array
            self._layout = _shard_layout(arr)
            self._unit = tuple(int(c) for c in arr.shards) if self._layout is not None else self._chunks
            self._dtype = np.dtype(arr.dtype)
            self._fill = np.asarray(arr.fill_value, dtype=self._dtype)
            self._write_empty = bool(arr.config.write_empty_chunks)
        self._pending: list[tuple[str, bytes]] = []
        self._pending_bytes = 0
        self._lock = threading.Lock()

    def __enter__(self) -> ChunkWriter:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.flush()

    def write(self, sel: tuple[slice, ...], block: np.ndarray) -> int | None:
        """Write ``block`` at ``sel`` (slices on chunk boundaries; axes it leaves out are whole).

        Returns the number of chunks encoded here (stored now or by a later :meth:`flush`), or None when zarr
        wrote the block (``arr[sel] = block``).  Safe to call from several threads at once.
        """
        sel = tuple(sel) + tuple(slice(0, n) for n in self.arr.shape[len(sel):])
        if not self.direct or not self._aligned(sel):
            self.arr[sel] = block
            return None
        block = np.asarray(block, dtype=self._dtype).reshape(tuple(s.stop - s.start for s in sel))
        unit = self._unit  # a chunk, or a shard of chunks
        starts = [s.start // c for s, c in zip(sel, unit, strict=True)]
        counts = [-(-(s.stop - s.start) // c) for s, c in zip(sel, unit, strict=True)]
        items = []
        for index in itertools.product(*(range(n) for n in counts)):
            local = tuple(slice(i * c, (i + 1) * c) for i, c in zip(index, unit, strict=True))
            data = self._encode(block[local]) if self._layout is None else self._shard(block[local])
            if data is not None:
                coords = tuple(s + i for s, i in zip(starts, index, strict=True))
                items.append((self.arr.metadata.encode_chunk_key(coords), data))
        with self._lock:
            self._pending.extend(items)
            self._pending_bytes += sum(len(data) for _, data in items)
            full = len(self._pending) >= BATCH_CHUNKS or self._pending_bytes >= BATCH_BYTES
            batch = self._take() if full else []
        self._store(batch)
        return len(items)

    def store_chunk(self, coords: tuple[int, ...], data: bytes) -> None:
        """Store ``data``, one chunk already encoded by this array's codec (the bytes zarr would store for it), at
        chunk coordinates ``coords``, now.  For writers that store directly (:attr:`direct`) into arrays without
        shards; the caller guarantees the bytes (e.g. a live stream recording the chunks it sends).

        Examples
        --------
        >>> import numcodecs, numpy as np, tempfile, zarr
        >>> from pymecompress import HuffmanLossless
        >>> arr = zarr.create_array(tempfile.mkdtemp() + "/a.zarr", shape=(1, 4, 4), chunks=(1, 4, 4),
        ...                         dtype="uint16", compressors=[HuffmanLossless()])
        >>> frame = np.arange(16, dtype=np.uint16).reshape(4, 4)
        >>> ChunkWriter(arr).store_chunk((0, 0, 0), numcodecs.get_codec({"id": "hufflossless"}).encode(frame))
        >>> bool((arr[0] == frame).all())
        True
        """
        if not self.direct or self._layout is not None:
            raise ValueError("store_chunk needs an array whose chunks this writer stores directly, without shards "
                             "(see ChunkWriter.direct); write the values with write() instead")
        grid = [-(-n // c) for n, c in zip(self.arr.shape, self._chunks, strict=True)]
        if len(coords) != len(grid) or not all(0 <= i < n for i, n in zip(coords, grid, strict=True)):
            raise ValueError(f"chunk coordinates {tuple(coords)} outside the array's chunk grid {tuple(grid)}")
        self._store([(self.arr.metadata.encode_chunk_key(tuple(int(i) for i in coords)), data)])

    def _encode(self, part: np.ndarray) -> bytes | None:
        """One chunk's stream, or None when zarr would not store it (nothing but the fill value)."""
        if part.shape != self._chunks:  # an edge chunk: zarr stores it whole, padded with the fill value
            whole = np.full(self._chunks, self._fill, dtype=self._dtype)
            whole[tuple(slice(0, n) for n in part.shape)] = part
            part = whole
        if not self._write_empty and self._only_fill(part):
            return None
        return self._codec.encode(np.ascontiguousarray(part))

    def _shard(self, part: np.ndarray) -> bytes | None:
        """One shard (see :class:`ShardLayout`) of the inner chunks of ``part`` (a shard, cut short at the array's
        edges), or None when it holds no chunk to store."""
        from .._binding import crc32c

        layout = self._layout
        per_shard = [u // c for u, c in zip(self._unit, layout.chunks, strict=True)]
        index = np.full((int(np.prod(per_shard)), 2), MISSING, dtype="<u8")
        pieces, offset = [], 0
        for i, inner in enumerate(itertools.product(*(range(n) for n in per_shard))):
            region = tuple(slice(j * c, (j + 1) * c) for j, c in zip(inner, layout.chunks, strict=True))
            sub = part[region]
            if 0 in sub.shape:  # beyond the array's edge
                continue
            data = self._encode(sub)
            if data is not None:
                index[i] = (offset, len(data))
                pieces.append(data)
                offset += len(data)
        if not pieces:
            return None
        index_bytes = layout.index_bytes(len(index))
        if not layout.at_end:  # the index first: the chunks' offsets count it
            index[index[:, 0] != MISSING, 0] += index_bytes
        table = index.tobytes()
        if layout.crc:
            table += struct.pack("<I", crc32c(table))
        return b"".join(pieces) + table if layout.at_end else table + b"".join(pieces)

    def flush(self) -> None:
        """Store the encoded chunks not stored yet."""
        with self._lock:
            batch = self._take()
        self._store(batch)

    def _take(self) -> list[tuple[str, bytes]]:
        batch, self._pending, self._pending_bytes = self._pending, [], 0
        return batch

    def _only_fill(self, part: np.ndarray) -> bool:
        """Whether the chunk holds nothing but the fill value (one element decides for almost every chunk of camera
        data, instead of a pass over the whole chunk)."""
        first = part[(0,) * part.ndim] if part.size else self._fill
        return bool(first == self._fill) and bool((part == self._fill).all())

    def _aligned(self, sel: tuple[slice, ...]) -> bool:
        """Whether ``sel`` covers whole chunks, or whole shards of a sharded array (each axis starts on one and ends
        on one or at the edge)."""
        shape = self.arr.shape
        return len(sel) == len(shape) and all(
            isinstance(s, slice) and s.step in (None, 1) and s.start % c == 0 and (s.stop % c == 0 or s.stop == n)
            for s, c, n in zip(sel, self._unit, shape, strict=True))

    def _store(self, items: list[tuple[str, bytes]]) -> None:
        path = self.arr.store_path

        async def put_all() -> None:
            await asyncio.gather(*((path / key).set(self._buffer.from_bytes(data)) for key, data in items))

        if items:
            self._compat.sync(put_all())
