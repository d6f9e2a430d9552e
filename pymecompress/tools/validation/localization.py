"""Spot detection and sub-pixel localization with trackpy (the particle-tracking library of single-molecule and
single-particle work), on the original and on the decoded frames alike: the spots found in one and not the other,
and for the spots of both, the shift of their position in units of trackpy's localization precision (its static
error ``ep``) and the change of their mass.

Per frame: the noise of trackpy's band-pass image (a robust spread, ``1.4826 x MAD``), ``trackpy.locate`` with
``diameter`` pixels and ``threshold`` at 3 times it, spots kept when their band-passed peak (``signal``) is at least
:data:`MIN_SNR` times it. Spots are matched within one pixel.
"""

from __future__ import annotations

import warnings

import numpy as np

from ...camera import CameraModel
from .analysis import AnalysisResult, Figure, library_version, match

DIAMETER = 7
"""Spot diameter for trackpy, pixels (odd): single molecules imaged at about 100 nm per pixel."""
MIN_SNR = 5.0
MATCH = 1.0


def _spots(frame: np.ndarray, diameter: int):
    import trackpy

    image = np.asarray(frame, dtype=np.float64)
    band = trackpy.bandpass(image, 1, diameter, threshold=-np.inf)
    noise = 1.4826 * float(np.median(np.abs(band - np.median(band))))
    if not noise > 0:
        noise = float(band.std()) or 1.0
    with warnings.catch_warnings():
        # trackpy's own use of pandas APIs that pandas deprecates: nothing a user of validate can act on
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="trackpy")
        warnings.filterwarnings("ignore", category=FutureWarning, module="trackpy")
        spots = trackpy.locate(image, diameter, threshold=3.0 * noise)
    return spots[spots["signal"] >= MIN_SNR * noise]


def run(original: np.ndarray, decoded: np.ndarray, camera: CameraModel, diameter: int = DIAMETER) -> AnalysisResult:
    """Localize the spots of every plane of ``original`` and ``decoded`` (stacks of one shape)."""
    import trackpy

    trackpy.quiet()
    planes = original.reshape(-1, *original.shape[-2:])
    out = decoded.reshape(planes.shape)
    found = lost = gained = 0
    shifts, dx, dy, mass = [], [], [], []
    for a, b in zip(planes, out, strict=True):
        sa, sb = _spots(a, diameter), _spots(b, diameter)
        ia, ib = match(sa[["x", "y"]].to_numpy(), sb[["x", "y"]].to_numpy(), MATCH)
        found += len(sa)
        lost += len(sa) - len(ia)
        gained += len(sb) - len(ib)
        if not len(ia):
            continue
        ma, mb = sa.iloc[ia], sb.iloc[ib]
        ep = ma["ep"].to_numpy()
        good = ep > 0  # trackpy gives a negative ep where it cannot estimate one
        ex = (mb["x"].to_numpy() - ma["x"].to_numpy())[good] / ep[good]
        ey = (mb["y"].to_numpy() - ma["y"].to_numpy())[good] / ep[good]
        dx.append(ex)
        dy.append(ey)
        shifts.append(np.hypot(ex, ey))
        mass.append((mb["mass"].to_numpy() - ma["mass"].to_numpy()) / np.maximum(ma["mass"].to_numpy(), 1e-12))
    figures, notes = [], []
    if shifts:
        s, x, y, m = (np.concatenate(v) for v in (shifts, dx, dy, mass))
        figures = [Figure("position shift, median", float(np.median(s)), "localization precisions"),
                   Figure("position shift x, mean", float(x.mean()), "localization precisions"),
                   Figure("position shift y, mean", float(y.mean()), "localization precisions"),
                   Figure("mass change, mean", 100 * float(m.mean()), "%")]
        plot = {"shift": s, "dx": x, "dy": y, "mass_change": m}
    else:
        notes.append(f"no spot of at least {MIN_SNR:g} x the band-pass noise found in both: nothing to compare")
        plot = {}
    return AnalysisResult("localization", library_version("trackpy"), found, lost, gained, figures, notes, plot)
