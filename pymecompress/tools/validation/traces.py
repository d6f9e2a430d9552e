"""ROI mean traces of a calcium-imaging (or any time-lapse) movie, from the original and from the decoded frames:
how well each decoded trace follows its original (correlation) and how much its dF/F changed, in units of the
trace's own frame-to-frame noise.

ROIs are what moves together: each pixel's temporal correlation with its four neighbours (the local correlation
image calcium-imaging pipelines seed their cells from), thresholded at its mean plus two standard deviations and
labelled into connected regions of at least :data:`MIN_PIXELS` pixels with scipy.ndimage; without such regions, the
16 x 16 blocks of the frame. A trace is the mean of the ROI's pixels less the camera offset; ``F0`` its 10th
percentile, ``dF/F = (F - F0) / F0``.
"""

from __future__ import annotations

import numpy as np

from ...camera import CameraModel
from .analysis import AnalysisResult, Figure, library_version

MIN_PIXELS = 8
MAX_ROIS = 100
GRID = 16


def correlation_image(movie: np.ndarray) -> np.ndarray:
    """Each pixel's mean temporal correlation with its four neighbours (edges: the neighbours it has)."""
    x = movie.astype(np.float64)
    x -= x.mean(axis=0)
    x /= np.maximum(x.std(axis=0), 1e-12)
    total = np.zeros(x.shape[1:])
    count = np.zeros(x.shape[1:])
    right = (x[:, :, :-1] * x[:, :, 1:]).mean(axis=0)  # each pixel with its right-hand neighbour
    down = (x[:, :-1, :] * x[:, 1:, :]).mean(axis=0)  # ... and the one below
    for pair, first, second in ((right, np.s_[:, :-1], np.s_[:, 1:]), (down, np.s_[:-1, :], np.s_[1:, :])):
        total[first] += pair
        total[second] += pair
        count[first] += 1
        count[second] += 1
    return total / np.maximum(count, 1)


def rois(movie: np.ndarray) -> tuple[np.ndarray, str]:
    """Label image of the ROIs (0: none) and how they were found."""
    from scipy import ndimage

    corr = correlation_image(movie)
    mask = corr > corr.mean() + 2 * corr.std()
    labels, n = ndimage.label(mask)
    if n:
        sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, n + 1))
        keep = np.argsort(sizes)[::-1][:MAX_ROIS]
        keep = keep[sizes[keep] >= MIN_PIXELS] + 1
        if keep.size:
            lookup = np.zeros(n + 1, int)
            lookup[keep] = np.arange(1, keep.size + 1)
            return lookup[labels], "regions of correlated pixels"
    ny, nx = movie.shape[1:]
    yy, xx = np.indices((ny, nx))
    grid = (yy // GRID) * (-(-nx // GRID)) + xx // GRID + 1
    return grid, f"the {GRID} x {GRID} blocks (no region of correlated pixels)"


def _traces(movie: np.ndarray, labels: np.ndarray, offset: float) -> np.ndarray:
    from scipy import ndimage

    index = np.arange(1, labels.max() + 1)
    return np.array([ndimage.mean(frame.astype(np.float64) - offset, labels, index) for frame in movie]).T


def _dff(trace: np.ndarray) -> np.ndarray:
    f0 = np.percentile(trace, 10, axis=1, keepdims=True)
    return (trace - f0) / np.where(np.abs(f0) > 1e-9, f0, 1e-9)


def run(original: np.ndarray, decoded: np.ndarray, camera: CameraModel) -> AnalysisResult:
    """Traces of the ROIs of ``original`` (a movie: frames along the first axes) in both."""
    movie = original.reshape(-1, *original.shape[-2:])
    out = decoded.reshape(movie.shape)
    if len(movie) < 3:
        return AnalysisResult("traces", "scipy.ndimage", 0, 0, 0,
                              notes=["traces need a movie of at least 3 frames"])
    labels, how = rois(movie)
    a, b = _traces(movie, labels, camera.offset), _traces(out, labels, camera.offset)
    da, db = _dff(a), _dff(b)
    noise = np.std(np.diff(da, axis=1), axis=1) / np.sqrt(2)  # frame-to-frame noise of each dF/F trace
    change = np.abs(db - da) / np.maximum(noise, 1e-12)[:, None]
    corr = np.array([np.corrcoef(x, y)[0, 1] if x.std() > 0 and y.std() > 0 else 1.0 for x, y in zip(a, b,
                                                                                                      strict=True)])
    figures = [Figure("trace correlation, median", float(np.median(corr)), ""),
               Figure("trace correlation, lowest", float(corr.min()), ""),
               Figure("dF/F change, mean |.|", float(change.mean()), "trace noise"),
               Figure("dF/F change, largest", float(change.max()), "trace noise")]
    return AnalysisResult("traces", library_version("scipy") + " (ndimage)", int(labels.max()), 0, 0, figures,
                          [f"ROIs: {how}"], {"labels": labels, "original": da[:8], "decoded": db[:8]})
