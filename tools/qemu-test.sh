#!/usr/bin/env bash
# Runs a scenario image under QEMU and decides pass or fail, for ctest:
#
#   qemu-test.sh [--expect-count K] [--require LINE]... RUNNER IMAGE_DIR [runner args...]
#
# RUNNER is the architecture's boot script (arch/<arch>/qemu.sh), which exits with the
# guest's status. Passes only when BOTH the guest exited with status 0 AND the output
# ends its tests with the line "N passed, 0 failed" (N > 0) and holds no FAILED verdict,
# AND every LINE given with --require appears as a whole line (an image that runs
# mmserver requires its `test mm_pool_restored: OK ...` line: a run in which mmserver never
# checked its pool must not pass), AND, with --expect-count K, exactly K passed (the test
# runner judges every program it started: fewer means one was never started or judged). A
# time limit (MMK_QEMU_TIMEOUT, default 110 s) stops a
# hung guest.
set -uo pipefail

required=()
expect_count=
while [[ "${1:-}" == --require || "${1:-}" == --expect-count ]]; do
    if [[ "$1" == --require ]]; then
        required+=("${2:?--require needs a line}")
    else
        expect_count=${2:?--expect-count needs a number}
    fi
    shift 2
done
runner=${1:?usage: qemu-test.sh [--require LINE]... RUNNER IMAGE_DIR [args...]}
shift
log=$(mktemp)
trap 'rm -f "$log"' EXIT

timeout "${MMK_QEMU_TIMEOUT:-110}" "$runner" "$@" </dev/null 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

# The console without carriage returns, in a file: grep -q on a pipe would end the writer
# early, and under pipefail a line found before a long tail would read as missing.
tr -d '\r' <"$log" >"$log.clean"
trap 'rm -f "$log" "$log.clean"' EXIT
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log.clean" | tail -n 1)
if ((rc == 124)); then
    echo "qemu-test: FAILED: timed out" >&2
    exit 1
fi
if [[ -z "$summary" ]]; then
    echo "qemu-test: FAILED: no 'N passed, N failed' line (guest status $rc)" >&2
    exit 1
fi
passed=${summary%% passed*}
failed=${summary#*, }
failed=${failed%% failed}
if ((rc != 0 || failed != 0 || passed == 0)) || grep -q '^test .*: FAILED' "$log.clean"; then
    echo "qemu-test: FAILED: guest status $rc, $summary" >&2
    exit 1
fi
if [[ -n "$expect_count" ]] && ((passed != expect_count)); then
    echo "qemu-test: FAILED: $passed passed, but $expect_count programs must be judged OK" >&2
    exit 1
fi
for line in "${required[@]}"; do
    if ! grep -qE "^${line}( |$)" "$log.clean"; then
        echo "qemu-test: FAILED: the required line '$line' never appeared" >&2
        exit 1
    fi
done
echo "qemu-test: passed: guest status 0, $summary${required:+, every required line seen}"
