"""Check a camera model against the noise actually in the data, before anything is compressed with it.

``huffquant16`` quantizes with steps of ``step`` noise sigmas, where the noise comes from the camera model
(``offset``, ``gain``, ``read_noise``). A wrong model loses data without a sound: a gain 1000x too high makes
the steps far coarser than the noise and leaves a movie with one or two distinct values. This module measures
the noise in a sample of the data and compares it with what the model assumes.

**Measured noise.** Where there are several planes, from differences of consecutive planes ``d = b - a``
(``var(d) = 2 sigma**2``; a static scene cancels); for a single image, from the residual of each pixel against
the mean of its four neighbours (``var(r) = 1.25 sigma**2`` where the signal is locally flat). Pixels are sorted
into equal-count bins by their level (for pairs ``(a + b) / 2``, for single images the mean of the same five
pixels; both are uncorrelated with the residual, so the binning does not bias the variance). In each bin the
variance is the mean of the squared residuals after dropping outliers above ``Q3 + 6 IQR`` of them (a
molecule blinking, an edge of the specimen).

**Model noise.** The variance the quantizer's steps are sized for, in ADU²: ``gain**2 * (e + 3/8 +
read_noise**2) + 1/12`` with ``e = max(level - offset, 0) / gain`` photo-electrons (the ``1/12`` is the
rounding of the camera's ADU). The *variance ratio* of a bin is measured over model; the check uses the median
over the bins.

**Verdicts.**

- A variance ratio below :data:`MIN_VARIANCE_RATIO` (0.5) is an error: the quantizer's steps would be more than
  ``sqrt(2)`` times the noise it assumes, so real signal would be lost (typically a gain too high, a gain in
  electrons per ADU instead of ADU per electron, or an offset far too low).
- An offset above more than :data:`MAX_FRACTION_BELOW_OFFSET` (80 %) of the pixels is an error (a dark frame
  with the right offset has about half of its pixels below it).
- A quantization that would leave at most :data:`MIN_DISTINCT_CODES` distinct values from data holding ten
  times as many is an error.
- A variance ratio above :data:`MAX_VARIANCE_RATIO` (2) is only a warning: the steps are then finer than the
  noise, which costs compression but loses nothing; a ``read_noise`` of 0 (the conservative default) makes
  dark pixels look noisier than the model, and motion, blinking or structure inflate the measured noise.

The thresholds were measured on the real camera files of the project (light-sheet sCMOS, widefield sCMOS,
EMCCD single-molecule, CCD bright-field: variance ratios 0.96-1.32 with their published cameras) and on
simulated movies of four cameras, where it is 0.96-0.98 with the right model.

Examples
--------
>>> import numpy as np
>>> from pymecompress import CameraModel
>>> rng = np.random.default_rng(0)
>>> movie = (rng.poisson(40, (6, 128, 128)) * 2.0 + 100).astype(np.uint16)
>>> report = CameraModel(offset=100, gain=2.0).check(movie)
>>> report.ok, round(report.variance_ratio, 1)
(True, 1.0)
>>> bad = CameraModel(offset=100, gain=1000.0).check(movie)
>>> bad.ok, bad.variance_ratio < 0.01
(False, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


class NoiseModel(Protocol):
    """What the check reads of a camera model (:class:`pymecompress.camera.CameraModel` has it all; this module
    imports none, so that ``CameraModel.check`` can import it)."""

    offset: float
    gain: float
    read_noise: float
    step: float

    def vst(self, x): ...

    def to_dict(self) -> dict: ...


MIN_VARIANCE_RATIO = 0.5
MAX_VARIANCE_RATIO = 2.0
MAX_FRACTION_BELOW_OFFSET = 0.8
MIN_DISTINCT_CODES = 4
MIN_PIXELS = 1000
N_BINS = 16
MAX_PAIRS = 8
MAX_PLANE_PIXELS = 256 * 256


class CameraModelError(ValueError):
    """The camera model disagrees with the data (see :class:`CameraCheck`); ``--force`` writes anyway."""


@dataclass
class CameraCheck:
    """What :func:`check_camera` measured and concluded.

    Attributes
    ----------
    variance_ratio : float
        Median over level bins of measured noise variance / the model's; about 1 when the model is right
        (nan when the sample was too small to measure).
    ratio_range : tuple of float
        Smallest and largest ratio of a level bin.
    ratio_stderr : float
        Standard error of ``variance_ratio`` (from the spread of the bins).
    method : str
        How the noise was measured.
    n_pixels : int
        Residuals the estimate rests on.
    fraction_below_offset : float
        Fraction of the sampled pixels below ``offset``.
    distinct_values, distinct_codes : int
        Distinct values in the sample, and distinct quantizer codes they map to.
    errors, warnings : list of str
        Problems that stop a conversion, and ones that only cost compression.
    """

    camera: dict[str, float]
    variance_ratio: float
    ratio_range: tuple[float, float]
    ratio_stderr: float
    method: str
    n_pixels: int
    fraction_below_offset: float
    distinct_values: int
    distinct_codes: int
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
        return not self.errors

    def summary(self) -> str:
        """One line: the measured-over-model noise variance and how it was measured."""
        if not math.isfinite(self.variance_ratio):
            return f"noise not measured ({self.method})"
        lo, hi = self.ratio_range
        return (f"measured noise variance {self.variance_ratio:.3g}x the model's (+- {self.ratio_stderr:.2g}; "
                f"level bins {lo:.3g}..{hi:.3g}; {self.method}, {self.n_pixels} pixels)")

    def format(self) -> str:
        """Human-readable report: the summary, then every error and warning."""
        lines = [f"camera check: {self.summary()}"]
        lines += [f"error       : {e}" for e in self.errors]
        lines += [f"warning     : {w}" for w in self.warnings]
        return "\n".join(lines)

    def raise_for_errors(self) -> None:
        """Raise :class:`CameraModelError` with every error, the figures and what to do, unless :attr:`ok`."""
        if self.ok:
            return
        cam = ", ".join(f"{k}={v:g}" for k, v in self.camera.items())
        raise CameraModelError(f"the camera model ({cam}) does not fit this data: {'; '.join(self.errors)}. "
                               "Measure the camera with `pymecompress calibrate MOVIE` (or check the data sheet: "
                               "gain in ADU per electron, offset in ADU), or pass force=True to write anyway")


def _bin_ratios(level: np.ndarray, var: np.ndarray, model_var: np.ndarray) -> np.ndarray:
    """Measured / model variance in equal-count level bins (squared residuals ``var`` clipped per bin)."""
    order = np.argsort(level, kind="stable")
    n_bins = int(min(N_BINS, max(1, level.size // 100)))
    ratios = []
    for part in np.array_split(order, n_bins):
        v = var[part]
        q1, q3 = np.percentile(v, [25, 75])
        kept = v <= q3 + 6.0 * (q3 - q1)
        ratios.append(float(v[kept].mean()) / float(model_var[part][kept].mean()))
    return np.array(ratios)


def _residuals(planes: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """(level, squared residual scaled to one pixel's variance, method) from planes ``(n, Y, X)``: pairs
    ``(0, 1), (2, 3), ...`` when there are several, else the 4-neighbour residual of the one image."""
    planes = planes.astype(np.float64)
    if planes.shape[0] >= 2:
        k = planes.shape[0] // 2
        a, b = planes[0:2 * k:2], planes[1:2 * k:2]
        return ((a + b) / 2).ravel(), ((b - a) ** 2 / 2).ravel(), f"differences of {k} pairs of consecutive planes"
    f = planes[0]
    if f.shape[0] < 3 or f.shape[1] < 3:
        return np.empty(0), np.empty(0), "image too small"
    c = f[1:-1, 1:-1]
    neighbours = f[1:-1, :-2] + f[1:-1, 2:] + f[:-2, 1:-1] + f[2:, 1:-1]
    r = c - neighbours / 4
    return ((c + neighbours) / 5).ravel(), (r * r / 1.25).ravel(), "residuals against 4 neighbours in one image"


def _pair_indices(n: int, max_pairs: int = MAX_PAIRS) -> list[int]:
    """Plane indices of up to ``max_pairs`` pairs of consecutive planes spread evenly over ``n`` planes (just
    ``[0]`` for a single plane)."""
    if n < 2:
        return [0]
    starts = np.unique(np.linspace(0, n - 2, min(max_pairs, n // 2)).round().astype(int))
    return [int(i) for s in starts for i in (s, s + 1)]


def _crop(plane_shape: tuple[int, int], max_pixels: int = MAX_PLANE_PIXELS) -> tuple[slice, slice]:
    """The central region of at most ``max_pixels`` pixels of a plane."""
    side = max(3, math.isqrt(max_pixels))
    y0, x0 = (max(0, (n - side) // 2) for n in plane_shape)
    return slice(y0, y0 + side), slice(x0, x0 + side)


def check_camera(camera: NoiseModel, planes: np.ndarray) -> CameraCheck:
    """Compare ``camera`` with the noise measured in ``planes``; see the module docstring.

    Parameters
    ----------
    camera : CameraModel
        The model (offset, gain, read noise, step) the data would be quantized with.
    planes : array (Y, X) or (n, ..., Y, X)
        Raw camera counts; successive planes are successive frames (or z planes) of one scene. Up to
        :data:`MAX_PAIRS` pairs of consecutive planes spread over the stack are used (:func:`sample_planes` reads
        just those from a file), each cropped to its central :data:`MAX_PLANE_PIXELS` pixels.

    Returns
    -------
    CameraCheck

    Examples
    --------
    >>> import numpy as np
    >>> from pymecompress import CameraModel
    >>> image = (np.random.default_rng(1).poisson(4, (64, 64)) + 80).astype(np.uint16)
    >>> print(check_camera(CameraModel(offset=100, gain=2), image).errors[0])  # doctest: +ELLIPSIS
    the offset 100 ADU lies above 100 % of the pixels (median 84 ADU); ...
    """
    planes = np.asarray(planes)
    if planes.ndim < 2:
        raise ValueError(f"expected images (Y, X) or (n, Y, X), got shape {planes.shape}")
    planes = planes.reshape(-1, *planes.shape[-2:])
    planes = planes[_pair_indices(planes.shape[0])][(slice(None), *_crop(planes.shape[-2:]))]
    level, var, method = _residuals(planes)
    cam = camera.to_dict()
    errors: list[str] = []
    warnings: list[str] = []
    ratio, lo, hi, stderr = math.nan, math.nan, math.nan, math.nan
    if level.size >= MIN_PIXELS:
        e = np.maximum(level - camera.offset, 0.0) / camera.gain
        model_var = camera.gain ** 2 * (e + 0.375 + camera.read_noise ** 2) + 1.0 / 12.0
        ratios = _bin_ratios(level, var, model_var)
        ratio, lo, hi = float(np.median(ratios)), float(ratios.min()), float(ratios.max())
        stderr = float(1.2533 * np.std(ratios) / math.sqrt(len(ratios))) if len(ratios) > 1 else math.nan
        if ratio == 0.0:
            errors.append(f"the data shows no noise at all ({method}): it does not look like raw camera counts; "
                          "compress it with a lossless codec (codec='hufflossless')")
        elif ratio < MIN_VARIANCE_RATIO:
            errors.append(f"the data is {1 / ratio:.3g}x less noisy (in variance) than the model says ({method}): "
                          f"the quantizer's steps would be {math.sqrt(1 / ratio) * camera.step:.3g} noise sigmas "
                          f"instead of {camera.step:g} and real signal would be lost (is the gain in ADU per "
                          "electron, and the offset the dark level in ADU)")
        elif ratio > MAX_VARIANCE_RATIO:
            warnings.append(f"the data is {ratio:.3g}x noisier (in variance) than the model says ({method}): "
                            "nothing is lost, but the steps are finer than the noise and compression is lower than "
                            "it could be (a read noise of 0, motion or blinking also do this); "
                            "`pymecompress calibrate` measures the camera")
    else:
        method = f"too few pixels to measure the noise ({level.size}; {MIN_PIXELS} needed)" if level.size else \
            f"{method}: the noise was not measured"
    flat = planes.ravel()
    below = float(np.count_nonzero(flat < camera.offset)) / flat.size
    if below > MAX_FRACTION_BELOW_OFFSET:
        errors.append(f"the offset {camera.offset:g} ADU lies above {100 * below:.0f} % of the pixels (median "
                      f"{float(np.median(flat)):g} ADU); the offset is the level of a pixel that got no light")
    values = np.unique(flat)
    codes = np.unique(np.round(camera.vst(values) / camera.step))
    if codes.size <= MIN_DISTINCT_CODES and values.size >= 10 * codes.size:
        errors.append(f"quantization would leave {codes.size} distinct value(s) of the {values.size} in the data")
    return CameraCheck(cam, ratio, (lo, hi), stderr, method, int(level.size), below, int(values.size),
                       int(codes.size), errors, warnings)


def sample_planes(source) -> np.ndarray:
    """The planes :func:`check_camera` needs from an image source, read one at a time: up to
    :data:`MAX_PAIRS` pairs of consecutive planes spread evenly over the stack (one plane for a single image),
    each cropped to its central :data:`MAX_PLANE_PIXELS` pixels.

    Parameters
    ----------
    source : pymecompress.io.sources.ImageSource
        Anything with ``n_planes``, ``plane_shape`` and ``read_planes(indices)``.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from pymecompress.io.sources import open_source
    >>> path = os.path.join(tempfile.mkdtemp(), "s.npy")
    >>> np.save(path, np.zeros((100, 8, 8), np.uint16))
    >>> with open_source(path) as src:
    ...     sample_planes(src).shape
    (16, 8, 8)
    """
    crop = _crop(source.plane_shape)
    return np.stack([source.read_planes([i])[0][crop] for i in _pair_indices(source.n_planes)])
