"""The JavaScript package (js/): the C core compiled to WebAssembly reads what Python writes, byte for byte.

Builds js/ (``npm ci`` when its dependencies are missing, then ``npm run build``: the wasm module from the same C
sources), writes the test inputs with tests/js_cases.py (the committed fixtures and zarr stores written by
zarr-python) and runs the Node tests (``node --test``) on them.

Skipped, with the reason, when node, npm, clang or wasm-ld is missing; with ``PYMECOMPRESS_REQUIRE_JS=1`` (set
by .ci/run, which installs them) a missing tool fails instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

JS = ROOT / "js"
TOOLS = ("node", "npm", "clang", "wasm-ld")


def require_js_tools() -> None:
    """Skip (or fail, under ``PYMECOMPRESS_REQUIRE_JS=1``) when a tool the JS build needs is missing."""
    if "asan" in os.environ.get("LD_PRELOAD", ""):
        pytest.skip("sanitizer run (tests/sanitize.sh): the wasm build does not use the native one, and Node and "
                    "clang must not run with the sanitizer runtimes preloaded; the plain test run covers it")
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    reason = (f"the JavaScript tests need {', '.join(missing)} "
              "(apt-get install clang lld wasi-libc nodejs npm; .ci/run installs them)")
    if os.environ.get("PYMECOMPRESS_REQUIRE_JS") == "1":
        pytest.fail(reason + ", and PYMECOMPRESS_REQUIRE_JS=1 forbids skipping")
    pytest.skip(reason)


def run(cmd: list[str], cwd: Path, timeout: float = 600, env: dict[str, str] | None = None) -> str:
    """Run ``cmd`` and return its output; fail the test with the output when it exits non-zero."""
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{output[-6000:]}"
    return output


@pytest.fixture(scope="session")
def js_build() -> Path:
    """js/ with its dependencies installed and its wasm module built from the current C sources."""
    require_js_tools()
    lock = JS / "package-lock.json"
    stamp = JS / "node_modules" / ".package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
        run(["npm", "ci", "--no-audit", "--no-fund"], JS, env={"PUPPETEER_SKIP_DOWNLOAD": "1"})
    run(["npm", "run", "build"], JS)
    return JS


@pytest.fixture(scope="session")
def js_cases(tmp_path_factory) -> Path:
    """The inputs of the Node tests, written by tests/js_cases.py."""
    out = tmp_path_factory.mktemp("js-cases")
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    run([sys.executable, str(ROOT / "tests" / "js_cases.py"), str(out)], ROOT, env={"PYTHONPATH": pythonpath})
    return out


def test_node_tests_pass(js_build, js_cases):
    """Every committed fixture and every zarr store decodes byte-identically through the wasm build."""
    tests = sorted(str(p.relative_to(js_build)) for p in (js_build / "test").glob("*.test.mjs"))
    assert tests, "no Node tests found in js/test"
    output = run(["node", "--test", *tests], js_build, env={"PYMECOMPRESS_JS_CASES": str(js_cases)})
    assert "# fail 0" in output and "# pass 0" not in output, output[-3000:]
