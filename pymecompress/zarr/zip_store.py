"""One file per dataset: a zarr store packed into a ``.zip`` (``convert movie.tif movie.zarr.zip``).

zarr-python reads such a file through :class:`zarr.storage.ZipStore` with numpy-style indexing, decoding only the
chunks a selection touches (the entries are stored uncompressed: the chunks already are, and a stored entry is
read with one seek). ``convert`` writes the store as a folder first and packs it when it is complete, so an
interrupted conversion leaves no half-written zip.

Examples
--------
>>> import numpy as np, os, tempfile, zarr
>>> d = tempfile.mkdtemp()
>>> _ = zarr.create_array(os.path.join(d, "a.zarr"), data=np.arange(12, dtype=np.uint16).reshape(3, 4))
>>> pack(os.path.join(d, "a.zarr"), os.path.join(d, "a.zarr.zip"))
>>> is_zarr_zip(os.path.join(d, "a.zarr.zip")), open_zip(os.path.join(d, "a.zarr.zip"))[2].tolist()
(True, [8, 9, 10, 11])
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

ZARR_MARKERS = ("zarr.json", ".zgroup", ".zarray")
"""Files at the top level of a zarr store (v3, v2 group, v2 array): what every "is this a zarr store?" check asks."""


def wants_zip(path: str | os.PathLike) -> bool:
    """Whether an output path names a zip store (``*.zip``, e.g. ``movie.zarr.zip``)."""
    return Path(path).name.lower().endswith(".zip")


def pack(folder: str | os.PathLike, target: str | os.PathLike) -> None:
    """Write the store in ``folder`` to the zip file ``target`` (entries stored, in a stable order)."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for path in files:
            zf.write(path, path.relative_to(folder).as_posix())


def is_zarr_zip(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a zip file holding a zarr store at its top level."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        return any(name in ZARR_MARKERS for name in zf.namelist())


def open_zip(path: str | os.PathLike):
    """The array or group of a zip store, read-only (``zarr.open`` over a :class:`zarr.storage.ZipStore`)."""
    import zarr
    from zarr.storage import ZipStore

    return zarr.open(store=ZipStore(str(path), mode="r"), mode="r")
