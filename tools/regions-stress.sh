#!/usr/bin/env bash
# The full-count region run (issue 12): the mm_regions scenario (tests/qemu/mm_regions.c)
# with REGIONS_N regions (default 100,000) in one process, on every ARCH given (default:
# every arch/*/config.cmake), each in its own build tree build/stress-regions-ARCH configured
# with -DMMK_REGIONS_N and a boot-program quota that can pay for them (-DMMK_PROGRAM_QUOTA:
# one data page, a node share and tables per region), booted with REGIONS_MEM of RAM
# (default 1G) for the pool. Prints one line per arch: regions, seconds, OK|FAILED; the
# console log stays in the build tree (regions-stress.log). Then mm_bench's growth rows with
# REGIONS_N other regions (-DMMK_BENCH_GROWTH_MAX, TCG -icount shift=0: guest instructions)
# and the ratio of each to its 10-region figure (issue 12's target: at most 1.5).
# `make stress` runs it.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
n=${REGIONS_N:-100000}
mem=${REGIONS_MEM:-1G}
quota=$((n + n / 16 + 4096)) # data pages, node frames (46 nodes each), tables, the program

# shellcheck source=tools/stress-lib.sh
source "$root/tools/stress-lib.sh"
stress_arches "$@"

failed=0
for arch in "${arches[@]}"; do
    tree=$root/build/stress-regions-$arch
    stress_build regions-stress "$arch" "$tree" "image_scn_mm_regions image_mm_bench" \
        -DMMK_REGIONS_N="$n" -DMMK_PROGRAM_QUOTA="$quota" -DMMK_BENCH_GROWTH_MAX="$n" || exit 2
    log=$tree/regions-stress.log
    start=$(date +%s)
    "$root/tools/qemu-test.sh" --expect-count 1 --require "test mm_pool_restored: OK" \
        "$root/arch/$arch/qemu.sh" "$tree/images/scn_mm_regions" -m "$mem" >"$log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    verdict=OK
    ((rc == 0)) || verdict=FAILED
    echo "regions $arch: $n regions, ${secs} s, $verdict"
    tr -d '\r' <"$log" | grep -a '^test mm_regions' | sed 's/^/  /'
    [[ $verdict == OK ]] || { failed=$((failed + 1)); echo "  log: $log"; }
    blog=$tree/regions-bench.log
    MMK_QEMU_ACCEL=tcg timeout --foreground 1800 "$root/arch/$arch/qemu.sh" \
        "$tree/images/mm_bench" -m "$mem" -icount shift=0 </dev/null >"$blog" 2>&1 ||
        { failed=$((failed + 1)); echo "  growth benchmark FAILED (log: $blog)"; continue; }
    # "bench op_at_N: median M ...": each op at N against the same op at 10
    tr -d '\r' <"$blog" | awk -v n="$n" '
        /^bench [a-z0-9_]+_at_[0-9]+: median/ {
            key = $2; sub(/:$/, "", key); at = key; sub(/.*_at_/, "", at); op = key
            sub(/_at_[0-9]+$/, "", op); fig[op "@" at] = $4; ops[op] = 1
        }
        END {
            for (op in ops) {
                if ((op "@10") in fig && (op "@" n) in fig)
                    printf "  %s: %d at 10, %d at 1000, %d at %d regions: ratio %.2f\n", op,
                        fig[op "@10"], fig[op "@1000"], fig[op "@" n], n, fig[op "@" n] / fig[op "@10"]
            }
        }' | sort
done
exit $((failed > 0))
