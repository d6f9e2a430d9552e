"""What ``export`` reads: a zarr store (what ``convert`` wrote, or any zarr array of camera counts) or anything
``convert`` reads, as a sequence of 2-D frames.

Frames run along time (the first axis of a stack whose axes are not known), one 2-D image each. Stacks with more
axes (``tzyx``, ``tcyx``, ``tczyx``, ``czyx``) give one plane per frame: a channel (``channel``, default 0), a z
plane (``z``) or the maximum projection over z (``project="max"``, the default when no z plane is named); a
stack without time runs along z (or its channels) instead, as :func:`frame_axis` says.

Examples
--------
>>> import numpy as np, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "tzyx.npy")
>>> np.save(path, np.arange(2 * 3 * 4 * 5, dtype=np.uint16).reshape(2, 3, 4, 5))
>>> with open_frames(path, axes="tzyx") as movie:
...     print(len(movie), movie.frame_shape, movie.read(1)[0, :3], movie.notes)
2 (4, 5) [100 101 102] ['z: maximum projection over 3 planes']
>>> with open_frames(path, axes="tzyx", z=0) as movie:
...     print(movie.read(1)[0, :3])
[60 61 62]
"""

from __future__ import annotations

import itertools
import os

import numpy as np

from ...io.sources import ImageSource, InputError, open_source
from ...io.transforms import Transforms, apply
from ...zarr.ome import TIFF_AXES, default_axes, multiscales_of, pixel_size_of

PROJECTIONS = ("max",)


class StoreSource(ImageSource):
    """A zarr array of camera counts, read plane by plane: the array itself, the first level of an OME-Zarr
    image, or the one array of a group. Its ``timestamps`` and ``pixel_size`` are those ``convert`` stored."""

    kind = "zarr"

    def __init__(self, path: str, node) -> None:
        import zarr

        array, axes, attrs = _image_array(path, node)
        dtype = np.dtype(array.dtype)
        if dtype not in (np.uint8, np.uint16, np.int16, np.uint32, np.float32):
            raise InputError(f"{path}: a zarr array of {dtype}; export takes images of integer counts or float32")
        if array.ndim < 2:
            raise InputError(f"{path}: a zarr array of shape {array.shape}: export needs images (2 or more axes)")
        super().__init__(str(path), tuple(int(n) for n in array.shape), dtype, axes)
        self._array: zarr.Array = array
        self.pixel_size = pixel_size_of(node)
        stamps = (attrs.get("pymecompress") or {}).get("timestamps") or {}
        values = stamps.get("values")
        if values is not None and len(values) == self.shape[0] and stamps.get("axis", 0) == 0:
            self.timestamps = np.asarray(values, dtype=np.float64)

    def _read(self, indices: list[int]) -> np.ndarray:
        lead = self.shape[:-2]
        out = np.empty((len(indices), *self.plane_shape), dtype=self.dtype)
        for k, i in enumerate(indices):
            out[k] = self._array[np.unravel_index(i, lead) if lead else ()]
        return out


def _image_array(path: str, node):
    """The array to show at ``node`` (an array or a group), its axes letters (or None) and the attributes that
    describe it (the group's for OME-Zarr)."""
    import zarr

    if isinstance(node, zarr.Array):
        return node, None, node.attrs.asdict()
    attrs = node.attrs.asdict()
    multiscales = multiscales_of(attrs)
    if multiscales:
        first = multiscales[0]
        array = node[first["datasets"][0]["path"]]
        axes = "".join(a.get("name", "?") for a in first.get("axes", [])).upper() or None
        return array, axes, attrs
    arrays = sorted(name for name, m in node.members(max_depth=None) if isinstance(m, zarr.Array))
    if len(arrays) != 1:
        raise InputError(f"{path}: a zarr group of {len(arrays)} arrays ({', '.join(arrays) or 'none'}) and no "
                         "OME-Zarr image: name the array, e.g. STORE/ARRAY")
    array = node[arrays[0]]
    return array, None, {**attrs, **array.attrs.asdict()}


