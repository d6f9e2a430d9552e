"""``pymecompress convert``: stream an image stack (TIFF, ``.npy``, folders, globs or lists of TIFF or PYME PZF
frames) into a compressed zarr v3 array or an OME-Zarr image.

The input is read one block of planes at a time (one chunk along every leading axis, the whole image plane),
blocks are compressed in a thread pool (the C core releases the GIL) and at most ``threads + 2`` blocks are
held at once, so peak memory depends on the chunk and plane size, not on the size of the stack.

The output is written to a hidden sibling (``.NAME.partial-PID``) and renamed at the end: a failed or
interrupted conversion leaves nothing behind, and an existing output is replaced only with ``overwrite``. At a URL
(object stores have no rename) a replacement is written completely under a sibling prefix first and copied over the
old store only then (:func:`pymecompress.zarr.scale_out.replace_url`): an interruption leaves at least one complete
store.

Examples
--------
>>> import numpy as np, os, tempfile, zarr
>>> d = tempfile.mkdtemp()
>>> frames = (np.random.default_rng(0).poisson(30, (4, 64, 64)) * 2 + 100).astype(np.uint16)
>>> np.save(os.path.join(d, "movie.npy"), frames)
>>> s = convert(os.path.join(d, "movie.npy"), os.path.join(d, "movie.zarr"),
...             camera={"offset": 100, "gain": 2.0}, progress=False)
>>> s.ratio > 1.5, zarr.open_array(os.path.join(d, "movie.zarr")).shape
(True, (4, 64, 64))
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import os
import shutil
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import registry
from ..camera import CameraModel
from ..camera_check import CameraCheck, check_camera, sample_planes
from ..io.sources import ImageSource, PixelSize, open_source
from ..io.transforms import Transforms
from ..io.transforms import apply as transform_source
from ..zarr import ome, pyramid
from ..zarr.chunk_shape import parse_chunks, parse_shards
from ..zarr.chunk_writer import ChunkWriter
from ..zarr.scale_out import check_url, remove_url, replace_url, run_on_cluster, staging_url, url_bytes
from ..zarr.stores import is_url
from ..zarr.zip_store import ZARR_MARKERS, is_zarr_zip, pack, wants_zip
from .progress import progress_bar

CODEC_NAMES = registry.codec_ids(zarr_v3=True, kinds=("compressor", "serializer"))
"""What ``convert`` writes with: the codecs with a zarr v3 face that need no other codec after them."""
DEFAULT_CODECS = {"uint16": "huffquant16", "uint8": "huffquant8"}
"""The codec ``convert`` uses when none is named: the noise-bounded one of the input's dtype."""
PROGRESS_PLANES = 100
"""Inputs of more planes than this get a progress bar by default (on a terminal)."""


