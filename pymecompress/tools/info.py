"""``pymecompress info``: what a zarr array or group holds and how well it compressed.

Examples
--------
>>> import numpy as np, tempfile, zarr
>>> from pymecompress import HuffmanLossless
>>> path = tempfile.mkdtemp() + "/a.zarr"
>>> z = zarr.create_array(path, shape=(4, 64, 64), chunks=(1, 64, 64), dtype="uint16",
...                       compressors=[HuffmanLossless()])
>>> z[:] = 7
>>> row = describe(path)[0]
>>> row.codecs, row.shape, row.ratio > 10, row.metadata_bytes == len(open(path + "/zarr.json", "rb").read())
('bytes -> hufflossless', (4, 64, 64), True, True)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .. import registry
from ..zarr.stores import NotZarrError, open_store
from ..zarr.zip_store import ZARR_MARKERS

__all__ = ["ArrayInfo", "NotZarrError", "describe", "describe_input", "format_table", "group_summary", "open_store",
           "pixel_size_summary"]


@dataclass
class ArrayInfo:
    """One array's codecs, dtype, shape, chunks and sizes.

    ``stored`` counts every byte under the array (its chunks and its metadata document), ``metadata_bytes`` the
    metadata document alone (``zarr.json``, or ``.zarray`` and ``.zattrs``), which holds the array's attributes
    (the FITS header of a converted FITS file, for instance): for small images it can outweigh the chunks.
    """

    name: str
    codecs: str
    dtype: str
    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None
    zarr_format: int
    nbytes: int
    stored: int
    metadata_bytes: int = 0

    @property
    def chunk_bytes(self) -> int:
        """Bytes of the stored chunks (the pixel data)."""
        return max(self.stored - self.metadata_bytes, 0)

    @property
    def ratio(self) -> float:
        """Raw bytes over the bytes of the stored chunks: how well the pixel data compressed."""
        return self.nbytes / self.chunk_bytes if self.chunk_bytes else float("inf")

    @property
    def ratio_with_metadata(self) -> float:
        """Raw bytes over every stored byte of the array, its metadata included."""
        return self.nbytes / self.stored if self.stored else float("inf")


def _name_and_config(codec) -> tuple[str, dict]:
    """A codec's name and parameters: numcodecs codecs (zarr v2) by ``get_config``, zarr v3 codecs by their JSON."""
    if hasattr(codec, "get_config"):
        config = dict(codec.get_config())
        return str(config.pop("id", type(codec).__name__)), config
    try:
        data = codec.to_dict()
        return str(data["name"]), dict(data.get("configuration") or {})
    except (AttributeError, KeyError, TypeError):
        return type(codec).__name__, {}


def _codec_names(arr) -> str:
    names = []
    for codec in (*arr.filters, arr.serializer, *arr.compressors):
        if codec is None:
            continue
        name, config = _name_and_config(codec)
        params = ""
        if name in registry.BY_ID and registry.BY_ID[name].takes_camera:
            from ..camera import CameraModel

            c = CameraModel.from_config(**{k: config[k] for k in ("offset", "gain", "read_noise", "step", "scale")
                                           if k in config})
            params = f"(offset={c.offset:g}, gain={c.gain:g}, read_noise={c.read_noise:g}, step={c.step:g}"
            params += f", saturation={config['saturation']}" if "saturation" in config else ""
            params += ", dithered)" if config.get("dither") else ")"
        names.append(f"{name}{params}")
    return " -> ".join(names) if names else "none"


def _metadata_bytes(arr) -> int:
    """Bytes of the array's metadata document(s), as zarr writes them."""
    from zarr.buffer import default_buffer_prototype

    return sum(len(buf) for buf in arr.metadata.to_buffer_dict(default_buffer_prototype()).values())


def _array_info(name: str, arr) -> ArrayInfo:
    return ArrayInfo(name or "/", _codec_names(arr), str(arr.dtype), tuple(arr.shape), tuple(arr.chunks),
                     tuple(arr.shards) if arr.shards else None, int(arr.metadata.zarr_format), int(arr.nbytes),
                     int(arr.nbytes_stored()), _metadata_bytes(arr))


def describe(path: str | os.PathLike, storage_options: dict | None = None) -> list[ArrayInfo]:
    """Every array at ``path`` (a single array, or all arrays of a group, depth first, sorted by name).

    Raises
    ------
    FileNotFoundError
        Nothing at ``path``.
    NotZarrError
        Something at ``path``, but no zarr store.
    ValueError
        A zarr store that zarr cannot open.
    """
    import zarr

    node = open_store(path, storage_options)
    if isinstance(node, zarr.Array):
        return [_array_info("", node)]
    members = sorted((name, m) for name, m in node.members(max_depth=None) if isinstance(m, zarr.Array))
    return [_array_info(name, arr) for name, arr in members]


