#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's first command: `flowscope sessions` on the capture the project
# recorded itself (real HTTP, TLS and DNS on loopback; tests/data/README.md),
# with the plugins from the build tree. Usage: scripts/demo.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
bin=$build/cli/flowscope
if [ ! -x "$bin" ]; then
  echo "demo: $bin is not built; run 'make build' (or cmake --build $build) first" >&2
  exit 1
fi
cd "$root"
echo "\$ flowscope sessions tests/data/loopback-http-tls-dns.pcap" >&2
exec "$bin" sessions --plugin-dir "$build/plugins-out" --no-system-plugins \
  tests/data/loopback-http-tls-dns.pcap
