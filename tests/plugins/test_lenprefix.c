/* SPDX-License-Identifier: MIT */
/*
 * The lenprefix plugin, loaded through the registry and driven through its
 * ops with hand-built streams: whole, split at every point and in random
 * 1..3-byte pieces, with gaps, poison, a cut-off frame, and its probe.
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

/* Messages rendered as text lines, one per message, for comparison. */
typedef struct sink {
  char text[8192];
  size_t len;
  int count;
} sink;

static void put(sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sink *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(s->text + s->len, sizeof s->text - s->len, fmt, ap);
  va_end(ap);
  assert_true(n >= 0 && (size_t)n < sizeof s->text - s->len);
  s->len += (size_t)n;
}

static void on_message(void *ctx, const fs_message *m) {
  sink *s = ctx;
  put(s, "%u %s t=%llu", (unsigned)m->side, m->msg_type, (unsigned long long)m->ts);
  assert_string_equal(m->protocol, "lenprefix");
  for (uint32_t i = 0; i < m->n_fields; i++) {
    const fs_field *f = &m->fields[i];
    put(s, " %s=", f->name);
    if (f->kind == FS_FIELD_BYTES) {
      for (uint64_t j = 0; j < f->v.str.len; j++) {
        put(s, "%02x", (unsigned char)f->v.str.ptr[j]);
      }
    } else {
      put(s, "%llu", (unsigned long long)f->v.u64);
    }
  }
  put(s, "\n");
  s->count++;
}

static fs_registry *reg;
static const fs_protocol_desc *proto;

static int setup(void **state) {
  (void)state;
  char err[FS_ERRBUF_SIZE];
  if (fs_registry_create(&reg, FS_REGISTRY_NO_SYSTEM | FS_REGISTRY_NO_ENV) != 0 ||
      fs_registry_add_dir(reg, FS_PLUGIN_BUILD_DIR) != 0 ||
      fs_registry_load(reg, "lenprefix", err) != 0) {
    fprintf(stderr, "cannot load lenprefix: %s\n", err);
    return -1;
  }
  proto = fs_registry_protocol(reg, "lenprefix");
  return proto != NULL ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  fs_registry_destroy(reg);
  return 0;
}

/*
 * Initiator stream: three frames.
 *   A: len 00000003, type 01 (request), body "abc"
 *   B: len 00000000, type 04 (heartbeat), no body
 *   C: len 00000028 (40), type 03 (notify), body bytes 0x00..0x27
 */
static uint8_t client[8 + 5 + 45];
static size_t client_len;
/* Responder stream: len 00000002, type 02 (response), body "ok". */
static const uint8_t server[] = {0, 0, 0, 2, 0x02, 'o', 'k'};

static void build_client(void) {
  static const uint8_t ab[] = {0, 0, 0, 3, 0x01, 'a', 'b', 'c', 0, 0, 0, 0, 0x04};
  memcpy(client, ab, sizeof ab);
  size_t n = sizeof ab;
  const uint8_t hc[] = {0, 0, 0, 40, 0x03};
  memcpy(client + n, hc, sizeof hc);
  n += sizeof hc;
  for (uint8_t i = 0; i < 40; i++) {
    client[n++] = i;
  }
  client_len = n;
}

/* What the parser must report for the streams above (client fed at t=100, server at t=200). */
static const char expected[] =
    "0 request t=100 msg_type=1 length=3 index=0 body=616263 complete=1 missing_bytes=0\n"
    "0 heartbeat t=100 msg_type=4 length=0 index=1 body= complete=1 missing_bytes=0\n"
    "0 notify t=100 msg_type=3 length=40 index=2 "
    "body=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f complete=1 "
    "missing_bytes=0\n"
    "1 response t=200 msg_type=2 length=2 index=0 body=6f6b complete=1 missing_bytes=0\n";

typedef struct run {
  sink out;
  fs_parser_env env;
  void *parser;
} run;

static void run_start(run *r, const char *options) {
  memset(r, 0, sizeof *r);
  r->env.struct_size = sizeof r->env;
  r->env.initiator_is_a = 1;
  r->env.host = fs_registry_protocol_host_api(reg, proto);
  r->env.plugin_state = fs_registry_plugin_state(reg, proto);
  r->env.emit = on_message;
  r->env.emit_ctx = &r->out;
  r->env.options = options;
  r->parser = proto->session->create(&r->env);
  assert_non_null(r->parser);
}

