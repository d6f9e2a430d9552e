"""``pymecompress calibrate``: camera offset, gain and read noise from a movie, by a photon-transfer fit.

**Method.** A camera pixel reads ``offset + gain * (photo-electrons) + read noise``, so its temporal variance
grows linearly with its mean: ``var = gain * (mean - offset) + gain**2 * read_noise**2`` (ADU², ADU).

1. Stream the frames once and keep, per pixel and separately for the first and the second half of the movie,
   the temporal mean, the variance of **successive frame differences** ``d = f[t+1] - f[t]``
   (``var = sum((d - mean(d))**2) / (2 (n - 1/n))`` for ``n`` differences: the static scene and a linear drift
   cancel, and the divisor makes it unbiased for a stationary pixel), and the covariance of ``d`` with the
   neighbouring pixels along x and along y.
2. **Binning by the neighbours.** Leave out pixels that reach saturation. Sort the pixels into bins of equal
   count by the mean level of their **neighbours** (not their own), and take as the bin's point the mean of the
   pixels' own levels and variances (after dropping variances above ``Q3 + 6 IQR``: a molecule blinking on, a
   cell moving through), in each half of the movie, averaged. Sorting by a pixel's own noisy mean would bias the
   slope (a mean that came out high by chance comes with a high variance: photon noise is skewed), badly so when
   the levels span little compared with that noise; and a pixel's own offset (sCMOS pixels differ by a few ADU)
   spreads the levels without changing the variance, which flattens the slope. The neighbours share neither,
   only the smooth light they all receive. (Without a 2-D image, pixels are binned by their mean in the other
   half of the movie.)
3. **Correlated changes.** Photon and read noise are independent from pixel to pixel; blinking molecules, moving
   objects and illumination flicker make neighbouring pixels change together. Their covariance of ``d`` estimates
   that extra variance, and is subtracted from each pixel's variance. When neighbours correlate clearly more
   along one axis (by more than 3 % of the variance), only the other axis is used, for this and for step 2: an
   EMCCD's charge smear or an sCMOS's row noise correlate pixels along one axis only, and are part of the
   camera's noise, not changes of the scene.
4. Keep the bins whose spread of per-pixel variances (``IQR / median``) is at most 1.5 x the median spread, and
   fit a line with the **Theil-Sen** estimator (the median of pairwise slopes), rejecting points off the line:
   the slope is the gain, the intercept ``c = gain**2 read_noise**2 - gain * offset``.
5. **Uncertainty.** The standard error combines in quadrature a statistical part, the spread of the fit over
   200 bootstrap resamples of spatial tiles of pixels (neighbouring pixels share molecules and objects, so tiles,
   not pixels or bins, are the independent units), and three systematic parts, each a share of the disagreement
   of two fits beyond what their bootstrap noise explains: half of it between the two halves of the frames (the
   scene changes over time), half of it between the dimmer and the brighter half of the levels (the variance is
   not linear in the level), and 30 % of it between the fits with and without the correction of step 3 (the
   correction is approximate). Warnings name each part that exceeds 10 % of the gain, and what to do.
6. **Offset and read noise.** One line cannot separate them: every (offset, read noise) pair on it predicts the
   same variances, and so the same noise model for ``huffquant16`` above the offset. By default the offset is
   the line's **x-intercept** (read noise taken as 0, the conservative choice for the codec, which then assumes
   the least noise near the dark level); this is a lower bound of the true offset by ``gain * read_noise**2``
   ADU (about 5 ADU for a typical sCMOS). The darkest pixels' level (0.1th percentile of the temporal means) is
   an upper bound, reported with the read noise it would imply. To pin them: ``dark=`` frames taken without
   light (offset = their median level, read noise from their variance), or a known ``offset`` (e.g. from the
   camera's data sheet; the read noise then follows from the line), or a known ``read_noise``.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> photons = np.linspace(2, 200, 128)[None, :] * np.ones((128, 1))
>>> movie = (rng.poisson(photons, (30, 128, 128)) * 2.0 + 100).astype(np.uint16)
>>> cal = calibrate_array(movie)
>>> round(cal.gain, 1), round(cal.offset)
(2.0, 100)
>>> abs(cal.gain - 2.0) <= 2 * cal.gain_stderr < 0.1
True
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

import numpy as np

from ..camera import LIMITS
from ..io.sources import open_source

MIN_FRAMES = 3
MIN_PIXELS_PER_BIN = 20
CLIP_IQR = 6.0  # per-pixel variances above Q3 + CLIP_IQR * IQR of their bin are dropped as outliers
MAX_BINS = 40  # level bins of equal pixel count (at least 100 pixels each)
# Neighbours along one axis only are used when the frame differences of neighbours correlate more along the
# other axis by this much (relative to the variance): a camera's charge smear or row noise, not the scene.
ANISOTROPY = 0.03
SPLIT_FRAMES = 6  # from this many frames on, the two halves of the movie are kept apart (each 3+ frames)
FEW_FRAMES = 20  # fewer frames get a warning
N_TILES = 200  # spatial tiles the bootstrap resamples
N_BOOT = 200  # bootstrap replicates
SE_WARN = 0.1  # a part of the gain's uncertainty above this fraction of the gain gets a warning
# Error of the neighbour-covariance correction, as a fraction of its size: across a diffraction-limited spot
# (Gaussian, sigma 1.3 px) a pixel's mean covariance with its four neighbours is 0.74-1.5 times its own extra
# variance (with two neighbours along one axis, 0.74-2.3, the high ratios in the faint wings), exactly it for
# flicker; on simulated single-molecule movies the corrected gain lands within -22..+19 % of the correction (5th
# to 95th percentile).
CORRECTION_ERROR = 0.3
PARTS = ("statistical", "frame halves", "level halves", "correlated changes")


class CalibrationError(ValueError):
    """The data cannot support a photon-transfer fit (too few frames, no signal range, no positive slope)."""


class PixelMoments(NamedTuple):
    """Per-pixel moments of a run of frames: temporal mean (ADU), variance of successive frame differences (ADU²)
    and, optionally, the mean covariance of those differences with the two neighbours along x and along y."""

    mean: np.ndarray
    var: np.ndarray
    cov_x: np.ndarray | None = None
    cov_y: np.ndarray | None = None


@dataclass
class Calibration:
    """Result of a photon-transfer fit (see the module docstring for the method)."""

    offset: float
    gain: float
    read_noise: float
    offset_method: str
    intercept: float
    r2: float
    residual_scatter: float
    gain_stderr: float
    offset_stderr: float
    n_points: int
    n_bins: int
    n_pixels: int
    n_frames: int
    level_range: tuple[float, float]
    darkest_level: float
    read_noise_upper: float | None
    saturated_pixels: int
    warnings: list[str] = field(default_factory=list)
    points: list[tuple[float, float, bool]] = field(default_factory=list)
    input: str = ""
    gain_stderr_parts: dict[str, float] = field(default_factory=dict)
    offset_stderr_parts: dict[str, float] = field(default_factory=dict)
    binned_by: str = ""
    neighbour_correlation: dict[str, float] = field(default_factory=dict)
    correction_axis: str | None = None
    gain_uncorrected: float | None = None
    saturation: int | None = None
    """The camera's saturation value (ADU) when known (``--saturation``, or what the movie's file states), which
    ``convert --calibration`` keeps exact; None: the dtype's maximum."""

    def camera(self) -> dict[str, float]:
        """``offset``, ``gain``, ``read_noise`` for :class:`pymecompress.CameraModel` or the codecs."""
        return {"offset": self.offset, "gain": self.gain, "read_noise": self.read_noise}

    def covers(self, gain: float, offset: float | None = None, k: float = 2.0) -> bool:
        """Whether a true ``gain`` (and ``offset``) lie within ``k`` standard errors of the estimates.

        Examples
        --------
        >>> cal = Calibration(100.0, 2.0, 0.0, "given", -200.0, 1.0, 0.0, 0.1, 1.0, 10, 10, 1000, 20, (110.0, 300.0),
        ...                   105.0, None, 0)
        >>> cal.covers(2.15), cal.covers(2.25), cal.covers(2.1, offset=103.0)
        (True, False, False)
        """
        ok = abs(self.gain - gain) <= k * self.gain_stderr
        return ok and (offset is None or abs(self.offset - offset) <= k * self.offset_stderr)

    def gain_low(self, k: float = 2.0) -> float | None:
        """The gain ``k`` standard errors below the estimate, or None when that is not positive. A lower gain is
        the conservative choice for ``huffquant16``: it then assumes less noise than there is, and quantizes
        more finely.

        Examples
        --------
        >>> cal = Calibration(100.0, 2.0, 0.0, "given", -200.0, 1.0, 0.0, 0.3, 1.0, 10, 10, 1000, 20, (110.0, 300.0),
        ...                   105.0, None, 0)
        >>> round(cal.gain_low(), 3), cal.gain_low(k=7)
        (1.4, None)
        """
        low = self.gain - k * self.gain_stderr
        return low if low > 0 else None

    def to_json(self) -> dict[str, Any]:
        """JSON-clean dict; ``pymecompress convert --calibration`` reads its ``offset``, ``gain``, ``read_noise`` and
        ``saturation`` (present when known)."""
        d = asdict(self)
        fit = {k: d.pop(k) for k in ("intercept", "r2", "residual_scatter", "gain_stderr", "offset_stderr",
                                     "gain_stderr_parts", "offset_stderr_parts", "n_points", "n_bins", "n_pixels",
                                     "n_frames", "level_range", "darkest_level", "read_noise_upper",
                                     "saturated_pixels", "points", "binned_by", "neighbour_correlation",
                                     "correction_axis", "gain_uncorrected")}
        fit["method"] = ("Theil-Sen line through (temporal mean, frame-difference variance) points of pixels "
                         f"binned by {fit['binned_by']}" + ("; variances less their covariance with the neighbours "
                                                            "along " + " and ".join(fit["correction_axis"])
                                                            if fit["correction_axis"] else ""))
        fit["stderr_method"] = ("in quadrature: statistical (bootstrap over spatial tiles of pixels) and shares of "
                                "the disagreement, beyond its bootstrap noise, of fits on the two halves of the "
                                "frames (1/2), on the dimmer and brighter half of the levels (1/2), and with and "
                                f"without the neighbour-covariance correction ({CORRECTION_ERROR:g})")
        fit["points"] = [[round(x, 3), round(y, 3), bool(u)] for x, y, u in fit["points"]]
        from .._version import __version__

        saturation = d.pop("saturation")
        kept = {"saturation": saturation} if saturation is not None else {}
        return {"offset": d.pop("offset"), "gain": d.pop("gain"), "read_noise": d.pop("read_noise"), **kept,
                "units": {"offset": "ADU", "gain": "ADU per electron", "read_noise": "electrons",
                          **({"saturation": "ADU"} if kept else {})},
                **d, "fit": fit, "software": f"pymecompress {__version__}"}

    def format(self) -> str:
        """Human-readable report."""
        lo, hi = self.level_range
        if self.offset_method.startswith("x-intercept of"):
            rn_note = " (taken as 0" + (f"; <= {self.read_noise_upper:.3g} e- if the darkest pixels, at "
                                        f"{self.darkest_level:.1f} ADU, got no light)"
                                        if self.read_noise_upper is not None else ")")
        elif self.offset_method == "given":
            below = (f"; the darkest pixels, at {self.darkest_level:.1f} ADU, lie below it"
                     if self.darkest_level < self.offset else "")
            rn_note = f" (from the fitted line at the given offset {self.offset:g} ADU{below})"
        elif self.offset_method.startswith("median level of the dark"):
            rn_note = " (from the dark frames)"
        else:
            rn_note = " (given)"
        lines = [
            f"input       : {self.input} ({self.n_frames} frames, {self.n_pixels} pixels used)",
            f"gain        : {self.gain:.4g} ADU/e- (+- {self.gain_stderr:.2g}{_parts(self.gain_stderr_parts)})",
            f"offset      : {self.offset:.1f} ADU (+- {self.offset_stderr:.2g}{_parts(self.offset_stderr_parts)}; "
            f"{self.offset_method})",
            f"read noise  : {self.read_noise:.3g} e-{rn_note}",
            f"fit         : R^2 {self.r2:.3f}, median residual {100 * self.residual_scatter:.1f} %, "
            f"{self.n_points} of {self.n_bins} level bins used, levels {lo:.1f}..{hi:.1f} ADU",
        ]
        if self.neighbour_correlation:
            lines.append("neighbours  : frame differences correlate " + ", ".join(
                f"{v:+.3f} along {k}" for k, v in self.neighbour_correlation.items())
                + (f"; variances corrected along {' and '.join(self.correction_axis)} (gain without: "
                   f"{self.gain_uncorrected:.4g})" if self.correction_axis else ""))
        lines += [f"warning     : {w}" for w in self.warnings]
        return "\n".join(lines)


