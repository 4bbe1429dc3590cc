/* SPDX-License-Identifier: MIT */
/*
 * The driver over hand-built packets with a tiny session parser defined
 * here ("line": newline-terminated lines starting with "L:", one message per
 * line; "L:BAD" poisons, "L:BYE" says done). Checks message order across
 * reordered segments, poison -> parse_error end + anomaly, drop-flow
 * overflow -> buffer_overflow end, unclaimed flows bypassed but tracked,
 * pull mode equal to push mode, split feeding equal to whole feeding, and
 * the packet accounting identity.
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

static const fs_protocol_desc *const extra[] = {&line_proto};

/* ---- running packets ---- */

static const tf_conn conn = {{192, 168, 0, 1}, {192, 168, 0, 2}, 40001, 7777};

typedef struct opts {
  int pull;
  uint32_t split;
  uint32_t anomalies;
  uint32_t policy;
  uint64_t max_buffer;
} opts;

static fs_driver *make_driver(rec *r, const opts *o) {
  fs_driver_config cfg;
  fs_driver_config_default(&cfg);
  cfg.mode = FS_DRIVE_SESSIONS;
  cfg.extra_protocols = extra;
  cfg.n_extra_protocols = 1;
  cfg.tracker.max_flows = 64;
  cfg.anomalies = o->anomalies;
  cfg.split_feed = o->split;
  cfg.split_seed = 7;
  if (o->max_buffer) {
    cfg.reasm.max_buffer = o->max_buffer;
    cfg.reasm.overflow_policy = o->policy;
  }
  if (!o->pull) {
    cfg.sink.ops = &rec_ops;
    cfg.sink.self = r;
  }
  fs_driver *d = NULL;
  char err[FS_ERRBUF_SIZE];
  int rc = fs_driver_create(&d, &cfg, err);
  if (rc != 0)
    fail_msg("fs_driver_create: %s", err);
  return d;
}

static void drain(fs_driver *d, rec *r, const opts *o) {
  fs_event ev;
  while (o->pull && fs_driver_next_event(d, &ev) == 1)
    rec_event(r, &ev);
}

/* Feeds frames, drains (pull), finishes; returns the driver's counters. */
static fs_driver_counters run(const tf_frame *fr, size_t n, rec *r, const opts *o) {
  memset(r, 0, sizeof *r);
  fs_driver *d = make_driver(r, o);
  for (size_t i = 0; i < n; i++) {
    fs_packet_view v = tf_view(&fr[i]);
    assert_int_equal(fs_driver_feed(d, &v), 0);
    drain(d, r, o);
  }
  assert_int_equal(fs_driver_finish(d), 0);
  drain(d, r, o);
  fs_driver_counters c = {.struct_size = sizeof c};
  fs_driver_counters_get(d, &c);
  fs_driver_destroy(d);
  return c;
}

/* Client ISN 1000, server ISN 5000; data is sent by side a (dir 0) and b (dir 1). */
#define CISN 1000u
#define SISN 5000u

static size_t handshake(tf_frame *fr, const tf_conn *c, fs_time_ns *ts) {
  tf_tcp(&fr[0], c, 0, CISN, 0, 0x02, NULL, 0, *ts += 1000);            /* SYN */
  tf_tcp(&fr[1], c, 1, SISN, CISN + 1, 0x12, NULL, 0, *ts += 1000);     /* SYN-ACK */
  tf_tcp(&fr[2], c, 0, CISN + 1, SISN + 1, 0x10, NULL, 0, *ts += 1000); /* ACK */
  return 3;
}

static void expect_log(const rec *r, const char *const *want, int n) {
  for (int i = 0; i < n && i < r->n; i++)
    assert_string_equal(r->log[i], want[i]);
  assert_int_equal(r->n, n);
}

/* Client: "L:one\nL:tw" + "o\nL:three\n" with the second segment first; server: "L:ack\n". */
static size_t conversation(tf_frame *fr) {
  fs_time_ns ts = T0;
  size_t n = handshake(fr, &conn, &ts);
  static const char c1[] = "L:one\nL:tw", c2[] = "o\nL:three\n", s1[] = "L:ack\n";
  tf_tcp(&fr[n++], &conn, 0, CISN + 1 + 10, SISN + 1, 0x18, c2, 10, ts += 1000); /* early */
  tf_tcp(&fr[n++], &conn, 0, CISN + 1, SISN + 1, 0x18, c1, 10, ts += 1000);      /* fills */
  tf_tcp(&fr[n++], &conn, 1, SISN + 1, CISN + 21, 0x18, s1, 6, ts += 1000);
  tf_tcp(&fr[n++], &conn, 0, CISN + 21, SISN + 7, 0x11, NULL, 0, ts += 1000); /* FIN */
  tf_tcp(&fr[n++], &conn, 1, SISN + 7, CISN + 22, 0x11, NULL, 0, ts += 1000); /* FIN */
  tf_tcp(&fr[n++], &conn, 0, CISN + 22, SISN + 8, 0x10, NULL, 0, ts += 1000); /* last ACK */
  return n;
}

