"""``pymecompress-huffman`` (the original pymecompress's byte Huffman codec) through the shared harness
(tests/common.py); the format itself is tested against the original's vectors in test_legacy.py."""

from __future__ import annotations

import numpy as np
import pytest

from common import check_backwards_compatibility, check_config, check_encode_decode, check_repr, legacy_shared_draw
from pymecompress import LegacyHuffman

RNG = np.random.default_rng(11)
ARRAYS = {"empty": np.zeros(0, np.uint8), "one": np.array([7], np.uint8), "constant": np.full((9, 9), 3, np.uint8),
          "text": np.frombuffer(b"the quick brown fox jumps over the lazy dog " * 20, np.uint8),
          "noise": RNG.integers(0, 256, (33, 47)).astype(np.uint8), "int8": RNG.integers(-128, 128, 500, np.int8),
          "bool": RNG.random((3, 20, 9)) > 0.3, "skewed": RNG.geometric(0.3, (64, 64)).clip(0, 255).astype(np.uint8)}

# -- committed fixtures (tests/fixture_cases.py writes them once; a committed fixture never changes) ----------------

FIXTURE_CASES = {
    "pymecompress-huffman_u8": ({"id": "pymecompress-huffman"},
                                lambda: legacy_shared_draw("pymecompress-huffman_u8").clip(0, 255).astype(np.uint8)),
}


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_encode_decode(name):
    check_encode_decode(ARRAYS[name], LegacyHuffman())


def test_config_and_repr():
    check_config(LegacyHuffman())
    check_repr(LegacyHuffman())


def test_backwards_compatibility():
    check_backwards_compatibility("pymecompress-huffman")
