#!/usr/bin/env bash
# ctest libpt_package: installs libpt from the host build BUILD (cmake --install, component
# libpt) into OUT/install, then builds the out-of-tree example of this folder against that
# copy twice -- with CMake's find_package(libpt) and with pkg-config -- and runs both. Passes
# when every step works, both binaries print the installed version VERSION and walk every
# format, and neither compile saw this source tree's include directory.
#
#   run.sh BUILD OUT CC VERSION
set -euo pipefail
build=$1 out=$2 cc=$3 version=$4
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$out"
mkdir -p "$out"
prefix=$out/install

echo "libpt_package: cmake --install $build --component libpt --prefix $prefix"
cmake --install "$build" --component libpt --prefix "$prefix" >"$out/install.log"
for f in include/pt/pt.h include/pt/version.h; do
    [[ -f $prefix/$f ]] || { echo "libpt_package: FAILED $f not installed"; exit 1; }
done
lib=$(find "$prefix" -name libpt.a | head -n 1)
pc=$(find "$prefix" -name libpt.pc | head -n 1)
[[ -n $lib && -n $pc ]] || { echo "libpt_package: FAILED libpt.a or libpt.pc not installed"; exit 1; }
echo "libpt_package: ok: headers, ${lib#$prefix/}, ${pc#$prefix/} and the CMake package installed"

check_run() { # how binary
    local how=$1 bin=$2 log=$out/$1.out
    "$bin" | tee "$log"
    grep -qx "pt_walk: libpt $version (major ${version%%.*})" "$log" ||
        { echo "libpt_package: FAILED $how: not version $version"; exit 1; }
    grep -qx "pt_walk: 4 formats built, walked and emptied" "$log" ||
        { echo "libpt_package: FAILED $how: not every format walked"; exit 1; }
    echo "libpt_package: ok: $how build ran: libpt $version, 4 formats"
}

echo "libpt_package: find_package(libpt) from $here"
cmake -S "$here" -B "$out/cmake" -G Ninja -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$out/cmake.log"
cmake --build "$out/cmake" >>"$out/cmake.log"
if grep -q -- "-I$(cd "$here/../.." && pwd)/libpt" "$out/cmake/compile_commands.json"; then
    echo "libpt_package: FAILED find_package build used the source tree's headers"
    exit 1
fi
check_run find_package "$out/cmake/pt_walk"

flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs libpt)
pcver=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --modversion libpt)
echo "libpt_package: pkg-config --cflags --libs libpt: $flags (version $pcver)"
[[ $pcver == "$version" ]] || { echo "libpt_package: FAILED pkg-config says $pcver"; exit 1; }
# shellcheck disable=SC2086 # the flags are words
"$cc" -std=c11 -Wall -Wextra -Werror "$here/walk.c" $flags -o "$out/pt_walk_pc"
check_run pkg-config "$out/pt_walk_pc"
echo "libpt_package: OK"
