#!/usr/bin/env bash
# Where one benchmark figure goes: guest instructions per function, per component, for one
# sample of one operation of our kernel benchmark (`make profile OP=... [ARCH=...]`).
#
#   profile.sh BUILD_DIR OP
#
# OP is a key the benchmark prints ("bench KEY: ...": null_syscall, ipc_call_oneway, map_1,
# fault_first_touch, ...) or a row name of tools/bench-report.sh (ipc_call, ipc_reply,
# fault). BUILD_DIR is an architecture's tree (build/x86_64, build/riscv64) with the bench
# images built. PROFILE_TOP (default 20) functions are listed per component; PROFILE_KEEP=1
# keeps the work files (console, gdb session, counts per pc).
#
# How (README.md, "Profiling"):
#  - The benchmark image that measures OP boots as in `make bench` (TCG, -icount shift=0), with
#    QEMU's gdb stub on a loopback port. gdb stops at the program's bench_profile_begin mark of
#    the group that measures OP (tests/bench/qemu/bench_stats.h: it brackets the first kept
#    sample), turns on QEMU's one-instruction-per-block mode and execution log there
#    (`singlestep on`, `log exec`), and turns both off at the matching end mark; the run then
#    goes on to its end at full speed and prints its figures. So every executed instruction of
#    that sample is one log line, and nothing else is logged.
#  - The log streams through a FIFO into awk, which counts lines per guest pc, cut into
#    segments at every execution of a benchmark program's counter read (ipc_cycles). The
#    program's "profile KEY: reads A-B sample N" line says which reads bound the figure; the
#    lines from read A up to read B are the sample, and their count is checked against N.
#    An entry into an instruction that QEMU left before running it shows as the same pc twice
#    in a row and is counted once (see the aggregator); a store that page-faults is entered
#    before and after the fault is served and counts twice, one more than the counter.
#  - A pc is named by the ELF whose code holds it: the kernel (kernel.elf, its higher-half
#    link address), a program of the image's boot archive, or the firmware (riscv64: OpenSBI
#    at 0x80000000, which QEMU ships without symbols). Programs share virtual addresses, so the
#    benchmark programs are linked at addresses of their own (tests/bench/CMakeLists.txt);
#    mmserver, the runner and the name service share the user base, and code there is counted
#    as mmserver's: the runner and the name service wait, blocked, through every sample.
#    Within an ELF, a pc belongs to the nearest function symbol at or below it (local labels,
#    .L*, which the riscv64 objects keep, are not functions).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: profile.sh BUILD_DIR OP}
op=${2:?usage: profile.sh BUILD_DIR OP (a benchmark key such as map_1, null_syscall, fault)}
top=${PROFILE_TOP:-20}
[[ -f "$build/CMakeCache.txt" ]] || { echo "profile: $build is no build tree" >&2; exit 2; }
arch=$(sed -n 's/^ARCH:STRING=//p' "$build/CMakeCache.txt")
case "$op" in # the report's row names for the benchmark's keys
    ipc_call) op=ipc_call_oneway ;;
    ipc_reply) op=ipc_reply_oneway ;;
    fault) op=fault_first_touch ;;
esac
case "$arch" in # the register of a call's first argument (the marks' keys)
    x86_64) arg0='$rdi' ;;
    riscv64) arg0='$a0' ;;
    *) echo "profile: no profile support for $arch (profile.sh: arg0)" >&2; exit 2 ;;
esac
nm=$(command -v llvm-nm || command -v llvm-nm-14)
readelf=$(command -v llvm-readelf || command -v llvm-readelf-14)
firmware=/usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.elf

# The members of an image's boot archive, one a line.
members() { cpio --quiet -it <"$build/images/$1/archive.cpio"; }

