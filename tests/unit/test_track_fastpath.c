/* SPDX-License-Identifier: MIT */
/*
 * The TCP fast path (flowscope/src/track/tcp_fast.h) must do exactly what
 * the general path does. Two trackers with the same configuration take
 * the same random packet sequences; one has the fast path switched off
 * (the internal no_fast_path switch). After every packet the results must
 * be equal, every event (type, time, side, states, reason, orientation,
 * all stats including history and conn_state) must be equal, and the
 * whole record array (sequence numbers, counters, history, links) must be
 * byte-identical; at the end the counters must be equal too.
 *
 * The sequences are built to reach the edges of the fast path: TCP
 * connections with and without a handshake, mostly in-order data and acks
 * (the fast path's case) mixed with retransmissions, acks that go back,
 * acks beyond the bytes seen (content gaps), sequence numbers that wrap
 * 2^32, acks below the peer's first sequence number, zero windows,
 * truncated payloads, FIN, RST, new SYNs, wild numbers, bad checksums,
 * idle timeouts, eviction at a small max_flows, time going backwards,
 * close timing, and both the per-packet and the batch call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "track/track_internal.h"
#include "track_helpers.h"

static uint64_t rng_state;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 11);
}

/* ---- an event recorder that keeps everything an event says ----------- */

typedef struct ev_copy {
  uint32_t type, side, state, prev_state, end_reason, orientation;
  fs_time_ns ts;
  fs_flow_key key;
  int has_key, has_stats, has_anomaly;
  fs_flow_stats stats;
  uint32_t an_kind;
  uint64_t an_count, an_total;
} ev_copy;

typedef struct ev_log {
  ev_copy *ev;
  size_t n, cap;
} ev_log;

static void log_event(void *self, const fs_event *e) {
  ev_log *l = (ev_log *)self;
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 256;
    l->ev = (ev_copy *)realloc(l->ev, l->cap * sizeof(ev_copy));
  }
  ev_copy *x = &l->ev[l->n++];
  memset(x, 0, sizeof(*x));
  x->type = e->type;
  x->side = e->side;
  x->state = e->state;
  x->prev_state = e->prev_state;
  x->end_reason = e->end_reason;
  x->orientation = e->orientation;
  x->ts = e->ts;
  if (e->key) {
    x->key = *e->key;
    x->has_key = 1;
  }
  if (e->stats) {
    x->stats = *e->stats;
    x->has_stats = 1;
  }
  if (e->anomaly) {
    x->has_anomaly = 1;
    x->an_kind = e->anomaly->kind;
    x->an_count = e->anomaly->count;
    x->an_total = e->anomaly->total;
  }
}

static const fs_event_sink_ops log_ops = {sizeof(fs_event_sink_ops), 0, log_event, NULL, NULL};

/* ---- random TCP conversations ----------------------------------------- */

#define NCONN 24

typedef struct conv {
  uint32_t next[2]; /* next sequence number of client (0) and server (1) */
  int phase;        /* 0 new, 1 SYN sent, 2 SYN-ACK sent, 3 open, 4 closing */
} conv;

static conv cv[NCONN];
static uint8_t bad_ip[1600]; /* an IPv4 header with a wrong TCP checksum */

static uint32_t pick_isn(void) {
  uint32_t r = rnd() % 4;
  if (r == 0)
    return 0xFFFFFFFFu - rnd() % 6000u; /* wraps 2^32 within a few segments */
  if (r == 1)
    return rnd() % 3000u; /* acks just below it underflow */
  return rnd() * 2654435761u;
}

/* One packet of conversation k: a handshake (or a pickup), then mostly the
 * fast path's in-order segments with every kind of disturbance mixed in. */
