/* SPDX-License-Identifier: MIT */
/*
 * Zeek's connection timing and orientation rules that go beyond the TCP
 * state machine, from hand-built packet sequences:
 *
 * - tcp_close_delay: Zeek removes a connection tcp_close_delay (5 s) after
 *   the packet that completed its close — a RST, or a FIN while the peer had
 *   already closed or had never sent anything (its ConnectionClosed) — and
 *   later packets of the same five-tuple make a new connection. A FIN while
 *   the peer is still open does not complete the close.
 * - A packet to the IPv4 broadcast address never flips the roles (Zeek's
 *   NewConn), whatever the ports say.
 * - UDP 5072 (AYIYA) is one of Zeek's likely server ports.
 * - A connection that began with an unflipped SYN-ACK is flipped when the
 *   next packet is an ACK or data (Zeek 5.1+).
 *
 * Expected values come from those rules and the conn_state table of
 * scripts/base/protocols/conn/main.zeek (not from this code's output). The
 * first sequence is the one Zeek logs as three connections for
 * 192.168.2.16:1577 in its Teredo.pcap test trace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "track_helpers.h"

#define S_ FS_TCP_SYN
#define A_ FS_TCP_ACK
#define F_ FS_TCP_FIN
#define R_ FS_TCP_RST

#define MS (FS_NS_PER_SEC / 1000u)

static const th_conn web = {40000, 80, FS_L4_TCP};

typedef struct step {
  fs_time_ns ts;
  int dir;
  uint8_t flags;
  uint32_t seq, ack;
} step;

/* Feeds the steps to a tracker with the given close delay, flushes, and
 * returns the recorded events. */
static th_rec run(const step *st, size_t n, fs_time_ns close_delay) {
  th_rec rec = {0};
  fs_tracker_config cfg;
  fs_tracker_config_default(&cfg);
  cfg.max_flows = 64;
  cfg.sink.ops = &th_sink_ops;
  cfg.sink.self = &rec;
  cfg.tcp_close_delay = close_delay;
  fs_tracker *t = NULL;
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_tracker_create(&t, &cfg, err), 0);
  for (size_t i = 0; i < n; i++) {
    fs_extract_result ex = th_tcp(&web, st[i].dir, st[i].flags, st[i].seq, st[i].ack, 0, 8192);
    assert_int_equal(th_feed(t, &ex, st[i].ts, NULL), 0);
  }
  assert_int_equal(fs_tracker_flush(t), 0);
  fs_tracker_destroy(t);
  return rec;
}

/* The i-th FLOW_ENDED event, in the order the flows ended. */
static const th_ev *ended(const th_rec *r, size_t i) {
  for (size_t k = 0; k < r->n; k++)
    if (r->ev[k].type == FS_EV_FLOW_ENDED && i-- == 0)
      return &r->ev[k];
  return NULL;
}

/* The server closes first while the client never sent anything (complete:
 * the peer is inactive), the client acks; 7 s later the client's own FIN
 * (to a connection Zeek already removed) and the server's ack; 16 s later a
 * server RST. Zeek: "^fA" SHR (1/1 packets), then "Fa" SH (1/1), then "^r"
 * RSTRH (0/1). */
