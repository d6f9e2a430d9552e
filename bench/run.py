"""Side-by-side benchmark of pymecompress against the codecs users would otherwise pick.

Run (after ``pip install ".[bench]"``)::

    python bench/run.py                 # every data set, every contender: markdown tables, and
                                        # results.json + results.png in ./bench-results/
    python bench/run.py --out DIR       # the same, results.json + results.png in DIR
    python bench/run.py --quick         # fewer repeats, for a first look
    python bench/run.py --smoke         # the smallest configuration (seconds): checks that it runs, measures nothing
    python bench/run.py --threads-only  # the 1- vs 2-thread speed-up of compressing a multi-chunk array
    python bench/run.py --publish       # a full run that also refreshes the committed bench/results.json and
                                        # bench/results.png, which README.md shows

Nothing under version control changes without ``--publish``.

Every contender runs on the same data in one process, single-threaded, in chunks of about 1 MB (whole
planes of a stack, or 512 x 512 tiles of a large frame); speeds are the median of repeated runs in MB/s of
uint16 input. "decode MB/s" decodes into new arrays, as ``codec.decode(buf)`` does (on this virtual machine
the page faults of fresh memory cost about 1.8 us per 4 KB page, a large share of a fast decoder's time);
"decode into reused out" passes ``out=`` buffers allocated once (pymecompress's codecs only). "order-0
efficiency" is the order-0 entropy of each chunk's own residuals over its stored size (pymecompress.entropy).
This is not a test: it asserts nothing. The machine it runs on is noisy; compare figures from one run only.

A reference row "Huff0 (zstd) on huffquant16 step 1's symbols" times zstd's Huffman coder alone on the symbols
huffquant16's entropy stage codes (bench/huff0_ref.py says which), and each table ends with huffquant16's speeds
as fractions of it (the targets of issue #16). It needs a static libzstd.a with zstd's HUF_* functions (Debian or
Ubuntu: ``apt-get update && apt-get install -y libzstd-dev``) and a C compiler; without them the row is skipped
with a note. It is a benchmark aid only: nothing in pymecompress needs zstd.

The original pymecompress 0.3.6 (same import name as ours) joins the tables when the environment variable
PYMECOMPRESS_ORIGINAL_SITE names the site-packages directory that holds it (loaded into this process under
another module name), or PYMECOMPRESS_LEGACY_PYTHON names a Python that has it (run there when its compiled
module cannot be loaded here); without either it is skipped with a note. It is compared with huffquant16 at its
own settings, offset=100 scale=1, both in chunks of at most 131,072 values.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.machinery
import importlib.util
import inspect
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# single-threaded means single-threaded: idle OpenBLAS worker threads spin and take a core from the timed codec
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numcodecs  # noqa: E402
import numpy as np  # noqa: E402

from pymecompress import CameraModel  # noqa: E402
from pymecompress.entropy import order0_bits, residual_entropy  # noqa: E402

HERE = Path(__file__).resolve().parent
REAL_DATA = HERE.parent / "tests" / "data" / "camera"

# camera parameters of the real files (tests/data/camera/README.md)
REAL = {
    "smlm_sdt_pMHC_AF647_10x128x128.tif": ("real EMCCD SMLM", (205.0, 17.0, 0.0)),
    "widefield_timelapse_ecoli_gfp_53x64x64.tif": ("real sCMOS widefield", (400.0, 4.2, 0.0)),
    "lightsheet_bead_psf_61x128x128.tif": ("real sCMOS light-sheet", (93.0, 1.8, 0.0)),
    "brightfield_worms_ccd_520x696.tif": ("real CCD brightfield", (100.0, 0.184, 13.0)),
}


# ---------------------------------------------------------------------------------------------- data

def _simulate(photons: np.ndarray, seed: int, offset=100.0, gain=2.2, read_noise=1.5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e = rng.poisson(photons) + rng.normal(0, read_noise, photons.shape)
    return np.clip(np.round(e * gain + offset), 0, 65535).astype(np.uint16)


def simulated_scenes(size: int = 2048, planes: int = 32):
    """(label, stack, camera) of three simulated sCMOS scenes, fixed seeds: two ``size`` x ``size`` frames (smaller
    sizes are crops of the larger ones) and a movie of ``planes`` 256 x 256 frames (the first of the longer one)."""
    cam = (100.0, 2.2, 1.5)
    yy, xx = np.indices((size, size), dtype=np.float64)
    bright = 20 + 400 * (np.sin(xx / 37.0) * np.cos(yy / 53.0)) ** 2
    yield "sim bright structured", _simulate(bright[None], 1)[0], cam
    dim = 2 + 8 * (np.sin(xx / 91.0) * np.cos(yy / 67.0)) ** 2
    yield "sim dim", _simulate(dim[None], 2)[0], cam
    rng = np.random.default_rng(3)
    frames = np.full((planes, 256, 256), 1.0)
    yy, xx = np.indices((256, 256), dtype=np.float64)
    for t in range(frames.shape[0]):
        for y0, x0 in rng.uniform(10, 246, (12, 2)):
            frames[t] += 300 * np.exp(-((yy - y0) ** 2 + (xx - x0) ** 2) / (2 * 1.3**2))
    yield "sim sparse single molecules", _simulate(frames, 4), cam


def datasets(min_bytes: int, smoke: bool = False):
    """(label, stack, camera, planes per copy): the simulated scenes, then the real files repeated to min_bytes.

    ``smoke``: 512 x 512 simulated frames and a 4-plane movie instead of 2048 x 2048 and 32 planes.

    A real file repeated ``reps`` times is ``reps`` identical copies: chunks never span two copies (see
    ``measure``), or a codec with long-range matching (zstd) would find the repetition and report a ratio
    that the real file does not have.
    """
    import tifffile

    for label, data, cam in simulated_scenes(*((512, 4) if smoke else ())):
        yield label, data, cam, None
    for name, (label, cam) in REAL.items():
        path = REAL_DATA / name
        if not path.exists():
            print(f"(skipping {name}: {path} not found)", file=sys.stderr)
            continue
        data = tifffile.imread(path)
        if data.ndim == 2:
            data = data[None]
        reps = max(1, -(-min_bytes // data.nbytes))
        yield f"{label} (x{reps})", np.concatenate([data] * reps), cam, data.shape[0]


def chunks_of(data: np.ndarray) -> list[np.ndarray]:
    """About 1 MB chunks: groups of whole planes, or 512 x 512 tiles of large frames."""
    if data.ndim == 2:
        if data.size * 2 <= 2**20:
            return [data]
        return [np.ascontiguousarray(data[i:i + 512, j:j + 512]) for i in range(0, data.shape[0], 512)
                for j in range(0, data.shape[1], 512)]
    per = max(1, 2**19 // (data.shape[1] * data.shape[2]))
    return [np.ascontiguousarray(data[i:i + per]) for i in range(0, data.shape[0], per)]


SMALL_CHUNK = 2**17  # values per chunk at most, in the comparison with the original (it crashes on larger ones)


def small_chunks_of(data: np.ndarray) -> list[np.ndarray]:
    """Chunks of at most SMALL_CHUNK values: groups of whole planes, or 256-row tiles of large planes."""
    stack = data if data.ndim == 3 else data.reshape(-1, *data.shape[-2:])
    ny, nx = stack.shape[1:]
    if ny * nx <= SMALL_CHUNK:
        per = SMALL_CHUNK // (ny * nx)
        return [np.ascontiguousarray(stack[i:i + per]) for i in range(0, stack.shape[0], per)]
    rows, cols = 256, SMALL_CHUNK // 256
    return [np.ascontiguousarray(stack[k, i:i + rows, j:j + cols]) for k in range(stack.shape[0])
            for i in range(0, ny, rows) for j in range(0, nx, cols)]


def whole_frames(data: np.ndarray) -> list[np.ndarray]:
    """Every 2-D plane as one chunk."""
    return list(np.ascontiguousarray(data.reshape(-1, *data.shape[-2:])))


# ---------------------------------------------------------------------------------------- contenders

@dataclass
class Contender:
    name: str
    encode: object
    decode: object
    lossy_step: float | None = None  # quantization step in noise sigmas, None for lossless
    chunking: Callable = chunks_of
    # (chunks, repeats) -> (encode seconds, decode seconds, encoded bytes, decoded chunks): runs elsewhere
    run: Callable | None = None
    quiet: Callable = contextlib.nullcontext  # context manager around the timed runs
    note: str = ""  # footnote under the table
    optional: bool = False  # if it fails, say so and go on without it
    decode_into: Callable | None = None  # (encoded, out) -> out: decoding into a caller's reused buffer
    # an entropy stage alone (the Huff0 reference): (chunks, repeats) -> (encode s, decode s, decode into reused
    # out s, coded bytes, order-0 entropy of the symbols in bits); its row has no error figures
    entropy_only: Callable | None = None


def _planes(fn):
    """Apply a 2-D-only codec plane by plane (JPEG-LS)."""
    def enc(chunk):
        return [fn[0](p) for p in chunk.reshape(-1, *chunk.shape[-2:])]

    def dec(parts):
        return np.stack([fn[1](p) for p in parts])
    return enc, dec


def contenders(cam, original=None, huff0=None, frames: bool = False) -> list[Contender]:
    """Every codec of the tables; ``frames``: also the comparison with the original on whole frames."""
    offset, gain, rn = cam
    out = []
    for step in (1.0, 2.0):
        c = numcodecs.get_codec({"id": "huffquant16", "offset": offset, "gain": gain, "read_noise": rn,
                                 "step": step, "dither": True})  # a config without "dither" is from before it
        out.append(Contender(f"huffquant16 step {step:g}", c.encode, c.decode, step, decode_into=c.decode))
    for step in (1.0, 2.0):  # the A/B of dithering (issue #24): the same codec writing version 1 streams
        c = numcodecs.get_codec({"id": "huffquant16", "offset": offset, "gain": gain, "read_noise": rn,
                                 "step": step, "dither": False})
        out.append(Contender(f"{UNDITHERED} step {step:g}", c.encode, c.decode, step, decode_into=c.decode))
    if huff0 is not None:
        out.append(huff0_contender(huff0, cam))
    lossless = numcodecs.get_codec({"id": "hufflossless"})
    out.append(Contender("hufflossless", lossless.encode, lossless.decode, decode_into=lossless.decode))
    vq = numcodecs.get_codec({"id": "vstquant16", "offset": offset, "gain": gain, "read_noise": rn, "dither": True})
    zstd5 = numcodecs.Zstd(level=5)
    out.append(Contender("sqrt codes + zstd 5", lambda c: zstd5.encode(vq.encode(c)),
                         lambda e: vq.decode(zstd5.decode(e)), 1.0))
    for level in (1, 5):
        z = numcodecs.Zstd(level=level)
        out.append(Contender(f"zstd {level}", z.encode, z.decode))
    b1 = numcodecs.Blosc(cname="zstd", clevel=5, shuffle=numcodecs.Blosc.BITSHUFFLE)
    b2 = numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)
    out.append(Contender("blosc zstd+bitshuffle", b1.encode, b1.decode))
    out.append(Contender("blosc lz4+shuffle", b2.encode, b2.decode))
    try:
        import imagecodecs

        enc, dec = _planes((imagecodecs.jpegls_encode, imagecodecs.jpegls_decode))
        out.append(Contender("JPEG-LS lossless", enc, dec))
        venc, vdec = _planes((lambda p: imagecodecs.jpegls_encode(vq.encode(p)),
                              lambda e: vq.decode(imagecodecs.jpegls_decode(e))))
        out.append(Contender("sqrt codes + JPEG-LS", venc, vdec, 1.0))
    except ImportError:
        print("(imagecodecs not installed: no JPEG-LS; pip install '.[bench]')", file=sys.stderr)
    try:
        import pcodec
        from pcodec import standalone

        cfg = pcodec.ChunkConfig()
        out.append(Contender("pcodec", lambda c: standalone.simple_compress(c.reshape(-1), cfg),
                             standalone.simple_decompress))
    except ImportError:
        print("(pcodec not installed)", file=sys.stderr)
    nb = numcodecs.get_codec({"id": "nbitpack"})
    out.append(Contender("nbitpack (auto width)", nb.encode, nb.decode))
    out.extend(pyme_settings(cam, original, frames))
    return out


# ------------------------------------------------------------------ Huff0: a reference for the entropy stage

HUFF0 = "Huff0 (zstd) on huffquant16 step 1's symbols"
HUFF0_NOTE = ("the entropy stage alone, as a speed reference: zstd's Huff0 (4 streams, HUF_compress4X_repeat / "
              "HUF_decompress4X_hufOnly_wksp, blocks of 128 KiB, from {archive}) codes the Huffman symbol of every "
              "value of huffquant16 step 1's chunks, one byte per value (literal z >> k below 64, else an escape by "
              "bit length: docs/FORMAT.md); here {shifts}. Not coded: the raw low bits and escape extras, the "
              "predictor map, headers; not timed: quantizing, prediction, reconstruction, CRC. Its ratio is the "
              "uint16 input over Huff0's bytes, not a codec's ratio; MB/s are of uint16 input (2 bytes a symbol). "
              "Its order-0 efficiency is the symbols' order-0 entropy over Huff0's bytes. Decoded symbols are checked "
              "equal to the input once, outside the timing.")
TARGETS = {"encode_mbps": 0.5, "decode_into_mbps": 0.6}  # issue #16: huffquant16 at these fractions of Huff0
NEW_ARRAYS_TARGET = 0.8  # issue #16: decoding into new arrays within 20 % of decoding into reused ones
ORIGINAL_TARGETS = {"encode_mbps": 3, "decode_mbps": 10}  # issue #16: huffquant16 at these multiples of the original


def load_huff0():
    """``(reference, why)``: the Huff0 reference (None if it cannot be built here) and a note on it."""
    import huff0_ref  # beside this script

    try:
        ref = huff0_ref.load()
    except huff0_ref.Unavailable as e:
        return None, f"no Huff0 reference row: {e}"
    return ref, f"Huff0 reference: {ref.archive}, compiled into {huff0_ref.cache_dir()}"


def _shift_summary(shifts: list[tuple[int, int]]) -> str:
    huffman = [k for mode, k in shifts if mode == 0]
    ks = ", ".join(f"k={k} in {huffman.count(k)}" for k in sorted(set(huffman)))
    other = len(shifts) - len(huffman)
    return (f"{len(shifts)} segments, Huffman-coded with {ks}" if huffman else f"{len(shifts)} segments") + (
        f", {other} constant or raw (their symbols taken with k=0)" if other else "")


def huff0_contender(huff0, cam) -> Contender:
    """Huff0 on the symbols of huffquant16 step 1 (the same camera, the same chunks)."""
    import huff0_ref

    offset, gain, rn = cam
    codec = numcodecs.get_codec({"id": "huffquant16", "offset": offset, "gain": gain, "read_noise": rn, "step": 1.0,
                                 "dither": True})
    contender = Contender(HUFF0, None, None, note="")

    def run(chunks, repeats):
        found = [huff0_ref.huffman_symbols(codec.encode(ch)) for ch in chunks]
        symbols = [f[0] for f in found]
        contender.note = HUFF0_NOTE.format(archive=huff0.archive,
                                           shifts=_shift_summary([s for f in found for s in f[1]]))
        t_enc, coded = timed(lambda: [huff0.encode(s) for s in symbols], repeats)
        outs = [np.empty_like(s) for s in symbols]
        for c, o, s in zip(coded, outs, symbols, strict=True):
            assert np.array_equal(huff0.decode(c, o), s), "Huff0 did not give back its symbols"
        t_dec, _ = timed(lambda: [huff0.decode(c, np.empty_like(s)) for c, s in zip(coded, symbols, strict=True)],
                         repeats)
        t_into, _ = timed(lambda: [huff0.decode(c, o) for c, o in zip(coded, outs, strict=True)], repeats)
        return t_enc, t_dec, t_into, sum(c.size for c in coded), sum(order0_bits(s) for s in symbols)

    contender.entropy_only = run
    return contender


def _scored(what: str, x: float, goal: float | None, digits: int = 2) -> str:
    """``what`` and the ratio ``x``, and whether it meets ``goal`` (none: no target)."""
    return f"{what} {x:.{digits}f}x" + ("" if goal is None else " (met)" if x >= goal else " (missed)")


def _section(title: str, lines: list[str]) -> str:
    """A titled list of bullet lines under a table (nothing when there are no lines)."""
    return "\n".join(["", "", title, "", *lines]) if lines else ""


def against_huff0(rows: list[dict]) -> str:
    """huffquant16's speeds as fractions of the Huff0 reference's in the same run, against issue #16's targets."""
    ref = next((r for r in rows if r["codec"] == HUFF0), None)
    if ref is None:
        return ""
    lines = []
    for r in rows:
        if not r["codec"].startswith("huffquant16 step"):
            continue
        parts = [_scored(what, r[key] / ref[key], TARGETS.get(key))
                 for key, what in (("encode_mbps", "encode"), ("decode_into_mbps", "decode into reused out"),
                                   ("decode_mbps", "decode into new arrays"))
                 if key in r and key in ref]
        lines.append(f"- {r['codec']}: " + ", ".join(parts))
    return _section("huffquant16 over the Huff0 reference (same run; targets of issue #16: encode >= "
                    f"{TARGETS['encode_mbps']}x, decode into reused out >= {TARGETS['decode_into_mbps']}x):", lines)


