#!/usr/bin/env bash
# `make run`: boots the run image with the arch's qemu.sh, the console on this terminal (less
# the machine-readable `mmdump` lines) and whole in LOG; then draws the address spaces mmserver dumped into that log with mmviz
# as SVG and says where. The exit status is QEMU's (the guest's verdict), whatever mmviz
# does, except that a run in which mmserver never reported its pool restored
# (`test mm_pool_restored: OK`) fails: frames may have been lost.
#
#   run-demo.sh QEMU_SH IMAGE_DIR LOG MMVIZ SVG
#
# mmserver's line for a program it kills for a fault (`[mmserver] NAME: write to 0x70000000
# (no region) at 0x400024`, mmserver/main.c) gets the symbol, offset and source line of its
# pc from the program's ELF, build/<arch>/user/NAME (llvm-nm, llvm-symbolizer), on the
# terminal and in the log: `... at main+0x24 (hello.c:31:5, pc 0x400024)`.
set -uo pipefail
qemu_sh=$1 image=$2 log=$3 mmviz=$4 svg=$5
user_dir=$(dirname "$(dirname "$image")")/user
nm=$(command -v llvm-nm || command -v llvm-nm-14 || true)
symbolizer=$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 || true)

# symbol+0xOFFSET (file:line:col) of PC in ELF, or nothing when ELF or its symbols are
# missing: the nearest function symbol at or below PC.
symbolize() { # ELF PC
    local elf=$1 pc=$(($2)) addr type sym best= base=0 where=
    [[ -f $elf && -n $nm ]] || return 0
    while read -r addr type sym; do
        [[ $type == [Tt] && $sym != .L* ]] || continue # functions, not local labels
        ((16#$addr <= pc)) || break
        best=$sym base=$((16#$addr))
    done < <("$nm" -n --defined-only "$elf" 2>/dev/null)
    [[ -n $best ]] || return 0
    if [[ -n $symbolizer ]]; then
        where=$("$symbolizer" --obj="$elf" "$2" 2>/dev/null | sed -n 2p)
        [[ $where == \?* ]] && where=
    fi
    printf '%s+0x%x%s' "$best" $((pc - base)) "${where:+ (${where##*/}, pc $2)}"
}

# The console, fault lines symbolized.
symbolize_faults() {
    local line text re='^\[mmserver\] ([^ :]+): (.*) at (0x[0-9a-f]+)$' at
    while IFS= read -r line; do
        text=$line
        while [[ $text == *$'\r' ]]; do # a console may end its lines with \r\r\n
            text=${text%$'\r'}
        done
        if [[ $text =~ $re ]]; then
            at=$(symbolize "$user_dir/${BASH_REMATCH[1]}" "${BASH_REMATCH[3]}")
            [[ -n $at ]] && line="[mmserver] ${BASH_REMATCH[1]}: ${BASH_REMATCH[2]} at $at"
        fi
        printf '%s\n' "$line"
    done
}

# Every line goes to the log (mmviz reads the machine-readable `mmdump` lines there); the
# terminal shows the lines a person reads, without them.
"$qemu_sh" "$image" 2>&1 | symbolize_faults | tee "$log" | grep --line-buffered -v '^mmdump '
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
