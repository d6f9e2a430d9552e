"""Conversion beyond one machine's disk and cores: outputs at fsspec URLs (S3-compatible object storage, ...) and
compression of blocks on an existing dask.distributed cluster (``convert --scheduler ADDRESS``).

Object stores have no rename, so an existing store at a URL is replaced in two stages (:func:`replace_url`): the new
store is written completely under a sibling prefix (:func:`staging_url`), and only then are its keys copied over
the old ones, metadata last. An interruption at any point leaves at least one complete store, and the exception's
note says where it is.

The client reads the input one block of planes at a time and sends the blocks to the workers, in tasks of about
:data:`TASK_BYTES` (a dask task costs milliseconds, as much as compressing a few chunks); a worker encodes the
chunks with pymecompress's codec and stores them through zarr's store at the output (a local path every worker
sees, or a URL). zarr's metadata is written once, by the client, before any block. At most two tasks per worker
thread are in flight, so the client's memory stays bounded whatever the input size. Workers find the codecs
through the entry points, as for any zarr read.

Examples
--------
>>> is_url("s3://bucket/movie.zarr"), is_url("movie.zarr"), is_url("C:/data/movie.zarr")
(True, False, False)
"""

from __future__ import annotations

import functools
import uuid
from collections import deque
from collections.abc import Callable, Iterable

import numpy as np

from .stores import is_url  # noqa: F401 (defined in stores; here too, where it was, and in the examples)
from .zip_store import ZARR_MARKERS

METADATA_KEYS = frozenset(ZARR_MARKERS) | {".zattrs", ".zmetadata"}  # the documents that make keys a zarr store

TASK_BYTES = 16 << 20  # raw bytes of the blocks one cluster task writes


def _fs(url: str, storage_options: dict | None):
    import fsspec

    fs, path = fsspec.core.url_to_fs(url, **(storage_options or {}))
    return fs, path


def check_url(url: str, overwrite: bool, storage_options: dict | None) -> bool:
    """Whether a store exists at ``url``; refused unless ``overwrite`` and it is a zarr store."""
    fs, path = _fs(url, storage_options)
    if not fs.exists(path):
        return False
    if not overwrite:
        raise FileExistsError(f"{url} already exists; pass overwrite=True to replace it (a zarr store only)")
    if not any(fs.exists(f"{path}/{marker}") for marker in ZARR_MARKERS):
        raise FileExistsError(f"{url} exists and is not a zarr store (no zarr.json, .zgroup or .zarray at its top "
                              "level); overwrite=True replaces only zarr stores")
    return True


def staging_url(url: str) -> str:
    """A fresh sibling of ``url`` to write a replacement store under before it takes the old one's place.

    Examples
    --------
    >>> staging_url("s3://lab/movie.zarr").startswith("s3://lab/movie.zarr.pymecompress-new-")
    True
    """
    return f"{url.rstrip('/')}.pymecompress-new-{uuid.uuid4().hex[:12]}"


def _is_metadata(key: str) -> bool:
    return key.rsplit("/", 1)[-1] in METADATA_KEYS


