"""What the noise-bounded codecs (``huffquant16``, ``huffquant8``, ``vstquant16``) share: their camera, which they
never invent, the saturation value they keep exact, and whether they dither (version 2 streams, docs/FORMAT.md).

A configuration written before dithering existed has no ``dither`` key: it reads as ``dither=False``, so chunks that
zarr re-encodes after a partial write of such an array keep today's values (version 1 streams) instead of being
quantized a second time.  New codecs dither unless told not to, and then write ``"dither": true`` and their
``saturation``; a codec without dithering writes the configuration of before (neither key).

Examples
--------
>>> settings = QuantSettings.from_args("huffquant16", 65535, offset=100, gain=2.2)
>>> settings.camera.step, settings.saturation, settings.dither
(1.0, 65535, True)
>>> QuantSettings.from_args("huffquant16", 65535, gain=2.2)
Traceback (most recent call last):
...
ValueError: huffquant16 needs the camera's offset (ADU, ...) and gain (ADU per photo-electron) ... `pymecompress
calibrate MOVIE`... Got offset=None, gain=2.2
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ..camera import CameraModel


@dataclass(frozen=True)
class QuantSettings:
    """A noise-bounded codec's camera, saturation value and dithering."""

    camera: CameraModel
    saturation: int
    dither: bool

    @classmethod
    def from_args(cls, codec_id: str, top: int, offset=None, gain=None, read_noise=0.0, step=None, scale=None,
                  saturation=None, dither=True) -> QuantSettings:
        """Validate a codec's keyword arguments.  ``top`` is the largest value of its dtype (the default and the
        largest saturation value)."""
        if offset is None or (gain is None and scale is None):
            raise ValueError(
                f"{codec_id} needs the camera's offset (ADU, the value a pixel reads without light) and gain (ADU "
                "per photo-electron) to bound the error by the noise: measure them on your own data with "
                "`pymecompress calibrate MOVIE`, or take them from the camera's data sheet (the original "
                f"pymecompress's offset and scale also do). Got offset={offset!r}, gain={gain!r}")
        camera = CameraModel.from_config(offset, gain, read_noise, step, scale)
        if not isinstance(dither, bool | np.bool_):
            raise TypeError(f"dither must be true or false, got {dither!r}")
        if saturation is None:
            saturation = top
        if (isinstance(saturation, bool | np.bool_) or not isinstance(saturation, numbers.Real)
                or not float(saturation).is_integer()):
            raise TypeError(f"saturation must be an integer ADU value, got {saturation!r}")
        saturation = int(saturation)
        if not 1 <= saturation <= top:
            raise ValueError(f"saturation must be within 1..{top} ADU for {codec_id}, got {saturation}")
        if not dither and saturation != top:
            raise ValueError(f"saturation={saturation} needs dither=True: the streams without dithering (format "
                             f"version 1) keep only {top} exact")
        return cls(camera, saturation, bool(dither))

    @staticmethod
    def config_of_old(config: dict) -> dict:
        """A stored configuration with the defaults of the codecs written before dithering: no ``dither`` key means
        ``False`` (see the module doc)."""
        config = dict(config)
        config.setdefault("dither", False)
        return config

    def to_dict(self) -> dict:
        """The configuration keys: the camera, and with dithering the saturation value and ``dither``.  Without
        dithering the configuration is the one written before dithering existed (which reads as no dithering)."""
        if not self.dither:
            return self.camera.to_dict()
        return {**self.camera.to_dict(), "saturation": self.saturation, "dither": True}


class QuantSettingsFace:
    """What the noise-bounded codec classes share on top of their ``settings`` (a :class:`QuantSettings`): reading
    stored configurations (one without ``dither`` is from before dithering) and the parameters as properties."""

    settings: QuantSettings

    @classmethod
    def from_config(cls, config: dict):
        """From a stored configuration: one without ``dither`` is from before dithering and keeps writing version 1
        streams (see the module doc)."""
        config = QuantSettings.config_of_old(config)
        config.pop("id", None)
        return cls(**config)

    @property
    def camera(self) -> CameraModel:
        return self.settings.camera

    @property
    def offset(self) -> float:
        return self.settings.camera.offset

    @property
    def gain(self) -> float:
        return self.settings.camera.gain

    @property
    def read_noise(self) -> float:
        return self.settings.camera.read_noise

    @property
    def step(self) -> float:
        return self.settings.camera.step

    @property
    def saturation(self) -> int:
        return self.settings.saturation

    @property
    def dither(self) -> bool:
        return self.settings.dither
