"""The loop that bench/PROFILE.md's profiles sample: huffquant16 step 1 on one scene, encoding or decoding
into reused ``out`` arrays over and over for a given time, then its speed.

    perf record -D 2500 -F 4999 -o enc.data python bench/profile_loop.py enc 6
    perf report -i enc.data --no-children --sort sym --stdio

Scenes: ``bright`` (bench/run.py's "sim bright structured", 2048 x 2048 in 16 chunks of 512 x 512) and
``wide`` (the real sCMOS widefield file, 53 planes of 64 x 64, one chunk per copy, 37 copies).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402  (bench/run.py, beside this file)

from pymecompress.codecs.huffquant16 import HuffmanQuant16  # noqa: E402


def scene(name: str) -> tuple[list[np.ndarray], tuple[float, float, float]]:
    """The chunks of a scene and its camera (offset, gain, read noise)."""
    if name == "wide":
        import tifffile

        frames = tifffile.imread(run.REAL_DATA / "widefield_timelapse_ecoli_gfp_53x64x64.tif")
        return [frames] * 37, (400.0, 4.2, 0.0)
    _, data, cam = next(run.simulated_scenes(2048, 4))
    return run.chunks_of(data), cam


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["enc", "dec"])
    parser.add_argument("seconds", type=float)
    parser.add_argument("--scene", choices=["bright", "wide"], default="bright")
    args = parser.parse_args(argv)
    chunks, (offset, gain, read_noise) = scene(args.scene)
    codec = HuffmanQuant16(offset=offset, gain=gain, read_noise=read_noise)
    encoded = [codec.encode(c) for c in chunks]
    outs = [np.empty(c.size, np.uint16) for c in chunks]
    nbytes = sum(c.nbytes for c in chunks)
    rounds, start = 0, time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        if args.what == "enc":
            for c in chunks:
                codec.encode(c)
        else:
            for e, o in zip(encoded, outs, strict=True):
                codec.decode(e, out=o)
        rounds += 1
    print(f"{args.what} {args.scene}: {rounds * nbytes / 1e6 / (time.perf_counter() - start):.0f} MB/s")


if __name__ == "__main__":
    main()
