#!/usr/bin/env bash
# Runs each test of the canary binary (san_canary.c) alone, in the environment ctest gives
# it (the sanitizer options), and checks that each planted bug fails the binary with its
# sanitizer's report and that the clean test passes. Usage: san-canary.sh CANARY
set -uo pipefail
bin=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
bad=0
check() { # check TEST pass|fail PATTERN: what the run of TEST alone must end with
    "$bin" --filter "canary/$1" >"$out" 2>&1
    local rc=$? got=pass
    [[ $rc -ne 0 ]] && got=fail
    if [[ $got != "$2" ]] || ! grep -q -- "$3" "$out"; then
        echo "test san canary $1: FAILED (expected $2 with '$3', got $got, exit $rc)"
        cat "$out"
        bad=1
        return
    fi
    echo "test san canary $1: OK (binary ${got}ed, output has '$3')"
}
check leak fail "ERROR: LeakSanitizer: detected memory leaks"
check heap_overflow fail "ERROR: AddressSanitizer: heap-buffer-overflow"
check undefined fail "runtime error: signed integer overflow"
check clean pass "Passing: 1 | Failing: 0"
exit $bad