UNDITHERED = "huffquant16 undithered (v1)"
DITHER_TARGETS = {1.0: 0.97, 2.0: 0.94}  # issue #24: dithered ratio at these fractions of the undithered one
DITHER_SPEED_TARGET = 0.9  # issue #24: dithered encode and decode at least this fraction of the undithered speeds


def dithering_cost(rows: list[dict]) -> str:
    """The dithered streams (the default) over the undithered ones (version 1) in the same run: ratio and speeds,
    against issue #24's targets."""
    lines = []
    for step, goal in DITHER_TARGETS.items():
        new = next((r for r in rows if r["codec"] == f"huffquant16 step {step:g}"), None)
        old = next((r for r in rows if r["codec"] == f"{UNDITHERED} step {step:g}"), None)
        if new is None or old is None:
            continue
        parts = [_scored("ratio", new["ratio"] / old["ratio"], goal, 3)]
        parts += [_scored(what, new[key] / old[key], DITHER_SPEED_TARGET)
                  for key, what in (("encode_mbps", "encode"), ("decode_into_mbps", "decode into reused out"))
                  if key in new and key in old]
        lines.append(f"- step {step:g}: " + ", ".join(parts))
    return _section("dithered huffquant16 over undithered (same run; targets of issue #24: ratio >= "
                    f"{DITHER_TARGETS[1.0]}x at step 1 and {DITHER_TARGETS[2.0]}x at step 2, speeds >= "
                    f"{DITHER_SPEED_TARGET}x):", lines)


