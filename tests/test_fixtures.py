"""Committed format fixtures: the stream format can never change silently."""

from __future__ import annotations

import json

import numcodecs
import numpy as np
import pytest

from fixture_cases import (
    FIXTURES,
    ZARR_V3,
    cases,
    codec_test_file,
    fixture_cases_of,
    zarr_v3_case_of,
    zarr_v3_cases,
    zarr_v3_codec_entry,
    zarr_v3_input,
)
from pymecompress import CameraModel, registry


@pytest.mark.parametrize("name", sorted(cases()))
def test_fixture_matches_its_case(name):
    """Every case has its committed fixture, made from the same configuration and input (the codecs' own test
    files check the streams: ``check_backwards_compatibility`` in tests/common.py)."""
    path = FIXTURES / f"{name}.npz"
    assert path.exists(), f"missing fixture {path}: run python tests/fixture_cases.py once and commit it"
    stored = np.load(path)
    config, data = cases()[name]
    assert json.loads(str(stored["config"])) == config
    assert np.array_equal(stored["input"], data), "the fixture input generator changed"


@pytest.mark.parametrize("name", sorted(cases()))
def test_case_regenerates_the_committed_input_exactly(name):
    """The case's definition (in its codec's test file) still makes the committed ``input``: same data type, shape
    and bytes. The stored input is what the stored stream encodes; a generator that drifted would make every
    other check of the fixture compare against another array."""
    stored = np.load(FIXTURES / f"{name}.npz")["input"]
    _, data = cases()[name]
    assert (data.dtype, data.shape) == (stored.dtype, stored.shape)
    assert data.tobytes() == stored.tobytes(), f"{name}: the input its case defines is not the committed one"


@pytest.mark.parametrize("codec_id", registry.codec_ids())
def test_cases_are_named_after_their_codec(codec_id):
    """``FIXTURE_CASES`` of tests/test_codec_<id>.py: names ``<id>_<what>``, configurations of that codec."""
    for name, (config, _) in fixture_cases_of(codec_id).items():
        assert name.startswith(f"{codec_id}_") and config["id"] == codec_id, (codec_test_file(codec_id).name, name)
    case = zarr_v3_case_of(codec_id)
    if case is not None:
        assert registry.BY_ID[codec_id].zarr_v3, f"{codec_id} has no zarr v3 face but a ZARR_V3_CASE"
        kwargs = case[0]
        entries = [*(kwargs.get("filters") or []), kwargs.get("serializer"), *(kwargs.get("compressors") or [])]
        assert [e["name"] for e in entries if e] == [codec_id]


def test_every_codec_has_fixtures():
    found = {config["id"] for config, _ in cases().values()}
    for codec_id in set(registry.codec_ids()) - found:
        where = codec_test_file(codec_id)
        pytest.fail(f"no fixture case for {codec_id}: define FIXTURE_CASES = {{'{codec_id}_<what>': (numcodecs config, "
                    f"input or a function making it)}} in tests/{where.name}"
                    + ("" if where.is_file() else " (the file does not exist yet)")
                    + ", run python tests/fixture_cases.py once and commit the new tests/fixtures/*.npz")
    assert found == set(registry.codec_ids())


@pytest.mark.parametrize("name", sorted(zarr_v3_cases()))
def test_zarr_v3_case_regenerates_the_committed_input(name):
    """The zarr v3 stores hold no copy of their input: the case's input has the store's shape and data type, is
    what the lossless codecs read back and lies within the noise bound of what the noise-bounded ones read back
    (tests/test_zarr.py writes it again and compares the chunks byte for byte)."""
    data = zarr_v3_input(name)
    meta = json.loads((ZARR_V3 / f"{name}.zarr" / "zarr.json").read_text())
    decoded = np.load(ZARR_V3 / f"{name}.decoded.npy")
    assert (data.dtype.name, data.shape) == (meta["data_type"], tuple(meta["shape"])) == (decoded.dtype.name,
                                                                                         decoded.shape)
    spec = registry.BY_ID[name]
    if spec.lossless:
        assert data.tobytes() == decoded.tobytes()
    if spec.takes_camera:
        config = zarr_v3_codec_entry(name)["configuration"]
        camera = CameraModel(**{key: config[key] for key in ("offset", "gain", "read_noise", "step")})
        assert camera.error_sigmas(data, decoded).max() <= camera.step * (1 + 1e-12)


DECODE_ONLY = sorted(p.stem for p in (FIXTURES / "decode_only").glob("*.npz"))


@pytest.mark.parametrize("name", DECODE_ONLY)
def test_streams_of_earlier_encoders_still_decode(name):
    """Streams written by earlier versions of the encoder (other encoder choices, same format) decode unchanged.

    When an encoder choice that FORMAT.md calls informative changes (such as how ``k`` is picked), the fixture
    streams change; the old ones move to ``fixtures/decode_only`` and must keep decoding to the same values, with
    our decoder and with the independent reference decoder.
    """
    from reference_decoder import decode_pmcs

    stored = np.load(FIXTURES / "decode_only" / f"{name}.npz")
    encoded = stored["encoded"].tobytes()
    codec = numcodecs.get_codec(json.loads(str(stored["config"])))
    assert np.array_equal(codec.decode(encoded), stored["decoded"])
    values, _ = decode_pmcs(encoded)
    assert np.array_equal(values.view(np.uint8), stored["decoded"].view(np.uint8))
    # Encoder 3 prices predictors on every other row of a tile: about 15 % faster encoding for streams at most
    # 0.03 % larger on the benchmark's data, and up to 0.7 % larger on these small fixtures (8 bytes of 1187).
    # Any other growth is a regression.
    assert len(codec.encode(stored["input"])) <= len(encoded) * 1.01, "the current encoder writes a larger stream"


@pytest.mark.parametrize("name", sorted(n for n, (config, _) in cases().items()
                                        if config["id"] in ("huffquant16", "huffquant8", "hufflossless")))
def test_fixture_with_independent_decoder(name):
    """The reference decoder written from docs/FORMAT.md alone agrees with the C decoder."""
    from reference_decoder import decode_pmcs

    stored = np.load(FIXTURES / f"{name}.npz")
    values, header = decode_pmcs(stored["encoded"].tobytes())
    assert np.array_equal(values.view(np.uint8), stored["decoded"].view(np.uint8))
