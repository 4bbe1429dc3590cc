/* SPDX-License-Identifier: MIT */
/*
 * Hostile input: a SYN flood of half-open flows and a port scan (one flow
 * per packet) against a small max_flows, time running backwards, and
 * out-of-window / wrapping sequence numbers. Memory stays within
 * max_flows (flows_active, memory_bytes fixed at creation) and every
 * counter adds up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "track_helpers.h"

typedef struct tally {
  uint64_t started, ended, evicted_ends, pressure, pressure_total, pkts;
} tally;

static void on_ev(void *self, const fs_event *e) {
  tally *t = self;
  switch (e->type) {
  case FS_EV_FLOW_STARTED: t->started++; break;
  case FS_EV_FLOW_ENDED:
    t->ended++;
    t->pkts += e->stats->side[0].packets + e->stats->side[1].packets;
    if (e->end_reason == FS_END_EVICTED)
      t->evicted_ends++;
    break;
  case FS_EV_ANOMALY:
    assert_int_equal(e->anomaly->kind, FS_ANOM_EVICTION_PRESSURE);
    assert_null(e->key);
    t->pressure += e->anomaly->count;
    t->pressure_total = e->anomaly->total;
    break;
  default: break;
  }
}

static const fs_event_sink_ops ops = {sizeof(fs_event_sink_ops), 0, on_ev, NULL, NULL};

static fs_tracker *mk(tally *tl, uint32_t max_flows) {
  fs_tracker_config cfg;
  fs_tracker_config_default(&cfg);
  cfg.max_flows = max_flows;
  cfg.sink.ops = &ops;
  cfg.sink.self = tl;
  fs_tracker *t = NULL;
  assert_int_equal(fs_tracker_create(&t, &cfg, NULL), 0);
  return t;
}

static void check_bounded(fs_tracker *t, uint32_t max_flows, uint64_t mem0) {
  fs_tracker_counters c = {.struct_size = sizeof(c)};
  fs_tracker_counters_get(t, &c);
  assert_true(c.flows_active <= max_flows);
  assert_int_equal(c.memory_bytes, mem0);
}

/* 200,000 SYNs from distinct source ports (a flood of half-open flows),
 * 1 ms apart, into a table of 1,000: at most 1,000 live, every flow beyond
 * the bound evicted (counted, ended with `evicted`, reported per tick). */
static void test_syn_flood(void **state) {
  (void)state;
  tally tl = {0};
  const uint32_t max = 1000, n = 200000;
  fs_tracker *t = mk(&tl, max);
  fs_tracker_counters c0 = {.struct_size = sizeof(c0)};
  fs_tracker_counters_get(t, &c0);
  for (uint32_t i = 0; i < n; i++) {
    /* Source 10.0.0.1 port i, spread over 4 client addresses. */
    th_conn c = {(uint16_t)(1024 + (i % 60000)), 80, FS_L4_TCP};
    fs_extract_result ex = th_tcp(&c, TH_C2S, FS_TCP_SYN, i * 7919u, 0, 0, 1024);
    ex.key.addr_a[2] = (uint8_t)(i / 60000); /* 10.0.k.1: keys stay distinct */
    assert_int_equal(th_feed(t, &ex, FS_NS_PER_SEC + (fs_time_ns)i * 1000000u, NULL), 0);
    if ((i & 1023) == 0)
      check_bounded(t, max, c0.memory_bytes);
  }
  fs_tracker_flush(t);
  fs_tracker_counters c = {.struct_size = sizeof(c)};
  fs_tracker_counters_get(t, &c);
  /* The default TCP "new" timeout (60 s) exceeds the 1 s the table holds,
   * so every flow beyond the first 1,000 is an eviction. */
  assert_int_equal(c.flows_created, n);
  assert_int_equal(c.flows_evicted, n - max);
  assert_int_equal(tl.evicted_ends, n - max);
  assert_int_equal(tl.pressure, n - max);
  assert_int_equal(tl.pressure_total, n - max);
  /* At most one anomaly per tick: 200 s of packet time. */
  assert_true(c.pressure_anomalies <= 201);
  assert_int_equal(tl.started, n);
  assert_int_equal(tl.ended, n);
  assert_int_equal(tl.pkts, n);
  assert_int_equal(c.flows_active, 0);
  fs_tracker_destroy(t);
}

