/* SPDX-License-Identifier: MIT */
/*
 * Tracker mechanics beyond TCP: UDP orientation/history/conn_state, idle
 * timeouts (defaults, per-key override, sweep by packet time and by
 * fs_tracker_advance), LRU eviction with the once-per-tick pressure
 * anomaly, the host slot, end/forget/lookup/foreach/set_service, monotonic
 * time, closed-timeout 0, metrics hooks, and the dedup filter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flowscope/metrics.h"
#include "track_helpers.h"

#define SEC FS_NS_PER_SEC

static const th_conn dns = {40000, 53, FS_L4_UDP};

/* UDP: client query then server answer. Zeek: 'D' (orig data), 'd' (resp
 * data), both sides active -> SF; payload bytes are datagram payloads. */
static void test_udp_sf(void **state) {
  (void)state;
  th_rec rec = {0};
  fs_tracker *t = th_tracker(&rec, 16);
  fs_extract_result q = th_udp(&dns, TH_C2S, 30), a = th_udp(&dns, TH_S2C, 90);
  th_feed(t, &q, 1 * SEC, NULL);
  th_feed(t, &a, 1 * SEC + 1000, NULL);
  th_feed(t, &q, 2 * SEC, NULL); /* a second query: 'D' is not repeated */
  fs_tracker_flush(t);
  const th_ev *e = th_last(&rec, FS_EV_FLOW_ENDED);
  assert_non_null(e);
  assert_string_equal(e->stats.history, "Dd");
  assert_string_equal(e->stats.conn_state, "SF");
  assert_int_equal(e->stats.side[0].packets, 2);
  assert_int_equal(e->stats.side[1].packets, 1);
  assert_int_equal(e->stats.side[0].payload_bytes, 60);
  assert_int_equal(e->stats.side[1].payload_bytes, 90);
  assert_int_equal(e->stats.side[0].ip_bytes, 2 * 58);
  assert_int_equal(e->state, FS_STATE_ACTIVE);
  assert_int_equal(e->end_reason, FS_END_FLUSH);
  free(rec.ev);
  fs_tracker_destroy(t);
}

/* UDP whose first datagram comes from port 53 to a non-server port: Zeek
 * flips ('^'); only the responder sent -> "^d", SHR. A lone query is S0. */
static void test_udp_flip_shr_and_s0(void **state) {
  (void)state;
  th_rec rec = {0};
  fs_tracker *t = th_tracker(&rec, 16);
  fs_extract_result a = th_udp(&dns, TH_S2C, 90);
  th_feed(t, &a, 1 * SEC, NULL);
  const th_conn other = {40001, 53, FS_L4_UDP};
  fs_extract_result q = th_udp(&other, TH_C2S, 30);
  th_feed(t, &q, 1 * SEC, NULL);
  fs_tracker_flush(t);
  int seen = 0;
  for (size_t i = 0; i < rec.n; i++) {
    if (rec.ev[i].type != FS_EV_FLOW_ENDED)
      continue;
    if (!strcmp(rec.ev[i].stats.history, "^d")) {
      assert_string_equal(rec.ev[i].stats.conn_state, "SHR");
      assert_int_equal(rec.ev[i].orientation, FS_ORIENT_A_TO_B); /* client is orig */
      seen |= 1;
    } else {
      assert_string_equal(rec.ev[i].stats.history, "D");
      assert_string_equal(rec.ev[i].stats.conn_state, "S0");
      seen |= 2;
    }
  }
  assert_int_equal(seen, 3);
  free(rec.ev);
  fs_tracker_destroy(t);
}

/* Suricata's UDP defaults: 30 s while one-sided, 300 s once both sides
 * were seen. The sweep runs on packet time (another flow's packets). */
