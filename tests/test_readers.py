"""The readers of :mod:`pymecompress.io.readers`: Norpix ``.seq``, video, HDF5 and FITS.

Each format is written here with the field's own writer (PyAV, h5py, astropy; ``.seq`` by
:func:`pymecompress.io.readers.seq.write_seq`, which follows the published layout and is checked against
``pims.NorpixSeq`` where pims is installed), read back through :func:`open_source` and converted end to end with
``pymecompress convert --codec hufflossless``, whose output must equal the input planes. Truncated and corrupt
files give one :class:`InputError` (the cut and flip sweeps of ``test_sources``), and a missing library names the
``formats`` extra.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import run_cli
from pymecompress.io.readers.seq import write_seq
from pymecompress.io.sources import InputError, open_source
from test_sources import cut_points, read_all, sweep_cuts, sweep_flips

T0 = 1_700_000_000.0


@pytest.fixture(scope="module")
def movie16() -> np.ndarray:
    """6 frames of 24 x 20 12-bit camera counts."""
    return np.random.default_rng(11).integers(90, 4096, (6, 24, 20), dtype=np.uint16)


@pytest.fixture(scope="module")
def movie8() -> np.ndarray:
    return np.random.default_rng(12).integers(0, 256, (6, 24, 32), dtype=np.uint8)


def stamps(n: int, version: int = 5) -> list[float]:
    """Frame times 0.123456 s apart (microseconds from version 5, else milliseconds)."""
    step = 0.123456 if version >= 5 else 0.123
    return [T0 + round(k * step, 6) for k in range(n)]


def convert_lossless(tmp_path: Path, source: str, *args: str) -> np.ndarray:
    """``pymecompress convert SOURCE out.zarr --codec hufflossless``; the array written."""
    import zarr

    out = run_cli(tmp_path, "convert", source, "out.zarr", "--codec", "hufflossless", *args)
    assert out.returncode == 0, out.stderr
    return zarr.open_array(tmp_path / "out.zarr", mode="r")[:]


def refused_by_cli(tmp_path: Path, source: str, *args: str) -> str:
    """The one-line error of a convert that must fail (exit 2, nothing written)."""
    out = run_cli(tmp_path, "convert", source, "refused.zarr", "--codec", "hufflossless", *args)
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pymecompress convert: error: "), out.stderr
    assert not list(tmp_path.glob("*refused.zarr*"))
    return lines[0]


def refused(target, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        read_all(target, **kwargs)
    message = str(info.value)
    assert message and "\n" not in message
    return message


# ---------------------------------------------------------------------------------------------------------------
# Norpix .seq


@pytest.mark.parametrize("version", [3, 4, 5])
@pytest.mark.parametrize("depth", ["8", "12in16", "16"])
def test_seq_round_trip(tmp_path, movie8, movie16, version, depth):
    frames = movie8 if depth == "8" else movie16 if depth == "12in16" else movie16 * 16 + 7
    path = tmp_path / "m.seq"
    write_seq(str(path), frames, stamps(len(frames), version), version=version,
              bit_depth_real=12 if depth == "12in16" else None, padding=100 if version == 5 else 0)
    with open_source(path) as src:
        assert (src.kind, src.shape, src.dtype, src.axes) == ("seq", frames.shape, frames.dtype, "TYX")
        np.testing.assert_array_equal(src.read_planes([4, 0, 5]), frames[[4, 0, 5]])
        np.testing.assert_array_equal(src.read_planes(range(6)), frames)
        np.testing.assert_allclose(src.timestamps, stamps(len(frames), version), rtol=0, atol=1e-7)
        assert np.all(np.diff(src.timestamps) > 0)
        info = src.attributes["norpix_seq"]
        assert info["version"] == version and info["name"] == "Norpix seq"
        assert info["bit_depth_real"] == (12 if depth == "12in16" else 8 * frames.dtype.itemsize)


def test_seq_frame_count_from_the_file(tmp_path, movie16):
    """No allocated-frames count in the header: the frames the file holds, and a partial last frame refused."""
    path = tmp_path / "m.seq"
    write_seq(str(path), movie16, stamps(6), allocated=False, padding=24)
    assert read_all(path)[0] == movie16.shape
    data = path.read_bytes()
    path.write_bytes(data[:-100])  # inside the last frame's pixels
    assert "truncated" in refused(path)
    path.write_bytes(data + bytes(24))  # the last frame padded like the others
    np.testing.assert_array_equal(read_all(path)[2], movie16)


def test_seq_matches_pims(tmp_path, movie16):
    """An independent reader of the format (pims.NorpixSeq) reads the same frames and times from our test files."""
    pims = pytest.importorskip("pims")
    for version in (4, 5):
        path = tmp_path / f"v{version}.seq"
        write_seq(str(path), movie16, stamps(6, version), version=version, bit_depth_real=12)
        theirs = pims.NorpixSeq(str(path))
        try:
            with open_source(path) as src:
                assert len(theirs) == src.shape[0]
                for i in range(len(theirs)):
                    np.testing.assert_array_equal(np.asarray(theirs[i]), src.read_planes([i])[0])
                np.testing.assert_allclose(theirs.dump_times_float(), src.timestamps, rtol=0, atol=1e-6)
        finally:
            theirs.close()


def test_seq_refuses_colour_compressed_and_packed(tmp_path, movie8):
    path = tmp_path / "m.seq"
    write_seq(str(path), movie8, stamps(6))
    data = bytearray(path.read_bytes())
    colour = bytearray(data)
    colour[568:572] = (200).to_bytes(4, "little")
    path.write_bytes(colour)
    assert "BGR colour" in refused(path)
    compressed = bytearray(data)
    compressed[620:624] = (1).to_bytes(4, "little")
    path.write_bytes(compressed)
    assert "compressed" in refused(path)
    packed = bytearray(data)
    packed[556:560] = (12).to_bytes(4, "little")  # 12-bit pixels in 1 byte each: impossible
    path.write_bytes(packed)
    assert "8-bit and 16-bit" in refused(path)
    path.write_bytes(b"\xed\xfe\x00\x00" + bytes(100))
    assert "shorter than the header" in refused(path)
    path.write_bytes(bytes(1000))
    assert "not a Norpix .seq file" in refused(path)


@pytest.mark.parametrize("version", [4, 5])
def test_seq_cut_and_flipped(tmp_path, movie16, version):
    path = tmp_path / "m.seq"
    write_seq(str(path), movie16, stamps(6, version), version=version, padding=10)
    header = 8192 if version >= 5 else 1024
    step = movie16[0].nbytes + (8 if version >= 5 else 6) + 10
    structure = {header + k * step + d for k in range(7) for d in (-1, 0, 1, movie16[0].nbytes, step - 11)}
    sweep_cuts(path, path, movie16, cut_points(path.stat().st_size, structure))
    sweep_flips(path, path, range(0, 640))


def test_seq_convert(tmp_path, movie16):
    write_seq(str(tmp_path / "m.seq"), movie16, stamps(6))
    np.testing.assert_array_equal(convert_lossless(tmp_path, "m.seq"), movie16)
    (tmp_path / "cut.seq").write_bytes((tmp_path / "m.seq").read_bytes()[:-500])
    assert "truncated" in refused_by_cli(tmp_path, "cut.seq")


# ---------------------------------------------------------------------------------------------------------------
# HDF5


def test_hdf5_one_dataset_and_a_float_one(tmp_path, movie16):
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "scan.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("entry/instrument/detector/data", data=movie16, chunks=(2, 12, 20), compression="gzip")
        f.create_dataset("entry/dark_mean", data=movie16[0].astype(np.float32))  # not an image to convert
        f["entry/instrument/detector/data"].attrs["exposure_s"] = 0.01
    with open_source(path) as src:
        assert (src.kind, src.shape, src.dtype, src.dataset) == ("hdf5", movie16.shape, np.uint16,
                                                                 "/entry/instrument/detector/data")
        np.testing.assert_array_equal(src.read_planes([5, 1, 2]), movie16[[5, 1, 2]])
        assert src.attributes["hdf5"]["attrs"] == {"exposure_s": 0.01}
    np.testing.assert_array_equal(convert_lossless(tmp_path, "scan.h5"), movie16)


def test_hdf5_several_datasets_need_a_path(tmp_path, movie16, movie8):
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "two.h5"
    with h5py.File(path, "w") as f:
        f["a/frames"] = movie16
        f["b/frames"] = movie8
    message = refused(path)
    assert f"{path}:DATASET" in message and "/a/frames 6x24x20 uint16" in message and "/b/frames" in message
    np.testing.assert_array_equal(read_all(f"{path}:/b/frames")[2], movie8)
    np.testing.assert_array_equal(read_all(f"{path}:a/frames")[2], movie16)
    assert "no dataset /c" in refused(f"{path}:/c")
    assert "a group, not a dataset" in refused(f"{path}:/a")
    np.testing.assert_array_equal(convert_lossless(tmp_path, "two.h5:/b/frames"), movie8)
    assert "two.h5:DATASET" in refused_by_cli(tmp_path, "two.h5")


def test_hdf5_master_file_with_external_links(tmp_path, movie16):
    """A detector's master file links its data files (NeXus / Eiger layout): the linked datasets are found."""
    h5py = pytest.importorskip("h5py")
    for k in (1, 2):
        with h5py.File(tmp_path / f"data_00000{k}.h5", "w") as f:
            f["entry/data/data"] = movie16[3 * (k - 1):3 * k]
    with h5py.File(tmp_path / "master.h5", "w") as f:
        f["entry/data/data_000001"] = h5py.ExternalLink("data_000001.h5", "/entry/data/data")
        f["entry/data/data_000002"] = h5py.ExternalLink("data_000002.h5", "/entry/data/data")
        f["entry/data/missing"] = h5py.ExternalLink("gone.h5", "/entry/data/data")
        f["entry/data/again"] = h5py.SoftLink("/entry/data/data_000001")  # the same dataset under a second name
    message = refused(tmp_path / "master.h5")
    assert "holds 2 image datasets" in message and "/entry/data/data_000002 3x24x20 uint16" in message
    np.testing.assert_array_equal(read_all(f"{tmp_path / 'master.h5'}:/entry/data/data_000002")[2], movie16[3:])
    assert "links to a file that is missing" in refused(f"{tmp_path / 'master.h5'}:/entry/data/missing")
    np.testing.assert_array_equal(convert_lossless(tmp_path, "master.h5:entry/data/data_000001"), movie16[:3])