static fs_extract_result next_packet(void) {
  uint32_t k = (rnd() % 4 == 0) ? rnd() % NCONN : rnd() % 6; /* 6 busy ones */
  conv *c = &cv[k];
  th_conn tc = {(uint16_t)(2000 + k), (uint16_t)((k % 4) ? 80 : 9000 + k), FS_L4_TCP};
  if (c->phase == 0) {
    c->next[0] = pick_isn();
    c->next[1] = pick_isn();
    uint32_t how = rnd() % 8;
    if (how < 5) { /* a handshake */
      c->phase = 1;
      return th_tcp(&tc, TH_C2S, FS_TCP_SYN, c->next[0]++, 0, 0, 1000);
    }
    if (how < 6) { /* a SYN-ACK first */
      c->phase = 2;
      return th_tcp(&tc, TH_S2C, FS_TCP_SYN | FS_TCP_ACK, c->next[1]++, c->next[0], 0, 1000);
    }
    c->phase = 3; /* picked up mid-stream */
  } else if (c->phase == 1) {
    c->phase = 2;
    return th_tcp(&tc, TH_S2C, FS_TCP_SYN | FS_TCP_ACK, c->next[1]++, c->next[0], 0, 1000);
  } else if (c->phase == 2) {
    c->phase = 3;
    return th_tcp(&tc, TH_C2S, FS_TCP_ACK, c->next[0], c->next[1], 0, 1000);
  } else if (c->phase == 4 && rnd() % 16 == 0) {
    c->phase = 0; /* a new connection on the same key */
    return next_packet();
  }
  int dir = (int)(rnd() & 1);
  uint32_t *mine = &c->next[dir], peer = c->next[dir ^ 1];
  uint32_t r = rnd() % 1000;
  uint32_t len = (rnd() % 3 == 0) ? 0 : 1 + rnd() % 1400;
  uint8_t fl = FS_TCP_ACK;
  if (rnd() % 2)
    fl |= FS_TCP_PSH;
  if (rnd() % 40 == 0)
    fl |= (uint8_t)(rnd() % 2 ? FS_TCP_URG : FS_TCP_ECE | FS_TCP_CWR);
  uint32_t seq = *mine, ack = peer;
  uint16_t win = 1000;
  if (r < 800) {
    /* in order */
  } else if (r < 850) {
    seq -= 1 + rnd() % 3000; /* a retransmission or reordering */
    len = len ? len : 100;
  } else if (r < 890) {
    ack -= rnd() % 3000; /* an old ack */
  } else if (r < 905) {
    ack += 1 + rnd() % 5000; /* acks bytes never seen: a gap */
  } else if (r < 925) {
    win = 0;
  } else if (r < 930) {
    ack = rnd(); /* wild ack */
  } else if (r < 935) {
    seq = rnd(); /* wild seq */
  } else if (r < 945) {
    fl = FS_TCP_FIN | FS_TCP_ACK;
    c->phase = 4;
  } else if (r < 950) {
    fl = (uint8_t)(rnd() % 2 ? FS_TCP_RST : FS_TCP_RST | FS_TCP_ACK);
    len = 0;
    c->phase = 4;
  } else if (r < 953) {
    /* a SYN in the middle: a new connection or a confused sender */
    return th_tcp(&tc, dir, FS_TCP_SYN, rnd() % 3 ? pick_isn() : seq, 0, 0, 1000);
  } else if (r < 958) {
    static const uint8_t odd[] = {0,
                                  FS_TCP_PSH,
                                  FS_TCP_SYN | FS_TCP_ACK,
                                  FS_TCP_SYN | FS_TCP_FIN,
                                  FS_TCP_FIN | FS_TCP_RST,
                                  FS_TCP_FIN};
    fl = odd[rnd() % sizeof(odd)];
  } else if (r < 980) {
    len = 0; /* pure ack */
    fl = FS_TCP_ACK;
  }
  fs_extract_result x = th_tcp(&tc, dir, fl, seq, ack, len, win);
  if (len && rnd() % 30 == 0)
    x.tcp.payload_len = x.payload_len = len / 2; /* cut by the snapshot length */
  else if (rnd() % 60 == 0)
    x.tcp.payload_wire_len = len / 2; /* a broken IP length: captured > wire */
  if (rnd() % 100 == 0) {
    x.l3 = bad_ip; /* checksum zero over a header that needs another: bad */
    x.l3_len = x.ip_len;
  }
  if ((int32_t)(seq + len - *mine) > 0)
    *mine = seq + len;
  if (fl & FS_TCP_FIN)
    *mine += 1;
  return x;
}

