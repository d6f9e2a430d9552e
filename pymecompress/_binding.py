"""Thin binding over the C core: the only module that touches ``ffi``/``lib``.

Every function takes and returns numpy arrays or bytes; errors from C become
:class:`~pymecompress.errors.DecodeError` (malformed input) or ``ValueError``
(bad arguments).  All C calls release the GIL.

The environment variable ``PYMECOMPRESS_SIMD=portable`` forces the portable C
path everywhere (the default, ``auto``, uses AVX2 where the CPU has it);
``PYMECOMPRESS_POOL_MB`` sets how much released memory of decoded arrays is
kept for the next ones (:class:`OutputPool`; default 16 MiB per size class,
0 turns that off).
"""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass

import numpy as np

from .errors import DecodeError

try:
    from ._core import ffi, lib
except ModuleNotFoundError as _error:  # a source folder without its build and no installed copy (package doc)
    if _error.name != __name__.rpartition(".")[0] + "._core":
        raise  # something the core needs is missing (cffi's backend, ...): that error says what
    _folder = os.path.dirname(os.path.abspath(__file__))
    raise ImportError(
        f"pymecompress's compiled core is not built in {_folder} ({_error}). This is a source folder (a clone's "
        "pymecompress/, found first on sys.path) and no installed pymecompress was found after it: install the "
        "package with `pip install .` (run from anywhere, or from the clone's root, it then uses the installed "
        "copy), or build it into the clone with `pip install -e .`.") from _error

SIMD_AUTO = lib.PMC_SIMD_AUTO
SIMD_PORTABLE = lib.PMC_SIMD_PORTABLE
DEFAULT_SIMD = SIMD_PORTABLE if os.environ.get("PYMECOMPRESS_SIMD", "auto") == "portable" else SIMD_AUTO

MODE_LOSSLESS = lib.PMC_MODE_LOSSLESS
MODE_QUANT = lib.PMC_MODE_QUANT



def _message(rc: int) -> str:
    return ffi.string(lib.pmc_strerror(rc)).decode()


def _raise(rc: int, what: str) -> None:
    if rc == lib.PMC_OK:
        return
    if lib.pmc_is_stream_error(rc):  # the input is not a valid stream
        raise DecodeError(f"{what}: {_message(rc)}")
    if rc == lib.PMC_E_NOMEM:
        raise MemoryError(f"{what}: {_message(rc)}")
    raise ValueError(f"{what}: {_message(rc)}")


def c_version() -> str:
    """The C library's version, ``"MAJOR.MINOR.PATCH"`` (``pmc_version_string``), which is the package's release.

    Examples
    --------
    >>> c_version().count(".")
    2
    """
    return ffi.string(lib.pmc_version_string()).decode()


def avx2_available() -> bool:
    """Whether the CPU offers the AVX2 kernels (used unless forced portable)."""
    return bool(lib.pmc_use_avx2(SIMD_AUTO))


def _ptr(ctype: str, arr: np.ndarray):
    """A C pointer of type ``ctype`` (e.g. ``"uint16_t *"``) into ``arr``'s memory.

    The returned cdata is a typed array over the buffer and keeps ``arr`` alive,
    so a temporary (such as an aligned copy) survives until the C call returns.
    """
    return ffi.from_buffer(ctype.replace("*", "[]"), arr, require_writable=False)


def bytes_view(buf) -> np.ndarray:
    """Flat read-only uint8 view of any contiguous buffer (bytes, memoryview, ndarray)."""
    arr = np.frombuffer(buf, dtype=np.uint8) if not isinstance(buf, np.ndarray) else buf
    if not arr.flags.c_contiguous and not arr.flags.f_contiguous:
        arr = np.ascontiguousarray(arr)
    return arr.reshape(-1, order="A").view(np.uint8)


def quant_limits() -> dict[str, tuple[float, float]]:
    """The allowed range (inclusive) of every quantizer parameter, as the C library defines it.

    Examples
    --------
    >>> quant_limits()["step"]
    (0.001, 1000.0)
    """
    limits = {}
    lo, hi = ffi.new("double *"), ffi.new("double *")
    for i in range(4):
        name = ffi.string(lib.pmc_quant_limits(i, lo, hi)).decode()
        limits[name] = (float(lo[0]), float(hi[0]))
    return limits


