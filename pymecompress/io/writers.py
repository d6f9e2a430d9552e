"""The outputs of ``export``, written one picture at a time.

======================  ==========================================================================================
``OUT``                 what is written
======================  ==========================================================================================
``.mp4``                H.264 (libx264, CRF 18, yuv420p) through PyAV: plays everywhere
``.avi``                FFV1 (lossless RGB): every pixel as rendered, for analysis
``.gif``                the colormap as the palette (exact); delays in hundredths of a second
``.webm``               VP9 (libvpx-vp9, yuv420p), where PyAV's FFmpeg has it
a folder (no suffix)    one 8-bit RGB PNG per frame, ``frame_00000.png``, ...
``.tif`` / ``.ome.tif`` the raw values of the chosen frames (no contrast or colour), BigTIFF above 2 GB
======================  ==========================================================================================

Examples
--------
>>> kind_of("movie.mp4"), kind_of("frames/"), kind_of("raw.ome.tif")
('mp4', 'png', 'tiff')
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

VIDEO = {"mp4": ("libx264", "yuv420p"), "avi": ("ffv1", "bgr0"), "gif": ("gif", "pal8"),
         "webm": ("libvpx-vp9", "yuv420p")}
KINDS = (*VIDEO, "png", "tiff")


def kind_of(out: str | os.PathLike) -> str:
    """The output kind of ``out`` from its suffix (a path without one is a folder of PNGs)."""
    name = os.fspath(out).lower().rstrip("/\\")
    suffix = Path(name).suffix.lstrip(".")
    if suffix in VIDEO:
        return suffix
    if suffix in ("tif", "tiff"):
        return "tiff"
    if not suffix and not os.path.isfile(name):
        return "png"
    raise ValueError(f"{out}: export writes .mp4, .avi, .gif, .webm, .tif / .ome.tif, or a folder of PNGs "
                     f"(a path without suffix); not .{suffix}")


class VideoWriter:
    """Pictures (8-bit indices) coloured by ``lut`` into a video file through PyAV."""

    def __init__(self, out: str | os.PathLike, kind: str, size: tuple[int, int], fps: float, lut: np.ndarray):
        try:
            import av
        except ImportError:
            raise ImportError(f"writing .{kind} needs PyAV: pip install \"pymecompress[export]\"") from None
        codec, pix_fmt = VIDEO[kind]
        try:
            av.codec.Codec(codec, "w")
        except Exception:  # noqa: BLE001 (PyAV raises its own errors for a missing encoder)
            raise ValueError(f"this PyAV's FFmpeg has no {codec} encoder for .{kind}: choose another output "
                             "(.mp4, .avi, .gif or a folder of PNGs)") from None
        self.kind, self.lut = kind, lut
        self._palette = np.concatenate([np.full((256, 1), 255, np.uint8), lut], axis=1)  # ARGB
        self._container = av.open(os.fspath(out), mode="w")
        try:
            self._stream = self._container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
            self._stream.height, self._stream.width = size
            self._stream.pix_fmt = pix_fmt
            if codec == "libx264":
                self._stream.options = {"crf": "18", "preset": "medium"}
            elif codec == "libvpx-vp9":
                self._stream.options = {"crf": "24", "b": "0"}
        except BaseException:
            self._container.close()
            raise
        self._av = av

    def write(self, indices: np.ndarray) -> None:
        if self.kind == "gif":
            frame = self._av.VideoFrame.from_ndarray((np.ascontiguousarray(indices), self._palette), format="pal8")
        else:
            frame = self._av.VideoFrame.from_ndarray(self.lut[indices], format="rgb24")
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        try:
            for packet in self._stream.encode():
                self._container.mux(packet)
        finally:
            self._container.close()


class PngWriter:
    """One RGB PNG per picture in a folder (created; it must be empty or new)."""

    def __init__(self, out: str | os.PathLike, lut: np.ndarray):
        self.folder = Path(out)
        if self.folder.exists() and (not self.folder.is_dir() or any(self.folder.iterdir())):
            raise FileExistsError(f"{out}: not an empty folder; name a new folder for the PNG frames")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.lut = lut
        self._n = 0

    def write(self, indices: np.ndarray) -> None:
        from PIL import Image

        Image.fromarray(self.lut[indices]).save(self.folder / f"frame_{self._n:05d}.png")
        self._n += 1

    def close(self) -> None:
        pass


def write_tiff(out: str | os.PathLike, frames: Iterator[np.ndarray], n: int, shape: tuple[int, int],
               dtype: np.dtype, fps: float) -> None:
    """The raw frames as one multi-page TIFF (OME-TIFF when ``out`` ends in ``.ome.tif``), page by page."""
    import tifffile

    name = os.fspath(out).lower()
    ome = name.endswith((".ome.tif", ".ome.tiff"))
    nbytes = n * shape[0] * shape[1] * np.dtype(dtype).itemsize
    metadata = {"axes": "TYX", "TimeIncrement": 1.0 / fps, "TimeIncrementUnit": "s"} if ome else None
    tifffile.imwrite(out, data=frames, shape=(n, *shape), dtype=dtype, bigtiff=nbytes > 2**31 - 2**25,
                     photometric="minisblack", ome=ome, metadata=metadata)
