"""Video files (AVI, MP4, MOV, MKV, WebM, ...), read with PyAV (``av``: FFmpeg's libraries, bundled in its wheels).

Grey video (FFmpeg pixel formats ``gray``, ``gray10le``, ``gray12le``, ``gray16le``, ... as FFV1, raw video, H.264
4:0:0 and Motion JPEG store them) becomes ``(t, y, x)``: uint8 for 8-bit formats, uint16 (the values as stored)
for deeper ones. Colour video is refused: its channels are not camera counts the noise-bounded codec can model.
One channel is read on request with ``FILE:CHANNEL``:

* ``r``, ``g``, ``b`` (or ``0``, ``1``, ``2``): that channel of the frames converted to RGB by FFmpeg (uint8, or
  uint16 for formats deeper than 8 bits); for a palette (``pal8``) video with a grey palette any channel is the
  grey level;
* ``y``: the luma plane as stored, without conversion, for YUV video (grey content that an encoder stored as
  YUV, as most H.264 / MP4 files are).

With ``axes`` naming four axes with a channel (``tcyx``), a colour video reads as ``(t, 3, y, x)`` RGB, for the
lossless codecs.

The first video stream is read. Opening demuxes the file once without decoding, to count the frames and learn
their presentation times (:attr:`VideoSource.timestamps`); frames are then decoded in order as they are asked for
(an earlier frame restarts decoding from the start). A file that ends early or decodes to fewer frames than it
lists raises :class:`~pymecompress.io.sources.InputError`.

Examples
--------
>>> import av, numpy as np, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "grey.mkv")
>>> frames = np.arange(3 * 16 * 16, dtype=np.uint8).reshape(3, 16, 16)
>>> with av.open(path, "w") as out:
...     stream = out.add_stream("ffv1", rate=10)
...     stream.width, stream.height, stream.pix_fmt = 16, 16, "gray"
...     for f in frames:
...         out.mux(stream.encode(av.VideoFrame.from_ndarray(f, format="gray")))
...     out.mux(stream.encode())
>>> with VideoSource(path) as src:
...     print(src.shape, src.dtype, src.axes, np.array_equal(src.read_planes([2])[0], frames[2]), src.timestamps)
(3, 16, 16) uint8 TYX True [0.  0.1 0.2]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..base import ImageSource, InputError, _reason
from . import require

CHANNELS = {"r": 0, "g": 1, "b": 2, "0": 0, "1": 1, "2": 2, "y": -1}


def _depth(fmt: Any) -> int:
    """Bits per component of an FFmpeg pixel format (``av.VideoFormat``)."""
    return max((c.bits for c in fmt.components), default=8)


def _is_grey(fmt: Any) -> bool:
    return fmt.name.startswith("gray") and len(fmt.components) == 1


class VideoSource(ImageSource):
    """The first video stream of a file: ``(t, y, x)`` (grey, or one channel) or ``(t, 3, y, x)`` (RGB).

    Parameters
    ----------
    path : str
        The file.
    channel : str, optional
        ``r``, ``g``, ``b``, ``0``, ``1``, ``2`` or ``y`` (see the module description); needed for colour video.
    axes : str, optional
        The axes a conversion asked for; four letters with ``c`` read a colour video's RGB channels as an axis.

    Attributes
    ----------
    timestamps : numpy.ndarray
        float64 presentation time of every frame in seconds from the stream's start.
    attributes : dict
        ``{"video": {"codec", "pixel_format", "frame_rate", "channel"}}``.

    Raises
    ------
    InputError
        Not a readable video, no video stream, colour without a channel, a channel that does not exist, or a
        truncated or corrupt file.
    """

    kind = "video"

    def __init__(self, path: str, channel: str | None = None, axes: str | None = None) -> None:
        av = require("av", path, "a video")
        try:
            self._container = av.open(path)
        except Exception as err:
            raise InputError(f"{path}: not a readable video file ({_reason(err)}); is it truncated or of another "
                             "format?") from None
        try:
            self._setup(path, channel, axes)
        except InputError:
            self._container.close()
            raise
        except Exception as err:  # FFmpeg's errors on a damaged stream header
            self._container.close()
            raise InputError(f"{path}: a damaged video file ({_reason(err)}); it is truncated or corrupt") from None

    def _setup(self, path: str, channel: str | None, axes: str | None) -> None:
        if not self._container.streams.video:
            raise InputError(f"{path}: holds no video stream")
        stream = self._stream = self._container.streams.video[0]
        ctx = stream.codec_context
        fmt = ctx.format
        if fmt is None or not ctx.width or not ctx.height:
            raise InputError(f"{path}: the video stream has no known pixel format or size; the file is damaged or "
                             "of a codec FFmpeg cannot decode")
        bits = _depth(fmt)
        deep = bits > 8
        grey = _is_grey(fmt)
        self._mode, self._index = "grey", 0
        shape: tuple[int, ...] = (ctx.height, ctx.width)
        if grey:
            if channel is not None and channel.strip().lower() not in ("y", "0"):
                raise InputError(f"{path}: a grey video ({fmt.name}) has one channel; leave out ':{channel}'")
        elif channel is not None:
            key = channel.strip().lower()
            if key not in CHANNELS:
                raise InputError(f"{path}: no channel '{channel}': choose r, g, b (or 0, 1, 2), or y for the luma "
                                 "plane of YUV video")
            if key == "y":
                if not fmt.name.startswith(("yuv", "yuvj", "nv12", "nv21", "p010", "p016")):
                    raise InputError(f"{path}: ':y' reads the luma plane of YUV video, and this one is {fmt.name}; "
                                     "choose r, g or b")
                self._mode = "grey"
            else:
                self._mode, self._index = "rgb", CHANNELS[key]
        elif axes is not None and len(axes) == 4 and "c" in axes.lower():
            self._mode = "all"
            shape = (3, *shape)
        else:
            raise InputError(f"{path}: a colour video ({fmt.name}): its channels are not camera counts the "
                             "noise-bounded codec can model; convert one channel with "
                             f"{path}:r (or :g, :b, or :y for the luma plane of YUV video), or keep all three for "
                             "a lossless codec with axes='tcyx'")
        self._dtype_in = np.dtype("<u2" if deep else "u1") if not fmt.name.endswith("be") else np.dtype(">u2")
        self._rgb = "rgb48le" if deep else "rgb24"
        pts = self._scan(path)
        dtype = np.dtype(np.uint16 if deep else np.uint8)
        super().__init__(path, (len(pts), *shape), dtype, "TCYX" if self._mode == "all" else "TYX")
        tb = stream.time_base
        start = pts[0] if pts and pts[0] is not None else 0
        self.timestamps = (np.array([float((p - start) * tb) if p is not None and tb else np.nan for p in pts])
                           if pts else np.zeros(0))
        rate = stream.average_rate
        self.attributes = {"video": {"codec": ctx.name, "pixel_format": fmt.name,
                                     "frame_rate": float(rate) if rate else None,
                                     "channel": channel}}
        self.camera_counts = self._mode == "grey"  # grey or the luma plane; RGB channels are not camera counts
        self._frames: Iterator[Any] | None = None
        self._next = 0
        self._last: tuple[int, np.ndarray] | None = None

    def _scan(self, path: str) -> list[int | None]:
        """Presentation times of every packet (frame) of the stream, in order, from a demux pass."""
        pts: list[int | None] = []
        self._last_pts: tuple[int, int] = (-(2**62), 0)  # the latest presentation time and that frame's duration
        try:
            for packet in self._container.demux(self._stream):
                if packet.size:
                    if packet.is_corrupt:
                        raise InputError(f"{path}: frame {len(pts)} is damaged; the file is truncated or corrupt")
                    pts.append(packet.pts)
                    if packet.pts is not None and packet.pts >= self._last_pts[0]:
                        self._last_pts = (packet.pts, packet.duration or 0)
        except InputError:
            raise
        except Exception as err:
            raise InputError(f"{path}: a damaged video file after {len(pts)} frames ({_reason(err)}); it is "
                             "truncated or corrupt") from None
        if not pts:
            raise InputError(f"{path}: the video stream holds no frames")
        listed = self._stream.frames
        if listed and len(pts) < listed:
            raise InputError(f"{path}: the video lists {listed} frames but holds {len(pts)}; it is truncated, copy "
                             "it again")
        known = sorted(p for p in pts if p is not None)
        if not listed:  # AVI and MP4 list their frames; Matroska and WebM only give a duration
            self._check_duration(path, known, len(pts))
        return known + [None] * (len(pts) - len(known))

    def _check_duration(self, path: str, known: list[int], n: int) -> None:
        """Refuse frames that end more than half a frame before the duration the container announces (Matroska and
        WebM give no frame count, only a duration, which the muxer writes when it closes the file)."""
        stream, rate = self._stream, self._stream.average_rate or self._stream.guessed_rate
        if not known or not rate or not stream.time_base:
            return
        if stream.duration:
            announced = float(stream.duration * stream.time_base)
        elif self._container.duration:
            announced = self._container.duration / 1e6  # AV_TIME_BASE: microseconds
        else:
            return
        start = float(known[0] * stream.time_base)
        last = float(self._last_pts[1] * stream.time_base) if self._last_pts[1] > 0 else 1 / float(rate)
        end = float(known[-1] * stream.time_base) - start + last  # the last frame's own duration where given
        if end + 0.5 / float(rate) < announced:
            raise InputError(f"{path}: the video's {n} frames end at {end:.3g} s but it lasts {announced:.3g} s; it is "
                             "truncated, copy it again")

    def _restart(self) -> None:
        self._container.seek(0)
        self._frames = iter(self._container.decode(self._stream))
        self._next = 0

    def _plane(self, frame: Any) -> np.ndarray:
        if self._mode == "grey":
            plane = frame.planes[0]
            itemsize = self._dtype_in.itemsize
            rows = np.frombuffer(plane, self._dtype_in).reshape(frame.height, plane.line_size // itemsize)
            return rows[:, : frame.width]
        rgb = frame.to_ndarray(format=self._rgb)
        return np.moveaxis(rgb, -1, 0) if self._mode == "all" else rgb[..., self._index]

    def _frame(self, target: int) -> np.ndarray:
        """Frame ``target`` as ``(y, x)`` or ``(3, y, x)``: the last one decoded again, or decoded onwards."""
        if self._last is not None and self._last[0] == target:
            return self._last[1]
        try:
            if self._frames is None or target < self._next:
                self._restart()
            while True:
                frame = next(self._frames, None)  # type: ignore[arg-type]
                if frame is None:
                    raise InputError(f"{self.path}: the video decodes to {self._next} frames but lists "
                                     f"{self.shape[0]}; it is truncated or corrupt")
                self._next += 1
                if self._next - 1 == target:
                    break
            plane = self._plane(frame)
        except InputError:
            self._frames = None
            raise
        except Exception as err:  # FFmpeg's errors on damaged data, a frame of another size
            self._frames = None
            raise InputError(f"{self.path}: cannot decode frame {target} ({_reason(err)}); the file is truncated "
                             "or corrupt") from None
        self._last = (target, plane)
        return plane

    def _read(self, indices: list[int]) -> np.ndarray:
        out = np.empty((len(indices), *self.plane_shape), self.dtype)
        per_frame = 3 if self._mode == "all" else 1
        for k in sorted(range(len(indices)), key=lambda k: indices[k]):
            frame = self._frame(indices[k] // per_frame)
            out[k] = frame[indices[k] % 3] if per_frame == 3 else frame
        return out

    def close(self) -> None:
        self._frames = self._last = None
        self._container.close()
