#!/usr/bin/env bash
# The ctest of a program image (kernel/kernel.cmake, mmk_program_image): boots it exactly as
# `make run` does (tools/run-demo.sh: console, log, address-space picture), then passes only
# when run-demo.sh exited 0 (the runner's verdict, mmserver's pool restored), the runner's
# closing line says `K passed, 0 failed`, every --require LINE appears as a whole line of the
# log, exactly one line of the log matches each --once REGEX (grep -E, whole line), and the
# picture names every --picture PROGRAM.
#
#   check-run.sh QEMU_SH IMAGE_DIR RUN_DEMO MMVIZ BUILD_DIR NAME [--expect-count K]
#                [--require LINE]... [--once REGEX]... [--picture PROGRAM]...
set -uo pipefail
qemu_sh=$1 image=$2 run_demo=$3 mmviz=$4 build=$5 name=$6
shift 6
out=$build/programs/check-$name
mkdir -p "$out"
log=$out/run.log svg=$out/address-spaces.svg
rm -f "$log" "$svg"

count= required=() once=() pictured=()
while (($#)); do
    case $1 in
        --expect-count) count=$2 ;;
        --require) required+=("$2") ;;
        --once) once+=("$2") ;;
        --picture) pictured+=("$2") ;;
        *) echo "check-run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift 2
done

timeout "${MMK_QEMU_TIMEOUT:-110}" "$run_demo" "$qemu_sh" "$image" "$log" "$mmviz" "$svg" </dev/null
rc=$?
fail=0
say() { echo "check-run $name: $*"; }
if ((rc != 0)); then
    say "FAILED: make run's status is $rc, not 0"
    fail=1
else
    say "ok: make run's status is 0 (mmserver reported its pool restored)"
fi
clean=$(tr -d '\r' <"$log")
if [[ -n $count ]]; then
    if grep -qx "$count passed, 0 failed" <<<"$clean"; then
        say "ok: the runner judged $count programs, none failed"
    else
        say "FAILED: no line '$count passed, 0 failed'"
        fail=1
    fi
fi
for line in "${required[@]}"; do
    if grep -qxF -- "$line" <<<"$clean"; then
        say "ok: '$line'"
    else
        say "FAILED: no line '$line'"
        fail=1
    fi
done
for re in "${once[@]}"; do
    n=$(grep -cxE -- "$re" <<<"$clean")
    if ((n == 1)); then
        say "ok: one line '$(grep -xE -- "$re" <<<"$clean")'"
    else
        say "FAILED: $n lines match '$re', not one"
        fail=1
    fi
done
for prog in "${pictured[@]}"; do
    if [[ -f $svg ]] && grep -q ">$prog<" "$svg"; then
        say "ok: the picture shows $prog's address space"
    else
        say "FAILED: $svg does not show $prog"
        fail=1
    fi
done
exit "$fail"
