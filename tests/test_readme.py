"""The README's examples run as written, top to bottom, in one fresh folder, and its extras install what they import.

Every ```python and ```bash block of README.md runs, in the order of the README, in one temporary folder with
nothing else in it: python blocks with ``python -c``, bash blocks with ``bash -euo pipefail -c``, with this
Python's ``bin`` folder first on PATH (``python``, ``pymecompress``). A block may use what an earlier block wrote,
and must not rewrite or delete it: every example has its own output names. A block is left out only when the line
before it says why::

    <!-- readme-test: skip (why) -->

The first two blocks, marked ``<!-- ci:install-run -->`` and ``<!-- ci:test -->``, install the package and run
this test suite: .ci/run runs them itself, from the repository root.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from helpers import ROOT

README = ROOT / "README.md"
LANGUAGES = {"python", "bash"}  # every fenced block is one of these, so none is left out without a word
CI_MARKERS = ("install-run", "test")  # .ci/run's blocks, in this order, first in the README

FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>\S*)\s*$")
SKIP = re.compile(r"^<!-- readme-test: skip \((?P<why>.*\S.*)\) -->$")
CI = re.compile(r"^<!-- ci:(?P<name>[\w-]+) -->$")
MARKER = re.compile(r"^<!-- (readme-test|ci:)")
# `pip install ".[a,b]"` or `pip install "pymecompress[a]"`, as the README tells a reader to type it
PIP_EXTRAS = re.compile(r"pip install[^`\n]*?[\"']?(?:\.|pymecompress)\[(?P<extras>[^\]]+)\]")
TEST_EXTRA = "test"  # the test suite's own needs: an example must not need it


@dataclass
class Block:
    lang: str
    code: str
    line: int  # of the opening fence, 1-based
    marker: str  # the HTML comment on the line before, or ""

    @property
    def skip(self) -> str | None:
        """Why this block is not run here, or None."""
        if found := SKIP.match(self.marker):
            return found["why"]
        if (found := CI.match(self.marker)) and found["name"] in CI_MARKERS:
            return f"ci:{found['name']}, run by .ci/run"
        return None

    def where(self) -> str:
        first = next((s for s in self.code.splitlines() if s.strip()), "")
        return f"README.md:{self.line} ({self.lang}: {first.strip()[:70]})"


def readme_blocks(text: str) -> list[Block]:
    """The fenced code blocks of ``text`` in order, dedented (blocks inside list items are indented)."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent = opening["indent"]
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "```"), None)
        assert end is not None, f"README.md:{i + 1}: unclosed code block"
        body = [s[len(indent):] if s.startswith(indent) else s for s in lines[i + 1:end]]
        before = next((s.strip() for s in reversed(lines[:i]) if s.strip()), "")
        blocks.append(Block(opening["lang"], "\n".join(body) + "\n", i + 1, before if MARKER.match(before) else ""))
        i = end + 1
    return blocks


README_TEXT = README.read_text()
BLOCKS = readme_blocks(README_TEXT)


def test_readme_blocks_are_all_accounted_for():
    """Every block is python or bash and runs unless a marker says why not; the CI blocks stay first."""
    assert [b.lang for b in BLOCKS if b.lang not in LANGUAGES] == [], "a block that is neither python nor bash"
    assert [b.marker for b in BLOCKS[:len(CI_MARKERS)]] == [f"<!-- ci:{name} -->" for name in CI_MARKERS]
    for b in BLOCKS:
        assert not b.marker or b.skip, f"{b.where()}: unknown marker {b.marker!r}"
    markers = [s.strip() for s in README_TEXT.splitlines() if MARKER.match(s.strip())]
    assert len(markers) == sum(bool(b.marker) for b in BLOCKS), "a readme-test or ci marker not right before a block"
    assert sum(b.skip is None for b in BLOCKS) >= 6, "most examples run"


def _entries(folder: Path) -> dict[str, tuple[int, int]]:
    """Top-level entries of ``folder`` with their inode and modification time: a rewrite changes one of them."""
    out = {}
    for path in folder.iterdir():
        st = path.lstat()
        out[path.name] = (st.st_ino, st.st_mtime_ns)
    return out


def test_readme_runs_top_to_bottom(tmp_path):
    """Every block not marked as skipped runs, in README order, in one folder, without rewriting another's output."""
    work = tmp_path / "fresh"
    work.mkdir()
    env = dict(os.environ, PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
    owner: dict[str, Block] = {}  # top-level file or folder -> the block that wrote it
    ran = 0
    for block in BLOCKS:
        if block.skip is not None:
            continue
        before = _entries(work)
        command = ([sys.executable, "-c", block.code] if block.lang == "python"
                   else ["bash", "-euo", "pipefail", "-c", block.code])
        out = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=900)
        assert out.returncode == 0, (f"{block.where()} failed (exit {out.returncode}) in a fresh folder after the "
                                     f"blocks before it:\n{block.code}\n--- stdout\n{out.stdout[-3000:]}\n"
                                     f"--- stderr\n{out.stderr[-3000:]}")
        after = _entries(work)
        touched = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
        for name in sorted(touched):
            first = owner.setdefault(name, block)
            assert first is block, (f"{block.where()} rewrites or deletes {name}, which {first.where()} wrote: "
                                    "give each example its own output names")
        ran += 1
    assert ran >= 6


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imports(code: str) -> set[str]:
    """Top-level names of the modules ``code`` imports (absolute imports)."""
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def import_problems(readme: str, pyproject: str) -> list[str]:
    """Modules that the python blocks of ``readme`` import and no extra named in it installs."""
    project = tomllib.loads(pyproject)["project"]
    base = {_norm(Requirement(r).name) for r in project["dependencies"]}
    extras = {name: {_norm(Requirement(r).name) for r in reqs}
              for name, reqs in project["optional-dependencies"].items()}
    named = {e.strip() for m in PIP_EXTRAS.finditer(readme) for e in m["extras"].split(",")}
    problems = [f"the README names the extra {name!r}, which pyproject.toml does not define"
                for name in sorted(named - extras.keys())]
    installable = base.union(*(extras[name] for name in (named & extras.keys()) - {TEST_EXTRA}))
    providers = packages_distributions()
    for block in readme_blocks(readme):
        if block.lang != "python":
            continue
        for module in sorted(_imports(block.code)):
            if module in sys.stdlib_module_names or module == project["name"]:
                continue
            dists = {_norm(d) for d in providers.get(module, [])}
            if not dists:
                pytest.fail(f"{block.where()} imports {module}, which is not installed here: cannot tell which "
                            "distribution provides it (install the test extra)")
            if not dists & installable:
                holders = sorted(name for name, reqs in extras.items() if dists & reqs)
                problems.append(f"{block.where()} imports {module} ({', '.join(sorted(dists))}): in extras "
                                f"{holders or 'none'}, none of which the README names with pip install \".[...]\" "
                                f"(named: {sorted(named - {TEST_EXTRA})})")
    return problems


def test_readme_names_extras_that_install_what_its_examples_import():
    """Each module a python block imports is the standard library's, this package, a base dependency, or in an
    extra that the README tells the reader to install (`pip install ".[extra]"`; the test extra does not count)."""
    problems = import_problems(README_TEXT, (ROOT / "pyproject.toml").read_text())
    assert not problems, "\n".join(problems)
