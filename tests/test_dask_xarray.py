"""Dask (threaded and dask.distributed with worker processes) and xarray through zarr with our codecs."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import simulate_scmos

da = pytest.importorskip("dask.array")
zarr = pytest.importorskip("zarr")
xr = pytest.importorskip("xarray")

from pymecompress import CameraModel, HuffmanLossless, HuffmanQuant16  # noqa: E402

CAM = {"offset": 100.0, "gain": 2.2, "read_noise": 1.5}


def _stack():
    return simulate_scmos((8, 128, 96), np.linspace(2, 400, 96)[None, None, :], **CAM, seed=11)


def _roundtrip(tmp_path, scheduler_kwargs):
    import dask

    a = _stack()
    x = da.from_array(a, chunks=(2, 64, 48))
    store = tmp_path / "d.zarr"
    z = zarr.create_array(store, shape=a.shape, chunks=(2, 64, 48), dtype="uint16",
                          compressors=[HuffmanQuant16(**CAM)])
    with dask.config.set(**scheduler_kwargs):
        da.to_zarr(x, z)
        y = da.from_zarr(str(store))
        back = y.compute()
        total = int(y.astype(np.int64).sum().compute())
    assert CameraModel(**CAM).error_sigmas(a, back).max() <= 1.0
    assert total == int(back.astype(np.int64).sum())
    return back


def test_dask_threaded(tmp_path):
    _roundtrip(tmp_path, {"scheduler": "threads"})


def test_dask_distributed_worker_processes(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        with distributed.Client(cluster):
            back = _roundtrip(tmp_path / "dist", {})
    threaded = _roundtrip(tmp_path / "thr", {"scheduler": "threads"})
    assert np.array_equal(back, threaded)  # workers in other processes decode exactly as we do


def test_xarray_to_zarr_open_zarr(tmp_path):
    a = _stack()
    ds = xr.Dataset({"frames": (("t", "y", "x"), a), "mask": (("y", "x"), (a[0] > 300).astype(np.uint8))})
    encoding = {"frames": {"compressors": [HuffmanQuant16(**CAM)], "chunks": (2, 64, 48)},
                "mask": {"compressors": [HuffmanLossless()]}}
    ds.to_zarr(tmp_path / "x.zarr", encoding=encoding, zarr_format=3, consolidated=False)
    back = xr.open_zarr(tmp_path / "x.zarr", consolidated=False)
    assert CameraModel(**CAM).error_sigmas(a, back["frames"].values).max() <= 1.0
    assert np.array_equal(back["mask"].values, ds["mask"].values)
