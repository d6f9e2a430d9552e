"""``pymecompress validate``: what a lab runs on its own data before it adopts the codec.

For each quantization step it compresses the data with the noise-bounded codec of its dtype (dithered, with the
lab's camera and saturation value) and reports the ratio, the error per pixel in noise sigmas, the bias of the
mean and of 64 x 64 block medians per signal level, the added noise against theory, the power spectrum of the
error (:mod:`.measures`), and what decoding changed in the field's own analysis, run on the original and on the
decoded data alike: spot localization with trackpy (:mod:`.localization`), source detection and aperture
photometry with sep (:mod:`.photometry`) or ROI traces (:mod:`.traces`); ``auto`` picks one (:mod:`.choose`).
The terminal gets the figures (:func:`ValidationReport.format`); :mod:`.html` writes them as one self-contained
page with plots.

The analyses need the ``validate`` extra: ``pip install "pymecompress[validate]"``.

Examples
--------
>>> import numpy as np, os, tempfile
>>> rng = np.random.default_rng(2)
>>> path = os.path.join(tempfile.mkdtemp(), "frame.npy")
>>> np.save(path, (rng.poisson(40, (1, 64, 64)) * 2 + 100).astype(np.uint16))
>>> report = validate(path, {"offset": 100, "gain": 2.0}, steps=(1.0,), analysis="none")
>>> step = report.steps[0].measures
>>> step.ratio > 2, abs(step.mean_bias) < 0.05
(True, True)
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ...camera import CameraModel
from ...fidelity import block_median_shifts
from .analysis import AnalysisResult
from .choose import ANALYSES, choose
from .measures import LEVEL_EDGES, StepMeasures, measure_step, same_variance_noise

VALIDATE_EXTRA = 'pip install "pymecompress[validate]"'
DEFAULT_STEPS = (0.5, 1.0, 2.0)
DEFAULT_FRAMES = 100
LIBRARIES = {"localization": "trackpy", "photometry": "sep", "traces": "scipy"}


@dataclass
class StepResult:
    """The measures and the analysis (None: no analysis) of one step."""

    measures: StepMeasures
    analysis: AnalysisResult | None = None
    reference_median_shift: float = math.nan
    """Mean |block-median shift| (sigma) that plain, mean-unbiased noise of the quantizer's variance causes."""
    reference_median_shift_signed: float = math.nan
    """Its signed mean."""


@dataclass
class ValidationReport:
    """Everything ``validate`` found."""

    input: str
    shape: tuple[int, ...]
    dtype: str
    camera: CameraModel
    saturation: int
    saturation_origin: str
    analysis: str
    reason: str
    steps: list[StepResult] = field(default_factory=list)
    original: np.ndarray | None = field(default=None, repr=False)

    def format(self) -> str:
        """The terminal summary: one paragraph per step, then the biases per signal level."""
        cam = self.camera
        lines = [
            f"input       : {self.input} ({'x'.join(map(str, self.shape))} {self.dtype})",
            f"camera      : offset {cam.offset:g} ADU, gain {cam.gain:g} ADU/e-, read noise {cam.read_noise:g} e-; "
            f"saturation {self.saturation} ADU ({self.saturation_origin})",
            f"analysis    : {self.analysis}" + (f" ({self.reason})" if self.reason else ""),
        ]
        for s in self.steps:
            m = s.measures
            lines += ["", f"step {m.step:g}",
                      f"  ratio          : {m.ratio:.2f}x",
                      f"  error          : max {m.max_error:.3f} sigma, rms {m.rms_error:.3f} sigma",
                      f"  mean bias      : {m.mean_bias:+.4f} sigma",
                      f"  block medians  : {m.median_shift:.3f} sigma on average (signed "
                      f"{m.median_shift_signed:+.3f}) over {m.blocks} blocks of 64 x 64; plain noise of the same "
                      f"variance: {s.reference_median_shift:.3f} (signed {s.reference_median_shift_signed:+.3f})",
                      f"  added noise    : {100 * m.added_noise:.1f} % (theory {100 * m.added_noise_expected:.1f} %)",
                      f"  error spectrum : peak {m.spectrum.peak:.2f} of its mean (flat: about 1; structure at "
                      "tile or chunk edges shows as peaks)"]
            if s.analysis is not None:
                a = s.analysis
                ref = a.reference
                lines.append(f"  {a.name:<15}: {a.library}: {a.found} found in the original, {a.lost} lost, "
                             f"{a.gained} gained" + (f" (plain noise of the same variance: {ref.lost} lost, "
                                                     f"{ref.gained} gained)" if ref is not None else ""))
                for f in a.figures:
                    r = a.reference_of(f)
                    same = f" (plain noise of the same variance: {r.value:+.3f})" if r is not None else ""
                    lines.append(f"    {f.name}: {f.value:+.3f} {f.unit}".rstrip() + same)
                lines += [f"    note: {n}" for n in a.notes]
        lines += ["", *self.level_table()]
        return "\n".join(lines)

    def levels(self) -> list[tuple[str, int, list[float | None], list[float | None]]]:
        """Per signal level with data: its label (e-), its pixels, and per step the mean bias of its pixels and
        the block-median shift of the blocks whose median lies there (None: too few)."""
        steps = [s.measures for s in self.steps]
        out = []
        for k in range(len(LEVEL_EDGES) - 1):
            found = [next((r for r in m.levels if r.low == LEVEL_EDGES[k]), None) for m in steps]
            if all(r is None for r in found):
                continue
            first = next(r for r in found if r is not None)
            label = f"{first.low:g}-{first.high:g}" if np.isfinite(first.high) else f">= {first.low:g}"
            out.append((label, first.pixels, [r.mean_bias if r else None for r in found],
                        [r.median_shift if r else None for r in found]))
        return out

    def level_table(self) -> list[str]:
        """Mean bias of the pixels and block-median shift of the blocks per signal level, one column per step."""
        steps = [s.measures for s in self.steps]
        head = "level, e-        pixels  " + "  ".join(f"mean bias @{m.step:<4g}" for m in steps) + "  " + \
            "  ".join(f"median @{m.step:<4g}" for m in steps)
        rows = ["bias per signal level (sigma; mean: pixels of that level, median: 64 x 64 blocks whose median is "
                "there; - too few)", head]
        for label, pixels, means, medians in self.levels():
            cells = [f"{v:+15.4f}" if v is not None else f"{'-':>15}" for v in means]
            cells += [f"{v:+12.3f}" if v is not None else f"{'-':>12}" for v in medians]
            rows.append(f"{label:<14} {pixels:>8}  " + "  ".join(cells))
        return rows


