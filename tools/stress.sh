#!/usr/bin/env bash
# The hostile-process stress run (issue 14): mm_chaos (two instances), seeded, beside its
# witness, booted through mmserver (the `mm_chaos` image, tests/qemu/README.md).
#
#   stress.sh --one RUNNER IMAGE_DIR
#       One run, for ctest: passes only when tools/qemu-test.sh passes AND the console holds
#       mmserver's `test mm_pool_restored: OK`, `test mm_chaos_checks: OK` and the witness's
#       OK lines; prints `seed S ARCH: N syscalls (each instance's counts), OK|FAILED` first.
#   stress.sh [ARCH...]
#       Seeds SEED, SEED+1, ... (SEED: default the current time) on every ARCH (default: every
#       arch/*/config.cmake), each in its own build tree $STRESS_BUILD-ARCH (default
#       build/stress-ARCH) configured with -DMMK_CHAOS_SEED, until STRESS_SECONDS (default
#       600) have passed (at least one seed), STRESS_STEPS (default 20000) steps per instance.
#       Prints one line per seed and arch; stops at the first failure with its console log and
#       the command that reproduces it.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
required=("test mm_pool_restored: OK" "test mm_chaos_checks: OK" "test mm_witness_watch: OK"
          "test mm_witness_data_intact: OK" "test mm_witness_account_same: OK")

# Boots IMAGE_DIR with RUNNER through qemu-test.sh into LOG; prints the seed line; fails
# unless qemu-test.sh passed and every required line is there.
one() {
    local runner=$1 image=$2 log=$3 arch
    arch=$(basename "$(dirname "$runner")")
    "$root/tools/qemu-test.sh" "$runner" "$image" >"$log" 2>&1
    local rc=$? missing=
    for line in "${required[@]}"; do
        grep -aq -- "^$line" "$log" || missing+="${missing:+, }'$line'" # no pipe: grep -q ends early
    done
    local lines seed calls each preempt verdict=OK
    # one summary line per mm_chaos instance: seed=S steps=N syscalls=M raw=R mm=Q ... client=C
    lines=$(tr -d '\r' <"$log" | grep -ao 'seed=[0-9]* steps=[0-9]* syscalls=[0-9]*.*')
    seed=$(sed -nE '1s/^seed=([0-9]+).*/\1/p' <<<"$lines")
    calls=$(sed -nE 's/.* syscalls=([0-9]+).*/\1/p' <<<"$lines" | awk '{n += $1} END {print n}')
    each=$(sed -nE 's/.* steps=([0-9]+) syscalls=([0-9]+) raw=([0-9]+) mm=([0-9]+).* client=([0-9]+).*/client \5: \1 steps, \2 syscalls (\3 raw, \4 memory requests)/p' \
        <<<"$lines" | paste -sd ';' | sed 's/;/; /g')
    preempt=$(tr -d '\r' <"$log" | sed -nE 's/.* ([0-9]+) preemptions by the timer$/\1/p' | tail -n 1)
    ((rc == 0)) && [[ -z "$missing" ]] || verdict=FAILED
    echo "seed ${seed:-?} $arch: ${calls:-?} syscalls (${each:-no summary line};" \
         "${preempt:-?} timer preemptions), $verdict"
    [[ -n "$missing" ]] && echo "stress: missing $missing" >&2
    [[ $verdict == OK ]]
}

if [[ "${1:-}" == --one ]]; then
    runner=${2:?usage: stress.sh --one RUNNER IMAGE_DIR}
    image=${3:?usage: stress.sh --one RUNNER IMAGE_DIR}
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    one "$runner" "$image" "$log"
    rc=$?
    cat "$log" # ctest --output-on-failure shows it; the seed line stays the first
    exit $rc
fi

# shellcheck source=tools/stress-lib.sh
source "$root/tools/stress-lib.sh"
stress_arches "$@"
seconds=${STRESS_SECONDS:-600}
seed=${SEED:-$(date +%s)}
steps=${STRESS_STEPS:-20000}
prefix=${STRESS_BUILD:-build/stress}
logdir="$root/$prefix-logs"
mkdir -p "$logdir"

# Configures $prefix-ARCH ($1) for seed $2 and builds the image; quiet unless it fails.
build() {
    local arch=$1 s=$2 dir="$root/$prefix-$1" out
    out=$(cmake -S "$root" -B "$dir" -G Ninja -DARCH="$arch" -DCMAKE_C_COMPILER=clang \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMMK_CHAOS_SEED="$s" -DMMK_CHAOS_STEPS="$steps" 2>&1 &&
        cmake --build "$dir" --target image_mm_chaos 2>&1) || { echo "$out" >&2; return 1; }
}

start=$SECONDS runs=0
echo "stress: mm_chaos ($steps steps) on ${arches[*]} from seed $seed for ${seconds} s; logs in $logdir"
while :; do
    for arch in "${arches[@]}"; do
        build "$arch" "$seed" || { echo "stress: build of seed $seed for $arch failed"; exit 2; }
        log="$logdir/seed-$seed-$arch.log"
        if ! one "$root/arch/$arch/qemu.sh" "$root/$prefix-$arch/images/mm_chaos" "$log"; then
            echo "stress: seed $seed FAILED on $arch; console: $log"
            echo "stress: reproduce with: make stress SEED=$seed STRESS_SECONDS=0 STRESS_STEPS=$steps"
            echo "stress:   or: cmake -S . -B $prefix-$arch -DARCH=$arch -DMMK_CHAOS_SEED=$seed" \
                 "-DMMK_CHAOS_STEPS=$steps (-DMMK_CHAOS_TRACE=1 prints every step) &&" \
                 "cmake --build $prefix-$arch --target image_mm_chaos &&" \
                 "tools/stress.sh --one arch/$arch/qemu.sh $prefix-$arch/images/mm_chaos"
            echo "stress: the two mm_chaos interleave as the timer has it, so a rerun may differ:" \
                 "rerun it a few times; -DMMK_CHAOS_INSTANCES=1 replays one instance exactly"
            exit 1
        fi
        rm -f "$log"
        runs=$((runs + 1))
    done
    seed=$((seed + 1))
    ((SECONDS - start >= seconds)) && break
done
echo "stress: $runs runs passed (seeds up to $((seed - 1)), ${arches[*]}) in $((SECONDS - start)) s"