def test_hdf5_refuses_other_dtypes(tmp_path, movie16):
    h5py = pytest.importorskip("h5py")
    with h5py.File(tmp_path / "f.h5", "w") as f:
        f["data"] = movie16.astype(np.float32)
    assert "float32" in refused(tmp_path / "f.h5")
    with h5py.File(tmp_path / "i.h5", "w") as f:
        f["data"] = movie16.astype(np.int32)
    assert "int32" in refused(tmp_path / "i.h5")
    with h5py.File(tmp_path / "e.h5", "w") as f:
        f["data"] = np.arange(5, dtype=np.uint16)
    assert "no image dataset" in refused(tmp_path / "e.h5")


def test_hdf5_reads_whole_chunks_once(tmp_path):
    """Plane after plane of a 4-D dataset chunked (2, 3, Y/2, X): every chunk read from the file once."""
    h5py = pytest.importorskip("h5py")
    data = np.random.default_rng(3).integers(0, 65535, (4, 5, 16, 8), dtype=np.uint16)
    with h5py.File(tmp_path / "c.h5", "w") as f:
        f.create_dataset("data", data=data, chunks=(2, 3, 8, 8), compression="gzip")
    with open_source(tmp_path / "c.h5") as src:
        reads = []
        real = src._ds

        class Counting:
            def __getitem__(self, sel):
                reads.append(sel)
                return real[sel]

        src._ds = Counting()
        got = src.read_planes(range(src.n_planes)).reshape(data.shape)
        np.testing.assert_array_equal(got, data)
        # slabs of 2 x 5 planes: the chunks' extent along the first axis, every plane along the second
        assert reads == [(slice(0, 2), slice(0, 5)), (slice(2, 4), slice(0, 5))]
        np.testing.assert_array_equal(src.read_planes([19, 0, 7]), data.reshape(20, 16, 8)[[19, 0, 7]])


