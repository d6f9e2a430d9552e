"""``--analysis auto``: which analysis fits the data.

- A FITS file, or a single image: ``photometry`` (astronomy frames: sources on a sky).
- A stack whose bright pixels are sparse (in the median frame, less than :data:`SPARSE` of the pixels lie 5 noise
  sigmas above the frame's median) and come and go (the bright pixels of one frame are mostly not bright in the
  next): ``localization`` (single molecules, particles, beads).
- Any other stack: ``traces`` (time-lapse and calcium-imaging movies: structures that stay and change in
  brightness).
"""

from __future__ import annotations

import numpy as np

from ...camera import CameraModel
from ...fidelity import noise_sigma

ANALYSES = ("localization", "photometry", "traces")
SPARSE = 0.03


def choose(stack: np.ndarray, camera: CameraModel, kind: str) -> tuple[str, str]:
    """The analysis for ``stack`` (planes along the leading axes) of a source of ``kind``, and why.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> choose(rng.poisson(10, (1, 32, 32)).astype(np.uint16), CameraModel(), "tiff")[0]
    'photometry'
    """
    planes = stack.reshape(-1, *stack.shape[-2:])
    if kind == "fits":
        return "photometry", "a FITS file"
    if len(planes) == 1:
        return "photometry", "a single image"
    sample = planes[:: max(1, len(planes) // 20)][:20].astype(np.float64)
    bright = []
    for frame in sample:
        level = float(np.median(frame))
        bright.append(frame > level + 5 * noise_sigma(camera, level))
    bright = np.array(bright)
    share = float(bright.mean())
    persistent = float((bright[1:] & bright[:-1]).sum() / max(bright[:-1].sum(), 1)) if len(bright) > 1 else 1.0
    if share < SPARSE and persistent < 0.5:
        return "localization", (f"sparse spots that come and go ({100 * share:.2g} % of the pixels bright, "
                                f"{100 * persistent:.0f} % of them still bright in the next frame)")
    return "traces", (f"a movie of lasting structures ({100 * share:.2g} % of the pixels bright, "
                      f"{100 * persistent:.0f} % of them still bright in the next frame)")
