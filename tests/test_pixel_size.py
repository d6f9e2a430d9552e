"""Pixel sizes: read from TIFF / OME-TIFF / ImageJ metadata, given with ``--pixel-size``, carried through the
transforms, stored with units by ``convert`` (OME-Zarr scales and axes, or a plain array's attributes) and read
back with :func:`pymecompress.zarr.ome.pixel_size_of`."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tifffile
import zarr

from helpers import run_cli
from pymecompress.io.sources import PixelSize, length_unit, open_source
from pymecompress.io.transforms import TransformedSource, Transforms
from pymecompress.tools.convert import convert
from pymecompress.tools.info import describe_input, pixel_size_summary
from pymecompress.zarr import ome

STACK = (np.arange(3 * 16 * 12, dtype=np.uint16).reshape(3, 16, 12) % 50 + 100)


def write_tiff(path, **kwargs) -> str:
    """``STACK`` written with ``tifffile.imwrite(**kwargs)`` as grey planes; the path as a string."""
    tifffile.imwrite(path, STACK, **{"photometric": "minisblack", **kwargs})
    return str(path)


def pixel_size(path) -> PixelSize | None:
    with open_source(path) as src:
        return src.pixel_size


# --- reading ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("metadata", "expected"), [
    ({"PhysicalSizeX": 0.108, "PhysicalSizeY": 0.11}, PixelSize(0.11, 0.108, "micrometer")),  # OME's default: µm
    ({"PhysicalSizeX": 0.108, "PhysicalSizeXUnit": "µm", "PhysicalSizeY": 0.108, "PhysicalSizeYUnit": "µm"},
     PixelSize(0.108, 0.108, "micrometer")),
    ({"PhysicalSizeX": 65, "PhysicalSizeXUnit": "nm", "PhysicalSizeY": 70, "PhysicalSizeYUnit": "nm"},
     PixelSize(70, 65, "nanometer")),
    ({"PhysicalSizeX": 65, "PhysicalSizeXUnit": "nm", "PhysicalSizeY": 0.07, "PhysicalSizeYUnit": "µm"},
     PixelSize(70, 65, "nanometer")),  # different units: both in X's
    ({"PhysicalSizeX": 0.002, "PhysicalSizeXUnit": "mm", "PhysicalSizeY": 0.002, "PhysicalSizeYUnit": "mm"},
     PixelSize(0.002, 0.002, "millimeter")),
], ids=["default-unit", "micrometre", "nanometre", "mixed-units", "millimetre"])
def test_ome_tiff_physical_size(tmp_path, metadata, expected) -> None:
    path = write_tiff(tmp_path / "a.ome.tif", metadata={"axes": "ZYX", **metadata})
    found = pixel_size(path)
    assert found == expected
    assert found.origin == "the OME-XML's PhysicalSizeX/Y"


@pytest.mark.parametrize("metadata", [
    {"PhysicalSizeX": 0.108},  # Y unknown: not assumed square
    {"PhysicalSizeX": 1, "PhysicalSizeXUnit": "pixel", "PhysicalSizeY": 1, "PhysicalSizeYUnit": "pixel"},
    {"PhysicalSizeX": 1, "PhysicalSizeXUnit": "reference frame", "PhysicalSizeY": 1,
     "PhysicalSizeYUnit": "reference frame"},
    {},
], ids=["x-only", "pixel-unit", "reference-frame", "none"])
def test_ome_tiff_without_usable_size(tmp_path, metadata) -> None:
    path = write_tiff(tmp_path / "a.ome.tif", metadata={"axes": "ZYX", **metadata})
    assert pixel_size(path) is None


@pytest.mark.parametrize("unit", ["um", "micron", "\\u00B5m", "microns"])  # ImageJ escapes µ: ASCII
def test_imagej_calibration(tmp_path, unit) -> None:
    path = write_tiff(tmp_path / "ij.tif", imagej=True, resolution=(1 / 0.2, 1 / 0.2), metadata={"unit": unit})
    found = pixel_size(path)
    assert found == PixelSize(0.2, 0.2, "micrometer")
    assert "ImageJ" in found.origin


def test_imagej_non_square_and_nanometres(tmp_path) -> None:
    path = write_tiff(tmp_path / "ij.tif", imagej=True, resolution=(1 / 65, 1 / 80), metadata={"unit": "nm"})
    assert pixel_size(path) == PixelSize(80, 65, "nanometer")  # resolution is (X, Y)


def test_imagej_without_calibration(tmp_path) -> None:
    assert pixel_size(write_tiff(tmp_path / "ij.tif", imagej=True)) is None
    assert pixel_size(write_tiff(tmp_path / "px.tif", imagej=True, resolution=(2, 2),
                                 metadata={"unit": "pixel"})) is None


@pytest.mark.parametrize(("resolution", "unit", "expected"), [
    ((10000, 5000), "CENTIMETER", PixelSize(2, 1, "micrometer")),  # 1 µm across, 2 µm down
    ((2540, 2540), "INCH", PixelSize(10, 10, "micrometer")),
    ((500, 500), "MILLIMETER", PixelSize(2, 2, "micrometer")),
])
def test_resolution_tags(tmp_path, resolution, unit, expected) -> None:
    found = pixel_size(write_tiff(tmp_path / "r.tif", resolution=resolution, resolutionunit=unit))
    assert found == expected
    assert "XResolution/YResolution" in found.origin


@pytest.mark.parametrize("kwargs", [
    {},  # tifffile writes 1 pixel per (no) unit
    {"resolution": (5, 5), "resolutionunit": "NONE"},
    {"resolution": (72, 72), "resolutionunit": "INCH"},
    {"resolution": (96, 96), "resolutionunit": "INCH"},
    {"resolution": (1, 1), "resolutionunit": "CENTIMETER"},
], ids=["default", "unit-none", "72dpi", "96dpi", "one-per-cm"])
def test_meaningless_resolution(tmp_path, kwargs) -> None:
    assert pixel_size(write_tiff(tmp_path / "r.tif", **kwargs)) is None


def test_odd_metadata_never_fails_a_read(tmp_path) -> None:
    path = write_tiff(tmp_path / "odd.tif", resolution=(0, 1), resolutionunit="CENTIMETER")  # 0 pixels per cm
    with open_source(path) as src:
        assert src.pixel_size is None
        np.testing.assert_array_equal(src.read_planes([2])[0], STACK[2])


def test_frames_take_the_first_file(tmp_path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(3):
        tifffile.imwrite(folder / f"f{i}.tif", STACK[i], imagej=True, resolution=(10, 10), metadata={"unit": "um"})
    assert pixel_size(folder) == PixelSize(0.1, 0.1)


def test_other_kinds_have_none(tmp_path) -> None:
    np.save(tmp_path / "a.npy", STACK)
    assert pixel_size(tmp_path / "a.npy") is None


# --- the value itself ------------------------------------------------------------------------------------------


def test_units_are_ngff_names() -> None:
    assert PixelSize(1, 1, "um").unit == "micrometer"
    assert [length_unit(u) for u in ("nm", "mm", "Mm", "micrometre", "Å", "inches", "pixel", "", None)] == [
        "nanometer", "millimeter", "megameter", "micrometer", "angstrom", "inch", None, None, None]


@pytest.mark.parametrize(("y", "x", "unit"), [(0, 1, "um"), (-1, 1, "um"), (1, float("nan"), "um"), (True, 1, "um"),
                                              (1, 1, "pixel")])
def test_pixel_size_refuses_nonsense(y, x, unit) -> None:
    with pytest.raises(ValueError, match="pixel size along|not a length unit"):
        PixelSize(y, x, unit)


@pytest.mark.parametrize(("text", "message"), [
    ("0", "must be > 0"), ("-0.1", "must be > 0"), ("0.1,0", "must be > 0"), ("1,2,3", "one number .* or two"),
    ("abc", "'abc' is not a number"), ("0.1,", "'' is not a number"), ("inf", "finite"),
])
def test_parse_errors(text, message) -> None:
    with pytest.raises(ValueError, match=message):
        PixelSize.parse(text)


def test_parse() -> None:
    assert PixelSize.parse("0.108") == PixelSize(0.108, 0.108)
    assert PixelSize.parse(" 0.108 , 0.11 ") == PixelSize(0.108, 0.11)
    assert PixelSize.parse("108", "nm") == PixelSize(108, 108, "nanometer")
    with pytest.raises(ValueError, match="unit 'pixel' is not a length unit"):
        PixelSize.parse("1", "pixel")


# --- transforms ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "expected"), [
    ({"bin": 2}, (0.2, 0.3)),
    ({"bin": 3, "bin_mode": "mean"}, (0.3, 0.45)),
    ({"rotate": 90}, (0.15, 0.1)),
    ({"rotate": 270, "bin": 2}, (0.3, 0.2)),
    ({"rotate": 180}, (0.1, 0.15)),
    ({"frames": "1:3", "crop": "2:10,1:9", "flip": "xy"}, (0.1, 0.15)),
])
def test_transforms_carry_the_size(tmp_path, args, expected) -> None:
    path = write_tiff(tmp_path / "a.ome.tif", metadata={"axes": "ZYX", "PhysicalSizeY": 0.1, "PhysicalSizeX": 0.15})
    with TransformedSource(open_source(path), Transforms.parse(**args)) as src:
        assert (src.pixel_size.y, src.pixel_size.x, src.pixel_size.unit) == (*expected, "micrometer")


def test_transforms_without_a_size(tmp_path) -> None:
    np.save(tmp_path / "a.npy", STACK)
    with TransformedSource(open_source(tmp_path / "a.npy"), Transforms(bin=2, rotate=90)) as src:
        assert src.pixel_size is None


# --- stored by convert -----------------------------------------------------------------------------------------


def ome_tiff(tmp_path) -> str:
    return write_tiff(tmp_path / "cells.ome.tif",
                      metadata={"axes": "ZYX", "PhysicalSizeX": 65, "PhysicalSizeXUnit": "nm", "PhysicalSizeY": 65,
                                "PhysicalSizeYUnit": "nm"})


@pytest.mark.parametrize("ngff", ["0.4", "0.5"])
def test_convert_ome_stores_scales_and_units(tmp_path, ngff) -> None:
    out = tmp_path / "cells.zarr"
    summary = convert(ome_tiff(tmp_path), out, codec="hufflossless", ome_zarr=True, ngff_version=ngff, levels=2,
                      progress=False)
    group = zarr.open_group(out, mode="r")
    attrs = group.attrs.asdict()
    ms = (attrs["multiscales"] if ngff == "0.4" else attrs["ome"]["multiscales"])[0]
    assert ms["axes"] == [{"name": "z", "type": "space"}, {"name": "y", "type": "space", "unit": "nanometer"},
                          {"name": "x", "type": "space", "unit": "nanometer"}]
    scales = [d["coordinateTransformations"][0]["scale"] for d in ms["datasets"]]
    assert scales == [[1.0, 65.0, 65.0], [1.0, 130.0, 130.0], [1.0, 260.0, 260.0]]
    assert "pixel_size" not in attrs["pymecompress"]  # an OME-Zarr image keeps it in its multiscales
    assert ome.pixel_size_of(group) == PixelSize(65, 65, "nanometer")
    assert ome.pixel_size_of(out) == PixelSize(65, 65, "nanometer")
    assert summary.pixel_size == PixelSize(65, 65, "nanometer")
    assert "pixel size  : 65 nanometer (the OME-XML's PhysicalSizeX/Y)" in summary.format()
    assert pixel_size_summary(out) == ("pixel size: 65 nanometer (from the OME-Zarr multiscales scale and axis "
                                       "units)")


def test_convert_plain_stores_an_attribute(tmp_path) -> None:
    path = write_tiff(tmp_path / "ij.tif", imagej=True, resolution=(1 / 0.1, 1 / 0.15), metadata={"unit": "um"})
    out = tmp_path / "plain.zarr"
    convert(path, out, codec="hufflossless", transforms=Transforms(bin=2), progress=False)
    arr = zarr.open_array(out, mode="r")
    assert arr.attrs["pymecompress"]["pixel_size"] == {"y": 0.3, "x": 0.2, "unit": "micrometer"}
    assert ome.pixel_size_of(arr) == PixelSize(0.3, 0.2)
    assert ome.pixel_size_of(str(out)) == PixelSize(0.3, 0.2)


def test_hdf5_element_size(tmp_path) -> None:
    """An HDF5 dataset's element_size_um (micrometres per axis; its last two are y and x) is the pixel size, and
    convert stores it; missing, short or non-positive sizes give none."""
    h5py = pytest.importorskip("h5py")
    data = np.arange(2 * 16 * 24, dtype=np.uint16).reshape(2, 16, 24)
    path = tmp_path / "stack.h5"
    with h5py.File(path, "w") as f:
        f["good"] = data
        f["good"].attrs["element_size_um"] = np.array([2.0, 0.11, 0.108])
        for name, sizes in (("none", None), ("short", np.array([0.1])), ("zero", np.array([1.0, 0.0, 0.1]))):
            f[name] = data
            if sizes is not None:
                f[name].attrs["element_size_um"] = sizes
    with open_source(f"{path}:good") as src:
        assert src.pixel_size == PixelSize(0.11, 0.108) and "element_size_um" in src.pixel_size.origin
    for name in ("none", "short", "zero"):
        with open_source(f"{path}:{name}") as src:
            assert src.pixel_size is None, name
    out = tmp_path / "h5.zarr"
    convert(f"{path}:good", out, codec="hufflossless", progress=False)
    assert ome.pixel_size_of(zarr.open_array(out, mode="r")) == PixelSize(0.11, 0.108)


def test_convert_to_zip_reads_back(tmp_path) -> None:
    out = tmp_path / "cells.zarr.zip"
    convert(ome_tiff(tmp_path), out, codec="hufflossless", ome_zarr=True, progress=False)
    assert ome.pixel_size_of(out) == PixelSize(65, 65, "nanometer")


def test_pixel_size_argument_overrides_the_file(tmp_path) -> None:
    out = tmp_path / "o.zarr"
    given = PixelSize(0.1, 0.12, "micrometer")
    summary = convert(ome_tiff(tmp_path), out, codec="hufflossless", ome_zarr=True, levels=1, pixel_size=given,
                      transforms=Transforms(rotate=90), progress=False)
    assert summary.pixel_size == PixelSize(0.12, 0.1)  # given for the input's pixels; the rotation swaps them
    assert "instead of 65 nanometer from the OME-XML's PhysicalSizeX/Y" in summary.pixel_size.origin
    assert ome.pixel_size_of(out) == PixelSize(0.12, 0.1)
    with pytest.raises(TypeError, match="pixel_size must be a pymecompress.io.sources.PixelSize"):
        convert(ome_tiff(tmp_path), tmp_path / "p.zarr", codec="hufflossless", pixel_size=(0.1, 0.1))


def test_without_pixel_size_output_is_unchanged(tmp_path) -> None:
    np.save(tmp_path / "a.npy", STACK)
    convert(tmp_path / "a.npy", tmp_path / "o.zarr", codec="hufflossless", ome_zarr=True, levels=1, progress=False)
    group = zarr.open_group(tmp_path / "o.zarr", mode="r")
    ms = group.attrs["multiscales"][0]
    assert ms == ome.multiscales("tyx", 2, "o", "0.4", "mean")
    assert all("unit" not in axis for axis in ms["axes"])
    assert [d["coordinateTransformations"][0]["scale"] for d in ms["datasets"]] == [[1.0, 1.0, 1.0], [1.0, 2.0, 2.0]]
    assert ome.pixel_size_of(group) is None
    summary = convert(tmp_path / "a.npy", tmp_path / "p.zarr", codec="hufflossless", progress=False)
    assert set(zarr.open_array(tmp_path / "p.zarr").attrs["pymecompress"]) == {"source"}
    assert ome.pixel_size_of(tmp_path / "p.zarr") is None and summary.pixel_size is None
    assert "pixel size  : none" in summary.format()


def test_pixel_size_of_ignores_unitless_and_damaged_metadata(tmp_path) -> None:
    group = zarr.open_group(tmp_path / "g.zarr", mode="w", zarr_format=2)
    group.attrs["multiscales"] = [ome.multiscales("yx", 1, "g", "0.4", "mean")]
    assert ome.pixel_size_of(group) is None  # scales without units are pixel counts
    ms = ome.multiscales("yx", 1, "g", "0.4", "mean", PixelSize(2, 2, "um"))
    ms["datasets"][0]["coordinateTransformations"][0]["scale"] = [0, "x"]
    group.attrs["multiscales"] = [ms]
    assert ome.pixel_size_of(group) is None
    group.attrs.put({"pymecompress": {"pixel_size": {"y": -1, "x": 1, "unit": "um"}}})
    assert ome.pixel_size_of(group) is None


def test_multiscale_level_scale_is_applied(tmp_path) -> None:
    """A store written elsewhere may scale the whole multiscale too (NGFF allows it)."""
    group = zarr.open_group(tmp_path / "g.zarr", mode="w", zarr_format=2)
    ms = ome.multiscales("zyx", 1, "g", "0.4", "mean", PixelSize(0.5, 0.5, "um"))
    ms["coordinateTransformations"] = [{"type": "scale", "scale": [1.0, 2.0, 2.0]}]
    group.attrs["multiscales"] = [ms]
    assert ome.pixel_size_of(group) == PixelSize(1, 1, "um")


# --- command line ----------------------------------------------------------------------------------------------


def test_cli_pixel_size(tmp_path) -> None:
    path = ome_tiff(tmp_path)
    done = run_cli(tmp_path, "convert", path, "o.zarr", "--codec", "hufflossless", "--pixel-size", "0.108,0.11",
                   "--bin", "2", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "pixel size  : y 0.216, x 0.22 micrometer (--pixel-size, instead of 65 nanometer" in done.stdout
    attrs = json.loads((tmp_path / "o.zarr" / "zarr.json").read_text())["attributes"]
    assert attrs["pymecompress"]["pixel_size"] == {"y": 0.216, "x": 0.22, "unit": "micrometer"}
    done = run_cli(tmp_path, "convert", path, "n.zarr", "--codec", "hufflossless", "--pixel-size", "100",
                   "--pixel-unit", "nm", "--ome", "--quiet")
    assert done.returncode == 0, done.stderr
    assert ome.pixel_size_of(tmp_path / "n.zarr") == PixelSize(100, 100, "nanometer")
    info = run_cli(tmp_path, "info", "n.zarr")
    assert "pixel size: 100 nanometer" in info.stdout
    info = run_cli(tmp_path, "info", path)
    assert "pixel size: 65 nanometer (from the OME-XML's PhysicalSizeX/Y)" in info.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--pixel-size", "0"], "argument --pixel-size: must be > 0, got '0'"),
    (["--pixel-size=-0.1"], "argument --pixel-size: must be > 0, got '-0.1'"),
    (["--pixel-size", "1,2,3"], "argument --pixel-size: takes one number (square pixels) or two (Y,X), got 3"),
    (["--pixel-size", "small"], "argument --pixel-size: 'small' is not a number"),
    (["--pixel-size", "1", "--pixel-unit", "pixel"], "argument --pixel-unit: 'pixel' is not a length unit"),
    (["--pixel-unit", "nm"], "--pixel-unit nanometer applies to --pixel-size, which is missing"),
])
def test_cli_pixel_size_errors(tmp_path, args, message) -> None:
    done = run_cli(tmp_path, "convert", ome_tiff(tmp_path), "o.zarr", "--codec", "hufflossless", *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert not (tmp_path / "o.zarr").exists()


def test_describe_input_shows_the_size(tmp_path) -> None:
    path = write_tiff(tmp_path / "r.tif", resolution=(10000, 10000), resolutionunit="CENTIMETER")
    assert "pixel size: 1 micrometer (from the TIFF's XResolution/YResolution (per centimeter))" in \
        describe_input(path)
    assert "pixel size" not in describe_input(write_tiff(tmp_path / "plain.tif"))
