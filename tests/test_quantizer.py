"""The camera-model quantizer: exhaustive bound, idempotence, unbiasedness, noise inflation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import simulate_scmos
from pymecompress import CameraModel, HuffmanQuant16, VSTQuant16
from pymecompress._binding import quant_tables

ALL = np.arange(65536, dtype=np.uint16)
CONFIGS = [
    CameraModel(100, 2.2, 1.5, 1.0),
    CameraModel(100, 2.2, 0.0, 2.0),
    CameraModel(0, 1.0, 0.0, 1.0),
    CameraModel(205, 17.0, 0.0, 1.0),
    CameraModel(100, 0.184, 13.0, 1.0),
    CameraModel(1000, 0.5, 0.0, 0.25),
    CameraModel(-50.5, 3.0, 2.0, 1.7),
    CameraModel.from_scale(100, 1.0),
]


@pytest.mark.parametrize("cam", CONFIGS, ids=repr)
def test_every_uint16_value_within_step(cam):
    t = quant_tables(*cam.params)
    decoded = t.dequantize(t.quantize(ALL))
    err = cam.error_sigmas(ALL, decoded)
    assert err.max() <= cam.step * (1 + 1e-12)
    # the reconstruction point inside each code's interval keeps the typical error near step/4 .. step/2
    assert err.mean() < 0.5 * cam.step


@pytest.mark.parametrize("cam", CONFIGS, ids=repr)
def test_codes_dense_monotone_idempotent(cam):
    t = quant_tables(*cam.params)
    codes = t.enc[ALL].astype(np.int64)
    assert codes[0] == 0 and codes[-1] == t.ncodes - 1
    assert set(np.diff(codes)) <= {0, 1}
    # decoding a code gives a value that encodes to the same code
    c = np.arange(t.ncodes)
    dec = t.dec[: 4 * t.ncodes].reshape(-1, 4).astype(int)
    for phase in range(4):
        assert np.array_equal(t.enc[dec[:, phase]], c)
    assert np.all(np.diff(dec, axis=1) >= 0) and np.all(dec[:, 3] - dec[:, 0] <= 1)  # a dither, no more
    # saturation keeps its own code and decodes exactly
    assert t.enc[65535] != t.enc[65534] and np.all(dec[t.enc[65535]] == 65535)


def test_codes_exceed_255_without_saturation():
    t = quant_tables(100, 0.184, 0.0, 1.0)
    assert t.ncodes > 1000
    assert len(np.unique(t.enc)) == t.ncodes


def test_below_offset_within_read_noise_not_floored():
    cam = CameraModel(offset=400, gain=2.0, read_noise=1.5, step=1.0)
    x = np.arange(300, 400, dtype=np.uint16)
    t = quant_tables(*cam.params)
    dec = t.dequantize(t.quantize(x))
    assert len(np.unique(t.enc[x])) > 20           # not collapsed onto the offset
    # below the offset the noise is the read noise: error <= step * sqrt(3/8 + rn^2) electrons
    max_err_e = np.abs(dec.astype(float) - x) / cam.gain
    assert max_err_e.max() <= cam.step * math.sqrt(0.375 + cam.read_noise**2) + 0.5 / cam.gain


def test_matches_independent_formula():
    cam = CameraModel(100, 2.2, 1.5, 1.0)
    v = cam.vst(ALL)
    bins = np.floor(v / cam.step + 0.5)
    t = quant_tables(*cam.params)
    # same bin <=> same code
    same_bin = bins[1:] == bins[:-1]
    same_code = t.enc[1:] == t.enc[:-1]
    assert np.array_equal(same_bin[:-1], same_code[:-1])


@pytest.mark.parametrize("bad", [dict(gain=0), dict(gain=-1), dict(step=0), dict(read_noise=-1),
                                 dict(offset=float("nan")), dict(step=float("inf")), dict(gain=5e-324),
                                 dict(step=1e-300), dict(read_noise=1e200), dict(offset=1e7)])
def test_invalid_parameters_refused(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        HuffmanQuant16(**{"offset": 100.0, "gain": 2.0, **bad})


def test_extreme_but_valid_parameters_build_sane_tables():
    for params in [(1e6, 1e-6, 0.0, 1e-3), (-1e6, 1e6, 1e4, 1e3), (100.0, 1e-6, 1e4, 1e-3), (0.0, 1e6, 0.0, 1e3)]:
        t = quant_tables(*params)
        assert 1 <= t.ncodes <= 65536
        decoded = t.dequantize(t.quantize(ALL))
        assert np.array_equal(t.quantize(decoded), t.quantize(ALL))


def test_scale_mapping():
    assert CameraModel.from_scale(100, 1.0).step == 2.0
    cam = CameraModel.from_config(offset=100, gain=4.0, scale=0.5)
    assert cam.step == pytest.approx(0.5) and cam.gain == 4.0
    assert HuffmanQuant16(offset=100, scale=1).get_config()["step"] == 2.0


@pytest.mark.parametrize("photons", [0.5, 2.0, 10.0, 100.0, 3000.0])
@pytest.mark.parametrize("step", [1.0, 2.0])
def test_unbiased_and_noise_inflation_match_theory(photons, step):
    gain, rn, offset = 2.2, 1.5, 100.0
    x = simulate_scmos((400_000,), photons, offset, gain, rn, seed=int(photons * 10 + step))
    cam = CameraModel(offset, gain, rn, step)
    t = quant_tables(*cam.params)
    d = t.dequantize(t.quantize(x))
    # bias in photons: the quantization must not shift the mean (the midpoint rule would add step^2/12
    # electrons; what is left is the phase-dependent bias of a coarse grid: < 2 % / 5 % of the noise)
    bias = (d.astype(float).mean() - x.astype(float).mean()) / gain
    sigma_e = math.sqrt(photons + rn**2)
    assert abs(bias) < (0.02 if step == 1.0 else 0.05) * sigma_e
    # noise inflation: the quantization error adds ~step^2/12 of the noise variance (VST units)
    added = np.var(cam.vst(d) - cam.vst(x))
    assert added == pytest.approx(step**2 / 12, rel=0.25, abs=0.01)
    inflation = math.sqrt(np.var(cam.vst(d)) / np.var(cam.vst(x))) - 1
    assert inflation < 1.5 * (math.sqrt(1 + step**2 / 12) - 1) + 0.01


def test_naive_inverse_would_be_biased():
    """The tabulated reconstruction point beats the algebraic inverse at 0.5 photons (the reason for the design)."""
    gain, offset = 2.2, 100.0
    cam = CameraModel(offset, gain, 0.0, 1.0)
    x = simulate_scmos((400_000,), 0.5, offset, gain, 0.0, seed=3)
    t = quant_tables(*cam.params)
    ours = (t.dequantize(t.quantize(x)).astype(float).mean() - offset) / gain
    codes = np.floor(cam.vst(x) + 0.5)
    naive = ((codes / 2) ** 2 - 0.375)  # algebraic inverse of 2*sqrt(e + 3/8)
    truth = (x.astype(float).mean() - offset) / gain
    assert abs(ours - truth) < abs(naive.mean() - truth)


@pytest.mark.parametrize("dither", [False, True])
def test_vstquant16_filter_roundtrip_and_idempotent(dither):
    f = VSTQuant16(offset=100, gain=2.2, read_noise=1.5, dither=dither)
    x = simulate_scmos((64, 64), 30.0)
    codes = f.encode(x)
    assert codes.dtype == np.uint16 and codes.shape == x.shape
    back = f.decode(codes).reshape(x.shape)
    assert f.camera.error_sigmas(x, back).max() <= (0.6 if dither else 1.0)
    assert np.array_equal(f.encode(back), codes)
    out = np.empty_like(x)
    assert f.decode(codes, out=out) is out and np.array_equal(out, back)
    fx = np.asfortranarray(x)  # an F-ordered (square) chunk keeps shape and layout
    fcodes = f.encode(fx)
    assert fcodes.shape == fx.shape and fcodes.flags.f_contiguous
    # the codes of an element depend on its place in memory order only when dithered
    assert np.array_equal(fcodes, codes) != dither
    fback = f.decode(fcodes.T.reshape(-1)).reshape(fx.T.shape).T  # memory order in, memory order out
    assert np.array_equal(f.encode(np.asfortranarray(fback)), fcodes)
    assert f.camera.error_sigmas(fx, fback).max() <= (0.6 if dither else 1.0)