def _parts(parts: dict[str, float]) -> str:
    """``: statistical 0.1, frame halves 0.2`` when more than one part of an uncertainty is non-zero."""
    shown = [f"{k} {v:.2g}" for k, v in parts.items() if v > 0]
    return ": " + ", ".join(shown) if len(shown) > 1 else ""


def _pair_mean(pair: np.ndarray, axis: int, shape: tuple[int, ...]) -> np.ndarray:
    """Per-pixel mean of the values of its (up to two) pairs with the neighbours along ``axis``, from the values
    of the pairs (pixel, next pixel)."""
    total, count = np.zeros(shape), np.zeros(shape)
    n = shape[axis]
    for sl in (slice(0, n - 1), slice(1, n)):
        index = (slice(None),) * axis + (sl,)
        total[index] += pair
        count[index] += 1
    return total / np.maximum(count, 1)


class _Run:
    """Per-pixel running sums of one run of frames, of its successive frame differences, and of the products of
    the differences of neighbouring pixels."""

    def __init__(self, plane_shape: tuple[int, ...]):
        self.shape = plane_shape
        self.sum = np.zeros(plane_shape)
        self.dsum = np.zeros(plane_shape)
        self.dsq = np.zeros(plane_shape)
        self.neighbours = len(plane_shape) == 2
        if self.neighbours:
            self.dx = np.zeros((plane_shape[0], max(plane_shape[1] - 1, 0)))
            self.dy = np.zeros((max(plane_shape[0] - 1, 0), plane_shape[1]))
        self.n = 0
        self._last: np.ndarray | None = None

    def add(self, f: np.ndarray) -> None:
        self.sum += f
        if self._last is not None:
            d = f - self._last
            self.dsum += d
            self.dsq += d * d
            if self.neighbours:
                self.dx += d[:, :-1] * d[:, 1:]
                self.dy += d[:-1] * d[1:]
        self._last = f
        self.n += 1

    def moments(self) -> PixelMoments:
        """Temporal mean, drift-free variance and neighbour covariances of the differences (3+ frames)."""
        n = self.n - 1
        norm = 2.0 * (n - 1.0 / n)
        var = (self.dsq - self.dsum**2 / n) / norm
        if not self.neighbours:
            return PixelMoments(self.sum / self.n, var)
        s = self.dsum
        cov_x = _pair_mean((self.dx - s[:, :-1] * s[:, 1:] / n) / norm, 1, self.shape)
        cov_y = _pair_mean((self.dy - s[:-1] * s[1:] / n) / norm, 0, self.shape)
        return PixelMoments(self.sum / self.n, var, cov_x, cov_y)


