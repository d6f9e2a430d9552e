"""What pymecompress registers never breaks its host: zarr and numcodecs work with the package installed whatever
state it is in, and a clone's root is a place to run Python like any other.

zarr imports every ``zarr.codec_pipeline`` entry point, unguarded, on every array created or opened; numcodecs and
zarr load a codec's entry point when that codec is asked for.  Each case runs in a fresh interpreter (entry points
are read once per process), away from the clone unless the clone is the point.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

from helpers import ROOT

pytest.importorskip("zarr")

PLAIN_ZARR = """
import numpy as np, zarr
z = zarr.create_array("plain.zarr", shape=(4, 64, 64), chunks=(1, 64, 64), dtype="uint16", overwrite=True)
z[:] = np.arange(4 * 64 * 64, dtype=np.uint16).reshape(4, 64, 64)
assert int(zarr.open_array("plain.zarr")[3, 63, 63]) == 4 * 64 * 64 - 1
print("plain zarr ok")
"""

CORE_UNIMPORTABLE = "import sys; sys.modules['pymecompress._core'] = None  # as if the C extension were missing\n"

# an internal that the threaded read pipeline takes from zarr (pymecompress/zarr/compat.py), removed
INTERNAL_MISSING = "import zarr.core.indexing; del zarr.core.indexing.get_indexer  # as in a zarr that renamed it\n"


def _python(code: str, cwd, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=300)


def test_entry_point_module_needs_neither_the_core_nor_zarr_internals(tmp_path):
    """Plain zarr arrays work while our compiled core cannot be imported; the pipeline's entry point is loaded
    (zarr loads them all) and leaves the core, the implementation and the zarr adapter unimported."""
    code = CORE_UNIMPORTABLE + PLAIN_ZARR + textwrap.dedent("""
        import zarr.registry
        with zarr.config.set({"codec_pipeline.path": "pymecompress.zarr.pipeline.ThreadedReadPipeline"}):
            assert zarr.registry.get_pipeline_class().__module__ == "pymecompress.zarr.pipeline"
        loaded = sorted(m for m in sys.modules if m.startswith("pymecompress"))
        print(loaded)
        assert not {"pymecompress._binding", "pymecompress.zarr.read", "pymecompress.zarr.compat"} & set(loaded)
    """)
    done = _python(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "plain zarr ok" in done.stdout


def test_a_codec_that_cannot_load_fails_only_when_asked_for(tmp_path):
    """Without the core, asking for one of our codecs (numcodecs or zarr) fails with a message saying what to do;
    every other codec and array goes on working in the same process."""
    write = _python("""
        import numpy as np, zarr
        from pymecompress import HuffmanLossless
        zarr.create_array("ours.zarr", data=np.ones((2, 8, 8), np.uint16), compressors=[HuffmanLossless()])
    """, tmp_path)
    assert write.returncode == 0, write.stderr
    code = CORE_UNIMPORTABLE + PLAIN_ZARR + textwrap.dedent("""
        import numcodecs, zarr
        print(numcodecs.get_codec({"id": "zstd"}).codec_id)
        for ask in (lambda: numcodecs.get_codec({"id": "hufflossless"}), lambda: zarr.open_array("ours.zarr")[:]):
            try:
                ask()
            except ImportError as err:
                print("refused:", err)
            else:
                raise SystemExit("a codec without its core loaded")
        print(int(zarr.open_array("plain.zarr")[0].sum()))
    """)
    done = _python(code, tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == ["plain zarr ok", "zstd"]
    refusals = [line for line in lines if line.startswith("refused:")]
    assert len(refusals) == 2 and all("compiled core is not built" in r and "pip install" in r for r in refusals)
    assert lines[-1] == str(sum(range(64 * 64)))


def test_a_missing_zarr_internal_breaks_only_what_uses_it(tmp_path):
    """With an internal of zarr's gone: plain arrays and arrays of ours read and write through zarr's own pipeline,
    the chunk writer falls back to zarr's writes with a warning, and only the opt-in read pipeline refuses, naming
    the zarr versions it works with."""
    code = INTERNAL_MISSING + PLAIN_ZARR + textwrap.dedent("""
        import warnings
        import numpy as np
        from pymecompress import HuffmanQuant16
        from pymecompress.zarr.chunk_writer import ChunkWriter
        from pymecompress.zarr.pipeline import threaded_reads
        data = (np.arange(2 * 64 * 64) % 50 * 2 + 100).astype(np.uint16).reshape(2, 64, 64)
        ours = zarr.create_array("ours.zarr", shape=data.shape, chunks=(1, 64, 64), dtype="uint16",
                                 compressors=[HuffmanQuant16(offset=100, gain=2.0)])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            writer = ChunkWriter(ours)
        assert not writer.direct and "Writing through zarr instead" in str(caught[0].message), caught
        assert writer.write((slice(0, 2),), data) is None
        assert ours[:].shape == data.shape
        with threaded_reads():
            try:
                zarr.open_array("ours.zarr")
            except ImportError as err:
                print("refused:", err)
    """)
    done = _python(code, tmp_path)
    assert done.returncode == 0, done.stderr
    refused = [line for line in done.stdout.splitlines() if line.startswith("refused:")]
    assert refused and "get_indexer" in refused[0] and "tested with zarr 3.1 to 3.4" in refused[0], done.stdout


def test_plain_zarr_and_our_codecs_work_in_the_clones_root():
    """In a clone's root the source folder ``pymecompress/`` (no compiled core) comes first on ``sys.path``: zarr
    still works, and so do our codecs (taken from the installed copy)."""
    if any(ROOT.joinpath("pymecompress").glob("_core*")):
        pytest.skip("this clone has its core built in place (pip install -e .): nothing is shadowed")
    code = PLAIN_ZARR + textwrap.dedent("""
        import os, shutil, numcodecs, numpy as np, pymecompress
        shutil.rmtree("plain.zarr")
        print(os.path.dirname(pymecompress.__file__) == os.getcwd() + os.sep + "pymecompress")
        codec = numcodecs.get_codec({"id": "hufflossless"})
        frame = np.arange(64 * 64, dtype=np.uint16).reshape(64, 64)
        print(bool((codec.decode(codec.encode(frame)).reshape(64, 64) == frame).all()))
    """)
    done = _python(code, ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["plain zarr ok", "True", "True"]


def test_version_is_printed_and_single_sourced(tmp_path):
    """``pymecompress --version`` names the package's version and those of the libraries a bug report needs."""
    import numcodecs
    import numpy
    import zarr

    import pymecompress
    from pymecompress._binding import c_version

    done = subprocess.run([sys.executable, "-m", "pymecompress", "--version"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    assert line.startswith(f"pymecompress {pymecompress.__version__} (C core {c_version()}, ")
    # the C library's version (pmc_version_string, include/pymecompress.h) is the package's release number
    release = re.match(r"\d+\.\d+\.\d+", pymecompress.__version__)
    assert release and c_version() == release[0], (c_version(), pymecompress.__version__)
    for name, module in (("numpy", numpy), ("numcodecs", numcodecs), ("zarr", zarr)):
        assert f"{name} {module.__version__}" in line, line
    from importlib import metadata

    assert metadata.version("pymecompress") == pymecompress.__version__


def test_a_missing_dependency_of_the_core_is_named_as_such(tmp_path):
    """The "core not built" explanation is for a missing core only: when the core is there but something it needs
    is not (cffi's backend), the error names that instead."""
    done = _python("""
        import sys; sys.modules["_cffi_backend"] = None
        import numcodecs
        try:
            numcodecs.get_codec({"id": "hufflossless"})
        except ImportError as err:
            print("refused:", err)
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "_cffi_backend" in done.stdout and "compiled core is not built" not in done.stdout, done.stdout
