#!/usr/bin/env bash
# Boots an image whose kernel faults on purpose (command line "selftest-kernel-fault") and
# passes only when the kernel reported the exception with its registers and panicked:
# guest status 3 (kern_panic), a "*** KERNEL EXCEPTION" report with a register dump (lines
# "  NAME 0123456789abcdef ..." as arch_regs_dump prints them), and the
# "*** KERNEL PANIC" line. Proves a kernel bug stops the machine loudly instead of hanging.
#
#   qemu-expect-panic.sh RUNNER IMAGE_DIR
set -uo pipefail
runner=${1:?usage: qemu-expect-panic.sh RUNNER IMAGE_DIR}
shift
log=$(mktemp)
trap 'rm -f "$log"' EXIT
timeout "${MMK_QEMU_TIMEOUT:-110}" "$runner" "$@" </dev/null 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
out=$(tr -d '\r' <"$log")
# A register dump line: two spaces, a register name, a 16-digit hex value (any arch).
for want in '^\*\*\* KERNEL EXCEPTION' '^  [a-z][a-z0-9]* *[0-9a-f]{16}' '^\*\*\* KERNEL PANIC'; do
    if ! grep -Eq "$want" <<<"$out"; then
        echo "qemu-expect-panic: FAILED: no line matching '$want' (guest status $rc)" >&2
        exit 1
    fi
done
if ((rc != 3)); then
    echo "qemu-expect-panic: FAILED: guest status $rc, expected 3 (panic)" >&2
    exit 1
fi
echo "qemu-expect-panic: passed: the kernel exception was reported and the kernel panicked"
