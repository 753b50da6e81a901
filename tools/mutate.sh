#!/usr/bin/env bash
# The mutation run (issue 14, `make mutate`): plants the plausible bugs of
# tests/mutate/mutants.txt one at a time and checks that the tests named for each one fail.
#
#   tools/mutate.sh                  every mutant
#   MUTANTS=id1,id2 tools/mutate.sh  only those
#
# It tests the COMMITTED HEAD, never the working tree: a private git worktree,
# build/mutate/tree, is moved to HEAD (uncommitted changes are not seen), and it builds
# there into build/mutate/x86_64 (and build/mutate/riscv64 when a mutant names a riscv64
# test). The shared working tree is never written. For each mutant: check that its original
# text occurs exactly once in the file (else the mutant no longer applies: the run fails),
# apply it, rebuild only the targets its tests need, run them (MUTATE_TIMEOUT seconds each,
# default 300), put the file back. Verdicts:
#   KILLED     a test failed (or the build failed and the mutant says compile-error)
#   SURVIVED   every test passed: a gap in the tests, or an equivalent mutant not yet marked
#   EQUIV      marked equivalent in the file (with its reason): checked to apply, not run
#   INVALID    the text does not apply once, a test selects nothing, or an unexpected build
#              failure: the mutant itself is wrong
# Before the first mutant every test named by the chosen mutants runs once on the unchanged
# tree; one that fails there would kill every mutant, so the run stops.
# Ends with `mutants: N killed, N survived, N equivalent` and exits 1 when any mutant
# survived or was invalid. Logs: build/mutate/logs/<id>.log.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
list=${MUTANT_FILE:-$root/tests/mutate/mutants.txt}
out=$root/build/mutate
tree=$out/tree
limit=${MUTATE_TIMEOUT:-300}

die() {
    echo "mutate: $*" >&2
    exit 2
}

# ---- the mutant file ----------------------------------------------------------------------
# Blocks of: `=== id`, `file:`, `tests:`, `expect:`, `desc:`, then the exact original text
# between `--- from` and `--- to` and its replacement between `--- to` and `--- end` (whole
# lines; tests/mutate/README.md). Parsed into arrays by id.
declare -a ids=()
declare -A m_file m_tests m_expect m_desc m_from m_to

# Stores the block being read (id in $cur) once it is complete.
finish_block() {
    [[ -z "$cur" ]] && return
    [[ -n "${m_file[$cur]:-}" && -n "${m_expect[$cur]:-}" && -n "${m_desc[$cur]:-}" ]] ||
        die "mutant '$cur': file, expect and desc are required"
    [[ "${m_expect[$cur]}" == equivalent* || -n "${m_tests[$cur]:-}" ]] ||
        die "mutant '$cur': a mutant that can be killed names its tests"
    [[ $has_from == 1 && $has_to == 2 ]] || die "mutant '$cur': needs '--- from', '--- to', '--- end'"
    from=${from%$'\n'}
    to=${to%$'\n'}
    m_from[$cur]=$from
    m_to[$cur]=$to
}

