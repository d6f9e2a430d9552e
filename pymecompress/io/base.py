"""The shared types of every image source: :class:`ImageSource`, :class:`InputError`, :class:`Saturation`,
:class:`PixelSize` with its length units, and the checks and messages the readers share.

This module imports no reader: every reader (:mod:`pymecompress.io.tiff`, :mod:`pymecompress.io.npy`,
:mod:`pymecompress.io.frames`, :mod:`pymecompress.io.readers`) builds on it, and :mod:`pymecompress.io.sources`
chooses among them.
"""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

SUPPORTED_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16))
# the OME-NGFF axis names (``axes=`` of the sources, the OME-Zarr metadata of pymecompress.zarr.ome) and their types
AXIS_TYPES = {"t": "time", "c": "channel", "z": "space", "y": "space", "x": "space"}


class InputError(ValueError):
    """The input stack is missing, unreadable, truncated or of an unsupported kind or dtype."""


def _natural_key(path: str) -> list:
    """Sort ``frame2.tif`` before ``frame10.tif`` (whole paths: files of one folder stay together)."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", os.path.normpath(path))]


def _check_dtype(dtype: np.dtype, where: str) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.newbyteorder("=") not in SUPPORTED_DTYPES:
        raise InputError(f"{where} holds {dtype} data; only uint8 and uint16 camera images are supported "
                         "(convert the data to raw camera counts first)")
    return dtype


def _check_shape(shape: tuple[int, ...], where: str) -> tuple[int, ...]:
    if len(shape) < 2 or min(shape) < 1:
        raise InputError(f"{where} has shape {shape}: expected images with at least 2 non-empty axes (Y, X)")
    return tuple(int(n) for n in shape)


@dataclass(frozen=True)
class Saturation:
    """A saturation value a file states: ``value`` (ADU, an integer) and ``origin`` (what says so, for messages).

    Examples
    --------
    >>> Saturation.stated(4095.0, np.dtype("uint16"), "TIFF MaxSampleValue")
    Saturation(value=4095, origin='TIFF MaxSampleValue')
    >>> Saturation.stated(65535, np.dtype("uint16"), "FITS SATURATE") is None  # the dtype's maximum: nothing to say
    True
    """

    value: int
    origin: str

    @classmethod
    def stated(cls, value: object, dtype: np.dtype, origin: str) -> Saturation | None:
        """What a file's ``value`` means for ``dtype`` data: pixels at or above it are saturated, so a fractional
        value rounds up to the first integer it includes; None when the value is not a number, below 1, or at or
        above the dtype's maximum (which the codecs keep exact anyway)."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            return None
        top = np.iinfo(dtype).max
        level = math.ceil(value)
        return cls(level, origin) if 1 <= level < top else None


NGFF_LENGTH_UNITS: dict[str, float] = {
    "angstrom": 1e-10, "attometer": 1e-18, "centimeter": 1e-2, "decimeter": 1e-1, "exameter": 1e18,
    "femtometer": 1e-15, "foot": 0.3048, "gigameter": 1e9, "hectometer": 1e2, "inch": 0.0254, "kilometer": 1e3,
    "megameter": 1e6, "meter": 1.0, "micrometer": 1e-6, "mile": 1609.344, "millimeter": 1e-3, "nanometer": 1e-9,
    "parsec": 3.0856775814913673e16, "petameter": 1e15, "picometer": 1e-12, "terameter": 1e12, "yard": 0.9144,
    "yoctometer": 1e-24, "yottameter": 1e24, "zeptometer": 1e-21, "zettameter": 1e21,
}
"""The length units OME-NGFF names for space axes, and each one in metres."""

# symbols, as OME-XML (UnitsLength) and ImageJ write them; case matters (mm / Mm, pm / Pm)
_UNIT_SYMBOLS = {
    "Å": "angstrom", "am": "attometer", "cm": "centimeter", "dm": "decimeter", "Em": "exameter", "fm": "femtometer",
    "ft": "foot", "Gm": "gigameter", "hm": "hectometer", "in": "inch", "km": "kilometer", "Mm": "megameter",
    "m": "meter", "um": "micrometer", "mi": "mile", "mm": "millimeter", "nm": "nanometer", "pc": "parsec",
    "Pm": "petameter", "pm": "picometer", "Tm": "terameter", "yd": "yard", "ym": "yoctometer", "Ym": "yottameter",
    "zm": "zeptometer", "Zm": "zettameter",
}
# other names, compared in lower case after "metre" -> "meter" and a plural "s" dropped
_UNIT_NAMES = {"micron": "micrometer", "inche": "inch", "feet": "foot", "ångström": "angstrom"}