@dataclass
class ConvertSummary:
    """What a conversion did."""

    input: str
    output: str
    shape: tuple[int, ...]
    dtype: str
    codec: str
    input_bytes: int
    output_bytes: int
    seconds: float
    levels: int = 1
    camera: dict[str, float] = field(default_factory=dict)
    store_bytes: int = 0
    check: CameraCheck | None = None
    warnings: list[str] = field(default_factory=list)
    metadata_bytes: int = 0
    """Bytes of the full-resolution array's metadata document (attributes included), besides ``output_bytes``."""
    saturation: SaturationCount | None = None
    """The saturation value the noise-bounded codec kept exact, where it came from, and how many pixels reached it
    (None for the lossless codecs)."""
    pixel_size: PixelSize | None = None
    """The pixel size stored with the output (of the full-resolution array, after the transforms), its ``origin``
    saying where it came from; None when neither the input nor ``pixel_size`` gave one."""

    @property
    def ratio(self) -> float:
        """Raw bytes over the bytes of the stored chunks of the full-resolution array (``output_bytes``), as
        ``pymecompress info`` reports it: the pixel data's ratio, whatever the metadata weighs."""
        return self.input_bytes / max(self.output_bytes, 1)

    @property
    def mbps(self) -> float:
        return self.input_bytes / 1e6 / max(self.seconds, 1e-9)

    def format(self) -> str:
        """Human-readable summary (several lines)."""
        pyramid = f", {self.levels} pyramid levels" if self.levels > 1 else ""
        which = "full-resolution array" if self.levels > 1 else "array"
        lines = [
            f"input       : {self.input} ({'x'.join(map(str, self.shape))} {self.dtype}, "
            f"{self.input_bytes / 1e6:.1f} MB)",
            f"output      : {self.output} ({self.codec}{pyramid}, {self.store_bytes / 1e6:.2f} MB in all)",
            f"ratio       : {self.ratio:.2f}x ({which}: {self.input_bytes / 1e6:.2f} MB raw / "
            f"{self.output_bytes / 1e6:.2f} MB of chunks stored, as `pymecompress info` counts; its metadata, "
            f"attributes included: {self.metadata_bytes / 1e3:.1f} KB besides)",
            f"time        : {self.seconds:.2f} s, {self.mbps:.0f} MB/s",
        ]
        if self.check is not None:
            cam = ", ".join(f"{k} {v:g}" for k, v in self.camera.items())
            lines.append(f"camera      : {cam}; {self.check.summary()}")
        if self.saturation is not None:
            lines.append(f"saturation  : {self.saturation.format(math.prod(self.shape))}")
        if self.pixel_size is not None:
            lines.append(f"pixel size  : {self.pixel_size.format()} ({self.pixel_size.origin}), stored with units")
        else:
            lines.append("pixel size  : none (the input states none; --pixel-size stores one)")
        return "\n".join(lines)


@dataclass
class SaturationCount:
    """The saturation value of a conversion (``value`` ADU, from ``origin``) and the pixels that reached it
    (``at_or_above``), of which ``above`` read higher (they are stored as ``value``).

    Examples
    --------
    >>> count = SaturationCount(4095, "the TIFF's BitsPerSample (12)")
    >>> count.add(np.array([[4000, 4095], [4095, 5000]], np.uint16))
    >>> count.at_or_above, count.above
    (3, 1)
    >>> count.format(4)
    "4095 ADU (the TIFF's BitsPerSample (12)), kept exact; 3 pixels (75 %) saturated, 1 of them above it"
    """

    value: int
    origin: str
    at_or_above: int = 0
    above: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, planes: np.ndarray) -> None:
        """Count the saturated pixels of ``planes`` (one pass when none is); safe from several threads at once."""
        reached = np.count_nonzero(planes >= self.value)
        if reached:
            above = int(np.count_nonzero(planes > self.value))
            with self._lock:
                self.at_or_above += int(reached)
                self.above += above

    def format(self, n_pixels: int) -> str:
        share = f" ({100 * self.at_or_above / n_pixels:.2g} %)" if n_pixels else ""
        above = f", {self.above} of them above it" if self.above else ""
        return (f"{self.value} ADU ({self.origin}), kept exact; {self.at_or_above} pixels{share} saturated"
                f"{above}")

    def warning(self) -> str | None:
        """What to tell when pixels read above the saturation value (they are stored as it)."""
        if not self.above:
            return None
        return (f"{self.above} pixels read above the saturation value {self.value} ADU ({self.origin}); they are "
                f"stored as {self.value}. If the camera's full scale is higher, convert again with "
                "saturation=FULL_SCALE")


def _blocks(shape: tuple[int, ...], chunks: tuple[int, ...]) -> Iterator[tuple[tuple[slice, ...], list[int]]]:
    """(selection of leading axes, flat plane indices) of every block of one chunk along the leading axes."""
    lead, lead_chunks = shape[:-2], chunks[:-2]
    grids = [range(0, n, c) for n, c in zip(lead, lead_chunks, strict=True)]
    strides = [math.prod(lead[axis + 1:]) for axis in range(len(lead))]  # flat plane index = sum(index * stride)
    for starts in itertools.product(*grids):
        sel = tuple(slice(s, min(s + c, n)) for s, c, n in zip(starts, lead_chunks, lead, strict=True))
        ranges = [range(s.start, s.stop) for s in sel]
        planes = [sum(i * k for i, k in zip(idx, strides, strict=True)) for idx in itertools.product(*ranges)]
        yield sel, planes


