/* SPDX-License-Identifier: MIT */
/*
 * Property tests over random packet sequences (seeded, reproducible):
 *  - per-flow packet counts in the ENDED events sum to the packets fed;
 *  - every started flow ends exactly once after flush (ids match 1:1);
 *  - history letters obey Zeek's rules: only known letters; a d i q at most
 *    once per direction; c g t w logarithmic (k letters need >= 10^(k-1)
 *    packets of that side); '^' at most twice;
 *  - the table never holds more than max_flows; counters are consistent.
 * Plus a table churn test: random insert/end against a reference set, at
 * a tiny capacity so probe chains collide and backward-shift deletion is
 * exercised on every removal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "track_helpers.h"

static uint64_t rng_state;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 11);
}

/* A random packet of one of `nkeys` connections. */
static fs_extract_result random_packet(uint32_t nkeys) {
  uint32_t k = rnd() % nkeys;
  uint8_t proto = (k % 7 == 0) ? FS_L4_UDP : ((k % 11 == 0) ? FS_L4_ICMP : FS_L4_TCP);
  th_conn c = {(uint16_t)(1024 + k), (uint16_t)((k % 3) ? 80 : 7000 + (k % 5)), proto};
  int dir = (int)(rnd() & 1);
  if (proto == FS_L4_TCP) {
    static const uint8_t flag_sets[] = {FS_TCP_SYN,
                                        FS_TCP_SYN | FS_TCP_ACK,
                                        FS_TCP_ACK,
                                        FS_TCP_ACK | FS_TCP_PSH,
                                        FS_TCP_FIN,
                                        FS_TCP_FIN | FS_TCP_ACK,
                                        FS_TCP_RST,
                                        FS_TCP_RST | FS_TCP_ACK,
                                        FS_TCP_SYN | FS_TCP_FIN,
                                        FS_TCP_FIN | FS_TCP_RST,
                                        0,
                                        FS_TCP_ACK};
    uint8_t fl = flag_sets[rnd() % sizeof(flag_sets)];
    /* Sequence numbers near a per-key base, sometimes wild (out of window). */
    uint32_t base = (k * 2654435761u) ^ (dir ? 0x80000000u : 0);
    uint32_t seq = (rnd() % 16 == 0) ? rnd() : base + (rnd() % 5000);
    uint32_t ack = (rnd() % 16 == 0) ? rnd() : (k * 2654435761u) ^ (dir ? 0 : 0x80000000u);
    ack += rnd() % 5000;
    uint32_t len = (rnd() % 3 == 0) ? rnd() % 1400 : 0;
    uint16_t win = (rnd() % 20 == 0) ? 0 : 1000;
    return th_tcp(&c, dir, fl, seq, ack, len, win);
  }
  fs_extract_result r = th_udp(&c, dir, rnd() % 500);
  r.key.proto = proto;
  r.l4proto = proto;
  return r;
}

typedef struct agg {
  uint64_t started, ended, pkts;
  uint8_t *seen; /* by flow id: 1 started, 2 ended */
  size_t cap;
  int bad;
} agg;

static agg g;

static int count_char(const char *h, char c) {
  int n = 0;
  for (; *h; h++)
    n += *h == c;
  return n;
}

static void check_history(const fs_flow_stats *s) {
  const char *h = s->history;
  for (const char *p = h; *p; p++)
    if (!strchr("SHADFRCGTWIQshadfrcgtwiq^", *p))
      g.bad |= 1;
  const char once[] = "ADIQadiq";
  for (const char *p = once; *p; p++)
    if (count_char(h, *p) > 1)
      g.bad |= 2;
  const char logs[] = "CGTWcgtw";
  for (const char *p = logs; *p; p++) {
    int k = count_char(h, *p);
    uint64_t side_pk = s->side[(*p >= 'a') ? 1 : 0].packets + s->side[(*p >= 'a') ? 0 : 1].packets;
    uint64_t need = 1;
    for (int i = 1; i < k; i++)
      need *= 10;
    if (k && side_pk < need)
      g.bad |= 4;
  }
  if (count_char(h, '^') > 2)
    g.bad |= 8;
}

static void on_ev(void *self, const fs_event *e) {
  (void)self;
  if (e->type != FS_EV_FLOW_STARTED && e->type != FS_EV_FLOW_ENDED)
    return;
  uint64_t id = e->stats->flow_id;
  if (id >= g.cap) {
    size_t n = g.cap ? g.cap : 1024;
    while (n <= id)
      n *= 2;
    g.seen = realloc(g.seen, n);
    memset(g.seen + g.cap, 0, n - g.cap);
    g.cap = n;
  }
  if (e->type == FS_EV_FLOW_STARTED) {
    if (g.seen[id] != 0)
      g.bad |= 16;
    g.seen[id] = 1;
    g.started++;
  } else {
    if (g.seen[id] != 1)
      g.bad |= 32; /* ended twice, or never started */
    g.seen[id] = 2;
    g.ended++;
    g.pkts += e->stats->side[0].packets + e->stats->side[1].packets;
    check_history(e->stats);
  }
}

