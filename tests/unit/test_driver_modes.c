/* SPDX-License-Identifier: MIT */
/*
 * Driver modes and detection paths over hand-built packets: UDP datagram
 * parsers, flows mode (reassembly diagnostics only), port overrides, a
 * probe-less protocol chosen by its port hint, FS_PARSE_DONE bypass, the
 * tick-driven gap timeout, and configuration errors naming their cause.
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
#define CISN 1000u
#define SISN 5000u

/* ---- a datagram parser: one message per datagram starting with 'D' ---- */

typedef struct dg_parser {
  const fs_parser_env *env;
} dg_parser;

static void *dg_create(const fs_parser_env *env) {
  dg_parser *p = calloc(1, sizeof *p);
  if (p)
    p->env = env;
  return p;
}

static int dg_datagram(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts) {
  dg_parser *p = self;
  fs_field f;
  memset(&f, 0, sizeof f);
  f.name = "text";
  f.kind = FS_FIELD_STR;
  f.v.str.ptr = (const char *)data;
  f.v.str.len = len;
  fs_message m;
  memset(&m, 0, sizeof m);
  m.struct_size = sizeof m;
  m.side = side;
  m.protocol = "dgram";
  m.msg_type = "datagram";
  m.ts = ts;
  m.fields = &f;
  m.n_fields = 1;
  p->env->emit(p->env->emit_ctx, &m);
  return FS_PARSE_OK;
}

static void dg_finish(void *self, fs_time_ns ts) {
  (void)self;
  (void)ts;
}

static void dg_destroy(void *self) { free(self); }

static uint32_t dg_probe(const uint8_t *data, size_t len, uint32_t side) {
  (void)side;
  return len > 0 && data[0] == 'D' ? FS_PROBE_YES : FS_PROBE_NO;
}

static const fs_datagram_parser_ops dg_ops = {
    .struct_size = sizeof(fs_datagram_parser_ops),
    .create = dg_create,
    .datagram = dg_datagram,
    .finish = dg_finish,
    .destroy = dg_destroy,
};

static const fs_protocol_desc dg_proto = {
    .struct_size = sizeof(fs_protocol_desc),
    .transports = FS_TRANSPORT_UDP,
    .name = "dgram",
    .probe_max_bytes = 64,
    .probe = dg_probe,
    .datagram = &dg_ops,
};

/* "line" framing selected by port 6000 alone (no probe). */
static const fs_port_range port6000[] = {{6000, 6000}};
static const fs_protocol_desc portonly_proto = {
    .struct_size = sizeof(fs_protocol_desc),
    .transports = FS_TRANSPORT_TCP,
    .name = "portonly",
    .ports = port6000,
    .n_ports = 1,
    .session = &line_ops,
};

static const fs_protocol_desc *const all[] = {&line_proto, &dg_proto, &portonly_proto};

static fs_driver *make(rec *r, uint32_t mode, const fs_port_override *ov, uint32_t n_ov) {
  fs_driver_config cfg;
  fs_driver_config_default(&cfg);
  cfg.mode = mode;
  cfg.extra_protocols = all;
  cfg.n_extra_protocols = 3;
  cfg.overrides = ov;
  cfg.n_overrides = n_ov;
  cfg.tracker.max_flows = 64;
  cfg.anomalies = ~0u;
  cfg.sink.ops = &rec_ops;
  cfg.sink.self = r;
  memset(r, 0, sizeof *r);
  fs_driver *d = NULL;
  char err[FS_ERRBUF_SIZE];
  if (fs_driver_create(&d, &cfg, err) != 0)
    fail_msg("fs_driver_create: %s", err);
  return d;
}

static void feed(fs_driver *d, const tf_frame *f) {
  fs_packet_view v = tf_view(f);
  assert_int_equal(fs_driver_feed(d, &v), 0);
}

