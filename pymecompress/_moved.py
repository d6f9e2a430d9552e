"""The modules that moved into the layers (``pymecompress.zarr``, ``pymecompress.io``, ``pymecompress.tools``) in
1.0, still importable at their old paths for one release, with a ``DeprecationWarning``.

:data:`MOVED` maps each old path to the new one; a submodule of a moved package moves with it
(``pymecompress.readers.seq`` is ``pymecompress.io.readers.seq``). ``import pymecompress`` puts :class:`OldPaths`
first on :data:`sys.meta_path`: importing an old path warns, naming the new one, and gives the module at the new
path itself (one module object under two names: what is set or patched on one is seen through the other, and no
class exists twice). Plain attribute access (``pymecompress.ome``) goes through the same import (the package's
``__getattr__``). The README's "Moved modules" section lists the same moves.

The old modules are not files: the package's top folder keeps its few modules (``tests/test_py_layout.py``).

Examples
--------
>>> import warnings
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     import pymecompress.chunk_shape as old
>>> import pymecompress.zarr.chunk_shape as new
>>> old is new, str(caught[0].message)
(True, 'pymecompress.chunk_shape is deprecated: import pymecompress.zarr.chunk_shape instead')
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

PACKAGE = __name__.rpartition(".")[0]

MOVED: dict[str, str] = {
    f"{PACKAGE}.{old}": f"{PACKAGE}.{new}" for old, new in {
        # the zarr faces, the read pipeline, the chunk writer and the OME-Zarr metadata
        "zarr_codecs": "zarr.codecs",
        "zarr_pipeline": "zarr.pipeline",
        "zarr_read": "zarr.read",
        "zarr_compat": "zarr.compat",
        "zarr_open": "zarr.open",
        "chunk_writer": "zarr.chunk_writer",
        "chunk_shape": "zarr.chunk_shape",
        "zip_store": "zarr.zip_store",
        "scale_out": "zarr.scale_out",
        "ome": "zarr.ome",
        "pyramid": "zarr.pyramid",
        # the files: sources (split by format in pymecompress.io), readers, PZF, transforms, the export writers
        "sources": "io.sources",
        "readers": "io.readers",
        "pzf": "io.pzf",
        "transforms": "io.transforms",
        "exporter.writers": "io.writers",
        # the tools
        "cli": "tools.cli",
        "convert": "tools.convert",
        "calibrate": "tools.calibrate",
        "validation": "tools.validation",
        "exporter": "tools.exporter",
        "view": "tools.view",
        "stream": "tools.stream",
        "info": "tools.info",
        "demo": "tools.demo",
        "report": "tools.report",
    }.items()
}
"""Old module path -> new module path (a moved package's submodules move with it)."""


def new_path(name: str) -> str | None:
    """Where the module ``name`` lives now, when ``name`` is an old path (of :data:`MOVED`, or in a moved
    package); else None.

    Examples
    --------
    >>> new_path("pymecompress.readers.seq"), new_path("pymecompress.exporter.writers"), new_path("pymecompress.camera")
    ('pymecompress.io.readers.seq', 'pymecompress.io.writers', None)
    """
    old = name
    while old and old not in MOVED:
        old = old.rpartition(".")[0]
    return MOVED[old] + name[len(old):] if old else None


class OldPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an old path as the module at its new path, with a ``DeprecationWarning``."""

    def find_spec(self, fullname: str, path=None, target=None) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(PACKAGE + ".") or new_path(fullname) is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # a placeholder, replaced in sys.modules by exec_module

    def exec_module(self, module: ModuleType) -> None:
        new = new_path(module.__name__)
        warnings.warn(f"{module.__name__} is deprecated: import {new} instead", DeprecationWarning, stacklevel=2)
        # the import system returns what sys.modules holds under the old name once this returns: the module at
        # the new path, which keeps its own __spec__ and __name__
        sys.modules[module.__name__] = importlib.import_module(new)


def install() -> None:
    """Put :class:`OldPaths` first on :data:`sys.meta_path` (once)."""
    if not any(isinstance(finder, OldPaths) for finder in sys.meta_path):
        sys.meta_path.insert(0, OldPaths())