/* ---- lockstep comparison ---------------------------------------------- */

static void same_result(const fs_track_result *a, const fs_track_result *b, int stats) {
  assert_int_equal(a->side, b->side);
  assert_int_equal(a->is_new, b->is_new);
  assert_int_equal(a->state, b->state);
  assert_int_equal(a->flow_id, b->flow_id);
  assert_int_equal(a->ended, b->ended);
  assert_int_equal(a->user == NULL, b->user == NULL);
  assert_memory_equal(a->key, b->key, sizeof(fs_flow_key));
  assert_int_equal(a->stats == NULL, b->stats == NULL);
  if (stats && a->stats)
    assert_memory_equal(a->stats, b->stats, sizeof(fs_flow_stats));
}

/* Compares the events logged since the last call (from *done on). */
static void same_events(const ev_log *a, const ev_log *b, size_t *done) {
  assert_int_equal(a->n, b->n);
  for (size_t i = *done; i < a->n; i++)
    assert_memory_equal(&a->ev[i], &b->ev[i], sizeof(ev_copy));
  *done = a->n;
}

static void same_tables(const fs_tracker *a, const fs_tracker *b) {
  assert_int_equal(a->next_unused, b->next_unused);
  assert_memory_equal(a->recs, b->recs, (size_t)a->next_unused * sizeof(fsi_flow));
  assert_memory_equal(a->slots, b->slots, (size_t)a->nslots * sizeof(uint32_t));
  assert_memory_equal(a->tw_head, b->tw_head, sizeof(a->tw_head));
  assert_int_equal(a->lru_head, b->lru_head);
  assert_int_equal(a->lru_tail, b->lru_tail);
  assert_int_equal(a->free_head, b->free_head);
  assert_int_equal(a->live, b->live);
  assert_int_equal(a->now_tick, b->now_tick);
}

static void same_counters(const fs_tracker *a, const fs_tracker *b) {
  fs_tracker_counters ca = {.struct_size = sizeof(ca)}, cb = {.struct_size = sizeof(cb)};
  fs_tracker_counters_get(a, &ca);
  fs_tracker_counters_get(b, &cb);
  assert_memory_equal(&ca, &cb, sizeof(ca));
}

/* Runs one seeded sequence through both trackers; returns the share (per
 * mille) of packets the fast path took. */
