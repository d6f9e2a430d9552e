#!/usr/bin/env bash
# Sanitizer run of the whole package: builds pymecompress with AddressSanitizer and UndefinedBehaviorSanitizer
# (PYMECOMPRESS_SANITIZE=1, see build_ffi.py) in a throwaway virtualenv and runs the pytest suite against that
# build, the sanitizer runtimes preloaded into Python.  Exits non-zero on any sanitizer report (also from the
# subprocesses some tests start) or test failure.
#
# Usage: bash tests/sanitize.sh [PYTEST ARGS...]
# PYMECOMPRESS_SANITIZE_WORKERS=N runs the suite in N pytest-xdist processes (installed in the throwaway virtualenv
# only; default 1, a single process).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Build from a clean copy of the tree: an in-tree build would reuse the objects of an earlier build in build/
# (or leave sanitized ones there for the next plain install).
echo "== copying the tree"
mkdir "$tmp/src"
tar -C "$root" --exclude=./.git --exclude=./build --exclude='*.egg-info' --exclude='./.venv*' --exclude=./.ci-venv \
    --exclude=./fuzz/corpus --exclude=./fuzz/build --exclude=./fuzz/artifacts --exclude=./js/node_modules \
    --exclude=./ci-artifacts -cf - . | tar -C "$tmp/src" -xf -

echo "== sanitized build (PYMECOMPRESS_SANITIZE=1) in a throwaway virtualenv"
python3 -m venv "$tmp/venv"
# shellcheck disable=SC1091
. "$tmp/venv/bin/activate"
if ! PYMECOMPRESS_SANITIZE=1 python -m pip install -q "$tmp/src[test]" >"$tmp/pip.log" 2>&1; then
    cat "$tmp/pip.log" >&2
    exit 1
fi

workers=${PYMECOMPRESS_SANITIZE_WORKERS:-1}
parallel=()
if [ "$workers" -gt 1 ]; then
    if ! python -m pip install -q "pytest-xdist>=3" >"$tmp/pip.log" 2>&1; then
        cat "$tmp/pip.log" >&2
        exit 1
    fi
    parallel=(-n "$workers")
fi

core=$(find "$tmp/venv" -path '*/site-packages/pymecompress/_core*.so' | head -n 1)
# ldd's output is taken whole first: `ldd | grep -q` under pipefail fails at random when grep stops reading early
libs=$( [ -n "$core" ] && ldd "$core" || true )
if [ -z "$core" ] || ! grep -q 'libasan' <<<"$libs"; then
    echo "sanitize: the installed pymecompress._core is not an AddressSanitizer build ($core)" >&2
    exit 1
fi

# Python is not instrumented: the runtimes must be loaded first (and are inherited by the subprocesses some tests
# start).  Every report aborts its process.
#  - detect_leaks=0: the interpreter itself leaks at exit.
#  - quarantine_size_mb=8 (default 256): the freed memory ASan holds back to catch a use after free would alone push
#    the peak-memory bound of tests/test_cli_tools.py::test_convert_bounded_memory over; the C core frees its
#    buffers when a call returns, well within 8 MB of later frees.
#  - PYTHONMALLOC=malloc gives every Python object (bytes handed to the decoders included) its own malloc block with
#    redzones, so an overrun of a small object is caught instead of landing in a pymalloc arena.
#  - pytest captures at the Python level only (--capture=sys), so a report written to file descriptor 2 reaches the
#    log instead of vanishing with pytest's capture file; ASan also writes its reports to files, which catches one in
#    a subprocess whose output a test captured (UBSan's runtime ignores log_path when ASan's is loaded; a UBSan
#    report there still fails the test through the subprocess's exit status).
libasan=$(gcc -print-file-name=libasan.so)
libubsan=$(gcc -print-file-name=libubsan.so)
reports="$tmp/reports"
mkdir "$reports"
echo "== pytest under ASan + UBSan (LD_PRELOAD=$libasan:$libubsan)"
status=0
(cd "$root" && env LD_PRELOAD="$libasan:$libubsan" \
    ASAN_OPTIONS="detect_leaks=0:quarantine_size_mb=8:log_path=$reports/asan" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" PYTHONMALLOC=malloc \
    pytest -q -p no:cacheprovider --capture=sys "${parallel[@]}" "$@") 2>&1 | tee "$tmp/pytest.log" || status=$?

pattern='ERROR: AddressSanitizer|SUMMARY: [A-Za-z]*Sanitizer|runtime error:'
found=0
for f in "$reports"/*; do
    [ -e "$f" ] || continue
    echo "--- $f" >&2
    cat "$f" >&2
    if grep -q -E "$pattern" "$f"; then
        found=1
    fi
done
if grep -q -E "$pattern" "$tmp/pytest.log"; then
    found=1
fi
if [ "$found" -ne 0 ]; then
    echo "sanitize: FAILED: sanitizer report (above)" >&2
    exit 1
fi
if [ "$status" -ne 0 ]; then
    echo "sanitize: pytest failed (exit $status)" >&2
    exit "$status"
fi
echo "sanitize: no sanitizer report, all tests passed"
