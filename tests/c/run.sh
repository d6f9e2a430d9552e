#!/usr/bin/env bash
# Builds and runs the standalone C tests of bcl/huffman.c and bcl/crc32c.c:
# once with the package's flags (-O3), once under AddressSanitizer and
# UndefinedBehaviorSanitizer.  `tests/c/run.sh --bench` also runs the
# microbenchmark of the -O3 build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CC=${CC:-gcc}
sources=("$here/test_huffman.c" "$root/bcl/huffman.c" "$root/bcl/crc32c.c" "$root/bcl/pmc_common.c")
flags=(-std=c99 -ffp-contract=off -fno-strict-aliasing -Wall -Wextra -Werror)

echo "== -O3 build"
"$CC" "${flags[@]}" -O3 -o "$here/test_huffman" "${sources[@]}" -lm
"$here/test_huffman"

echo "== -fsanitize=address,undefined build"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$CC" "${flags[@]}" -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
    -o "$tmp/test_huffman_san" "${sources[@]}" -lm
ASAN_OPTIONS=detect_leaks=1 "$tmp/test_huffman_san"

if [ "${1:-}" = "--bench" ]; then
    echo "== microbenchmark (-O3 build)"
    "$here/test_huffman" --bench-only
fi
