"""The main job against the codec alone: ``convert`` and zarr reads in MB/s next to the codec on the same data.

Run (after ``pip install ".[bench]"``)::

    python bench/pipeline.py                  # a 537 MB stack (512 planes of 512 x 1024), 1 and 2 threads
    python bench/pipeline.py --planes 64      # a smaller stack, for a first look
    python bench/pipeline.py --out DIR        # where the stack, the stores and pipeline.json go (default: a
                                              # temporary folder; the stack is kept there between runs)

On one synthetic photon-limited stack written as a BigTIFF (kept in the page cache), it measures:

- **codec alone**: ``huffquant16`` encoding every chunk of convert's default shape (:data:`CHUNK`, here four whole
  512 x 1024 planes, 4 MB) from memory, and decoding them into a reused array and into a new one (what a read
  returns: its pages are touched for the first time), with N threads (the C core releases the GIL);
- **disk**, the reference for convert: the bytes convert stored, written again by one sequential writer into one
  file (no fsync, as convert does none), in MB/s of input: convert's goal is 0.8x of it, or 0.6x the codec where
  the disk is faster than the codec;
- **convert**: ``pymecompress convert`` of the BigTIFF into a new zarr v3 store with N threads, with the chunk
  writer (our codecs encode in the worker threads and hand encoded chunks to zarr's store) and, for reference, with
  ``arr[sel] = block`` (zarr-python's own codec pipeline), the way convert wrote before; with ``--shards auto`` (one
  file per 32 MB of planes instead of one per chunk); into an OME-Zarr image with its pyramid (``--ome``: the
  smaller levels are binned and encoded too), and from the same frames stored as a PYME PZF folder (one lossless
  Huffman-coded frame per file, decoded on the way);
- **zarr read**: ``zarr.open_array(store)[:]`` of convert's output, plain and sharded, with zarr's own codec pipeline
  (what users get by default), with :class:`pymecompress.zarr.pipeline.ThreadedReadPipeline`, and through
  ``pymecompress.open``, zarr's thread pool sized to N (each in a new process: zarr makes its thread pool once per
  process).

Reads are compared with the codec's decoding into a reused array, the faster of the two.
Every figure is the median of ``--repeats`` runs, in MB/s of uint16 image data, and each row gives its ratio to
the codec alone on the same number of threads. Timings on a shared virtual machine are noisy: compare figures
from one run only. This is not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import tifffile
import zarr
from machine import cpu_model

import pymecompress.zarr.chunk_writer as chunk_writer
from pymecompress import HuffmanQuant16
from pymecompress.tools.convert import convert
from pymecompress.zarr.chunk_shape import parse_chunks

CAMERA = {"offset": 100.0, "gain": 2.0, "read_noise": 1.5}
PLANE = (512, 1024)
CHUNK = parse_chunks(None, (512, *PLANE))  # convert's default: here four whole planes (4 MB)


def make_stack(path: Path, planes: int, ny: int = 512, nx: int = 1024) -> None:
    """A BigTIFF of Poisson planes (a bright blob on a dim background) at the camera model above."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:ny, :nx]
    mean = 30 + 400 * np.exp(-((yy - ny * 0.4) ** 2 + (xx - nx * 0.5) ** 2) / (ny * nx / 60))

    def frames():
        for start in range(0, planes, 16):
            counts = rng.poisson(mean, (min(16, planes - start), ny, nx)) * CAMERA["gain"] + CAMERA["offset"]
            yield from counts.astype(np.uint16)

    with tifffile.TiffWriter(path, bigtiff=True) as tif:  # one series of `planes` pages
        tif.write(frames(), shape=(planes, ny, nx), dtype=np.uint16, photometric="minisblack")


