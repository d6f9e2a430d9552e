"""The C library's shape: one public header, layers that include only downwards, the binding built from the header.

``include/pymecompress.h`` is the whole contract of the library (its comment lists the layers).  These tests keep
it so: a new header or an upward ``#include`` fails here, before it becomes a habit.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# what each folder of the library may include besides the C standard library, lowest layer first (the folders
# of c-sources.txt, in its order: test_the_source_list_names_every_source checks that)
LAYERS = {
    "common": {"include", "common"},
    "bcl": {"include", "common", "bcl"},
    "quantizer": {"include", "common", "quantizer"},
    "container": {"include", "common", "bcl", "quantizer", "container"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def _headers() -> dict[str, str]:
    """Every project header name -> the folder holding it (names are unique across folders)."""
    found: dict[str, str] = {}
    for folder in ("include", *LAYERS):
        for path in (ROOT / folder).glob("*.h"):
            assert path.name not in found, f"header {path.name} exists in {found[path.name]}/ and {folder}/"
            found[path.name] = folder
    return found


def test_one_public_header() -> None:
    assert sorted(p.name for p in (ROOT / "include").iterdir()) == ["pymecompress.h"]


@pytest.mark.parametrize("folder", sorted(LAYERS))
def test_layers_include_only_downwards(folder: str) -> None:
    headers = _headers()
    for path in sorted((ROOT / folder).glob("*.[ch]")):
        for name in INCLUDE.findall(path.read_text()):
            assert "/" not in name, f"{path.relative_to(ROOT)} includes {name!r} by a path: use the include dirs"
            assert name in headers, f"{path.relative_to(ROOT)} includes {name!r}, which is no project header"
            assert headers[name] in LAYERS[folder], (
                f"{path.relative_to(ROOT)} includes {name} of {headers[name]}/, a layer above or beside {folder}/")


def test_no_source_reaches_up_a_folder() -> None:
    for pattern in ("*.c", "*.h"):
        for path in ROOT.rglob(pattern):
            rel = path.relative_to(ROOT)
            if rel.parts[0] in {"build", "node_modules"} or "node_modules" in rel.parts:
                continue
            for name in INCLUDE.findall(path.read_text(errors="replace")):
                assert not name.startswith(".."), f"{rel} includes {name!r}: pass include dirs instead"


def _build_ffi():
    """The build script as a module (it sits at the repository root, outside the test path)."""
    spec = importlib.util.spec_from_file_location("build_ffi", ROOT / "build_ffi.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_source_list_names_every_source() -> None:
    """c-sources.txt, the one list every build reads, names each .c file of the library's folders once, layer by
    layer in the order of LAYERS, and nothing else; no other build file names the folders itself."""
    build_ffi = _build_ffi()
    listed = build_ffi.read_source_list()
    assert len(listed) == len(set(listed)), "c-sources.txt names a file twice"
    assert build_ffi.folders_of(listed) == list(LAYERS), "c-sources.txt's folders are not the layers, lowest first"
    on_disk = sorted(str(path.relative_to(ROOT)) for folder in LAYERS for path in (ROOT / folder).glob("*.c"))
    assert sorted(listed) == on_disk, "c-sources.txt and the .c files of the library's folders differ"
    # grouped by folder: the list reads layer by layer
    assert [str(Path(s).parent) for s in listed] == sorted((str(Path(s).parent) for s in listed),
                                                             key=list(LAYERS).index)
    for build_file in ("build_ffi.py", "js/scripts/build-wasm.mjs", "tests/c/run.sh", "fuzz/run.sh", ".ci/run",
                       "MANIFEST.in"):
        text = (ROOT / build_file).read_text()
        assert "c-sources.txt" in text or "sources.sh" in text, f"{build_file} does not read c-sources.txt"
        for folder in LAYERS:
            names_it = (rf"(?<![\w.-]){folder}/(\*|\w+\.c)", rf"-I\S*\b{folder}\b", rf"[\"']{folder}[\"']",
                        rf"(recursive-include|graft)\s+{folder}\b")
            assert not any(re.search(pattern, text) for pattern in names_it), (
                f"{build_file} names the C folder {folder}/ itself: read c-sources.txt instead")


def test_binding_declarations_come_from_the_public_header() -> None:
    from pymecompress._core import lib

    build_ffi = _build_ffi()
    cdef = build_ffi.cdef_from_header((ROOT / "include" / "pymecompress.h").read_text())
    functions = set(re.findall(r"\b(pmc_\w+)\s*\(", cdef))
    constants = set(re.findall(r"#define (PMC_\w+) \.\.\.", cdef))
    assert {"pmc_decode", "pmc_encode", "pmc_stream_info", "pmc_quant_init", "pmc_nbit_unpack"} <= functions
    assert {"PMC_E_CHECKSUM", "PMC_MODE_QUANT", "PMC_SIMD_PORTABLE"} <= constants
    for name in sorted(functions | constants):
        assert hasattr(lib, name), f"{name} is declared in pymecompress.h but not in the compiled module"
    source = (ROOT / "build_ffi.py").read_text()
    assert "cdef_from_header" in source and not re.search(r"^\s*int pmc_\w+\(", source, re.M)


def test_binding_names_status_codes() -> None:
    """The binding compares status codes with the header's names, never with bare numbers."""
    source = (ROOT / "pymecompress" / "_binding.py").read_text()
    assert not re.search(r"rc\s*[=!]=\s*-?\d", source)
    assert not re.search(r"\{\s*-\d+\s*,", source)


def test_status_messages_are_distinct() -> None:
    from pymecompress._core import ffi, lib

    codes = [getattr(lib, name) for name in dir(lib) if name.startswith("PMC_E_")]
    messages = {ffi.string(lib.pmc_strerror(code)).decode() for code in codes}
    assert len(messages) == len(codes) and "unknown error" not in messages


def test_the_sdist_ships_the_listed_sources_and_their_headers(tmp_path: Path) -> None:
    """MANIFEST.in names no C folder: the sources c-sources.txt lists and the headers beside them reach the sdist
    through the extension build_ffi.py declares (sources and depends), with the list itself."""
    import subprocess
    import sys
    import tarfile

    subprocess.run([sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path), str(ROOT)], check=True,
                   capture_output=True)
    (archive,) = tmp_path.glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    build_ffi = _build_ffi()
    headers = {str(path.relative_to(ROOT)) for folder in ("include", *LAYERS) for path in (ROOT / folder).glob("*.h")}
    wanted = {"c-sources.txt", "build_ffi.py", "docs/FORMAT.md", *build_ffi.read_source_list(), *headers}
    assert wanted <= names, f"the sdist lacks {sorted(wanted - names)}"
