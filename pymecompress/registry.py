"""The one list of pymecompress's codecs: ids, classes, kinds, dtypes, parameters.

Everything else reads this list: ``import pymecompress`` (the public class names), the zarr v3 faces
(:mod:`pymecompress.zarr.codecs`), :func:`pymecompress.tools.convert.convert` and the ``--codec`` choices of
``pymecompress convert``, ``pymecompress codecs`` and :func:`list_codecs`, and the package's ``numcodecs.codecs``
and ``zarr.codecs`` entry points: ``setup.py`` loads this file by its path at build time (importing the package
would need the C extension the build makes) and passes :func:`entry_points` to setuptools. So this module imports
nothing beyond the standard library at import time.

Vocabulary (the keys of :func:`list_codecs`)
--------------------------------------------
``kind``
    What the codec does in a zarr v3 codec chain, in zarr's words: ``"filter"`` (array to array),
    ``"serializer"`` (array to bytes) or ``"compressor"`` (bytes to bytes).
``zarr_v3``
    The matching zarr v3 codec type (``"array-to-array"``, ``"array-to-bytes"``, ``"bytes-to-bytes"``), or None
    for the codecs that exist for zarr v2 / numcodecs only (:attr:`CodecSpec.zarr_v3` is False for them).
``zarr_v2``
    Where the numcodecs codec goes in zarr v2 metadata: ``"filter"`` or ``"compressor"`` (zarr v2 has no
    serializers: an array-to-bytes codec is its compressor).

:attr:`CodecSpec.format_versions` lists the versions of the codec's stream format (docs/FORMAT.md) that its
decoder reads; each has a committed fixture (tests/fixtures). Formats without a version field (legacy streams,
quantizer codes) are version 1.

Adding a codec
--------------
Code and configuration: three files. (1) Its entry here. (2) Its module under ``pymecompress/codecs/``: plain
chunk functions and the numcodecs class (with a zarr v3 face of kind compressor or serializer, the class also has
``read_header(buf)`` and ``decode(buf, out=None, *, header=None)``, which the face calls). (3) Its test file
``tests/test_codec_<id>.py`` (``-`` in the id written ``_``), feeding ``tests/common.py`` and defining its fixture
cases: ``FIXTURE_CASES``, and ``ZARR_V3_CASE`` with a zarr v3 face. Everything else reads this list: the entry
points (``setup.py`` generates them: reinstall the package), the package's names, the zarr v3 faces, the CLI, the
fixture machinery (``tests/fixture_cases.py``) and the inputs of the JavaScript tests.

Then ``python tests/fixture_cases.py`` writes the codec's fixtures (``tests/fixtures/<case>.npz``, and with a zarr
v3 face ``tests/fixtures/zarr_v3/<id>.zarr`` and ``<id>.decoded.npy``): commit them, never rewrite them. The
tests then name the documentation to write, each failure saying what to add: the row of the README's codec table
(the row is given); the stream in ``docs/FORMAT.md``, linked from the codec's documentation; with a zarr v3 face,
``docs/codecs/<id>.md``, ``docs/codecs/<id>.schema.json``, the row of ``docs/codecs/README.md``'s table and a
zarrita codec in ``js/src/codecs.js`` (plus ``js/src/streams.js`` for a new stream; ``cd js && npm run build``
then rebuilds the committed viewer, ``pymecompress/viewer``); without one, the row of the numcodecs-only table of
``docs/codecs/README.md``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

ZARR_V3_KINDS = {"filter": "array-to-array", "serializer": "array-to-bytes", "compressor": "bytes-to-bytes"}


@dataclass(frozen=True)
class CodecSpec:
    """One codec's entry: see the module docstring for ``kind``, ``zarr_v2`` and ``format_versions``;
    ``zarr_v3`` says whether the codec has a zarr v3 face (:attr:`zarr_v3_kind` names its type)."""

    id: str
    cls: str
    module: str
    kind: str
    zarr_v3: bool
    lossless: bool
    dtypes: tuple[str, ...]
    parameters: tuple[str, ...]
    purpose: str
    format_versions: tuple[int, ...] = (1,)

    def __post_init__(self) -> None:
        if self.kind not in ZARR_V3_KINDS:
            raise ValueError(f"{self.id}: kind must be one of {', '.join(ZARR_V3_KINDS)}, got {self.kind!r}")

    @property
    def zarr_v3_kind(self) -> str | None:
        """``"array-to-array"``, ``"array-to-bytes"``, ``"bytes-to-bytes"``, or None without a zarr v3 face."""
        return ZARR_V3_KINDS[self.kind] if self.zarr_v3 else None

    @property
    def zarr_v2_use(self) -> str:
        """``"filter"`` or ``"compressor"``: the slot of the numcodecs codec in zarr v2 metadata."""
        return "filter" if self.kind == "filter" else "compressor"

    @property
    def takes_camera(self) -> bool:
        """Whether the codec is parameterised by a camera model (``offset``, ``gain``, ...)."""
        return {"offset", "gain", "read_noise", "step"} <= set(self.parameters)

    @property
    def numcodecs_target(self) -> str:
        """The ``numcodecs.codecs`` entry point value, ``module:Class``."""
        return f"{self.module}:{self.cls}"

    @property
    def zarr_target(self) -> str | None:
        """The ``zarr.codecs`` entry point value (the zarr v3 face), or None."""
        return f"pymecompress.zarr.codecs:{self.cls}Codec" if self.zarr_v3 else None

    def numcodecs_class(self) -> type:
        """The numcodecs codec class (imports its module, never zarr)."""
        return getattr(importlib.import_module(self.module), self.cls)

    def as_dict(self) -> dict:
        """The :func:`list_codecs` entry."""
        return {"id": self.id, "class": self.cls, "kind": self.kind, "zarr_v3": self.zarr_v3_kind,
                "zarr_v2": self.zarr_v2_use, "lossless": self.lossless, "dtypes": self.dtypes,
                "parameters": self.parameters, "purpose": self.purpose}


CODECS: tuple[CodecSpec, ...] = (
    CodecSpec("huffquant16", "HuffmanQuant16", "pymecompress.codecs.huffquant16", "compressor", True, False,
              ("uint16",), ("offset", "gain", "read_noise", "step", "scale", "saturation", "dither", "checksum"),
              "raw camera counts: quantize within the photon noise, predict, Huffman-code (5-10x)", (1, 2)),
    CodecSpec("huffquant8", "HuffmanQuant8", "pymecompress.codecs.huffquant8", "compressor", True, False,
              ("uint8",), ("offset", "gain", "read_noise", "step", "scale", "saturation", "dither", "checksum"),
              "8-bit camera data (uint8 stays uint8): huffquant16's quantizer, predictor and coder", (1, 2)),
    CodecSpec("hufflossless", "HuffmanLossless", "pymecompress.codecs.hufflossless", "compressor", True, True,
              ("uint8", "int8", "uint16", "int16"), ("checksum",),
              "bit-exact images: the same predictor + Huffman engine without quantization"),
    CodecSpec("vstquant16", "VSTQuant16", "pymecompress.codecs.vstquant16", "filter", True, False,
              ("uint16",), ("offset", "gain", "read_noise", "step", "scale", "saturation", "dither"),
              "the noise-bounded quantizer alone (uint16 -> uint16 codes), to pair with any compressor"),
    CodecSpec("nbitpack", "NBitPack", "pymecompress.codecs.nbitpack", "serializer", True, True,
              ("uint8", "int8", "uint16", "int16"), ("nbits",),
              "pack n-bit camera data densely (12-bit data in 1.5 bytes per pixel), very fast"),
    CodecSpec("pymecompress-huffman", "LegacyHuffman", "pymecompress.codecs.legacy_huffman", "compressor", False,
              True, ("uint8", "int8", "bool"), (),
              "compatibility: the original pymecompress's byte Huffman codec (read old data, write for old readers)"),
    CodecSpec("pymecompress-quant16", "LegacyQuant16", "pymecompress.codecs.legacy_quant16", "compressor", False,
              False, ("uint16",), ("offset", "scale", "legacy_decode"),
              "compatibility: the original pymecompress's sqrt quantizer + Huffman (read old data, write for old "
              "readers)"),
)

BY_ID: dict[str, CodecSpec] = {spec.id: spec for spec in CODECS}
BY_CLASS: dict[str, CodecSpec] = {spec.cls: spec for spec in CODECS}


def codec_ids(*, zarr_v3: bool | None = None, kinds: tuple[str, ...] = tuple(ZARR_V3_KINDS)) -> tuple[str, ...]:
    """The codec ids in registry order; with ``zarr_v3=True`` only those with a zarr v3 face, and only of the
    given ``kinds``.

    Examples
    --------
    >>> codec_ids()[:3]
    ('huffquant16', 'huffquant8', 'hufflossless')
    >>> "vstquant16" in codec_ids(zarr_v3=True), "vstquant16" in codec_ids(zarr_v3=True, kinds=("compressor",))
    (True, False)
    >>> "pymecompress-huffman" in codec_ids(zarr_v3=False)
    True
    """
    return tuple(s.id for s in CODECS if (zarr_v3 is None or s.zarr_v3 == zarr_v3) and s.kind in kinds)


def list_codecs() -> list[dict]:
    """Describe every codec, returned as a list of dicts (``pymecompress codecs`` prints it as a table).

    Keys: ``id``, ``class``, ``kind`` (``filter``, ``serializer`` or ``compressor``, as in a zarr v3 codec chain),
    ``zarr_v3`` (zarr v3 codec type, None for codecs without one), ``zarr_v2`` (its slot in zarr v2 metadata),
    ``lossless``, ``dtypes``, ``parameters``, ``purpose``.

    Examples
    --------
    >>> from pymecompress import list_codecs
    >>> [c["id"] for c in list_codecs()][:3]
    ['huffquant16', 'huffquant8', 'hufflossless']
    >>> [(c["kind"], c["zarr_v3"], c["zarr_v2"]) for c in list_codecs() if c["id"] == "nbitpack"]
    [('serializer', 'array-to-bytes', 'compressor')]
    """
    return [spec.as_dict() for spec in CODECS]


def entry_points() -> dict[str, list[str]]:
    """The package's codec entry points, in the form of setuptools' ``entry_points`` argument: every codec in
    ``numcodecs.codecs`` (its numcodecs class) and every codec with a zarr v3 face in ``zarr.codecs`` (the face).

    ``setup.py`` generates the installed entry points from this, so storage libraries find exactly the codecs of
    this list (an installation made before a codec was added needs reinstalling to list it).

    Examples
    --------
    >>> entry_points()["zarr.codecs"][0]
    'huffquant16 = pymecompress.zarr.codecs:HuffmanQuant16Codec'
    >>> len(entry_points()["numcodecs.codecs"]) == len(CODECS)
    True
    """
    return {"numcodecs.codecs": [f"{spec.id} = {spec.numcodecs_target}" for spec in CODECS],
            "zarr.codecs": [f"{spec.id} = {spec.zarr_target}" for spec in CODECS if spec.zarr_v3]}
