"""numcodecs codec classes of pymecompress, one per module."""

from .hufflossless import HuffmanLossless
from .huffquant16 import HuffmanQuant16
from .legacy_huffman import LegacyHuffman
from .legacy_quant16 import LegacyQuant16
from .nbitpack import NBitPack
from .vstquant16 import VSTQuant16

__all__ = ["HuffmanQuant16", "HuffmanLossless", "LegacyHuffman", "LegacyQuant16", "NBitPack", "VSTQuant16"]
