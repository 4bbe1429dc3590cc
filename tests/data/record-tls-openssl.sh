#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Records tls-openssl-loopback.pcap: four `openssl s_client` connections to
# `openssl s_server -rev` (echoes lines reversed) on 127.0.0.1:8443, captured with tcpdump on lo (needs
# root), then writes tls-openssl-loopback.expected.tsv with
# tests/tls/tls_reference.py, an independent Python reading of the capture's
# bytes written from the JA3 and JA4 definitions (not flowscope's output).
#   1. TLS 1.3 defaults, SNI tls13.flowscope.test, ALPN h2,http/1.1
#   2. TLS 1.2, SNI tls12.flowscope.test, ECDHE-ECDSA-AES128-GCM-SHA256
#   3. TLS 1.3 without SNI (-noservername): JA4 'i'
#   4. TLS 1.3 HelloRetryRequest: the server only takes secp384r1, the
#      client's first key share is X25519, so it sends a second ClientHello
# Usage: tests/data/record-tls-openssl.sh   (from anywhere; overwrites both files)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/tls-openssl-loopback.pcap"
tmp="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=8443

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj /CN=tls.flowscope.test -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null

tcpdump -i lo -U -s 0 -w "$out" "tcp port $port" 2>/dev/null &
sleep 1

connect() { # server-options -- client-options
  local sopts=() copts=()
  while [ "$1" != "--" ]; do sopts+=("$1"); shift; done
  shift
  copts=("$@")
  openssl s_server -accept "127.0.0.1:$port" -cert "$tmp/cert.pem" -key "$tmp/key.pem" \
    -naccept 1 -rev "${sopts[@]}" >/dev/null 2>&1 &
  local spid=$!
  sleep 0.5
  echo ping | timeout 10 openssl s_client -connect "127.0.0.1:$port" "${copts[@]}" >/dev/null 2>&1 || true
  wait "$spid" 2>/dev/null || true
  sleep 0.3
}

connect -- -tls1_3 -servername tls13.flowscope.test -alpn h2,http/1.1
connect -- -tls1_2 -servername tls12.flowscope.test -cipher ECDHE-ECDSA-AES128-GCM-SHA256
connect -- -tls1_3 -noservername
connect -groups secp384r1 -- -tls1_3 -servername hrr.flowscope.test -groups X25519:secp384r1

sleep 1
kill %1 2>/dev/null || true
wait 2>/dev/null || true
python3 "$here/../tls/tls_reference.py" expected "$out" > "$here/tls-openssl-loopback.expected.tsv"
echo "wrote $out and tls-openssl-loopback.expected.tsv"
