"""Write the seed corpora of the fuzz targets: valid streams made by the installed package's encoders.

Usage: ``python fuzz/make_corpus.py [OUTDIR]`` (default ``fuzz/corpus``) writes ``OUTDIR/pmcs``,
``OUTDIR/segment``, ``OUTDIR/nbit`` and ``OUTDIR/legacy``, one file per seed, in the input formats the targets
document (``fuzz/fuzz_*.c``).  Seeds are kept small (a few KiB) so that libFuzzer mutates them quickly.
"""

from __future__ import annotations

import hashlib
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from pymecompress import HuffmanLossless, HuffmanQuant8, HuffmanQuant16, NBitPack, _binding

_NBIT_HEADER = struct.Struct("<4sBBBBQ")


def _images(rng: np.random.Generator) -> Iterator[np.ndarray]:
    """uint16 test images of assorted shapes and statistics (camera-like, flat, edges, noise)."""
    yield np.zeros(0, np.uint16)
    yield np.full(1, 7, np.uint16)
    yield np.full((8, 8), 300, np.uint16)
    yield (rng.poisson(40, (24, 40)) * 2 + 100).astype(np.uint16)
    yield (rng.poisson(5, 700) + 100).astype(np.uint16)
    yield (rng.poisson(200, (3, 9, 13)) + 100).astype(np.uint16)
    yield (rng.poisson(30, (40, 70)) + 100).astype(np.uint16)
    yield np.tile(np.arange(33, dtype=np.uint16) * 1000, (5, 1))
    yield rng.integers(0, 65536, (6, 11), dtype=np.uint16)
    yield (np.add.outer(np.arange(20), np.arange(36)) * 50 + 100).astype(np.uint16)


def pmcs_seeds(rng: np.random.Generator) -> Iterator[bytes]:
    """PMCS chunks of both modes and both item sizes, with and without the CRC-32C trailer."""
    quant = [HuffmanQuant16(offset=100, gain=2.0, checksum=c) for c in (True, False)]
    quant.append(HuffmanQuant16(offset=100, gain=0.5, read_noise=1.5, step=0.4, checksum=False))
    lossless = [HuffmanLossless(checksum=c) for c in (True, False)]
    for image in _images(rng):
        for codec in quant + lossless:
            yield codec.encode(image)
        small = (image & 255).astype(np.uint8)
        yield lossless[1].encode(small)
        yield lossless[0].encode(small.T)
        yield HuffmanQuant8(offset=10, gain=1.0, checksum=False).encode(small)
        yield HuffmanQuant8(offset=16, gain=0.5, step=2.0).encode(small)


def segment_seeds(rng: np.random.Generator) -> Iterator[bytes]:
    """Entropy-coded segments (Huffman with several k, escapes, raw, constant), each after its u16 count."""
    arrays = [
        np.zeros(0, np.uint16),
        np.full(5, 9, np.uint16),
        np.array([0, 1, 0, 1, 1], np.uint16),
        rng.geometric(0.3, 1000).astype(np.uint16),
        rng.geometric(0.01, 800).astype(np.uint16),
        (rng.geometric(0.2, 600) << 6).astype(np.uint16),
        np.where(rng.random(900) < 0.05, rng.integers(0, 65536, 900), rng.integers(0, 8, 900)).astype(np.uint16),
        rng.integers(0, 65536, 40, dtype=np.uint16),
        np.arange(3, dtype=np.uint16),
        rng.integers(0, 3, 4000).astype(np.uint16),
        # 8192 values and more take the decoder's multi-value table (a few KiB: mostly 1-3 bit codes)
        rng.geometric(0.7, 9000).astype(np.uint16) - 1,
        np.where(rng.random(12000) < 0.01, rng.integers(0, 65536, 12000), rng.integers(0, 2, 12000)).astype(np.uint16),
    ]
    for z in arrays:
        yield struct.pack("<H", z.size) + _binding.huffman_segment_encode(z)


def nbit_seeds(rng: np.random.Generator) -> Iterator[bytes]:
    """n-bit payloads of every width, each after the two bytes that select nbits, itemsize and n."""
    for nbits in range(1, 17):
        for itemsize in (1, 2) if nbits <= 8 else (2,):
            for n in (0, 1, 7, 100):
                values = rng.integers(0, 1 << nbits, n).astype(np.uint8 if itemsize == 1 else np.uint16)
                stream = NBitPack(nbits).encode(values)
                _, _, _, _, _, count = _NBIT_HEADER.unpack(stream[: _NBIT_HEADER.size])
                payload = stream[_NBIT_HEADER.size:]
                back = 8 * len(payload) // nbits - count
                assert 0 <= back <= 7
                yield bytes([(nbits - 1) | ((itemsize - 1) << 4), back]) + payload


def legacy_seeds(rng: np.random.Generator) -> Iterator[bytes]:
    """Legacy (BCL) Huffman streams, each after its u16 symbol count; none when the package has no legacy coder."""
    encode = getattr(_binding, "legacy_huffman_encode", None)
    if encode is None:
        return
    fib = [1, 1]
    while len(fib) < 26:
        fib.append(fib[-1] + fib[-2])
    deep = np.repeat(np.arange(26, dtype=np.uint8), fib)[:20000]  # Fibonacci counts: the deepest trees
    arrays = [
        np.full(9, 200, np.uint8),
        np.array([1, 2], np.uint8),
        rng.geometric(0.2, 3000).astype(np.uint8),
        rng.integers(0, 256, 2000, dtype=np.uint8),
        np.arange(256, dtype=np.uint8),
        rng.permutation(deep)[:6000],
    ]
    for symbols in arrays:
        yield struct.pack("<H", symbols.size) + encode(symbols)


def write(outdir: Path) -> dict[str, int]:
    """Write every target's seeds under ``outdir``; returns the number of seeds per target."""
    counts = {}
    targets = (("pmcs", pmcs_seeds), ("segment", segment_seeds), ("nbit", nbit_seeds), ("legacy", legacy_seeds))
    for target, seeds in targets:
        folder = outdir / target
        folder.mkdir(parents=True, exist_ok=True)
        names = set()
        for seed in seeds(np.random.default_rng(7)):
            name = "seed-" + hashlib.sha1(seed).hexdigest()[:16]
            (folder / name).write_bytes(seed)
            names.add(name)
        counts[target] = len(names)
    return counts


def main(argv: list[str]) -> int:
    """Entry point: write the corpora and print how many seeds each target got."""
    outdir = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent / "corpus"
    for target, count in write(outdir).items():
        print(f"{target}: {count} seeds in {outdir / target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