static void expect_log(const rec *r, const char *const *want, int n) {
  for (int i = 0; i < n && i < r->n; i++)
    assert_string_equal(r->log[i], want[i]);
  assert_int_equal(r->n, n);
}

/* Handshake of @p c at time *ts. */
static void handshake(fs_driver *d, const tf_conn *c, fs_time_ns *ts) {
  tf_frame f;
  tf_tcp(&f, c, 0, CISN, 0, 0x02, NULL, 0, *ts += 1000);
  feed(d, &f);
  tf_tcp(&f, c, 1, SISN, CISN + 1, 0x12, NULL, 0, *ts += 1000);
  feed(d, &f);
  tf_tcp(&f, c, 0, CISN + 1, SISN + 1, 0x10, NULL, 0, *ts += 1000);
  feed(d, &f);
}

static void test_udp_datagram_parser(void **state) {
  (void)state;
  rec r;
  fs_driver *d = make(&r, FS_DRIVE_DATAGRAMS, NULL, 0);
  tf_conn c = {{10, 0, 0, 1}, {10, 0, 0, 9}, 33333, 4444};
  tf_frame f;
  tf_udp(&f, &c, 0, "Dask", 4, T0);
  feed(d, &f);
  tf_udp(&f, &c, 1, "Dreply", 6, T0 + 1000);
  feed(d, &f);
  assert_int_equal(fs_driver_finish(d), 0);
  static const char *const want[] = {"start", "msg 0 Dask", "msg 1 Dreply",
                                     "end flush service=dgram"};
  expect_log(&r, want, 4);
  fs_driver_destroy(d);
}

typedef struct snap_seen {
  int flows;
  uint64_t ooo;
  fs_flow_key key;
} snap_seen;

static int on_flow(void *ctx, const fs_flow_key *key, const fs_flow_stats *stats) {
  snap_seen *s = ctx;
  s->flows++;
  s->ooo += stats->side[0].reasm_ooo_segments;
  s->key = *key;
  return 0;
}

static void test_flows_mode_diagnostics_only(void **state) {
  (void)state;
  rec r;
  fs_driver *d = make(&r, FS_DRIVE_FLOWS, NULL, 0);
  tf_conn c = {{10, 0, 0, 1}, {10, 0, 0, 2}, 40000, 7777};
  fs_time_ns ts = T0;
  handshake(d, &c, &ts);
  tf_frame f;
  tf_tcp(&f, &c, 0, CISN + 4, SISN + 1, 0x18, "e\n", 2, ts += 1000); /* ahead of "L:" */
  feed(d, &f);
  tf_tcp(&f, &c, 0, CISN + 1, SISN + 1, 0x18, "L:o", 3, ts += 1000);
  feed(d, &f);
  /* Live snapshots carry the reassembly diagnostics too. */
  snap_seen sn;
  memset(&sn, 0, sizeof sn);
  assert_int_equal(fs_driver_foreach(d, on_flow, &sn), 0);
  assert_int_equal(sn.flows, 1);
  assert_int_equal(sn.ooo, 1);
  fs_flow_stats st;
  memset(&st, 0, sizeof st);
  st.struct_size = sizeof st;
  assert_int_equal(fs_driver_lookup(d, &sn.key, &st), 0);
  assert_int_equal(st.side[0].reasm_ooo_segments, 1);
  assert_int_equal(st.side[0].reasm_high_watermark, 2);
  assert_int_equal(fs_tracker_lookup(fs_driver_tracker(d), &sn.key, &st), 0);
  assert_int_equal(st.side[0].reasm_ooo_segments, 0); /* the tracker alone does not know */
  assert_int_equal(fs_driver_finish(d), 0);
  /* No parsers in flows mode, but the out-of-order segment is in the stats. */
  static const char *const want[] = {"start", "anomaly out_of_order side=0", "end flush service="};
  expect_log(&r, want, 3);
  assert_int_equal(r.last_end.side[0].reasm_ooo_segments, 1);
  assert_int_equal(r.last_end.side[0].reasm_high_watermark, 2);
  fs_driver_counters cn = {.struct_size = sizeof cn};
  fs_driver_counters_get(d, &cn);
  assert_int_equal(cn.messages, 0);
  assert_int_equal(cn.detect_unclaimed, 0);
  /* A caller built against an older, shorter struct: nothing past its end is written. */
  const size_t old_size = offsetof(fs_driver_counters, messages);
  union {
    fs_driver_counters c;
    unsigned char b[sizeof(fs_driver_counters)];
  } old;
  memset(&old, 0xA5, sizeof old);
  old.c.struct_size = (uint32_t)old_size;
  fs_driver_counters_get(d, &old.c);
  assert_int_equal(old.c.struct_size, old_size);
  assert_int_equal(old.c.packets, cn.packets);
  assert_int_equal(old.c.packets_in_flows, cn.packets_in_flows);
  for (size_t i = old_size; i < sizeof old; i++)
    assert_int_equal(old.b[i], 0xA5);
  fs_driver_destroy(d);
}

