/* SPDX-License-Identifier: MIT */
/* Processing throughput of the workers against one driver, without any
 * output formatting: the same file through
 *   direct    one driver on this thread (fs_source + fs_driver_feed)
 *   dispatch  this thread reads and shards into N workers' rings
 *   selfshard N workers each read the file and keep their own shard
 * usage: bench_workers FILE MODE N [flows|sessions PLUGIN_DIR]
 * Prints packets, wall and CPU seconds (all threads) and packets/s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "flowscope/flowscope.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double thread_cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long long g_events;
static void count_event(void *self, const fs_event *ev) {
  (void)self;
  (void)ev;
  g_events++;
}
static const fs_event_sink_ops k_count_ops = {sizeof(fs_event_sink_ops), 0, count_event, NULL,
                                              NULL};

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: bench_workers FILE direct|dispatch|selfshard N [flows|sessions DIR]\n");
    return 2;
  }
  const char *path = argv[1], *mode = argv[2];
  uint32_t n = (uint32_t)atoi(argv[3]);
  int sessions = argc >= 6 && strcmp(argv[4], "sessions") == 0;
  char err[FS_ERRBUF_SIZE] = "";
  fs_registry *reg = NULL;
  fs_driver_config dc;
  fs_driver_config_default(&dc);
  dc.sink.ops = &k_count_ops;
  if (sessions) {
    if (fs_registry_create(&reg, 0) != 0 || fs_registry_add_dir(reg, argv[5]) != 0 ||
        fs_registry_load_all(reg) < 0) {
      fprintf(stderr, "bench_workers: cannot load plugins from %s\n", argv[5]);
      return 1;
    }
    dc.mode = FS_DRIVE_SESSIONS;
    dc.registry = reg;
  }
  unsigned long long packets = 0;
  double t0 = now_s(), c0 = cpu_s(), r0 = thread_cpu_s();
  double worker_max = 0; /* busiest worker thread's CPU time */
  if (strcmp(mode, "direct") == 0) {
    fs_driver *d = NULL;
    fs_source *src = NULL;
    if (fs_driver_create(&d, &dc, err) != 0 || fs_source_open_file(&src, path, NULL, err) != 0) {
      fprintf(stderr, "bench_workers: %s\n", err);
      return 1;
    }
    fs_packet_view p;
    while (fs_source_next(src, &p) == 1) {
      fs_driver_feed(d, &p);
      packets++;
    }
    fs_driver_finish(d);
    fs_driver_destroy(d);
    fs_source_close(src);
  } else {
    fs_workers_config wc;
    fs_workers_config_default(&wc);
    wc.n_workers = n;
    wc.driver = dc;
    fs_workers *w = NULL;
    if (fs_workers_create(&w, &wc, err) != 0) {
      fprintf(stderr, "bench_workers: %s\n", err);
      return 1;
    }
    t0 = now_s(); /* thread and ring set-up is not throughput */
    c0 = cpu_s();
    r0 = thread_cpu_s();
    if (strcmp(mode, "dispatch") == 0) {
      fs_source *src = NULL;
      if (fs_source_open_file(&src, path, NULL, err) != 0) {
        fprintf(stderr, "bench_workers: %s\n", err);
        return 1;
      }
      fs_packet_view p;
      while (fs_source_next(src, &p) == 1) {
        fs_workers_feed(w, &p);
        packets++;
      }
      fs_source_close(src);
    } else if (fs_workers_start_file(w, path, NULL, err) != 0) {
      fprintf(stderr, "bench_workers: %s\n", err);
      return 1;
    }
    fs_workers_finish(w);
    for (uint32_t i = 0; i < n; i++) {
      fs_worker_stats st;
      fs_workers_stats(w, i, &st);
      if (strcmp(mode, "dispatch") != 0)
        packets += st.packets;
      if ((double)st.cpu_ns / 1e9 > worker_max)
        worker_max = (double)st.cpu_ns / 1e9;
    }
    fs_workers_destroy(w);
  }
  double wall = now_s() - t0, cpu = cpu_s() - c0, reader = thread_cpu_s() - r0;
  /* On dedicated cores the run takes as long as its busiest thread: the
   * caller's (reading, sharding, copying, formatting events) or a worker. */
  double critical = reader > worker_max ? reader : worker_max;
  printf("mode=%s workers=%u %s packets=%llu events=%llu wall_s=%.3f cpu_s=%.3f "
         "caller_cpu_s=%.3f busiest_worker_cpu_s=%.3f critical_path_s=%.3f mpps_wall=%.3f "
         "mpps_critical=%.3f\n",
         mode, strcmp(mode, "direct") == 0 ? 1u : n, sessions ? "sessions" : "flows", packets,
         g_events, wall, cpu, reader, worker_max, critical, (double)packets / wall / 1e6,
         (double)packets / critical / 1e6);
  fs_registry_destroy(reg);
  return 0;
}
