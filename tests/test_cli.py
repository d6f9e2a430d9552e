"""The pymecompress command."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile

import pytest


def run(*args):
    # outside the repository, so the installed package (not the source tree) is imported
    with tempfile.TemporaryDirectory() as cwd:
        return subprocess.run([sys.executable, "-m", "pymecompress", *args], capture_output=True, text=True,
                              cwd=cwd)


def test_demo_reports_ratio_speed_and_bound():
    out = run("demo")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "ratio" in text and "MB/s" in text and "sigma" in text
    ratio = float(text.split("ratio ")[1].split("x")[0])
    assert ratio > 2.0
    max_err = float(text.split("error       : max ")[1].split()[0])
    assert max_err <= 1.0
    # the added noise, measured and expected, both labelled (the PNG report shows the same two figures)
    measured, expected = re.search(r"added noise : ([\d.]+) % \(measured\), ([\d.]+) % \(expected, step\^2/12\)",
                                   text).groups()
    assert float(expected) == 4.1 and abs(float(measured) - float(expected)) < 1.0
    # what the decoded data are unbiased for, with the block-median figures dithered and not
    shift, signed, undithered = (float(v) for v in re.search(
        r"medians of 64x64 blocks move by ([\d.]+) sigma on average \(signed ([-+][\d.]+); ([\d.]+) without dither\)",
        text).groups())
    assert shift <= 0.03 and abs(signed) <= 0.03 and undithered > 0.1, text
    assert "unbiased    : the mean and the median" in text


def test_codecs_table():
    out = run("codecs")
    assert out.returncode == 0
    from pymecompress import registry

    for name in registry.codec_ids():
        assert name in out.stdout


def test_bad_arguments_exit_code():
    assert run("demo", "--step", "-1").returncode == 2
    assert run("nonsense").returncode == 2


@pytest.mark.parametrize("error", [KeyboardInterrupt, OSError], ids=["interrupted", "failed"])
def test_the_command_line_says_where_an_interrupted_replacement_left_the_store(monkeypatch, capsys, error) -> None:
    """The note an interrupted URL overwrite carries (where the complete store is) reaches the terminal."""
    from pymecompress.tools import cli

    def stop(args):
        exc = error("connection lost")
        exc.add_note("the complete new store is at s3://lab/a.zarr.pymecompress-new-1; s3://lab/a.zarr ...")
        raise exc

    monkeypatch.setattr(cli, "_cmd_convert", stop)
    assert cli.main(["convert", "in.npy", "s3://lab/a.zarr", "--overwrite"]) in (2, 130)
    assert "the complete new store is at s3://lab/a.zarr.pymecompress-new-1" in capsys.readouterr().err
