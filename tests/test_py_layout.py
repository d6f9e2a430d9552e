"""The Python package's shape: layers as folders, imports only downwards, no import cycles, a small top folder.

The layers, lowest first (the package's docstrings of ``io/``, ``zarr/`` and ``tools/`` say the same):

1. the codec library, at the package root: the registry, the binding, the camera model and its check, the codecs
   (``codecs/``), errors, entropy and fidelity measures, the calibration file;
2. ``io/``: the image sources by format, the readers, PZF, the transforms, the export writers;
3. ``zarr/``: the zarr faces, the read pipeline, the chunk writer, the OME-Zarr metadata. It sits on ``io/`` (the
   pixel size a source reads is what the OME-Zarr metadata store), never the other way round;
4. ``tools/``: the command and everything it runs.

A module imports only from its own layer and those below. ``pymecompress/__init__.py`` (the public face: it
re-exports lazily from any layer) and ``__main__.py`` stand apart, and no module imports a name that the package's
``__init__`` defines (``from pymecompress import CameraModel``); importing a submodule (``from .. import
_binding``) is fine. Every import counts: at module level, inside a function, or under ``if TYPE_CHECKING:`` (a
type still couples). The imports are read with :mod:`ast`, so the test needs no optional library.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pymecompress"
NAME = "pymecompress"

# layer -> the layers it may import from (besides its own)
LAYERS = {"root": set(), "io": {"root"}, "zarr": {"root", "io"}, "tools": {"root", "io", "zarr"}}
FACE = {NAME, f"{NAME}.__main__"}  # the public face: above every layer
MAX_TOP_MODULES = 15
COMPILED = {f"{NAME}._core"}  # the C core (cffi), built by pip install: in the codec layer


def _modules() -> dict[str, Path]:
    """Every module of the package: dotted name -> file (a package by its ``__init__.py``)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def layer_of(module: str) -> str:
    """``root``, ``io``, ``zarr`` or ``tools``: the folder right under the package, or root for the rest."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "root"


def _imports(module: str) -> list[tuple[int, str, str | None]]:
    """``(line, imported module, name or None)`` for every import of ``module`` inside the package.

    ``from X import n`` gives ``(X.n, None)`` when ``X.n`` is a module of the package, else ``(X, n)``."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, None) for alias in node.names if alias.name.split(".")[0] == NAME]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != NAME:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append((node.lineno, sub, None) if sub in MODULES else (node.lineno, target, alias.name))
    return found


def _graph() -> dict[str, set[str]]:
    """module -> the package modules it imports (the face left out: it may import anything, lazily)."""
    graph = {}
    for module in MODULES:
        if module in FACE:
            continue
        graph[module] = set()
        for _, target, _ in _imports(module):
            assert target in MODULES or target in COMPILED, f"{module} imports {target}, no module of the package"
            graph[module].add(target)
    return graph


def test_the_layers_are_folders() -> None:
    for layer in LAYERS.keys() - {"root"}:
        assert (PACKAGE / layer / "__init__.py").is_file(), f"pymecompress/{layer}/ is not a package"


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_imports_go_only_downwards(layer: str) -> None:
    allowed = LAYERS[layer] | {layer}
    for module in MODULES:
        if module in FACE or layer_of(module) != layer:
            continue
        for line, target, _ in _imports(module):
            if target == NAME:
                continue  # a name of the package's __init__: test_nothing_imports_from_the_package_init
            assert layer_of(target) in allowed, (
                f"{MODULES[module].relative_to(ROOT)}:{line} imports {target} of {layer_of(target)}/, a layer above "
                f"{layer}/ (allowed: {', '.join(sorted(allowed))})")


def test_the_codec_layer_imports_nothing_above_it() -> None:
    """The codec library (the package root) is complete without io/, zarr/ and tools/."""
    for module in MODULES:
        if module in FACE or layer_of(module) != "root":
            continue
        reached = {target for _, target, _ in _imports(module)}
        assert all(layer_of(t) == "root" for t in reached), f"{module} imports {sorted(reached)}"


def test_nothing_imports_from_the_package_init() -> None:
    """``pymecompress/__init__.py`` is the public face: modules inside import the module that defines a name."""
    for module in MODULES:
        if module == NAME:
            continue
        for line, target, name in _imports(module):
            assert target != NAME or name is None, (
                f"{MODULES[module].relative_to(ROOT)}:{line} imports {name!r} from the package's __init__; import "
                "it from the module that defines it")


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module, or of one that imports itself (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d"}, "e": {"a"}}
    assert sorted(_cycles(graph)) == [["a", "b", "c"], ["d"]]


def test_a_small_top_folder() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, f"{len(top)} modules in pymecompress/ (at most {MAX_TOP_MODULES}): {top}"


def test_the_layers_hold_what_they_should() -> None:
    """A few modules that define each layer, where the README's "Moved modules" says they are."""
    for module in ("registry", "_binding", "camera", "camera_check", "errors", "codecs"):
        assert layer_of(f"{NAME}.{module}") == "root" and f"{NAME}.{module}" in MODULES
    for layer, names in {"io": ("sources", "base", "tiff", "npy", "frames", "pzf", "transforms", "writers",
                                "readers"),
                         "zarr": ("codecs", "pipeline", "read", "compat", "open", "chunk_writer", "ome", "pyramid"),
                         "tools": ("cli", "convert", "calibrate", "validation", "exporter", "view", "stream", "info",
                                   "demo", "report")}.items():
        for name in names:
            assert f"{NAME}.{layer}.{name}" in MODULES, f"pymecompress/{layer}/ has no {name}"
