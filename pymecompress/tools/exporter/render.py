"""From frames of counts to the pictures of a video: contrast, tone, colour, panels and text.

Pictures are made of 8-bit indices (0: the colormap's first colour, 255: its last) and coloured at the end through a
256-entry lookup table (:func:`colormap_lut`), so that a GIF keeps the colormap exactly as its palette and lossless
outputs can be checked value by value. Text (titles, frame index, time, scale-bar label) is drawn with Pillow in
index 255 with a dark outline.

Examples
--------
>>> frame = np.array([[100, 150], [200, 300]], np.uint16)
>>> to_indices(frame, 100, 300)
array([[  0,  64],
       [128, 255]], dtype=uint8)
>>> Contrast.parse("100,300"), Contrast.parse("auto").mode
(Contrast(mode='fixed', low=100.0, high=300.0), 'auto')
>>> colormap_lut("gray")[[0, 255]].tolist()
[[0, 0, 0], [255, 255, 255]]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PERCENTILES = (0.1, 99.9)
"""The percentiles of the values that ``auto`` contrast maps to black and to the brightest colour."""
SAMPLE_FRAMES = 16
"""How many frames, evenly spaced, ``auto`` contrast looks at."""
SAMPLE_VALUES = 1_000_000
"""At most this many values of each sampled frame (a regular subsample of larger frames)."""
GAP = 4
"""Pixels between panels."""


@dataclass(frozen=True)
class Contrast:
    """How counts map to the colormap: ``auto`` (one range for the whole movie, from :data:`PERCENTILES` of
    :data:`SAMPLE_FRAMES` frames), ``frame`` (the same, frame by frame) or ``fixed`` (``low``, ``high``)."""

    mode: str
    low: float | None = None
    high: float | None = None

    @classmethod
    def parse(cls, text: str) -> Contrast:
        """``auto``, ``auto-frame`` or ``MIN,MAX`` (counts)."""
        text = str(text).strip()
        if text == "auto":
            return cls("auto")
        if text in ("auto-frame", "frame"):
            return cls("frame")
        parts = text.split(",")
        try:
            low, high = (float(p) for p in parts)
        except ValueError:
            raise ValueError(f"contrast must be auto, auto-frame or MIN,MAX (e.g. 100,2000), got {text!r}") from None
        if not (math.isfinite(low) and math.isfinite(high) and high > low):
            raise ValueError(f"contrast MIN,MAX needs finite MIN < MAX, got {text!r}")
        return cls("fixed", low, high)


def sample(frame: np.ndarray) -> np.ndarray:
    """At most :data:`SAMPLE_VALUES` values of ``frame`` (a regular subsample), flat, as float64."""
    step = max(1, math.ceil(math.sqrt(frame.size / SAMPLE_VALUES)))
    return np.asarray(frame[::step, ::step], dtype=np.float64).ravel()


def value_range(values: np.ndarray, symmetric: bool = False) -> tuple[float, float]:
    """The :data:`PERCENTILES` of ``values`` (for a difference: +- the upper percentile of their magnitude)."""
    if not values.size:
        return 0.0, 1.0
    if symmetric:
        m = float(np.percentile(np.abs(values), PERCENTILES[1]))
        m = m if m > 0 else 1.0
        return -m, m
    low, high = (float(v) for v in np.percentile(values, PERCENTILES))
    return (low, high) if high > low else (low, low + 1.0)


def sample_frames(n: int) -> list[int]:
    """Indices of :data:`SAMPLE_FRAMES` frames (or all) evenly spaced over ``n``."""
    return sorted({int(round(i)) for i in np.linspace(0, n - 1, min(n, SAMPLE_FRAMES))}) if n else []


def to_indices(frame: np.ndarray, low: float, high: float, gamma: float = 1.0, clahe: float | None = None
               ) -> np.ndarray:
    """``frame`` mapped to 0..255: ``low`` to 0, ``high`` to 255, then ``gamma`` (output = input ** gamma on 0..1,
    as ImageJ: below 1 brightens the dark values) and, with ``clahe`` (a clip limit, e.g. 0.01), scikit-image's
    contrast-limited adaptive histogram equalisation."""
    norm = (np.asarray(frame, dtype=np.float64) - low) / (high - low)
    np.clip(norm, 0.0, 1.0, out=norm)
    if clahe is not None:
        from skimage.exposure import equalize_adapthist

        norm = equalize_adapthist(norm, clip_limit=clahe)
    if gamma != 1.0:
        norm **= gamma
    return np.rint(norm * 255.0).astype(np.uint8)


def colormap_lut(name: str) -> np.ndarray:
    """The 256 RGB colours (uint8) of matplotlib's colormap ``name`` (``gray`` needs no matplotlib)."""
    if name in ("gray", "grey", "greys_r"):
        return np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
    try:
        import matplotlib
    except ImportError:
        raise ImportError(f"colormap {name!r} needs matplotlib: pip install \"pymecompress[export]\"") from None
    try:
        cmap = matplotlib.colormaps[name]
    except KeyError:
        raise ValueError(f"unknown colormap {name!r}: use one of matplotlib's names (gray, viridis, magma, inferno, "
                         "hot, ...)") from None
    return np.rint(cmap(np.linspace(0.0, 1.0, 256))[:, :3] * 255.0).astype(np.uint8)


