#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Throughput harness: builds a release tree, generates the preset captures
# (cached under bench/cache/), and measures on the same file, in the same run:
#   floor     bench_floor: a bare pcap_next_ex loop (every ratio is against it)
#   flows     flowscope flows --format json
#   flows-w2  flowscope flows --format json --workers 2 (when the CLI has --workers)
#   sessions-w2  the same for sessions
#   sessions  flowscope sessions --format json with every plugin of the build
#   flows-libpcap, sessions-libpcap  the same with --libpcap-read: every record
#             through pcap_next_ex instead of the source's block reader
#   tcpdump   tcpdump -r FILE -w /dev/null
# Each run is preceded by a read of the file (the page cache here is dropped
# after about a minute idle). Each of the REPS repetitions runs every tool
# once, in turn; the fastest wall time, the smallest CPU time and the largest
# peak RSS of each tool are reported.
#
# usage: bench/run.sh [PRESET...]        default presets: small large manyflows
# env:   BUILD_DIR (default <repo>/build-release)  REPS (3)  SEED (1)  NICE (10)
#        TOOLS ("floor flows flows-libpcap flows-w2 sessions sessions-libpcap
#        sessions-w2 tcpdump")  OUT (markdown table file)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-release}
CACHE=$ROOT/bench/cache
REPS=${REPS:-3}
SEED=${SEED:-1}
NICE=${NICE:-10}
TOOLS=${TOOLS:-"floor flows flows-libpcap flows-w2 sessions sessions-libpcap sessions-w2 tcpdump"}
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

# run_once CMD...: prints "wall cpu rss exit" of one run after a read of
# the file: wall time, CPU time (user + sys, all threads), peak RSS.
run_once() {
  local line wall cpu r e
  warm "${CMD_FILE}"
  line=$(nice -n "$NICE" "$TIMEIT" -- "$@" 2>&1 >/dev/null | grep '^wall_s=' | tail -1) || true
  wall=$(sed -E 's/.*wall_s=([0-9.]+).*/\1/' <<<"$line")
  cpu=$(awk -v l="$line" 'BEGIN { n = split(l, f, /[ =]/); for (i = 1; i < n; i++) {
    if (f[i] == "user_s") u = f[i + 1]; if (f[i] == "sys_s") s = f[i + 1] } print u + s }')
  r=$(sed -E 's/.*maxrss_kib=([0-9]+).*/\1/' <<<"$line")
  e=$(sed -E 's/.*exit=([0-9]+).*/\1/' <<<"$line")
  echo "$wall $cpu $r $e"
}

# cmd_for TOOL FILE PRESET: sets the array cmd to the command of TOOL, or
# returns 1 when this build has no such tool.
cmd_for() {
  local t=$1 f=$2 p=$3
  local extra=()
  [ "$p" = manyflows ] && extra=(--max-flows 1000000)
  case $t in
  floor) cmd=("$FLOOR" "$f") ;;
  flows) [ -n "$FS" ] || return 1; cmd=("$FS" flows --format json "${extra[@]}" "$f") ;;
  flows-w2) [ "$WORKERS_OK" = 1 ] || return 1
    cmd=("$FS" flows --format json --workers 2 "${extra[@]}" "$f") ;;
  sessions) [ -n "$FS" ] || return 1
    cmd=("$FS" sessions --format json --plugin-dir "$PLUGDIR" "${extra[@]}" "$f") ;;
  sessions-w2) [ "$WORKERS_OK" = 1 ] || return 1
    cmd=("$FS" sessions --format json --workers 2 --plugin-dir "$PLUGDIR" "${extra[@]}" "$f") ;;
  flows-libpcap) [ -n "$FS" ] || return 1
    cmd=("$FS" flows --format json --libpcap-read "${extra[@]}" "$f") ;;
  sessions-libpcap) [ -n "$FS" ] || return 1
    cmd=("$FS" sessions --format json --libpcap-read --plugin-dir "$PLUGDIR" "${extra[@]}" "$f") ;;
  tcpdump) command -v tcpdump >/dev/null || return 1; cmd=(tcpdump -r "$f" -w /dev/null) ;;
  *) log "unknown tool $t"; return 1 ;;
  esac
}

{
  echo "Machine: $cpu, $cores cores online, $mem RAM, kernel $(uname -r); $cc; $pcapv"
  echo "Load average at start: $load. Best of $REPS runs, each after a read of the file, the tools"
  echo "taking turns (each repetition runs every tool once); nice $NICE."
  echo "CPU = user + sys of all the process's threads; rates and ratios use wall time for"
  echo "wall columns and CPU time for CPU columns (on a shared machine CPU time is the steadier)."
  echo
  echo "| preset | tool | packets | wall (s) | CPU (s) | Mpkt/s (wall) | Gbit/s (wall) | Mpkt/s (CPU) | peak RSS (MiB) | wall / floor | CPU / floor |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} | tee "$OUT"

for p in "${PRESETS[@]}"; do
  f=${FILE[$p]}
  CMD_FILE=$f
  warm "$f"
  info=$("$FLOOR" "$f")
  packets=$(sed -E 's/.*packets=([0-9]+).*/\1/' <<<"$info")
  wire=$(sed -E 's/.*wire_bytes=([0-9]+).*/\1/' <<<"$info")
  # Round-robin: each repetition runs every tool once, so a slow phase of
  # the machine hits all tools alike instead of the few whose runs it
  # covered. Reported: the fastest wall time and the smallest CPU time of
  # each tool's runs, and its largest peak RSS.
  declare -A best=() bcpu=() rss=() code=()
  for ((i = 0; i < REPS; i++)); do
    for t in $TOOLS; do
      cmd_for "$t" "$f" "$p" || continue
      log "== $p: $t (run $((i + 1)) of $REPS)"
      read -r wall cpu r e < <(run_once "${cmd[@]}")
      if [ -z "${best[$t]:-}" ] || awk "BEGIN{exit !($wall < ${best[$t]})}"; then best[$t]=$wall; fi
      if [ -z "${bcpu[$t]:-}" ] || awk "BEGIN{exit !($cpu < ${bcpu[$t]})}"; then bcpu[$t]=$cpu; fi
      [ "$r" -gt "${rss[$t]:-0}" ] && rss[$t]=$r
      [ "$e" = 0 ] || code[$t]=$e
    done
  done
  floor_wall=${best[floor]:-0}
  floor_cpu=${bcpu[floor]:-0}
  for t in $TOOLS; do
    [ -n "${best[$t]:-}" ] || continue
    note=""
    [ -z "${code[$t]:-}" ] || note=" (exit ${code[$t]})"
    awk -v p="$p" -v t="$t$note" -v n="$packets" -v w="${best[$t]}" -v c="${bcpu[$t]}" -v b="$wire" \
      -v r="${rss[$t]}" -v fw="$floor_wall" -v fc="$floor_cpu" 'BEGIN {
        rw = (fw > 0) ? sprintf("%.2fx", w / fw) : "-";
        rc = (fc > 0) ? sprintf("%.2fx", c / fc) : "-";
        printf "| %s | %s | %d | %.3f | %.3f | %.2f | %.2f | %.2f | %.1f | %s | %s |\n",
          p, t, n, w, c, n / w / 1e6, b * 8 / w / 1e9, n / c / 1e6, r / 1024, rw, rc }' | tee -a "$OUT"
  done
  unset best bcpu rss code
done
log "== table written to $OUT"