def median_mbps(nbytes: int, run: Callable[[], None], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return nbytes / statistics.median(times) / 1e6


def codec_alone(stack: np.ndarray, threads: int, repeats: int) -> tuple[float, float, float]:
    """Encode, decode into a reused array and decode into a new array, every chunk (:data:`CHUNK`) with
    ``threads`` threads."""
    codec = HuffmanQuant16(**CAMERA)
    c0, c1, c2 = CHUNK
    tiles = [np.ascontiguousarray(stack[p:p + c0, y:y + c1, x:x + c2]) for p in range(0, stack.shape[0], c0)
             for y in range(0, stack.shape[1], c1) for x in range(0, stack.shape[2], c2)]
    tiles = [t for t in tiles if t.shape == tiles[0].shape]  # whole chunks only (a short stack's last one is not)
    encoded = [codec.encode(t) for t in tiles]
    out = np.empty((len(tiles), *tiles[0].shape), np.uint16)
    nbytes = sum(t.nbytes for t in tiles)
    with ThreadPoolExecutor(threads) as pool:
        enc = median_mbps(nbytes, lambda: list(pool.map(codec.encode, tiles)), repeats)
        dec = median_mbps(nbytes, lambda: list(pool.map(lambda i: codec.decode(encoded[i], out=out[i]),
                                                              range(len(tiles)))), repeats)

        def fresh() -> None:
            new = np.empty_like(out)  # what a zarr read returns: a new array, its pages touched first here
            list(pool.map(lambda i: codec.decode(encoded[i], out=new[i]), range(len(tiles))))
        dec_fresh = median_mbps(nbytes, fresh, repeats)
    return enc, dec, dec_fresh


def make_pzf_folder(folder: Path, stack: np.ndarray) -> None:
    """The stack as a PYME PZF folder, one lossless Huffman-coded frame per file (as PYME spools them)."""
    from pymecompress.io import pzf

    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(stack):
        (folder / f"frame{i:05d}.pzf").write_bytes(pzf.dumps(frame, frame_num=i, compression=pzf.DATA_COMP_HUFFCODE))


def convert_mbps(tif: Path, store: Path, threads: int, repeats: int, direct: bool = True, **options) -> float:
    """convert's MB/s (of uint16 image data, full resolution) into a new store (the previous run's output is
    removed before the clock starts); ``options`` go to :func:`convert` (``ome_zarr=True``...)."""
    original = chunk_writer._pmcs_codec
    if not direct:  # the writer then always falls back to arr[sel] = block
        chunk_writer._pmcs_codec = lambda arr: None
    summaries = []

    def run() -> None:
        summaries.append(convert(str(tif), str(store), camera=CAMERA, chunks=",".join(map(str, CHUNK)),
                                 threads=threads, progress=False, overwrite=True, **options))
    try:
        times = []
        for _ in range(repeats):
            shutil.rmtree(store, ignore_errors=True)
            times += _times(run, 1)
    finally:
        chunk_writer._pmcs_codec = original
    return summaries[-1].input_bytes / statistics.median(times) / 1e6


def read_mbps(store: Path, threads: int, repeats: int, pipeline: str) -> float:
    """``zarr.open_array(store)[:]`` MB/s with zarr's own codec pipeline (``"zarr"``), ``"threaded"``
    (:class:`pymecompress.zarr.pipeline.ThreadedReadPipeline`) or ``pymecompress.open(store)[:]`` (``"open"``), zarr's
    thread pool sized to ``threads``.

    Measured in a new Python process: zarr makes its thread pool once per process.
    """
    code = ("import sys, json, zarr; zarr.config.set({'threading.max_workers': int(sys.argv[2])}); "
            "sys.path.insert(0, sys.argv[5]); import pipeline; "
            "print(json.dumps(pipeline.read_here(sys.argv[1], int(sys.argv[3]), sys.argv[4])))")
    done = subprocess.run([sys.executable, "-c", code, str(store), str(threads), str(repeats), pipeline,
                           str(Path(__file__).resolve().parent)], capture_output=True, text=True, check=True,
                          cwd=store.parent)  # not a source checkout's folder, whose package may be unbuilt
    return float(done.stdout.strip().splitlines()[-1])


def read_here(store: str, repeats: int, pipeline: str) -> float:
    """:func:`read_mbps` inside the measuring process."""
    from pymecompress.zarr.pipeline import threaded_reads

    if pipeline == "open":
        import pymecompress

        arr = pymecompress.open(store)
    else:
        with threaded_reads() if pipeline == "threaded" else contextlib.nullcontext():
            arr = zarr.open_array(store, mode="r")
    return median_mbps(arr.nbytes, lambda: arr[:], repeats)


def disk_mbps(store: Path, target: Path, input_bytes: int, repeats: int) -> float:
    """The disk's own speed, as convert's reference: the bytes ``store`` holds written again, by one sequential
    writer into one new file (1 MB writes, no fsync: convert does not sync either), in MB/s of *input* bytes (the
    rate at which convert would go if writing were all it did)."""
    stored = sum(p.stat().st_size for p in store.rglob("*") if p.is_file())
    block = np.random.default_rng(1).integers(0, 256, 1 << 20, dtype=np.uint8).tobytes()

    def write() -> None:
        with open(target, "wb") as fh:
            for start in range(0, stored, len(block)):
                fh.write(block[:min(len(block), stored - start)])
    try:
        return input_bytes * 1e-6 / (statistics.median(_times(write, repeats)) or 1e-9)
    finally:
        target.unlink(missing_ok=True)


def _times(run: Callable[[], None], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        os.sync()  # each run starts with no dirty pages of the previous one
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--planes", type=int, default=512, help="planes of 512 x 1024 (default 512: 537 MB)")
    parser.add_argument("--threads", default="1,2", help="thread counts to measure (default 1,2)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure; the median is kept (default 3)")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "pymecompress-pipeline-bench")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    tif = args.out / f"stack-{args.planes}.tif"
    if not tif.exists():
        make_stack(tif, args.planes)
    stack = tifffile.imread(tif)  # also brings the file into the page cache
    plain, sharded = args.out / "plain.zarr", args.out / "sharded.zarr"
    pzf_folder = args.out / f"pzf-{args.planes}"
    if not pzf_folder.exists():
        make_pzf_folder(pzf_folder, stack)
    rows = []
    for threads in (int(t) for t in args.threads.split(",")):
        enc, dec, dec_fresh = codec_alone(stack, threads, args.repeats)
        conv_old = convert_mbps(tif, plain, threads, args.repeats, direct=False)
        conv = convert_mbps(tif, plain, threads, args.repeats, direct=True)
        disk = disk_mbps(plain, args.out / "disk-reference.bin", stack.nbytes, args.repeats)
        conv_sharded = convert_mbps(tif, sharded, threads, args.repeats, shards="auto")
        figures = {
            "codec alone: encode": (enc, enc, None), "codec alone: decode into reused out": (dec, dec, None),
            "codec alone: decode into a new array": (dec_fresh, dec, None),
            "disk: the stored bytes, one sequential writer (reference)": (disk, enc, None),
            "convert (arr[sel] = block, before)": (conv_old, enc, disk), "convert (chunk writer)": (conv, enc, disk),
            "convert --shards auto": (conv_sharded, enc, disk),
            "convert --ome (OME-Zarr 0.4 with its pyramid)": (
                convert_mbps(tif, args.out / "ome.zarr", threads, args.repeats, ome_zarr=True), enc, disk),
            "convert of a PZF folder (frames Huffman-coded)": (
                convert_mbps(pzf_folder, args.out / "from-pzf.zarr", threads, args.repeats), enc, disk),
            "zarr read, zarr's pipeline": (read_mbps(plain, threads, args.repeats, "zarr"), dec, None),
            "zarr read, ThreadedReadPipeline": (read_mbps(plain, threads, args.repeats, "threaded"), dec, None),
            "pymecompress.open(store)[:]": (read_mbps(plain, threads, args.repeats, "open"), dec, None),
            "zarr read, sharded, zarr's pipeline": (read_mbps(sharded, threads, args.repeats, "zarr"), dec, None),
            "pymecompress.open, sharded": (read_mbps(sharded, threads, args.repeats, "open"), dec, None),
        }
        rows += [{"threads": threads, "what": what, "MB/s": round(mbps, 1), "x codec": round(mbps / ref, 2),
                  "x disk": None if disk_ref is None else mbps / disk_ref}
                 for what, (mbps, ref, disk_ref) in figures.items()]
    cpu = cpu_model()
    print(f"{args.planes} planes of {PLANE[0]} x {PLANE[1]} uint16 ({stack.nbytes / 1e6:.0f} MB), chunks {CHUNK}, "
          f"median of {args.repeats}; python {sys.version.split()[0]}, zarr {zarr.__version__}, {cpu}, "
          f"{os.cpu_count()} CPUs; output in {args.out}")
    print("\n| threads | what | MB/s | x codec alone | x disk |\n|---|---|---|---|---|")
    for row in rows:
        x_disk = "" if row["x disk"] is None else f"{row['x disk']:.2f}"
        print(f"| {row['threads']} | {row['what']} | {row['MB/s']:.0f} | {row['x codec']:.2f} | {x_disk} |")
    (args.out / "pipeline.json").write_text(json.dumps({"planes": args.planes, "cpu": cpu, "zarr": zarr.__version__,
                                                       "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
