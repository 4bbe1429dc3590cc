/* SPDX-License-Identifier: MIT */
/*
 * Tracker throughput: fs_tracker_track() alone on pre-extracted packets
 * held in memory (no capture, no decode). The packets are generated in
 * chunks of 1,024 outside the timed region, then tracked inside it.
 *   one      one TCP connection, data both ways
 *   rr10k    10,000 TCP connections, packets round-robin
 *   short1m  1,000,000 short TCP connections (SYN, SYN-ACK, ACK, data,
 *            FIN, FIN, ACK: 7 packets each), table sized to hold them all
 * Prints packets/s per case (best of REPS runs) from the thread's CPU time
 * (the machine is shared: wall time would measure the neighbours), and the
 * bytes per flow.
 * usage: bench_track [reps [case [packets [mode]]]] (default 3 reps, all
 *        cases, their full packet counts, every mode). With `packets`, a case
 *        runs that many packets (fewer flows when the case has more); `mode`
 *        0 per packet, 1 per packet with stats, 2 batched runs only that one
 *        (for callgrind: bench_track 1 1 300000 2).
 *        bench_track --file CAPTURE [reps]: the whole file path on a capture,
 *        as a ratio to a bare pcap_next_ex loop over the same file, same run:
 *        read (the source's block reader, and again through libpcap's
 *        pcap_next_ex) + five-tuple extract + track (stats per packet off). Run it niced, release
 * build: nice -n 10 build-release/bench/bench_track
 */
#include <pcap/pcap.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowscope/flowscope.h"

#define CHUNK 1024u /* ~200 KiB of results: cache-resident, as an extractor's output is */

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); /* CPU time: the machine is shared */
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static fs_extract_result *ex;
static fs_packet_view *pv;

/* A TCP packet of connection `id` (client 10.x.y.z:port -> 10.0.0.1:80). */
static void mk(fs_extract_result *r, uint32_t id, int to_server, uint8_t flags, uint32_t seq,
               uint32_t ack, uint32_t len) {
  memset(r, 0, sizeof(*r));
  r->struct_size = sizeof(*r);
  r->key.kind = FS_KEY_FIVE_TUPLE_V4;
  r->key.proto = FS_L4_TCP;
  /* Server 10.0.0.1 is the lower address: A; the client is B. */
  r->key.addr_a[0] = 10, r->key.addr_a[3] = 1;
  r->key.port_a = 80;
  r->key.addr_b[0] = 11;
  r->key.addr_b[1] = (uint8_t)(id >> 16);
  r->key.addr_b[2] = (uint8_t)(id >> 8);
  r->key.addr_b[3] = (uint8_t)id;
  r->key.port_b = (uint16_t)(1024 + (id % 50000));
  r->orientation = to_server ? FS_ORIENT_B_TO_A : FS_ORIENT_A_TO_B;
  r->l4proto = FS_L4_TCP;
  r->has_tcp = 1;
  r->tcp.seq = seq;
  r->tcp.ack = ack;
  r->tcp.flags = flags;
  r->tcp.window = 512;
  r->tcp.header_len = 20;
  r->tcp.payload_len = r->tcp.payload_wire_len = len;
  r->payload_len = len;
  r->ip_len = 40 + len;
  r->ip_version = 4;
}

/* Packet k of a connection's life: handshake, then data alternating. */
static void conn_packet(fs_extract_result *r, uint32_t id, uint64_t k) {
  const uint32_t c = 1000, s = 9000;
  if (k == 0)
    mk(r, id, 1, FS_TCP_SYN, c, 0, 0);
  else if (k == 1)
    mk(r, id, 0, FS_TCP_SYN | FS_TCP_ACK, s, c + 1, 0);
  else if (k == 2)
    mk(r, id, 1, FS_TCP_ACK, c + 1, s + 1, 0);
  else {
    uint64_t j = k - 3; /* alternate 100-byte segments */
    uint32_t cs = c + 1 + (uint32_t)((j + 1) / 2) * 100, ss = s + 1 + (uint32_t)(j / 2) * 100;
    if (j % 2 == 0)
      mk(r, id, 1, FS_TCP_ACK | FS_TCP_PSH, cs, ss, 100);
    else
      mk(r, id, 0, FS_TCP_ACK | FS_TCP_PSH, ss, cs, 100);
  }
}

/* The 7 packets of a short connection. */
static void short_packet(fs_extract_result *r, uint32_t id, uint32_t k) {
  const uint32_t c = 1000, s = 9000;
  switch (k) {
  case 0: mk(r, id, 1, FS_TCP_SYN, c, 0, 0); break;
  case 1: mk(r, id, 0, FS_TCP_SYN | FS_TCP_ACK, s, c + 1, 0); break;
  case 2: mk(r, id, 1, FS_TCP_ACK, c + 1, s + 1, 0); break;
  case 3: mk(r, id, 1, FS_TCP_ACK | FS_TCP_PSH, c + 1, s + 1, 100); break;
  case 4: mk(r, id, 1, FS_TCP_FIN | FS_TCP_ACK, c + 101, s + 1, 0); break;
  case 5: mk(r, id, 0, FS_TCP_FIN | FS_TCP_ACK, s + 1, c + 102, 0); break;
  default: mk(r, id, 1, FS_TCP_ACK, c + 102, s + 2, 0); break;
  }
}

