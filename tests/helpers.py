"""Test helpers: the real camera data and legacy vectors in tests/data with their camera models, simulated
frames, running the command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = Path(__file__).resolve().parent / "data"
DATA = TESTDATA / "camera"  # real camera files, provenance and licences in its README.md
LEGACY = TESTDATA / "legacy"  # what the original pymecompress and PYME wrote, described in its README.md
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# offset (ADU), gain (ADU/e-), read noise (e-) per real file, from tests/data/camera/README.md
# (lower ends of the fitted ranges where a range is given: a lower gain quantizes more finely).
CAMERAS = {
    "smlm_sdt_pMHC_AF647_10x128x128.tif": {"offset": 205.0, "gain": 17.0, "read_noise": 0.0},
    "widefield_timelapse_ecoli_gfp_53x64x64.tif": {"offset": 400.0, "gain": 4.2, "read_noise": 0.0},
    "lightsheet_bead_psf_61x128x128.tif": {"offset": 93.0, "gain": 1.8, "read_noise": 0.0},
    "brightfield_worms_ccd_520x696.tif": {"offset": 100.0, "gain": 0.184, "read_noise": 13.0},
}


def require_data(path: Path) -> Path:
    """``path`` (a file of tests/data), or a test failure naming it: the data belongs to the repository."""
    if not path.exists():
        pytest.fail(f"{path} is missing: tests/data is part of the repository; restore it with git checkout")
    return path


def load_real(name: str) -> np.ndarray:
    import tifffile

    return tifffile.imread(require_data(DATA / name))


def simulate_scmos(shape, photons, offset=100.0, gain=2.2, read_noise=1.5, seed=0) -> np.ndarray:
    """Poisson photons + Gaussian read noise + offset, in ADU, as uint16."""
    rng = np.random.default_rng(seed)
    electrons = rng.poisson(np.broadcast_to(photons, shape)).astype(np.float64)
    electrons += rng.normal(0.0, read_noise, shape)
    return np.clip(np.round(electrons * gain + offset), 0, 65535).astype(np.uint16)


def run_cli(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the installed ``pymecompress`` command with ``args`` in ``cwd`` (text output captured)."""
    return subprocess.run([sys.executable, "-m", "pymecompress", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


def blob_scene(shape: tuple[int, int], peak: float = 150.0, width: float = 0.25) -> np.ndarray:
    """Photons per pixel: a dim background of 3 and a Gaussian blob of ``peak`` photons in the middle, of sigma
    ``width`` times the height (a range of levels, for calibrations and camera checks)."""
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    r2 = (yy - shape[0] / 2) ** 2 + (xx - shape[1] / 2) ** 2
    return 3 + peak * np.exp(-r2 / (2 * (shape[0] * width) ** 2))


def camera_args(codec_id: str) -> dict:
    """The least a codec needs to exist: a camera for the noise-bounded ones (they never assume one), else nothing."""
    from pymecompress import registry

    return {"offset": 100.0, "gain": 2.0} if registry.BY_ID[codec_id].takes_camera else {}
