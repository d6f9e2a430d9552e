"""Errors raised by the library name the Python parameter the caller gave (``chunks '1,y'``, ``series=1``,
``overwrite=True``), never a command-line flag (``--chunks``) the caller did not type; only the command line
(pymecompress/tools/cli.py) speaks in flags."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

import pymecompress
from pymecompress.io.base import PixelSize, check_axes
from pymecompress.io.sources import InputError, open_source
from pymecompress.io.transforms import Transforms
from pymecompress.tools.calibrate import calibrate
from pymecompress.tools.convert import convert
from pymecompress.zarr.chunk_shape import parse_chunks

FLAG = re.compile(r"(^|\s|\()--[a-z]")
PACKAGE = Path(pymecompress.__file__).parent


def _refusal(error: type[BaseException], call, *args, **kwargs) -> str:
    with pytest.raises(error) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert FLAG.search(message) is None, message
    return message


@pytest.fixture
def movie(tmp_path) -> Path:
    path = tmp_path / "movie.npy"
    np.save(path, (np.random.default_rng(5).poisson(30, (4, 32, 24)) * 2 + 100).astype(np.uint16))
    return path


def test_parse_chunks_names_chunks() -> None:
    message = _refusal(ValueError, parse_chunks, "1,y", (4, 64, 64))
    assert message.startswith("chunks '1,y': expected integers separated by commas"), message
    message = _refusal(ValueError, parse_chunks, "1,2,3,4", (4, 64, 64))
    assert message.startswith("chunks '1,2,3,4' has 4 entries for a 3-d stack"), message


def test_transforms_parse_names_its_keywords() -> None:
    message = _refusal(ValueError, Transforms.parse, crop="0:10")
    assert message == "crop takes Y0:Y1,X0:X1 (rows, then columns), got '0:10'"
    message = _refusal(ValueError, Transforms.parse, crop="a:b,0:10")
    assert message.startswith("crop (rows) must look like START:STOP[:STEP]"), message
    message = _refusal(ValueError, Transforms.parse, frames="1:9:0")
    assert message == "frames: the step must be at least 1, got '1:9:0'"
    message = _refusal(ValueError, Transforms.parse, bin_mode="max")
    assert message == "bin_mode must be one of sum, mean, got 'max'"


def test_pixel_size_parse_names_text_and_unit() -> None:
    message = _refusal(ValueError, PixelSize.parse, "0")
    assert message == "text must be > 0, got '0'; give the size of a camera pixel in the sample, e.g. 0.108"
    message = _refusal(ValueError, PixelSize.parse, "1", "pixel")
    assert message.startswith("unit 'pixel' is not a length unit; use micrometer"), message


def test_axes_and_series_name_the_keyword(movie) -> None:
    message = _refusal(ValueError, check_axes, "zyx", 4)
    assert message == "axes='zyx' names 3 axes but the stack has 4"
    message = _refusal(InputError, open_source, movie, series=1)
    assert message == f"{movie}: series=1 applies to TIFF files only, and this is a .npy file; leave it out"
    message = _refusal(InputError, open_source, movie, series=-1)
    assert message == "series must be an integer >= 0, got -1"


def test_convert_names_overwrite_and_codec(movie, tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("not a zarr store")
    message = _refusal(FileExistsError, convert, movie, tmp_path / "notes.txt", codec="hufflossless",
                       progress=False)
    assert message == f"{tmp_path / 'notes.txt'} already exists; pass overwrite=True to replace it (a zarr store only)"
    message = _refusal(FileExistsError, convert, movie, tmp_path / "notes.txt", codec="hufflossless",
                       overwrite=True, progress=False)
    assert "; overwrite=True replaces only zarr stores: choose another output" in message, message
    assert (tmp_path / "notes.txt").read_text() == "not a zarr store"
    message = _refusal(ValueError, convert, movie, tmp_path / "a.zarr", codec="huffquant16", progress=False)
    assert "camera={'offset': ..., 'gain': ...}" in message and "codec='hufflossless'" in message, message
    message = _refusal(ValueError, convert, movie, tmp_path / "b.zarr", codec="hufflossless", saturation=4095,
                       progress=False)
    assert message.startswith("saturation applies to the noise-bounded codecs"), message
    assert not list(tmp_path.glob("*.zarr"))


def test_calibrate_names_its_keywords(movie) -> None:
    message = _refusal(ValueError, calibrate, movie, offset=100.0, read_noise=1.5)
    assert message == "give at most one of dark, offset and read_noise"


def _text(node: ast.AST) -> str:
    """The literal text of a message expression, with ``x`` for each value an f-string formats in."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(v) if isinstance(v, ast.Constant) else "x" for v in node.values)
    return " ".join(_text(child) for child in ast.iter_child_nodes(node))


def test_no_library_raise_names_a_flag() -> None:
    """Every ``raise`` outside the command line, read from the source: no message text names a ``--flag``, except
    in a command to run, in backquotes (```pymecompress calibrate MOVIE --out FILE```)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "tools" / "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                text = re.sub(r"`[^`]*`", "`...`", _text(node.exc))
                if FLAG.search(text):
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {text}")
    assert not found, "\n".join(found)
