/* SPDX-License-Identifier: MIT */
/*
 * Test helpers for the tracker: hand-built fs_extract_result values for a
 * client and a server, and a sink that records every event.
 */
#ifndef FS_TEST_TRACK_HELPERS_H
#define FS_TEST_TRACK_HELPERS_H

#include <stdlib.h>
#include <string.h>

#include "flowscope/flowscope.h"

/* Client 10.0.0.1:cport, server 10.0.0.2:sport. The client has the lower
 * address, so in the canonical key it is A and client->server is A_TO_B. */
typedef struct th_conn {
  uint16_t cport, sport;
  uint8_t proto;
} th_conn;

/* Direction of a hand-built packet. */
enum { TH_C2S = 0, TH_S2C = 1 };

static inline void th_key(fs_flow_key *k, const th_conn *c) {
  memset(k, 0, sizeof(*k));
  k->kind = FS_KEY_FIVE_TUPLE_V4;
  k->proto = c->proto;
  k->port_a = c->cport;
  k->port_b = c->sport;
  k->addr_a[0] = 10, k->addr_a[3] = 1;
  k->addr_b[0] = 10, k->addr_b[3] = 2;
}

/* A TCP segment: direction, flags, seq, ack, payload length, window. The
 * IP total length is 20 (IPv4) + 20 (TCP) + payload. */
static inline fs_extract_result th_tcp(const th_conn *c, int dir, uint8_t flags, uint32_t seq,
                                       uint32_t ack, uint32_t len, uint16_t win) {
  fs_extract_result r;
  memset(&r, 0, sizeof(r));
  r.struct_size = sizeof(r);
  th_key(&r.key, c);
  r.orientation = dir == TH_C2S ? FS_ORIENT_A_TO_B : FS_ORIENT_B_TO_A;
  r.l4proto = FS_L4_TCP;
  r.has_tcp = 1;
  r.tcp.seq = seq;
  r.tcp.ack = ack;
  r.tcp.flags = flags;
  r.tcp.window = win;
  r.tcp.header_len = 20;
  r.tcp.payload_len = len;
  r.tcp.payload_wire_len = len;
  r.payload_len = len;
  r.ip_len = 40 + len;
  r.ip_version = 4;
  return r;
}

/* A UDP datagram with `len` payload bytes (IP total length 28 + len). */
static inline fs_extract_result th_udp(const th_conn *c, int dir, uint32_t len) {
  fs_extract_result r;
  memset(&r, 0, sizeof(r));
  r.struct_size = sizeof(r);
  th_key(&r.key, c);
  r.orientation = dir == TH_C2S ? FS_ORIENT_A_TO_B : FS_ORIENT_B_TO_A;
  r.l4proto = FS_L4_UDP;
  r.payload_len = len;
  r.ip_len = 28 + len;
  r.ip_version = 4;
  return r;
}

/* One recorded event (a copy: events are borrowed). */
typedef struct th_ev {
  uint32_t type, state, prev_state, end_reason, side, orientation;
  uint64_t flow_id;
  const void *flow_user;
  fs_flow_stats stats;
  fs_anomaly anomaly;
  int has_stats;
} th_ev;

typedef struct th_rec {
  th_ev *ev;
  size_t n, cap;
} th_rec;

static inline void th_on_event(void *self, const fs_event *e) {
  th_rec *r = (th_rec *)self;
  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 64;
    r->ev = (th_ev *)realloc(r->ev, r->cap * sizeof(th_ev));
  }
  th_ev *x = &r->ev[r->n++];
  memset(x, 0, sizeof(*x));
  x->type = e->type;
  x->state = e->state;
  x->prev_state = e->prev_state;
  x->end_reason = e->end_reason;
  x->side = e->side;
  x->orientation = e->orientation;
  x->flow_user = e->flow_user;
  if (e->stats) {
    x->stats = *e->stats;
    x->flow_id = e->stats->flow_id;
    x->has_stats = 1;
  }
  if (e->anomaly)
    x->anomaly = *e->anomaly;
}

static const fs_event_sink_ops th_sink_ops = {sizeof(fs_event_sink_ops), 0, th_on_event, NULL,
                                              NULL};

static inline fs_tracker *th_tracker(th_rec *rec, uint32_t max_flows) {
  fs_tracker_config cfg;
  fs_tracker_config_default(&cfg);
  if (max_flows)
    cfg.max_flows = max_flows;
  cfg.sink.ops = &th_sink_ops;
  cfg.sink.self = rec;
  fs_tracker *t = NULL;
  char err[FS_ERRBUF_SIZE];
  if (fs_tracker_create(&t, &cfg, err) != 0)
    return NULL;
  return t;
}

/* Feeds one packet at time `ts_ns`. */
static inline int th_feed(fs_tracker *t, const fs_extract_result *ex, fs_time_ns ts_ns,
                          fs_track_result *res) {
  fs_packet_view pv;
  memset(&pv, 0, sizeof(pv));
  pv.struct_size = sizeof(pv);
  pv.ts = ts_ns;
  if (res) {
    memset(res, 0, sizeof(*res));
    res->struct_size = sizeof(*res);
  }
  return fs_tracker_track(t, &pv, ex, res);
}

/* The last event of a type, or NULL. */
static inline const th_ev *th_last(const th_rec *r, uint32_t type) {
  for (size_t i = r->n; i > 0; i--)
    if (r->ev[i - 1].type == type)
      return &r->ev[i - 1];
  return NULL;
}

static inline size_t th_count(const th_rec *r, uint32_t type) {
  size_t n = 0;
  for (size_t i = 0; i < r->n; i++)
    n += r->ev[i].type == type;
  return n;
}

#endif /* FS_TEST_TRACK_HELPERS_H */
