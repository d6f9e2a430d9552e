"""Transforms applied while reading a stack: frame range and stride, crop, binning, rotation and flips.

:class:`TransformedSource` wraps any :class:`~pymecompress.io.sources.ImageSource` and applies them one block of
planes at a time, so converting a transformed stack keeps the same bounded memory as converting the original.
The order is fixed and the one a user expects: frames are chosen first (on the first axis), then each plane is
cropped, binned, rotated and flipped.

Binning sums ``n x n`` pixels (integers stay integers and photon statistics stay Poisson): a binned pixel holds
``n**2`` times the offset, the photo-electrons of ``n**2`` pixels at the same gain, and ``n`` times the read noise
(in electrons, added in quadrature). :meth:`Transforms.camera` gives that camera model, which the noise-bounded
codecs need. Sums that do not fit the input's dtype are refused with a message (no silent clipping); ``mean``
binning (the rounded mean, camera gain divided by ``n**2``) keeps the range.

The pixel size follows too (:meth:`Transforms.pixel_size`): binning by ``n`` makes pixels ``n`` times larger, a
rotation by 90 or 270 degrees exchanges Y and X.

Examples
--------
>>> t = Transforms.parse(frames="1:3", crop="0:4,2:8", bin=2)
>>> t.camera(CameraModel(offset=100, gain=2.0, read_noise=1.5))
CameraModel(offset=400.0, gain=2.0, read_noise=3.0, step=1.0)
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..camera import CameraModel
from .base import ImageSource, InputError, PixelSize

BIN_MODES = ("sum", "mean")
ROTATIONS = (0, 90, 180, 270)


def _slice(text: str, what: str) -> slice:
    """``start:stop[:step]`` (each part optional, non-negative) or a single index ``i`` (``i:i+1``)."""
    match = re.fullmatch(r"\s*(\d*)\s*(?::\s*(\d*)\s*(?::\s*(\d*)\s*)?)?", text)
    if not match:
        raise ValueError(f"{what} must look like START:STOP[:STEP] (e.g. 100:500 or ::2), got {text!r}")
    start, stop, step = (int(g) if g else None for g in match.groups())
    if ":" not in text:
        return slice(start, start + 1)
    if step == 0:
        raise ValueError(f"{what}: the step must be at least 1, got {text!r}")
    return slice(start, stop, step)


@dataclass(frozen=True)
class Transforms:
    """What to do to the planes of a stack while reading it (see the module doc for the order).

    Attributes
    ----------
    frames : slice or None
        Range and stride of the first axis (the frames of a movie).
    crop : tuple of two slices or None
        Rows and columns of every plane to keep (steps of 1).
    bin : int
        Bin ``bin x bin`` pixels (1: no binning); the plane is first cut to a multiple of ``bin``.
    bin_mode : str
        ``"sum"`` (default) or ``"mean"``.
    rotate : int
        Counter-clockwise rotation of every plane, degrees (0, 90, 180, 270).
    flip : str
        ``""``, ``"x"`` (left-right), ``"y"`` (up-down) or ``"xy"``, after the rotation.
    """

    frames: slice | None = None
    crop: tuple[slice, slice] | None = None
    bin: int = 1
    bin_mode: str = "sum"
    rotate: int = 0
    flip: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.bin, int) or self.bin < 1:
            raise ValueError(f"bin must be an integer >= 1, got {self.bin!r}")
        if self.bin_mode not in BIN_MODES:
            raise ValueError(f"bin_mode must be one of {', '.join(BIN_MODES)}, got {self.bin_mode!r}")
        if self.rotate not in ROTATIONS:
            raise ValueError(f"rotate must be one of {', '.join(map(str, ROTATIONS))} degrees, got {self.rotate!r}")
        if self.flip not in ("", "x", "y", "xy", "yx"):
            raise ValueError(f"flip must be x, y or xy, got {self.flip!r}")
        if self.crop is not None and any(s.step not in (None, 1) for s in self.crop):
            raise ValueError("crop takes START:STOP ranges without a step (use bin=N to reduce the resolution)")

    @classmethod
    def parse(cls, *, frames: str | None = None, crop: str | None = None, bin: int = 1, bin_mode: str = "sum",
              rotate: int = 0, flip: str = "") -> Transforms:
        """From command-line text: ``frames="100:500:2"``, ``crop="Y0:Y1,X0:X1"`` (parts may be empty).

        Examples
        --------
        >>> Transforms.parse(crop="10:, :200").crop
        (slice(10, None, None), slice(None, 200, None))
        """
        crop_slices = None
        if crop is not None:
            parts = crop.split(",")
            if len(parts) != 2:
                raise ValueError(f"crop takes Y0:Y1,X0:X1 (rows, then columns), got {crop!r}")
            crop_slices = (_slice(parts[0], "crop (rows)"), _slice(parts[1], "crop (columns)"))
        return cls(frames=_slice(frames, "frames") if frames is not None else None, crop=crop_slices, bin=bin,
                   bin_mode=bin_mode, rotate=rotate, flip=flip)

    @property
    def identity(self) -> bool:
        return self == Transforms()

    def pixel_size(self, size: PixelSize | None) -> PixelSize | None:
        """The pixel size of the transformed pixels: binning by ``n`` makes them ``n`` times larger, a rotation by 90
        or 270 degrees exchanges Y and X; frames, crop and flips keep it.

        Examples
        --------
        >>> Transforms(bin=2, rotate=90).pixel_size(PixelSize(0.1, 0.15, "micrometer"))
        PixelSize(y=0.3, x=0.2, unit='micrometer')
        """
        if size is None:
            return None
        if self.bin > 1:
            size = size.scaled(self.bin, f"times {self.bin} for {self.bin} x {self.bin} binning")
        if self.rotate in (90, 270):
            size = size.swapped(f"Y and X exchanged by the {self.rotate} degree rotation")
        return size

    def camera(self, camera: CameraModel | None) -> CameraModel | None:
        """The camera model of the transformed pixels (binning changes it; the other transforms do not)."""
        if camera is None or self.bin == 1:
            return camera
        n2 = self.bin * self.bin
        read_noise = camera.read_noise * self.bin  # electrons: n**2 independent reads add in quadrature
        if self.bin_mode == "sum":
            return CameraModel(camera.offset * n2, camera.gain, read_noise, camera.step)
        return CameraModel(camera.offset, camera.gain / n2, read_noise, camera.step)


class TransformedSource(ImageSource):
    """``source`` seen through ``transforms``; reads only the planes (and, of each, what the crop keeps) it needs.

    Raises
    ------
    InputError
        The transforms leave nothing (an empty frame range or crop), or binned sums do not fit the dtype.
    """

    def __init__(self, source: ImageSource, transforms: Transforms) -> None:
        self.source = source
        self.t = transforms
        shape = source.shape
        lead = list(shape[:-2])
        self._frames: range | None = None
        if transforms.frames is not None:
            if not lead:
                raise InputError(f"{source.path}: frames needs a stack of planes; this is a single image")
            self._frames = range(*transforms.frames.indices(lead[0]))
            if not len(self._frames):
                raise InputError(f"{source.path}: frames {_text(transforms.frames)!r} selects no frame of "
                                 f"{lead[0]}")
            lead[0] = len(self._frames)
        ny, nx = shape[-2:]
        rows, cols = transforms.crop or (slice(None), slice(None))
        self._rows, self._cols = range(*rows.indices(ny)), range(*cols.indices(nx))
        if not len(self._rows) or not len(self._cols):
            raise InputError(f"{source.path}: crop '{_text(rows)},{_text(cols)}' leaves nothing of the "
                             f"{ny} x {nx} plane")
        b = transforms.bin
        height, width = len(self._rows) // b, len(self._cols) // b
        if not height or not width:
            raise InputError(f"{source.path}: bin={b} is larger than the {len(self._rows)} x {len(self._cols)} "
                             "plane")
        if transforms.rotate in (90, 270):
            height, width = width, height
        self._lead = tuple(shape[:-2])
        super().__init__(source.path, (*lead, height, width), source.dtype, source.axes)
        self.kind = source.kind
        self.attributes = source.attributes
        self.camera_counts = source.camera_counts
        # a mean of binned pixels reaches the saturation value only when all of them do; a sum says nothing
        self.saturation = source.saturation if transforms.bin == 1 or transforms.bin_mode == "mean" else None
        stamps = source.timestamps
        self.timestamps = stamps if stamps is None or self._frames is None else np.asarray(stamps)[self._frames]
        self.pixel_size = transforms.pixel_size(source.pixel_size)

    def _source_planes(self, indices: list[int]) -> list[int]:
        """Flat plane indices of the source for flat indices of this stack."""
        if self._frames is None:
            return indices
        inner = math.prod(self._lead[1:])
        return [self._frames[i // inner] * inner + i % inner for i in indices]

    def _read(self, indices: list[int]) -> np.ndarray:
        planes = self.source.read_planes(self._source_planes(indices))
        t = self.t
        planes = planes[:, self._rows.start:self._rows.stop, self._cols.start:self._cols.stop]
        if t.bin > 1:
            planes = self._binned(planes)
        if t.rotate:
            planes = np.rot90(planes, t.rotate // 90, axes=(1, 2))
        if "y" in t.flip:
            planes = planes[:, ::-1, :]
        if "x" in t.flip:
            planes = planes[:, :, ::-1]
        return np.ascontiguousarray(planes)

    def _binned(self, planes: np.ndarray) -> np.ndarray:
        b = self.t.bin
        n, ny, nx = planes.shape
        h, w = ny // b, nx // b
        sums = planes[:, :h * b, :w * b].reshape(n, h, b, w, b).sum(axis=(2, 4), dtype=np.int64)
        if self.t.bin_mode == "mean":
            return ((sums + (b * b) // 2) // (b * b)).astype(self.dtype)
        top = np.iinfo(self.dtype).max
        if sums.max(initial=0) > top:
            raise InputError(f"{self.path}: the {b} x {b} sums reach {int(sums.max())}, above the {self.dtype} "
                             f"maximum {top}: use bin_mode='mean' (same noise bound, gain divided by {b * b})")
        return sums.astype(self.dtype)

    def close(self) -> None:
        self.source.close()

    def describe(self) -> str:
        return f"{self.source.describe()}, transformed to {'x'.join(map(str, self.shape))}"


def _text(s: slice) -> str:
    return f"{'' if s.start is None else s.start}:{'' if s.stop is None else s.stop}" + (
        f":{s.step}" if s.step not in (None, 1) else "")


def apply(source: ImageSource, transforms: Transforms | None) -> ImageSource:
    """``source`` itself when there is nothing to do, else a :class:`TransformedSource`."""
    if transforms is None or transforms.identity:
        return source
    try:
        return TransformedSource(source, transforms)
    except BaseException:
        source.close()
        raise


__all__: Sequence[str] = ("BIN_MODES", "ROTATIONS", "TransformedSource", "Transforms", "apply")
