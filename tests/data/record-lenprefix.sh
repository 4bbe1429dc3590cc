#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Records tests/data/lenprefix.pcap: real lenprefix traffic between two local
# processes on the loopback interface (127.0.0.1, ports 7777 and 40123).
# Needs root (tcpdump on lo) and python3. The traffic is made by
# lenprefix_traffic.py; README.md here lists what it holds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/lenprefix.pcap}
work=$(mktemp -d)
tcpdump_pid=
cleanup() { [ -n "$tcpdump_pid" ] && kill "$tcpdump_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
tcpdump -i lo -U -s 0 -w "$work/cap.pcap" 'host 127.0.0.1 and (tcp port 7777 or tcp port 40123)' \
  2>"$work/tcpdump.err" &
tcpdump_pid=$!
sleep 1
python3 "$here/lenprefix_traffic.py"
sleep 1
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
tcpdump_pid=
cat "$work/tcpdump.err" >&2
mv "$work/cap.pcap" "$out"
echo "recorded $out ($(stat -c %s "$out") bytes)"