/* Feeds data in pieces as given by cuts (ascending offsets, 0-terminated list). */
static void feed_pieces(run *r, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts,
                        const size_t *cuts, size_t n_cuts) {
  size_t off = 0;
  for (size_t i = 0; i <= n_cuts; i++) {
    size_t end = i < n_cuts ? cuts[i] : len;
    /* Each piece in its own exact-size allocation: an over-read hits ASan's redzone. */
    uint8_t *piece = malloc(end > off ? end - off : 1);
    memcpy(piece, data + off, end - off);
    size_t used = 0;
    assert_int_equal(proto->session->feed(r->parser, side, piece, end - off, ts, &used), 0);
    assert_int_equal(used, end - off);
    free(piece);
    off = end;
  }
}

static void run_end(run *r) {
  proto->session->finish(r->parser, 300);
  assert_null(proto->session->poison_reason(r->parser));
  proto->session->destroy(r->parser);
}

static void test_whole(void **state) {
  (void)state;
  build_client();
  run r;
  run_start(&r, NULL);
  feed_pieces(&r, 0, client, client_len, 100, NULL, 0);
  feed_pieces(&r, 1, server, sizeof server, 200, NULL, 0);
  run_end(&r);
  assert_string_equal(r.out.text, expected);
}

static void test_every_two_way_split(void **state) {
  (void)state;
  build_client();
  for (size_t cut = 1; cut < client_len; cut++) {
    run r;
    run_start(&r, NULL);
    feed_pieces(&r, 0, client, client_len, 100, &cut, 1);
    feed_pieces(&r, 1, server, sizeof server, 200, NULL, 0);
    run_end(&r);
    assert_string_equal(r.out.text, expected);
  }
}

static void test_random_small_pieces(void **state) {
  (void)state;
  build_client();
  srand(12345);
  for (int round = 0; round < 200; round++) {
    size_t cuts[sizeof client];
    size_t n = 0;
    for (size_t off = 1 + (size_t)(rand() % 3); off < client_len; off += 1 + (size_t)(rand() % 3)) {
      cuts[n++] = off;
    }
    run r;
    run_start(&r, NULL);
    feed_pieces(&r, 0, client, client_len, 100, cuts, n);
    feed_pieces(&r, 1, server, sizeof server, 200, NULL, 0);
    run_end(&r);
    assert_string_equal(r.out.text, expected);
  }
}

static void test_gap_inside_body(void **state) {
  (void)state;
  build_client();
  run r;
  run_start(&r, NULL);
  /* Frames A and B (13 bytes), C's header (5) and its first 10 body bytes. */
  feed_pieces(&r, 0, client, 28, 100, NULL, 0);
  /* 20 body bytes lost, then the last 10 arrive. */
  assert_int_equal(proto->session->gap(r.parser, 0, 20, 150), FS_PARSE_OK);
  feed_pieces(&r, 0, client + 48, 10, 160, NULL, 0);
  run_end(&r);
  const char want[] =
      "0 request t=100 msg_type=1 length=3 index=0 body=616263 complete=1 missing_bytes=0\n"
      "0 heartbeat t=100 msg_type=4 length=0 index=1 body= complete=1 missing_bytes=0\n"
      "0 notify t=100 msg_type=3 length=40 index=2 body=00010203040506070809 complete=1 "
      "missing_bytes=20\n";
  assert_string_equal(r.out.text, want);
}

static void test_gap_across_header_poisons(void **state) {
  (void)state;
  build_client();
  run r;
  run_start(&r, NULL);
  feed_pieces(&r, 0, client, 8, 100, NULL, 0); /* frame A only */
  /* B's header is lost: no way to find the next frame boundary. */
  assert_int_equal(proto->session->gap(r.parser, 0, 5, 150), FS_PARSE_POISON);
  assert_string_equal(proto->session->poison_reason(r.parser),
                      "gap across a frame header: framing lost");
  size_t used = 0;
  assert_int_equal(proto->session->feed(r.parser, 0, client + 13, 5, 160, &used), FS_PARSE_POISON);
  proto->session->finish(r.parser, 300);
  proto->session->destroy(r.parser);
  assert_int_equal(r.out.count, 1);
}

