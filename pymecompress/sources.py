"""Image stacks read plane by plane: TIFF / OME-TIFF / BigTIFF files, folders, globs or lists of TIFF or PYME PZF
frames, ``.npy``; and, with the ``formats`` extra, Norpix ``.seq`` movies, video files (AVI, MP4, MOV, MKV, ...),
HDF5 datasets and FITS images (:mod:`pymecompress.readers`).

Every source has a ``shape`` (the last two axes are the image plane, Y and X), a ``dtype`` and
:meth:`ImageSource.read_planes`, which returns only the planes asked for, so that converting or calibrating
a stack of any size keeps a bounded amount of it in memory. Leading axes are addressed by *plane index*: the
row-major flat index over ``shape[:-2]``.

A TIFF file is read whole: all its image series, stacked when they share a shape and dtype (a movie written
frame by frame holds one series per frame), or refused with the list of series to choose from (``series=N``).
``axes=`` overrides the layout a reader found (see :func:`open_source`). A part of a file is chosen with
``PATH:SELECTOR``: an HDF5 dataset (``scan.h5:/entry/data``), a FITS HDU (``image.fits:SCI`` or ``image.fits:1``)
or a video channel (``movie.mp4:g``); :func:`open_source` is the one place that maps a path to a reader.

Problems with the input raise :class:`InputError`, and only it, with a one-line message that says what is wrong
and what to do. A truncated or corrupt file is refused, never read in part: damage that tifffile works around
with only a log message (an IFD offset beyond the end of the file, metadata that do not match the pages) counts
as an error, and every data segment a plane needs must lie inside the file.

Examples
--------
>>> import numpy as np, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "stack.npy")
>>> np.save(path, np.arange(3 * 4 * 5, dtype=np.uint16).reshape(3, 4, 5))
>>> with open_source(path) as src:
...     print(src.kind, src.shape, src.dtype, src.read_planes([2]).shape)
npy (3, 4, 5) uint16 (1, 4, 5)
"""

from __future__ import annotations

import contextlib
import glob
import logging
import math
import numbers
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import tifffile

SUPPORTED_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16))
TIFF_SUFFIXES = (".tif", ".tiff", ".btf", ".tf8", ".ome.tif", ".ome.tiff")
PZF_SUFFIX = ".pzf"


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
        --pixel-size must be > 0, got '0'; give the size of a camera pixel in the sample, e.g. 0.108
        """
        hint = "e.g. 0.108 for square pixels or 0.108,0.110 for Y,X"
        parts = [p.strip() for p in str(text).split(",")]
        if len(parts) not in (1, 2):
            raise ValueError(f"--pixel-size takes one number (square pixels) or two (Y,X), got {len(parts)} values "
                             f"in {text!r}; {hint}")
        values = []
        for part in parts:
            try:
                value = float(part)
            except ValueError:
                raise ValueError(f"--pixel-size: {part!r} is not a number; {hint}") from None
            if not math.isfinite(value):
                raise ValueError(f"--pixel-size must be a finite number, got {text!r}; {hint}")
            if value <= 0:
                raise ValueError(f"--pixel-size must be > 0, got {text!r}; give the size of a camera pixel in the "
                                 "sample, e.g. 0.108")
            values.append(value)
        if length_unit(unit) is None:
            raise ValueError(f"--pixel-unit {unit!r} is not a length unit; use micrometer (default), nanometer, "
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
        (and TIFF frames, from the first file) through :func:`_tiff_pixel_size`; None for the other kinds, and
        whenever the metadata are missing or make no sense. A reader that learns to find one sets it in its
        ``__init__``; ``convert`` stores it with units (or ``--pixel-size`` instead).
    """

    kind = "?"
    attributes: dict = {}  # read-only default; readers with metadata set their own
    timestamps: np.ndarray | None = None
    camera_counts = True
    saturation: Saturation | None = None
    pixel_size: PixelSize | None = None  # read by TIFF sources; other readers: set it in __init__ where files say

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


class NpySource(ImageSource):
    """A ``.npy`` file, validated with ``np.load(mmap_mode="r")`` and then read plane by plane with ordinary
    file reads (a memory map would keep every page it touched resident, so RSS would grow to the file size)."""

    kind = "npy"

    def __init__(self, path: str):
        try:
            mapped = np.load(path, mmap_mode="r", allow_pickle=False)
        except ValueError as err:
            if "mmap length" in str(err):
                raise InputError(f"{path}: the .npy file is truncated (its header announces more data than the "
                                 "file holds); copy it again") from None
            raise InputError(f"{path}: not a readable .npy array ({_reason(err)})") from None
        except OSError as err:
            raise InputError(f"{path}: cannot read it as a .npy file ({err})") from None
        except Exception as err:  # a damaged header: numpy's parser raises SyntaxError, TokenError, ...
            raise InputError(f"{path}: not a readable .npy array ({_reason(err)}); is it truncated or "
                             "corrupt?") from None
        if not isinstance(mapped, np.memmap):
            raise InputError(f"{path}: expected one array in a .npy file")
        super().__init__(path, _check_shape(mapped.shape, path), _check_dtype(mapped.dtype, path))
        self._lead = self.shape[:-2]
        self._offset = int(mapped.offset)
        self._fortran = bool(mapped.flags.f_contiguous and not mapped.flags.c_contiguous)
        self._mapped = mapped if self._fortran else None  # Fortran order: planes are strided, keep the map
        del mapped
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()

    def _read(self, indices: list[int]) -> np.ndarray:
        ny, nx = self.plane_shape
        if self._mapped is not None:  # Fortran order: copy each strided plane out of the map
            lead = self._lead
            return np.stack([np.array(self._mapped[np.unravel_index(i, lead) if lead else ()]) for i in indices])
        plane_bytes = ny * nx * self.dtype.itemsize
        out = np.empty((len(indices), ny, nx), dtype=self.dtype)
        buf = out.reshape(len(indices), -1).view(np.uint8)
        for k, i in enumerate(indices):
            self._file.seek(self._offset + i * plane_bytes)
            n = self._file.readinto(buf[k])
            if n != plane_bytes:
                raise InputError(f"{self.path}: plane {i} is truncated; the file is shorter than its header says")
        return out

    def close(self) -> None:
        self._file.close()
        self._mapped = None


