"""``convert`` never loses data silently: the camera model is checked against the data before anything is
written, ``--overwrite`` replaces only zarr stores, and ``convert`` and ``info`` report the same ratio."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest
import tifffile
import zarr

from helpers import CAMERAS, blob_scene, load_real, run_cli, simulate_scmos
from pymecompress import CameraModel
from pymecompress.camera_check import MAX_VARIANCE_RATIO, MIN_VARIANCE_RATIO, CameraModelError, check_camera

CAMERA = {"offset": 100.0, "gain": 2.2, "read_noise": 1.5}


def scene(shape: tuple[int, int]) -> np.ndarray:
    return blob_scene(shape, peak=120.0, width=0.2)


@pytest.fixture(scope="module")
def movie() -> np.ndarray:
    """An sCMOS movie like the user's: pixels span tens to hundreds of ADU."""
    return simulate_scmos((8, 96, 96), scene((96, 96)), **CAMERA, seed=11)


def refused(out: subprocess.CompletedProcess) -> str:
    """The one error line of a refused command (exit 2)."""
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pymecompress convert: error: "), out.stderr
    return lines[0]


# ---- the camera check ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, expect", [
    (["--offset", "100", "--gain", "1e6"], "less noisy"),  # a typo: one constant value, "ratio 750x" before
    (["--offset", "100", "--gain", "1000"], "less noisy"),  # two distinct values before
    (["--offset", "100", "--gain", "6"], "less noisy"),  # 2.7x too high: steps of 1.65 sigma
    (["--offset", "1000", "--gain", "2.2"], "lies above"),  # an offset above every pixel
    (["--offset", "0", "--gain", "40"], "less noisy"),  # an offset far too low with a gain too high
])
def test_implausible_camera_refused_before_writing(tmp_path, movie, args, expect):
    tifffile.imwrite(tmp_path / "movie.tif", movie)
    before = sorted(p.name for p in tmp_path.iterdir())
    line = refused(run_cli(tmp_path, "convert", "movie.tif", "m.zarr", *args))
    assert expect in line and "pymecompress calibrate" in line and "pass force=True" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    forced = run_cli(tmp_path, "convert", "movie.tif", "m.zarr", *args, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "warning: written anyway (force=True)" in forced.stderr
    assert zarr.open_array(tmp_path / "m.zarr", mode="r").shape == movie.shape


def test_right_camera_passes_and_is_reported(tmp_path, movie):
    np.save(tmp_path / "movie.npy", movie)
    out = run_cli(tmp_path, "convert", "movie.npy", "m.zarr", "--offset", "100", "--gain", "2.2", "--read-noise", "1.5")
    assert out.returncode == 0, out.stderr
    ratio = float(re.search(r"measured noise variance ([0-9.]+)x the model's", out.stdout).group(1))
    assert 0.85 <= ratio <= 1.15
    assert "warning" not in out.stderr


def test_gain_in_electrons_per_adu_only_warns(tmp_path, movie):
    """1/gain (e-/ADU) makes the steps finer than the noise: nothing is lost, so a warning and exit 0."""
    np.save(tmp_path / "movie.npy", movie)
    out = run_cli(tmp_path, "convert", "movie.npy", "m.zarr", "--offset", "100", "--gain", str(1 / 2.2))
    assert out.returncode == 0, out.stderr
    assert "warning:" in out.stderr and "noisier" in out.stderr


def test_python_check(movie):
    good = CameraModel(**CAMERA).check(movie)
    assert good.ok and not good.warnings and 0.85 <= good.variance_ratio <= 1.15
    bad = CameraModel(offset=100, gain=1e6).check(movie)
    assert not bad.ok and bad.variance_ratio < 1e-3 and bad.distinct_codes == 1
    with pytest.raises(CameraModelError, match="pymecompress calibrate"):
        bad.raise_for_errors()
    # a single image: the spatial estimate
    single = CameraModel(**CAMERA).check(movie[0])
    assert single.ok and "one image" in single.method and 0.8 <= single.variance_ratio <= 1.2


@pytest.mark.parametrize("name", sorted(CAMERAS))
def test_real_files_pass_with_their_published_camera(name):
    """The model of tests/data/camera/README.md is right for every real file: measured / model variance within the
    thresholds, for the whole stack and for single planes (the spatial estimate)."""
    data = load_real(name)
    report = CameraModel(**CAMERAS[name]).check(data)
    assert report.ok, report.format()
    assert MIN_VARIANCE_RATIO < report.variance_ratio < MAX_VARIANCE_RATIO
    if data.ndim == 3:
        for plane in data[1::max(1, len(data) // 4)]:
            assert CameraModel(**CAMERAS[name]).check(plane).ok
    # a gain 3x too high is caught on every one of them
    wrong = dict(CAMERAS[name], gain=3 * CAMERAS[name]["gain"])
    assert not check_camera(CameraModel(**wrong), data).ok


@pytest.mark.parametrize("offset, gain, read_noise", [(100.0, 2.2, 1.5), (400.0, 0.5, 5.0), (205.0, 17.0, 0.0),
                                                      (100.0, 0.184, 13.0)])
def test_simulated_cameras(offset, gain, read_noise):
    movie = simulate_scmos((10, 128, 128), scene((128, 128)), offset, gain, read_noise, seed=2)
    right = CameraModel(offset, gain, read_noise).check(movie)
    assert right.ok and not right.warnings and 0.9 <= right.variance_ratio <= 1.1, right.format()
    conservative = CameraModel(offset, gain, 0.0).check(movie)  # read noise unknown: never an error
    assert conservative.ok
    assert not CameraModel(offset, 2.5 * gain, read_noise).check(movie).ok


def test_dark_frames_with_the_right_offset_pass():
    dark = simulate_scmos((10, 128, 128), 0.0, **CAMERA, seed=3)
    report = CameraModel(**CAMERA).check(dark)
    assert report.ok and 0.3 < report.fraction_below_offset < 0.7, report.format()


# ---- --overwrite -----------------------------------------------------------------------------------------------

def test_overwrite_refuses_what_is_not_a_zarr_store(tmp_path, movie):
    np.save(tmp_path / "movie.npy", movie)
    docs = tmp_path / "thesis"
    docs.mkdir()
    (docs / "chapter1.docx").write_bytes(b"PK\x03\x04 precious")
    line = refused(run_cli(tmp_path, "convert", "movie.npy", "thesis", "--codec", "hufflossless", "--overwrite"))
    assert "not a zarr store" in line
    assert (docs / "chapter1.docx").read_bytes() == b"PK\x03\x04 precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["movie.npy", "thesis"]
    (tmp_path / "notes.zarr").write_text("a file, not a store")
    refused(run_cli(tmp_path, "convert", "movie.npy", "notes.zarr", "--codec", "hufflossless", "--overwrite"))
    assert (tmp_path / "notes.zarr").read_text() == "a file, not a store"


@pytest.mark.parametrize("fmt", [2, 3])
def test_overwrite_replaces_a_zarr_store(tmp_path, movie, fmt):
    np.save(tmp_path / "movie.npy", movie)
    old = zarr.create_array(tmp_path / "m.zarr", shape=(3,), dtype="uint8", zarr_format=fmt)
    old[:] = 1
    refused(run_cli(tmp_path, "convert", "movie.npy", "m.zarr", "--codec", "hufflossless"))
    out = run_cli(tmp_path, "convert", "movie.npy", "m.zarr", "--codec", "hufflossless", "--overwrite")
    assert out.returncode == 0, out.stderr
    np.testing.assert_array_equal(zarr.open_array(tmp_path / "m.zarr", mode="r")[:], movie)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.zarr", "movie.npy"]  # nothing left aside


# ---- convert and info report the same ratio --------------------------------------------------------------------

@pytest.mark.parametrize("ome", [False, True])
def test_convert_and_info_report_the_same_ratio(tmp_path, ome):
    stack = simulate_scmos((4, 256, 256), scene((256, 256)), **CAMERA, seed=5)
    tifffile.imwrite(tmp_path / "s.tif", stack, photometric="minisblack")
    args = ["convert", "s.tif", "s.zarr", "--offset", "100", "--gain", "2.2", "--read-noise", "1.5"]
    out = run_cli(tmp_path, *args, *(["--ome"] if ome else []))
    assert out.returncode == 0, out.stderr
    converted = float(re.search(r"ratio\s+: ([0-9.]+)x", out.stdout).group(1))
    info = run_cli(tmp_path, "info", "s.zarr")
    assert info.returncode == 0, info.stderr
    header, *rows = info.stdout.splitlines()
    row = next(line for line in rows if line.startswith("0 " if ome else "/ "))
    ratio = next(cell for cell in row.split() if cell.endswith("x") and cell[:-1].replace(".", "").isdigit())
    assert float(ratio.rstrip("x")) == converted
    assert ("full-resolution" in out.stdout) == ome and "as `pymecompress info` counts" in out.stdout
    assert "ratio = raw bytes / bytes of the stored chunks" in info.stdout


def test_convert_help_lists_the_input_formats(tmp_path):
    out = run_cli(tmp_path, "convert", "--help")
    assert out.returncode == 0
    for fmt in ("TIFF", "OME-TIFF", "BigTIFF", "ImageJ", "TIFF frames", "PZF", ".npy", "--series", "--force"):
        assert fmt in out.stdout, fmt
