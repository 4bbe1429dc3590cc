/* SPDX-License-Identifier: MIT */
/*
 * Retired flows (docs/drivers.md): a UDP flow whose driver state can no
 * longer change the output gives it back while the tracker still holds the
 * flow. A tiny request/response datagram protocol defined here ("qr":
 * "Q<x>" asks, "R<x>" answers; one message per answered pair, an unanswered
 * question is emitted by finish) counts its parser instances, so the tests
 * see when a parser is released and when a fresh one comes back, and that
 * the events are exactly the ones a parser living for the whole flow gives.
 * Also: a parser that returned FS_PARSE_DONE and says it is idle is freed at
 * once (TCP and UDP), again with the same events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver_test_parser.h"
#include "tcp_frames.h"

#define SEC FS_NS_PER_SEC
#define T0 (1700000000ull * SEC)

/* ---- the "qr" datagram parser ---- */

static int n_created, n_finished, n_destroyed;

typedef struct qr_parser {
  const fs_parser_env *env;
  char question[16]; /* pending question, "" when none */
} qr_parser;

static void *qr_create(const fs_parser_env *env) {
  qr_parser *p = calloc(1, sizeof *p);
  if (p != NULL) {
    p->env = env;
    n_created++;
  }
  return p;
}

static void qr_emit(qr_parser *p, uint32_t side, const char *text, fs_time_ns ts) {
  fs_field f;
  memset(&f, 0, sizeof f);
  f.name = "text";
  f.kind = FS_FIELD_STR;
  f.v.str.ptr = text;
  f.v.str.len = strlen(text);
  fs_message m;
  memset(&m, 0, sizeof m);
  m.struct_size = sizeof m;
  m.side = side;
  m.protocol = "qr";
  m.msg_type = "pair";
  m.ts = ts;
  m.fields = &f;
  m.n_fields = 1;
  p->env->emit(p->env->emit_ctx, &m);
}

static int qr_datagram(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts) {
  qr_parser *p = self;
  size_t n = len < sizeof p->question - 1 ? len : sizeof p->question - 1;
  if (n > 0 && data[0] == 'Q') {
    memcpy(p->question, data, n);
    p->question[n] = '\0';
  } else if (n > 0 && data[0] == 'X') {
    return FS_PARSE_DONE;
  } else if (n > 0 && data[0] == 'R') {
    char text[40];
    snprintf(text, sizeof text, "%s+%.*s", p->question[0] ? p->question : "-", (int)n,
             (const char *)data);
    qr_emit(p, side, text, ts);
    p->question[0] = '\0';
  }
  return FS_PARSE_OK;
}

static void qr_finish(void *self, fs_time_ns ts) {
  qr_parser *p = self;
  n_finished++;
  if (p->question[0] != '\0') {
    char text[40];
    snprintf(text, sizeof text, "unanswered %s", p->question);
    qr_emit(p, 0, text, ts);
  }
}

static void qr_destroy(void *self) {
  n_destroyed++;
  free(self);
}

static int qr_idle(void *self) { return ((qr_parser *)self)->question[0] == '\0'; }

static uint32_t qr_probe(const uint8_t *data, size_t len, uint32_t side) {
  (void)side;
  return len > 0 && (data[0] == 'Q' || data[0] == 'R' || data[0] == 'X') ? FS_PROBE_YES
                                                                         : FS_PROBE_NO;
}

static const fs_datagram_parser_ops qr_ops = {
    .struct_size = sizeof(fs_datagram_parser_ops),
    .create = qr_create,
    .datagram = qr_datagram,
    .finish = qr_finish,
    .destroy = qr_destroy,
    .idle = qr_idle,
};

static const fs_protocol_desc qr_proto = {
    .struct_size = sizeof(fs_protocol_desc),
    .transports = FS_TRANSPORT_UDP,
    .name = "qr",
    .probe_max_bytes = 64,
    .probe = qr_probe,
    .datagram = &qr_ops,
};

/* The same parser as a plugin built before the idle op existed: its table
 * ends before the member, so the host must not look at it. */
static const fs_datagram_parser_ops qr_old_ops = {
    .struct_size = offsetof(fs_datagram_parser_ops, idle),
    .create = qr_create,
    .datagram = qr_datagram,
    .finish = qr_finish,
    .destroy = qr_destroy,
    .idle = qr_idle,
};

