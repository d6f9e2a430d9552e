"""A/B speed of two or more checkouts of pymecompress on a shared, noisy machine: their builds run in turn,
one process each per round, so that a neighbour's load falls on all of them alike.

    python bench/ab.py /path/to/main /path/to/branch --scene bright --rounds 9

Each checkout must be built in place (``python setup.py build_ext --inplace``); it is imported through
``PYTHONPATH``. Per process: the median of 7 encodes and of 7 decodes into reused ``out`` arrays of all the
scene's chunks (bench/profile_loop.py's scenes). Printed: the median over the rounds, the range, and the
encoded size (equal sizes: the same bytes are likely; the tests check them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

ONE = """
import statistics, sys, time
import numpy as np
sys.path.insert(0, {here!r})
from profile_loop import scene
from pymecompress.codecs.huffquant16 import HuffmanQuant16
chunks, (offset, gain, read_noise) = scene({scene!r})
codec = HuffmanQuant16(offset=offset, gain=gain, read_noise=read_noise)
encoded = [codec.encode(c) for c in chunks]
outs = [np.empty(c.size, np.uint16) for c in chunks]
enc, dec = [], []
for _ in range(7):
    t = time.perf_counter(); [codec.encode(c) for c in chunks]; enc.append(time.perf_counter() - t)
    t = time.perf_counter(); [codec.decode(e, out=o) for e, o in zip(encoded, outs)]
    dec.append(time.perf_counter() - t)
mb = sum(c.nbytes for c in chunks) / 1e6
print(mb / statistics.median(enc), mb / statistics.median(dec), sum(len(e) for e in encoded))
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkouts", nargs="+", type=Path)
    parser.add_argument("--scene", choices=["bright", "wide"], default="bright")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args(argv)
    code = ONE.format(here=str(HERE), scene=args.scene)
    found: dict[Path, tuple[list[float], list[float], set[str]]] = {c: ([], [], set()) for c in args.checkouts}
    for _ in range(args.rounds):
        for checkout, (enc, dec, sizes) in found.items():
            out = subprocess.run([sys.executable, "-c", code], cwd="/", capture_output=True, text=True, check=True,
                                 env={**os.environ, "PYTHONPATH": str(checkout.resolve())})
            e, d, size = out.stdout.split()
            enc.append(float(e))
            dec.append(float(d))
            sizes.add(size)
    for checkout, (enc, dec, sizes) in found.items():
        print(f"{checkout}: encode {statistics.median(enc):.0f} MB/s ({min(enc):.0f}-{max(enc):.0f}), decode into "
              f"reused out {statistics.median(dec):.0f} ({min(dec):.0f}-{max(dec):.0f}), {' / '.join(sizes)} bytes")


if __name__ == "__main__":
    main()