typedef struct scen {
  const char *name;
  uint32_t flows;
  uint64_t packets;
  int kind; /* 0 one, 1 round-robin, 2 short */
} scen;

static void fill(const scen *sc, uint64_t base, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    uint64_t p = base + i;
    if (sc->kind == 0)
      conn_packet(&ex[i], 0, p);
    else if (sc->kind == 1)
      conn_packet(&ex[i], (uint32_t)(p % sc->flows), p / sc->flows);
    else
      short_packet(&ex[i], (uint32_t)(p / 7), (uint32_t)(p % 7));
    pv[i].struct_size = sizeof(pv[i]);
    pv[i].ts = 1000000000ull * 1000 + p * 100; /* 10 Mpps of packet time */
  }
}

/* Resident set size in bytes (/proc/self/statm). */
static double rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long size = 0, res = 0;
  if (f) {
    if (fscanf(f, "%lu %lu", &size, &res) != 2)
      res = 0;
    fclose(f);
  }
  return (double)res * 4096.0;
}

static double rss_per_flow; /* measured on the last 1,000,000-flow run */

static double run(const scen *sc, uint32_t result_stats, int prefetch) {
  double rss0 = rss_bytes();
  fs_tracker_config cfg;
  fs_tracker_config_default(&cfg);
  cfg.max_flows = sc->flows < 1024 ? 1024 : sc->flows + sc->flows / 8;
  cfg.result_stats = result_stats;
  fs_tracker *t = NULL;
  char err[FS_ERRBUF_SIZE];
  if (fs_tracker_create(&t, &cfg, err) != 0) {
    fprintf(stderr, "%s\n", err);
    exit(1);
  }
  double spent = 0;
  fs_track_result res;
  res.struct_size = sizeof(res);
  for (uint64_t base = 0; base < sc->packets; base += CHUNK) {
    uint32_t n = (uint32_t)((sc->packets - base) < CHUNK ? sc->packets - base : CHUNK);
    fill(sc, base, n);
    double t0 = now_s();
    if (prefetch) {
      fs_tracker_track_batch(t, pv, ex, n);
    } else {
      for (uint32_t i = 0; i < n; i++)
        fs_tracker_track(t, &pv[i], &ex[i], &res);
    }
    spent += now_s() - t0;
  }
  if (sc->kind == 2)
    rss_per_flow = (rss_bytes() - rss0) / (double)sc->flows;
  fs_tracker_counters c = {.struct_size = sizeof(c)};
  fs_tracker_counters_get(t, &c);
  if (c.packets != sc->packets || c.flows_created != sc->flows) {
    fprintf(stderr, "%s: counted %llu packets, %llu flows\n", sc->name,
            (unsigned long long)c.packets, (unsigned long long)c.flows_created);
    exit(1);
  }
  fs_tracker_flush(t);
  fs_tracker_destroy(t);
  return (double)sc->packets / spent;
}

/* CPU seconds of a bare pcap_next_ex loop over the file. */
static double floor_loop(const char *path, uint64_t *n) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
  if (!p) {
    fprintf(stderr, "%s\n", err);
    exit(1);
  }
  struct pcap_pkthdr *h;
  const u_char *d;
  uint64_t bytes = 0;
  *n = 0;
  double t0 = now_s();
  while (pcap_next_ex(p, &h, &d) == 1) {
    bytes += d[0] + h->caplen;
    (*n)++;
  }
  double t = now_s() - t0;
  pcap_close(p);
  if (bytes == 1)
    puts("");
  return t;
}

/* CPU seconds of read + extract + track over the file; stage 0 stops after
 * fs_source_next, 1 after extraction, 2 tracks too; stage 3 is stage 2
 * with every record read through libpcap (no block reader). */
