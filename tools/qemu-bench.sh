#!/usr/bin/env bash
# Runs the IPC benchmark image (tests/bench/qemu) under QEMU and prints its figures, saying
# what the counter counted:
#
#   qemu-bench.sh ARCH RUNNER IMAGE_DIR OUT_PREFIX
#
# RUNNER is the arch's boot script (arch/<arch>/qemu.sh). Two runs:
#  - KVM, when the host is ARCH, /dev/kvm is usable and the CPU has VT-x / AMD-V (see
#    hardware_kvm below): MMK_QEMU_ACCEL=kvm with -cpu host
#    (or host,-arch-capabilities, where this QEMU cannot set the host's
#    IA32_ARCH_CAPABILITIES under nested KVM); the user-mode counter (rdtsc) counts cycles.
#    A run that prints nothing within MMK_BENCH_KVM_TIMEOUT seconds (default 90) is
#    reported and skipped.
#  - TCG with -icount shift=0: QEMU's virtual clock advances one tick per guest
#    instruction and the user-mode counter (rdtsc, rdcycle) reads that clock, so the figures
#    are guest instructions, deterministic, on every architecture.
# Each run's "bench KEY: ..." lines go to stdout and to OUT_PREFIX-kvm.txt / -tcg.txt, with
# the counter named by what it counted (tools/bench-report.sh reads them). No run asserts a
# time (DESIGN.md: benchmarks print figures).
set -uo pipefail
arch=${1:?usage: qemu-bench.sh ARCH RUNNER IMAGE_DIR OUT_PREFIX}
runner=${2:?}
image=${3:?}
prefix=${4:?}

# run MODE COUNTER LIMIT [qemu args...]: boots the image once with the environment in envs;
# keeps its figures in $prefix-MODE.txt, naming the counter COUNTER. Fails when the guest
# printed none.
run() {
    local mode=$1 counter=$2 limit=$3
    shift 3
    local log
    log=$(mktemp)
    env "${envs[@]}" timeout --foreground "$limit" "$runner" "$image" "$@" </dev/null >"$log" 2>&1
    tr -d '\r' <"$log" | grep -oE 'bench [a-z0-9_]+: .*' |
        sed -E "s/, [a-z0-9_]+\)\$/, $counter)/" >"$prefix-$mode.txt"
    rm -f "$log"
    [[ -s "$prefix-$mode.txt" ]] || { rm -f "$prefix-$mode.txt"; return 1; }
    echo "== $arch, $mode ($counter):"
    cat "$prefix-$mode.txt"
}

# KVM gives the kernel's own cycles only on hardware virtualisation (VT-x / AMD-V). Some hosts
# offer a /dev/kvm without it (kvm_pvm, a software hypervisor: arch/x86_64/README.md); there
# the figures measure the hypervisor's emulation, so they are not taken unless asked for with
# MMK_BENCH_KVM=force.
hardware_kvm() {
    grep -qwE 'vmx|svm' /proc/cpuinfo || [[ "${MMK_BENCH_KVM:-}" == force ]]
}

if [[ "$(uname -m)" == "$arch" && -r /dev/kvm && -w /dev/kvm ]] && ! hardware_kvm; then
    echo "== $arch: /dev/kvm here is not hardware virtualisation (no vmx/svm in /proc/cpuinfo);"
    echo "   its cycles would measure emulation, so TCG only (MMK_BENCH_KVM=force runs it anyway)"
elif [[ "$(uname -m)" == "$arch" && -r /dev/kvm && -w /dev/kvm ]]; then
    limit=${MMK_BENCH_KVM_TIMEOUT:-90}
    envs=(MMK_QEMU_ACCEL=kvm MMK_QEMU_CPU=host)
    if ! run kvm "kvm cycles" "$limit"; then
        envs=(MMK_QEMU_ACCEL=kvm MMK_QEMU_CPU=host,-arch-capabilities)
        run kvm "kvm cycles" "$limit" ||
            echo "== $arch: the KVM run printed no figures (kernel/README.md, IPC); TCG only"
    fi
else
    echo "== $arch: no KVM for this architecture on this host; TCG only"
fi
envs=(MMK_QEMU_ACCEL=tcg)
run tcg "tcg icount instructions" 300 -icount shift=0 ||
    { echo "qemu-bench: the TCG run printed no figures" >&2; exit 1; }
