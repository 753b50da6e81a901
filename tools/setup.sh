#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs, and nothing when all are present.
#   tools/setup.sh           what make run / make test / make bench / make fuzz need
#   tools/setup.sh prove     the same plus the provers of make prove (Frama-C, Why3, Z3, CVC4)
#   tools/setup.sh linux-bench  the same plus, for make bench, Debian's x86_64 cloud kernel
#                            image, unpacked (never installed) into build/linux-image
# As root it runs apt-get; otherwise it prints the one command to run and fails, so that
# `make run` and `make test` stop before a confusing build error.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
    clang lld llvm cmake ninja-build make  # build: clang cross-compiles every target
    libcriterion-dev pkg-config            # host unit tests
    musl-tools                             # static host tools
    qemu-system-x86 qemu-system-misc       # QEMU for x86_64 and riscv64
    opensbi                                # riscv64 firmware (-bios default)
    grub-pc-bin grub-common xorriso mtools # grub-mkrescue for the x86_64 ISO
    cpio file                              # the boot archive; file(1) for tool checks
    gdb-multiarch                          # make debug
    gnuplot-nox                            # make bench plots
    libclang-rt-14-dev                     # libFuzzer, ASan and UBSan runtimes (make fuzz, make test)
)
linux_image=0
for group in "$@"; do
    case "$group" in
        prove) packages+=(frama-c-base why3 z3 cvc4) ;; # make prove: Frama-C WP and its provers
        # make bench's Linux column (tools/linux-qemu-bench.sh): the static musl /init, its
        # initramfs made with cpio, QEMU for x86_64, and the kernel image (fetch_linux_image)
        linux-bench) packages+=(musl-tools cpio qemu-system-x86) linux_image=1 ;;
        *) echo "setup: unknown package group '$group'" >&2; exit 2 ;;
    esac
done

# The kernel of make bench's Linux column: the package Debian's meta-package
# linux-image-cloud-amd64 depends on today (MMK_LINUX_IMAGE_PACKAGE names another), fetched
# with apt-get download and unpacked with dpkg -x into build/linux-image/PACKAGE, of which
# only boot/ is kept (the initramfs has no modules); build/linux-image/vmlinuz points at its
# image. Nothing is installed and nothing comes from anywhere but Debian's archive; a
# package already unpacked is not fetched again. Runs as any user (it writes only under
# build/), except that an archive index too old to know the package needs root's apt-get
# update, done as root and printed otherwise.
linux_image_package() {
    [[ -n "${MMK_LINUX_IMAGE_PACKAGE:-}" ]] && { echo "$MMK_LINUX_IMAGE_PACKAGE"; return; }
    apt-cache depends linux-image-cloud-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }' || true
}
fetch_linux_image() {
    local cache=$root/build/linux-image pkg
    pkg=$(linux_image_package)
    if [[ -z "$pkg" ]] || ! apt-cache show "$pkg" >/dev/null 2>&1; then
        if [[ $(id -u) -ne 0 ]]; then
            echo "setup: the package index knows no ${pkg:-linux-image-cloud-amd64}; run this as root, then try again:" >&2
            echo "    apt-get update" >&2
            exit 1
        fi
        apt-get update -qq
        pkg=$(linux_image_package)
    fi
    [[ -n "$pkg" ]] || { echo "setup: no linux-image package for linux-image-cloud-amd64" >&2; exit 1; }
    local dir=$cache/$pkg
    if ! compgen -G "$dir/boot/vmlinuz-*" >/dev/null; then
        echo "setup: fetching $pkg (Debian's kernel image for make bench, unpacked in $dir)"
        mkdir -p "$cache"
        local tmp
        tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
        local as=() # as root, apt fetches as the _apt user, who may not reach build/
        [[ $(id -u) -ne 0 ]] || as=(-o APT::Sandbox::User=root)
        if ! (cd "$tmp" && apt-get download -q "${as[@]}" "$pkg" >/dev/null) ||
            ! dpkg -x "$tmp"/"$pkg"_*.deb "$tmp/unpacked"; then
            rm -rf "$tmp"
            echo "setup: could not fetch $pkg" >&2
            exit 1
        fi
        rm -rf "$dir"
        mkdir -p "$dir"
        mv "$tmp/unpacked/boot" "$dir/boot"
        rm -rf "$tmp"
    fi
    local image
    image=$(compgen -G "$dir/boot/vmlinuz-*" | head -n 1)
    ln -sfn "${image#"$cache"/}" "$cache/vmlinuz"
}

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -gt 0 ]]; then
    cmd="apt-get install -y --no-install-recommends ${missing[*]}"
    if [[ $(id -u) -ne 0 ]]; then
        echo "setup: missing packages: ${missing[*]}" >&2
        echo "setup: run this as root, then try again:" >&2
        echo "    apt-get update && $cmd" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    $cmd -qq
fi
if ((linux_image)); then
    fetch_linux_image
fi