def length_unit(text: object) -> str | None:
    """The OME-NGFF name of a length unit written as a symbol or a name (``"µm"``, ``"um"``, ``"micron"``,
    ``"\\u00B5m"`` as ImageJ escapes it, ``"nanometre"``, ...); None for anything else (``"pixel"``, ``""``).

    Examples
    --------
    >>> length_unit("µm"), length_unit("Microns"), length_unit("nm"), length_unit("pixel")
    ('micrometer', 'micrometer', 'nanometer', None)
    """
    if not isinstance(text, str):
        return None
    text = text.strip()
    for escape in ("\\u00B5", "\\u00b5", "\\u03BC", "\\u03bc", "\u00b5", "\u03bc"):  # micro signs, escaped or not
        text = text.replace(escape, "u")
    if text in _UNIT_SYMBOLS:
        return _UNIT_SYMBOLS[text]
    name = text.lower().replace("metre", "meter")
    if name in NGFF_LENGTH_UNITS or name in _UNIT_NAMES:
        return _UNIT_NAMES.get(name, name)
    name = name.removesuffix("s")
    if name in NGFF_LENGTH_UNITS or name in _UNIT_NAMES:
        return _UNIT_NAMES.get(name, name)
    return None


def _neat(value: float) -> float:
    """``value`` to 12 significant digits, so that sums and products read as typed (0.3, not 0.30000000000000004)."""
    return float(f"{value:.12g}")


@dataclass(frozen=True)
class PixelSize:
    """The size of one pixel of the image plane: ``y`` (a row's height) and ``x`` (a column's width), in ``unit``.

    Attributes
    ----------
    y, x : float
        Both finite and > 0.
    unit : str
        A length unit as OME-NGFF names it (:data:`NGFF_LENGTH_UNITS`: ``"micrometer"``, ``"nanometer"``,
        ``"millimeter"``, ...); a symbol or another spelling (``"µm"``, ``"micron"``) is turned into that name.
    origin : str
        Where the size comes from, for messages (e.g. ``"the OME-XML's PhysicalSizeX/Y"``); not compared.

    Raises
    ------
    ValueError
        A size that is not a finite number > 0, or a unit that is not a length.

    Examples
    --------
    >>> size = PixelSize(0.108, 0.108, "µm")
    >>> size
    PixelSize(y=0.108, x=0.108, unit='micrometer')
    >>> size.scaled(2).format(), PixelSize(65, 60, "nm").swapped().format()
    ('0.216 micrometer', 'y 60, x 65 nanometer')
    >>> size == PixelSize(0.108, 0.108, origin="--pixel-size")
    True
    """

    y: float
    x: float
    unit: str = "micrometer"
    origin: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        for axis in ("y", "x"):
            value = getattr(self, axis)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or \
                    value <= 0:
                raise ValueError(f"the pixel size along {axis} must be a finite number > 0, got {value!r}")
            object.__setattr__(self, axis, float(value))
        unit = length_unit(self.unit)
        if unit is None:
            raise ValueError(f"{self.unit!r} is not a length unit; use an OME-NGFF name such as micrometer, "
                             "nanometer or millimeter (or um, nm, mm)")
        object.__setattr__(self, "unit", unit)

    @classmethod
    def parse(cls, text: str, unit: str = "micrometer", origin: str = "--pixel-size") -> PixelSize:
        """From command-line text: one number for square pixels (``"0.108"``) or two, Y then X (``"0.108,0.110"``).

        Raises
        ------
        ValueError
            Not one or two numbers, or a number that is not > 0, or a unit that is not a length.

        Examples
        --------
        >>> PixelSize.parse("0.108,0.11")
        PixelSize(y=0.108, x=0.11, unit='micrometer')
        >>> try:
        ...     PixelSize.parse("0")
        ... except ValueError as err:
        ...     print(err)
        text must be > 0, got '0'; give the size of a camera pixel in the sample, e.g. 0.108
        """
        hint = "e.g. 0.108 for square pixels or 0.108,0.110 for Y,X"
        parts = [p.strip() for p in str(text).split(",")]
        if len(parts) not in (1, 2):
            raise ValueError(f"text takes one number (square pixels) or two (Y,X), got {len(parts)} values "
                             f"in {text!r}; {hint}")
        values = []
        for part in parts:
            try:
                value = float(part)
            except ValueError:
                raise ValueError(f"text: {part!r} is not a number; {hint}") from None
            if not math.isfinite(value):
                raise ValueError(f"text must be a finite number, got {text!r}; {hint}")
            if value <= 0:
                raise ValueError(f"text must be > 0, got {text!r}; give the size of a camera pixel in the "
                                 "sample, e.g. 0.108")
            values.append(value)
        if length_unit(unit) is None:
            raise ValueError(f"unit {unit!r} is not a length unit; use micrometer (default), nanometer, "
                             "millimeter or another OME-NGFF name (or um, nm, mm)")
        return cls(values[0], values[-1], unit, origin)

    @classmethod
    def from_dict(cls, data: object, origin: str = "") -> PixelSize:
        """From ``{"y": ..., "x": ..., "unit": ...}`` (what :meth:`to_dict` gives).

        Raises
        ------
        ValueError
            Not such a mapping, or values :class:`PixelSize` refuses.
        """
        if not isinstance(data, dict) or not {"y", "x", "unit"} <= data.keys():
            raise ValueError(f"a pixel size is stored as {{'y': ..., 'x': ..., 'unit': ...}}, got {data!r}")
        return cls(data["y"], data["x"], data["unit"], origin)

    def to_dict(self) -> dict[str, float | str]:
        """``{"y": ..., "x": ..., "unit": ...}``, as ``convert`` stores it in a plain zarr array's attributes."""
        return {"y": self.y, "x": self.x, "unit": self.unit}

    def scaled(self, factor: float, why: str = "") -> PixelSize:
        """Both sizes times ``factor`` (pixels binned ``factor x factor``); ``why`` is added to the origin."""
        return PixelSize(_neat(self.y * factor), _neat(self.x * factor), self.unit, _and(self.origin, why))

    def swapped(self, why: str = "") -> PixelSize:
        """Y and X exchanged (a plane rotated by 90 or 270 degrees); ``why`` is added to the origin."""
        return PixelSize(self.x, self.y, self.unit, _and(self.origin, why))

    def converted(self, unit: str) -> PixelSize:
        """The same size in another length unit.

        Examples
        --------
        >>> PixelSize(108, 110, "nm").converted("um")
        PixelSize(y=0.108, x=0.11, unit='micrometer')
        """
        to = length_unit(unit)
        if to is None:
            raise ValueError(f"{unit!r} is not a length unit")
        k = NGFF_LENGTH_UNITS[self.unit] / NGFF_LENGTH_UNITS[to]
        return PixelSize(_neat(self.y * k), _neat(self.x * k), to, self.origin)

    def format(self) -> str:
        """``"0.108 micrometer"`` for square pixels, else ``"y 0.108, x 0.11 micrometer"``."""
        if self.y == self.x:
            return f"{self.y:g} {self.unit}"
        return f"y {self.y:g}, x {self.x:g} {self.unit}"


