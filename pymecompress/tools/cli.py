"""The ``pymecompress`` command.

Sub-commands: ``demo``, ``codecs``, ``convert``, ``calibrate``, ``validate``, ``export``, ``info``, ``view``.
Errors are one line on stderr (``pymecompress CMD: error: ...``) and exit code 2.

Examples
--------
>>> main(["codecs"])  # doctest: +ELLIPSIS
id ...
0
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from .. import registry
from ..registry import list_codecs

CONVERT_CODECS = registry.codec_ids(zarr_v3=True, kinds=("compressor", "serializer"))
"""The ``--codec`` choices of ``convert`` (what :data:`pymecompress.tools.convert.CODEC_NAMES` holds, without importing
the converter)."""


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _int_at_least(minimum: int):
    """An argparse type: an integer >= ``minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {text}")
        return value
    return parse


_non_negative_int = _int_at_least(0)
_positive_int = _int_at_least(1)


def _pixel_sizes(text: str) -> str:
    """An argparse type: ``--pixel-size`` text, checked (one number > 0, or two: Y,X); the unit comes later."""
    from ..io.base import PixelSize

    try:
        PixelSize.parse(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(
            str(err).removeprefix("text: ").removeprefix("text ")) from None
    return text


def _length_unit(text: str) -> str:
    """An argparse type: a length unit, as its OME-NGFF name (``um`` -> ``micrometer``)."""
    from ..io.base import length_unit

    unit = length_unit(text)
    if unit is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a length unit; use micrometer (default), nanometer, "
                                         "millimeter or another OME-NGFF name (or um, nm, mm)")
    return unit


