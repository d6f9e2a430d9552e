"""pymecompress: noise-bounded compression codecs for photon-limited images.

Examples
--------
>>> import numcodecs
>>> codec = numcodecs.get_codec({"id": "huffquant16", "offset": 100, "gain": 2.2})
>>> type(codec).__name__
'HuffmanQuant16'
"""

from .camera import CameraModel
from .codecs import HuffmanLossless, HuffmanQuant16, NBitPack, VSTQuant16
from .errors import DecodeError
from .registry import list_codecs

__version__ = "1.0.0.dev0"

__all__ = [
    "CameraModel",
    "DecodeError",
    "HuffmanLossless",
    "HuffmanQuant16",
    "NBitPack",
    "VSTQuant16",
    "list_codecs",
    "__version__",
]