static const fs_protocol_desc qr_old_proto = {
    .struct_size = sizeof(fs_protocol_desc),
    .transports = FS_TRANSPORT_UDP,
    .name = "qr",
    .probe_max_bytes = 64,
    .probe = qr_probe,
    .datagram = &qr_old_ops,
};

/* ---- "line" (driver_test_parser.h) with a finish that emits nothing and
 * an idle op, as a current plugin and as one built before the op existed ---- */

static void quiet_finish(void *self, fs_time_ns ts) {
  (void)self;
  (void)ts;
  n_finished++;
}

static void *counting_create(const fs_parser_env *env) {
  n_created++;
  return line_create(env);
}

static void counting_destroy(void *self) {
  n_destroyed++;
  line_destroy(self);
}

static int always_idle(void *self) {
  (void)self;
  return 1;
}

static const fs_session_parser_ops quiet_line_ops = {
    .struct_size = sizeof(fs_session_parser_ops),
    .create = counting_create,
    .feed = line_feed,
    .gap = line_gap,
    .finish = quiet_finish,
    .poison_reason = line_reason,
    .destroy = counting_destroy,
    .idle = always_idle,
};

static const fs_session_parser_ops quiet_line_old_ops = {
    .struct_size = offsetof(fs_session_parser_ops, idle),
    .create = counting_create,
    .feed = line_feed,
    .gap = line_gap,
    .finish = quiet_finish,
    .poison_reason = line_reason,
    .destroy = counting_destroy,
    .idle = always_idle,
};

static const fs_protocol_desc quiet_line_proto = {
    .struct_size = sizeof(fs_protocol_desc),
    .transports = FS_TRANSPORT_TCP,
    .name = "line",
    .probe_max_bytes = 16,
    .probe = line_probe,
    .session = &quiet_line_ops,
};

static const fs_protocol_desc quiet_line_old_proto = {
    .struct_size = sizeof(fs_protocol_desc),
    .transports = FS_TRANSPORT_TCP,
    .name = "line",
    .probe_max_bytes = 16,
    .probe = line_probe,
    .session = &quiet_line_old_ops,
};

static const fs_protocol_desc *const with_idle[] = {&qr_proto};
static const fs_protocol_desc *const line_with_idle[] = {&quiet_line_proto};
static const fs_protocol_desc *const line_without_idle[] = {&quiet_line_old_proto};
static const fs_protocol_desc *const without_idle[] = {&qr_old_proto};

/* ---- running ---- */

static const tf_conn conn = {{10, 1, 0, 1}, {10, 1, 0, 53}, 40000, 5300};

typedef struct step {
  int dir;          /* 0: client to server */
  const char *text; /* payload */
  fs_time_ns at;    /* offset from T0 */
} step;

static fs_driver *make(rec *r, const fs_protocol_desc *const *protos) {
  fs_driver_config cfg;
  fs_driver_config_default(&cfg);
  cfg.mode = FS_DRIVE_SESSIONS;
  cfg.extra_protocols = protos;
  cfg.n_extra_protocols = 1;
  cfg.tracker.max_flows = 64;
  cfg.anomalies = ~0u;
  cfg.sink.ops = &rec_ops;
  cfg.sink.self = r;
  memset(r, 0, sizeof *r);
  n_created = n_finished = n_destroyed = 0;
  fs_driver *d = NULL;
  char err[FS_ERRBUF_SIZE];
  if (fs_driver_create(&d, &cfg, err) != 0)
    fail_msg("fs_driver_create: %s", err);
  return d;
}

static void feed(fs_driver *d, const step *s, int batch) {
  tf_frame f;
  tf_udp(&f, &conn, s->dir, s->text, (uint32_t)strlen(s->text), T0 + s->at);
  fs_packet_view v = tf_view(&f);
  if (batch)
    assert_int_equal(fs_driver_feed_batch(d, &v, 1), 0);
  else
    assert_int_equal(fs_driver_feed(d, &v), 0);
}

static fs_driver_counters counters(const fs_driver *d) {
  fs_driver_counters c = {.struct_size = sizeof c};
  fs_driver_counters_get(d, &c);
  return c;
}

static void expect_log(const rec *r, const char *const *want, int n) {
  for (int i = 0; i < n && i < r->n; i++)
    assert_string_equal(r->log[i], want[i]);
  assert_int_equal(r->n, n);
}

/* ---- tests ---- */

