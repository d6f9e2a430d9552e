"""Where a zarr store is: :func:`open_store` opens a folder, a ``.zarr.zip`` file or a URL read-only
(:func:`is_url` tells a URL from a local path).

Below the modules that open (:mod:`pymecompress.zarr.open`) and describe stores (:mod:`pymecompress.zarr.ome`,
:func:`~pymecompress.zarr.ome.pixel_size_of` of a path) and the writers to object stores
(:mod:`pymecompress.zarr.scale_out`), which all import it.

Examples
--------
>>> is_url("s3://bucket/a.zarr"), is_url("data/a.zarr")
(True, False)
"""

from __future__ import annotations

import os
import re
from typing import Any

from .zip_store import ZARR_MARKERS, is_zarr_zip, open_zip

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]+://")


def is_url(path: Any) -> bool:
    """Whether an output names a URL (``s3://``, ``gs://``, ``memory://``, ...) rather than a local path."""
    return isinstance(path, str) and bool(_URL.match(path))


class NotZarrError(ValueError):
    """The path holds something, but not a zarr store (perhaps a camera file: see
    :func:`pymecompress.tools.info.describe_input`)."""


def open_store(path: str | os.PathLike, storage_options: dict | None = None):
    """The zarr array or group at ``path`` (a folder, a ``.zarr.zip`` file or a URL), opened read-only.

    Raises
    ------
    FileNotFoundError
        Nothing at ``path``.
    NotZarrError
        ``path`` holds no zarr store.
    ValueError
        A damaged store.
    """
    import zarr
    from zarr.errors import BaseZarrError

    if is_url(path):
        return zarr.open(str(path), mode="r", **({"storage_options": storage_options} if storage_options else {}))
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file or folder")
    zipped = os.path.isfile(path) and is_zarr_zip(path)  # one file per dataset (convert ... out.zarr.zip)
    if not zipped and not any(os.path.isfile(os.path.join(path, name)) for name in ZARR_MARKERS):
        raise NotZarrError(f"{path}: not a zarr store (no {', '.join(ZARR_MARKERS)} at its top level)")
    try:
        return open_zip(path) if zipped else zarr.open(str(path), mode="r")
    except (BaseZarrError, FileNotFoundError, KeyError, ValueError, TypeError) as err:
        raise ValueError(f"{path}: a damaged zarr store ({err or type(err).__name__})") from None
