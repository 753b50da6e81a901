#!/usr/bin/env bash
# Packs user programs into a boot archive with the cpio tool (newc format, the one the
# kernel reads), each under its file name (or NAME, for PROGRAM@NAME), in a stable order.
#
#   mkarchive.sh OUTPUT.cpio PROGRAM[@NAME]...
set -euo pipefail
out=${1:?usage: mkarchive.sh OUTPUT.cpio PROGRAM...}
shift
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
for p in "$@"; do
    if [[ $p == *@* ]]; then cp "${p%@*}" "$stage/${p##*@}"; else cp "$p" "$stage/"; fi
done
(cd "$stage" && ls | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
