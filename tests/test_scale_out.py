"""Conversion on a dask.distributed cluster (worker processes) and to S3-compatible object storage (a local
moto server started here, not a mock): the same store as a conversion on one machine."""

from __future__ import annotations

import socket
import uuid

import numpy as np
import pytest
import zarr

from helpers import blob_scene, simulate_scmos
from pymecompress.convert import convert

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


@pytest.mark.parametrize("ome", [False, True], ids=["array", "ome-pyramid"])
def test_cluster_writes_the_same_store(tmp_path, movie, cluster, ome) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "many").mkdir()
    kwargs = {"camera": CAMERA, "chunks": "2,64,64", "progress": False, "ome_zarr": ome}
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
    with pytest.raises(FileExistsError, match="--overwrite"):
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
    from pymecompress.transforms import Transforms

    with pytest.raises(Exception, match="--bin-mode mean"):
        convert(str(tmp_path / "bright.npy"), f"s3://{bucket}/bright.zarr", codec="hufflossless", progress=False,
                storage_options=s3, transforms=Transforms(bin=2))
    import s3fs

    assert not s3fs.S3FileSystem(**s3).exists(f"{bucket}/bright.zarr")
