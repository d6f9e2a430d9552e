"""A zarr codec pipeline that reads pymecompress chunks with the codec's speed: :class:`ThreadedReadPipeline`.

zarr-python's own pipeline (``BatchedCodecPipeline``) handles every chunk with several coroutine steps on its one
event-loop thread: fetch the bytes (a round trip to a worker thread), decode them (another round trip) into a
fresh array, then copy the part the reader asked for into the destination, on the event-loop thread.  With codecs
that decode 1 MB in about a millisecond, that per-chunk work in one thread, not the decoding, limits the read.

:class:`ThreadedReadPipeline` is zarr's pipeline with one change to ``read``: when the array's chunks are
pymecompress streams read through one of our codecs alone (zarr v3: the ``bytes`` serializer, little-endian, and
one pymecompress compressor, or a pymecompress serializer alone; zarr v2: a pymecompress compressor and no
filter; C order), each of zarr's worker threads takes a group of chunks and does the whole work of each chunk
itself: read the file (local stores; other stores are fetched through zarr first, all at once), decode it
straight into the destination when the chunk lands there as one contiguous block (else into a scratch array kept
per thread, then copy the selected part), or fill a missing chunk with the fill value.  Shards of such chunks
(``sharding_indexed``) are read the same way, a shard's chunks straight into their part of the destination.  Keys,
the reading of bytes from other stores, filters, other codecs and every write stay zarr's own; the values read are the
same (the tests compare both pipelines on plain, sharded, zarr v2, partial and fancy selections, and through Dask
and xarray).  The implementation is :mod:`pymecompress.zarr.read`.

It is opt-in, because a codec pipeline is a process-wide zarr setting.  For one block of code:

>>> import zarr
>>> from pymecompress.zarr.pipeline import PIPELINE_PATH, threaded_reads
>>> with threaded_reads():
...     zarr.config.get("codec_pipeline.path") == PIPELINE_PATH
True

for a whole program (Dask workers included), set the environment variable
``ZARR_CODEC_PIPELINE__PATH=pymecompress.zarr.pipeline.ThreadedReadPipeline`` before zarr is imported (zarr finds
the class through the ``zarr.codec_pipeline`` entry point), or call ``zarr.config.set({"codec_pipeline.path":
PIPELINE_PATH})``.  Arrays opened before the setting keep the pipeline they were opened with.  The number of
threads is zarr's: ``zarr.config.set({"threading.max_workers": N})`` before zarr's first use.

Why this module is small
------------------------
zarr imports every ``zarr.codec_pipeline`` entry point, without guarding it, whenever it resolves its
configuration: on every array created or opened in the environment, whichever pipeline is configured.  An import
error here would break every zarr array of every user who installed pymecompress.  So this module, which the
entry point names, imports nothing but zarr's public API and the package root (which needs no compiled code);
the pipeline's implementation, which needs zarr's internals (:mod:`pymecompress.zarr.compat`) and our compiled
core, is imported the first time an array is opened with it, and fails there, with a message naming the zarr
versions that work.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from abc import ABCMeta
from collections.abc import Iterable, Iterator
from typing import Any

from zarr.abc.codec import CodecPipeline

PIPELINE_PATH = "pymecompress.zarr.pipeline.ThreadedReadPipeline"
"""The value of zarr's ``codec_pipeline.path`` setting that selects :class:`ThreadedReadPipeline`."""

DEPRECATED_PIPELINE_PATH = "pymecompress.zarr_pipeline.ThreadedReadPipeline"
"""The path of the class before 1.0 (its module was ``pymecompress.zarr_pipeline``): it still selects the pipeline,
with a ``DeprecationWarning``, for one release."""


class ThreadedReadPipeline(CodecPipeline, metaclass=ABCMeta):
    """zarr's batched codec pipeline; reads of pymecompress chunks run whole in zarr's threads (see module doc).

    This class is what zarr registers and what the setting names; opening an array with it builds an instance of
    :class:`pymecompress.zarr.read.ThreadedReadPipeline`, imported then, which counts as a subclass of this one
    (``isinstance`` holds) without importing it: the implementation imports nothing of this module, so the two
    form no import cycle.
    """

    @classmethod
    def from_codecs(cls, codecs: Iterable[Any], **kwargs: Any) -> CodecPipeline:
        # the implementation's from_codecs is zarr's (BatchedCodecPipeline's)
        from .read import ThreadedReadPipeline as implementation

        return implementation.from_codecs(codecs, **kwargs)

    @classmethod
    def __subclasshook__(cls, other: type) -> bool:
        read = sys.modules.get(f"{__package__}.read")  # loaded before any instance of it exists
        if cls is ThreadedReadPipeline and read is not None and issubclass(other, read.ThreadedReadPipeline):
            return True
        return NotImplemented


class _DeprecatedPath(ThreadedReadPipeline):
    """:class:`ThreadedReadPipeline` under :data:`DEPRECATED_PIPELINE_PATH`, for the settings written before the
    module moved: the same pipeline, with a ``DeprecationWarning``."""

    @classmethod
    def from_codecs(cls, codecs: Iterable[Any], **kwargs: Any) -> CodecPipeline:
        warnings.warn(f"zarr's codec_pipeline.path {DEPRECATED_PIPELINE_PATH} is deprecated: use {PIPELINE_PATH}",
                      DeprecationWarning, stacklevel=2)
        return super().from_codecs(codecs, **kwargs)


_DeprecatedPath.__module__, _, _DeprecatedPath.__qualname__ = DEPRECATED_PIPELINE_PATH.rpartition(".")
_DeprecatedPath.__name__ = _DeprecatedPath.__qualname__


def _register() -> None:
    """Also register the class in a process whose zarr read its entry points before this package was installed,
    or that runs from a source checkout without installed entry points (never failing: see the module doc); and
    register the deprecated path always (zarr finds the class by its module and name)."""
    import zarr.registry

    register = getattr(zarr.registry, "register_pipeline", None)
    if register is not None:
        register(ThreadedReadPipeline)
        register(_DeprecatedPath)


_register()


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
    >>> isinstance(arr.async_array.codec_pipeline, ThreadedReadPipeline), bool((arr[:] == data).all())
    (True, True)
    """
    import zarr

    with zarr.config.set({"codec_pipeline.path": PIPELINE_PATH}):
        yield
