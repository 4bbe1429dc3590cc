/* SPDX-License-Identifier: MIT */
/* http plugin: what a passive observer must read although llhttp alone
 * would refuse it, each case hand-built after a capture of the corpus that
 * tshark decodes: request lines with an unknown method, no target, no or a
 * cut version, an extra token; requests sent by the host's responder;
 * request framing that cannot be followed (resync, not poison); a line cut
 * by a gap; the pipelining queue bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto_harness.h"

#define S(x) x, (sizeof x - 1)
#define C2S FS_SIDE_INITIATOR
#define S2C FS_SIDE_RESPONDER

static ph_ctx ctx;

static int open_with(const char *options) {
  return ph_open(&ctx, "http", "http", options) == 0 && ph_create(&ctx, 1) == 0 ? 0 : -1;
}

static int setup(void **state) {
  (void)state;
  return open_with(NULL);
}

static int setup_pending2(void **state) {
  (void)state;
  return open_with("max_pending=2");
}

static int teardown(void **state) {
  (void)state;
  ph_close(&ctx);
  return 0;
}

static const char ok405[] = "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n";
static const char ok400[] = "HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n";

/* The shapes of http/methods.pcap and http/no-uri.pcap, one connection:
 * each request is read (method and target as sent, headers parsed) and
 * pairs with its response. */
static void test_odd_request_lines(void **state) {
  (void)state;
  /* method llhttp does not know (Cisco CallManager), version cut short */
  assert_int_equal(ph_feed(&ctx, C2S, S("CCM_POST / HTTP/1.\nHost: a\n\n"), 1), FS_PARSE_OK);
  ph_feed(&ctx, S2C, S(ok405), 2);
  /* method alone on its line */
  ph_feed(&ctx, C2S, S("OPTIONS\r\nHost: b\r\n\r\n"), 3);
  ph_feed(&ctx, S2C, S(ok400), 4);
  /* no target: the version is the target (as tshark reads it) */
  ph_feed(&ctx, C2S, S("GET HTTP/1.1\r\nHost: c\r\n\r\n"), 5);
  ph_feed(&ctx, S2C, S(ok400), 6);
  /* any token is a method when a version ends the line */
  ph_feed(&ctx, C2S, S("X-MAKE /a HTTP/1.1\r\nHost: d\r\nContent-Length: 2\r\n\r\nhi"), 7);
  ph_feed(&ctx, S2C, S(ok405), 8);
  /* a version llhttp does not take is still reported */
  ph_feed(&ctx, C2S, S("GET /v HTTP/2.0\r\nHost: e\r\n\r\n"), 9);
  ph_feed(&ctx, S2C, S(ok400), 10);
  assert_int_equal(ctx.n, 5);
  assert_null(ctx.proto->session->poison_reason(ctx.parser));
  static const char *const meth[] = {"CCM_POST", "OPTIONS", "GET", "X-MAKE", "GET"};
  static const char *const uri[] = {"/", "", "HTTP/1.1", "/a", "/v"};
  static const char *const host[] = {"a", "b", "c", "d", "e"};
  static const uint64_t status[] = {405, 400, 400, 405, 400};
  for (size_t i = 0; i < 5; i++) {
    assert_true(ph_str_is(&ctx, i, "method", meth[i]));
    assert_true(ph_str_is(&ctx, i, "uri", uri[i]));
    assert_true(ph_str_is(&ctx, i, "host", host[i]));
    assert_int_equal(ph_u64(&ctx, i, "status_code"), status[i]);
    assert_int_equal(ph_u64(&ctx, i, "trans_depth"), i + 1);
  }
  /* "HTTP/1." is no version: the field falls back to the response's */
  assert_true(ph_str_is(&ctx, 0, "version", "1.1"));
  assert_true(ph_str_is(&ctx, 3, "version", "1.1"));
  assert_int_equal(ph_u64(&ctx, 3, "request_body_len"), 2); /* framed by its headers */
  assert_true(ph_str_is(&ctx, 4, "version", "2.0"));
}

/* http/connect-with-smtp.pcap: "CONNECT host:25 / HTTP/1.0" (an extra
 * token), a header line without a colon, then SMTP through the tunnel. */
