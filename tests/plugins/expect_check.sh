#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# expect_check.sh CODE REGEX COMMAND...: runs COMMAND, shows its output, and
# succeeds only when it exits with CODE and some output line matches REGEX
# (extended regular expression).
set -uo pipefail
want=$1 regex=$2
shift 2
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne "$want" ]; then
  echo "expect_check: exit code $rc, want $want"
  exit 1
fi
if ! grep -Eq -- "$regex" <<<"$out"; then
  echo "expect_check: no line matches: $regex"
  exit 1
fi