static void test_override_forces_protocol(void **state) {
  (void)state;
  rec r;
  static const fs_port_override ov[] = {{5555, FS_TRANSPORT_TCP, 0, "line"}};
  fs_driver *d = make(&r, FS_DRIVE_SESSIONS, ov, 1);
  tf_conn c = {{10, 0, 0, 1}, {10, 0, 0, 2}, 40000, 5555};
  fs_time_ns ts = T0;
  handshake(d, &c, &ts);
  tf_frame f;
  tf_tcp(&f, &c, 0, CISN + 1, SISN + 1, 0x18, "HELLO\n", 6,
         ts += 1000); /* the probe would say no */
  feed(d, &f);
  assert_int_equal(fs_driver_finish(d), 0);
  static const char *const want[] = {"start", "msg 0 HELLO", "msg 0 finish",
                                     "end flush service=line"};
  expect_log(&r, want, 4);
  fs_driver_destroy(d);
}

static void test_port_hint_without_probe(void **state) {
  (void)state;
  rec r;
  fs_driver *d = make(&r, FS_DRIVE_SESSIONS, NULL, 0);
  tf_conn c = {{10, 0, 0, 1}, {10, 0, 0, 2}, 40000, 6000};
  fs_time_ns ts = T0;
  handshake(d, &c, &ts);
  tf_frame f;
  tf_tcp(&f, &c, 0, CISN + 1, SISN + 1, 0x18, "X\n", 2, ts += 1000);
  feed(d, &f);
  assert_int_equal(fs_driver_finish(d), 0);
  static const char *const want[] = {"start", "msg 0 X", "msg 0 finish",
                                     "end flush service=portonly"};
  expect_log(&r, want, 4);
  fs_driver_destroy(d);
}

static void test_done_bypasses(void **state) {
  (void)state;
  rec r;
  fs_driver *d = make(&r, FS_DRIVE_SESSIONS, NULL, 0);
  tf_conn c = {{10, 0, 0, 1}, {10, 0, 0, 2}, 40000, 7777};
  fs_time_ns ts = T0;
  handshake(d, &c, &ts);
  tf_frame f;
  tf_tcp(&f, &c, 0, CISN + 1, SISN + 1, 0x18, "L:BYE\nL:after\n", 14, ts += 1000);
  feed(d, &f);
  tf_tcp(&f, &c, 0, CISN + 15, SISN + 1, 0x18, "L:more\n", 7, ts += 1000);
  feed(d, &f);
  assert_int_equal(fs_driver_finish(d), 0);
  /* Nothing after the parser said done; its finish still runs. */
  static const char *const want[] = {"start", "msg 0 L:BYE", "msg 0 finish",
                                     "end flush service=line"};
  expect_log(&r, want, 4);
  fs_driver_destroy(d);
}

