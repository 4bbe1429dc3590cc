#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages flowscope needs to build and test. Idempotent;
# uses sudo when not root; asks apt only when something is missing.
set -euo pipefail
PKGS=(build-essential cmake pkg-config clang clang-format llvm
      libpcap-dev libxxhash-dev libcmocka-dev node-llhttp libmd-dev
      abigail-tools tcpdump valgrind python3 jq)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