def _shards(spec: str | tuple[int, ...] | None, src: ImageSource, chunks: tuple[int, ...], ome_zarr: bool,
            ngff_version: str) -> tuple[int, ...] | None:
    """The shard shape of the output (:func:`pymecompress.zarr.chunk_shape.parse_shards`), or None: zarr v2 (an OME-NGFF
    0.4 image) has no shards, so ``"auto"`` writes none there and an explicit shape is refused."""
    if ome_zarr and ngff_version == "0.4":
        if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("auto", "none", "")):
            return None
        raise ValueError(f"shards={spec!r}: OME-NGFF 0.4 images are zarr v2, which has no shards; write OME-NGFF 0.5 "
                         "(ngff_version='0.5') or leave shards out")
    return parse_shards(spec, src.shape, chunks, src.dtype.itemsize)


def _check_dtype(codec: str, src: ImageSource) -> None:
    """Refuse a stack whose dtype the codec does not take, naming the codecs that do."""
    dtype = src.dtype.newbyteorder("=").name
    spec = registry.BY_ID[codec]
    if dtype not in spec.dtypes:
        others = " or ".join(f"codec={c!r}" for c in CODEC_NAMES if dtype in registry.BY_ID[c].dtypes)
        raise ValueError(f"{src.path} holds {src.dtype} data; {codec} compresses {' or '.join(spec.dtypes)} only"
                         + (f": use {others}" if others else ""))


def _dir_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _camera(codec: str, camera: dict[str, float] | CameraModel | None, step: float | None) -> CameraModel | None:
    if not registry.BY_ID[codec].takes_camera:
        return None
    params = camera.to_dict() if isinstance(camera, CameraModel) else dict(camera or {})
    params.pop("saturation", None)  # a calibration file's: see _saturation
    if "offset" not in params or "gain" not in params:
        lossless = " or ".join(f"codec={c!r}" for c in CODEC_NAMES if registry.BY_ID[c].lossless)
        raise ValueError(f"{codec} needs the camera's offset and gain: give them (ADU, ADU per electron) as "
                         "camera={'offset': ..., 'gain': ...}, e.g. pymecompress.calibration_file.load_calibration("
                         f"FILE) of a file `pymecompress calibrate` wrote; or use {lossless} for lossless compression")
    if step is not None:
        params["step"] = step
    return CameraModel(**params)




def saturation_for(codec: str, src: ImageSource, saturation: int | None,
                camera: dict[str, float] | CameraModel | None) -> SaturationCount | None:
    """The saturation value the noise-bounded codec keeps exact: ``saturation`` (``--saturation``), else the
    calibration file's, else what the file states, else the dtype's maximum; None for the lossless codecs."""
    spec = registry.BY_ID[codec]
    top = int(np.iinfo(src.dtype).max)
    from_camera = camera.get("saturation") if isinstance(camera, dict) else None
    if not spec.takes_camera:
        if saturation is not None:
            raise ValueError(f"saturation applies to the noise-bounded codecs; {codec} keeps every value exact")
        return None
    if saturation is not None:
        value, origin = saturation, "the saturation argument"
    elif from_camera is not None:
        value, origin = from_camera, "the calibration file"
    elif src.saturation is not None:
        value, origin = src.saturation.value, src.saturation.origin
    else:
        value, origin = top, f"the {src.dtype.name} maximum"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
        raise ValueError(f"the saturation value from {origin} must be an integer within 1..{top} ADU for "
                         f"{src.dtype.name} data, got {value!r}")
    return SaturationCount(value, origin)


