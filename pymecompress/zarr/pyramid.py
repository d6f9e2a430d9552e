"""Building and filling the OME-Zarr image that ``convert --ome`` writes: one array per pyramid level, each level
2 x 2-binned from the one above (the binning, shapes, axes and metadata themselves are in :mod:`pymecompress.zarr.ome`).

Examples
--------
>>> import numpy as np, tempfile, zarr
>>> path = tempfile.mkdtemp() + "/img.zarr"
>>> arrays = create_ome_image(path, (2, 128, 128), np.dtype("uint16"), (1, 64, 64), "hufflossless", None,
...                           ngff_version="0.5", axes=None, tiff_axes=None, levels=None, binning="mean", name="img")
>>> [a.shape for a in arrays]
[(2, 128, 128), (2, 64, 64)]
>>> write_levels(arrays, (slice(0, 2),), np.full((2, 128, 128), 9, np.uint16), "mean")
>>> int(zarr.open_group(path)["1"][1, 5, 5])
9
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from ..camera import CameraModel
from . import ome
from .chunk_shape import level_shards
from .chunk_writer import ChunkWriter

if TYPE_CHECKING:
    from ..io.base import PixelSize


def create_ome_image(path: str | os.PathLike, shape: tuple[int, ...], dtype: np.dtype, chunks: tuple[int, ...],
                     codec: str, camera: CameraModel | None, *, ngff_version: str, axes: str | None,
                     tiff_axes: str | None, levels: int | None, binning: str, name: str,
                     storage_options: dict | None = None, saturation: int | None = None,
                     pixel_size: PixelSize | None = None, shards: tuple[int, ...] | None = None) -> list:
    """Create the group at ``path`` (which must not exist) with one empty array per level and the multiscales
    metadata; returns the arrays, full resolution first.

    NGFF 0.4 is stored as zarr v2 (``/``-separated chunk keys), 0.5 as zarr v3 with dimension names. Each level
    gets its own camera model (:func:`pymecompress.zarr.ome.level_camera`) so the noise bound holds per level, and the
    saturation value (ADU) where it still means saturation: at every level of mean binning (a mean reaches it only
    when all its pixels do), at full resolution only with sums. A ``pixel_size`` (of the full resolution) makes the
    levels' scales lengths with units (:func:`pymecompress.zarr.ome.multiscales`). ``shards`` (of the full resolution,
    zarr v3 only) gives every level shards of as many planes (:func:`pymecompress.zarr.chunk_shape.level_shards`).
    """
    import zarr

    from .codecs import create_array_kwargs

    fmt = 2 if ngff_version == "0.4" else 3
    ax = ome.check_axes(axes, len(shape)) if axes else ome.axes_from_tiff(tiff_axes, len(shape))
    shapes = ome.pyramid_shapes(shape, levels)
    opts = {"storage_options": storage_options} if storage_options else {}
    group = zarr.open_group(str(path), mode="w-", zarr_format=fmt, **opts)
    arrays = []
    for level, level_shape in enumerate(shapes):
        level_cam = ome.level_camera(camera, level, binning) if camera is not None else None
        level_saturation = saturation if level == 0 or binning == "mean" else None
        level_chunks = (*chunks[:-2], min(chunks[-2], level_shape[-2]), min(chunks[-1], level_shape[-1]))
        extra = {"chunk_key_encoding": {"name": "v2", "separator": "/"}} if fmt == 2 else \
            {"dimension_names": list(ax)}
        level_shard = None if shards is None else level_shards(shards, level_shape, level_chunks)
        arrays.append(group.create_array(str(level), shape=level_shape, chunks=level_chunks, shards=level_shard,
                                         dtype=dtype, fill_value=0, **extra,
                                         **create_array_kwargs(codec, level_cam, dtype, fmt, level_saturation)))
    ms = ome.multiscales(ax, len(shapes), name, ngff_version, binning, pixel_size)
    if ngff_version == "0.4":
        group.attrs["multiscales"] = [ms]
    else:
        group.attrs["ome"] = {"version": "0.5", "multiscales": [ms]}
    return arrays


def write_levels(arrays: list, sel: tuple[slice, ...], block: np.ndarray, binning: str) -> None:
    """Write ``block`` (whole planes at the leading-axes selection ``sel``) to the first array and its successive
    2 x 2 binnings to the following ones (zarr arrays, or :class:`~pymecompress.zarr.chunk_writer.ChunkWriter` s)."""
    for level, arr in enumerate(arrays):
        if level:
            block = ome.bin2x2(block, binning)
        if isinstance(arr, ChunkWriter):  # our codecs: chunks encoded here, stored through zarr's store
            arr.write(sel, block)
        else:
            arr[sel] = block