static void test_idle_timeouts_by_packet_time(void **state) {
  (void)state;
  th_rec rec = {0};
  fs_tracker *t = th_tracker(&rec, 16);
  fs_extract_result q = th_udp(&dns, TH_C2S, 10);
  th_feed(t, &q, 100 * SEC, NULL);
  const th_conn other = {40001, 53, FS_L4_UDP};
  fs_extract_result o = th_udp(&other, TH_C2S, 10);
  th_feed(t, &o, 129 * SEC, NULL); /* 29 s later: still alive */
  assert_int_equal(th_count(&rec, FS_EV_FLOW_ENDED), 0);
  th_feed(t, &o, 131 * SEC, NULL); /* 31 s: the first flow timed out (new: 30 s) */
  assert_int_equal(th_count(&rec, FS_EV_FLOW_ENDED), 1);
  assert_int_equal(rec.ev[rec.n - 1].end_reason, FS_END_IDLE_TIMEOUT);

  /* Both sides seen: established timeout 300 s, via fs_tracker_advance. */
  fs_extract_result r = th_udp(&other, TH_S2C, 10);
  th_feed(t, &r, 132 * SEC, NULL);
  fs_tracker_advance(t, 132 * SEC + 299 * SEC);
  assert_int_equal(th_count(&rec, FS_EV_FLOW_ENDED), 1);
  fs_tracker_advance(t, 132 * SEC + 301 * SEC);
  assert_int_equal(th_count(&rec, FS_EV_FLOW_ENDED), 2);
  fs_tracker_counters c = {.struct_size = sizeof(c)};
  fs_tracker_counters_get(t, &c);
  assert_int_equal(c.flows_active, 0);
  assert_int_equal(c.ended_by_reason[FS_END_IDLE_TIMEOUT], 2);
  free(rec.ev);
  fs_tracker_destroy(t);
}

/* An established TCP flow that goes idle was aborted. */
static void test_tcp_idle_aborted(void **state) {
  (void)state;
  th_rec rec = {0};
  fs_tracker *t = th_tracker(&rec, 16);
  const th_conn web = {40000, 80, FS_L4_TCP};
  fs_extract_result p[3] = {th_tcp(&web, TH_C2S, FS_TCP_SYN, 1, 0, 0, 1000),
                            th_tcp(&web, TH_S2C, FS_TCP_SYN | FS_TCP_ACK, 9, 2, 0, 1000),
                            th_tcp(&web, TH_C2S, FS_TCP_ACK, 2, 10, 0, 1000)};
  for (int i = 0; i < 3; i++)
    th_feed(t, &p[i], 10 * SEC, NULL);
  fs_tracker_advance(t, 10 * SEC + 599 * SEC); /* TCP established: 600 s */
  assert_int_equal(th_count(&rec, FS_EV_FLOW_ENDED), 0);
  fs_tracker_advance(t, 10 * SEC + 601 * SEC);
  const th_ev *e = th_last(&rec, FS_EV_FLOW_ENDED);
  assert_non_null(e);
  assert_int_equal(e->end_reason, FS_END_IDLE_TIMEOUT);
  assert_int_equal(e->state, FS_STATE_ABORTED);
  assert_string_equal(e->stats.conn_state, "S1");
  free(rec.ev);
  fs_tracker_destroy(t);
}

/* Per-key override: either port 502 (Modbus) -> 1 hour. */
static fs_time_ns modbus_hour(void *ctx, const fs_flow_key *k, uint32_t st, fs_time_ns dflt) {
  (void)st;
  (*(int *)ctx)++;
  if (k->port_a == 502 || k->port_b == 502)
    return 3600 * SEC;
  return dflt;
}

static void test_timeout_override(void **state) {
  (void)state;
  th_rec rec = {0};
  int calls = 0;
  fs_tracker_config cfg;
  fs_tracker_config_default(&cfg);
  cfg.sink.ops = &th_sink_ops;
  cfg.sink.self = &rec;
  cfg.idle_timeout_fn = modbus_hour;
  cfg.idle_timeout_ctx = &calls;
  fs_tracker *t = NULL;
  assert_int_equal(fs_tracker_create(&t, &cfg, NULL), 0);
  const th_conn mb = {40000, 502, FS_L4_UDP};
  fs_extract_result m = th_udp(&mb, TH_C2S, 12), d = th_udp(&dns, TH_C2S, 12);
  th_feed(t, &m, 1 * SEC, NULL);
  th_feed(t, &d, 1 * SEC, NULL);
  assert_true(calls >= 2);
  fs_tracker_advance(t, 1 * SEC + 31 * SEC); /* DNS (30 s) gone, Modbus kept */
  assert_int_equal(th_count(&rec, FS_EV_FLOW_ENDED), 1);
  fs_flow_key k;
  th_key(&k, &mb);
  fs_flow_stats st;
  assert_int_equal(fs_tracker_lookup(t, &k, &st), 0);
  fs_tracker_advance(t, 1 * SEC + 3599 * SEC);
  assert_int_equal(th_count(&rec, FS_EV_FLOW_ENDED), 1);
  fs_tracker_advance(t, 1 * SEC + 3601 * SEC);
  assert_int_equal(th_count(&rec, FS_EV_FLOW_ENDED), 2);
  free(rec.ev);
  fs_tracker_destroy(t);
}

