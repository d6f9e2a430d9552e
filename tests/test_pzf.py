"""PYME PZF frames: ``pymecompress.io.pzf.loads`` / ``dumps`` against frames PYME wrote, round trips, bad input."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import LEGACY, require_data
from pymecompress import DecodeError
from pymecompress.codecs.legacy_quant16 import quantize
from pymecompress.io import pzf
from test_legacy import check_valid_stream, ref_decode


def pzf_cases() -> list[dict]:
    manifest = json.loads(require_data(LEGACY / "manifest.json").read_text())
    return [c for c in manifest if c["kind"] == "pzf"]


def vector(name: str) -> dict[str, np.ndarray]:
    with np.load(require_data(LEGACY / f"{name}.npz")) as npz:
        return {k: npz[k] for k in npz.files}


@pytest.mark.parametrize("case", pzf_cases() if (LEGACY / "manifest.json").exists() else [{"name": "missing"}],
                         ids=lambda c: c["name"])
def test_frames_written_by_pyme(case):
    v = vector(case["name"])
    array, header = pzf.loads(v["encoded"].tobytes())
    np.testing.assert_array_equal(array, v["decoded_legacy"])
    assert array.dtype == v["decoded_legacy"].dtype and array.shape == v["decoded_legacy"].shape
    p = case["params"]
    assert (header["DataCompression"], header["DataQuantization"]) == (p["compression"], p["quantization"])
    assert (header["ID"], header["Version"], header["DataOffset"]) == ("BD", 3, 64)
    assert (header["Width"], header["Height"], header["Depth"]) == (*v["input"].shape, 1)
    if not p["quantization"]:
        np.testing.assert_array_equal(array[:, :, 0], v["input"])

    # what we write for the same frame reads back the same way, and is a valid stream
    again = pzf.dumps(v["input"], sequence_id=header["SequenceID"], frame_num=header["FrameNum"],
                      compression=p["compression"], quantization=p["quantization"], quant_offset=p["offset"],
                      quant_scale=p["scale"])
    assert again[:48] == v["encoded"].tobytes()[:48] or p["quantization"] == 0
    array2, header2 = pzf.loads(again)
    assert {k: header2[k] for k in header2 if k != "FrameTimestamp"} == \
        {k: header[k] for k in header if k != "FrameTimestamp"}
    if p["compression"]:
        symbols = quantize(v["input"], p["offset"], p["scale"]) if p["quantization"] else v["input"]
        check_valid_stream(again[64:], np.ascontiguousarray(symbols).view(np.uint8))
    if p["quantization"]:
        # PYME's own codes come from an approximate square root: ours are exact, so a few pixels differ by a code
        assert np.mean(array2 == array) > 0.99
        offset = p["offset"]
        err = np.abs(np.sqrt(np.maximum(array2[:, :, 0] - offset, 0.0)) - np.sqrt(np.maximum(v["input"] - offset, 0.0)))
        assert err.max() <= 0.5 * p["scale"] + 1e-6
    else:
        np.testing.assert_array_equal(array2, array)


@pytest.mark.parametrize("dtype", ["u1", "<u2", ">u2", "<f4"])
@pytest.mark.parametrize("compression", [pzf.DATA_COMP_RAW, pzf.DATA_COMP_HUFFCODE])
@pytest.mark.parametrize("shape", [(5, 7), (4, 3, 2), (9,), (0, 3)])
def test_roundtrip(dtype, compression, shape):
    rng = np.random.default_rng(0)
    arr = (rng.random(shape) * 200).astype(dtype)
    for order in ("C", "F"):
        source = np.asfortranarray(arr) if order == "F" else arr
        data = pzf.dumps(source, frame_num=3, compression=compression)
        out, header = pzf.loads(data)
        assert header["DimOrder"] == (order if len(shape) > 1 and arr.size > 1 else "C")
        assert out.shape == shape + (1,) * (3 - len(shape))
        assert out.dtype == np.dtype(dtype).newbyteorder("=")
        np.testing.assert_array_equal(out.reshape(shape), arr)
        if header["DimOrder"] == "F":
            assert out.flags.f_contiguous


def test_explicit_order_and_quantized_float():
    arr = np.arange(24, dtype=np.uint16).reshape(4, 6) * 100 + 400
    data = pzf.dumps(arr, order="F", compression=pzf.DATA_COMP_HUFFCODE, quantization=pzf.DATA_QUANT_SQRT,
                     quant_offset=400, quant_scale=1)
    out, header = pzf.loads(data)
    assert header["DimOrder"] == "F" and header["QuantScale"] == 1.0 and header["QuantOffset"] == 400.0
    q = quantize(arr, 400, 1).astype(np.float32)
    np.testing.assert_array_equal(out[:, :, 0], (q * q + 400).astype(np.uint16))
    f = pzf.loads(pzf.dumps(arr.astype(np.float32) + 0.25, compression=1, quantization=1, quant_offset=400.0,
                            quant_scale=1.0))[0]
    assert f.dtype == np.float32 and np.abs(np.sqrt(f[:, :, 0] - 400) - np.sqrt(arr + 0.25 - 400)).max() <= 0.5


def _header(version=3, fmt=1, comp=0, quant=0, order=b"C", w=2, h=3, d=1, offset=0.0, scale=0.0, data_offset=None):
    if version == 3:
        return struct.pack("<2sBBBBcxqIIIIQffI12x", b"BD", version, fmt, comp, quant, order, 7, 1, w, h, d, 5, offset,
                           scale, 64 if data_offset is None else data_offset)
    return struct.pack("<2sBBBBcxqIIIIQff", b"BD", version, fmt, comp, quant, order, 7, 1, w, h, d, 5, offset, scale)


@pytest.mark.parametrize("version", [1, 2, 3])
def test_old_header_versions(version):
    arr = np.arange(6, dtype=np.uint16).reshape(2, 3)
    if version == 1:  # no DimOrder field yet (the byte is not looked at): C order
        frame = _header(version=1, order=b"\0") + arr.tobytes()
    elif version == 2:  # 48-byte header with DimOrder, here F
        frame = _header(version=2, order=b"F") + arr.T.tobytes()
    else:
        frame = _header(version=3, order=b"C") + arr.tobytes()
    out, header = pzf.loads(frame)
    np.testing.assert_array_equal(out[:, :, 0], arr)
    assert header["Version"] == version and header["DataOffset"] == (64 if version == 3 else 48)


def test_data_offset_is_honoured():
    arr = np.arange(6, dtype=np.uint8).reshape(2, 3)
    frame = _header(fmt=0, data_offset=70) + bytes(6) + arr.tobytes()
    np.testing.assert_array_equal(pzf.loads(frame)[0][:, :, 0], arr)


@pytest.mark.parametrize("frame", [
    b"", b"BD", b"XY" + bytes(62), _header()[:60], _header(version=4) + bytes(12), _header(version=0) + bytes(12),
    _header(fmt=3) + bytes(12), _header(comp=2) + bytes(12), _header(comp=3) + bytes(12),
    _header(quant=2) + bytes(12), _header(order=b"X") + bytes(12), _header(data_offset=10) + bytes(12),
    _header(data_offset=1000) + bytes(12), _header() + bytes(11), _header() + bytes(13),
    _header(comp=1) + bytes(3), _header(comp=1, w=2**32 - 1, h=2**32 - 1, d=2**32 - 1) + bytes(100),
    _header(comp=1, quant=1, offset=float("nan"), scale=1.0) + bytes(10),
])
def test_malformed_frames_refused(frame):
    with pytest.raises(DecodeError):
        pzf.loads(frame)


def test_corrupted_frames_never_crash():
    v = vector("pzf_quant_frame")
    enc = v["encoded"].tobytes()
    rng = np.random.default_rng(2)
    for _ in range(300):
        bad = bytearray(enc)
        pos = int(rng.integers(64, len(bad)))
        bad[pos] ^= 1 << int(rng.integers(0, 8))
        try:
            out, _ = pzf.loads(bytes(bad))
        except DecodeError:
            with pytest.raises((EOFError, ValueError)):
                ref_decode(bytes(bad[64:]), 64 * 64)
        else:
            assert out.shape == (64, 64, 1)


def test_dumps_argument_checks():
    arr = np.zeros((2, 2), np.uint16)
    with pytest.raises(TypeError):
        pzf.dumps(np.zeros(3, np.int32))
    with pytest.raises(ValueError):
        pzf.dumps(np.zeros((1, 1, 1, 1), np.uint8))
    with pytest.raises(ValueError):
        pzf.dumps(arr, compression=2)
    with pytest.raises(ValueError):
        pzf.dumps(arr, quantization=1)  # needs Huffman compression
    with pytest.raises(ValueError):
        pzf.dumps(arr, compression=1, quantization=1, quant_scale=0)
    with pytest.raises(ValueError):
        pzf.dumps(arr, order="K")
    with pytest.raises(ValueError):
        pzf.dumps(arr, frame_num=-1)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 65535), min_size=1, max_size=300), st.integers(0, 1), st.integers(1, 3))
def test_roundtrip_property(values, compression, depth):
    n = len(values) // depth * depth
    if n == 0:
        return
    arr = np.array(values[:n], np.uint16).reshape(-1, 1, depth)
    out, _ = pzf.loads(pzf.dumps(arr, compression=compression))
    np.testing.assert_array_equal(out, arr)
