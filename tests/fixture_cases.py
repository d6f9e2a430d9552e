"""Fixed inputs and configurations whose encoded bytes are committed in tests/fixtures/, collected from the codecs'
own test files.

Every codec of :mod:`pymecompress.registry` defines its cases in its ``tests/test_codec_<id>.py`` (``-`` in the id
written ``_``):

``FIXTURE_CASES``
    fixture name (``<id>_<what>``) -> (numcodecs configuration, input): one ``tests/fixtures/<name>.npz`` each.
``ZARR_V3_CASE`` (codecs with a zarr v3 face)
    (``zarr.create_array`` codec arguments as JSON, input): the store ``tests/fixtures/zarr_v3/<id>.zarr`` and the
    values it reads back, ``<id>.decoded.npy``.

An input is an array or a function of no arguments that returns one (the generators are in tests/common.py). This
module finds the files through the registry and imports them by their path, under names of its own (they only
define data and tests when imported), so the cases stay next to the tests of their codec.

``python tests/fixture_cases.py`` writes the fixture of every case that has none yet and never rewrites an
existing one: a committed fixture pins the bytes of a format version for good. A deliberate format change gets a
new format version and new cases; the old fixtures stay (moved to ``fixtures/decode_only`` when the encoder no
longer writes them).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType

import numpy as np

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
ZARR_V3 = FIXTURES / "zarr_v3"
"""One small zarr v3 store per codec with a zarr v3 face: the ``zarr.json`` they hold (codec names and
configuration keys) is what other readers (such as a JavaScript one) rely on."""

Input = np.ndarray | Callable[[], np.ndarray]
"""A case's input: the array, or a function of no arguments that makes it."""


def codec_ids() -> tuple[str, ...]:
    """Every codec id of the registry, in its order."""
    from pymecompress import registry

    return registry.codec_ids()


def codec_test_file(codec_id: str) -> Path:
    """``tests/test_codec_<id>.py`` of a codec (``-`` in the id written ``_``)."""
    return HERE / f"test_codec_{codec_id.replace('-', '_')}.py"


@cache
def codec_test_module(codec_id: str) -> ModuleType | None:
    """The test file of ``codec_id`` imported by its path (once per process), or None when it does not exist.

    The module is named ``_fixture_cases_test_codec_<id>``, not as pytest names the same file, so this import
    and pytest's are two independent modules of definitions.
    """
    path = codec_test_file(codec_id)
    if not path.is_file():
        return None
    name = f"_fixture_cases_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def fixture_cases_of(codec_id: str) -> dict[str, tuple[dict, Input]]:
    """The ``FIXTURE_CASES`` of a codec's test file, empty when it has none (tests/test_fixtures.py says so)."""
    return dict(getattr(codec_test_module(codec_id), "FIXTURE_CASES", {}))


def zarr_v3_case_of(codec_id: str) -> tuple[dict, Input] | None:
    """The ``ZARR_V3_CASE`` of a codec's test file, or None (tests/test_zarr.py checks that every zarr v3 codec has
    one)."""
    return getattr(codec_test_module(codec_id), "ZARR_V3_CASE", None)


def make_input(data: Input) -> np.ndarray:
    """The input array of a case."""
    return np.asarray(data() if callable(data) else data)


def cases() -> dict[str, tuple[dict, np.ndarray]]:
    """name -> (numcodecs config, input array): the ``FIXTURE_CASES`` of every codec, in registry order."""
    found: dict[str, tuple[dict, np.ndarray]] = {}
    for codec_id in codec_ids():
        for name, (config, data) in fixture_cases_of(codec_id).items():
            if name in found:
                raise ValueError(f"fixture case {name} is defined twice ({codec_test_file(codec_id).name})")
            found[name] = (config, make_input(data))
    return found


def zarr_v3_cases() -> dict[str, dict]:
    """name (the codec id) -> ``zarr.create_array`` codec arguments, as JSON (the codec written to zarr.json)."""
    return {codec_id: case[0] for codec_id in codec_ids() if (case := zarr_v3_case_of(codec_id)) is not None}


def zarr_v3_codec_entry(name: str) -> dict:
    """The entry of codec ``name`` in the arguments of its zarr v3 case (``{"name": ..., "configuration": ...}``)."""
    kwargs = zarr_v3_cases()[name]
    entries = [*(kwargs.get("filters") or []), kwargs.get("serializer"), *(kwargs.get("compressors") or [])]
    found = [entry for entry in entries if entry and entry["name"] == name]
    if len(found) != 1:
        raise ValueError(f"the ZARR_V3_CASE of {name} must hold its codec once, holds {len(found)}")
    return found[0]


def zarr_v3_input(name: str) -> np.ndarray:
    """The array written to the zarr v3 store ``name`` (its data type is the store's)."""
    case = zarr_v3_case_of(name)
    if case is None:
        raise KeyError(f"{codec_test_file(name).name} defines no ZARR_V3_CASE")
    return make_input(case[1])


def write_all() -> None:
    """Write the fixture of every case that has none (existing fixtures are never rewritten)."""
    import numcodecs

    FIXTURES.mkdir(exist_ok=True)
    for name, (config, data) in cases().items():
        if (FIXTURES / f"{name}.npz").exists():
            continue
        codec = numcodecs.get_codec(dict(config))
        encoded = codec.encode(data)
        decoded = codec.decode(encoded)
        np.savez(FIXTURES / f"{name}.npz", input=data, encoded=np.frombuffer(encoded, np.uint8),
                 decoded=decoded, config=np.array(json.dumps(config)))
        print(f"{name}: {data.nbytes} -> {np.asarray(encoded).nbytes} bytes")


def write_zarr_stores() -> None:
    """Write the zarr v3 store of every case that has none (existing stores are never rewritten)."""
    import zarr

    ZARR_V3.mkdir(exist_ok=True)
    for name, kwargs in zarr_v3_cases().items():
        path = ZARR_V3 / f"{name}.zarr"
        if path.exists():
            continue
        data = zarr_v3_input(name)
        z = zarr.create_array(str(path), shape=data.shape, chunks=(1, 16, 16), dtype=data.dtype, fill_value=0,
                              zarr_format=3, **kwargs)
        z[:] = data
        np.save(ZARR_V3 / f"{name}.decoded.npy", z[:])
        print(f"{name}: zarr v3 store written")


if __name__ == "__main__":
    write_all()
    write_zarr_stores()