/* max_flows 4: the 5th and 6th flows evict the least recently used ones
 * (flows 1 and 2 after flow 0 was touched again in a later tick); one pressure anomaly for
 * the tick with count 2, and a later tick reports its own count with the
 * running total. */
static void test_lru_eviction_and_pressure(void **state) {
  (void)state;
  th_rec rec = {0};
  fs_tracker *t = th_tracker(&rec, 4);
  fs_extract_result f[8];
  for (int i = 0; i < 8; i++) {
    th_conn c = {(uint16_t)(1000 + i), 53, FS_L4_UDP};
    f[i] = th_udp(&c, TH_C2S, 1);
  }
  for (int i = 0; i < 4; i++)
    th_feed(t, &f[i], 5 * SEC, NULL);
  /* LRU order is kept at tick granularity: touching flow 0 in a later
   * tick makes it the most recent. */
  th_feed(t, &f[0], 6 * SEC + 1, NULL);
  th_feed(t, &f[4], 6 * SEC + 2, NULL); /* evicts flow 1 */
  th_feed(t, &f[5], 6 * SEC + 3, NULL); /* evicts flow 2 */
  size_t ev = 0;
  for (size_t i = 0; i < rec.n; i++)
    if (rec.ev[i].type == FS_EV_FLOW_ENDED) {
      assert_int_equal(rec.ev[i].end_reason, FS_END_EVICTED);
      uint16_t p = rec.ev[i].stats.side[0].packets ? 0 : 0;
      (void)p;
      ev++;
    }
  assert_int_equal(ev, 2);
  fs_flow_key k;
  th_conn c0 = {1000, 53, FS_L4_UDP}, c1 = {1001, 53, FS_L4_UDP}, c2 = {1002, 53, FS_L4_UDP};
  fs_flow_stats st;
  th_key(&k, &c0);
  assert_int_equal(fs_tracker_lookup(t, &k, &st), 0);
  th_key(&k, &c1);
  assert_int_equal(fs_tracker_lookup(t, &k, &st), FS_E_NOTFOUND);
  th_key(&k, &c2);
  assert_int_equal(fs_tracker_lookup(t, &k, &st), FS_E_NOTFOUND);
  assert_int_equal(th_count(&rec, FS_EV_ANOMALY), 0); /* reported at the tick */
  th_feed(t, &f[6], 7 * SEC, NULL);                   /* next tick: anomaly, then evict */
  const th_ev *a = th_last(&rec, FS_EV_ANOMALY);
  assert_non_null(a);
  assert_int_equal(a->anomaly.kind, FS_ANOM_EVICTION_PRESSURE);
  assert_int_equal(a->anomaly.count, 2);
  assert_int_equal(a->anomaly.total, 2);
  th_feed(t, &f[7], 7 * SEC + 2, NULL);
  fs_tracker_flush(t);
  a = th_last(&rec, FS_EV_ANOMALY);
  assert_int_equal(th_count(&rec, FS_EV_ANOMALY), 2);
  assert_int_equal(a->anomaly.count, 2);
  assert_int_equal(a->anomaly.total, 4);
  fs_tracker_counters c = {.struct_size = sizeof(c)};
  fs_tracker_counters_get(t, &c);
  assert_int_equal(c.flows_evicted, 4);
  assert_int_equal(c.flows_created, 8);
  assert_int_equal(c.flows_ended, 8);
  assert_int_equal(c.pressure_anomalies, 2);
  free(rec.ev);
  fs_tracker_destroy(t);
}

