"""Round trips of every codec over dtypes, shapes, memory layouts and buffer kinds."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import simulate_scmos
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pymecompress import HuffmanLossless, HuffmanQuant16, NBitPack, VSTQuant16

SHAPES = [(0,), (1,), (7,), (1000,), (3, 5), (1, 1), (33, 65), (64, 64), (2, 31, 17), (3, 40, 70), (1, 1, 1),
          (0, 5), (5, 0, 3), (2, 2, 2, 9)]


def quant_ok(codec: HuffmanQuant16, original: np.ndarray, decoded: np.ndarray) -> bool:
    return bool(codec.camera.error_sigmas(original, decoded.reshape(original.shape)).max(initial=0)
                <= codec.step * (1 + 1e-12))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", ["uint8", "int8", "uint16", "int16"])
def test_lossless_shapes(shape, dtype):
    rng = np.random.default_rng(sum(shape) + len(dtype))
    info = np.iinfo(dtype)
    a = rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)
    codec = HuffmanLossless()
    back = codec.decode(codec.encode(a))
    assert back.nbytes == a.nbytes
    assert np.array_equal(back.view(dtype).reshape(shape), a)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_quant_shapes(shape):
    a = simulate_scmos(shape, 20.0)
    codec = HuffmanQuant16(offset=100, gain=2.2, read_noise=1.5)
    back = codec.decode(codec.encode(a))
    assert back.dtype == np.uint16 and back.size == a.size
    assert quant_ok(codec, a, back)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.uint16, hnp.array_shapes(min_dims=1, max_dims=3, max_side=40)),
       st.floats(0, 1000), st.floats(0.05, 50), st.floats(0, 20), st.floats(0.1, 4))
def test_quant_property_bound(a, offset, gain, rn, step):
    codec = HuffmanQuant16(offset=offset, gain=gain, read_noise=rn, step=step)
    enc = codec.encode(a)
    back = codec.decode(enc).reshape(a.shape)
    assert quant_ok(codec, a, back)
    assert codec.encode(back) == enc  # idempotent, so partial chunk writes change nothing


@settings(max_examples=80, deadline=None)
@given(hnp.arrays(st.sampled_from([np.uint8, np.uint16, np.int16, np.int8]),
                  hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=50)))
def test_lossless_property(a):
    codec = HuffmanLossless(checksum=False)
    back = codec.decode(codec.encode(a))
    assert back.tobytes() == np.ascontiguousarray(a).tobytes()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 16), hnp.arrays(np.uint16, st.integers(0, 300)))
def test_nbitpack_property(nbits, a):
    a = a & np.uint16((1 << nbits) - 1)
    enc = NBitPack(nbits).encode(a)
    assert len(enc) == 16 + (a.size * nbits + 7) // 8
    assert np.array_equal(NBitPack().decode(enc), a)


def test_nbitpack_auto_and_range_error():
    a = np.array([0, 4095, 12], dtype=np.uint16)
    assert NBitPack().encode(a)[6] == 12
    with pytest.raises(ValueError, match="more than nbits=8"):
        NBitPack(8).encode(a)
    u8 = np.arange(256, dtype=np.uint8)
    assert np.array_equal(NBitPack().decode(NBitPack().encode(u8)), u8)
    with pytest.raises(ValueError, match="wider"):
        NBitPack(12).encode(u8)


@pytest.mark.parametrize("codec", [HuffmanQuant16(offset=100, gain=2.2), HuffmanLossless(), NBitPack()],
                         ids=lambda c: c.codec_id)
def test_layouts_and_buffers(codec):
    a = simulate_scmos((3, 48, 40), 50.0)

    def check(arr, expected_memory):
        back = codec.decode(codec.encode(arr))
        exp = np.asarray(expected_memory)
        if isinstance(codec, HuffmanQuant16):
            assert quant_ok(codec, exp.reshape(-1), back)
        else:
            assert back.tobytes() == exp.tobytes()

    f = np.asfortranarray(a)
    check(f, f.reshape(-1, order="F"))                    # F order: the memory order is kept
    nc = a[:, ::2, 1::3]
    check(nc, np.ascontiguousarray(nc))                   # non-contiguous: C order copy
    ro = a.copy()
    ro.flags.writeable = False
    check(ro, ro)                                         # read-only input
    raw = np.zeros(a.nbytes + 1, np.uint8)
    mis = raw[1:].view(np.uint16).reshape(a.shape)        # misaligned
    mis[...] = a
    check(mis, a)
    check(memoryview(a), a)                               # plain buffer objects
    be = a.astype(">u2")                                  # byte-swapped input
    check(be, a)
    # decode from read-only / misaligned compressed buffers, into out
    enc = codec.encode(a)
    buf = np.zeros(len(enc) + 1, np.uint8)
    buf[1:] = np.frombuffer(enc, np.uint8)
    view = buf[1:]
    view.flags.writeable = False
    out = np.empty_like(a)
    assert codec.decode(view, out=out) is out
    check(a, out)
    assert codec.encode(a) == enc  # input untouched, deterministic


def test_out_wrong_size_refused():
    codec = HuffmanLossless()
    enc = codec.encode(np.zeros(10, np.uint16))
    with pytest.raises(ValueError, match="out holds"):
        codec.decode(enc, out=np.empty(9, np.uint16))


def test_dtype_refused_with_clear_message():
    with pytest.raises(TypeError, match="huffquant16 encodes u2 data, got dtype float32"):
        HuffmanQuant16().encode(np.zeros(4, np.float32))
    with pytest.raises(TypeError, match="hufflossless"):
        HuffmanLossless().encode(np.zeros(4, np.uint32))


def test_constant_and_extreme_data():
    for codec in (HuffmanLossless(), HuffmanQuant16(offset=100, gain=2.0)):
        for a in (np.zeros((64, 64), np.uint16), np.full((64, 64), 65535, np.uint16),
                  np.tile(np.array([0, 65535], np.uint16), 2048).reshape(64, 64)):
            back = codec.decode(codec.encode(a)).reshape(a.shape)
            if isinstance(codec, HuffmanLossless):
                assert np.array_equal(back, a)
            else:
                assert quant_ok(codec, a, back)
    # an all-zero 1 MiB chunk compresses to almost nothing: header, 4 bits per 32x32 tile, 4 tiny segments
    assert len(HuffmanLossless().encode(np.zeros((512, 1024), np.uint16))) < 400


def test_large_chunk_beyond_original_limit():
    """The original pymecompress crashed from 262,144 values on; several segments here."""
    a = simulate_scmos((3, 512, 700), 30.0)
    codec = HuffmanQuant16(offset=100, gain=2.2, read_noise=1.5)
    assert quant_ok(codec, a, codec.decode(codec.encode(a)))


def test_vstquant16_shapes():
    f = VSTQuant16(offset=100, gain=2.2)
    for shape in [(0,), (1,), (5, 7), (2, 3, 4)]:
        a = simulate_scmos(shape, 10.0)
        assert f.decode(f.encode(a)).size == a.size
