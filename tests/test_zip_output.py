"""One file per dataset: ``convert ... out.zarr.zip`` writes a zip store that zarr opens with lazy indexing."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
import zarr

from helpers import blob_scene, run_cli, simulate_scmos
from pymecompress.camera import CameraModel
from pymecompress.zarr.zip_store import is_zarr_zip, open_zip

CAMERA = CameraModel(offset=100.0, gain=2.2, read_noise=1.5)
CAM_ARGS = ["--offset", "100", "--gain", "2.2", "--read-noise", "1.5"]


@pytest.fixture
def movie(tmp_path):
    frames = simulate_scmos((8, 96, 80), blob_scene((96, 80)), seed=2)
    np.save(tmp_path / "movie.npy", frames)
    return frames


@pytest.mark.parametrize("ome", [False, True], ids=["array", "ome"])
def test_zip_store_reads_lazily_within_the_bound(tmp_path, movie, ome) -> None:
    result = run_cli(tmp_path, "convert", "movie.npy", "movie.zarr.zip", *CAM_ARGS, *(["--ome"] if ome else []))
    assert result.returncode == 0, result.stderr
    path = tmp_path / "movie.zarr.zip"
    assert path.is_file() and is_zarr_zip(path) and not list(tmp_path.glob(".movie*"))  # no leftovers
    with zipfile.ZipFile(path) as zf:  # chunks already compressed: entries stored, so a read is one seek
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}
    node = open_zip(path)
    arr = node if isinstance(node, zarr.Array) else node["0"]
    assert arr.shape == movie.shape
    assert CAMERA.error_sigmas(movie[3, 10:50], arr[3, 10:50]).max() <= 1.0 + 1e-12
    info = run_cli(tmp_path, "info", "movie.zarr.zip")
    assert info.returncode == 0 and "huffquant16" in info.stdout, info.stderr


def test_overwrite_replaces_only_a_zarr_zip(tmp_path, movie) -> None:
    assert run_cli(tmp_path, "convert", "movie.npy", "movie.zarr.zip", *CAM_ARGS).returncode == 0
    again = run_cli(tmp_path, "convert", "movie.npy", "movie.zarr.zip", *CAM_ARGS)
    assert again.returncode != 0 and "pass overwrite=True" in again.stderr
    assert run_cli(tmp_path, "convert", "movie.npy", "movie.zarr.zip", *CAM_ARGS, "--overwrite").returncode == 0
    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as zf:
        zf.writestr("holiday.jpg", b"not a zarr store")
    refused = run_cli(tmp_path, "convert", "movie.npy", "photos.zip", *CAM_ARGS, "--overwrite")
    assert refused.returncode != 0 and "not a zarr store" in refused.stderr
    with zipfile.ZipFile(tmp_path / "photos.zip") as zf:
        assert zf.namelist() == ["holiday.jpg"]
