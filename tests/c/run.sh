#!/usr/bin/env bash
# Builds and runs the standalone C tests against the library c-sources.txt lists: test_huffman.c (the entropy coder
# and CRC-32C, through the library's internal headers) and test_api.c (the public interface, compiled with
# include/ alone on its include path):
# once with the package's flags (-O3), once under AddressSanitizer and
# UndefinedBehaviorSanitizer.  `tests/c/run.sh --bench` also runs the
# microbenchmark of the -O3 build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CC=${CC:-gcc}
# shellcheck source=sources.sh
. "$here/sources.sh"
c_library "$root"
library=("${C_SOURCES[@]}")
lib_includes=("${C_INCLUDES[@]}")
sources=("$here/test_huffman.c" "${library[@]}")
flags=(-std=c99 -ffp-contract=off -fno-strict-aliasing -Wall -Wextra -Werror "${lib_includes[@]}")

echo "== -O3 build"
"$CC" "${flags[@]}" -O3 -o "$here/test_huffman" "${sources[@]}" -lm
"$here/test_huffman"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
api_flags=(-std=c99 -ffp-contract=off -fno-strict-aliasing -Wall -Wextra -Werror)
"$CC" "${api_flags[@]}" -O3 -I"$root/include" -c "$here/test_api.c" -o "$tmp/test_api.o"
"$CC" "${api_flags[@]}" -O3 "${lib_includes[@]}" -o "$tmp/test_api" "$tmp/test_api.o" "${library[@]}" -lm
"$tmp/test_api"

echo "== -fsanitize=address,undefined build"
"$CC" "${flags[@]}" -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
    -o "$tmp/test_huffman_san" "${sources[@]}" -lm
ASAN_OPTIONS=detect_leaks=1 "$tmp/test_huffman_san"
san=(-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all)
"$CC" "${api_flags[@]}" "${san[@]}" -I"$root/include" -c "$here/test_api.c" -o "$tmp/test_api_san.o"
"$CC" "${api_flags[@]}" "${san[@]}" "${lib_includes[@]}" -o "$tmp/test_api_san" "$tmp/test_api_san.o" "${library[@]}" -lm
ASAN_OPTIONS=detect_leaks=1 "$tmp/test_api_san"

if [ "${1:-}" = "--bench" ]; then
    echo "== microbenchmark (-O3 build)"
    "$here/test_huffman" --bench-only
fi