# ranges NAME ELF: one line "NAME ELF start end" (16-digit hex) per executable segment.
ranges() {
    local start size
    "$readelf" -lW "$2" | awk '$1 == "LOAD" { f = ""; for (i = 7; i < NF; i++) f = f $i
                                              if (f ~ /E/) print $3, $6 }' |
        while read -r start size; do
            printf '%s %s %016x %016x\n' "$1" "$2" "$start" $((start + size))
        done
}

# is_bench ELF: whether ELF is a benchmark program (it has the profile marks). awk reads all
# of llvm-nm's output: grep -q would end the pipe early, a failure under pipefail.
is_bench() {
    [[ -f "$1" ]] && "$nm" "$1" 2>/dev/null | awk '$3 == "bench_profile_begin" { y = 1 } END { exit !y }'
}

# Which image and program measure $op: a benchmark program (one with the marks) whose
# rodata names the key.
image= client=
for dir in "$build"/images/*/; do
    img=$(basename "$dir")
    [[ -f "$dir/archive.cpio" ]] || continue
    for m in $(members "$img"); do
        elf=$build/user/$m
        is_bench "$elf" || continue
        if grep -qaw -- "$op" "$elf"; then
            image=$img client=$m
            break 2
        fi
    done
done
if [[ -z "$image" ]]; then
    echo "profile: no benchmark program in $build/images measures '$op'" >&2
    echo "  (keys: the 'bench KEY:' lines of make bench; built? cmake --build $build --target image_bench image_mm_bench)" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mmk-profile.XXXXXX")
qemu_pid=
cleanup() {
    [[ -n "$qemu_pid" ]] && kill "$qemu_pid" 2>/dev/null
    if [[ -n "${PROFILE_KEEP:-}" ]]; then
        echo "profile: work files kept in $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

# The components: NAME ELF START END, one a line per code segment; the counter reads: each benchmark
# program's ipc_cycles.
: >"$work/ranges"
: >"$work/counters"
ranges kernel "$build/kernel.elf" >>"$work/ranges"
for m in $(members "$image"); do
    ranges "$m" "$build/user/$m" >>"$work/ranges"
    if is_bench "$build/user/$m"; then
        "$nm" "$build/user/$m" | awk '$3 == "ipc_cycles" { print $1 }' >>"$work/counters"
    fi
done
if [[ "$arch" == riscv64 && -f "$firmware" ]]; then
    ranges firmware "$firmware" >>"$work/ranges"
fi
mark() { "$nm" "$build/user/$client" | awk -v s="$1" '$3 == s { print "0x" $1 }'; }
begin=$(mark bench_profile_begin) end=$(mark bench_profile_end)

# The gdb session: stop at the begin mark of OP's group, log, stop at the end mark, unlog.
# (gdb's $_regex matches from the start of the string, like Python's re.match.)
cat >"$work/gdb.cmd" <<EOF
set pagination off
set confirm off
set tcp connect-timeout 30
target remote tcp:127.0.0.1:PORT
break *$begin if \$_regex((char *)$arg0, "(.* )?$op( |\$)")
continue
monitor singlestep on
monitor log exec
delete
break *$end
continue
monitor log none
monitor singlestep off
delete
continue
EOF

# The instructions that may run again at once from the same address: x86's rep-prefixed
# string instructions (QEMU enters one once per iteration). 16-digit hex, one a line.
objdump=$(command -v llvm-objdump || command -v llvm-objdump-14)
awk '{ print $2 }' "$work/ranges" | sort -u | while read -r elf; do
    "$objdump" -d --no-show-raw-insn "$elf" 2>/dev/null
done | awk -F: '$2 ~ /^[ \t]*rep/ && $1 ~ /^ *[0-9a-f]+$/ {
                    a = $1; gsub(/ /, "", a); print substr("0000000000000000", 1, 16 - length(a)) a }' \
    >"$work/repeats"

# The aggregator: "segment pc count" for every pc the log shows; a new segment starts at each
# counter read (that read's own instruction is the first of its segment). A line is one
# entry into a translated block (here one instruction; its host address is the third field).
# Two entries that did not run the instruction are left out, each seen as the same pc twice
# in a row: an instruction that touches a device when QEMU had not planned for it (-icount)
# is given up and translated anew as the last of its block (two different blocks); a block
# entered just as QEMU's instruction budget ran out (the next timer deadline) or as it was
# asked to stop leaves at once and is entered again (the same block), except where the
# instruction itself repeats (the rep list above).
mkfifo "$work/log"
awk -v counters="$(paste -sd ' ' "$work/counters")" -v repeat_file="$work/repeats" '
    BEGIN {
        n = split(counters, c, " "); for (i = 1; i <= n; i++) is_read[c[i]] = 1; seg = 0
        while ((getline r < repeat_file) > 0) repeats[r] = 1
    }
    /^Trace / {
        tb = $3
        s = substr($0, index($0, "[") + 1)
        split(s, f, "/")
        pc = f[2]
        if (pc == last_pc && (tb != last_tb || !(pc in repeats))) {
            redone++ # the previous entry did not run it: this one stands in its place
            last_tb = tb
            next
        }
        if (pc in is_read) seg++
        count[seg " " pc]++
        last_pc = pc; last_tb = tb
    }
    END { for (k in count) print k, count[k]; print "redone", redone + 0 > "/dev/stderr" }' \
    "$work/log" >"$work/counts" 2>"$work/redone" &
awk_pid=$!

runner=$root/arch/$arch/qemu.sh
echo "profile: $op, measured by $client in the $image image ($arch, TCG -icount shift=0)..." >&2
for try in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    MMK_QEMU_ACCEL=tcg timeout 1200 "$runner" "$build/images/$image" -icount shift=0 -S \
        -gdb "tcp:127.0.0.1:$port" -D "$work/log" </dev/null >"$work/console" 2>&1 &
    qemu_pid=$!
    sed "s/PORT/$port/" "$work/gdb.cmd" >"$work/gdb.run"
    timeout 900 gdb-multiarch -batch -nx -x "$work/gdb.run" >"$work/gdb.out" 2>&1 || true
    wait "$qemu_pid" && rc=0 || rc=$?
    qemu_pid=
    grep -q 'Failed to bind\|Address already in use' "$work/console" || break
done
exec 3<>"$work/log" # lets awk end even when QEMU never opened the log
exec 3>&-
wait "$awk_pid"

console=$(tr -d '\r' <"$work/console")
line=$(grep -a "^profile $op: " <<<"$console" | tail -n 1 || true)
if [[ -z "$line" || ! -s "$work/counts" ]]; then
    echo "profile: the run gave no sample of $op (QEMU status $rc); gdb said:" >&2
    tail -n 5 "$work/gdb.out" >&2
    grep -a -i 'fail\|panic\|fault' <<<"$console" | head -n 5 >&2 || true
    exit 1
fi
first=$(sed -E 's/.* reads ([0-9]+)-([0-9]+) sample ([0-9]+).*/\1/' <<<"$line")
last=$(sed -E 's/.* reads ([0-9]+)-([0-9]+) sample ([0-9]+).*/\2/' <<<"$line")
sample=$(sed -E 's/.* reads ([0-9]+)-([0-9]+) sample ([0-9]+).*/\3/' <<<"$line")
median=$(sed -nE "s/^bench $op: median ([0-9]+).*/\\1/p" <<<"$console" | tail -n 1)