static void test_gap_timeout_on_packet_time(void **state) {
  (void)state;
  rec r;
  fs_driver *d = make(&r, FS_DRIVE_SESSIONS, NULL, 0);
  tf_conn c = {{10, 0, 0, 1}, {10, 0, 0, 2}, 40000, 7777};
  fs_time_ns ts = T0;
  handshake(d, &c, &ts);
  tf_frame f;
  tf_tcp(&f, &c, 0, CISN + 1, SISN + 1, 0x18, "L:a\n", 4, ts += 1000);
  feed(d, &f);
  /* seq CISN+5..+8 never arrives; "L:c\n" waits behind the hole. */
  tf_tcp(&f, &c, 0, CISN + 9, SISN + 1, 0x18, "L:c\n", 4, ts += 1000);
  feed(d, &f);
  /* 11 s later (default gap timeout 10 s) a server packet moves time on. */
  tf_tcp(&f, &c, 1, SISN + 1, CISN + 5, 0x10, NULL, 0, ts += 11 * SEC);
  feed(d, &f);
  static const char *const want[] = {"start", "msg 0 L:a", "anomaly out_of_order side=0",
                                     "anomaly gap side=0", "msg 0 L:c"};
  expect_log(&r, want, 5);
  assert_int_equal(fs_driver_finish(d), 0);
  assert_int_equal(r.last_end.side[0].reasm_ooo_segments, 1);
  fs_driver_destroy(d);
}

static void test_snaplen_cut_is_a_gap_at_once(void **state) {
  (void)state;
  rec r;
  fs_driver *d = make(&r, FS_DRIVE_SESSIONS, NULL, 0);
  tf_conn c = {{10, 0, 0, 1}, {10, 0, 0, 2}, 40000, 7777};
  fs_time_ns ts = T0;
  handshake(d, &c, &ts);
  tf_frame f;
  /* 12 payload bytes on the wire, captured up to "L:one\nL:t" (9 bytes). */
  tf_tcp(&f, &c, 0, CISN + 1, SISN + 1, 0x18, "L:one\nL:two\n", 12, ts += 1000);
  f.len -= 3;
  feed(d, &f);
  tf_tcp(&f, &c, 0, CISN + 13, SISN + 1, 0x18, "L:x\n", 4, ts += 1000);
  feed(d, &f);
  /* No waiting for the gap timeout: "L:t" goes with the 3 lost bytes. */
  static const char *const want[] = {"start", "msg 0 L:one", "anomaly gap side=0", "msg 0 L:x"};
  expect_log(&r, want, 4);
  fs_driver_destroy(d);
}

static void test_config_errors_name_the_cause(void **state) {
  (void)state;
  fs_driver_config cfg;
  fs_driver_config_default(&cfg);
  cfg.mode = FS_DRIVE_SESSIONS;
  static const fs_port_override ov[] = {{80, FS_TRANSPORT_TCP, 0, "nosuch"}};
  cfg.overrides = ov;
  cfg.n_overrides = 1;
  fs_driver *d = NULL;
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_driver_create(&d, &cfg, err), FS_E_NOTFOUND);
  assert_null(d);
  assert_non_null(strstr(err, "nosuch"));
  assert_non_null(strstr(err, "port 80"));
  fs_driver_config_default(&cfg);
  cfg.mode = 9;
  assert_int_equal(fs_driver_create(&d, &cfg, err), FS_E_INVAL);
  assert_non_null(strstr(err, "mode"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_udp_datagram_parser),
      cmocka_unit_test(test_flows_mode_diagnostics_only),
      cmocka_unit_test(test_override_forces_protocol),
      cmocka_unit_test(test_port_hint_without_probe),
      cmocka_unit_test(test_done_bypasses),
      cmocka_unit_test(test_gap_timeout_on_packet_time),
      cmocka_unit_test(test_snaplen_cut_is_a_gap_at_once),
      cmocka_unit_test(test_config_errors_name_the_cause),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
