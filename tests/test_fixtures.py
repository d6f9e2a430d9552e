"""Committed format fixtures: the stream format can never change silently."""

from __future__ import annotations

import json

import numcodecs
import numpy as np
import pytest
from fixture_cases import FIXTURES, cases


@pytest.mark.parametrize("name", sorted(cases()))
def test_fixture(name):
    path = FIXTURES / f"{name}.npz"
    assert path.exists(), f"missing fixture {path}: run python tests/fixture_cases.py once and commit it"
    stored = np.load(path)
    config, data = cases()[name]
    assert json.loads(str(stored["config"])) == config
    assert np.array_equal(stored["input"], data), "the fixture input generator changed"
    codec = numcodecs.get_codec(dict(config))
    encoded = stored["encoded"].tobytes()
    assert codec.encode(data) == encoded, "encoder output changed: that is a format change"
    assert np.array_equal(codec.decode(encoded), stored["decoded"])


@pytest.mark.parametrize("name", sorted(n for n in cases() if not n.startswith("nbitpack")))
def test_fixture_with_independent_decoder(name):
    """The reference decoder written from docs/FORMAT.md alone agrees with the C decoder."""
    from reference_decoder import decode_pmcs

    stored = np.load(FIXTURES / f"{name}.npz")
    values, header = decode_pmcs(stored["encoded"].tobytes())
    assert np.array_equal(values.view(np.uint8), stored["decoded"].view(np.uint8))