def is_zarr_store(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder whose top level holds zarr metadata (``zarr.json``, ``.zgroup`` or
    ``.zarray``), or a zip file holding one: the only kind of existing output ``overwrite`` replaces.

    Examples
    --------
    >>> import tempfile
    >>> is_zarr_store(tempfile.mkdtemp())
    False
    """
    path = Path(path)
    if path.is_file():
        return is_zarr_zip(path)
    return path.is_dir() and any((path / name).is_file() for name in ZARR_MARKERS)


def _check_replaceable(output: Path) -> None:
    """Refuse to replace anything but a zarr store (a folder of documents named by mistake, say)."""
    if not is_zarr_store(output):
        kind = "a folder" if output.is_dir() else "a file"
        raise FileExistsError(f"{output} exists and is {kind}, not a zarr store (no zarr.json, .zgroup or .zarray "
                              "at its top level); overwrite=True replaces only zarr stores: choose another output, or "
                              "move it away yourself")


def _prepare_output(output: Path, overwrite: bool) -> Path:
    if output.exists() or output.is_symlink():
        if not overwrite:
            raise FileExistsError(f"{output} already exists; pass overwrite=True to replace it (a zarr store only)")
        _check_replaceable(output)
    parent = output.parent if str(output.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"{parent} (the folder of the output) does not exist")
    return parent / f".{output.name}.partial-{os.getpid()}"


def _move_into_place(tmp: Path, output: Path) -> None:
    """Rename the finished ``tmp`` to ``output``; an existing zarr store there is first renamed aside and
    removed only once the new one is in place (restored if the rename fails)."""
    if not (output.exists() or output.is_symlink()):
        os.replace(tmp, output)
        return
    _check_replaceable(output)  # again: it may have changed while we converted
    old = output.parent / f".{output.name}.old-{os.getpid()}"
    os.replace(output, old)
    try:
        os.replace(tmp, output)
    except BaseException:
        os.replace(old, output)
        raise
    if old.is_dir():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink(missing_ok=True)


def _check_not_an_input(input: str | os.PathLike | Sequence[str | os.PathLike], output: Path) -> None:
    """Refuse an output that is one of the inputs (``convert *.pzf`` without an output would name the last frame)."""
    names = [input] if isinstance(input, (str, os.PathLike)) else list(input)
    target = os.path.abspath(output)
    for name in names:
        if os.path.abspath(name) == target:
            raise ValueError(f"the output {output} is also an input; the last argument must be the .zarr folder "
                             "to write")
    if output.suffix.lower() in (".pzf", ".tif", ".tiff", ".npy"):
        raise ValueError(f"the output {output} looks like an input file; the last argument must be the .zarr "
                         "folder to write")


def _zarr_threads(threads: int):
    """zarr configuration for this conversion: codecs run through ``asyncio.to_thread`` in zarr's executor, sized
    to the requested threads (zarr creates it on first use, so the size sticks for the process)."""
    import zarr

    return zarr.config.set({"threading.max_workers": max(1, threads), "async.concurrency": max(4, 2 * threads)})


@dataclass(frozen=True)
class ConvertOptions:
    """How :func:`convert` writes: every option of ``pymecompress convert`` in one value, which the command builds
    from its flags (each flag names the field of the same name) and hands to the writers.

    Every field has a default; the values are checked when the options are made, and errors name the field.

    Attributes
    ----------
    codec : str
        One of :data:`CODEC_NAMES` (read from :mod:`pymecompress.registry`): ``huffquant16`` (noise-bounded,
        uint16, needs ``camera``), ``huffquant8`` (the same for uint8) or one of the lossless codecs. By default
        the noise-bounded codec of the input's dtype (:data:`DEFAULT_CODECS`).
    camera : dict or CameraModel, optional
        ``offset`` and ``gain`` (required for huffquant16), ``read_noise`` and ``step`` (optional); a dict may also
        hold the ``saturation`` of a calibration file.
    step : float, optional
        Quantization step in noise sigmas; overrides ``camera``'s.
    chunks : str or tuple, optional
        Chunk shape, e.g. ``"1,512,512"`` (default: up to 1024 x 1024 pixels in the plane and about 4 MB, planes
        grouped along the first axis when smaller; see :func:`pymecompress.zarr.chunk_shape.parse_chunks`).
    threads : int
        Worker threads compressing blocks.
    ome_zarr : bool
        Write an OME-Zarr image: NGFF 0.4 (zarr v2 storage, as 0.4 requires) or, with ``ngff_version="0.5"``,
        NGFF 0.5 (zarr v3), with a 2x2-binned pyramid (:mod:`pymecompress.zarr.ome`).
    axes : str, optional
        Axis names such as ``"tzyx"``: they override what the reader guesses when the element count agrees (e.g. a
        planar "RGB" TIFF of camera planes), name the OME axes, and become the ``dimension_names`` of a plain
        zarr v3 array (default: from the TIFF's axes, else ``tyx`` / ``tzyx`` / ``tczyx``).
    levels : int, optional
        Extra pyramid levels (default: while the plane stays >= 64 pixels, at most 4).
    binning : {"mean", "sum"}
        How pyramid levels combine 2 x 2 pixels.
    overwrite : bool
        Replace an existing output, if it is a zarr store (anything else is refused and left untouched). The old
        store stays as it is until the new one is complete.
    progress : bool, optional
        Show a tqdm progress bar (MB/s, time left) on stderr; by default when stderr is a terminal and the input
        has more than :data:`PROGRESS_PLANES` planes.
    scheduler : str, optional
        Address of a dask.distributed scheduler: blocks are compressed and stored by its workers
        (:mod:`pymecompress.zarr.scale_out`); the output must be a path every worker sees, or a URL.
    storage_options : dict, optional
        fsspec options of a URL output (``s3://bucket/movie.zarr``: credentials, ``endpoint_url``, ...).
    transforms : Transforms, optional
        Frame range, crop, binning, rotation, flips applied while reading (:mod:`pymecompress.io.transforms`); the
        camera model is adjusted to binned pixels.
    series : int, optional
        Read only this series of a TIFF (default: every series, stacked, when they all have one shape and dtype).
    force : bool
        Write even when the camera model disagrees with the noise measured in the data (huffquant16 only; see
        :mod:`pymecompress.camera_check`). The disagreement is then returned in ``warnings``.
    saturation : int, optional
        The camera's saturation value (ADU), which the noise-bounded codecs keep exact: pixels at or above it are
        stored as it (a warning counts those above it). By default ``camera``'s, else what the file states (TIFF
        MaxSampleValue or BitsPerSample, the ``.seq`` real bit depth, FITS SATURATE or DATAMAX), else the dtype's
        maximum. The summary reports it and how many pixels reached it.
    pixel_size : PixelSize, optional
        The size of the input's pixels in the sample, instead of the one the file states (OME-XML, ImageJ or TIFF
        resolution tags; see :func:`pymecompress.io.sources._tiff_pixel_size`). Either follows the transforms (binning
        by ``n`` makes pixels ``n`` times larger, 90 and 270 degree rotations exchange Y and X) and is stored with
        its unit: in the ``scale`` of an OME-Zarr image's levels and the ``unit`` of its ``y`` and ``x`` axes, or in
        a plain array's ``attrs["pymecompress"]["pixel_size"]`` (:func:`pymecompress.zarr.ome.pixel_size_of` reads
        both). Without any, the output has unitless scales of 1 (and no attribute). The summary says which was used.
    shards : str or tuple, optional
        Store the chunks in shards (zarr v3 ``sharding_indexed``: one file or object per shard instead of one per
        chunk): ``"auto"`` (whole planes, about 32 MB of them), a number of planes (``"16"``), or a shape
        (:func:`pymecompress.zarr.chunk_shape.parse_shards`). None or ``"none"``: no shards. An OME-NGFF 0.4 image
        (zarr v2) has none.

    Examples
    --------
    >>> ConvertOptions(threads=2, shards="auto").threads
    2
    >>> ConvertOptions(threads=0)
    Traceback (most recent call last):
    ...
    ValueError: threads must be >= 1, got 0
    """

    codec: str | None = None
    camera: dict[str, float] | CameraModel | None = None
    step: float | None = None
    chunks: str | tuple[int, ...] | None = None
    shards: str | tuple[int, ...] | None = None
    threads: int = 1
    ome_zarr: bool = False
    ngff_version: str = "0.4"
    axes: str | None = None
    levels: int | None = None
    binning: str = "mean"
    overwrite: bool = False
    progress: bool | None = None
    series: int | None = None
    transforms: Transforms | None = None
    scheduler: str | None = None
    storage_options: dict[str, Any] | None = None
    force: bool = False
    saturation: int | None = None
    pixel_size: PixelSize | None = None

    def __post_init__(self) -> None:
        if self.codec is not None and self.codec not in CODEC_NAMES:
            raise ValueError(f"unknown codec {self.codec!r}; choose one of {', '.join(CODEC_NAMES)}")
        if isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 1:
            raise ValueError(f"threads must be >= 1, got {self.threads!r}")
        if self.binning not in ome.BINNINGS:
            raise ValueError(f"binning must be one of {', '.join(ome.BINNINGS)}, got {self.binning!r}")
        if self.ngff_version not in ("0.4", "0.5"):
            raise ValueError(f"ngff_version must be 0.4 or 0.5, got {self.ngff_version!r}")
        if self.pixel_size is not None and not isinstance(self.pixel_size, PixelSize):
            raise TypeError(f"pixel_size must be a pymecompress.io.sources.PixelSize (e.g. PixelSize(0.108, 0.108, "
                            f"'micrometer')) or None, got {type(self.pixel_size).__name__}")


@dataclass(frozen=True)
class _Plan:
    """What :func:`convert` decided for one input, for the writers: the codec, the camera model of the pixels
    written, the chunk and shard shapes, the saturation value and its count, the store's name."""

    codec: str
    camera: CameraModel | None
    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None
    saturation: SaturationCount | None
    name: str


