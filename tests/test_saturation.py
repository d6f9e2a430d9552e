"""The saturation value end to end: what each file format states (TIFF MaxSampleValue / BitsPerSample, the ``.seq``
real bit depth, FITS SATURATE / DATAMAX), what ``convert`` takes (``--saturation`` over the calibration file over the
file over the dtype's maximum), that saturated pixels and zeros come back exactly, that pixels above the value are
counted and warned about, and that ``calibrate --out`` stores the value ``convert --calibration`` then uses.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import tifffile
import zarr

from helpers import run_cli
from pymecompress.calibration_file import load_calibration
from pymecompress.io.readers.seq import write_seq
from pymecompress.io.sources import Saturation, open_source
from pymecompress.io.tiff import _tiff_saturation
from pymecompress.tools.convert import convert

OFFSET, GAIN, READ_NOISE = 100.0, 1.0, 1.6
CAMERA = {"offset": OFFSET, "gain": GAIN, "read_noise": READ_NOISE}


def twelve_bit_movie(frames: int = 12, shape: tuple[int, int] = (48, 64), seed: int = 3) -> np.ndarray:
    """A 12-bit camera's movie: a dim gradient, a bright blob clipped at 4095, and a few dark zeros (a dead
    column)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.indices(shape)
    photons = 40 + 30 * xx / shape[1] + 9000 * np.exp(-((yy - 20) ** 2 + (xx - 40) ** 2) / 30.0)
    electrons = rng.poisson(np.broadcast_to(photons, (frames, *shape)))
    adu = OFFSET + GAIN * electrons + rng.normal(0, READ_NOISE * GAIN, (frames, *shape))
    movie = np.clip(np.rint(adu), 0, 4095).astype(np.uint16)
    movie[:, :, 3] = 0
    return movie


@pytest.fixture(scope="module")
def movie() -> np.ndarray:
    data = twelve_bit_movie()
    assert (data == 4095).sum() > 50 and (data == 0).sum() > 50
    return data


def stored_config(path) -> dict:
    return json.loads((path / "zarr.json").read_text())["codecs"][-1]["configuration"]


# -- what the files state ----------------------------------------------------------------------------------------

def test_tiff_max_sample_value(tmp_path, movie):
    tifffile.imwrite(tmp_path / "m.tif", movie, extratags=[(281, "H", 1, 4095, True)])
    with open_source(tmp_path / "m.tif") as src:
        assert src.saturation == Saturation(4095, "the TIFF's MaxSampleValue (4095)")
    tifffile.imwrite(tmp_path / "plain.tif", movie)
    with open_source(tmp_path / "plain.tif") as src:
        assert src.saturation is None  # BitsPerSample 16 says nothing below the uint16 maximum


def test_tiff_bits_per_sample():
    """Fewer BitsPerSample than the dtype holds (packed 12-bit pages): their largest value (tifffile needs
    imagecodecs to read such pages, so the rule is checked on the page's fields)."""
    page = SimpleNamespace(tags={}, bitspersample=12)
    assert _tiff_saturation(page, np.dtype("uint16")) == Saturation(4095, "the TIFF's BitsPerSample (12)")
    assert _tiff_saturation(SimpleNamespace(tags={}, bitspersample=16), np.dtype("uint16")) is None
    tag = SimpleNamespace(value=(4000, 4000, 4000))
    assert _tiff_saturation(SimpleNamespace(tags={281: tag}, bitspersample=12), np.dtype("uint16")).value == 4000


def test_seq_real_bit_depth(tmp_path, movie):
    write_seq(str(tmp_path / "m.seq"), movie, [1e9 + k for k in range(len(movie))], bit_depth_real=12)
    with open_source(tmp_path / "m.seq") as src:
        assert src.saturation == Saturation(4095, "the .seq header's real bit depth (12)")
    write_seq(str(tmp_path / "full.seq"), movie, [1e9 + k for k in range(len(movie))])
    with open_source(tmp_path / "full.seq") as src:
        assert src.saturation is None


def test_fits_saturate_and_datamax(tmp_path, movie):
    fits = pytest.importorskip("astropy.io.fits")
    hdu = fits.PrimaryHDU(movie)
    hdu.header["SATURATE"] = 4000.5  # pixels at or above it: from 4001
    hdu.writeto(tmp_path / "sat.fits")
    with open_source(tmp_path / "sat.fits") as src:
        assert src.saturation == Saturation(4001, "the FITS keyword SATURATE (4000.5)")
    hdu = fits.PrimaryHDU(movie)
    hdu.header["DATAMAX"] = 4095
    hdu.writeto(tmp_path / "max.fits")
    with open_source(tmp_path / "max.fits") as src:
        assert src.saturation.value == 4095
    # two extensions of different full scales: the larger (a smaller one would clip the other's pixels)
    primary = fits.PrimaryHDU()
    a, b = fits.ImageHDU(movie[:2]), fits.ImageHDU(movie[2:4])
    a.header["SATURATE"], b.header["SATURATE"] = 3000, 4095
    fits.HDUList([primary, a, b]).writeto(tmp_path / "two.fits")
    with open_source(tmp_path / "two.fits") as src:
        assert src.saturation.value == 4095
    b.header.remove("SATURATE")
    fits.HDUList([primary, a, b]).writeto(tmp_path / "one.fits")
    with open_source(tmp_path / "one.fits") as src:
        assert src.saturation is None  # one extension states none: its pixels may go beyond the other's value


