"""The input readers (:mod:`pymecompress.io.sources`).

- Every TIFF series or none: several series of one shape and dtype (a movie written frame by frame) are stacked,
  others are refused unless one is chosen with ``series``.
- ``axes`` overrides the layout a reader guesses (planar "RGB" stacks of camera planes included).
- Truncated and corrupt inputs of every format give one :class:`InputError` and never a traceback, fewer planes
  or wrong data: each file is cut at many offsets (every 4 KiB, or finer for small files, a few hundred seeded
  random points for big ones, plus the offsets of its IFDs and data segments) and bytes of its headers are
  flipped; every plane that opens is read back.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import pytest
import tifffile

from helpers import DATA, require_data, run_cli
from pymecompress.io import pzf
from pymecompress.io.sources import InputError, open_source

REAL = sorted(p.name for p in DATA.glob("*.tif")) if DATA.exists() else [
    "brightfield_worms_ccd_520x696.tif", "lightsheet_bead_psf_61x128x128.tif",
    "smlm_sdt_pMHC_AF647_10x128x128.tif", "widefield_timelapse_ecoli_gfp_53x64x64.tif"]
BIG = 1_000_000  # files above this size are cut at seeded random points, smaller ones at regular steps
N_RANDOM_CUTS = 300


@pytest.fixture(scope="module")
def movie() -> np.ndarray:
    """12 frames of 64 x 48 12-bit camera counts."""
    return np.random.default_rng(7).integers(90, 4096, (12, 64, 48), dtype=np.uint16)


# ---------------------------------------------------------------------------------------------------------------
# writing the inputs


def write_planar_rgb(path: Path, planes: np.ndarray) -> None:
    """What ``tifffile.imwrite(path, planes)`` does with a 3- or 4-plane uint16 stack: planar RGB (axes SYX)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # tifffile announces it will change this default
        tifffile.imwrite(path, planes)


def write_frame_by_frame(path: Path, frames: Iterable[np.ndarray], **kwargs) -> None:
    """``TiffWriter.write`` once per frame, tifffile's defaults: one series per frame."""
    with tifffile.TiffWriter(path, **kwargs) as tif:
        for frame in frames:
            tif.write(frame)


TIFF_WRITERS: dict[str, Callable[[Path, np.ndarray], None]] = {
    "multipage": lambda p, m: tifffile.imwrite(p, m),
    "multipage_generic": lambda p, m: tifffile.imwrite(p, m, metadata=None),
    "frame_by_frame": write_frame_by_frame,
    "imagej_hyperstack": lambda p, m: tifffile.imwrite(p, m.reshape(4, 3, *m.shape[1:]), imagej=True,
                                                       metadata={"axes": "TZYX"}),
    "ome": lambda p, m: tifffile.imwrite(p, m.reshape(4, 3, *m.shape[1:]), ome=True, metadata={"axes": "TZYX"}),
    "bigtiff": lambda p, m: tifffile.imwrite(p, m, bigtiff=True),
    "bigtiff_frame_by_frame": lambda p, m: write_frame_by_frame(p, m, bigtiff=True),
    "zlib": lambda p, m: tifffile.imwrite(p, m, compression="zlib"),
    "zlib_tiled": lambda p, m: tifffile.imwrite(p, m, compression="zlib", tile=(32, 16)),
    # one IFD for all planes, data read straight from the file (as ImageJ hyperstacks over 4 GB)
    "one_ifd_shaped": lambda p, m: tifffile.imwrite(p, m, truncate=True),
    "one_ifd_imagej": lambda p, m: tifffile.imwrite(p, m, imagej=True, truncate=True),
}
TIFF_SHAPES = {"imagej_hyperstack": (4, 3, 64, 48), "ome": (4, 3, 64, 48)}


def tiff_file(folder: Path, kind: str, movie: np.ndarray) -> tuple[Path, np.ndarray]:
    """Write one kind of TIFF; returns the path and the array it holds."""
    path = folder / (f"{kind}.ome.tif" if kind == "ome" else f"{kind}.tif")
    TIFF_WRITERS[kind](path, movie)
    return path, movie.reshape(TIFF_SHAPES.get(kind, movie.shape))


def read_all(target, **kwargs) -> tuple[tuple[int, ...], str | None, np.ndarray]:
    """Shape, axes and every plane of an input, read through :func:`open_source`."""
    with open_source(target, **kwargs) as src:
        return src.shape, src.axes, src.read_planes(range(src.n_planes)).reshape(src.shape)


