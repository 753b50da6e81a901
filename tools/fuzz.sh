#!/usr/bin/env bash
# The fuzz harnesses of tests/fuzz (issue 14).
#
#   tools/fuzz.sh run BIN CORPUS WORK SECONDS
#       Copies the seed corpus CORPUS into WORK/corpus/<harness> (libFuzzer adds what it finds
#       there, never to the repository), runs BIN on it for SECONDS, and prints one line
#       "fuzz <harness>: N executions in S s, ...". Fails if the harness found anything (its
#       reproducer is then in WORK/artifacts/<harness>/).
#   tools/fuzz.sh all BUILD SECONDS
#       `run` for every harness built in BUILD/tests/fuzz, corpora copied to build/fuzz-corpus.
#   tools/fuzz.sh replay BIN FILE...
#       Runs BIN once on each FILE (no fuzzing): how a saved reproducer is checked.
#
# Extra libFuzzer flags may come in FUZZ_FLAGS (e.g. "-max_len=512").
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

run() {
    local bin=$1 seeds=$2 work=$3 secs=$4
    local name corpus artifacts log rc execs
    name=$(basename "$bin")
    corpus=$work/corpus/$name
    artifacts=$work/artifacts/$name
    mkdir -p "$corpus" "$artifacts" || return 1
    [[ -d "$seeds" ]] && cp -n "$seeds"/* "$corpus"/ 2>/dev/null
    log=$work/$name.log
    local t0=$SECONDS
    # The model harnesses' code under test (libpt, mmserver's core) never allocates, and their
    # environments keep blocks from input to input on purpose (fz.c's cache): libFuzzer's
    # leak check would only run again every input whose mallocs and frees differ.
    local own=()
    [[ $name == fuzz_pt || $name == fuzz_mm ]] && own=(-detect_leaks=0)
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=25 "${own[@]}" \
        -artifact_prefix="$artifacts/" ${FUZZ_FLAGS:-} "$corpus" >"$log" 2>&1
    rc=$?
    local took=$((SECONDS - t0))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    local rate cov
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1)
    echo "fuzz $name: ${execs:-?} executions in $took s (${rate:-?}/s), ${cov:-cov: ?}," \
        "corpus $(ls "$corpus" | wc -l) inputs, exit $rc"
    if [[ $rc -ne 0 ]]; then
        echo "fuzz $name: FINDING (log $log, reproducer in $artifacts):"
        grep -E -A12 'FUZZ FINDING|ERROR: (AddressSanitizer|libFuzzer)|runtime error' "$log" | head -n 40
        return 1
    fi
    [[ -n "$execs" ]] || { echo "fuzz $name: no statistics in $log"; return 1; }
}

case "${1:-}" in
    run)
        [[ $# -eq 5 ]] || { echo "usage: $0 run BIN CORPUS WORK SECONDS" >&2; exit 2; }
        run "$2" "$3" "$4" "$5"
        ;;
    all)
        [[ $# -eq 3 ]] || { echo "usage: $0 all BUILD SECONDS" >&2; exit 2; }
        failed=0
        for bin in "$2"/tests/fuzz/fuzz_*; do
            [[ -x "$bin" && -f "$bin" ]] || continue
            run "$bin" "$root/tests/fuzz/corpus/$(basename "$bin")" "$root/build/fuzz-corpus" "$3" ||
                failed=$((failed + 1))
        done
        echo "fuzz: $failed harness(es) with findings"
        [[ $failed -eq 0 ]]
        ;;
    replay)
        [[ $# -ge 3 ]] || { echo "usage: $0 replay BIN FILE..." >&2; exit 2; }
        bin=$2
        shift 2
        "$bin" -runs=1 "$@"
        ;;
    *)
        sed -n '2,17p' "$0" >&2
        exit 2
        ;;
esac