/* The host slot comes back in the ENDED event; end/forget/set_service. */
static void test_host_slot_end_forget_service(void **state) {
  (void)state;
  th_rec rec = {0};
  fs_tracker *t = th_tracker(&rec, 16);
  fs_extract_result q = th_udp(&dns, TH_C2S, 10);
  fs_track_result r;
  th_feed(t, &q, 1 * SEC, &r);
  assert_int_equal(r.is_new, 1);
  assert_int_equal(r.side, FS_SIDE_INITIATOR);
  assert_non_null(r.user);
  assert_null(*r.user);
  static int token;
  *r.user = &token;
  assert_int_equal(fs_tracker_set_service(t, r.key, "dns"), 0);
  fs_extract_result a = th_udp(&dns, TH_S2C, 10);
  th_feed(t, &a, 1 * SEC, &r);
  assert_int_equal(r.is_new, 0);
  assert_int_equal(r.side, FS_SIDE_RESPONDER);
  assert_ptr_equal(*r.user, &token);
  fs_flow_key k;
  th_key(&k, &dns);
  assert_int_equal(fs_tracker_end(t, &k, FS_END_PARSE_ERROR, 2 * SEC), 0);
  const th_ev *e = th_last(&rec, FS_EV_FLOW_ENDED);
  assert_ptr_equal(e->flow_user, &token);
  assert_int_equal(e->end_reason, FS_END_PARSE_ERROR);
  assert_string_equal(e->stats.service, "dns");
  assert_int_equal(fs_tracker_end(t, &k, FS_END_PARSE_ERROR, 2 * SEC), FS_E_NOTFOUND);
  th_feed(t, &q, 3 * SEC, &r);
  assert_int_equal(r.is_new, 1);
  assert_int_equal(fs_tracker_forget(t, &k), 0);
  assert_int_equal(th_last(&rec, FS_EV_FLOW_ENDED)->end_reason, FS_END_FORGOTTEN);
  assert_int_equal(th_count(&rec, FS_EV_FLOW_STARTED), 2);
  assert_int_equal(th_count(&rec, FS_EV_FLOW_ENDED), 2);
  free(rec.ev);
  fs_tracker_destroy(t);
}

static int count_visit(void *ctx, const fs_flow_key *k, const fs_flow_stats *s) {
  (void)k;
  *(uint64_t *)ctx += s->side[0].packets + s->side[1].packets;
  return 0;
}

/* Snapshots see live stats without ending flows. */
static void test_foreach_snapshot(void **state) {
  (void)state;
  th_rec rec = {0};
  fs_tracker *t = th_tracker(&rec, 64);
  for (int i = 0; i < 10; i++) {
    th_conn c = {(uint16_t)(2000 + i), 53, FS_L4_UDP};
    fs_extract_result q = th_udp(&c, TH_C2S, 1);
    for (int j = 0; j <= i; j++)
      th_feed(t, &q, 1 * SEC, NULL);
  }
  uint64_t pk = 0;
  assert_int_equal(fs_tracker_foreach(t, count_visit, &pk), 0);
  assert_int_equal(pk, 55); /* 1 + 2 + ... + 10 */
  assert_int_equal(th_count(&rec, FS_EV_FLOW_ENDED), 0);
  fs_tracker_flush(t);
  free(rec.ev);
  fs_tracker_destroy(t);
}

/* Time going backwards is counted; with monotonic on, it is clamped. */
static void test_time_backwards(void **state) {
  (void)state;
  for (int mono = 0; mono < 2; mono++) {
    th_rec rec = {0};
    fs_tracker_config cfg;
    fs_tracker_config_default(&cfg);
    cfg.sink.ops = &th_sink_ops;
    cfg.sink.self = &rec;
    cfg.monotonic = (uint32_t)mono;
    fs_tracker *t = NULL;
    assert_int_equal(fs_tracker_create(&t, &cfg, NULL), 0);
    fs_extract_result q = th_udp(&dns, TH_C2S, 1);
    th_feed(t, &q, 10 * SEC, NULL);
    th_feed(t, &q, 9 * SEC, NULL); /* backwards */
    th_feed(t, &q, 11 * SEC, NULL);
    fs_tracker_counters c = {.struct_size = sizeof(c)};
    fs_tracker_counters_get(t, &c);
    assert_int_equal(c.time_backwards, 1);
    fs_flow_key k;
    th_key(&k, &dns);
    fs_flow_stats st;
    assert_int_equal(fs_tracker_lookup(t, &k, &st), 0);
    assert_int_equal(st.first_seen, 10 * SEC);
    assert_int_equal(st.last_seen, 11 * SEC);
    assert_int_equal(st.side[0].packets, 3);
    fs_tracker_flush(t);
    free(rec.ev);
    fs_tracker_destroy(t);
  }
}

