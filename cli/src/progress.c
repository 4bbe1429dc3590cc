/* SPDX-License-Identifier: MIT */
/* The progress line: carriage return + one line, redrawn in place. */
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

uint64_t fsi_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * FS_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t fsi_wall_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * FS_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

void fsi_progress_init(fsi_progress *p, int wanted) {
  p->enabled = wanted && isatty(STDERR_FILENO);
  p->drawn = 0;
  p->start_ns = p->last_ns = fsi_mono_ns();
  p->last_pkts = 0;
}

/* "12.3 MB" style sizes. */
static void human(double v, char *out, size_t len) {
  const char *units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (v >= 1000.0 && u < 4) {
    v /= 1000.0;
    u++;
  }
  snprintf(out, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

void fsi_progress_update(fsi_progress *p, fs_source *src, fsi_engine *e, int force) {
  if (!p->enabled)
    return;
  uint64_t now = fsi_mono_ns();
  if (!force && now - p->last_ns < 200000000u)
    return;
  fs_source_stats ss = {.struct_size = sizeof ss};
  fs_source_get_stats(src, &ss);
  fs_tracker_counters tc = {.struct_size = sizeof tc};
  fsi_engine_tracker_counters(e, &tc);
  double dt = (double)(now - p->last_ns) / 1e9;
  double rate = dt > 0 ? (double)(ss.packets - p->last_pkts) / dt : 0;
  p->last_ns = now;
  p->last_pkts = ss.packets;
  char done[32], total[32];
  human((double)ss.bytes, done, sizeof done);
  if (ss.live) {
    fprintf(stderr,
            "\r%llu packets  %s  %.0f pkt/s  flows %llu  kernel drops %llu  iface drops %llu\033[K",
            (unsigned long long)ss.packets, done, rate, (unsigned long long)tc.flows_active,
            (unsigned long long)ss.kernel_dropped, (unsigned long long)ss.iface_dropped);
  } else if (ss.file_size) {
    double share = (double)ss.file_offset / (double)ss.file_size;
    if (share > 1)
      share = 1;
    char bar[21];
    int fill = (int)(share * 20);
    for (int i = 0; i < 20; i++)
      bar[i] = i < fill ? '#' : '.';
    bar[20] = '\0';
    human((double)ss.file_offset, done, sizeof done);
    human((double)ss.file_size, total, sizeof total);
    fprintf(stderr, "\r[%s] %3.0f%%  %s / %s  %.0f pkt/s  flows %llu\033[K", bar, share * 100, done,
            total, rate, (unsigned long long)tc.flows_active);
  } else {
    fprintf(stderr, "\r%llu packets  %s  %.0f pkt/s  flows %llu\033[K",
            (unsigned long long)ss.packets, done, rate, (unsigned long long)tc.flows_active);
  }
  p->drawn = 1;
}

void fsi_progress_done(fsi_progress *p) {
  if (p->enabled && p->drawn)
    fputc('\n', stderr);
  p->drawn = 0;
}
