"""Frames in separate files: a folder, a pattern or a list of TIFF files or PYME PZF frames, stacked along a new
first axis in the natural order of their paths."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from .base import ImageSource, InputError, _check_dtype, _check_shape, _natural_key, _no_series, _reason
from .tiff import TIFF_SUFFIXES, TiffSource

PZF_SUFFIX = ".pzf"


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
    Planes are the arrays :func:`pymecompress.io.pzf.loads` returns with the depth axis dropped, shape
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
        """The checked header of one file (its first 64 bytes), as :func:`pymecompress.io.pzf.loads_header`."""
        from ..errors import DecodeError
        from . import pzf

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
        from ..errors import DecodeError
        from . import pzf

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