def open_input(path: str | os.PathLike, series: int | None = None) -> ImageSource:
    """A zarr store at ``path`` as a :class:`StoreSource`, or else what ``convert`` would read there."""
    from ...zarr.stores import NotZarrError, open_store

    try:
        node = open_store(path)
    except NotZarrError:
        return open_source(path, series=series)
    except FileNotFoundError:
        if os.path.exists(os.path.dirname(os.fspath(path)) or "."):
            parent, name = os.path.split(os.fspath(path))
            try:  # STORE/ARRAY: one array of a group
                return StoreSource(os.fspath(path), open_store(parent)[name])
            except (NotZarrError, FileNotFoundError, KeyError, ValueError):
                pass
        raise InputError(f"{path}: no such file or folder") from None
    except ValueError as err:
        raise InputError(str(err)) from None
    if series is not None:
        raise InputError(f"{path}: series={series} applies to TIFF files; this is a zarr store, so leave it out")
    return StoreSource(os.fspath(path), node)


class FrameReader:
    """The frames of one input after ``transforms``: along time (else see :func:`frame_axis`), one plane per
    frame (see the module doc).

    Attributes
    ----------
    source : ImageSource
        The (transformed) stack.
    frame_shape : tuple of int
        Rows and columns of a frame.
    timestamps : numpy.ndarray or None
        Seconds of each frame, where the input records them.
    notes : list of str
        How frames were made from the other axes before the image's.
    """

    def __init__(self, source: ImageSource, z: int | None = None, channel: int | None = None,
                 project: str | None = None) -> None:
        self.source = source
        if project is not None and project not in PROJECTIONS:
            raise ValueError(f"project must be one of {', '.join(PROJECTIONS)} or None, got {project!r}")
        shape = source.shape
        self.frame_shape = source.plane_shape
        self.notes: list[str] = []
        if len(shape) == 2:
            self._lead: tuple[int, ...] = ()
            self._picks: list[list[int]] = []
            self._n = 1
            self.timestamps = None
            return
        self._lead = tuple(shape[:-2])
        letters = _axes_letters(source, len(shape))[:-2]
        self._frame_axis = frame_axis(letters, z, channel, project)
        picks: list[list[int] | None] = []
        used = {"z": False, "c": False}
        for axis, (letter, size) in enumerate(zip(letters, self._lead, strict=True)):
            if axis == self._frame_axis:
                picks.append(None)
                if letter != "t" and size > 1:
                    self.notes.append(f"frames along {letter}")
            elif letter == "c":
                used["c"] = True
                picks.append([_index(channel, size, "channel")])
                if size > 1:
                    self.notes.append(f"channel {picks[-1][0]} of {size}")
            elif letter == "z" and z is None and size > 1:
                used["z"] = True
                picks.append(list(range(size)))
                self.notes.append(f"z: maximum projection over {size} planes")
            elif letter == "z":
                used["z"] = True
                picks.append([_index(z, size, "z")])
                if size > 1:
                    self.notes.append(f"z plane {picks[-1][0]} of {size}")
            else:
                picks.append([0])
                if size > 1:
                    self.notes.append(f"axis {letter}: index 0 of {size}")
        for name, value, key in (("z", z, "z"), ("channel", channel, "c")):
            if value is not None and not used[key]:
                raise InputError(f"{source.path}: {name}={value} given, but the stack (axes {letters}yx) has no {name} "
                                 "axis to choose from")
        if project is not None and not used["z"]:
            raise InputError(f"{source.path}: project={project!r} needs a z axis; the stack's axes are {letters}yx")
        self._picks = picks
        self._n = 1 if self._frame_axis is None else self._lead[self._frame_axis]
        self.timestamps = source.timestamps if self._frame_axis == 0 else None

    def __len__(self) -> int:
        return self._n

    def read(self, t: int) -> np.ndarray:
        """Frame ``t`` as a 2-D array of the input's dtype."""
        if not self._lead:
            return self.source.read_planes([0])[0]
        picks = [[t] if p is None else p for p in self._picks]
        indices = [int(np.ravel_multi_index(c, self._lead)) for c in itertools.product(*picks)]
        planes = self.source.read_planes(indices)
        return planes[0] if len(planes) == 1 else planes.max(axis=0)

    def close(self) -> None:
        self.source.close()

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def frame_axis(letters: str, z: int | None, channel: int | None, project: str | None) -> int | None:
    """Which of the axes before the image's (NGFF letters) the frames run along: time; else z, when neither a z
    plane nor a projection is asked for (a z-stack, plane by plane); else the channels, when none is chosen; else
    none (one frame).

    Examples
    --------
    >>> frame_axis("tz", None, None, None), frame_axis("cz", None, None, None), frame_axis("cz", 3, None, None)
    (0, 1, 0)
    >>> print(frame_axis("cz", None, 1, "max"))
    None
    """
    if "t" in letters:
        return letters.index("t")
    if "z" in letters and z is None and project is None:
        return letters.index("z")
    if "c" in letters and channel is None:
        return letters.index("c")
    return None


