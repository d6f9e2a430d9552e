"""The measures ``pymecompress validate`` takes of one step on a lab's own data, besides its analysis: ratio, error
in noise sigmas, the bias of the mean and of block medians per signal level, added noise against theory, and the
power spectrum of the error.

Every figure is in units of the camera's noise (sigma), from the camera model the codec uses: the error of a pixel
is ``t(decoded) - t(original)`` with ``t`` the generalised Anscombe transform (one unit = one sigma), biases are
differences of means or grouped medians divided by the noise at their level (:mod:`pymecompress.fidelity`).

Examples
--------
>>> import numpy as np
>>> from pymecompress.camera import CameraModel
>>> rng = np.random.default_rng(1)
>>> stack = (rng.poisson(20, (2, 64, 64)) * 2.0 + 100).astype(np.uint16)
>>> m = measure_step(stack, CameraModel(offset=100, gain=2.0, step=1.0), 65535)
>>> m.ratio > 2, m.max_error <= 0.55 * 1.0 + 0.3, m.added_noise_expected
(True, True, 0.04083...)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ...camera import CameraModel
from ...fidelity import block_medians, noise_sigma

LEVEL_EDGES = (0.0, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0, math.inf)
"""Signal levels (photo-electrons above the offset) whose pixels and blocks the biases are reported for; pixels
below the offset count in the first bin."""
MIN_PIXELS = 1000
"""Fewest pixels a level needs before its mean bias is reported (the noise of the figure is 1/sqrt(n) sigma)."""


@dataclass
class LevelRow:
    """The biases at one signal level: pixels from ``low`` to ``high`` photo-electrons."""

    low: float
    high: float
    pixels: int
    mean_bias: float | None
    """Mean of decoded minus original over the level's pixels, in sigmas (None: fewer than MIN_PIXELS)."""
    blocks: int = 0
    median_shift: float | None = None
    """Mean grouped-median shift of the blocks whose original median is at this level, in sigmas."""


@dataclass
class Spectrum:
    """Power of the error along x and y (each averaged over the other axis and over planes), relative to its
    mean: flat (about 1 everywhere) means no structure at tile or chunk edges."""

    frequency_x: np.ndarray = field(repr=False)
    power_x: np.ndarray = field(repr=False)
    frequency_y: np.ndarray = field(repr=False)
    power_y: np.ndarray = field(repr=False)

    @property
    def peak(self) -> float:
        """The largest relative power at any non-zero frequency along either axis."""
        parts = [p[1:] for p in (self.power_x, self.power_y) if p.size > 1]
        return float(max(p.max() for p in parts)) if parts else 1.0


@dataclass
class StepMeasures:
    """What quantizing with one step did to the data."""

    step: float
    ratio: float
    max_error: float
    rms_error: float
    mean_bias: float
    median_shift: float
    median_shift_signed: float
    blocks: int
    added_noise: float
    added_noise_expected: float
    levels: list[LevelRow]
    spectrum: Spectrum
    decoded: np.ndarray = field(repr=False)


def encode_planes(stack: np.ndarray, camera: CameraModel, saturation: int) -> tuple[int, np.ndarray]:
    """Encode every plane of ``stack`` as one chunk with the noise-bounded codec of its dtype (huffquant16 or
    huffquant8, dithered); the encoded bytes and the decoded stack."""
    from ...codecs.huffquant8 import HuffmanQuant8
    from ...codecs.huffquant16 import HuffmanQuant16

    codec_class = HuffmanQuant8 if stack.dtype == np.uint8 else HuffmanQuant16
    codec = codec_class(**camera.to_dict(), saturation=saturation)
    planes = stack.reshape(-1, *stack.shape[-2:])
    decoded = np.empty_like(planes)
    nbytes = 0
    for plane, out in zip(planes, decoded, strict=True):
        chunk = codec.encode(plane)
        nbytes += len(chunk)
        codec.decode(chunk, out=out.reshape(-1))
    return nbytes, decoded.reshape(stack.shape)


def _level_of(camera: CameraModel, adu: np.ndarray) -> np.ndarray:
    return (np.asarray(adu, dtype=np.float64) - camera.offset) / camera.gain


