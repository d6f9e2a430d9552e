"""``pymecompress convert`` on PYME PZF frames: folders, globs, lists and single files, streamed frame by frame into
one zarr array, run in-process through ``pymecompress.tools.cli.main``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile
import zarr

from helpers import LEGACY, blob_scene, require_data, simulate_scmos
from pymecompress.io import pzf
from pymecompress.io.sources import InputError, PzfSource, open_source
from pymecompress.tools import cli
from pymecompress.tools.calibrate import calibrate
from test_cli_tools import CAM_ARGS, CAMERA, check_bound

N, W, H = 11, 48, 40  # 11 frames: frame10 must come after frame9, not after frame1; W != H catches a transpose


@pytest.fixture(scope="module")
def movie() -> np.ndarray:
    return simulate_scmos((N, W, H), blob_scene((W, H)), **CAMERA, seed=7)


def frame_bytes(frame: np.ndarray, i: int) -> bytes:
    """Raw, Huffman and sqrt-quantized frames in turn, some written in F order as PYME's camera buffers are."""
    kind = i % 3
    order = "F" if i % 2 else "C"
    if kind == 0:
        return pzf.dumps(frame, frame_num=i, order=order)
    if kind == 1:
        return pzf.dumps(frame, frame_num=i, compression=pzf.DATA_COMP_HUFFCODE, order=order)
    return pzf.dumps(frame, frame_num=i, compression=pzf.DATA_COMP_HUFFCODE, quantization=pzf.DATA_QUANT_SQRT,
                     quant_offset=CAMERA["offset"], quant_scale=1.0, order=order)


def write_frames(folder: Path, frames: np.ndarray, name: str = "frame{}.pzf") -> tuple[list[Path], np.ndarray]:
    """Write the frames; return the paths and what ``pzf.loads`` reads back from them (the reference)."""
    folder.mkdir(exist_ok=True)
    paths, decoded = [], []
    for i, frame in enumerate(frames):
        path = folder / name.format(i)
        path.write_bytes(frame_bytes(frame, i))
        array, header = pzf.loads(path.read_bytes())
        assert array.dtype == frame.dtype and header["FrameNum"] == i
        paths.append(path)
        decoded.append(array[:, :, 0])
    return paths, np.stack(decoded)


def convert(capsys, *args: str | Path) -> tuple[int, str, str]:
    code = cli.main(["convert", *map(str, args), "--quiet"])
    out = capsys.readouterr()
    return code, out.out, out.err


def read(path: Path) -> np.ndarray:
    return zarr.open_array(path, mode="r")[:]


def test_folder_huffquant16_within_noise_bound(tmp_path, capsys, movie):
    _, decoded = write_frames(tmp_path / "frames", movie)
    assert not np.array_equal(decoded, movie)  # the quantized frames hold PYME's dequantized values
    assert np.array_equal(decoded[0::3], movie[0::3]) and np.array_equal(decoded[1::3], movie[1::3])
    code, out, err = convert(capsys, tmp_path / "frames", tmp_path / "movie.zarr", *CAM_ARGS, "--threads", "2")
    assert code == 0, err
    assert f"{N}x{W}x{H} uint16" in out and "ratio" in out
    z = zarr.open_array(tmp_path / "movie.zarr", mode="r")
    assert z.compressors[0].to_dict()["name"] == "huffquant16" and z.chunks == (N, W, H)  # small planes: one chunk
    check_bound(decoded, z[:], CAMERA)  # frames in natural order, not transposed, within one noise sigma


def test_glob_list_and_single_file_lossless(tmp_path, capsys, movie):
    paths, decoded = write_frames(tmp_path / "frames", movie)
    code, _, err = convert(capsys, tmp_path / "frames" / "frame*.pzf", tmp_path / "glob.zarr", "--codec",
                           "hufflossless")
    assert code == 0, err
    np.testing.assert_array_equal(read(tmp_path / "glob.zarr"), decoded)

    # listed one by one (as a shell expands frames/*.pzf: frame10 before frame2): stacked in natural order
    shuffled = [paths[i] for i in (10, 1, 0, 2, 9)]
    code, out, err = convert(capsys, *shuffled, tmp_path / "list.zarr", "--codec", "nbitpack")
    assert code == 0, err
    assert "(5 files)" in out
    np.testing.assert_array_equal(read(tmp_path / "list.zarr"), decoded[[0, 1, 2, 9, 10]])

    # one frame on its own is a 2-D image, like a single-page TIFF
    code, _, err = convert(capsys, paths[4], tmp_path / "one.zarr", "--codec", "hufflossless")
    assert code == 0, err
    np.testing.assert_array_equal(read(tmp_path / "one.zarr"), decoded[4])


