/* SPDX-License-Identifier: MIT */
/* TLS inside an HTTP CONNECT tunnel through the driver with the http and
 * tls plugins both loaded (as the CLI runs): the http plugin claims the flow,
 * hands it off after "200 Connection established" (FS_PARSE_HANDOFF), and
 * detection gives the tunnel to tls. Hand-built packets; the ClientHello is
 * TT_GREASE_CH, whose JA3 below was computed by tls_reference.py (written
 * from the JA3 definition, no code shared with the plugin):
 *   tls_reference.py hex <TT_GREASE_CH> ->
 *   ja3_string 771,4865-49199-255,0-10-11-13-16-43-21,29-23,0
 *   ja3        8b102174b33b957ebcd3a0ae1d54e4d5 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flowscope/driver.h"
#include "flowscope/registry.h"
#include "tcp_frames.h"
#include "tls_test_util.h"

#define T0 (1700000000ull * FS_NS_PER_SEC)
#define WANT_JA3 "8b102174b33b957ebcd3a0ae1d54e4d5"

static fs_registry *reg;

typedef struct seen {
  int http, ssl;
  char method[16];
  uint64_t status;
  char ja3[40], sni[32];
  char service[16]; /* the flow's, at its end */
} seen;

static void copy_str(const fs_message *m, const char *name, char *out, size_t cap) {
  const fs_field *f = fs_message_field(m, name);
  out[0] = '\0';
  if (f && (f->kind == FS_FIELD_STR || f->kind == FS_FIELD_BYTES))
    snprintf(out, cap, "%.*s", (int)f->v.str.len, f->v.str.ptr);
}

static void on_event(void *self, const fs_event *ev) {
  seen *s = self;
  if (ev->type == FS_EV_FLOW_ENDED && ev->stats)
    snprintf(s->service, sizeof s->service, "%.*s", (int)sizeof ev->stats->service,
             ev->stats->service);
  if (ev->type != FS_EV_MESSAGE || !ev->message)
    return;
  const fs_message *m = ev->message;
  if (strcmp(m->protocol, "http") == 0) {
    s->http++;
    copy_str(m, "method", s->method, sizeof s->method);
    const fs_field *f = fs_message_field(m, "status_code");
    s->status = f ? f->v.u64 : 0;
  } else if (strcmp(m->protocol, "ssl") == 0) {
    s->ssl++;
    copy_str(m, "ja3", s->ja3, sizeof s->ja3);
    copy_str(m, "server_name", s->sni, sizeof s->sni);
  }
}

static const fs_event_sink_ops sink_ops = {.struct_size = sizeof(fs_event_sink_ops),
                                           .on_event = on_event};

static const tf_conn conn = {{10, 0, 0, 1}, {10, 0, 0, 2}, 51000, 3128};

static const char connect_req[] = "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n";
static const char established[] = "HTTP/1.1 200 Connection established\r\n\r\n";

/* One TCP connection: handshake, @p n data pieces (dir, bytes), FINs. */
typedef struct piece {
  int dir;
  const uint8_t *p;
  uint32_t n;
} piece;

static fs_driver_counters run(const piece *pc, size_t n, seen *s, uint32_t split) {
  memset(s, 0, sizeof *s);
  static const char *const all[] = {"http", "ssl", NULL};
  fs_driver_config cfg;
  fs_driver_config_default(&cfg);
  cfg.mode = FS_DRIVE_SESSIONS;
  cfg.registry = reg;
  cfg.protocols = all;
  cfg.split_feed = split;
  cfg.split_seed = 11;
  cfg.sink.ops = &sink_ops;
  cfg.sink.self = s;
  fs_driver *d;
  char err[FS_ERRBUF_SIZE];
  if (fs_driver_create(&d, &cfg, err) != 0)
    fail_msg("driver: %s", err);
  static tf_frame f;
  uint32_t seq[2] = {1000, 9000};
  fs_time_ns t = T0;
#define FEED()                                                                                     \
  do {                                                                                             \
    fs_packet_view v = tf_view(&f);                                                                \
    assert_int_equal(fs_driver_feed(d, &v), 0);                                                    \
  } while (0)
  tf_tcp(&f, &conn, 0, seq[0], 0, FS_TCP_SYN, NULL, 0, t);
  FEED();
  tf_tcp(&f, &conn, 1, seq[1], seq[0] + 1, FS_TCP_SYN | FS_TCP_ACK, NULL, 0, t += 1000);
  FEED();
  seq[0]++, seq[1]++;
  for (size_t i = 0; i < n; i++) {
    int dir = pc[i].dir;
    tf_tcp(&f, &conn, dir, seq[dir], seq[dir ^ 1], FS_TCP_ACK | FS_TCP_PSH, pc[i].p, pc[i].n,
           t += 1000);
    FEED();
    seq[dir] += pc[i].n;
  }
  tf_tcp(&f, &conn, 0, seq[0], seq[1], FS_TCP_FIN | FS_TCP_ACK, NULL, 0, t += 1000);
  FEED();
  tf_tcp(&f, &conn, 1, seq[1], seq[0] + 1, FS_TCP_FIN | FS_TCP_ACK, NULL, 0, t += 1000);
  FEED();
#undef FEED
  assert_int_equal(fs_driver_finish(d), 0);
  fs_driver_counters c;
  memset(&c, 0, sizeof c);
  c.struct_size = sizeof c;
  fs_driver_counters_get(d, &c);
  fs_driver_destroy(d);
  return c;
}

