#!/usr/bin/env bash
# Runs ctest in each build tree given as TREE[:LABEL] (LABEL limits that tree to one ctest
# label) and ends with one line over all of them: "N passed, N failed". Fails if any failed.
set -uo pipefail
passed=0 failed=0
for spec in "$@"; do
    tree=${spec%%:*} label=
    [[ "$spec" == *:* ]] && label=${spec#*:}
    log=$(mktemp)
    echo "=== ctest in $tree${label:+ (label $label)}"
    ctest --test-dir "$tree" --output-on-failure --verbose --timeout 1200 ${label:+-L "$label"} | tee "$log"
    rc=${PIPESTATUS[0]}
    summary=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
    rm -f "$log"
    if [[ -z "$summary" ]]; then
        echo "test-all: no ctest summary from $tree (exit $rc)"
        failed=$((failed + 1))
        continue
    fi
    n_failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$summary")
    n_total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$summary")
    passed=$((passed + n_total - n_failed))
    failed=$((failed + n_failed))
    if [[ $rc -ne 0 && $n_failed -eq 0 ]]; then
        failed=$((failed + 1)) # ctest failed without a failing test: count it, never hide it
    fi
done
echo "total: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
