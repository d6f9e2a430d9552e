"""The implementation of :class:`pymecompress.zarr.pipeline.ThreadedReadPipeline` (see that module for what it
does and how to turn it on).

This module needs our compiled core and zarr's internals (through :mod:`pymecompress.zarr.compat`); it is imported
the first time an array is opened with the pipeline, never by zarr's entry points.

Examples
--------
>>> import numpy as np, tempfile, zarr
>>> from pymecompress import HuffmanLossless
>>> from pymecompress.zarr.pipeline import threaded_reads
>>> path = tempfile.mkdtemp() + "/a.zarr"
>>> _ = zarr.create_array(path, data=np.ones((2, 64, 64), np.uint16), chunks=(1, 64, 64),
...                       compressors=[HuffmanLossless()])
>>> with threaded_reads():
...     arr = zarr.open_array(path)
>>> type(arr.async_array.codec_pipeline).__module__, int(arr[:].sum())
('pymecompress.zarr.read', 8192)
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from zarr import config
from zarr.abc.store import RangeByteRequest
from zarr.codecs import ShardingCodec
from zarr.storage import LocalStore

from ..errors import DecodeError
from . import codecs as zarr_codecs
from .chunk_writer import MISSING, ShardLayout, shard_layout_of
from .compat import (
    THREADED_SHARDS,
    BatchedCodecPipeline,
    RegularChunkGrid,
    ShardingByteGetter,
    concurrent_map,
    fill_value_or_default,
    get_indexer,
    read_results,
)

GROUPS_PER_THREAD = 4
"""Chunks are handed to zarr's threads in about this many groups per thread (fewer hand-offs, balanced ends)."""

Decoder = Callable[[np.ndarray, np.ndarray, Any], None]
"""decode(chunk bytes as uint8, flat destination of the chunk's dtype, chunk spec): fills the destination."""


def _face_decoder(face: Any) -> Decoder:
    """Decode through a zarr v3 face's numcodecs codec, refusing a chunk of another size the way the face does."""
    codec, name = face.codec, face.spec.id

    def decode(data: np.ndarray, dest: np.ndarray, spec: Any) -> None:
        header = codec.read_header(data)
        zarr_codecs.check_chunk_size(name, header, spec, dest.itemsize)
        codec.decode(data, out=dest, header=header)
    return decode


def _numcodec_decoder(codec: Any) -> Decoder:
    """Decode through a numcodecs codec of ours (zarr v2 compressor)."""
    def decode(data: np.ndarray, dest: np.ndarray, spec: Any) -> None:
        codec.decode(data, out=dest)
    return decode


def _chain_decoder(pipeline: BatchedCodecPipeline) -> Decoder | None:
    """The decoder of the pipeline's chain when it is one of ours alone (see the module doc and
    :func:`pymecompress.zarr.codecs.sole_codec`), else None."""
    if sys.byteorder != "little" or pipeline.array_array_codecs:
        return None
    ab, bb = pipeline.array_bytes_codec, pipeline.bytes_bytes_codecs
    if type(ab).__name__ == "V2Codec":  # zarr v2 metadata: numcodecs compressor and filters
        codec = None if bb else zarr_codecs.sole_codec([*(getattr(ab, "filters", None) or ()),
                                                        getattr(ab, "compressor", None)])
        return _numcodec_decoder(codec) if codec is not None else None
    face = zarr_codecs.sole_codec([ab, *bb])
    return _face_decoder(face) if face is not None else None


def _local_path(byte_getter: Any) -> str | None:
    """The file behind a zarr ``StorePath`` on a ``LocalStore``, else None (fetched through zarr then)."""
    store = getattr(byte_getter, "store", None)
    if type(store) is not LocalStore:
        return None
    return os.path.join(store.root, byte_getter.path)


def _read_file(path: str) -> np.ndarray | None:
    """The file's bytes, or None where zarr's LocalStore would say the chunk is missing."""
    try:
        with open(path, "rb") as fh:
            return np.frombuffer(fh.read(), np.uint8)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