def _json_object(text: str) -> dict:
    """An argparse type: a JSON object."""
    import json

    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not valid JSON ({err.msg}): {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object {{...}}, got {text!r}")
    return value


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import main

    return main(step=args.step, out_dir=args.out)


def _cmd_codecs(args: argparse.Namespace) -> int:
    rows = [("id", "class", "kind", "zarr v3", "zarr v2", "lossless", "dtypes", "parameters")]
    for c in list_codecs():
        rows.append((c["id"], c["class"], c["kind"], c["zarr_v3"] or "-", c["zarr_v2"],
                     "yes" if c["lossless"] else "no", ",".join(c["dtypes"]), ",".join(c["parameters"])))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return 0


def _cmd_convert(args: argparse.Namespace) -> int:
    from ..io.base import PixelSize
    from ..io.transforms import Transforms
    from .convert import ConvertOptions, convert

    camera = _camera_args(args)
    inputs = args.input[0] if len(args.input) == 1 else args.input
    if args.pixel_unit is not None and args.pixel_size is None:
        raise ValueError(f"--pixel-unit {args.pixel_unit} applies to --pixel-size, which is missing; give both (e.g. "
                         f"--pixel-size 108 --pixel-unit nanometer), or leave --pixel-unit out to keep the file's")
    pixel_size = None if args.pixel_size is None else PixelSize.parse(args.pixel_size, args.pixel_unit or "micrometer")
    transforms = Transforms.parse(frames=args.frames, crop=args.crop, bin=args.bin, bin_mode=args.bin_mode,
                                  rotate=args.rotate, flip=args.flip)
    options = ConvertOptions(codec=args.codec, camera=camera or None, step=args.step, chunks=args.chunks,
                             shards=args.shards, threads=args.threads, ome_zarr=args.ome, ngff_version=args.ngff,
                             axes=args.axes, levels=args.levels, binning=args.binning, overwrite=args.overwrite,
                             progress=True if args.progress else False if args.quiet else None, series=args.series,
                             transforms=None if transforms.identity else transforms, scheduler=args.scheduler,
                             storage_options=args.storage_options, force=args.force, saturation=args.saturation,
                             pixel_size=pixel_size)
    summary = convert(inputs, args.output, options)
    for w in summary.warnings:
        print(f"pymecompress convert: warning: {' '.join(w.split())}", file=sys.stderr)
    print(summary.format())
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from .calibrate import calibrate

    cal = calibrate(args.input, dark=args.dark, offset=args.offset, read_noise=args.read_noise,
                    max_frames=args.max_frames, saturation=args.saturation)
    for w in cal.warnings:
        print(f"pymecompress calibrate: warning: {w}", file=sys.stderr)
    print("\n".join(line for line in cal.format().splitlines() if not line.startswith("warning")))
    if cal.gain_stderr > 0.1 * cal.gain:
        low = cal.gain_low()
        print(f"caution     : the gain is uncertain by +-{100 * cal.gain_stderr / cal.gain:.0f} % (see the warnings); "
              + (f"the low end, --gain {low:.4g} (2 standard errors below), is the safer choice for huffquant16 "
                 "(it then assumes less noise and quantizes more finely)" if low else
                 "this movie does not determine it: calibrate on a static scene with dim and bright areas, or take "
                 "the gain from the camera's data sheet"))
    if args.out:
        tmp = f"{args.out}.partial-{os.getpid()}"
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(cal.to_json(), fh, indent=2)
                fh.write("\n")
            os.replace(tmp, args.out)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        print(f"written     : {args.out} (use: pymecompress convert MOVIE OUT.zarr --calibration {args.out})")
    else:
        print(f"use         : pymecompress convert MOVIE OUT.zarr --offset {cal.offset:.4g} --gain {cal.gain:.4g} "
              f"--read-noise {cal.read_noise:.3g}")
    return 0


def _steps(text: str) -> tuple[float, ...]:
    """An argparse type: comma-separated positive steps, e.g. ``0.5,1,2``."""
    try:
        steps = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers such as 0.5,1,2, got {text!r}") from None
    if not all(step > 0 for step in steps):
        raise argparse.ArgumentTypeError(f"steps must be > 0, got {text}")
    return steps


def _camera_args(args: argparse.Namespace) -> dict[str, float]:
    """The camera of ``--calibration`` with ``--offset``, ``--gain`` and ``--read-noise`` over it."""
    from ..calibration_file import load_calibration

    camera: dict[str, float] = load_calibration(args.calibration) if args.calibration else {}
    for key in ("offset", "gain", "read_noise"):
        if getattr(args, key) is not None:
            camera[key] = getattr(args, key)
    return camera


def _cmd_validate(args: argparse.Namespace) -> int:
    from .validation import validate

    inputs = args.input[0] if len(args.input) == 1 else args.input
    try:
        report = validate(inputs, _camera_args(args), steps=args.steps, analysis=args.analysis,
                          max_frames=args.max_frames, saturation=args.saturation, series=args.series)
        print(report.format(), flush=True)
        if args.report:
            from .validation.html import write_html

            print(f"\nreport      : {write_html(report, args.report)}")
    except ImportError as err:  # the validate extra: the message names it
        if err.name is not None:
            raise
        _error("validate", str(err))
        return 2
    return 0


def _grid(text: str) -> tuple[int, int]:
    """An argparse type: ``ROWSxCOLUMNS`` of panels, e.g. 2x2."""
    parts = text.lower().split("x")
    try:
        rows, cols = (int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ROWSxCOLUMNS (e.g. 2x2), got {text!r}") from None
    if rows < 1 or cols < 1:
        raise argparse.ArgumentTypeError(f"rows and columns must be >= 1, got {text!r}")
    return rows, cols


def _cmd_export(args: argparse.Namespace) -> int:
    from .exporter import ExportOptions, export

    if len(args.paths) < 2:
        _error("export", "give one or more INPUTs and then OUT (e.g. export movie.zarr movie.mp4)")
        return 2
    *inputs, out = args.paths
    titles = [] if args.no_titles else (args.title or None)
    options = ExportOptions(
        frames=args.frames, crop=args.crop, bin=args.bin, bin_mode=args.bin_mode, z=args.z, channel=args.channel,
        project=args.project, axes=args.axes, series=args.series, contrast=args.contrast, gamma=args.gamma,
        clahe=args.clahe, colormap=args.colormap, titles=titles, grid=args.grid, difference=args.difference,
        frame_index=args.frame_index, time=args.time, scale_bar=args.scale_bar, pixel_size=args.pixel_size,
        fps=args.fps, zoom=args.zoom, progress=None)
    try:
        print(export(inputs, out, options).format())
    except ImportError as err:  # the export extra: the message names it
        if err.name is not None and err.name not in ("av", "PIL", "matplotlib", "skimage"):
            raise
        _error("export", f"{err}" if err.name is None else f"{err}: install the export extra, "
               "pip install 'pymecompress[export]'")
        return 2
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from .info import NotZarrError, describe, describe_input, format_table, group_summary, pixel_size_summary

    try:
        rows = describe(args.path)
    except NotZarrError:
        print(describe_input(args.path))  # a camera file (or frames) that convert reads; else why not
        return 0
    ome = group_summary(args.path)
    if ome:
        print(ome)
    size = pixel_size_summary(args.path)
    if size:
        print(size)
    if not rows:
        print(f"{args.path}: a zarr group without arrays")
        return 0
    print(format_table(rows))
    return 0


def _cmd_view(args: argparse.Namespace) -> int:
    from .view import serve

    return serve(args.store, port=args.port, open_browser=not args.no_browser, quiet=not args.verbose)


def version_line() -> str:
    """The package's version and those of Python and the libraries it runs on (what a bug report needs).

    Examples
    --------
    >>> version_line().startswith("pymecompress ")
    True
    """
    from importlib import metadata

    from .._binding import c_version
    from .._version import __version__

    found = []
    for name in ("numpy", "numcodecs", "zarr", "tifffile"):
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} not installed")
    return f"pymecompress {__version__} (C core {c_version()}, Python {sys.version.split()[0]}, {', '.join(found)})"


class _VersionAction(argparse.Action):
    """``--version``: print :func:`version_line` and exit (looked up only when asked for)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(version_line())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pymecompress",
                                     description="Noise-bounded compression for photon-limited images.")
    parser.add_argument("--version", action=_VersionAction,
                        help="print the version (and those of Python, numpy, numcodecs, zarr, tifffile) and exit")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="compress the bundled real camera sample and report ratio, speed, error")
    demo.add_argument("--step", type=_positive_float, default=1.0,
                      help="quantization step in noise sigmas (default 1)")
    demo.add_argument("--out", default=".", metavar="DIR",
                      help="folder for the PNG report pymecompress_demo.png (default: the current folder; needs "
                           "matplotlib: pip install 'pymecompress[report]')")
    demo.set_defaults(func=_cmd_demo)

    codecs = sub.add_parser("codecs", help="list the codecs and what they are for")
    codecs.set_defaults(func=_cmd_codecs)

    conv = sub.add_parser(
        "convert", help="compress a TIFF / OME-TIFF / .npy stack, TIFF or PZF frames, or a .seq, HDF5, FITS or video "
                        "file, into zarr or OME-Zarr",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Stream an image stack into a compressed zarr v3 array (or, with --ome, an OME-Zarr image "
                    "with a 2x2-binned\npyramid), plane block by plane block, in bounded memory.\n\n"
                    "Input formats (uint8 or uint16 camera images):\n"
                    "  TIFF, OME-TIFF, BigTIFF, ImageJ hyperstack  one file; every series, stacked, when they share "
                    "a shape\n"
                    "                                              and dtype (else pick one with --series N)\n"
                    "  TIFF frames                                 a folder, a quoted glob ('frames/*.tif') or "
                    "several files\n"
                    "  PYME PZF frames (.pzf)                      one file, a folder, a quoted glob or several "
                    "files\n"
                    "  NumPy .npy                                  one array\n"
                    "With the formats extra (pip install \"pymecompress[formats]\"); FILE:PART picks a part:\n"
                    "  Norpix StreamPix .seq                       8-, 12-in-16- or 16-bit monochrome movie\n"
                    "  HDF5 / NeXus (.h5, .hdf5, .nxs)             the one integer image dataset, else "
                    "scan.h5:/entry/data\n"
                    "  FITS (.fits, .fit, .fts, .fz)               integer image HDUs (same-shape ones stacked), "
                    "or\n"
                    "                                              image.fits:SCI, image.fits:SCI,2, image.fits:1\n"
                    "  video (AVI, MP4, MOV, MKV, WebM, ...)       grey video; colour only as one channel "
                    "(movie.mp4:r, :g,\n"
                    "                                              :b, or :y for the luma plane) or, lossless, "
                    "with --axes tcyx\n"
                    "Frames are stacked along a new first axis in natural order of their paths (frame2 before "
                    "frame10).\n\n"
                    "huffquant16 first checks the camera model against the noise measured in the data and stops "
                    "(exit 2)\nwhen they disagree; --force writes anyway.")
    conv.add_argument("input", nargs="+", metavar="INPUT",
                      help="TIFF/OME-TIFF/BigTIFF file, .npy file, PYME .pzf frame, folder of TIFF or PZF frames, "
                           "quoted glob ('frames/*.pzf'), several TIFF or PZF files, or a .seq, HDF5, FITS or video "
                           "file (FILE:PART for a dataset, HDU or channel)")
    conv.add_argument("output", metavar="OUTPUT", help="the .zarr folder to write, or a .zarr.zip file (one file per "
                                                       "dataset); always the last argument")
    conv.add_argument("--codec", choices=CONVERT_CODECS, default=None,
                      help=f"{CONVERT_CODECS[0]} (noise-bounded, uint16, needs the camera; the default for uint16 "
                           "input), huffquant8 (the same for uint8; the default for uint8 input), or "
                           f"{' or '.join(c for c in CONVERT_CODECS if registry.BY_ID[c].lossless)} (lossless)")
    cam = conv.add_argument_group("camera (huffquant16, huffquant8)")
    cam.add_argument("--calibration", metavar="FILE", help="JSON written by `pymecompress calibrate --out`")
    cam.add_argument("--offset", type=float, help="dark level, ADU")
    cam.add_argument("--gain", type=_positive_float, help="ADU per photo-electron")
    cam.add_argument("--read-noise", type=float, help="read noise, electrons (default 0, conservative)")
    cam.add_argument("--step", type=_positive_float, help="quantization step in noise sigmas (default 1)")
    cam.add_argument("--saturation", type=_positive_int, metavar="ADU",
                     help="the camera's saturation value, kept exact (pixels above it are stored as it); default: "
                          "the calibration file's, else what the file states (TIFF MaxSampleValue or BitsPerSample, "
                          ".seq real bit depth, FITS SATURATE or DATAMAX), else the dtype's maximum")
    cam.add_argument("--force", action="store_true",
                     help="write even when the camera model disagrees with the noise measured in the data")
    conv.add_argument("--series", type=_non_negative_int, metavar="N",
                      help="read only series N of a TIFF (default: all series, stacked, if they share shape and "
                           "dtype)")
    conv.add_argument("--axes", help="axis names, e.g. tyx, zyx, tczyx: override what the reader guesses when the "
                                     "element count agrees (e.g. planar 'RGB' TIFFs of camera planes); the OME axes "
                                     "and zarr dimension names (default: from the TIFF, else t..yx)")
    conv.add_argument("--pixel-size", type=_pixel_sizes, metavar="SIZE[,X]",
                      help="the size of a camera pixel in the sample, micrometres by default: 0.108 (square) or "
                           "0.108,0.110 (Y,X); instead of the file's (OME-XML PhysicalSizeX/Y, ImageJ calibration or "
                           "TIFF resolution tags). It follows --bin and --rotate, and is stored with its unit: in the "
                           "OME-Zarr scales and axes, or the array's attributes")
    conv.add_argument("--pixel-unit", type=_length_unit, metavar="UNIT",
                      help="the unit of --pixel-size: micrometer (default), nanometer, millimeter, ... (um, nm, mm)")
    conv.add_argument("--chunks", help="chunk shape, e.g. 1,512,512 (default: up to 1024x1024 in the plane and about "
                                       "4 MB, small planes grouped along the first axis)")
    conv.add_argument("--shards", default=None,
                      help="store chunks in shards, one file or object per shard: auto (whole planes, about 32 MB), "
                           "a number of planes, a shape such as 16,2048,2048, or none (default: none); zarr v3 and "
                           "OME-NGFF 0.5 only")
    conv.add_argument("--threads", type=_positive_int, default=min(4, os.cpu_count() or 1),
                      help="threads compressing chunks (default: up to 4)")
    ome = conv.add_argument_group("OME-Zarr")
    ome.add_argument("--ome", action="store_true", help="write an OME-Zarr image with a 2x2-binned pyramid")
    ome.add_argument("--ngff", choices=("0.4", "0.5"), default="0.4",
                     help="OME-NGFF version: 0.4 (zarr v2 storage, widest reader support; default) or 0.5 (zarr v3)")
    ome.add_argument("--levels", type=int, help="extra pyramid levels (default: while planes stay >= 64 px, <= 4)")
    ome.add_argument("--binning", choices=("mean", "sum"), default="mean",
                     help="how pyramid levels combine 2x2 pixels (default mean; sum clips at the dtype maximum)")
    out = conv.add_argument_group("scale out")
    out.add_argument("--scheduler", metavar="ADDRESS",
                     help="compress on a dask.distributed cluster (tcp://host:8786); OUTPUT must be a path the "
                          "workers see, or a URL (needs the cluster extra)")
    out.add_argument("--storage-options", metavar="JSON", type=_json_object,
                     help='fsspec options of a URL OUTPUT (s3://bucket/movie.zarr), e.g. \'{"endpoint_url": '
                          '"http://127.0.0.1:9000"}\' (credentials also come from the usual environment variables)')
    tr = conv.add_argument_group("transforms while reading (in this order; the camera model follows --bin)")
    tr.add_argument("--frames", metavar="START:STOP[:STEP]", help="frame range and stride of the first axis, e.g. "
                                                                  "100:500 or ::2")
    tr.add_argument("--crop", metavar="Y0:Y1,X0:X1", help="rows and columns of every plane to keep, e.g. 0:512,256:")
    tr.add_argument("--bin", type=_positive_int, default=1, metavar="N",
                    help="bin N x N pixels (default 1: none); sums keep photon statistics: offset x N^2, read noise "
                         "x N")
    tr.add_argument("--bin-mode", choices=("sum", "mean"), default="sum",
                    help="sum (default; refused if sums overflow the dtype) or the rounded mean (gain / N^2)")
    tr.add_argument("--rotate", type=int, choices=(0, 90, 180, 270), default=0,
                    help="rotate every plane counter-clockwise, degrees")
    tr.add_argument("--flip", choices=("x", "y", "xy"), default="", help="flip left-right (x), up-down (y) or both")
    conv.add_argument("--overwrite", action="store_true",
                      help="replace an existing output if it is a zarr store (anything else is refused)")
    conv.add_argument("--quiet", action="store_true", help="no progress bar")
    conv.add_argument("--progress", action="store_true",
                      help="show the progress bar even when stderr is not a terminal or the input has 100 planes or "
                           "fewer (by default it shows for more, on a terminal)")
    conv.set_defaults(func=_cmd_convert)

    cal = sub.add_parser(
        "calibrate", help="estimate camera offset, gain and read noise from a movie (photon-transfer fit)",
        description="Fit var = gain * (mean - offset) + gain^2 read_noise^2 to per-pixel temporal means and "
                    "frame-difference variances, pixels binned by their neighbours' level, less the changes "
                    "neighbouring pixels share (blinking, motion, flicker). The +- combines a statistical part "
                    "(bootstrap over tiles of pixels) and systematic parts (frame halves, level halves, that "
                    "correction); warnings say what limits the result. One line cannot separate offset and read "
                    "noise: by default the offset is the fit's x-intercept (read noise 0); pin them with --dark, "
                    "--offset or --read-noise.")
    cal.add_argument("input", help="a movie of a mostly static scene: TIFF, folder or glob of TIFF or PZF frames, "
                                   ".npy, or (formats extra) .seq, HDF5, FITS or grey video (FILE:PART as for convert)")
    cal.add_argument("--out", metavar="FILE", help="write the result as JSON for `convert --calibration`")
    pin = cal.add_mutually_exclusive_group()
    pin.add_argument("--dark", metavar="DARK", help="frames taken without light (pins offset and read noise)")
    pin.add_argument("--offset", type=float, help="known offset, ADU (the read noise follows from the fit)")
    pin.add_argument("--read-noise", type=float, help="known read noise, electrons (the offset follows)")
    cal.add_argument("--max-frames", type=_positive_int, default=1000, help="use at most N frames (default 1000)")
    cal.add_argument("--saturation", type=float, help="the camera's saturation value, ADU: pixels reaching it are "
                                                      "left out, and --out stores it for convert (default: what the "
                                                      "file states, else the dtype's maximum)")
    cal.set_defaults(func=_cmd_calibrate)

    val = sub.add_parser(
        "validate", help="prove on your own data what compressing it does: ratio, error, biases, your analysis",
        description="Compress INPUT at each step with the noise-bounded codec of its dtype and report the ratio, the "
                    "error per pixel in noise sigmas, the bias of the mean and of 64 x 64 block medians per signal "
                    "level, the added noise against theory, the power spectrum of the error, and what decoding "
                    "changed in the field's own analysis, run on the original and the decoded data (and, for "
                    "comparison, with plain noise of the same variance): spot localization (trackpy), source "
                    "detection and aperture photometry (sep) or ROI traces. Needs pip install "
                    "'pymecompress[validate]'.")
    val.add_argument("input", nargs="+", metavar="INPUT", help="anything convert reads (FILE:PART picks a part)")
    vcam = val.add_argument_group("camera (required: --offset and --gain, or --calibration)")
    vcam.add_argument("--calibration", metavar="FILE", help="JSON written by `pymecompress calibrate --out`")
    vcam.add_argument("--offset", type=float, help="dark level, ADU")
    vcam.add_argument("--gain", type=_positive_float, help="ADU per photo-electron")
    vcam.add_argument("--read-noise", type=float, help="read noise, electrons (default 0)")
    vcam.add_argument("--saturation", type=_positive_int, metavar="ADU",
                      help="the saturation value kept exact (default as convert: calibration file, file, dtype)")
    val.add_argument("--steps", type=_steps, default=(0.5, 1.0, 2.0), metavar="S1,S2,...",
                     help="quantization steps in noise sigmas (default 0.5,1,2)")
    val.add_argument("--analysis", choices=("auto", "localization", "photometry", "traces", "none"), default="auto",
                     help="the analysis to compare (default auto: photometry for FITS files and single images, "
                          "localization for sparse spots that come and go, traces for other movies)")
    val.add_argument("--report", metavar="FILE.html", help="also write the figures and plots as one HTML page")
    val.add_argument("--max-frames", type=_positive_int, default=100, help="use at most N planes (default 100)")
    val.add_argument("--series", type=_non_negative_int, metavar="N", help="read only series N of a TIFF")
    val.set_defaults(func=_cmd_validate)

    exp = sub.add_parser(
        "export", help="a stored movie out as MP4, AVI (lossless), GIF, WebM, PNG frames or raw TIFF",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write the frames of one or more INPUTs (zarr stores or anything convert reads) to OUT, frame "
                    "by frame: several inputs side by side (or in --grid) over the same frames, e.g. raw, "
                    "compressed and their --difference. OUT's suffix picks the kind:\n"
                    "  .mp4   H.264        .avi  FFV1, lossless     .gif  the colormap as palette\n"
                    "  .webm  VP9          FOLDER (no suffix): PNG frames\n"
                    "  .tif / .ome.tif: the raw values of one input\n"
                    "Needs pip install 'pymecompress[export]'.")
    exp.add_argument("paths", nargs="+", metavar="INPUT [INPUT ...] OUT",
                     help="zarr stores or camera files, then the output")
    sel = exp.add_argument_group("selection (as convert)")
    sel.add_argument("--frames", metavar="START:STOP[:STEP]", help="frame range and stride, e.g. 0:100 or ::2")
    sel.add_argument("--crop", metavar="Y0:Y1,X0:X1", help="rows and columns of every frame to keep")
    sel.add_argument("--bin", type=_positive_int, default=1, metavar="N", help="bin N x N pixels (default 1)")
    sel.add_argument("--bin-mode", choices=("mean", "sum"), default="mean", help="binned mean (default) or sum")
    sel.add_argument("--z", type=_non_negative_int, help="for tzyx stacks: this z plane (default: max projection)")
    sel.add_argument("--channel", type=_non_negative_int, help="for stacks with channels: this one (default 0)")
    sel.add_argument("--project", choices=("max",), help="maximum projection over z (the default without --z)")
    sel.add_argument("--axes", help="the stack's axes where the file does not say, e.g. tzyx")
    sel.add_argument("--series", type=_non_negative_int, metavar="N", help="read only series N of a TIFF")
    look = exp.add_argument_group("contrast, tone and colour")
    look.add_argument("--contrast", default="auto", metavar="auto|auto-frame|MIN,MAX",
                      help="auto: the 0.1 and 99.9 percentiles of 16 frames (default); auto-frame: per frame; or "
                           "MIN,MAX in counts")
    look.add_argument("--gamma", type=_positive_float, default=1.0, help="output = input^gamma (default 1)")
    look.add_argument("--clahe", type=_positive_float, metavar="CLIP",
                      help="adaptive histogram equalisation (scikit-image) with this clip limit, e.g. 0.01")
    look.add_argument("--colormap", default="gray", help="a matplotlib colormap name (default gray)")
    text = exp.add_argument_group("panels and text")
    text.add_argument("--grid", type=_grid, metavar="ROWSxCOLS", help="panels in a grid (default: side by side)")
    text.add_argument("--difference", action="store_true", help="add a panel of the first input minus the second")
    text.add_argument("--title", action="append", help="a panel's title (repeat per panel; default: file names)")
    text.add_argument("--no-titles", action="store_true", help="no titles")
    text.add_argument("--frame-index", action="store_true", help="write the frame index")
    text.add_argument("--time", action="store_true", help="write the time (stored timestamps, else index / fps)")
    text.add_argument("--scale-bar", action="store_true", help="draw a scale bar (needs the pixel size)")
    text.add_argument("--pixel-size", type=_positive_float, metavar="UM",
                      help="micrometres per input pixel, where the input does not say")
    out = exp.add_argument_group("timing and size")
    out.add_argument("--fps", type=_positive_float, default=10.0, help="frames per second (default 10)")
    out.add_argument("--zoom", type=_int_at_least(1), default=1, metavar="N",
                     help="enlarge small frames N times (nearest neighbour)")
    exp.set_defaults(func=_cmd_export)

    info = sub.add_parser("info", help="codecs, dtype, shape, chunks, stored bytes and ratio of a zarr store")
    info.add_argument("path", help="a zarr array or group (e.g. an OME-Zarr image)")
    info.set_defaults(func=_cmd_info)

    view = sub.add_parser(
        "view", help="look at a zarr store in the browser (chunks decoded there by WebAssembly)",
        description="Serve a zarr array or OME-Zarr image (zarr v2 or v3) on 127.0.0.1, with HTTP range requests, "
                    "and a viewer page that decodes its chunks in the browser: a slider per leading axis, "
                    "contrast limits, zoom and pan fetching only the visible chunks, the value under the cursor. "
                    "Ctrl-C stops. The page also works from any static web server: viewer.html?store=URL.")
    view.add_argument("store", help="the zarr store (folder) to show")
    view.add_argument("--port", type=_int_at_least(0), default=0, help="TCP port (default: any free port)")
    view.add_argument("--no-browser", action="store_true", help="print the address, do not open a browser")
    view.add_argument("--verbose", action="store_true", help="log every request")
    view.set_defaults(func=_cmd_view)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt as err:
        print(f"pymecompress {args.command}: interrupted", file=sys.stderr)
        for note in getattr(err, "__notes__", ()):  # where a half-done replacement left the complete store
            print(f"pymecompress {args.command}: {note}", file=sys.stderr)
        return 130
    except ImportError as err:
        if err.name not in ("zarr", "tifffile", "tqdm"):
            raise
        hint = "pymecompress[zarr]" if err.name == "zarr" else err.name
        _error(args.command, f"{err}: this command needs it; install it with pip install '{hint}'")
        return 2
    except (ValueError, TypeError, OSError) as err:
        _error(args.command, " ".join([str(err) or type(err).__name__, *getattr(err, "__notes__", ())]))
        return 2


def _error(command: str, message: str) -> None:
    print(f"pymecompress {command}: error: {' '.join(message.split())}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