def _camera_model(camera: dict | CameraModel, step: float) -> CameraModel:
    params = camera.to_dict() if isinstance(camera, CameraModel) else dict(camera or {})
    params.pop("saturation", None)
    if "offset" not in params or "gain" not in params:
        raise ValueError("validate needs the camera's offset and gain (ADU, ADU per electron): pass "
                         "camera={'offset': ..., 'gain': ...}, e.g. pymecompress.calibration_file.load_calibration("
                         "FILE) of a file `pymecompress calibrate` wrote")
    params["step"] = step
    return CameraModel(**params)


def _analysis_module(name: str):
    import importlib

    library = LIBRARIES[name]
    if importlib.util.find_spec(library) is None:
        raise ImportError(f"the {name} analysis needs {library}, which is not installed: {VALIDATE_EXTRA}")
    return importlib.import_module(f".{name}", __name__)


def validate(input: str | os.PathLike | Sequence[str | os.PathLike], camera: dict | CameraModel, *,
             steps: Sequence[float] = DEFAULT_STEPS, analysis: str = "auto", max_frames: int | None = DEFAULT_FRAMES,
             saturation: int | None = None, series: int | None = None) -> ValidationReport:
    """Compress ``input`` at each of ``steps`` and measure what it did (see the module doc).

    Parameters
    ----------
    input : path or paths
        Anything ``pymecompress convert`` reads.
    camera : dict or CameraModel
        ``offset`` and ``gain`` (required), ``read_noise``; a calibration file's dict may add ``saturation``.
    steps : sequence of float
        Quantization steps in noise sigmas.
    analysis : {"auto", "localization", "photometry", "traces", "none"}
        The field's analysis to run on original and decoded data.
    max_frames : int, optional
        Read at most this many planes (the first ones); None: all.
    saturation : int, optional
        The saturation value (as ``convert --saturation``); by default the calibration file's, the file's, or
        the dtype's maximum.
    series : int, optional
        The TIFF series to read.

    Returns
    -------
    ValidationReport
    """
    from ...io.sources import open_source
    from ..convert import DEFAULT_CODECS, saturation_for

    if analysis not in (*ANALYSES, "auto", "none"):
        raise ValueError(f"analysis must be auto, none or one of {', '.join(ANALYSES)}, got {analysis!r}")
    steps = [float(s) for s in steps]
    if not steps or any(not s > 0 for s in steps):
        raise ValueError(f"steps must be positive numbers, got {steps}")
    base = _camera_model(camera, steps[0])
    with open_source(input, series=series) as src:
        codec = DEFAULT_CODECS.get(src.dtype.newbyteorder("=").name)
        if codec is None or not src.camera_counts:
            raise ValueError(f"{src.path}: {src.dtype} {'colour channels' if not src.camera_counts else 'data'} are "
                             "not the camera counts the noise-bounded codecs compress")
        sat = saturation_for(codec, src, saturation, camera if isinstance(camera, dict) else None)
        n = src.n_planes if max_frames is None else min(src.n_planes, max_frames)
        stack = src.read_planes(range(n)).reshape(n, *src.plane_shape)
        name, kind, shape = src.path, src.kind, src.shape
    reason = ""
    if analysis == "auto":
        analysis, reason = choose(stack, base, kind)
    module = _analysis_module(analysis) if analysis != "none" else None
    report = ValidationReport(str(name), tuple(shape), stack.dtype.name, base, sat.value, sat.origin, analysis,
                              reason, original=stack)
    for step in steps:
        cam = _camera_model(camera, step)
        measures = measure_step(stack, cam, sat.value)
        noisy = same_variance_noise(stack, cam)
        reference = block_median_shifts(stack, noisy, cam)
        result = None
        if module is not None:
            result = module.run(stack, measures.decoded, cam)
            result.reference = module.run(stack, noisy, cam)
        report.steps.append(StepResult(measures, result, *(
            (float(np.abs(reference).mean()), float(reference.mean())) if reference.size else ())))
    return report


__all__ = ["ValidationReport", "StepResult", "validate", "DEFAULT_STEPS"]
