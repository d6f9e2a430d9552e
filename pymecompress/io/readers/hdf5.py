"""HDF5 (and NeXus) files, read with h5py: one image dataset, ``(..., Y, X)``.

A file with one image dataset (at least 2-D, integer) is read as it is; a file with several needs the dataset's
path, given as ``FILE:DATASET`` (``scan.h5:/entry/data/data``, the leading ``/`` optional). Soft and external links
are followed (a detector's master file that links its data files reads as the data). Chunked datasets are
read one chunk-aligned slab at a time: a plane asked for brings in the slab that holds it, one chunk's extent along
the first axis and every plane along the others (each chunk decompressed once), kept until a plane of another slab
is asked for, so reading plane after plane costs one pass over the chunks; at most :data:`SLAB_LIMIT` bytes are
held (a smaller slab, one chunk's extent along every leading axis, or one plane, when that is too much).
Compression filters beyond gzip and szip (bitshuffle, LZ4, Blosc, Zstd, ...) come from ``hdf5plugin`` when it is
installed (the ``formats`` extra installs it).

Examples
--------
>>> import h5py, numpy as np, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "scan.h5")
>>> with h5py.File(path, "w") as f:
...     _ = f.create_dataset("entry/data", data=np.arange(4 * 3 * 5, dtype=np.uint16).reshape(4, 3, 5),
...                          chunks=(2, 3, 5), compression="gzip")
>>> with Hdf5Source(path) as src:
...     print(src.shape, src.dtype, src.dataset, src.read_planes([3])[0, 0].tolist())
(4, 3, 5) uint16 /entry/data [45, 46, 47, 48, 49]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..base import ImageSource, InputError, PixelSize, _check_dtype, _check_shape, _pixel_size, _reason
from . import require

SLAB_LIMIT = 128 * 2**20  # bytes: at most this much of a dataset is held between reads


def _json_value(value: Any) -> Any:
    """An HDF5 attribute as a JSON-serializable value (None when it has no such form)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray):
        if value.size > 1000 or value.dtype.kind not in "biufUS":
            return None
        return [_json_value(v) for v in value.tolist()] if value.ndim else _json_value(value.item())
    if isinstance(value, np.generic):
        return _json_value(value.item())
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return None


def image_datasets(f: Any) -> list[tuple[str, Any]]:
    """The datasets of an open ``h5py.File`` that may be images (at least 2-D, integer or float, not empty), as
    ``(path in the file, dataset)`` in file order, following soft and external links (an Eiger or NeXus master file
    links the data files) and naming each dataset once.

    Examples
    --------
    >>> import h5py, numpy as np, os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with h5py.File(os.path.join(folder, "data_000001.h5"), "w") as f:
    ...     f["data"] = np.zeros((2, 4, 4), np.uint16)
    >>> with h5py.File(os.path.join(folder, "master.h5"), "w") as f:
    ...     f["entry/data/data_000001"] = h5py.ExternalLink("data_000001.h5", "/data")
    ...     f["entry/instrument/temperature"] = np.zeros(3)
    >>> with h5py.File(os.path.join(folder, "master.h5"), "r") as f:
    ...     [(path, ds.shape) for path, ds in image_datasets(f)]
    [('/entry/data/data_000001', (2, 4, 4))]
    """
    import h5py

    found: list[tuple[str, Any]] = []
    seen: set[Any] = set()

    def visit(name: str) -> None:
        try:
            obj = f.get(name)
        except Exception:  # a dangling external link: not an image we can read
            return
        if isinstance(obj, h5py.Dataset) and obj.ndim >= 2 and obj.dtype.kind in "iuf" and obj.size:
            key = (obj.file.filename, h5py.h5o.get_info(obj.id).addr)
            if key not in seen:
                seen.add(key)
                found.append(("/" + name, obj))

    # links too (external links into other files), soft links last (they name a dataset again); h5py >= 3.11
    soft: list[str] = []
    f.visititems_links(lambda name, link: soft.append(name) if isinstance(link, h5py.SoftLink) else visit(name))
    for name in soft:
        visit(name)
    return found


