"""A zarr codec pipeline that decodes pymecompress chunks straight into the array the reader asked for.

zarr-python's own pipeline decodes every chunk into a fresh array and then copies the part the reader asked for
into the destination.  For a codec that decodes at about 1 GB/s per core that costs as much as the decoding
itself: the fresh array's pages are faulted in on first touch (about 1.8 us per 4 KiB page on a typical VM) and
then read again by the copy.  :class:`DirectDecodePipeline` is zarr's pipeline with one change: when a chunk is
stored with ``huffquant16`` or ``hufflossless`` (zarr v3: the ``bytes`` serializer and that compressor, nothing
else; zarr v2: that compressor and no filter) and the reader's destination holds the whole chunk as one
contiguous block, the chunk is decoded in place, in a worker thread (the C core releases the GIL).  Everything
else -- other codecs, filters, partial chunks, Fortran order, missing chunks, writing -- goes through zarr's own
pipeline unchanged, and the values read are the same either way (the tests compare both pipelines on plain,
sharded, v2 and partial reads).

It is opt-in, because a codec pipeline is a process-wide zarr setting:

>>> import zarr
>>> from pymecompress.zarr_pipeline import PIPELINE_PATH, direct_decode
>>> with direct_decode():
...     zarr.config.get("codec_pipeline.path") == PIPELINE_PATH
True

or, for a whole program (and for Dask workers), set the environment variable
``ZARR_CODEC_PIPELINE__PATH=pymecompress.zarr_pipeline.DirectDecodePipeline`` before zarr is imported, or call
``zarr.config.set({"codec_pipeline.path": PIPELINE_PATH})``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from zarr.core.codec_pipeline import BatchedCodecPipeline
from zarr.core.common import concurrent_map
from zarr.core.config import config
from zarr.registry import register_pipeline

from . import _binding

PIPELINE_PATH = "pymecompress.zarr_pipeline.DirectDecodePipeline"

# codecs whose chunks are self-describing PMCS streams (docs/FORMAT.md, "Chunk container")
_PMCS_CODECS = frozenset({"huffquant16", "hufflossless"})


def _v3_name(codec: Any) -> str | None:
    try:
        return codec.to_dict().get("name")
    except Exception:  # a codec without a zarr v3 form: not ours
        return None


def _is_direct_chain(pipeline: BatchedCodecPipeline) -> bool:
    """Whether the pipeline's chain is one a PMCS chunk decodes through straight into the destination."""
    if sys.byteorder != "little" or pipeline.array_array_codecs:
        return False
    ab = pipeline.array_bytes_codec
    if type(ab).__name__ == "V2Codec":  # zarr v2 metadata: numcodecs compressor and filters
        compressor = getattr(ab, "compressor", None)
        return not getattr(ab, "filters", None) and getattr(compressor, "codec_id", None) in _PMCS_CODECS
    if _v3_name(ab) != "bytes" or getattr(getattr(ab, "endian", None), "value", "little") != "little":
        return False
    bb = pipeline.bytes_bytes_codecs
    return len(bb) == 1 and _v3_name(bb[0]) in _PMCS_CODECS


def _basic(selection: tuple) -> bool:
    """Whether indexing with ``selection`` gives a view (slices and integers only)."""
    return all(isinstance(s, slice | int | np.integer) for s in selection)


class DirectDecodePipeline(BatchedCodecPipeline):
    """zarr's batched codec pipeline, decoding ``huffquant16``/``hufflossless`` chunks in place (see module doc)."""

    async def read_batch(self, batch_info: Iterable[tuple], out: Any, drop_axes: tuple[int, ...] = ()) -> None:
        if self.supports_partial_decode or not _is_direct_chain(self):
            await super().read_batch(batch_info, out, drop_axes)
            return
        batch = list(batch_info)
        chunk_bytes = await concurrent_map(
            [(byte_getter, spec.prototype) for byte_getter, spec, *_ in batch],
            lambda byte_getter, prototype: byte_getter.get(prototype),
            config.get("async.concurrency"),
        )
        rest = await asyncio.to_thread(self._decode_in_place, batch, chunk_bytes, out, drop_axes)
        if rest:  # what cannot be decoded in place: zarr's own way
            await super().read_batch(rest, out, drop_axes)

    @staticmethod
    def _decode_in_place(batch: list[tuple], chunk_bytes: list[Any], out: Any, drop_axes: tuple[int, ...]) -> list:
        """Decode every chunk whose destination is one contiguous block; return the batch entries left over."""
        dest_all = out.as_ndarray_like()
        rest = []
        for entry, data in zip(batch, chunk_bytes, strict=True):
            _, spec, chunk_selection, out_selection, *_ = entry
            dest = _whole_chunk_destination(dest_all, spec, chunk_selection, out_selection, drop_axes, data)
            if dest is None:
                rest.append(entry)
                continue
            buf = data.as_numpy_array()
            info = _binding.stream_info(buf)
            if info.n != dest.size or info.itemsize != dest.itemsize:
                rest.append(entry)  # zarr's pipeline reports the mismatch the way it always does
                continue
            _binding.decode_chunk(buf, dest.reshape(-1), info)
        return rest


def _whole_chunk_destination(dest_all: np.ndarray, spec: Any, chunk_selection: tuple, out_selection: tuple,
                             drop_axes: tuple[int, ...], data: Any) -> np.ndarray | None:
    """The block of the destination a whole chunk lands in, when it is one C-contiguous view; else None."""
    if data is None or spec.order != "C" or not isinstance(dest_all, np.ndarray):
        return None
    shape = tuple(spec.shape)
    if len(chunk_selection) != len(shape) or not _basic(chunk_selection) or not _basic(out_selection):
        return None
    for sel, size in zip(chunk_selection, shape, strict=True):  # the selection must be the whole chunk
        if not isinstance(sel, slice) or sel.indices(size) != (0, size, 1):
            return None
    dest = dest_all[out_selection]
    expected = tuple(size for axis, size in enumerate(shape) if axis not in drop_axes)
    if dest.shape != expected or not dest.flags.c_contiguous or not dest.flags.writeable:
        return None
    if dest.dtype != spec.dtype.to_native_dtype():
        return None
    return dest


# zarr also finds the class through the ``zarr.codec_pipeline`` entry point; registering it here as well makes it
# available to a process that imported this module before zarr read its entry points.
register_pipeline(DirectDecodePipeline)


@contextlib.contextmanager
def direct_decode() -> Iterator[None]:
    """Use :class:`DirectDecodePipeline` for the zarr arrays opened inside the ``with`` block.

    Examples
    --------
    >>> import numpy as np, tempfile, zarr
    >>> from pymecompress import HuffmanLossless
    >>> path = tempfile.mkdtemp() + "/a.zarr"
    >>> data = np.arange(4 * 64 * 64, dtype=np.uint16).reshape(4, 64, 64)
    >>> zarr.create_array(path, data=data, chunks=(1, 64, 64), compressors=[HuffmanLossless()])[...].shape
    (4, 64, 64)
    >>> with direct_decode():
    ...     bool((zarr.open_array(path)[:] == data).all())
    True
    """
    with config.set({"codec_pipeline.path": PIPELINE_PATH}):
        yield