static uint32_t run_pair(uint64_t seed, uint32_t npkts) {
  rng_state = seed;
  memset(cv, 0, sizeof(cv));
  fs_tracker_config cfg;
  fs_tracker_config_default(&cfg);
  cfg.max_flows = (seed % 3 == 0) ? 12 : 64; /* 12 < NCONN: eviction */
  cfg.timeouts[FS_TIMEOUT_TCP] =
      (fs_timeout_class){2 * FS_NS_PER_SEC, 6 * FS_NS_PER_SEC, (seed & 4) ? FS_NS_PER_SEC : 0};
  cfg.result_stats = (uint32_t)(seed & 1);
  cfg.monotonic = (uint32_t)((seed >> 1) & 1);
  cfg.tcp_close_delay = (seed & 8) ? 5 * FS_NS_PER_SEC : 0;
  cfg.syn_attempt_timeout = (seed & 16) ? 3 * FS_NS_PER_SEC : 0;
  cfg.verify_checksums = (uint32_t)((seed >> 5) & 1);
  cfg.emit_packet_events = 1;
  const int batch = (seed >> 6) & 1;
  ev_log la = {0}, lb = {0};
  size_t done = 0;
  fs_tracker *fast = NULL, *slow = NULL;
  cfg.sink.ops = &log_ops;
  cfg.sink.self = &la;
  assert_int_equal(fs_tracker_create(&fast, &cfg, NULL), 0);
  cfg.sink.self = &lb;
  assert_int_equal(fs_tracker_create(&slow, &cfg, NULL), 0);
  slow->no_fast_path = 1;

  enum { B = 16 };
  fs_extract_result xs[B];
  fs_packet_view pv[B];
  uint32_t nb = 0;
  fs_time_ns ts = 5000 * FS_NS_PER_SEC;
  for (uint32_t i = 0; i < npkts; i++) {
    uint32_t r = rnd() % 1000;
    if (r < 5)
      ts -= (rnd() % 2000) * 1000000ull; /* backwards */
    else if (r < 12)
      ts += (1 + rnd() % 8) * FS_NS_PER_SEC; /* idle long enough to time out */
    else
      ts += rnd() % 3000000;
    xs[nb] = next_packet();
    memset(&pv[nb], 0, sizeof(pv[nb]));
    pv[nb].struct_size = sizeof(pv[nb]);
    pv[nb].ts = ts;
    nb++;
    if (batch) {
      if (nb == B || i + 1 == npkts) {
        assert_int_equal(fs_tracker_track_batch(fast, pv, xs, nb), 0);
        assert_int_equal(fs_tracker_track_batch(slow, pv, xs, nb), 0);
        nb = 0;
      }
    } else {
      fs_track_result ra, rb;
      memset(&ra, 0, sizeof(ra));
      memset(&rb, 0, sizeof(rb));
      ra.struct_size = rb.struct_size = sizeof(ra);
      assert_int_equal(fs_tracker_track(fast, &pv[0], &xs[0], &ra), 0);
      assert_int_equal(fs_tracker_track(slow, &pv[0], &xs[0], &rb), 0);
      same_result(&ra, &rb, (int)cfg.result_stats);
      nb = 0;
    }
    if (nb == 0) {
      same_events(&la, &lb, &done);
      same_tables(fast, slow);
    }
  }
  assert_int_equal(fs_tracker_flush(fast), 0);
  assert_int_equal(fs_tracker_flush(slow), 0);
  same_events(&la, &lb, &done);
  same_counters(fast, slow);
  assert_int_equal(slow->fast_packets, 0);
  uint32_t share = (uint32_t)(fast->fast_packets * 1000u / npkts);
  if (getenv("FS_FASTPATH_VERBOSE"))
    print_message("seed %llx: %u per mille fast, %zu events\n", (unsigned long long)seed, share,
                  la.n);
  free(la.ev);
  free(lb.ev);
  fs_tracker_destroy(fast);
  fs_tracker_destroy(slow);
  return share;
}

static void test_fast_equals_general(void **state) {
  (void)state;
  bad_ip[0] = 0x45; /* IPv4, 20-byte header; all else zero */
  uint64_t fast_total = 0;
  for (uint64_t seed = 1; seed <= 128; seed++)
    fast_total += run_pair(seed * 0x9E3779B97F4A7C15ull + seed, 3000);
  /* The sequences must reach the fast path often, or the test shows
   * nothing: about half the packets are in-order segments of established
   * connections. */
  print_message("fast path: %llu per mille of the packets\n",
                (unsigned long long)(fast_total / 128));
  assert_true(fast_total / 128 >= 100);
}

/* A hand-built conversation: after the handshake and the first data each
 * way, in-order segments take the fast path; the result is what Zeek writes
 * for it (ShADda, S1 while open; payload from the sequence numbers). */
