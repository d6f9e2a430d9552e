"""Encode real camera data into chunk files and time the native (numcodecs) decoder on them.

Used by ``node bench/decode.mjs``, which times the WebAssembly decoder on the same files.
``python bench/native.py OUT`` writes ``OUT/<codec>/*.bin`` and ``OUT/native.json``.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import numcodecs
import numpy as np
import tifffile

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "camera"
CODECS = {
    "huffquant16": {"id": "huffquant16", "offset": 95.0, "gain": 1.9, "read_noise": 1.0, "step": 1.0},
    "hufflossless": {"id": "hufflossless"},
    "nbitpack": {"id": "nbitpack", "nbits": 0},
}


def chunks() -> list[np.ndarray]:
    """Chunks of real camera data: 4-plane blocks of a light-sheet stack and a whole bright-field image."""
    stack = tifffile.imread(DATA / "lightsheet_bead_psf_61x128x128.tif").astype(np.uint16)
    blocks = [stack[i:i + 4] for i in range(0, 60, 4)]
    return blocks + [tifffile.imread(DATA / "brightfield_worms_ccd_520x696.tif").astype(np.uint16)]


def main(out: Path, runs: int = 9) -> None:
    result = {}
    data = chunks()
    for name, config in CODECS.items():
        codec = numcodecs.get_codec(dict(config))
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        encoded = [codec.encode(c) for c in data]
        for i, e in enumerate(encoded):
            (folder / f"{i:03d}.bin").write_bytes(e)
        outs = [np.empty(c.size, np.uint16) for c in data]
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            for e, o in zip(encoded, outs, strict=True):
                codec.decode(e, out=o)
            times.append(time.perf_counter() - t0)
        raw = sum(c.nbytes for c in data)
        result[name] = {"raw_bytes": raw, "encoded_bytes": sum(map(len, encoded)), "chunks": len(data),
                        "native_seconds": statistics.median(times), "native_mbps": raw / statistics.median(times) / 1e6}
    (out / "native.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
