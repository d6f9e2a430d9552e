"""``pymecompress convert``: stream an image stack (TIFF, ``.npy``, folders, globs or lists of TIFF or PYME PZF
frames) into a compressed zarr v3 array or an OME-Zarr image.

The input is read one block of planes at a time (one chunk along every leading axis, the whole image plane),
blocks are compressed in a thread pool (the C core releases the GIL) and at most ``threads + 2`` blocks are
held at once, so peak memory depends on the chunk and plane size, not on the size of the stack.

The output is written to a hidden sibling (``.NAME.partial-PID``) and renamed at the end: a failed or
interrupted conversion leaves nothing behind, and an existing output is replaced only with ``overwrite``.

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

import itertools
import json
import os
import shutil
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import ome
from .camera import CameraModel
from .camera_check import CameraCheck, check_camera, sample_planes
from .sources import ImageSource, open_source

CODEC_NAMES = ("huffquant16", "hufflossless", "nbitpack")
DEFAULT_PLANE_CHUNK = 512


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

    @property
    def ratio(self) -> float:
        """Raw bytes over stored bytes (chunks and metadata) of the full-resolution array, as ``pymecompress
        info`` reports it."""
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
            f"{self.output_bytes / 1e6:.2f} MB stored, chunks and metadata, as `pymecompress info` counts)",
            f"time        : {self.seconds:.2f} s, {self.mbps:.0f} MB/s",
        ]
        if self.check is not None:
            cam = ", ".join(f"{k} {v:g}" for k, v in self.camera.items())
            lines.append(f"camera      : {cam}; {self.check.summary()}")
        return "\n".join(lines)


def load_calibration(path: str | os.PathLike) -> dict[str, float]:
    """``offset``, ``gain`` and ``read_noise`` from a JSON file written by ``pymecompress calibrate``.

    Examples
    --------
    >>> import json, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "calib.json")
    >>> _ = open(p, "w").write(json.dumps({"offset": 100, "gain": 2.2, "read_noise": 1.5, "fit": {}}))
    >>> load_calibration(p)
    {'offset': 100.0, 'gain': 2.2, 'read_noise': 1.5}
    """
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise ValueError(f"calibration file {path} not found; write one with `pymecompress calibrate MOVIE "
                         "--out FILE`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"calibration file {path} is not readable JSON ({err})") from None
    if not isinstance(data, dict) or not all(k in data for k in ("offset", "gain")):
        raise ValueError(f"calibration file {path} needs at least 'offset' and 'gain' keys (as written by "
                         "`pymecompress calibrate`)")
    out = {}
    for key in ("offset", "gain", "read_noise"):
        if key in data:
            try:
                out[key] = float(data[key])
            except (TypeError, ValueError):
                raise ValueError(f"calibration file {path}: {key} must be a number, got {data[key]!r}") from None
    return out


def parse_chunks(text: str | None, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Chunk shape from ``"1,512,512"`` (missing leading entries are 1; ``-1`` or ``0`` means the full axis), or
    by default one plane per chunk along the leading axes and up to 512 x 512 pixels.

    Examples
    --------
    >>> parse_chunks(None, (100, 2048, 700))
    (1, 512, 512)
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


def _codec_kwargs(codec: str, camera: CameraModel | None, dtype: np.dtype, zarr_format: int) -> dict[str, Any]:
    """``zarr.create_array`` keyword arguments for one of our codecs."""
    from . import zarr_codecs

    if codec == "huffquant16":
        if dtype != np.uint16:
            raise ValueError(f"huffquant16 compresses uint16 data, this stack is {dtype}; use --codec hufflossless "
                             "or --codec nbitpack")
        return {"compressors": [zarr_codecs.HuffmanQuant16(**camera.to_dict())]}
    if codec == "hufflossless":
        return {"compressors": [zarr_codecs.HuffmanLossless()]}
    if codec == "nbitpack":
        if zarr_format == 2:
            return {"compressors": [zarr_codecs.NBitPack()]}
        return {"serializer": zarr_codecs.NBitPack(), "compressors": None}
    raise ValueError(f"unknown codec {codec!r}; choose one of {', '.join(CODEC_NAMES)}")


def _blocks(shape: tuple[int, ...], chunks: tuple[int, ...]) -> Iterator[tuple[tuple[slice, ...], list[int]]]:
    """(selection of leading axes, flat plane indices) of every block of one chunk along the leading axes."""
    lead, lead_chunks = shape[:-2], chunks[:-2]
    grids = [range(0, n, c) for n, c in zip(lead, lead_chunks, strict=True)]
    for starts in itertools.product(*grids):
        sel = tuple(slice(s, min(s + c, n)) for s, c, n in zip(starts, lead_chunks, lead, strict=True))
        ranges = [range(s.start, s.stop) for s in sel]
        planes = [int(np.ravel_multi_index(idx, lead)) if lead else 0 for idx in itertools.product(*ranges)]
        yield sel, planes


def _dir_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _camera(codec: str, camera: dict[str, float] | CameraModel | None, step: float | None) -> CameraModel | None:
    if codec != "huffquant16":
        return None
    params = camera.to_dict() if isinstance(camera, CameraModel) else dict(camera or {})
    if "offset" not in params or "gain" not in params:
        raise ValueError("huffquant16 needs the camera's offset and gain: pass --offset and --gain (ADU, ADU per "
                         "electron), or --calibration FILE from `pymecompress calibrate`; or use --codec "
                         "hufflossless for lossless compression")
    if step is not None:
        params["step"] = step
    return CameraModel(**params)


ZARR_MARKERS = ("zarr.json", ".zgroup", ".zarray")


def is_zarr_store(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder whose top level holds zarr metadata (``zarr.json``, ``.zgroup`` or
    ``.zarray``): the only kind of existing output ``overwrite`` replaces.

    Examples
    --------
    >>> import tempfile
    >>> is_zarr_store(tempfile.mkdtemp())
    False
    """
    path = Path(path)
    return path.is_dir() and any((path / name).is_file() for name in ZARR_MARKERS)