read_mutants() {
    local line section= cur= from= to= has_from=0 has_to=0
    [[ -f "$list" ]] || die "no mutant file $list"
    while IFS= read -r line || [[ -n "$line" ]]; do
        if [[ "$line" == "=== "* ]]; then
            finish_block
            cur=${line#=== }
            [[ "$cur" =~ ^[a-z0-9_.-]+$ ]] || die "bad mutant id '$cur'"
            [[ -z "${m_file[$cur]:-}" ]] || die "mutant '$cur' defined twice"
            ids+=("$cur")
            section=head from= to= has_from=0 has_to=0
        elif [[ "$line" == "--- from" && $section == head ]]; then
            section=from has_from=1
        elif [[ "$line" == "--- to" && $section == from ]]; then
            section=to has_to=1
        elif [[ "$line" == "--- end" && $section == to ]]; then
            section=done has_to=2
        elif [[ $section == from ]]; then
            from+=$line$'\n'
        elif [[ $section == to ]]; then
            to+=$line$'\n'
        elif [[ $section == head && "$line" =~ ^(file|tests|expect|desc):\ *(.*)$ ]]; then
            case ${BASH_REMATCH[1]} in
            file) m_file[$cur]=${BASH_REMATCH[2]} ;;
            tests) m_tests[$cur]=${BASH_REMATCH[2]} ;;
            expect) m_expect[$cur]=${BASH_REMATCH[2]} ;;
            desc) m_desc[$cur]=${BASH_REMATCH[2]} ;;
            esac
        elif [[ -n "$line" && "$line" != \#* ]]; then
            die "mutant file: unexpected line '$line'"
        fi
    done <"$list"
    finish_block
}

# ---- the private tree -----------------------------------------------------------------------

# Puts build/mutate/tree at HEAD (a detached worktree of this repository, created once).
sync_tree() {
    local head
    head=$(git -C "$root" rev-parse HEAD) || die "not a git repository"
    if ! git -C "$tree" rev-parse --git-dir >/dev/null 2>&1; then
        rm -rf "$tree"
        git -C "$root" worktree add -f --detach "$tree" "$head" >/dev/null 2>&1 ||
            die "cannot create the worktree $tree"
    fi
    git -C "$tree" checkout -q -f --detach "$head" || die "cannot move $tree to HEAD"
    echo "mutate: testing HEAD $(git -C "$root" log -1 --format='%h %s' | cut -c1-80)"
    if [[ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]]; then
        echo "mutate: (uncommitted changes in the working tree are not part of this run)"
    fi
}

# Configures build/mutate/ARCH from the private tree (once; later runs only refresh).
configure() {
    local arch=$1
    nice -n 10 cmake -S "$tree" -B "$out/$arch" -G Ninja -DARCH="$arch" \
        -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$out/configure-$arch.log" 2>&1 ||
        die "configure of $arch failed: $out/configure-$arch.log"
}

# ---- tests ----------------------------------------------------------------------------------
# A test is ARCH:CTEST[:FILTER]. CTEST is a Criterion binary (a *_tests name: run directly,
# FILTER its --filter pattern) or a QEMU ctest (qemu_*: its image target is built and the
# ctest run).

# The build target a test needs.
test_target() {
    local name=$1
    case $name in
    *_tests) echo "$name" ;;
    qemu_scenarios_cpu_max) echo image_scenarios ;;
    qemu_scenarios_sv39_svpbmt) echo image_scenarios_sv39 ;;
    qemu_mm_hostile | qemu_mm_chaos) echo "image_${name#qemu_}" ;;
    qemu_kernel_panic) echo image_panic ;;
    qemu_*) echo "image_scn_${name#qemu_}" ;; # one scenario: its own image (kernel.cmake)
    *) die "unknown test '$name'" ;;
    esac
}

# Runs test SPEC in its tree, output to LOG; 0 pass, 1 fail, 3 selects nothing.
run_test() {
    local spec=$1 log=$2 arch name filter bin rc
    IFS=: read -r arch name filter <<<"$spec"
    if [[ $name == *_tests ]]; then
        bin=$(find "$out/$arch/tests" -type f -name "$name" -perm -u+x | head -n 1)
        [[ -n "$bin" ]] || return 3
        timeout "$limit" nice -n 10 "$bin" --jobs 2 ${filter:+--filter "$filter"} >>"$log" 2>&1
        rc=$?
        grep -q 'Synthesis: Tested: [1-9]' "$log" || return 3
    else
        local re # the name as a regex of itself: scenario names hold '+'
        re=$(sed 's/[][\\^$.*+?(){}|]/\\&/g' <<<"$name")
        (cd "$out/$arch" && timeout "$limit" nice -n 10 ctest -R "^$re\$" --output-on-failure) >>"$log" 2>&1
        rc=$?
        grep -q "100% tests passed\|tests failed out of [1-9]" "$log" || return 3
    fi
    ((rc == 0)) && return 0 || return 1
}

# Builds the targets the tests in SPECS need, per tree, output to LOG.
build_for() {
    local log=$1 spec arch name targets
    shift
    declare -A want=()
    for spec in "$@"; do
        IFS=: read -r arch name _ <<<"$spec"
        want[$arch]+=" $(test_target "$name")"
    done
    for arch in "${!want[@]}"; do
        read -ra targets <<<"${want[$arch]}"
        nice -n 10 cmake --build "$out/$arch" --target "${targets[@]}" >>"$log" 2>&1 || return 1
    done
}

# ---- one mutant ---------------------------------------------------------------------------

# The file's whole text (trailing newlines kept) in the global `text`.
load() {
    text=$(cat "$1" && printf x) || return 1
    text=${text%x}
}