def new_against_reused(rows: list[dict]) -> str:
    """Decoding into new arrays as a fraction of decoding into reused out, against issue #16's target."""
    lines = [f"- {r['codec']}: {r['decode_mbps'] / r['decode_into_mbps']:.2f}x" for r in rows
             if r["codec"].startswith("huffquant16 step") and "decode_into_mbps" in r]
    return _section("huffquant16's decode into new arrays over decode into reused out (target of issue #16: >= "
                    f"{NEW_ARRAYS_TARGET}x):", lines)


def against_original(rows: list[dict]) -> str:
    """huffquant16's speeds over the original's at its settings, on the same chunks, against issue #16's targets."""
    lines = []
    for r in rows:
        if not r["codec"].startswith("huffquant16 at "):
            continue
        suffix = WHOLE if r["codec"].endswith(WHOLE) else ""
        ref = next((o for o in rows if "(original)" in o["codec"] and o["codec"].endswith(WHOLE) == bool(suffix)),
                   None)
        if ref is None:
            continue
        parts = [_scored(what, r[key] / ref[key], ORIGINAL_TARGETS[key], digits=1)
                 for key, what in (("encode_mbps", "encode"), ("decode_mbps", "decode"))]
        where = "whole frames" if suffix else f"chunks of at most {SMALL_CHUNK:,} values"
        lines.append(f"- {where}: " + ", ".join(parts))
    return _section("huffquant16 over the original at its settings (same run; targets of issue #16: encode >= "
                    f"{ORIGINAL_TARGETS['encode_mbps']}x, decode >= {ORIGINAL_TARGETS['decode_mbps']}x):", lines)


