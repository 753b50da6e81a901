#!/usr/bin/env bash
# Boots a riscv64 image (a directory holding kernel.elf, initrd.cpio and cmdline, made by
# mkimage.sh) headless in QEMU's virt machine with OpenSBI (-bios default), console on this
# terminal, and exits with the status the guest chose.
#
#   qemu.sh [--debug] IMAGE_DIR [extra QEMU arguments...]
#
# The guest ends QEMU through the virt machine's sifive_test finisher: 0x5555 makes QEMU
# exit 0, (status << 16) | 0x3333 makes it exit with status; so QEMU's exit code is the
# guest's status. Plain TCG (there is no KVM for riscv64 here). MMK_QEMU_CPU picks the CPU
# model (default rv64), MMK_QEMU_MEM the RAM size (default 256M; the mm_ram scenario boots
# with 4G).
set -uo pipefail

debug=0
if [[ "${1:-}" == "--debug" ]]; then
    debug=1
    shift
fi
image=${1:?usage: qemu.sh [--debug] IMAGE_DIR [qemu args...]}
shift
for f in kernel.elf initrd.cpio cmdline; do
    [[ -f "$image/$f" ]] || { echo "qemu.sh: no $image/$f (build first)" >&2; exit 125; }
done

args=(
    -machine virt -bios default
    -accel tcg
    -cpu "${MMK_QEMU_CPU:-rv64}"
    -smp 1 -m "${MMK_QEMU_MEM:-256M}"
    -kernel "$image/kernel.elf" -initrd "$image/initrd.cpio"
    -display none -serial stdio -monitor none
    -no-reboot
)
cmdline=$(cat "$image/cmdline")
[[ -n "$cmdline" ]] && args+=(-append "$cmdline")

if ((debug)); then
    gdb=$(command -v gdb-multiarch || command -v gdb || echo gdb)
    cat >&2 <<MSG
QEMU waits for a debugger (gdb stub on localhost:1234). In another terminal:
    $gdb $image/kernel.elf -ex 'target remote :1234'
then e.g. 'hbreak kern_main' and 'continue'. QEMU starts in OpenSBI (M-mode, 0x80000000);
the kernel's _start runs at physical 0x80200000 until boot.S turns paging on, and symbols
(linked at 0xffffffff80200000) are valid from rv_boot_high on.
MSG
    args+=(-s -S)
fi

exec qemu-system-riscv64 "${args[@]}" "$@"