class _Moments:
    """Per-pixel running sums (see :class:`_Run`), kept separately for the first ``split`` frames and the rest
    when ``split`` is given (the two halves of the movie)."""

    def __init__(self, plane_shape: tuple[int, ...], saturation: float, split: int | None = None):
        self.runs = [_Run(plane_shape)] + ([_Run(plane_shape)] if split is not None else [])
        self.split = split
        self.saturated = np.zeros(plane_shape, dtype=bool)
        self.saturation = saturation
        self.n = 0

    @property
    def sum(self) -> np.ndarray:
        return sum(r.sum for r in self.runs)

    def add(self, frames: np.ndarray) -> None:
        for frame in frames:
            self.saturated |= frame >= self.saturation
            second = self.split is not None and self.n >= self.split
            self.runs[int(second)].add(frame.astype(np.float64))
            self.n += 1

    def halves(self) -> list[PixelMoments] | None:
        """Moments of each half, or None when the movie was not split (or a half has fewer than 3 frames)."""
        if len(self.runs) < 2 or min(r.n for r in self.runs) < MIN_FRAMES:
            return None
        return [r.moments() for r in self.runs]

    def pooled(self, parts: list[PixelMoments] | None = None) -> PixelMoments:
        """Mean of all frames; variance and covariances pooled over the runs of 3 or more frames (``parts``: their
        moments, if already computed)."""
        runs = [r for r in self.runs if r.n >= MIN_FRAMES] or self.runs[:1]
        parts = parts if parts is not None else [r.moments() for r in runs]
        weights = [max(r.n - 2, 1) for r in runs]

        def pool(k: int) -> np.ndarray | None:
            if parts[0][k] is None:
                return None
            return sum(w * p[k] for w, p in zip(weights, parts, strict=True)) / sum(weights)

        return PixelMoments(self.sum / self.n, pool(1), pool(2), pool(3))

    def mean_var(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean of all frames and the pooled variance."""
        pooled = self.pooled()
        return pooled.mean, pooled.var


def _frames(source, max_frames: int | None, block: int = 16) -> Iterable[np.ndarray]:
    total = source.n_planes if max_frames is None else min(source.n_planes, max_frames)
    for start in range(0, total, block):
        yield source.read_planes(range(start, min(start + block, total)))


def theil_sen(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope (median of pairwise slopes) and intercept (median of ``y - slope * x``).

    Examples
    --------
    >>> theil_sen(np.array([0.0, 1, 2, 3, 4]), np.array([1.0, 3, 5, 7, 100]))
    (2.0, 1.0)
    """
    i, j = np.triu_indices(len(x), 1)
    dx = x[j] - x[i]
    ok = dx != 0
    if not ok.any():
        raise CalibrationError("all levels are equal: the data has no signal range to fit")
    slope = float(np.median((y[j] - y[i])[ok] / dx[ok]))
    return slope, float(np.median(y - slope * x))


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """:func:`theil_sen` of the finite points, or NaNs when fewer than 3 remain or they share one level."""
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.ptp(x[ok]) == 0:
        return math.nan, math.nan
    return theil_sen(x[ok], y[ok])


def _robust_line(x: np.ndarray, y: np.ndarray, used: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Theil-Sen line through the ``used`` points, refitted after rejecting points off the line."""
    gain, intercept = theil_sen(x[used], y[used])
    for _ in range(20):  # reject points off the line (blinking-dominated levels) and refit
        rel = (y - (gain * x + intercept)) / np.maximum(np.abs(gain * x + intercept), 1e-12)
        scale = 1.4826 * float(np.median(np.abs(rel[used])))
        keep = used & (np.abs(rel) <= max(3.0 * scale, 0.02))
        if keep.sum() < 3 or (keep == used).all():
            break
        used = keep
        gain, intercept = theil_sen(x[used], y[used])
    return gain, intercept, used


def _neighbour_mean(image: np.ndarray, valid: np.ndarray, axis: str) -> np.ndarray:
    """Mean of the valid pixels among each pixel's neighbours one step away along ``axis`` ("x": the six in the
    columns left and right, "y": the six in the rows above and below, "xy": all eight), NaN where there are
    none. The pixel itself is left out, and with one axis its neighbours along the other axis (which may share
    its noise: charge smear, row noise).

    Examples
    --------
    >>> img = np.arange(12.0).reshape(3, 4)
    >>> float(_neighbour_mean(img, np.ones((3, 4), bool), "x")[1, 1])  # columns 0 and 2 of rows 0..2
    5.0
    >>> float(_neighbour_mean(img, np.ones((3, 4), bool), "xy")[0, 0])  # (1 + 4 + 5) / 3
    3.3333333333333335
    """
    ny, nx = image.shape
    values, weights = np.pad(np.where(valid, image, 0.0), 1), np.pad(valid.astype(np.float64), 1)
    total, count = np.zeros(image.shape), np.zeros(image.shape)
    steps = {"x": [(b, a) for a in (-1, 1) for b in (-1, 0, 1)], "y": [(a, b) for a in (-1, 1) for b in (-1, 0, 1)],
             "xy": [(a, b) for a in (-1, 0, 1) for b in (-1, 0, 1) if a or b]}[axis]
    for dy, dx in steps:
        total += values[1 + dy:1 + dy + ny, 1 + dx:1 + dx + nx]
        count += weights[1 + dy:1 + dy + ny, 1 + dx:1 + dx + nx]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _tiles(shape: tuple[int, ...], valid: np.ndarray) -> tuple[np.ndarray, int]:
    """Tile number (0..n-1) of each valid pixel: about ``N_TILES`` square tiles of the image (runs of the
    flattened pixels when it is not 2-D), the units the bootstrap resamples."""
    size = int(np.prod(shape))
    if len(shape) == 2:
        side = max(1, round(math.sqrt(size / N_TILES)))
        yy, xx = np.indices(shape)
        ids = (yy // side) * (-(-shape[1] // side)) + xx // side
    else:
        ids = np.arange(size) * N_TILES // max(size, 1)
    _, tile = np.unique(ids.ravel()[valid.ravel()], return_inverse=True)
    return tile.ravel(), int(tile.max()) + 1


def _binned(key: np.ndarray, x: np.ndarray, y: np.ndarray, c: np.ndarray, tile: np.ndarray, n_tiles: int,
            n_bins: int, judge: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sort the pixels into equal-count bins of ``key``; per tile and bin, sum the count, ``x``, ``y`` and ``c``
    of the pixels left after dropping outliers: ``judge`` (default ``y``; e.g. the variance over all frames,
    whose tail is lighter) above ``Q3 + CLIP_IQR * IQR`` of the bin. Returns the sums, shape (4, tiles, bins),
    and the IQR / median of ``judge`` per bin."""
    judge = y if judge is None else judge
    order = np.argsort(key, kind="stable")
    bin_of = np.empty(key.size, np.intp)
    keep = np.empty(key.size, bool)
    spread = np.empty(n_bins)
    for b, part in enumerate(np.array_split(order, n_bins)):
        v = judge[part]
        q1, q2, q3 = np.percentile(v, [25, 50, 75])
        bin_of[part] = b
        keep[part] = v <= q3 + CLIP_IQR * (q3 - q1)
        spread[b] = (q3 - q1) / q2 if q2 > 0 else np.inf
    idx = tile[keep] * n_bins + bin_of[keep]
    sums = [np.bincount(idx, weights=w, minlength=n_tiles * n_bins) for w in (None, x[keep], y[keep], c[keep])]
    return np.stack(sums).reshape(4, n_tiles, n_bins), spread


def _points(sums: list[np.ndarray], weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """Bin points for tile ``weights`` of shape (tiles,) or (replicates, tiles): mean level, corrected and raw
    mean variance, averaged over the pixel sets; and each set's (level, corrected variance)."""
    per_set = []
    for s in sums:
        count, sx, sy, sc = (weights @ s[k] for k in range(4))
        with np.errstate(invalid="ignore", divide="ignore"):
            per_set.append((sx / count, (sy - sc) / count, sy / count))
    x, y, raw = (np.mean([p[k] for p in per_set], axis=0) for k in range(3))
    return x, y, raw, [p[:2] for p in per_set]


def _excess(delta: float, replicates: np.ndarray, fraction: float = 0.5) -> float:
    """``fraction`` (default: half) of the disagreement ``delta`` of two sub-fits beyond what their sampling
    noise (the spread of the bootstrap ``replicates`` of ``delta``) explains: a systematic error, 0 when the noise
    explains it.

    Examples
    --------
    >>> _excess(1.0, np.zeros(100)), _excess(1.0, np.tile([-2.0, 2.0], 50))
    (0.5, 0.0)
    """
    reps = replicates[np.isfinite(replicates)]
    if not math.isfinite(delta) or reps.size < 10:
        return 0.0
    return fraction * math.sqrt(max(delta * delta - float(np.var(reps)), 0.0))


def _sd(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(np.std(values)) if values.size > 1 else math.inf


def _check_range(name: str, value: float) -> None:
    low, high, unit = LIMITS[name]
    if not (math.isfinite(value) and low <= value <= high):
        raise CalibrationError(f"the fit gives {name} = {value:.4g} {unit}, outside {low:g}..{high:g}: the data "
                               "does not look like raw camera counts (or pass offset= or dark=)")


def fit_moments(mean: np.ndarray, var: np.ndarray, n_frames: int, *, saturated: np.ndarray | None = None,
                offset: float | None = None, read_noise: float | None = None,
                dark: tuple[np.ndarray, np.ndarray] | None = None, seed: int = 0,
                cov: tuple[np.ndarray, np.ndarray] | None = None,
                halves: Sequence[PixelMoments] | None = None) -> Calibration:
    """Photon-transfer fit of per-pixel temporal means and variances (ADU, ADU²); see the module docstring.

    Parameters
    ----------
    mean, var : ndarray
        Per-pixel temporal mean and frame-difference variance of all frames (one image plane).
    n_frames : int
        Number of frames they come from.
    saturated : ndarray of bool, optional
        Pixels to leave out.
    offset, read_noise : float, optional
        A known offset (ADU) or read noise (electrons) pins the other one.
    dark : tuple of ndarray, optional
        (mean, variance) of dark frames: pins offset and read noise.
    seed : int
        Seed of the bootstrap.
    cov : tuple of ndarray, optional
        Mean covariance of each pixel's frame differences with its neighbours along x and along y: corrects the
        variances for changes that neighbouring pixels share (blinking, motion, flicker).
    halves : sequence of two PixelMoments, optional
        The moments of the first and the second half of the frames (they replace ``var`` and ``cov``): their
        disagreement measures changes over time, and, for data that is not a 2-D image, each half's pixels are
        binned by the other half's means (not by the same noisy means their variances come from).

    Returns
    -------
    Calibration
    """
    warnings: list[str] = []
    if n_frames < MIN_FRAMES:
        raise CalibrationError(f"a photon-transfer fit needs at least {MIN_FRAMES} frames of the same scene, got "
                               f"{n_frames}; record a movie (20+ frames recommended)")
    saturated = np.zeros(mean.shape, bool) if saturated is None else saturated
    runs = list(halves) if halves is not None else [PixelMoments(mean, var, *(cov or (None, None)))]
    corrected = mean.ndim == 2 and all(r.cov_x is not None and r.cov_y is not None for r in runs)
    valid = ~saturated & np.isfinite(mean)
    for r in runs:
        valid &= np.isfinite(r.mean) & np.isfinite(r.var)
        if corrected:
            valid &= np.isfinite(r.cov_x) & np.isfinite(r.cov_y)
    n_sat = int(saturated.sum())
    if n_sat:
        warnings.append(f"{n_sat} pixels ({100 * n_sat / saturated.size:.2g} %) reach saturation and were left out")

    # neighbours along both axes, or only along the one where they correlate less (see the module docstring)
    correlation: dict[str, float] = {}
    axis = None
    if corrected and valid.sum() >= 3 * MIN_PIXELS_PER_BIN:
        typical_var = float(np.median([r.var[valid] for r in runs]))
        for name in ("x", "y"):  # medians: a few moving objects must not decide it
            cov_median = float(np.median([getattr(r, f"cov_{name}")[valid] for r in runs]))
            correlation[name] = cov_median / typical_var if typical_var > 0 else 0.0
        weak = min(correlation, key=lambda k: abs(correlation[k]))
        strong = "y" if weak == "x" else "x"
        axis = weak if abs(correlation[strong]) - abs(correlation[weak]) > ANISOTROPY else "xy"
        key_image = _neighbour_mean(mean, valid, axis)
        if (valid & np.isfinite(key_image)).sum() >= 3 * MIN_PIXELS_PER_BIN:
            valid &= np.isfinite(key_image)
        else:  # too few pixels have neighbours (e.g. a single row along the chosen axis)
            axis, correlation = None, {}
    level = mean[valid].ravel()
    if level.size < 3 * MIN_PIXELS_PER_BIN:
        raise CalibrationError(f"only {level.size} unsaturated pixels: too few for a fit; use a larger region or "
                               "a less bright scene")
    n_bins = int(np.clip(level.size // 100, 3, MAX_BINS))
    tile, n_tiles = _tiles(mean.shape, valid)

    def shared(r: PixelMoments) -> np.ndarray:
        """The variance a pixel shares with its neighbours along the chosen axis (or both)."""
        if axis is None:
            return np.zeros(level.size)
        cov_map = (r.cov_x + r.cov_y) / 2 if axis == "xy" else getattr(r, f"cov_{axis}")
        return cov_map[valid].ravel()

    flat = [(r.mean[valid].ravel(), r.var[valid].ravel(), shared(r)) for r in runs]
    if axis:  # bin by the neighbours' level: independent of the pixel's own noise and own offset
        key = key_image[valid].ravel()
        sets = [(key, *f) for f in flat]
        binned_by = "the mean of their neighbours" + ("" if axis == "xy" else f" along {axis}")
    elif len(flat) == 2:  # bin by one half's mean, take the point from the other half
        sets = [(flat[1][0], *flat[0]), (flat[0][0], *flat[1])]
        binned_by = "their mean in the other half of the frames"
    else:
        sets = [(flat[0][0], *flat[0])]
        binned_by = "their own mean (biased: not a 2-D image and fewer than 6 frames)"
    # with one key for all sets, judge outliers once, by the variance over all frames (pooled from the halves)
    judge = var[valid].ravel() if axis else None
    binned = [_binned(*s, tile, n_tiles, n_bins, judge) for s in sets]
    sums = [b[0] for b in binned]
    spread = np.mean([b[1] for b in binned], axis=0)
    x, y, raw, per_set = _points(sums, np.ones(n_tiles))
    finite_spread = spread[np.isfinite(spread)]
    used = (spread <= 1.5 * (np.median(finite_spread) if finite_spread.size else np.inf)) & np.isfinite(x + y)
    if used.sum() < 3:
        raise CalibrationError("fewer than 3 level bins behave like photon noise (their variances scatter too "
                               "much): the scene changes too much between frames; use a static scene")
    if used.sum() < 0.5 * n_bins:
        warnings.append(f"only {int(used.sum())} of {n_bins} level bins behave like photon noise (the variances "
                        "of the others scatter widely: blinking, motion or focus changes); check the result")
    gain, intercept, used = _robust_line(x, y, used)
    xs, ys = x[used], y[used]
    if not gain > 0:
        raw_gain = _line(xs, raw[used])[0]
        if axis and raw_gain > 0:
            raise CalibrationError(f"the variance grows with the level (slope {raw_gain:.3g}) only through changes "
                                   "that neighbouring pixels share (without them the slope is "
                                   f"{gain:.3g}): the levels differ because of blinking, motion or flicker, not "
                                   "a static scene; calibrate on a static scene with dim and bright areas")
        raise CalibrationError(f"the variance does not grow with the signal (slope {gain:.3g}): the data cannot "
                               "support a fit; image a scene with a range of brightness, or data that is not "
                               "already processed (background-subtracted, denoised, averaged)")
    pred = gain * xs + intercept
    ss_tot = float(((ys - ys.mean()) ** 2).sum())
    r2 = 1.0 - float(((ys - pred) ** 2).sum()) / ss_tot if ss_tot > 0 else 0.0
    scatter = float(np.median(np.abs(ys - pred) / np.maximum(np.abs(pred), 1e-12)))

    # sub-fits whose disagreement measures systematic errors
    by_level = np.flatnonzero(used)[np.argsort(x[used], kind="stable")]
    low, high = by_level[: (len(by_level) + 1) // 2], by_level[len(by_level) // 2:]
    none = (math.nan, math.nan)

    def subfits(px: np.ndarray, py: np.ndarray, praw: np.ndarray, sets_xy: list) -> np.ndarray:
        """(slope, intercept) of: all points; the first, the second half of the frames; the dimmer, the brighter
        half of the levels; all points without the neighbour correction."""
        fits = [_line(px[used], py[used])]
        fits += [_line(sx[used], sy[used]) for sx, sy in sets_xy] if len(sets_xy) == 2 else [none, none]
        fits += [_line(px[low], py[low]), _line(px[high], py[high])] if len(by_level) >= 6 else [none, none]
        fits.append(_line(px[used], praw[used]) if axis else none)
        return np.array(fits)

    full = subfits(x, y, raw, per_set)
    full[0] = gain, intercept
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n_tiles, np.full(n_tiles, 1.0 / n_tiles), size=N_BOOT).astype(np.float64)
    bx, by, braw, bsets = _points(sums, weights)
    reps = np.array([subfits(bx[r], by[r], braw[r], [(sx[r], sy[r]) for sx, sy in bsets]) for r in range(N_BOOT)])

    def offsets(fits: np.ndarray) -> np.ndarray:
        """Offset of each line (slope, intercept) by the chosen method (NaN for a non-positive slope)."""
        g, c = fits[..., 0], fits[..., 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            xint = np.where(g > 0, -c / g, np.nan)
        return xint + g * read_noise**2 if read_noise is not None else xint

    def parts(est: np.ndarray, rep: np.ndarray) -> dict[str, float]:
        """The statistical and the three systematic parts of the uncertainty (see the module docstring)."""
        return {PARTS[0]: _sd(rep[:, 0]),
                PARTS[1]: _excess(est[2] - est[1], rep[:, 2] - rep[:, 1]),
                PARTS[2]: _excess(est[4] - est[3], rep[:, 4] - rep[:, 3]),
                PARTS[3]: _excess(est[5] - est[0], rep[:, 5] - rep[:, 0], CORRECTION_ERROR)}

    gains = full[:, 0]
    gain_parts = parts(gains, reps[:, :, 0])
    off_parts = parts(offsets(full), offsets(reps))
    stderr = math.sqrt(sum(v * v for v in gain_parts.values()))
    fit_off_err = math.sqrt(sum(v * v for v in off_parts.values()))
    warnings += _limit_warnings(n_frames, xs, gain, intercept, gains, gain_parts, r2)
    darkest = float(np.percentile(level, 0.1))
    xint = -intercept / gain
    # how far below an offset the darkest pixels' temporal means may lie by noise alone (0.1th percentile)
    dark_tolerance = 3.5 * math.sqrt(max(ys.min(), 1.0) / n_frames)

    def rn_at(off: float) -> float:
        return math.sqrt(max(intercept + gain * off, 0.0)) / gain

    upper: float | None = None
    if dark is not None:
        dmean, dvar = dark
        offset_value = float(np.median(dmean))
        q1, q3 = np.percentile(dvar, [25, 75])
        rn = math.sqrt(max(float(dvar[dvar <= q3 + 6 * (q3 - q1)].mean()), 0.0)) / gain
        method, what = "median level of the dark frames", "the dark frames' offset"
        off_err, off_parts = float(np.std(dmean) / math.sqrt(dmean.size)), {}
    elif offset is not None:
        offset_value, rn = float(offset), rn_at(float(offset))
        method, what, off_err, off_parts = "given", "the given offset", 0.0, {}
        if intercept + gain * offset_value < 0:
            warnings.append(f"the given offset {offset_value:g} ADU lies below the fitted x-intercept {xint:.1f} "
                            "ADU (negative read variance): read noise set to 0")
    elif read_noise is not None:
        rn = float(read_noise)
        offset_value = (gain * gain * rn * rn - intercept) / gain
        method, what = f"x-intercept shifted for the given read noise {rn:g} e-", "the offset"
        off_err = fit_off_err
    else:
        offset_value, rn = xint, 0.0
        method, what = "x-intercept of the fit (read noise taken as 0; a lower bound)", "the fitted offset"
        off_err = fit_off_err
        upper = rn_at(darkest) if darkest > xint else None
    if darkest < offset_value - dark_tolerance - (2 * off_err if dark is None and offset is None else 0.0):
        warnings.append(f"the darkest pixels ({darkest:.1f} ADU) lie below {what} ({offset_value:.1f} ADU): a "
                        "spread of per-pixel offsets, a non-linear response, or "
                        + ("a given offset that is too high; check it, or measure it with dark frames (dark=PATH)"
                           if offset is not None else "dark frames (dark=PATH) pin the offset better"))
    _check_range("gain", gain)
    _check_range("offset", offset_value)
    points = [(float(a), float(b), bool(u)) for a, b, u in zip(x, y, used, strict=True)]
    return Calibration(offset_value, gain, rn, method, intercept, r2, scatter, stderr, off_err, int(used.sum()),
                       n_bins, int(level.size), n_frames, (float(xs.min()), float(xs.max())), darkest, upper, n_sat,
                       warnings, points, gain_stderr_parts=gain_parts, offset_stderr_parts=off_parts,
                       binned_by=binned_by, neighbour_correlation=correlation, correction_axis=axis,
                       gain_uncorrected=float(gains[5]) if axis else None)


def _limit_warnings(n_frames: int, xs: np.ndarray, gain: float, intercept: float, gains: np.ndarray,
                    parts: dict[str, float], r2: float) -> list[str]:
    """Warnings that say which limit of the data makes the gain uncertain, and what to do about it."""
    out = []
    if n_frames < FEW_FRAMES:
        out.append(f"only {n_frames} frames: each pixel's variance rests on {n_frames - 1} or fewer frame "
                   "differences, so the fit is noisy, one frame with blinking or motion weighs heavily, and the "
                   "two halves of the movie (compared to detect changes over time) are short (the +- includes "
                   "what the data shows of this); 20 or more frames of a static scene are better")
    lo, hi = float(xs.min()), float(xs.max())
    rise = gain * (hi - lo) / max(gain * lo + intercept, 1e-12)
    stat, frames, levels, correlated = (parts[k] for k in PARTS)

    def share(part: float) -> str:
        return f"the gain is uncertain by +-{100 * part / gain:.0f} % from this"

    if stat > SE_WARN * gain:
        out.append(f"too little signal range: the fitted levels span only {hi - lo:.3g} ADU ({lo:.1f}..{hi:.1f}), "
                   f"over which the variance grows by {100 * rise:.0f} %, too little against the noise of the "
                   f"per-pixel variances: {share(stat)}; image a scene with dim and bright areas (or record more "
                   "frames)")
    if frames > SE_WARN * gain:
        out.append(f"the first and the second half of the frames give gains {gains[1]:.3g} and {gains[2]:.3g} "
                   "ADU/e-, further apart than their noise explains: the scene or its illumination changes over "
                   f"time (bleaching, blinking, drift, focus); {share(frames)}; use a static scene")
    if levels > SE_WARN * gain:
        why = ("blinking or moving objects add variance where the scene is bright, or the response is not linear"
               if gains[4] > gains[3] else "the response flattens towards saturation, or blinking or moving "
               "objects dominate the dimmer levels")
        out.append(f"the variance grows {'faster' if gains[4] > gains[3] else 'slower'} than linearly with the "
                   f"level: the dimmer half of the levels gives gain {gains[3]:.3g}, the brighter half "
                   f"{gains[4]:.3g} ADU/e- ({why}); {share(levels)}; use a static scene")
    if correlated > SE_WARN * gain:
        out.append(f"blinking, motion or flicker dominate: neighbouring pixels change together between frames, "
                   f"which photon noise never does; without removing that shared part the gain would be "
                   f"{gains[5]:.3g} ADU/e- instead of {gain:.3g}, and the removal is approximate (to about "
                   f"{100 * CORRECTION_ERROR:.0f} %): "
                   f"{share(correlated)}; use a static scene (a fixed sample, a fluorescent slide)")
    if r2 < 0.9 and stat <= SE_WARN * gain:
        out.append(f"the points scatter about the line (R^2 {r2:.2f}) more than photon noise explains: check the "
                   "result")
    return out


def calibrate_array(frames: np.ndarray, *, dark: np.ndarray | None = None, offset: float | None = None,
                    read_noise: float | None = None, saturation: float | None = None) -> Calibration:
    """:func:`calibrate` for an in-memory stack ``(frames, Y, X)`` (leading axes are flattened), with optional
    in-memory ``dark`` frames."""
    moments = []
    for stack, halves in ((frames, True), (dark, False)):
        if stack is None:
            continue
        stack = np.asarray(stack)
        if stack.ndim < 3:
            raise CalibrationError(f"a photon-transfer fit needs a movie (frames, Y, X); got one image of shape "
                                   f"{stack.shape}")
        stack = stack.reshape(-1, *stack.shape[-2:])
        m = _Moments(stack.shape[-2:], _saturation(stack.dtype, saturation), _split(len(stack)) if halves else None)
        m.add(stack)
        moments.append(m)
    if dark is not None and moments[1].sum.shape != moments[0].sum.shape:
        raise CalibrationError("the dark frames and the movie must have the same image shape")
    return _fit(moments[0], moments[1] if dark is not None else None, offset=offset, read_noise=read_noise)


def _saturation(dtype: np.dtype, saturation: float | None) -> float:
    if saturation is not None:
        return float(saturation)
    return float(np.iinfo(dtype).max) if np.dtype(dtype).kind in "ui" else math.inf


def _split(n_frames: int) -> int | None:
    """Where the movie is cut into its two halves (None: too few frames for two halves of 3 or more)."""
    return n_frames // 2 if n_frames >= SPLIT_FRAMES else None


def _fit(moments: _Moments, dark: _Moments | None = None, **kwargs) -> Calibration:
    if moments.n < MIN_FRAMES:
        raise CalibrationError(f"a photon-transfer fit needs at least {MIN_FRAMES} frames of the same scene, got "
                               f"{moments.n}; record a movie (20+ frames recommended)")
    halves = moments.halves()
    pooled = moments.pooled(halves)
    if dark is not None:
        if dark.n < MIN_FRAMES:
            raise CalibrationError(f"the dark stack needs at least {MIN_FRAMES} frames, got {dark.n}")
        kwargs["dark"] = dark.mean_var()
    cov = (pooled.cov_x, pooled.cov_y) if pooled.cov_x is not None and pooled.cov_y is not None else None
    return fit_moments(pooled.mean, pooled.var, moments.n, saturated=moments.saturated, cov=cov, halves=halves,
                       **kwargs)


def _moments_of(path: str | os.PathLike, max_frames: int | None, saturation: float | None,
                halves: bool = True) -> tuple[_Moments, str, int | None]:
    """The moments of a movie, its name, and the saturation value its file states (None: none); pixels reaching
    ``saturation`` (by default the file's, else the dtype's maximum) are left out."""
    with open_source(path) as src:
        stated = src.saturation.value if src.saturation is not None else None
        if saturation is None:
            saturation = stated
        if src.n_planes < MIN_FRAMES:
            raise CalibrationError(f"{src.path} holds {src.n_planes} image(s) of shape {src.shape}; a "
                                   f"photon-transfer fit needs a movie of at least {MIN_FRAMES} frames of the same "
                                   "scene (20+ recommended)")
        total = src.n_planes if max_frames is None else min(src.n_planes, max_frames)
        moments = _Moments(src.plane_shape, _saturation(src.dtype, saturation), _split(total) if halves else None)
        for block in _frames(src, max_frames):
            moments.add(block)
        return moments, src.path, stated


def calibrate(path: str | os.PathLike, *, dark: str | os.PathLike | None = None, offset: float | None = None,
              read_noise: float | None = None, max_frames: int | None = 1000,
              saturation: float | None = None) -> Calibration:
    """Estimate a camera's offset, gain and read noise from a movie (any input :func:`~.sources.open_source` reads).

    Parameters
    ----------
    path : path
        A movie of a mostly static scene with a range of brightness (leading axes are read as frames).
    dark : path, optional
        Frames taken without light: pins the offset and read noise.
    offset, read_noise : float, optional
        Known offset (ADU) or read noise (electrons) to pin the other one (see the module docstring).
    max_frames : int, optional
        Use at most this many frames (the first ones).
    saturation : float, optional
        The camera's saturation value (ADU): pixels reaching it are left out, and an integer one is stored with the
        result for ``convert``. By default the value the file states (TIFF MaxSampleValue or BitsPerSample, the
        ``.seq`` real bit depth, FITS SATURATE or DATAMAX), else the dtype's maximum.

    Returns
    -------
    Calibration
        ``.camera()`` gives the codec parameters, ``.to_json()`` the file ``convert --calibration`` reads;
        ``.gain_stderr`` and ``.offset_stderr`` combine the statistical and systematic parts listed in
        ``.gain_stderr_parts`` and ``.offset_stderr_parts``, and ``.warnings`` says what limits the result.
    """
    if sum(v is not None for v in (dark, offset, read_noise)) > 1:
        raise ValueError("give at most one of dark, offset and read_noise")
    moments, name, stated = _moments_of(path, max_frames, saturation)
    dark_moments = _moments_of(dark, max_frames, saturation or stated, halves=False)[0] if dark is not None else None
    if dark_moments is not None and dark_moments.sum.shape != moments.sum.shape:
        raise CalibrationError(f"the dark frames have shape {dark_moments.sum.shape}, the movie "
                               f"{moments.sum.shape}; they must come from the same camera region")
    cal = _fit(moments, dark_moments, offset=offset, read_noise=read_noise)
    cal.input = name
    if saturation is not None and float(saturation).is_integer():
        cal.saturation = int(saturation)
    elif saturation is None:
        cal.saturation = stated
    return cal