def test_hdf5_filter_from_hdf5plugin(tmp_path, movie16):
    """Detectors write bitshuffle-LZ4 or Blosc datasets; hdf5plugin (the formats extra) decodes them."""
    h5py = pytest.importorskip("h5py")
    hdf5plugin = pytest.importorskip("hdf5plugin")
    with h5py.File(tmp_path / "bs.h5", "w") as f:
        f.create_dataset("data", data=movie16, chunks=(1, 24, 20), **hdf5plugin.Bitshuffle(cname="lz4"))
    np.testing.assert_array_equal(read_all(tmp_path / "bs.h5")[2], movie16)


@pytest.mark.parametrize("layout", ["contiguous", "chunked"])
def test_hdf5_cut_and_flipped(tmp_path, movie16, layout):
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "m.h5"
    with h5py.File(path, "w") as f:
        if layout == "chunked":
            f.create_dataset("data", data=movie16, chunks=(2, 12, 20), compression="gzip")
        else:
            f["data"] = movie16
    sweep_cuts(path, path, movie16, cut_points(path.stat().st_size))
    sweep_flips(path, path, range(0, 96))  # the superblock and the root group's header


def test_formats_extra_named_when_a_library_is_missing(tmp_path, monkeypatch, movie16):
    h5py = pytest.importorskip("h5py")
    with h5py.File(tmp_path / "m.h5", "w") as f:
        f["data"] = movie16
    write_seq(str(tmp_path / "m.seq"), movie16, stamps(6))
    for module in ("h5py", "astropy.io.fits", "av"):
        monkeypatch.setitem(sys.modules, module, None)
    assert 'pip install "pymecompress[formats]"' in refused(tmp_path / "m.h5")
    for name in ("m.fits", "m.mkv"):
        (tmp_path / name).write_bytes(b"\0" * 100)
        assert 'pip install "pymecompress[formats]"' in refused(tmp_path / name)
    np.testing.assert_array_equal(read_all(tmp_path / "m.seq")[2], movie16)  # .seq needs no library


