/* SPDX-License-Identifier: MIT */
/*
 * FS_PARSE_HANDOFF through the driver over hand-built packets. An "up"
 * parser (lines "U:..."; "U:SWITCH" hands off) is followed by the "line"
 * parser of driver_test_parser.h ("L:..." lines): the bytes after the
 * switch line and the other side's unconsumed bytes reach the new parser in
 * order, whole or fed in 1-3 byte pieces. Six parsers that all claim "X"
 * and hand off at once show the protocol that handed off is not chosen
 * again and the per-flow bound (4) with its counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flowscope/flowscope.h"
#include "driver_test_parser.h"
#include "tcp_frames.h"

#define SEC FS_NS_PER_SEC
#define T0 (1700000000ull * SEC)

/* ---- "up": one message per "U:" line; stops consuming at any other line ---- */

static void *up_create(const fs_parser_env *env) {
  line_parser *p = calloc(1, sizeof *p);
  if (p)
    p->env = env;
  return p;
}

static int up_feed(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts,
                   size_t *consumed) {
  size_t start = 0;
  *consumed = 0;
  for (size_t i = 0; i < len; i++) {
    if (data[i] != '\n')
      continue;
    size_t n = i - start;
    if (n < 2 || memcmp(data + start, "U:", 2) != 0)
      return FS_PARSE_OK; /* not ours: left with the host */
    line_emit(self, side, data + start, n, ts);
    start = i + 1;
    *consumed = start;
    if (n == 8 && memcmp(data + start - 9, "U:SWITCH", 8) == 0)
      return FS_PARSE_HANDOFF;
  }
  return FS_PARSE_OK;
}

static void up_finish(void *self, fs_time_ns ts) {
  static const uint8_t end[] = "up-finish";
  line_emit(self, 0, end, 9, ts);
}

static uint32_t up_probe(const uint8_t *data, size_t len, uint32_t side) {
  (void)side;
  if (len < 2)
    return FS_PROBE_NEED_MORE;
  return data[0] == 'U' && data[1] == ':' ? FS_PROBE_YES : FS_PROBE_NO;
}

static const fs_session_parser_ops up_ops = {
    .struct_size = sizeof(fs_session_parser_ops),
    .create = up_create,
    .feed = up_feed,
    .gap = line_gap,
    .finish = up_finish,
    .poison_reason = line_reason,
    .destroy = line_destroy,
};

static const fs_protocol_desc up_proto = {
    .struct_size = sizeof(fs_protocol_desc),
    .transports = FS_TRANSPORT_TCP,
    .name = "up",
    .probe_max_bytes = 16,
    .probe = up_probe,
    .session = &up_ops,
};

/* ---- h0..h5: claim "X", emit their name, hand off without consuming ---- */

typedef struct h_parser {
  line_parser base; /* first: the line helpers take a pointer to it */
  const char *name;
} h_parser;

static int h_feed(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts,
                  size_t *consumed) {
  h_parser *h = self;
  (void)data;
  (void)len;
  *consumed = 0;
  line_emit(&h->base, side, (const uint8_t *)h->name, 2, ts);
  return FS_PARSE_HANDOFF;
}

static void h_finish(void *self, fs_time_ns ts) {
  (void)self;
  (void)ts;
}

static uint32_t h_probe(const uint8_t *data, size_t len, uint32_t side) {
  (void)side;
  return len > 0 && data[0] == 'X' ? FS_PROBE_YES : FS_PROBE_NO;
}

#define H_PROTO(N)                                                                                 \
  static void *h##N##_create(const fs_parser_env *env) {                                           \
    h_parser *h = calloc(1, sizeof *h);                                                            \
    if (h) {                                                                                       \
      h->base.env = env;                                                                           \
      h->name = "h" #N;                                                                            \
    }                                                                                              \
    return h;                                                                                      \
  }                                                                                                \
  static const fs_session_parser_ops h##N##_ops = {                                                \
      .struct_size = sizeof(fs_session_parser_ops),                                                \
      .create = h##N##_create,                                                                     \
      .feed = h_feed,                                                                              \
      .gap = line_gap,                                                                             \
      .finish = h_finish,                                                                          \
      .poison_reason = line_reason,                                                                \
      .destroy = line_destroy,                                                                     \
  };                                                                                               \
  static const fs_protocol_desc h##N##_proto = {                                                   \
      .struct_size = sizeof(fs_protocol_desc),                                                     \
      .transports = FS_TRANSPORT_TCP,                                                              \
      .name = "h" #N,                                                                              \
      .probe_max_bytes = 16,                                                                       \
      .probe = h_probe,                                                                            \
      .session = &h##N##_ops,                                                                      \
  };

