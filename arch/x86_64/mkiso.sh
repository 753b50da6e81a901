#!/usr/bin/env bash
# Makes a BIOS-bootable ISO with grub-mkrescue: GRUB loads KERNEL by Multiboot2 with
# CMDLINE and ARCHIVE as its one module.
#
#   mkiso.sh OUTPUT.iso KERNEL.elf ARCHIVE.cpio [CMDLINE...]
set -euo pipefail
out=${1:?usage: mkiso.sh OUTPUT.iso KERNEL ARCHIVE [CMDLINE...]}
kernel=${2:?}
archive=${3:?}
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage="$tmp/iso"
log="$tmp/mkrescue.log"
mkdir -p "$stage/boot/grub"
cp "$kernel" "$stage/boot/kernel.elf"
cp "$archive" "$stage/boot/archive.cpio"
cat >"$stage/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
menuentry "mmk" {
    multiboot2 /boot/kernel.elf $*
    module2 /boot/archive.cpio archive
    boot
}
CFG
# xorriso (under grub-mkrescue) now and then dies of SIGSEGV while shutting down, after it
# has written the image: try up to three times before calling it a failure.
for try in 1 2 3; do
    if grub-mkrescue -o "$out.tmp" "$stage" >"$log" 2>&1; then
        break
    fi
    if ((try == 3)); then
        cat "$log" >&2
        exit 1
    fi
    echo "mkiso.sh: grub-mkrescue failed (try $try of 3), trying again" >&2
done
mv "$out.tmp" "$out"
