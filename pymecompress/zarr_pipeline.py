"""A zarr codec pipeline that reads pymecompress chunks with the codec's speed: :class:`ThreadedReadPipeline`.

zarr-python's own pipeline (``BatchedCodecPipeline``) handles every chunk with several coroutine steps on its one
event-loop thread: fetch the bytes (a round trip to a worker thread), decode them (another round trip) into a
fresh array, then copy the part the reader asked for into the destination, on the event-loop thread.  With codecs
that decode 1 MB in about a millisecond, that per-chunk work in one thread, not the decoding, limits the read.

:class:`ThreadedReadPipeline` is zarr's pipeline with one change to :meth:`~ThreadedReadPipeline.read`: when the
array's chunks are pymecompress streams read through one of our codecs alone (zarr v3: the ``bytes`` serializer,
little-endian, and one pymecompress compressor, or a pymecompress serializer alone; zarr v2: a pymecompress
compressor and no filter; C order), each of zarr's worker threads takes a group of chunks and does the whole
work of each chunk itself: read the file (local stores; other stores are fetched through zarr first, all at once),
decode it straight into the destination when the chunk lands there as one contiguous block (else into a scratch
array kept per thread, then copy the selected part), or fill a missing chunk with the fill value.  Keys, the
reading of bytes from other stores, sharding, filters, other codecs and every write stay zarr's own; the values
read are the same (the tests compare both pipelines on plain, sharded, zarr v2, partial and fancy selections,
and through Dask and xarray).

It is opt-in, because a codec pipeline is a process-wide zarr setting.  For one block of code:

>>> import zarr
>>> from pymecompress.zarr_pipeline import PIPELINE_PATH, threaded_reads
>>> with threaded_reads():
...     zarr.config.get("codec_pipeline.path") == PIPELINE_PATH
True

for a whole program (Dask workers included), set the environment variable
``ZARR_CODEC_PIPELINE__PATH=pymecompress.zarr_pipeline.ThreadedReadPipeline`` before zarr is imported (zarr finds
the class through the ``zarr.codec_pipeline`` entry point), or call ``zarr.config.set({"codec_pipeline.path":
PIPELINE_PATH})``.  Arrays opened before the setting keep the pipeline they were opened with.  The number of
threads is zarr's: ``zarr.config.set({"threading.max_workers": N})`` before zarr's first use.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from zarr.abc.store import RangeByteRequest
from zarr.codecs import BytesCodec
from zarr.codecs.sharding import ShardingCodec, _ShardingByteGetter
from zarr.core.chunk_grids import RegularChunkGrid
from zarr.core.codec_pipeline import BatchedCodecPipeline, fill_value_or_default
from zarr.core.common import concurrent_map
from zarr.core.config import config
from zarr.core.indexing import get_indexer
from zarr.registry import register_pipeline
from zarr.storage import LocalStore

from . import registry, zarr_codecs

PIPELINE_PATH = "pymecompress.zarr_pipeline.ThreadedReadPipeline"
GROUPS_PER_THREAD = 4
"""Chunks are handed to zarr's threads in about this many groups per thread (fewer hand-offs, balanced ends)."""

# numcodecs codec ids whose chunks decode into the array's bytes on their own
_BYTES_CODECS = frozenset(registry.codec_ids(kinds=("compressor", "serializer")))

Decoder = Callable[[np.ndarray, np.ndarray, Any], None]
"""decode(chunk bytes as uint8, flat destination of the chunk's dtype, chunk spec): fills the destination."""


def _face_decoder(face: Any) -> Decoder:
    """Decode through a zarr v3 face's numcodecs codec, refusing a chunk of another size the way the face does."""
    codec, name = face.codec, face.spec.id

    def decode(data: np.ndarray, dest: np.ndarray, spec: Any) -> None:
        header = codec.read_header(data)
        zarr_codecs._check_size(name, header, spec, dest.itemsize)
        codec.decode(data, out=dest, header=header)
    return decode


def _numcodec_decoder(codec: Any) -> Decoder:
    """Decode through a numcodecs codec of ours (zarr v2 compressor)."""
    def decode(data: np.ndarray, dest: np.ndarray, spec: Any) -> None:
        codec.decode(data, out=dest)
    return decode


def _chain_decoder(pipeline: BatchedCodecPipeline) -> Decoder | None:
    """The decoder of the pipeline's chain when it is one of ours alone (see the module doc), else None."""
    if sys.byteorder != "little" or pipeline.array_array_codecs:
        return None
    ab, bb = pipeline.array_bytes_codec, pipeline.bytes_bytes_codecs
    if type(ab).__name__ == "V2Codec":  # zarr v2 metadata: numcodecs compressor and filters
        compressor = getattr(ab, "compressor", None)
        if bb or getattr(ab, "filters", None) or getattr(compressor, "codec_id", None) not in _BYTES_CODECS:
            return None
        return _numcodec_decoder(compressor)
    if isinstance(ab, zarr_codecs._SerializerFace) and not bb:
        return _face_decoder(ab)
    if isinstance(ab, BytesCodec) and len(bb) == 1 and isinstance(bb[0], zarr_codecs._CompressorFace):
        endian = getattr(ab.endian, "value", None)
        return _face_decoder(bb[0]) if endian in ("little", None) else None
    return None


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
              drop_axes: tuple[int, ...], dest: np.ndarray) -> None:
    """Everything one chunk needs, in the calling (worker) thread."""
    shape = tuple(spec.shape)
    if data is None:  # a chunk never written: the fill value
        dest[out_selection] = fill_value_or_default(spec)
        return
    block = _block(dest, out_selection, shape) if not drop_axes and _whole(chunk_selection, shape) else None
    if block is not None:
        decode(data, block, spec)
        return
    scratch = _SCRATCH.get(int(np.prod(shape)), dest.dtype)
    decode(data, scratch, spec)
    part = scratch.reshape(shape)[chunk_selection]
    dest[out_selection] = part.squeeze(axis=drop_axes) if drop_axes else part


