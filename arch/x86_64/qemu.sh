#!/usr/bin/env bash
# Boots an x86_64 image (a directory holding boot.iso) headless in QEMU, serial console on
# this terminal, and exits with the status the guest chose.
#
#   qemu.sh [--debug] IMAGE_DIR [extra QEMU arguments...]
#
# The guest ends QEMU through the isa-debug-exit device (port 0xf4), which makes QEMU exit
# with (status << 1) | 1; this script maps that back, so a guest status 0 is exit 0. Any
# other QEMU exit (a triple fault with -no-reboot, a crash, a signal) is reported and
# becomes status 125. Plain TCG, no KVM: tests must not depend on the host.
# MMK_QEMU_CPU picks the CPU model (default qemu64: no PCID, no 1 GiB pages); MMK_QEMU_MEM
# the RAM size (default 256M; the mm_ram scenario boots with 8G).
# MMK_QEMU_ACCEL picks the accelerator (default tcg; the benchmark, tools/qemu-bench.sh,
# uses kvm with MMK_QEMU_CPU=host when /dev/kvm works).
set -uo pipefail

debug=0
if [[ "${1:-}" == "--debug" ]]; then
    debug=1
    shift
fi
image=${1:?usage: qemu.sh [--debug] IMAGE_DIR [qemu args...]}
shift
iso="$image/boot.iso"
[[ -f "$iso" ]] || { echo "qemu.sh: no $iso (build first)" >&2; exit 125; }

args=(
    -accel "${MMK_QEMU_ACCEL:-tcg}"
    -cpu "${MMK_QEMU_CPU:-qemu64}"
    -m "${MMK_QEMU_MEM:-256M}"
    -cdrom "$iso" -boot d
    -display none -serial stdio -monitor none
    -no-reboot
    -device isa-debug-exit,iobase=0xf4,iosize=0x04
)

if ((debug)); then
    build=$(dirname "$(dirname "$image")")
    gdb=$(command -v gdb-multiarch || command -v gdb || echo gdb)
    cat >&2 <<MSG
QEMU waits for a debugger (gdb stub on localhost:1234). In another terminal:
    $gdb $build/kernel.elf -ex 'target remote :1234'
then e.g. 'hbreak kern_main' and 'continue'. The 32-bit boot code runs before the
higher-half kernel; symbols are valid from arch_x86_64_start on.
MSG
    args+=(-s -S)
fi

qemu-system-x86_64 "${args[@]}" "$@"
rc=$?
if ((rc & 1)); then
    exit $((rc >> 1))
fi
echo "qemu.sh: QEMU exited with $rc without a guest status (triple fault or killed?)" >&2
exit 125
