#!/usr/bin/env bash
# The budget guard (ctest label "budget"): boots the benchmark images of one architecture
# under TCG with -icount shift=0, where every figure is an exact count of guest
# instructions, and fails when an operation's median exceeds its budget by more than 5 %.
#
#   budget-check.sh ARCH RUNNER BUDGETS IMAGE_DIR...
#
# RUNNER is the arch's boot script (arch/<arch>/qemu.sh); BUDGETS the table of
# tests/bench/budgets.txt (its header line names the column of each architecture). A
# figure is the median less the counter's own cost (counter_read), as `make bench` prints
# it. Prints "operation: figure / budget (limit): verdict" for every operation, then one
# line over all. Fails too when an image does not end with status 0, when an operation
# measured here has no budget, or when a budgeted operation was not measured. A figure well
# under its budget is said so (the budget may then be lowered), never an error.
set -uo pipefail
arch=${1:?usage: budget-check.sh ARCH RUNNER BUDGETS IMAGE_DIR...}
runner=${2:?}
budgets=${3:?}
shift 3
(($# > 0)) || { echo "budget-check: no image given" >&2; exit 2; }

# The budgets of this arch: "operation budget" lines ("-": not measured on this arch).
column=$(awk -v a="$arch" '!/^#/ && NF && $1 == "operation" {
                for (i = 2; i <= NF; i++) if ($i == a) print i; exit }' "$budgets")
[[ -n "$column" ]] || { echo "budget-check: $budgets has no column for $arch" >&2; exit 2; }
declare -A budget
while read -r op b; do
    budget[$op]=$b
done < <(awk -v c="$column" '!/^#/ && NF && $1 != "operation" { print $1, $c }' "$budgets")

# Boot every image; keep its "bench KEY: median M" lines.
declare -A median
failed=0
for image in "$@"; do
    log=$(mktemp)
    MMK_QEMU_ACCEL=tcg timeout --foreground 600 "$runner" "$image" -icount shift=0 \
        </dev/null >"$log" 2>&1
    rc=$?
    while read -r key m; do
        median[$key]=$m
    done < <(tr -d '\r' <"$log" | sed -nE 's/^bench ([a-z0-9_]+): median ([0-9]+) .*/\1 \2/p')
    if ((rc != 0)); then
        echo "budget-check: $(basename "$image") ended with status $rc; its last lines:"
        tail -n 5 "$log"
        failed=$((failed + 1))
    fi
    rm -f "$log"
done
overhead=${median[counter_read]:-}
if [[ -z "$overhead" ]]; then
    echo "budget-check: no counter_read figure (the IPC benchmark image prints it)"
    exit 1
fi
unset 'median[counter_read]'
unset 'budget[counter_read]'

echo "budgets on $arch (guest instructions, TCG -icount shift=0, median less counter_read $overhead):"
within=0
for op in $(printf '%s\n' "${!median[@]}" "${!budget[@]}" | sort -u); do
    b=${budget[$op]:-}
    if [[ -z "${median[$op]:-}" ]]; then
        [[ "$b" == - ]] && continue
        echo "  $op: not measured / budget $b: FAILED (no figure)"
        failed=$((failed + 1))
        continue
    fi
    f=$((median[$op] - overhead))
    if [[ -z "$b" || "$b" == - ]]; then
        echo "  $op: $f / no budget: FAILED (add it to $(basename "$budgets"))"
        failed=$((failed + 1))
        continue
    fi
    limit=$((b * 105 / 100)) # the largest figure that passes: 5 % over the budget
    if ((f * 100 > b * 105)); then
        echo "  $op: $f / budget $b (limit $limit): FAILED, $(((f - b) * 100 / b)) % over"
        failed=$((failed + 1))
    elif ((f * 100 < b * 95)); then
        echo "  $op: $f / budget $b (limit $limit): OK, $(((b - f) * 100 / b)) % under (lower the budget?)"
        within=$((within + 1))
    else
        echo "  $op: $f / budget $b (limit $limit): OK"
        within=$((within + 1))
    fi
done
echo "budget $arch: $within passed, $failed failed"
((failed == 0))
