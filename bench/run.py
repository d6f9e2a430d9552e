"""Side-by-side benchmark of pymecompress against the codecs users would otherwise pick.

Run (after ``pip install ".[bench]"``)::

    python bench/run.py                 # every data set, every contender; markdown table + bench/results.png
    python bench/run.py --quick         # fewer repeats, for a first look
    python bench/run.py --threads-only  # the 1- vs 2-thread speed-up of compressing a multi-chunk array

Every contender runs on the same data in one process, single-threaded, in chunks of about 1 MB (whole
planes of a stack, or 512 x 512 tiles of a large frame); speeds are the median of repeated runs in MB/s of
uint16 input. This is not a test: it asserts nothing. The machine it runs on is noisy; compare figures from
one run only.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numcodecs
import numpy as np

from pymecompress import CameraModel

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"

# camera parameters of the real files (../shared/data/README.md)
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


def simulated_scenes():
    """(label, stack, camera) of three simulated sCMOS scenes, fixed seeds."""
    cam = (100.0, 2.2, 1.5)
    yy, xx = np.indices((2048, 2048), dtype=np.float64)
    bright = 20 + 400 * (np.sin(xx / 37.0) * np.cos(yy / 53.0)) ** 2
    yield "sim bright structured", _simulate(bright[None], 1)[0], cam
    dim = 2 + 8 * (np.sin(xx / 91.0) * np.cos(yy / 67.0)) ** 2
    yield "sim dim", _simulate(dim[None], 2)[0], cam
    rng = np.random.default_rng(3)
    frames = np.full((32, 256, 256), 1.0)
    yy, xx = np.indices((256, 256), dtype=np.float64)
    for t in range(frames.shape[0]):
        for y0, x0 in rng.uniform(10, 246, (12, 2)):
            frames[t] += 300 * np.exp(-((yy - y0) ** 2 + (xx - x0) ** 2) / (2 * 1.3**2))
    yield "sim sparse single molecules", _simulate(frames, 4), cam


def datasets(min_bytes: int):
    import tifffile

    yield from simulated_scenes()
    for name, (label, cam) in REAL.items():
        path = SHARED / name
        if not path.exists():
            print(f"(skipping {name}: {path} not found)", file=sys.stderr)
            continue
        data = tifffile.imread(path)
        if data.ndim == 2:
            data = data[None]
        reps = max(1, -(-min_bytes // data.nbytes))
        yield f"{label} (x{reps})", np.concatenate([data] * reps), cam


def chunks_of(data: np.ndarray) -> list[np.ndarray]:
    """About 1 MB chunks: groups of whole planes, or 512 x 512 tiles of large frames."""
    if data.ndim == 2:
        if data.size * 2 <= 2**20:
            return [data]
        return [np.ascontiguousarray(data[i:i + 512, j:j + 512]) for i in range(0, data.shape[0], 512)
                for j in range(0, data.shape[1], 512)]
    per = max(1, 2**19 // (data.shape[1] * data.shape[2]))
    return [np.ascontiguousarray(data[i:i + per]) for i in range(0, data.shape[0], per)]


# ---------------------------------------------------------------------------------------- contenders

@dataclass
class Contender:
    name: str
    encode: object
    decode: object
    lossy_step: float | None = None  # quantization step in noise sigmas, None for lossless


def _planes(fn):
    """Apply a 2-D-only codec plane by plane (JPEG-LS)."""
    def enc(chunk):
        return [fn[0](p) for p in chunk.reshape(-1, *chunk.shape[-2:])]

    def dec(parts):
        return np.stack([fn[1](p) for p in parts])
    return enc, dec


def contenders(cam) -> list[Contender]:
    offset, gain, rn = cam
    out = []
    for step in (1.0, 2.0):
        c = numcodecs.get_codec({"id": "huffquant16", "offset": offset, "gain": gain, "read_noise": rn,
                                 "step": step})
        out.append(Contender(f"huffquant16 step {step:g}", c.encode, c.decode, step))
    lossless = numcodecs.get_codec({"id": "hufflossless"})
    out.append(Contender("hufflossless", lossless.encode, lossless.decode))
    vq = numcodecs.get_codec({"id": "vstquant16", "offset": offset, "gain": gain, "read_noise": rn})
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


def measure(c: Contender, data: np.ndarray, cam, repeats: int) -> dict:
    chunks = chunks_of(data)
    t_enc, encoded = timed(lambda: [c.encode(ch) for ch in chunks], repeats)
    t_dec, decoded = timed(lambda: [c.decode(e) for e in encoded], repeats)
    mb = data.nbytes / 1e6
    row = {"codec": c.name, "ratio": data.nbytes / sum(_size(e) for e in encoded),
           "encode_mbps": mb / t_enc, "decode_mbps": mb / t_dec}
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
             "| codec | ratio | encode MB/s | decode MB/s | max error (sigma) | noise inflation | bias (photons) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lossy = r["noise_inflation"] > 0
        lines.append(f"| {r['codec']} | {r['ratio']:.2f} | {r['encode_mbps']:.0f} | {r['decode_mbps']:.0f} | "
                     f"{r['max_error_sigma']:.2f} | {100 * r['noise_inflation']:.1f} % | "
                     f"{r['bias_photons']:+.3f} |" if lossy else
                     f"| {r['codec']} | {r['ratio']:.2f} | {r['encode_mbps']:.0f} | {r['decode_mbps']:.0f} | "
                     "0 (lossless) | 0 | 0 |")
    return "\n".join(lines)


def plot(results: dict, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no plot)", file=sys.stderr)
        return
    names = sorted({r["codec"] for rows in results.values() for r in rows})
    fig, ax = plt.subplots(figsize=(9, 6))
    for i, name in enumerate(names):
        pts = [(r["decode_mbps"], r["ratio"]) for rows in results.values() for r in rows if r["codec"] == name]
        ratio = statistics.median(p[1] for p in pts)
        speed = statistics.median(p[0] for p in pts)
        ax.scatter(speed, ratio, s=60, marker="o" if "huff" in name else "s", color=plt.cm.tab20(i % 20))
        ax.annotate(name, (speed, ratio), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("decode speed, MB/s of uint16 (median over data sets, single thread)")
    ax.set_ylabel("compression ratio (median over data sets)")
    ax.set_title("pymecompress vs other codecs")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"\nplot written to {path}")


def thread_scaling(repeats: int) -> None:
    """Encode and decode a multi-chunk array with 1 and with 2 threads (the C core releases the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    frame, cam = next(simulated_scenes())[1:]
    frame = np.tile(frame, (2, 2))
    chunks = [np.ascontiguousarray(frame[i:i + 512, j:j + 512]) for i in range(0, frame.shape[0], 512)
              for j in range(0, frame.shape[1], 512)]
    codec = numcodecs.get_codec({"id": "huffquant16", "offset": cam[0], "gain": cam[1], "read_noise": cam[2]})
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 repeats, 4 MB minimum per data set")
    parser.add_argument("--min-mb", type=float, default=8.0, help="tile small real files to at least this")
    parser.add_argument("--threads-only", action="store_true", help="only the 1- vs 2-thread measurement")
    parser.add_argument("--out", type=Path, default=HERE, help="where results.png and results.json go")
    args = parser.parse_args(argv)
    repeats, min_mb = (3, 4.0) if args.quick else (args.repeats, args.min_mb)
    if args.threads_only:
        thread_scaling(repeats)
        return 0
    results = {}
    for label, data, cam in datasets(int(min_mb * 1e6)):
        rows = [measure(c, data, cam, repeats) for c in contenders(cam)]
        results[label] = rows
        print(markdown(label, data, cam, rows), flush=True)
    thread_scaling(repeats)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    plot(results, args.out / "results.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
