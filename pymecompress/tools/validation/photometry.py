"""Source detection and aperture photometry with sep (Source Extractor's algorithms as a library), on the original
and on the decoded frames alike: the sky background and its change, the sources found in one and not the other,
and for the sources of both, the change of their aperture flux in units of its error and of their centroid in
units of its error.

Per frame: ``sep.Background`` (Source Extractor's mesh background), ``sep.extract`` on the frame less it
(``threshold`` times the background rms, ``minarea`` pixels), then ``sep.sum_circle`` in circles of ``radius``
pixels at the original's positions, with the background rms and the camera's gain (electrons per ADU) for the
errors. Sources are matched within one pixel.
"""

from __future__ import annotations

import numpy as np

from ...camera import CameraModel
from .analysis import AnalysisResult, Figure, library_version, match

THRESHOLD = 5.0
"""Detection threshold in background rms (sep.extract's ``thresh`` with ``err``)."""
MINAREA = 5
RADIUS = 4.0
"""Aperture radius, pixels."""
MATCH = 1.0
"""Sources of the original and the decoded frame within this many pixels are the same source."""


def _measure(frame: np.ndarray, camera: CameraModel):
    import sep

    data = np.ascontiguousarray(frame, dtype=np.float64)
    background = sep.Background(data)
    sub = data - background.back()
    objects = sep.extract(sub, THRESHOLD, err=background.globalrms, minarea=MINAREA)
    return background, sub, objects


def run(original: np.ndarray, decoded: np.ndarray, camera: CameraModel) -> AnalysisResult:
    """Photometry of every plane of ``original`` and ``decoded`` (stacks of one shape)."""
    import sep

    planes = original.reshape(-1, *original.shape[-2:])
    out = decoded.reshape(planes.shape)
    found = lost = gained = 0
    back_shift, flux_change, centroid_change, fluxes = [], [], [], []
    for a, b in zip(planes, out, strict=True):
        bg_a, sub_a, obj_a = _measure(a, camera)
        bg_b, sub_b, obj_b = _measure(b, camera)
        back_shift.append((bg_b.globalback - bg_a.globalback) / max(bg_a.globalrms, 1e-12))
        pa = np.column_stack([obj_a["x"], obj_a["y"]]) if len(obj_a) else np.zeros((0, 2))
        pb = np.column_stack([obj_b["x"], obj_b["y"]]) if len(obj_b) else np.zeros((0, 2))
        ia, ib = match(pa, pb, MATCH)
        found += len(obj_a)
        lost += len(obj_a) - len(ia)
        gained += len(obj_b) - len(ib)
        if not len(obj_a):
            continue
        x, y = obj_a["x"], obj_a["y"]
        gain = 1.0 / camera.gain  # sep takes electrons per ADU
        flux_a, err_a, _ = sep.sum_circle(sub_a, x, y, RADIUS, err=bg_a.globalrms, gain=gain)
        flux_b, _, _ = sep.sum_circle(sub_b, x, y, RADIUS, err=bg_b.globalrms, gain=gain)
        flux_change.append((flux_b - flux_a) / np.maximum(err_a, 1e-12))
        fluxes.append(flux_a)
        if len(ia):
            # the centroid's error: its second moment's variance, errx2 / erry2, from sep
            ex = np.sqrt(np.maximum(obj_a["errx2"][ia], 1e-12))
            ey = np.sqrt(np.maximum(obj_a["erry2"][ia], 1e-12))
            dx = (obj_b["x"][ib] - obj_a["x"][ia]) / ex
            dy = (obj_b["y"][ib] - obj_a["y"][ia]) / ey
            centroid_change.append(np.hypot(dx, dy))
    flux = np.concatenate(flux_change) if flux_change else np.zeros(0)
    centroid = np.concatenate(centroid_change) if centroid_change else np.zeros(0)
    figures = [Figure("sky background (sep.Background) shift", float(np.mean(back_shift)), "rms")]
    notes = []
    if flux.size:
        figures += [Figure("aperture flux change, mean", float(flux.mean()), "flux errors"),
                    Figure("aperture flux change, mean |.|", float(np.abs(flux).mean()), "flux errors")]
    else:
        notes.append(f"no source above {THRESHOLD:g} x the background rms in the original: only the background "
                     "was compared")
    if centroid.size:
        figures.append(Figure("centroid shift, median", float(np.median(centroid)), "centroid errors"))
    return AnalysisResult("photometry", library_version("sep"), found, lost, gained, figures, notes,
                          {"flux": np.concatenate(fluxes) if fluxes else np.zeros(0), "flux_change": flux,
                           "centroid_change": centroid})
