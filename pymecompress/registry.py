"""The capability listing of pymecompress's codecs."""

from __future__ import annotations

CODECS: tuple[dict, ...] = (
    {
        "id": "huffquant16",
        "class": "HuffmanQuant16",
        "kind": "compressor",
        "lossless": False,
        "dtypes": ("uint16",),
        "parameters": ("offset", "gain", "read_noise", "step", "scale", "checksum"),
        "purpose": "raw camera counts: quantize within the photon noise, predict, Huffman-code (5-10x)",
    },
    {
        "id": "hufflossless",
        "class": "HuffmanLossless",
        "kind": "compressor",
        "lossless": True,
        "dtypes": ("uint8", "int8", "uint16", "int16"),
        "parameters": ("checksum",),
        "purpose": "bit-exact images: the same predictor + Huffman engine without quantization",
    },
    {
        "id": "vstquant16",
        "class": "VSTQuant16",
        "kind": "filter",
        "lossless": False,
        "dtypes": ("uint16",),
        "parameters": ("offset", "gain", "read_noise", "step", "scale"),
        "purpose": "the noise-bounded quantizer alone (uint16 -> uint16 codes), to pair with any compressor",
    },
    {
        "id": "nbitpack",
        "class": "NBitPack",
        "kind": "compressor",
        "lossless": True,
        "dtypes": ("uint8", "int8", "uint16", "int16"),
        "parameters": ("nbits",),
        "purpose": "pack n-bit camera data densely (12-bit data in 1.5 bytes per pixel), very fast",
    },
    {
        "id": "pymecompress-huffman",
        "class": "LegacyHuffman",
        "kind": "compressor",
        "lossless": True,
        "dtypes": ("uint8", "int8", "bool"),
        "parameters": (),
        "purpose": "compatibility: the original pymecompress's byte Huffman codec (read old data, write for old "
                   "readers)",
    },
    {
        "id": "pymecompress-quant16",
        "class": "LegacyQuant16",
        "kind": "compressor",
        "lossless": False,
        "dtypes": ("uint16",),
        "parameters": ("offset", "scale", "legacy_decode"),
        "purpose": "compatibility: the original pymecompress's sqrt quantizer + Huffman (read old data, write for old "
                   "readers)",
    },
)


def list_codecs() -> list[dict]:
    """Describe every codec: id, class, kind, lossless, dtypes, parameters, purpose.

    Examples
    --------
    >>> from pymecompress import list_codecs
    >>> [c["id"] for c in list_codecs()]
    ['huffquant16', 'hufflossless', 'vstquant16', 'nbitpack', 'pymecompress-huffman', 'pymecompress-quant16']
    """
    return [dict(c) for c in CODECS]