/* The ClientHello in one TLS record (handshake, version 3.1). */
static uint32_t client_hello(uint8_t *out) {
  uint8_t body[512];
  size_t n = tt_hex(TT_GREASE_CH, body, sizeof body);
  return (uint32_t)tt_record(22, 1, body, n, out);
}

static void expect_both(const seen *s, const fs_driver_counters *c) {
  assert_int_equal(s->http, 1);
  assert_string_equal(s->method, "CONNECT");
  assert_int_equal(s->status, 200);
  assert_int_equal(s->ssl, 1);
  assert_string_equal(s->ja3, WANT_JA3);
  assert_string_equal(s->sni, "a.example");
  assert_int_equal(c->handoffs, 1);
  assert_int_equal(c->parse_errors, 0);
  assert_string_equal(s->service, "http,ssl"); /* as Zeek's conn.log names such a flow */
}

/* The client waits for the 200, then sends its ClientHello. */
static void test_connect_then_hello(void **state) {
  (void)state;
  uint8_t ch[600];
  uint32_t chn = client_hello(ch);
  const piece pc[] = {
      {0, (const uint8_t *)connect_req, sizeof connect_req - 1},
      {1, (const uint8_t *)established, sizeof established - 1},
      {0, ch, chn},
  };
  for (uint32_t split = 0; split <= 3; split += 3) {
    seen s;
    fs_driver_counters c = run(pc, 3, &s, split);
    expect_both(&s, &c);
  }
}

/* The client sends its ClientHello right behind the CONNECT request (in the
 * same segment): the http parser leaves it with the host until the 200. */
static void test_hello_before_200(void **state) {
  (void)state;
  uint8_t both[700];
  memcpy(both, connect_req, sizeof connect_req - 1);
  uint32_t n = (uint32_t)(sizeof connect_req - 1) + client_hello(both + sizeof connect_req - 1);
  const piece pc[] = {
      {0, both, n},
      {1, (const uint8_t *)established, sizeof established - 1},
  };
  for (uint32_t split = 0; split <= 3; split += 3) {
    seen s;
    fs_driver_counters c = run(pc, 2, &s, split);
    expect_both(&s, &c);
  }
}

/* A refused CONNECT (407) is no hand-off: the tunnel bytes never come. */
static void test_refused_connect_no_handoff(void **state) {
  (void)state;
  static const char refused[] = "HTTP/1.1 407 Proxy Authentication Required\r\n"
                                "Content-Length: 0\r\n\r\n";
  const piece pc[] = {
      {0, (const uint8_t *)connect_req, sizeof connect_req - 1},
      {1, (const uint8_t *)refused, sizeof refused - 1},
  };
  seen s;
  fs_driver_counters c = run(pc, 2, &s, 0);
  assert_int_equal(s.http, 1);
  assert_int_equal(s.status, 407);
  assert_int_equal(s.ssl, 0);
  assert_int_equal(c.handoffs, 0);
  assert_string_equal(s.service, "http");
}

static int setup(void **state) {
  (void)state;
  char err[FS_ERRBUF_SIZE];
  if (fs_registry_create(&reg, FS_REGISTRY_NO_SYSTEM | FS_REGISTRY_NO_ENV) != 0 ||
      fs_registry_add_dir(reg, FS_PLUGIN_BUILD_DIR) != 0 ||
      fs_registry_load(reg, "http", err) != 0 || fs_registry_load(reg, "tls", err) != 0) {
    fprintf(stderr, "registry: %s\n", err);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  fs_registry_destroy(reg);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_connect_then_hello),
      cmocka_unit_test(test_hello_before_200),
      cmocka_unit_test(test_refused_connect_no_handoff),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
