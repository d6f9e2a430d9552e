"""``pymecompress demo``: compress the bundled real camera sample and report what was kept."""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .codecs.huffquant16 import HuffmanQuant16

SAMPLE = "smlm_sdt_pMHC_AF647_10x128x128.tif"
SAMPLE_CAMERA = {"offset": 205.0, "gain": 17.0, "read_noise": 0.0}
REPORT_NAME = "pymecompress_demo.png"


def load_sample() -> np.ndarray:
    """The bundled single-molecule movie (uint16, 10 x 128 x 128).

    Examples
    --------
    >>> load_sample().shape
    (10, 128, 128)
    """
    import tifffile

    with resources.as_file(resources.files("pymecompress.data") / SAMPLE) as path:
        return tifffile.imread(path)


@dataclass
class DemoResult:
    """Figures of one demo run."""

    raw_bytes: int
    compressed_bytes: int
    encode_mbps: float
    decode_mbps: float
    max_error_sigma: float
    mean_error_sigma: float
    bias_photons: float
    step: float
    frames: np.ndarray | None = field(default=None, repr=False)
    decoded: np.ndarray | None = field(default=None, repr=False)
    plane_bytes: list[int] = field(default_factory=list, repr=False)

    @property
    def ratio(self) -> float:
        return self.raw_bytes / self.compressed_bytes


def _median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run_demo(step: float = 1.0, repeats: int = 7) -> DemoResult:
    """Compress the sample frame by frame with ``huffquant16`` and measure it.

    Examples
    --------
    >>> r = run_demo(repeats=1)
    >>> r.ratio > 2 and r.max_error_sigma <= r.step
    True
    """
    frames = load_sample()
    codec = HuffmanQuant16(step=step, **SAMPLE_CAMERA)
    chunks = [codec.encode(f) for f in frames]
    decoded = np.stack([codec.decode(c).reshape(f.shape) for c, f in zip(chunks, frames, strict=True)])
    t_enc = _median_seconds(lambda: [codec.encode(f) for f in frames], repeats)
    t_dec = _median_seconds(lambda: [codec.decode(c) for c in chunks], repeats)
    err = codec.camera.error_sigmas(frames, decoded)
    bias = float(np.mean(decoded.astype(np.float64) - frames)) / codec.gain
    mb = frames.nbytes / 1e6
    return DemoResult(frames.nbytes, sum(len(c) for c in chunks), mb / t_enc, mb / t_dec,
                      float(err.max()), float(err.mean()), bias, step, frames, decoded, [len(c) for c in chunks])


def format_report(r: DemoResult) -> str:
    """Human-readable summary of a demo run (its added-noise line is the one the PNG report shows)."""
    from .camera import CameraModel
    from .report import added_noise_figures

    camera = CameraModel(step=r.step, **SAMPLE_CAMERA)
    return "\n".join([
        f"sample      : {SAMPLE} (real EMCCD single-molecule movie, bundled, CC0)",
        f"camera      : offset {SAMPLE_CAMERA['offset']:g} ADU, gain {SAMPLE_CAMERA['gain']:g} ADU/e-, "
        f"step {r.step:g} noise sigma",
        f"size        : {r.raw_bytes / 1e6:.2f} MB -> {r.compressed_bytes / 1e6:.3f} MB, ratio {r.ratio:.2f}x",
        f"speed       : encode {r.encode_mbps:.0f} MB/s, decode {r.decode_mbps:.0f} MB/s (single thread, "
        "128x128 frames)",
        f"error       : max {r.max_error_sigma:.3f} sigma (bound {r.step:g}), mean {r.mean_error_sigma:.3f} sigma",
        f"bias        : {r.bias_photons:+.4f} photons per pixel",
        f"added noise : {', '.join(added_noise_figures(camera, r.frames, r.decoded))}",
    ])


def write_png(r: DemoResult, out_dir: str | os.PathLike = ".") -> str | None:
    """Write the PNG report of a demo run into ``out_dir``; None (and a note on stdout) without matplotlib.

    Examples
    --------
    >>> import tempfile
    >>> path = write_png(run_demo(repeats=1), tempfile.mkdtemp())  # doctest: +SKIP
    """
    from .camera import CameraModel
    from .report import have_matplotlib, write_report

    if not have_matplotlib():
        print('report      : skipped (matplotlib is not installed: pip install "pymecompress[report]")')
        return None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plane = r.frames[0].nbytes
    ratios = [plane / n for n in r.plane_bytes]
    path = write_report(out / REPORT_NAME, r.frames, r.decoded, CameraModel(step=r.step, **SAMPLE_CAMERA), ratios,
                        title=f"pymecompress demo: huffquant16 on {SAMPLE}, ratio {r.ratio:.2f}x")
    print(f"report      : {path}")
    return path


def main(step: float = 1.0, out_dir: str | os.PathLike = ".") -> int:
    result = run_demo(step=step)
    print(format_report(result), flush=True)
    write_png(result, out_dir)
    return 0