class ThreadedReadPipeline(BatchedCodecPipeline):
    """zarr's batched codec pipeline; reads of pymecompress chunks run whole in zarr's threads (see module doc)."""

    async def read(self, batch_info: Iterable[tuple], out: Any, drop_axes: tuple[int, ...] = ()) -> None:
        batch = list(batch_info)
        dest = out.as_ndarray_like()
        if not isinstance(dest, np.ndarray) or any(spec.order != "C" for _, spec, *_ in batch):
            await super().read(batch, out, drop_axes)
            return
        decode = _chain_decoder(self)
        if decode is not None:
            await self._read_chunks(decode, batch, dest, drop_axes)
            return
        sharding = _sharding_of_ours(self)
        if sharding is not None and not drop_axes:
            await self._read_shards(sharding, batch, out, dest)
            return
        await super().read(batch, out, drop_axes)

    async def _read_shards(self, sharding: ShardingCodec, batch: list[tuple], out: Any, dest: np.ndarray) -> None:
        """Shards whose inner chunks are ours: each shard's chunks are read by the inner pipeline (this class)
        straight into the shard's part of the destination, instead of into a shard-sized array copied after."""
        plans = [_shard_plan(sharding, entry, dest) for entry in batch]
        rest = [entry for entry, plan in zip(batch, plans, strict=True) if plan is None]
        await concurrent_map([(sharding, entry, plan, out) for entry, plan in zip(batch, plans, strict=True)
                              if plan is not None], _read_shard, config.get("async.concurrency"))
        if rest:  # selections that do not map onto one view of the destination: zarr's own way
            await super().read(rest, out, ())

    async def _read_chunks(self, decode: Decoder, batch: list[tuple], dest: np.ndarray,
                           drop_axes: tuple[int, ...]) -> None:
        """Read, decode and place every chunk of the batch in zarr's threads (see the module doc)."""
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

        def run(indices: range) -> None:
            for i in indices:
                _, spec, chunk_selection, out_selection, *_ = batch[i]
                _read_one(decode, fetch(sources[i]), spec, chunk_selection, out_selection, drop_axes, dest)

        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(None, run, group) for group in _groups(len(batch))))


def _sharding_of_ours(pipeline: BatchedCodecPipeline) -> ShardingCodec | None:
    """The sharding codec of a chain that is one ``sharding_indexed`` codec whose inner chunks are ours alone."""
    ab = pipeline.array_bytes_codec
    if pipeline.array_array_codecs or pipeline.bytes_bytes_codecs or not isinstance(ab, ShardingCodec):
        return None
    if not all(hasattr(ab, name) for name in _SHARDING_HELPERS):
        return None  # another zarr-python than the one this was written against: zarr's own way
    inner = BatchedCodecPipeline.from_codecs(ab.codecs)
    return ab if _chain_decoder(inner) is not None else None


# the parts of zarr-python's ShardingCodec (3.1) that a shard read uses; without them, shards are read by zarr
_SHARDING_HELPERS = ("chunk_shape", "codecs", "_get_chunks_per_shard", "_get_chunk_spec", "_is_total_shard",
                     "_load_full_shard_maybe", "_load_shard_index_maybe")


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


async def _read_shard(sharding: ShardingCodec, entry: tuple, plan: tuple[Any, np.ndarray], out: Any) -> None:
    """One shard: its chunks' bytes fetched as zarr's sharding codec fetches them (the whole shard when all its
    chunks are wanted, else the index and then each chunk), then decoded by the inner pipeline into ``view``."""
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
        return
    target = type(out).from_ndarray_like(view)
    # this class for the inner chunks too (``sharding.codec_pipeline`` would take zarr's setting at read time)
    await ThreadedReadPipeline.from_codecs(sharding.codecs).read(
        [(_ShardingByteGetter(chunks, coords), chunk_spec, chunk_selection, out_selection, complete)
         for coords, chunk_selection, out_selection, complete in entries], target)


def _identity(value: Any) -> Any:
    return value


def _groups(n: int) -> list[range]:
    """``range(n)`` cut into consecutive groups, about :data:`GROUPS_PER_THREAD` per zarr thread."""
    threads = config.get("threading.max_workers") or min(32, (os.cpu_count() or 1) + 4)
    count = max(1, min(n, GROUPS_PER_THREAD * int(threads)))
    bounds = [n * k // count for k in range(count + 1)]
    return [range(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


# zarr also finds the class through the ``zarr.codec_pipeline`` entry point; registering it here as well makes it
# available to a process that imported this module after zarr read its entry points.
register_pipeline(ThreadedReadPipeline)


@contextlib.contextmanager
def threaded_reads() -> Iterator[None]:
    """Use :class:`ThreadedReadPipeline` for the zarr arrays opened inside the ``with`` block.

    Examples
    --------
    >>> import numpy as np, tempfile, zarr
    >>> from pymecompress import HuffmanLossless
    >>> path = tempfile.mkdtemp() + "/a.zarr"
    >>> data = np.arange(4 * 64 * 64, dtype=np.uint16).reshape(4, 64, 64)
    >>> _ = zarr.create_array(path, data=data, chunks=(1, 64, 32), compressors=[HuffmanLossless()])
    >>> with threaded_reads():
    ...     arr = zarr.open_array(path)
    >>> type(arr._async_array.codec_pipeline).__name__, bool((arr[:] == data).all())
    ('ThreadedReadPipeline', True)
    """
    with config.set({"codec_pipeline.path": PIPELINE_PATH}):
        yield
