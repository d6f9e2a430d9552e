"""js/scripts/install-toolchain.sh, which the README and .ci/run use to get the JavaScript build tools: it asks
Debian only for what is missing, and never for Node.js or npm where a Node.js is already installed (Debian's npm
package conflicts with a Node.js from NodeSource or nvm)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from helpers import ROOT

SCRIPT = ROOT / "js" / "scripts" / "install-toolchain.sh"


def _dry_run(tmp_path, tools: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """The script's --dry-run on a PATH holding only ``tools`` (name -> shell body) and the utilities it uses."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("sed", "head", "id"):
        (bin_dir / name).symlink_to(shutil.which(name))
    for name, body in tools.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return subprocess.run([shutil.which("bash"), str(SCRIPT), "--dry-run", *args], capture_output=True, text=True,
                          env={"PATH": str(bin_dir)}, timeout=60)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_node_from_elsewhere_is_kept(tmp_path):
    built = {"clang": "echo 'Debian clang version 16.0.6'", "wasm-ld": "true", "dpkg": "exit 0"}
    with_node = _dry_run(tmp_path / "a", {**built, "node": "echo v22.1.0", "npm": "echo 10.0.0"}, "--with-browser")
    assert with_node.returncode == 0, with_node.stderr
    assert with_node.stdout.split() == ["chromium"]
    without = _dry_run(tmp_path / "b", {**built, "chromium": "true"})
    assert without.stdout.split() == ["nodejs", "npm"]
    nothing = _dry_run(tmp_path / "c", {"dpkg": "exit 1"})
    assert nothing.stdout.split() == ["clang", "lld", "wasi-libc", "libclang-rt-14-dev-wasm32", "nodejs", "npm"]
    clang16 = _dry_run(tmp_path / "d", {"clang": "echo 'Debian clang version 16.0.6'", "dpkg": "exit 1"})
    assert "libclang-rt-16-dev-wasm32" in clang16.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_node_without_npm_is_explained(tmp_path):
    done = _dry_run(tmp_path, {"node": "echo v22.1.0", "dpkg": "exit 0", "clang": "echo 'clang version 14.0.6'",
                               "wasm-ld": "true"})
    assert done.returncode == 1 and "conflicts with a Node.js from another source" in done.stderr


def test_readme_and_ci_use_the_script():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash js/scripts/install-toolchain.sh" in readme and "apt-get install clang" not in readme
    assert "bash js/scripts/install-toolchain.sh --with-browser" in ci
