"""Print a pip constraints file that pins every direct dependency of pymecompress (the core and the ``test``
extra, from pyproject.toml) to its lower bound: ``.ci/run`` installs the README's test command with it, so the
bounds pyproject.toml states are the versions tested.  Dependencies of those packages stay free.

Usage: python .ci/lower_bounds.py > constraints.txt
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*>=\s*([0-9][^,;\s]*)\s*$")


def lower_bounds(pyproject: Path) -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    pins = []
    for requirement in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        found = REQUIREMENT.match(requirement)
        if found is None:
            raise SystemExit(f"lower_bounds.py: {requirement!r} has no single lower bound (NAME>=VERSION)")
        pins.append(f"{found[1]}=={found[3]}")
    return pins


if __name__ == "__main__":
    sys.stdout.write("\n".join(lower_bounds(Path(__file__).resolve().parent.parent / "pyproject.toml")) + "\n")