def replace_url(staged: str, url: str, storage_options: dict | None) -> None:
    """Put the complete store at ``staged`` in place of the zarr store at ``url``, then remove ``staged``.

    Keys are copied (object stores have no rename), in an order that keeps a complete store somewhere at every
    moment:

    1. the old store's metadata documents are removed first, so that a half-replaced store never opens as a store;
    2. then the old store's other keys;
    3. the new store's chunks are copied, then its metadata, the top-level document last;
    4. the staged copy is removed.

    An interruption in steps 1-3 leaves the complete new store at ``staged``; one in step 4 leaves it complete at
    ``url``. The exception, whatever it is (``KeyboardInterrupt`` too), is re-raised with a note that says where the
    complete store is and what to do.
    """
    fs, new = _fs(staged, storage_options)
    _, old = _fs(url, storage_options)
    new, old = new.rstrip("/"), old.rstrip("/")
    try:
        if fs.exists(old):
            if not any(fs.exists(f"{old}/{marker}") for marker in ZARR_MARKERS):
                raise FileExistsError(f"{url} changed during the conversion and is no longer a zarr store; it was "
                                      "left as it is")
            keys = fs.find(old)
            meta = [key for key in keys if _is_metadata(key)]
            if meta:
                fs.rm(meta)
            rest = [key for key in keys if not _is_metadata(key)]
            if rest:
                fs.rm(rest)
        keys = sorted(fs.find(new))
        chunks = [key for key in keys if not _is_metadata(key)]
        if chunks:  # sorted lists: every fsspec version pairs them in this order
            fs.copy(chunks, [old + key[len(new):] for key in chunks])
        for key in sorted((k for k in keys if _is_metadata(k)), key=lambda k: (-k.count("/"), k)):
            fs.copy(key, old + key[len(new):])  # one by one, deepest first: the top-level document comes last
    except BaseException as exc:
        exc.add_note(f"the complete new store is at {staged}; {url} was being replaced by it and may be incomplete. "
                     f"Copy {staged} to {url} (every key), or delete {url} and convert again")
        raise
    try:
        fs.rm(new, recursive=True)
    except BaseException as exc:
        exc.add_note(f"the new store is complete at {url}; delete the leftover copy at {staged}")
        raise


def remove_url(url: str, storage_options: dict | None) -> None:
    """Remove what a failed conversion wrote at ``url`` (best effort)."""
    try:
        fs, path = _fs(url, storage_options)
        if fs.exists(path):
            fs.rm(path, recursive=True)
    except Exception:  # the original error matters more than this one
        pass


def url_bytes(url: str, storage_options: dict | None) -> int:
    """Bytes stored under ``url``."""
    fs, path = _fs(url, storage_options)
    return int(fs.du(path, total=True))


@functools.lru_cache(maxsize=16)
def _open_arrays(target: str, paths: tuple[str, ...], options: str) -> list:
    """The arrays a worker writes (opened once per worker process and target)."""
    import json

    import zarr

    from .chunk_writer import ChunkWriter

    storage_options = json.loads(options) or None
    kwargs = {"storage_options": storage_options} if storage_options else {}
    return [ChunkWriter(zarr.open_array(store=target, path=p, mode="r+", **kwargs)) for p in paths]


def store_blocks(target: str, paths: tuple[str, ...], options: str,
                 blocks: list[tuple[tuple[slice, ...], np.ndarray]], binning: str) -> int:
    """Worker task: write each block (whole planes at its selection) to every level of the output; returns the
    bytes written."""
    from . import pyramid

    writers = _open_arrays(target, paths, options)
    for sel, block in blocks:
        pyramid.write_levels(writers, sel, block, binning)
    for writer in writers:
        writer.flush()
    return sum(int(block.nbytes) for _, block in blocks)


def run_on_cluster(scheduler: str, blocks: Iterable[tuple[tuple[slice, ...], Callable[[], np.ndarray]]], target: str,
                   paths: tuple[str, ...], storage_options: dict | None, binning: str,
                   progress: Callable[[int], None]) -> None:
    """Send every block to the cluster at ``scheduler`` (reading each only when there is room for it)."""
    import json

    try:
        from distributed import Client
    except ImportError:
        raise ImportError('scheduler needs dask.distributed: pip install "pymecompress[cluster]"') from None
    options = json.dumps(storage_options or {}, sort_keys=True)
    with Client(scheduler) as client:
        room = 2 * max(1, sum(client.nthreads().values()))
        pending: deque = deque()

        def send(batch: list) -> None:
            while len(pending) >= room:
                progress(pending.popleft().result())
            pending.append(client.submit(store_blocks, target, paths, options, batch, binning, pure=False))

        try:
            batch: list = []
            size = 0
            for sel, read in blocks:  # blocks grouped into tasks of about TASK_BYTES: a task costs milliseconds
                block = read()
                batch.append((sel, block))
                size += block.nbytes
                if size >= TASK_BYTES:
                    send(batch)
                    batch, size = [], 0
            if batch:
                send(batch)
            while pending:
                progress(pending.popleft().result())
        except BaseException:
            for future in pending:
                future.cancel()
            raise
