#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's main job: sessions from a capture the project recorded itself.
set -euo pipefail
BUILD=${1:-build}
exec "$BUILD/cli/flowscope" sessions --plugin-dir "$BUILD/plugins-out" --no-system-plugins \
  tests/data/loopback-http-tls-dns.pcap