H_PROTO(0)
H_PROTO(1)
H_PROTO(2)
H_PROTO(3)
H_PROTO(4)
H_PROTO(5)

/* ---- running packets ---- */

static const tf_conn conn = {{192, 168, 0, 1}, {192, 168, 0, 2}, 40001, 7777};

static fs_driver_counters run(const fs_protocol_desc *const *protos, uint32_t n_protos,
                              const tf_frame *fr, size_t n, rec *r, uint32_t split) {
  memset(r, 0, sizeof *r);
  fs_driver_config cfg;
  fs_driver_config_default(&cfg);
  cfg.mode = FS_DRIVE_SESSIONS;
  cfg.extra_protocols = protos;
  cfg.n_extra_protocols = n_protos;
  cfg.tracker.max_flows = 64;
  cfg.split_feed = split;
  cfg.split_seed = 7;
  cfg.sink.ops = &rec_ops;
  cfg.sink.self = r;
  fs_driver *d = NULL;
  char err[FS_ERRBUF_SIZE];
  if (fs_driver_create(&d, &cfg, err) != 0)
    fail_msg("fs_driver_create: %s", err);
  for (size_t i = 0; i < n; i++) {
    fs_packet_view v = tf_view(&fr[i]);
    assert_int_equal(fs_driver_feed(d, &v), 0);
  }
  assert_int_equal(fs_driver_finish(d), 0);
  fs_driver_counters c;
  memset(&c, 0, sizeof c);
  c.struct_size = sizeof c;
  fs_driver_counters_get(d, &c);
  fs_driver_destroy(d);
  return c;
}

/* Handshake, then client (dir 0) and server (dir 1) data segments, then FINs. */
static size_t build(tf_frame *fr, const char *c1, const char *s1, const char *c2) {
  size_t n = 0;
  uint32_t cs = 1000, ss = 5000;
  fs_time_ns t = T0;
  tf_tcp(&fr[n++], &conn, 0, cs, 0, FS_TCP_SYN, NULL, 0, t);
  tf_tcp(&fr[n++], &conn, 1, ss, cs + 1, FS_TCP_SYN | FS_TCP_ACK, NULL, 0, t += 1000);
  cs++, ss++;
  tf_tcp(&fr[n++], &conn, 0, cs, ss, FS_TCP_ACK, NULL, 0, t += 1000);
  const char *parts[3] = {c1, s1, c2};
  const int dirs[3] = {0, 1, 0};
  for (int i = 0; i < 3; i++) {
    if (parts[i] == NULL)
      continue;
    uint32_t len = (uint32_t)strlen(parts[i]);
    uint32_t *seq = dirs[i] ? &ss : &cs;
    tf_tcp(&fr[n++], &conn, dirs[i], *seq, dirs[i] ? cs : ss, FS_TCP_ACK | FS_TCP_PSH, parts[i],
           len, t += 1000);
    *seq += len;
  }
  tf_tcp(&fr[n++], &conn, 0, cs, ss, FS_TCP_FIN | FS_TCP_ACK, NULL, 0, t += 1000);
  tf_tcp(&fr[n++], &conn, 1, ss, cs + 1, FS_TCP_FIN | FS_TCP_ACK, NULL, 0, t += 1000);
  tf_tcp(&fr[n++], &conn, 0, cs + 1, ss + 1, FS_TCP_ACK, NULL, 0, t += 1000);
  return n;
}

static int find(const rec *r, const char *line) {
  for (int i = 0; i < r->n; i++)
    if (strcmp(r->log[i], line) == 0)
      return i;
  return -1;
}

/* The server's "L:srv" line waits unconsumed by "up" (it is no "U:" line);
 * the client's "L:one" follows "U:SWITCH" in the same segment. */
static void test_handoff_to_line(void **state) {
  (void)state;
  static const fs_protocol_desc *const protos[] = {&up_proto, &line_proto};
  tf_frame fr[16];
  size_t n = build(fr, "U:hello\n", "U:ok\nL:srv\n", "U:SWITCH\nL:one\n");
  static const char *const want[] = {
      "start",       "msg 0 U:hello", "msg 1 U:ok",   "msg 0 U:SWITCH",          "msg 0 up-finish",
      "msg 1 L:srv", "msg 0 L:one",   "msg 0 finish", "end fin service=up,line",
  };
  for (uint32_t split = 0; split <= 3; split += 3) {
    rec r;
    fs_driver_counters c = run(protos, 2, fr, n, &r, split);
    assert_int_equal(r.n, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < r.n; i++)
      assert_string_equal(r.log[i], want[i]);
    assert_int_equal(c.handoffs, 1);
    assert_int_equal(c.handoffs_refused, 0);
    assert_int_equal(c.detect_unclaimed, 0);
    assert_int_equal(c.messages, 7);
  }
}