def _axes_letters(source: ImageSource, ndim: int) -> str:
    """Lower-case NGFF letters of the stack's axes: the file's where it says, else :func:`default_axes`."""
    if source.axes and len(source.axes) == ndim:
        letters = "".join(TIFF_AXES.get(a.upper(), a.lower()) for a in source.axes)
        if letters.endswith("yx"):
            return letters
    return default_axes(ndim) if 2 <= ndim <= 5 else "t" * (ndim - 2) + "yx"


def _index(value: int | None, size: int, what: str) -> int:
    if value is None:
        return 0
    if not 0 <= value < size:
        raise InputError(f"{what}={value} is out of range: the stack has {size} (0 to {size - 1})")
    return int(value)


def open_frames(path: str | os.PathLike, transforms: Transforms | None = None, *, z: int | None = None,
                channel: int | None = None, project: str | None = None, series: int | None = None,
                axes: str | None = None) -> FrameReader:
    """Open ``path`` (see :func:`open_input`), apply ``transforms`` (frames, crop, bin) and read it frame by frame.

    ``axes`` names the stack's axes (NGFF letters, e.g. ``"tzyx"``) where the file does not.
    """
    source = open_input(path, series=series)
    try:
        if axes is not None:
            letters = axes.lower()
            if len(letters) != len(source.shape) or not letters.endswith("yx"):
                raise InputError(f"{path}: axes={axes!r} does not fit the stack's {len(source.shape)} axes "
                                 f"(shape {source.shape})")
            source.axes = letters.upper()
        source = apply(source, transforms)
        return FrameReader(source, z=z, channel=channel, project=project)
    except BaseException:
        source.close()
        raise


def same_length(readers: list[FrameReader], paths: list[str]) -> int:
    """The frame count the inputs share; refuses inputs of different lengths."""
    counts = [len(r) for r in readers]
    if len(set(counts)) > 1:
        listing = ", ".join(f"{p}: {n}" for p, n in zip(paths, counts, strict=True))
        raise InputError(f"the inputs have different numbers of frames ({listing}): choose the same range of each "
                         "with frames='START:STOP'")
    return counts[0] if counts else 0


def frame_times(reader: FrameReader, fps: float) -> np.ndarray:
    """Seconds of every frame: the input's timestamps from its first, else frame index / ``fps``."""
    if reader.timestamps is not None and len(reader.timestamps) == len(reader):
        stamps = np.asarray(reader.timestamps, dtype=np.float64)
        return stamps - stamps[0]
    return np.arange(len(reader)) / float(fps)


__all__ = ["FrameReader", "StoreSource", "open_frames", "open_input", "same_length", "frame_times"]
