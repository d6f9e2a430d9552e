"""The modules that moved into the layers import at their old paths for one release, with a DeprecationWarning
naming the new path (pymecompress._moved); the README lists the moves; the entry points name the new paths."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import pymecompress
from helpers import ROOT
from pymecompress._moved import MOVED, new_path


def _import_old(name: str):
    """Import ``name`` afresh (as a first import would), returning the module and the warnings raised."""
    for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
        if new_path(key) is not None:
            del sys.modules[key]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(name)
    return module, [w for w in caught if issubclass(w.category, DeprecationWarning)]


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_path_warns_and_gives_the_module_at_its_new_path(old: str) -> None:
    if old.rpartition(".")[2] in ("zarr_pipeline", "zarr_read", "zarr_codecs", "zarr_compat", "zarr_open"):
        pytest.importorskip("zarr")
    new = MOVED[old]
    module, caught = _import_old(old)
    assert module is importlib.import_module(new)
    assert module.__name__ == new and module.__spec__.name == new  # the module keeps its own identity
    assert [str(w.message) for w in caught] == [f"{old} is deprecated: import {new} instead"]


def test_a_submodule_of_a_moved_package_moves_with_it() -> None:
    module, caught = _import_old("pymecompress.readers.seq")
    assert module is importlib.import_module("pymecompress.io.readers.seq")
    assert any("pymecompress.readers.seq is deprecated: import pymecompress.io.readers.seq" in str(w.message)
               for w in caught)
    assert new_path("pymecompress.exporter.writers") == "pymecompress.io.writers"
    assert new_path("pymecompress.exporter.inputs") == "pymecompress.tools.exporter.inputs"
    assert new_path("pymecompress.camera") is None and new_path("pymecompress.zarr.codecs") is None


def test_the_readme_names_still_import_at_their_old_paths() -> None:
    """What the README showed before the move (users' code): every name there, through the old paths."""
    pytest.importorskip("zarr")
    assert _import_old("pymecompress.zarr_pipeline")[1]  # warned
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from pymecompress.demo import load_sample
        from pymecompress.readers.seq import write_seq
        from pymecompress.stream import Publisher
        from pymecompress.zarr_pipeline import ThreadedReadPipeline, threaded_reads

        from pymecompress import pzf

        viewer = pymecompress.view.VIEWER  # still the package data folder pymecompress/viewer
        assert viewer == Path(pymecompress.__path__[0]).resolve() / "viewer" and (viewer / "viewer.html").is_file()
        assert pymecompress.ome.pixel_size_of.__module__ == "pymecompress.zarr.ome"
    from pymecompress import HuffmanQuant16
    from pymecompress.io import pzf as new_pzf
    from pymecompress.io.readers.seq import write_seq as new_write_seq
    from pymecompress.tools.demo import load_sample as new_load_sample
    from pymecompress.tools.stream import Publisher as NewPublisher
    from pymecompress.zarr import pipeline

    assert (pzf, load_sample, write_seq, Publisher) == (new_pzf, new_load_sample, new_write_seq, NewPublisher)
    assert (ThreadedReadPipeline, threaded_reads) == (pipeline.ThreadedReadPipeline, pipeline.threaded_reads)
    assert HuffmanQuant16.__name__ == "HuffmanQuant16"


def test_the_old_pipeline_path_selects_the_pipeline_with_a_warning(tmp_path) -> None:
    zarr = pytest.importorskip("zarr")
    from pymecompress import HuffmanLossless
    from pymecompress.zarr import pipeline
    from pymecompress.zarr.read import ThreadedReadPipeline as implementation

    data = np.arange(2 * 64 * 64, dtype=np.uint16).reshape(2, 64, 64)
    zarr.create_array(str(tmp_path / "a.zarr"), data=data, chunks=(1, 64, 64), compressors=[HuffmanLossless()])
    assert pipeline.DEPRECATED_PIPELINE_PATH == "pymecompress.zarr_pipeline.ThreadedReadPipeline"
    with zarr.config.set({"codec_pipeline.path": pipeline.DEPRECATED_PIPELINE_PATH}):
        with pytest.warns(DeprecationWarning, match=re.escape(pipeline.PIPELINE_PATH)):
            arr = zarr.open_array(str(tmp_path / "a.zarr"))
    assert type(arr.async_array.codec_pipeline) is implementation
    assert isinstance(arr.async_array.codec_pipeline, pipeline.ThreadedReadPipeline)
    assert (arr[:] == data).all()


def test_the_old_pipeline_path_works_from_the_environment(tmp_path) -> None:
    """A program that never imports pymecompress, with the old path in ZARR_CODEC_PIPELINE__PATH (the entry point
    registers both paths)."""
    zarr = pytest.importorskip("zarr")
    from pymecompress import HuffmanLossless
    from pymecompress.zarr.pipeline import DEPRECATED_PIPELINE_PATH

    data = np.arange(2 * 64 * 64, dtype=np.uint16).reshape(2, 64, 64)
    zarr.create_array(str(tmp_path / "a.zarr"), data=data, chunks=(1, 64, 64), compressors=[HuffmanLossless()])
    code = ("import zarr; a = zarr.open_array(r'%s'); "
            "print(type(a.async_array.codec_pipeline).__name__, int(a[:].sum()))" % (tmp_path / "a.zarr"))
    env = {**os.environ, "ZARR_CODEC_PIPELINE__PATH": DEPRECATED_PIPELINE_PATH}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ThreadedReadPipeline", str(int(data.sum()))]


def test_the_readme_lists_the_moves() -> None:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### Moved modules"):]
    rows = dict(re.findall(r"^\| `([\w.]+)` \| `([\w.]+)` \|$", section, re.M))
    assert rows == MOVED


def test_the_entry_points_name_the_new_paths() -> None:
    """An entry point at an old path would warn on every load (zarr loads them all on every array it opens)."""
    dist = importlib.metadata.distribution("pymecompress")
    seen = set()
    for ep in dist.entry_points:
        module = ep.value.partition(":")[0]
        assert new_path(module) is None, f"the entry point {ep.group} {ep.name} names the old path {module}"
        importlib.import_module(module)
        seen.add(ep.group)
    assert {"numcodecs.codecs", "console_scripts"} <= seen
    scripts = {ep.name: ep.value for ep in dist.entry_points if ep.group == "console_scripts"}
    assert scripts["pymecompress"] == "pymecompress.tools.cli:main"