def convert(input: str | os.PathLike | Sequence[str | os.PathLike], output: str | os.PathLike,
            options: ConvertOptions | None = None, **fields: Any) -> ConvertSummary:
    """Convert an image stack into a compressed zarr array (or an OME-Zarr image with ``ome_zarr=True``).

    Parameters
    ----------
    input : path or sequence of paths
        TIFF / OME-TIFF / BigTIFF, a ``.npy`` file, a PYME ``.pzf`` frame, a folder or glob of TIFF or PZF
        frames, several TIFF or PZF files (stacked in natural order), or a Norpix ``.seq``, HDF5, FITS or video
        file, with ``FILE:PART`` for a dataset, HDU or channel (see :func:`pymecompress.io.sources.open_source`).
    output : path
        The ``.zarr`` folder to write (must not exist unless ``overwrite``; only a zarr store is replaced).
    options : ConvertOptions, optional
        How to write (:class:`ConvertOptions`: codec, camera, chunks, threads, ...); by default its defaults.
    **fields
        Fields of :class:`ConvertOptions` given one by one (``camera={...}, threads=2``), replacing those of
        ``options``.

    Returns
    -------
    ConvertSummary

    Raises
    ------
    pymecompress.camera_check.CameraModelError
        The camera model does not fit the data (unless ``force``); nothing is written.
    pymecompress.io.sources.InputError
        The input is missing, unreadable, truncated or unsupported; nothing is written.
    FileExistsError
        The output exists (without ``overwrite``), or is not a zarr store.
    """
    opts = options if options is not None else ConvertOptions()
    if fields:
        opts = dataclasses.replace(opts, **fields)
    codec, storage_options = opts.codec, opts.storage_options
    remote = is_url(output)
    if codec is not None:
        cam = _camera(codec, opts.camera, opts.step)  # before anything is read: the arguments alone can be wrong
    if remote:  # object stores have no rename: a new store is written in place, a replacement beside the old one
        if wants_zip(output):
            raise ValueError(f"{output}: a zip store is written on a local disk; convert to a local .zip and copy it")
        replace = check_url(output, opts.overwrite, storage_options)
        tmp = staging_url(output) if replace else output
    else:
        output = Path(output)
        _check_not_an_input(input, output)
        tmp = _prepare_output(output, opts.overwrite)
    t0 = time.perf_counter()
    with transform_source(_with_pixel_size(open_source(input, series=opts.series, axes=opts.axes), opts.pixel_size),
                          opts.transforms) as src:
        if codec is None:
            codec = DEFAULT_CODECS.get(src.dtype.newbyteorder("=").name, DEFAULT_CODECS["uint16"])
            cam = _camera(codec, opts.camera, opts.step)
        if opts.transforms is not None:  # binning changes the camera model of the pixels written
            cam = opts.transforms.camera(cam)
        _check_dtype(codec, src)
        if cam is not None and not src.camera_counts:
            lossless = " or ".join(f"codec={c!r}" for c in CODEC_NAMES if registry.BY_ID[c].lossless)
            raise ValueError(f"{src.path}: colour channels are not camera counts, which {codec} models; use "
                             f"{lossless}")
        chunks = opts.chunks
        chunk_shape = chunks if isinstance(chunks, tuple) else parse_chunks(chunks, src.shape, src.dtype.itemsize)
        shard_shape = _shards(opts.shards, src, chunk_shape, opts.ome_zarr, opts.ngff_version)
        sat = saturation_for(codec, src, opts.saturation, opts.camera)
        check, warnings = _check_camera(cam, src, opts.force)
        if not remote:
            shutil.rmtree(tmp, ignore_errors=True)  # a stale leftover of this very process id
        name = str(output).rstrip("/").rsplit("/", 1)[-1].removesuffix(".zip")
        try:
            with _zarr_threads(opts.threads):
                n_levels = _write(src, tmp, opts, _Plan(codec, cam, chunk_shape, shard_shape, sat, name))
            if not remote and wants_zip(output):  # one file: the finished folder packed, then put in place
                packed = tmp.with_name(tmp.name + ".zip")
                pack(tmp, packed)
                shutil.rmtree(tmp, ignore_errors=True)
                _move_into_place(packed, output)
            elif not remote:
                _move_into_place(tmp, output)
        except BaseException:
            if remote:
                remove_url(tmp, storage_options)  # the new store, never the old one
            else:
                shutil.rmtree(tmp, ignore_errors=True)
                if wants_zip(output):
                    tmp.with_name(tmp.name + ".zip").unlink(missing_ok=True)
            raise
        if remote and replace:  # the new store is complete: only now does it take the old one's place
            replace_url(tmp, output, storage_options)
        from .info import describe

        full = describe(output, storage_options)[0]  # the full-resolution array ("0" of an OME-Zarr image)
        stored = url_bytes(output, storage_options) if remote else _dir_bytes(output)
        if sat is not None and sat.warning():
            warnings.append(sat.warning())
        return ConvertSummary(src.path, str(output), src.shape, src.dtype.name, codec, full.nbytes,
                              full.chunk_bytes, time.perf_counter() - t0, n_levels, cam.to_dict() if cam else {},
                              stored, check, warnings, full.metadata_bytes, sat, src.pixel_size)


