"""``pymecompress-quant16`` (the original pymecompress's square-root quantizer) through the shared harness
(tests/common.py); the format itself is tested against the original's vectors in test_legacy.py."""

from __future__ import annotations

import numpy as np
import pytest

from common import check_backwards_compatibility, check_config, check_encode_decode, check_repr, scene
from helpers import simulate_scmos
from pymecompress import LegacyQuant16
from pymecompress.codecs.legacy_quant16 import dequant_table, quantize

CODECS = [LegacyQuant16(offset=100, scale=1), LegacyQuant16(offset=100.5, scale=0.5),
          LegacyQuant16(offset=90, scale=2, legacy_decode=True)]
ARRAYS = {**{f"scmos{shape}": simulate_scmos(shape, 30.0) for shape in [(0,), (1,), (7,), (40, 50), (3, 33, 70)]},
          "extremes": np.tile(np.array([0, 65535, 100, 101], np.uint16), 64).reshape(16, 16)}

# -- committed fixtures (tests/fixture_cases.py writes them once; a committed fixture never changes) ----------------

FIXTURE_CASES = {
    "pymecompress-quant16_scene": ({"id": "pymecompress-quant16", "offset": 100, "scale": 1},
                                   lambda: scene((20, 30), 7)),
    "pymecompress-quant16_legacy_decode": ({"id": "pymecompress-quant16", "offset": 90.5, "scale": 0.5,
                                            "legacy_decode": True}, lambda: scene((12, 17), 8, offset=90.0)),
}


def exact(codec: LegacyQuant16):
    """Compare: each pixel decodes to the table value of its square-root code."""
    table = dequant_table(float(codec.offset), float(codec.scale), codec.legacy_decode)

    def compare(original: np.ndarray, decoded: np.ndarray) -> None:
        assert decoded.dtype == np.uint16
        assert np.array_equal(decoded, table[quantize(original, codec.offset, codec.scale)])
    return compare


@pytest.mark.parametrize("name", sorted(ARRAYS))
@pytest.mark.parametrize("codec", CODECS, ids=repr)
def test_encode_decode(codec, name):
    check_encode_decode(ARRAYS[name], codec, exact(codec))


@pytest.mark.parametrize("codec", CODECS, ids=repr)
def test_config_and_repr(codec):
    check_config(codec)
    check_repr(codec)


def test_backwards_compatibility():
    check_backwards_compatibility("pymecompress-quant16")
