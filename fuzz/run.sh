#!/usr/bin/env bash
# Coverage-guided fuzzing of the C decoders with libFuzzer: builds every target fuzz/fuzz_*.c with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer, seeds it with valid streams written by the package's own
# encoders (fuzz/make_corpus.py) and runs it for SECONDS (default 60).  Prints the number of executions per
# target; exits non-zero when a target crashed, leaked, timed out, ran out of memory or failed one of its checks
# (the input is then kept in fuzz/artifacts/; rerun it with `fuzz/build/fuzz_TARGET fuzz/artifacts/FILE`).
#
# Usage: bash fuzz/run.sh [SECONDS]
#   FUZZ_TARGETS="pmcs nbit"  only these targets (default: all fuzz/fuzz_*.c)
#   FUZZ_ARGS="-jobs=2 ..."   extra libFuzzer options
# New inputs that reach new code are added to fuzz/corpus/TARGET/, so longer local runs build on earlier ones.
set -euo pipefail
seconds=${1:-60}
case "$seconds" in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build="$here/build"
corpus="$here/corpus"
artifacts="$here/artifacts"
mkdir -p "$build" "$corpus" "$artifacts"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- clang with libFuzzer (Debian's clang package ships it)
if ! command -v clang >/dev/null 2>&1; then
    echo "== installing clang"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null
fi
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' >"$tmp/probe.c"
probe() {
    clang -fsanitize=fuzzer,address,undefined -o "$tmp/probe" "$tmp/probe.c" 2>"$tmp/probe.log" \
        && "$tmp/probe" -runs=1 >/dev/null 2>&1
}
if ! probe; then
    # a clang installed without its recommended packages (e.g. --no-install-recommends) lacks the libFuzzer and
    # sanitizer runtimes: Debian's libclang-rt-<major>-dev has them
    major=$(clang --version | sed -n 's/.*clang version \([0-9][0-9]*\).*/\1/p' | head -n 1)
    echo "== installing libclang-rt-$major-dev (libFuzzer)"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq || true
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "libclang-rt-$major-dev" >/dev/null || true
    if ! probe; then
        cat "$tmp/probe.log" >&2
        echo "fuzz: clang -fsanitize=fuzzer does not work here" >&2
        exit 1
    fi
fi
echo "== $(clang --version | head -n 1)"

# ---- build
# shellcheck source=../tests/c/sources.sh
. "$root/tests/c/sources.sh"
c_library "$root"
flags=(-std=c99 -Wall -Wextra -ffp-contract=off -fno-strict-aliasing -g -O1
       "-fsanitize=fuzzer,address,undefined" -fno-sanitize-recover=all "${C_INCLUDES[@]}")
sources=("${C_SOURCES[@]}")
targets=()
for src in "$here"/fuzz_*.c; do
    t=$(basename "$src" .c)
    t=${t#fuzz_}
    if [ -n "${FUZZ_TARGETS:-}" ] && [[ " $FUZZ_TARGETS " != *" $t "* ]]; then
        continue
    fi
    echo "== building fuzz_$t"
    clang "${flags[@]}" -o "$build/fuzz_$t" "$src" "${sources[@]}" -lm
    targets+=("$t")
done
[ "${#targets[@]}" -gt 0 ] || { echo "fuzz: no target selected" >&2; exit 2; }

# ---- seed corpus: the installed package's encoders, else a throwaway virtualenv with this tree installed
py=python3
if ! (cd / && "$py" -c "import pymecompress._binding" >/dev/null 2>&1); then
    echo "== installing the package in a throwaway virtualenv for the seed corpus"
    mkdir "$tmp/src"
    tar -C "$root" --exclude=./.git --exclude=./build --exclude='*.egg-info' --exclude='./.venv*' \
        --exclude=./.ci-venv --exclude=./fuzz/corpus --exclude=./fuzz/build --exclude=./fuzz/artifacts -cf - . |
        tar -C "$tmp/src" -xf -
    python3 -m venv "$tmp/venv"
    if ! "$tmp/venv/bin/python" -m pip install -q "$tmp/src" >"$tmp/pip.log" 2>&1; then
        cat "$tmp/pip.log" >&2
        exit 1
    fi
    py="$tmp/venv/bin/python"
fi
echo "== seed corpus"
"$py" "$here/make_corpus.py" "$corpus"

# ---- fuzz
echo "== fuzzing each target for ${seconds}s"
failed=()
for t in "${targets[@]}"; do
    mkdir -p "$corpus/$t"
    log="$build/fuzz_$t.log"
    rc=0
    # shellcheck disable=SC2086
    "$build/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=20 -rss_limit_mb=2048 \
        -max_len=16384 -artifact_prefix="$artifacts/$t-" ${FUZZ_ARGS:-} "$corpus/$t" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ "$rc" -eq 0 ]; then
        printf 'fuzz_%-8s %10s executions in %ss: ok\n' "$t" "${execs:-?}" "$seconds"
    else
        printf 'fuzz_%-8s %10s executions in %ss: FAILED (exit %s)\n' "$t" "${execs:-?}" "$seconds" "$rc"
        grep -E -A40 '^==[0-9]+==(ERROR|WARNING)|runtime error|fuzz check failed|ALARM|out-of-memory' "$log" \
            | head -n 60 >&2 || tail -n 60 "$log" >&2
        grep -E '^(Test unit written to|artifact_prefix)' "$log" >&2 || true
        failed+=("$t")
    fi
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]} (inputs in $artifacts; full logs in $build)" >&2
    exit 1
fi
echo "fuzz: no crash, leak or timeout in ${#targets[@]} targets"
