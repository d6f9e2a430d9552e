"""What the README and the docstrings say about the codecs agrees with the registry and with docs/FORMAT.md.

docs/FORMAT.md is normative. The README's codec table is compared cell by cell with :mod:`pymecompress.registry`,
its statements about where each class goes in zarr (``filters=[...]``, ``compressors=[...]``, the ``serializer``)
with the codecs' kinds, what it says ``list_codecs()`` does with what it does, and every description of decoding
with FORMAT.md's (an unbiased reconstruction point, not the middle of the code's interval).
"""

from __future__ import annotations

import re

import pytest

import pymecompress
from helpers import ROOT
from pymecompress import camera, list_codecs, registry
from pymecompress.registry import BY_ID

README = (ROOT / "README.md").read_text(encoding="utf-8")
FORMAT = (ROOT / "docs" / "FORMAT.md").read_text(encoding="utf-8")
COLUMNS = ["name (numcodecs id = zarr v3 name)", "class", "kind", "zarr v3", "zarr v2", "lossy?", "dtypes",
           "parameters", "use"]


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def codec_table() -> dict[str, dict[str, str]]:
    """The README's codec table: codec id -> {column: cell}."""
    lines = README.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| name (numcodecs id"))
    assert _cells(lines[start]) == COLUMNS, "the README's codec table changed its columns: update this test"
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        row = dict(zip(COLUMNS, _cells(line), strict=True))
        rows[row[COLUMNS[0]].strip("`")] = row
    return rows


def _backticked(text: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", text))


def expected_row(spec: registry.CodecSpec) -> str:
    """The README row of a registry entry, with placeholders for the two cells the registry does not hold."""
    cells = [f"`{spec.id}`", f"`{spec.cls}`", spec.kind, spec.zarr_v3_kind or "none", spec.zarr_v2_use,
             "lossless" if spec.lossless else "<how it is lossy, e.g. noise-bounded>", ", ".join(spec.dtypes),
             ", ".join(f"`{name}`" for name in spec.parameters), "<use, in a few words>"]
    return "| " + " | ".join(cells) + " |"


def _missing_row(spec: registry.CodecSpec) -> str:
    return (f"README.md's codec table (## Codecs) has no row for {spec.id}: add this one, in registry order, and "
            f"fill in the <...> cells:\n{expected_row(spec)}")


def test_codec_table_lists_the_registry():
    rows = codec_table()
    for spec in registry.CODECS:
        assert spec.id in rows, _missing_row(spec)
    assert set(rows) <= set(registry.codec_ids()), f"rows for codecs the registry lacks: {set(rows) - set(BY_ID)}"
    assert list(rows) == list(registry.codec_ids()), "the README's rows are not in registry order"


def check_row(row: dict[str, str], spec: registry.CodecSpec) -> None:
    """A row of the README's codec table states what the registry entry says."""
    assert row["class"] == f"`{spec.cls}`"
    assert row["kind"] == spec.kind
    assert row["zarr v3"] == (spec.zarr_v3_kind or "none")
    assert row["zarr v2"] == spec.zarr_v2_use
    assert (row["lossy?"] == "lossless") == spec.lossless
    assert [d.strip() for d in row["dtypes"].split("→")[0].split(",")] == list(spec.dtypes)
    assert _backticked(row["parameters"]) == set(spec.parameters)


@pytest.mark.parametrize("spec", registry.CODECS, ids=lambda s: s.id)
def test_codec_table_row_equals_the_registry(spec):
    row = codec_table().get(spec.id)
    assert row is not None, _missing_row(spec)
    check_row(row, spec)


@pytest.mark.parametrize("spec", registry.CODECS, ids=lambda s: s.id)
def test_the_row_a_missing_codec_is_told_to_add_passes(spec):
    check_row(dict(zip(COLUMNS, _cells(expected_row(spec)), strict=True)), spec)


def test_zarr_usage_statements_match_the_kinds():
    """``filters=[X(...)]``, ``compressors=[X(...)]`` and "`X` as the v3 `serializer`" name codecs of that kind."""
    slots = {"filters": "filter", "compressors": "compressor"}
    found = 0
    for slot, name in re.findall(r"(filters|compressors)=\[(\w+)\(", README):
        if name in registry.BY_CLASS:
            assert registry.BY_CLASS[name].kind == slots[slot], f"README puts {name} in {slot}"
            found += 1
    for name in re.findall(r"`(\w+)` as the v3 `serializer`", README):
        assert registry.BY_CLASS[name].kind == "serializer"
        found += 1
    assert found >= 3


def test_list_codecs_is_said_to_return_a_list():
    assert isinstance(list_codecs(), list) and all(isinstance(entry, dict) for entry in list_codecs())
    assert "`pymecompress.list_codecs()` returns this listing as a list of dicts" in README
    keys = re.search(r"list of dicts \(keys ([^)]*)\)", README)[1]
    assert _backticked(keys) == set(list_codecs()[0])
    assert not re.search(r"list_codecs\(\)`?[^.]{0,40}\bprints?\b", README + (pymecompress.registry.__doc__ or ""))


DECODING = re.compile(r"decod\w*[^.]{0,80}\b(middle|midpoint)\b|\b(middle|midpoint)\b[^.]{0,40}\bis unbiased",
                      re.IGNORECASE | re.DOTALL)


@pytest.mark.parametrize("name, text", [("README.md", README), ("pymecompress/camera.py", camera.__doc__)])
def test_decoding_described_as_format_md_defines_it(name, text):
    """FORMAT.md: a code decodes to an unbiased reconstruction point inside its interval, dithered to integers,
    because the middle of the interval is biased."""
    assert "unbiased reconstruction point" in FORMAT and "midpoint overestimates" in FORMAT
    flat = " ".join(text.split())
    assert "unbiased reconstruction point" in flat, f"{name} does not describe decoding as FORMAT.md does"
    assert "dithered to integers" in flat
    for match in DECODING.finditer(flat):
        assert re.search(r"\bnot\b", match.group(0)), f"{name} says decoding returns the middle: {match.group(0)!r}"


def test_added_noise_figures_agree():
    """The README, the camera docstring and the demo give the same figure for the noise added at step 1."""
    expected = 100 * camera.CameraModel(step=1.0).added_noise_expected()
    assert f"{expected:.1f} %" in README and f"+{expected:.1f} %" in " ".join(camera.__doc__.split())
    assert round(100 * camera.CameraModel(step=2.0).added_noise_expected(), 1) == 15.5
    assert "15.5 %" in README