static const fs_event_sink_ops ops = {sizeof(fs_event_sink_ops), 0, on_ev, NULL, NULL};

static void run_round(uint64_t seed, uint32_t max_flows, uint32_t nkeys, uint32_t npkts) {
  rng_state = seed;
  memset(&g, 0, sizeof(g));
  fs_tracker_config cfg;
  fs_tracker_config_default(&cfg);
  cfg.max_flows = max_flows;
  cfg.sink.ops = &ops;
  cfg.timeouts[FS_TIMEOUT_TCP] = (fs_timeout_class){2 * FS_NS_PER_SEC, 5 * FS_NS_PER_SEC, 0};
  cfg.result_stats = (uint32_t)(seed & 1);
  cfg.monotonic = (uint32_t)((seed >> 1) & 1);
  fs_tracker *t = NULL;
  assert_int_equal(fs_tracker_create(&t, &cfg, NULL), 0);
  fs_time_ns ts = 1000 * FS_NS_PER_SEC;
  for (uint32_t i = 0; i < npkts; i++) {
    /* Time mostly advances a little, sometimes jumps, sometimes goes back. */
    uint32_t r = rnd() % 100;
    if (r < 2)
      ts -= (rnd() % 1000) * 1000000ull;
    else if (r < 4)
      ts += (rnd() % 20) * FS_NS_PER_SEC;
    else
      ts += rnd() % 5000000;
    fs_extract_result ex = random_packet(nkeys);
    fs_track_result res;
    assert_int_equal(th_feed(t, &ex, ts, &res), 0);
    if (!res.ended)
      assert_non_null(res.user);
    if ((i & 255) == 0) {
      fs_tracker_counters c = {.struct_size = sizeof(c)};
      fs_tracker_counters_get(t, &c);
      assert_true(c.flows_active <= max_flows);
      assert_int_equal(c.flows_active, c.flows_created - c.flows_ended);
    }
  }
  assert_int_equal(fs_tracker_flush(t), 0);
  fs_tracker_counters c = {.struct_size = sizeof(c)};
  fs_tracker_counters_get(t, &c);
  assert_int_equal(g.bad, 0);
  assert_int_equal(g.pkts, npkts);
  assert_int_equal(c.packets, npkts);
  assert_int_equal(g.started, g.ended);
  assert_int_equal(c.flows_created, g.started);
  assert_int_equal(c.flows_ended, g.ended);
  assert_int_equal(c.flows_active, 0);
  uint64_t by_reason = 0;
  for (int i = 0; i < 16; i++)
    by_reason += c.ended_by_reason[i];
  assert_int_equal(by_reason, c.flows_ended);
  for (size_t id = 1; id < g.cap; id++)
    assert_true(g.seen[id] == 0 || g.seen[id] == 2);
  free(g.seen);
  fs_tracker_destroy(t);
}

static void test_random_sequences(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 40; seed++) {
    uint32_t max_flows = (seed % 4 == 0) ? 8 : (seed % 4 == 1 ? 64 : 4096);
    run_round(seed * 0x9E3779B97F4A7C15ull, max_flows, 50 + (uint32_t)(seed * 13 % 500), 20000);
  }
}

/* Table churn: the tracker's view (lookup) always equals a reference set. */
static void test_table_churn(void **state) {
  (void)state;
  rng_state = 12345;
  enum { NK = 64, CAP = 24 };
  fs_tracker_config cfg;
  fs_tracker_config_default(&cfg);
  cfg.max_flows = CAP;
  fs_tracker *t = NULL;
  assert_int_equal(fs_tracker_create(&t, &cfg, NULL), 0);
  uint8_t live[NK] = {0};
  uint32_t nlive = 0;
  for (int i = 0; i < 200000; i++) {
    uint32_t k = rnd() % NK;
    th_conn c = {(uint16_t)(3000 + k), 53, FS_L4_UDP};
    fs_flow_key key;
    th_key(&key, &c);
    if (rnd() & 1) {
      if (!live[k] && nlive == CAP)
        continue; /* stay below the bound: eviction is tested elsewhere */
      fs_extract_result ex = th_udp(&c, TH_C2S, 1);
      th_feed(t, &ex, FS_NS_PER_SEC, NULL);
      if (!live[k])
        live[k] = 1, nlive++;
    } else {
      int rc = fs_tracker_forget(t, &key);
      assert_int_equal(rc, live[k] ? 0 : FS_E_NOTFOUND);
      if (live[k])
        live[k] = 0, nlive--;
    }
    if ((i & 63) == 0) {
      for (uint32_t j = 0; j < NK; j++) {
        th_conn cj = {(uint16_t)(3000 + j), 53, FS_L4_UDP};
        fs_flow_key kj;
        th_key(&kj, &cj);
        fs_flow_stats st;
        assert_int_equal(fs_tracker_lookup(t, &kj, &st) == 0, live[j] != 0);
      }
    }
  }
  fs_tracker_destroy(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_random_sequences),
                                     cmocka_unit_test(test_table_churn)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