static void test_connect_extra_token(void **state) {
  (void)state;
  ph_feed(&ctx, C2S,
          S("CONNECT mail.example:25 / HTTP/1.0\r\nMozilla 4.0 (compatible)\r\n\r\n"
            "HELO x\r\n"),
          1);
  int r = ph_feed(&ctx, S2C, S("HTTP/1.0 200 Connection established\r\n\r\n220 ready\r\n"), 2);
  assert_int_equal(r, FS_PARSE_HANDOFF);
  assert_int_equal(ctx.kept_len[S2C], 11); /* "220 ready\r\n" is SMTP: left to the host */
  assert_int_equal(ctx.n, 1);
  assert_true(ph_str_is(&ctx, 0, "method", "CONNECT"));
  assert_true(ph_str_is(&ctx, 0, "uri", "mail.example:25"));
  assert_int_equal(ph_u64(&ctx, 0, "status_code"), 200);
}

/* Stray text with no version and no known method is still no request. */
static void test_unknown_token_without_version_poisons(void **state) {
  (void)state;
  assert_int_equal(ph_feed(&ctx, C2S, S("FROB /x\r\n\r\n"), 1), FS_PARSE_POISON);
  assert_non_null(ctx.proto->session->poison_reason(ctx.parser));
  assert_int_equal(ctx.n, 0);
}

/* Odd request lines fed whole and in 1-, 2- and 3-byte pieces give the
 * same transactions (a line split over feeds waits in the line buffer;
 * "OPTIONS" CR split before its LF once poisoned the flow). */
static char *run_split(const char *c2s, size_t c2s_len, const char *s2c, size_t s2c_len,
                       size_t piece) {
  ph_close(&ctx);
  if (open_with(NULL) != 0) {
    return NULL;
  }
  ph_feed_pieces(&ctx, C2S, c2s, c2s_len, 1, piece ? piece : c2s_len);
  ph_feed_pieces(&ctx, S2C, s2c, s2c_len, 2, piece ? piece : s2c_len);
  ph_finish(&ctx, 3);
  return ph_all_text(&ctx);
}

static void test_odd_lines_split(void **state) {
  (void)state;
  static const char c2s[] = "CCM_POST / HTTP/1.\nHost: a\n\nOPTIONS\r\nHost: b\r\n\r\n"
                            "GET HTTP/1.1\r\nHost: c\r\n\r\n";
  static const char s2c[] = "HTTP/1.1 405 No\r\nContent-Length: 0\r\n\r\n"
                            "HTTP/1.0 400 Bad\r\nContent-Length: 0\r\n\r\n"
                            "HTTP/1.0 400 Bad\r\nContent-Length: 0\r\n\r\n";
  char *whole = run_split(c2s, sizeof c2s - 1, s2c, sizeof s2c - 1, 0);
  assert_non_null(whole);
  assert_int_equal(ctx.n, 3);
  assert_true(ph_str_is(&ctx, 1, "method", "OPTIONS"));
  assert_int_equal(ph_u64(&ctx, 2, "status_code"), 400);
  for (size_t piece = 1; piece <= 3; piece++) {
    char *cut = run_split(c2s, sizeof c2s - 1, s2c, sizeof s2c - 1, piece);
    assert_non_null(cut);
    assert_string_equal(cut, whole);
    free(cut);
  }
  free(whole);
}

/* communityid/tcp.pcap: the request line is cut by the snap length (a
 * gap follows): method and target are still reported. */
static void test_line_cut_by_gap(void **state) {
  (void)state;
  ph_feed(&ctx, C2S, S("GET /images/a.gif HTT"), 1);
  assert_int_equal(ctx.proto->session->gap(ctx.parser, C2S, 200, 2), FS_PARSE_OK);
  ph_feed(&ctx, S2C, S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 3);
  assert_int_equal(ctx.n, 1);
  assert_true(ph_str_is(&ctx, 0, "method", "GET"));
  assert_true(ph_str_is(&ctx, 0, "uri", "/images/a.gif"));
  assert_int_equal(ph_u64(&ctx, 0, "status_code"), 200);
}

/* tcp/payload-synack.pcap, zeek-image-1080-80-x.pcapng: the host's
 * responder sends the request. The probe accepts it, the parser swaps the
 * roles, and the message says which side asked. */
static void test_requests_from_the_responder(void **state) {
  (void)state;
  fs_probe_fn probe = ctx.proto->probe;
  assert_int_equal(probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16, S2C), FS_PROBE_YES);
  assert_int_equal(probe((const uint8_t *)"HTTP/1.1 200 OK\r\n", 17, C2S), FS_PROBE_YES);
  assert_int_equal(probe((const uint8_t *)"OPTIONS\r\n", 9, C2S), FS_PROBE_YES);
  assert_int_equal(probe((const uint8_t *)"SSH-2.0-x", 9, S2C), FS_PROBE_NO);
  ph_feed(&ctx, S2C, S("GET /zeek.png HTTP/1.1\r\nHost: localhost\r\n\r\n"), 1);
  ph_feed(&ctx, C2S, S("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nPNG"), 2);
  assert_int_equal(ctx.n, 1);
  assert_true(ph_str_is(&ctx, 0, "uri", "/zeek.png"));
  assert_int_equal(ph_u64(&ctx, 0, "status_code"), 200);
  assert_int_equal(ph_u64(&ctx, 0, "response_body_len"), 3);
  assert_int_equal(ctx.msgs[0]->side, S2C);
}

