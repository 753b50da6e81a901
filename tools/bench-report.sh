#!/usr/bin/env bash
# Puts the figures of several benchmark runs side by side.
#
#   bench-report.sh OUT_DIR NAME=LOG [NAME=LOG ...]
#
# Every LOG holds lines "bench KEY: median M min m ... max X (..., COUNTER)" (what our kernel's
# benchmark programs and tests/bench/linux_bench print; other lines are ignored). NAME says
# where a log came from: mmk-ARCH-MODE for ours ("mmk-x86_64-tcg", "mmk-riscv64-tcg",
# "mmk-x86_64-kvm"), linux-ARCH-MODE for Linux in the same harness ("linux-x86_64-tcg":
# tools/linux-qemu-bench.sh), linux-host for Linux on this host. Prints one table (operation,
# each source's median with [min..max], the ratios, seL4's published figure with its
# hardware), writes OUT_DIR/bench.json and, when gnuplot is installed, OUT_DIR/bench.svg.
# A ratio divides mmk-X's median by linux-X's, for each such pair, and only when both count
# the same unit ("n/a" otherwise: instructions are not cycles); the host column gets none.
set -euo pipefail
out=${1:?usage: bench-report.sh OUT_DIR NAME=LOG...}
shift
mkdir -p "$out"

# The rows: KEY|label|keys that count as this row|seL4 figure|seL4 hardware.
rows=(
    "null_syscall|null syscall|null_syscall|136|Skylake i7-6700 (sel4bench, 2023)"
    "ipc_call|IPC call, one way|ipc_call_oneway ipc_oneway|381|Skylake i7-6700 (sel4bench, 2023)"
    "ipc_reply|IPC reply, one way|ipc_reply_oneway ipc_oneway|389|Skylake i7-6700 (sel4bench, 2023)"
    "map_1|map 1 page, request to reply|map_1|1088|Skylake, seL4 map call, no mitigations"
    "map_512|map 512 pages, request to reply|map_512||"
    "unmap_1|unmap 1 page|unmap_1||"
    "unmap_512|unmap 512 pages|unmap_512||"
    "map_touch_unmap_1|map+touch+unmap 1 page|map_touch_unmap_1||"
    "map_touch_unmap_512|map+touch+unmap 512 pages|map_touch_unmap_512||"
    "protect_1|protect 1 page|protect_1||"
    "protect_512|protect 512 pages|protect_512||"
    "fault|first-touch page fault|fault_first_touch|1598|Skylake, fault round trip, no mitigations"
    "spawn_exit|process spawn + exit|spawn_exit||"
    # growth (issue 12): the same requests with many regions in the space (mm_bench.c)
    "map_1_at_10|map 1 page, 10 other regions|map_1_at_10||"
    "unmap_1_at_10|unmap 1 page, 10 other regions|unmap_1_at_10||"
    "protect_1_at_10|protect 1 page, 10 other regions|protect_1_at_10||"
    "fault_at_10|first-touch fault, 10 other regions|fault_at_10||"
    "map_1_at_1000|map 1 page, 1,000 other regions|map_1_at_1000||"
    "unmap_1_at_1000|unmap 1 page, 1,000 other regions|unmap_1_at_1000||"
    "protect_1_at_1000|protect 1 page, 1,000 other regions|protect_1_at_1000||"
    "fault_at_1000|first-touch fault, 1,000 other regions|fault_at_1000||"
    "map_1_at_10000|map 1 page, 10,000 other regions|map_1_at_10000||"
    "unmap_1_at_10000|unmap 1 page, 10,000 other regions|unmap_1_at_10000||"
    "protect_1_at_10000|protect 1 page, 10,000 other regions|protect_1_at_10000||"
    "fault_at_10000|first-touch fault, 10,000 other regions|fault_at_10000||"
)