@dataclass(frozen=True)
class QuantTables:
    """The C library's prepared quantizer (``pmc_quant``) of one parameter set, with numpy views of its tables.

    ``enc`` maps ADU values to codes; ``dec`` has four entries per code: element ``i``
    of a chunk holding code ``c`` decodes to ``dec[4*c + i % 4]`` (the unbiased
    reconstruction point of the code, dithered to integers inside the code's ADU
    interval).  ``ptr`` is the ``pmc_quant *`` the C functions take; the views and
    the pointer share the memory ``_mem`` owns.
    """

    params: tuple[float, float, float, float]
    enc: np.ndarray
    dec: np.ndarray
    ncodes: int
    ptr: object
    _mem: np.ndarray

    def quantize(self, values: np.ndarray) -> np.ndarray:
        """Codes of uint16 values (numpy, any shape)."""
        return self.enc[values]

    def dequantize(self, codes: np.ndarray) -> np.ndarray:
        """Values of codes, the dither phase taken from the flat (C-order) index."""
        codes = np.asarray(codes)
        phase = (np.arange(codes.size) & 3).reshape(codes.shape)
        return self.dec[4 * codes.astype(np.intp) + phase]


def _table_view(mem: np.ndarray, start, table, count: int) -> np.ndarray:
    """Read-only uint16 view of ``count`` entries at C pointer ``table`` inside ``mem`` (which starts at ``start``)."""
    offset = int(ffi.cast("uintptr_t", table)) - int(ffi.cast("uintptr_t", start))
    view = mem.view(np.uint8)[offset: offset + 2 * count].view(np.uint16)
    view.flags.writeable = False
    return view