static void test_oversized_frame_poisons(void **state) {
  (void)state;
  build_client();
  run r;
  /* max_frame=2: frame A declares a 3-byte body. */
  run_start(&r, "other=1,max_frame=2");
  size_t used = 0;
  assert_int_equal(proto->session->feed(r.parser, 0, client, client_len, 100, &used),
                   FS_PARSE_POISON);
  assert_non_null(strstr(proto->session->poison_reason(r.parser), "exceeds max_frame"));
  proto->session->destroy(r.parser);
  assert_int_equal(r.out.count, 0);
  /* "GET / HTTP/1.1" as a length is 0x47455420: far beyond the default 1 MiB. */
  run_start(&r, NULL);
  assert_int_equal(
      proto->session->feed(r.parser, 0, (const uint8_t *)"GET / HTTP/1.1", 14, 100, &used),
      FS_PARSE_POISON);
  proto->session->destroy(r.parser);
}

static void test_cut_off_frame(void **state) {
  (void)state;
  build_client();
  run r;
  run_start(&r, NULL);
  feed_pieces(&r, 0, client, 20, 100, NULL, 0); /* A, B, and C's header + 2 body bytes */
  assert_int_equal(proto->session->end_side(r.parser, 0, 120), FS_PARSE_OK);
  feed_pieces(&r, 1, server, 3, 200, NULL, 0); /* 3 of the response's 5 header bytes */
  run_end(&r);
  const char want[] =
      "0 request t=100 msg_type=1 length=3 index=0 body=616263 complete=1 missing_bytes=0\n"
      "0 heartbeat t=100 msg_type=4 length=0 index=1 body= complete=1 missing_bytes=0\n"
      "0 notify t=100 msg_type=3 length=40 index=2 body=0001 complete=0 missing_bytes=0 "
      "received=7\n"
      "1 partial_header t=200 msg_type=0 length=0 index=0 body= complete=0 missing_bytes=0 "
      "received=3\n";
  assert_string_equal(r.out.text, want);
}

static void test_probe_and_hints(void **state) {
  (void)state;
  build_client();
  assert_int_equal(proto->transports, FS_TRANSPORT_TCP);
  assert_int_equal(proto->n_ports, 1);
  assert_int_equal(proto->ports[0].lo, 7777);
  assert_int_equal(proto->probe(client, 4, 0), FS_PROBE_NEED_MORE);
  /* Frame A complete, B's header not yet: a second header could still come. */
  assert_int_equal(proto->probe(client, 8, 0), FS_PROBE_NEED_MORE);
  assert_int_equal(proto->probe(client, 13, 0), FS_PROBE_YES); /* A then B's header */
  assert_int_equal(proto->probe(server, sizeof server, 1), FS_PROBE_NEED_MORE);
  assert_int_equal(proto->probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16, 0), FS_PROBE_NO);
  /* TLS record header: 16 03 01 00 a5 -> length 0x160301.. far too big. */
  static const uint8_t tls[] = {0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00};
  assert_int_equal(proto->probe(tls, sizeof tls, 0), FS_PROBE_NO);
  /* Type 9 is not defined. */
  static const uint8_t bad_type[] = {0, 0, 0, 1, 9, 0};
  assert_int_equal(proto->probe(bad_type, sizeof bad_type, 0), FS_PROBE_NO);
  /* A plausible first header followed by an implausible second one. */
  static const uint8_t bad_second[] = {0, 0, 0, 1, 1, 'x', 0xff, 0xff, 0xff, 0xff, 1};
  assert_int_equal(proto->probe(bad_second, sizeof bad_second, 0), FS_PROBE_NO);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_whole),
      cmocka_unit_test(test_every_two_way_split),
      cmocka_unit_test(test_random_small_pieces),
      cmocka_unit_test(test_gap_inside_body),
      cmocka_unit_test(test_gap_across_header_poisons),
      cmocka_unit_test(test_oversized_frame_poisons),
      cmocka_unit_test(test_cut_off_frame),
      cmocka_unit_test(test_probe_and_hints),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
