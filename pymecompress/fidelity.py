"""What decoded data are unbiased for, measured: the shift of the mean and of block medians between original and
decoded camera counts, in units of the camera's noise.

A plain median of integers moves in whole ADU, which hides shifts of a fraction of one; :func:`grouped_median`
counts the integers and interpolates within the median's bin, as a median of grouped data does. The noise sigma of
a block is the camera model's at its median level, ``gain * sqrt(e + read_noise**2)`` with ``e`` the electrons
above the offset (at least 3/8 of one, the generalised Anscombe transform's floor), so a shift of 0.1 means a tenth
of the noise of one pixel there.

Examples
--------
>>> import numpy as np
>>> from pymecompress import HuffmanQuant16
>>> from pymecompress.camera import CameraModel
>>> rng = np.random.default_rng(0)
>>> frame = (rng.poisson(30, (128, 128)) * 2.2 + 100).astype(np.uint16)
>>> codec = HuffmanQuant16(offset=100, gain=2.2)
>>> decoded = codec.decode(codec.encode(frame)).reshape(frame.shape)
>>> shifts = block_median_shifts(frame, decoded, codec.camera)
>>> shifts.shape, bool(np.abs(shifts).max() < 0.1)
((4,), True)
"""

from __future__ import annotations

import math

import numpy as np

from .camera import CameraModel

BLOCK = 64
"""Side of the square blocks whose medians are compared (a sky or background estimator's typical mesh)."""


def grouped_median(values: np.ndarray) -> float:
    """The median of integer ``values``, interpolated within the median's bin: ``m - 1/2 + (n/2 - below) / at``
    with ``m`` the middle value, ``below`` the count of values under it and ``at`` the count equal to it.

    Examples
    --------
    >>> grouped_median(np.array([1, 2, 2, 2, 3]))
    2.0
    >>> grouped_median(np.array([1, 2, 2, 3, 3, 3]))  # half of the values at most 2.5 of the grouped scale
    2.5
    """
    v = np.sort(np.asarray(values).ravel())
    if not v.size:
        raise ValueError("the median of no values")
    m = v[v.size // 2]
    below = np.count_nonzero(v < m)
    at = np.count_nonzero(v == m)
    return float(m - 0.5 + (v.size / 2 - below) / at)


def noise_sigma(camera: CameraModel, level: float) -> float:
    """The camera's noise (ADU) at ``level`` ADU: ``gain * sqrt(e + read_noise**2)``, ``e`` at least 3/8."""
    electrons = max((level - camera.offset) / camera.gain, 0.0)
    return camera.gain * math.sqrt(max(electrons + camera.read_noise ** 2, 0.375))


def block_medians(original: np.ndarray, decoded: np.ndarray, camera: CameraModel,
                  block: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """The original's grouped median (ADU) of every whole ``block x block`` block of every plane, and the decoded
    block's minus it in noise sigmas at that median (flat, plane by plane, row-major blocks)."""
    original, decoded = np.asarray(original), np.asarray(decoded)
    if original.shape != decoded.shape or original.ndim < 2:
        raise ValueError(f"original and decoded must be images or stacks of one shape, got {original.shape} and "
                         f"{decoded.shape}")
    planes = original.reshape(-1, *original.shape[-2:])
    out = decoded.reshape(planes.shape)
    ny, nx = planes.shape[-2:]
    medians, shifts = [], []
    for a, b in zip(planes, out, strict=True):
        for y in range(0, ny - block + 1, block):
            for x in range(0, nx - block + 1, block):
                m = grouped_median(a[y:y + block, x:x + block])
                medians.append(m)
                shifts.append((grouped_median(b[y:y + block, x:x + block]) - m) / noise_sigma(camera, m))
    return np.array(medians, dtype=np.float64), np.array(shifts, dtype=np.float64)


def block_median_shifts(original: np.ndarray, decoded: np.ndarray, camera: CameraModel,
                        block: int = BLOCK) -> np.ndarray:
    """The shifts of :func:`block_medians`: grouped median of each decoded block minus the original's, in sigmas."""
    return block_medians(original, decoded, camera, block)[1]


def mean_bias_sigma(original: np.ndarray, decoded: np.ndarray, camera: CameraModel) -> float:
    """Mean of decoded minus original, in noise sigmas at the original's mean level."""
    original = np.asarray(original, dtype=np.float64)
    diff = float(np.mean(np.asarray(decoded, dtype=np.float64) - original))
    return diff / noise_sigma(camera, float(original.mean()))