/* A port scan: SYN to each of 60,000 ports answered by RST-ACK, two
 * packets per flow; with the default closed timeout the REJ flows linger,
 * the bound evicts the oldest, and each flow still counts both packets. */
static void test_port_scan(void **state) {
  (void)state;
  tally tl = {0};
  const uint32_t max = 512, n = 60000;
  fs_tracker *t = mk(&tl, max);
  for (uint32_t i = 0; i < n; i++) {
    th_conn c = {40000, (uint16_t)(i + 1), FS_L4_TCP};
    fs_extract_result syn = th_tcp(&c, TH_C2S, FS_TCP_SYN, 100, 0, 0, 1024);
    fs_extract_result rst = th_tcp(&c, TH_S2C, FS_TCP_RST | FS_TCP_ACK, 0, 101, 0, 0);
    fs_time_ns ts = FS_NS_PER_SEC + (fs_time_ns)i * 10000u;
    th_feed(t, &syn, ts, NULL);
    th_feed(t, &rst, ts + 100, NULL);
  }
  fs_tracker_flush(t);
  fs_tracker_counters c = {.struct_size = sizeof(c)};
  fs_tracker_counters_get(t, &c);
  assert_int_equal(c.flows_created, n);
  assert_int_equal(tl.ended, n);
  assert_int_equal(tl.pkts, 2 * n);
  assert_int_equal(c.packets, 2 * n);
  assert_int_equal(c.flows_evicted + c.ended_by_reason[FS_END_RST], n);
  fs_tracker_destroy(t);
}

/* Time jumping back and forth by hours: no flow is lost or doubled, the
 * backwards packets are counted, and a wheel jump of a year is fine. */
static void test_time_chaos(void **state) {
  (void)state;
  tally tl = {0};
  fs_tracker *t = mk(&tl, 64);
  const th_conn c = {40000, 53, FS_L4_UDP};
  fs_time_ns times[] = {100 * FS_NS_PER_SEC,
                        50 * FS_NS_PER_SEC,
                        7200 * FS_NS_PER_SEC,
                        10 * FS_NS_PER_SEC,
                        7201 * FS_NS_PER_SEC,
                        7201 * FS_NS_PER_SEC + 365ull * 86400 * FS_NS_PER_SEC,
                        0};
  uint64_t back = 0, maxts = 0;
  for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
    fs_extract_result ex = th_udp(&c, TH_C2S, 4);
    th_feed(t, &ex, times[i], NULL);
    if (times[i] < maxts)
      back++;
    else
      maxts = times[i];
  }
  fs_tracker_flush(t);
  fs_tracker_counters k = {.struct_size = sizeof(k)};
  fs_tracker_counters_get(t, &k);
  assert_int_equal(k.time_backwards, back);
  assert_int_equal(tl.pkts, sizeof(times) / sizeof(times[0]));
  assert_int_equal(tl.started, tl.ended);
  fs_tracker_destroy(t);
}

/* Sequence numbers from anywhere (wrapping, out of window, RSTs with
 * garbage): no undefined behaviour (run under UBSan), sizes stay finite
 * and the retransmission counter does not run away into the history. */
static void test_wild_sequence_numbers(void **state) {
  (void)state;
  tally tl = {0};
  fs_tracker *t = mk(&tl, 16);
  const th_conn c = {40000, 80, FS_L4_TCP};
  uint32_t seqs[] = {0xFFFFFF00u, 0xFFFFFFF0u, 0x00000010u, 0x7FFFFFFFu,
                     0x80000000u, 5u,          0xFFFFFF00u};
  fs_extract_result syn = th_tcp(&c, TH_C2S, FS_TCP_SYN, 0xFFFFFF00u, 0, 0, 100);
  th_feed(t, &syn, FS_NS_PER_SEC, NULL);
  for (int r = 0; r < 100; r++)
    for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
      fs_extract_result d = th_tcp(&c, (int)(i & 1), (i % 3) ? FS_TCP_ACK : FS_TCP_RST, seqs[i],
                                   seqs[i] ^ 0x55u, (uint32_t)(i * 100), 100);
      th_feed(t, &d, FS_NS_PER_SEC + (fs_time_ns)r, NULL);
    }
  fs_flow_key k;
  th_key(&k, &c);
  fs_flow_stats st;
  assert_int_equal(fs_tracker_lookup(t, &k, &st), 0);
  assert_true(strlen(st.history) < FS_HISTORY_MAX);
  fs_tracker_flush(t);
  assert_int_equal(tl.pkts, 1 + 100 * 7);
  fs_tracker_destroy(t);
}