@functools.lru_cache(maxsize=64)
def quant_tables(offset: float, gain: float, read_noise: float, step: float) -> QuantTables:
    """Build (once per parameter set) the camera-model quantizer: ``pmc_quant_init`` into memory numpy owns."""
    params = (float(offset), float(gain), float(read_noise), float(step))
    mem = np.zeros(-(-lib.pmc_quant_size() // 8), np.float64)  # 8-byte aligned, as pmc_quant needs
    start = ffi.from_buffer(mem)
    q = ffi.cast("pmc_quant *", start)
    _raise(lib.pmc_quant_init(q, *params), "quantizer parameters")
    levels, phases = lib.PMC_QUANT_LEVELS, lib.PMC_QUANT_PHASES
    enc = _table_view(mem, start, lib.pmc_quant_encode_table(q), levels)
    dec = _table_view(mem, start, lib.pmc_quant_decode_table(q), phases * levels)
    return QuantTables(params, enc, dec, int(lib.pmc_quant_ncodes(q)), q, mem)


@dataclass(frozen=True)
class DitherTables:
    """The C library's dithered quantizer (``pmc_dquant``, version 2 streams) of one parameter set and saturation
    value, with numpy views of its tables (docs/FORMAT.md, "Dithered quantizer").

    ``fine`` is the fine index of every ADU value; ``rec`` the decode table, one value per window (a code and its
    phase).  Element ``i`` of a chunk is quantized with a phase that depends on ``i`` and on the codes of the
    chunk's first elements, so the functions below take whole chunks.  ``ptr`` is the ``pmc_dquant *``; the views
    and the pointer share the memory ``_mem`` owns.
    """

    params: tuple[float, float, float, float]
    saturation: int
    fine: np.ndarray
    rec: np.ndarray
    ptr: object
    _mem: np.ndarray

    def quantize(self, values: np.ndarray) -> np.ndarray:
        """Codes of one chunk of uint16 values (any shape, C order)."""
        flat = np.ascontiguousarray(values, dtype=np.uint16).reshape(-1)
        out = np.empty(flat.size, np.uint16)
        dquantize(flat, self, out)
        return out.reshape(np.shape(values))

    def dequantize(self, codes: np.ndarray) -> np.ndarray:
        """Values of one chunk of codes (any shape, C order)."""
        flat = np.ascontiguousarray(codes, dtype=np.uint16).reshape(-1)
        out = np.empty(flat.size, np.uint16)
        ddequantize(flat, self, out)
        return out.reshape(np.shape(codes))


@functools.lru_cache(maxsize=32)
def dither_tables(offset: float, gain: float, read_noise: float, step: float, saturation: int) -> DitherTables:
    """Build (once per parameter set and saturation value) the dithered quantizer into memory numpy owns."""
    params = (float(offset), float(gain), float(read_noise), float(step))
    size = lib.pmc_dquant_size(*params, int(saturation))
    if size == 0:
        limits = ", ".join(f"{name} {lo:g}..{hi:g}" for name, (lo, hi) in quant_limits().items())
        raise ValueError(f"quantizer parameters out of range: offset={params[0]!r}, gain={params[1]!r}, "
                         f"read_noise={params[2]!r}, step={params[3]!r}, saturation={saturation!r} (allowed: "
                         f"{limits}, saturation 1..65535)")
    mem = np.zeros(-(-size // 8), np.float64)  # 8-byte aligned, as pmc_dquant needs
    start = ffi.from_buffer(mem)
    q = ffi.cast("pmc_dquant *", start)
    _raise(lib.pmc_dquant_init(q, size, *params, int(saturation)), "quantizer parameters")
    levels = int(lib.pmc_dquant_levels(q))
    fine_at = int(ffi.cast("uintptr_t", lib.pmc_dquant_fine_table(q))) - int(ffi.cast("uintptr_t", start))
    fine = mem.view(np.uint8)[fine_at: fine_at + 4 * lib.PMC_QUANT_LEVELS].view(np.uint32)
    fine.flags.writeable = False
    rec = _table_view(mem, start, lib.pmc_dquant_decode_table(q), levels)
    return DitherTables(params, int(saturation), fine, rec, q, mem)


def _aligned(arr: np.ndarray) -> np.ndarray:
    """``arr``, or an aligned copy when it sits at an address its C type may not be read from.

    Caller buffers (numpy views at odd byte offsets, ``bytes`` slices) can be
    misaligned; the C kernels read and write them as ``uint16_t``, which is
    undefined behaviour at an odd address.
    """
    return arr if arr.flags.aligned else arr.copy()


def _into(out: np.ndarray, fill) -> int:
    """``fill(pointer)`` writes a flat uint16 result; ``out`` may sit at any address (an aligned copy is filled
    and copied back).  Returns what ``fill`` returns."""
    dest = out if out.flags.aligned else np.empty_like(out)
    rc = fill(_ptr("uint16_t *", dest))
    if dest is not out:
        out[...] = dest
    return rc


def quantize(values: np.ndarray, tables: QuantTables, out: np.ndarray) -> None:
    """Codes of a flat contiguous uint16 array into ``out`` (any alignment of either)."""
    _into(out, lambda dest: lib.pmc_quantize(tables.ptr, _ptr("uint16_t *", _aligned(values)), values.size, dest))


def dequantize(codes: np.ndarray, tables: QuantTables, out: np.ndarray) -> None:
    """Dequantize a flat chunk of codes into ``out`` (any alignment), refusing codes the tables do not define."""
    rc = _into(out, lambda dest: lib.pmc_dequantize(tables.ptr, _ptr("uint16_t *", _aligned(codes)), codes.size, 0,
                                                   dest))
    if rc != lib.PMC_OK:
        raise DecodeError(f"code out of range: these parameters define codes 0..{tables.ncodes - 1}")


def dquantize(values: np.ndarray, tables: DitherTables, out: np.ndarray) -> None:
    """Codes of one chunk (a flat contiguous uint16 array) into ``out`` (any alignment of either)."""
    _into(out, lambda dest: lib.pmc_dquantize(tables.ptr, _ptr("uint16_t *", _aligned(values)), values.size, dest))


def ddequantize(codes: np.ndarray, tables: DitherTables, out: np.ndarray) -> None:
    """Dequantize one chunk of codes into ``out`` (any alignment), refusing codes the tables do not define."""
    rc = _into(out, lambda dest: lib.pmc_ddequantize(tables.ptr, _ptr("uint16_t *", _aligned(codes)), codes.size,
                                                     dest))
    if rc != lib.PMC_OK:
        raise DecodeError("code out of range: with its dither phase it names no bin of these parameters")


class OutputPool:
    """Memory for decoded arrays that is handed out again once an array is released.

    Writing into freshly allocated memory costs a page fault per 4 KiB page, which on
    virtual machines made decoding into new arrays up to 1.5x slower than decoding into
    a reused ``out=``.  Arrays from :meth:`empty` are ordinary writable numpy arrays;
    their memory returns here when the array and every view of it are gone, and the
    next array of the same size class gets it, already mapped.  At most ``keep_bytes``
    of released memory is kept per size class (sizes rounded up to ``granule``), for
    at most ``max_classes`` classes; arrays below ``min_bytes`` come from numpy.

    Examples
    --------
    >>> pool = OutputPool(keep_bytes=1 << 22)
    >>> a = pool.empty(100_000, np.dtype(np.uint16))
    >>> a.shape, a.dtype, a.flags.writeable
    ((100000,), dtype('uint16'), True)
    >>> del a
    >>> pool.kept_bytes()
    262144
    >>> pool.clear()
    >>> pool.kept_bytes()
    0
    """

    def __init__(self, keep_bytes: int = 16 << 20, max_classes: int = 4, min_bytes: int = 64 << 10,
                 granule: int = 64 << 10):
        self.keep_bytes, self.max_classes, self.min_bytes, self.granule = keep_bytes, max_classes, min_bytes, granule
        self._free: dict[int, list[np.ndarray]] = {}  # size class -> released blocks
        self._lent: dict[int, np.ndarray] = {}  # address -> block of an array still alive
        self._lock = threading.Lock()  # for the bookkeeping of classes only; never held while allocating
        self._ffi = ffi  # kept: releases can come late in interpreter shutdown
        self._new = ffi.new_allocator(alloc=self._take, free=self._give, should_clear_after_alloc=False)

    def empty(self, n: int, dtype: np.dtype) -> np.ndarray:
        """A new flat, writable, uninitialised array of ``n`` values of ``dtype``, like ``np.empty``."""
        nbytes = n * dtype.itemsize
        if nbytes < self.min_bytes or self.keep_bytes <= 0:
            return np.empty(n, dtype)
        size = -(-nbytes // self.granule) * self.granule
        return np.frombuffer(ffi.buffer(self._new("uint8_t[]", size)), dtype, count=n)

    def kept_bytes(self) -> int:
        """Bytes of released memory held for reuse."""
        return sum(size * len(blocks) for size, blocks in list(self._free.items()))

    def clear(self) -> None:
        """Drop the released memory held for reuse (arrays still in use are not affected)."""
        with self._lock:
            self._free = {}

    def _take(self, size: int):
        # list.pop, dict.get and dict item assignment are atomic under the GIL: no lock on this path
        blocks = self._free.get(size)
        try:
            block = blocks.pop() if blocks else np.empty(size, np.uint8)
        except IndexError:  # another thread took the last one
            block = np.empty(size, np.uint8)
        self._lent[block.ctypes.data] = block
        return ffi.cast("void *", block.ctypes.data)

    def _give(self, ptr) -> None:
        # called when an array's memory is released, which can happen at any point (garbage collection):
        # keep it short, never wait for a lock held by this thread
        block = self._lent.pop(int(self._ffi.cast("uintptr_t", ptr)), None)
        if block is None:
            return
        blocks = self._free.get(block.size)
        if blocks is None:
            if not self._lock.acquire(blocking=False):
                return
            try:
                if len(self._free) >= self.max_classes:
                    return
                blocks = self._free.setdefault(block.size, [])
            finally:
                self._lock.release()
        if (len(blocks) + 1) * block.size <= self.keep_bytes:
            blocks.append(block)


def _pool_bytes() -> int:
    """``PYMECOMPRESS_POOL_MB`` (MiB of released memory kept per size class; default 16, 0 turns the pool off)."""
    text = os.environ.get("PYMECOMPRESS_POOL_MB", "16")
    try:
        mb = float(text)
    except ValueError:
        mb = -1.0
    if not mb >= 0:
        raise ValueError(f"PYMECOMPRESS_POOL_MB must be a number of MiB >= 0 (0 turns the pool off), got {text!r}")
    return int(mb * (1 << 20))


output_pool = OutputPool(keep_bytes=_pool_bytes())


def empty(n: int, dtype: np.dtype) -> np.ndarray:
    """A new flat array for decoding into, from :data:`output_pool` (see :class:`OutputPool`)."""
    return output_pool.empty(n, np.dtype(dtype))


def encode_chunk(data: np.ndarray, nx: int, ny: int, mode: int, params: tuple[float, ...] | None,
                 checksum: bool, simd: int = DEFAULT_SIMD, saturation: int | None = None) -> bytes:
    """Encode a C-contiguous uint8/uint16 array as one PMCS stream: in mode 1 a version 2 stream (the dithered
    quantizer) when ``saturation`` is given, else a version 1 stream."""
    n = data.size
    bound = lib.pmc_encode_bound(n, nx, ny, mode)
    dst = np.empty(bound, np.uint8)
    written = ffi.new("size_t *")
    # `tables` keeps the quantizer's memory alive through the call (the cache may drop it meanwhile)
    tables = dtables = None
    if mode == MODE_QUANT and saturation is not None:
        dtables = dither_tables(*params, saturation)
    elif mode == MODE_QUANT:
        tables = quant_tables(*params)
    q = tables.ptr if tables is not None else ffi.NULL
    dq = dtables.ptr if dtables is not None else ffi.NULL
    rc = lib.pmc_encode(ffi.from_buffer(data, require_writable=False), n, data.itemsize, nx, ny, mode, q, dq,
                        int(bool(checksum)), _ptr("uint8_t *", dst), bound, written, ffi.NULL, 0, simd)
    _raise(rc, "encoding failed")
    return dst[: written[0]].tobytes()


@dataclass(frozen=True)
class StreamInfo:
    """What the header of a PMCS stream says."""

    n: int
    nx: int
    ny: int
    mode: int
    itemsize: int
    checksum: bool
    params: tuple[float, float, float, float] | None
    version: int = 1
    saturation: int | None = None
    """version 2 (the dithered quantizer): the saturation value; else None."""

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.uint8 if self.itemsize == 1 else np.uint16)


def stream_info(buf) -> StreamInfo:
    """Parse and validate a PMCS header (raises DecodeError)."""
    src = bytes_view(buf)
    info = ffi.new("pmc_info *")
    _raise(lib.pmc_stream_info(_ptr("uint8_t *", src), src.size, info), "cannot decode")
    params = tuple(info.params[i] for i in range(4)) if info.mode == MODE_QUANT else None
    return StreamInfo(int(info.n), int(info.nx), int(info.ny), int(info.mode), int(info.itemsize),
                      bool(info.flags & lib.PMC_FLAG_CRC), params, int(info.version),
                      int(info.saturation) if info.version == 2 else None)


class _Contexts(threading.local):
    """Each thread's decoding context (``pmc_dctx``: working memory and the quantizers of the last parameter sets
    streams named), made on the thread's first decode and freed with the thread."""

    dctx = None

    def get(self):
        if self.dctx is None:
            ctx = lib.pmc_dctx_create()
            if ctx == ffi.NULL:
                raise MemoryError("cannot allocate a decoding context")
            self.dctx = ffi.gc(ctx, lib.pmc_dctx_free)
        return self.dctx


_contexts = _Contexts()


def decode_chunk(buf, out: np.ndarray, simd: int = DEFAULT_SIMD) -> None:
    """Decode a PMCS stream (any mode and version: it describes itself) into the flat, writable, C-contiguous array
    ``out``, whose size must be the stream's, with this thread's decoding context."""
    src = bytes_view(buf)
    rc = lib.pmc_dctx_decode(_contexts.get(), _ptr("uint8_t *", src), src.size, ffi.from_buffer(out), out.nbytes,
                             simd)
    _raise(rc, "cannot decode")


def residuals(buf) -> np.ndarray:
    """The zigzagged prediction residuals a PMCS stream's entropy segments hold (uint16, memory order)."""
    src = bytes_view(buf)
    info = stream_info(src)
    z = np.empty(info.n, np.uint16)
    _raise(lib.pmc_residuals(_ptr("uint8_t *", src), src.size, _ptr("uint16_t *", z), info.n), "cannot decode")
    return z


def nbit_pack(data: np.ndarray, nbits: int) -> bytes:
    """Pack a flat contiguous uint8/uint16 array into ``nbits`` bits per value."""
    size = lib.pmc_nbit_size(data.size, nbits)
    dst = np.empty(max(size, 1), np.uint8)
    rc = lib.pmc_nbit_pack(ffi.from_buffer(data, require_writable=False), data.size, data.itemsize, nbits,
                      _ptr("uint8_t *", dst), size)
    if rc == lib.PMC_E_RANGE:
        raise ValueError(f"a value needs more than nbits={nbits} bits (largest value {int(data.max())}); "
                         "raise nbits or use nbits=0 to pick the width automatically")
    _raise(rc, "n-bit packing failed")
    return dst[:size].tobytes()


def nbit_unpack(payload: np.ndarray, nbits: int, out: np.ndarray) -> None:
    """Unpack ``out.size`` values of ``nbits`` bits from a uint8 payload into ``out``."""
    rc = lib.pmc_nbit_unpack(_ptr("uint8_t *", payload), payload.size, nbits, ffi.from_buffer(out), out.size,
                        out.itemsize)
    _raise(rc, "cannot decode n-bit payload")


def huffman_segment_encode(z: np.ndarray) -> bytes:
    """Encode a flat uint16 array as one entropy-coded segment (testing aid)."""
    bound = lib.pmc_segment_bound(z.size)
    dst = np.empty(bound, np.uint8)
    written = ffi.new("size_t *")
    _raise(lib.pmc_segment_encode(_ptr("uint16_t *", _aligned(z)), z.size, _ptr("uint8_t *", dst), bound, written,
                                  ffi.NULL), "segment encoding failed")
    return dst[: written[0]].tobytes()


def crc32c(buf, simd: int = DEFAULT_SIMD) -> int:
    """CRC-32C of a buffer."""
    src = bytes_view(buf)
    return int(lib.pmc_crc32c(_ptr("uint8_t *", src), src.size, simd))


# ---- legacy formats ----
# The header-less Huffman bit stream of the original pymecompress / BCL (docs/FORMAT.md, "Legacy formats").


def legacy_huffman_encode(data: np.ndarray) -> bytes:
    """Encode a flat contiguous uint8 array as one legacy (BCL) Huffman bit stream (no count, no header)."""
    n = data.size
    if n == 0:
        return b""
    bound = lib.pmc_legacy_huf_bound(n)
    dst = np.empty(bound, np.uint8)
    written = ffi.new("size_t *")
    rc = lib.pmc_legacy_huf_encode(_ptr("uint8_t *", data), n, _ptr("uint8_t *", dst), bound, written)
    _raise(rc, "legacy Huffman encoding failed")
    return dst[: written[0]].tobytes()


def legacy_huffman_max_symbols(nbytes: int) -> int:
    """Most symbols a legacy Huffman stream of ``nbytes`` bytes can hold (a 9-bit tree, then >= 1 bit each)."""
    return max(0, 8 * nbytes - 9)


def legacy_huffman_decode(buf, nsym: int, out: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Decode the first ``nsym`` symbols of a legacy Huffman bit stream.

    Returns the symbols (``out`` if given: a flat writable uint8 array of ``nsym``
    elements) and the number of stream bits the tree and those codes occupy (bits
    after them are ignored).  Raises DecodeError when the stream cannot hold
    ``nsym`` symbols (checked before allocating), ends early or has an invalid tree.
    """
    src = bytes_view(buf)
    if nsym < 0 or nsym > legacy_huffman_max_symbols(src.size):
        raise DecodeError(f"legacy Huffman stream: {src.size} bytes cannot hold {nsym} symbols")
    dest = np.empty(nsym, np.uint8) if out is None else out
    if nsym == 0:
        return dest, 0
    end = ffi.new("size_t *")
    rc = lib.pmc_legacy_huf_decode(_ptr("uint8_t *", src), src.size, ffi.from_buffer(dest), nsym, end)
    if rc == lib.PMC_E_TRUNCATED:
        raise DecodeError(f"legacy Huffman stream is truncated: its {src.size} bytes end before {nsym} symbols")
    if rc == lib.PMC_E_CORRUPT:
        raise DecodeError("legacy Huffman stream is corrupt: invalid code tree (more than 511 nodes or a symbol "
                          "that appears twice)")
    _raise(rc, "cannot decode legacy Huffman stream")
    return dest, int(end[0])
