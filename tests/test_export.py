"""pymecompress export: frame counts and sizes of the videos PyAV reads back, pixel values of the lossless outputs
(FFV1 AVI, GIF, PNG, TIFF) against the contrast and colormap asked for (computed here independently), the choice
of planes of tzyx stacks, several inputs side by side with their difference, and the refusals."""

from __future__ import annotations

import os
import subprocess
import sys

import matplotlib
import numpy as np
import pytest
import tifffile

from helpers import ROOT

av = pytest.importorskip("av")

import pymecompress  # noqa: E402
from pymecompress.io.sources import InputError  # noqa: E402
from pymecompress.tools.convert import convert  # noqa: E402
from pymecompress.tools.exporter import ExportOptions, export  # noqa: E402
from pymecompress.tools.exporter.inputs import open_frames  # noqa: E402

SMLM = ROOT / "tests" / "data" / "camera" / "smlm_sdt_pMHC_AF647_10x128x128.tif"
SMLM_CAMERA = {"offset": 205.0, "gain": 17.0}


def decoded_frames(path) -> list[np.ndarray]:
    with av.open(os.fspath(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def expected_rgb(frame: np.ndarray, low: float, high: float, colormap: str = "gray", gamma: float = 1.0):
    """What the contrast and colormap asked for make of ``frame``, computed without the exporter's code."""
    norm = np.clip((frame.astype(np.float64) - low) / (high - low), 0, 1) ** gamma
    index = np.rint(norm * 255).astype(int)
    if colormap == "gray":
        return np.repeat(index[..., None], 3, axis=2).astype(np.uint8)
    colours = matplotlib.colormaps[colormap](np.arange(256) / 255)[:, :3]
    return np.rint(colours[index] * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The real single-molecule movie compressed by convert, and the raw TIFF beside it."""
    folder = tmp_path_factory.mktemp("export")
    store = folder / "smlm.zarr"
    convert(str(SMLM), str(store), camera=SMLM_CAMERA, progress=False)
    return SMLM, store


@pytest.mark.parametrize("suffix", ["mp4", "gif", "webm"])
def test_a_converted_real_movie_exports(converted, tmp_path, suffix):
    _, store = converted
    out = tmp_path / f"movie.{suffix}"
    summary = export(store, out, progress=False)
    frames = decoded_frames(out)
    assert len(frames) == summary.frames == 10
    assert frames[0].shape == (128, 128, 3) and summary.size == (128, 128)


def test_raw_and_compressed_side_by_side_with_their_difference(converted, tmp_path):
    raw, store = converted
    out = tmp_path / "both.mp4"
    summary = export([raw, store], out, difference=True, frame_index=True, time=True, progress=False)
    frames = decoded_frames(out)
    assert len(frames) == 10
    assert summary.size == (128 + summary_title(summary), 3 * 128 + 2 * 4)
    assert frames[0].shape[:2] == summary.size


def summary_title(summary) -> int:
    return summary.size[0] - 128


def test_lossless_avi_has_the_contrast_and_colormap_asked_for(converted, tmp_path):
    raw, store = converted
    out = tmp_path / "lossless.avi"
    export(store, out, contrast="200,400", colormap="viridis", gamma=0.7, progress=False)
    with open_frames(store) as movie:
        originals = [movie.read(t) for t in range(len(movie))]
    frames = decoded_frames(out)
    assert len(frames) == 10
    for got, frame in zip(frames, originals, strict=True):
        np.testing.assert_array_equal(got, expected_rgb(frame, 200, 400, "viridis", 0.7))


def test_gif_keeps_the_colormap_as_its_palette(tmp_path):
    movie = np.random.default_rng(1).integers(0, 4096, (4, 40, 60), dtype=np.uint16)
    np.save(tmp_path / "m.npy", movie)
    export(tmp_path / "m.npy", tmp_path / "m.gif", contrast="0,4095", colormap="magma", progress=False)
    frames = decoded_frames(tmp_path / "m.gif")
    assert len(frames) == 4
    for got, frame in zip(frames, movie, strict=True):
        np.testing.assert_array_equal(got, expected_rgb(frame, 0, 4095, "magma"))


def test_png_frames_and_auto_contrast(tmp_path):
    from PIL import Image

    movie = np.arange(3 * 20 * 30, dtype=np.uint16).reshape(3, 20, 30)
    np.save(tmp_path / "m.npy", movie)
    summary = export(tmp_path / "m.npy", tmp_path / "frames", progress=False)
    (low, high), = summary.ranges
    assert low == pytest.approx(np.percentile(movie, 0.1)) and high == pytest.approx(np.percentile(movie, 99.9))
    names = sorted(os.listdir(tmp_path / "frames"))
    assert names == ["frame_00000.png", "frame_00001.png", "frame_00002.png"]
    got = np.asarray(Image.open(tmp_path / "frames" / names[2]).convert("RGB"))
    np.testing.assert_array_equal(got, expected_rgb(movie[2], low, high))


def test_raw_tiff_of_a_selection(tmp_path):
    movie = np.random.default_rng(2).integers(0, 65535, (12, 32, 40), dtype=np.uint16)
    np.save(tmp_path / "m.npy", movie)
    export(tmp_path / "m.npy", tmp_path / "part.ome.tif", frames="2:10:3", crop="4:20,8:", progress=False)
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "part.ome.tif"), movie[2:10:3, 4:20, 8:])
    export(tmp_path / "m.npy", tmp_path / "binned.tif", bin=2, progress=False)
    sums = movie.reshape(12, 16, 2, 20, 2).sum(axis=(2, 4), dtype=np.int64)
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "binned.tif"), (sums + 2) // 4)


def test_planes_of_tzyx_and_tczyx_stacks(tmp_path):
    rng = np.random.default_rng(3)
    tzyx = rng.integers(0, 1000, (3, 5, 16, 24), dtype=np.uint16)
    np.save(tmp_path / "tzyx.npy", tzyx)
    export(tmp_path / "tzyx.npy", tmp_path / "max.tif", axes="tzyx", progress=False)
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "max.tif"), tzyx.max(axis=1))
    export(tmp_path / "tzyx.npy", tmp_path / "z3.tif", axes="tzyx", z=3, progress=False)
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "z3.tif"), tzyx[:, 3])
    tczyx = rng.integers(0, 1000, (2, 2, 3, 16, 24), dtype=np.uint16)
    np.save(tmp_path / "tczyx.npy", tczyx)
    summary = export(tmp_path / "tczyx.npy", tmp_path / "c1.tif", channel=1, progress=False)
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "c1.tif"), tczyx[:, 1].max(axis=1))
    assert summary.notes == ["channel 1 of 2", "z: maximum projection over 3 planes"]
    czyx = rng.integers(0, 1000, (2, 4, 16, 24), dtype=np.uint16)  # a z-stack of two channels, no time
    np.save(tmp_path / "czyx.npy", czyx)
    summary = export(tmp_path / "czyx.npy", tmp_path / "zstack.tif", axes="czyx", channel=1, progress=False)
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "zstack.tif"), czyx[1])  # frames along z
    assert summary.notes == ["channel 1 of 2", "frames along z"]
    export(tmp_path / "czyx.npy", tmp_path / "channels.tif", axes="czyx", project="max", progress=False)
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "channels.tif"), czyx.max(axis=1))
    with pytest.raises(InputError, match="out of range"):
        export(tmp_path / "tzyx.npy", tmp_path / "bad.tif", axes="tzyx", z=5, progress=False)
    with pytest.raises(InputError, match="no channel axis"):
        export(tmp_path / "tzyx.npy", tmp_path / "bad.tif", axes="tzyx", channel=0, progress=False)


def test_difference_panel_values(tmp_path):
    a = np.full((2, 8, 10), 500, np.uint16)
    b = a.copy()
    b[:, :, :5] -= 20
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    summary = export([tmp_path / "a.npy", tmp_path / "b.npy"], tmp_path / "d.avi", difference=True, titles=[],
                     contrast="400,600", progress=False)
    frame = decoded_frames(tmp_path / "d.avi")[0]
    assert summary.size == (8, 3 * 10 + 2 * 4)
    diff_panel = frame[:, 2 * (10 + 4):2 * (10 + 4) + 10, 0].astype(int)
    # fixed contrast 400..600: the difference spans +-100 around the middle of the colormap
    expected = np.rint((np.where(np.arange(10) < 5, 20, 0) / 100 + 1) / 2 * 255)
    np.testing.assert_array_equal(diff_panel, np.broadcast_to(expected, (8, 10)))


def test_refusals(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((3, 8, 8), np.uint16))
    np.save(tmp_path / "b.npy", np.zeros((4, 8, 8), np.uint16))
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    with pytest.raises(InputError, match="different numbers of frames"):
        export([a, b], tmp_path / "x.mp4", progress=False)
    with pytest.raises(ValueError, match="exactly two"):
        export(a, tmp_path / "x.mp4", difference=True, progress=False)
    with pytest.raises(ValueError, match="raw values of one input"):
        export([a, a], tmp_path / "x.tif", progress=False)
    with pytest.raises(ValueError, match="not .mov"):
        export(a, tmp_path / "x.mov", progress=False)
    with pytest.raises(InputError, match="give pixel_size"):
        export(a, tmp_path / "x.mp4", scale_bar=True, progress=False)
    with pytest.raises(ValueError, match="MIN,MAX"):
        export(a, tmp_path / "x.mp4", contrast="bright", progress=False)
    with pytest.raises(ValueError, match="unknown colormap"):
        export(a, tmp_path / "x.mp4", colormap="no-such-map", progress=False)
    with pytest.raises(TypeError, match="unknown options"):
        export(a, tmp_path / "x.mp4", colour="red")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    with pytest.raises(FileExistsError, match="not an empty folder"):
        export(a, tmp_path / "full", progress=False)


def test_scale_bar_and_text_draw_on_the_picture(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((2, 60, 200), np.uint16))
    export(tmp_path / "a.npy", tmp_path / "plain.avi", contrast="0,100", progress=False)
    export(tmp_path / "a.npy", tmp_path / "bar.avi", contrast="0,100", scale_bar=True, pixel_size=0.1,
           frame_index=True, progress=False)
    plain, bar = decoded_frames(tmp_path / "plain.avi")[0], decoded_frames(tmp_path / "bar.avi")[0]
    assert not plain.any()
    # the bar: 0.2 x 200 px x 0.1 um = 4 um -> a nice length of 2 um = 20 pixels, in white
    rows = np.flatnonzero((bar[:, :, 0] == 255).sum(axis=1) == 20)
    assert rows.size >= 2
    assert bar[:20, :60].any()  # "frame 0" at the top left


def test_timestamps_of_a_store_give_the_time(tmp_path):
    import zarr

    from pymecompress.tools.exporter.inputs import frame_times

    arr = zarr.create_array(tmp_path / "t.zarr", shape=(3, 8, 8), dtype="uint16", chunks=(1, 8, 8))
    arr.attrs["pymecompress"] = {"timestamps": {"axis": 0, "unit": "s", "values": [10.0, 10.5, 11.25]}}
    with open_frames(tmp_path / "t.zarr") as movie:
        np.testing.assert_allclose(frame_times(movie, fps=30), [0.0, 0.5, 1.25])
    np.save(tmp_path / "n.npy", np.zeros((3, 8, 8), np.uint16))
    with open_frames(tmp_path / "n.npy") as movie:
        np.testing.assert_allclose(frame_times(movie, fps=4), [0.0, 0.25, 0.5])


def test_public_function_and_options():
    assert pymecompress.export is export
    with pytest.raises(ValueError, match="fps"):
        ExportOptions(fps=0).check()


def test_cli(tmp_path):
    np.save(tmp_path / "a.npy", np.random.default_rng(4).integers(0, 100, (3, 16, 16), dtype=np.uint16))
    run = [sys.executable, "-m", "pymecompress", "export"]
    out = subprocess.run([*run, "a.npy", "a.gif", "--zoom", "2", "--colormap", "viridis"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "wrote a.gif (gif): 3 frames of 32 x 32 pixels at 10 fps" in out.stdout
    assert len(decoded_frames(tmp_path / "a.gif")) == 3
    bad = subprocess.run([*run, "a.npy", "a.mov"], cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode == 2 and "pymecompress export: error:" in bad.stderr and ".mp4" in bad.stderr
    alone = subprocess.run([*run, "a.npy"], cwd=tmp_path, capture_output=True, text=True)
    assert alone.returncode == 2 and "OUT" in alone.stderr


def test_clahe_and_grid(tmp_path):
    from skimage.exposure import equalize_adapthist

    movie = np.random.default_rng(5).integers(0, 1000, (2, 48, 64), dtype=np.uint16)
    np.save(tmp_path / "m.npy", movie)
    export(tmp_path / "m.npy", tmp_path / "c.avi", contrast="0,1000", clahe=0.02, progress=False)
    norm = np.clip(movie[1] / 1000.0, 0, 1)
    index = np.rint(equalize_adapthist(norm, clip_limit=0.02) * 255).astype(np.uint8)
    np.testing.assert_array_equal(decoded_frames(tmp_path / "c.avi")[1][:, :, 0], index)
    summary = export([tmp_path / "m.npy"] * 3, tmp_path / "g.mp4", grid=(2, 2), titles=[], progress=False)
    assert summary.size == (2 * 48 + 4, 2 * 64 + 4)
    with pytest.raises(ValueError, match="cannot hold"):
        export([tmp_path / "m.npy"] * 3, tmp_path / "g2.mp4", grid=(1, 2), progress=False)


def test_scale_bar_from_the_pixel_size_convert_stored(tmp_path):
    movie = np.zeros((2, 60, 200), np.uint16)
    tifffile.imwrite(tmp_path / "m.ome.tif", movie, metadata={"axes": "TYX", "PhysicalSizeX": 0.05,
                                                              "PhysicalSizeY": 0.05})
    convert(str(tmp_path / "m.ome.tif"), str(tmp_path / "m.zarr"), codec="hufflossless", progress=False)
    export(tmp_path / "m.zarr", tmp_path / "bar.avi", contrast="0,100", scale_bar=True, bin=2, progress=False)
    bar = decoded_frames(tmp_path / "bar.avi")[0]
    # 100 binned pixels of 0.1 um: a fifth is 2 um, drawn as 20 pixels
    assert np.flatnonzero((bar[:, :, 0] == 255).sum(axis=1) == 20).size >= 2


@pytest.mark.parametrize("name", ["old.gif", "old.ome.tif", "frames"])
def test_a_failed_export_leaves_the_old_output_and_nothing_else(tmp_path, monkeypatch, name):
    """The output is written beside under a hidden name: a read error part-way through the movie leaves an existing
    output as it was and no partial file; a finished export replaces it."""
    from pymecompress.tools.exporter import inputs

    movie = np.random.default_rng(5).integers(0, 4096, (6, 24, 32), dtype=np.uint16)
    np.save(tmp_path / "m.npy", movie)
    out = tmp_path / name
    if name == "frames":
        out.mkdir()  # an empty folder may take the PNG frames
    else:
        out.write_bytes(b"the old output")
    before = sorted(os.listdir(tmp_path))
    real_read = inputs.FrameReader.read

    def fail_at_frame_3(self, t):
        if t == 3:
            raise OSError("the disk went away")
        return real_read(self, t)

    with monkeypatch.context() as patch:
        patch.setattr(inputs.FrameReader, "read", fail_at_frame_3)
        with pytest.raises(OSError, match="went away"):  # a fixed contrast: no frame is read before writing
            export(tmp_path / "m.npy", out, contrast="0,4095", progress=False)
    assert sorted(os.listdir(tmp_path)) == before  # no partial output beside it
    assert (os.listdir(out) == []) if name == "frames" else (out.read_bytes() == b"the old output")
    summary = export(tmp_path / "m.npy", out, progress=False)
    assert summary.out == str(out) and summary.frames == 6 and sorted(os.listdir(tmp_path)) == before
    if name == "old.ome.tif":
        np.testing.assert_array_equal(tifffile.imread(out), movie)
    elif name == "frames":
        assert len(os.listdir(out)) == 6
    else:
        assert len(decoded_frames(out)) == 6
