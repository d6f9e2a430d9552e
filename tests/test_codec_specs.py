"""docs/codecs/ (the zarr v3 codec specifications) agree with what the code writes.

For every zarr v3 codec: the codec entry zarr-python writes to ``zarr.json`` validates against
``docs/codecs/<name>.schema.json`` and holds exactly the keys the schema lists (besides the deprecated read-only
``scale``); ``docs/codecs/<name>.md`` states the name, the kind and every configuration key; the schema's ranges
are the code's; the fixtures each page lists exist, every fixture of the codec is listed, and they are what the
pages say they are; every link into FORMAT.md resolves. The schemas are checked with ``jsonschema`` when it is
installed, otherwise with the small validator below (it knows the keywords the schemas use and refuses others).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import fixture_cases
from helpers import FIXTURES, ROOT, camera_args

zarr = pytest.importorskip("zarr")

from zarr.abc.codec import ArrayArrayCodec, ArrayBytesCodec, BytesBytesCodec  # noqa: E402

from pymecompress import registry  # noqa: E402
from pymecompress.camera import LIMITS  # noqa: E402
from pymecompress.zarr import codecs as zarr_codecs  # noqa: E402

DOCS = ROOT / "docs" / "codecs"
FORMAT = ROOT / "docs" / "FORMAT.md"
SLOTS = {"compressor": "compressors", "filter": "filters", "serializer": "serializer"}  # of zarr.create_array


def spec_row(codec_id: str) -> tuple[str, str, str, dict]:
    """(kind as the page writes it, ``create_array`` slot, data type, constructor arguments) of a zarr v3 codec:
    from the registry and the codec's zarr v3 case (``ZARR_V3_CASE`` of its tests/test_codec_<id>.py)."""
    spec = registry.BY_ID[codec_id]
    kind = spec.zarr_v3_kind.replace("-to-", " -> ")
    if fixture_cases.zarr_v3_case_of(codec_id) is None:  # tests/test_zarr.py says what to define
        return kind, SLOTS[spec.kind], spec.dtypes[0], {}
    configuration = fixture_cases.zarr_v3_codec_entry(codec_id).get("configuration", {})
    return kind, SLOTS[spec.kind], fixture_cases.zarr_v3_input(codec_id).dtype.name, configuration


# name -> (kind as the page writes it, create_array slot, data type, constructor arguments)
SPECS = {codec_id: spec_row(codec_id) for codec_id in registry.codec_ids(zarr_v3=True)}
KIND_BASES = {"bytes -> bytes": BytesBytesCodec, "array -> array": ArrayArrayCodec, "array -> bytes": ArrayBytesCodec}
LEGACY_IDS = registry.codec_ids(zarr_v3=False)  # numcodecs only
SERIALIZERS = {"bytes", *registry.codec_ids(zarr_v3=True, kinds=("serializer",))}


# -- schema validation --------------------------------------------------------------------------------------------

ANNOTATIONS = {"$schema", "$id", "title", "description", "default", "deprecated"}
CHECKED = {"type", "const", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "properties",
           "required", "additionalProperties", "not", "anyOf"}


def _has_type(value, kind: str) -> bool:
    if kind == "integer":  # JSON Schema: any number with a zero fractional part
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, {"object": dict, "array": list, "string": str, "boolean": bool}[kind]) or (
        kind == "null" and value is None)


