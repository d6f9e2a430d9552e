"""numcodecs codec classes of pymecompress, one per module."""

from .hufflossless import HuffmanLossless
from .huffquant16 import HuffmanQuant16
from .nbitpack import NBitPack
from .vstquant16 import VSTQuant16

__all__ = ["HuffmanQuant16", "HuffmanLossless", "NBitPack", "VSTQuant16"]
