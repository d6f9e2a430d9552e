"""Conversion on a dask.distributed cluster (worker processes) and to S3-compatible object storage (a local
moto server started here, not a mock): the same store as a conversion on one machine."""

from __future__ import annotations

import socket
import uuid

import numpy as np
import pytest
import zarr

from helpers import blob_scene, simulate_scmos
from pymecompress.tools.convert import convert

distributed = pytest.importorskip("distributed")
CAMERA = {"offset": 100.0, "gain": 2.2, "read_noise": 1.5}


def _files(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  worker_dashboard_address=None) as local:
        yield local.scheduler_address


@pytest.fixture
def movie(tmp_path):
    frames = simulate_scmos((10, 130, 150), blob_scene((130, 150)), **CAMERA, seed=3)
    np.save(tmp_path / "movie.npy", frames)
    return tmp_path / "movie.npy"


@pytest.mark.parametrize(("ome", "shards"), [(False, None), (True, None), (False, "4")],
                         ids=["array", "ome-pyramid", "sharded"])
def test_cluster_writes_the_same_store(tmp_path, movie, cluster, ome, shards) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "many").mkdir()
    kwargs = {"camera": CAMERA, "chunks": "2,64,64", "progress": False, "ome_zarr": ome, "shards": shards}
    convert(str(movie), str(tmp_path / "one" / "movie.zarr"), threads=2, **kwargs)
    summary = convert(str(movie), str(tmp_path / "many" / "movie.zarr"), scheduler=cluster, **kwargs)
    assert summary.ratio > 1.5
    assert _files(tmp_path / "many" / "movie.zarr") == _files(tmp_path / "one" / "movie.zarr")


@pytest.fixture
def s3(monkeypatch):
    """A local S3-compatible server (moto's), a bucket, and the storage options that reach it."""
    server_mod = pytest.importorskip("moto.server")
    s3fs = pytest.importorskip("s3fs")
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    with socket.socket() as probe:  # a free port (moto < 5.0.x cannot report the one it picks for port=0)
        probe.bind(("127.0.0.1", 0))
        host, port = probe.getsockname()
    server = server_mod.ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    options = {"endpoint_url": f"http://{host}:{port}", "key": "testing", "secret": "testing"}
    bucket = f"lab-{uuid.uuid4().hex[:12]}"  # moto keeps its buckets for the whole process: one per test
    s3fs.S3FileSystem(**options).mkdir(bucket)
    yield options, bucket
    server.stop()


@pytest.mark.parametrize("on_cluster", [False, True], ids=["one-machine", "cluster"])
def test_object_storage_output(tmp_path, movie, s3, cluster, on_cluster) -> None:
    s3, bucket = s3
    url = f"s3://{bucket}/movie.zarr"
    kwargs = {"camera": CAMERA, "chunks": "2,64,64", "progress": False}
    local = convert(str(movie), str(tmp_path / "local.zarr"), threads=2, **kwargs)
    remote = convert(str(movie), url, storage_options=s3, scheduler=cluster if on_cluster else None, **kwargs)
    assert remote.output_bytes == local.output_bytes and remote.ratio == pytest.approx(local.ratio, rel=0.01)
    back = zarr.open_array(url, mode="r", storage_options=s3)
    np.testing.assert_array_equal(back[:], zarr.open_array(tmp_path / "local.zarr")[:])
    import s3fs

    fs = s3fs.S3FileSystem(**s3)
    stored = {key.split("movie.zarr/", 1)[1]: fs.cat(key) for key in fs.find(f"{bucket}/movie.zarr")}
    assert stored == _files(tmp_path / "local.zarr")  # the same objects, byte for byte
    with pytest.raises(FileExistsError, match="pass overwrite=True"):
        convert(str(movie), url, storage_options=s3, **kwargs)
    convert(str(movie), url, storage_options=s3, overwrite=True, **kwargs)
    fs.pipe(f"{bucket}/notes/readme.txt", b"not a zarr store")
    with pytest.raises(FileExistsError, match="not a zarr store"):
        convert(str(movie), f"s3://{bucket}/notes", storage_options=s3, overwrite=True, **kwargs)
    assert fs.cat(f"{bucket}/notes/readme.txt") == b"not a zarr store"


def test_failed_conversion_leaves_nothing_at_the_url(tmp_path, s3) -> None:
    s3, bucket = s3
    bright = np.full((4, 32, 32), 60000, np.uint16)
    np.save(tmp_path / "bright.npy", bright)
    from pymecompress.io.transforms import Transforms

    with pytest.raises(Exception, match="use bin_mode='mean'"):
        convert(str(tmp_path / "bright.npy"), f"s3://{bucket}/bright.zarr", codec="hufflossless", progress=False,
                storage_options=s3, transforms=Transforms(bin=2))
    import s3fs

    assert not s3fs.S3FileSystem(**s3).exists(f"{bucket}/bright.zarr")


