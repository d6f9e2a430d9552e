"""cffi builder of the C core (out-of-line API mode): ``pymecompress._core``.

``setup.py`` names this file in ``cffi_modules``; it is not imported at run time.  The cffi declarations are
generated from the library's one public header, ``include/pymecompress.h`` (see :func:`cdef_from_header`), so the
binding can use exactly what the header declares: its functions, types and integer constants.
"""

import os
import re
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
HEADER = HERE / "include" / "pymecompress.h"

SOURCE_LIST = HERE / "c-sources.txt"


def read_source_list(path: Path = SOURCE_LIST) -> list[str]:
    """The C library's sources as ``c-sources.txt`` lists them (paths relative to the repository root, lowest
    layer first): every line without its ``#`` comment, blank ones skipped."""
    entries = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()]
    return [entry for entry in entries if entry]


def folders_of(sources: list[str]) -> list[str]:
    """The folders of ``sources``, in the order they first appear: the library's layers, lowest first."""
    return list(dict.fromkeys(str(Path(source).parent) for source in sources))


def cdef_from_header(text: str) -> str:
    """cffi declarations of a C header: its declarations as written, each ``#define NAME value`` as ``NAME ...``.

    Comments, the include guard, ``#include`` lines and the ``extern "C"`` wrapper are dropped; cffi then takes
    every integer constant's value from the compiled header itself.
    """
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        define = re.match(r"#define\s+([A-Za-z_]\w*)\s+\S", stripped)
        if define:
            lines.append(f"#define {define.group(1)} ...")
        elif not stripped.startswith("#") and stripped not in ('extern "C" {', "}"):  # C++ wrapper: its own lines
            lines.append(line)
    return "\n".join(line for line in lines if line.strip()) + "\n"


SOURCES = read_source_list()
C_FOLDERS = folders_of(SOURCES)
# the headers the sources include: the build depends on them, and setuptools ships them in the sdist with the sources
HEADERS = sorted(str(path.relative_to(HERE)) for folder in ("include", *C_FOLDERS)
                 for path in (HERE / folder).glob("*.h"))

# Exact IEEE arithmetic (no FMA contraction) keeps the quantizer tables identical
# on every machine; no -march flag: AVX2 kernels are chosen at run time.
CFLAGS = ["-O3", "-std=c99", "-ffp-contract=off", "-fno-strict-aliasing", "-Wall", "-Wextra"]
LINK_ARGS: list[str] = []

# PYMECOMPRESS_SANITIZE=1: AddressSanitizer + UndefinedBehaviorSanitizer build for tests/sanitize.sh (the module
# then only loads with the sanitizer runtimes preloaded: LD_PRELOAD=libasan.so:libubsan.so).  -O1 comes last.
if os.environ.get("PYMECOMPRESS_SANITIZE") == "1":
    SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g", "-O1"]
    CFLAGS += SANITIZE
    LINK_ARGS += SANITIZE

ffibuilder = FFI()
ffibuilder.cdef(cdef_from_header(HEADER.read_text()))
ffibuilder.set_source(
    "pymecompress._core",
    '#include "pymecompress.h"\n',
    sources=SOURCES,
    include_dirs=["include", *C_FOLDERS],
    depends=HEADERS,
    extra_compile_args=CFLAGS,
    extra_link_args=LINK_ARGS,
    libraries=["m"],
)

if __name__ == "__main__":
    ffibuilder.compile(tmpdir=str(HERE / "build"), verbose=True)