class _Scratch(threading.local):
    """One scratch array per thread and chunk layout, for chunks that do not land in one block of the output."""

    def get(self, size: int, dtype: np.dtype) -> np.ndarray:
        arrays = self.__dict__.setdefault("arrays", {})
        key = (size, dtype.str)
        if key not in arrays:
            arrays.clear()  # one layout at a time: a read has one chunk shape
            arrays[key] = np.empty(size, dtype)
        return arrays[key]


_SCRATCH = _Scratch()


def _basic(selection: Any) -> bool:
    """Whether ``selection`` is a tuple of slices and integers (indexing with it gives a view)."""
    return isinstance(selection, tuple) and all(isinstance(s, slice | int | np.integer) for s in selection)


def _whole(selection: Any, shape: Sequence[int]) -> bool:
    """Whether ``selection`` (a chunk selection) takes the whole chunk, in order."""
    return isinstance(selection, tuple) and len(selection) == len(shape) and all(
        isinstance(s, slice) and s.indices(n) == (0, n, 1) for s, n in zip(selection, shape, strict=True))


def _block(dest: np.ndarray, out_selection: tuple, shape: tuple[int, ...]) -> np.ndarray | None:
    """The destination of a whole chunk as one flat C-contiguous view, when it is one; else None."""
    if not _basic(out_selection):
        return None
    view = dest[out_selection]
    if view.size != int(np.prod(shape)) or not view.flags.c_contiguous or not view.flags.writeable:
        return None
    return view.reshape(-1)


def _read_one(decode: Decoder, data: np.ndarray | None, spec: Any, chunk_selection: tuple, out_selection: tuple,
              drop_axes: tuple[int, ...], dest: np.ndarray) -> bool:
    """Everything one chunk needs, in the calling (worker) thread; whether the chunk was stored."""
    shape = tuple(spec.shape)
    if data is None:  # a chunk never written: the fill value
        dest[out_selection] = fill_value_or_default(spec)
        return False
    block = _block(dest, out_selection, shape) if not drop_axes and _whole(chunk_selection, shape) else None
    if block is not None:
        decode(data, block, spec)
        return True
    scratch = _SCRATCH.get(int(np.prod(shape)), dest.dtype)
    decode(data, scratch, spec)
    part = scratch.reshape(shape)[chunk_selection]
    dest[out_selection] = part.squeeze(axis=drop_axes) if drop_axes else part
    return True


