#!/usr/bin/env bash
# `make run`: boots the run image with the arch's qemu.sh, the console on this terminal (less
# the machine-readable `mmdump` lines) and whole in LOG; then draws the address spaces mmserver dumped into that log with mmviz
# as SVG and says where. The exit status is QEMU's (the guest's verdict), whatever mmviz
# does, except that a run in which mmserver never reported its pool restored
# (`test mm_pool_restored: OK`) fails: frames may have been lost.
#
#   run-demo.sh QEMU_SH IMAGE_DIR LOG MMVIZ SVG
set -uo pipefail
qemu_sh=$1 image=$2 log=$3 mmviz=$4 svg=$5

# Every line goes to the log (mmviz reads the machine-readable `mmdump` lines there); the
# terminal shows the lines a person reads, without them.
"$qemu_sh" "$image" 2>&1 | tee "$log" | grep --line-buffered -v '^mmdump '
rc=${PIPESTATUS[0]}
if "$mmviz" "$log" -o "$svg"; then
    echo "address-space picture: $svg"
else
    echo "run-demo.sh: mmviz drew no picture from $log" >&2
fi
if ((rc == 0)) && ! tr -d '\r' <"$log" | grep '^test mm_pool_restored: OK' >/dev/null; then
    echo "run-demo.sh: mmserver never reported its pool restored (test mm_pool_restored: OK)" >&2
    rc=1
fi
exit "$rc"
