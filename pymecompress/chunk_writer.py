"""Write whole chunks of a zarr v3 array: encode them with pymecompress's codec in the calling thread, store the
encoded bytes through zarr's store (zarr v3 arrays, and zarr v2 ones such as OME-NGFF 0.4 images).

``arr[sel] = block`` makes zarr-python split the block into chunks, copy each one, encode it through its async
codec pipeline and store it, at a per-chunk cost several times that of encoding a 1 MB chunk with our codecs.
:class:`ChunkWriter` does the same work directly for arrays whose chunks are ``huffquant16`` or ``hufflossless``
streams (zarr v3: the ``bytes`` serializer, little-endian, then that one compressor; zarr v2: that compressor;
no filters, no sharding): each chunk
of the block is encoded by the codec zarr holds in the array's metadata (the same object and bytes zarr would
use), padded with the fill value at the array's edges as zarr pads it, skipped when it holds nothing but the fill
value and the array does not write empty chunks (zarr's rule), and stored under the key zarr's chunk key encoding
gives.  Encoded chunks are handed to the store in batches (one call per :data:`BATCH_CHUNKS` chunks or
:data:`BATCH_BYTES` bytes, whichever comes first): each call into zarr's event loop costs about a millisecond of
contended GIL, as much as encoding a chunk.  :meth:`ChunkWriter.flush` stores what is left; a writer used as a
context manager flushes on a clean exit.  zarr keeps owning the metadata, the chunk keys and the
store; anything else (other codecs, sharding, partial chunks) goes through ``arr[sel] = block``.

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
import sys
import threading
import warnings
from types import ModuleType
from typing import Any

import numpy as np

from . import registry

# the zarr v3 compressors (all write self-describing PMCS chunks, docs/FORMAT.md)
_PMCS_CODECS = frozenset(registry.codec_ids(zarr_v3=True, kinds=("compressor",)))
BATCH_CHUNKS = 64
BATCH_BYTES = 32 << 20


def _pmcs_codec(arr) -> Any | None:
    """The numcodecs codec that encodes ``arr``'s chunks on its own, when its chain is one PMCS compressor.

    zarr v3: the ``bytes`` serializer (little-endian) and one ``huffquant16``/``hufflossless`` compressor; zarr v2
    (OME-NGFF 0.4): that compressor, no filters, C order, a little-endian dtype.
    """
    metadata = arr.metadata
    if sys.byteorder != "little":
        return None
    if getattr(metadata, "zarr_format", None) == 2:
        compressor = metadata.compressor
        little = np.dtype(arr.dtype).byteorder in "<=|"
        if metadata.filters or metadata.order != "C" or not little:
            return None
        return compressor if getattr(compressor, "codec_id", None) in _PMCS_CODECS else None
    codecs = list(metadata.codecs)
    if len(codecs) != 2:
        return None
    serializer, compressor = codecs
    try:
        if serializer.to_dict()["name"] != "bytes" or compressor.to_dict()["name"] not in _PMCS_CODECS:
            return None
    except Exception:  # a codec without a zarr v3 form: not this chain
        return None
    endian = getattr(getattr(serializer, "endian", None), "value", "little")
    numcodec = getattr(compressor, "codec", None)  # the face holds the numcodecs codec that writes the bytes
    return numcodec if endian == "little" and hasattr(numcodec, "encode") else None


def _zarr_compat() -> ModuleType | None:
    """:mod:`pymecompress.zarr_compat`, which has zarr's way to run a store's coroutine on its event loop (zarr has
    no public one), or None with a warning when this zarr lacks an internal it needs: zarr then writes the blocks
    itself (the same bytes, more slowly)."""
    try:
        from . import zarr_compat
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
            self._chunks = tuple(int(c) for c in arr.chunks)
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
        starts = [s.start // c for s, c in zip(sel, self._chunks, strict=True)]
        counts = [-(-(s.stop - s.start) // c) for s, c in zip(sel, self._chunks, strict=True)]
        items = []
        for index in itertools.product(*(range(n) for n in counts)):
            local = tuple(slice(i * c, (i + 1) * c) for i, c in zip(index, self._chunks, strict=True))
            part = block[local]
            if part.shape != self._chunks:  # an edge chunk: zarr stores it whole, padded with the fill value
                whole = np.full(self._chunks, self._fill, dtype=self._dtype)
                whole[tuple(slice(0, n) for n in part.shape)] = part
                part = whole
            if not self._write_empty and self._only_fill(part):
                continue
            coords = tuple(s + i for s, i in zip(starts, index, strict=True))
            items.append((self.arr.metadata.encode_chunk_key(coords),
                          self._codec.encode(np.ascontiguousarray(part))))
        with self._lock:
            self._pending.extend(items)
            self._pending_bytes += sum(len(data) for _, data in items)
            full = len(self._pending) >= BATCH_CHUNKS or self._pending_bytes >= BATCH_BYTES
            batch = self._take() if full else []
        self._store(batch)
        return len(items)

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
        """Whether ``sel`` covers whole chunks (each axis starts on a chunk and ends on one or at the edge)."""
        shape = self.arr.shape
        return len(sel) == len(shape) and all(
            isinstance(s, slice) and s.step in (None, 1) and s.start % c == 0 and (s.stop % c == 0 or s.stop == n)
            for s, c, n in zip(sel, self._chunks, shape, strict=True))

    def _store(self, items: list[tuple[str, bytes]]) -> None:
        path = self.arr.store_path

        async def put_all() -> None:
            await asyncio.gather(*((path / key).set(self._buffer.from_bytes(data)) for key, data in items))

        if items:
            self._compat.sync(put_all())