def _check_replaceable(output: Path) -> None:
    """Refuse to replace anything but a zarr store (a folder of documents named by mistake, say)."""
    if not is_zarr_store(output):
        kind = "a folder" if output.is_dir() else "a file"
        raise FileExistsError(f"{output} exists and is {kind}, not a zarr store (no zarr.json, .zgroup or .zarray "
                              "at its top level); --overwrite replaces only zarr stores: choose another output, or "
                              "move it away yourself")


def _prepare_output(output: Path, overwrite: bool) -> Path:
    if output.exists() or output.is_symlink():
        if not overwrite:
            raise FileExistsError(f"{output} already exists; pass --overwrite to replace it (a zarr store only)")
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
    shutil.rmtree(old, ignore_errors=True)


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


def convert(input: str | os.PathLike | Sequence[str | os.PathLike], output: str | os.PathLike, *,
            codec: str = "huffquant16", camera: dict[str, float] | CameraModel | None = None,
            step: float | None = None, chunks: str | tuple[int, ...] | None = None, threads: int = 1,
            ome_zarr: bool = False, ngff_version: str = "0.4", axes: str | None = None, levels: int | None = None,
            binning: str = "mean", overwrite: bool = False, progress: bool = True, series: int | None = None,
            force: bool = False) -> ConvertSummary:
    """Convert an image stack into a compressed zarr array (or an OME-Zarr image with ``ome_zarr=True``).

    Parameters
    ----------
    input : path or sequence of paths
        TIFF / OME-TIFF / BigTIFF, a ``.npy`` file, a PYME ``.pzf`` frame, a folder or glob of TIFF or PZF
        frames, several TIFF or PZF files (stacked in natural order), or a Norpix ``.seq``, HDF5, FITS or video
        file, with ``FILE:PART`` for a dataset, HDU or channel (see :func:`pymecompress.sources.open_source`).
    output : path
        The ``.zarr`` folder to write (must not exist unless ``overwrite``; only a zarr store is replaced).
    codec : {"huffquant16", "hufflossless", "nbitpack"}
        ``huffquant16`` (noise-bounded, uint16, needs ``camera``) or one of the lossless codecs.
    camera : dict or CameraModel, optional
        ``offset`` and ``gain`` (required for huffquant16), ``read_noise`` and ``step`` (optional).
    step : float, optional
        Quantization step in noise sigmas; overrides ``camera``'s.
    chunks : str or tuple, optional
        Chunk shape, e.g. ``"1,512,512"`` (default: one plane, up to 512 x 512 pixels).
    threads : int
        Worker threads compressing blocks.
    ome_zarr : bool
        Write an OME-Zarr image: NGFF 0.4 (zarr v2 storage, as 0.4 requires) or, with ``ngff_version="0.5"``,
        NGFF 0.5 (zarr v3), with a 2x2-binned pyramid (:mod:`pymecompress.ome`).
    axes : str, optional
        Axis names such as ``"tzyx"``: they override what the reader guesses when the element count agrees (e.g. a
        planar "RGB" TIFF of camera planes), name the OME axes, and become the ``dimension_names`` of a plain
        zarr v3 array (default: from the TIFF's axes, else ``tyx`` / ``tzyx`` / ``tczyx``).
    levels : int, optional
        Extra pyramid levels (default: while the plane stays >= 64 pixels, at most 4).
    binning : {"mean", "sum"}
        How pyramid levels combine 2 x 2 pixels.
    overwrite : bool
        Replace an existing output, if it is a zarr store (anything else is refused and left untouched).
    progress : bool
        Show a tqdm progress bar with the throughput on stderr.
    series : int, optional
        Read only this series of a TIFF (default: every series, stacked, when they all have one shape and dtype).
    force : bool
        Write even when the camera model disagrees with the noise measured in the data (huffquant16 only; see
        :mod:`pymecompress.camera_check`). The disagreement is then returned in ``warnings``.

    Returns
    -------
    ConvertSummary

    Raises
    ------
    pymecompress.camera_check.CameraModelError
        The camera model does not fit the data (unless ``force``); nothing is written.
    pymecompress.sources.InputError
        The input is missing, unreadable, truncated or unsupported; nothing is written.
    FileExistsError
        The output exists (without ``overwrite``), or is not a zarr store.
    """
    import zarr

    if codec not in CODEC_NAMES:
        raise ValueError(f"unknown codec {codec!r}; choose one of {', '.join(CODEC_NAMES)}")
    if threads < 1:
        raise ValueError(f"--threads must be >= 1, got {threads}")
    if binning not in ome.BINNINGS:
        raise ValueError(f"--binning must be one of {', '.join(ome.BINNINGS)}, got {binning!r}")
    if ngff_version not in ("0.4", "0.5"):
        raise ValueError(f"--ngff must be 0.4 or 0.5, got {ngff_version!r}")
    cam = _camera(codec, camera, step)
    output = Path(output)
    _check_not_an_input(input, output)
    tmp = _prepare_output(output, overwrite)
    t0 = time.perf_counter()
    with open_source(input, series=series, axes=axes) as src:
        if codec == "huffquant16" and src.dtype.newbyteorder("=") != np.uint16:
            raise ValueError(f"{src.path} holds {src.dtype} data; huffquant16 compresses uint16 only: use --codec "
                             "hufflossless or --codec nbitpack")
        chunk_shape = chunks if isinstance(chunks, tuple) else parse_chunks(chunks, src.shape)
        check, warnings = _check_camera(cam, src, force)
        shutil.rmtree(tmp, ignore_errors=True)  # a stale leftover of this very process id
        try:
            with _zarr_threads(threads):
                n_levels = _write(src, tmp, zarr, codec, cam, chunk_shape, threads, ome_zarr, ngff_version, axes,
                                  levels, binning, progress, output.name)
            _move_into_place(tmp, output)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        from .info import describe

        full = describe(output)[0]  # the full-resolution array ("0" of an OME-Zarr image), as `info` counts it
        return ConvertSummary(src.path, str(output), src.shape, src.dtype.name, codec, full.nbytes, full.stored,
                              time.perf_counter() - t0, n_levels, cam.to_dict() if cam else {}, _dir_bytes(output),
                              check, warnings)