# ---------------------------------------------------------------------------------------------------------------
# FITS


def test_fits_uint16_through_bzero(tmp_path, movie16):
    """astropy stores uint16 as int16 with BZERO 32768 (as HST and most cameras do): read back as uint16."""
    fits = pytest.importorskip("astropy.io.fits")
    data = movie16 * 16  # values above 32767
    primary = fits.PrimaryHDU(data)
    primary.header["EXPTIME"] = (0.05, "seconds")
    primary.header["HISTORY"] = "written by the test"
    primary.writeto(tmp_path / "cam.fits")
    with fits.open(tmp_path / "cam.fits", do_not_scale_image_data=True) as raw:
        assert (raw[0].header["BITPIX"], raw[0].header["BZERO"], raw[0].data.dtype.kind) == (16, 32768, "i")
    with open_source(tmp_path / "cam.fits") as src:
        assert (src.kind, src.shape, src.dtype) == ("fits", data.shape, np.uint16)
        np.testing.assert_array_equal(src.read_planes([3, 0]), data[[3, 0]])
        header = src.attributes["fits"][0]["header"]
        assert header["EXPTIME"] == 0.05 and header["HISTORY"] == ["written by the test"]
    np.testing.assert_array_equal(convert_lossless(tmp_path, "cam.fits"), data)


def test_fits_dtypes(tmp_path, movie8, movie16):
    fits = pytest.importorskip("astropy.io.fits")
    fits.PrimaryHDU(movie8).writeto(tmp_path / "u8.fits")
    np.testing.assert_array_equal(read_all(tmp_path / "u8.fits")[2], movie8)
    fits.PrimaryHDU(movie16.astype(np.int16)).writeto(tmp_path / "i16.fits")
    assert "int16" in refused(tmp_path / "i16.fits")
    scaled = fits.PrimaryHDU(movie16.astype(np.int16))
    scaled.header["BSCALE"], scaled.header["BZERO"] = 2.0, 0.0
    scaled.writeto(tmp_path / "bscale.fits")
    assert "float" in refused(tmp_path / "bscale.fits")
    fits.PrimaryHDU(movie16.astype(np.float32)).writeto(tmp_path / "f.fits")
    assert "no image HDU with integer data" in refused(tmp_path / "f.fits")


def test_fits_extensions_stack_or_are_chosen(tmp_path, movie16):
    fits = pytest.importorskip("astropy.io.fits")
    exposures = [fits.ImageHDU(movie16[k], name="SCI", ver=k + 1) for k in range(3)]
    fits.HDUList([fits.PrimaryHDU(), *exposures]).writeto(tmp_path / "three.fits")
    with open_source(tmp_path / "three.fits") as src:
        assert src.shape == (3, *movie16.shape[1:])
        np.testing.assert_array_equal(src.read_planes(range(3)), movie16[:3])
        assert [h["index"] for h in src.hdus] == [1, 2, 3]
        assert [a["index"] for a in src.attributes["fits"]] == [0, 1, 2, 3]
    np.testing.assert_array_equal(read_all(f"{tmp_path / 'three.fits'}:SCI,2")[2], movie16[1])
    np.testing.assert_array_equal(read_all(f"{tmp_path / 'three.fits'}:3")[2], movie16[2])
    np.testing.assert_array_equal(convert_lossless(tmp_path, "three.fits"), movie16[:3])

    dq = fits.ImageHDU(movie16[0].astype(np.int16), name="DQ")
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(movie16, name="SCI"), dq]).writeto(tmp_path / "sci_dq.fits")
    message = refused(tmp_path / "sci_dq.fits")
    assert "different shapes or dtypes" in message and "1: SCI 6x24x20" in message and ":EXTNAME" in message
    np.testing.assert_array_equal(read_all(f"{tmp_path / 'sci_dq.fits'}:sci")[2], movie16)
    assert "no HDU named CAL" in refused(f"{tmp_path / 'sci_dq.fits'}:CAL")
    assert "no HDU 7" in refused(f"{tmp_path / 'sci_dq.fits'}:7")
    assert "holds no image" in refused(f"{tmp_path / 'sci_dq.fits'}:0")
    assert "sci_dq.fits:EXTNAME" in refused_by_cli(tmp_path, "sci_dq.fits")
    np.testing.assert_array_equal(convert_lossless(tmp_path, "sci_dq.fits:SCI", "--overwrite"), movie16)


