"""OME-Zarr (OME-NGFF) pieces: axis names, the multiscales metadata and the 2x2-binned pyramid levels.

Pyramid levels bin 2 x 2 pixels of the image plane (the leading axes are kept) by their **mean** (rounded
to the nearest integer, halves to even) or their **sum** (clipped at the dtype's maximum, which then reads as
saturated). Odd trailing rows / columns are dropped, so level ``k`` has ``floor(n / 2**k)`` pixels per axis and
a scale of ``2**k``. Binning keeps the photon statistics, so each level gets its own camera model for
``huffquant16`` (:func:`level_camera`) and keeps the noise bound. With a known pixel size the scales are lengths
(``2**k`` times the pixel size, the ``y`` and ``x`` axes with a ``unit``), which :func:`pixel_size_of` reads back.

Examples
--------
>>> import numpy as np
>>> bin2x2(np.array([[1, 2, 5], [3, 5, 5]], dtype=np.uint16), "mean").tolist()
[[3]]
>>> default_axes(3)
'tyx'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..camera import CameraModel
from ..io.base import AXIS_TYPES, check_axes  # the axis names: the readers' --axes takes them too

if TYPE_CHECKING:
    from ..io.base import PixelSize

# tifffile's axes letters -> NGFF axis names (I, Q: unknown sequence axes, read as time)
TIFF_AXES = {"T": "t", "C": "c", "Z": "z", "Y": "y", "X": "x", "I": "t", "Q": "t"}
BINNINGS = ("mean", "sum")


def default_axes(ndim: int) -> str:
    """NGFF axis names for an array of ``ndim`` dimensions when nothing better is known."""
    try:
        return {2: "yx", 3: "tyx", 4: "tzyx", 5: "tczyx"}[ndim]
    except KeyError:
        raise ValueError(f"OME-Zarr images have 2 to 5 axes, this stack has {ndim}; reshape it or convert "
                         "without ome_zarr=True") from None


def axes_from_tiff(tiff_axes: str | None, ndim: int) -> str:
    """NGFF axis names from tifffile's axes letters, or :func:`default_axes` when they do not map cleanly."""
    if tiff_axes and len(tiff_axes) == ndim:
        names = "".join(TIFF_AXES.get(a, "?") for a in tiff_axes)
        try:
            return check_axes(names, ndim)
        except ValueError:
            pass
    return default_axes(ndim)


def pyramid_shapes(shape: tuple[int, ...], levels: int | None, min_size: int = 64, max_levels: int = 4) -> list:
    """Shapes of the pyramid levels (level 0 first).

    ``levels`` extra levels, or (None) as many as keep both plane axes >= ``min_size``, at most ``max_levels``.

    Examples
    --------
    >>> pyramid_shapes((10, 512, 300), None)
    [(10, 512, 300), (10, 256, 150), (10, 128, 75)]
    """
    shapes = [tuple(shape)]
    while True:
        ny, nx = shapes[-1][-2] // 2, shapes[-1][-1] // 2
        if levels is None:
            if min(ny, nx) < min_size or len(shapes) > max_levels:
                break
        elif len(shapes) > levels or min(ny, nx) < 1:
            break
        shapes.append((*shape[:-2], ny, nx))
    return shapes


def bin2x2(planes: np.ndarray, how: str = "mean") -> np.ndarray:
    """Bin the last two axes 2 x 2 (see the module docstring), keeping the dtype."""
    if how not in BINNINGS:
        raise ValueError(f"binning must be one of {BINNINGS}, got {how!r}")
    ny, nx = planes.shape[-2] // 2 * 2, planes.shape[-1] // 2 * 2
    p = planes[..., :ny, :nx]
    s = p[..., 0::2, 0::2].astype(np.uint32)  # in place from here: one 32-bit temporary (a pass per operation)
    s += p[..., 1::2, 0::2]
    s += p[..., 0::2, 1::2]
    s += p[..., 1::2, 1::2]
    if how == "mean":  # s / 4 rounded half to even: (s + 1 + (s // 4) % 2) // 4
        odd = s >> 2
        odd &= 1
        s += odd
        s += 1
        s >>= 2
    np.minimum(s, np.iinfo(planes.dtype).max, out=s)
    return s.astype(planes.dtype)


def level_camera(camera: CameraModel, level: int, how: str = "mean") -> CameraModel:
    """Camera model of pyramid ``level``: 4**level pixels summed have 4**level times the read variance, the
    same gain and 4**level times the offset; their mean has the offset and gain / 4**level.

    Examples
    --------
    >>> level_camera(CameraModel(offset=100, gain=2.0, read_noise=1.5), 1)
    CameraModel(offset=100.0, gain=0.5, read_noise=3.0, step=1.0)
    """
    n = 4**level
    rn = camera.read_noise * n**0.5
    if how == "sum":
        return CameraModel(camera.offset * n, camera.gain, rn, camera.step)
    return CameraModel(camera.offset, camera.gain / n, rn, camera.step)


