"""The one place that reaches into zarr-python's internals, for the two jobs zarr has no public API for: storing
encoded chunks from our chunk writer (:mod:`pymecompress.zarr.chunk_writer`) and the threaded read pipeline
(:mod:`pymecompress.zarr.read`).

Everything else in pymecompress uses zarr's public API only (``zarr.abc.codec``, ``zarr.abc.store``,
``zarr.codecs``, ``zarr.storage``, ``zarr.buffer``, ``zarr.config``, ``zarr.Array``).  Each name here is found by
feature detection, not by version number, and the generations differ as follows:

- ``fill_value_or_default``: ``zarr.core.codec_pipeline`` in 3.1, ``zarr.core.chunk_utils`` in 3.2+;
- a pipeline's ``read`` returns None in 3.1 and one ``GetResult`` per chunk (``zarr.abc.codec``) in 3.2+, where
  zarr raises for missing chunks when ``array.read_missing_chunks`` is False;
- 3.1's ``ShardingCodec`` has the private helpers (:data:`SHARD_HELPERS`), ``zarr.codecs.sharding`` the
  in-memory chunk getter and ``zarr.core.chunk_grids`` the ``RegularChunkGrid`` that the pipeline's own shard reads
  use; 3.2+ has none of them, and there the pipeline reads shard files by the sharding specification alone
  (:func:`pymecompress.zarr.read._read_local_shard`), other shards going through zarr's sharding codec, which
  decodes their inner chunks through our zarr v3 faces (:data:`THREADED_SHARDS`).

Importing this module raises :class:`ImportError` naming the zarr versions that work when an internal it needs
is missing (a zarr release newer than this package knows): only the chunk writer's direct path and the opt-in
read pipeline depend on it, and both say so where they are used.

Examples
--------
>>> import zarr
>>> from pymecompress.zarr import compat as zarr_compat
>>> zarr_compat.read_results([True, False]) in (None, ({"status": "present"}, {"status": "missing"}))
True
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import zarr

TESTED_ZARR = "3.1 to 3.4 (CI: 3.1.6 on Python 3.11, the newest release on Python 3.13)"
"""The zarr-python releases the chunk writer and the read pipeline were tested with."""


def _find(name: str, *modules: str) -> Any:
    """``name`` from the first of ``modules`` that has it; ImportError naming the working versions otherwise."""
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if hasattr(module, name):
            return getattr(module, name)
    raise ImportError(
        f"zarr {zarr.__version__} has no {name} in {' or '.join(modules)}, which pymecompress's chunk writer and "
        f"threaded read pipeline need (zarr has no public API for them); they were tested with zarr "
        f"{TESTED_ZARR}. Read and write with zarr's own pipeline (the default: leave codec_pipeline.path and "
        f"ZARR_CODEC_PIPELINE__PATH unset), or install a tested zarr, and please report this zarr version.")


sync = _find("sync", "zarr.core.sync")
"""Run a coroutine on zarr's event loop and return its result (zarr's stores are bound to that loop)."""
BatchedCodecPipeline = _find("BatchedCodecPipeline", "zarr.core.codec_pipeline")
fill_value_or_default = _find("fill_value_or_default", "zarr.core.chunk_utils", "zarr.core.codec_pipeline")
concurrent_map = _find("concurrent_map", "zarr.core.common")
get_indexer = _find("get_indexer", "zarr.core.indexing")
ShardingByteGetter = getattr(importlib.import_module("zarr.codecs.sharding"), "_ShardingByteGetter", None)
"""A shard's in-memory chunk getter, or None (the read pipeline then leaves shards to zarr's sharding codec)."""

RegularChunkGrid = getattr(importlib.import_module("zarr.core.chunk_grids"), "RegularChunkGrid", None)
"""zarr 3.1's regular chunk grid (the shard read's indexer takes one), or None (3.2+)."""
SHARD_HELPERS = ("_get_chunks_per_shard", "_get_chunk_spec", "_is_total_shard", "_load_full_shard_maybe",
                 "_load_shard_index_maybe")
"""The private methods of zarr 3.1's ``ShardingCodec`` that the read pipeline's shard reads call."""
THREADED_SHARDS = ShardingByteGetter is not None and RegularChunkGrid is not None and all(
    hasattr(importlib.import_module("zarr.codecs").ShardingCodec, name) for name in SHARD_HELPERS)
"""Whether the read pipeline reads shards of our chunks through zarr's sharding helpers (zarr 3.1, which has all of
the above); elsewhere (3.2+) it reads shard files by the specification, and zarr's sharding codec reads other
shards, decoding their inner chunks through our zarr v3 faces."""
_GetResult = getattr(importlib.import_module("zarr.abc.codec"), "GetResult", None)


def read_results(present: Sequence[bool]) -> tuple[dict, ...] | None:
    """What a codec pipeline's ``read`` returns for chunks found (True) or missing (False): one ``GetResult`` per
    chunk where zarr asks for them (3.2+: zarr raises for missing chunks when ``array.read_missing_chunks`` is
    False), None where it does not (3.1)."""
    if _GetResult is None:
        return None
    return tuple(_GetResult(status="present" if p else "missing") for p in present)
