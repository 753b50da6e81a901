#!/usr/bin/env bash
# Puts together what qemu.sh boots on riscv64: a directory with the kernel ELF, the boot
# archive (given to QEMU as -initrd, found by the kernel through /chosen) and the kernel
# command line (-append, /chosen/bootargs).
#
#   mkimage.sh OUTDIR KERNEL.elf ARCHIVE.cpio [CMDLINE...]
set -euo pipefail
out=${1:?usage: mkimage.sh OUTDIR KERNEL ARCHIVE [CMDLINE...]}
kernel=${2:?}
archive=${3:?}
shift 3
mkdir -p "$out"
cp "$kernel" "$out/kernel.elf.tmp"
cp "$archive" "$out/initrd.cpio.tmp"
printf '%s' "$*" >"$out/cmdline.tmp"
mv "$out/kernel.elf.tmp" "$out/kernel.elf"
mv "$out/initrd.cpio.tmp" "$out/initrd.cpio"
mv "$out/cmdline.tmp" "$out/cmdline"
