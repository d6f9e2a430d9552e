"""The registry is the one list of codecs: entry points, the package's names, ``list_codecs``, the CLI."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import tomllib
from importlib import metadata

import pytest

import pymecompress
from helpers import ROOT, camera_args
from pymecompress import list_codecs, registry

REINSTALL = ("the installed entry points are generated from pymecompress/registry.py when the package is installed: "
             "reinstall it (pip install -e . or pip install .)")


def _expected_entry_points() -> dict[str, dict[str, str]]:
    """group -> {name: target} that the registry gives, from the targets of its entries."""
    return {"numcodecs.codecs": {s.id: s.numcodecs_target for s in registry.CODECS},
            "zarr.codecs": {s.id: s.zarr_target for s in registry.CODECS if s.zarr_v3},
            "console_scripts": {"pymecompress": "pymecompress.tools.cli:main"},
            "zarr.codec_pipeline": {"ThreadedReadPipeline": "pymecompress.zarr.pipeline:ThreadedReadPipeline"}}


def _as_table(lines: list[str]) -> dict[str, str]:
    """setuptools' ``["name = target", ...]`` as {name: target}."""
    pairs = [line.split("=", 1) for line in lines]
    table = {name.strip(): target.strip() for name, target in pairs}
    assert len(table) == len(lines), "an entry point name repeats"
    return table


def test_registry_entry_points_are_its_targets():
    groups = registry.entry_points()
    assert set(groups) == {"numcodecs.codecs", "zarr.codecs"}
    assert {group: _as_table(lines) for group, lines in groups.items()} == {
        group: table for group, table in _expected_entry_points().items() if group.endswith(".codecs")}


def _load_by_path(path, name: str):
    """The module at ``path``, loaded as setup.py loads the registry (by path, outside any package)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def test_setup_py_generates_the_entry_points_from_the_registry():
    """setup.py (loaded without running setup()) passes the registry's groups and the console script; pyproject.toml
    declares them dynamic and holds no static entry-point table that would replace them."""
    pytest.importorskip("setuptools", reason="setup.py imports setuptools")
    setup_py = _load_by_path(ROOT / "setup.py", "_pymecompress_setup")
    generated = {group: _as_table(lines) for group, lines in setup_py.entry_points().items()}
    assert generated == _expected_entry_points()
    with open(ROOT / "pyproject.toml", "rb") as fh:
        project = tomllib.load(fh)["project"]
    assert {"entry-points", "scripts"} <= set(project["dynamic"])
    assert not {"entry-points", "scripts", "gui-scripts"} & set(project), "static entry points replace setup.py's"


def test_registry_imports_only_the_standard_library():
    """setup.py loads pymecompress/registry.py by its path before anything is built or installed."""
    tree = ast.parse((ROOT / "pymecompress" / "registry.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.level == 0}
    assert all(not isinstance(node, ast.ImportFrom) or node.level == 0 for node in ast.walk(tree)), "relative import"
    assert imported <= sys.stdlib_module_names | {"__future__"}, imported - sys.stdlib_module_names
    module = _load_by_path(ROOT / "pymecompress" / "registry.py", "_registry_by_path")
    assert module.entry_points() == registry.entry_points()


def test_installed_entry_points_equal_the_registry():
    """The installed metadata of the package (its entry_points.txt) lists exactly the registry's entry points."""
    installed = metadata.distribution("pymecompress").entry_points
    for group, expected in _expected_entry_points().items():
        found = {ep.name: ep.value for ep in installed if ep.group == group}
        assert found == expected, f"{group}: {REINSTALL}"
    groups = {ep.group for ep in installed}
    assert groups == set(_expected_entry_points()), f"other entry-point groups: {groups}"


def test_entry_point_targets_resolve():
    for spec in registry.CODECS:
        assert spec.numcodecs_class().codec_id == spec.id
        assert spec.numcodecs_class().__name__ == spec.cls
    zarr_codecs = pytest.importorskip("pymecompress.zarr.codecs")
    for spec in registry.CODECS:
        if spec.zarr_v3:
            module, name = spec.zarr_target.split(":")
            face = getattr(sys.modules[module], name)
            assert face is zarr_codecs.FACES[spec.id] and face(**camera_args(spec.id)).to_dict()["name"] == spec.id


def test_entry_points_resolve_in_fresh_interpreter(tmp_path):
    configs = [{"id": i, **camera_args(i)} for i in registry.codec_ids()]
    code = (
        "import sys, numcodecs\n"
        f"codecs = [numcodecs.get_codec(c) for c in {configs!r}]\n"
        "c = numcodecs.get_codec({'id': 'huffquant16', 'offset': 100, 'gain': 2.2})\n"
        "assert 'pymecompress' in type(c).__module__\n"
        "print(','.join(type(x).__name__ for x in codecs))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == ",".join(s.cls for s in registry.CODECS)


def test_installed_entry_point_names_equal_codec_ids():
    eps = {ep.name: ep for ep in metadata.entry_points(group="numcodecs.codecs") if ep.value.startswith("pymecompress")}
    assert set(eps) == set(registry.codec_ids()), REINSTALL
    for name, ep in eps.items():
        assert ep.load().codec_id == name


def test_package_names_are_the_registry():
    import pymecompress.codecs

    assert set(registry.BY_CLASS) <= set(pymecompress.__all__)
    assert pymecompress.codecs.__all__ == list(registry.BY_CLASS)
    for spec in registry.CODECS:
        cls = getattr(pymecompress, spec.cls)
        assert cls.codec_id == spec.id and issubclass(cls, spec.numcodecs_class())
        assert getattr(pymecompress.codecs, spec.cls) is spec.numcodecs_class()


def test_list_codecs_describes_everything():
    listing = list_codecs()
    assert [c["id"] for c in listing] == list(registry.codec_ids())
    for entry in listing:
        cls = getattr(pymecompress, entry["class"])
        assert cls.codec_id == entry["id"]
        assert entry["kind"] in ("filter", "serializer", "compressor")
        assert entry["zarr_v3"] in (None, registry.ZARR_V3_KINDS[entry["kind"]])
        assert entry["zarr_v2"] == ("filter" if entry["kind"] == "filter" else "compressor")
        assert {"lossless", "dtypes", "purpose", "parameters"} <= set(entry)
        for name in entry["parameters"]:
            assert name in cls.__init__.__code__.co_varnames


def test_cli_and_convert_read_the_registry():
    from pymecompress.tools.cli import CONVERT_CODECS, main
    from pymecompress.tools.convert import CODEC_NAMES

    assert CONVERT_CODECS == CODEC_NAMES == registry.codec_ids(zarr_v3=True, kinds=("compressor", "serializer"))
    assert main(["codecs"]) == 0


def test_cli_codecs_table(capsys):
    from pymecompress.tools.cli import main

    main(["codecs"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "class", "kind", "zarr", "v3", "zarr", "v2", "lossless", "dtypes",
                                "parameters"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert list(rows) == list(registry.codec_ids())
    for spec in registry.CODECS:
        assert rows[spec.id][1:6] == [spec.cls, spec.kind, spec.zarr_v3_kind or "-", spec.zarr_v2_use,
                                      "yes" if spec.lossless else "no"]
