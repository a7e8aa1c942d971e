#!/usr/bin/env bash
# `make test-dist`'s C checks, run under ../tests/with-mock.sh (XPAY_BASE_URL etc. set):
#   1. the tarball's layout: the real library, its two links, SONAME (readelf -d), .a, header,
#      pkg-config and CMake files;
#   2. tests/consumer (CMake, C++17, find_package(xpay_auth CONFIG REQUIRED)) built against the
#      DESTDIR install at PREFIX_DIR, shared and static, both run (login + call);
#   3. examples/login.c built with pkg-config's flags against the tarball unpacked elsewhere
#      (the .pc is relocatable), run; `pkg-config --static` carries Libs.private.
#
#   tests/consumer.sh TARBALL SCRATCH PREFIX_DIR VERSION SOVERSION
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tarball=$1 scratch=$2 prefix=$3 version=$4 soversion=$5
fail() { echo "consumer: FAIL $*" >&2; exit 1; }

# 1. The tarball.
mkdir -p "$scratch/unpacked"
tar -xzf "$tarball" -C "$scratch/unpacked"
top=$(echo "$scratch"/unpacked/*)
lib=$top/lib
[ -f "$lib/libxpay_auth.so.$version" ] && [ ! -L "$lib/libxpay_auth.so.$version" ] || fail "no real libxpay_auth.so.$version"
[ "$(readlink "$lib/libxpay_auth.so.$soversion")" = "libxpay_auth.so.$version" ] || fail "libxpay_auth.so.$soversion link"
[ "$(readlink "$lib/libxpay_auth.so")" = "libxpay_auth.so.$soversion" ] || fail "libxpay_auth.so link"
for f in lib/libxpay_auth.a include/xpay_auth.h lib/pkgconfig/xpay_auth.pc \
  lib/cmake/xpay_auth/xpay_authConfig.cmake lib/cmake/xpay_auth/xpay_authConfigVersion.cmake; do
  [ -f "$top/$f" ] || fail "$f is missing from the tarball"
done
soname=$(readelf -d "$lib/libxpay_auth.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libxpay_auth.so.$soversion" ] || fail "SONAME is '$soname', not libxpay_auth.so.$soversion"
echo "consumer: ok   $(basename "$tarball"): SONAME $soname, libxpay_auth.so.$version + 2 links, .a, header, .pc, CMake package"

# 2. CMake, C++17, against the DESTDIR install (a copy of tests/consumer outside the tree).
rm -rf "$scratch/cmake-src" "$scratch/cmake-build"
cp -r "$here/tests/consumer" "$scratch/cmake-src"
cmake -S "$scratch/cmake-src" -B "$scratch/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release > "$scratch/cmake-configure.log" || { cat "$scratch/cmake-configure.log"; fail "cmake configure"; }
grep -F "xpay_auth $version from $prefix/lib/cmake/xpay_auth" "$scratch/cmake-configure.log" >/dev/null \
  || { cat "$scratch/cmake-configure.log"; fail "find_package did not find $prefix"; }
cmake --build "$scratch/cmake-build" > "$scratch/cmake-build.log" 2>&1 || { cat "$scratch/cmake-build.log"; fail "cmake build"; }
readelf -d "$scratch/cmake-build/consumer-shared" | grep -F "[libxpay_auth.so.$soversion]" >/dev/null \
  || fail "consumer-shared does not need libxpay_auth.so.$soversion"
! readelf -d "$scratch/cmake-build/consumer-static" | grep -F libxpay_auth >/dev/null || fail "consumer-static is not static"
LD_LIBRARY_PATH=$prefix/lib "$scratch/cmake-build/consumer-shared"
"$scratch/cmake-build/consumer-static"
echo "consumer: ok   CMake C++17 find_package(xpay_auth CONFIG REQUIRED): xpay_auth::xpay_auth (NEEDED libxpay_auth.so.$soversion) and xpay_auth::xpay_auth_static"

# 3. pkg-config against the unpacked tarball, moved to another folder (relocatable).
mv "$top" "$scratch/moved"
export PKG_CONFIG_PATH=$scratch/moved/lib/pkgconfig
[ "$(pkg-config --modversion xpay_auth)" = "$version" ] || fail "pkg-config --modversion"
pkg-config --static --libs xpay_auth | grep -e -lpthread >/dev/null || fail "pkg-config --static has no Libs.private"
cp "$here/examples/login.c" "$scratch/app.c"
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -pedantic -Werror "$scratch/app.c" $(pkg-config --cflags --libs xpay_auth) \
  -o "$scratch/app-pkgconfig"
LD_LIBRARY_PATH=$scratch/moved/lib "$scratch/app-pkgconfig" > "$scratch/app.log" || { cat "$scratch/app.log"; fail "pkg-config app"; }
echo "consumer: ok   pkg-config consumer (examples/login.c) against the tarball unpacked and moved: $(pkg-config --cflags --libs xpay_auth)"
