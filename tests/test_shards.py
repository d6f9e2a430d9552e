"""convert --shards: chunks stored in zarr v3 shards (one file per shard), the same values as without."""

from __future__ import annotations

import numpy as np
import pytest

zarr = pytest.importorskip("zarr")

from helpers import blob_scene, run_cli, simulate_scmos  # noqa: E402
from pymecompress.tools.convert import convert  # noqa: E402
from pymecompress.zarr.chunk_shape import SHARD_BYTES, parse_shards  # noqa: E402

CAMERA = {"offset": 100.0, "gain": 2.2, "read_noise": 1.5}


@pytest.fixture(scope="module")
def movie(tmp_path_factory):
    root = tmp_path_factory.mktemp("shards")
    np.save(root / "movie.npy", simulate_scmos((9, 150, 170), blob_scene((150, 170)), **CAMERA, seed=8))
    convert(str(root / "movie.npy"), str(root / "plain.zarr"), camera=CAMERA, chunks="1,64,64", progress=False)
    return root


def _files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file() and p.name not in ("zarr.json", ".zattrs", ".zgroup")]


@pytest.mark.parametrize(("spec", "shards"),
                         [("auto", (9, 192, 192)), ("4", (4, 192, 192)), ("2,128,192", (2, 128, 192))])
def test_the_same_values_in_fewer_files(movie, tmp_path, spec, shards) -> None:
    out = tmp_path / "sharded.zarr"
    convert(str(movie / "movie.npy"), str(out), camera=CAMERA, chunks="1,64,64", shards=spec, progress=False)
    arr, plain = zarr.open_array(out), zarr.open_array(movie / "plain.zarr")
    assert arr.chunks == (1, 64, 64) and arr.shards == shards
    np.testing.assert_array_equal(arr[:], plain[:])
    grid = [-(-n // s) for n, s in zip(arr.shape, shards, strict=True)]
    assert len(_files(out)) == np.prod(grid) < len(_files(movie / "plain.zarr"))


def test_ome_05_levels_are_sharded_and_04_has_none(movie, tmp_path) -> None:
    out = tmp_path / "ome.zarr"
    convert(str(movie / "movie.npy"), str(out), camera=CAMERA, chunks="1,64,64", shards="3", ome_zarr=True,
            ngff_version="0.5", levels=2, progress=False)
    group = zarr.open_group(out)
    assert [group[level].shards for level in ("0", "1", "2")] == [(3, 192, 192), (3, 128, 128), (3, 37, 42)]
    plain = tmp_path / "ome-plain.zarr"
    convert(str(movie / "movie.npy"), str(plain), camera=CAMERA, chunks="1,64,64", ome_zarr=True, ngff_version="0.5",
            levels=2, progress=False)
    for level in ("0", "1", "2"):
        np.testing.assert_array_equal(group[level][:], zarr.open_group(plain)[level][:])
    convert(str(movie / "movie.npy"), str(tmp_path / "v04.zarr"), camera=CAMERA, shards="auto", ome_zarr=True,
            progress=False)  # zarr v2 has no shards: auto writes none
    assert zarr.open_group(tmp_path / "v04.zarr")["0"].shards is None
    with pytest.raises(ValueError, match="zarr v2, which has no shards"):
        convert(str(movie / "movie.npy"), str(tmp_path / "refused.zarr"), camera=CAMERA, shards="4", ome_zarr=True,
                progress=False)


def test_shapes_and_refusals() -> None:
    plane = 2048 * 2048 * 2
    assert parse_shards("auto", (1000, 2048, 2048), (1, 1024, 1024), 2) == (SHARD_BYTES // plane, 2048, 2048)
    assert parse_shards("auto", (3, 2048, 2048), (1, 1024, 1024), 2) == (3, 2048, 2048)  # no more than the stack
    assert parse_shards("auto", (10, 8192, 8192), (2, 1024, 1024), 2) == (2, 8192, 8192)  # at least one chunk
    assert parse_shards("none", (10, 64, 64), (1, 64, 64), 2) is None
    assert parse_shards("-1", (10, 64, 64), (2, 64, 64), 2) == (10, 64, 64)
    with pytest.raises(ValueError, match="3 .axis 0, chunks of 2. is not a multiple"):
        parse_shards("3", (10, 64, 64), (2, 64, 64), 2)
    with pytest.raises(ValueError, match="expected auto, none"):
        parse_shards("big", (10, 64, 64), (1, 64, 64), 2)


def test_command_line(movie, tmp_path) -> None:
    out = tmp_path / "cli.zarr"
    done = run_cli(tmp_path, "convert", str(movie / "movie.npy"), str(out), "--offset", "100", "--gain", "2.2",
                   "--read-noise", "1.5", "--shards", "auto")
    assert done.returncode == 0, done.stderr
    assert zarr.open_array(out).shards == (9, 150, 170)  # default chunks: whole planes
    convert(str(movie / "movie.npy"), str(tmp_path / "default.zarr"), camera=CAMERA, progress=False)
    np.testing.assert_array_equal(zarr.open_array(out)[:], zarr.open_array(tmp_path / "default.zarr")[:])
