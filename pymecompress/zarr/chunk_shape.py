"""Chunk and shard shapes from the command line (``pymecompress convert --chunks`` and ``--shards``)."""

from __future__ import annotations

import math

DEFAULT_PLANE_CHUNK = 1024
"""Default chunk height and width, in pixels (whole planes when they are smaller)."""

DEFAULT_CHUNK_BYTES = 4 << 20
"""Raw bytes a default chunk holds at most: planes smaller than this are grouped along the first axis until a chunk
holds about this much.

zarr's own codec pipeline, which reads an array opened the usual way, spends a fixed time on every chunk (on its one
event-loop thread), and copies each chunk into the result there: on 2 threads its reads of what ``convert`` wrote
ran at 0.34-0.44x the codec's decoding with chunks of 512 KB, 0.42-0.46x with 2 MB and 0.50-0.56x with 4 MB (zarr
3.4 and 3.1; 8 MB gained nothing more), and ``convert`` itself writes 4 MB chunks about 12 % faster than 2 MB ones
(half the files). A larger chunk costs random access: reading one plane (or a 256 x 256 crop) decodes the whole
chunk, about 2 ms for 4 MB on one core."""


def parse_chunks(text: str | None, shape: tuple[int, ...], itemsize: int = 2) -> tuple[int, ...]:
    """Chunk shape from ``"1,512,512"`` (missing leading entries are 1; ``-1`` or ``0`` means the full axis), or
    by default up to :data:`DEFAULT_PLANE_CHUNK` pixels square in the plane, and along the first axis as many planes
    as fit in :data:`DEFAULT_CHUNK_BYTES` (of ``itemsize`` bytes per pixel), one along the other leading axes.

    Examples
    --------
    >>> parse_chunks(None, (100, 2048, 700))
    (2, 1024, 700)
    >>> parse_chunks(None, (100, 512, 1024)), parse_chunks(None, (5000, 128, 128)), parse_chunks(None, (3, 4, 64, 64))
    ((4, 512, 1024), (128, 128, 128), (3, 1, 64, 64))
    >>> parse_chunks("256,-1", (100, 2048, 700))
    (1, 256, 700)
    """
    if text is None:
        plane = (min(shape[-2], DEFAULT_PLANE_CHUNK), min(shape[-1], DEFAULT_PLANE_CHUNK))
        if len(shape) == 2:
            return plane
        planes = max(1, min(shape[0], DEFAULT_CHUNK_BYTES // (itemsize * plane[0] * plane[1])))
        return (planes, *([1] * (len(shape) - 3)), *plane)
    try:
        values = [int(v) for v in text.replace("x", ",").split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"chunks {text!r}: expected integers separated by commas, e.g. 1,512,512") from None
    if not values or len(values) > len(shape):
        raise ValueError(f"chunks {text!r} has {len(values)} entries for a {len(shape)}-d stack {shape}")
    values = [1] * (len(shape) - len(values)) + values
    chunks = tuple(n if v <= 0 else min(v, n) for v, n in zip(values, shape, strict=True))
    return chunks


SHARD_BYTES = 32 << 20
"""Raw bytes of a shard that ``shards="auto"`` aims at (whole planes, as many as fit): one file or object per shard
instead of one per chunk."""


def _round_up(n: int, step: int) -> int:
    return -(-n // step) * step


def parse_shards(spec: str | tuple[int, ...] | None, shape: tuple[int, ...], chunks: tuple[int, ...],
                 itemsize: int) -> tuple[int, ...] | None:
    """Shard shape (zarr v3 ``sharding_indexed``) from ``"auto"``, ``"none"``/None, a number of planes (``"16"``:
    16 along the first axis, whole planes) or a shape (``"16,2048,2048"``; ``-1`` or ``0``: the whole axis).

    Every entry is a multiple of the chunk's (an array's edge shard is cut short by zarr). ``"auto"`` takes whole
    planes, as many along the first axis as fit in :data:`SHARD_BYTES` (at least one chunk's worth).

    Examples
    --------
    >>> parse_shards("auto", (100, 2048, 2048), (1, 1024, 1024), 2)
    (4, 2048, 2048)
    >>> parse_shards("auto", (100, 500, 1300), (1, 500, 1024), 2)
    (16, 500, 2048)
    >>> parse_shards("8", (100, 512, 512), (2, 512, 512), 2), parse_shards(None, (100, 512, 512), (1, 512, 512), 2)
    ((8, 512, 512), None)
    """
    if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("", "none")):
        return None
    whole = tuple(_round_up(n, c) for n, c in zip(shape, chunks, strict=True))
    if isinstance(spec, str) and spec.strip().lower() == "auto":
        plane = math.prod(whole[1:]) * itemsize
        planes = max(chunks[0], (SHARD_BYTES // max(plane, 1)) // chunks[0] * chunks[0])
        return (min(planes, whole[0]), *whole[1:])
    if isinstance(spec, tuple):
        values = list(spec)
    else:
        try:
            values = [int(v) for v in spec.replace("x", ",").split(",") if v.strip()]
        except ValueError:
            raise ValueError(f"shards {spec!r}: expected auto, none, a number of planes or a shape such as "
                             "16,2048,2048") from None
    if len(values) == 1:
        values = [values[0], *whole[1:]]
    if not values or len(values) > len(shape):
        raise ValueError(f"shards {spec!r} has {len(values)} entries for a {len(shape)}-d stack {shape}")
    values = list(chunks[:len(shape) - len(values)]) + values
    shards = tuple(w if v <= 0 else min(v, w) for v, w in zip(values, whole, strict=True))
    bad = [f"{s} (axis {axis}, chunks of {c})" for axis, (s, c) in enumerate(zip(shards, chunks, strict=True))
           if s % c]
    if bad:
        raise ValueError(f"shards {spec!r}: a shard holds whole chunks, and {', '.join(bad)} is not a multiple of the "
                         "chunk; choose multiples of the chunk shape")
    return shards


def level_shards(shards: tuple[int, ...], level_shape: tuple[int, ...],
                 level_chunks: tuple[int, ...]) -> tuple[int, ...]:
    """The shards of a pyramid level: those of the full resolution along the leading axes, in the plane no larger
    than the level needs, in whole chunks.

    Examples
    --------
    >>> level_shards((4, 2048, 2048), (100, 512, 512), (1, 512, 512))
    (4, 512, 512)
    """
    plane = tuple(_round_up(min(s, n), c) for s, n, c in zip(shards[-2:], level_shape[-2:], level_chunks[-2:],
                                                            strict=True))
    return (*shards[:-2], *plane)
