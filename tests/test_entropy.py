"""Residuals of a chunk (``pmc_residuals``) and their order-0 entropy (``pymecompress.entropy``)."""

from __future__ import annotations

import numpy as np
import pytest

import reference_decoder as ref
from helpers import simulate_scmos
from pymecompress import DecodeError, HuffmanLossless, HuffmanQuant16, _binding
from pymecompress.entropy import order0_bits, residual_entropy


def _reference_residuals(stream: bytes, monkeypatch) -> np.ndarray:
    """The residual array the spec's reference decoder hands to its unprediction step."""
    seen = []
    unpredict = ref._unpredict

    def spy(z, *args):
        seen.append(list(z))
        return unpredict(z, *args)

    monkeypatch.setattr(ref, "_unpredict", spy)
    ref.decode_pmcs(stream)
    return np.array(seen[0], np.uint16)


@pytest.mark.parametrize("codec", [HuffmanLossless(), HuffmanQuant16(offset=100, gain=2.2, read_noise=1.5)],
                         ids=["lossless", "quant"])
def test_residuals_are_what_the_reference_decoder_unpredicts(codec, monkeypatch):
    frame = simulate_scmos((2, 70, 90), np.linspace(0, 400, 90), seed=3)
    stream = codec.encode(frame)
    assert np.array_equal(_binding.residuals(stream), _reference_residuals(stream, monkeypatch))


def test_residuals_of_a_ramp_are_small():
    # every row is 0, 1, 2, ...: "up" leaves zeros below the first row, "left" leaves steps of +1 (zigzag 2)
    frame = np.tile(np.arange(256, dtype=np.uint16), (64, 1))
    stream = HuffmanLossless().encode(frame)
    assert set(np.unique(_binding.residuals(stream))) <= {0, 2}
    e = residual_entropy(stream)
    assert e.values == frame.size
    assert e.bits_per_value < 0.2


def test_order0_bits():
    assert order0_bits(np.zeros(10, np.uint16)) == 0.0
    assert order0_bits(np.arange(8)) == pytest.approx(24.0)
    assert order0_bits(np.array([], np.uint16)) == 0.0


def test_single_segment_chunk_never_beats_its_order0_entropy(real_data):
    # One segment, one prefix code over the residuals: it cannot be shorter than n * H(z).
    name, data, cam = real_data
    plane = np.ascontiguousarray(data.reshape(-1, data.shape[-1])[:256])
    for codec in (HuffmanLossless(), HuffmanQuant16(**cam)):
        e = residual_entropy(codec.encode(plane))
        assert 0.5 < e.efficiency <= 1.0, (name, codec, e)


def test_corrupt_stream_is_refused():
    stream = bytearray(HuffmanLossless().encode(np.arange(1000, dtype=np.uint16)))
    stream[-6] ^= 0xFF
    with pytest.raises(DecodeError):
        residual_entropy(bytes(stream))
