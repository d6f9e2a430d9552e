"""End-to-end tests of ``pymecompress convert``, ``calibrate``, ``info`` and the demo report, run as the
installed command in a temporary folder."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import tifffile
import zarr

from helpers import DATA, blob_scene, require_data, run_cli, simulate_scmos
from pymecompress import CameraModel
from pymecompress.tools.calibrate import calibrate, calibrate_array

CAMERA = {"offset": 100.0, "gain": 2.2, "read_noise": 1.5}
CAM_ARGS = ["--offset", "100", "--gain", "2.2", "--read-noise", "1.5"]


@pytest.fixture(scope="module")
def movie() -> np.ndarray:
    return simulate_scmos((7, 96, 80), blob_scene((96, 80)), **CAMERA, seed=3)


def check_bound(original: np.ndarray, decoded: np.ndarray, camera: dict, step: float = 1.0) -> None:
    assert decoded.shape == original.shape and decoded.dtype == original.dtype
    assert CameraModel(**camera, step=step).error_sigmas(original, decoded).max() <= step


def test_convert_multipage_tiff(tmp_path, movie):
    tifffile.imwrite(tmp_path / "movie.tif", movie)
    out = run_cli(tmp_path, "convert", "movie.tif", "movie.zarr", *CAM_ARGS, "--chunks", "1,48,40", "--threads", "2")
    assert out.returncode == 0, out.stderr
    assert "ratio" in out.stdout and "MB/s" in out.stdout
    z = zarr.open_array(tmp_path / "movie.zarr", mode="r")
    assert z.metadata.zarr_format == 3 and z.chunks == (1, 48, 40)
    assert z.compressors[0].to_dict()["name"] == "huffquant16"
    check_bound(movie, z[:], CAMERA)
    info = run_cli(tmp_path, "info", "movie.zarr")
    assert info.returncode == 0, info.stderr
    assert "huffquant16" in info.stdout and "7x96x80" in info.stdout and "ratio" in info.stdout


def test_convert_folder_of_frames_and_glob(tmp_path, movie):
    (tmp_path / "frames").mkdir()
    for i, frame in enumerate(movie):  # natural order: frame_10 after frame_9 (only 7 here, still checks sorting)
        tifffile.imwrite(tmp_path / "frames" / f"frame_{i}.tif", frame)
    out = run_cli(tmp_path, "convert", "frames", "f.zarr", *CAM_ARGS, "--step", "2")
    assert out.returncode == 0, out.stderr
    check_bound(movie, zarr.open_array(tmp_path / "f.zarr", mode="r")[:], CAMERA, step=2.0)
    out = run_cli(tmp_path, "convert", "frames/frame_*.tif", "g.zarr", "--codec", "hufflossless")
    assert out.returncode == 0, out.stderr
    np.testing.assert_array_equal(zarr.open_array(tmp_path / "g.zarr", mode="r")[:], movie)


def test_convert_npy_with_calibration_file(tmp_path, movie):
    np.save(tmp_path / "movie.npy", movie)
    (tmp_path / "cal.json").write_text(json.dumps(CAMERA))
    out = run_cli(tmp_path, "convert", "movie.npy", "m.zarr", "--calibration", "cal.json", "--quiet")
    assert out.returncode == 0, out.stderr
    check_bound(movie, zarr.open_array(tmp_path / "m.zarr", mode="r")[:], CAMERA)
    out = run_cli(tmp_path, "convert", "movie.npy", "n.zarr", "--codec", "nbitpack")
    assert out.returncode == 0, out.stderr
    np.testing.assert_array_equal(zarr.open_array(tmp_path / "n.zarr", mode="r")[:], movie)


@pytest.mark.parametrize("ngff", ["0.4", "0.5"])
def test_convert_ome_zarr(tmp_path, ngff):
    stack = simulate_scmos((3, 260, 258), blob_scene((260, 258)), **CAMERA, seed=4)
    tifffile.imwrite(tmp_path / "z.tif", stack, photometric="minisblack", metadata={"axes": "ZYX"})
    out = run_cli(tmp_path, "convert", "z.tif", "img.zarr", *CAM_ARGS, "--ome", "--ngff", ngff)
    assert out.returncode == 0, out.stderr
    group = zarr.open_group(tmp_path / "img.zarr", mode="r")
    attrs = group.attrs.asdict()
    ms = attrs["multiscales"][0] if ngff == "0.4" else attrs["ome"]["multiscales"][0]
    assert group.metadata.zarr_format == (2 if ngff == "0.4" else 3)
    assert (ms.get("version") or attrs["ome"]["version"]) == ngff
    assert [a["name"] for a in ms["axes"]] == ["z", "y", "x"]
    assert [d["path"] for d in ms["datasets"]] == ["0", "1", "2"]  # 260x258 -> 130x129 -> 65x64 (>= 64 px)
    assert ms["datasets"][2]["coordinateTransformations"][0]["scale"] == [1.0, 4.0, 4.0]
    check_bound(stack, group["0"][:], CAMERA)
    level1 = group["1"][:]
    assert level1.shape == (3, 130, 129) and group["2"].shape == (3, 65, 64)
    means = stack[:, :, :258].reshape(3, 130, 2, 129, 2).astype(np.float64).mean(axis=(2, 4))
    binned = np.round(means).astype(np.uint16)  # half to even, like the converter
    camera1 = {"offset": 100.0, "gain": 2.2 / 4, "read_noise": 3.0}  # the mean of 4 pixels
    check_bound(binned, level1, camera1)
    info = run_cli(tmp_path, "info", "img.zarr")
    assert info.returncode == 0 and f"OME-Zarr {ngff}" in info.stdout and "total" in info.stdout, info.stderr


def test_convert_bounded_memory(tmp_path):
    """A 320 MB input converts with a peak RSS far below its size."""
    n, ny, nx = 160, 1024, 1024
    pool = simulate_scmos((4, ny, nx), blob_scene((ny, nx)), **CAMERA, seed=5)
    data = np.lib.format.open_memmap(tmp_path / "big.npy", mode="w+", dtype=np.uint16, shape=(n, ny, nx))
    for i in range(0, n, 4):
        data[i:i + 4] = pool
    data.flush()
    del data
    probe = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
             "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "pymecompress", "convert", "big.npy",
                          "big.zarr", *CAM_ARGS, "--threads", "2"], capture_output=True, text=True, cwd=tmp_path)
    code, peak_kib = map(int, out.stdout.split()[-2:])
    assert code == 0, out.stderr
    input_mb, peak_mb = n * ny * nx * 2 / 1e6, peak_kib * 1024 / 1e6
    assert peak_mb < min(200.0, input_mb / 2), f"peak RSS {peak_mb:.0f} MB for a {input_mb:.0f} MB input"
    z = zarr.open_array(tmp_path / "big.zarr", mode="r")
    check_bound(pool[1], z[n - 3], CAMERA)


@pytest.mark.parametrize("case", ["missing", "garbage", "float32", "truncated_npy", "truncated_tiff", "uint8_quant",
                                  "exists"])
def test_convert_errors(tmp_path, movie, case):
    target = "out.zarr"
    if case == "missing":
        source = "nothing_here.tif"
    elif case == "garbage":
        source = "garbage.tif"
        (tmp_path / source).write_bytes(b"this is not an image" * 50)
    elif case == "float32":
        source = "float.npy"
        np.save(tmp_path / source, movie.astype(np.float32))
    elif case == "truncated_npy":
        source = "cut.npy"
        np.save(tmp_path / "full.npy", movie)
        (tmp_path / source).write_bytes((tmp_path / "full.npy").read_bytes()[:-1000])
    elif case == "truncated_tiff":
        source = "cut.tif"
        tifffile.imwrite(tmp_path / "full.tif", movie)
        (tmp_path / source).write_bytes((tmp_path / "full.tif").read_bytes()[: movie.nbytes // 2])
    elif case == "uint8_quant":
        source = "u8.npy"
        np.save(tmp_path / source, (movie // 256).astype(np.uint8))
    else:
        source = "movie.npy"
        np.save(tmp_path / source, movie)
        (tmp_path / target).mkdir()
        (tmp_path / target / "keep.txt").write_text("precious")
    before = sorted(p.name for p in tmp_path.iterdir())
    out = run_cli(tmp_path, "convert", source, target, *CAM_ARGS)
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pymecompress convert: error: "), out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing half-written left behind
    if case == "exists":
        assert (tmp_path / target / "keep.txt").read_text() == "precious"
        # not a zarr store: --overwrite refuses it too and leaves it as it was (test_convert_safety.py covers
        # replacing a real zarr store)
        again = run_cli(tmp_path, "convert", source, target, *CAM_ARGS, "--overwrite")
        assert again.returncode == 2 and "not a zarr store" in again.stderr, again.stderr
        assert sorted(p.name for p in (tmp_path / target).iterdir()) == ["keep.txt"]
        assert (tmp_path / target / "keep.txt").read_text() == "precious"


@pytest.mark.parametrize("offset, gain, read_noise", [(100.0, 2.2, 1.5), (400.0, 0.5, 5.0), (205.0, 17.0, 0.0)])
def test_calibrate_simulated(offset, gain, read_noise):
    photons = blob_scene((128, 128))
    movie = simulate_scmos((30, 128, 128), photons, offset, gain, read_noise, seed=6)
    cal = calibrate_array(movie)
    assert cal.gain == pytest.approx(gain, rel=0.05)
    # by default the offset is the x-intercept, read noise taken as 0: lower by gain * read_noise**2
    assert cal.offset == pytest.approx(offset - gain * read_noise**2, rel=0.05)
    assert cal.offset <= offset + 3 * cal.offset_stderr
    assert cal.r2 > 0.98 and cal.n_points >= 10 and not cal.warnings
    # a known read noise (data sheet) or dark frames pin offset and read noise
    pinned = calibrate_array(movie, read_noise=read_noise)
    assert pinned.offset == pytest.approx(offset, rel=0.05)
    dark = simulate_scmos((30, 128, 128), 0.0, offset, gain, max(read_noise, 0.5), seed=7)
    with_dark = calibrate_array(movie, dark=dark)
    assert with_dark.offset == pytest.approx(offset, rel=0.05)
    assert with_dark.read_noise == pytest.approx(max(read_noise, 0.5), rel=0.05)


def test_calibrate_cli_writes_json_for_convert(tmp_path):
    movie = simulate_scmos((20, 96, 96), blob_scene((96, 96)), **CAMERA, seed=8)
    tifffile.imwrite(tmp_path / "movie.tif", movie)
    out = run_cli(tmp_path, "calibrate", "movie.tif", "--out", "cal.json", "--read-noise", "1.5")
    assert out.returncode == 0, out.stderr
    cal = json.loads((tmp_path / "cal.json").read_text())
    assert cal["gain"] == pytest.approx(2.2, rel=0.05) and cal["offset"] == pytest.approx(100, rel=0.05)
    assert cal["fit"]["r2"] > 0.95 and cal["fit"]["n_points"] >= 10
    conv = run_cli(tmp_path, "convert", "movie.tif", "m.zarr", "--calibration", "cal.json")
    assert conv.returncode == 0, conv.stderr
    check_bound(movie, zarr.open_array(tmp_path / "m.zarr", mode="r")[:], {k: cal[k] for k in CAMERA})


def test_calibrate_refuses_unsupported_data(tmp_path):
    tifffile.imwrite(tmp_path / "one.tif", simulate_scmos((64, 64), 20.0, **CAMERA))
    tifffile.imwrite(tmp_path / "two.tif", simulate_scmos((2, 64, 64), 20.0, **CAMERA))
    for name in ("one.tif", "two.tif"):
        out = run_cli(tmp_path, "calibrate", name)
        assert out.returncode == 2 and "at least 3 frames" in out.stderr, out.stderr
    flat = simulate_scmos((20, 64, 64), 20.0, **CAMERA)  # one light level: no range to fit a slope
    cal_warn = None
    try:
        cal_warn = calibrate_array(flat)
    except ValueError as err:
        assert "range" in str(err) or "slope" in str(err)
    if cal_warn is not None:
        assert any("signal range" in w for w in cal_warn.warnings)
    saturated = simulate_scmos((20, 64, 64), blob_scene((64, 64)) * 200, **CAMERA)
    assert any("saturation" in w for w in calibrate_array(saturated).warnings)


# README ranges (tests/data/camera/README.md); the lightsheet stack spans only ~10 ADU of background, so its offset
# is extrapolated far and only checked within the fit's own uncertainty; the smlm "slope ~ 17" of the README is
# not what an unbiased frame-difference fit of these 10 frames gives (~23: blinking), so only its offset is checked.
REAL = {
    "lightsheet_bead_psf_61x128x128.tif": {"gain": (1.8, 2.1), "offset": (90, 97)},
    "widefield_timelapse_ecoli_gfp_53x64x64.tif": {"gain": (4.2, 6.0), "offset": (356, 430)},
    "smlm_sdt_pMHC_AF647_10x128x128.tif": {"gain": (10, 35), "offset": (200, 210)},
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_calibrate_real_data(name):
    cal = calibrate(require_data(DATA / name))
    (glo, ghi), (olo, ohi) = REAL[name]["gain"], REAL[name]["offset"]
    assert glo <= cal.gain <= ghi, cal.format()
    assert olo - 2 * cal.offset_stderr <= cal.offset <= ohi + 2 * cal.offset_stderr, cal.format()


def test_demo_writes_png_report(tmp_path):
    pytest.importorskip("matplotlib")
    out = run_cli(tmp_path, "demo", "--out", "report")
    assert out.returncode == 0, out.stderr
    assert "ratio" in out.stdout and "report" in out.stdout
    png = tmp_path / "report" / "pymecompress_demo.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_small_image_ratio_is_the_pixel_datas_and_metadata_is_counted_apart(tmp_path):
    """A 44 x 62 FITS plane's chunks compress well while its copied header outweighs them: convert and info both
    report the chunks' ratio and the metadata bytes apart (they used to report 0.50x for the two together)."""
    pytest.importorskip("astropy")
    fits = DATA / "hst_stis_o4sp040b0_raw.fits"
    require_data(fits)
    out = run_cli(tmp_path, "convert", f"{fits}:SCI", "hst.zarr", "--codec", "hufflossless")
    assert out.returncode == 0, out.stderr
    arr = zarr.open_array(tmp_path / "hst.zarr")
    metadata = (tmp_path / "hst.zarr" / "zarr.json").stat().st_size
    chunk_bytes = sum(p.stat().st_size for p in (tmp_path / "hst.zarr").rglob("*") if p.is_file()) - metadata
    ratio = arr.nbytes / chunk_bytes
    assert metadata > arr.nbytes > 3 * chunk_bytes  # the header weighs more than the pixels; chunks are > 3x
    assert f"ratio       : {ratio:.2f}x" in out.stdout and f"{metadata / 1e3:.1f} KB besides" in out.stdout
    info = run_cli(tmp_path, "info", "hst.zarr")
    assert info.returncode == 0, info.stderr
    row = info.stdout.splitlines()[1].split()
    assert f"{ratio:.2f}x" in row and f"{metadata / 1e3:.1f}" in row, info.stdout


