"""pymecompress: noise-bounded compression codecs for photon-limited images.

The codec classes (``HuffmanQuant16``, ``HuffmanLossless``, ...: every class of :mod:`pymecompress.registry`) and
:class:`~pymecompress.camera.CameraModel` are resolved on first use, so ``import pymecompress`` imports neither
zarr nor our compiled core (zarr imports this package through our ``zarr.codec_pipeline`` entry point whenever it
opens any array: that must never fail).  With zarr installed, the codecs that have a zarr v3 face resolve to their
public class in :mod:`pymecompress.zarr.codecs`: the numcodecs class, also admitted by zarr v3, so one instance
serves ``zarr_format=3`` and ``2``. Without zarr they resolve to the numcodecs class itself (the public class's
base: the numcodecs behaviour is the same either way). ``pymecompress.open(path)`` opens a stored array for reads at
the codec's speed (:func:`pymecompress.zarr.open.open`), and ``pymecompress.export`` writes videos and pictures.

Run from a clone's root, Python finds the clone's ``pymecompress`` folder before the installed package, and the
folder holds no compiled core (``pip install .`` builds it into the installed copy).  The folder then imports
its modules from the installed copy (see :func:`_installed_copy`), so the README's examples run there as
anywhere else; with no installed copy, using a codec says what to do.

Examples
--------
>>> import numcodecs
>>> codec = numcodecs.get_codec({"id": "huffquant16", "offset": 100, "gain": 2.2, "dither": True})
>>> type(codec).__name__
'HuffmanQuant16'
"""

import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any


def _has_core(folder: Path) -> bool:
    """Whether ``folder`` holds a compiled ``_core`` this interpreter can load."""
    return any((folder / f"_core{suffix}").is_file() for suffix in importlib.machinery.EXTENSION_SUFFIXES)


def _installed_copy() -> Path | None:
    """The folder of an installed, built pymecompress further along ``sys.path``, when this package is a source
    folder without its compiled core (a clone's root on ``sys.path``); None otherwise."""
    here = Path(__file__).resolve().parent
    if _has_core(here):
        return None
    for entry in sys.path:
        folder = Path(entry or os.getcwd()).resolve() / "pymecompress"
        if folder != here and (folder / "__init__.py").is_file() and _has_core(folder):
            return folder
    return None


_INSTALLED = _installed_copy()
if _INSTALLED is not None:  # submodules come from the installed copy, whose compiled core matches its Python
    __path__[:] = [str(_INSTALLED)]

from . import _moved, registry  # noqa: E402 (after the search path is settled)
from ._version import __version__  # noqa: E402
from .errors import DecodeError  # noqa: E402
from .registry import list_codecs  # noqa: E402

_moved.install()  # the old paths of the modules that moved into the layers (pymecompress._moved)


def __getattr__(name: str) -> Any:
    """Resolve a codec class named in the registry, CameraModel, the functions export and open (see the module
    docstring), or a module at its old path (:mod:`pymecompress._moved`: imported, with a DeprecationWarning)."""
    if f"{__name__}.{name}" in _moved.MOVED:
        return importlib.import_module(f"{__name__}.{name}")  # the import sets the attribute
    if name == "CameraModel":
        from .camera import CameraModel as cls
    elif name == "export":  # a function: pymecompress.export(inputs, out, ...)
        from .tools.exporter import export as cls
    elif name == "open":  # a function: pymecompress.open(path) (not in __all__: a star import keeps the builtin)
        from .zarr.open import open as cls
    else:
        spec = registry.BY_CLASS.get(name)
        if spec is None:
            raise AttributeError(f"module 'pymecompress' has no attribute {name!r}")
        if spec.zarr_v3 and importlib.util.find_spec("zarr") is not None:
            from .zarr.codecs import PUBLIC

            cls = PUBLIC[spec.id]
        else:
            cls = spec.numcodecs_class()
    globals()[name] = cls
    return cls


__all__ = ["CameraModel", "DecodeError", "export", "list_codecs", "__version__", *registry.BY_CLASS]
