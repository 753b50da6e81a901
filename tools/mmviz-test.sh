#!/usr/bin/env bash
# Checks mmviz on a sample dump: one row per program (a client id given to a second program,
# as its name line says, gets a row of its own), each row labelled with the program's name
# (XML-escaped), one rectangle per region, huge leaves marked, and a clear failure on input
# without any mmdump line.
set -euo pipefail
mmviz=$1 sample=$2 link=${3:-statically linked} # link: what `file` must say of $mmviz
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$mmviz" "$sample" -o "$out"
check() { # check WHAT EXPECTED ACTUAL
    if [[ "$2" != "$3" ]]; then echo "test mmviz $1: FAILED (expected $2, got $3)"; exit 1; fi
    echo "test mmviz $1: OK ($3)"
}
regions=$(grep -c ' region ' "$sample")
names=$(grep -c 'mmdump 0x[0-9a-f]* name ' "$sample")
check "client rows" "$names" "$(grep -c '>client ' "$out")"
check "name labels" "$names" "$(grep -c "class='name'" "$out")"
check "ping's row" 1 "$(grep -c ">ping</text>" "$out")"
check "escaped name" 1 "$(grep -c '>a&lt;b&amp;c</text>' "$out")"
check "region rectangles" "$regions" "$(grep -c '<title>' "$out")"
check "2 MiB leaf marks" 1 "$(grep -c '>2M<' "$out")"
check "$link" 1 "$(file -b "$mmviz" | grep -c "$link")"
if echo "no dump here" | "$mmviz" >/dev/null 2>&1; then
    echo "test mmviz no-input: FAILED (exit 0 without mmdump lines)"; exit 1
fi
echo "test mmviz no-input: OK (refused)"