/* An answered question leaves the parser idle: it is finished and freed at
 * once. The next question on the same flow gets a fresh parser, without
 * detection, and the flow is not retired a second time. */
static void run_retire_and_revive(int batch) {
  rec r;
  fs_driver *d = make(&r, with_idle);
  const step s[] = {{0, "Q1", 0}, {1, "R1", 1000}, {0, "Q2", 2000}, {1, "R2", 3000}};
  feed(d, &s[0], batch);
  /* A question is pending: the parser stays. */
  assert_int_equal(counters(d).flows_retired, 0);
  assert_int_equal(n_destroyed, 0);
  feed(d, &s[1], batch);
  assert_int_equal(counters(d).flows_retired, 1);
  assert_int_equal(n_created, 1);
  assert_int_equal(n_finished, 1);
  assert_int_equal(n_destroyed, 1);
  feed(d, &s[2], batch);
  assert_int_equal(counters(d).flows_revived, 1);
  assert_int_equal(n_created, 2);
  feed(d, &s[3], batch);
  /* Revived once: kept from now on, however idle. */
  assert_int_equal(counters(d).flows_retired, 1);
  assert_int_equal(n_destroyed, 1);
  assert_int_equal(fs_driver_finish(d), 0);
  assert_int_equal(n_finished, 2);
  assert_int_equal(n_destroyed, 2);
  /* The events a single parser over the whole flow gives: both pairs, the
   * answers from the server (side 1), one start and one end. */
  static const char *const want[] = {"start", "msg 1 Q1+R1", "msg 1 Q2+R2", "end flush service=qr"};
  expect_log(&r, want, 4);
  assert_int_equal(r.last_end.side[0].reasm_dropped_bytes, 0);
  assert_int_equal(r.last_end.side[1].reasm_high_watermark, 0);
  fs_driver_destroy(d);
}

static void test_idle_parser_retired_then_revived(void **state) {
  (void)state;
  run_retire_and_revive(0);
}

static void test_idle_parser_retired_then_revived_batch(void **state) {
  (void)state;
  run_retire_and_revive(1);
}

/* A question without its answer keeps the parser: finish emits it. */
static void test_pending_question_kept(void **state) {
  (void)state;
  rec r;
  fs_driver *d = make(&r, with_idle);
  const step s[] = {{0, "Q7", 0}};
  feed(d, &s[0], 0);
  assert_int_equal(fs_driver_finish(d), 0);
  assert_int_equal(counters(d).flows_retired, 0);
  static const char *const want[] = {"start", "msg 0 unanswered Q7", "end flush service=qr"};
  expect_log(&r, want, 3);
  fs_driver_destroy(d);
}

/* A plugin table without the idle member is never asked: the parser lives
 * until the end of the flow, and the events are the same. */
static void test_parser_without_idle_kept(void **state) {
  (void)state;
  rec r;
  fs_driver *d = make(&r, without_idle);
  const step s[] = {{0, "Q1", 0}, {1, "R1", 1000}, {0, "Q2", 2000}, {1, "R2", 3000}};
  for (size_t i = 0; i < 4; i++)
    feed(d, &s[i], 0);
  assert_int_equal(counters(d).flows_retired, 0);
  assert_int_equal(n_created, 1);
  assert_int_equal(n_destroyed, 0);
  assert_int_equal(fs_driver_finish(d), 0);
  static const char *const want[] = {"start", "msg 1 Q1+R1", "msg 1 Q2+R2", "end flush service=qr"};
  expect_log(&r, want, 4);
  fs_driver_destroy(d);
}

/* A flow nothing claims is retired at once; later datagrams that a probe
 * would accept are still not parsed (detection is over for the flow, as
 * before retirement), and it is counted unclaimed exactly once. */
static void test_unclaimed_flow_retired(void **state) {
  (void)state;
  rec r;
  fs_driver *d = make(&r, with_idle);
  const step s[] = {{0, "hello", 0}, {0, "Q1", 1000}, {1, "R1", 2000}};
  feed(d, &s[0], 0);
  fs_driver_counters c = counters(d);
  assert_int_equal(c.flows_retired, 1);
  assert_int_equal(c.detect_unclaimed, 1);
  feed(d, &s[1], 0);
  feed(d, &s[2], 0);
  assert_int_equal(n_created, 0);
  assert_int_equal(fs_driver_finish(d), 0);
  c = counters(d);
  assert_int_equal(c.detect_unclaimed, 1);
  assert_int_equal(c.flows_revived, 0);
  assert_int_equal(c.messages, 0);
  static const char *const want[] = {"start", "end flush service="};
  expect_log(&r, want, 2);
  assert_int_equal(r.last_end.side[0].packets, 2);
  assert_int_equal(r.last_end.side[1].packets, 1);
  fs_driver_destroy(d);
}