# How often the mutant's original text occurs in `text`.
occurrences() {
    local from=$1 rest=${text//"$1"/}
    echo $(((${#text} - ${#rest}) / ${#from}))
}

restore_file= restore_text=
restore() {
    if [[ -n "$restore_file" ]]; then
        printf '%s' "$restore_text" >"$restore_file"
        restore_file=
    fi
}
trap 'restore; exit 130' INT TERM
trap restore EXIT

# Applies, builds and tests mutant ID; prints its line and sets `verdict`.
run_mutant() {
    local id=$1 path=$tree/${m_file[$1]} log=$out/logs/$1.log n spec start=$SECONDS
    local -a specs
    read -ra specs <<<"${m_tests[$id]:-}"
    : >"$log"
    load "$path" 2>/dev/null || { verdict=INVALID; echo "INVALID  $id: no file ${m_file[$id]}"; return; }
    n=$(occurrences "${m_from[$id]}")
    if ((n != 1)); then
        verdict=INVALID
        echo "INVALID  $id: its text occurs $n times in ${m_file[$id]} (must be exactly once)"
        return
    fi
    if [[ "${m_expect[$id]}" == equivalent* ]]; then
        verdict=EQUIV
        echo "EQUIV    $id: ${m_expect[$id]#equivalent }"
        return
    fi
    restore_file=$path restore_text=$text
    printf '%s' "${text/"${m_from[$id]}"/"${m_to[$id]}"}" >"$path"
    if ! build_for "$log" "${specs[@]}"; then
        restore
        if [[ "${m_expect[$id]}" == compile-error ]]; then
            verdict=KILLED
            echo "KILLED   $id (does not compile, as expected) ${m_desc[$id]}"
        else
            verdict=INVALID
            echo "INVALID  $id: the mutant does not build (log $log)"
        fi
        return
    fi
    verdict=SURVIVED
    local by=
    for spec in "${specs[@]}"; do
        echo "== $spec" >>"$log"
        run_test "$spec" "$log"
        case $? in
        0) ;;
        1) verdict=KILLED by=$spec; break ;;
        *) verdict=INVALID by="$spec selects no test"; break ;;
        esac
    done
    restore
    case $verdict in
    KILLED) echo "KILLED   $id by $by ($((SECONDS - start)) s)" ;;
    INVALID) echo "INVALID  $id: $by" ;;
    *) echo "SURVIVED $id: ${m_desc[$id]} (tests ${specs[*]}, $((SECONDS - start)) s)" ;;
    esac
}

# ---- the run ------------------------------------------------------------------------------
# In functions, called from the last line: bash has then read the whole script before it
# runs, so an edit to this file during a run cannot change the run.

# The mutants of MUTANTS (every one by default) in `chosen`.
choose() {
    chosen=("${ids[@]}")
    if [[ -n "${MUTANTS:-}" ]]; then
        IFS=, read -ra chosen <<<"$MUTANTS"
        for id in "${chosen[@]}"; do
            [[ -n "${m_file[$id]:-}" ]] || die "no mutant '$id' in $list"
        done
    fi
}

# Configures every tree the chosen mutants' tests need; their distinct tests in need_spec.
prepare() {
    local id spec arch
    declare -gA need_spec=()
    declare -A need_arch=()
    for id in "${chosen[@]}"; do
        [[ "${m_expect[$id]}" == equivalent* ]] && continue
        for spec in ${m_tests[$id]:-}; do
            need_spec[$spec]=1
            need_arch[${spec%%:*}]=1
        done
    done
    for arch in "${!need_arch[@]}"; do
        [[ -f "$tree/arch/$arch/config.cmake" ]] || die "unknown arch '$arch'"
        configure "$arch"
    done
}

# Builds and runs every needed test once on the unchanged tree; stops the run if one fails.
baseline() {
    local spec rc one=$out/logs/baseline-one.log base_log=$out/logs/baseline.log
    ((${#need_spec[@]})) || return 0
    echo "mutate: baseline: ${#need_spec[@]} tests on the unchanged tree"
    : >"$base_log"
    build_for "$base_log" "${!need_spec[@]}" || die "the unchanged tree does not build: $base_log"
    for spec in "${!need_spec[@]}"; do
        : >"$one"
        run_test "$spec" "$one"
        rc=$?
        cat "$one" >>"$base_log"
        ((rc == 0)) || die "baseline: $spec $( ((rc == 3)) && echo selects no test || echo fails)" \
            "on the unchanged tree (see $base_log)"
    done
}

main() {
    local id killed=0 survived=0 equiv=0 invalid=0
    read_mutants
    choose
    mkdir -p "$out/logs"
    exec 9>"$out/lock"
    flock -n 9 || die "another mutation run holds $out/lock"
    sync_tree
    prepare
    baseline
    for id in "${chosen[@]}"; do
        run_mutant "$id"
        case $verdict in
        KILLED) killed=$((killed + 1)) ;;
        SURVIVED) survived=$((survived + 1)) ;;
        EQUIV) equiv=$((equiv + 1)) ;;
        *) invalid=$((invalid + 1)) ;;
        esac
    done
    echo "mutants: $killed killed, $survived survived, $equiv equivalent$( ((invalid)) && echo ", $invalid invalid")" \
        "($SECONDS s)"
    ((survived == 0 && invalid == 0))
}

main "$@"
exit $?