def _and(origin: str, why: str) -> str:
    return f"{origin}, {why}" if origin and why else origin or why


def _pixel_size(y: object, y_unit: object, x: object, x_unit: object, origin: str) -> PixelSize | None:
    """A :class:`PixelSize` from values and units a file states (strings or numbers), both in the unit of ``x``
    when they differ; None when any of them makes no sense."""
    y_name, x_name = length_unit(y_unit), length_unit(x_unit)
    if y_name is None or x_name is None:
        return None
    try:
        y_size = PixelSize(float(y), float(y), y_name).converted(x_name).y  # type: ignore[arg-type]
        return PixelSize(y_size, float(x), x_name, origin)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return None


class ImageSource:
    """A stack of image planes; subclasses implement :meth:`_read`.

    Attributes
    ----------
    path : str
        What the user named.
    kind : str
        ``"tiff"``, ``"frames"`` (TIFF frames), ``"pzf"`` (PZF frames), ``"npy"``, ``"seq"``, ``"video"``,
        ``"hdf5"`` or ``"fits"``.
    shape : tuple of int
        Full shape; the last two axes are Y, X. Only the leading axes may change after opening (``axes=`` of
        :func:`open_source`): planes are addressed by their flat index, so that changes no reading.
    dtype : numpy.dtype
        uint8 or uint16 (native byte order on reading).
    axes : str or None
        tifffile's axes letters (e.g. ``"TZYX"``) when the file says, or ``axes.upper()`` when given to
        :func:`open_source`, else None.
    attributes : dict
        Metadata of the file worth keeping with the converted array (JSON-serializable; e.g. FITS headers, the
        ``.seq`` header); empty for most kinds.
    timestamps : numpy.ndarray or None
        Seconds of every plane along the first axis where the file records them (``.seq``: since 1970; video:
        presentation times from the start), else None.
    camera_counts : bool
        Whether the values are a camera's counts, which the noise-bounded codecs model (False for the colour
        channels of a video: ``convert`` then takes only lossless codecs).
    saturation : Saturation or None
        The saturation value the file states (TIFF MaxSampleValue or BitsPerSample, the ``.seq`` real bit depth,
        FITS SATURATE or DATAMAX) and where it says so; None when it states none below the dtype's maximum.
    pixel_size : PixelSize or None
        The size of a pixel in the sample where the file records it, with its ``origin``: TIFF and OME-TIFF files
        (and TIFF frames, from the first file) through :func:`_tiff_pixel_size`, HDF5 datasets from their
        ``element_size_um`` attribute; None for the other kinds, and
        whenever the metadata are missing or make no sense. A reader that learns to find one sets it in its
        ``__init__``; ``convert`` stores it with units (or ``--pixel-size`` instead).
    """

    kind = "?"
    attributes: dict = {}  # read-only default; readers with metadata set their own
    timestamps: np.ndarray | None = None
    camera_counts = True
    saturation: Saturation | None = None
    pixel_size: PixelSize | None = None  # read by TIFF and HDF5 sources; others: set it in __init__ where files say

    def __init__(self, path: str, shape: tuple[int, ...], dtype: np.dtype, axes: str | None = None):
        self.path = path
        self.shape = shape
        self.dtype = dtype
        self.axes = axes

    @property
    def plane_shape(self) -> tuple[int, int]:
        return self.shape[-2], self.shape[-1]

    @property
    def n_planes(self) -> int:
        return math.prod(self.shape[:-2])

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    def read_planes(self, indices: Sequence[int]) -> np.ndarray:
        """Planes at the given flat plane indices, as a new native-order array of shape ``(n, Y, X)``."""
        indices = [int(i) for i in indices]
        if any(not 0 <= i < self.n_planes for i in indices):
            raise IndexError(f"plane index out of range 0..{self.n_planes - 1}")
        data = self._read(indices)
        expected = (len(indices), *self.plane_shape)
        if data.shape != expected:
            raise InputError(f"{self.path}: read planes of shape {data.shape[1:]}, expected {expected[1:]}; the "
                             "file is inconsistent or truncated")
        return np.ascontiguousarray(data, dtype=self.dtype.newbyteorder("="))

    def _read(self, indices: list[int]) -> np.ndarray:
        raise NotImplementedError

    def close(self) -> None:
        """Release open files."""

    def __enter__(self) -> ImageSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def describe(self) -> str:
        """One line: kind, shape, dtype, size."""
        return (f"{self.path} ({self.kind}, shape {'x'.join(map(str, self.shape))}, {self.dtype.name}, "
                f"{self.nbytes / 1e6:.1f} MB)")


