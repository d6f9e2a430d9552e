"""Buffer handling shared by the codec classes."""

from __future__ import annotations

import numpy as np
from numcodecs.compat import ensure_contiguous_ndarray_like, ensure_ndarray_like

from .. import _binding


def memory_order_array(buf, allowed: tuple[str, ...], codec_id: str) -> np.ndarray:
    """Return ``buf`` as a C-contiguous array whose memory order is ``buf``'s.

    An F-ordered array is returned transposed (so its planes are the planes of its
    memory layout and decoding restores the same bytes); any other strided view
    is copied into C order.  Byte-swapped input is converted to native order.
    """
    arr = np.asarray(ensure_ndarray_like(buf))
    if arr.dtype.kind not in "ui" or arr.dtype.itemsize not in {1, 2} or arr.dtype.str[1:] not in allowed:
        want = " or ".join(allowed)
        raise TypeError(f"{codec_id} encodes {want} data, got dtype {arr.dtype}; "
                        f"convert with .astype() or pick another codec (see pymecompress.list_codecs())")
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if arr.flags.c_contiguous:
        return arr
    if arr.flags.f_contiguous:
        return arr.T
    return np.ascontiguousarray(arr)


def plane_shape(arr: np.ndarray) -> tuple[int, int]:
    """``(nx, ny)``: width and height of the 2-D planes (last two axes)."""
    if arr.ndim >= 2:
        ny, nx = arr.shape[-2], arr.shape[-1]
    else:
        ny, nx = 1, arr.size
    if nx == 0 or ny == 0:
        return 1, 1
    return nx, ny


def output_array(out, nbytes: int, dtype: np.dtype, n: int) -> np.ndarray:
    """A flat writable view of ``out`` (or a new array, from :data:`pymecompress._binding.output_pool`) for
    decoding ``n`` values."""
    if out is None:
        return _binding.empty(n, dtype)
    flat = ensure_contiguous_ndarray_like(out)
    flat = np.asarray(flat)
    if flat.nbytes != nbytes:
        raise ValueError(f"out holds {flat.nbytes} bytes but the stream decodes to {nbytes} bytes "
                         f"({n} values of {dtype}); pass an out of matching size or none")
    if not flat.flags.writeable:
        raise ValueError("out is read-only; pass a writable array")
    return flat.view(np.uint8).view(dtype)