def test_fits_tile_compressed(tmp_path, movie16):
    fits = pytest.importorskip("astropy.io.fits")
    fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(movie16, compression_type="RICE_1")]).writeto(
        tmp_path / "c.fits.fz")
    np.testing.assert_array_equal(read_all(tmp_path / "c.fits.fz")[2], movie16)


@pytest.mark.parametrize("layout", ["primary", "extensions", "compressed"])
def test_fits_cut_and_flipped(tmp_path, movie16, layout):
    fits = pytest.importorskip("astropy.io.fits")
    path = tmp_path / "m.fits"
    if layout == "primary":
        fits.PrimaryHDU(movie16).writeto(path)
        expected = movie16
    elif layout == "extensions":
        primary = fits.PrimaryHDU()
        primary.header["NEXTEND"] = 3  # without it, a file cut between HDUs is a valid FITS file of fewer HDUs
        fits.HDUList([primary, *(fits.ImageHDU(f) for f in movie16[:3])]).writeto(path)
        expected = movie16[:3]
    else:
        fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(movie16)]).writeto(path)
        expected = movie16
    sweep_cuts(path, path, expected, cut_points(path.stat().st_size, range(0, path.stat().st_size, 2880)))
    # keyword and value columns of the first 16 cards (the structural keywords) of the first two headers
    sweep_flips(path, path, [h + k for h in (0, 2880) for k in range(16 * 80) if k % 80 < 30])


# ---------------------------------------------------------------------------------------------------------------
# video


def write_video(path: Path, frames: np.ndarray, codec: str, pix_fmt: str, rate: int = 10,
                options: dict | None = None) -> None:
    """Encode ``frames`` ((t, y, x) grey, (t, y, x, 3) RGB, or (t, 3y/2, x) yuv420p planes) with PyAV."""
    av = pytest.importorskip("av")
    source_format = {2: "gray16le" if frames.dtype == np.uint16 else "gray", 3: "rgb24"}[frames.ndim - 1] \
        if pix_fmt != "yuv420p" else "yuv420p"
    height = frames.shape[1] * 2 // 3 if pix_fmt == "yuv420p" else frames.shape[1]
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate, options=options or {})
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], height, pix_fmt
        for frame in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format=source_format)))
        out.mux(stream.encode())


@pytest.mark.parametrize("kind", ["ffv1_mkv", "rawvideo_avi", "ffv1_16bit_mkv", "ffv1_avi"])
def test_video_grey_round_trip(tmp_path, movie8, movie16, kind):
    frames = movie16 * 16 if kind == "ffv1_16bit_mkv" else movie8
    path = tmp_path / f"grey.{kind.rsplit('_', 1)[1]}"
    codec = "rawvideo" if kind.startswith("rawvideo") else "ffv1"
    write_video(path, frames, codec, "gray16le" if frames.dtype == np.uint16 else "gray")
    with open_source(path) as src:
        assert (src.kind, src.shape, src.dtype, src.axes) == ("video", frames.shape, frames.dtype, "TYX")
        np.testing.assert_array_equal(src.read_planes([1, 4]), frames[[1, 4]])
        np.testing.assert_array_equal(src.read_planes([0]), frames[[0]])  # back to the start
        np.testing.assert_array_equal(src.read_planes([5, 2, 3]), frames[[5, 2, 3]])
        np.testing.assert_allclose(src.timestamps, np.arange(len(frames)) / 10, atol=1e-9)
        assert src.attributes["video"]["codec"] == codec
    np.testing.assert_array_equal(convert_lossless(tmp_path, path.name), frames)


@pytest.fixture(scope="module")
def colour() -> np.ndarray:
    return np.random.default_rng(5).integers(0, 256, (5, 16, 24, 3), dtype=np.uint8)