class ThreadedReadPipeline(BatchedCodecPipeline):
    """zarr's batched codec pipeline; reads of pymecompress chunks run whole in zarr's threads (see
    :mod:`pymecompress.zarr.pipeline`).  ``read`` returns what zarr's own returns: None (zarr 3.1) or one
    ``GetResult`` per chunk (zarr 3.2+)."""

    async def read(self, batch_info: Iterable[tuple], out: Any, drop_axes: tuple[int, ...] = ()) -> Any:
        batch = list(batch_info)
        dest = out.as_ndarray_like()
        if not isinstance(dest, np.ndarray) or any(spec.order != "C" for _, spec, *_ in batch):
            return await super().read(batch, out, drop_axes)
        decode = _chain_decoder(self)
        if decode is not None:
            return read_results(await self._read_chunks(decode, batch, dest, drop_axes))
        sharding = _sharding_of_ours(self)
        if sharding is not None and not drop_axes:
            return await self._read_shards(sharding, batch, out, dest)
        local = _local_shards_of_ours(self)
        if local is not None and not drop_axes and all(_slices(entry[2], ints=True) and _slices(entry[3])
                                                       for entry in batch):
            paths = [_local_path(byte_getter) for byte_getter, *_ in batch]
            if all(path is not None for path in paths):
                return read_results(await self._read_local_shards(*local, batch, paths, dest))
        return await super().read(batch, out, drop_axes)

    async def _read_local_shards(self, layout: ShardLayout, decode: Decoder, batch: list[tuple], paths: list[str],
                                 dest: np.ndarray) -> list[bool]:
        """Shards of our chunks in files (zarr 3.2+, see :func:`_local_shards_of_ours`), read in zarr's threads as
        the sharding specification lays them out; whether each shard was stored."""
        present = [False] * len(batch)

        def run(indices: range) -> None:
            for i in indices:
                _, spec, chunk_selection, out_selection, *_ = batch[i]
                present[i] = _read_local_shard(layout, decode, paths[i], spec, chunk_selection, out_selection, dest)

        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(None, run, group) for group in _groups(len(batch))))
        return present

    async def _read_shards(self, sharding: ShardingCodec, batch: list[tuple], out: Any, dest: np.ndarray) -> Any:
        """Shards whose inner chunks are ours: each shard's chunks are read by the inner pipeline (this class)
        straight into the shard's part of the destination, instead of into a shard-sized array copied after."""
        plans = [_shard_plan(sharding, entry, dest) for entry in batch]
        planned = [i for i, plan in enumerate(plans) if plan is not None]
        rest = [i for i, plan in enumerate(plans) if plan is None]
        found = await concurrent_map([(sharding, batch[i], plans[i], out) for i in planned], _read_shard,
                                     config.get("async.concurrency"))
        present = dict(zip(planned, found, strict=True))
        if rest:  # selections that do not map onto one view of the destination: zarr's own way
            results = await super().read([batch[i] for i in rest], out, ())
            if results is None:
                return None
            present.update((i, r["status"] == "present") for i, r in zip(rest, results, strict=True))
        return read_results([present[i] for i in range(len(batch))])

    async def _read_chunks(self, decode: Decoder, batch: list[tuple], dest: np.ndarray,
                           drop_axes: tuple[int, ...]) -> list[bool]:
        """Read, decode and place every chunk of the batch in zarr's threads (see the module doc); whether each
        chunk was stored."""
        paths = [_local_path(byte_getter) for byte_getter, *_ in batch]
        if all(p is not None for p in paths):
            sources: list[Any] = paths
            fetch: Callable[[Any], np.ndarray | None] = _read_file
        else:  # not files: zarr's store fetches them (concurrently), the threads decode
            fetched = await concurrent_map([(byte_getter, spec.prototype) for byte_getter, spec, *_ in batch],
                                           lambda byte_getter, prototype: byte_getter.get(prototype),
                                           config.get("async.concurrency"))
            sources = [None if b is None else b.as_numpy_array().view(np.uint8) for b in fetched]
            fetch = _identity
        present = [False] * len(batch)

        def run(indices: range) -> None:
            for i in indices:
                _, spec, chunk_selection, out_selection, *_ = batch[i]
                present[i] = _read_one(decode, fetch(sources[i]), spec, chunk_selection, out_selection, drop_axes,
                                       dest)

        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(None, run, group) for group in _groups(len(batch))))
        return present


def _sharding_of_ours(pipeline: BatchedCodecPipeline) -> ShardingCodec | None:
    """The sharding codec of a chain that is one ``sharding_indexed`` codec whose inner chunks are ours alone,
    where this zarr lets us read shards (:data:`~pymecompress.zarr.compat.THREADED_SHARDS`)."""
    ab = pipeline.array_bytes_codec
    if not THREADED_SHARDS or pipeline.array_array_codecs or pipeline.bytes_bytes_codecs:
        return None
    if not isinstance(ab, ShardingCodec):
        return None
    inner = BatchedCodecPipeline.from_codecs(ab.codecs)
    return ab if _chain_decoder(inner) is not None else None


def _local_shards_of_ours(pipeline: BatchedCodecPipeline) -> tuple[ShardLayout, Decoder] | None:
    """Where zarr's sharding codec lacks what :func:`_sharding_of_ours` needs (zarr 3.2+): the layout and the inner
    decoder of a chain that is one ``sharding_indexed`` codec with an index this package writes
    (:func:`pymecompress.zarr.chunk_writer.shard_layout_of`) over chunks that are ours alone, else None. The pipeline
    then reads such shards from local files itself (:func:`_read_local_shard`); other stores go through zarr."""
    ab = pipeline.array_bytes_codec
    if THREADED_SHARDS or pipeline.array_array_codecs or pipeline.bytes_bytes_codecs:
        return None
    if not isinstance(ab, ShardingCodec):
        return None
    layout = shard_layout_of(ab)
    decode = _chain_decoder(BatchedCodecPipeline.from_codecs(ab.codecs)) if layout is not None else None
    return (layout, decode) if decode is not None else None