def test_info_on_what_is_not_a_zarr_store(tmp_path, movie):
    """info on a camera file describes it and says how to convert it; on a damaged one it says what is wrong with
    it, in one line and exit 2, never in zarr's internal words."""
    tifffile.imwrite(tmp_path / "movie.tif", movie)
    whole = (tmp_path / "movie.tif").read_bytes()
    (tmp_path / "cut.tif").write_bytes(whole[: len(whole) // 2])
    ok = run_cli(tmp_path, "info", "movie.tif")
    assert ok.returncode == 0, ok.stderr
    assert "movie.tif is a camera file, not a zarr store" in ok.stdout and "7x96x80" in ok.stdout
    assert "pymecompress convert movie.tif OUT.zarr" in ok.stdout
    cut = run_cli(tmp_path, "info", "cut.tif")
    assert cut.returncode == 2 and len(cut.stderr.strip().splitlines()) == 1, cut.stderr
    assert "not a zarr store" in cut.stderr and "damaged TIFF" in cut.stderr
    assert "StorePath" not in cut.stderr and "No group found" not in cut.stderr
    (tmp_path / "broken.zarr").mkdir()
    (tmp_path / "broken.zarr" / "zarr.json").write_text("{not json")
    broken = run_cli(tmp_path, "info", "broken.zarr")
    assert broken.returncode == 2 and "a damaged zarr store" in broken.stderr, broken.stderr