# --------------------------------------------------------------------------- the original pymecompress 0.3.6

PYME = {"offset": 100, "scale": 1}  # the original's settings (PYME's defaults), for both sides of the comparison
ENABLE_ORIGINAL = ("set PYMECOMPRESS_ORIGINAL_SITE to the site-packages directory that holds the original "
                   "pymecompress 0.3.6, or PYMECOMPRESS_LEGACY_PYTHON to a Python that has it (README.md, Benchmark)")


def padded(chunk):
    """``chunk`` copied to the start of a zeroed buffer twice its size; returns the view of that start.

    The original's quant16 encoder takes the chunk's byte count for its pixel count: it reads twice as many
    values as the chunk holds and codes them all (its decoder returns the first half). Past the end of a large
    array that read leaves mapped memory and crashes; here it reads zeros, which cost it the least they can.
    """
    buf = np.zeros(2 * chunk.size, chunk.dtype)
    buf[:chunk.size] = chunk.reshape(-1)
    return buf[:chunk.size].reshape(chunk.shape)


@contextlib.contextmanager
def quiet_c_stdout():
    """Send file descriptor 1 to /dev/null: the original prints "Using AVX optimsed code" at every encode."""
    import ctypes

    try:
        libc = ctypes.CDLL(None)
    except OSError:  # no C library handle (Windows): leave the output alone
        yield
        return
    sys.stdout.flush()
    libc.fflush(None)
    saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        libc.fflush(None)
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _original_version(pkg: Path) -> str:
    if not pkg.is_dir():
        raise ImportError(f"no directory {pkg}")
    text = (pkg / "version.py").read_text() if (pkg / "version.py").exists() else ""
    found = re.search(r"version\s*=\s*['\"]([^'\"]+)['\"]", text)
    if not found:
        raise ImportError(f"{pkg} is not the original pymecompress (no version.py)")
    return found.group(1)