def test_uint8_frames(tmp_path, capsys, movie):
    frames8 = (movie // 4).astype(np.uint8)
    _, decoded = write_frames(tmp_path / "frames8", frames8)
    code, _, err = convert(capsys, tmp_path / "frames8", tmp_path / "u8.zarr", "--codec", "hufflossless")
    assert code == 0, err
    z = zarr.open_array(tmp_path / "u8.zarr", mode="r")
    assert z.dtype == np.uint8
    np.testing.assert_array_equal(z[:], decoded)
    code, _, err = convert(capsys, tmp_path / "frames8", tmp_path / "q16.zarr", *CAM_ARGS, "--codec", "huffquant16")
    assert code == 2 and "uint16 only" in err and "codec='huffquant8'" in err and not (tmp_path / "q16.zarr").exists()
    # without --codec: the noise-bounded codec of uint8 data, whose camera is the uint16 one divided by 4
    camera8 = ["--offset", str(CAMERA["offset"] / 4), "--gain", str(CAMERA["gain"] / 4)]
    code, out, err = convert(capsys, tmp_path / "frames8", tmp_path / "q8.zarr", *camera8, "--force")
    assert code == 0, err
    z = zarr.open_array(tmp_path / "q8.zarr", mode="r")
    assert z.dtype == np.uint8 and [c.to_dict()["name"] for c in z.metadata.codecs] == ["bytes", "huffquant8"]


def frames_with_odd_one(folder: Path, movie: np.ndarray, case: str) -> str:
    """A folder of good frames and one bad one; returns the bad file's name."""
    write_frames(folder, movie[:6])
    bad = folder / "frame3.pzf"
    if case == "shape":
        bad.write_bytes(pzf.dumps(movie[3, :, :-1]))
    elif case == "transposed":
        bad.write_bytes(pzf.dumps(movie[3].T))
    elif case == "dtype":
        bad.write_bytes(pzf.dumps((movie[3] // 256).astype(np.uint8)))
    elif case == "float32":
        bad = folder / "frame0.pzf"
        bad.write_bytes(pzf.dumps(movie[0].astype(np.float32)))
    elif case == "depth":
        bad.write_bytes(pzf.dumps(np.stack([movie[3], movie[3]], axis=-1)))
    elif case == "not_pzf":
        bad.write_bytes(b"this is not a PZF frame" * 10)
    elif case == "truncated":  # the header is fine: found while streaming, after frames were written
        bad = folder / "frame5.pzf"
        bad.write_bytes(bad.read_bytes()[:-100])
    return bad.name


@pytest.mark.parametrize("case", ["shape", "transposed", "dtype", "float32", "depth", "not_pzf", "truncated"])
def test_bad_frame_refused_without_output(tmp_path, capsys, movie, case):
    bad = frames_with_odd_one(tmp_path / "frames", movie, case)
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = convert(capsys, tmp_path / "frames", tmp_path / "out.zarr", *CAM_ARGS)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pymecompress convert: error: "), err
    assert bad in lines[0]
    if case in ("shape", "transposed", "dtype"):
        assert "differs from the first frame" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no output, no hidden partial folder


def test_mixed_inputs_and_output_mistakes(tmp_path, capsys, movie):
    paths, _ = write_frames(tmp_path / "frames", movie[:3])
    tifffile.imwrite(tmp_path / "frames" / "extra.tif", movie[0])
    for args in ([tmp_path / "frames", tmp_path / "a.zarr"],  # TIFF and PZF frames in one folder
                 [paths[0], tmp_path / "frames" / "extra.tif", tmp_path / "b.zarr"],  # a list mixing them
                 [paths[0], paths[1]]):  # `convert frames/*.pzf` without an output: the last frame is not replaced
        code, _, err = convert(capsys, *args, "--codec", "hufflossless", "--overwrite")
        assert code == 2 and err.count("\n") == 1, err
    assert paths[1].read_bytes()[:2] == b"BD" and not (tmp_path / "a.zarr").exists()
    code, _, err = convert(capsys, tmp_path / "frames", tmp_path / "frames", "--codec", "hufflossless")
    assert code == 2, err


def test_frames_are_read_one_at_a_time(tmp_path, movie):
    """Opening reads only the headers; a plane decodes only its own file (memory stays at one frame)."""
    paths, decoded = write_frames(tmp_path / "frames", movie[:4])
    paths[3].write_bytes(paths[3].read_bytes()[:70])  # header intact, payload cut
    with open_source(tmp_path / "frames") as src:
        assert isinstance(src, PzfSource) and src.kind == "pzf" and src.shape == (4, W, H)
        np.testing.assert_array_equal(src.read_planes([2, 0]), decoded[[2, 0]])
        with pytest.raises(InputError, match="frame3.pzf"):
            src.read_planes([3])


def test_header_only():
    data = pzf.dumps(np.ones((6, 5), dtype=np.uint8), compression=pzf.DATA_COMP_HUFFCODE)
    header = pzf.loads_header(data[:64], frame_size=len(data))
    assert (header["Width"], header["Height"], header["Depth"], header["DataFormat"]) == (6, 5, 1, pzf.DATA_FMT_UINT8)
    assert header == pzf.loads(data)[1]


def test_calibrate_reads_pzf_frames(tmp_path, movie):
    _, decoded = write_frames(tmp_path / "frames", movie, name="raw_{}.pzf")
    for i in range(N):  # calibrate on unquantized frames
        (tmp_path / "frames" / f"raw_{i}.pzf").write_bytes(pzf.dumps(movie[i]))
    cal = calibrate(tmp_path / "frames", read_noise=CAMERA["read_noise"])
    assert abs(cal.gain - CAMERA["gain"]) / CAMERA["gain"] < 0.2


def legacy_frame(name: str) -> dict[str, np.ndarray]:
    with np.load(require_data(LEGACY / f"{name}.npz")) as npz:
        return {k: npz[k] for k in npz.files}


def test_frames_written_by_pyme_convert(tmp_path, capsys):
    """The PZF frames PYME wrote (tests/data/legacy, stored in .npz files) as .pzf files."""
    folder = tmp_path / "pyme"
    folder.mkdir()
    vectors = {name: legacy_frame(name) for name in ("pzf_raw_u16_frame", "pzf_huff_u16_frame", "pzf_quant_frame")}
    for name, v in vectors.items():
        (folder / f"{name}.pzf").write_bytes(v["encoded"].tobytes())

    # raw and Huffman frames (128x128): a lossless stack equals what PYME's reader returns
    pair = [folder / "pzf_raw_u16_frame.pzf", folder / "pzf_huff_u16_frame.pzf"]
    code, _, err = convert(capsys, *pair, tmp_path / "pair.zarr", "--codec", "hufflossless")
    assert code == 0, err
    expected = np.stack([vectors["pzf_huff_u16_frame"]["decoded_legacy"][:, :, 0],  # natural order: huff < raw
                         vectors["pzf_raw_u16_frame"]["decoded_legacy"][:, :, 0]])
    np.testing.assert_array_equal(read(tmp_path / "pair.zarr"), expected)

    # the quantized frame (64x64, offset 400): huffquant16 stays within the noise bound of PYME's decoded values
    camera = {"offset": 400.0, "gain": 1.0, "read_noise": 0.0}
    code, _, err = convert(capsys, folder / "pzf_quant_frame.pzf", tmp_path / "quant.zarr", "--offset", "400",
                           "--gain", "1")
    assert code == 0, err
    check_bound(vectors["pzf_quant_frame"]["decoded_legacy"][:, :, 0], read(tmp_path / "quant.zarr"), camera)

    # all three together: the 64x64 frame is refused by name, nothing written
    code, _, err = convert(capsys, folder, tmp_path / "all.zarr", "--codec", "hufflossless")
    assert code == 2 and "pzf_quant_frame.pzf" in err and "differs from the first frame" in err
    assert not (tmp_path / "all.zarr").exists()
