"""SIMD and portable paths give identical bytes; threads give the same bytes as one thread."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from helpers import load_real, simulate_scmos
from pymecompress import HuffmanQuant16, _binding
from pymecompress._binding import MODE_LOSSLESS, MODE_QUANT, SIMD_AUTO, SIMD_PORTABLE

PARAMS = (100.0, 2.2, 1.5, 1.0)


def _inputs():
    rng = np.random.default_rng(7)
    yield "scene", simulate_scmos((2, 96, 130), rng.uniform(0, 500, (2, 96, 130)))
    yield "dim", simulate_scmos((70, 33), 3.0)
    yield "edges", np.tile(np.array([100, 60000, 300, 0], np.uint16), 40 * 19).reshape(40, 76)
    yield "noise", rng.integers(0, 65536, (50, 51), dtype=np.uint16)
    yield "real", load_real("lightsheet_bead_psf_61x128x128.tif")[:8]
    for nx in (1, 2, 15, 16, 17, 31, 32, 33, 47):
        yield f"nx{nx}", rng.integers(90, 130, (9, nx), dtype=np.uint16)


@pytest.mark.parametrize("mode", [MODE_LOSSLESS, MODE_QUANT])
def test_avx2_and_portable_identical(mode):
    if not _binding.avx2_available():
        pytest.skip("no AVX2 on this CPU: only the portable path exists here")
    for label, a in _inputs():
        nx, ny = a.shape[-1], a.shape[-2]
        params = PARAMS if mode == MODE_QUANT else None
        fast = _binding.encode_chunk(a, nx, ny, mode, params, True, SIMD_AUTO)
        slow = _binding.encode_chunk(a, nx, ny, mode, params, True, SIMD_PORTABLE)
        assert fast == slow, label
        info = _binding.stream_info(fast)
        outs = []
        for simd in (SIMD_AUTO, SIMD_PORTABLE):
            out = np.empty(info.n, info.dtype)
            _binding.decode_chunk(fast, out, simd)
            outs.append(out)
        assert np.array_equal(outs[0], outs[1]), label


def test_crc_paths_identical():
    rng = np.random.default_rng(1)
    buf = rng.integers(0, 256, 1000, dtype=np.uint8).tobytes()
    assert _binding.crc32c(b"123456789") == 0xE3069283
    for start in range(4):
        for length in (0, 1, 7, 8, 9, 63, 200, 995):
            part = buf[start:start + length]
            assert _binding.crc32c(part, SIMD_AUTO) == _binding.crc32c(part, SIMD_PORTABLE)


def test_threads_give_same_bytes_as_one_thread():
    codec = HuffmanQuant16(offset=100, gain=2.2, read_noise=1.5)  # one shared instance
    rng = np.random.default_rng(3)
    frames = [simulate_scmos((128, 160), rng.uniform(1, 300), seed=i) for i in range(24)]
    expected_enc = [codec.encode(f) for f in frames]
    expected_dec = [codec.decode(e) for e in expected_enc]

    def work(i):
        k = i % len(frames)
        enc = codec.encode(frames[k])
        dec = codec.decode(expected_enc[k])
        return enc == expected_enc[k] and np.array_equal(dec, expected_dec[k])

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(work, range(400)))