def multiscales(axes: str, n_levels: int, name: str, version: str, how: str,
                pixel_size: PixelSize | None = None) -> dict[str, Any]:
    """The ``multiscales`` entry of NGFF ``version`` 0.4 or 0.5 for arrays ``"0"``, ``"1"``, ...

    Level ``k`` has a ``scale`` of ``2**k`` along Y and X (1 along the other axes); with ``pixel_size``, ``2**k``
    times its Y and X sizes, and the ``y`` and ``x`` axes get its ``unit`` (both NGFF versions allow a unit on
    space axes). Without it, scales are unitless pixel counts.

    Examples
    --------
    >>> m = multiscales("tyx", 2, "movie", "0.4", "mean")
    >>> m["datasets"][1]
    {'path': '1', 'coordinateTransformations': [{'type': 'scale', 'scale': [1.0, 2.0, 2.0]}]}
    >>> from pymecompress.io.sources import PixelSize
    >>> m = multiscales("tyx", 2, "movie", "0.4", "mean", PixelSize(0.108, 0.11))
    >>> m["datasets"][1]["coordinateTransformations"][0]["scale"], m["axes"][2]
    ([1.0, 0.216, 0.22], {'name': 'x', 'type': 'space', 'unit': 'micrometer'})
    """
    plane = (1.0, 1.0) if pixel_size is None else (pixel_size.y, pixel_size.x)
    datasets = []
    for level in range(n_levels):
        scale = [1.0] * (len(axes) - 2) + [float(f"{size * 2**level:.12g}") for size in plane]
        datasets.append({"path": str(level), "coordinateTransformations": [{"type": "scale", "scale": scale}]})
    axis_entries: list[dict[str, str]] = [{"name": a, "type": AXIS_TYPES[a]} for a in axes]
    if pixel_size is not None:
        for axis in axis_entries[-2:]:
            axis["unit"] = pixel_size.unit
    entry: dict[str, Any] = {
        "name": name,
        "axes": axis_entries,
        "datasets": datasets,
        "type": f"2x2 binning ({how})",
        "metadata": {"description": f"each level bins 2x2 pixels of the previous one by their {how}",
                     "software": "pymecompress"},
    }
    if version == "0.4":
        entry = {"version": "0.4", **entry}
    return entry


def multiscales_of(attrs: dict) -> list | None:
    """The ``multiscales`` of a group's attributes: under ``"ome"`` (NGFF 0.5) or at the top (0.4); None if absent.

    Examples
    --------
    >>> multiscales_of({"ome": {"version": "0.5", "multiscales": [{"name": "a"}]}}), multiscales_of({})
    ([{'name': 'a'}], None)
    """
    ome = attrs.get("ome")
    return (ome if isinstance(ome, dict) else attrs).get("multiscales")


def pixel_size_of(node: Any) -> PixelSize | None:
    """The pixel size of a store ``convert`` wrote (of its full-resolution array), or None when it holds none.

    Read from the OME-Zarr ``multiscales`` metadata (the ``scale`` of the first dataset along ``y`` and ``x``,
    times any scale of the whole multiscale, when both axes have a length ``unit``), else from a plain array's
    ``attrs["pymecompress"]["pixel_size"]`` (``{"y": ..., "x": ..., "unit": ...}``). Unitless scales (pixel
    counts) and values that make no sense give None.

    Parameters
    ----------
    node : zarr.Group, zarr.Array, str or path-like
        An open group or array, or the path (or ``.zarr.zip`` file) of one.

    Returns
    -------
    PixelSize or None
        With ``origin`` naming the metadata it came from.

    Raises
    ------
    FileNotFoundError, ValueError
        A path that holds no zarr store (see :func:`pymecompress.tools.info.describe`).

    Examples
    --------
    >>> import numpy as np, tempfile, zarr
    >>> from pymecompress.io.sources import PixelSize
    >>> z = zarr.create_array(tempfile.mkdtemp() + "/a.zarr", shape=(8, 8), dtype="uint8")
    >>> z.attrs["pymecompress"] = {"pixel_size": PixelSize(0.2, 0.2, "nm").to_dict()}
    >>> pixel_size_of(z)
    PixelSize(y=0.2, x=0.2, unit='nanometer')
    """
    import os

    if isinstance(node, str | os.PathLike):
        from .stores import open_store

        node = open_store(node)
    attrs = node.attrs.asdict()
    found = _multiscales_pixel_size(multiscales_of(attrs))
    if found is not None:
        return found
    kept = attrs.get("pymecompress")
    if isinstance(kept, dict) and kept.get("pixel_size") is not None:
        from ..io.base import PixelSize

        try:
            return PixelSize.from_dict(kept["pixel_size"], 'the attribute "pymecompress" / "pixel_size"')
        except (TypeError, ValueError):
            return None
    return None


def _multiscales_pixel_size(multiscales: object) -> PixelSize | None:
    """Y and X of the first multiscale's first dataset scale, with the units of the ``y`` and ``x`` axes."""
    from ..io.base import _pixel_size

    if not isinstance(multiscales, list) or not multiscales or not isinstance(multiscales[0], dict):
        return None
    first = multiscales[0]
    try:
        names = [axis.get("name") for axis in first["axes"]]
        iy, ix = names.index("y"), names.index("x")
        units = first["axes"][iy].get("unit"), first["axes"][ix].get("unit")
        if None in units:
            return None
        scale = [1.0] * len(names)
        for transforms in (first["datasets"][0].get("coordinateTransformations"),
                           first.get("coordinateTransformations")):
            for t in transforms or []:
                if t.get("type") == "scale":
                    scale = [a * float(b) for a, b in zip(scale, t["scale"], strict=True)]
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        return None
    return _pixel_size(scale[iy], units[0], scale[ix], units[1], "the OME-Zarr multiscales scale and axis units")
