"""Transforms while reading (pymecompress.io.transforms): the same planes as numpy's slicing, binning and rotation,
one block at a time, with the camera model following the binning."""

from __future__ import annotations

import numpy as np
import pytest
import zarr

from helpers import blob_scene, run_cli, simulate_scmos
from pymecompress.camera import CameraModel
from pymecompress.io.sources import InputError, open_source
from pymecompress.io.transforms import TransformedSource, Transforms

CAMERA = CameraModel(offset=100.0, gain=2.2, read_noise=1.5)


@pytest.fixture
def stack_path(tmp_path):
    rng = np.random.default_rng(1)
    data = rng.integers(0, 4000, (7, 3, 21, 30)).astype(np.uint16)  # T, Z, Y, X
    np.save(tmp_path / "stack.npy", data)
    return tmp_path / "stack.npy", data


def reference(data: np.ndarray, t: Transforms) -> np.ndarray:
    """What the transforms mean, written with whole-array numpy."""
    out = data[t.frames] if t.frames is not None else data
    if t.crop is not None:
        out = out[..., t.crop[0], t.crop[1]]
    b = t.bin
    if b > 1:
        h, w = out.shape[-2] // b, out.shape[-1] // b
        out = out[..., :h * b, :w * b].reshape(*out.shape[:-2], h, b, w, b).sum(axis=(-3, -1), dtype=np.int64)
        out = (out + b * b // 2) // (b * b) if t.bin_mode == "mean" else out
    out = np.rot90(out, t.rotate // 90, axes=(-2, -1))
    if "y" in t.flip:
        out = out[..., ::-1, :]
    if "x" in t.flip:
        out = out[..., ::-1]
    return out.astype(data.dtype)


CASES = [
    {"frames": "2:7:2"}, {"frames": "5"}, {"crop": "3:17,4:"}, {"bin": 2}, {"bin": 4, "bin_mode": "mean"},
    {"rotate": 90}, {"rotate": 270, "flip": "x"}, {"flip": "xy"},
    {"frames": "::3", "crop": "1:20,2:29", "bin": 3, "rotate": 180, "flip": "y"},
]


@pytest.mark.parametrize("args", CASES, ids=[",".join(f"{k}={v}" for k, v in c.items()) for c in CASES])
def test_same_planes_as_numpy(stack_path, args) -> None:
    path, data = stack_path
    t = Transforms.parse(**args)
    expected = reference(data, t)
    with TransformedSource(open_source(path), t) as src:
        assert src.shape == expected.shape and src.dtype == data.dtype
        flat = expected.reshape(-1, *expected.shape[-2:])
        picks = [src.n_planes - 1, 0, src.n_planes // 2]  # any order, any subset
        np.testing.assert_array_equal(src.read_planes(picks), flat[picks])


def test_binned_sums_that_overflow_are_refused(tmp_path) -> None:
    np.save(tmp_path / "bright.npy", np.full((2, 8, 8), 60000, np.uint16))
    with TransformedSource(open_source(tmp_path / "bright.npy"), Transforms(bin=2)) as src:
        with pytest.raises(InputError, match="use bin_mode='mean'"):
            src.read_planes([0])
    with TransformedSource(open_source(tmp_path / "bright.npy"), Transforms(bin=2, bin_mode="mean")) as src:
        assert (src.read_planes([0]) == 60000).all()


@pytest.mark.parametrize(("args", "match"), [({"frames": "9:"}, "selects no frame"),
                                             ({"crop": "30:,:"}, "leaves nothing"), ({"bin": 40}, "larger than")])
def test_empty_results_are_refused(stack_path, args, match) -> None:
    with pytest.raises(InputError, match=match):
        TransformedSource(open_source(stack_path[0]), Transforms.parse(**args))


@pytest.mark.parametrize(("kwargs", "match"), [({"frames": "1:2:0"}, "step"), ({"crop": "1:2"}, "Y0:Y1,X0:X1"),
                                               ({"frames": "a:b"}, "START:STOP"), ({"bin": 0}, "bin"),
                                               ({"rotate": 45}, "rotate"), ({"flip": "z"}, "flip")])
def test_bad_arguments_say_what_to_write(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        Transforms.parse(**kwargs)


def test_camera_follows_the_binning() -> None:
    assert Transforms(bin=2).camera(CAMERA) == CameraModel(offset=400.0, gain=2.2, read_noise=3.0)
    assert Transforms(bin=2, bin_mode="mean").camera(CAMERA) == CameraModel(offset=100.0, gain=0.55, read_noise=3.0)
    assert Transforms(crop=(slice(0, 4), slice(0, 4)), rotate=90).camera(CAMERA) == CAMERA


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_binned_camera_data_pass_the_camera_check_and_keep_the_bound(tmp_path, mode) -> None:
    """Binned Poisson data with the binned camera model: the check in convert passes, and every written pixel is
    within one noise sigma of the binned input."""
    frames = simulate_scmos((12, 96, 128), blob_scene((96, 128)), offset=CAMERA.offset, gain=CAMERA.gain,
                            read_noise=CAMERA.read_noise, seed=4)
    np.save(tmp_path / "movie.npy", frames)
    result = run_cli(tmp_path, "convert", "movie.npy", "binned.zarr", "--offset", "100", "--gain", "2.2",
                     "--read-noise", "1.5", "--bin", "2", "--bin-mode", mode, "--frames", "::2", "--crop", "0:90,:")
    assert result.returncode == 0, result.stderr
    t = Transforms.parse(frames="::2", crop="0:90,:", bin=2, bin_mode=mode)
    binned = reference(frames, t)
    written = zarr.open_array(tmp_path / "binned.zarr")[:]
    assert written.shape == (6, 45, 64)
    camera = t.camera(CAMERA)
    assert camera.error_sigmas(binned, written).max() <= 1.0 + 1e-12
    assert camera.check(binned).ok
    if mode == "mean":  # the single-pixel model overstates the noise of means 4x: the check refuses it
        assert not CAMERA.check(binned).ok


@pytest.mark.parametrize("how", ["mean", "sum"])
def test_pyramid_binning_of_every_sum(how) -> None:
    """ome.bin2x2 (pyramid levels) for every 2 x 2 sum a uint16 block can have: the mean rounded half to even (as
    numpy rounds), the sum clipped at 65535; odd edges dropped."""
    from pymecompress.zarr.ome import bin2x2

    sums = np.arange(4 * 65535 + 1, dtype=np.int64)
    parts = np.stack([sums // 4 + (i < sums % 4) for i in range(4)])  # four pixels of each block, each <= 65535
    planes = np.empty((2, 2 * sums.size + 1), np.uint16)  # one more column: an odd edge
    planes[0, 0:-1:2], planes[0, 1:-1:2], planes[1, 0:-1:2], planes[1, 1:-1:2] = parts
    planes[:, -1] = 7
    want = np.round(sums / 4) if how == "mean" else np.minimum(sums, 65535)
    np.testing.assert_array_equal(bin2x2(planes[None], how)[0, 0], want.astype(np.uint16))
    with pytest.raises(ValueError, match="binning must be one of"):
        bin2x2(planes, "median")
