"""A clone on its own passes its tests: nothing in the repository reads files from beside it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from helpers import DATA, LEGACY, ROOT

OUTSIDE = re.compile(r"\.\./shared|parent\s*/\s*[\"']shared[\"']")
TEXT = (".py", ".md", ".sh", ".toml", ".cfg", ".in", ".c", ".h", ".json", ".yml")


def project_files() -> list[Path]:
    """Files git tracks or would track (the working tree as a clone has it), or every file without git."""
    try:
        out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
        return [ROOT / name for name in out.splitlines()]
    except (OSError, subprocess.CalledProcessError):
        return [p for p in ROOT.rglob("*") if ".git" not in p.parts]


def test_nothing_reads_from_beside_the_repository():
    offenders = []
    for path in project_files():
        if path.name == Path(__file__).name or not path.is_file() or not (path.suffix in TEXT or path.name == "run"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_data_is_in_the_repository():
    assert sorted(p.name for p in DATA.glob("*.tif")) == [
        "brightfield_worms_ccd_520x696.tif", "lightsheet_bead_psf_61x128x128.tif",
        "smlm_sdt_pMHC_AF647_10x128x128.tif", "widefield_timelapse_ecoli_gfp_53x64x64.tif"]
    assert (DATA / "hst_stis_o4sp040b0_raw.fits").is_file()  # a real HST raw FITS, for the FITS reader
    assert (DATA / "ccd_stars_saao_520x536_raw.fits").is_file()  # a raw CCD star field, for validate's photometry
    assert (DATA / "README.md").is_file() and (DATA / "LICENSES.md").is_file()
    assert (LEGACY / "manifest.json").is_file() and (LEGACY / "README.md").is_file()