def _with_pixel_size(src: ImageSource, given: PixelSize | None) -> ImageSource:
    """``src`` with the pixel size ``given`` (``--pixel-size``) instead of the one its file states, if any; the
    origin says what it replaced."""
    if given is None:
        return src
    stated = src.pixel_size
    origin = given.origin or "the pixel_size argument"
    if stated is not None and stated.converted(given.unit) != given:
        origin += f", instead of {stated.format()} from {stated.origin}"
    src.pixel_size = PixelSize(given.y, given.x, given.unit, origin)
    return src


def _check_camera(cam: CameraModel | None, src: ImageSource, force: bool) -> tuple[CameraCheck | None, list[str]]:
    """The camera check on a sample of ``src`` (huffquant16 only): raises unless it passes or ``force``; returns
    it and the warnings to show."""
    if cam is None:
        return None, []
    check = check_camera(cam, sample_planes(src))
    if not force:
        check.raise_for_errors()
    return check, [*check.warnings, *(f"written anyway (force=True): {e}" for e in check.errors)]


def _write(src: ImageSource, tmp: Path | str, opts: ConvertOptions, plan: _Plan) -> int:
    """Write ``src`` into the new store ``tmp`` as ``plan`` says, with ``opts``' layout, threads and cluster;
    returns the number of arrays (pyramid levels) written."""
    import zarr

    from ..zarr.codecs import create_array_kwargs

    dtype = src.dtype.newbyteorder("=")
    sat, scheduler, storage_options = plan.saturation, opts.scheduler, opts.storage_options
    saturation = sat.value if sat is not None else None
    chunk_shape, shard_shape, binning = plan.chunks, plan.shards, opts.binning

    def read(planes: list[int]) -> np.ndarray:
        data = src.read_planes(planes)
        if sat is not None and scheduler is not None:  # else counted in the worker threads (write below)
            sat.add(data)
        return data

    zarr_opts = {"storage_options": storage_options} if storage_options else {}
    if opts.ome_zarr:
        arrays = pyramid.create_ome_image(tmp, src.shape, dtype, chunk_shape, plan.codec, plan.camera,
                                          ngff_version=opts.ngff_version, axes=opts.axes, tiff_axes=src.axes,
                                          levels=opts.levels, binning=binning, name=plan.name.removesuffix(".zarr"),
                                          storage_options=storage_options, saturation=saturation,
                                          pixel_size=src.pixel_size, shards=shard_shape)
        root = zarr.open_group(str(tmp), mode="r+", **zarr_opts)
    else:
        axes = opts.axes
        names = {"dimension_names": list(ome.check_axes(axes, len(src.shape)))} if axes else {}
        arrays = [zarr.create_array(str(tmp), shape=src.shape, chunks=chunk_shape, shards=shard_shape, dtype=dtype,
                                    fill_value=0, zarr_format=3, **names,
                                    **create_array_kwargs(plan.codec, plan.camera, dtype, 3, saturation),
                                    **zarr_opts)]
        root = arrays[0]
    _keep_source_metadata(root, src, pixel_size=None if opts.ome_zarr else src.pixel_size)

    def shaped(sel: tuple[slice, ...], data: np.ndarray) -> np.ndarray:
        return data.reshape(*(s.stop - s.start for s in sel), *data.shape[-2:])

    progress = opts.progress
    if progress is None:
        progress = sys.stderr.isatty() and src.n_planes > PROGRESS_PLANES
    bar = progress_bar(src.nbytes, enabled=bool(progress), unit="B", desc="compressing", unit_scale=True,
                       unit_divisor=1000, smoothing=0.1)
    if scheduler is not None:  # the cluster's workers encode and store; this process reads
        paths = tuple(str(level) for level in range(len(arrays))) if opts.ome_zarr else ("",)
        blocks = ((sel, functools.partial(lambda s, p: shaped(s, read(p)), sel, planes))
                  for sel, planes in _blocks(src.shape, shard_shape or chunk_shape))
        try:
            run_on_cluster(scheduler, blocks, str(tmp), paths, storage_options, binning, bar.update)
        finally:
            bar.close()
        return len(arrays)

    writers = [ChunkWriter(arr) for arr in arrays]  # flushed below, once every block is written

    def write(sel: tuple[slice, ...], data: np.ndarray) -> int:  # in the worker threads, which have the cores
        if sat is not None:
            sat.add(data)
        pyramid.write_levels(writers, sel, shaped(sel, data), binning)
        return data.nbytes

    pending: deque[Future] = deque()
    threads = opts.threads
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pymecompress-convert") as pool:
        try:
            for sel, planes in _blocks(src.shape, shard_shape or chunk_shape):
                while len(pending) >= threads + 1:
                    bar.update(pending.popleft().result())
                pending.append(pool.submit(write, sel, read(planes)))
            while pending:
                bar.update(pending.popleft().result())
            for writer in writers:
                writer.flush()
        except BaseException:
            for f in pending:
                f.cancel()
            raise
        finally:
            bar.close()
    return len(arrays)


def _keep_source_metadata(node, src: ImageSource, pixel_size: PixelSize | None = None) -> None:
    """The input's metadata worth keeping (FITS headers, the ``.seq`` header, per-frame timestamps...) in the
    attributes of the output (the array, or the OME-Zarr group), under ``"pymecompress"``; with ``pixel_size``
    (of a plain array: an OME-Zarr image keeps it in its multiscales) also ``"pixel_size"``:
    ``{"y": ..., "x": ..., "unit": ...}``."""
    kept: dict = {"source": {"path": os.path.basename(str(src.path)), "kind": src.kind}}
    if src.attributes:
        kept["source"]["attributes"] = src.attributes
    if src.timestamps is not None:
        kept["timestamps"] = {"axis": 0, "unit": "s", "values": [float(t) for t in src.timestamps]}
    if pixel_size is not None:
        kept["pixel_size"] = pixel_size.to_dict()
    node.attrs["pymecompress"] = kept