static void test_close_delay_splits(void **state) {
  (void)state;
  static const step s[] = {
      {1000 * MS, TH_S2C, F_ | A_, 5000, 1000}, /* server FIN: ^ (from port 80), f */
      {1001 * MS, TH_C2S, A_, 1000, 5001},      /* client ack: A */
      {8000 * MS, TH_C2S, F_ | A_, 1000, 5001}, /* new connection: client FIN, F */
      {8080 * MS, TH_S2C, A_, 5001, 1001},      /* server ack: a */
      {24000 * MS, TH_S2C, R_ | A_, 5001, 1001} /* new connection: ^, r */
  };
  th_rec rec = run(s, 5, 5 * FS_NS_PER_SEC);
  assert_int_equal(th_count(&rec, FS_EV_FLOW_ENDED), 3);
  const th_ev *a = ended(&rec, 0), *b = ended(&rec, 1), *c = ended(&rec, 2);
  assert_string_equal(a->stats.history, "^fA");
  assert_string_equal(a->stats.conn_state, "SHR");
  assert_int_equal(a->stats.side[0].packets, 1);
  assert_int_equal(a->stats.side[1].packets, 1);
  assert_int_equal(a->end_reason, FS_END_FIN);
  assert_string_equal(b->stats.history, "Fa");
  assert_string_equal(b->stats.conn_state, "SH");
  assert_string_equal(c->stats.history, "^r");
  assert_string_equal(c->stats.conn_state, "RSTRH");
  assert_int_equal(c->stats.side[0].packets, 0);
  assert_int_equal(c->stats.side[1].packets, 1);
  free(rec.ev);

  /* Off (the default): one flow, the Suricata-style idle timeouts only. */
  rec = run(s, 5, 0);
  assert_int_equal(th_count(&rec, FS_EV_FLOW_ENDED), 1);
  free(rec.ev);
}

/* After a client RST the connection goes 5 s after that packet even though
 * the client keeps sending every second: the 4 s packet is in, the 6.5 s
 * one starts a new connection ("R" OTH, then a new partial "A"). */
static void test_close_delay_is_fixed(void **state) {
  (void)state;
  static const step s[] = {
      {1000 * MS, TH_C2S, S_, 1000, 0},    {1010 * MS, TH_S2C, S_ | A_, 5000, 1001},
      {1020 * MS, TH_C2S, A_, 1001, 5001}, {1030 * MS, TH_C2S, R_ | A_, 1001, 5001},
      {2000 * MS, TH_C2S, A_, 1001, 5001}, {3000 * MS, TH_C2S, A_, 1001, 5001},
      {4000 * MS, TH_C2S, A_, 1001, 5001}, {6500 * MS, TH_C2S, A_, 1001, 5001},
  };
  th_rec rec = run(s, 8, 5 * FS_NS_PER_SEC);
  assert_int_equal(th_count(&rec, FS_EV_FLOW_ENDED), 2);
  const th_ev *a = ended(&rec, 0), *b = ended(&rec, 1);
  assert_string_equal(a->stats.history, "ShAR");
  assert_string_equal(a->stats.conn_state, "RSTO");
  assert_int_equal(a->stats.side[0].packets, 6);
  assert_int_equal(a->end_reason, FS_END_RST);
  assert_string_equal(b->stats.history, "A");
  assert_string_equal(b->stats.conn_state, "OTH");
  free(rec.ev);
}

/* A FIN while the peer is still open does not complete the close: the
 * server's ack 10 s later belongs to the same connection: one connection,
 * "ShAFa", S2 (originator closed, responder established). */
static void test_half_close_stays(void **state) {
  (void)state;
  static const step s[] = {
      {1000 * MS, TH_C2S, S_, 1000, 0},     {1010 * MS, TH_S2C, S_ | A_, 5000, 1001},
      {1020 * MS, TH_C2S, A_, 1001, 5001},  {1030 * MS, TH_C2S, F_ | A_, 1001, 5001},
      {11000 * MS, TH_S2C, A_, 5001, 1002},
  };
  th_rec rec = run(s, 5, 5 * FS_NS_PER_SEC);
  assert_int_equal(th_count(&rec, FS_EV_FLOW_ENDED), 1);
  const th_ev *a = ended(&rec, 0);
  assert_string_equal(a->stats.history, "ShAFa");
  assert_string_equal(a->stats.conn_state, "S2");
  free(rec.ev);
}

/* Zeek 5.1+ (its pull request 2191): a connection whose first packet is a
 * SYN-ACK it did not flip (here 8000 -> 1080, both likely server ports: a
 * SYN-ACK between two server ports keeps its sender as originator) is
 * flipped when the next packet is a pure ACK or data; Zeek writes it as a
 * flip at creation: "^h" then the client's "A" (its baseline
 * core/local-flip). Answered by a RST instead (a stealth scan's reply), it
 * is not flipped: "Hr", REJ. */
