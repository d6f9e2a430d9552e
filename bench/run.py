"""Benchmark: ratio and single-thread encode/decode speed of every codec on real and simulated frames.

Run ``python bench/run.py`` (after ``pip install .``); ``--threads-only`` measures only the 1- vs 2-thread
speed-up of compressing a multi-chunk array. Not a test: it prints a markdown table and asserts
nothing. Speeds are medians of repeated runs in MB/s of uint16 input; this machine is noisy, so compare
figures from one run only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numcodecs
import numpy as np

from pymecompress import CameraModel

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
if not SHARED.exists():
    SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def simulated_scene(shape=(2048, 2048), seed=0, offset=100.0, gain=2.2, read_noise=1.5):
    """Bright structured sCMOS scene: smooth cells + background, Poisson + read noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.indices(shape, dtype=np.float64)
    photons = 20 + 400 * (np.sin(xx / 37.0) * np.cos(yy / 53.0)) ** 2
    e = rng.poisson(photons) + rng.normal(0, read_noise, shape)
    return np.clip(np.round(e * gain + offset), 0, 65535).astype(np.uint16), (offset, gain, read_noise)


def datasets(min_bytes: int):
    import tifffile

    frame, cam = simulated_scene()
    yield "simulated sCMOS 2048x2048", frame, cam
    real = {
        "lightsheet_bead_psf_61x128x128.tif": (93.0, 1.8, 0.0),
        "smlm_sdt_pMHC_AF647_10x128x128.tif": (205.0, 17.0, 0.0),
    }
    for name, cam in real.items():
        path = SHARED / name
        if path.exists():
            data = tifffile.imread(path)
            reps = max(1, -(-min_bytes // data.nbytes))
            yield f"real {name.split('_')[0]} (x{reps})", np.concatenate([data] * reps), cam


def timed(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def chunks_of(data: np.ndarray):
    return [data] if data.ndim == 2 else list(data)


def numcodecs_pipeline(filt, compressor):
    """(encode, decode) of a filter followed by a compressor."""
    return (lambda f: compressor.encode(filt.encode(f))), (lambda e: filt.decode(compressor.decode(e)))


def measure(label, encode, decode, data, repeats, bound=None):
    frames = chunks_of(data)
    t_enc, encoded = timed(lambda: [encode(f) for f in frames], repeats)
    t_dec, decoded = timed(lambda: [decode(e) for e in encoded], repeats)
    size = sum(len(e) for e in encoded)
    mb = data.nbytes / 1e6
    err = ""
    if bound is not None:
        out = np.stack([np.asarray(d).reshape(f.shape) for d, f in zip(decoded, frames, strict=True)])
        err = f"{bound.error_sigmas(data.reshape(out.shape), out).max():.3f}"
    return f"| {label} | {data.nbytes / size:.2f} | {mb / t_enc:.0f} | {mb / t_dec:.0f} | {err} |"


def thread_scaling(repeats: int) -> None:
    """Encode and decode a multi-chunk array with 1 and with 2 threads (the C core releases the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    frame, (offset, gain, rn) = simulated_scene((4096, 4096), seed=1)
    chunks = [np.ascontiguousarray(frame[i:i + 512, j:j + 512]) for i in range(0, 4096, 512)
              for j in range(0, 4096, 512)]
    codec = numcodecs.get_codec({"id": "huffquant16", "offset": offset, "gain": gain, "read_noise": rn})
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
    parser.add_argument("--min-mb", type=float, default=8.0, help="tile small real files to at least this")
    parser.add_argument("--threads-only", action="store_true", help="only the 1- vs 2-thread measurement")
    args = parser.parse_args(argv)
    if args.threads_only:
        thread_scaling(args.repeats)
        return 0
    for name, data, (offset, gain, rn) in datasets(int(args.min_mb * 1e6)):
        print(f"\n### {name}: {data.shape} uint16, {data.nbytes / 1e6:.1f} MB, "
              f"offset {offset}, gain {gain}, read noise {rn}\n")
        print("| codec | ratio | encode MB/s | decode MB/s | max error (sigma) |")
        print("|---|---|---|---|---|")
        for step in (1.0, 2.0):
            cfg = {"offset": offset, "gain": gain, "read_noise": rn, "step": step}
            hq = numcodecs.get_codec({"id": "huffquant16", **cfg})
            print(measure(f"huffquant16 step {step:g}", hq.encode, hq.decode, data, args.repeats,
                          CameraModel(**cfg)))
        vq = numcodecs.get_codec({"id": "vstquant16", "offset": offset, "gain": gain, "read_noise": rn})
        zstd = numcodecs.Zstd(level=5)
        pipeline = numcodecs_pipeline(vq, zstd)
        print(measure("vstquant16 + zstd 5 (step 1)", pipeline[0], pipeline[1], data, args.repeats,
                      CameraModel(offset, gain, rn, 1.0)))
        hl = numcodecs.get_codec({"id": "hufflossless"})
        print(measure("hufflossless", hl.encode, hl.decode, data, args.repeats))
        for level in (1, 5):
            z = numcodecs.Zstd(level=level)
            print(measure(f"zstd {level} (lossless)", z.encode, z.decode, data, args.repeats))
        nb = numcodecs.get_codec({"id": "nbitpack"})
        print(measure("nbitpack (auto width)", nb.encode, nb.decode, data, args.repeats))
    thread_scaling(args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
