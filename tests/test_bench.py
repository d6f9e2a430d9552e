"""bench/run.py writes its results where it is told (``--out``, by default ./bench-results) and leaves the committed
bench/results.json and bench/results.png alone unless ``--publish`` is given.

The benchmark runs in its smallest configuration (``--smoke``, a few seconds). It needs nothing beyond the test
extra: the contenders of the bench extra (imagecodecs' JPEG-LS, pcodec) join when they are installed and are left
out with a note otherwise.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from helpers import ROOT

BENCH = ROOT / "bench" / "run.py"
COMMITTED = [ROOT / "bench" / "results.json", ROOT / "bench" / "results.png"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# the Huff0 reference module (bench/huff0_ref.py) is compiled here, not in the user's cache
HUFF0_CACHE = Path(tempfile.gettempdir()) / "pymecompress-bench-tests"


def run_bench(*args: str, cwd: Path, **extra_env: str) -> subprocess.CompletedProcess[str]:
    # without the original pymecompress, whatever the environment says: the smoke run stays small
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYMECOMPRESS_ORIGINAL_SITE", "PYMECOMPRESS_LEGACY_PYTHON")}
    env.setdefault("PYMECOMPRESS_BENCH_CACHE", str(HUFF0_CACHE))
    env.update(extra_env)
    return subprocess.run([sys.executable, str(BENCH), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture
def committed_unchanged():
    """Fails the test if bench/results.json or bench/results.png changed while it ran."""
    before = {path: path.read_bytes() for path in COMMITTED}
    yield
    changed = [path.name for path in COMMITTED if path.read_bytes() != before[path]]
    assert not changed, f"the benchmark overwrote the committed bench/{', bench/'.join(changed)}"


def load_huff0_ref():
    """bench/huff0_ref.py as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("huff0_ref", ROOT / "bench" / "huff0_ref.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["huff0_ref"] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def check_huff0(run: subprocess.CompletedProcess[str], folder: Path) -> None:
    """With a libzstd.a the run has the Huff0 reference row and the comparison under each table; without, a note."""
    results = json.loads((folder / "results.json").read_text())
    rows = [row for rows in results.values() for row in rows if row.get("entropy_only")]
    if "(Huff0 reference: " in run.stderr:
        assert len(rows) == len(results) and all(row["decode_into_mbps"] > 0 for row in rows)
        assert "huffquant16 over the Huff0 reference" in run.stdout
    else:
        assert "(no Huff0 reference row: " in run.stderr and not rows


def check_results(folder: Path) -> None:
    results = json.loads((folder / "results.json").read_text())
    assert {"sim bright structured", "sim dim", "sim sparse single molecules"} <= set(results)
    for label, rows in results.items():
        codecs = {row["codec"] for row in rows}
        assert {"huffquant16 step 1", "hufflossless", "zstd 5"} <= codecs, label
        step1 = next(row for row in rows if row["codec"] == "huffquant16 step 1")
        assert step1["ratio"] > 1 and step1["max_error_sigma"] <= 1.0, (label, step1)
    if importlib.util.find_spec("matplotlib") is not None:
        assert (folder / "results.png").read_bytes()[:8] == PNG_SIGNATURE


def test_smoke_run_writes_to_out_only(tmp_path, committed_unchanged):
    out = tmp_path / "my results"
    run = run_bench("--smoke", "--out", str(out), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    check_results(out)
    check_huff0(run, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name], "written outside --out"
    assert "### sim bright structured" in run.stdout and "speed-up with 2 threads" in run.stdout
    # the A/B of dithering: the undithered rows, and the dithered ones over them with issue #24's targets
    assert "huffquant16 undithered (v1) step 1" in run.stdout
    assert re.search(r"- step 1: ratio \d\.\d{3}x \((met|missed)\), encode \d\.\d\dx", run.stdout), run.stdout


def test_default_out_is_a_folder_in_the_current_directory(tmp_path, committed_unchanged):
    run = run_bench("--smoke", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    check_results(tmp_path / "bench-results")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench-results"]


def test_without_libzstd_the_huff0_row_is_left_out(tmp_path):
    run = run_bench("--smoke", "--out", str(tmp_path), cwd=tmp_path, PYMECOMPRESS_LIBZSTD_A="")
    assert run.returncode == 0, run.stderr
    check_results(tmp_path)
    check_huff0(run, tmp_path)
    assert "turned off" in run.stderr


def test_huff0_symbols_are_the_segments_symbols():
    """The reference's symbols follow docs/FORMAT.md: literal z >> k below 64, else 64 + bitlen(z >> k) - 7."""
    from pymecompress import HuffmanLossless

    ref = load_huff0_ref()
    z = np.array([0, 1, 63, 64, 127, 128, 255, 256, 65535], np.uint16)
    assert ref._symbol_of(z, 0).tolist() == [0, 1, 63, 64, 64, 65, 65, 66, 73]
    assert ref._symbol_of(z, 2).tolist() == [0, 0, 15, 16, 31, 32, 63, 64, 71]
    rng = np.random.default_rng(0)
    frame = rng.poisson(3000, (600, 512)).astype(np.uint16)  # two segments, large residuals: k > 0
    buf = HuffmanLossless().encode(frame)
    symbols, shifts = ref.huffman_symbols(buf)
    assert symbols.size == frame.size and len(shifts) == 2
    assert all(mode == 0 and 0 < k < 16 for mode, k in shifts), shifts
    from pymecompress import _binding

    seg = 262144
    z = _binding.residuals(buf)
    for s, (_, k) in enumerate(shifts):
        part = z[s * seg:(s + 1) * seg] >> k
        assert np.array_equal(symbols[s * seg:(s + 1) * seg][part < 64], part[part < 64])


def test_default_out_in_the_repository_is_ignored_by_git():
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    for path in ("bench-results/results.json", "bench/bench-results/results.png"):
        # read-only: exit 0 when the path is ignored
        assert subprocess.run([git, "check-ignore", "-q", path], cwd=ROOT).returncode == 0, path
    for path in ("bench/results.json", "bench/results.png"):
        assert subprocess.run([git, "check-ignore", "-q", path], cwd=ROOT).returncode == 1, path


@pytest.mark.parametrize("args", [
    ["--smoke", "--out", str(ROOT / "bench")],          # the committed folder needs --publish
    ["--smoke", "--out", "."],                          # the same, relative to bench/ (cwd below)
    ["--publish", "--smoke"],                           # only a full run refreshes the committed figures
    ["--publish", "--quick"],
], ids=["out-bench", "out-dot-from-bench", "publish-smoke", "publish-quick"])
def test_committed_results_change_only_on_purpose(args, committed_unchanged):
    run = run_bench(*args, cwd=ROOT / "bench")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "--publish" in run.stderr


def test_pipeline_benchmark_reports_every_row(tmp_path) -> None:
    """bench/pipeline.py (convert and zarr reads against the codec alone) runs and writes its figures."""
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "pipeline.py"), "--planes", "4", "--repeats", "1",
                             "--threads", "1", "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    rows = json.loads((tmp_path / "pipeline.json").read_text())["rows"]
    assert {row["what"] for row in rows} >= {"codec alone: encode", "codec alone: decode into a new array",
                                              "convert (chunk writer)", "zarr read, sharded, zarr's pipeline",
                                              "zarr read, ThreadedReadPipeline", "pymecompress.open, sharded",
                                              "pymecompress.open(store)[:]", "convert --shards auto",
                                              "disk: the stored bytes, one sequential writer (reference)"}
    assert all(row["MB/s"] > 0 for row in rows)
    assert all(row["x disk"] > 0 for row in rows if row["what"].startswith("convert"))
    assert "| 1 | convert (chunk writer) |" in result.stdout


@pytest.mark.parametrize("what", ["enc", "dec"])
def test_profile_loop_runs(what) -> None:
    """bench/profile_loop.py (the loop bench/PROFILE.md's profiles sample) runs and reports a speed."""
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "profile_loop.py"), what, "0.05", "--scene", "wide"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(rf"{what} wide: \d+ MB/s\n", result.stdout), result.stdout


def test_smoke_run_prints_the_issue_16_lines(tmp_path) -> None:
    """The tables end with huffquant16's decode into new arrays over reused out, against the target."""
    run = run_bench("--smoke", "--out", str(tmp_path), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "huffquant16's decode into new arrays over decode into reused out (target of issue #16: >= 0.8x)" \
        in run.stdout
