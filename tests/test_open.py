"""pymecompress.open: a stored array read through ThreadedReadPipeline (that array only), the same values as zarr's
own pipeline, in this process and on Dask workers in other processes."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

zarr = pytest.importorskip("zarr")

import pymecompress  # noqa: E402
from helpers import blob_scene, simulate_scmos  # noqa: E402
from pymecompress.tools.convert import convert  # noqa: E402
from pymecompress.zarr.open import NotZarrError  # noqa: E402
from pymecompress.zarr.read import ThreadedReadPipeline  # noqa: E402

CAMERA = {"offset": 100.0, "gain": 2.2, "read_noise": 1.5}


@pytest.fixture(scope="module")
def movie(tmp_path_factory) -> tuple:
    root = tmp_path_factory.mktemp("open")
    np.save(root / "movie.npy", simulate_scmos((6, 140, 150), blob_scene((140, 150)), **CAMERA, seed=5))
    return root, root / "movie.npy"


def _fast(arr) -> bool:
    return isinstance(arr.async_array.codec_pipeline, ThreadedReadPipeline)


SELECTIONS = [np.s_[:], np.s_[2], np.s_[1:4, 10:90, 5:], np.s_[:, 3, :], np.s_[::2], np.s_[[0, 3], :, 7]]


@pytest.mark.parametrize("kind", ["array", "sharded", "zarr-v2", "ome-0.4", "ome-0.5", "zip"])
def test_same_values_as_zarrs_pipeline(movie, kind) -> None:
    root, npy = movie
    out = root / f"{kind}.zarr{'.zip' if kind == 'zip' else ''}"
    if not out.exists():
        kwargs = {"camera": CAMERA, "chunks": "2,64,64", "progress": False}
        if kind.startswith("ome"):
            kwargs.update(ome_zarr=True, ngff_version=kind[4:])
        if kind == "zarr-v2":
            zarr.create_array(out, data=zarr.open_array(_plain(movie))[:], chunks=(2, 64, 64), zarr_format=2,
                              compressors=[pymecompress.HuffmanQuant16(**CAMERA)])
        elif kind == "sharded":
            zarr.create_array(out, data=np.load(npy), chunks=(1, 64, 64), shards=(2, 128, 128),
                              compressors=[pymecompress.HuffmanQuant16(**CAMERA)])
        else:
            convert(str(npy), str(out), **kwargs)
    before = zarr.config.get("codec_pipeline.path")
    arr = pymecompress.open(out)
    assert _fast(arr) and zarr.config.get("codec_pipeline.path") == before  # that array only
    if kind == "zip":
        ref = zarr.open_array(store=zarr.storage.ZipStore(out, mode="r"), mode="r")
    else:
        ref = zarr.open_array(out / "0" if kind.startswith("ome") else out, mode="r")
    assert not _fast(ref) and (arr.shape, arr.ndim, arr.size, arr.dtype) == (ref.shape, ref.ndim, ref.size,
                                                                             ref.dtype)
    for sel in SELECTIONS:
        np.testing.assert_array_equal(arr[sel], ref[sel], err_msg=str(sel))


def _plain(movie):
    root, npy = movie
    out = root / "plain-for-v2.zarr"
    if not out.exists():
        convert(str(npy), str(out), camera=CAMERA, chunks="2,64,64", progress=False)
    return out


def test_levels_and_groups(movie, tmp_path) -> None:
    root, npy = movie
    out = tmp_path / "pyramid.zarr"
    convert(str(npy), str(out), camera=CAMERA, ome_zarr=True, levels=1, progress=False)
    full, half = pymecompress.open(out), pymecompress.open(out, level=1)
    assert full.shape == (6, 140, 150) and half.shape == (6, 70, 75) and _fast(half)
    np.testing.assert_array_equal(pymecompress.open(out, level="1")[:], zarr.open_array(out / "1")[:])
    with pytest.raises(ValueError, match=r"levels 0\.\.1; got level=2"):
        pymecompress.open(out, level=2)
    group = zarr.open_group(tmp_path / "two.zarr", mode="w")
    for name in ("a", "b"):
        group.create_array(name, data=np.ones((2, 8), np.uint16), compressors=[pymecompress.HuffmanLossless()])
    with pytest.raises(ValueError, match=r"group of 2 arrays \(a, b\).*level="):
        pymecompress.open(tmp_path / "two.zarr")
    assert _fast(pymecompress.open(tmp_path / "two.zarr", level="b"))
    with pytest.raises(ValueError, match="one array, without resolution levels"):
        pymecompress.open(_plain(movie), level=1)
    with pytest.raises(FileNotFoundError):
        pymecompress.open(tmp_path / "nothing.zarr")
    (tmp_path / "notes").mkdir()
    with pytest.raises(NotZarrError, match="not a zarr store"):
        pymecompress.open(tmp_path / "notes")


def test_the_fast_reads_travel_with_the_array(movie) -> None:
    """Pickled (as Dask sends it to its workers), the array keeps its pipeline in a process that never set it."""
    arr = pymecompress.open(_plain(movie))
    code = ("import pickle, sys; a = pickle.loads(sys.stdin.buffer.read()); "
            "print(type(a.async_array.codec_pipeline).__name__, int(a[:].astype('int64').sum()))")
    out = subprocess.run([sys.executable, "-c", code], input=pickle.dumps(arr), capture_output=True, check=True)
    name, total = out.stdout.decode().split()
    assert name == "ThreadedReadPipeline" and int(total) == int(arr[:].astype(np.int64).sum())


def test_dask_workers_and_xarray_read_with_it(movie) -> None:
    distributed = pytest.importorskip("distributed")
    da = pytest.importorskip("dask.array")
    xr = pytest.importorskip("xarray")
    arr = pymecompress.open(_plain(movie))
    ref = zarr.open_array(_plain(movie), mode="r")[:]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  worker_dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        stack = da.from_zarr(arr)
        np.testing.assert_array_equal(client.compute(stack).result(), ref)
        seen = client.submit(lambda a: type(a.async_array.codec_pipeline).__name__, arr).result()
        assert seen == "ThreadedReadPipeline"
        frames = xr.DataArray(stack, dims=("t", "y", "x"))
        np.testing.assert_array_equal(client.compute(frames.mean("t")).result().values, ref.mean(axis=0))
