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
# after about a minute idle), repeated REPS times; the fastest wall time, the
# smallest CPU time and the largest peak RSS are reported.
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

# run_best CMD...: prints "wall cpu rss exit": the fastest wall time and the
# smallest CPU time (user + sys, all threads) of REPS runs, the largest peak RSS.
run_best() {
  local best="" bcpu="" rss=0 code=0 line wall cpu r e
  for ((i = 0; i < REPS; i++)); do
    warm "${CMD_FILE}"
    line=$(nice -n "$NICE" "$TIMEIT" -- "$@" 2>&1 >/dev/null | grep '^wall_s=' | tail -1) || true
    wall=$(sed -E 's/.*wall_s=([0-9.]+).*/\1/' <<<"$line")
    cpu=$(awk -v l="$line" 'BEGIN { n = split(l, f, /[ =]/); for (i = 1; i < n; i++) {
      if (f[i] == "user_s") u = f[i + 1]; if (f[i] == "sys_s") s = f[i + 1] } print u + s }')
    r=$(sed -E 's/.*maxrss_kib=([0-9]+).*/\1/' <<<"$line")
    e=$(sed -E 's/.*exit=([0-9]+).*/\1/' <<<"$line")
    [ "$e" = 0 ] || code=$e
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; fi
    if [ -z "$bcpu" ] || awk "BEGIN{exit !($cpu < $bcpu)}"; then bcpu=$cpu; fi
    [ "$r" -gt "$rss" ] && rss=$r
  done
  echo "$best $bcpu $rss $code"
}

{
  echo "Machine: $cpu, $cores cores online, $mem RAM, kernel $(uname -r); $cc; $pcapv"
  echo "Load average at start: $load. Best of $REPS runs, each after a read of the file; nice $NICE."
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
  extra=()
  [ "$p" = manyflows ] && extra=(--max-flows 1000000)
  floor_wall=""
  floor_cpu=""
  for t in $TOOLS; do
    case $t in
    floor) cmd=("$FLOOR" "$f") ;;
    flows) [ -n "$FS" ] || continue; cmd=("$FS" flows --format json "${extra[@]}" "$f") ;;
    flows-w2) [ "$WORKERS_OK" = 1 ] || continue
      cmd=("$FS" flows --format json --workers 2 "${extra[@]}" "$f") ;;
    sessions) [ -n "$FS" ] || continue
      cmd=("$FS" sessions --format json --plugin-dir "$PLUGDIR" "${extra[@]}" "$f") ;;
    sessions-w2) [ "$WORKERS_OK" = 1 ] || continue
      cmd=("$FS" sessions --format json --workers 2 --plugin-dir "$PLUGDIR" "${extra[@]}" "$f") ;;
    flows-libpcap) [ -n "$FS" ] || continue
      cmd=("$FS" flows --format json --libpcap-read "${extra[@]}" "$f") ;;
    sessions-libpcap) [ -n "$FS" ] || continue
      cmd=("$FS" sessions --format json --libpcap-read --plugin-dir "$PLUGDIR" "${extra[@]}" "$f") ;;
    tcpdump) command -v tcpdump >/dev/null || continue; cmd=(tcpdump -r "$f" -w /dev/null) ;;
    *) log "unknown tool $t"; continue ;;
    esac
    log "== $p: $t"
    read -r wall cpu rss code < <(run_best "${cmd[@]}")
    if [ "$t" = floor ]; then floor_wall=$wall; floor_cpu=$cpu; fi
    note=""
    [ "$code" = 0 ] || note=" (exit $code)"
    awk -v p="$p" -v t="$t$note" -v n="$packets" -v w="$wall" -v c="$cpu" -v b="$wire" -v r="$rss" \
      -v fw="${floor_wall:-0}" -v fc="${floor_cpu:-0}" 'BEGIN {
        rw = (fw > 0) ? sprintf("%.2fx", w / fw) : "-";
        rc = (fc > 0) ? sprintf("%.2fx", c / fc) : "-";
        printf "| %s | %s | %d | %.3f | %.3f | %.2f | %.2f | %.2f | %.1f | %s | %s |\n",
          p, t, n, w, c, n / w / 1e6, b * 8 / w / 1e9, n / c / 1e6, r / 1024, rw, rc }' | tee -a "$OUT"
  done
done
log "== table written to $OUT"
