"""OME-Zarr (OME-NGFF) pieces: axis names, the multiscales metadata and the 2x2-binned pyramid levels.

Pyramid levels bin 2 x 2 pixels of the image plane (the leading axes are kept) by their **mean** (rounded
to the nearest integer, halves to even) or their **sum** (clipped at the dtype's maximum, which then reads as
saturated). Odd trailing rows / columns are dropped, so level ``k`` has ``floor(n / 2**k)`` pixels per axis and
a scale of ``2**k``. Binning keeps the photon statistics, so each level gets its own camera model for
``huffquant16`` (:func:`level_camera`) and keeps the noise bound.

Examples
--------
>>> import numpy as np
>>> bin2x2(np.array([[1, 2, 5], [3, 5, 5]], dtype=np.uint16), "mean").tolist()
[[3]]
>>> default_axes(3)
'tyx'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .camera import CameraModel

AXIS_TYPES = {"t": "time", "c": "channel", "z": "space", "y": "space", "x": "space"}
# tifffile's axes letters -> NGFF axis names (I, Q: unknown sequence axes, read as time)
TIFF_AXES = {"T": "t", "C": "c", "Z": "z", "Y": "y", "X": "x", "I": "t", "Q": "t"}
BINNINGS = ("mean", "sum")


def default_axes(ndim: int) -> str:
    """NGFF axis names for an array of ``ndim`` dimensions when nothing better is known."""
    try:
        return {2: "yx", 3: "tyx", 4: "tzyx", 5: "tczyx"}[ndim]
    except KeyError:
        raise ValueError(f"OME-Zarr images have 2 to 5 axes, this stack has {ndim}; reshape it or convert "
                         "without --ome") from None


def check_axes(axes: str, ndim: int) -> str:
    """Validate NGFF axis names: one letter each of ``tczyx``, in that order, ending with ``yx``.

    Examples
    --------
    >>> check_axes("zyx", 3)
    'zyx'
    """
    axes = axes.lower()
    if len(axes) != ndim:
        raise ValueError(f"--axes {axes!r} names {len(axes)} axes but the stack has {ndim}")
    if not axes.endswith("yx") or len(set(axes)) != len(axes) or any(a not in AXIS_TYPES for a in axes):
        raise ValueError(f"--axes {axes!r}: use distinct letters of 'tczyx' ending with 'yx' (e.g. tyx, tzyx)")
    if list(axes) != sorted(axes, key="tczyx".index):
        ordered = "".join(sorted(axes, key="tczyx".index))
        raise ValueError(f"--axes {axes!r}: OME-Zarr wants the order t, c, z, y, x (e.g. {ordered})")
    return axes


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
    ny, nx = planes.shape[-2] // 2 * 2, planes.shape[-1] // 2 * 2
    p = planes[..., :ny, :nx].astype(np.uint32)
    s = p[..., 0::2, 0::2] + p[..., 1::2, 0::2] + p[..., 0::2, 1::2] + p[..., 1::2, 1::2]
    if how == "mean":
        q, r = np.divmod(s, 4)
        s = q + ((r > 2) | ((r == 2) & (q % 2 == 1)))  # round half to even
    elif how != "sum":
        raise ValueError(f"binning must be one of {BINNINGS}, got {how!r}")
    return np.minimum(s, np.iinfo(planes.dtype).max).astype(planes.dtype)


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


def multiscales(axes: str, n_levels: int, name: str, version: str, how: str) -> dict[str, Any]:
    """The ``multiscales`` entry of NGFF ``version`` 0.4 or 0.5 for arrays ``"0"``, ``"1"``, ...

    Examples
    --------
    >>> m = multiscales("tyx", 2, "movie", "0.4", "mean")
    >>> m["datasets"][1]
    {'path': '1', 'coordinateTransformations': [{'type': 'scale', 'scale': [1.0, 2.0, 2.0]}]}
    """
    datasets = []
    for level in range(n_levels):
        scale = [1.0] * (len(axes) - 2) + [float(2**level)] * 2
        datasets.append({"path": str(level), "coordinateTransformations": [{"type": "scale", "scale": scale}]})
    entry: dict[str, Any] = {
        "name": name,
        "axes": [{"name": a, "type": AXIS_TYPES[a]} for a in axes],
        "datasets": datasets,
        "type": f"2x2 binning ({how})",
        "metadata": {"description": f"each level bins 2x2 pixels of the previous one by their {how}",
                     "software": "pymecompress"},
    }
    if version == "0.4":
        entry = {"version": "0.4", **entry}
    return entry
