"""The properties every pymecompress codec has, as functions that take a codec (and arrays).

The per-codec test files (``tests/test_codec_<id>.py``) are short lists of codec instances and arrays fed to
these checks, plus what is particular to one codec. A check knows nothing about a codec beyond the registry entry
of its id (:mod:`pymecompress.registry`: dtypes, kind) and the comparison it is given for lossy codecs.

- :func:`check_encode_decode`: round trips over every buffer kind, layout and alignment, into ``out`` targets;
- :func:`check_config`: JSON, pickle and ``numcodecs.get_codec`` round trips of the configuration;
- :func:`check_repr`: ``eval(repr(codec)) == codec``;
- :func:`check_backwards_compatibility`: the committed fixtures of the codec (``tests/fixtures``, written by
  ``tests/fixture_cases.py`` from the codec's ``FIXTURE_CASES``) still decode to what they decoded to, and the
  encoder still writes them, for every stream format version the codec reads;
- :func:`check_malformed`: truncations and trailing bytes are refused with DecodeError, also into a misaligned
  ``out``.

The inputs of the committed fixtures are defined next to their codec too (``FIXTURE_CASES`` and ``ZARR_V3_CASE`` of
each ``tests/test_codec_<id>.py``, collected by ``tests/fixture_cases.py``), from the generators here:
:func:`scene` (a camera frame stack) and :func:`legacy_shared_draw` (the first cases' draws from one shared
generator, which they keep).
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path

import numcodecs
import numpy as np
import pytest

import pymecompress
from pymecompress import DecodeError, registry

FIXTURES = Path(__file__).resolve().parent / "fixtures"

Compare = Callable[[np.ndarray, np.ndarray], None]
"""``compare(original, decoded)``: raise AssertionError unless ``decoded`` (flat, the original's dtype, in the
original's memory order) is an acceptable decoding of ``original``."""


def identical(original: np.ndarray, decoded: np.ndarray) -> None:
    """The comparison of lossless codecs: the same bytes in the same order."""
    assert decoded.nbytes == original.nbytes
    assert decoded.tobytes() == memory_bytes(original)


def memory_bytes(arr: np.ndarray) -> bytes:
    """The bytes of ``arr`` in its memory order (F-ordered arrays are not reordered), native byte order."""
    arr = np.asarray(arr)
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return arr.tobytes(order="F" if arr.flags.f_contiguous and not arr.flags.c_contiguous else "C")


def odd_address(a: np.ndarray) -> np.ndarray:
    """A copy of ``a`` whose data starts at an odd address (same dtype, shape and memory order)."""
    order = "F" if a.flags.f_contiguous and not a.flags.c_contiguous else "C"
    raw = np.zeros(a.nbytes + 1, np.uint8)
    view = raw[1:].view(a.dtype).reshape(a.shape, order=order)
    view[...] = a
    assert view.ctypes.data % 2 == 1 or a.nbytes == 0
    return view


def _spec(codec) -> registry.CodecSpec:
    return registry.BY_ID[codec.codec_id]


def _flat(decoded, dtype: np.dtype) -> np.ndarray:
    return np.asarray(decoded).reshape(-1, order="A").view(np.uint8).view(dtype)


def _decoded_values(codec, encoded, original: np.ndarray, compare: Compare) -> np.ndarray:
    """Decode ``encoded``, check it against ``original`` (flattened in memory order) and return the flat values."""
    dtype = original.dtype.newbyteorder("=")
    values = _flat(codec.decode(encoded), dtype)
    compare(np.frombuffer(memory_bytes(original), dtype), values)
    return values


def check_encode_decode(arr: np.ndarray, codec, compare: Compare = identical, *, raw_bytes: bool = True) -> None:
    """Encode ``arr`` from every kind of input and decode every kind of stream buffer, into every kind of ``out``.

    - inputs: the array, a read-only copy, an F-ordered copy, a non-contiguous view, a byte-swapped copy, a copy at
      an odd address and a ``memoryview``; all encode to the same bytes as the array's own memory (C or F order);
      raw byte buffers (``bytes``, ``bytearray``, ``memoryview`` of bytes) encode like uint8 data when the codec
      takes uint8, and are refused with a TypeError naming the codec otherwise (``raw_bytes=False`` leaves them
      out, for parameters that refuse 8-bit data);
    - streams: ``bytes``, ``bytearray``, ``memoryview``, uint8 array, read-only and misaligned views all decode to
      the same values, and encoding does not modify its input;
    - ``out``: a new array, a ``bytearray``, a misaligned view and an array of another shape but the right size are
      filled identically and returned; ``out`` of the wrong size, or read-only, raises ValueError.
    """
    arr = np.asarray(arr)
    before = memory_bytes(arr)
    encoded = codec.encode(arr)
    assert memory_bytes(arr) == before, "encode modified its input"
    if _spec(codec).kind == "filter":  # array to array: the codes keep shape and memory order
        assert np.asarray(encoded).shape == arr.shape
    stream = np.asarray(encoded).tobytes(order="A") if isinstance(encoded, np.ndarray) else bytes(encoded)
    expected = _decoded_values(codec, encoded, arr, compare)

    def same_stream(data, original) -> None:
        again = codec.encode(data)
        again = np.asarray(again).tobytes(order="A") if isinstance(again, np.ndarray) else bytes(again)
        if memory_bytes(original) == memory_bytes(arr):
            assert again == stream
        _decoded_values(codec, again, np.asarray(original), compare)

    readonly = arr.copy(order="A")
    readonly.flags.writeable = False
    same_stream(readonly, readonly)
    same_stream(odd_address(arr), arr)
    same_stream(arr.astype(arr.dtype.newbyteorder(">" if arr.dtype.byteorder != ">" else "<")), arr)
    if arr.ndim:
        same_stream(memoryview(np.ascontiguousarray(arr)), np.ascontiguousarray(arr))
        fortran = np.asfortranarray(arr)
        same_stream(fortran, fortran)
    if arr.ndim and arr.shape[-1] > 2:
        strided = arr[..., ::2]
        same_stream(strided, np.ascontiguousarray(strided))
    raw = memory_bytes(arr)
    for buffer in (raw, bytearray(raw), memoryview(raw)) if raw_bytes else ():
        if "uint8" in _spec(codec).dtypes:
            _decoded_values(codec, codec.encode(buffer), np.frombuffer(raw, np.uint8),
                            compare if arr.dtype == np.uint8 else identical)
        else:
            with pytest.raises(TypeError, match=codec.codec_id):
                codec.encode(buffer)

    misaligned = odd_address(np.frombuffer(stream, np.uint8))
    readonly_stream = np.frombuffer(stream, np.uint8)
    for source in (stream, bytearray(stream), memoryview(stream), np.frombuffer(stream, np.uint8).copy(),
                   readonly_stream, misaligned):
        assert _flat(codec.decode(source), arr.dtype).tobytes() == expected.tobytes()
    if isinstance(encoded, np.ndarray):  # a filter's codes also decode as an array of any layout
        assert _flat(codec.decode(odd_address(encoded)), arr.dtype).tobytes() == expected.tobytes()

    nbytes = expected.nbytes
    targets = [np.empty(arr.shape, arr.dtype.newbyteorder("=")), bytearray(nbytes),
               odd_address(np.full(expected.size, 0x5A, expected.dtype)), np.empty(nbytes, np.uint8)]
    for out in targets:
        assert codec.decode(stream, out=out) is out
        assert np.asarray(out).reshape(-1, order="A").view(np.uint8).tobytes() == expected.tobytes()
    # (8 n + 1 and n - 1 bytes: no multiple of the size, which pymecompress-huffman accepts for wide data)
    for wrong in [np.empty(8 * nbytes + 1, np.uint8)] + ([np.empty(nbytes - 1, np.uint8)] if nbytes else []):
        with pytest.raises(ValueError):
            codec.decode(stream, out=wrong)
    frozen = np.empty(nbytes, np.uint8)
    frozen.flags.writeable = False
    if nbytes:
        with pytest.raises(ValueError):
            codec.decode(stream, out=frozen)


def check_wrong_dtype_refused(codec, dtypes: tuple[str, ...] = ("float32", "uint32", "int64", "complex64")) -> None:
    """Every dtype the codec does not take is refused with a TypeError that names the codec."""
    for dtype in dtypes:
        if dtype not in _spec(codec).dtypes:
            with pytest.raises(TypeError, match=codec.codec_id):
                codec.encode(np.zeros(8, dtype))


def check_config(codec) -> None:
    """The configuration survives JSON, ``numcodecs.get_codec`` and pickle, and names the codec's id."""
    config = codec.get_config()
    assert config["id"] == codec.codec_id and codec.codec_id in registry.BY_ID
    again = numcodecs.get_codec(json.loads(json.dumps(config)))
    assert again == codec and codec == again
    assert again.get_config() == config
    assert isinstance(codec, type(again)), "pymecompress.<Class> is the numcodecs class or its zarr-admitted subclass"
    assert type(again).__name__ == _spec(codec).cls
    unpickled = pickle.loads(pickle.dumps(codec))
    assert type(unpickled) is type(codec) and unpickled == codec
    for name in config:
        assert name == "id" or name in _spec(codec).parameters, f"{name} is not a registered parameter"


def check_repr(codec) -> None:
    """``eval(repr(codec))`` rebuilds an equal codec of the same class, with the names ``pymecompress`` exports."""
    namespace = {name: getattr(pymecompress, name) for name in pymecompress.__all__}
    namespace[type(codec).__name__] = type(codec)
    rebuilt = eval(repr(codec), namespace)  # noqa: S307 - our own repr
    assert type(rebuilt) is type(codec)
    assert rebuilt == codec and rebuilt.get_config() == codec.get_config()


def format_version(stream: bytes) -> int:
    """The format version a stream declares: byte 4 of the ``PMCS`` and ``PMCN`` containers (docs/FORMAT.md); the
    legacy streams and the quantizer's codes carry no version and are version 1 of their format."""
    return stream[4] if stream[:4] in (b"PMCS", b"PMCN") else 1


def fixtures(codec_id: str) -> list[tuple[Path, dict]]:
    """(path, config) of every committed fixture of ``codec_id``: current encoder output and ``decode_only``."""
    found = []
    for path in sorted(FIXTURES.glob("*.npz")) + sorted((FIXTURES / "decode_only").glob("*.npz")):
        with np.load(path) as stored:
            config = json.loads(str(stored["config"]))
        if config["id"] == codec_id:
            found.append((path, config))
    return found


def check_backwards_compatibility(codec_id: str) -> None:
    """Every committed fixture of ``codec_id`` decodes to its stored values, and the current encoder still writes
    the stored stream of every fixture outside ``decode_only`` (the streams of earlier encoders there only need
    to decode). The fixtures cover every format version of the registry entry.
    """
    found = fixtures(codec_id)
    assert found, (f"no fixture for {codec_id}: add FIXTURE_CASES to its tests/test_codec_<id>.py, run "
                   "python tests/fixture_cases.py once and commit the new tests/fixtures/*.npz")
    versions = set()
    for path, config in found:
        with np.load(path) as stored:
            data, encoded, decoded = stored["input"], stored["encoded"].tobytes(), stored["decoded"]
        codec = numcodecs.get_codec(dict(config))
        versions.add(format_version(encoded))
        if _spec(codec).kind == "filter":
            source = np.frombuffer(encoded, "<u2").reshape(data.shape)
        else:
            source = encoded
        got = np.asarray(codec.decode(source))
        assert got.dtype == decoded.dtype and np.array_equal(got.reshape(decoded.shape), decoded), path.name
        if path.parent == FIXTURES:
            again = codec.encode(data)
            again = np.asarray(again).tobytes() if isinstance(again, np.ndarray) else bytes(again)
            assert again == encoded, f"{path.name}: encoder output changed: that is a format change"
    assert versions >= set(registry.BY_ID[codec_id].format_versions), \
        f"{codec_id}: no fixture of format version(s) {set(registry.BY_ID[codec_id].format_versions) - versions}"


def scene(shape: tuple[int, ...], seed: int, offset: float = 100.0, gain: float = 2.2, level: float = 50.0,
          dtype: type = np.uint16) -> np.ndarray:
    """A camera frame (stack) of ``shape``: a Gaussian blob on a flat ``level`` of Poisson photons, times ``gain``,
    plus ``offset`` and a little Gaussian noise, clipped to ``dtype``; reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    yy, xx = np.indices(shape[-2:])
    blob = level * 20 * np.exp(-((yy - shape[-2] / 2) ** 2 + (xx - shape[-1] / 3) ** 2) / 40.0)
    photons = rng.poisson(np.broadcast_to(level + blob, shape))
    top = np.iinfo(dtype).max
    return np.clip(photons * gain + offset + rng.normal(0, 3, shape), 0, top).astype(dtype)


LEGACY_SHARED_DRAWS: tuple[tuple[str, str, tuple], ...] = (
    ("huffquant16_below_offset", "integers", (350, 420, (17, 19))),
    ("hufflossless_u8", "normal", (100, 8, (30, 50))),
    ("nbitpack_12bit", "integers", (0, 4096, 1001)),
    ("nbitpack_auto_u8", "integers", (0, 32, 77)),
    ("pymecompress-huffman_u8", "normal", (60, 9, (24, 31))),
)
"""(fixture case, ``Generator`` method, arguments) of the draws the first fixture cases made, in this order, from one
``np.random.default_rng(2024)`` they shared. Frozen: their committed fixtures hold these values."""


def legacy_shared_draw(case: str) -> np.ndarray:
    """The raw draw of fixture ``case`` from the shared generator of :data:`LEGACY_SHARED_DRAWS`, as it was.

    The cases were once listed together and drew one after the other from ``np.random.default_rng(2024)``; each
    now lives with its codec, so this replays the draws before its own to reach the same generator state. Only
    for those cases: a new case seeds its own generator (``np.random.default_rng(seed)``).
    """
    rng = np.random.default_rng(2024)
    for name, method, args in LEGACY_SHARED_DRAWS:
        drawn = getattr(rng, method)(*args)
        if name == case:
            return drawn
    raise KeyError(f"{case} did not draw from the shared generator; seed its own instead")


def check_malformed(arr: np.ndarray, codec) -> None:
    """Truncated streams and streams with a trailing byte are refused with DecodeError, also into a misaligned
    ``out`` (for the framed formats, PMCS and PMCN; the legacy formats have no framing, see test_legacy.py)."""
    stream = bytes(codec.encode(arr))
    out = odd_address(np.zeros(np.asarray(arr).size, np.asarray(arr).dtype))
    cuts = sorted({c for c in (0, 1, len(stream) // 2, len(stream) - 3, len(stream) - 1) if 0 <= c < len(stream)})
    for bad in [stream[:c] for c in cuts] + [stream + b"\0"]:
        with pytest.raises(DecodeError):
            codec.decode(bad)
        with pytest.raises(DecodeError):
            codec.decode(bad, out=out)
