#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The SDK works out of tree (issue 5, "Must show"):
#  1. install the build to a temporary prefix;
#  2. build the SDK template plugin from the *installed* template with only the
#     installed files (find_package(flowscope) + flowscope_add_plugin);
#  3. build two tiny consumers with pkg-config from the install tree: one of
#     flowscope-core, one host that loads the plugin by name from a directory
#     in FLOWSCOPE_PLUGIN_PATH;
#  4. get the plugin's messages on a capture through the installed
#     flowscope-plugin-check, loading it by name.
# Usage: out_of_tree.sh BUILD_DIR SOURCE_TESTS_DIR CAPTURE
set -euo pipefail
build=$1 tests=$2 capture=$3
tmp=$(mktemp -d /tmp/fs-oot-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

step() { echo "== $*"; }

step "install to $prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
core=$(find "$prefix" -name 'libflowscope-core.so.1' | head -1)
[ -n "$core" ] || { echo "libflowscope-core.so.1 not installed"; exit 1; }
libdir=$(dirname "$core")
template=$prefix/share/flowscope/plugin-sdk/template
[ -f "$template/CMakeLists.txt" ] || { echo "template not installed at $template"; exit 1; }

step "build the installed template out of tree"
cp -r "$template" "$tmp/textlines"   # users copy the template; the install tree stays read-only
cmake -S "$tmp/textlines" -B "$tmp/textlines-build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >/dev/null
cmake --build "$tmp/textlines-build" >/dev/null
plugin=$tmp/textlines-build/plugins-out/textlines.so
[ -f "$plugin" ] || { echo "template build did not produce $plugin"; exit 1; }
mkdir "$tmp/plugins"
cp "$plugin" "$tmp/plugins/"
# Its install rule targets the versioned plugin directory of the SDK's prefix layout.
cmake --install "$tmp/textlines-build" --prefix "$tmp/plugin-prefix" >/dev/null
find "$tmp/plugin-prefix" -path '*/flowscope/1/plugins/textlines.so' | grep -q . \
  || { echo "template install did not land in <libdir>/flowscope/1/plugins"; exit 1; }

step "pkg-config consumers from the install tree"
export PKG_CONFIG_PATH=$libdir/pkgconfig
pc() { pkg-config --define-variable=prefix="$prefix" "$@"; }
cc -std=c11 -Wall -Wextra -Werror "$tests/consumer_core.c" $(pc --cflags --libs flowscope-core) \
  -o "$tmp/consumer_core"
LD_LIBRARY_PATH=$libdir "$tmp/consumer_core"
cc -std=c11 -Wall -Wextra -Werror "$tests/host_load_by_name.c" $(pc --cflags --libs flowscope) \
  -o "$tmp/host_load"
out=$(FLOWSCOPE_PLUGIN_PATH=/nonexistent:$tmp/plugins LD_LIBRARY_PATH=$libdir "$tmp/host_load" textlines)
echo "$out"
grep -qx "loaded textlines 0.1.0 from $tmp/plugins/textlines.so" <<<"$out"
grep -qx "protocol textlines" <<<"$out"

step "messages on a capture, plugin loaded by name"
checker=$prefix/bin/flowscope-plugin-check
[ -x "$checker" ] || { echo "flowscope-plugin-check not installed at $checker"; exit 1; }
set +e
FLOWSCOPE_PLUGIN_PATH=$tmp/plugins LD_LIBRARY_PATH=$libdir "$checker" --dump textlines "$capture" \
  >"$tmp/check.txt"
rc=$?
set -e
cat "$tmp/check.txt"
[ $rc -eq 0 ] || { echo "checker failed ($rc)"; exit 1; }
# The capture's first HTTP exchange (tests/data/README.md): the request line and
# the response status line, each a text line the template reports.
grep -q 'textlines/line text="GET /index.html HTTP/1.1"' "$tmp/check.txt"
grep -q 'textlines/line text="HTTP/1.1 200 OK"' "$tmp/check.txt"
echo "out-of-tree plugin: built, loaded by name, messages received"
