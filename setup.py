"""Build script: compiles the C core through cffi and generates the entry points from the codec registry.

The rest of the metadata lives in pyproject.toml, which lists ``entry-points`` and ``scripts`` as ``dynamic``:
setuptools takes a project's entry points either all from pyproject.toml or all from here (a static
``[project.scripts]`` table would replace the groups passed here), so the console script is declared here too.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from setuptools import setup

REGISTRY = Path(__file__).resolve().parent / "pymecompress" / "registry.py"
CONSOLE_SCRIPTS = ["pymecompress = pymecompress.tools.cli:main"]
# the opt-in zarr codec pipeline (pymecompress/zarr/pipeline.py): zarr finds it by this group when
# ZARR_CODEC_PIPELINE__PATH names it, without the program importing it
CODEC_PIPELINES = ["ThreadedReadPipeline = pymecompress.zarr.pipeline:ThreadedReadPipeline"]


def load_registry() -> ModuleType:
    """``pymecompress/registry.py`` loaded by its file path: importing the ``pymecompress`` package would need the
    C extension that this build makes; the registry itself imports only the standard library."""
    spec = importlib.util.spec_from_file_location("_pymecompress_build_registry", REGISTRY)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building the class
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def entry_points() -> dict[str, list[str]]:
    """setuptools' ``entry_points``: the codec groups of the registry, the ``pymecompress`` command and the zarr
    codec pipeline."""
    return {**load_registry().entry_points(), "console_scripts": CONSOLE_SCRIPTS,
            "zarr.codec_pipeline": CODEC_PIPELINES}


if __name__ == "__main__":  # how setuptools runs this file (its build backend and ``python setup.py`` alike)
    setup(cffi_modules=["build_ffi.py:ffibuilder"], entry_points=entry_points())