/* A packet of a TCP connection whose TCP header was cut off (has_tcp 0,
 * e.g. by the snap length) is counted, and changes nothing else: the
 * connection's sequence state, history and end are those of the same
 * connection without it. */
static void test_tcp_packet_without_header(void **state) {
  (void)state;
  const th_conn c = {40000, 80, FS_L4_TCP};
  fs_extract_result seq[8] = {
      th_tcp(&c, TH_C2S, FS_TCP_SYN, 1000, 0, 0, 512),
      th_tcp(&c, TH_S2C, FS_TCP_SYN | FS_TCP_ACK, 5000, 1001, 0, 512),
      th_tcp(&c, TH_C2S, FS_TCP_ACK, 1001, 5001, 0, 512),
      th_tcp(&c, TH_C2S, FS_TCP_ACK | FS_TCP_PSH, 1001, 5001, 100, 512),
      th_tcp(&c, TH_S2C, FS_TCP_ACK, 5001, 1101, 0, 512),
      th_tcp(&c, TH_C2S, FS_TCP_FIN | FS_TCP_ACK, 1101, 5001, 0, 512),
      th_tcp(&c, TH_S2C, FS_TCP_FIN | FS_TCP_ACK, 5001, 1102, 0, 512),
      th_tcp(&c, TH_C2S, FS_TCP_ACK, 1102, 5002, 0, 512),
  };
  /* The cut packet: a client packet of 1,400 IP bytes with no TCP fields. */
  fs_extract_result cut = th_tcp(&c, TH_C2S, 0, 0, 0, 0, 0);
  cut.has_tcp = 0;
  memset(&cut.tcp, 0, sizeof cut.tcp);
  cut.ip_len = 1400;
  cut.payload_len = 1380;
  th_rec ra = {0}, rb = {0};
  fs_tracker *a = th_tracker(&ra, 0), *b = th_tracker(&rb, 0);
  assert_non_null(a);
  assert_non_null(b);
  for (int i = 0; i < 8; i++) {
    fs_time_ns ts = 1000000000ull + (fs_time_ns)i * 1000000ull;
    assert_int_equal(th_feed(a, &seq[i], ts, NULL), 0);
    assert_int_equal(th_feed(b, &seq[i], ts, NULL), 0);
    if (i == 3) /* after the data, before the server's ACK */
      assert_int_equal(th_feed(b, &cut, ts + 1, NULL), 0);
  }
  fs_tracker_flush(a);
  fs_tracker_flush(b);
  const th_ev *ea = th_last(&ra, FS_EV_FLOW_ENDED), *eb = th_last(&rb, FS_EV_FLOW_ENDED);
  assert_non_null(ea);
  assert_non_null(eb);
  assert_int_equal(th_count(&ra, FS_EV_FLOW_ENDED), 1);
  assert_int_equal(th_count(&rb, FS_EV_FLOW_ENDED), 1);
  assert_string_equal(eb->stats.history, ea->stats.history);
  assert_string_equal(eb->stats.history, "ShADaFf"); /* Zeek's letters for this exchange */
  assert_string_equal(eb->stats.conn_state, ea->stats.conn_state);
  assert_string_equal(eb->stats.conn_state, "SF");
  assert_int_equal(eb->end_reason, ea->end_reason);
  assert_int_equal(eb->stats.side[0].payload_bytes, ea->stats.side[0].payload_bytes);
  assert_int_equal(eb->stats.side[1].payload_bytes, ea->stats.side[1].payload_bytes);
  assert_int_equal(eb->stats.side[0].packets + eb->stats.side[1].packets,
                   ea->stats.side[0].packets + ea->stats.side[1].packets + 1);
  fs_tracker_destroy(a);
  fs_tracker_destroy(b);
  free(ra.ev);
  free(rb.ev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_syn_flood),
      cmocka_unit_test(test_port_scan),
      cmocka_unit_test(test_time_chaos),
      cmocka_unit_test(test_wild_sequence_numbers),
      cmocka_unit_test(test_tcp_packet_without_header),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