/* closed timeout 0: the packet that closes the flow ends it. */
static void test_closed_timeout_zero_ends_on_packet(void **state) {
  (void)state;
  th_rec rec = {0};
  fs_tracker_config cfg;
  fs_tracker_config_default(&cfg);
  cfg.sink.ops = &th_sink_ops;
  cfg.sink.self = &rec;
  cfg.timeouts[FS_TIMEOUT_TCP].closed = 0;
  fs_tracker *t = NULL;
  assert_int_equal(fs_tracker_create(&t, &cfg, NULL), 0);
  const th_conn web = {40000, 80, FS_L4_TCP};
  fs_extract_result p[2] = {th_tcp(&web, TH_C2S, FS_TCP_SYN, 1, 0, 0, 1000),
                            th_tcp(&web, TH_S2C, FS_TCP_RST | FS_TCP_ACK, 0, 2, 0, 0)};
  fs_track_result r;
  th_feed(t, &p[0], 1 * SEC, &r);
  assert_int_equal(r.ended, 0);
  th_feed(t, &p[1], 1 * SEC, &r);
  assert_int_equal(r.ended, 1);
  assert_null(r.user);
  assert_non_null(r.stats);
  assert_string_equal(r.stats->conn_state, "REJ");
  const th_ev *e = th_last(&rec, FS_EV_FLOW_ENDED);
  assert_non_null(e);
  assert_int_equal(e->end_reason, FS_END_RST);
  free(rec.ev);
  fs_tracker_destroy(t);
}

typedef struct mstat {
  int counters, gauges, hist;
  uint64_t packets;
} mstat;

static void m_counter(void *self, const char *name, const fs_label *l, uint32_t n, uint64_t v) {
  (void)l, (void)n;
  mstat *m = self;
  m->counters++;
  if (!strcmp(name, FS_METRIC_TRACK_PACKETS))
    m->packets += v;
}
static void m_gauge(void *self, const char *name, const fs_label *l, uint32_t n, double v) {
  (void)name, (void)l, (void)n, (void)v;
  ((mstat *)self)->gauges++;
}
static void m_hist(void *self, const char *name, const fs_label *l, uint32_t n, double v) {
  (void)l, (void)n, (void)v;
  assert_string_equal(name, FS_METRIC_TRACK_FLOW_DURATION);
  ((mstat *)self)->hist++;
}

/* Metrics: packet deltas per tick add up to the packets tracked. */
static void test_metrics_hooks(void **state) {
  (void)state;
  mstat m = {0};
  static const fs_metrics_ops ops = {sizeof(fs_metrics_ops), 0, m_counter, m_gauge, m_hist, NULL};
  fs_tracker_config cfg;
  fs_tracker_config_default(&cfg);
  cfg.metrics = &ops;
  cfg.metrics_self = &m;
  fs_tracker *t = NULL;
  assert_int_equal(fs_tracker_create(&t, &cfg, NULL), 0);
  fs_extract_result q = th_udp(&dns, TH_C2S, 1);
  for (int i = 0; i < 5; i++)
    th_feed(t, &q, (fs_time_ns)(i + 1) * SEC, NULL);
  fs_tracker_flush(t);
  assert_int_equal(m.packets, 5);
  assert_true(m.gauges >= 1);
  assert_int_equal(m.hist, 1);
  fs_tracker_destroy(t);
}

static fs_packet_view pv_of(const uint8_t *d, uint32_t n, fs_time_ns ts) {
  fs_packet_view p;
  memset(&p, 0, sizeof(p));
  p.struct_size = sizeof(p);
  p.data = d;
  p.caplen = p.wirelen = n;
  p.ts = ts;
  return p;
}

/* Dedup: the same bytes within the window are a duplicate; outside the
 * window or with one byte changed they are not. */
static void test_dedup(void **state) {
  (void)state;
  fs_dedup *d = NULL;
  assert_int_equal(fs_dedup_create(&d, 1024, 1000000 /* 1 ms */, 7), 0);
  uint8_t a[64], b[64];
  for (int i = 0; i < 64; i++)
    a[i] = b[i] = (uint8_t)i;
  b[63] ^= 1;
  fs_packet_view p1 = pv_of(a, 64, 1000000000), p2 = pv_of(a, 64, 1000000500);
  fs_packet_view p3 = pv_of(b, 64, 1000000600), p4 = pv_of(a, 64, 1005000000);
  assert_int_equal(fs_dedup_check(d, &p1), 0);
  assert_int_equal(fs_dedup_check(d, &p2), 1); /* 500 ns later: loopback copy */
  assert_int_equal(fs_dedup_check(d, &p3), 0); /* different content */
  assert_int_equal(fs_dedup_check(d, &p4), 0); /* 5 ms later: outside the window */
  assert_int_equal(fs_dedup_dropped(d), 1);
  fs_dedup_destroy(d);
  assert_int_equal(fs_dedup_create(&d, 1, 1, 0), FS_E_INVAL);
}