/* http/261 smuggling variants: a request whose body length cannot be
 * determined is reported and the side resyncs at the next request line
 * (tshark lists the smuggled request too); the flow is not poisoned. */
static void test_unframeable_requests_resync(void **state) {
  (void)state;
  ph_feed(&ctx, C2S,
          S("POST /1 HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n"
            "GET /s1 HTTP/1.1\r\nHost: t\r\n\r\n"
            "POST /2 HTTP/1.1\r\nHost: t\r\nContent-Length: 18446744073709551615\r\n\r\n"
            "GET /s2 HTTP/1.1\r\nHost: t\r\n\r\n"
            "POST /3 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n"
            "0\r\n\r\n"
            "GET /s3 HTTP/1.1\r\nHost: t\r\n\r\n"),
          1);
  assert_null(ctx.proto->session->poison_reason(ctx.parser));
  ph_finish(&ctx, 2);
  assert_int_equal(ctx.n, 6);
  static const char *const uri[] = {"/1", "/s1", "/2", "/s2", "/3", "/s3"};
  for (size_t i = 0; i < 6; i++) {
    assert_true(ph_str_is(&ctx, i, "uri", uri[i]));
  }
}

/* A request line too long to wait for (over 8 KiB) goes to llhttp as it
 * is; nothing of the normalised request before it carries over. */
static void test_long_line_after_normalised(void **state) {
  (void)state;
  static char req[10000];
  size_t n = (size_t)snprintf(req, sizeof req, "GET /v HTTP/2.0\r\nHost: e\r\n\r\nGET /");
  memset(req + n, 'a', 9000);
  n += 9000;
  n += (size_t)snprintf(req + n, sizeof req - n, " HTTP/1.0\r\nHost: f\r\n\r\n");
  assert_int_equal(ph_feed(&ctx, C2S, req, n, 1), FS_PARSE_OK);
  ph_finish(&ctx, 2);
  assert_int_equal(ctx.n, 2);
  assert_true(ph_str_is(&ctx, 0, "version", "2.0"));
  assert_true(ph_str_is(&ctx, 1, "version", "1.0"));
  assert_true(ph_str_is(&ctx, 1, "host", "f"));
}

/* The default queue holds far more than 16 pipelined requests. */
static void test_deep_pipeline_paired(void **state) {
  (void)state;
  static const char req[] = "GET /p HTTP/1.1\r\nHost: h\r\n\r\n";
  static const char resp[] = "HTTP/1.1 204 No Content\r\n\r\n";
  for (int i = 0; i < 100; i++) {
    ph_feed(&ctx, C2S, S(req), 1);
  }
  assert_int_equal(ctx.n, 0);
  for (int i = 0; i < 100; i++) {
    ph_feed(&ctx, S2C, S(resp), 2);
  }
  assert_int_equal(ctx.n, 100);
  for (size_t i = 0; i < 100; i++) {
    assert_int_equal(ph_u64(&ctx, i, "status_code"), 204);
  }
  assert_int_equal(ctx.counter_calls, 0); /* no overflow, no resync, nothing odd */
}

/* max_pending=2: a third request pushes the first out without its
 * response, counted (http.pipeline_overflow). */
static void test_pipeline_overflow_counted(void **state) {
  (void)state;
  ph_feed(&ctx, C2S,
          S("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
            "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n"),
          1);
  assert_int_equal(ctx.n, 1);
  assert_true(ph_str_is(&ctx, 0, "uri", "/1"));
  assert_int_equal(ph_field(&ctx, 0, "status_code")->kind, FS_FIELD_NONE);
  assert_int_equal(ctx.counter_calls, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_odd_request_lines, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connect_extra_token, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_token_without_version_poisons, setup, teardown),
      cmocka_unit_test_setup_teardown(test_odd_lines_split, setup, teardown),
      cmocka_unit_test_setup_teardown(test_line_cut_by_gap, setup, teardown),
      cmocka_unit_test_setup_teardown(test_requests_from_the_responder, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unframeable_requests_resync, setup, teardown),
      cmocka_unit_test_setup_teardown(test_long_line_after_normalised, setup, teardown),
      cmocka_unit_test_setup_teardown(test_deep_pipeline_paired, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pipeline_overflow_counted, setup_pending2, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