# ---------------------------------------------------------------------------------------------------------------
# every series or none


def test_frame_by_frame_tiff_reads_every_series(tmp_path, movie):
    """Issue 1: was shape (64, 48), series 0 only; now all 12 frames, stacked in order."""
    path, expected = tiff_file(tmp_path, "frame_by_frame", movie)
    with tifffile.TiffFile(path) as tif:
        assert len(tif.series) == 12
    shape, axes, data = read_all(path)
    assert shape == (12, 64, 48) and axes == "TYX"
    np.testing.assert_array_equal(data, expected)
    with open_source(path) as src:  # any plane, in any order
        np.testing.assert_array_equal(src.read_planes([11, 0, 5, 5]), expected[[11, 0, 5, 5]])


def test_series_with_a_time_axis_stack_along_i(tmp_path, movie):
    path = tmp_path / "blocks.tif"
    with tifffile.TiffWriter(path) as tif:
        for block in movie.reshape(3, 4, 64, 48):
            tif.write(block, photometric="minisblack", metadata={"axes": "TYX"})
    shape, axes, data = read_all(path)
    assert shape == (3, 4, 64, 48) and axes == "ITYX"
    np.testing.assert_array_equal(data, movie.reshape(3, 4, 64, 48))


@pytest.mark.parametrize("other", ["shape", "dtype"])
def test_series_that_cannot_be_stacked_are_refused_or_chosen(tmp_path, movie, other):
    path = tmp_path / "mixed.tif"
    odd = movie[2, :32] if other == "shape" else (movie[2] // 16).astype(np.uint8)
    write_frame_by_frame(path, [movie[0], movie[1], odd])
    with pytest.raises(InputError) as err:
        open_source(path)
    msg = str(err.value)
    assert "\n" not in msg and "series=N" in msg and "3 image series" in msg
    assert "0: 64x48 uint16" in msg and "1: 64x48 uint16" in msg
    assert ("2: 32x48 uint16" if other == "shape" else "2: 64x48 uint8") in msg
    for n in range(3):
        shape, _, data = read_all(path, series=n)
        np.testing.assert_array_equal(data, odd if n == 2 else movie[n])
        assert shape == data.shape


def test_series_out_of_range_or_not_a_tiff(tmp_path, movie):
    path, _ = tiff_file(tmp_path, "frame_by_frame", movie)
    with pytest.raises(InputError, match=r"no series 12: the file holds 12 series \(0\.\.11\)"):
        open_source(path, series=12)
    single, _ = tiff_file(tmp_path, "multipage", movie)
    assert read_all(single, series=0)[0] == (12, 64, 48)
    with pytest.raises(InputError, match="holds 1 series"):
        open_source(single, series=1)
    np.save(tmp_path / "m.npy", movie)
    (tmp_path / "f.pzf").write_bytes(pzf.dumps(movie[0]))
    for target in (tmp_path / "m.npy", tmp_path / "f.pzf", [tmp_path / "f.pzf"]):
        with pytest.raises(InputError, match="series=0 applies to TIFF files only"):
            open_source(target, series=0)


def test_series_applies_to_every_frame_file(tmp_path, movie):
    (tmp_path / "frames").mkdir()
    for k in range(3):  # 3 files of 4 one-frame series each
        write_frame_by_frame(tmp_path / "frames" / f"part{k}.tif", movie[4 * k: 4 * k + 4])
    shape, _, data = read_all(tmp_path / "frames")
    assert shape == (3, 4, 64, 48)
    np.testing.assert_array_equal(data, movie.reshape(3, 4, 64, 48))
    shape, _, data = read_all(tmp_path / "frames", series=1)
    assert shape == (3, 64, 48)
    np.testing.assert_array_equal(data, movie[1::4])
    with pytest.raises(InputError, match="no series 4"):
        open_source(tmp_path / "frames", series=4)


# ---------------------------------------------------------------------------------------------------------------
# axes


def test_planar_rgb_stack_reads_with_axes(tmp_path, movie):
    """Issue 5: a 3-plane uint16 stack saved with plain tifffile.imwrite is planar RGB (axes SYX)."""
    path = tmp_path / "three.tif"
    write_planar_rgb(path, movie[:3])
    with tifffile.TiffFile(path) as tif:
        assert tif.series[0].axes == "SYX"
    with pytest.raises(InputError, match="axes='zyx'"):
        open_source(path)
    for axes in ("zyx", "tyx", "ZYX"):
        shape, got_axes, data = read_all(path, axes=axes)
        assert shape == (3, 64, 48) and got_axes == axes.upper()
        np.testing.assert_array_equal(data, movie[:3])
    with open_source(path, axes="zyx") as src:
        np.testing.assert_array_equal(src.read_planes([2, 0]), movie[[2, 0]])


def test_planar_rgb_pages_of_a_multipage_file(tmp_path, movie):
    """Four pages of 3 planar samples each: 12 planes, in page-then-sample order."""
    path = tmp_path / "rgb_pages.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        tifffile.imwrite(path, movie.reshape(4, 3, 64, 48), photometric="rgb", planarconfig="separate")
    shape, axes, data = read_all(path, axes="tzyx")
    assert shape == (4, 3, 64, 48) and axes == "TZYX"
    np.testing.assert_array_equal(data, movie.reshape(4, 3, 64, 48))
    assert read_all(path, axes="tyx")[0] == (12, 64, 48)


def test_contiguous_rgb_stays_refused(tmp_path, movie):
    path = tmp_path / "rgb.tif"
    tifffile.imwrite(path, np.ascontiguousarray(movie[:3].transpose(1, 2, 0)), photometric="rgb")
    for axes in (None, "zyx", "tzyx"):
        with pytest.raises(InputError, match="interleaved.*split the channels"):
            open_source(path, axes=axes)


def test_axes_override_the_layout(tmp_path, movie):
    path, expected = tiff_file(tmp_path, "imagej_hyperstack", movie)
    assert read_all(path)[:2] == ((4, 3, 64, 48), "TZYX")
    shape, axes, data = read_all(path, axes="tyx")  # 3 letters: every leading axis merged
    assert (shape, axes) == ((12, 64, 48), "TYX")
    np.testing.assert_array_equal(data, movie)
    assert read_all(path, axes="czyx")[:2] == ((4, 3, 64, 48), "CZYX")  # as many letters: sizes kept
    np.save(tmp_path / "m.npy", movie)
    assert read_all(tmp_path / "m.npy", axes="zyx")[:2] == ((12, 64, 48), "ZYX")
    np.save(tmp_path / "one.npy", movie[:1])
    shape, axes, data = read_all(tmp_path / "one.npy", axes="yx")  # 2 letters: a single plane
    assert (shape, axes) == ((64, 48), "YX")
    np.testing.assert_array_equal(data, movie[0])
    (tmp_path / "pzf").mkdir()
    for i, frame in enumerate(movie[:4]):
        (tmp_path / "pzf" / f"f{i}.pzf").write_bytes(pzf.dumps(frame))
    assert read_all(tmp_path / "pzf", axes="zyx")[:2] == ((4, 64, 48), "ZYX")
    bad = [("tczyx", "names 5 axes but the stack has 4"), ("yx", "names a single image"),
           ("xy", "ending with 'yx'"), ("zty", "ending with 'yx'"), ("ztyx", "order t, c, z, y, x")]
    for axes, message in bad:
        with pytest.raises(InputError, match=message):
            open_source(path, axes=axes)
    with pytest.raises(InputError, match="names 4 axes but the stack has 3"):
        open_source(tmp_path / "m.npy", axes="tzyx")


# ---------------------------------------------------------------------------------------------------------------
# truncated and corrupt inputs


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail instead of hanging (SIGALRM, where there is one)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def timeout(*_):
        raise TimeoutError(f"still running after {seconds} s: a reader hangs on a damaged file")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def outcome(target, expected: np.ndarray | None, **kwargs) -> str:
    """``"refused"`` (one-line InputError) or ``"read"``; with ``expected``, what was read must equal it. Nothing
    may be printed (Python warnings would add lines to the command's stderr)."""
    try:
        with warnings.catch_warnings(record=True) as printed:
            warnings.simplefilter("always")
            shape, _, data = read_all(target, **kwargs)
    except InputError as err:
        assert str(err) and "\n" not in str(err), repr(str(err))
        assert not printed, [str(w.message) for w in printed]
        return "refused"
    assert not printed, [str(w.message) for w in printed]
    if expected is not None:
        assert shape == expected.shape, f"read {shape} instead of {expected.shape}: a silent subset"
        assert np.array_equal(data, expected), "read wrong data"
    return "read"


def tiff_structure(path: Path) -> set[int]:
    """Offsets where a cut is most likely to confuse a reader: around every IFD and every data segment."""
    points: set[int] = set()
    with tifffile.TiffFile(path) as tif:
        for page in tif.pages:
            points.update(page.offset + d for d in (0, 1, 2, 8, 14, 30))
            for offset, count in zip(page.dataoffsets, page.databytecounts, strict=False):
                points.update((offset, offset + 1, offset + count - 1, offset + count))
    return points


def cut_points(size: int, structure: Iterable[int] = (), seed: int = 0) -> list[int]:
    """Every 4 KiB (at least 64 cuts for small files) or, above :data:`BIG`, seeded random points; and the first
    and last bytes, and ``structure``."""
    if size > BIG:
        points = set(np.random.default_rng(seed).choice(size, N_RANDOM_CUTS, replace=False).tolist())
        structure = sorted(structure)[:: max(1, len(structure) // 200)]  # big files: at most ~200 of these
    else:
        points = set(range(0, size, max(1, min(4096, size // 64))))
    points |= set(range(min(size, 12))) | {size - k for k in (1, 2, 3, 4, 8, 16, 64)}
    return sorted(p for p in points | set(structure) if 0 <= p < size)


def sweep_cuts(victim: Path, target, expected: np.ndarray, points: list[int], **kwargs) -> Counter:
    """Cut ``victim`` at each point (restored afterwards) and open / read ``target``."""
    data = victim.read_bytes()
    counts: Counter = Counter()
    try:
        with deadline(60):
            for point in points:
                victim.write_bytes(data[:point])
                try:
                    counts[outcome(target, expected, **kwargs)] += 1
                except AssertionError as err:
                    raise AssertionError(f"{victim.name} cut at {point} of {len(data)} bytes: {err}") from None
    finally:
        victim.write_bytes(data)
    assert counts["refused"] > 0
    return counts


def flip_positions(path: Path) -> list[int]:
    """Header bytes of a TIFF: the 8- or 16-byte file header, the first two IFDs and the last one."""
    with tifffile.TiffFile(path) as tif:
        head = 16 if tif.is_bigtiff else 8
        size, entry = (8, 20) if tif.is_bigtiff else (2, 12)
        pages = list(tif.pages)
        positions = set(range(head))
        for page in {id(p): p for p in (pages[0], pages[min(1, len(pages) - 1)], pages[-1])}.values():
            n = len(page.tags)
            positions.update(range(page.offset, page.offset + size + n * entry + size // 2 + 2))
    return sorted(positions)


def sweep_flips(victim: Path, target, positions: Iterable[int], **kwargs) -> Counter:
    """Change each byte at ``positions`` (to its complement and to a seeded random other value) and open / read
    ``target``: an InputError or some array, never another exception, never a hang."""
    data = victim.read_bytes()
    rng = np.random.default_rng(len(data))
    counts: Counter = Counter()
    try:
        with deadline(60):
            for pos in positions:
                if pos >= len(data):
                    continue
                for value in (data[pos] ^ 0xFF, (data[pos] + int(rng.integers(1, 256))) % 256):
                    damaged = bytearray(data)
                    damaged[pos] = value
                    victim.write_bytes(damaged)
                    try:
                        counts[outcome(target, None, **kwargs)] += 1
                    except Exception as err:
                        raise AssertionError(f"{victim.name} byte {pos} set to {value}: {type(err).__name__}: "
                                             f"{err}") from err
    finally:
        victim.write_bytes(data)
    assert counts["refused"] > 0
    return counts


@pytest.mark.parametrize("kind", sorted(TIFF_WRITERS))
def test_tiff_cut_and_flipped(tmp_path, movie, kind):
    path, expected = tiff_file(tmp_path, kind, movie)
    assert read_all(path)[0] == expected.shape
    sweep_cuts(path, path, expected, cut_points(path.stat().st_size, tiff_structure(path)))
    sweep_flips(path, path, flip_positions(path))


def test_planar_rgb_cut_and_flipped(tmp_path, movie):
    path = tmp_path / "three.tif"
    write_planar_rgb(path, movie[:3])
    sweep_cuts(path, path, movie[:3], cut_points(path.stat().st_size, tiff_structure(path)), axes="zyx")
    sweep_flips(path, path, flip_positions(path), axes="zyx")


@pytest.mark.parametrize("name", REAL)
def test_real_tiff_cut_and_flipped(tmp_path, name):
    """Issue 4: the real files cut between 40 kB and their end raised IndexError (smlm, widefield) or read fewer
    planes than the file holds (the light-sheet stack: 1 to 60 of 61)."""
    path = tmp_path / name
    shutil.copyfile(require_data(DATA / name), path)
    path.chmod(0o644)
    expected = tifffile.imread(path)
    size = path.stat().st_size
    counts = sweep_cuts(path, path, expected, cut_points(size, tiff_structure(path), seed=size))
    assert counts["refused"] >= len(cut_points(size)) - 8  # only cuts in the last few bytes may still read
    sweep_flips(path, path, flip_positions(path))


@pytest.mark.parametrize("which", ["first", "middle"])
def test_tiff_frames_cut_and_flipped(tmp_path, movie, which):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, frame in enumerate(movie[:6]):
        tifffile.imwrite(folder / f"frame{i}.tif", frame)
    victim = folder / ("frame0.tif" if which == "first" else "frame3.tif")
    sweep_cuts(victim, folder, movie[:6], cut_points(victim.stat().st_size, tiff_structure(victim)))
    sweep_cuts(victim, str(folder / "frame*.tif"), movie[:6], cut_points(victim.stat().st_size)[::4])
    sweep_flips(victim, folder, flip_positions(victim))


@pytest.mark.parametrize("compression", ["raw", "huffman", "quantized"])
def test_pzf_frame_cut_and_flipped(tmp_path, movie, compression):
    kwargs = {"raw": {}, "huffman": {"compression": pzf.DATA_COMP_HUFFCODE},
              "quantized": {"compression": pzf.DATA_COMP_HUFFCODE, "quantization": pzf.DATA_QUANT_SQRT,
                            "quant_offset": 90, "quant_scale": 1.0}}[compression]
    path = tmp_path / "frame.pzf"
    path.write_bytes(pzf.dumps(movie[0], **kwargs))
    expected = pzf.loads(path.read_bytes())[0][:, :, 0]
    size = path.stat().st_size
    sweep_cuts(path, path, expected, sorted(set(cut_points(size)) | set(range(80))))
    sweep_flips(path, path, range(64))


@pytest.mark.parametrize("which", ["first", "middle"])
def test_pzf_frames_cut_and_flipped(tmp_path, movie, which):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, frame in enumerate(movie[:6]):
        (folder / f"frame{i}.pzf").write_bytes(pzf.dumps(frame, compression=pzf.DATA_COMP_HUFFCODE))
    victim = folder / ("frame0.pzf" if which == "first" else "frame3.pzf")
    size = victim.stat().st_size
    sweep_cuts(victim, folder, movie[:6], sorted(set(cut_points(size)) | set(range(80))))
    sweep_flips(victim, folder, range(64))


@pytest.mark.parametrize("order", ["C", "F"])
def test_npy_cut_and_flipped(tmp_path, movie, order):
    path = tmp_path / "movie.npy"
    np.save(path, np.asfortranarray(movie) if order == "F" else movie)
    size = path.stat().st_size
    sweep_cuts(path, path, movie, sorted(set(cut_points(size)) | set(range(140))))
    sweep_flips(path, path, range(128))


def test_damage_tifffile_only_logs_is_an_error(tmp_path, movie, capsys):
    """tifffile works around an IFD offset beyond the end of the file with a log message and fewer pages: that
    is a refusal now, and the message is not printed."""
    path = tmp_path / "generic.tif"
    tifffile.imwrite(path, movie, metadata=None)
    with tifffile.TiffFile(path) as tif:
        second = tif.pages[1].offset
    path.write_bytes(path.read_bytes()[:second])  # pages 1.. are gone, page 0 and its data are intact
    with pytest.raises(InputError, match="invalid page offset"):
        open_source(path)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------------------------------------------------
# the command line


@pytest.mark.parametrize("case", ["real_tiff", "frame_by_frame", "ome", "zlib", "tiff_frames", "pzf_frame",
                                  "pzf_frames", "npy", "mixed_series", "planar_rgb"])
def test_convert_refuses_damaged_input(tmp_path, movie, case):
    """Exit 2, one line on stderr, nothing left behind. Before: a traceback and exit 1 (real_tiff: IndexError;
    pzf_frame: MemoryError; npy: TokenError), or one page converted and exit 0 (frame_by_frame, ome, zlib)."""
    if case == "real_tiff":  # issue 4: this cut raised IndexError with a traceback (exit 1)
        data = require_data(DATA / "smlm_sdt_pMHC_AF647_10x128x128.tif").read_bytes()
        (tmp_path / "in.tif").write_bytes(data[:40_000])
        source = "in.tif"
    elif case in ("frame_by_frame", "ome", "zlib"):
        path, _ = tiff_file(tmp_path, case, movie)
        data = path.read_bytes()
        path.unlink()
        source = "in.ome.tif" if case == "ome" else "in.tif"
        (tmp_path / source).write_bytes(data[: len(data) * 2 // 3])
    elif case == "tiff_frames":
        (tmp_path / "frames").mkdir()
        for i, frame in enumerate(movie[:5]):
            tifffile.imwrite(tmp_path / "frames" / f"f{i}.tif", frame)
        last = tmp_path / "frames" / "f4.tif"
        last.write_bytes(last.read_bytes()[:-300])
        source = "frames"
    elif case == "pzf_frames":
        (tmp_path / "frames").mkdir()
        for i, frame in enumerate(movie[:5]):
            (tmp_path / "frames" / f"f{i}.pzf").write_bytes(pzf.dumps(frame, compression=pzf.DATA_COMP_HUFFCODE))
        last = tmp_path / "frames" / "f3.pzf"
        last.write_bytes(last.read_bytes()[:-50])
        source = "frames"
    elif case == "pzf_frame":
        data = bytearray(pzf.dumps(movie[0], compression=pzf.DATA_COMP_HUFFCODE))
        data[23] = 0x10  # the top byte of Width (bytes 20-23): the header announces a frame of 2**28 x 48
        (tmp_path / "in.pzf").write_bytes(data)
        source = "in.pzf"
    elif case == "npy":
        np.save(tmp_path / "full.npy", movie)
        data = bytearray((tmp_path / "full.npy").read_bytes())
        (tmp_path / "full.npy").unlink()
        data[11] = ord("(")  # a damaged header: numpy's parser raises TokenError
        (tmp_path / "in.npy").write_bytes(data)
        source = "in.npy"
    elif case == "mixed_series":
        write_frame_by_frame(tmp_path / "in.tif", [movie[0], movie[1, :32]])
        source = "in.tif"
    else:
        write_planar_rgb(tmp_path / "in.tif", movie[:3])
        source = "in.tif"
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    out = run_cli(tmp_path, "convert", source, "out.zarr", "--codec", "hufflossless")
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pymecompress convert: error: "), out.stderr
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    if case == "mixed_series":
        assert "series=N" in lines[0]
    elif case == "planar_rgb":
        assert "axes='zyx'" in lines[0]
    else:
        assert re.search("truncated|corrupt|damaged", lines[0]), lines[0]


def test_convert_frame_by_frame_tiff(tmp_path, movie):
    """Issue 1: `convert` wrote one frame of the movie and exited 0; now the whole movie."""
    import zarr

    write_frame_by_frame(tmp_path / "movie.tif", movie)
    out = run_cli(tmp_path, "convert", "movie.tif", "movie.zarr", "--codec", "hufflossless")
    assert out.returncode == 0, out.stderr
    np.testing.assert_array_equal(zarr.open_array(tmp_path / "movie.zarr", mode="r")[:], movie)


def test_convert_series(tmp_path, movie):
    import zarr

    write_frame_by_frame(tmp_path / "mixed.tif", [movie[0], movie[1, :32], movie[2]])
    out = run_cli(tmp_path, "convert", "mixed.tif", "one.zarr", "--codec", "hufflossless", "--series", "1")
    assert out.returncode == 0, out.stderr
    np.testing.assert_array_equal(zarr.open_array(tmp_path / "one.zarr", mode="r")[:], movie[1, :32])


def test_convert_planar_rgb_with_axes(tmp_path, movie):
    """Issue 5: refused as RGB, and --axes zyx did not override that."""
    import zarr

    write_planar_rgb(tmp_path / "three.tif", movie[:3])
    out = run_cli(tmp_path, "convert", "three.tif", "three.zarr", "--codec", "hufflossless", "--axes", "zyx")
    assert out.returncode == 0, out.stderr
    z = zarr.open_array(tmp_path / "three.zarr", mode="r")
    np.testing.assert_array_equal(z[:], movie[:3])
    assert list(z.metadata.dimension_names) == ["z", "y", "x"]