/* The switch arrives behind a hole and reaches the parser only when the
 * flow ends (the reassembler flushes the hole and what follows): the flow
 * end must finish the parser chosen then ("line"), not the one it started
 * with. (The end event's stats were taken before that, so its service is
 * still the first protocol.) */
static void test_handoff_at_flow_end(void **state) {
  (void)state;
  static const fs_protocol_desc *const protos[] = {&up_proto, &line_proto};
  tf_frame fr[8];
  size_t n = 0;
  uint32_t cs = 1000, ss = 5000;
  tf_tcp(&fr[n++], &conn, 0, cs, 0, FS_TCP_SYN, NULL, 0, T0);
  tf_tcp(&fr[n++], &conn, 1, ss, cs + 1, FS_TCP_SYN | FS_TCP_ACK, NULL, 0, T0 + 1000);
  cs++, ss++;
  tf_tcp(&fr[n++], &conn, 0, cs, ss, FS_TCP_ACK, NULL, 0, T0 + 2000);
  tf_tcp(&fr[n++], &conn, 0, cs, ss, FS_TCP_ACK | FS_TCP_PSH, "U:hello\n", 8, T0 + 3000);
  /* 4 bytes never seen, then the switch line and a line of the next protocol */
  tf_tcp(&fr[n++], &conn, 0, cs + 8 + 4, ss, FS_TCP_ACK | FS_TCP_PSH, "U:SWITCH\nL:one\n", 15,
         T0 + 4000);
  rec r;
  fs_driver_counters c = run(protos, 2, fr, n, &r, 0);
  static const char *const want[] = {
      "start",       "msg 0 U:hello", "msg 0 U:SWITCH",       "msg 0 up-finish",
      "msg 0 L:one", "msg 0 finish",  "end flush service=up",
  };
  assert_int_equal(r.n, (int)(sizeof want / sizeof want[0]));
  for (int i = 0; i < r.n; i++)
    assert_string_equal(r.log[i], want[i]);
  assert_int_equal(c.handoffs, 1);
}

/* Nothing else claims the bytes after the switch: they are not parsed, and
 * the flow (claimed by "up") is not counted as unclaimed. */
static void test_handoff_unclaimed_rest(void **state) {
  (void)state;
  static const fs_protocol_desc *const protos[] = {&up_proto};
  tf_frame fr[16];
  size_t n = build(fr, "U:SWITCH\nzzz\n", NULL, "more\n");
  rec r;
  fs_driver_counters c = run(protos, 1, fr, n, &r, 0);
  assert_int_equal(c.handoffs, 1);
  assert_int_equal(c.messages, 2); /* U:SWITCH, up-finish */
  assert_int_equal(c.detect_unclaimed, 0);
  assert_true(find(&r, "end fin service=up") >= 0);
}

/* Each h hands off at once: h0..h3 are replaced (4 hand-offs, each one
 * excluded afterwards), h4's hand-off is past the bound and acts as DONE. */
static void test_handoff_bound(void **state) {
  (void)state;
  static const fs_protocol_desc *const protos[] = {&h0_proto, &h1_proto, &h2_proto,
                                                   &h3_proto, &h4_proto, &h5_proto};
  tf_frame fr[16];
  size_t n = build(fr, "X1\n", NULL, "X2\n");
  rec r;
  fs_driver_counters c = run(protos, 6, fr, n, &r, 0);
  assert_int_equal(c.handoffs, 4);
  assert_int_equal(c.handoffs_refused, 1);
  assert_int_equal(c.messages, 5);
  static const char *const want[] = {"msg 0 h0", "msg 0 h1", "msg 0 h2", "msg 0 h3", "msg 0 h4"};
  int at = 0;
  for (int i = 0; i < 5; i++) {
    int k = find(&r, want[i]);
    assert_true(k > at - 1);
    at = k + 1;
  }
  assert_int_equal(find(&r, "msg 0 h5"), -1);
  assert_true(find(&r, "end fin service=h0,h1,h2,h3,h4") >= 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_handoff_to_line),
      cmocka_unit_test(test_handoff_at_flow_end),
      cmocka_unit_test(test_handoff_unclaimed_rest),
      cmocka_unit_test(test_handoff_bound),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