def _slices(selection: Any, ints: bool = False) -> bool:
    """Whether ``selection`` is a tuple of slices of step 1 (and, with ``ints``, integers), no fancy index."""
    return isinstance(selection, tuple) and all(
        (isinstance(s, slice) and s.step in (None, 1)) or (ints and isinstance(s, int | np.integer))
        for s in selection)


def _read_local_shard(layout: ShardLayout, decode: Decoder, path: str, spec: Any, chunk_selection: tuple,
                      out_selection: tuple, dest: np.ndarray) -> bool:
    """One shard file: its index (checked: CRC-32C, offsets inside the file), then the inner chunks the selection
    (slices of step 1 and integers) touches, each decoded into its part of ``dest`` (whole chunks straight into
    it); missing chunks, and a shard never written, take the fill value. Whether the shard was stored. A whole
    shard is read in one call, a part of one as its index and then each chunk it needs."""
    shape = tuple(int(n) for n in spec.shape)
    ints = tuple(axis for axis, s in enumerate(chunk_selection) if not isinstance(s, slice))
    if ints:  # an integer drops its axis from the destination: put it back as a view of length 1
        dest = np.expand_dims(dest[(*out_selection, Ellipsis)], ints)  # a view, also of a 0-d destination
        chunk_selection = tuple(s if isinstance(s, slice) else slice(int(s), int(s) + 1) for s in chunk_selection)
        out_selection = tuple(slice(0, n) for n in dest.shape)
    per_shard = tuple(s // c for s, c in zip(shape, layout.chunks, strict=True))
    n = int(np.prod(per_shard))
    size = layout.index_bytes(n)
    try:
        fh = open(path, "rb")  # noqa: SIM115 (closed below; the reads depend on what the index says)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        dest[out_selection] = fill_value_or_default(spec)
        return False
    with fh:
        length = os.fstat(fh.fileno()).st_size
        if length < size:
            raise DecodeError(f"{path}: a shard of {length} bytes cannot hold its index of {size} bytes: the shard "
                              "is truncated or belongs to another array")
        whole = fh.read() if _whole(chunk_selection, shape) else None
        if whole is not None:
            table = whole[length - size:] if layout.at_end else whole[:size]
        else:
            fh.seek(length - size if layout.at_end else 0)
            table = fh.read(size)
        index = _shard_index(table, layout, n, length, path)
        fill = None
        inner_spec = _InnerSpec(layout.chunks)
        for coords, inner, out in _inner_parts(chunk_selection, out_selection, shape, layout.chunks, dest.shape):
            offset, nbytes = index[int(np.ravel_multi_index(coords, per_shard))]
            if offset == MISSING:
                if fill is None:
                    fill = fill_value_or_default(spec)
                dest[out] = fill
                continue
            if whole is not None:
                data = np.frombuffer(whole, np.uint8, count=int(nbytes), offset=int(offset))
            else:
                fh.seek(int(offset))
                data = np.frombuffer(fh.read(int(nbytes)), np.uint8)
            _read_one(decode, data, inner_spec, inner, out, (), dest)
    return True


class _InnerSpec:
    """What a decoder asks of a chunk's spec (its shape), for the inner chunks of a shard."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape


def _shard_index(table: bytes, layout: ShardLayout, n: int, length: int, path: str) -> np.ndarray:
    """The (offset, length) pairs of a shard's index, checked against its CRC-32C and the shard's length."""
    from .._binding import crc32c

    if layout.crc:
        stored = int.from_bytes(table[-4:], "little")
        if crc32c(np.frombuffer(table[:-4], np.uint8)) != stored:
            raise DecodeError(f"{path}: the shard index fails its CRC-32C check: the shard is corrupt")
    index = np.frombuffer(table, "<u8", count=2 * n).reshape(n, 2)
    stored = index[:, 0] != MISSING
    if np.any(index[stored, 0] + index[stored, 1] > length) or np.any(index[stored, 0] > length):
        raise DecodeError(f"{path}: the shard index points past the end of the shard: the shard is corrupt")
    return index


def _inner_parts(chunk_selection: tuple, out_selection: tuple, shape: tuple[int, ...], chunks: tuple[int, ...],
                 dest_shape: tuple[int, ...]):
    """(inner chunk coordinates, selection within it, selection of the destination) of every inner chunk that
    ``chunk_selection`` (slices of step 1 within a shard of ``shape``) touches; ``out_selection`` (slices of step 1
    of the destination) says where the selection goes."""
    axes = []
    for sel, out, n, c, m in zip(chunk_selection, out_selection, shape, chunks, dest_shape, strict=True):
        start, stop, _ = sel.indices(n)
        first = out.indices(m)[0]
        parts = []
        for j in range(start // c, (stop - 1) // c + 1 if stop > start else start // c):
            lo, hi = max(start, j * c), min(stop, (j + 1) * c)
            parts.append((j, slice(lo - j * c, hi - j * c), slice(first + lo - start, first + hi - start)))
        axes.append(parts)
    for combo in itertools.product(*axes):
        yield (tuple(p[0] for p in combo), tuple(p[1] for p in combo), tuple(p[2] for p in combo))


def _shard_plan(sharding: ShardingCodec, entry: tuple, dest: np.ndarray) -> tuple[Any, np.ndarray] | None:
    """(indexer of the chunks of one shard, the shard's view of the destination), or None when the shard's part of
    the destination is not one view of the same shape (fancy selections)."""
    _, shard_spec, shard_selection, out_selection, *_ = entry
    if not _basic(out_selection):
        return None
    indexer = get_indexer(shard_selection, shape=shard_spec.shape,
                          chunk_grid=RegularChunkGrid(chunk_shape=sharding.chunk_shape))
    view = dest[out_selection]
    if not isinstance(view, np.ndarray) or hasattr(indexer, "sel_shape") or tuple(indexer.shape) != view.shape:
        return None  # a single element comes out as a scalar, not a view
    return indexer, view


async def _read_shard(sharding: ShardingCodec, entry: tuple, plan: tuple[Any, np.ndarray], out: Any) -> bool:
    """One shard: its chunks' bytes fetched as zarr's sharding codec fetches them (the whole shard when all its
    chunks are wanted, else the index and then each chunk), then decoded by the inner pipeline into ``view``;
    whether the shard was stored."""
    byte_getter, shard_spec = entry[0], entry[1]
    indexer, view = plan
    per_shard = sharding._get_chunks_per_shard(shard_spec)
    chunk_spec = sharding._get_chunk_spec(shard_spec)
    entries = list(indexer)
    wanted = {coords for coords, *_ in entries}
    chunks: dict[tuple[int, ...], Any] | Any | None
    if sharding._is_total_shard(wanted, per_shard):
        chunks = await sharding._load_full_shard_maybe(byte_getter=byte_getter, prototype=chunk_spec.prototype,
                                                       chunks_per_shard=per_shard)
    else:
        index = await sharding._load_shard_index_maybe(byte_getter, per_shard)
        chunks = None if index is None else {}
        for coords in sorted(wanted) if index is not None else ():
            where = index.get_chunk_slice(coords)
            if where:
                data = await byte_getter.get(prototype=chunk_spec.prototype,
                                             byte_range=RangeByteRequest(where[0], where[1]))
                if data:
                    chunks[coords] = data
    if chunks is None:  # a shard never written: the fill value
        view[...] = fill_value_or_default(shard_spec)
        return False
    target = type(out).from_ndarray_like(view)
    # this class for the inner chunks too (``sharding.codec_pipeline`` would take zarr's setting at read time)
    await ThreadedReadPipeline.from_codecs(sharding.codecs).read(
        [(ShardingByteGetter(chunks, coords), chunk_spec, chunk_selection, out_selection, complete)
         for coords, chunk_selection, out_selection, complete in entries], target)
    return True


def _identity(value: Any) -> Any:
    return value


def _groups(n: int) -> list[range]:
    """``range(n)`` cut into consecutive groups, about :data:`GROUPS_PER_THREAD` per zarr thread."""
    threads = config.get("threading.max_workers") or min(32, (os.cpu_count() or 1) + 4)
    count = max(1, min(n, GROUPS_PER_THREAD * int(threads)))
    bounds = [n * k // count for k in range(count + 1)]
    return [range(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