# figures[NAME:KEY] = "median min max"; counters[NAME] = counter named in the log.
declare -A figures counters overheads
names=()
for spec in "$@"; do
    name=${spec%%=*} log=${spec#*=}
    [[ -f "$log" ]] || { echo "bench-report: no log $log" >&2; exit 1; }
    names+=("$name")
    # The counter's own cost ("counter_read": two back-to-back reads, whose difference every
    # figure includes once) is subtracted from each figure of the log that reports it.
    overhead=$(tr -d '\r' <"$log" | sed -nE 's/.*bench counter_read: median ([0-9]+).*/\1/p' | tail -n 1)
    overheads["$name"]=${overhead:-0}
    while read -r key med min max counter; do
        [[ $key == counter_read ]] && continue
        o=${overhead:-0}
        figures["$name:$key"]="$((med - o)) $((min - o)) $((max - o))"
        [[ -n "$counter" ]] && counters["$name"]=$counter
    done < <(tr -d '\r' <"$log" | awk '
        /bench [a-z0-9_]+: median/ {
            sub(/.*bench /, "")
            key = $1; sub(/:$/, "", key)
            med = min = max = ""; counter = ""
            for (i = 2; i <= NF; i++) {
                if ($i == "median") med = $(i + 1)
                if ($i == "min") min = $(i + 1)
                if ($i == "max") max = $(i + 1)
            }
            if (match($0, /, [a-z_ -]+\)$/)) counter = substr($0, RSTART + 2, RLENGTH - 3)
            gsub(/ /, "_", counter)
            print key, med, min, max, counter
        }')
done

# The first key of a row that source NAME measured, or nothing.
row_figure() { # NAME KEYS
    local k
    for k in $2; do
        if [[ -n "${figures[$1:$k]:-}" ]]; then
            echo "${figures[$1:$k]}"
            return 0
        fi
    done
    return 0
}

# What a counter counts: the unit two columns must share for a ratio between them
# ("tcg_icount_instructions" from tools/qemu-bench.sh and linux_bench's "instructions" are
# both guest instructions; TSC ticks, cycles and nanoseconds are each their own).
counter_unit() { # COUNTER
    case "$1" in
        *instructions) echo instructions ;;
        *cycles) echo cycles ;;
        tsc) echo "TSC ticks" ;;
        *) echo "${1:-unknown}" ;;
    esac
}

# A source's column heading: who ran (mmk or Linux), on what, and the unit.
source_label() { # NAME
    local n=$1 what
    case "$n" in
        mmk-*-tcg) what="mmk ${n#mmk-}" what="${what%-tcg}, TCG" ;;
        mmk-*-kvm) what="mmk ${n#mmk-}" what="${what%-kvm}, KVM" ;;
        linux-*-tcg) what="Linux ${n#linux-}" what="${what%-tcg}, QEMU TCG" ;;
        linux | linux-host) what="Linux host" ;;
        *) what=$n ;;
    esac
    echo "$what ($(counter_unit "${counters[$n]:-}"))"
}

# The ratio columns: ours over Linux's for each Linux source run in the same harness as one
# of ours (linux-ARCH-MODE beside mmk-ARCH-MODE), and only where both count the same unit
# ("n/a" otherwise). The Linux host column has no such partner: no ratio is ever taken
# across harnesses or units.
pairs=()
for n in "${names[@]}"; do
    [[ $n == linux-* ]] || continue
    for m in "${names[@]}"; do
        [[ $m == "mmk-${n#linux-}" ]] && pairs+=("$m/$n")
    done
done

for n in "${names[@]}"; do
    if [[ ${overheads[$n]} == 0 ]]; then
        echo "$n: $(source_label "$n"), counter ${counters[$n]:-unknown} (no counter_read: the program subtracts its own cost)"
    else
        echo "$n: $(source_label "$n"), counter ${counters[$n]:-unknown}, its own cost (${overheads[$n]}) subtracted here"
    fi
