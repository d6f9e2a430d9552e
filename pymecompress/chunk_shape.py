"""Chunk shapes from the command line (``pymecompress convert --chunks``)."""

from __future__ import annotations

DEFAULT_PLANE_CHUNK = 1024
"""Default chunk height and width, in pixels (whole planes when they are smaller).

zarr's own codec pipeline, which reads an array opened the usual way, spends a fixed time on every chunk (on its one
event-loop thread): with chunks of 512 x 512 uint16 (512 KB) its reads ran at 0.34-0.44x the codec's decoding on 2
threads, with 1024 x 1024 (2 MB) at 0.65x (bench/pipeline.py). A larger chunk costs random access: a 256 x 256 crop
decodes the whole chunk, about 1 ms for 2 MB."""


def parse_chunks(text: str | None, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Chunk shape from ``"1,512,512"`` (missing leading entries are 1; ``-1`` or ``0`` means the full axis), or
    by default one plane per chunk along the leading axes and up to :data:`DEFAULT_PLANE_CHUNK` pixels square.

    Examples
    --------
    >>> parse_chunks(None, (100, 2048, 700))
    (1, 1024, 700)
    >>> parse_chunks("256,-1", (100, 2048, 700))
    (1, 256, 700)
    """
    if text is None:
        return (*([1] * (len(shape) - 2)), min(shape[-2], DEFAULT_PLANE_CHUNK), min(shape[-1], DEFAULT_PLANE_CHUNK))
    try:
        values = [int(v) for v in text.replace("x", ",").split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"--chunks {text!r}: expected integers separated by commas, e.g. 1,512,512") from None
    if not values or len(values) > len(shape):
        raise ValueError(f"--chunks {text!r} has {len(values)} entries for a {len(shape)}-d stack {shape}")
    values = [1] * (len(shape) - len(values)) + values
    chunks = tuple(n if v <= 0 else min(v, n) for v, n in zip(values, shape, strict=True))
    return chunks