/* A retired flow that times out ends like any other; a later datagram on
 * the same addresses is a new flow that detection looks at afresh. */
static void test_retired_flow_times_out(void **state) {
  (void)state;
  rec r;
  fs_driver *d = make(&r, with_idle);
  const step s[] = {{0, "Q1", 0}, {1, "R1", 1000}};
  feed(d, &s[0], 0);
  feed(d, &s[1], 0);
  assert_int_equal(counters(d).flows_retired, 1);
  /* Past the UDP idle timeout (30 s by default). */
  assert_int_equal(fs_driver_advance(d, T0 + 400 * SEC), 0);
  assert_int_equal(r.ends, 1);
  const step later = {0, "Q9", 401 * SEC};
  feed(d, &later, 0);
  assert_int_equal(counters(d).flows_revived, 0);
  assert_int_equal(n_created, 2);
  assert_int_equal(fs_driver_finish(d), 0);
  char end1[64];
  snprintf(end1, sizeof end1, "end %s service=qr", fs_end_reason_name(FS_END_IDLE_TIMEOUT));
  const char *const want[] = {"start", "msg 1 Q1+R1",         end1,
                              "start", "msg 0 unanswered Q9", "end flush service=qr"};
  expect_log(&r, want, 6);
  fs_driver_destroy(d);
}

/* A datagram parser that says done while idle is freed at once and the
 * flow retired; one that says done with a question pending keeps it for
 * finish. Later datagrams of a done flow are not parsed either way. */
static void test_done_datagram_parser(void **state) {
  (void)state;
  rec r;
  fs_driver *d = make(&r, with_idle);
  const step s[] = {{0, "X", 0}, {0, "Q1", 1000}, {1, "R1", 2000}};
  feed(d, &s[0], 0);
  fs_driver_counters c = counters(d);
  assert_int_equal(c.parsers_released, 1);
  assert_int_equal(c.flows_retired, 1);
  assert_int_equal(n_destroyed, 1);
  feed(d, &s[1], 0);
  feed(d, &s[2], 0);
  assert_int_equal(n_created, 1);
  assert_int_equal(fs_driver_finish(d), 0);
  static const char *const want[] = {"start", "end flush service=qr"};
  expect_log(&r, want, 2);
  fs_driver_destroy(d);

  d = make(&r, with_idle);
  const step t[] = {{0, "Q5", 0}, {0, "X", 1000}, {1, "R5", 2000}};
  for (size_t i = 0; i < 3; i++)
    feed(d, &t[i], 0);
  c = counters(d);
  assert_int_equal(c.parsers_released, 0);
  assert_int_equal(c.flows_retired, 0);
  assert_int_equal(fs_driver_finish(d), 0);
  static const char *const want2[] = {"start", "msg 0 unanswered Q5", "end flush service=qr"};
  expect_log(&r, want2, 3);
  fs_driver_destroy(d);
}

/* "L:a", "L:BYE" (done), then more lines on both sides over one TCP
 * connection; @p protos decides whether the parser has an idle op. With
 * @p ooo the request's tail arrives before its first line (held out of
 * order, then delivered with it). */
