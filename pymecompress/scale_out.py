"""Conversion beyond one machine's disk and cores: outputs at fsspec URLs (S3-compatible object storage, ...) and
compression of blocks on an existing dask.distributed cluster (``convert --scheduler ADDRESS``).

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
import re
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .zip_store import ZARR_MARKERS

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]+://")
TASK_BYTES = 16 << 20  # raw bytes of the blocks one cluster task writes


def is_url(path: Any) -> bool:
    """Whether an output names a URL (``s3://``, ``gs://``, ``memory://``, ...) rather than a local path."""
    return isinstance(path, str) and bool(_URL.match(path))


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
        raise FileExistsError(f"{url} already exists; pass --overwrite to replace it (a zarr store only)")
    if not any(fs.exists(f"{path}/{marker}") for marker in ZARR_MARKERS):
        raise FileExistsError(f"{url} exists and is not a zarr store (no zarr.json, .zgroup or .zarray at its top "
                              "level); --overwrite replaces only zarr stores")
    return True


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
        raise ImportError('--scheduler needs dask.distributed: pip install "pymecompress[cluster]"') from None
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
