#!/usr/bin/env bash
# The full-count region run (issue 12): the mm_regions scenario (tests/qemu/mm_regions.c)
# with REGIONS_N regions (default 100,000) in one process, on every ARCH given (default:
# every arch/*/config.cmake), each in its own build tree build/stress-regions-ARCH configured
# with -DMMK_REGIONS_N and a boot-program quota that can pay for them (-DMMK_PROGRAM_QUOTA:
# one data page, a node share and tables per region), booted with REGIONS_MEM of RAM
# (default 1G) for the pool. Prints one line per arch: regions, seconds, OK|FAILED; the
# console log stays in the build tree (regions-stress.log). `make stress` runs it.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
n=${REGIONS_N:-100000}
mem=${REGIONS_MEM:-1G}
quota=$((n + n / 16 + 4096)) # data pages, node frames (46 nodes each), tables, the program

arches=("$@")
if ((${#arches[@]} == 0)); then
    for c in "$root"/arch/*/config.cmake; do
        arches+=("$(basename "$(dirname "$c")")")
    done
fi

failed=0
for arch in "${arches[@]}"; do
    tree=$root/build/stress-regions-$arch
    cmake -S "$root" -B "$tree" -G Ninja -DARCH="$arch" -DCMAKE_C_COMPILER=clang \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMMK_REGIONS_N="$n" -DMMK_PROGRAM_QUOTA="$quota" \
        >/dev/null || { echo "regions-stress: configure failed ($arch)"; exit 2; }
    cmake --build "$tree" --target image_scn_mm_regions >/dev/null ||
        { echo "regions-stress: build failed ($arch)"; exit 2; }
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
done
exit $((failed > 0))