static double full_path(const char *path, uint64_t *n, uint64_t *flows, int stage) {
  fs_source *src = NULL;
  char err[FS_ERRBUF_SIZE];
  fs_source_config sc;
  fs_source_config_default(&sc);
  sc.libpcap_read = stage == 3;
  if (fs_source_open_file(&src, path, &sc, err) != 0) {
    fprintf(stderr, "%s\n", err);
    exit(1);
  }
  fs_extract_config xc;
  fs_extract_config_default(&xc);
  fs_extractor x;
  fs_tracker_config tc;
  fs_tracker_config_default(&tc);
  tc.max_flows = 1u << 20;
  tc.result_stats = 0;
  fs_tracker *t = NULL;
  if (fs_extractor_create(&x, &xc, err) != 0 || fs_tracker_create(&t, &tc, err) != 0) {
    fprintf(stderr, "%s\n", err);
    exit(1);
  }
  /* As the command does: batches from fs_source_next_batch, tracked with
   * fs_tracker_track_batch. Fragments reassembled by the extractor point
   * into its own buffer, so a batch is tracked before the next extraction. */
  enum { B = 32 };
  fs_packet_view pkt[B];
  fs_extract_result r[B];
  *n = 0;
  double t0 = now_s();
  int got;
  while ((got = fs_source_next_batch(src, pkt, B)) > 0) {
    *n += (uint64_t)got;
    if (stage == 0)
      continue;
    size_t k = 0;
    for (int i = 0; i < got; i++) {
      memset(&r[k], 0, sizeof(r[k])); /* the extractor contract: a zeroed result */
      r[k].struct_size = sizeof(r[k]);
      if (x.ops->extract(x.self, &pkt[i], &r[k]) != 0 || stage < 2)
        continue;
      pkt[k] = pkt[i];
      const uint8_t *l3 = r[k].l3;
      k++;
      if (l3 && (l3 < pkt[k - 1].data || l3 >= pkt[k - 1].data + pkt[k - 1].caplen)) {
        fs_tracker_track_batch(t, pkt, r, k);
        k = 0;
      }
    }
    if (k)
      fs_tracker_track_batch(t, pkt, r, k);
  }
  fs_tracker_flush(t);
  double spent = now_s() - t0;
  fs_tracker_counters c = {.struct_size = sizeof(c)};
  fs_tracker_counters_get(t, &c);
  *flows = c.flows_created;
  fs_tracker_destroy(t);
  fs_extractor_destroy(&x);
  fs_source_close(src);
  return spent;
}

static int file_mode(const char *path, int reps) {
  static const char *const names[] = {"fs_source_next_batch", "read+extract", "read+extract+track",
                                      "same, libpcap reads"};
  double best_floor = 1e30, best[4] = {1e30, 1e30, 1e30, 1e30};
  uint64_t n = 0, m = 0, flows = 0;
  for (int i = 0; i < reps; i++) {
    double a = floor_loop(path, &n);
    if (a < best_floor)
      best_floor = a;
    for (int st = 0; st < 4; st++) {
      double b = full_path(path, &m, &flows, st);
      if (b < best[st])
        best[st] = b;
    }
  }
  printf("file %s: %llu packets, %llu flows\n", path, (unsigned long long)n,
         (unsigned long long)flows);
  printf("%-24s %8.3f s CPU %8.2f Mpps\n", "pcap_next_ex loop", best_floor,
         (double)n / best_floor / 1e6);
  for (int st = 0; st < 4; st++)
    printf("%-24s %8.3f s CPU %8.2f Mpps  ratio %.2fx\n", names[st], best[st],
           (double)m / best[st] / 1e6, best[st] / best_floor);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[1], "--file") == 0)
    return file_mode(argv[2], argc > 3 ? atoi(argv[3]) : 3);
  int reps = argc > 1 ? atoi(argv[1]) : 3;
  ex = calloc(CHUNK, sizeof(*ex));
  pv = calloc(CHUNK, sizeof(*pv));
  if (!ex || !pv)
    return 1;
  const scen sc[] = {
      {"one flow", 1, 10000000ull, 0},
      {"10,000 flows round-robin", 10000, 10000000ull, 1},
      {"1,000,000 short flows (7 packets)", 1000000, 7000000ull, 2},
  };
  printf("%-36s %10s %14s %16s\n", "case", "Mpps", "Mpps(+stats)", "Mpps(batch)");
  int only = argc > 2 ? atoi(argv[2]) : -1; /* run one case (0, 1, 2) */
  uint64_t packets = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
  int mode = argc > 4 ? atoi(argv[4]) : -1;
  for (size_t i = 0; i < sizeof(sc) / sizeof(sc[0]); i++) {
    if (only >= 0 && (size_t)only != i)
      continue;
    scen c0 = sc[i];
    if (packets) {
      c0.packets = packets;
      if (c0.kind == 2) /* whole 7-packet connections */
        c0.packets = (packets + 6) / 7 * 7, c0.flows = (uint32_t)(c0.packets / 7);
      else if (c0.flows > packets)
        c0.flows = (uint32_t)packets;
    }
    double best = 0, best_stats = 0, best_pf = 0;
    for (int r = 0; r < reps; r++) {
      double a = mode < 0 || mode == 0 ? run(&c0, 0, 0) : 0;
      double b = mode < 0 || mode == 1 ? run(&c0, 1, 0) : 0;
      double c = mode < 0 || mode == 2 ? run(&c0, 0, 1) : 0;
      if (a > best)
        best = a;
      if (b > best_stats)
        best_stats = b;
      if (c > best_pf)
        best_pf = c;
    }
    printf("%-36s %10.2f %14.2f %16.2f\n", c0.name, best / 1e6, best_stats / 1e6, best_pf / 1e6);
  }
  printf("bytes per flow slot (record + index): %zu\n", fs_tracker_bytes_per_flow());
  if (rss_per_flow > 0)
    printf("resident memory growth with 1,000,000 live flows: %.1f bytes per flow\n", rss_per_flow);
  free(ex);
  free(pv);
  return 0;
}
