"""The C core and the independent decoder written from docs/FORMAT.md alone agree.

``reference_decoder.py`` was written from the specification without reading the C code, so agreement on
random chunks shows that FORMAT.md describes exactly what the encoder writes.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import reference_decoder as ref
from helpers import simulate_scmos
from pymecompress import HuffmanLossless, HuffmanQuant16, NBitPack
from pymecompress._binding import quant_tables


@pytest.mark.parametrize("params", [(100.0, 2.2, 1.5, 1.0), (205.0, 17.0, 0.0, 2.0), (100.0, 0.184, 13.0, 1.0),
                                    (400.0, 4.2, 0.0, 0.5), (-1e6, 1e6, 1e4, 1e3), (1e6, 1e-6, 0.0, 1e-3)])
def test_quantizer_tables_identical(params):
    enc, dec, ncodes = ref.quant_tables(*params)
    ours = quant_tables(*params)
    assert ours.ncodes == ncodes
    assert np.array_equal(ours.enc, enc)
    assert np.array_equal(ours.dec[: 4 * ncodes].reshape(-1, 4).T, dec[:, :ncodes])


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(st.sampled_from([np.uint8, np.uint16]), hnp.array_shapes(min_dims=1, max_dims=3, max_side=24)))
def test_lossless_streams(a):
    enc = HuffmanLossless().encode(a)
    values, header = ref.decode_pmcs(enc)
    assert header["mode"] == 0 and header["n"] == a.size
    assert values.tobytes() == a.tobytes()


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3), st.integers(1, 40), st.integers(1, 70), st.floats(0.5, 400), st.integers(0, 2**32 - 1))
def test_quantized_streams(planes, ny, nx, photons, seed):
    a = simulate_scmos((planes, ny, nx), photons, seed=seed)
    codec = HuffmanQuant16(offset=100, gain=2.2, read_noise=1.5)
    enc = codec.encode(a)
    values, header = ref.decode_pmcs(enc)
    assert (header["nx"], header["ny"]) == (nx, ny)
    assert np.array_equal(values, codec.decode(enc))


def test_real_frame_and_multi_segment_chunk():
    a = simulate_scmos((600, 500), 30.0)  # 300000 values: two entropy segments
    codec = HuffmanQuant16(offset=100, gain=2.2, read_noise=1.5, step=2.0)
    enc = codec.encode(a)
    values, header = ref.decode_pmcs(enc)
    assert np.array_equal(values, codec.decode(enc))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 16), hnp.arrays(np.uint16, st.integers(0, 200)))
def test_nbit_streams(nbits, a):
    a = a & np.uint16((1 << nbits) - 1)
    assert np.array_equal(ref.decode_pmcn(NBitPack(nbits).encode(a)), a)


@pytest.mark.parametrize("seed", range(80))
def test_c_decoder_reads_spec_encoder_streams(seed):
    """Streams from the spec-following encoder of test_reference_decoder.py (random predictor per tile, any tile
    size, any segment size) decode in C to the encoded values.

    Our own encoder always writes 32 x 32 tiles and chooses predictors by cost; these streams reach the decoder's
    other cases: tiles 1 to 11 pixels wide and 1 to 12 rows tall, every predictor next to every other, groups of
    four and of two rows decoded together (rows of one band), single rows (band ends), narrow planes.
    """
    import random

    from test_reference_decoder import encode_chunk

    rng = random.Random(1000 + seed)
    nx, ny, planes = rng.randrange(1, 70), rng.randrange(1, 40), rng.randrange(1, 3)
    n = nx * ny * planes
    if seed % 3 == 0:
        values = [rng.randrange(65536) for _ in range(n)]
    else:
        values = [min(65535, max(0, 3000 + int(800 * np.sin(i / 9)) + rng.randrange(-40, 41))) for i in range(n)]
    stream = encode_chunk(values, nx=nx, ny=ny, tw=rng.randrange(1, 12), th=rng.randrange(1, 13),
                          seg=rng.randrange(1, 2 * n + 2), rng=rng, crc=rng.random() < 0.5)
    decoded = np.asarray(HuffmanLossless().decode(stream))
    assert decoded.tolist() == values
