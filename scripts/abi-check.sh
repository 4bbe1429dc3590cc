#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks flowscope-core's ABI against the checked-in baseline (abi/):
#  - the exported symbol list (nm -D) must equal abi/flowscope-core.symbols;
#  - abidiff against abi/flowscope-core.abi: incompatible changes (exit bit 8)
#    fail, compatible additions (bit 4) are reported.
# Also checks that every shared library and plugin exports only fs_ names.
# With --update, rewrites the baseline from the current build.
set -euo pipefail
BUILD=${1:-build}
UPDATE=${2:-}
LIB="$BUILD/flowscope-core/libflowscope-core.so.1"
HDRS=flowscope-core/include/flowscope
[ -f "$LIB" ] || { echo "abi-check: $LIB not built" >&2; exit 1; }

syms() { nm -D --defined-only "$1" | awk '{print $3}' | sed 's/@.*//' | sort -u; }

if [ "$UPDATE" = "--update" ]; then
  syms "$LIB" > abi/flowscope-core.symbols
  abidw --headers-dir "$HDRS" --no-corpus-path --out-file abi/flowscope-core.abi "$LIB"
  echo "abi-check: baseline updated"
  exit 0
fi

fail=0
if ! diff -u abi/flowscope-core.symbols <(syms "$LIB"); then
  echo "abi-check: exported symbols of libflowscope-core differ from abi/flowscope-core.symbols" >&2
  fail=1
fi

set +e
abidiff --headers-dir2 "$HDRS" abi/flowscope-core.abi "$LIB" > "$BUILD/abidiff.txt"
rc=$?
set -e
if (( rc & 8 )) || (( rc & 1 )) || (( rc & 2 )); then
  cat "$BUILD/abidiff.txt"
  echo "abi-check: incompatible ABI change (abidiff exit $rc); update abi/ deliberately with --update" >&2
  fail=1
elif (( rc & 4 )); then
  echo "abi-check: compatible ABI additions (abidiff exit $rc):"
  cat "$BUILD/abidiff.txt"
else
  echo "abi-check: flowscope-core ABI matches the baseline"
fi

# Only fs_ names leave the libraries; plugins export exactly fs_plugin_entry.
for so in "$BUILD"/flowscope-core/libflowscope-core.so.1 "$BUILD"/flowscope/libflowscope.so.0; do
  [ -f "$so" ] || continue
  bad=$(syms "$so" | grep -v -E '^(fs_|FS_|FLOWSCOPE_)' || true)
  if [ -n "$bad" ]; then echo "abi-check: $so exports non-fs_ symbols: $bad" >&2; fail=1; fi
done
for so in "$BUILD"/plugins-out/*.so; do
  [ -f "$so" ] || continue
  got=$(syms "$so" | grep -v -E '^FLOWSCOPE_' | tr '\n' ' ')
  if [ "$got" != "fs_plugin_entry " ]; then
    echo "abi-check: plugin $so exports: $got (want only fs_plugin_entry)" >&2; fail=1
  fi
done
exit $fail