static void test_fast_path_taken(void **state) {
  (void)state;
  th_rec rec = {0};
  fs_tracker *t = th_tracker(&rec, 16);
  assert_non_null(t);
  th_conn c = {40000, 80, FS_L4_TCP};
  fs_time_ns ts = FS_NS_PER_SEC;
  fs_extract_result x[] = {
      th_tcp(&c, TH_C2S, FS_TCP_SYN, 100, 0, 0, 1000),                 /* S */
      th_tcp(&c, TH_S2C, FS_TCP_SYN | FS_TCP_ACK, 500, 101, 0, 1000),  /* h */
      th_tcp(&c, TH_C2S, FS_TCP_ACK, 101, 501, 0, 1000),               /* A: acks the SYN-ACK */
      th_tcp(&c, TH_C2S, FS_TCP_ACK | FS_TCP_PSH, 101, 501, 10, 1000), /* D */
      th_tcp(&c, TH_S2C, FS_TCP_ACK | FS_TCP_PSH, 501, 111, 20, 1000), /* d */
      th_tcp(&c, TH_C2S, FS_TCP_ACK, 111, 521, 0, 1000),               /* fast: ack only */
      th_tcp(&c, TH_C2S, FS_TCP_ACK | FS_TCP_PSH, 111, 521, 30, 1000), /* fast: data */
      th_tcp(&c, TH_S2C, FS_TCP_ACK, 521, 141, 0, 1000), /* general: 'a' not yet seen */
      th_tcp(&c, TH_S2C, FS_TCP_ACK | FS_TCP_PSH, 521, 141, 5, 1000), /* fast */
  };
  const uint64_t want_fast[] = {0, 0, 0, 0, 0, 1, 2, 2, 3};
  fs_track_result res;
  for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
    assert_int_equal(th_feed(t, &x[i], ts += 1000, &res), 0);
    assert_int_equal(t->fast_packets, want_fast[i]);
  }
  fs_flow_stats st;
  assert_int_equal(fs_tracker_lookup(t, &x[0].key, &st), 0);
  assert_string_equal(st.history, "ShADda");
  assert_string_equal(st.conn_state, "S1");
  assert_int_equal(st.state, FS_STATE_ESTABLISHED);
  assert_int_equal(st.side[0].packets, 5);
  assert_int_equal(st.side[1].packets, 4);
  assert_int_equal(st.side[0].payload_bytes, 40); /* 10 + 30 */
  assert_int_equal(st.side[1].payload_bytes, 25); /* 20 + 5 */
  fs_tracker_destroy(t);
  free(rec.ev);
}

/* Feeds hand-built packets to a tracker with and one without the fast
 * path; the records must stay byte-identical after every packet. */
static void lockstep(const fs_extract_result *x, size_t n, uint64_t want_fast) {
  fs_tracker_config cfg;
  fs_tracker_config_default(&cfg);
  cfg.max_flows = 4;
  fs_tracker *fast = NULL, *slow = NULL;
  assert_int_equal(fs_tracker_create(&fast, &cfg, NULL), 0);
  assert_int_equal(fs_tracker_create(&slow, &cfg, NULL), 0);
  slow->no_fast_path = 1;
  fs_time_ns ts = FS_NS_PER_SEC;
  for (size_t i = 0; i < n; i++) {
    fs_track_result ra, rb;
    ts += 1000;
    assert_int_equal(th_feed(fast, &x[i], ts, &ra), 0);
    assert_int_equal(th_feed(slow, &x[i], ts, &rb), 0);
    same_result(&ra, &rb, 1);
    same_tables(fast, slow);
  }
  assert_int_equal(fast->fast_packets, want_fast);
  fs_tracker_destroy(fast);
  fs_tracker_destroy(slow);
}

/* Acks the random sequences rarely produce. The server's stream jumps
 * ahead twice by 2^30 (trusted: data without SYN/RST), so that an ack can
 * lie more than 2^31 past the server's first sequence number while within
 * the bytes seen: Zeek's relative-sequence arithmetic calls that an
 * underflow and ignores the ack, and so must the fast path (it leaves it to
 * the general one). Then acks across 2^32 on a connection whose numbers
 * wrap. */
