"""Huff0, zstd's Huffman coder, as a reference for the entropy stage of huffquant16 (bench/run.py).

The reference codes exactly the Huffman symbols huffquant16's entropy segments code, one byte per value, with
Huff0's 4-stream coder (``HUF_compress4X_repeat`` without a repeated table; decoding by
``HUF_decompress4X_hufOnly_wksp``, which picks the single- or double-symbol decoder per block as zstd does for
literals) in blocks of 128 KiB (``HUF_BLOCKSIZE_MAX``).  Huff0 is not in zstd's public header: bench/huff0_ref.c
declares the two functions from their signatures in zstd 1.5.4 and links a static libzstd.a, such as Debian's
(``apt-get install libzstd-dev``: /usr/lib/<multiarch>/libzstd.a).  The small cffi module is compiled at first use
into a cache folder (``PYMECOMPRESS_BENCH_CACHE``, else ``$XDG_CACHE_HOME/pymecompress-bench``, else
``~/.cache/pymecompress-bench``), never into the package.  ``PYMECOMPRESS_LIBZSTD_A`` names another archive; set
to an empty string it turns the reference off.

The symbols (:func:`huffman_symbols`): a PMCS chunk's residuals ``z`` (zigzagged, uint16) are coded per entropy
segment with that segment's shift ``k``: symbol ``hi = z >> k`` when ``hi < 64`` (a literal), else the escape
``64 + bitlen(hi) - 7`` (docs/FORMAT.md, "Alphabet and value coding"), followed by ``k`` low bits and, for an
escape, ``bitlen(hi) - 1`` extra bits written raw.  Huff0 gets the symbol bytes only: the raw bits, the predictor
map and the headers are not in its figures, so its ratio is not comparable with a codec's.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pymecompress import _binding

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "huff0_ref.c"
BLOCK = 128 * 1024  # symbols per Huff0 block (HUF_BLOCKSIZE_MAX)
CDEF = """
size_t href_ws_size(void);
size_t href_bound(size_t n);
size_t href_encode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, void *ws);
int href_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t n, void *ws);
"""
INSTALL = "apt-get update && apt-get install -y libzstd-dev"


class Unavailable(RuntimeError):
    """The reference cannot be built here (no libzstd.a, no C compiler, or an archive without Huff0)."""


def find_archive() -> Path:
    """The static libzstd.a to link: ``PYMECOMPRESS_LIBZSTD_A``, else the usual system places."""
    named = os.environ.get("PYMECOMPRESS_LIBZSTD_A")
    if named is not None:
        if not named:
            raise Unavailable("turned off (PYMECOMPRESS_LIBZSTD_A is empty)")
        if not Path(named).is_file():
            raise Unavailable(f"PYMECOMPRESS_LIBZSTD_A={named} is not a file")
        return Path(named)
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    places = [Path("/usr/lib") / multiarch, Path("/usr/lib"), Path("/usr/local/lib"), Path("/opt/homebrew/lib")]
    for place in places:
        if (place / "libzstd.a").is_file():
            return place / "libzstd.a"
    raise Unavailable(f"no static libzstd.a (Debian/Ubuntu: {INSTALL})")


def cache_dir() -> Path:
    """Where the compiled reference module is kept."""
    named = os.environ.get("PYMECOMPRESS_BENCH_CACHE")
    if named:
        return Path(named)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pymecompress-bench"


def _build(archive: Path):
    """The compiled module (built once per source, archive and Python), or Unavailable."""
    stat = archive.stat()
    key = hashlib.sha256(SOURCE.read_bytes() + CDEF.encode() + f"{archive.resolve()}:{stat.st_size}:"
                         f"{stat.st_mtime_ns}:{sys.version}".encode()).hexdigest()[:16]
    name = f"_huff0_ref_{key}"
    folder = cache_dir()
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    target = folder / f"{name}{suffix}"
    if not target.exists():
        try:
            import cffi

            folder.mkdir(parents=True, exist_ok=True)
            ffi = cffi.FFI()
            ffi.cdef(CDEF)
            ffi.set_source(name, SOURCE.read_text(), extra_objects=[str(archive)],
                           extra_compile_args=["-O2", "-std=c99"])
            with tempfile.TemporaryDirectory(prefix="huff0-build-", dir=folder) as tmp:
                built = Path(ffi.compile(tmpdir=tmp, verbose=False))
                os.replace(built, target)  # atomic: a concurrent run sees the whole module or none
        except Exception as e:  # no compiler, no cffi, a link error: the row is left out
            raise Unavailable(f"cannot build the reference from {archive}: {e}") from None
    spec = importlib.util.spec_from_file_location(name, target)
    if spec is None or spec.loader is None:
        raise Unavailable(f"cannot load {target}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ImportError as e:  # e.g. an archive without the HUF_* functions: undefined symbol at load time
        raise Unavailable(f"{archive} does not provide Huff0 ({e})") from None
    return module


@dataclass
class Huff0:
    """Huff0 encode/decode of uint8 symbol arrays (re-entrant: each call gets its own workspace)."""

    module: object
    archive: Path

    def _ws(self):
        return self.module.ffi.new("uint8_t[]", self.module.lib.href_ws_size())

    def encode(self, symbols: np.ndarray) -> np.ndarray:
        """The coded stream of a flat uint8 array (bench-private block format, see huff0_ref.c)."""
        lib, ffi = self.module.lib, self.module.ffi
        dst = np.empty(lib.href_bound(symbols.size), np.uint8)
        n = lib.href_encode(ffi.from_buffer("uint8_t[]", symbols), symbols.size, ffi.from_buffer("uint8_t[]", dst),
                            dst.size, self._ws())
        if n == 0 and symbols.size:
            raise RuntimeError("Huff0 encoding failed")
        return dst[:n]

    def decode(self, coded: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Decode ``out.size`` symbols of ``coded`` into the flat uint8 array ``out``."""
        lib, ffi = self.module.lib, self.module.ffi
        rc = lib.href_decode(ffi.from_buffer("uint8_t[]", coded), coded.size,
                             ffi.from_buffer("uint8_t[]", out, require_writable=True), out.size, self._ws())
        if rc:
            raise ValueError("not a valid Huff0 reference stream")
        return out