def small_validate(value, schema: dict, where: str = "$") -> list[str]:
    """Errors of ``value`` against ``schema``, for the subset of draft 2020-12 the codec schemas use."""
    unknown = set(schema) - ANNOTATIONS - CHECKED
    assert not unknown, f"{where}: the small validator does not know {sorted(unknown)}; extend it"
    errors = []
    if "type" in schema and not _has_type(value, schema["type"]):
        return [f"{where}: {value!r} is not of type {schema['type']}"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} is not one of {schema['enum']!r}")
    if _has_type(value, "number"):
        if "minimum" in schema and not value >= schema["minimum"]:
            errors.append(f"{where}: {value!r} < minimum {schema['minimum']!r}")
        if "maximum" in schema and not value <= schema["maximum"]:
            errors.append(f"{where}: {value!r} > maximum {schema['maximum']!r}")
        if "exclusiveMinimum" in schema and not value > schema["exclusiveMinimum"]:
            errors.append(f"{where}: {value!r} <= exclusiveMinimum {schema['exclusiveMinimum']!r}")
        if "exclusiveMaximum" in schema and not value < schema["exclusiveMaximum"]:
            errors.append(f"{where}: {value!r} >= exclusiveMaximum {schema['exclusiveMaximum']!r}")
    if "not" in schema and not small_validate(value, schema["not"], where):
        errors.append(f"{where}: {value!r} matches a form the schema forbids: {schema['not']!r}")
    if "anyOf" in schema and all(small_validate(value, sub, where) for sub in schema["anyOf"]):
        errors.append(f"{where}: {value!r} matches none of {schema['anyOf']!r}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        errors += [f"{where}: {key!r} is required" for key in schema.get("required", []) if key not in value]
        for key, item in value.items():
            if key in properties:
                errors += small_validate(item, properties[key], f"{where}.{key}")
            elif schema.get("additionalProperties", True) is False:
                errors.append(f"{where}: unexpected key {key!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += small_validate(item, schema["additionalProperties"], f"{where}.{key}")
    return errors


def validate(value, schema: dict) -> list[str]:
    """Errors of ``value`` against ``schema`` (jsonschema when installed, else :func:`small_validate`)."""
    try:
        import jsonschema
    except ImportError:
        return small_validate(value, schema)
    return [error.message for error in jsonschema.Draft202012Validator(schema).iter_errors(value)]


def load_schema(name: str) -> dict:
    return json.loads((DOCS / f"{name}.schema.json").read_text())


def config_schema(name: str) -> dict:
    return load_schema(name)["properties"]["configuration"]


def written_keys(name: str) -> set[str]:
    """The configuration keys a writer writes: every key of the schema except deprecated read-only ones."""
    return {key for key, sub in config_schema(name)["properties"].items() if not sub.get("deprecated")}


def page(name: str) -> str:
    return (DOCS / f"{name}.md").read_text()


# -- the entry written by zarr-python -----------------------------------------------------------------------------

def write_array(path, name: str) -> dict:
    """Write a small array with the codec in its slot; return the ``codecs`` list of its zarr.json."""
    _, slot, dtype, kwargs = SPECS[name]
    codec = zarr_codecs.PUBLIC[name](**kwargs)
    placement = {"serializer": codec, "compressors": None} if slot == "serializer" else {slot: [codec]}
    z = zarr.create_array(path, shape=(2, 40, 48), chunks=(1, 32, 32), dtype=dtype, zarr_format=3, fill_value=0,
                          **placement)
    rng = np.random.default_rng(7)
    data = (rng.poisson(40, z.shape) * 2 + 100).astype(dtype)
    z[...] = data
    assert zarr.open_array(path, mode="r")[...].shape == data.shape
    return json.loads((path / "zarr.json").read_text())["codecs"]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_written_entry_validates_against_the_schema(name, tmp_path):
    codecs = write_array(tmp_path / f"{name}.zarr", name)
    names = [entry["name"] for entry in codecs]
    assert names.count(name) == 1, names
    entry = codecs[names.index(name)]
    kind = SPECS[name][0]
    position = names.index(name)
    serializer = next(i for i, entry in enumerate(codecs) if entry["name"] in SERIALIZERS)
    assert {"array -> array": position < serializer, "array -> bytes": position == serializer,
            "bytes -> bytes": position > serializer}[kind], f"{name} is not in the {kind} slot: {names}"
    assert validate(entry, load_schema(name)) == []
    assert set(entry["configuration"]) == written_keys(name), "the schema lists other keys than the code writes"
    face = zarr_codecs.FACES[name]  # the zarr v3 form of the codec
    assert face.from_dict(entry).to_dict() == entry


@pytest.mark.parametrize("name", sorted(SPECS))
def test_schema_is_draft_2020_12_and_names_the_codec(name):
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["name"] == {"const": name}
    camera = registry.BY_ID[name].takes_camera  # the noise-bounded codecs never assume a camera
    assert schema["required"] == (["name", "configuration"] if camera else ["name"])
    assert schema["additionalProperties"] is False and config_schema(name)["additionalProperties"] is False
    assert (validate({"name": name}, schema) == []) != camera, "an entry without configuration is valid (defaults)"
    assert validate({"name": name, "configuration": camera_args(name)}, schema) == []
    assert validate({"name": name + "x"}, schema) != []


def test_every_zarr_v3_codec_has_its_two_classes_written_out():
    """pymecompress/zarr/codecs.py writes a face and a public class per registry entry with a zarr v3 kind (no
    generated classes): named after the entry, on the base of its kind, over its numcodecs class."""
    faces = {"compressor": zarr_codecs._CompressorFace, "filter": zarr_codecs._FilterFace,
             "serializer": zarr_codecs._SerializerFace}
    assert set(zarr_codecs.FACES) == set(zarr_codecs.PUBLIC) == set(SPECS)
    for name in sorted(SPECS):
        spec = registry.BY_ID[name]
        face, public = getattr(zarr_codecs, f"{spec.cls}Codec", None), getattr(zarr_codecs, spec.cls, None)
        assert face is not None and public is not None, (
            f"{name}: write {spec.cls}Codec (on {faces[spec.kind].__name__}) and {spec.cls} in "
            "pymecompress/zarr/codecs.py, as the other codecs are, and add them to _PAIRS")
        assert zarr_codecs.FACES[name] is face and zarr_codecs.PUBLIC[name] is public
        assert face.spec is spec and issubclass(face, faces[spec.kind])
        assert face.codec_class is spec.numcodecs_class() and public.zarr_face is face
        assert issubclass(public, spec.numcodecs_class()) and issubclass(public, KIND_BASES[SPECS[name][0]])
        assert (face.__module__, public.__module__) == (zarr_codecs.__name__,) * 2
        assert f"{face.__module__}:{face.__name__}" == spec.zarr_target


@pytest.mark.parametrize("name", sorted(SPECS))
def test_page_states_name_kind_keys_and_defaults(name):
    text = page(name)
    kind = SPECS[name][0]
    assert issubclass(zarr_codecs.PUBLIC[name], KIND_BASES[kind])
    assert f"MUST be `{name}`." in text
    assert re.search(rf"^Defines an? `{re.escape(kind)}` codec", text, re.M), f"{name}.md does not state its kind"
    assert f"[{name}.schema.json]({name}.schema.json)" in text
    section = text.split("## Configuration parameters", 1)[1].split("\n## ", 1)[0]
    rows = {m["key"]: m for m in re.finditer(
        r"^\| `(?P<key>\w+)` \| (?P<type>\w+) \| (?:`(?P<default>[^`]+)`|(?P<required>required)) \|", section, re.M)}
    properties = config_schema(name)["properties"]
    required = set(config_schema(name).get("required", []))
    # what a configuration without the key means: the codec read from the required keys alone
    codec = zarr_codecs.PUBLIC[name].from_config(dict(camera_args(name)))
    absent = {**{key: getattr(codec, key) for key in properties if hasattr(codec, key)}, **codec.get_config()}
    assert set(rows) == written_keys(name), f"{name}.md's table does not list exactly the keys the codec writes"
    for key, row in rows.items():
        assert row["type"] == properties[key]["type"], key
        if row["required"]:  # required, or one of the keys of which one is (gain, or PYME's scale)
            either = [set(sub.get("required", [])) for sub in config_schema(name).get("anyOf", [])]
            assert (key in required or any(key in keys for keys in either)) and "default" not in properties[key], key
        else:
            assert json.loads(row["default"]) == properties[key]["default"] == absent[key], key
    for key in set(properties) - written_keys(name):
        assert f"`{key}`" in section, f"{name}.md does not mention the accepted key {key}"


@pytest.mark.parametrize("name", sorted(name for name in SPECS if registry.BY_ID[name].takes_camera))
def test_schema_ranges_are_the_format_limits(name):
    properties = config_schema(name)["properties"]
    for key, (low, high, _unit) in LIMITS.items():
        assert (properties[key]["minimum"], properties[key]["maximum"]) == (low, high), key
        stated = re.search(rf"\| (\S+) ≤ `{key}` ≤ (\S+) \|", page(name))
        assert stated, f"{name}.md does not give the range of {key}"
        assert (float(stated[1]), float(stated[2])) == (low, high), f"{name}.md gives another range of {key}"


CAM = {"offset": 100.0, "gain": 2.0}
BAD = [
    ("huffquant16", {"offset": -1.0000001e6, "gain": 2.0}), ("huffquant16", {"offset": 100, "gain": 0.0}),
    ("huffquant16", {"offset": 100, "gain": 1.1e6}), ("huffquant16", {**CAM, "read_noise": -0.5}),
    ("huffquant16", {**CAM, "step": 0.0009}), ("huffquant16", {**CAM, "step": 1001}),
    ("huffquant16", {"offset": 100, "scale": 0}), ("huffquant16", {**CAM, "level": 3}), ("hufflossless", {"level": 3}),
    ("vstquant16", {**CAM, "checksum": True}), ("vstquant16", {"offset": 2e6, "gain": 2.0}),
    ("nbitpack", {"nbits": 17}), ("nbitpack", {"nbits": -1}), ("nbitpack", {"nbits": 4.5}),
    ("nbitpack", {"nbits": True}), ("huffquant16", {**CAM, "checksum": "no"}), ("huffquant16", {**CAM, "step": True}),
    ("hufflossless", {"checksum": 0}), ("huffquant16", {"offset": "100", "gain": 2.0}),
    ("huffquant16", {**CAM, "step": 2.0, "scale": 1.0}),
    # no camera: the noise-bounded codecs never assume one
    ("huffquant16", {}), ("huffquant16", {"gain": 2.0}), ("huffquant16", {"offset": 100.0}), ("vstquant16", {}),
    ("huffquant8", {"read_noise": 1.0}),
    # saturation values outside the dtype, or not integers; dither not a boolean
    ("huffquant16", {**CAM, "saturation": 0, "dither": True}), ("huffquant16", {**CAM, "saturation": 65536}),
    ("huffquant8", {**CAM, "saturation": 256, "dither": True}), ("vstquant16", {**CAM, "saturation": 4095.5}),
    ("huffquant16", {**CAM, "dither": "yes"}), ("vstquant16", {**CAM, "dither": 1}),
]
GOOD = [
    ("huffquant16", {"offset": -1e6, "gain": 1e-6, "read_noise": 1e4, "step": 1e3, "checksum": False}),
    ("huffquant16", {"offset": 1e6, "gain": 1e6, "read_noise": 0, "step": 1e-3}),
    ("huffquant16", {"offset": 100, "gain": 4, "scale": 1.0}), ("huffquant16", {"offset": 100, "scale": 1.0}),
    ("huffquant16", CAM), ("huffquant16", {**CAM, "saturation": 4095, "dither": True}),
    ("huffquant8", {**CAM, "saturation": 255, "dither": True}), ("huffquant8", {**CAM, "dither": False}),
    ("vstquant16", {"offset": -1e6, "gain": 1e6, "read_noise": 1e4, "step": 1e-3}), ("vstquant16", CAM),
    ("vstquant16", {**CAM, "saturation": 1, "dither": True}),
    ("hufflossless", {"checksum": False}), ("nbitpack", {"nbits": 0}), ("nbitpack", {"nbits": 16}),
]


@pytest.mark.parametrize(("name", "configuration"), BAD)
def test_schema_and_code_refuse_the_same_configurations(name, configuration):
    entry = {"name": name, "configuration": configuration}
    assert validate(entry, load_schema(name)) != [], "the schema accepts it"
    with pytest.raises((TypeError, ValueError)):
        zarr_codecs.FACES[name].from_dict(entry)


@pytest.mark.parametrize(("name", "configuration"), GOOD)
def test_schema_and_code_accept_the_same_configurations(name, configuration):
    entry = {"name": name, "configuration": configuration}
    assert validate(entry, load_schema(name)) == []
    written = zarr_codecs.FACES[name].from_dict(entry).to_dict()
    assert validate(written, load_schema(name)) == []


@pytest.mark.parametrize("name", sorted(SPECS))
def test_page_example_is_an_array_zarr_python_opens(name, tmp_path):
    """The page's example ``zarr.json`` is valid: its entry passes the schema and zarr-python reads and writes it."""
    examples = re.findall(r"^```json\n(.*?)^```", page(name), re.M | re.S)
    assert len(examples) == 1
    metadata = json.loads(examples[0])
    entries = [entry for entry in metadata["codecs"] if entry["name"] == name]
    assert len(entries) == 1 and validate(entries[0], load_schema(name)) == []
    store = tmp_path / "example.zarr"
    store.mkdir()
    (store / "zarr.json").write_text(json.dumps(metadata))
    z = zarr.open_array(store, mode="r+")
    z[(0,) * z.ndim] = 123
    assert zarr.open_array(store, mode="r")[(0,) * z.ndim] > 0


# -- conformance fixtures -----------------------------------------------------------------------------------------

FIXTURE_REF = re.compile(r"`tests/fixtures/(?P<path>(?:decode_only/)?\w+\.npz)`")


def fixture_config(path) -> dict:
    return json.loads(str(np.load(path)["config"]))


def fixtures_of(codec_id: str) -> set[str]:
    paths = [*FIXTURES.glob("*.npz"), *(FIXTURES / "decode_only").glob("*.npz")]
    return {str(p.relative_to(FIXTURES)) for p in paths if fixture_config(p)["id"] == codec_id}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_page_lists_every_fixture_of_its_codec(name):
    listed = {m["path"] for m in FIXTURE_REF.finditer(page(name))}
    assert all((FIXTURES / path).is_file() for path in listed), "a page names a fixture that does not exist"
    if name == "vstquant16":  # its own, and the huffquant16 fixtures that hold values (same tables)
        expected = fixtures_of(name) | {p for p in fixtures_of("huffquant16")
                                        if "/" not in p and np.load(FIXTURES / p)["input"].size}
    else:
        expected = fixtures_of(name)
    assert listed == expected


SINGLE_CHUNK = sorted(p.stem for p in FIXTURES.glob("*.npz")  # the chunks of zarr v3 bytes codecs and serializers
                      if fixture_config(p)["id"] in SPECS and registry.BY_ID[fixture_config(p)["id"]].kind != "filter"
                      and np.load(p)["input"].size)


@pytest.mark.parametrize("fixture", SINGLE_CHUNK)
def test_fixture_is_the_chunk_zarr_stores(fixture, tmp_path):
    """docs/codecs/README.md: ``encoded`` is the chunk of a zarr v3 array of one chunk shaped like ``input``."""
    stored = np.load(FIXTURES / f"{fixture}.npz")
    config = fixture_config(FIXTURES / f"{fixture}.npz")
    name = config.pop("id")
    codec = zarr_codecs.PUBLIC[name].from_config(config)  # a stored configuration, read as stored ones are
    serializer = SPECS[name][1] == "serializer"
    placement = {"serializer": codec, "compressors": None} if serializer else {"compressors": [codec]}
    data = stored["input"]
    z = zarr.create_array(tmp_path / "a.zarr", shape=data.shape, chunks=data.shape, dtype=data.dtype, zarr_format=3,
                          fill_value=0, **placement)
    z[...] = data
    chunks = [p for p in (tmp_path / "a.zarr" / "c").rglob("*") if p.is_file()]
    assert len(chunks) == 1
    assert chunks[0].read_bytes() == stored["encoded"].tobytes()
    assert np.array_equal(z[...].reshape(-1), stored["decoded"])


@pytest.mark.parametrize("path", sorted(m["path"] for m in FIXTURE_REF.finditer(page("vstquant16"))
                                         if m["path"].startswith("huffquant16")))
def test_vstquant16_reproduces_the_huffquant16_fixtures(path, tmp_path):
    """docs/codecs/vstquant16.md: encoding ``input`` and decoding it as one chunk of its shape gives ``decoded``."""
    stored = np.load(FIXTURES / path)
    config = fixture_config(FIXTURES / path)
    params = {key: config[key] for key in ("offset", "gain", "read_noise", "step", "saturation", "dither")
              if key in config}
    data = stored["input"]
    z = zarr.create_array(tmp_path / "v.zarr", shape=data.shape, chunks=data.shape, dtype="uint16", zarr_format=3,
                          fill_value=0, filters=[zarr_codecs.VSTQuant16.from_config(params)], compressors=None)
    z[...] = data
    assert np.array_equal(z[...].reshape(-1), stored["decoded"])


# -- links and the index ------------------------------------------------------------------------------------------

def anchors(markdown: str) -> set[str]:
    """GitHub's anchors of the headings of ``markdown``."""
    headings = re.findall(r"^#+ (.+?)\s*$", markdown, re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("doc", sorted(p.name for p in DOCS.glob("*.md")))
def test_links_resolve(doc):
    text = (DOCS / doc).read_text()
    for target, anchor in re.findall(r"\]\((?!https?:)([^)#]*)(?:#([^)]*))?\)", text):
        path = (DOCS / target).resolve() if target else DOCS / doc
        assert path.exists(), f"{doc}: broken link to {target}"
        if anchor:
            assert anchor in anchors(path.read_text()), f"{doc}: {target}#{anchor} is not a heading"


def test_pages_refer_to_format_sections():
    formats = {"huffquant16": ["chunk-container", "entropy-coded-segment", "prediction", "quantizer-tables"],
               "hufflossless": ["chunk-container", "entropy-coded-segment", "prediction"],
               "vstquant16": ["quantizer-tables"], "nbitpack": ["n-bit-packed-stream"]}
    for name, sections in formats.items():
        for section in sections:
            assert f"(../FORMAT.md#{section})" in page(name), f"{name}.md does not refer to FORMAT.md#{section}"


def test_index_lists_the_codecs_and_the_numcodecs_only_legacy_ids():
    index = (DOCS / "README.md").read_text()
    entry_points = {group: {line.split(" = ")[0] for line in lines} for group, lines in registry.entry_points().items()}
    assert entry_points["zarr.codecs"] == set(SPECS) == set(zarr_codecs.PUBLIC)
    for name, (kind, *_) in SPECS.items():
        row = f"| `{name}` | `{kind}` | [{name}.md]({name}.md) | [{name}.schema.json]({name}.schema.json) |"
        assert row in index, f"docs/codecs/README.md's table has no row for {name}: add {row} <lossy?> | <data types> |"
    legacy = index.split("## Legacy ids", 1)[1].split("\n## ", 1)[0]
    assert "numcodecs codecs only" in " ".join(legacy.replace("**", "").split())
    for codec_id in LEGACY_IDS:
        assert f"| `{codec_id}` |" in legacy, (
            f"{codec_id} has no zarr v3 face: add its row to the numcodecs-only table of docs/codecs/README.md "
            "(## Legacy ids), linking the section of ../FORMAT.md that specifies its chunk")
        assert codec_id in entry_points["numcodecs.codecs"] and codec_id not in entry_points["zarr.codecs"]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_zarr_v3_codec_is_specified(name):
    """A codec with a zarr v3 face has its page and its schema here, and its page links the sections of
    docs/FORMAT.md that specify its stream (test_links_resolve checks that they exist)."""
    missing = [f"docs/codecs/{file}" for file in (f"{name}.md", f"{name}.schema.json") if not (DOCS / file).is_file()]
    assert not missing, (
        f"{name} has a zarr v3 face but no specification: write {' and '.join(missing)} like the other codecs' "
        "(the page: name, kind, configuration table, one example zarr.json, its fixtures, links into ../FORMAT.md; "
        "the schema: a draft 2020-12 JSON Schema of its zarr.json entry), and specify its stream in docs/FORMAT.md")
    assert re.search(r"\(\.\./FORMAT\.md#[\w-]+\)", page(name)), (
        f"docs/codecs/{name}.md links no section of docs/FORMAT.md: specify the codec's stream there and link it")


@pytest.mark.parametrize("codec_id", LEGACY_IDS)
def test_every_numcodecs_only_codec_links_its_format(codec_id):
    legacy = (DOCS / "README.md").read_text().split("## Legacy ids", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in legacy.splitlines() if line.startswith(f"| `{codec_id}` |")]
    assert rows and re.search(r"\(\.\./FORMAT\.md#[\w-]+\)", rows[0]), (
        f"{codec_id}: its row in docs/codecs/README.md (## Legacy ids) links no section of docs/FORMAT.md: specify "
        "its chunk there and link it")


def test_readme_points_to_the_specifications():
    assert "[docs/codecs/](docs/codecs/)" in (ROOT / "README.md").read_text()
