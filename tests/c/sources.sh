# Sourced by the shell scripts that compile the C library (tests/c/run.sh, fuzz/run.sh, .ci/run):
# `c_library ROOT` reads ROOT/c-sources.txt, the one list of the library's sources, into two arrays:
#   C_SOURCES   the listed .c files, as ROOT/path, lowest layer first
#   C_INCLUDES  -IROOT/include, then -I for each folder of a listed file, in the order they first appear
c_library() {
    local root=$1 line dir
    C_SOURCES=()
    C_INCLUDES=(-I"$root/include")
    local seen=" "
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%%#*}
        line=${line//[[:space:]]/}
        [ -n "$line" ] || continue
        C_SOURCES+=("$root/$line")
        dir=$(dirname "$line")
        if [[ "$seen" != *" $dir "* ]]; then
            seen+="$dir "
            C_INCLUDES+=(-I"$root/$dir")
        fi
    done < "$root/c-sources.txt"
    [ "${#C_SOURCES[@]}" -gt 0 ] || { echo "no C sources listed in $root/c-sources.txt" >&2; return 1; }
}
