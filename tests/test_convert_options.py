"""convert's options as one value (ConvertOptions): the same result as keywords, fields replacing an options
value's, and errors that name the field, not a command-line flag."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import zarr

from pymecompress.tools.convert import ConvertOptions, convert

CAMERA = {"offset": 100.0, "gain": 2.0, "read_noise": 1.5}


@pytest.fixture
def movie(tmp_path):
    data = (np.random.default_rng(3).poisson(40, (6, 48, 40)) * 2 + 100).astype(np.uint16)
    path = tmp_path / "movie.npy"
    np.save(path, data)
    return path


def _stored(path) -> tuple[np.ndarray, dict]:
    arr = zarr.open_array(str(path))
    return arr[:], arr.metadata.to_dict()


def test_options_value_and_keywords_write_the_same_store(movie, tmp_path):
    options = ConvertOptions(camera=CAMERA, chunks="2,24,40", threads=2, progress=False)
    by_options = convert(movie, tmp_path / "a.zarr", options)
    by_keywords = convert(movie, tmp_path / "b.zarr", camera=CAMERA, chunks="2,24,40", threads=2, progress=False)
    (a, meta_a), (b, meta_b) = _stored(tmp_path / "a.zarr"), _stored(tmp_path / "b.zarr")
    assert np.array_equal(a, b) and meta_a == meta_b
    assert by_options.codec == by_keywords.codec == "huffquant16" and by_options.camera == by_keywords.camera


def test_fields_replace_those_of_the_options(movie, tmp_path):
    options = ConvertOptions(camera=CAMERA, chunks="2,24,40", progress=False)
    convert(movie, tmp_path / "c.zarr", options, chunks="3,48,40", codec="hufflossless")
    arr = zarr.open_array(str(tmp_path / "c.zarr"))
    assert arr.chunks == (3, 48, 40) and np.array_equal(arr[:], np.load(movie))  # lossless
    assert options.chunks == "2,24,40"  # the options value itself is unchanged (frozen)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.threads = 4  # type: ignore[misc]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("threads", 0, "threads must be >= 1, got 0"),
    ("threads", True, "threads must be >= 1, got True"),
    ("binning", "max", "binning must be one of mean, sum, got 'max'"),
    ("ngff_version", "0.6", "ngff_version must be 0.4 or 0.5, got '0.6'"),
    ("codec", "zstd", "unknown codec 'zstd'"),
])
def test_errors_name_the_field(movie, tmp_path, field, value, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")) as info:
        ConvertOptions(**{field: value})
    assert "--" not in str(info.value)
    with pytest.raises(ValueError, match=message.split(",")[0]):  # the same through convert's keywords
        convert(movie, tmp_path / "d.zarr", **{field: value})
    assert not (tmp_path / "d.zarr").exists()


def test_unknown_field_is_refused(movie, tmp_path):
    with pytest.raises(TypeError, match="thread"):
        convert(movie, tmp_path / "e.zarr", thread=2)
