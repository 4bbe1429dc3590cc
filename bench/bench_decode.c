/* SPDX-License-Identifier: MIT */
/* Decode + five-tuple extraction throughput as a ratio to a plain
 * pcap_next_ex loop over the same file, in the same run (DESIGN.md section
 * 7). The file is read once before timing so both loops start from the
 * page cache; each loop runs REPS times and the fastest run counts. A third
 * figure times the extractor alone over the file's first packets preloaded
 * into 1 MiB of memory (cache-resident) and replayed until one million
 * extractions: ns per packet with no I/O and no cache misses on the data. Times are process CPU
 * time (user + system), so the ratio holds on a machine shared with other jobs.
 *
 * usage: bench_decode FILE.pcap [REPS]    (default REPS 5) */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowscope/flowscope.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void warm(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return;
  static char buf[1 << 16];
  while (fread(buf, 1, sizeof buf, f) == sizeof buf)
    ;
  fclose(f);
}

static pcap_t *open_or_die(const char *path) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
  if (!p) {
    fprintf(stderr, "bench_decode: %s\n", err);
    exit(1);
  }
  return p;
}

/* The floor: read every packet and touch its header, nothing else. */
static double run_floor(const char *path, unsigned long long *packets) {
  double t0 = now_s();
  pcap_t *p = open_or_die(path);
  struct pcap_pkthdr *h;
  const u_char *d;
  unsigned long long n = 0, bytes = 0;
  while (pcap_next_ex(p, &h, &d) == 1) {
    n++;
    bytes += h->caplen;
  }
  pcap_close(p);
  double t = now_s() - t0;
  *packets = n;
  if (bytes == 0 && n)
    fprintf(stderr, "bench_decode: empty packets\n");
  return t;
}

/* The same loop plus decode and bidirectional five-tuple extraction. */
static double run_decode(const char *path, unsigned long long *extracted, uint64_t *hash) {
  double t0 = now_s();
  pcap_t *p = open_or_die(path);
  fs_extractor ex;
  char err[FS_ERRBUF_SIZE];
  if (fs_extractor_create(&ex, NULL, err) != 0) {
    fprintf(stderr, "bench_decode: %s\n", err);
    exit(1);
  }
  uint32_t link = (uint32_t)pcap_datalink(p);
  struct pcap_pkthdr *h;
  const u_char *d;
  unsigned long long n = 0;
  uint64_t acc = 0;
  fs_extract_result r;
  r.struct_size = sizeof r;
  while (pcap_next_ex(p, &h, &d) == 1) {
    fs_packet_view v = {.struct_size = sizeof v,
                        .link_type = link,
                        .data = d,
                        .caplen = h->caplen,
                        .wirelen = h->len,
                        .ts = (uint64_t)h->ts.tv_sec * FS_NS_PER_SEC + (uint64_t)h->ts.tv_usec};
    if (ex.ops->extract(ex.self, &v, &r) == 0) {
      n++;
      acc += r.key.port_a ^ r.key.port_b ^ r.orientation; /* keep the work observable */
    }
  }
  fs_extractor_destroy(&ex);
  pcap_close(p);
  double t = now_s() - t0;
  *extracted = n;
  *hash = acc;
  return t;
}

/* Extraction alone over preloaded packets. */
static double run_extract_only(const char *path, unsigned long long *packets) {
  pcap_t *p = open_or_die(path);
  uint32_t link = (uint32_t)pcap_datalink(p);
  size_t cap = 1 << 20, used = 0, n = 0, ncap = 1 << 16;
  uint8_t *buf = malloc(cap);
  uint32_t *len = malloc(ncap * sizeof *len);
  struct pcap_pkthdr *h;
  const u_char *d;
  while (buf && len && used < (1u << 20) && pcap_next_ex(p, &h, &d) == 1) {
    if (used + h->caplen > cap) {
      cap = cap * 2 + h->caplen;
      buf = realloc(buf, cap);
    }
    if (n == ncap) {
      ncap *= 2;
      len = realloc(len, ncap * sizeof *len);
    }
    if (!buf || !len)
      break;
    memcpy(buf + used, d, h->caplen);
    used += h->caplen;
    len[n++] = h->caplen;
  }
  pcap_close(p);
  if (!buf || !len) {
    fprintf(stderr, "bench_decode: out of memory\n");
    exit(1);
  }
  fs_extractor ex;
  char err[FS_ERRBUF_SIZE];
  if (fs_extractor_create(&ex, NULL, err) != 0)
    exit(1);
  fs_extract_result r;
  r.struct_size = sizeof r;
  volatile uint64_t acc = 0;
  size_t rounds = n ? (1000000 + n - 1) / n : 0;
  double t0 = now_s();
  for (size_t k = 0; k < rounds; k++) {
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
      fs_packet_view v = {.struct_size = sizeof v,
                          .link_type = link,
                          .data = buf + off,
                          .caplen = len[i],
                          .wirelen = len[i],
                          .ts = k * n + i};
      if (ex.ops->extract(ex.self, &v, &r) == 0)
        acc += r.key.port_a;
      off += len[i];
    }
  }
  double t = now_s() - t0;
  n *= rounds;
  fs_extractor_destroy(&ex);
  free(buf);
  free(len);
  *packets = n;
  return t;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_decode FILE.pcap [REPS]\n");
    return 2;
  }
  const char *path = argv[1];
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  if (reps < 1)
    reps = 1;
  warm(path);
  double best_floor = 1e30, best_dec = 1e30, best_only = 1e30;
  unsigned long long packets = 0, extracted = 0, only_n = 0;
  uint64_t hash = 0;
  for (int i = 0; i < reps; i++) {
    /* Alternate so drift in machine load hits both loops alike. */
    double f = run_floor(path, &packets);
    double d = run_decode(path, &extracted, &hash);
    if (f < best_floor)
      best_floor = f;
    if (d < best_dec)
      best_dec = d;
  }
  for (int i = 0; i < reps; i++) {
    double o = run_extract_only(path, &only_n);
    if (o < best_only)
      best_only = o;
  }
  printf("file=%s packets=%llu extracted=%llu reps=%d (check %llu)\n", path, packets, extracted,
         reps, (unsigned long long)hash);
  printf("floor   pcap_next_ex      %.4f s  %.2f Mpkt/s\n", best_floor, packets / best_floor / 1e6);
  printf("decode  +decode+5-tuple   %.4f s  %.2f Mpkt/s\n", best_dec, packets / best_dec / 1e6);
  printf("ratio   time decode/floor %.3f  (overhead %+.1f%% over the read loop)\n",
         best_dec / best_floor, 100.0 * (best_dec / best_floor - 1));
  printf("extract alone             %.1f ns/packet over %llu cache-resident extractions\n",
         1e9 * best_only / (double)(only_n ? only_n : 1), only_n);
  return 0;
}