def test_colour_video_refused_or_one_channel(tmp_path, colour):
    path = tmp_path / "colour.mkv"
    write_video(path, colour, "ffv1", "bgr0")  # lossless RGB
    message = refused(path)
    assert "colour video (bgr0)" in message and f"{path}:r" in message and "axes='tcyx'" in message
    for channel, k in (("r", 0), ("g", 1), ("B", 2), ("1", 1)):
        with open_source(f"{path}:{channel}") as src:
            assert (src.shape, src.dtype) == (colour.shape[:3], np.uint8)
            np.testing.assert_array_equal(src.read_planes(range(5)), colour[..., k])
    with open_source(path, axes="tcyx") as src:
        assert (src.shape, src.axes) == ((5, 3, 16, 24), "TCYX")
        np.testing.assert_array_equal(src.read_planes(range(15)).reshape(src.shape), np.moveaxis(colour, -1, 1))
    assert "no channel 'q'" in refused(f"{path}:q")
    assert "luma plane of YUV video" in refused(f"{path}:y")

    line = refused_by_cli(tmp_path, "colour.mkv")
    assert "colour video" in line and "colour.mkv:r" in line
    np.testing.assert_array_equal(convert_lossless(tmp_path, "colour.mkv:g"), colour[..., 1])
    z = convert_lossless(tmp_path, "colour.mkv", "--axes", "tcyx", "--overwrite")
    np.testing.assert_array_equal(z, np.moveaxis(colour, -1, 1))
    out = run_cli(tmp_path, "convert", "colour.mkv:g", "q.zarr", "--offset", "0", "--gain", "1")
    assert out.returncode == 2 and "not camera counts" in out.stderr  # never a noise-bounded codec on colour


def test_16bit_colour_channels(tmp_path):
    """Colour deeper than 8 bits (FFV1 gbrp16le) gives uint16 channels, exactly."""
    rgb = np.random.default_rng(1).integers(0, 65536, (4, 16, 24, 3), dtype=np.uint16)
    av = pytest.importorskip("av")
    with av.open(str(tmp_path / "c16.mkv"), "w") as out:
        stream = out.add_stream("ffv1", rate=10)
        stream.width, stream.height, stream.pix_fmt = 24, 16, "gbrp16le"
        for frame in rgb:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb48le")))
        out.mux(stream.encode())
    for channel, k in (("r", 0), ("g", 1), ("b", 2)):
        shape, _, data = read_all(f"{tmp_path / 'c16.mkv'}:{channel}")
        assert data.dtype == np.uint16
        np.testing.assert_array_equal(data, rgb[..., k])
    np.testing.assert_array_equal(read_all(tmp_path / "c16.mkv", axes="tcyx")[2], np.moveaxis(rgb, -1, 1))


def test_grey_content_in_yuv_reads_its_luma(tmp_path, movie8):
    """H.264 in MP4 (lossless, qp 0) of grey frames stored as yuv420p: ':y' gives the luma plane as stored."""
    planes = np.concatenate([movie8, np.full((6, 12, 32), 128, np.uint8)], axis=1)  # Y, then neutral U and V
    path = tmp_path / "h264.mp4"
    write_video(path, planes, "libx264", "yuv420p", options={"qp": "0", "preset": "ultrafast"})
    assert "colour video (yuv420p)" in refused(path)
    with open_source(f"{path}:y") as src:
        assert (src.shape, src.dtype) == (movie8.shape, np.uint8)
        np.testing.assert_array_equal(src.read_planes(range(6)), movie8)


def test_grey_video_has_no_channels(tmp_path, movie8):
    write_video(tmp_path / "grey.mkv", movie8, "ffv1", "gray")
    assert "has one channel" in refused(f"{tmp_path / 'grey.mkv'}:g")
    np.testing.assert_array_equal(read_all(f"{tmp_path / 'grey.mkv'}:y")[2], movie8)