def _one_line(text: str, limit: int = 200) -> str:
    """``text`` on one line, shortened to about ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _reason(err: BaseException) -> str:
    """An exception as a short one-line reason, e.g. ``ValueError: failed to read 100 bytes``."""
    return _one_line(f"{type(err).__name__}: {err}" if str(err) else type(err).__name__)


def _shape_text(shape: Sequence[int]) -> str:
    return "x".join(map(str, shape))


def _no_series(name: str, series: int | None, what: str) -> None:
    """Refuse ``series`` for inputs that have no series."""
    if series is not None:
        raise InputError(f"{name}: series={series} applies to TIFF files only, and this is {what}; leave it out")


def check_axes(axes: str, ndim: int) -> str:
    """Validate NGFF axis names: one letter each of ``tczyx``, in that order, ending with ``yx``.

    Examples
    --------
    >>> check_axes("zyx", 3)
    'zyx'
    """
    axes = axes.lower()
    if len(axes) != ndim:
        raise ValueError(f"axes={axes!r} names {len(axes)} axes but the stack has {ndim}")
    if not axes.endswith("yx") or len(set(axes)) != len(axes) or any(a not in AXIS_TYPES for a in axes):
        raise ValueError(f"axes={axes!r}: use distinct letters of 'tczyx' ending with 'yx' (e.g. tyx, tzyx)")
    if list(axes) != sorted(axes, key="tczyx".index):
        ordered = "".join(sorted(axes, key="tczyx".index))
        raise ValueError(f"axes={axes!r}: OME-Zarr wants the order t, c, z, y, x (e.g. {ordered!r})")
    return axes