@contextlib.contextmanager
def _tifffile_messages() -> Iterator[list[str]]:
    """Collect what tifffile logs (warnings and errors) instead of printing it.

    tifffile reports damage it works around (an IFD offset beyond the end of the file, metadata that does not
    match the pages, ...) only in its log, and then returns fewer pages or another layout; the callers turn any
    message into an :class:`InputError`, so that a damaged file is refused instead of read in part.

    Yields
    ------
    list of str
        The messages, filled while the block runs.

    Examples
    --------
    >>> import logging
    >>> with _tifffile_messages() as messages:
    ...     logging.getLogger("tifffile").error("<tifffile.TiffPages @8> invalid page offset 4096")
    >>> messages
    ['invalid page offset 4096']
    """
    log = logging.getLogger("tifffile")
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(_one_line(re.sub(r"<tifffile\.[^>]*>\s*", "", record.getMessage())))

    handler = Collect(logging.WARNING)
    saved = log.level, log.propagate
    log.addHandler(handler)
    log.setLevel(logging.WARNING)
    log.propagate = False  # nothing on stderr: the caller raises one clear error instead
    try:
        yield messages
    finally:
        log.removeHandler(handler)
        log.setLevel(saved[0])
        log.propagate = saved[1]


def _one_line(text: str, limit: int = 200) -> str:
    """``text`` on one line, shortened to about ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _reason(err: BaseException) -> str:
    """An exception as a short one-line reason, e.g. ``ValueError: failed to read 100 bytes``."""
    return _one_line(f"{type(err).__name__}: {err}" if str(err) else type(err).__name__)


def _shape_text(shape: Sequence[int]) -> str:
    return "x".join(map(str, shape))


@contextlib.contextmanager
def _damage_is_an_error(path: str, messages: list[str]) -> Iterator[None]:
    """Turn whatever tifffile raises in the block, and anything it logged (``messages`` of
    :func:`_tifffile_messages`), into one :class:`InputError` about a damaged file."""
    try:
        yield
    except InputError:
        raise
    except Exception as err:
        raise InputError(f"{path}: a damaged TIFF file ({_reason(err)}); it is truncated or corrupt") from None
    if messages:
        raise _damaged(path, messages)


class _TiffSeries:
    """How to read the planes of one image series of an open TIFF file.

    Either page by page (each page holds ``per_page`` planes: 1, or the samples of a planar multi-sample page), or,
    when tifffile kept only the first page of a series whose data are stored contiguously (ImageJ hyperstacks over
    4 GB hold one IFD for all planes), straight from the file.

    Parameters
    ----------
    tif : tifffile.TiffFile
        The open file.
    series : tifffile.TiffPageSeries
        One of its series.
    where : str
        The file (and series) as messages name it.
    size : int
        The file's size in bytes.
    planar : bool
        Read planar multi-sample pages (axes such as ``SYX``) as planes instead of refusing them.

    Raises
    ------
    InputError
        Multi-sample pixels (planar ones unless ``planar``), an unsupported dtype, missing pages, or data beyond
        the end of the file.
    """

    def __init__(self, tif: tifffile.TiffFile, series: tifffile.TiffPageSeries, where: str, size: int,
                 planar: bool) -> None:
        self.series = series
        self.where = where
        axes = str(series.axes)
        shape = tuple(int(n) for n in series.shape)
        if "S" in axes:
            if axes.index("S") >= len(axes) - 2:
                raise InputError(f"{where}: RGB / multi-sample pixels (axes {axes}, shape {_shape_text(shape)}): the "
                                 "samples of each pixel are interleaved, so they are not camera planes; split the "
                                 "channels into separate planes first")
            if not planar:
                raise InputError(f"{where}: stored as planar RGB / multi-sample images (axes {axes}, shape "
                                 f"{_shape_text(shape)}); if these are camera planes (tifffile.imwrite saves a 3- or "
                                 "4-plane stack this way), read them as planes with --axes zyx (or tyx)")
        self.shape = _check_shape(shape, where)
        self.dtype = _check_dtype(series.dtype, where)
        self.axes = axes
        self.n_planes = math.prod(self.shape[:-2])
        self.plane_shape = self.shape[-2:]
        self.offset: int | None = None  # set when read straight from the file
        self.page_offsets: list[int] | None = None  # set when every page is one raw block of the file
        self.byteorder = tif.byteorder
        self.saturation = _tiff_saturation(series.keyframe, self.dtype)
        plane_bytes = math.prod(self.plane_shape) * self.dtype.itemsize
        pages = [series.pages[i] for i in range(len(series.pages))]
        keyframe = series.keyframe
        self.per_page = self.n_planes // len(pages) if pages and self.n_planes % len(pages) == 0 else 0
        if self.per_page and math.prod(keyframe.shape) == self.per_page * math.prod(self.plane_shape):
            raw = keyframe.compression == 1 and keyframe.bitspersample == 8 * self.dtype.itemsize
            for k, page in enumerate(pages):
                if page is None:
                    raise InputError(f"{where}: page {k} is missing: the file is truncated or corrupt")
                counts = [int(n) for n in page.databytecounts]
                ends = [int(o) + n for o, n in zip(page.dataoffsets, counts, strict=False) if n]
                if ends and max(ends) > size:
                    raise InputError(f"{where}: page {k} needs bytes up to {max(ends)} but the file has {size}: it "
                                     "is truncated; copy it again")
                if raw and sum(counts) < self.per_page * plane_bytes:
                    raise InputError(f"{where}: page {k} stores {sum(counts)} bytes, too few for its "
                                     f"{_shape_text(keyframe.shape)} {self.dtype} image: the file is corrupt")
            self.page_offsets = self._raw_page_offsets(pages, keyframe, plane_bytes) if raw else None
            return
        self.per_page = 0
        offset = series.dataoffset
        if offset is None or len(pages) > 1 or keyframe.compression != 1:
            raise InputError(f"{where}: announces {self.n_planes} planes of {_shape_text(self.plane_shape)} but holds "
                             f"{len(pages)} readable pages: it is truncated or corrupt")
        if int(offset) + self.n_planes * plane_bytes > size:
            raise InputError(f"{where}: its {self.n_planes} planes need bytes up to "
                             f"{int(offset) + self.n_planes * plane_bytes} but the file has {size}: it is truncated; "
                             "copy it again")
        self.offset = int(offset)

    def _raw_page_offsets(self, pages: list, keyframe, plane_bytes: int) -> list[int] | None:
        """Where each page's planes start in the file, when every page stores them as one uncompressed block.

        Reading those planes is then a seek and a read into the output, without tifffile decoding the page's tags
        again on every read (a fifth of a millisecond per page, as much as compressing the plane).
        """
        if keyframe.is_tiled or keyframe.predictor != 1 or keyframe.fillorder != 1:
            return None
        offsets = []
        for page in pages:
            starts = [int(o) for o in page.dataoffsets]
            counts = [int(n) for n in page.databytecounts]
            if sum(counts) < self.per_page * plane_bytes or any(
                    starts[j] + counts[j] != starts[j + 1] for j in range(len(starts) - 1)):
                return None  # strips with gaps between them: tifffile reads those
            offsets.append(starts[0])
        return offsets

    def read(self, tif: tifffile.TiffFile, indices: list[int]) -> np.ndarray:
        """Planes at flat indices within this series, shape ``(n, Y, X)``."""
        ny, nx = self.plane_shape
        if self.page_offsets is not None:
            dtype = self.dtype.newbyteorder(self.byteorder)
            nbytes = ny * nx * dtype.itemsize
            out = np.empty((len(indices), ny, nx), dtype)
            fh = tif.filehandle
            for k, i in enumerate(indices):
                fh.seek(self.page_offsets[i // self.per_page] + (i % self.per_page) * nbytes)
                if fh.readinto(memoryview(out[k]).cast("B")) != nbytes:
                    raise InputError(f"{self.where}: plane {i} is cut short: the file is truncated; copy it again")
            return out
        if self.offset is not None:
            dtype = self.dtype.newbyteorder(self.byteorder)
            nbytes = ny * nx * dtype.itemsize
            fh = tif.filehandle
            out = np.empty((len(indices), ny, nx), dtype)
            for k, i in enumerate(indices):
                fh.seek(self.offset + i * nbytes)
                data = fh.read(nbytes)
                if len(data) != nbytes:
                    raise InputError(f"{self.where}: plane {i} is cut short: the file is truncated; copy it again")
                out[k] = np.frombuffer(data, dtype).reshape(ny, nx)
            return out
        pages = sorted({i // self.per_page for i in indices})
        data = self.series.asarray(key=pages).reshape(len(pages), self.per_page, ny, nx)
        where = {p: k for k, p in enumerate(pages)}
        return np.stack([data[where[i // self.per_page], i % self.per_page] for i in indices])


def _tiff_saturation(page, dtype: np.dtype) -> Saturation | None:
    """The saturation value a TIFF page states: its MaxSampleValue tag, else the largest value of fewer
    BitsPerSample than the dtype holds (a 12-bit camera's 4095)."""
    tag = page.tags.get(281)  # MaxSampleValue
    if tag is not None:
        value = tag.value
        value = max(value) if isinstance(value, tuple | list) and value else value
        found = Saturation.stated(value, dtype, f"the TIFF's MaxSampleValue ({value})")
        if found is not None:
            return found
    bits = page.bitspersample
    if isinstance(bits, int) and 0 < bits < 8 * dtype.itemsize:
        return Saturation.stated(2 ** bits - 1, dtype, f"the TIFF's BitsPerSample ({bits})")
    return None


MICROMETRES_PER_RESOLUTION_UNIT = {2: 25400.0, 3: 10000.0, 4: 1000.0, 5: 1.0}
"""Micrometres in one TIFF ResolutionUnit: INCH (2), CENTIMETER (3), and tifffile's MILLIMETER (4) and
MICROMETER (5); NONE (1) has no length."""
MEANINGLESS_DPI = (72.0, 96.0)
"""Pixels per inch that software writes by default (screen resolutions), which say nothing about the sample."""


def _tiff_pixel_size(tif: tifffile.TiffFile, series: int, page) -> PixelSize | None:
    """The pixel size a TIFF file states, from the first source that gives one: OME-XML ``Pixels``
    ``PhysicalSizeX/Y`` (of image ``series``), ImageJ's ``unit`` with the XResolution / YResolution tags of
    ``page``, or those tags with a ResolutionUnit of a length (not 72 or 96 dpi, not a resolution of 1).

    Odd metadata never fail a read: whatever cannot be read or makes no sense gives None.

    Examples
    --------
    >>> import numpy as np, tempfile, os, tifffile
    >>> path = os.path.join(tempfile.mkdtemp(), "cal.tif")
    >>> tifffile.imwrite(path, np.zeros((4, 4), np.uint16), resolution=(5000, 5000), resolutionunit="CENTIMETER")
    >>> with tifffile.TiffFile(path) as tif:
    ...     print(_tiff_pixel_size(tif, 0, tif.pages[0]).format())
    2 micrometer
    """
    for read in (_ome_pixel_size, _imagej_pixel_size, _resolution_pixel_size):
        try:
            found = read(tif, series, page)
        except Exception:  # damaged XML, odd tag types, ...: no pixel size, still a readable image
            found = None
        if found is not None:
            return found
    return None


def _ome_pixel_size(tif: tifffile.TiffFile, series: int, page) -> PixelSize | None:
    """``PhysicalSizeY`` / ``PhysicalSizeX`` of the OME-XML's ``Pixels`` (units default to µm, as OME says)."""
    xml = tif.ome_metadata
    if not xml:
        return None
    from xml.etree import ElementTree

    root = ElementTree.fromstring(xml)
    all_pixels = [element for element in root.iter() if str(element.tag).rsplit("}", 1)[-1] == "Pixels"]
    if not all_pixels:
        return None
    pixels = all_pixels[series if series < len(all_pixels) else 0]
    y, x = pixels.get("PhysicalSizeY"), pixels.get("PhysicalSizeX")
    if y is None or x is None:  # one axis alone: the other is unknown, not the same
        return None
    return _pixel_size(y, pixels.get("PhysicalSizeYUnit", "µm"), x, pixels.get("PhysicalSizeXUnit", "µm"),
                       "the OME-XML's PhysicalSizeX/Y")


def _tag_number(page, name: str) -> float | None:
    """A tag's value as a number (a rational ``(numerator, denominator)`` divided), or None."""
    tag = page.tags.get(name)
    if tag is None:
        return None
    value = tag.value
    if isinstance(value, tuple | list):
        if len(value) != 2 or not value[1]:
            return None
        value = value[0] / value[1]
    value = float(value)
    return value if math.isfinite(value) and value > 0 else None


def _from_resolution(per_unit: float, scale: float = 1.0) -> float:
    """``scale / per_unit`` to 7 significant digits: a resolution tag is a 32-bit rational, which writers fill
    with an approximation of pixels per unit (tifffile 2023 stores 1 / 0.3 so that it reads back as
    0.299999999884), and no pixel size is known to 7 digits."""
    return float(f"{scale / per_unit:.7g}")


def _imagej_pixel_size(tif: tifffile.TiffFile, series: int, page) -> PixelSize | None:
    """ImageJ's calibration: ``unit`` (and ``yunit``) in its metadata, pixels per unit in the resolution tags."""
    meta = tif.imagej_metadata
    if not meta or "unit" not in meta:
        return None
    x_res, y_res = _tag_number(page, "XResolution"), _tag_number(page, "YResolution")
    if x_res is None or y_res is None:
        return None
    return _pixel_size(_from_resolution(y_res), meta.get("yunit", meta["unit"]), _from_resolution(x_res), meta["unit"],
                       "ImageJ's unit and the TIFF's XResolution/YResolution")


def _resolution_pixel_size(tif: tifffile.TiffFile, series: int, page) -> PixelSize | None:
    """The XResolution / YResolution tags in pixels per ResolutionUnit (INCH when the tag is missing, as TIFF
    says), in micrometres; None for ResolutionUnit NONE and for the values software writes by default."""
    x_res, y_res = _tag_number(page, "XResolution"), _tag_number(page, "YResolution")
    unit_tag = page.tags.get("ResolutionUnit")
    unit = int(unit_tag.value) if unit_tag is not None else 2
    microns = MICROMETRES_PER_RESOLUTION_UNIT.get(unit)
    if microns is None or x_res is None or y_res is None:
        return None
    meaningless = {1.0, *MEANINGLESS_DPI} if unit == 2 else {1.0}
    if x_res in meaningless or y_res in meaningless:
        return None
    name = {2: "INCH", 3: "CENTIMETER", 4: "MILLIMETER", 5: "MICROMETER"}[unit]
    return _pixel_size(_from_resolution(y_res, microns), "micrometer", _from_resolution(x_res, microns), "micrometer",
                       f"the TIFF's XResolution/YResolution (per {name.lower()})")


class TiffSource(ImageSource):
    """A TIFF, OME-TIFF, BigTIFF or ImageJ hyperstack, read page by page.

    Every image series is read: one series as it is, several of one shape and dtype stacked along a new first
    axis (a movie written frame by frame with ``tifffile.TiffWriter.write`` holds one series per frame); series
    of different shapes or dtypes are refused unless one is chosen with ``series``.

    Parameters
    ----------
    path : str
        The file.
    series : int, optional
        Read only this series.
    planar : bool
        Read planar multi-sample ("RGB", axes such as ``SYX``) pages as planes instead of refusing them.

    Raises
    ------
    InputError
        Not a TIFF file; a truncated or corrupt one (including damage tifffile only logs, such as an IFD offset
        beyond the end of the file); series that cannot be stacked; multi-sample pixels; dtypes other than uint8
        and uint16.

    Examples
    --------
    >>> import numpy as np, tempfile, os, tifffile
    >>> path = os.path.join(tempfile.mkdtemp(), "movie.tif")
    >>> with tifffile.TiffWriter(path) as tif:  # one series per frame
    ...     for t in range(3):
    ...         tif.write(np.full((4, 5), t, dtype=np.uint16))
    >>> with TiffSource(path) as src:
    ...     print(src.shape, src.axes, src.read_planes([2])[0, 0, 0])
    (3, 4, 5) TYX 2
    >>> with TiffSource(path, series=1) as src:
    ...     print(src.shape, src.read_planes([0])[0, 0, 0])
    (4, 5) 1
    """

    kind = "tiff"

    def __init__(self, path: str, series: int | None = None, planar: bool = False) -> None:
        import tifffile

        # np.errstate: tifffile's metadata parsers divide by damaged values (e.g. MetaMorph's ZDistance)
        with _tifffile_messages() as messages, np.errstate(all="ignore"):
            try:
                self._tif = tifffile.TiffFile(path)
            except Exception as err:  # tifffile raises many kinds on garbage
                what = "a damaged TIFF file" if _tiff_magic(path) else "not a TIFF/OME-TIFF/BigTIFF file"
                raise InputError(f"{path}: {what} ({_reason(err)}); is it truncated or of another format?") from None
            try:
                self._open(path, series, planar, messages)
            except BaseException:
                self._tif.close()
                raise

    def _open(self, path: str, series: int | None, planar: bool, messages: list[str]) -> None:
        size = os.path.getsize(path)
        with _damage_is_an_error(path, messages):
            # walk the whole IFD chain: a cut file ends it early, which tifffile logs ...
            n_pages = len(self._tif.pages)
            # ... unless the cut falls in the last IFD's next-IFD offset, which then reads as "no more pages"
            last, tiff = self._tif.pages.get(n_pages - 1, aspage=True), self._tif.tiff
            ifd_end = last.offset + tiff.tagnosize + len(last.tags) * tiff.tagsize + tiff.offsetsize
            if ifd_end > size:
                raise InputError(f"{path}: a damaged TIFF file: the IFD of page {n_pages - 1} ends at byte {ifd_end} "
                                 f"but the file has {size}; it is truncated, copy it again")
            all_series = list(self._tif.series)
        if not all_series:
            raise InputError(f"{path}: the TIFF file holds no image")
        if series is not None:
            if not 0 <= series < len(all_series):
                raise InputError(f"{path}: there is no series {series}: the file holds {len(all_series)} series "
                                 f"(0..{len(all_series) - 1})")
            chosen = [series]
        else:
            chosen = list(range(len(all_series)))
            kinds = {(tuple(s.shape), np.dtype(s.dtype)) for s in all_series}
            if len(kinds) > 1:
                listed = ", ".join(f"{i}: {_shape_text(s.shape)} {np.dtype(s.dtype).name}"
                                   for i, s in enumerate(all_series[:8]))
                more = f", ... ({len(all_series)} in all)" if len(all_series) > 8 else ""
                raise InputError(f"{path}: holds {len(all_series)} image series of different shapes or dtypes "
                                 f"(series {listed}{more}); convert one at a time with --series N")
        with _damage_is_an_error(path, messages):
            self._parts = [_TiffSeries(self._tif, all_series[i], path if len(all_series) == 1 else
                                       f"{path} (series {i})", size, planar) for i in chosen]
        first = self._parts[0]
        if len(self._parts) == 1:
            shape, axes = first.shape, first.axes
        else:
            shape = (len(self._parts), *first.shape)
            # the new axis is T, or I (Q) when the series already have a T (and an I); None if the series differ
            letter = next((a for a in "TIQ" if a not in first.axes), None)
            same = len({p.axes for p in self._parts}) == 1
            axes = letter + first.axes if same and letter else None
        super().__init__(path, shape, first.dtype, axes)
        n_messages = len(messages)
        self.pixel_size = _tiff_pixel_size(self._tif, chosen[0], first.series.keyframe)
        del messages[n_messages:]  # what tifffile logs about odd metadata is no damage to the image
        self._per_series = first.n_planes
        stated = [p.saturation for p in self._parts]
        # several series: the largest value any states (a smaller one would clip the others' pixels)
        self.saturation = None if None in stated else max(stated, key=lambda found: found.value)

    def _read(self, indices: list[int]) -> np.ndarray:
        groups: dict[int, list[int]] = {}
        for k, i in enumerate(indices):
            groups.setdefault(i // self._per_series, []).append(k)
        # planes of one series come back as read, planes of several are gathered into one array
        out = None if len(groups) == 1 else np.empty((len(indices), *self.plane_shape), self.dtype)
        with _tifffile_messages() as messages, np.errstate(all="ignore"):
            for s, ks in groups.items():
                local = [indices[k] % self._per_series for k in ks]
                try:
                    planes = self._parts[s].read(self._tif, local)
                    if out is None:
                        out = planes
                    else:
                        out[ks] = planes
                except InputError:
                    raise
                except Exception as err:  # tifffile, the codecs and numpy raise many kinds on damaged data
                    raise InputError(f"{self._parts[s].where}: cannot read planes {min(local)}..{max(local)} "
                                     f"({_reason(err)}); the file is truncated or corrupt") from None
                if messages:
                    raise _damaged(self._parts[s].where, messages)
        return out if out is not None else np.empty((0, *self.plane_shape), self.dtype)

    def close(self) -> None:
        self._tif.close()


def _damaged(where: str, messages: list[str]) -> InputError:
    """The error for a TIFF file tifffile complained about."""
    more = f" (and {len(messages) - 1} more problems)" if len(messages) > 1 else ""
    return InputError(f"{where}: a damaged TIFF file: {messages[0]}{more}; it is truncated or corrupt, copy it again")


def _tiff_magic(path: str) -> bool:
    """Whether the file starts like a TIFF (``II*``, ``MM*``, BigTIFF ``II+`` / ``MM+``)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError:
        return False
    return head[:2] in (b"II", b"MM") and len(head) == 4


class FramesSource(ImageSource):
    """A sequence of TIFF files of identical shape and dtype, stacked along a new first axis (sorted naturally,
    so ``frame2.tif`` comes before ``frame10.tif``).

    The first file is opened to learn the frame shape; each other file is opened, checked and read (all its
    planes at once) when one of its planes is asked for.

    Parameters
    ----------
    path : str
        What the user named, for messages.
    files : list of str
        The files, in stacking order.
    series : int, optional
        Read only this series of every file (see :class:`TiffSource`).
    planar : bool
        Read planar multi-sample pages as planes (see :class:`TiffSource`).

    Examples
    --------
    >>> import numpy as np, tempfile, os, tifffile
    >>> folder = tempfile.mkdtemp()
    >>> for t in (1, 2, 10):
    ...     tifffile.imwrite(os.path.join(folder, f"frame{t}.tif"), np.full((4, 5), t, dtype=np.uint8))
    >>> files = sorted((os.path.join(folder, f) for f in os.listdir(folder)), key=_natural_key)
    >>> with FramesSource(folder, files) as src:
    ...     print(src.shape, src.read_planes([0, 1, 2])[:, 0, 0].tolist())
    (3, 4, 5) [1, 2, 10]
    """

    kind = "frames"

    def __init__(self, path: str, files: list[str], series: int | None = None, planar: bool = False) -> None:
        if not files:
            raise InputError(f"{path}: no TIFF files found (expected *.tif or *.tiff frames)")
        self._files = files
        self._series = series
        self._planar = planar
        with TiffSource(files[0], series, planar) as first:
            frame_shape, dtype, axes = first.shape, first.dtype, first.axes
            stated = first.saturation  # the camera's: the first frame speaks for the others
            pixel_size = first.pixel_size  # the same camera and optics
        super().__init__(path, (len(files), *frame_shape), dtype, "T" + axes if axes and "T" not in axes else None)
        self.saturation = stated
        self.pixel_size = pixel_size
        self._frame_shape = frame_shape
        self._per_file = math.prod(frame_shape[:-2])
        self._cache: tuple[int, np.ndarray] | None = None

    def _file_planes(self, k: int) -> np.ndarray:
        if self._cache is None or self._cache[0] != k:
            self._cache = None
            with TiffSource(self._files[k], self._series, self._planar) as src:
                if src.shape != self._frame_shape or src.dtype != self.dtype:
                    raise InputError(f"{self._files[k]}: shape {src.shape} {src.dtype} differs from the first frame "
                                     f"({self._frame_shape} {self.dtype}); all frames must match")
                self._cache = (k, src.read_planes(range(src.n_planes)))
        return self._cache[1]

    def _read(self, indices: list[int]) -> np.ndarray:
        return np.stack([self._file_planes(i // self._per_file)[i % self._per_file] for i in indices])


class PzfSource(ImageSource):
    """PYME PZF frames (one 2-D frame per file), stacked along a new first axis in the given order.

    Every header is read (its first 64 bytes) when the source opens, so a frame of another shape or dtype is
    refused before anything is converted; each frame is then read and decoded only when its plane is asked for.
    Planes are the arrays :func:`pymecompress.pzf.loads` returns with the depth axis dropped, shape
    ``(Width, Height)``: PYME indexes images ``[x, y]`` and its own ``.h5`` and TIFF exports keep that layout, so
    do we (no transpose). Square-root quantized frames decode to their dequantized integers (uint8 or uint16).

    Parameters
    ----------
    path : str
        What the user named (a folder, a pattern, a file or a description of a list), for messages.
    files : list of str
        The frames, in stacking order.
    stack : bool
        Stack the frames along a new first axis (default); False for a single file read as one 2-D image.

    Raises
    ------
    InputError
        An unreadable file, a file that is not a PZF frame, float32 frames, 3-D frames (``Depth > 1``), or frames
        whose shape or dtype differ from the first one's.
    """

    kind = "pzf"

    def __init__(self, path: str, files: list[str], stack: bool = True) -> None:
        if not files:
            raise InputError(f"{path}: no PZF files found (expected *.pzf frames)")
        if not stack and len(files) != 1:
            raise ValueError("stack=False needs exactly one file")
        self._files = files
        first = self._header(files[0])
        frame_shape = (first["Width"], first["Height"])
        dtype = _check_dtype(self._dtype_of(first), files[0])
        for f in files[1:]:
            header = self._header(f)
            self._check_frame(f, (header["Width"], header["Height"]), self._dtype_of(header), frame_shape, dtype)
        super().__init__(path, _check_shape((len(files), *frame_shape) if stack else frame_shape, path), dtype)
        self._frame_shape = frame_shape

    @staticmethod
    def _header(file: str) -> dict:
        """The checked header of one file (its first 64 bytes), as :func:`pymecompress.pzf.loads_header`."""
        from . import pzf
        from .errors import DecodeError

        try:
            with open(file, "rb") as fh:
                head = fh.read(64)
                size = os.fstat(fh.fileno()).st_size
            header = pzf.loads_header(head, frame_size=size)
        except OSError as err:
            raise InputError(f"{file}: cannot read it ({err.strerror or err})") from None
        except DecodeError as err:
            raise _pzf_error(file, err) from None
        except Exception as err:  # anything else the header parser trips over
            raise InputError(f"{file}: not a readable PZF frame ({_reason(err)})") from None
        if header["Depth"] != 1:
            raise InputError(f"{file}: a 3-D PZF frame ({header['Width']}x{header['Height']}x{header['Depth']}); "
                             "only 2-D frames (Depth 1) can be stacked")
        return header

    @staticmethod
    def _dtype_of(header: dict) -> np.dtype:
        """The native-order dtype a header's ``DataFormat`` decodes to."""
        from . import pzf

        return pzf._DTYPES[header["DataFormat"]].newbyteorder("=")

    def _check_frame(self, file: str, shape: tuple[int, ...], dtype: np.dtype, frame_shape: tuple[int, ...],
                     frame_dtype: np.dtype) -> None:
        """Raise :class:`InputError` naming ``file`` unless its frame matches the first one."""
        if tuple(shape) != tuple(frame_shape) or dtype != frame_dtype:
            raise InputError(f"{file}: frame of shape {'x'.join(map(str, shape))} {dtype.name} differs from the "
                             f"first frame {self._files[0]} ({'x'.join(map(str, frame_shape))} {frame_dtype.name}); "
                             "all frames must have the same shape and dtype")

    def _read(self, indices: list[int]) -> np.ndarray:
        from . import pzf
        from .errors import DecodeError

        frame_shape = self._frame_shape
        out = []  # filled frame by frame: a damaged header may announce a frame far larger than its payload
        for i in indices:
            file = self._files[i]
            try:
                with open(file, "rb") as fh:
                    data = fh.read()
                with np.errstate(over="ignore", invalid="ignore"):  # a damaged QuantScale: values saturate
                    array, _ = pzf.loads(data)
            except OSError as err:
                raise InputError(f"{file}: cannot read it ({err.strerror or err})") from None
            except DecodeError as err:
                raise _pzf_error(file, err, "; the file is truncated or corrupt") from None
            except Exception as err:  # e.g. MemoryError for a damaged header announcing a huge frame
                raise InputError(f"{file}: not a readable PZF frame ({_reason(err)}); the file is truncated or "
                                 "corrupt") from None
            if array.shape != (*frame_shape, 1) or array.dtype != self.dtype:  # the file changed since it was opened
                self._check_frame(file, array.shape[:2] if array.shape[2:] == (1,) else array.shape, array.dtype,
                                  frame_shape, self.dtype)
            out.append(array[:, :, 0])
        return np.stack(out)


def _pzf_error(file: str, err: Exception, hint: str = "") -> InputError:
    """One-line error naming the file, from a :class:`pymecompress.DecodeError`."""
    reason = str(err).removeprefix("PZF: ")
    if not reason.startswith("not a PZF"):
        reason = f"not a readable PZF frame ({reason})"
    return InputError(f"{file}: {reason}{hint}")


def _is_pzf(name: str) -> bool:
    """Whether the file name ends with ``.pzf`` (any case)."""
    return name.lower().endswith(PZF_SUFFIX)


def _list_label(files: list[str]) -> str:
    """How a list of files is named in messages and the summary: first .. last (N files)."""
    return files[0] if len(files) == 1 else f"{files[0]} .. {files[-1]} ({len(files)} files)"


def _frames_source(label: str, files: list[str], series: int | None, planar: bool) -> ImageSource:
    """PZF or TIFF frames, by file name; a mixture is refused."""
    pzf_files = [f for f in files if _is_pzf(f)]
    if pzf_files and len(pzf_files) != len(files):
        other = next(f for f in files if not _is_pzf(f))
        raise InputError(f"{label}: mixes PZF frames ({pzf_files[0]}) with other files ({other}); convert one kind "
                         "at a time")
    if pzf_files:
        _no_series(label, series, "PZF frames")
        return PzfSource(label, files)
    return FramesSource(label, files, series, planar)


def _no_series(name: str, series: int | None, what: str) -> None:
    """Refuse ``series`` for inputs that have no series."""
    if series is not None:
        raise InputError(f"{name}: --series {series} applies to TIFF files only, and this is {what}; leave it out")


def _open_list(names: list[str], series: int | None, planar: bool) -> ImageSource:
    """Several files given one by one: PZF or TIFF frames, stacked in natural order."""
    if not names:
        raise InputError("no input given")
    for name in names:
        p = Path(name)
        if p.is_dir():
            raise InputError(f"{name}: a folder in a list of files; give either one folder or several files")
        if not p.exists():
            raise InputError(f"{name}: no such file")
        if not p.is_file():
            raise InputError(f"{name}: not a regular file")
    files = sorted(names, key=_natural_key)
    if not all(_is_pzf(f) or f.lower().endswith(TIFF_SUFFIXES) for f in files):
        other = next(f for f in files if not (_is_pzf(f) or f.lower().endswith(TIFF_SUFFIXES)))
        raise InputError(f"{other}: several inputs must all be PZF frames (*.pzf) or all TIFF files (*.tif); give "
                         "a stack (.npy, multi-page TIFF) on its own")
    return _frames_source(_list_label(files), files, series, planar)


SEQ_SUFFIXES = (".seq",)
VIDEO_SUFFIXES = (".avi", ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".wmv", ".mpg", ".mpeg", ".ogv", ".flv", ".mj2")
HDF5_SUFFIXES = (".h5", ".hdf5", ".hdf", ".he5", ".nxs", ".nx5")
FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fz")
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _format_of(name: str, head: bytes) -> str | None:
    """``"seq"``, ``"video"``, ``"hdf5"`` or ``"fits"`` from a file's first 16 bytes or, failing that, its suffix;
    None for the others (TIFF, PZF, ``.npy``).

    Examples
    --------
    >>> _format_of("a.dat", b"SIMPLE  =                    T"), _format_of("b.SEQ", b""), _format_of("c.tif", b"II*")
    ('fits', 'seq', None)
    """
    lower = name.lower()
    if head.startswith(HDF5_MAGIC):
        return "hdf5"
    if head.startswith(b"SIMPLE  ="):
        return "fits"
    if head.startswith(b"\xed\xfe\x00\x00"):
        return "seq"
    if (head[:4] == b"RIFF" and head[8:12] == b"AVI ") or head[4:8] == b"ftyp" or head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video"
    for kind, suffixes in (("seq", SEQ_SUFFIXES), ("video", VIDEO_SUFFIXES), ("hdf5", HDF5_SUFFIXES),
                           ("fits", FITS_SUFFIXES)):
        if lower.endswith(suffixes):
            return kind
    return None


def _split_selector(name: str) -> tuple[str, str | None]:
    """``("scan.h5", "/entry/data")`` from ``"scan.h5:/entry/data"`` when ``scan.h5`` is a file and the whole name
    is not; else ``(name, None)``.

    Examples
    --------
    >>> _split_selector("no/such/file.h5:/data")
    ('no/such/file.h5:/data', None)
    """
    if os.path.exists(name) or ":" not in name:
        return name, None
    for k, c in enumerate(name):
        if c == ":" and k and os.path.isfile(name[:k]):
            return name[:k], name[k + 1:]
    return name, None


def _open_format(kind: str, name: str, selector: str | None, axes: str | None) -> ImageSource:
    """One of :mod:`pymecompress.readers` for ``kind`` (see :func:`_format_of`)."""
    if kind == "seq":
        if selector is not None:
            raise InputError(f"{name}: a .seq file holds one movie; leave out ':{selector}'")
        from .readers.seq import SeqSource

        return SeqSource(name)
    if kind == "video":
        from .readers.video import VideoSource

        return VideoSource(name, channel=selector, axes=axes)
    if kind == "hdf5":
        from .readers.hdf5 import Hdf5Source

        return Hdf5Source(name, dataset=selector)
    from .readers.fits import FitsSource

    return FitsSource(name, hdu=selector)


def _open(path: str | os.PathLike | Sequence[str | os.PathLike], series: int | None, planar: bool,
          axes: str | None = None) -> ImageSource:
    """:func:`open_source` without the ``axes`` override (``axes`` is passed on to the readers that use it)."""
    if not isinstance(path, (str, os.PathLike)):
        return _open_list([os.fspath(p) for p in path], series, planar)
    name, selector = _split_selector(os.fspath(path))
    if any(c in name for c in "*?[") and not os.path.exists(name):
        files = sorted((f for f in glob.glob(name) if os.path.isfile(f)), key=_natural_key)
        if not files:
            raise InputError(f"{name}: the pattern matches no files")
        return _frames_source(name, files, series, planar)
    p = Path(name)
    if p.is_dir():
        files = [str(f) for f in p.iterdir() if f.is_file() and not f.name.startswith(".")]
        tiffs = sorted((f for f in files if f.lower().endswith(TIFF_SUFFIXES)), key=_natural_key)
        pzfs = sorted((f for f in files if _is_pzf(f)), key=_natural_key)
        if tiffs and pzfs:
            raise InputError(f"{name}: the folder holds both TIFF and PZF frames; convert one kind at a time with a "
                             f"quoted pattern such as '{os.path.join(name, '*.pzf')}'")
        if not tiffs and not pzfs:
            raise InputError(f"{name}: no TIFF or PZF frames found (expected *.tif, *.tiff or *.pzf files)")
        return _frames_source(name, pzfs or tiffs, series, planar)
    if not p.exists():
        raise InputError(f"{name}: no such file or folder")
    if not p.is_file():
        raise InputError(f"{name}: not a regular file")
    try:
        with open(p, "rb") as fh:
            head = fh.read(16)
    except OSError as err:
        raise InputError(f"{name}: cannot read it ({err.strerror or err})") from None
    magic = head[:6]
    kind = _format_of(name, head)
    if kind is not None:
        _no_series(name, series, f"a {kind.upper() if kind in ('hdf5', 'fits') else kind} file")
        return _open_format(kind, name, selector, axes)
    if selector is not None:
        raise InputError(f"{name}: ':{selector}' selects a part of an HDF5 file, a FITS file or a video; this file "
                         "is none of them")
    if magic == b"\x93NUMPY":
        _no_series(name, series, "a .npy file")
        return NpySource(name)
    if p.suffix.lower() == ".npy":
        raise InputError(f"{name}: not a .npy file (bad magic bytes); is it truncated or of another format?")
    if _is_pzf(name) or (magic[:2] == b"BD" and magic[2:3] in (b"\x01", b"\x02", b"\x03")):
        _no_series(name, series, "a PZF frame")
        return PzfSource(name, [name], stack=False)
    return TiffSource(name, series, planar)


def _apply_axes(src: ImageSource, axes: str) -> None:
    """Give ``src`` the layout ``axes`` names (NGFF letters): the plane (Y, X) stays, the leading axes are kept
    (as many letters as axes), merged into one (three letters) or dropped (two letters, for a single plane).

    Raises
    ------
    InputError
        Invalid letters, or a number of letters that does not fit the stack.

    Examples
    --------
    >>> src = ImageSource("x", (2, 3, 4, 5), np.dtype(np.uint16))
    >>> _apply_axes(src, "zyx")
    >>> src.shape, src.axes
    ((6, 4, 5), 'ZYX')
    """
    from . import ome

    try:
        names = ome.check_axes(axes, len(axes))
    except ValueError as err:
        raise InputError(str(err)) from None
    shape, ndim, n = src.shape, len(src.shape), src.n_planes
    if len(names) == ndim:
        new = shape
    elif len(names) == 3:
        new = (n, *src.plane_shape)
    elif len(names) == 2:
        if n != 1:
            raise InputError(f"{src.path}: --axes {names} names a single image, but the stack holds {n} planes "
                             f"(shape {_shape_text(shape)}); name a leading axis too, e.g. --axes t{names} or "
                             f"z{names}")
        new = src.plane_shape
    else:
        keep = f"{ndim} letters to keep its axes, or " if ndim > 3 else ""
        raise InputError(f"{src.path}: --axes {names} names {len(names)} axes but the stack has {ndim} (shape "
                         f"{_shape_text(shape)}); give {keep}3 letters (e.g. tyx or zyx) to read its {n} planes as "
                         "one sequence")
    src.shape, src.axes = tuple(new), names.upper()


def open_source(path: str | os.PathLike | Sequence[str | os.PathLike], *, series: int | None = None,
                axes: str | None = None) -> ImageSource:
    """Open a TIFF / OME-TIFF / BigTIFF file, a ``.npy`` file, a PYME PZF frame, a folder, glob or list of TIFF
    or PZF frames, or a Norpix ``.seq``, HDF5, FITS or video file (:mod:`pymecompress.readers`).

    Parameters
    ----------
    path : str, path-like or sequence of them
        A file, a directory (every ``*.tif``/``*.tiff`` in it, or every ``*.pzf``), a pattern such as
        ``"frames/img_*.tif"`` (quote it in a shell), or several files (all PZF frames or all TIFF files). Frames
        are stacked along a new first axis in natural order of their paths (``frame2`` before ``frame10``), also
        when listed one by one. A single PZF file is one 2-D image, like a single-page TIFF. Files are recognised
        by their first bytes (else their suffix): ``.seq`` (:class:`~pymecompress.readers.seq.SeqSource`), HDF5
        (:class:`~pymecompress.readers.hdf5.Hdf5Source`), FITS (:class:`~pymecompress.readers.fits.FitsSource`)
        and video (:class:`~pymecompress.readers.video.VideoSource`) need the ``formats`` extra. ``FILE:PART``
        reads a part of such a file: an HDF5 dataset (``scan.h5:/entry/data``), a FITS HDU (``image.fits:SCI``,
        ``image.fits:SCI,2``, ``image.fits:1``) or one channel of a colour video (``movie.mp4:r``, ``:g``, ``:b``,
        ``:y``).
    series : int, optional
        Read only this image series of a TIFF file (of every file, for TIFF frames). By default every series is
        read: several series of one shape and dtype (a movie written frame by frame with
        ``tifffile.TiffWriter.write`` holds one per frame) are stacked along a new first axis, whose tifffile axes
        letter is ``T`` (``I`` if the series already have a ``T``); series of different shapes or dtypes are refused.
    axes : str, optional
        NGFF axis names such as ``"zyx"``, ``"tyx"`` or ``"tzyx"``, overriding the layout the reader found. The last
        two axes (Y, X) are the image plane and stay; the leading ones are kept when ``axes`` names as many axes as
        the stack has, merged into one when it names three, and dropped when it names two (a single plane only).
        ``axes`` also lets planar multi-sample TIFF pages (axes such as ``SYX``: a 3- or 4-plane stack that
        ``tifffile.imwrite`` saved as planar RGB) be read as planes, and four letters with ``c`` (``tcyx``) the RGB
        channels of a colour video. The source's ``axes`` is then ``axes.upper()``.

    Returns
    -------
    ImageSource
        Use it as a context manager, or call ``close()``.

    Raises
    ------
    InputError
        Missing, unreadable, truncated, corrupt or unsupported input (only uint8 and uint16 images; no
        multi-sample pixels unless planar and ``axes`` is given), frames of different shapes or dtypes, TIFF series
        that cannot be stacked, a ``series`` out of range or for an input that is not a TIFF, or ``axes`` that do
        not fit. A damaged file is refused rather than read in part: tifffile's warnings about it count as errors.

    Examples
    --------
    >>> try:
    ...     open_source("no/such/file.tif")
    ... except InputError as err:
    ...     print(err)
    no/such/file.tif: no such file or folder

    A 3-plane uint16 stack that ``tifffile.imwrite`` stored as planar RGB:

    >>> import numpy as np, tempfile, os, tifffile
    >>> path = os.path.join(tempfile.mkdtemp(), "three.tif")
    >>> tifffile.imwrite(path, np.zeros((3, 8, 6), np.uint16), photometric="rgb", planarconfig="separate")
    >>> with open_source(path, axes="zyx") as src:
    ...     print(src.shape, src.axes)
    (3, 8, 6) ZYX
    """
    if series is not None and (isinstance(series, bool) or not isinstance(series, (int, np.integer))
                               or series < 0):
        raise InputError(f"--series must be an integer >= 0, got {series!r}")
    src = _open(path, None if series is None else int(series), axes is not None, axes)
    if axes is not None:
        try:
            _apply_axes(src, axes)
        except BaseException:
            src.close()
            raise
    return src
