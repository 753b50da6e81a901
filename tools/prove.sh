#!/usr/bin/env bash
# make prove: Frama-C's WP plugin proves libpt's checks at the door and every paging format's
# entry encode/decode against the ACSL contracts of libpt/proof/ (each harness includes the
# real source file), with -wp-rte so that every possible run-time error is a goal as well.
# Prints each harness's goals proved / total and the sum; fails unless every goal is proved.
# What the contracts say, and what is not proved: libpt/README.md "What is proved".
#   PROVE_DIR   where logs and Why3's configuration go (default build/prove)
#   PROVE_JOBS  prover processes at once (default: the number of CPUs)
#   PROVE_ONLY  the harnesses to run, space-separated (default: all; e.g. "fmt_riscv" while
#               working on one format; the total then counts those alone)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${PROVE_DIR:-$root/build/prove}
jobs=${PROVE_JOBS:-$(nproc)}
mkdir -p "$out/home"
out=$(cd "$out" && pwd)

# Why3 keeps its prover list in $HOME/.why3.conf: a private HOME, so a fresh machine (or a
# user with another Why3 set-up) gets exactly the provers found here.
export HOME=$out/home
if [[ ! -f $HOME/.why3.conf ]]; then
    why3 config detect >"$out/why3-detect.log" 2>&1 || {
        cat "$out/why3-detect.log" >&2
        echo "prove: why3 config detect failed" >&2
        exit 1
    }
fi

# Each run: its name, the harness (libpt/proof/<harness>.c), the functions it proves, and WP
# tactics it adds to the common ones. A harness may have several runs: wp:bitshift (shifts by
# constants as multiplications and divisions) proves riscv's shift lemma but, offered to every
# goal, leads WP's search away from the proofs of others, so that lemma has a run of its own.
fmt_helpers=fmt_span,fmt_set_pa,fmt_attr_known,fmt_bits_if
runs=(
    "door door is_upper,is_canonical,check_range,frame_ok -"
    "fmt_x86_64 fmt_x86_64 x86_pat_bit,x86_check_attr,x86_encode_leaf,x86_encode_table,x86_decode_leaf,x86_decode,x86_round_trip,$fmt_helpers -"
    "fmt_riscv fmt_riscv rv_check_attr,rv_ppn,rv_pa,rv_encode_leaf,rv_encode_table,rv_decode_leaf,rv_decode,rv_round_trip,fmt_memtype_of,$fmt_helpers -"
    "fmt_riscv_shift fmt_riscv rv_ppn_back wp:bitshift"
    "fmt_aarch64 fmt_aarch64 a64_check_attr,a64_encode_leaf,a64_encode_table,a64_decode_leaf,a64_decode,a64_round_trip,fmt_memtype_of,$fmt_helpers -"
)

start=$SECONDS
proved=0 total=0 failed=0
cd "$out" # Frama-C and Why3 write their scratch files here, not in the tree
only=" ${PROVE_ONLY:-door fmt_x86_64 fmt_riscv fmt_aarch64} "
for run in "${runs[@]}"; do
    read -r name harness fcts extra <<<"$run"
    [[ $only == *" $harness "* ]] || continue
    tactics=wp:split,wp:bitwised,wp:bitrange
    [[ $extra == - ]] || tactics+=",$extra"
    log=$out/$name.log
    # WP's own tactics, tried on a goal the prover leaves open: wp:split cases on the
    # conditions of a goal, so that its simplifier sees each encoded bit as a constant;
    # wp:bitwised proves an equality of 64-bit values bit by bit (each bit then folds to a
    # constant or a bit of an input), and wp:bitrange the 0 <= x < 2^64 bounds it asks for.
    # -wp-auto-width: a clause stated per permission value and memory type leaves up to 96
    # cases pending at once.
    if ! frama-c -cpp-extra-args="-I$root/libpt/include" \
        -wp -wp-rte -wp-fct "$fcts" \
        -wp-prover cvc4 -wp-auto "$tactics" -wp-auto-width 100 -wp-timeout 5 -wp-par "$jobs" \
        "$root/libpt/proof/$harness.c" >"$log" 2>&1; then
        echo "prove: $name: frama-c failed (see $log)" >&2
        tail -20 "$log" >&2
        failed=1
        continue
    fi
    read -r p t < <(sed -n 's/^\[wp\] Proved goals: *\([0-9]*\) *\/ *\([0-9]*\).*/\1 \2/p' "$log")
    if [[ -z ${p:-} || -z ${t:-} ]]; then
        echo "prove: $name: no goal count in $log" >&2
        failed=1
        continue
    fi
    printf 'prove: %-16s %4d / %4d goals proved\n' "$name" "$p" "$t"
    if ((p != t)); then
        grep -A3 '^\[wp\] \[Failed\]\|^\[wp\] \[Unknown\]\|Timeout' "$log" | head -40 >&2 || true
        failed=1
    fi
    proved=$((proved + p))
    total=$((total + t))
done
if ((total == 0 && !failed)); then
    echo "prove: no harness run (PROVE_ONLY=\"${PROVE_ONLY:-}\": door fmt_x86_64 fmt_riscv fmt_aarch64)" >&2
    exit 1
fi
printf 'prove: libpt total %d / %d goals proved in %d s\n' "$proved" "$total" $((SECONDS - start))
if ((failed || proved != total)); then
    echo "prove: FAILED: some goals are not proved (logs in $out)" >&2
    exit 1
fi
