"""Image stacks read plane by plane: TIFF / OME-TIFF / BigTIFF files, folders, globs or lists of TIFF or PYME PZF
frames, ``.npy``.

Every source has a ``shape`` (the last two axes are the image plane, Y and X), a ``dtype`` and
:meth:`ImageSource.read_planes`, which returns only the planes asked for, so that converting or calibrating
a stack of any size keeps a bounded amount of it in memory. Leading axes are addressed by *plane index*: the
row-major flat index over ``shape[:-2]``.

Problems with the input raise :class:`InputError` with a message that says what is wrong and what to do.

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
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

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


class ImageSource:
    """A stack of image planes; subclasses implement :meth:`_read`.

    Attributes
    ----------
    path : str
        What the user named.
    kind : str
        ``"tiff"``, ``"frames"`` (TIFF frames), ``"pzf"`` (PZF frames) or ``"npy"``.
    shape : tuple of int
        Full shape; the last two axes are Y, X.
    dtype : numpy.dtype
        uint8 or uint16 (native byte order on reading).
    axes : str or None
        tifffile's axes letters (e.g. ``"TZYX"``) when the file says, else None.
    """

    kind = "?"

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
            raise InputError(f"{path}: not a readable .npy array ({err})") from None
        except OSError as err:
            raise InputError(f"{path}: cannot read it as a .npy file ({err})") from None
        if not isinstance(mapped, np.memmap):
            raise InputError(f"{path}: expected one array in a .npy file")
        super().__init__(path, _check_shape(mapped.shape, path), _check_dtype(mapped.dtype, path))
        self._offset = int(mapped.offset)
        self._fortran = bool(mapped.flags.f_contiguous and not mapped.flags.c_contiguous)
        self._mapped = mapped if self._fortran else None  # Fortran order: planes are strided, keep the map
        del mapped
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()

    def _read(self, indices: list[int]) -> np.ndarray:
        ny, nx = self.plane_shape
        if self._mapped is not None:  # Fortran order: copy each strided plane out of the map
            lead = self.shape[:-2]
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
def _quiet_tifffile():
    """tifffile logs warnings about damaged files; we raise one clear error instead."""
    log = logging.getLogger("tifffile")
    level = log.level
    log.setLevel(logging.ERROR + 10)
    try:
        yield
    finally:
        log.setLevel(level)


class TiffSource(ImageSource):
    """The first image series of a TIFF, OME-TIFF, BigTIFF or ImageJ hyperstack, read page by page."""

    kind = "tiff"

    def __init__(self, path: str):
        import tifffile

        with _quiet_tifffile():
            try:
                self._tif = tifffile.TiffFile(path)
            except Exception as err:  # tifffile raises many kinds on garbage
                raise InputError(f"{path}: not a TIFF/OME-TIFF/BigTIFF file or a .npy array ({err})") from None
            self._open(path)

    def _open(self, path: str) -> None:
        try:
            if not self._tif.series:
                raise InputError(f"{path}: the TIFF file holds no image")
            series = self._tif.series[0]
            axes = series.axes
            if "S" in axes:
                raise InputError(f"{path}: RGB / multi-sample images (axes {axes}) are not camera data; split the "
                                 "channels into separate planes first")
            shape = _check_shape(tuple(series.shape), path)
            super().__init__(path, shape, _check_dtype(series.dtype, path), axes)
            self._series = series
            self._size = os.path.getsize(path)
            self._contiguous: int | None = None
            if len(series.pages) != self.n_planes:
                # e.g. ImageJ hyperstacks > 4 GB hold one IFD for all planes: read the contiguous data directly
                offset = series.dataoffset
                if offset is None or series.dtype.itemsize * math.prod(shape) + offset > self._size:
                    raise InputError(f"{path}: the file announces {self.n_planes} planes but holds "
                                     f"{len(series.pages)} readable pages: it is truncated or corrupt")
                self._contiguous = int(offset)
                self._byteorder = self._tif.byteorder
        except BaseException:
            self._tif.close()
            raise

    def _read(self, indices: list[int]) -> np.ndarray:
        import tifffile

        if self._contiguous is not None:
            plane = math.prod(self.plane_shape)
            dtype = self.dtype.newbyteorder(self._byteorder)
            fh = self._tif.filehandle
            out = []
            for i in indices:
                fh.seek(self._contiguous + i * plane * dtype.itemsize)
                out.append(np.frombuffer(fh.read(plane * dtype.itemsize), dtype).reshape(self.plane_shape))
            return np.stack(out)
        pages = self._series.pages
        for i in indices:
            page = pages[i]
            if page is None:
                raise InputError(f"{self.path}: page {i} is missing; the file is truncated or corrupt")
            ends = [o + n for o, n in zip(page.dataoffsets, page.databytecounts, strict=False) if n]
            if ends and max(ends) > self._size:
                raise InputError(f"{self.path}: page {i} needs bytes up to {max(ends)} but the file has "
                                 f"{self._size}: it is truncated; copy it again")
        try:
            with _quiet_tifffile():
                data = self._series.asarray(key=indices if len(indices) > 1 else indices[0])
        except (tifffile.TiffFileError, ValueError, OSError, IndexError) as err:
            raise InputError(f"{self.path}: cannot read pages {indices[0]}..{indices[-1]} ({err}); the file is "
                             "truncated or corrupt") from None
        return data.reshape(len(indices), *self.plane_shape)

    def close(self) -> None:
        self._tif.close()


class FramesSource(ImageSource):
    """A sequence of TIFF files of identical shape and dtype, stacked along a new first axis (sorted naturally,
    so ``frame2.tif`` comes before ``frame10.tif``)."""

    kind = "frames"

    def __init__(self, path: str, files: list[str]):
        if not files:
            raise InputError(f"{path}: no TIFF files found (expected *.tif or *.tiff frames)")
        self._files = files
        with TiffSource(files[0]) as first:
            frame_shape, dtype, axes = first.shape, first.dtype, first.axes
        super().__init__(path, (len(files), *frame_shape), dtype, "T" + axes if axes and "T" not in axes else None)
        self._per_file = math.prod(frame_shape[:-2])
        self._cache: tuple[int, np.ndarray] | None = None

    def _file_planes(self, k: int) -> np.ndarray:
        if self._cache is None or self._cache[0] != k:
            with TiffSource(self._files[k]) as src:
                if src.shape != self.shape[1:] or src.dtype != self.dtype:
                    raise InputError(f"{self._files[k]}: shape {src.shape} {src.dtype} differs from the first frame "
                                     f"({self.shape[1:]} {self.dtype}); all frames must match")
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
        self._stack = stack

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

        frame_shape = self.shape[1:] if self._stack else self.shape
        out = np.empty((len(indices), *frame_shape), dtype=self.dtype)
        for k, i in enumerate(indices):
            file = self._files[i]
            try:
                with open(file, "rb") as fh:
                    data = fh.read()
                array, _ = pzf.loads(data)
            except OSError as err:
                raise InputError(f"{file}: cannot read it ({err.strerror or err})") from None
            except DecodeError as err:
                raise _pzf_error(file, err, "; the file is truncated or corrupt") from None
            if array.shape != (*frame_shape, 1) or array.dtype != self.dtype:  # the file changed since it was opened
                self._check_frame(file, array.shape[:2] if array.shape[2:] == (1,) else array.shape, array.dtype,
                                  frame_shape, self.dtype)
            out[k] = array[:, :, 0]
        return out


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


def _frames_source(label: str, files: list[str]) -> ImageSource:
    """PZF or TIFF frames, by file name; a mixture is refused."""
    pzf_files = [f for f in files if _is_pzf(f)]
    if pzf_files and len(pzf_files) != len(files):
        other = next(f for f in files if not _is_pzf(f))
        raise InputError(f"{label}: mixes PZF frames ({pzf_files[0]}) with other files ({other}); convert one kind "
                         "at a time")
    return PzfSource(label, files) if pzf_files else FramesSource(label, files)


def _open_list(names: list[str]) -> ImageSource:
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
    return _frames_source(_list_label(files), files)


def open_source(path: str | os.PathLike | Sequence[str | os.PathLike]) -> ImageSource:
    """Open a TIFF / OME-TIFF / BigTIFF file, a ``.npy`` file, a PYME PZF frame, or a folder, glob or list of TIFF
    or PZF frames.

    Parameters
    ----------
    path : str, path-like or sequence of them
        A file, a directory (every ``*.tif``/``*.tiff`` in it, or every ``*.pzf``), a pattern such as
        ``"frames/img_*.tif"`` (quote it in a shell), or several files (all PZF frames or all TIFF files). Frames
        are stacked along a new first axis in natural order of their paths (``frame2`` before ``frame10``), also
        when listed one by one. A single PZF file is one 2-D image, like a single-page TIFF.

    Returns
    -------
    ImageSource
        Use it as a context manager, or call ``close()``.

    Raises
    ------
    InputError
        Missing, unreadable, truncated or unsupported input (only uint8 and uint16 images), or frames of different
        shapes or dtypes.

    Examples
    --------
    >>> try:
    ...     open_source("no/such/file.tif")
    ... except InputError as err:
    ...     print(err)
    no/such/file.tif: no such file or folder
    """
    if not isinstance(path, (str, os.PathLike)):
        return _open_list([os.fspath(p) for p in path])
    name = os.fspath(path)
    if any(c in name for c in "*?[") and not os.path.exists(name):
        files = sorted((f for f in glob.glob(name) if os.path.isfile(f)), key=_natural_key)
        if not files:
            raise InputError(f"{name}: the pattern matches no files")
        return _frames_source(name, files)
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
        return PzfSource(name, pzfs) if pzfs else FramesSource(name, tiffs)
    if not p.exists():
        raise InputError(f"{name}: no such file or folder")
    if not p.is_file():
        raise InputError(f"{name}: not a regular file")
    with open(p, "rb") as fh:
        magic = fh.read(6)
    if magic == b"\x93NUMPY":
        return NpySource(name)
    if p.suffix.lower() == ".npy":
        raise InputError(f"{name}: not a .npy file (bad magic bytes); is it truncated or of another format?")
    if _is_pzf(name) or (magic[:2] == b"BD" and magic[2:3] in (b"\x01", b"\x02", b"\x03")):
        return PzfSource(name, [name], stack=False)
    return TiffSource(name)