def _load_module(name: str, path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class OriginalInProcess:
    """The original's compiled module and numcodecs codecs, loaded from its package directory in this process as
    ``pymecompress_original`` (ours keeps the name ``pymecompress``)."""

    NAME = "pymecompress_original"

    def __init__(self, pkg: Path):
        self.version = _original_version(pkg)
        found = [pkg / f"bcl{suffix}" for suffix in importlib.machinery.EXTENSION_SUFFIXES
                 if (pkg / f"bcl{suffix}").exists()]
        if not found:
            raise ImportError(f"no compiled module bcl for this Python in {pkg}")
        self.where = found[0]
        parent = types.ModuleType(self.NAME)
        parent.__path__ = []  # nothing else gets imported from there
        sys.modules[self.NAME] = parent
        saved = dict(numcodecs.registry.codec_registry)
        try:
            # Cython names a module's init function after the last part of its name (PyInit_bcl), so the
            # compiled module loads under another package name; codecs.py does "from . import bcl"
            parent.bcl = _load_module(f"{self.NAME}.bcl", self.where)
            parent.codecs = _load_module(f"{self.NAME}.codecs", pkg / "codecs.py")
        except BaseException:
            for name in (f"{self.NAME}.codecs", f"{self.NAME}.bcl", self.NAME):
                sys.modules.pop(name, None)
            raise
        finally:
            # its codecs register the ids of our legacy codecs (pymecompress-huffman, -quant16): keep ours
            numcodecs.registry.codec_registry.clear()
            numcodecs.registry.codec_registry.update(saved)
        if Path(parent.bcl.__file__).resolve() != self.where.resolve():
            raise ImportError(f"{self.NAME}.bcl came from {parent.bcl.__file__}, not {self.where}")
        self.codec = parent.codecs.HuffmanQuant16(**PYME)
        self._check()

    def _check(self) -> None:
        """What it writes is the original's format: our reader of that format decodes it as it does."""
        from pymecompress import LegacyQuant16

        x = padded(np.arange(0, 60000, 7, dtype=np.uint16))
        with quiet_c_stdout():
            encoded = self.codec.encode(x)
            theirs = np.asarray(self.codec.decode(encoded)).reshape(-1)
        if not np.array_equal(theirs, LegacyQuant16(**PYME).decode(encoded)):
            raise ImportError(f"{self.where} does not write the pymecompress-quant16 format")

    def contender(self, name: str, step: float, note: str, chunking: Callable = small_chunks_of) -> Contender:
        return Contender(name, self.codec.encode, self.codec.decode, step,
                         lambda d: [padded(c) for c in chunking(d)], quiet=quiet_c_stdout, note=note, optional=True)


def _original_worker_script() -> str:
    """The original's encode and decode of the chunks in a job directory, timed as here (median of repeats)."""
    return "\n".join([
        "import json, statistics, sys, time",
        "import numpy as np",
        "import pymecompress.codecs as original  # run from /, so not ours",
        inspect.getsource(timed), inspect.getsource(padded),
        "job = sys.argv[1]",
        "with open(job + '/job.json') as f:",
        "    cfg = json.load(f)",
        "codec = original.HuffmanQuant16(**cfg['settings'])",
        "chunks = [padded(np.load(f'{job}/in{i}.npy')) for i in range(cfg['chunks'])]",
        "t_enc, encoded = timed(lambda: [codec.encode(c) for c in chunks], cfg['repeats'])",
        "t_dec, decoded = timed(lambda: [codec.decode(e) for e in encoded], cfg['repeats'])",
        "np.savez(job + '/out.npz', *[np.asarray(d) for d in decoded])",
        "with open(job + '/out.json', 'w') as f:",
        "    json.dump({'encode_s': t_enc, 'decode_s': t_dec, 'bytes': sum(len(e) for e in encoded)}, f)",
    ])


def _ask_python(python: str) -> tuple[Path, str]:
    """Where the original's package is in another Python's environment, and its version."""
    code = ("import os, pymecompress.bcl, pymecompress.version as v\n"
            "print(os.path.dirname(os.path.abspath(pymecompress.bcl.__file__)))\nprint(v.version)")
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, cwd="/", timeout=300)
    if out.returncode:
        last = (out.stderr.strip().splitlines() or ["?"])[-1]
        raise RuntimeError(f"{python} has no original pymecompress ({last})")
    pkg, version = out.stdout.strip().splitlines()[-2:]
    return Path(pkg), version


