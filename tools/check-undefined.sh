#!/usr/bin/env bash
# Fails when the given object files, taken together, leave a symbol undefined: freestanding
# code must not call into a C library or rely on compiler-emitted helpers. A symbol one of
# the objects defines may be used by another (libpt's format table names every format).
set -euo pipefail
nm=$(command -v llvm-nm || command -v llvm-nm-14 || command -v nm)
defined=$("$nm" --defined-only "$@" | awk 'NF == 3 { print $3 }' | sort -u)
used=$("$nm" -u "$@" | awk 'NF >= 1 && !/:$/ { print $NF }' | sort -u)
undefined=$(comm -23 <(printf '%s\n' "$used") <(printf '%s\n' "$defined") | grep -v '^$' || true)
if [[ -n "$undefined" ]]; then
    echo "undefined symbols in freestanding objects:" >&2
    echo "$undefined" >&2
    exit 1
fi
