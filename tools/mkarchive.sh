#!/usr/bin/env bash
# Packs user programs into a boot archive with the cpio tool (newc format, the one the
# kernel reads), each under its file name (or NAME, for PROGRAM@NAME), in the order given:
# the order matters, mmserver starts the first member after itself as the root program.
#
#   mkarchive.sh OUTPUT.cpio PROGRAM[@NAME]...
set -euo pipefail
out=${1:?usage: mkarchive.sh OUTPUT.cpio PROGRAM...}
shift
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
names=()
for p in "$@"; do
    if [[ $p == *@* ]]; then name=${p##*@} src=${p%@*}; else name=${p##*/} src=$p; fi
    cp "$src" "$stage/$name"
    names+=("$name")
done
(cd "$stage" && printf '%s\n' "${names[@]}" | cpio -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