static void test_messages_in_order(void **state) {
  (void)state;
  tf_frame *fr = calloc(16, sizeof *fr);
  size_t n = conversation(fr);
  rec r;
  opts o = {.anomalies = FS_ANOMALY_BIT(FS_ANOM_OUT_OF_ORDER)};
  fs_driver_counters c = run(fr, n, &r, &o);
  static const char *const want[] = {
      "start",
      "anomaly out_of_order side=0", /* "o\nL:three\n" arrived before its predecessor */
      "msg 0 L:one",
      "msg 0 L:two",
      "msg 0 L:three",
      "msg 1 L:ack",
      "msg 0 finish", /* the parser's finish runs before the end event */
      "end fin service=line",
  };
  expect_log(&r, want, 8);
  assert_int_equal(c.messages, 5);
  assert_int_equal(r.last_end.side[0].reasm_ooo_segments, 1);
  assert_int_equal(r.last_end.side[1].reasm_ooo_segments, 0);
  free(fr);
}

static void test_pull_equals_push_and_split_equals_whole(void **state) {
  (void)state;
  tf_frame *fr = calloc(16, sizeof *fr);
  size_t n = conversation(fr);
  rec push, pull, split;
  opts o = {.anomalies = ~0u};
  run(fr, n, &push, &o);
  o.pull = 1;
  run(fr, n, &pull, &o);
  o.pull = 0;
  o.split = 3; /* the parser sees the streams in 1..3-byte pieces */
  run(fr, n, &split, &o);
  assert_true(push.n >= 7);
  assert_int_equal(pull.n, push.n);
  assert_int_equal(split.n, push.n);
  for (int i = 0; i < push.n; i++) {
    assert_string_equal(pull.log[i], push.log[i]);
    assert_string_equal(split.log[i], push.log[i]);
  }
  free(fr);
}

static void test_poison_ends_with_parse_error(void **state) {
  (void)state;
  tf_frame fr[8];
  fs_time_ns ts = T0;
  size_t n = handshake(fr, &conn, &ts);
  static const char c1[] = "L:ok\nL:BAD\nL:never\n";
  tf_tcp(&fr[n++], &conn, 0, CISN + 1, SISN + 1, 0x18, c1, 20, ts += 1000);
  rec r;
  opts o = {.anomalies = FS_ANOMALY_BIT(FS_ANOM_PARSE_ERROR)};
  fs_driver_counters c = run(fr, n, &r, &o);
  static const char *const want[] = {
      "start", "msg 0 L:ok", "anomaly parse_error side=0",
      "end parse_error service=line", /* no finish message: a poisoned parser is not asked */
  };
  expect_log(&r, want, 4);
  assert_int_equal(c.parse_errors, 1);
  assert_int_equal(r.last_end.end_reason, FS_END_PARSE_ERROR);
}

static void test_drop_flow_overflow_ends_with_buffer_overflow(void **state) {
  (void)state;
  tf_frame fr[8];
  fs_time_ns ts = T0;
  size_t n = handshake(fr, &conn, &ts);
  static const char c1[] = "L:a\n", far[] = "L:zzzz\n";
  tf_tcp(&fr[n++], &conn, 0, CISN + 1, SISN + 1, 0x18, c1, 4, ts += 1000);
  /* 100 bytes beyond the next expected byte, with a 32-byte window: overflow. */
  tf_tcp(&fr[n++], &conn, 0, CISN + 105, SISN + 1, 0x18, far, 7, ts += 1000);
  rec r;
  opts o = {.anomalies = FS_ANOMALY_BIT(FS_ANOM_BUFFER_OVERFLOW),
            .policy = FS_OVERFLOW_DROP_FLOW,
            .max_buffer = 32};
  run(fr, n, &r, &o);
  static const char *const want[] = {
      "start",
      "msg 0 L:a",
      "anomaly buffer_overflow side=0",
      "msg 0 finish",
      "end buffer_overflow service=line",
  };
  expect_log(&r, want, 5);
  assert_int_equal(r.last_end.side[0].reasm_dropped_segments, 1);
  assert_int_equal(r.last_end.side[0].reasm_dropped_bytes, 7);
}