class _Interrupting:
    """A filesystem that passes everything through, but is interrupted (``KeyboardInterrupt``, as by Ctrl-C) at its
    ``at``-th change (``rm`` or ``copy``): a change of many keys first carries out half of them."""

    def __init__(self, fs, at: int) -> None:
        self.fs, self.at, self.changes = fs, at, 0

    def __getattr__(self, name):
        return getattr(self.fs, name)

    def _change(self, name: str, *args, **kwargs):
        self.changes += 1
        if self.changes == self.at:
            if isinstance(args[0], list) and len(args[0]) > 1:
                half = len(args[0]) // 2
                getattr(self.fs, name)(*(a[:half] if isinstance(a, list) else a for a in args), **kwargs)
            raise KeyboardInterrupt
        return getattr(self.fs, name)(*args, **kwargs)

    def rm(self, *args, **kwargs):
        return self._change("rm", *args, **kwargs)

    def copy(self, *args, **kwargs):
        return self._change("copy", *args, **kwargs)


def test_an_interrupted_url_overwrite_leaves_a_complete_store(tmp_path, s3, monkeypatch) -> None:
    """Interrupted while the new store is written, and at every change of the replacement (half-way through each
    change of many keys): the old store, or the new one where the message says, is complete each time."""
    import s3fs

    from pymecompress.zarr import pyramid, scale_out

    options, bucket = s3
    options = {**options, "use_listings_cache": False}  # zarr's own instance must see keys removed by this one
    fs = s3fs.S3FileSystem(**options)
    url = f"s3://{bucket}/movie.zarr"
    kwargs = {"camera": CAMERA, "chunks": "2,64,64", "progress": False, "ome_zarr": True, "levels": 1,
              "storage_options": options}
    old = simulate_scmos((6, 70, 80), blob_scene((70, 80)), **CAMERA, seed=3)
    new = simulate_scmos((4, 70, 80), blob_scene((70, 80)) * 2, **CAMERA, seed=4)
    for name, frames in (("old", old), ("new", new)):
        np.save(tmp_path / f"{name}.npy", frames)
        convert(str(tmp_path / f"{name}.npy"), str(tmp_path / f"{name}.zarr"), **{**kwargs, "storage_options": None})
    want = {name: [zarr.open_group(tmp_path / f"{name}.zarr", mode="r")[level][:] for level in ("0", "1")]
            for name in ("old", "new")}

    def holds(where: str) -> str | None:
        """Which movie a complete store at ``where`` holds (every level, every chunk), or None."""
        try:
            group = zarr.open_group(where, mode="r", storage_options=options)
            levels = [group[level][:] for level in ("0", "1")]
        except Exception:
            return None
        for name, arrays in want.items():
            if all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(levels, arrays, strict=True)):
                return name
        return None

    def reset() -> None:
        for key in fs.ls(bucket, refresh=True):
            fs.rm(key, recursive=True)
        convert(str(tmp_path / "old.npy"), url, **kwargs)
        assert holds(url) == "old"

    real_fs = scale_out._fs
    counting = _Interrupting(None, at=0)

    def patched(target, storage_options):
        fs_, path = real_fs(target, storage_options)
        counting.fs = fs_
        return counting, path

    monkeypatch.setattr(scale_out, "_fs", patched)
    reset()
    convert(str(tmp_path / "new.npy"), url, overwrite=True, **kwargs)  # uninterrupted: counts the changes
    assert holds(url) == "new" and fs.ls(bucket, refresh=True) == [f"{bucket}/movie.zarr"]  # no staged copy left
    stored = {key.split("movie.zarr/", 1)[1]: fs.cat(key) for key in fs.find(f"{bucket}/movie.zarr")}
    local = _files(tmp_path / "new.zarr")  # every old key replaced or removed (the image's name differs)
    assert stored.keys() == local.keys() and all(stored[k] == v for k, v in local.items() if ".z" not in k)
    changes = counting.changes
    assert changes >= 6  # old metadata, old chunks, new chunks, 3 metadata documents, staged copy

    reset()
    calls = []
    real_write = pyramid.write_levels

    def write_then_stop(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_write(*args)

    with monkeypatch.context() as patch:
        patch.setattr(pyramid, "write_levels", write_then_stop)
        with pytest.raises(KeyboardInterrupt):
            convert(str(tmp_path / "new.npy"), url, overwrite=True, **kwargs)
    # the old store is intact, and the half-written copy is gone
    assert holds(url) == "old" and fs.ls(bucket, refresh=True) == [f"{bucket}/movie.zarr"]

    for at in range(1, changes + 1):
        reset()
        counting.at, counting.changes = at, 0
        with pytest.raises(KeyboardInterrupt) as info:
            convert(str(tmp_path / "new.npy"), url, overwrite=True, **kwargs)
        (note,) = info.value.__notes__
        staged = f"s3://{[key for key in fs.ls(bucket, refresh=True) if '.pymecompress-new-' in key][0]}"
        if at < changes:  # before the staged copy is removed: it is complete, and the note sends the user there
            assert holds(staged) == "new" and f"the complete new store is at {staged}" in note, (at, note)
            assert holds(url) in (None, "new"), at  # never a mixture that reads as a store
        else:
            assert holds(url) == "new" and f"complete at {url}" in note, (at, note)
    counting.at = 0
