#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `cpack -G DEB` makes one Debian package per component, and every file is in
# the package it belongs to: the core library alone in libflowscope-core1,
# headers and pkg-config files in libflowscope-dev, the SDK (template, guide,
# checker) in flowscope-plugin-sdk, and each plugin built into plugins-out/
# in its own flowscope-plugin-<name> package, depending on the core.
# Usage: check_debs.sh BUILD_DIR
set -euo pipefail
build=$1
tmp=$(mktemp -d /tmp/fs-debs-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
(cd "$build" && cpack -G DEB -B "$tmp" >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log"; exit 1; }
fail=0
bad() { echo "FAIL: $*"; fail=1; }
contents() { dpkg-deb -c "$1" | awk '{print $6}'; }
deb() { ls "$tmp"/"$1"_*.deb 2>/dev/null | head -1; }
# has PACKAGE REGEX: the package exists and lists a file matching REGEX.
has() {
  local d; d=$(deb "$1")
  [ -n "$d" ] || { bad "no $1 package"; return; }
  contents "$d" | grep -Eq "$2" || bad "$1 lacks $2"
}
# only PACKAGE REGEX: no other package lists a file matching REGEX.
only() {
  for d in "$tmp"/*.deb; do
    p=$(dpkg-deb -f "$d" Package)
    [ "$p" = "$1" ] && continue
    if contents "$d" | grep -Eq "$2"; then bad "$p also ships $2"; fi
  done
}

ls "$tmp"/*.deb | xargs -n1 basename
has libflowscope-core1 '/libflowscope-core\.so\.1$'
only libflowscope-core1 '/libflowscope-core\.so\.1'
has libflowscope0 '/libflowscope\.so\.0$'
only libflowscope0 '/libflowscope\.so\.0'
has libflowscope-dev '/include/flowscope/plugin\.h$'
has libflowscope-dev '/pkgconfig/flowscope-core\.pc$'
has libflowscope-dev '/cmake/flowscope/FlowscopePlugin\.cmake$'
only libflowscope-dev '/include/flowscope/'
has flowscope-plugin-sdk '/plugin-sdk/template/CMakeLists\.txt$'
has flowscope-plugin-sdk '/plugin-sdk/plugin-authoring\.md$'
if [ -x "$build/plugin-sdk/flowscope-plugin-check" ]; then
  has flowscope-plugin-sdk '/bin/flowscope-plugin-check$'
fi
n_plugins=0
for so in "$build"/plugins-out/*.so; do
  [ -f "$so" ] || continue
  name=$(basename "$so" .so)
  n_plugins=$((n_plugins + 1))
  has "flowscope-plugin-$name" "/flowscope/1/plugins/$name\\.so$"
  only "flowscope-plugin-$name" "/$name\\.so$"
  d=$(deb "flowscope-plugin-$name")
  [ -n "$d" ] && { dpkg-deb -f "$d" Depends | grep -q 'libflowscope-core1' || bad "$name: no core dependency"; }
done
[ "$n_plugins" -gt 0 ] || bad "no plugin in $build/plugins-out"
# No stray package for files installed without a component.
ls "$tmp"/*.deb | grep -qi unspecified && bad "an Unspecified package: an install() lacks COMPONENT"
[ $fail -eq 0 ] && echo "packages: ok ($n_plugins plugin packages)"
exit $fail