# pc -> component: the first range that holds it, mmserver before the programs that share its
# addresses; then the function: the nearest symbol at or below it in that component's ELF.
awk -v a="$first" -v b="$last" '$1 >= a && $1 < b { n[$2] += $3 } END { for (p in n) print p, n[p] }' \
    "$work/counts" | LC_ALL=C sort >"$work/pcs"
{ grep '^mmserver ' "$work/ranges" || true; grep -v '^mmserver ' "$work/ranges"; } >"$work/order"
awk 'NR == FNR { name[NR] = $1; lo[NR] = "x" $3; hi[NR] = "x" $4; k = NR; next }
     { c = "unknown"; pc = "x" $1 # "x": compared as strings, never as numbers
       for (i = 1; i <= k; i++) if (pc >= lo[i] && pc < hi[i]) { c = name[i]; break }
       print c, $1, "P", $2 }' "$work/order" "$work/pcs" >"$work/attributed"
awk '{ print $1, $2 }' "$work/ranges" | sort -u | while read -r name elf; do
    "$nm" -n --defined-only "$elf" 2>/dev/null |
        awk -v c="$name" '$2 ~ /^[tTwW]$/ && $3 !~ /^\.L/ { print c, $1, "S", $3 }'
done >>"$work/attributed"
LC_ALL=C sort -k1,1 -k2,2 -k3,3r "$work/attributed" | awk '
    $1 != comp { comp = $1; fn = "" }
    $3 == "S" { fn = $4; next }
    { f = fn
      if (f == "") f = "(no symbol) 0x" substr($2, 1, 14) "00"
      n[comp "\t" f] += $4 }
    END { for (k in n) print k "\t" n[k] }' >"$work/functions"