def describe_input(path: str | os.PathLike) -> str:
    """What ``pymecompress info`` says of a path that is no zarr store: the camera file or frames that
    ``convert`` would read there, and how to compress them.

    Raises
    ------
    NotZarrError
        Neither a zarr store nor anything ``convert`` reads (a damaged or unsupported file: the reason is given).

    Examples
    --------
    >>> import numpy as np, os, tempfile, tifffile
    >>> path = os.path.join(tempfile.mkdtemp(), "movie.tif")
    >>> tifffile.imwrite(path, np.zeros((5, 32, 48), np.uint16))
    >>> print(describe_input(path).replace(path, "movie.tif"))
    movie.tif is a camera file, not a zarr store: movie.tif (tiff, shape 5x32x48, uint16, 0.0 MB)
    compress it with: pymecompress convert movie.tif OUT.zarr --offset ADU --gain ADU_PER_ELECTRON
    """
    from ..io.sources import InputError, open_source

    try:
        with open_source(path) as src:
            what = src.describe()
            size = src.pixel_size
    except InputError as err:
        raise NotZarrError(f"{path}: not a zarr store (no {', '.join(ZARR_MARKERS)} at its top level), nor a "
                           f"camera file that convert reads: {err}") from None
    pixel = f"pixel size: {size.format()} (from {size.origin})\n" if size is not None else ""
    return (f"{path} is a camera file, not a zarr store: {what}\n{pixel}"
            f"compress it with: pymecompress convert {path} OUT.zarr --offset ADU --gain ADU_PER_ELECTRON")


def pixel_size_summary(path: str | os.PathLike) -> str | None:
    """A line about the pixel size stored at ``path`` (:func:`pymecompress.zarr.ome.pixel_size_of`), if any."""
    from ..zarr.ome import pixel_size_of

    size = pixel_size_of(open_store(path))
    return None if size is None else f"pixel size: {size.format()} (from {size.origin})"


def group_summary(path: str | os.PathLike) -> str | None:
    """A line about OME-Zarr multiscales metadata at ``path``, if any."""
    import zarr

    node = open_store(path)
    if isinstance(node, zarr.Array):
        return None
    attrs = node.attrs.asdict()
    version, ms = None, attrs.get("multiscales")
    if "ome" in attrs:
        version, ms = attrs["ome"].get("version"), attrs["ome"].get("multiscales")
    elif ms:
        version = ms[0].get("version")
    if not ms:
        return None
    axes = "".join(a.get("name", "?") for a in ms[0].get("axes", []))
    return f"OME-Zarr {version}: axes {axes}, {len(ms[0].get('datasets', []))} resolution levels"


def format_table(rows: list[ArrayInfo]) -> str:
    """A text table of :func:`describe`'s rows plus a total."""
    table = [("array", "dtype", "shape", "chunks", "codecs", "raw", "chunks stored", "ratio", "metadata")]
    for r in rows:
        chunks = "x".join(map(str, r.chunks)) + (f" (shards {'x'.join(map(str, r.shards))})" if r.shards else "")
        table.append((r.name, r.dtype, "x".join(map(str, r.shape)), chunks, r.codecs, _size(r.nbytes),
                      _size(r.chunk_bytes), f"{r.ratio:.2f}x", _size(r.metadata_bytes)))
    widths = [max(len(t[i]) for t in table) for i in range(len(table[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(t, widths, strict=True)).rstrip() for t in table]
    if len(rows) > 1:
        raw, chunk_bytes = sum(r.nbytes for r in rows), sum(r.chunk_bytes for r in rows)
        metadata = sum(r.metadata_bytes for r in rows)
        lines.append(f"total: {_size(raw)} in {len(rows)} arrays, {_size(chunk_bytes)} of chunks stored, ratio "
                     f"{raw / max(chunk_bytes, 1):.2f}x, and {_size(metadata)} of metadata (all arrays; "
                     "`pymecompress convert` reports the first, the full resolution of an OME-Zarr image)")
    lines.append("ratio = raw bytes / bytes of the stored chunks (the pixel data); metadata = the array's zarr.json "
                 "(or .zarray and .zattrs), attributes included, stored besides")
    return "\n".join(lines)


def _size(n: int) -> str:
    """A byte count in B, KB or MB (decimal)."""
    if n < 1000:
        return f"{n} B"
    return f"{n / 1e3:.1f} KB" if n < 1_000_000 else f"{n / 1e6:.2f} MB"