class OriginalWorker:
    """The original run by another Python (PYMECOMPRESS_LEGACY_PYTHON), given the chunks as .npy files."""

    def __init__(self, python: str, pkg: Path, version: str):
        self.python, self.where, self.version = python, pkg, version

    def run(self, chunks: list[np.ndarray], repeats: int):
        with tempfile.TemporaryDirectory(prefix="pymecompress-original-") as job:
            for i, chunk in enumerate(chunks):
                np.save(f"{job}/in{i}.npy", chunk)
            Path(job, "job.json").write_text(json.dumps({"settings": PYME, "chunks": len(chunks),
                                                         "repeats": repeats}))
            out = subprocess.run([self.python, "-c", _original_worker_script(), job], cwd="/",
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if out.returncode:
                raise RuntimeError(f"the original's worker failed (exit {out.returncode}): {out.stderr[-1000:]}")
            res = json.loads(Path(job, "out.json").read_text())
            with np.load(f"{job}/out.npz") as npz:
                decoded = [npz[f"arr_{i}"] for i in range(len(chunks))]
        return res["encode_s"], res["decode_s"], res["bytes"], decoded

    def contender(self, name: str, step: float, note: str, chunking: Callable = small_chunks_of) -> Contender:
        return Contender(name, None, None, step, chunking, run=self.run, note=note, optional=True)


def find_original(in_subprocess: bool = False):
    """``(original, why)``: the original to compare with (None if there is none) and a note on how it runs."""
    site = os.environ.get("PYMECOMPRESS_ORIGINAL_SITE")
    python = os.environ.get("PYMECOMPRESS_LEGACY_PYTHON")
    if not (site or python):
        return None, f"the original pymecompress is not in this run: {ENABLE_ORIGINAL}"
    problems, pkg, version = [], Path(site) / "pymecompress" if site else None, None
    if python:
        try:
            where, version = _ask_python(python)
        except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
            problems.append(str(e))
            python = None
        else:
            pkg = pkg or where
    if pkg is not None and not in_subprocess:
        try:
            original = OriginalInProcess(pkg)
            return original, f"the original pymecompress {original.version}: {original.where}, in this process"
        except Exception as e:  # ImportError, or what a module built for another numpy raises
            problems.append(f"cannot load it in this process: {e}")
    if python:
        return OriginalWorker(python, where, version), (f"the original pymecompress {version}: {where}, "
                                                        f"run by {python}")
    if in_subprocess and not problems:
        problems.append("--original-in-subprocess needs PYMECOMPRESS_LEGACY_PYTHON")
    return None, f"the original pymecompress is not in this run: {'; '.join(problems)} ({ENABLE_ORIGINAL})"


WHOLE = ", whole frames"  # name suffix of the rows that code whole frames


def pyme_settings(cam, original, frames: bool = False) -> list[Contender]:
    """huffquant16 and the original's quant16 codec at the original's settings, in chunks it survives, and with
    ``frames`` also on whole frames."""
    step = CameraModel.from_scale(PYME["offset"], PYME["scale"], gain=cam[1]).step  # in this camera's sigmas
    note = (f"at the original's settings offset={PYME['offset']} scale={PYME['scale']} (whatever the camera), both "
            f"in chunks of at most {SMALL_CHUNK:,} values or, in the rows marked \"{WHOLE[2:]}\", each frame one "
            "chunk. The original's quant16 encoder reads and codes twice the values a chunk holds (it crashed here on "
            "a chunk of 200,000 values); it gets each chunk at the start of a zeroed buffer twice as long, its "
            "cheapest case.")
    if original is None:
        note += f" The original is not in this run: {ENABLE_ORIGINAL}."
    ours = numcodecs.get_codec({"id": "huffquant16", **PYME, "dither": True})
    settings = f"offset={PYME['offset']} scale={PYME['scale']}"
    out = []
    for chunking, suffix in [(small_chunks_of, "")] + ([(whole_frames, WHOLE)] if frames else []):
        out.append(Contender(f"huffquant16 at {settings}{suffix}", ours.encode, ours.decode, step, chunking,
                             note=note))
        if original is not None:
            out.append(original.contender(f"pymecompress {original.version} (original) quant {settings}{suffix}",
                                          step, note, chunking))
    return out


# ------------------------------------------------------------------------------------------- measure

def timed(fn, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def _as_uint16(decoded) -> np.ndarray:
    """Flat uint16 view of what a codec's decode returned (an array, or raw bytes)."""
    if isinstance(decoded, (bytes, bytearray, memoryview)):
        return np.frombuffer(decoded, dtype=np.uint16)
    return np.asarray(decoded).reshape(-1).view(np.uint16)


def _size(encoded) -> int:
    if isinstance(encoded, list):
        return sum(len(e) for e in encoded)
    return len(encoded)


def measure(c: Contender, data: np.ndarray, cam, repeats: int, period: int | None = None) -> dict:
    """Ratio, speeds and errors of one contender; chunks are cut within each copy of ``period`` planes."""
    parts = [data] if period is None else [data[i:i + period] for i in range(0, data.shape[0], period)]
    chunks = [ch for part in parts for ch in c.chunking(part)]
    mb = data.nbytes / 1e6
    if c.entropy_only is not None:
        t_enc, t_dec, t_into, nbytes, bits = c.entropy_only(chunks, repeats)
        return {"codec": c.name, "ratio": data.nbytes / nbytes, "encode_mbps": mb / t_enc, "decode_mbps": mb / t_dec,
                "decode_into_mbps": mb / t_into, "chunk_values": max(ch.size for ch in chunks), "note": c.note,
                "entropy_only": True, "entropy_efficiency": bits / 8 / nbytes}
    with c.quiet():
        if c.run is None:
            t_enc, encoded = timed(lambda: [c.encode(ch) for ch in chunks], repeats)
            t_dec, decoded = timed(lambda: [c.decode(e) for e in encoded], repeats)
            nbytes = sum(_size(e) for e in encoded)
            if c.decode_into is not None:
                outs = [np.empty_like(ch) for ch in chunks]
                t_into, _ = timed(lambda: [c.decode_into(e, o) for e, o in zip(encoded, outs, strict=True)], repeats)
        else:
            t_enc, t_dec, nbytes, decoded = c.run(chunks, repeats)
    row = {"codec": c.name, "ratio": data.nbytes / nbytes, "encode_mbps": mb / t_enc, "decode_mbps": mb / t_dec,
           "chunk_values": max(ch.size for ch in chunks), "note": c.note}
    if c.run is None and c.decode_into is not None:
        row["decode_into_mbps"] = mb / t_into
    if c.run is None and all(isinstance(e, bytes) and e[:4] == b"PMCS" for e in encoded):
        parts = [residual_entropy(e) for e in encoded]
        row["entropy_efficiency"] = sum(p.entropy_bits for p in parts) / 8 / nbytes
    back = np.concatenate([_as_uint16(d) for d in decoded])
    orig = np.concatenate([ch.reshape(-1) for ch in chunks])
    model = CameraModel(*cam)
    if c.lossy_step is None:
        row.update(max_error_sigma=0.0 if np.array_equal(back, orig) else float("nan"), noise_inflation=0.0,
                   bias_photons=0.0)
        assert np.array_equal(back, orig), f"{c.name} is not lossless"
    else:
        err = model.vst(back) - model.vst(orig)
        row.update(max_error_sigma=float(np.abs(err).max()),
                   noise_inflation=math.sqrt(1 + float(np.var(err))) - 1,
                   bias_photons=float(np.mean(back.astype(np.float64) - orig)) / cam[1])
    return row


def markdown(label: str, data: np.ndarray, cam, rows: list[dict]) -> str:
    lines = [f"\n### {label}: {data.shape} uint16, {data.nbytes / 1e6:.1f} MB "
             f"(offset {cam[0]:g}, gain {cam[1]:g}, read noise {cam[2]:g})\n",
             "| codec | ratio | encode MB/s | decode MB/s | decode into reused out, MB/s | max error (sigma) | "
             "noise inflation | bias (photons) | order-0 efficiency |",
             "|---|---|---|---|---|---|---|---|---|"]
    notes: list[str] = []
    for r in rows:
        lossy = r.get("noise_inflation", 0) > 0
        name = r["codec"]
        if r.get("note"):
            if r["note"] not in notes:
                notes.append(r["note"])
            name += " " + "*" * (notes.index(r["note"]) + 1)
        into = f"{r['decode_into_mbps']:.0f}" if "decode_into_mbps" in r else ""
        eff = f"{100 * r['entropy_efficiency']:.1f} %" if "entropy_efficiency" in r else ""
        speeds = f"| {name} | {r['ratio']:.2f} | {r['encode_mbps']:.0f} | {r['decode_mbps']:.0f} | {into} | "
        if r.get("entropy_only"):
            lines.append(speeds + f"(entropy stage only) | | | {eff} |")
            continue
        lines.append(speeds + (f"{r['max_error_sigma']:.2f} | {100 * r['noise_inflation']:.1f} % | "
                               f"{r['bias_photons']:+.3f} | {eff} |" if lossy else f"0 (lossless) | 0 | 0 | {eff} |"))
    if notes:
        lines.append("")
        lines.extend(f"{'*' * (i + 1)} {note}" for i, note in enumerate(notes))
    return ("\n".join(lines) + new_against_reused(rows) + against_huff0(rows) + against_original(rows)
            + dithering_cost(rows))


def plot(results: dict, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no plot)", file=sys.stderr)
        return
    # medians over every data set: not the entropy-stage reference, nor the whole-frame rows (two data sets only)
    names = sorted({r["codec"] for rows in results.values() for r in rows
                    if not r.get("entropy_only") and not r["codec"].endswith(WHOLE)})
    fig, ax = plt.subplots(figsize=(9, 6))
    for i, name in enumerate(names):
        pts = [(r["decode_mbps"], r["ratio"]) for rows in results.values() for r in rows if r["codec"] == name]
        ratio = statistics.median(p[1] for p in pts)
        speed = statistics.median(p[0] for p in pts)
        ax.scatter(speed, ratio, s=60, marker="o" if name.startswith("huff") else "s", color=plt.cm.tab20(i % 20))
        ax.annotate(name, (speed, ratio), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("decode speed, MB/s of uint16 (median over data sets, single thread)")
    ax.set_ylabel("compression ratio (median over data sets)")
    ax.set_title("pymecompress vs other codecs")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"\nplot written to {path}")


def thread_scaling(repeats: int, size: int = 2048) -> None:
    """Encode and decode a multi-chunk array with 1 and with 2 threads (the C core releases the GIL): the bright
    simulated ``size`` x ``size`` frame, tiled 2 x 2, in chunks of 512 x 512."""
    from concurrent.futures import ThreadPoolExecutor

    frame, cam = next(simulated_scenes(size, 1))[1:]
    frame = np.tile(frame, (2, 2))
    chunks = [np.ascontiguousarray(frame[i:i + 512, j:j + 512]) for i in range(0, frame.shape[0], 512)
              for j in range(0, frame.shape[1], 512)]
    codec = numcodecs.get_codec({"id": "huffquant16", "offset": cam[0], "gain": cam[1], "read_noise": cam[2],
                                 "dither": True})
    encoded = [codec.encode(c) for c in chunks]
    print(f"\n### Threads: {len(chunks)} chunks of 512x512 uint16 ({frame.nbytes / 1e6:.0f} MB), huffquant16\n")
    print("| threads | encode MB/s | decode MB/s |")
    print("|---|---|---|")
    speeds = {}
    for threads in (1, 2):
        with ThreadPoolExecutor(threads) as pool:
            t_enc, _ = timed(lambda pool=pool: list(pool.map(codec.encode, chunks)), repeats)
            t_dec, _ = timed(lambda pool=pool: list(pool.map(codec.decode, encoded)), repeats)
        speeds[threads] = (frame.nbytes / 1e6 / t_enc, frame.nbytes / 1e6 / t_dec)
        print(f"| {threads} | {speeds[threads][0]:.0f} | {speeds[threads][1]:.0f} |")
    print(f"\nspeed-up with 2 threads: encode {speeds[2][0] / speeds[1][0]:.2f}x, "
          f"decode {speeds[2][1] / speeds[1][1]:.2f}x")


DEFAULT_OUT = Path("bench-results")  # in the current directory; ignored by git (.gitignore)
PUBLISHED = ("results.json", "results.png")  # committed in bench/, shown by README.md


def _same_path(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Nothing under version control changes without --publish.")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 repeats, 4 MB minimum per data set")
    parser.add_argument("--smoke", action="store_true",
                        help="the smallest configuration, in seconds: 1 repeat, 512 x 512 simulated frames, a "
                             "4-plane simulated movie, real files not repeated, 4 chunks in the thread test; checks "
                             "that the benchmark runs, its figures mean little")
    parser.add_argument("--min-mb", type=float, default=8.0, help="tile small real files to at least this")
    parser.add_argument("--threads-only", action="store_true", help="only the 1- vs 2-thread measurement")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder for results.json and results.png (default: ./{DEFAULT_OUT}, created)")
    parser.add_argument("--publish", action="store_true",
                        help="also refresh the committed bench/results.json and bench/results.png that README.md "
                             "shows (a full run: not with --quick, --smoke or --threads-only; needs matplotlib)")
    parser.add_argument("--original-in-subprocess", action="store_true",
                        help="run the original pymecompress by PYMECOMPRESS_LEGACY_PYTHON even if it loads here")
    args = parser.parse_args(argv)
    if args.quick and args.smoke:
        parser.error("--quick and --smoke: choose one")
    if args.publish:
        rejected = [flag for flag in ("quick", "smoke", "threads_only") if getattr(args, flag)]
        if rejected:
            parser.error(f"--publish refreshes the committed figures from a full run: not with --"
                         f"{rejected[0].replace('_', '-')}")
        if importlib.util.find_spec("matplotlib") is None:
            parser.error("--publish needs matplotlib for bench/results.png: pip install '.[bench]'")
    elif _same_path(args.out, HERE) and not args.threads_only:
        parser.error(f"--out {args.out} is where the committed results are: refresh them with --publish, "
                     "or pick another folder")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.smoke:
        repeats, min_mb, size = 1, 0.0, 512
    elif args.quick:
        repeats, min_mb, size = 3, 4.0, 2048
    else:
        repeats, min_mb, size = args.repeats, args.min_mb, 2048
    if args.threads_only:
        thread_scaling(repeats, size)
        return 0
    from machine import describe

    print(f"Machine: {describe()}; numpy {np.__version__}\n")  # ratios between codecs depend on the CPU
    original, why = find_original(args.original_in_subprocess)
    print(f"({why})", file=sys.stderr)
    huff0, why = load_huff0()
    print(f"({why})", file=sys.stderr)
    results = {}
    for label, data, cam, period in datasets(int(min_mb * 1e6), smoke=args.smoke):
        rows = []
        for c in contenders(cam, original, huff0, frames=data.ndim == 2):
            try:
                rows.append(measure(c, data, cam, repeats, period))
            except Exception as e:  # the original may fail; the rest of the run goes on
                if not c.optional:
                    raise
                print(f"({c.name} failed: {e!r})", file=sys.stderr)
        results[label] = rows
        print(markdown(label, data, cam, rows), flush=True)
    thread_scaling(repeats, size)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    plot(results, args.out / "results.png")
    print(f"results written to {args.out}/", file=sys.stderr)
    if args.publish and not _same_path(args.out, HERE):
        for name in PUBLISHED:
            shutil.copyfile(args.out / name, HERE / name)
    if args.publish:
        print(f"published: {', '.join(str(HERE / name) for name in PUBLISHED)} (commit them with README.md's "
              "figures)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
