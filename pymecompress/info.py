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
>>> row.codecs, row.shape, row.ratio > 10
('bytes -> hufflossless', (4, 64, 64), True)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import registry
from .camera import CameraModel
from .zip_store import is_zarr_zip, open_zip


@dataclass
class ArrayInfo:
    """One array's codecs, dtype, shape, chunks and sizes."""

    name: str
    codecs: str
    dtype: str
    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None
    zarr_format: int
    nbytes: int
    stored: int

    @property
    def ratio(self) -> float:
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
            c = CameraModel.from_config(**{k: v for k, v in config.items() if k != "checksum"})
            params = f"(offset={c.offset:g}, gain={c.gain:g}, read_noise={c.read_noise:g}, step={c.step:g})"
        names.append(f"{name}{params}")
    return " -> ".join(names) if names else "none"


def _array_info(name: str, arr) -> ArrayInfo:
    return ArrayInfo(name or "/", _codec_names(arr), str(arr.dtype), tuple(arr.shape), tuple(arr.chunks),
                     tuple(arr.shards) if arr.shards else None, int(arr.metadata.zarr_format), int(arr.nbytes),
                     int(arr.nbytes_stored()))


def describe(path: str | os.PathLike, storage_options: dict | None = None) -> list[ArrayInfo]:
    """Every array at ``path`` (a single array, or all arrays of a group, depth first, sorted by name).

    Raises
    ------
    FileNotFoundError
        Nothing zarr-like at ``path``.
    """
    import zarr

    node = _open(path, storage_options)
    if isinstance(node, zarr.Array):
        return [_array_info("", node)]
    members = sorted((name, m) for name, m in node.members(max_depth=None) if isinstance(m, zarr.Array))
    return [_array_info(name, arr) for name, arr in members]


def _open(path: str | os.PathLike, storage_options: dict | None = None):
    import zarr
    from zarr.errors import BaseZarrError

    from .scale_out import is_url

    if is_url(path):
        return zarr.open(str(path), mode="r", **({"storage_options": storage_options} if storage_options else {}))
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file or folder")
    try:
        if os.path.isfile(path) and is_zarr_zip(path):  # one file per dataset (convert ... out.zarr.zip)
            return open_zip(path)
        return zarr.open(str(path), mode="r")
    except (BaseZarrError, FileNotFoundError, KeyError, ValueError, TypeError) as err:
        raise FileNotFoundError(f"{path}: not a zarr array or group ({err or type(err).__name__})") from None


def group_summary(path: str | os.PathLike) -> str | None:
    """A line about OME-Zarr multiscales metadata at ``path``, if any."""
    import zarr

    node = _open(path)
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
    table = [("array", "dtype", "shape", "chunks", "codecs", "stored", "ratio")]
    for r in rows:
        chunks = "x".join(map(str, r.chunks)) + (f" (shards {'x'.join(map(str, r.shards))})" if r.shards else "")
        table.append((r.name, r.dtype, "x".join(map(str, r.shape)), chunks, r.codecs,
                      f"{r.stored / 1e6:.2f} MB", f"{r.ratio:.2f}x"))
    widths = [max(len(t[i]) for t in table) for i in range(len(table[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(t, widths, strict=True)).rstrip() for t in table]
    if len(rows) > 1:
        raw, stored = sum(r.nbytes for r in rows), sum(r.stored for r in rows)
        lines.append(f"total: {raw / 1e6:.2f} MB in {len(rows)} arrays, {stored / 1e6:.2f} MB stored, ratio "
                     f"{raw / max(stored, 1):.2f}x (all arrays; `pymecompress convert` reports the first, the full "
                     "resolution of an OME-Zarr image)")
    lines.append("ratio = raw bytes / stored bytes (chunks and the array's metadata) of each array")
    return "\n".join(lines)