static void test_synack_then_ack_flips(void **state) {
  (void)state;
  const th_conn c = {1080, 8000, FS_L4_TCP};
  for (int scan = 0; scan < 2; scan++) {
    th_rec rec = {0};
    fs_tracker *t = th_tracker(&rec, 16);
    assert_non_null(t);
    fs_extract_result sa = th_tcp(&c, TH_S2C, S_ | A_, 5000, 1001, 0, 8192);
    fs_extract_result next =
        scan ? th_tcp(&c, TH_C2S, R_, 1001, 0, 0, 0) : th_tcp(&c, TH_C2S, A_, 1001, 5001, 0, 8192);
    assert_int_equal(th_feed(t, &sa, FS_NS_PER_SEC, NULL), 0);
    assert_int_equal(th_feed(t, &next, FS_NS_PER_SEC + MS, NULL), 0);
    assert_int_equal(fs_tracker_flush(t), 0);
    fs_tracker_destroy(t);
    const th_ev *e = th_last(&rec, FS_EV_FLOW_ENDED);
    assert_non_null(e);
    if (!scan) {
      assert_string_equal(e->stats.history, "^hA");
      assert_int_equal(e->orientation, FS_ORIENT_A_TO_B); /* 10.0.0.1:1080 originates */
      assert_int_equal(e->stats.side[0].packets, 1);      /* its ACK */
      assert_int_equal(e->stats.side[1].packets, 1);      /* the SYN-ACK */
    } else {
      assert_string_equal(e->stats.history, "Hr");
      assert_string_equal(e->stats.conn_state, "REJ");
      assert_int_equal(e->orientation, FS_ORIENT_B_TO_A); /* the SYN-ACK sender */
    }
    free(rec.ev);
  }
}

/* A UDP datagram th_udp builds between 10.0.0.1 (A) and @p b. */
static fs_extract_result udp_to(uint16_t sport, uint16_t dport, const uint8_t b[4]) {
  const th_conn c = {sport, dport, FS_L4_UDP};
  fs_extract_result r = th_udp(&c, TH_C2S, 20);
  memcpy(r.key.addr_b, b, 4);
  return r;
}

static const th_ev *one_udp(th_rec *rec, const fs_extract_result *ex) {
  fs_tracker *t = th_tracker(rec, 16);
  assert_non_null(t);
  assert_int_equal(th_feed(t, ex, FS_NS_PER_SEC, NULL), 0);
  assert_int_equal(fs_tracker_flush(t), 0);
  fs_tracker_destroy(t);
  return th_last(rec, FS_EV_FLOW_ENDED);
}

static void test_udp_orientation(void **state) {
  (void)state;
  static const uint8_t bcast[4] = {255, 255, 255, 255}, host[4] = {10, 0, 0, 2};
  /* DHCP server 10.0.0.1:67 to a client at 68: from a likely server port
   * to one that is not: flipped, the server is the responder: "^d", SHR. */
  th_rec rec = {0};
  fs_extract_result ex = udp_to(67, 68, host);
  const th_ev *e = one_udp(&rec, &ex);
  assert_string_equal(e->stats.history, "^d");
  assert_string_equal(e->stats.conn_state, "SHR");
  free(rec.ev);
  /* The same sent to 255.255.255.255: never flipped: "D", S0. */
  rec = (th_rec){0};
  ex = udp_to(67, 68, bcast);
  e = one_udp(&rec, &ex);
  assert_string_equal(e->stats.history, "D");
  assert_string_equal(e->stats.conn_state, "S0");
  assert_int_equal(e->orientation, FS_ORIENT_A_TO_B);
  free(rec.ev);
  /* From AYIYA's port 5072 to an ephemeral port: flipped. */
  rec = (th_rec){0};
  ex = udp_to(5072, 53796, host);
  e = one_udp(&rec, &ex);
  assert_string_equal(e->stats.history, "^d");
  free(rec.ev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_close_delay_splits), cmocka_unit_test(test_close_delay_is_fixed),
      cmocka_unit_test(test_half_close_stays),   cmocka_unit_test(test_synack_then_ack_flips),
      cmocka_unit_test(test_udp_orientation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
