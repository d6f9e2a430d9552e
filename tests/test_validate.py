"""``pymecompress validate`` on the real single-molecule movie and the real CCD star frame of tests/data/camera, and
on simulated scenes where the truth is known (a star field, a calcium-imaging movie): it picks the analysis the
data call for, runs it with the field's library on original and decoded data, its figures show what the codec
promises (block medians within 0.03 sigma at step 1, the analysis changed no more than plain noise of the same
variance does), and its report is one self-contained HTML page that names the analysis.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from helpers import DATA, run_cli
from pymecompress.camera import CameraModel
from pymecompress.tools.validation import validate
from pymecompress.tools.validation.measures import same_variance_noise

pytest.importorskip("sep")
pytest.importorskip("trackpy")

SMLM = DATA / "smlm_sdt_pMHC_AF647_10x128x128.tif"
STARS = DATA / "ccd_stars_saao_520x536_raw.fits"
SMLM_CAMERA = {"offset": 205.0, "gain": 17.0}
STARS_CAMERA = {"offset": 214.0, "gain": 0.526, "read_noise": 5.0}  # overscan median; header GAIN, RDNOISE


def star_field(seed: int = 5, shape=(256, 256), stars: int = 150) -> tuple[np.ndarray, dict]:
    """A CCD frame of Gaussian stars (fluxes from 300 to 30000 e-) on a 200 e- sky: offset 500 ADU, gain
    0.8 ADU/e-, read noise 6 e-."""
    rng = np.random.default_rng(seed)
    camera = {"offset": 500.0, "gain": 0.8, "read_noise": 6.0}
    yy, xx = np.indices(shape)
    electrons = np.full(shape, 200.0)
    for x, y, flux in zip(rng.uniform(8, shape[1] - 8, stars), rng.uniform(8, shape[0] - 8, stars),
                          10 ** rng.uniform(2.5, 4.5, stars), strict=True):
        electrons += flux / (2 * np.pi * 1.5 ** 2) * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.5 ** 2))
    counts = rng.poisson(electrons) + rng.normal(0, camera["read_noise"], shape)
    return np.clip(np.rint(camera["offset"] + camera["gain"] * counts), 0, 65535).astype(np.uint16), camera


def calcium_movie(seed: int = 6, frames: int = 120, shape=(64, 64), cells: int = 12) -> tuple[np.ndarray, dict]:
    """Cells (discs of 3-4 pixels radius) firing calcium transients (jumps decaying over 8 frames) on a dim
    background: sCMOS-like camera, offset 100 ADU, gain 2 ADU/e-, read noise 1.5 e-."""
    rng = np.random.default_rng(seed)
    camera = {"offset": 100.0, "gain": 2.0, "read_noise": 1.5}
    yy, xx = np.indices(shape)
    electrons = np.full((frames, *shape), 30.0)
    for _ in range(cells):
        cy, cx, r = rng.uniform(6, shape[0] - 6), rng.uniform(6, shape[1] - 6), rng.uniform(3, 4)
        disc = ((yy - cy) ** 2 + (xx - cx) ** 2) <= r * r
        spikes = (rng.random(frames) < 0.06).astype(float) * rng.uniform(1, 3, frames)
        dff = np.convolve(spikes, np.exp(-np.arange(30) / 8.0))[:frames]
        electrons[:, disc] += (80 * (1 + dff))[:, None]
    counts = rng.poisson(electrons) + rng.normal(0, camera["read_noise"], electrons.shape)
    return np.clip(np.rint(camera["offset"] + camera["gain"] * counts), 0, 65535).astype(np.uint16), camera


def figure(result, name: str) -> float:
    return next(f.value for f in result.figures if f.name == name)


def test_single_molecule_movie(tmp_path):
    report = validate(SMLM, SMLM_CAMERA, steps=(1.0, 2.0))
    assert report.analysis == "localization" and "sparse spots" in report.reason
    one, two = (s.measures for s in report.steps)
    assert one.median_shift <= 0.03 and abs(one.median_shift_signed) <= 0.03
    assert abs(one.mean_bias) <= 0.02 and abs(two.mean_bias) <= 0.02
    assert abs(one.added_noise - one.added_noise_expected) < 0.005
    assert one.spectrum.peak < 1.5  # no structure at tile edges
    for s in report.steps:
        a = s.analysis
        assert a.name == "localization" and a.library.startswith("trackpy ") and a.found > 100
        assert a.lost + a.gained <= 0.05 * a.found
        # localization is unbiased, and moves positions no more than plain noise of the same variance does
        for axis in ("x", "y"):
            assert abs(figure(a, f"position shift {axis}, mean")) < 0.2
        assert figure(a, "position shift, median") < 1.25 * figure(a.reference, "position shift, median")


def test_star_frame_and_its_report(tmp_path):
    out = run_cli(tmp_path, "validate", str(STARS), "--offset", "214", "--gain", "0.526", "--read-noise", "5",
                  "--steps", "0.5,1", "--report", "stars.html")
    assert out.returncode == 0, out.stderr
    assert "analysis    : photometry (a FITS file)" in out.stdout
    assert re.search(r"photometry     : sep [\d.]+: \d+ found in the original", out.stdout), out.stdout
    assert "bias per signal level" in out.stdout
    page = (tmp_path / "stars.html").read_text()
    assert "<b>photometry</b>" in page and "sky background (sep.Background) shift" in page
    assert page.count("src='data:image/png;base64,") == 4
    assert not re.search(r"(src|href)=['\"]?(https?:|//|file:)", page)  # self-contained


def test_simulated_star_field():
    frame, camera = star_field()
    path_report = validate_array(frame[None], camera, "photometry")
    for s in path_report.steps:
        a = s.analysis
        assert a.found >= 50 and a.lost + a.gained <= 0.05 * a.found
        assert abs(figure(a, "sky background (sep.Background) shift")) < 0.1
        assert abs(figure(a, "aperture flux change, mean")) < 0.2
        assert figure(a, "aperture flux change, mean |.|") < 1.5 * figure(a.reference, "aperture flux change, mean |.|")


def test_simulated_calcium_movie():
    movie, camera = calcium_movie()
    report = validate_array(movie, camera, "auto")
    assert report.analysis == "traces", report.reason
    for s in report.steps:
        a = s.analysis
        assert a.found >= 5 and "regions of correlated pixels" in a.notes[0]
        assert figure(a, "trace correlation, lowest") > 0.99
        assert figure(a, "dF/F change, mean |.|") < 1.25 * figure(a.reference, "dF/F change, mean |.|")


def validate_array(stack: np.ndarray, camera: dict, analysis: str, steps=(1.0, 2.0)):
    import os
    import tempfile

    path = os.path.join(tempfile.mkdtemp(), "data.npy")
    np.save(path, stack)
    return validate(path, camera, steps=steps, analysis=analysis)


def test_same_variance_noise_has_the_quantizer_variance():
    cam = CameraModel(offset=100, gain=2.0, read_noise=1.0, step=2.0)
    x = np.random.default_rng(0).poisson(50, (256, 256)).astype(np.uint16) * 2 + 100
    y = same_variance_noise(x, cam)
    assert abs(np.std(cam.vst(y) - cam.vst(x)) - 2.0 / np.sqrt(12)) < 0.02
    sigma = 2.0 * np.sqrt(50 + 1.0)
    assert abs(float(np.mean(y.astype(float) - x)) / sigma) < 0.005  # zero-mean: a reference free of mean bias


def test_refusals(tmp_path):
    np.save(tmp_path / "m.npy", np.ones((2, 16, 16), np.uint16))
    out = run_cli(tmp_path, "validate", "m.npy")
    assert out.returncode == 2 and "needs the camera's offset and gain" in out.stderr
    out = run_cli(tmp_path, "validate", "m.npy", "--offset", "1", "--gain", "1", "--steps", "1,-2")
    assert out.returncode == 2 and "steps must be > 0" in out.stderr
    np.save(tmp_path / "f.npy", np.ones((2, 16, 16), np.float32))
    out = run_cli(tmp_path, "validate", "f.npy", "--offset", "1", "--gain", "1")
    assert out.returncode == 2 and "only uint8 and uint16" in out.stderr


def test_missing_library_names_the_extra(monkeypatch):
    import importlib.util

    from pymecompress.tools import validation

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "trackpy" else real(name, *a))
    with pytest.raises(ImportError, match=r"needs trackpy, which is not installed: pip install .pymecompress\[valid"):
        validation._analysis_module("localization")
