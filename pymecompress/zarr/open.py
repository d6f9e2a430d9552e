"""Open what pymecompress stored: :func:`open` (an array, read at the codec's speed) and :func:`open_store`.

:func:`open` returns a ``zarr.Array`` whose reads go through
:class:`~pymecompress.zarr.pipeline.ThreadedReadPipeline`: zarr's worker threads each read, decode and place a
group of whole chunks, instead of zarr's one event-loop thread handling each chunk in turn. Only that array uses
the pipeline (it is chosen when the array is opened; zarr's setting for the rest of the process is left alone), and
it keeps it when pickled: Dask workers, in other processes too, read the chunks the same way. The values are those
zarr's own pipeline reads.

Examples
--------
>>> import numpy as np, tempfile, zarr
>>> from pymecompress import HuffmanLossless
>>> path = tempfile.mkdtemp() + "/a.zarr"
>>> data = np.arange(4 * 64 * 64, dtype=np.uint16).reshape(4, 64, 64)
>>> _ = zarr.create_array(path, data=data, chunks=(1, 64, 64), compressors=[HuffmanLossless()])
>>> arr = open(path)
>>> arr.shape, arr.ndim, arr.size, bool((arr[1:3, ::2] == data[1:3, ::2]).all())
((4, 64, 64), 3, 16384, True)
"""

from __future__ import annotations

import os
from typing import Any

from .stores import NotZarrError, open_store  # noqa: F401 (the names of this module too)


def open(path: str | os.PathLike, level: int | str | None = None, *,  # noqa: A001 (pymecompress.open)
         storage_options: dict | None = None) -> Any:
    """Open a stored array read-only, read at the codec's speed (see the module doc).

    Parameters
    ----------
    path : str or os.PathLike
        A zarr array, an OME-Zarr image or a group holding one array: a folder, a ``.zarr.zip`` file or an fsspec
        URL (what ``pymecompress convert`` writes).
    level : int or str, optional
        Of an OME-Zarr image, the resolution level (0, the default, is the full resolution); of another group,
        the path of an array in it.
    storage_options : dict, optional
        For a URL: fsspec's options (endpoint, credentials, ...).

    Returns
    -------
    zarr.Array
        numpy-style indexing (``arr[10:20, ::2]``), ``shape``, ``ndim``, ``size``, ``dtype``, ``attrs``; give it to
        ``dask.array.from_zarr`` for Dask, or wrap it in an ``xarray.DataArray`` (the module doc says why Dask
        workers keep the fast reads).

    Raises
    ------
    FileNotFoundError, NotZarrError, ValueError
        Nothing at ``path``; not a zarr store, or a damaged one; a ``level`` that is not there.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from pymecompress.tools.convert import convert
    >>> d = tempfile.mkdtemp()
    >>> frames = (np.random.default_rng(0).poisson(30, (2, 128, 128)) * 2 + 100).astype(np.uint16)
    >>> np.save(os.path.join(d, "m.npy"), frames)
    >>> _ = convert(os.path.join(d, "m.npy"), os.path.join(d, "m.zarr"), camera={"offset": 100, "gain": 2.0},
    ...             ome_zarr=True, progress=False)
    >>> open(os.path.join(d, "m.zarr")).shape, open(os.path.join(d, "m.zarr"), level=1).shape
    ((2, 128, 128), (2, 64, 64))
    """
    import zarr

    from .pipeline import threaded_reads

    with threaded_reads():  # the pipeline is fixed when each array object is made: only inside this block
        node = open_store(path, storage_options)
        if isinstance(node, zarr.Array):
            if level not in (None, 0, "0", ""):
                raise ValueError(f"{path} is one array, without resolution levels; got level={level!r}")
            return node
        return node[_array_path(node, path, level)]


def _array_path(group: Any, path: str | os.PathLike, level: int | str | None) -> str:
    """The path within ``group`` of the array to open (see :func:`open`)."""
    import zarr

    from .ome import multiscales_of

    multiscales = multiscales_of(group.attrs.asdict())
    if multiscales:
        datasets = multiscales[0].get("datasets", [])
        paths = [str(d.get("path")) for d in datasets]
        if level is None:
            level = 0
        if isinstance(level, int) and not isinstance(level, bool):
            if not 0 <= level < len(paths):
                raise ValueError(f"{path} has resolution levels 0..{len(paths) - 1}; got level={level}")
            return paths[level]
        if str(level) in paths:
            return str(level)
        raise ValueError(f"{path} has no resolution level {level!r}; its levels are {', '.join(paths)}")
    arrays = sorted(name for name, member in group.members(max_depth=None) if isinstance(member, zarr.Array))
    if level is not None:
        if str(level) in arrays:
            return str(level)
        raise ValueError(f"{path} holds no array {level!r}; it holds {', '.join(arrays) or 'none'}")
    if len(arrays) == 1:
        return arrays[0]
    raise ValueError(f"{path} is a group of {len(arrays)} arrays ({', '.join(arrays) or 'none'}), not an image: "
                     "say which with level=")
