"""The registry is the one list of codecs: entry points, the package's names, ``list_codecs``, the CLI."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

import pymecompress
from helpers import ROOT
from pymecompress import list_codecs, registry


def _pyproject_entry_points(group: str) -> dict[str, str]:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]["entry-points"][group]


def test_pyproject_entry_points_equal_the_registry():
    """pyproject.toml stays static text; this keeps it equal to the registry (ids and targets)."""
    assert _pyproject_entry_points("numcodecs.codecs") == {s.id: s.numcodecs_target for s in registry.CODECS}
    assert _pyproject_entry_points("zarr.codecs") == {s.id: s.zarr_target for s in registry.CODECS if s.zarr_v3}


def test_entry_point_targets_resolve():
    for spec in registry.CODECS:
        assert spec.numcodecs_class().codec_id == spec.id
        assert spec.numcodecs_class().__name__ == spec.cls
    zarr_codecs = pytest.importorskip("pymecompress.zarr_codecs")
    for spec in registry.CODECS:
        if spec.zarr_v3:
            module, name = spec.zarr_target.split(":")
            face = getattr(sys.modules[module], name)
            assert face is zarr_codecs.FACES[spec.id] and face().to_dict()["name"] == spec.id


def test_entry_points_resolve_in_fresh_interpreter(tmp_path):
    ids = list(registry.codec_ids())
    code = (
        "import sys, numcodecs\n"
        f"codecs = [numcodecs.get_codec({{'id': i}}) for i in {ids!r}]\n"
        "c = numcodecs.get_codec({'id': 'huffquant16', 'offset': 100, 'gain': 2.2})\n"
        "assert 'pymecompress' in type(c).__module__\n"
        "print(','.join(type(x).__name__ for x in codecs))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == ",".join(s.cls for s in registry.CODECS)


def test_installed_entry_point_names_equal_codec_ids():
    from importlib.metadata import entry_points

    eps = {ep.name: ep for ep in entry_points(group="numcodecs.codecs") if ep.value.startswith("pymecompress")}
    assert set(eps) == set(registry.codec_ids())
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
    from pymecompress.cli import CONVERT_CODECS, main
    from pymecompress.convert import CODEC_NAMES

    assert CONVERT_CODECS == CODEC_NAMES == registry.codec_ids(zarr_v3=True, kinds=("compressor", "serializer"))
    assert main(["codecs"]) == 0


def test_cli_codecs_table(capsys):
    from pymecompress.cli import main

    main(["codecs"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "class", "kind", "zarr", "v3", "zarr", "v2", "lossless", "dtypes",
                                "parameters"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert list(rows) == list(registry.codec_ids())
    for spec in registry.CODECS:
        assert rows[spec.id][1:6] == [spec.cls, spec.kind, spec.zarr_v3_kind or "-", spec.zarr_v2_use,
                                      "yes" if spec.lossless else "no"]
