"""pymecompress: noise-bounded compression codecs for photon-limited images.

The codec classes (``HuffmanQuant16``, ``HuffmanLossless``, ...: every class of :mod:`pymecompress.registry`) are
resolved on first use, so ``import pymecompress`` imports neither zarr nor a codec module it does not need. With
zarr installed, the codecs that have a zarr v3 face resolve to their public class in :mod:`pymecompress.zarr_codecs`:
the numcodecs class, also admitted by zarr v3, so one instance serves ``zarr_format=3`` and ``2``. Without zarr
they resolve to the numcodecs class itself (the public class's base: the numcodecs behaviour is the same either
way).

Examples
--------
>>> import numcodecs
>>> codec = numcodecs.get_codec({"id": "huffquant16", "offset": 100, "gain": 2.2})
>>> type(codec).__name__
'HuffmanQuant16'
"""

import importlib.util

from . import registry
from .camera import CameraModel
from .errors import DecodeError
from .registry import list_codecs


def __getattr__(name: str) -> type:
    """Resolve a codec class named in the registry (see the module docstring)."""
    spec = registry.BY_CLASS.get(name)
    if spec is None:
        raise AttributeError(f"module 'pymecompress' has no attribute {name!r}")
    if spec.zarr_v3 and importlib.util.find_spec("zarr") is not None:
        from .zarr_codecs import PUBLIC

        cls = PUBLIC[spec.id]
    else:
        cls = spec.numcodecs_class()
    globals()[name] = cls
    return cls


__version__ = "1.0.0.dev0"

__all__ = ["CameraModel", "DecodeError", "list_codecs", "__version__", *registry.BY_CLASS]