def load() -> Huff0:
    """The reference, built if needed; raises :class:`Unavailable` with the reason when it cannot be."""
    archive = find_archive()
    return Huff0(_build(archive), archive)


def _symbol_of(z: np.ndarray, k: int) -> np.ndarray:
    hi = z >> np.uint16(k)
    nb = np.zeros(hi.shape, np.uint8)  # bit length of hi, only needed from 64 up
    big = hi >= 64
    nb[big] = np.floor(np.log2(hi[big].astype(np.float64))).astype(np.uint8) + 1
    return np.where(big, 64 + nb.astype(np.int32) - 7, hi).astype(np.uint8)


def segment_shifts(buf) -> list[tuple[int, int]]:
    """``(mode, k)`` of each entropy segment of a PMCS chunk (``k`` is 0 unless the segment is Huffman-coded)."""
    src = _binding.bytes_view(buf)
    info = _binding.stream_info(src)
    hs = 64 if info.mode == _binding.MODE_QUANT else 32
    tw, th = int(src[24:26].view("<u2")[0]), int(src[26:28].view("<u2")[0])
    seg = int(src[28:32].view("<u4")[0])
    planes = info.n // (info.nx * info.ny)
    ntiles = planes * -(-info.ny // th) * -(-info.nx // tw)
    nibbles = np.stack([src[hs:hs + (ntiles + 1) // 2] & 15, src[hs:hs + (ntiles + 1) // 2] >> 4], 1).reshape(-1)
    o = hs + (ntiles + 1) // 2 + 2 * int(np.count_nonzero(nibbles[:ntiles] == 0))  # a u16 base per NONE tile
    out = []
    for _ in range(-(-info.n // seg)):
        length = int(src[o:o + 4].view("<u4")[0])
        mode = int(src[o + 4])
        out.append((mode, int(src[o + 5]) if mode == 0 else 0))
        o += 4 + length
    return out


def huffman_symbols(buf) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The Huffman symbol of every value of a PMCS chunk (uint8, memory order), and its segments' ``(mode, k)``."""
    z = _binding.residuals(buf)
    seg = int(_binding.bytes_view(buf)[28:32].view("<u4")[0])
    shifts = segment_shifts(buf)
    out = np.empty(z.size, np.uint8)
    for s, (_, k) in enumerate(shifts):
        out[s * seg:(s + 1) * seg] = _symbol_of(z[s * seg:(s + 1) * seg], k)
    return out, shifts