total=$(awk -F'\t' '{ t += $3 } END { print t + 0 }' "$work/functions")
printf '%s on %s: guest instructions of one sample (the first kept), by component and function\n' \
    "$op" "$arch"
awk -F'\t' -v top="$top" -v total="$total" '
    { comp[$1] += $3; fn[$1, ++k[$1]] = $2; cnt[$1, k[$1]] = $3 }
    END {
        for (c in comp) order[++m] = c
        for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
            if (comp[order[j]] > comp[order[i]]) { t = order[i]; order[i] = order[j]; order[j] = t }
        for (i = 1; i <= m; i++) {
            c = order[i]
            printf "%-44s %12d %6.1f %%\n", c, comp[c], 100 * comp[c] / total
            delete idx
            for (j = 1; j <= k[c]; j++) idx[j] = j
            for (x = 1; x <= k[c]; x++) for (y = x + 1; y <= k[c]; y++)
                if (cnt[c, idx[y]] > cnt[c, idx[x]]) { t = idx[x]; idx[x] = idx[y]; idx[y] = t }
            rest = 0; nrest = 0
            for (j = 1; j <= k[c]; j++) {
                if (j <= top) printf "    %-40s %12d %6.1f %%\n", fn[c, idx[j]], cnt[c, idx[j]], 100 * cnt[c, idx[j]] / total
                else { rest += cnt[c, idx[j]]; nrest++ }
            }
            if (nrest) printf "    %-40s %12d %6.1f %%\n", "(" nrest " more function" (nrest > 1 ? "s" : "") ")", rest, 100 * rest / total
        }
    }' "$work/functions"
printf '%-44s %12d\n' "total (counter reads $first to $last)" "$total"
redone=$(sed -n 's/^redone //p' "$work/redone")
if ((${redone:-0} > 0)); then
    echo "(not counted: $redone entries into an instruction that QEMU left before running it, a"
    echo " device access translated anew or a block entered as the instruction budget ran out: the"
    echo " same pc twice in a row, in the logged window)"
fi
if ((total == sample)); then
    echo "= the sample's own figure, $sample: every instruction of it is counted above."
else
    echo "!= the sample's own figure, $sample (difference $((total - sample))): the log shows an"
    echo "   instruction each time QEMU enters it, so one that traps (a page fault: the store is"
    echo "   entered again after the fault is served) or whose entry an interrupt request cuts short"
    echo "   shows twice; the counter counts it once."
fi
if [[ -n "$median" && "$median" != "$sample" ]]; then
    echo "The benchmark's median for $op in this run is $median, not this sample's $sample."
elif [[ -n "$median" ]]; then
    echo "This sample equals the benchmark's median for $op in this run ($median)."
fi
echo "make bench prints the median less the counter's own cost (counter_read, two back-to-back reads)."