def test_variable_frame_rate_timestamps(tmp_path, movie8):
    """Frames at irregular times (a camera that dropped frames): every frame read, its time kept, not refused as
    truncated although the frames do not fill duration / rate."""
    av = pytest.importorskip("av")
    times = [0, 1, 3, 7, 8, 12]  # in tenths of a second
    path = tmp_path / "vfr.mkv"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("ffv1", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 24, "gray"
        for frame, t in zip(movie8, times, strict=True):
            vf = av.VideoFrame.from_ndarray(frame, format="gray")
            vf.pts = t
            out.mux(stream.encode(vf))
        out.mux(stream.encode())
    with open_source(path) as src:
        np.testing.assert_allclose(src.timestamps, np.array(times) / 10, atol=1e-9)
        np.testing.assert_array_equal(src.read_planes(range(6)), movie8)


@pytest.mark.parametrize("kind", ["rawvideo_avi", "ffv1_mkv", "ffv1_mp4"])
def test_video_cut_and_flipped(tmp_path, movie8, kind):
    codec, container = kind.split("_")
    path = tmp_path / f"m.{container}"
    write_video(path, movie8, codec, "gray")
    sweep_cuts(path, path, movie8, cut_points(path.stat().st_size))
    sweep_flips(path, path, range(0, 256))


@pytest.mark.parametrize("container", ["mkv", "mp4", "avi"])
def test_video_convert_refuses_truncated(tmp_path, movie8, container):
    """One line on stderr (FFmpeg's own log stays quiet), exit 2, nothing written."""
    write_video(tmp_path / f"full.{container}", movie8, "ffv1", "gray")
    data = (tmp_path / f"full.{container}").read_bytes()
    (tmp_path / f"cut.{container}").write_bytes(data[: len(data) * 2 // 3])
    assert re.search("truncated|corrupt|damaged", refused_by_cli(tmp_path, f"cut.{container}"))


def test_not_a_video(tmp_path):
    pytest.importorskip("av")
    (tmp_path / "x.avi").write_bytes(b"RIFF" + bytes(200))
    assert "not a readable video" in refused(tmp_path / "x.avi")


# ---------------------------------------------------------------------------------------------------------------
# dispatch and the command line


def test_parts_and_series_only_where_they_apply(tmp_path, movie16):
    import tifffile

    tifffile.imwrite(tmp_path / "m.tif", movie16)
    assert "selects a part of an HDF5 file, a FITS file or a video" in refused(f"{tmp_path / 'm.tif'}:/data")
    write_seq(str(tmp_path / "m.seq"), movie16, stamps(6))
    assert "leave out ':1'" in refused(f"{tmp_path / 'm.seq'}:1")
    assert "series=0 applies to TIFF files only" in refused(tmp_path / "m.seq", series=0)
    # a file whose name holds a colon is the file, not FILE:PART
    write_seq(str(tmp_path / "run:1.seq"), movie16, stamps(6))
    np.testing.assert_array_equal(read_all(tmp_path / "run:1.seq")[2], movie16)
    # formats are recognised by their first bytes whatever the suffix
    write_seq(str(tmp_path / "movie.dat"), movie16, stamps(6))
    assert read_all(tmp_path / "movie.dat")[0] == movie16.shape


@pytest.mark.parametrize("kind", ["seq", "hdf5", "fits", "video"])
def test_convert_bounded_memory(tmp_path, kind):
    """A 500 MB input of each format converts with a peak RSS far below its size (as for .npy in test_cli_tools;
    the libraries of these formats add 15-20 MB, and the sanitizer build of CI about 60 MB, to the baseline)."""
    import subprocess

    from helpers import blob_scene, simulate_scmos

    n, ny, nx = 240, 1024, 1024
    pool = simulate_scmos((4, ny, nx), blob_scene((ny, nx)), offset=100, gain=2.2, read_noise=1.5, seed=5)
    camera = ["--offset", "100", "--gain", "2.2", "--read-noise", "1.5"]
    if kind in ("seq", "fits"):
        big = np.lib.format.open_memmap(tmp_path / "big.npy", mode="w+", dtype=np.uint16, shape=(n, ny, nx))
        for i in range(0, n, 4):
            big[i:i + 4] = pool
        if kind == "seq":
            write_seq(str(tmp_path / "in.seq"), big, [T0 + k for k in range(n)])
        else:
            pytest.importorskip("astropy.io.fits").PrimaryHDU(big).writeto(tmp_path / "in.fits")
        del big
        (tmp_path / "big.npy").unlink()
    elif kind == "hdf5":
        h5py = pytest.importorskip("h5py")
        with h5py.File(tmp_path / "in.h5", "w") as f:
            ds = f.create_dataset("data", (n, ny, nx), np.uint16, chunks=(4, 256, 256))
            for i in range(0, n, 4):
                ds[i:i + 4] = pool
    else:
        av = pytest.importorskip("av")
        n, camera = 480, ["--codec", "hufflossless"]
        grey = (pool // 16).astype(np.uint8)
        with av.open(str(tmp_path / "in.avi"), "w") as out:
            stream = out.add_stream("rawvideo", rate=10)
            stream.width, stream.height, stream.pix_fmt = nx, ny, "gray"
            for k in range(n):
                out.mux(stream.encode(av.VideoFrame.from_ndarray(grey[k % 4], format="gray")))
            out.mux(stream.encode())
    source = next(p.name for p in tmp_path.iterdir() if p.name.startswith("in."))
    input_mb = (tmp_path / source).stat().st_size / 1e6
    probe = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
             "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "pymecompress", "convert", source,
                          "out.zarr", *camera, "--threads", "2"], capture_output=True, text=True, cwd=tmp_path)
    code, peak_kib = map(int, out.stdout.split()[-2:])
    assert code == 0, out.stderr
    peak_mb = peak_kib * 1024 / 1e6
    assert input_mb > 450 and peak_mb < min(250.0, input_mb / 2), f"peak RSS {peak_mb:.0f} MB for {input_mb:.0f} MB"


def test_help_lists_the_formats(tmp_path):
    out = run_cli(tmp_path, "convert", "--help")
    assert out.returncode == 0
    text = " ".join(out.stdout.split())
    for needle in ("Norpix StreamPix .seq", "HDF5", "scan.h5:/entry/data", "FITS", "image.fits:SCI,2", "video",
                   "movie.mp4:r", "--axes tcyx", 'pip install "pymecompress[formats]"'):
        assert needle in text, needle


def test_calibrate_reads_a_seq_movie(tmp_path):
    """calibrate goes through the same dispatch: a simulated sCMOS movie in a .seq file gives its gain back."""
    from helpers import blob_scene, simulate_scmos

    frames = simulate_scmos((24, 64, 64), blob_scene((64, 64)), offset=100, gain=2.2, read_noise=1.5)
    write_seq(str(tmp_path / "cam.seq"), frames, stamps(24))
    out = run_cli(tmp_path, "calibrate", "cam.seq")
    assert out.returncode == 0, out.stderr
    gain = float(re.search(r"gain\s*: ([\d.]+)", out.stdout).group(1))
    assert abs(gain - 2.2) < 0.2, out.stdout


def test_convert_keeps_timestamps_and_headers(tmp_path) -> None:
    """The source's metadata lands in the output's attributes, timestamps following --frames."""
    import zarr

    from helpers import run_cli
    from pymecompress.io.readers.seq import write_seq

    frames = (np.random.default_rng(3).poisson(30, (6, 32, 40)) * 2 + 100).astype(np.uint16)
    stamps = [1.7e9 + k / 50 for k in range(6)]
    write_seq(tmp_path / "movie.seq", frames, stamps)
    result = run_cli(tmp_path, "convert", "movie.seq", "movie.zarr", "--codec", "hufflossless", "--frames", "1::2")
    assert result.returncode == 0, result.stderr
    kept = zarr.open_array(tmp_path / "movie.zarr").attrs["pymecompress"]
    assert kept["source"]["kind"] == "seq" and "norpix_seq" in kept["source"]["attributes"]
    assert kept["timestamps"]["values"] == pytest.approx(stamps[1::2])


def test_real_hst_raw_fits(tmp_path) -> None:
    """A real HST STIS raw exposure (tests/data/camera): its SCI extension, int16 + BZERO 32768 on disk, converts
    as uint16 exactly with a lossless codec and within one noise sigma with huffquant16 (STIS CCDGAIN 4 e-/ADU)."""
    pytest.importorskip("astropy")
    import zarr
    from astropy.io import fits

    from helpers import DATA, run_cli
    from pymecompress.camera import CameraModel

    path = DATA / "hst_stis_o4sp040b0_raw.fits"
    sci = fits.getdata(path, "SCI")
    assert sci.dtype == np.uint16 and sci.shape == (44, 62)
    lossless = run_cli(tmp_path, "convert", f"{path}:SCI", "lossless.zarr", "--codec", "hufflossless")
    assert lossless.returncode == 0, lossless.stderr
    np.testing.assert_array_equal(zarr.open_array(tmp_path / "lossless.zarr")[:], sci)
    camera = CameraModel(offset=1480.0, gain=0.25, read_noise=4.0)
    bounded = run_cli(tmp_path, "convert", f"{path}:SCI", "bounded.zarr", "--offset", "1480", "--gain", "0.25",
                      "--read-noise", "4", "--force")
    assert bounded.returncode == 0, bounded.stderr
    assert camera.error_sigmas(sci, zarr.open_array(tmp_path / "bounded.zarr")[:]).max() <= 1.0 + 1e-12
