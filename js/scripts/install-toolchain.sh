#!/usr/bin/env bash
# Install, from Debian's packages, what building and testing js/ needs and this machine lacks: clang, wasm-ld
# (lld), wasi-libc, clang's WebAssembly runtime (libclang-rt-<clang major>-dev-wasm32), Node.js and npm, and with
# --with-browser Chromium (the viewer's browser tests).  Only what is missing is installed: a Node.js from another
# source (NodeSource, nvm, a distribution's newer packages) is kept, since Debian's npm package conflicts with it.
#
# Usage: bash js/scripts/install-toolchain.sh [--with-browser] [--dry-run]
#   --dry-run  print the Debian packages that would be installed (one line, empty when nothing is missing)
set -euo pipefail
browser=0
dry=0
for arg in "$@"; do
    case "$arg" in
        --with-browser) browser=1 ;;
        --dry-run) dry=1 ;;
        *) echo "install-toolchain.sh: unknown option $arg (use --with-browser, --dry-run)" >&2; exit 2 ;;
    esac
done

have_package() { command -v dpkg >/dev/null && dpkg -s "$1" >/dev/null 2>&1; }

need=()
command -v clang >/dev/null || need+=(clang)
clang_major=$( (command -v clang >/dev/null && clang --version || echo "clang version 14") \
    | sed -n 's/.*clang version \([0-9][0-9]*\).*/\1/p' | head -n 1)
command -v wasm-ld >/dev/null || need+=(lld)
have_package wasi-libc || need+=(wasi-libc)
have_package "libclang-rt-$clang_major-dev-wasm32" || need+=("libclang-rt-$clang_major-dev-wasm32")
if ! command -v node >/dev/null; then
    need+=(nodejs)
    command -v npm >/dev/null || need+=(npm)
elif ! command -v npm >/dev/null; then
    echo "install-toolchain.sh: node is installed ($(command -v node)) but npm is not; Debian's npm package" \
         "conflicts with a Node.js from another source: install npm the way that Node.js came" >&2
    exit 1
fi
[ "$browser" = 1 ] && ! command -v chromium >/dev/null && need+=(chromium)

if [ "$dry" = 1 ]; then
    echo "${need[*]}"
    exit 0
fi
if [ ${#need[@]} -gt 0 ]; then
    echo "installing from Debian: ${need[*]}"
    sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
node --version