/* An IPv4/UDP packet 10.0.0.1:1 -> 10.0.0.2:2 with no payload. Its checksum
 * by hand (RFC 768/1071): pseudo-header 0x0a00+0x0001+0x0a00+0x0002
 * +0x0011 (proto) +0x0008 (length) = 0x141c; UDP header 0x0001+0x0002
 * +0x0008 (+ checksum field 0) = 0x000b; sum 0x1427, complement 0xebd8. */
static fs_extract_result udp_with_checksum(uint8_t *pkt, uint16_t csum) {
  static const uint8_t ip[20] = {0x45, 0, 0,  28, 0, 0, 0,  0, 64, 17,
                                 0,    0, 10, 0,  0, 1, 10, 0, 0,  2};
  memcpy(pkt, ip, 20);
  uint8_t udp[8] = {0, 1, 0, 2, 0, 8, (uint8_t)(csum >> 8), (uint8_t)csum};
  memcpy(pkt + 20, udp, 8);
  const th_conn c = {1, 2, FS_L4_UDP};
  fs_extract_result r = th_udp(&c, TH_C2S, 0);
  r.l3 = pkt;
  r.l3_len = 28;
  r.ip_len = 28;
  r.payload = pkt + 28;
  return r;
}

/* verify_checksums: a bad UDP checksum is 'C' and not counted; the right
 * one (0xebd8) and the IPv4 "no checksum" 0 are counted as data 'D'. */
static void test_checksum_verification(void **state) {
  (void)state;
  th_rec rec = {0};
  fs_tracker_config cfg;
  fs_tracker_config_default(&cfg);
  cfg.sink.ops = &th_sink_ops;
  cfg.sink.self = &rec;
  cfg.verify_checksums = 1;
  fs_tracker *t = NULL;
  assert_int_equal(fs_tracker_create(&t, &cfg, NULL), 0);
  uint8_t a[28], b[28], c[28];
  fs_extract_result bad = udp_with_checksum(a, 0xebd9);
  fs_extract_result good = udp_with_checksum(b, 0xebd8);
  fs_extract_result none = udp_with_checksum(c, 0);
  th_feed(t, &bad, 1 * SEC, NULL);
  th_feed(t, &good, 2 * SEC, NULL);
  th_feed(t, &none, 3 * SEC, NULL);
  fs_tracker_flush(t);
  const th_ev *e = th_last(&rec, FS_EV_FLOW_ENDED);
  assert_non_null(e);
  assert_string_equal(e->stats.history, "CD");
  assert_int_equal(e->stats.side[0].packets, 2);
  fs_tracker_counters k = {.struct_size = sizeof(k)};
  fs_tracker_counters_get(t, &k);
  assert_int_equal(k.checksum_bad, 1);
  assert_int_equal(th_count(&rec, FS_EV_FLOW_STARTED), 1);
  free(rec.ev);
  fs_tracker_destroy(t);
}

/* Bad configuration is refused with a message. */
static void test_bad_config(void **state) {
  (void)state;
  fs_tracker_config cfg;
  fs_tracker_config_default(&cfg);
  cfg.max_flows = 0;
  fs_tracker *t = NULL;
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_tracker_create(&t, &cfg, err), FS_E_INVAL);
  assert_non_null(strstr(err, "max_flows"));
  assert_true(fs_tracker_bytes_per_flow() <= 256);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_udp_sf),
      cmocka_unit_test(test_udp_flip_shr_and_s0),
      cmocka_unit_test(test_idle_timeouts_by_packet_time),
      cmocka_unit_test(test_tcp_idle_aborted),
      cmocka_unit_test(test_timeout_override),
      cmocka_unit_test(test_lru_eviction_and_pressure),
      cmocka_unit_test(test_host_slot_end_forget_service),
      cmocka_unit_test(test_foreach_snapshot),
      cmocka_unit_test(test_time_backwards),
      cmocka_unit_test(test_closed_timeout_zero_ends_on_packet),
      cmocka_unit_test(test_metrics_hooks),
      cmocka_unit_test(test_dedup),
      cmocka_unit_test(test_checksum_verification),
      cmocka_unit_test(test_bad_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