static void test_fast_path_edges(void **state) {
  (void)state;
  th_conn c = {40001, 80, FS_L4_TCP};
  const uint32_t jump = 0x40000000u;
  fs_extract_result far[] = {
      th_tcp(&c, TH_C2S, FS_TCP_SYN, 100, 0, 0, 1000),
      th_tcp(&c, TH_S2C, FS_TCP_SYN | FS_TCP_ACK, 1000, 101, 0, 1000),
      th_tcp(&c, TH_C2S, FS_TCP_ACK, 101, 1001, 0, 1000),
      th_tcp(&c, TH_C2S, FS_TCP_ACK, 101, 1001, 10, 1000),            /* D */
      th_tcp(&c, TH_S2C, FS_TCP_ACK, 1001, 111, 10, 1000),            /* d */
      th_tcp(&c, TH_S2C, FS_TCP_ACK, 1011 + jump, 111, 10, 1000),     /* fast: last_seq jumps */
      th_tcp(&c, TH_S2C, FS_TCP_ACK, 1021 + 2 * jump, 111, 10, 1000), /* fast: again */
      th_tcp(&c, TH_C2S, FS_TCP_ACK, 111, 0x70000000u, 0, 1000),      /* fast: ack moves */
      th_tcp(&c, TH_C2S, FS_TCP_ACK, 111, 0x80000400u, 0, 1000),      /* underflow: general */
      th_tcp(&c, TH_C2S, FS_TCP_ACK, 111, 0x80000410u, 0, 1000),      /* general again */
  };
  lockstep(far, sizeof(far) / sizeof(far[0]), 3);

  /* The server's numbers cross 2^32: its last_seq wraps in the fast path,
   * and the client's acks then wrap (general path, once). */
  const uint32_t isn = 0xFFFFFF00u;
  fs_extract_result wrap[] = {
      th_tcp(&c, TH_C2S, FS_TCP_SYN, 100, 0, 0, 1000),
      th_tcp(&c, TH_S2C, FS_TCP_SYN | FS_TCP_ACK, isn, 101, 0, 1000),
      th_tcp(&c, TH_C2S, FS_TCP_ACK, 101, isn + 1, 0, 1000),
      th_tcp(&c, TH_C2S, FS_TCP_ACK, 101, isn + 1, 10, 1000),    /* D */
      th_tcp(&c, TH_S2C, FS_TCP_ACK, isn + 1, 111, 100, 1000),   /* d */
      th_tcp(&c, TH_S2C, FS_TCP_ACK, isn + 101, 111, 200, 1000), /* fast: seq wraps */
      th_tcp(&c, TH_C2S, FS_TCP_ACK, 111, isn + 101, 0, 1000),   /* fast: ack moves */
      th_tcp(&c, TH_C2S, FS_TCP_ACK, 111, isn + 301, 0, 1000),   /* ack wraps: general */
      th_tcp(&c, TH_S2C, FS_TCP_ACK, isn + 301, 111, 100, 1000), /* fast */
      th_tcp(&c, TH_C2S, FS_TCP_ACK, 111, isn + 401, 0, 1000),   /* fast: wrapped ack */
      th_tcp(&c, TH_C2S, FS_TCP_ACK, 111, isn + 501, 0, 1000),   /* beyond: gap, general */
      th_tcp(&c, TH_S2C, FS_TCP_ACK, isn + 201, 111, 100, 1000), /* fast: retransmission */
      th_tcp(&c, TH_S2C, FS_TCP_ACK | FS_TCP_PSH, isn + 401, 111, 100, 0), /* fast: zero window */
  };
  lockstep(wrap, sizeof(wrap) / sizeof(wrap[0]), 6);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fast_path_taken),
      cmocka_unit_test(test_fast_path_edges),
      cmocka_unit_test(test_fast_equals_general),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
