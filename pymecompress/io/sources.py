"""Image stacks read plane by plane: TIFF / OME-TIFF / BigTIFF files, folders, globs or lists of TIFF or PYME PZF
frames, ``.npy``; and, with the ``formats`` extra, Norpix ``.seq`` movies, video files (AVI, MP4, MOV, MKV, ...),
HDF5 datasets and FITS images (:mod:`pymecompress.io.readers`).

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

import glob
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .base import (
    NGFF_LENGTH_UNITS,
    SUPPORTED_DTYPES,
    ImageSource,
    InputError,
    PixelSize,
    Saturation,
    _natural_key,
    _no_series,
    _shape_text,
    check_axes,
    length_unit,
)
from .frames import PZF_SUFFIX, FramesSource, PzfSource, _frames_source, _is_pzf, _open_list
from .npy import NpySource
from .tiff import TIFF_SUFFIXES, TiffSource

# open_source, and the types of what it returns (defined in the modules by format and pymecompress.io.base)
__all__ = ["open_source", "ImageSource", "InputError", "PixelSize", "Saturation", "length_unit", "check_axes",
           "NGFF_LENGTH_UNITS", "SUPPORTED_DTYPES", "TIFF_SUFFIXES", "PZF_SUFFIX", "TiffSource", "NpySource",
           "FramesSource", "PzfSource"]

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
    """One of :mod:`pymecompress.io.readers` for ``kind`` (see :func:`_format_of`)."""
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
    try:
        names = check_axes(axes, len(axes))
    except ValueError as err:
        raise InputError(str(err)) from None
    shape, ndim, n = src.shape, len(src.shape), src.n_planes
    if len(names) == ndim:
        new = shape
    elif len(names) == 3:
        new = (n, *src.plane_shape)
    elif len(names) == 2:
        if n != 1:
            raise InputError(f"{src.path}: axes={names!r} names a single image, but the stack holds {n} planes "
                             f"(shape {_shape_text(shape)}); name a leading axis too, e.g. axes='t{names}' or "
                             f"'z{names}'")
        new = src.plane_shape
    else:
        keep = f"{ndim} letters to keep its axes, or " if ndim > 3 else ""
        raise InputError(f"{src.path}: axes={names!r} names {len(names)} axes but the stack has {ndim} (shape "
                         f"{_shape_text(shape)}); give {keep}3 letters (e.g. tyx or zyx) to read its {n} planes as "
                         "one sequence")
    src.shape, src.axes = tuple(new), names.upper()


def open_source(path: str | os.PathLike | Sequence[str | os.PathLike], *, series: int | None = None,
                axes: str | None = None) -> ImageSource:
    """Open a TIFF / OME-TIFF / BigTIFF file, a ``.npy`` file, a PYME PZF frame, a folder, glob or list of TIFF
    or PZF frames, or a Norpix ``.seq``, HDF5, FITS or video file (:mod:`pymecompress.io.readers`).

    Parameters
    ----------
    path : str, path-like or sequence of them
        A file, a directory (every ``*.tif``/``*.tiff`` in it, or every ``*.pzf``), a pattern such as
        ``"frames/img_*.tif"`` (quote it in a shell), or several files (all PZF frames or all TIFF files). Frames
        are stacked along a new first axis in natural order of their paths (``frame2`` before ``frame10``), also
        when listed one by one. A single PZF file is one 2-D image, like a single-page TIFF. Files are recognised
        by their first bytes (else their suffix): ``.seq`` (:class:`~pymecompress.io.readers.seq.SeqSource`), HDF5
        (:class:`~pymecompress.io.readers.hdf5.Hdf5Source`), FITS (:class:`~pymecompress.io.readers.fits.FitsSource`)
        and video (:class:`~pymecompress.io.readers.video.VideoSource`) need the ``formats`` extra. ``FILE:PART``
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
        raise InputError(f"series must be an integer >= 0, got {series!r}")
    src = _open(path, None if series is None else int(series), axes is not None, axes)
    if axes is not None:
        try:
            _apply_axes(src, axes)
        except BaseException:
            src.close()
            raise
    return src