static fs_driver_counters run_line_done(rec *r, const fs_protocol_desc *const *protos, int ooo) {
  fs_driver *d = make(r, protos);
  const tf_conn c = {{10, 2, 0, 1}, {10, 2, 0, 2}, 41000, 7000};
  const uint32_t ci = 100, si = 900;
  static const char req[] = "L:a\nL:BYE\nL:after\n", resp[] = "L:b\n";
  tf_frame f;
  fs_time_ns ts = T0;
  tf_tcp(&f, &c, 0, ci, 0, 0x02, NULL, 0, ts += 1000);
  fs_packet_view v = tf_view(&f);
  assert_int_equal(fs_driver_feed(d, &v), 0);
  tf_tcp(&f, &c, 1, si, ci + 1, 0x12, NULL, 0, ts += 1000);
  v = tf_view(&f);
  assert_int_equal(fs_driver_feed(d, &v), 0);
  if (ooo) {
    tf_tcp(&f, &c, 0, ci + 5, si + 1, 0x18, req + 4, sizeof req - 5, ts += 1000);
    v = tf_view(&f);
    assert_int_equal(fs_driver_feed(d, &v), 0);
    tf_tcp(&f, &c, 0, ci + 1, si + 1, 0x18, req, 4, ts += 1000);
  } else {
    tf_tcp(&f, &c, 0, ci + 1, si + 1, 0x18, req, sizeof req - 1, ts += 1000);
  }
  v = tf_view(&f);
  assert_int_equal(fs_driver_feed(d, &v), 0);
  /* Done: with an idle op the parser is gone before the flow ends. */
  int released_early = n_destroyed;
  tf_tcp(&f, &c, 1, si + 1, ci + sizeof req, 0x18, resp, sizeof resp - 1, ts += 1000);
  v = tf_view(&f);
  assert_int_equal(fs_driver_feed(d, &v), 0);
  tf_tcp(&f, &c, 0, ci + sizeof req, si + sizeof resp, 0x10, NULL, 0, ts += 1000);
  v = tf_view(&f);
  assert_int_equal(fs_driver_feed(d, &v), 0);
  assert_int_equal(fs_driver_finish(d), 0);
  fs_driver_counters out = counters(d);
  fs_driver_destroy(d);
  assert_int_equal(released_early, (int)out.parsers_released);
  assert_int_equal(n_created, 1);
  assert_int_equal(n_finished, 1);
  assert_int_equal(n_destroyed, 1);
  return out;
}

/* The flow's end reports the same counts whether or not its driver state
 * was given back early. */
static void expect_same_end(const fs_flow_stats *a, const fs_flow_stats *b) {
  for (int s = 0; s < 2; s++) {
    assert_int_equal(a->side[s].packets, b->side[s].packets);
    assert_int_equal(a->side[s].ip_bytes, b->side[s].ip_bytes);
    assert_int_equal(a->side[s].payload_bytes, b->side[s].payload_bytes);
    assert_int_equal(a->side[s].reasm_ooo_segments, b->side[s].reasm_ooo_segments);
    assert_int_equal(a->side[s].reasm_dropped_segments, b->side[s].reasm_dropped_segments);
    assert_int_equal(a->side[s].reasm_dropped_bytes, b->side[s].reasm_dropped_bytes);
    assert_int_equal(a->side[s].reasm_overlap_mismatch, b->side[s].reasm_overlap_mismatch);
    assert_int_equal(a->side[s].reasm_high_watermark, b->side[s].reasm_high_watermark);
  }
}

/* Runs the connection with and without the idle op: both must log @p want
 * and end with the same counts. Returns the counters of the run with it and
 * its end stats in @p end. */
static fs_driver_counters run_both_ways(int ooo, const char *const *want, int n,
                                        fs_flow_stats *end) {
  rec with, without;
  fs_driver_counters a = run_line_done(&with, line_with_idle, ooo);
  fs_driver_counters b = run_line_done(&without, line_without_idle, ooo);
  assert_int_equal(a.parsers_released, 1);
  assert_int_equal(b.parsers_released, 0);
  assert_int_equal(b.flows_retired, 0); /* its parser still has to finish at the end */
  expect_log(&with, want, n);
  expect_log(&without, want, n);
  expect_same_end(&with.last_end, &without.last_end);
  *end = with.last_end;
  return a;
}

/* A done, idle parser is freed at once; the connection, bypassed with
 * nothing left to report, then gives back its driver state (retired) while
 * the tracker keeps counting its packets. */
static void test_done_session_parser(void **state) {
  (void)state;
  /* Lines up to the done one, nothing after it, one end: the same both ways. */
  static const char *const want[] = {"start", "msg 0 L:a", "msg 0 L:BYE", "end flush service=line"};
  fs_flow_stats end;
  fs_driver_counters a = run_both_ways(0, want, 4, &end);
  assert_int_equal(a.flows_retired, 1);
  assert_int_equal(end.side[0].packets, 3); /* SYN, request, ACK */
  assert_int_equal(end.side[1].packets, 2); /* SYN-ACK, response */
}

/* A bypassed connection whose reassembly held a segment out of order keeps
 * its driver state: its end must still report that segment. */
