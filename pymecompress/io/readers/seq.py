"""Norpix StreamPix ``.seq`` files: uncompressed monochrome movies, 8 bit or 16 bit (10-, 12- and 14-bit cameras
store their counts in 16-bit pixels), with a timestamp after every frame.

No maintained library reads them with the checks a converter needs (``pims.NorpixSeq`` assumes the header size
from the version, and counts frames from the file size, so a truncated file loses its last frame silently), so
the header is parsed here, following the format description in the StreamPix manual:

* a header of ``header_size`` bytes (1024 before version 5, 8192 from version 5), little-endian: magic ``0xFEED``
  (uint32 at 0), the name ``"Norpix seq"`` (UTF-16, 24 bytes at 4), version (int32 at 28), header size (int32 at
  32), a description (512 bytes at 36), the image info (uint32s at 548: width, height, bit depth, real bit depth,
  image size in bytes, image format), allocated frames (uint32 at 572), origin (576), the true image size
  (uint32 at 580: the bytes from one frame to the next), the suggested frame rate (float64 at 584), the
  description format (int32 at 592: 0 UTF-16, 1 ASCII) and the compression format (uint32 at 620: 0 for none);
* frame ``i`` at ``header_size + i * true_image_size``: ``image_size_bytes`` of pixels, row by row, then its
  timestamp: seconds since 1970 (uint32), milliseconds (uint16) and, from version 5, microseconds (uint16).

Frames are read on demand (one ``pread`` each); the timestamps are read when first asked for.

Examples
--------
>>> import numpy as np, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "movie.seq")
>>> frames = np.arange(2 * 3 * 4, dtype=np.uint16).reshape(2, 3, 4)
>>> write_seq(path, frames, [1700000000.5, 1700000000.75])
>>> with SeqSource(path) as src:
...     print(src.shape, src.dtype, src.axes, src.read_planes([1])[0, 0].tolist(), src.timestamps.tolist())
(2, 3, 4) uint16 TYX [12, 13, 14, 15] [1700000000.5, 1700000000.75]
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import ImageSource, InputError, Saturation

MAGIC = 0xFEED
MONO_FORMATS = {100: "monochrome", 101: "raw Bayer"}
COLOUR_FORMATS = {200: "BGR", 300: "planar", 400: "RGB", 500: "BGRx", 600: "YUV422", 700: "UVY422",
                  800: "UVY411", 900: "UVY444"}
_FIELDS = struct.Struct("<I24sii512s6I3Idi3I3iI")  # magic .. compression_format: 624 bytes
_NAMES = ("magic", "name", "version", "header_size", "description", "width", "height", "bit_depth",
          "bit_depth_real", "image_size_bytes", "image_format", "allocated_frames", "origin", "true_image_size",
          "suggested_frame_rate", "description_format", "reference_frame", "fixed_size", "flags", "bayer_pattern",
          "time_offset_us", "extended_header_size", "compression_format")


def _text(raw: bytes, utf16: bool) -> str:
    """A NUL-terminated header string."""
    if utf16:
        raw = raw[: len(raw) // 2 * 2]
        text = raw.decode("utf-16-le", errors="replace")
    else:
        text = raw.decode("latin-1")
    return text.split("\0", 1)[0].strip()


def read_header(path: str) -> dict[str, Any]:
    """The header fields of a ``.seq`` file, checked to describe an uncompressed monochrome movie.

    Parameters
    ----------
    path : str
        The file.

    Returns
    -------
    dict
        The fields named in the module description, the name and description as text, plus ``file_size``,
        ``timestamp_bytes`` (6 before version 5, 8 from it) and ``n_frames`` (complete frames: the allocated frames
        when the header gives them, else as many as the file holds).

    Raises
    ------
    InputError
        Not a ``.seq`` file, a truncated or inconsistent header, frames beyond the end of the file, colour or
        compressed images, or pixels other than 8 or 16 bits.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(_FIELDS.size)
            size = os.fstat(fh.fileno()).st_size
    except OSError as err:
        raise InputError(f"{path}: cannot read it ({err.strerror or err})") from None
    if len(head) < _FIELDS.size:
        raise InputError(f"{path}: not a Norpix .seq file ({len(head)} bytes, shorter than the header); is it "
                         "truncated?")
    h = dict(zip(_NAMES, _FIELDS.unpack(head), strict=True))
    if h["magic"] != MAGIC:
        raise InputError(f"{path}: not a Norpix .seq file (magic {h['magic']:#x}, expected 0xfeed)")
    h["name"] = _text(h["name"], True)
    h["description"] = _text(h["description"], h["description_format"] != 1)
    h["file_size"] = size
    h["timestamp_bytes"] = 8 if h["version"] >= 5 else 6
    w, hgt, image_bytes = h["width"], h["height"], h["image_size_bytes"]
    if not 0 < h["version"] < 100 or not _FIELDS.size <= h["header_size"] <= 1 << 20:
        raise InputError(f"{path}: a damaged .seq header (version {h['version']}, header size {h['header_size']}); "
                         "the file is corrupt")
    if h["compression_format"] != 0:
        raise InputError(f"{path}: a compressed .seq file (compression format {h['compression_format']}); only "
                         "uncompressed recordings can be read: export it uncompressed from StreamPix")
    fmt = h["image_format"]
    if fmt not in MONO_FORMATS:
        what = f"{COLOUR_FORMATS[fmt]} colour" if fmt in COLOUR_FORMATS else f"image format {fmt}"
        raise InputError(f"{path}: {what} images; only monochrome (and raw Bayer) .seq files hold camera counts "
                         "that can be converted")
    if w < 1 or hgt < 1 or image_bytes < 1 or image_bytes % (w * hgt):
        raise InputError(f"{path}: {w}x{hgt} images of {image_bytes} bytes: not 8- or 16-bit pixels (packed pixels "
                         "are not supported), or a damaged header")
    itemsize = image_bytes // (w * hgt)
    if itemsize not in (1, 2) or h["bit_depth"] > 8 * itemsize or h["bit_depth_real"] > 8 * itemsize:
        raise InputError(f"{path}: {h['bit_depth']}-bit pixels ({h['bit_depth_real']} bits used) in {itemsize} "
                         "bytes each; only 8-bit and 16-bit monochrome pixels are supported")
    h["itemsize"] = itemsize
    step = h["true_image_size"]
    frame_bytes = image_bytes + h["timestamp_bytes"]
    if step < frame_bytes:
        raise InputError(f"{path}: a damaged .seq header: frames {step} bytes apart cannot hold {image_bytes} bytes "
                         "of pixels and their timestamp")
    room = size - h["header_size"]
    fit = (room - frame_bytes) // step + 1 if room >= frame_bytes else 0  # the last frame needs no padding
    allocated = h["allocated_frames"]
    if allocated:
        if allocated > fit:
            raise InputError(f"{path}: the header announces {allocated} frames but the file holds {fit}; it is "
                             "truncated, copy it again")
        n = allocated
    else:
        n = fit
        left = room - ((n - 1) * step + frame_bytes) if n else room  # bytes after the last complete frame
        if left > step - frame_bytes or (n == 0 and left > 0):  # more than the last frame's padding
            raise InputError(f"{path}: ends inside frame {n} ({left - (step - frame_bytes) if n else left} bytes of "
                             f"{frame_bytes}); it is truncated, copy it again")
    if n < 1:
        raise InputError(f"{path}: a .seq file without a complete frame; it is empty or truncated")
    h["n_frames"] = n
    return h