static void test_unclaimed_flow_bypassed_but_tracked(void **state) {
  (void)state;
  tf_frame fr[8];
  fs_time_ns ts = T0;
  tf_conn other = {{10, 1, 1, 1}, {10, 1, 1, 2}, 50000, 5555};
  size_t n = handshake(fr, &other, &ts);
  static const char c1[] = "HELLO\n";
  tf_tcp(&fr[n++], &other, 0, CISN + 1, SISN + 1, 0x18, c1, 6, ts += 1000);
  tf_tcp(&fr[n++], &other, 0, CISN + 7, SISN + 1, 0x18, c1, 6, ts += 1000);
  rec r;
  opts o = {0};
  fs_driver_counters c = run(fr, n, &r, &o);
  static const char *const want[] = {"start", "end flush service="};
  expect_log(&r, want, 2);
  assert_int_equal(c.detect_unclaimed, 1);
  assert_int_equal(c.messages, 0);
  assert_int_equal(r.last_end.side[0].packets, 4); /* still counted: SYN, ACK, 2 data */
}

static void test_packet_accounting_identity(void **state) {
  (void)state;
  tf_frame *fr = calloc(24, sizeof *fr);
  size_t n = conversation(fr);
  /* Garbage: a frame cut inside the IPv4 header, an ARP frame, a bad IP version. */
  fr[n] = fr[3];
  fr[n++].len = 20;
  memset(&fr[n], 0, sizeof fr[n]);
  fr[n].data[12] = 0x08, fr[n].data[13] = 0x06, fr[n].len = 42, fr[n].ts = T0 + SEC;
  n++;
  fr[n] = fr[4];
  fr[n++].data[TF_ETH] = 0x75; /* version 7 */
  rec r;
  opts o = {0};
  fs_driver_counters c = run(fr, n, &r, &o);
  uint64_t skipped = 0;
  for (int i = 0; i < 32; i++)
    skipped += c.skipped[i];
  assert_int_equal(c.packets, n);
  assert_int_equal(c.packets_in_flows + skipped, c.packets);
  assert_int_equal(c.packets_in_flows, n - 3);
  assert_int_equal(skipped, 3);
  free(fr);
}

/* The server's first segment "L:a\n" (seq SISN+1..+4) is not in the capture;
 * its second, "L:b\n", is. The client's next segment acknowledges both, so
 * the hole is given up as a gap right then and "L:b" reaches the parser
 * before the client's "L:c" (without ACK skipping it waited for the end). */
static void test_acked_hole_skipped_at_once(void **state) {
  (void)state;
  tf_frame fr[12];
  fs_time_ns ts = T0;
  size_t n = handshake(fr, &conn, &ts);
  static const char c1[] = "L:q\n", c2[] = "L:c\n", s2[] = "L:b\n";
  tf_tcp(&fr[n++], &conn, 0, CISN + 1, SISN + 1, 0x18, c1, 4, ts += 1000);
  tf_tcp(&fr[n++], &conn, 1, SISN + 1, CISN + 5, 0x18, "L:x\n", 4, ts += 1000);
  n--; /* that segment (the "L:a"-sized one) was lost by the capture: not fed */
  tf_tcp(&fr[n++], &conn, 1, SISN + 5, CISN + 5, 0x18, s2, 4, ts += 1000);
  tf_tcp(&fr[n++], &conn, 0, CISN + 5, SISN + 9, 0x18, c2, 4, ts += 1000); /* acks both */
  rec r;
  opts o = {.anomalies = FS_ANOMALY_BIT(FS_ANOM_GAP)};
  run(fr, n, &r, &o);
  static const char *const want[] = {
      "start",     "msg 0 L:q", "anomaly gap side=1", /* the 4 unseen bytes, reported on the ack */
      "msg 1 L:b", "msg 0 L:c", "msg 0 finish",       "end flush service=line",
  };
  expect_log(&r, want, 7);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_messages_in_order),
      cmocka_unit_test(test_acked_hole_skipped_at_once),
      cmocka_unit_test(test_pull_equals_push_and_split_equals_whole),
      cmocka_unit_test(test_poison_ends_with_parse_error),
      cmocka_unit_test(test_drop_flow_overflow_ends_with_buffer_overflow),
      cmocka_unit_test(test_unclaimed_flow_bypassed_but_tracked),
      cmocka_unit_test(test_packet_accounting_identity),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
