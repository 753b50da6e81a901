#!/usr/bin/env bash
# Fails when any of the given object files leaves a symbol undefined: freestanding code
# must not call into a C library or rely on compiler-emitted helpers.
set -euo pipefail
nm=$(command -v llvm-nm || command -v llvm-nm-14 || command -v nm)
undefined=$("$nm" -u "$@" | grep -v ':$' | grep -v '^$' || true)
if [[ -n "$undefined" ]]; then
    echo "undefined symbols in freestanding objects:" >&2
    echo "$undefined" >&2
    exit 1
fi