class SeqSource(ImageSource):
    """A Norpix StreamPix ``.seq`` movie: shape ``(frames, height, width)``, axes ``TYX``.

    Parameters
    ----------
    path : str
        The file.

    Attributes
    ----------
    header : dict
        The parsed header (see :func:`read_header`).
    attributes : dict
        What a conversion may keep: ``{"norpix_seq": {version, description, bit_depth, bit_depth_real,
        image_format, suggested_frame_rate, ...}}`` (JSON-serializable).
    timestamps : numpy.ndarray
        float64 seconds since 1970-01-01 of every frame, as recorded (StreamPix writes the recording computer's
        clock; no time zone is stored), millisecond resolution before version 5, microsecond from it.

    Raises
    ------
    InputError
        See :func:`read_header`; a frame that cannot be read in full.
    """

    kind = "seq"

    def __init__(self, path: str) -> None:
        h = read_header(path)
        dtype = np.dtype("<u1" if h["itemsize"] == 1 else "<u2")
        super().__init__(path, (h["n_frames"], h["height"], h["width"]), dtype, "TYX")
        self.header = h
        self.attributes = {"norpix_seq": {k: h[k] for k in (
            "version", "name", "description", "width", "height", "bit_depth", "bit_depth_real", "image_format",
            "suggested_frame_rate", "origin", "bayer_pattern", "time_offset_us")}}
        self.saturation = Saturation.stated(2 ** h["bit_depth_real"] - 1, dtype,
                                            f"the .seq header's real bit depth ({h['bit_depth_real']})")
        self._timestamps: np.ndarray | None = None
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))

    def _pread(self, n: int, offset: int, what: str) -> bytes:
        try:
            data = os.pread(self._fd, n, offset)
        except OSError as err:
            raise InputError(f"{self.path}: cannot read {what} ({err.strerror or err})") from None
        if len(data) != n:
            raise InputError(f"{self.path}: {what} is cut short; the file is truncated, copy it again")
        return data

    def _offset(self, i: int) -> int:
        return self.header["header_size"] + i * self.header["true_image_size"]

    def _read(self, indices: list[int]) -> np.ndarray:
        out = np.empty((len(indices), *self.plane_shape), self.dtype)
        n = self.header["image_size_bytes"]
        for k, i in enumerate(indices):
            out[k] = np.frombuffer(self._pread(n, self._offset(i), f"frame {i}"), self.dtype).reshape(self.plane_shape)
        return out

    @property
    def timestamps(self) -> np.ndarray:
        if self._timestamps is None:
            size, n_pix = self.header["timestamp_bytes"], self.header["image_size_bytes"]
            parts = np.empty((self.shape[0], 3), np.float64)
            for i in range(self.shape[0]):
                raw = self._pread(size, self._offset(i) + n_pix, f"the timestamp of frame {i}")
                seconds, ms = struct.unpack_from("<IH", raw)
                parts[i] = seconds, ms, struct.unpack_from("<H", raw, 6)[0] if size == 8 else 0
            self._timestamps = parts[:, 0] + parts[:, 1] / 1e3 + parts[:, 2] / 1e6
        return self._timestamps

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def write_seq(path: str, frames: np.ndarray, timestamps: Sequence[float], *, version: int = 5,
              bit_depth_real: int | None = None, allocated: bool = True, padding: int = 0,
              description: str = "") -> None:
    """Write a minimal uncompressed monochrome ``.seq`` file (for tests and examples), as StreamPix lays it out.

    Parameters
    ----------
    path : str
        The file to write.
    frames : numpy.ndarray
        ``(n, height, width)`` uint8 or uint16.
    timestamps : sequence of float
        Seconds since 1970 of each frame (rounded to microseconds, or to milliseconds before version 5).
    version : int
        Format version: from 5 the header is 8192 bytes and timestamps carry microseconds, before it 1024 bytes.
    bit_depth_real : int, optional
        Bits the camera uses (e.g. 12 for 12-in-16-bit), default the pixel size.
    allocated : bool
        Write the frame count into the header's allocated frames (else 0: readers count the frames in the file).
    padding : int
        Extra bytes after each frame's timestamp (StreamPix aligns frames, e.g. to 512 or 8192 bytes).
    description : str
        The header's description text (UTF-16).

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "t.seq")
    >>> write_seq(path, np.zeros((3, 2, 2), np.uint8), [0, 1, 2], version=4)
    >>> os.path.getsize(path) == 1024 + 3 * (4 + 6)
    True
    """
    frames = np.asarray(frames)
    n, hgt, w = frames.shape
    bits = 8 * frames.dtype.itemsize
    header_size, ts_bytes = (8192, 8) if version >= 5 else (1024, 6)
    image_bytes = frames[0].nbytes
    step = image_bytes + ts_bytes + padding
    head = bytearray(header_size)
    _FIELDS.pack_into(head, 0, MAGIC, "Norpix seq".encode("utf-16-le"), version, header_size,
                      description.encode("utf-16-le")[:510], w, hgt, bits, bit_depth_real or bits, image_bytes, 100,
                      n if allocated else 0, 0, step, 10.0, 0, 0, 0, 0, 0, 0, 0, 0)
    with open(path, "wb") as fh:
        fh.write(head)
        for k, (frame, t) in enumerate(zip(frames, timestamps, strict=True)):
            fh.write(np.ascontiguousarray(frame, frames.dtype.newbyteorder("<")).tobytes())
            us = round(t * 1e6)
            seconds, rest = divmod(us, 1_000_000)
            stamp = struct.pack("<IHH", seconds, rest // 1000, rest % 1000) if ts_bytes == 8 else \
                struct.pack("<IH", seconds, round(rest / 1000))
            fh.write(stamp)
            if k < n - 1:
                fh.write(bytes(padding))