done
declare -A width
printf '%-28s' "operation"
for n in "${names[@]}"; do
    h=$(source_label "$n")
    width[$n]=$((${#h} > 22 ? ${#h} : 22))
    printf ' %*s' "${width[$n]}" "$h"
done
for p in "${pairs[@]}"; do
    x=${p#*/linux-} m=${p##*-} # ARCH-MODE, MODE
    h="mmk/Linux ${x%-*} ${m^^}"
    width[$p]=$((${#h} > 12 ? ${#h} : 12))
    printf ' %*s' "${width[$p]}" "$h"
done
printf ' %8s  %s\n' "seL4" "seL4 hardware"
json="{\"sources\": ["
first=1
for n in "${names[@]}"; do
    json+="$([[ $first == 1 ]] || echo ", ")\"$n\""
    first=0
done
json+="], \"labels\": {"
first=1
for n in "${names[@]}"; do
    json+="$([[ $first == 1 ]] || echo ", ")\"$n\": \"$(source_label "$n")\""
    first=0
done
json+="}, \"counters\": {"
first=1
for n in "${names[@]}"; do
    json+="$([[ $first == 1 ]] || echo ", ")\"$n\": \"${counters[$n]:-unknown}\""
    first=0
done
json+="}, \"counter_overhead_subtracted\": {"
first=1
for n in "${names[@]}"; do
    json+="$([[ $first == 1 ]] || echo ", ")\"$n\": ${overheads[$n]}"
    first=0
done
json+="}, \"rows\": ["
plot=$(mktemp)
trap 'rm -f "$plot"' EXIT
rowsep=""
for r in "${rows[@]}"; do
    IFS='|' read -r key label keys sel4 hw <<<"$r"
    printf '%-28s' "$label"
    json+="$rowsep{\"op\": \"$key\", \"label\": \"$label\""
    rowsep=", "
    plotline="\"$label\""
    declare -A median=()
    for n in "${names[@]}"; do
        f=$(row_figure "$n" "$keys")
        if [[ -z "$f" ]]; then
            printf ' %*s' "${width[$n]}" "-"
            plotline+=" NaN"
            continue
        fi
        read -r med min max <<<"$f"
        printf ' %*s' "${width[$n]}" "$med [$min..$max]"
        json+=", \"$n\": {\"median\": $med, \"min\": ${min:-null}, \"max\": ${max:-null}}"
        plotline+=" $med"
        median[$n]=$med
    done
    json+=", \"ratios\": {"
    first=1
    for p in "${pairs[@]}"; do
        ours=${median[${p%%/*}]:-} linux=${median[${p#*/}]:-} ratio="-"
        if [[ -n "$ours" && -n "$linux" ]]; then
            if [[ "$(counter_unit "${counters[${p%%/*}]:-}")" != "$(counter_unit "${counters[${p#*/}]:-}")" ]]; then
                ratio="n/a" # different units: no honest ratio
            elif ((linux > 0)); then
                ratio=$(awk -v a="$ours" -v b="$linux" 'BEGIN { printf "%.2f", a / b }')
            fi
        fi
        printf ' %*s' "${width[$p]}" "$ratio"
        json+="$([[ $first == 1 ]] || echo ", ")\"$p\": $([[ $ratio == - || $ratio == n/a ]] && echo null || echo "$ratio")"
        first=0
    done
    printf ' %8s  %s\n' "${sel4:--}" "${hw:-}"
    json+="}, \"sel4\": ${sel4:-null}, \"sel4_hardware\": \"${hw}\"}"
    echo "$plotline ${sel4:-NaN}" >>"$plot"
done
json+="]}"
echo "$json" >"$out/bench.json"
echo "figures written to $out/bench.json"

if command -v gnuplot >/dev/null; then
    cols=$((${#names[@]} + 2))
    {
        echo "set terminal svg size 1000,520 dynamic noenhanced background '#ffffff'"
        echo "set output '$out/bench.svg'"
        echo "set title 'mmk, Linux and seL4: median per operation (log scale; counters differ, see bench.json)'"
        echo "set style data histograms; set style histogram clustered gap 1; set style fill solid 0.8"
        echo "set logscale y; set ylabel 'cycles or instructions'; set xtics rotate by -25 scale 0"
        echo "set key outside right top; set grid ytics; set datafile missing 'NaN'"
        printf "plot '%s' using 2:xtic(1) title '%s'" "$plot" "${names[0]}"
        for ((c = 3; c <= cols; c++)); do
            if ((c - 2 < ${#names[@]})); then
                printf ", '' using %d title '%s'" "$c" "${names[$((c - 2))]}"
            else
                printf ", '' using %d title 'seL4 (published)'" "$c"
            fi
        done
        echo
    } | gnuplot && echo "plot written to $out/bench.svg"
fi