def zoomed(indices: np.ndarray, zoom: int) -> np.ndarray:
    """Each pixel as a ``zoom`` x ``zoom`` block (nearest neighbour), for small frames."""
    return indices if zoom == 1 else np.repeat(np.repeat(indices, zoom, axis=0), zoom, axis=1)


@dataclass(frozen=True)
class Layout:
    """Where panels of ``shape`` (rows, columns; all the same) go in a ``grid`` (rows, columns of panels), with
    a title strip of ``title_height`` pixels above each panel (0: no titles)."""

    shape: tuple[int, int]
    grid: tuple[int, int]
    title_height: int = 0

    @classmethod
    def make(cls, shapes: Sequence[tuple[int, int]], grid: tuple[int, int] | None, titles: bool) -> Layout:
        n = len(shapes)
        if grid is None:
            grid = (1, n)
        if grid[0] < 1 or grid[1] < 1 or grid[0] * grid[1] < n:
            raise ValueError(f"a grid of {grid[0]} x {grid[1]} panels cannot hold {n}")
        shape = (max(s[0] for s in shapes), max(s[1] for s in shapes))
        return cls(shape, grid, font_size(shape[0]) + 6 if titles else 0)

    @property
    def size(self) -> tuple[int, int]:
        """Rows and columns of the whole picture (even, as H.264 and VP9 need)."""
        rows, cols = self.grid
        h = rows * (self.shape[0] + self.title_height) + (rows - 1) * GAP
        w = cols * self.shape[1] + (cols - 1) * GAP
        return h + h % 2, w + w % 2

    def origin(self, k: int) -> tuple[int, int]:
        """Top-left pixel of panel ``k`` (below its title)."""
        r, c = divmod(k, self.grid[1])
        return r * (self.shape[0] + self.title_height + GAP) + self.title_height, c * (self.shape[1] + GAP)

    def compose(self, panels: Sequence[np.ndarray]) -> np.ndarray:
        """The panels, each at its place, on a canvas of index 0."""
        canvas = np.zeros(self.size, dtype=np.uint8)
        for k, p in enumerate(panels):
            y, x = self.origin(k)
            canvas[y:y + p.shape[0], x:x + p.shape[1]] = p
        return canvas


def font_size(height: int) -> int:
    """Text height in pixels for pictures of ``height`` rows."""
    return int(min(28, max(10, round(height / 22))))


def draw_text(canvas: np.ndarray, items: Sequence[tuple], size: int) -> np.ndarray:
    """``canvas`` with each ``(y, x, text)`` written with its top-left corner there (``(y, x, text, "bottom")``:
    its bottom-left corner), in index 255 outlined in 0."""
    if not items:
        return canvas
    from PIL import Image, ImageDraw, ImageFont

    image = Image.fromarray(np.ascontiguousarray(canvas))  # uint8 2-D: mode L
    draw = ImageDraw.Draw(image)
    font, full = _font(size, ImageFont)
    for y, x, text, *where in items:
        if not full:
            text = text.replace("µ", "u").replace("Å", "A")
        left, top, _, bottom = draw.textbbox((0, 0), text, font=font, stroke_width=1)
        y = y - bottom if where == ["bottom"] else y - top  # the drawn pixels start at (x, y)
        draw.text((x - left, y), text, fill=255, font=font, stroke_width=1, stroke_fill=0)
    return np.asarray(image, dtype=np.uint8).copy()


def _font(size: int, image_font):
    """matplotlib's DejaVu Sans at ``size`` pixels (it has µ and Å), else Pillow's default font; and whether it
    has those letters."""
    try:
        from matplotlib import font_manager

        return image_font.truetype(font_manager.findfont("DejaVu Sans", fallback_to_default=False), size), True
    except (ImportError, OSError, ValueError):
        pass
    try:
        return image_font.load_default(size=size), False
    except TypeError:  # Pillow without FreeType: its fixed bitmap font
        return image_font.load_default(), False


def nice_length(target: float) -> float:
    """The largest of 1, 2 and 5 times a power of ten not above ``target`` (> 0)."""
    power = 10.0 ** math.floor(math.log10(target))
    return max(m * power for m in (1, 2, 5) if m * power <= target * (1 + 1e-9))


UNIT_SYMBOLS = {"micrometer": "µm", "nanometer": "nm", "millimeter": "mm", "meter": "m", "centimeter": "cm",
                "angstrom": "Å"}


def scale_bar(canvas: np.ndarray, origin: tuple[int, int], shape: tuple[int, int], pixel: float, unit: str,
              size: int) -> list[tuple]:
    """Draw a scale bar of a round length, about a fifth of the panel wide, at the bottom right of the panel at
    ``origin`` (``pixel``: its pixel size in ``unit``); returns the label to write above it (for
    :func:`draw_text`)."""
    h, w = shape
    length = nice_length(0.2 * w * pixel)
    bar = max(1, int(round(length / pixel)))
    thick = max(2, h // 60)
    margin = max(4, w // 30)
    y1 = origin[0] + h - margin
    x1 = origin[1] + w - margin
    canvas[y1 - thick:y1, x1 - bar:x1] = 255
    label = f"{length:g} {UNIT_SYMBOLS.get(unit, unit)}"
    return [(y1 - thick - 3, x1 - bar, label, "bottom")]


def time_text(seconds: float) -> str:
    """``12.35 s`` below a minute, else ``m:ss.s``."""
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(seconds, 60.0)
    return f"{int(minutes)}:{rest:04.1f}"
