"""TIFF, OME-TIFF and BigTIFF files (through tifffile): every image series, the saturation and pixel size the
file states, and damage refused rather than read in part."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from .base import (
    ImageSource,
    InputError,
    PixelSize,
    Saturation,
    _check_dtype,
    _check_shape,
    _one_line,
    _pixel_size,
    _reason,
    _shape_text,
)

if TYPE_CHECKING:
    import tifffile


TIFF_SUFFIXES = (".tif", ".tiff", ".btf", ".tf8", ".ome.tif", ".ome.tiff")


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
                                 "4-plane stack this way), read them as planes with axes='zyx' (or 'tyx')")
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
                                 f"(series {listed}{more}); convert one at a time with series=N")
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
