/* SPDX-License-Identifier: MIT */
/*
 * Reassembly micro-benchmark: ns per segment for an in-order stream (the
 * zero-copy path), a stream with every other pair of segments swapped (the
 * hold-and-deliver path) and one with 10% retransmissions.
 * Usage: bench_reasm [segments] (default 2,000,000 of 1460 bytes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowscope/reasm.h"

#define MSS 1460u

static uint64_t sink_bytes;

static int on_data(void *ctx, const uint8_t *data, size_t len, fs_time_ns ts) {
  (void)ctx;
  (void)ts;
  sink_bytes += len + data[0]; /* touch the data like a parser would */
  return 0;
}

static int on_gap(void *ctx, uint64_t len, fs_time_ns ts) {
  (void)ctx;
  (void)len;
  (void)ts;
  return 0;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* order: 0 in order, 1 swap pairs, 2 resend every 10th segment. */
static double run(unsigned long n, int order, const uint8_t *payload) {
  fs_stream_sink sink = {on_data, on_gap, NULL};
  fs_reassembler r;
  if (fs_reasm_create(&r, NULL, &sink, NULL) != 0)
    exit(1);
  uint32_t isn = 0xFFF00000u; /* crosses 2^32 during the run */
  r.ops->segment(r.self, isn, FS_TCP_SYN, NULL, 0, 0);
  double t0 = now_s();
  for (unsigned long i = 0; i < n; i++) {
    unsigned long j = i;
    if (order == 1)
      j = i ^ 1u; /* 1,0,3,2,... */
    uint32_t seq = isn + 1 + (uint32_t)(j * MSS);
    r.ops->segment(r.self, seq, FS_TCP_ACK, payload, MSS, (fs_time_ns)i);
    if (order == 2 && i % 10 == 9)
      r.ops->segment(r.self, seq, FS_TCP_ACK, payload, MSS, (fs_time_ns)i);
  }
  r.ops->finish(r.self, (fs_time_ns)n);
  double dt = now_s() - t0;
  fs_reasm_destroy(&r);
  return dt * 1e9 / (double)n;
}

int main(int argc, char **argv) {
  unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000ul;
  static uint8_t payload[MSS];
  memset(payload, 'x', sizeof payload);
  const char *names[] = {"in-order (zero copy)", "pairs swapped", "10% retransmitted"};
  for (int order = 0; order < 3; order++) {
    double ns = run(n, order, payload);
    printf("reasm %-22s %8.1f ns/segment  %6.2f GB/s\n", names[order], ns, MSS / ns);
  }
  return sink_bytes == 0;
}
