"""Decoded arrays come from a pool of reused memory (pymecompress._binding.OutputPool): never shared while an
array or any view of it is alive, bounded, and invisible in the values decoded."""

import os
import subprocess
import sys
import threading

import numcodecs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pymecompress import _binding
from pymecompress._binding import OutputPool

U16 = np.dtype(np.uint16)


def span(a: np.ndarray) -> tuple[int, int]:
    start = a.__array_interface__["data"][0]
    return start, start + a.nbytes


def test_released_memory_is_handed_out_again():
    pool = OutputPool(keep_bytes=1 << 22)
    a = pool.empty(200_000, U16)
    where = span(a)[0]
    del a
    assert pool.kept_bytes() == 400_000 // pool.granule * pool.granule + pool.granule
    b = pool.empty(200_000, U16)
    assert span(b)[0] == where
    assert pool.kept_bytes() == 0


def test_a_view_keeps_the_memory_lent():
    pool = OutputPool(keep_bytes=1 << 22)
    a = pool.empty(100_000, U16)
    a[:] = 7
    view = a[10:20]
    del a
    assert pool.kept_bytes() == 0
    b = pool.empty(100_000, U16)
    b[:] = 9
    assert (view == 7).all()
    del view
    assert pool.kept_bytes() > 0


def test_small_arrays_and_a_pool_turned_off_use_numpy():
    assert OutputPool().empty(100, U16).flags.owndata
    assert OutputPool(keep_bytes=0).empty(1 << 20, U16).flags.owndata


def test_memory_kept_is_bounded():
    pool = OutputPool(keep_bytes=1 << 20, max_classes=2)
    held = [pool.empty(n, np.dtype(np.uint8)) for n in [300_000] * 8 + [100_000] * 3 + [700_000] * 2]
    del held
    assert len(pool._free) == 2 and set(pool._free) <= {320 << 10, 128 << 10, 704 << 10}  # two classes at most
    assert pool.kept_bytes() <= 2 * pool.keep_bytes
    assert all(len(blocks) * size <= pool.keep_bytes for size, blocks in pool._free.items())
    pool.clear()
    assert pool.kept_bytes() == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(30_000, 300_000), st.integers(0, 10**6)), max_size=40))
def test_live_arrays_never_share_memory(ops):
    pool = OutputPool(keep_bytes=1 << 21, granule=1 << 16, min_bytes=1 << 15)
    live: list[tuple[np.ndarray, int]] = []
    for make, n, pick in ops:
        if make or not live:
            a = pool.empty(n, U16)
            a[:] = len(live) + 1
            live.append((a, len(live) + 1))
        else:
            live.pop(pick % len(live))
        spans = sorted(span(a) for a, _ in live)
        assert all(end <= nxt for (_, end), (nxt, _) in zip(spans, spans[1:], strict=False))
        assert all((a == mark).all() for a, mark in live)


def test_decoding_into_new_arrays_in_threads_gives_the_values():
    codec = numcodecs.get_codec({"id": "huffquant16", "offset": 100, "gain": 2.2})
    rng = np.random.default_rng(5)
    frames = [(rng.poisson(30 + 20 * i, (256, 384)) * 2 + 100).astype(np.uint16) for i in range(6)]
    chunks = [codec.encode(f) for f in frames]
    expected = [codec.decode(c, out=np.empty(f.size, np.uint16)) for c, f in zip(chunks, frames, strict=True)]
    results: list[list[np.ndarray]] = [[], []]

    def work(k: int) -> None:
        for _ in range(30):
            got = [codec.decode(c) for c in chunks]  # held while the next round allocates
            results[k].append(got)
            if len(results[k]) > 2:
                results[k].pop(0)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for rounds in results:
        for got in rounds:
            for g, e in zip(got, expected, strict=True):
                np.testing.assert_array_equal(g, e)
                assert g.flags.writeable


def test_the_default_pool_serves_the_codecs():
    codec = numcodecs.get_codec({"id": "hufflossless"})
    frame = np.arange(512 * 512, dtype=np.uint16).reshape(512, 512)
    chunk = codec.encode(frame)
    _binding.output_pool.clear()
    first = codec.decode(chunk)
    where = span(first)[0]
    del first
    again = codec.decode(chunk)
    assert span(again)[0] == where
    np.testing.assert_array_equal(again, frame.reshape(-1))


# the subprocesses run away from the checkout, so that they import the installed package

@pytest.mark.parametrize(("value", "owns"), [("0", True), ("4", False)])
def test_environment_sets_the_pool(value, owns, tmp_path):
    code = ("import numpy as np; from pymecompress import _binding; "
            "print(_binding.empty(1 << 20, np.dtype(np.uint16)).flags.owndata)")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYMECOMPRESS_POOL_MB": value},
                         capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert out.strip() == str(owns)


def test_environment_refuses_nonsense(tmp_path):
    """The first use of a codec refuses the setting (``import pymecompress`` alone loads no codec: zarr imports
    the package root through our entry point, and that must never fail)."""
    env = {**os.environ, "PYMECOMPRESS_POOL_MB": "lots"}
    assert subprocess.run([sys.executable, "-c", "import pymecompress"], env=env, cwd=tmp_path).returncode == 0
    code = "import numcodecs, numpy as np; numcodecs.get_codec({'id': 'hufflossless'}).encode(np.ones(8, np.uint16))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert res.returncode != 0
    assert "PYMECOMPRESS_POOL_MB must be a number of MiB >= 0" in res.stderr
