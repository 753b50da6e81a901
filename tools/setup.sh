#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs, and nothing when all are present.
#   tools/setup.sh           what make run / make test / make bench / make fuzz need
#   tools/setup.sh prove     the same plus the provers of make prove (Frama-C, Why3, Z3, CVC4)
# As root it runs apt-get; otherwise it prints the one command to run and fails, so that
# `make run` and `make test` stop before a confusing build error.
set -euo pipefail

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
for group in "$@"; do
    case "$group" in
        prove) packages+=(frama-c-base why3 z3 cvc4) ;; # make prove: Frama-C WP and its provers
        *) echo "setup: unknown package group '$group'" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

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
