#!/usr/bin/env bash
# The full-count process run (issue 12): the `many` image (tests/qemu/many.h) with MANY_LIVE
# workers alive at once (default 4,096) and as many in its main round, on every ARCH given
# (default: every arch/*/config.cmake), each in its own build tree build/stress-many-ARCH
# configured with -DMMK_MANY_TOTAL / -DMMK_MANY_LIVE and booted with MANY_MEM of RAM (default
# 2G: about 130 KiB per worker). Prints one line per arch: workers, seconds, OK|FAILED, and
# the image's verdict lines; the console log stays in the build tree (many-stress.log).
# `make stress` runs it; `make test` runs the same image with 1,000 workers, 256 at once.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
live=${MANY_LIVE:-4096}
mem=${MANY_MEM:-2G}

# shellcheck source=tools/stress-lib.sh
source "$root/tools/stress-lib.sh"
stress_arches "$@"

failed=0
for arch in "${arches[@]}"; do
    tree=$root/build/stress-many-$arch
    stress_build many-stress "$arch" "$tree" image_many -DMMK_MANY_TOTAL="$live" \
        -DMMK_MANY_LIVE="$live" -DMMK_MANY_MEM="$mem" || exit 2
    log=$tree/many-stress.log
    start=$(date +%s)
    MMK_QEMU_MEM=$mem MMK_QEMU_TIMEOUT=1200 "$root/tools/qemu-test.sh" --expect-count 3 \
        --require "test mm_pool_restored: OK" "$root/arch/$arch/qemu.sh" "$tree/images/many" \
        >"$log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    verdict=OK
    ((rc == 0)) || verdict=FAILED
    echo "many $arch: $live workers alive at once, ${secs} s, $verdict"
    tr -d '\r' <"$log" | grep -a '^test many' | sed 's/^/  /'
    [[ $verdict == OK ]] || { failed=$((failed + 1)); echo "  log: $log"; }
done
exit $((failed > 0))
