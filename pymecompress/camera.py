"""The camera model behind the noise-bounded quantizer.

A pixel value ``x`` (ADU) is turned into photo-electrons ``e = (x - offset) / gain``
and variance-stabilised with the generalised Anscombe transform

    t(x) = 2 * sqrt(e + 3/8 + read_noise**2)        for x >= offset
    t(x) = 2 * sqrt(v0) + e / sqrt(v0)               for x <  offset, v0 = 3/8 + read_noise**2

so that shot noise plus read noise has unit standard deviation in ``t`` (below the
offset the transform continues along its tangent, so steps there are bounded by the
read noise).  Codes are ``round(t / step)``.  Decoding does not return the middle of a
code's ADU interval: above the offset the interval widens with the signal, so its middle
overestimates the mean of the values falling into it (by ``step**2 / 12`` photo-electrons in
all).  It returns an unbiased reconstruction point inside the interval, dithered to integers
over four phases so the mean of the decoded values is that point (docs/FORMAT.md,
"Quantizer tables", is the normative definition).

**The noise bound.** The original and the decoded pixel lie in the same code interval,
so ``|t(decoded) - t(original)| <= step`` for every pixel: the error never exceeds
``step`` noise sigmas (and is half that on average).  The added noise is
``step**2 / 12`` of the noise variance, so the noise standard deviation grows by
``sqrt(1 + step**2 / 12) - 1``: +4.1 % at ``step=1`` (:meth:`CameraModel.added_noise_expected`;
:meth:`CameraModel.added_noise_measured` measures the same quantity on data).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass

import numpy as np

from . import _binding
from .camera_check import CameraCheck, check_camera

_UNITS = {"offset": "ADU", "gain": "ADU per electron", "read_noise": "electrons", "step": "noise sigmas"}

# Parameter ranges of the stream format (docs/FORMAT.md, "Quantizer tables"), as the C library defines them
# (pmc_quant_limits): name -> (low, high, unit).
LIMITS = {name: (low, high, _UNITS[name]) for name, (low, high) in _binding.quant_limits().items()}


@dataclass(frozen=True)
class CameraModel:
    """Camera parameters plus the quantization step.

    Parameters
    ----------
    offset : float
        Dark level in ADU (the value a pixel reads with no light).
    gain : float
        ADU per photo-electron (for EMCCDs: the effective gain including excess noise).
    read_noise : float
        Read noise in electrons (0 is conservative: finer steps near the offset).
    step : float
        Quantization step in noise sigmas (1.0 adds 4.1 % to the noise standard deviation; 2.0 adds 15.5 %).

    Examples
    --------
    >>> CameraModel(offset=100, gain=2.2).step
    1.0
    >>> CameraModel.from_scale(offset=100, scale=1.0)
    CameraModel(offset=100.0, gain=1.0, read_noise=0.0, step=2.0)
    """

    offset: float = 0.0
    gain: float = 1.0
    read_noise: float = 0.0
    step: float = 1.0

    def __post_init__(self) -> None:
        for name in ("offset", "gain", "read_noise", "step"):
            value = getattr(self, name)
            # a number, not a bool or a string that float() would take: a configuration typo must not pass
            if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name} must be a number, got {value!r}")
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value}")
            object.__setattr__(self, name, value)
        for name, (low, high, unit) in LIMITS.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise ValueError(f"{name} must be within {low:g}..{high:g} {unit}, got {value:g}")

    @classmethod
    def from_scale(cls, offset: float, scale: float, gain: float | None = None) -> CameraModel:
        """Translate PYME's ``q = round(sqrt(x - offset) / scale)`` parameters.

        ``scale = sqrt(gain) * step / 2``; without a gain, ``gain = 1`` and
        ``step = 2 * scale`` (PYME's default ``scale=1`` is ``step = 2 / sqrt(gain)``).
        """
        scale = float(scale)
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"scale must be a finite number > 0, got {scale}")
        g = 1.0 if gain is None else float(gain)
        if not g > 0:
            raise ValueError(f"gain must be > 0 ADU per electron, got {gain}")
        return cls(offset=offset, gain=g, read_noise=0.0, step=2.0 * scale / math.sqrt(g))

    @classmethod
    def from_config(cls, offset: float = 0.0, gain: float = 1.0, read_noise: float = 0.0, step: float | None = None,
                    scale: float | None = None) -> CameraModel:
        """Build from codec keyword arguments: ``step`` (default 1.0) or PYME's ``scale``, not both.

        Examples
        --------
        >>> CameraModel.from_config(offset=100, gain=4.0, scale=1.0).step
        1.0
        """
        if scale is None:
            return cls(offset, gain, read_noise, 1.0 if step is None else step)
        if step is not None:
            raise ValueError(f"give step or scale, not both (scale={scale!r} sets the step itself, step={step!r})")
        if isinstance(scale, bool | np.bool_) or not isinstance(scale, numbers.Real):
            raise TypeError(f"scale must be a number, got {scale!r}")
        pyme = cls.from_scale(offset, scale, gain=gain)
        return cls(pyme.offset, pyme.gain, read_noise, pyme.step)

    @property
    def params(self) -> tuple[float, float, float, float]:
        """``(offset, gain, read_noise, step)`` as stored in a stream header."""
        return (self.offset, self.gain, self.read_noise, self.step)

    def to_dict(self) -> dict[str, float]:
        """JSON-clean parameters."""
        return asdict(self)

    def vst(self, x) -> np.ndarray:
        """Variance-stabilised values ``t(x)`` (float64), in noise sigmas."""
        x = np.asarray(x, dtype=np.float64)
        v0 = 0.375 + self.read_noise * self.read_noise
        e = (x - self.offset) / self.gain
        above = 2.0 * np.sqrt(np.maximum(e, 0.0) + v0)
        below = 2.0 * math.sqrt(v0) + e / math.sqrt(v0)
        return np.where(e >= 0.0, above, below)

    def error_sigmas(self, original, decoded) -> np.ndarray:
        """Per-pixel error ``|t(decoded) - t(original)|`` in noise sigmas."""
        return np.abs(self.vst(decoded) - self.vst(original))

    def added_noise_expected(self) -> float:
        """Relative growth of the noise standard deviation that quantizing with ``step`` adds, in theory:
        ``sqrt(1 + step**2 / 12) - 1`` (a quantization error spread evenly over a step of ``step`` sigmas has
        variance ``step**2 / 12``).

        Examples
        --------
        >>> round(100 * CameraModel(step=1.0).added_noise_expected(), 1), round(100 * CameraModel(step=2.0)
        ...                                                                     .added_noise_expected(), 1)
        (4.1, 15.5)
        """
        return math.sqrt(1.0 + self.step**2 / 12.0) - 1.0

    def added_noise_measured(self, original, decoded) -> float:
        """The same quantity as :meth:`added_noise_expected`, measured: ``sqrt(1 + mean(r**2)) - 1`` with ``r``
        the residuals ``t(decoded) - t(original)`` in noise sigmas (the data's own noise is one sigma).

        Examples
        --------
        >>> import numpy as np
        >>> cam = CameraModel(offset=100, gain=2.0)
        >>> x = np.array([100, 102, 110, 140], np.uint16)
        >>> cam.added_noise_measured(x, x)
        0.0
        """
        residual = self.vst(decoded) - self.vst(original)
        return math.sqrt(1.0 + float(np.mean(residual**2))) - 1.0 if residual.size else 0.0

    def check(self, data) -> CameraCheck:
        """Compare this model with the noise measured in raw data, before compressing it.

        Measures the noise in ``data`` (differences of consecutive planes, or neighbour residuals of a single
        image) and compares it with the noise this model assumes; see :mod:`pymecompress.camera_check`.
        The codecs themselves never check: this is for callers who want the check ``pymecompress convert``
        runs.

        Parameters
        ----------
        data : array (Y, X) or (frames, ..., Y, X)
            Raw camera counts (ADU).

        Returns
        -------
        CameraCheck
            ``.ok``, ``.errors``, ``.warnings``, ``.variance_ratio`` (measured / model, about 1 when right);
            ``.raise_for_errors()`` raises :class:`~pymecompress.camera_check.CameraModelError`.

        Examples
        --------
        >>> import numpy as np
        >>> movie = (np.random.default_rng(0).poisson(40, (4, 64, 64)) * 2 + 100).astype(np.uint16)
        >>> CameraModel(offset=100, gain=2.0).check(movie).ok
        True
        >>> print(CameraModel(offset=100, gain=1e6).check(movie).errors[0])  # doctest: +ELLIPSIS
        the data is ...x less noisy (in variance) than the model says ...
        """
        return check_camera(self, data)
