#!/usr/bin/env bash
# Boots Debian's x86_64 Linux kernel in the QEMU harness of our kernel's benchmark and runs
# linux_bench there as /init, so that its figures are guest instructions like ours:
#
#   linux-qemu-bench.sh VMLINUZ LINUX_BENCH OUT.txt
#
# VMLINUZ is the kernel image tools/setup.sh linux-bench unpacked (build/linux-image/vmlinuz);
# LINUX_BENCH the static musl build of tests/bench/linux_bench.c, packed alone as /init of a
# newc initramfs (OUT.cpio). The machine is the one tools/qemu-bench.sh gives our kernel:
# QEMU TCG, the same CPU model (MMK_QEMU_CPU, default qemu64), -icount shift=0, under which
# the TSC linux_bench reads advances once per guest instruction; one CPU, no disk, serial
# console, -no-reboot. /init names the counter "instructions" (told so after "--" on the
# kernel command line) and powers the machine off when done; a kernel panic ends QEMU at once
# (panic=-1 with -no-reboot). nokaslr and norandmaps fix the kernel's and the process's
# layout, which costs nothing per operation; randomised, it changed some medians from one
# boot to the next by up to 17 % (map 1 page: the kernel's seed differs at every boot, from
# QEMU's boot data and the clock, and what a range costs depends on where things lie); fixed,
# two boots gave the same medians, as our kernel's runs do. The "bench KEY: ..." lines and linux_bench's own lines (the
# kernel release, its mitigations) go to stdout and OUT.txt, which tools/bench-report.sh
# reads; the whole console to OUT.log. Fails, saying why, when the guest did not finish within
# MMK_LINUX_BENCH_TIMEOUT seconds (default 600) or reported a failure. No run asserts a time.
set -uo pipefail
vmlinuz=${1:?usage: linux-qemu-bench.sh VMLINUZ LINUX_BENCH OUT.txt}
bench=${2:?}
out=${3:?}
limit=${MMK_LINUX_BENCH_TIMEOUT:-600}

fail() {
    echo "linux-qemu-bench: $*" >&2
    exit 1
}
[[ -f "$vmlinuz" ]] || fail "no kernel image $vmlinuz (tools/setup.sh linux-bench fetches it)"
[[ -x "$bench" ]] || fail "no program $bench (build the linux_bench target)"
file -L "$bench" 2>/dev/null | grep -q 'statically linked' ||
    fail "$bench is not statically linked: an initramfs of one file has no C library"

base=${out%.txt}
log=$base.log
initramfs=$base.cpio
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$bench" "$tmp/init"
(cd "$tmp" && echo init | cpio --quiet -o -H newc -R 0:0) >"$initramfs" ||
    fail "cpio could not make $initramfs"

args=(
    -accel tcg -cpu "${MMK_QEMU_CPU:-qemu64}" -icount shift=0
    -smp 1 -m 512M
    -nographic -no-reboot
    -kernel "$vmlinuz" -initrd "$initramfs"
    -append "console=ttyS0 quiet panic=-1 nokaslr norandmaps -- --counter instructions"
)
echo "== x86_64 Linux in QEMU TCG, -icount shift=0: $(basename "$(readlink -f "$vmlinuz")"), /init = linux_bench"
timeout --foreground "$limit" qemu-system-x86_64 "${args[@]}" </dev/null >"$log" 2>&1
rc=$?
tr -d '\r' <"$log" | grep -oE 'bench [a-z0-9_]+: .*|linux_bench: .*' >"$out"
cat "$out"

((rc != 124)) || fail "the guest did not finish within $limit s (MMK_LINUX_BENCH_TIMEOUT); console: $log"
grep -q '^linux_bench: FAILED' "$out" && fail "the guest reported a failure (above); console: $log"
if ! grep -q '^linux_bench: done' "$out"; then
    tr -d '\r' <"$log" | grep -m 1 -o 'Kernel panic.*' >&2
    fail "QEMU ended (status $rc) before linux_bench was done; console: $log"
fi
grep -q '^bench ' "$out" || fail "the guest printed no figures; console: $log"
exit 0
