"""pymecompress: noise-bounded compression codecs for photon-limited images.

Examples
--------
>>> import numcodecs
>>> codec = numcodecs.get_codec({"id": "huffquant16", "offset": 100, "gain": 2.2})
>>> type(codec).__name__
'HuffmanQuant16'
"""

import importlib.util

from .camera import CameraModel
from .codecs.legacy_huffman import LegacyHuffman
from .codecs.legacy_quant16 import LegacyQuant16
from .errors import DecodeError
from .registry import list_codecs

_CODEC_CLASSES = ("HuffmanQuant16", "HuffmanLossless", "VSTQuant16", "NBitPack")


def __getattr__(name: str):
    """Resolve the codec classes on first use, without importing zarr at ``import pymecompress``.

    With zarr installed they are the classes of :mod:`pymecompress.zarr_codecs`, which work both as
    zarr 3 codecs and as numcodecs codecs (so one instance serves ``zarr_format=3`` and ``2``);
    without zarr they are the numcodecs classes of :mod:`pymecompress.codecs`.
    """
    if name not in _CODEC_CLASSES:
        raise AttributeError(f"module 'pymecompress' has no attribute {name!r}")
    if importlib.util.find_spec("zarr") is not None:
        from . import zarr_codecs as module
    else:
        from . import codecs as module
    cls = getattr(module, name)
    globals()[name] = cls
    return cls

__version__ = "1.0.0.dev0"

__all__ = [
    "CameraModel",
    "DecodeError",
    "HuffmanLossless",
    "HuffmanQuant16",
    "LegacyHuffman",
    "LegacyQuant16",
    "NBitPack",
    "VSTQuant16",
    "list_codecs",
    "__version__",
]