def _check_camera(cam: CameraModel | None, src: ImageSource, force: bool) -> tuple[CameraCheck | None, list[str]]:
    """The camera check on a sample of ``src`` (huffquant16 only): raises unless it passes or ``force``; returns
    it and the warnings to show."""
    if cam is None:
        return None, []
    check = check_camera(cam, sample_planes(src))
    if not force:
        check.raise_for_errors()
    return check, [*check.warnings, *(f"written anyway (--force): {e}" for e in check.errors)]


def _write(src: ImageSource, tmp: Path, zarr, codec: str, cam: CameraModel | None, chunk_shape: tuple[int, ...],
           threads: int, ome_zarr: bool, ngff_version: str, axes: str | None, levels: int | None, binning: str,
           progress: bool, name: str) -> int:
    dtype = src.dtype.newbyteorder("=")
    fmt = 2 if ome_zarr and ngff_version == "0.4" else 3
    if ome_zarr:
        ax = ome.check_axes(axes, len(src.shape)) if axes else ome.axes_from_tiff(src.axes, len(src.shape))
        shapes = ome.pyramid_shapes(src.shape, levels)
        group = zarr.open_group(str(tmp), mode="w-", zarr_format=fmt)
        arrays = []
        for level, shape in enumerate(shapes):
            level_cam = ome.level_camera(cam, level, binning) if cam is not None else None
            lchunks = (*chunk_shape[:-2], min(chunk_shape[-2], shape[-2]), min(chunk_shape[-1], shape[-1]))
            extra = {"chunk_key_encoding": {"name": "v2", "separator": "/"}} if fmt == 2 else \
                {"dimension_names": list(ax)}
            arrays.append(group.create_array(str(level), shape=shape, chunks=lchunks, dtype=dtype,
                                             fill_value=0, **extra, **_codec_kwargs(codec, level_cam, dtype, fmt)))
        ms = ome.multiscales(ax, len(shapes), name.removesuffix(".zarr"), ngff_version, binning)
        if ngff_version == "0.4":
            group.attrs["multiscales"] = [ms]
        else:
            group.attrs["ome"] = {"version": "0.5", "multiscales": [ms]}
    else:
        names = {"dimension_names": list(ome.check_axes(axes, len(src.shape)))} if axes else {}
        arrays = [zarr.create_array(str(tmp), shape=src.shape, chunks=chunk_shape, dtype=dtype, fill_value=0,
                                    zarr_format=3, **names, **_codec_kwargs(codec, cam, dtype, 3))]

    def write(sel: tuple[slice, ...], data: np.ndarray) -> int:
        block = data.reshape(*(s.stop - s.start for s in sel), *data.shape[-2:])
        for level, arr in enumerate(arrays):
            if level:
                block = ome.bin2x2(block, binning)
            arr[sel] = block
        return data.nbytes

    bar = _progress_bar(src.nbytes, progress)
    pending: deque[Future] = deque()
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pymecompress-convert") as pool:
        try:
            for sel, planes in _blocks(src.shape, chunk_shape):
                while len(pending) >= threads + 1:
                    bar.update(pending.popleft().result())
                pending.append(pool.submit(write, sel, src.read_planes(planes)))
            while pending:
                bar.update(pending.popleft().result())
        except BaseException:
            for f in pending:
                f.cancel()
            raise
        finally:
            bar.close()
    return len(arrays)


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, enabled: bool):
    if not enabled:
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1000, desc="compressing", leave=False,
                dynamic_ncols=True, smoothing=0.1)