static void test_done_session_parser_with_diagnostics_kept(void **state) {
  (void)state;
  static const char *const want[] = {"start", "anomaly out_of_order side=0", "msg 0 L:a",
                                     "msg 0 L:BYE", "end flush service=line"};
  fs_flow_stats end;
  fs_driver_counters a = run_both_ways(1, want, 5, &end);
  assert_int_equal(a.flows_retired, 0);
  assert_int_equal(end.side[0].reasm_ooo_segments, 1);
  assert_int_equal(end.side[0].reasm_high_watermark, 14); /* "L:BYE\nL:after\n" */
}

/* A line exchange over one TCP connection that both sides then close with
 * a FIN; returns the counters, and in *@p early how many parsers were
 * destroyed before the driver finished. */
static fs_driver_counters run_line_closed(rec *r, const fs_protocol_desc *const *protos,
                                          int *early) {
  fs_driver *d = make(r, protos);
  const tf_conn c = {{10, 3, 0, 1}, {10, 3, 0, 2}, 42000, 7000};
  const uint32_t ci = 100, si = 900;
  static const char req[] = "L:a\n", resp[] = "L:b\n";
  const uint32_t n = 4; /* bytes of each line */
  struct {
    int dir;
    uint32_t seq, ack;
    uint8_t flags;
    const char *data;
  } seg[] = {
      {0, ci, 0, 0x02, NULL},                  /* SYN */
      {1, si, ci + 1, 0x12, NULL},             /* SYN-ACK */
      {0, ci + 1, si + 1, 0x10, NULL},         /* ACK */
      {0, ci + 1, si + 1, 0x18, req},          /* request */
      {1, si + 1, ci + 1 + n, 0x18, resp},     /* response */
      {0, ci + 1 + n, si + 1 + n, 0x11, NULL}, /* FIN from the client */
      {1, si + 1 + n, ci + 2 + n, 0x11, NULL}, /* FIN from the server */
      {0, ci + 2 + n, si + 2 + n, 0x10, NULL}, /* last ACK */
  };
  fs_time_ns ts = T0;
  for (size_t i = 0; i < sizeof seg / sizeof seg[0]; i++) {
    tf_frame f;
    tf_tcp(&f, &c, seg[i].dir, seg[i].seq, seg[i].ack, seg[i].flags, seg[i].data,
           seg[i].data ? n : 0, ts += 1000);
    fs_packet_view v = tf_view(&f);
    assert_int_equal(fs_driver_feed(d, &v), 0);
  }
  *early = n_destroyed;
  assert_int_equal(fs_driver_finish(d), 0);
  fs_driver_counters out = counters(d);
  fs_driver_destroy(d);
  assert_int_equal(n_created, 1);
  assert_int_equal(n_finished, 1); /* finished once, early or at the end */
  assert_int_equal(n_destroyed, 1);
  return out;
}

/* Once both sides closed and every byte was delivered, a parser whose idle
 * op says finish would emit nothing goes at once and the connection is
 * retired: the tracker keeps a closed flow for its closed timeout (a
 * minute by default). Without the op, the parser stays until the end. The
 * events are the same. */
static void test_closed_connection_released(void **state) {
  (void)state;
  rec with, without;
  int early_with = 0, early_without = 0;
  fs_driver_counters a = run_line_closed(&with, line_with_idle, &early_with);
  fs_driver_counters b = run_line_closed(&without, line_without_idle, &early_without);
  assert_int_equal(early_with, 1);
  assert_int_equal(a.parsers_released, 1);
  assert_int_equal(a.flows_retired, 1);
  assert_int_equal(early_without, 0);
  assert_int_equal(b.parsers_released, 0);
  assert_int_equal(b.flows_retired, 0);
  static const char *const want[] = {"start", "msg 0 L:a", "msg 1 L:b", "end fin service=line"};
  expect_log(&with, want, 4);
  expect_log(&without, want, 4);
  expect_same_end(&with.last_end, &without.last_end);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_idle_parser_retired_then_revived),
      cmocka_unit_test(test_idle_parser_retired_then_revived_batch),
      cmocka_unit_test(test_pending_question_kept),
      cmocka_unit_test(test_parser_without_idle_kept),
      cmocka_unit_test(test_unclaimed_flow_retired),
      cmocka_unit_test(test_retired_flow_times_out),
      cmocka_unit_test(test_done_datagram_parser),
      cmocka_unit_test(test_done_session_parser),
      cmocka_unit_test(test_done_session_parser_with_diagnostics_kept),
      cmocka_unit_test(test_closed_connection_released),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