def level_rows(original: np.ndarray, decoded: np.ndarray, camera: CameraModel) -> list[LevelRow]:
    """Mean bias of the pixels and median shift of the 64 x 64 blocks at each level of :data:`LEVEL_EDGES`."""
    x = original.reshape(-1).astype(np.float64)
    diff = decoded.reshape(-1).astype(np.float64) - x
    level = _level_of(camera, x)
    which = np.clip(np.searchsorted(LEVEL_EDGES, level, side="right") - 1, 0, len(LEVEL_EDGES) - 2)
    medians, shifts = block_medians(original, decoded, camera)
    block_which = np.clip(np.searchsorted(LEVEL_EDGES, _level_of(camera, medians), side="right") - 1, 0,
                          len(LEVEL_EDGES) - 2)
    rows = []
    for k in range(len(LEVEL_EDGES) - 1):
        inside = which == k
        n = int(np.count_nonzero(inside))
        in_blocks = block_which == k
        if not n and not in_blocks.any():
            continue
        bias = None
        if n >= MIN_PIXELS:
            bias = float(diff[inside].mean()) / noise_sigma(camera, float(x[inside].mean()))
        nb = int(np.count_nonzero(in_blocks))
        rows.append(LevelRow(LEVEL_EDGES[k], LEVEL_EDGES[k + 1], n, bias, nb,
                             float(shifts[in_blocks].mean()) if nb else None))
    return rows


def error_spectrum(original: np.ndarray, decoded: np.ndarray, camera: CameraModel) -> Spectrum:
    """Power spectra of the error ``t(decoded) - t(original)`` along x and y, relative to their means."""
    r = (camera.vst(decoded) - camera.vst(original)).reshape(-1, *original.shape[-2:])
    r = r - r.mean(axis=(1, 2), keepdims=True)
    ny, nx = r.shape[-2:]
    power_x = (np.abs(np.fft.rfft(r, axis=2)) ** 2).mean(axis=(0, 1))
    power_y = (np.abs(np.fft.rfft(r, axis=1)) ** 2).mean(axis=(0, 2))

    def relative(p: np.ndarray) -> np.ndarray:
        mean = p[1:].mean() if p.size > 1 else 0.0
        return p / mean if mean > 0 else np.ones_like(p)

    return Spectrum(np.fft.rfftfreq(nx), relative(power_x), np.fft.rfftfreq(ny), relative(power_y))


def same_variance_noise(stack: np.ndarray, camera: CameraModel, seed: int = 0) -> np.ndarray:
    """``stack`` plus zero-mean Gaussian noise of the quantizer's variance, ``step**2 / 12`` of the camera's noise
    variance at each pixel's level, rounded to integers: what the analyses and the block medians are compared with,
    so that a change is read against what the same amount of plain, mean-unbiased noise does (on skewed,
    few-photon data such noise moves block medians too: towards the mean).

    Examples
    --------
    >>> cam = CameraModel(offset=100, gain=2.0, step=1.0)
    >>> x = np.full((64, 64), 300, np.uint16)
    >>> y = same_variance_noise(x, cam)
    >>> bool(abs(np.std(cam.vst(y) - cam.vst(x)) - 12 ** -0.5) < 0.03), bool(abs(y.mean() - 300) < 0.1)
    (True, True)
    """
    rng = np.random.default_rng(seed)
    x = np.asarray(stack, dtype=np.float64)
    electrons = np.maximum((x - camera.offset) / camera.gain, 0.0)
    sigma = camera.gain * np.sqrt(np.maximum(electrons + camera.read_noise ** 2, 0.375))  # as fidelity.noise_sigma
    adu = np.rint(x + rng.normal(0.0, 1.0, x.shape) * sigma * (camera.step / math.sqrt(12.0)))
    info = np.iinfo(stack.dtype)
    return np.clip(adu, info.min, info.max).astype(stack.dtype)


def measure_step(stack: np.ndarray, camera: CameraModel, saturation: int) -> StepMeasures:
    """Encode ``stack`` plane by plane at ``camera.step`` and measure what it did."""
    nbytes, decoded = encode_planes(stack, camera, saturation)
    err = camera.vst(decoded) - camera.vst(stack)
    _, shifts = block_medians(stack, decoded, camera)
    mean_level = float(stack.mean())
    return StepMeasures(
        step=camera.step,
        ratio=stack.nbytes / max(nbytes, 1),
        max_error=float(np.abs(err).max(initial=0.0)),
        rms_error=float(np.sqrt(np.mean(err ** 2))) if err.size else 0.0,
        mean_bias=float(np.mean(decoded.astype(np.float64) - stack)) / noise_sigma(camera, mean_level),
        median_shift=float(np.abs(shifts).mean()) if shifts.size else math.nan,
        median_shift_signed=float(shifts.mean()) if shifts.size else math.nan,
        blocks=int(shifts.size),
        added_noise=camera.added_noise_measured(stack, decoded),
        added_noise_expected=camera.added_noise_expected(),
        levels=level_rows(stack, decoded, camera),
        spectrum=error_spectrum(stack, decoded, camera),
        decoded=decoded,
    )
