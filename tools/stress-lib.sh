# Shared by the stress scripts (tools/stress.sh, regions-stress.sh, many-stress.sh); sourced,
# never run. Expects $root (the repository) to be set.

# Sets the array `arches` to the arguments given, or to every ported arch (arch/*/config.cmake)
# when there are none.
stress_arches() {
    arches=("$@")
    if ((${#arches[@]} == 0)); then
        for c in "$root"/arch/*/config.cmake; do
            arches+=("$(basename "$(dirname "$c")")")
        done
    fi
}

# Configures build tree TREE for ARCH with the extra CMake settings given after TARGETS (a
# space-separated list) and builds those targets. Quiet unless it fails; then prints why
# (prefixed by WHO) and returns 2.
stress_build() {
    local who=$1 arch=$2 tree=$3 targets=$4
    shift 4
    cmake -S "$root" -B "$tree" -G Ninja -DARCH="$arch" -DCMAKE_C_COMPILER=clang \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null ||
        { echo "$who: configure failed ($arch)"; return 2; }
    # shellcheck disable=SC2086 # targets is a list on purpose
    cmake --build "$tree" --target $targets >/dev/null ||
        { echo "$who: build failed ($arch)"; return 2; }
}
