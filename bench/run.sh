#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Throughput harness: builds a release tree, generates the preset captures
# (cached under bench/cache/), and measures on the same file, in the same run:
#   floor     bench_floor: a bare pcap_next_ex loop (every ratio is against it)
#   flows     flowscope flows --format json
#   flows-w2  flowscope flows --format json --workers 2 (when the CLI has --workers)
#   sessions  flowscope sessions --format json with every plugin of the build
#   tcpdump   tcpdump -r FILE -w /dev/null
# Each run is preceded by a read of the file (the page cache here is dropped
# after about a minute idle), repeated REPS times; the fastest run counts and
# its peak RSS is reported.
#
# usage: bench/run.sh [PRESET...]        default presets: small large manyflows
# env:   BUILD_DIR (default <repo>/build-release)  REPS (3)  SEED (1)  NICE (10)
#        TOOLS ("floor flows flows-w2 sessions tcpdump")  OUT (markdown table file)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-release}
CACHE=$ROOT/bench/cache
REPS=${REPS:-3}
SEED=${SEED:-1}
NICE=${NICE:-10}
TOOLS=${TOOLS:-"floor flows flows-w2 sessions tcpdump"}
PRESETS=("$@")
[ ${#PRESETS[@]} -gt 0 ] || PRESETS=(small large manyflows)
mkdir -p "$CACHE"
OUT=${OUT:-$CACHE/results-$(date -u +%Y%m%dT%H%M%SZ).md}

log() { printf '%s\n' "$*" >&2; }

# ---- build (release) ----
log "== building release tree in $BUILD_DIR"
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DFLOWSCOPE_BUILD_TESTS=OFF \
  -DFLOWSCOPE_BUILD_FUZZ=OFF >/dev/null
cmake --build "$BUILD_DIR" -j2 >/dev/null

GEN=$BUILD_DIR/bench/flowscope-gen
FLOOR=$BUILD_DIR/bench/bench_floor
TIMEIT=$BUILD_DIR/bench/bench_timeit
FS=$BUILD_DIR/cli/flowscope
PLUGDIR=$BUILD_DIR/plugins-out
[ -x "$FS" ] || { log "note: $FS not built; flowscope rows are skipped"; FS=""; }
WORKERS_OK=0
if [ -n "$FS" ] && "$FS" flows --help 2>&1 | grep -q -- '--workers'; then WORKERS_OK=1; fi
GEN_VERSION=$("$GEN" --version | awk '{print $NF}')

# ---- machine ----
cpu=$(awk -F: '/model name/ {sub(/^ /, "", $2); print $2; exit}' /proc/cpuinfo)
cores=$(nproc)
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
cc=$(cc --version 2>/dev/null | head -1)
pcapv=$(tcpdump --version 2>&1 | grep -i libpcap | head -1)
load=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- captures ----
declare -A FILE
for p in "${PRESETS[@]}"; do
  f=$CACHE/$p-s$SEED-v$GEN_VERSION.pcap
  if [ ! -s "$f" ]; then
    log "== generating $p -> $f"
    nice -n "$NICE" "$GEN" --preset "$p" --seed "$SEED" -o "$f.tmp"
    mv "$f.tmp" "$f"
  fi
  FILE[$p]=$f
done

warm() { cat "$1" >/dev/null; }

# run_best NAME CMD...: prints "wall rss exit" of the fastest of REPS runs.
run_best() {
  local best="" rss=0 code=0 line wall r e
  for ((i = 0; i < REPS; i++)); do
    warm "${CMD_FILE}"
    line=$(nice -n "$NICE" "$TIMEIT" -- "$@" 2>&1 >/dev/null | grep '^wall_s=' | tail -1) || true
    wall=$(sed -E 's/.*wall_s=([0-9.]+).*/\1/' <<<"$line")
    r=$(sed -E 's/.*maxrss_kib=([0-9]+).*/\1/' <<<"$line")
    e=$(sed -E 's/.*exit=([0-9]+).*/\1/' <<<"$line")
    [ "$e" = 0 ] || code=$e
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; rss=$r; fi
  done
  echo "$best $rss $code"
}

{
  echo "Machine: $cpu, $cores cores online, $mem RAM, kernel $(uname -r); $cc; $pcapv"
  echo "Load average at start: $load. Best of $REPS runs, each after a read of the file; nice $NICE."
  echo
  echo "| preset | tool | packets | time (s) | Mpkt/s | Gbit/s | peak RSS (MiB) | time / floor | pkt/s vs floor |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
} | tee "$OUT"

for p in "${PRESETS[@]}"; do
  f=${FILE[$p]}
  CMD_FILE=$f
  warm "$f"
  info=$("$FLOOR" "$f")
  packets=$(sed -E 's/.*packets=([0-9]+).*/\1/' <<<"$info")
  wire=$(sed -E 's/.*wire_bytes=([0-9]+).*/\1/' <<<"$info")
  extra=()
  [ "$p" = manyflows ] && extra=(--max-flows 1000000)
  floor_wall=""
  for t in $TOOLS; do
    case $t in
    floor) cmd=("$FLOOR" "$f") ;;
    flows) [ -n "$FS" ] || continue; cmd=("$FS" flows --format json "${extra[@]}" "$f") ;;
    flows-w2) [ "$WORKERS_OK" = 1 ] || continue
      cmd=("$FS" flows --format json --workers 2 "${extra[@]}" "$f") ;;
    sessions) [ -n "$FS" ] || continue
      cmd=("$FS" sessions --format json --plugin-dir "$PLUGDIR" "${extra[@]}" "$f") ;;
    tcpdump) command -v tcpdump >/dev/null || continue; cmd=(tcpdump -r "$f" -w /dev/null) ;;
    *) log "unknown tool $t"; continue ;;
    esac
    log "== $p: $t"
    read -r wall rss code < <(run_best "${cmd[@]}")
    [ "$t" = floor ] && floor_wall=$wall
    note=""
    [ "$code" = 0 ] || note=" (exit $code)"
    awk -v p="$p" -v t="$t$note" -v n="$packets" -v w="$wall" -v b="$wire" -v r="$rss" \
      -v fw="${floor_wall:-0}" 'BEGIN {
        ratio = (fw > 0) ? sprintf("%.2fx", w / fw) : "-";
        share = (fw > 0) ? sprintf("%.0f%%", 100 * fw / w) : "-";
        printf "| %s | %s | %d | %.3f | %.2f | %.2f | %.1f | %s | %s |\n",
          p, t, n, w, n / w / 1e6, b * 8 / w / 1e9, r / 1024, ratio, share }' | tee -a "$OUT"
  done
done
log "== table written to $OUT"
