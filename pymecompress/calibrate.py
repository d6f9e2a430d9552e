"""``pymecompress calibrate``: camera offset, gain and read noise from a movie, by a photon-transfer fit.

**Method.** A camera pixel reads ``offset + gain * (photo-electrons) + read noise``, so its temporal variance
grows linearly with its mean: ``var = gain * (mean - offset) + gain**2 * read_noise**2`` (ADU², ADU).

1. Stream the frames once and keep, per pixel, the temporal mean and the variance of **successive frame
   differences** ``d = f[t+1] - f[t]``: ``var = sum((d - mean(d))**2) / (2 (n - 1/n))`` for ``n`` differences.
   Differences cancel the static scene, and removing ``mean(d)`` cancels a linear drift; the divisor makes the
   estimate unbiased for a stationary pixel (successive differences share a frame).
2. Leave out pixels that reach saturation. Sort the pixels into bins of equal count by their mean level; in each
   bin take the median level and the mean variance after dropping outliers above ``Q3 + 6 IQR`` (a molecule
   blinking on, a cell moving through).
3. Keep the bins whose spread of per-pixel variances (``IQR / median``) is at most 1.5 x the median spread:
   where blinking, motion or focus changes dominate, the variances scatter far more than photon noise does.
4. Fit a line to the kept bins with the **Theil-Sen** estimator (the median of pairwise slopes, numpy only):
   the slope is the gain, the intercept ``c = gain**2 read_noise**2 - gain * offset``. Its quality is reported
   as R², the median relative residual, the number of points, and the bootstrap standard error of the gain.
5. **Offset and read noise.** One line cannot separate them: every (offset, read noise) pair on it predicts the
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
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .camera import LIMITS
from .sources import open_source

MIN_FRAMES = 3
MIN_PIXELS_PER_BIN = 20


class CalibrationError(ValueError):
    """The data cannot support a photon-transfer fit (too few frames, no signal range, no positive slope)."""


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

    def camera(self) -> dict[str, float]:
        """``offset``, ``gain``, ``read_noise`` for :class:`pymecompress.CameraModel` or the codecs."""
        return {"offset": self.offset, "gain": self.gain, "read_noise": self.read_noise}

    def to_json(self) -> dict[str, Any]:
        """JSON-clean dict; ``pymecompress convert --calibration`` reads its ``offset``, ``gain``, ``read_noise``."""
        d = asdict(self)
        fit = {k: d.pop(k) for k in ("intercept", "r2", "residual_scatter", "gain_stderr", "offset_stderr",
                                     "n_points", "n_bins", "n_pixels", "n_frames", "level_range", "darkest_level",
                                     "read_noise_upper", "saturated_pixels", "points")}
        fit["method"] = "Theil-Sen line through binned (temporal mean, frame-difference variance) points"
        fit["points"] = [[round(x, 3), round(y, 3), bool(u)] for x, y, u in fit["points"]]
        from . import __version__

        return {"offset": d.pop("offset"), "gain": d.pop("gain"), "read_noise": d.pop("read_noise"),
                "units": {"offset": "ADU", "gain": "ADU per electron", "read_noise": "electrons"},
                **d, "fit": fit, "software": f"pymecompress {__version__}"}

    def format(self) -> str:
        """Human-readable report."""
        lo, hi = self.level_range
        lines = [
            f"input       : {self.input} ({self.n_frames} frames, {self.n_pixels} pixels used)",
            f"gain        : {self.gain:.4g} ADU/e- (+- {self.gain_stderr:.2g})",
            f"offset      : {self.offset:.1f} ADU (+- {self.offset_stderr:.2g}; {self.offset_method})",
            f"read noise  : {self.read_noise:.3g} e-"
            + (f" (<= {self.read_noise_upper:.3g} e- if the darkest pixels, at {self.darkest_level:.1f} ADU, got "
               "no light)" if self.read_noise_upper is not None else ""),
            f"fit         : R^2 {self.r2:.3f}, median residual {100 * self.residual_scatter:.1f} %, "
            f"{self.n_points} of {self.n_bins} level bins used, levels {lo:.1f}..{hi:.1f} ADU",
        ]
        lines += [f"warning     : {w}" for w in self.warnings]
        return "\n".join(lines)


class _Moments:
    """Per-pixel running sums of frames and of successive frame differences."""

    def __init__(self, plane_shape: tuple[int, int], saturation: float):
        self.sum = np.zeros(plane_shape)
        self.dsum = np.zeros(plane_shape)
        self.dsq = np.zeros(plane_shape)
        self.saturated = np.zeros(plane_shape, dtype=bool)
        self.saturation = saturation
        self.n = 0
        self._last: np.ndarray | None = None

    def add(self, frames: np.ndarray) -> None:
        for frame in frames:
            f = frame.astype(np.float64)
            self.saturated |= frame >= self.saturation
            self.sum += f
            if self._last is not None:
                d = f - self._last
                self.dsum += d
                self.dsq += d * d
            self._last = f
            self.n += 1

    def mean_var(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.n - 1
        var = (self.dsq - self.dsum**2 / n) / (2.0 * (n - 1.0 / n))
        return self.sum / self.n, var


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


def _bins(level: np.ndarray, var: np.ndarray, n_bins: int) -> np.ndarray:
    """Rows (mean level and mean variance of the pixels left after clipping variance outliers, IQR / median of
    the variances) of equal-count bins."""
    order = np.argsort(level, kind="stable")
    rows = []
    for part in np.array_split(order, n_bins):
        v = var[part]
        q1, q2, q3 = np.percentile(v, [25, 50, 75])
        kept = v[v <= q3 + 6 * (q3 - q1)]
        x = float(level[part][v <= q3 + 6 * (q3 - q1)].mean())
        rows.append((x, float(kept.mean()), float((q3 - q1) / q2) if q2 > 0 else np.inf))
    return np.array(rows)


def _check_range(name: str, value: float) -> None:
    low, high, unit = LIMITS[name]
    if not (math.isfinite(value) and low <= value <= high):
        raise CalibrationError(f"the fit gives {name} = {value:.4g} {unit}, outside {low:g}..{high:g}: the data "
                               "does not look like raw camera counts (or pass --offset / --dark)")


def fit_moments(mean: np.ndarray, var: np.ndarray, n_frames: int, *, saturated: np.ndarray | None = None,
                offset: float | None = None, read_noise: float | None = None,
                dark: tuple[np.ndarray, np.ndarray] | None = None, seed: int = 0) -> Calibration:
    """Photon-transfer fit of per-pixel temporal means and variances (ADU, ADU²); see the module docstring.

    ``dark`` is (mean, variance) of dark frames; ``offset`` / ``read_noise`` pin one of them instead.
    """
    warnings: list[str] = []
    if n_frames < MIN_FRAMES:
        raise CalibrationError(f"a photon-transfer fit needs at least {MIN_FRAMES} frames of the same scene, got "
                               f"{n_frames}; record a movie (20+ frames recommended)")
    if n_frames < 10:
        warnings.append(f"only {n_frames} frames: per-pixel variances are noisy, 20 or more frames are better")
    saturated = np.zeros(mean.shape, bool) if saturated is None else saturated
    valid = ~saturated & np.isfinite(var) & np.isfinite(mean)
    n_sat = int(saturated.sum())
    if n_sat:
        warnings.append(f"{n_sat} pixels ({100 * n_sat / saturated.size:.2g} %) reach saturation and were left out")
    level, v = mean[valid].ravel(), var[valid].ravel()
    if level.size < 3 * MIN_PIXELS_PER_BIN:
        raise CalibrationError(f"only {level.size} unsaturated pixels: too few for a fit; use a larger region or "
                               "a less bright scene")
    n_bins = int(np.clip(level.size // 100, 3, 40))
    rows = _bins(level, v, n_bins)
    x, y, spread = rows.T
    finite_spread = spread[np.isfinite(spread)]
    used = spread <= 1.5 * (np.median(finite_spread) if finite_spread.size else np.inf)
    if used.sum() < 3:
        raise CalibrationError("fewer than 3 level bins behave like photon noise (their variances scatter too "
                               "much): the scene changes too much between frames; use a static scene")
    if used.sum() < 0.5 * n_bins:
        warnings.append(f"only {int(used.sum())} of {n_bins} level bins behave like photon noise (blinking, "
                        "motion or focus changes elsewhere): check the result")
    gain, intercept = theil_sen(x[used], y[used])
    for _ in range(20):  # reject points off the line (blinking-dominated levels) and refit
        rel = (y - (gain * x + intercept)) / np.maximum(np.abs(gain * x + intercept), 1e-12)
        scale = 1.4826 * float(np.median(np.abs(rel[used])))
        keep = used & (np.abs(rel) <= max(3.0 * scale, 0.02))
        if keep.sum() < 3 or (keep == used).all():
            break
        used = keep
        gain, intercept = theil_sen(x[used], y[used])
    xs, ys = x[used], y[used]
    if not gain > 0:
        raise CalibrationError(f"the variance does not grow with the signal (slope {gain:.3g}): the data cannot "
                               "support a fit; image a scene with a range of brightness, or data that is not "
                               "already processed (background-subtracted, denoised, averaged)")
    pred = gain * xs + intercept
    ss_tot = float(((ys - ys.mean()) ** 2).sum())
    r2 = 1.0 - float(((ys - pred) ** 2).sum()) / ss_tot if ss_tot > 0 else 0.0
    scatter = float(np.median(np.abs(ys - pred) / np.maximum(np.abs(pred), 1e-12)))
    rng = np.random.default_rng(seed)
    boot = []
    for _ in range(200):
        k = rng.integers(0, len(xs), len(xs))
        if np.ptp(xs[k]) > 0:
            boot.append(theil_sen(xs[k], ys[k]))
    slopes, intercepts = np.array(boot).T if boot else (np.array([math.inf]), np.array([math.inf]))
    stderr = float(np.std(slopes))
    ok = slopes > 0
    xint_stderr = float(np.std(-intercepts[ok] / slopes[ok])) if ok.sum() > 1 else math.inf
    if stderr > 0.1 * gain:
        warnings.append(f"too little signal range (levels {xs.min():.1f}..{xs.max():.1f} ADU): the gain is "
                        f"uncertain by +-{100 * stderr / gain:.0f} %; image a scene with dim and bright areas")
    if r2 < 0.9:
        warnings.append(f"the points do not lie on a line (R^2 {r2:.2f}): check the result")
    darkest = float(np.percentile(level, 0.1))

    def rn_at(off: float) -> float:
        return math.sqrt(max(intercept + gain * off, 0.0)) / gain

    if dark is not None:
        dmean, dvar = dark
        offset_value = float(np.median(dmean))
        q1, q3 = np.percentile(dvar, [25, 75])
        rn = math.sqrt(max(float(dvar[dvar <= q3 + 6 * (q3 - q1)].mean()), 0.0)) / gain
        method = "median level of the dark frames"
        off_err = float(np.std(dmean) / math.sqrt(dmean.size))
    elif offset is not None:
        offset_value, rn = float(offset), rn_at(float(offset))
        method, off_err = "given", 0.0
        if intercept + gain * offset_value < 0:
            warnings.append(f"the given offset {offset_value:g} lies below the fitted x-intercept "
                            f"{-intercept / gain:.1f} ADU (negative read variance): read noise set to 0")
    elif read_noise is not None:
        rn = float(read_noise)
        offset_value = (gain * gain * rn * rn - intercept) / gain
        method, off_err = f"x-intercept shifted for the given read noise {rn:g} e-", xint_stderr
    else:
        offset_value, rn = -intercept / gain, 0.0
        method, off_err = "x-intercept of the fit (read noise taken as 0; a lower bound)", xint_stderr
    upper = rn_at(darkest) if darkest > -intercept / gain else None
    if darkest < -intercept / gain - 3 * math.sqrt(max(ys.min(), 1.0) / n_frames):
        warnings.append(f"the darkest pixels ({darkest:.1f} ADU) lie below the fitted offset "
                        f"({-intercept / gain:.1f} ADU): a non-linear response or a spread of per-pixel offsets; "
                        "dark frames (--dark) pin the offset better")
    _check_range("gain", gain)
    _check_range("offset", offset_value)
    points = [(float(a), float(b), bool(u)) for a, b, u in zip(x, y, used, strict=True)]
    return Calibration(offset_value, gain, rn, method, intercept, r2, scatter, stderr, off_err, int(used.sum()),
                       n_bins, int(level.size), n_frames, (float(xs.min()), float(xs.max())), darkest, upper, n_sat,
                       warnings, points)


def calibrate_array(frames: np.ndarray, *, dark: np.ndarray | None = None, offset: float | None = None,
                    read_noise: float | None = None, saturation: float | None = None) -> Calibration:
    """:func:`calibrate` for an in-memory stack ``(frames, Y, X)`` (leading axes are flattened), with optional
    in-memory ``dark`` frames."""
    moments = []
    for stack in (frames, dark):
        if stack is None:
            continue
        stack = np.asarray(stack)
        if stack.ndim < 3:
            raise CalibrationError(f"a photon-transfer fit needs a movie (frames, Y, X); got one image of shape "
                                   f"{stack.shape}")
        stack = stack.reshape(-1, *stack.shape[-2:])
        m = _Moments(stack.shape[-2:], _saturation(stack.dtype, saturation))
        m.add(stack)
        moments.append(m)
    if dark is not None and moments[1].sum.shape != moments[0].sum.shape:
        raise CalibrationError("the dark frames and the movie must have the same image shape")
    return _fit(moments[0], moments[1] if dark is not None else None, offset=offset, read_noise=read_noise)


def _saturation(dtype: np.dtype, saturation: float | None) -> float:
    if saturation is not None:
        return float(saturation)
    return float(np.iinfo(dtype).max) if np.dtype(dtype).kind in "ui" else math.inf


def _fit(moments: _Moments, dark: _Moments | None = None, **kwargs) -> Calibration:
    if moments.n < MIN_FRAMES:
        raise CalibrationError(f"a photon-transfer fit needs at least {MIN_FRAMES} frames of the same scene, got "
                               f"{moments.n}; record a movie (20+ frames recommended)")
    mean, var = moments.mean_var()
    if dark is not None:
        if dark.n < MIN_FRAMES:
            raise CalibrationError(f"the dark stack needs at least {MIN_FRAMES} frames, got {dark.n}")
        kwargs["dark"] = dark.mean_var()
    return fit_moments(mean, var, moments.n, saturated=moments.saturated, **kwargs)


def _moments_of(path: str | os.PathLike, max_frames: int | None, saturation: float | None) -> tuple[_Moments, str]:
    with open_source(path) as src:
        if src.n_planes < MIN_FRAMES:
            raise CalibrationError(f"{src.path} holds {src.n_planes} image(s) of shape {src.shape}; a "
                                   f"photon-transfer fit needs a movie of at least {MIN_FRAMES} frames of the same "
                                   "scene (20+ recommended)")
        moments = _Moments(src.plane_shape, _saturation(src.dtype, saturation))
        for block in _frames(src, max_frames):
            moments.add(block)
        return moments, src.path


def calibrate(path: str | os.PathLike, *, dark: str | os.PathLike | None = None, offset: float | None = None,
              read_noise: float | None = None, max_frames: int | None = 1000,
              saturation: float | None = None) -> Calibration:
    """Estimate a camera's offset, gain and read noise from a movie (TIFF, folder of frames, ``.npy``).

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
        Pixels reaching this value are left out (default: the dtype's maximum).

    Returns
    -------
    Calibration
        ``.camera()`` gives the codec parameters, ``.to_json()`` the file ``convert --calibration`` reads.
    """
    if sum(v is not None for v in (dark, offset, read_noise)) > 1:
        raise ValueError("give at most one of --dark, --offset and --read-noise")
    moments, name = _moments_of(path, max_frames, saturation)
    dark_moments = _moments_of(dark, max_frames, saturation)[0] if dark is not None else None
    if dark_moments is not None and dark_moments.sum.shape != moments.sum.shape:
        raise CalibrationError(f"the dark frames have shape {dark_moments.sum.shape}, the movie "
                               f"{moments.sum.shape}; they must come from the same camera region")
    cal = _fit(moments, dark_moments, offset=offset, read_noise=read_noise)
    cal.input = name
    return cal
