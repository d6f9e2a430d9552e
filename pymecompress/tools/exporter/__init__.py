"""``pymecompress export``: stored movies out as videos, GIFs, PNG frames or raw TIFF, for the people who watch them.

Each input is a zarr store (what ``convert`` wrote) or anything ``convert`` reads, so raw and compressed data can
be shown side by side. Frames stream one at a time (memory stays bounded by a few frames); the choice of frames,
crop and binning is ``convert``'s; stacks with z or channel axes give one plane per frame
(:mod:`.inputs`). Counts become pictures through a contrast range, gamma, optional CLAHE and a colormap, with
titles, frame index, time and a scale bar (:mod:`.render`), written by PyAV, Pillow or tifffile
(:mod:`.writers`). The ``export`` extra installs what it needs: ``pip install "pymecompress[export]"``.

Examples
--------
>>> import numpy as np, os, tempfile
>>> folder = tempfile.mkdtemp()
>>> np.save(os.path.join(folder, "movie.npy"), np.random.default_rng(0).poisson(50, (3, 32, 48)).astype(np.uint16))
>>> summary = export([os.path.join(folder, "movie.npy")], os.path.join(folder, "frames"), progress=False)
>>> summary.frames, summary.size, sorted(os.listdir(os.path.join(folder, "frames")))[0]
(3, (32, 48), 'frame_00000.png')
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from ...io.base import InputError
from ...io.transforms import Transforms
from ...io.writers import PngWriter, VideoWriter, kind_of, write_tiff
from ..progress import Bar, progress_bar
from . import render
from .inputs import FrameReader, frame_times, open_frames, same_length

EXPORT_EXTRA = 'pip install "pymecompress[export]"'
PROGRESS_ABOVE = 100
"""A progress bar on stderr for more frames than this (when stderr is a terminal, or with ``progress=True``)."""


@dataclass
class ExportOptions:
    """What ``export`` makes of its inputs (every field is also a keyword of :func:`export`).

    Attributes
    ----------
    frames, crop, bin, bin_mode
        As ``convert``: ``"START:STOP[:STEP]"``, ``"Y0:Y1,X0:X1"``, N x N binning (``mean`` by default here, which
        keeps the dtype's range; ``sum``).
    z, channel, project, axes
        For stacks with axes between time and the image: a z plane, a channel, or ``project="max"`` (the default
        over z when no plane is named); ``axes`` names the axes where the file does not (e.g. ``"tzyx"``).
    series
        The TIFF series to read.
    contrast
        ``"auto"`` (the 0.1 and 99.9 percentiles over 16 frames of each input), ``"auto-frame"`` (per frame) or
        ``"MIN,MAX"`` in counts.
    gamma, clahe, colormap
        Tone and colour: output = input ** gamma on 0..1; CLAHE clip limit (scikit-image; None: off); a matplotlib
        colormap name (``gray`` by default).
    titles, grid, difference
        Several inputs go side by side, or in a ``(rows, columns)`` grid, under ``titles`` (default: their file
        names; ``[]`` for none); ``difference`` adds a panel of the first input minus the second (a symmetric
        range around 0; as contrast is ``fixed``: +- (MAX - MIN) / 2).
    frame_index, time, scale_bar, pixel_size, pixel_unit
        Text on the picture: the frame index, the time (from the stored timestamps, else index / fps), a scale
        bar (needs the pixel size: the file's, else ``pixel_size`` in ``pixel_unit`` per input pixel).
    fps, zoom
        Frames per second; an integer enlargement (nearest neighbour) for small frames.
    progress
        A progress bar on stderr: None shows one above 100 frames when stderr is a terminal.
    """

    frames: str | None = None
    crop: str | None = None
    bin: int = 1
    bin_mode: str = "mean"
    z: int | None = None
    channel: int | None = None
    project: str | None = None
    axes: str | None = None
    series: int | None = None
    contrast: str = "auto"
    gamma: float = 1.0
    clahe: float | None = None
    colormap: str = "gray"
    titles: Sequence[str] | None = None
    grid: tuple[int, int] | None = None
    difference: bool = False
    frame_index: bool = False
    time: bool = False
    scale_bar: bool = False
    pixel_size: float | None = None
    pixel_unit: str = "micrometer"
    fps: float = 10.0
    zoom: int = 1
    progress: bool | None = None

    def check(self) -> None:
        """Refuse values that cannot work, with what to give instead."""
        if not (isinstance(self.fps, int | float) and math.isfinite(self.fps) and 0 < self.fps <= 1000):
            raise ValueError(f"fps must be a number in (0, 1000], got {self.fps!r}")
        if not (math.isfinite(self.gamma) and self.gamma > 0):
            raise ValueError(f"gamma must be a positive number, got {self.gamma!r}")
        if self.clahe is not None and not 0 < self.clahe <= 1:
            raise ValueError(f"clahe (a clip limit) must be in (0, 1], e.g. 0.01; got {self.clahe!r}")
        if not isinstance(self.zoom, int) or not 1 <= self.zoom <= 16:
            raise ValueError(f"zoom must be an integer 1 to 16, got {self.zoom!r}")
        if self.pixel_size is not None and not (math.isfinite(self.pixel_size) and self.pixel_size > 0):
            raise ValueError(f"pixel_size must be a positive number, got {self.pixel_size!r}")
        render.Contrast.parse(self.contrast)


@dataclass
class ExportSummary:
    """What ``export`` wrote."""

    out: str
    kind: str
    frames: int
    size: tuple[int, int]
    fps: float
    ranges: list[tuple[float, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def format(self) -> str:
        ranges = "; ".join(f"{lo:g} to {hi:g}" for lo, hi in self.ranges)
        lines = [f"wrote {self.out} ({self.kind}): {self.frames} frames of {self.size[1]} x {self.size[0]} pixels "
                 f"at {self.fps:g} fps" + (f"; contrast {ranges}" if ranges else "")]
        return "\n".join(lines + [f"  {n}" for n in self.notes])


def export(inputs: str | os.PathLike | Sequence[str | os.PathLike], out: str | os.PathLike,
           options: ExportOptions | None = None, **kwargs) -> ExportSummary:
    """Write the frames of ``inputs`` to ``out`` (its suffix picks the kind: see :mod:`.writers`).

    Parameters
    ----------
    inputs : path or paths
        Zarr stores or anything ``convert`` reads; several go side by side (or in ``grid``) over the same frames.
    out : path
        The video, GIF, TIFF, or a new folder for PNG frames. It is written beside, under a hidden name, and takes
        its name only when complete: an existing file is replaced then, and stays as it was if the export fails.
    options : ExportOptions, optional
        Or its fields as keywords (see :class:`ExportOptions`).

    Returns
    -------
    ExportSummary
    """
    opts = _options(options, kwargs)
    paths = [os.fspath(inputs)] if isinstance(inputs, str | os.PathLike) else [os.fspath(p) for p in inputs]
    if not paths:
        raise ValueError("export needs at least one input")
    kind = kind_of(out)
    if opts.difference and len(paths) != 2:
        raise ValueError(f"difference=True shows the first input minus the second: give exactly two inputs, got "
                         f"{len(paths)}")
    if kind == "tiff" and (len(paths) > 1 or opts.difference):
        raise ValueError("a TIFF export holds the raw values of one input; for several side by side write a video "
                         "(.mp4, .avi, .gif) or PNG frames")
    transforms = Transforms.parse(frames=opts.frames, crop=opts.crop, bin=opts.bin, bin_mode=opts.bin_mode)
    readers: list[FrameReader] = []
    try:
        for p in paths:
            readers.append(open_frames(p, transforms, z=opts.z, channel=opts.channel, project=opts.project,
                                       series=opts.series, axes=opts.axes))
        n = same_length(readers, paths)
        _check_png_folder(out, kind)
        tmp = _partial(out)
        try:
            if kind == "tiff":
                summary = _export_tiff(readers[0], tmp, n, opts)
            else:
                summary = _export_pictures(readers, paths, tmp, kind, n, opts)
            _move_into_place(tmp, out)
        except BaseException:
            _discard(tmp)
            raise
        return dataclasses.replace(summary, out=os.fspath(out))
    finally:
        for r in readers:
            r.close()


def _check_png_folder(out: str | os.PathLike, kind: str) -> None:
    """PNG frames go to a new (or empty) folder: refused before anything is written."""
    folder = Path(out)
    if kind == "png" and folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FileExistsError(f"{out}: not an empty folder; name a new folder for the PNG frames")


def _partial(out: str | os.PathLike) -> Path:
    """The hidden sibling the output is written to (its name ends as ``out``'s: the suffix picks the format)."""
    out = Path(out)
    if not out.parent.is_dir():
        raise FileNotFoundError(f"{out.parent} (the folder of the output) does not exist")
    return out.parent / f".partial-{os.getpid()}-{out.name}"


def _move_into_place(tmp: Path, out: str | os.PathLike) -> None:
    """The finished output takes its name, replacing a file there (or an empty PNG folder)."""
    out = Path(out)
    if tmp.is_dir() and out.is_dir():
        out.rmdir()  # empty (checked first): a folder is not replaced by renaming on every system
    os.replace(tmp, out)


def _discard(tmp: Path) -> None:
    """Remove what a failed or interrupted export wrote (the existing output, if any, is untouched)."""
    if tmp.is_dir():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.unlink(missing_ok=True)


def _options(options: ExportOptions | None, kwargs: dict) -> ExportOptions:
    names = {f.name for f in fields(ExportOptions)}
    unknown = sorted(set(kwargs) - names)
    if unknown:
        raise TypeError(f"export() got unknown options {', '.join(unknown)}; the options are "
                        f"{', '.join(sorted(names))}")
    opts = ExportOptions(**{**(vars(options) if options else {}), **kwargs})
    opts.check()
    return opts


def _export_tiff(reader: FrameReader, out, n: int, opts: ExportOptions) -> ExportSummary:
    bar = _progress(n, opts.progress)
    dtype = reader.source.dtype

    def frames():
        for t in range(n):
            yield reader.read(t)
            bar.update(1)

    try:
        write_tiff(out, frames(), n, reader.frame_shape, dtype, opts.fps)
    finally:
        bar.close()
    return ExportSummary(os.fspath(out), "tiff", n, reader.frame_shape, opts.fps, notes=list(reader.notes))


def _export_pictures(readers: list[FrameReader], paths: list[str], out, kind: str, n: int, opts: ExportOptions
                     ) -> ExportSummary:
    contrast = render.Contrast.parse(opts.contrast)
    if opts.difference and readers[0].frame_shape != readers[1].frame_shape:
        raise InputError(f"difference=True needs frames of one shape; {paths[0]} has {readers[0].frame_shape} and "
                         f"{paths[1]} {readers[1].frame_shape}")
    ranges = _ranges(readers, n, contrast, opts.difference)
    lut = render.colormap_lut(opts.colormap)
    zoom = opts.zoom
    shapes = [(r.frame_shape[0] * zoom, r.frame_shape[1] * zoom) for r in readers]
    if opts.difference:
        shapes.append(shapes[0])
    titles = _titles(paths, opts, len(shapes))
    layout = render.Layout.make(shapes, opts.grid, bool(titles))
    size = render.font_size(layout.shape[0])
    pixel = _pixel_size(readers[0], opts) if opts.scale_bar else None
    times = frame_times(readers[0], opts.fps) if opts.time else None
    writer = (PngWriter(out, lut) if kind == "png" else VideoWriter(out, kind, layout.size, opts.fps, lut))
    bar = _progress(n, opts.progress)
    try:
        for t in range(n):
            frames = [r.read(t) for r in readers]
            low_high = ranges if contrast.mode != "frame" else _frame_ranges(frames, opts.difference)
            panels = [render.zoomed(render.to_indices(f, *lh, opts.gamma, opts.clahe), zoom)
                      for f, lh in zip(frames, low_high, strict=False)]
            if opts.difference:
                diff = frames[0].astype(np.float64) - frames[1]
                panels.append(render.zoomed(render.to_indices(diff, *low_high[-1]), zoom))
            canvas = layout.compose(panels)
            text = [(layout.origin(k)[0] - layout.title_height + 2, layout.origin(k)[1] + 2, title)
                    for k, title in enumerate(titles)]
            if pixel is not None:
                text += render.scale_bar(canvas, layout.origin(0), shapes[0], pixel[0] / zoom, pixel[1], size)
            corner = []
            if opts.frame_index:
                corner.append(f"frame {t}")
            if times is not None:
                corner.append(render.time_text(float(times[t])))
            if corner:
                y, x = layout.origin(0)
                text.append((y + 2, x + 4, "  ".join(corner)))
            writer.write(render.draw_text(canvas, text, size))
            bar.update(1)
    finally:
        bar.close()
        writer.close()
    notes = [f"{p}: {', '.join(r.notes)}" for p, r in zip(paths, readers, strict=True) if r.notes]
    return ExportSummary(os.fspath(out), kind, n, layout.size, opts.fps,
                         ranges if contrast.mode != "frame" else [], notes)


def _ranges(readers: list[FrameReader], n: int, contrast: render.Contrast, difference: bool
            ) -> list[tuple[float, float]]:
    """The contrast range of each panel (the difference's last) for ``auto`` and ``fixed`` contrast."""
    if contrast.mode == "fixed":
        half = (contrast.high - contrast.low) / 2
        return [(contrast.low, contrast.high)] * len(readers) + ([(-half, half)] if difference else [])
    if contrast.mode == "frame":
        return []
    picks = render.sample_frames(n)
    out = []
    samples = []
    for r in readers:
        frames = [r.read(t) for t in picks]
        samples.append(frames)
        out.append(render.value_range(np.concatenate([render.sample(f) for f in frames])))
    if difference:
        diffs = [render.sample(a.astype(np.float64) - b) for a, b in zip(*samples[:2], strict=True)]
        out.append(render.value_range(np.concatenate(diffs), symmetric=True))
    return out


def _frame_ranges(frames: list[np.ndarray], difference: bool) -> list[tuple[float, float]]:
    out = [render.value_range(render.sample(f)) for f in frames]
    if difference:
        out.append(render.value_range(render.sample(frames[0].astype(np.float64) - frames[1]), symmetric=True))
    return out


def _titles(paths: list[str], opts: ExportOptions, n_panels: int) -> list[str]:
    if opts.titles is not None:
        titles = list(opts.titles)
        if titles and len(titles) != n_panels:
            raise ValueError(f"{len(titles)} titles for {n_panels} panels: give one per panel (the difference "
                             "counts as one), or none")
        return titles
    if len(paths) == 1:
        return []
    names = [os.path.basename(p.rstrip("/\\")) or p for p in paths]
    return names + (["difference"] if opts.difference else [])


def _pixel_size(reader: FrameReader, opts: ExportOptions) -> tuple[float, str]:
    """Pixel size (x) and unit of a frame: ``pixel_size`` times the binning, else what the input states."""
    if opts.pixel_size is not None:
        return opts.pixel_size * opts.bin, opts.pixel_unit
    stated = reader.source.pixel_size
    if stated is not None:
        return float(stated.x), str(stated.unit)
    raise InputError(f"{reader.source.path}: a scale bar needs the pixel size, which the input does not state: give "
                     "pixel_size (the size of an input pixel, in pixel_unit: micrometer by default)")


def _progress(n: int, enabled: bool | None) -> Bar:
    shown = enabled if enabled is not None else n > PROGRESS_ABOVE and sys.stderr.isatty()
    return progress_bar(n, enabled=shown, unit="frame", desc="exporting")


__all__ = ["export", "ExportOptions", "ExportSummary", "EXPORT_EXTRA"]