def _element_size(attrs: dict[str, Any], where: str) -> PixelSize | None:
    """The pixel size of a dataset's ``element_size_um`` attribute (the sizes of a voxel along every axis, in
    micrometres, as Fiji's HDF5 plugins, ilastik and many acquisition programs write it; its last two are y and
    x), else None.

    Examples
    --------
    >>> print(_element_size({"element_size_um": [2.0, 0.108, 0.108]}, "a.h5:/data").format())
    0.108 micrometer
    >>> _element_size({"element_size_um": [0.0, 0.0]}, "a.h5:/data") is None
    True
    """
    sizes = attrs.get("element_size_um")
    if not isinstance(sizes, list) or len(sizes) < 2:
        return None
    y, x = sizes[-2], sizes[-1]
    if not all(isinstance(v, int | float) for v in (y, x)):  # numbers only; PixelSize refuses <= 0 and inf/nan
        return None
    return _pixel_size(y, "micrometer", x, "micrometer", f"the dataset's element_size_um ({where})")


class Hdf5Source(ImageSource):
    """One dataset of an HDF5 file.

    Parameters
    ----------
    path : str
        The file.
    dataset : str, optional
        The dataset's path inside the file; needed when the file holds several image datasets.

    Attributes
    ----------
    dataset : str
        The dataset's path.
    attributes : dict
        ``{"hdf5": {"dataset": path, "attrs": {...}}}``: the dataset's HDF5 attributes that have a JSON form.

    Raises
    ------
    InputError
        Not an HDF5 file, a damaged one, no image dataset or several without a choice, a path that names no
        dataset, a dtype other than uint8 and uint16, or a compression filter that is not available.
    """

    kind = "hdf5"

    def __init__(self, path: str, dataset: str | None = None) -> None:
        h5py = require("h5py", path, "an HDF5 file")
        try:
            import hdf5plugin  # noqa: F401 - registers the filters of the compressed datasets detectors write
        except ImportError:
            pass
        try:
            self._file = h5py.File(path, "r")
        except Exception as err:
            what = "a damaged HDF5 file" if h5py.is_hdf5(path) else "not an HDF5 file"
            raise InputError(f"{path}: {what} ({_reason(err)}); is it truncated or of another format?") from None
        try:
            name, self._ds = self._choose(path, dataset)
            where = f"{path}:{name}"
            shape = _check_shape(self._ds.shape, where)
            dtype = _check_dtype(self._ds.dtype, where)
            super().__init__(path, shape, dtype)
            self.dataset = name
            self.attributes = {"hdf5": {"dataset": name, "attrs": self._attrs()}}
            self.pixel_size = _element_size(self.attributes["hdf5"]["attrs"], where)
            self._check_filters(where)
        except BaseException:
            self._file.close()
            raise
        self._slab = self._slab_shape(self._ds.chunks)
        self._cache: tuple[tuple[int, ...], np.ndarray] | None = None

    def _choose(self, path: str, dataset: str | None) -> tuple[str, Any]:
        import h5py

        if dataset is not None:
            key = "/" + dataset.strip().lstrip("/")
            try:
                obj = self._file.get(key)
            except Exception as err:
                raise InputError(f"{path}: cannot open {key} ({_reason(err)}); the file is damaged, or it links to a "
                                 "file that is missing") from None
            if obj is None:
                try:
                    link = self._file.get(key, getlink=True)
                except Exception:  # a parent group that is missing
                    link = None
                if isinstance(link, h5py.ExternalLink):
                    raise InputError(f"{path}: {key} links to {link.path} in {link.filename}, which cannot be opened; "
                                     "it links to a file that is missing (copy it beside this one)")
                raise InputError(f"{path}: no dataset {key}; {self._listing()}")
            if not isinstance(obj, h5py.Dataset):
                raise InputError(f"{path}: {key} is a group, not a dataset; {self._listing()}")
            return key, obj
        try:
            found = image_datasets(self._file)
        except Exception as err:
            raise InputError(f"{path}: a damaged HDF5 file ({_reason(err)}); it is truncated or corrupt") from None
        if not found:
            raise InputError(f"{path}: no image dataset (2-D or more, numeric) in the file")
        integer = [(p, d) for p, d in found if d.dtype.kind in "iu"]
        if len(found) == 1 or len(integer) == 1:
            return (integer or found)[0]
        raise InputError(f"{path}: holds {len(found)} image datasets; choose one as {path}:DATASET, e.g. "
                         f"{path}:{(integer or found)[0][0]} ({self._listing(found)})")

    def _listing(self, found: list[tuple[str, Any]] | None = None) -> str:
        """The image datasets, for messages."""
        try:
            found = image_datasets(self._file) if found is None else found
        except Exception:
            found = []
        if not found:
            return "the file holds no image dataset"
        parts = [f"{p} {'x'.join(map(str, d.shape))} {d.dtype}" for p, d in found[:8]]
        more = f", ... ({len(found)} in all)" if len(found) > 8 else ""
        return "image datasets: " + ", ".join(parts) + more

    def _attrs(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        try:
            for key, value in self._ds.attrs.items():
                converted = _json_value(value)
                if converted is not None:
                    out[str(key)] = converted
        except Exception:  # an attribute of a type h5py cannot read: metadata only, the data may still be fine
            pass
        return out

    def _check_filters(self, where: str) -> None:
        """Refuse a dataset whose compression filter this HDF5 library lacks, before converting anything."""
        import h5py

        try:
            plist = self._ds.id.get_create_plist()
            for k in range(plist.get_nfilters()):
                code, _, _, name = plist.get_filter(k)
                if not h5py.h5z.filter_avail(code):
                    label = name.decode(errors="replace") if isinstance(name, bytes) else str(name)
                    raise InputError(f"{where}: compressed with HDF5 filter {code} ({label or 'unnamed'}), which is "
                                     "not available here; pip install hdf5plugin (part of "
                                     '"pymecompress[formats]"), or decompress it with h5repack')
        except InputError:
            raise
        except Exception:  # no filter information: the reads say what is wrong
            pass

    def _slab_shape(self, chunks: tuple[int, ...] | None) -> tuple[int, ...]:
        """Planes read at once along the leading axes: a chunk's extent along the first and every plane along the
        others (so that plane after plane in row-major order reads each chunk once), else one chunk's extent, when
        that fits :data:`SLAB_LIMIT`; else one plane."""
        lead = self.shape[:-2]
        plane = math.prod(self.plane_shape) * self.dtype.itemsize
        if chunks:
            for slab in ((chunks[0], *lead[1:]), tuple(chunks[:-2])):
                if math.prod(slab) * plane <= SLAB_LIMIT:
                    return tuple(slab)
        return (1,) * len(lead)

    def _slab_of(self, index: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(i // c * c for i, c in zip(index, self._slab, strict=True))

    def _read_slab(self, start: tuple[int, ...]) -> np.ndarray:
        if self._cache is None or self._cache[0] != start:
            self._cache = None
            sel = tuple(slice(s, min(s + c, n)) for s, c, n in zip(start, self._slab, self.shape[:-2], strict=True))
            try:
                data = self._ds[sel]
            except Exception as err:  # h5py raises OSError, ValueError, ... on damaged chunks
                raise InputError(f"{self.path}:{self.dataset}: cannot read planes at {start} ({_reason(err)}); the "
                                 "file is truncated or corrupt") from None
            self._cache = (start, np.asarray(data))
        return self._cache[1]

    def _read(self, indices: list[int]) -> np.ndarray:
        lead = self.shape[:-2]
        if not lead:
            return self._read_slab(())[np.newaxis]
        out = np.empty((len(indices), *self.plane_shape), self.dtype)
        for k, i in enumerate(indices):
            index = tuple(int(v) for v in np.unravel_index(i, lead))
            start = self._slab_of(index)
            slab = self._read_slab(start)
            out[k] = slab[tuple(v - s for v, s in zip(index, start, strict=True))]
        return out

    def close(self) -> None:
        self._cache = None
        self._file.close()
