#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Records tests/data/loopback-http-tls-dns.pcap: real HTTP, TLS and DNS traffic
# between local processes on the loopback interface (127.0.0.1 and ::1 only).
# Needs root (tcpdump on lo, ports 53/80/443), python3, curl and openssl.
# The traffic itself is made by loopback_traffic.py; see README.md here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/loopback-http-tls-dns.pcap}
work=$(mktemp -d)
tcpdump_pid=
cleanup() { [ -n "$tcpdump_pid" ] && kill "$tcpdump_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
# Only the demo's ports, so unrelated loopback traffic on the machine stays out.
filter='(host 127.0.0.1 or host ::1) and (port 53 or port 80 or port 443)'
tcpdump -i lo -U -s 0 -w "$work/cap.pcap" "$filter" 2>"$work/tcpdump.err" &
tcpdump_pid=$!
sleep 1
python3 "$here/loopback_traffic.py" "$work"
sleep 1
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
tcpdump_pid=
cat "$work/tcpdump.err" >&2
mv "$work/cap.pcap" "$out"
echo "recorded $out ($(stat -c %s "$out") bytes)"