def test_binning_by_sums_drops_the_value(tmp_path, movie):
    from pymecompress.io.transforms import Transforms, apply

    tifffile.imwrite(tmp_path / "m.tif", movie, extratags=[(281, "H", 1, 4095, True)])
    with apply(open_source(tmp_path / "m.tif"), Transforms.parse(bin=2, bin_mode="mean")) as src:
        assert src.saturation.value == 4095
    with apply(open_source(tmp_path / "m.tif"), Transforms.parse(bin=2, bin_mode="sum")) as src:
        assert src.saturation is None


# -- convert -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("step", [1.0, 2.0])
def test_convert_keeps_saturation_and_zeros_exact(tmp_path, movie, step):
    tifffile.imwrite(tmp_path / "m.tif", movie, extratags=[(281, "H", 1, 4095, True)])
    summary = convert(tmp_path / "m.tif", tmp_path / "m.zarr", camera=CAMERA, step=step, progress=False)
    decoded = zarr.open_array(tmp_path / "m.zarr", mode="r")[:]
    assert np.array_equal(decoded == 4095, movie == 4095)
    assert np.array_equal(decoded == 0, movie == 0)
    assert stored_config(tmp_path / "m.zarr")["saturation"] == 4095
    assert summary.saturation.value == 4095 and summary.saturation.at_or_above == int((movie == 4095).sum())
    assert "saturation  : 4095 ADU (the TIFF's MaxSampleValue (4095)), kept exact" in summary.format()
    assert not summary.warnings


def test_convert_order_of_sources_and_pixels_above(tmp_path, movie):
    """``saturation=`` over the calibration file's over the file's; pixels above it are stored as it, counted and
    warned about."""
    tifffile.imwrite(tmp_path / "m.tif", movie, extratags=[(281, "H", 1, 4095, True)])
    summary = convert(tmp_path / "m.tif", tmp_path / "a.zarr", camera={**CAMERA, "saturation": 4000},
                      progress=False)
    assert summary.saturation.value == 4000 and summary.saturation.origin == "the calibration file"
    summary = convert(tmp_path / "m.tif", tmp_path / "b.zarr", camera={**CAMERA, "saturation": 4000},
                      saturation=3900, progress=False)
    above = int((movie > 3900).sum())
    assert summary.saturation.value == 3900 and summary.saturation.above == above > 0
    assert any(f"{above} pixels read above the saturation value 3900 ADU (the saturation argument)" in w
               for w in summary.warnings), summary.warnings
    decoded = zarr.open_array(tmp_path / "b.zarr", mode="r")[:]
    assert np.array_equal(decoded == 3900, movie >= 3900) and decoded.max() == 3900


def test_convert_without_a_stated_value_uses_the_dtype_maximum(tmp_path, movie):
    np.save(tmp_path / "m.npy", movie)
    summary = convert(tmp_path / "m.npy", tmp_path / "m.zarr", camera=CAMERA, progress=False)
    assert summary.saturation.value == 65535 and summary.saturation.origin == "the uint16 maximum"
    assert summary.saturation.at_or_above == 0


def test_convert_refuses_saturation_it_cannot_use(tmp_path, movie):
    np.save(tmp_path / "m.npy", movie)
    with pytest.raises(ValueError, match="^saturation applies to the noise-bounded codecs"):
        convert(tmp_path / "m.npy", tmp_path / "l.zarr", codec="hufflossless", saturation=4095, progress=False)
    np.save(tmp_path / "m8.npy", (movie >> 4).astype(np.uint8))
    with pytest.raises(ValueError, match=r"within 1\.\.255 ADU for uint8 data, got 4095"):
        convert(tmp_path / "m8.npy", tmp_path / "q.zarr", camera={"offset": 6, "gain": 1 / 16},
                saturation=4095, progress=False)
    assert not list(tmp_path.glob("*.zarr"))


def test_calibrate_stores_the_value_and_convert_uses_it(tmp_path, movie):
    tifffile.imwrite(tmp_path / "m.tif", movie, extratags=[(281, "H", 1, 4095, True)])
    out = run_cli(tmp_path, "calibrate", "m.tif", "--out", "cal.json")
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "cal.json").read_text())["saturation"] == 4095
    assert load_calibration(tmp_path / "cal.json")["saturation"] == 4095
    out = run_cli(tmp_path, "calibrate", "m.tif", "--saturation", "4090", "--out", "cal2.json")
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "cal2.json").read_text())["saturation"] == 4090
    out = run_cli(tmp_path, "convert", "m.tif", "m.zarr", "--calibration", "cal2.json", "--force")
    assert out.returncode == 0, out.stderr
    assert "saturation  : 4090 ADU (the calibration file), kept exact" in out.stdout, out.stdout
    assert "read above the saturation value 4090" in out.stderr
    assert stored_config(tmp_path / "m.zarr")["saturation"] == 4090


def test_cli_saturation_option(tmp_path, movie):
    np.save(tmp_path / "m.npy", movie)
    out = run_cli(tmp_path, "convert", "m.npy", "m.zarr", "--offset", "100", "--gain", "1", "--read-noise", "1.6",
                  "--saturation", "4095")
    assert out.returncode == 0, out.stderr
    assert "saturation  : 4095 ADU (the saturation argument), kept exact" in out.stdout
    decoded = zarr.open_array(tmp_path / "m.zarr", mode="r")[:]
    assert np.array_equal(decoded == 4095, movie == 4095)
    out = run_cli(tmp_path, "convert", "m.npy", "l.zarr", "--codec", "hufflossless", "--saturation", "4095")
    assert out.returncode == 2 and "error: saturation applies to the noise-bounded codecs" in out.stderr
