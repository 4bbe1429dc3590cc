/* SPDX-License-Identifier: MIT */
/* http plugin: transactions from hand-built HTTP/1.x exchanges (RFC 9112
 * message layouts), driven through the plugin's session ops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto_harness.h"

#define S(x) x, (sizeof x - 1)
#define C2S FS_SIDE_INITIATOR
#define S2C FS_SIDE_RESPONDER

static ph_ctx ctx;

static int setup(void **state) {
  (void)state;
  if (ph_open(&ctx, "http", "http", NULL) != 0 || ph_create(&ctx, 1) != 0) {
    return -1;
  }
  return 0;
}

static int setup_all_headers(void **state) {
  (void)state;
  if (ph_open(&ctx, "http", "http", "all_headers=1") != 0 || ph_create(&ctx, 1) != 0) {
    return -1;
  }
  return 0;
}

static int setup_small_headers(void **state) {
  (void)state;
  if (ph_open(&ctx, "http", "http", "max_header_bytes=100") != 0 || ph_create(&ctx, 1) != 0) {
    return -1;
  }
  return 0;
}

/* A host built against core ABI 1.0, which knows no FS_PARSE_HANDOFF. */
static int setup_host_1_0(void **state) {
  (void)state;
  if (ph_open(&ctx, "http", "http", NULL) != 0) {
    return -1;
  }
  ctx.host.abi_minor = 0;
  return ph_create(&ctx, 1) != 0 ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  ph_close(&ctx);
  return 0;
}

static void test_descriptor(void **state) {
  (void)state;
  assert_string_equal(ctx.desc->name, "http");
  assert_int_equal(ctx.desc->abi_major, FS_ABI_MAJOR);
  assert_true(ctx.proto->transports & FS_TRANSPORT_TCP);
  assert_non_null(ctx.proto->session);
  assert_null(ctx.proto->datagram);
  int has80 = 0;
  for (uint32_t i = 0; i < ctx.proto->n_ports; i++) {
    has80 |= ctx.proto->ports[i].lo <= 80 && 80 <= ctx.proto->ports[i].hi;
  }
  assert_true(has80);
}

static void test_probe(void **state) {
  (void)state;
  fs_probe_fn probe = ctx.proto->probe;
  assert_int_equal(probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16, C2S), FS_PROBE_YES);
  assert_int_equal(probe((const uint8_t *)"POS", 3, C2S), FS_PROBE_NEED_MORE);
  assert_int_equal(probe((const uint8_t *)"\x16\x03\x01\x02\x00", 5, C2S), FS_PROBE_NO);
  assert_int_equal(probe((const uint8_t *)"HTTP/1.1 200 OK\r\n", 17, S2C), FS_PROBE_YES);
  assert_int_equal(probe((const uint8_t *)"HTT", 3, S2C), FS_PROBE_NEED_MORE);
  assert_int_equal(probe((const uint8_t *)"SSH-2.0-x", 9, S2C), FS_PROBE_NO);
  /* GETX is not a method followed by a space */
  assert_int_equal(probe((const uint8_t *)"GETX / ", 7, C2S), FS_PROBE_NO);
}

/* RFC 9112 3 / 4 layouts: request line, Host, User-Agent, Referer; status
 * line, Content-Type with a parameter, Content-Length body. */
static void test_get_200(void **state) {
  (void)state;
  assert_int_equal(ph_feed(&ctx, C2S,
                           S("GET /hello.txt?x=1 HTTP/1.1\r\n"
                             "User-Agent: curl/7.16.3 libcurl/7.16.3\r\n"
                             "Host: www.example.com\r\n"
                             "Referer: http://example.org/\r\n"
                             "Accept-Language: en, mi\r\n\r\n"),
                           1000),
                   FS_PARSE_OK);
  assert_int_equal(ctx.n, 0); /* waits for the response */
  assert_int_equal(ph_feed(&ctx, S2C,
                           S("HTTP/1.1 200 OK\r\n"
                             "Date: Mon, 27 Jul 2009 12:28:53 GMT\r\n"
                             "Content-Type: Text/Plain; charset=utf-8\r\n"
                             "Content-Length: 51\r\n\r\n"
                             "Hello World! My content includes a trailing CRLF.\r\n"),
                           2000),
                   FS_PARSE_OK);
  assert_int_equal(ctx.n, 1);
  assert_string_equal(ctx.msgs[0]->protocol, "http");
  assert_string_equal(ctx.msgs[0]->msg_type, "transaction");
  assert_int_equal(ctx.msgs[0]->ts, 1000);
  assert_int_equal(ph_u64(&ctx, 0, "trans_depth"), 1);
  assert_true(ph_str_is(&ctx, 0, "method", "GET"));
  assert_true(ph_str_is(&ctx, 0, "host", "www.example.com"));
  assert_true(ph_str_is(&ctx, 0, "uri", "/hello.txt?x=1"));
  assert_true(ph_str_is(&ctx, 0, "version", "1.1"));
  assert_true(ph_str_is(&ctx, 0, "user_agent", "curl/7.16.3 libcurl/7.16.3"));
  assert_true(ph_str_is(&ctx, 0, "referrer", "http://example.org/"));
  assert_int_equal(ph_u64(&ctx, 0, "status_code"), 200);
  assert_true(ph_str_is(&ctx, 0, "status_msg", "OK"));
  assert_int_equal(ph_u64(&ctx, 0, "request_body_len"), 0);
  assert_int_equal(ph_u64(&ctx, 0, "response_body_len"), 51);
  assert_string_equal(ph_list_item(&ctx, 0, "resp_mime_types", 0), "text/plain");
  assert_int_equal(ph_field(&ctx, 0, "orig_mime_types")->count, 0);
  assert_int_equal(ph_u64(&ctx, 0, "truncated"), 0);
  assert_int_equal(ph_field(&ctx, 0, "info_code")->kind, FS_FIELD_NONE);
}

/* Two pipelined requests in one segment, a POST with a body, then both
 * responses in one segment: paired in order (RFC 9112 9.3.2). */
static void test_pipelining(void **state) {
  (void)state;
  assert_int_equal(ph_feed(&ctx, C2S,
                           S("GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
                             "POST /b HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
                             "Content-Length: 7\r\n\r\n{\"k\":1}"),
                           10),
                   FS_PARSE_OK);
  assert_int_equal(ph_feed(&ctx, S2C,
                           S("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnopHTTP/1.1 201 "
                             "Created\r\nContent-Length: 0\r\n\r\n"),
                           20),
                   FS_PARSE_OK);
  assert_int_equal(ctx.n, 2);
  assert_true(ph_str_is(&ctx, 0, "uri", "/a"));
  assert_int_equal(ph_u64(&ctx, 0, "status_code"), 404);
  assert_true(ph_str_is(&ctx, 0, "status_msg", "Not Found"));
  assert_int_equal(ph_u64(&ctx, 0, "response_body_len"), 3);
  assert_true(ph_str_is(&ctx, 1, "method", "POST"));
  assert_true(ph_str_is(&ctx, 1, "uri", "/b"));
  assert_int_equal(ph_u64(&ctx, 1, "trans_depth"), 2);
  assert_int_equal(ph_u64(&ctx, 1, "request_body_len"), 7);
  assert_int_equal(ph_u64(&ctx, 1, "status_code"), 201);
  assert_string_equal(ph_list_item(&ctx, 1, "orig_mime_types", 0), "application/json");
}

/* RFC 9112 7.1: chunked body; the length counts decoded data only. */
static void test_chunked(void **state) {
  (void)state;
  ph_feed(&ctx, C2S, S("GET /c HTTP/1.1\r\nHost: h\r\n\r\n"), 1);
  assert_int_equal(ph_feed(&ctx, S2C,
                           S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "4\r\nWiki\r\n5;ext=1\r\npedia\r\ne\r\n in\r\n\r\nchunks.\r\n"
                             "0\r\nX-Trailer: t\r\n\r\n"),
                           2),
                   FS_PARSE_OK);
  assert_int_equal(ctx.n, 1);
  assert_int_equal(ph_u64(&ctx, 0, "response_body_len"), 4 + 5 + 14);
}

/* HTTP/1.0 response without Content-Length: the body ends with the
 * connection (RFC 9112 6.3 item 8). */
static void test_close_delimited(void **state) {
  (void)state;
  ph_feed(&ctx, C2S, S("GET /old HTTP/1.0\r\n\r\n"), 1);
  ph_feed(&ctx, S2C, S("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>"), 2);
  ph_feed(&ctx, S2C, S("</html>"), 3);
  assert_int_equal(ctx.n, 0);
  assert_int_equal(ctx.proto->session->end_side(ctx.parser, S2C, 4), FS_PARSE_OK);
  assert_int_equal(ctx.n, 1);
  assert_true(ph_str_is(&ctx, 0, "version", "1.0"));
  assert_int_equal(ph_u64(&ctx, 0, "response_body_len"), 13);
  {
    const fs_field *h = ph_field(&ctx, 0, "host");
    assert_non_null(h);
    assert_int_equal(h->kind, FS_FIELD_NONE); /* no Host header in 1.0 */
  }
}

/* HEAD: the response announces a length but has no body (RFC 9112 6.3
 * item 1); 204 and 304 have none either. The next responses pair right. */
static void test_head_204_304(void **state) {
  (void)state;
  ph_feed(&ctx, C2S,
          S("HEAD /big HTTP/1.1\r\nHost: h\r\n\r\nDELETE /x HTTP/1.1\r\nHost: h\r\n\r\n"
            "GET /y HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"e\"\r\n\r\n"),
          1);
  ph_feed(&ctx, S2C,
          S("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"
            "HTTP/1.1 204 No Content\r\n\r\n"
            "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"),
          2);
  assert_int_equal(ctx.n, 3);
  assert_true(ph_str_is(&ctx, 0, "method", "HEAD"));
  assert_int_equal(ph_u64(&ctx, 0, "status_code"), 200);
  assert_int_equal(ph_u64(&ctx, 0, "response_body_len"), 0);
  assert_int_equal(ph_u64(&ctx, 1, "status_code"), 204);
  assert_true(ph_str_is(&ctx, 2, "uri", "/y"));
  assert_int_equal(ph_u64(&ctx, 2, "status_code"), 304);
}

/* RFC 9110 15.2.1: 100 Continue is interim; the final response pairs. */
static void test_100_continue(void **state) {
  (void)state;
  ph_feed(&ctx, C2S,
          S("PUT /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"), 1);
  ph_feed(&ctx, S2C, S("HTTP/1.1 100 Continue\r\n\r\n"), 2);
  ph_feed(&ctx, C2S, S("data"), 3);
  ph_feed(&ctx, S2C, S("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"), 4);
  assert_int_equal(ctx.n, 1);
  assert_int_equal(ph_u64(&ctx, 0, "info_code"), 100);
  assert_true(ph_str_is(&ctx, 0, "info_msg", "Continue"));
  assert_int_equal(ph_u64(&ctx, 0, "status_code"), 201);
  assert_true(ph_str_is(&ctx, 0, "status_msg", "Created"));
  assert_int_equal(ph_u64(&ctx, 0, "request_body_len"), 4);
}

/* Ten requests in flight before the first response (more than the
 * transactions a connection starts with room for), values longer than the
 * common ones (a 300-byte target and a 200-byte User-Agent, each split
 * across feeds), and an interim response with a long reason: every value
 * comes out whole and each response pairs with its own request. */
static void test_deep_pipelining_long_values(void **state) {
  (void)state;
  char uri[301], ua[201], reason[61], buf[1024];
  for (size_t i = 0; i < sizeof uri - 1; i++) {
    uri[i] = (char)('a' + i % 26);
  }
  uri[0] = '/';
  uri[sizeof uri - 1] = 0;
  for (size_t i = 0; i < sizeof ua - 1; i++) {
    ua[i] = (char)('A' + i % 26);
  }
  ua[sizeof ua - 1] = 0;
  for (size_t i = 0; i < sizeof reason - 1; i++) {
    reason[i] = (char)('k' + i % 10);
  }
  reason[sizeof reason - 1] = 0;
  for (int r = 0; r < 10; r++) {
    int n = r == 6 ? snprintf(buf, sizeof buf,
                              "GET %s HTTP/1.1\r\nHost: h\r\nUser-Agent: %s\r\n\r\n", uri, ua)
                   : snprintf(buf, sizeof buf, "GET /r%d HTTP/1.1\r\nHost: h\r\n\r\n", r);
    /* Pieces of 7 bytes: the long values arrive in many feeds. */
    assert_int_equal(ph_feed_pieces(&ctx, C2S, buf, (size_t)n, (fs_time_ns)(r + 1), 7),
                     FS_PARSE_OK);
  }
  assert_int_equal(ctx.n, 0);
  for (int r = 0; r < 10; r++) {
    int n = 0;
    if (r == 2) {
      n = snprintf(buf, sizeof buf, "HTTP/1.1 100 %s\r\n\r\n", reason);
      assert_int_equal(ph_feed(&ctx, S2C, buf, (size_t)n, 20), FS_PARSE_OK);
    }
    n = snprintf(buf, sizeof buf, "HTTP/1.1 %d R\r\nContent-Length: 0\r\n\r\n", 200 + r);
    assert_int_equal(ph_feed(&ctx, S2C, buf, (size_t)n, (fs_time_ns)(30 + r)), FS_PARSE_OK);
  }
  assert_int_equal(ctx.n, 10);
  for (int r = 0; r < 10; r++) {
    char want[16];
    snprintf(want, sizeof want, "/r%d", r);
    assert_int_equal(ph_u64(&ctx, (size_t)r, "trans_depth"), (uint64_t)r + 1);
    assert_int_equal(ph_u64(&ctx, (size_t)r, "status_code"), 200u + (unsigned)r);
    assert_true(ph_str_is(&ctx, (size_t)r, "uri", r == 6 ? uri : want));
    assert_int_equal(ph_u64(&ctx, (size_t)r, "truncated"), 0);
  }
  assert_true(ph_str_is(&ctx, 6, "user_agent", ua));
  assert_int_equal(ph_u64(&ctx, 2, "info_code"), 100);
  assert_true(ph_str_is(&ctx, 2, "info_msg", reason));
  assert_int_equal(ph_field(&ctx, 3, "info_code")->kind, FS_FIELD_NONE);
}

/* CONNECT accepted: emit, then hand the tunnel back to the host (ABI 1.1):
 * the bytes after the response are not consumed, so the host detects on them. */
static void test_connect(void **state) {
  (void)state;
  assert_int_equal(ph_feed(&ctx, C2S,
                           S("CONNECT server.example.com:443 HTTP/1.1\r\n"
                             "Host: server.example.com:443\r\n\r\n\x16\x03\x01"),
                           1),
                   FS_PARSE_OK);
  assert_int_equal(ctx.kept_len[C2S], 3); /* the TLS bytes wait with the host */
  int r = ph_feed(&ctx, S2C, S("HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03"), 2);
  assert_int_equal(r, FS_PARSE_HANDOFF);
  assert_int_equal(ctx.kept_len[S2C], 3); /* the server's TLS record header, left to the host */
  assert_memory_equal(ctx.kept[S2C], "\x16\x03\x03", 3);
  assert_int_equal(ctx.n, 1);
  assert_true(ph_str_is(&ctx, 0, "method", "CONNECT"));
  assert_true(ph_str_is(&ctx, 0, "uri", "server.example.com:443"));
  assert_int_equal(ph_u64(&ctx, 0, "status_code"), 200);
}

/* The same exchange under a host of ABI 1.0: the parser stops (DONE). */
static void test_connect_old_host(void **state) {
  (void)state;
  ph_feed(&ctx, C2S,
          S("CONNECT server.example.com:443 HTTP/1.1\r\nHost: server.example.com:443\r\n\r\n"), 1);
  int r = ph_feed(&ctx, S2C, S("HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03"), 2);
  assert_int_equal(r, FS_PARSE_DONE);
  assert_int_equal(ctx.n, 1);
  assert_true(ph_str_is(&ctx, 0, "method", "CONNECT"));
  assert_true(ph_str_is(&ctx, 0, "uri", "server.example.com:443"));
  assert_int_equal(ph_u64(&ctx, 0, "status_code"), 200);
}

/* CONNECT refused: HTTP carries on on the same connection. */
static void test_connect_refused(void **state) {
  (void)state;
  ph_feed(&ctx, C2S, S("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n"), 1);
  ph_feed(&ctx, S2C, S("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"),
          2);
  assert_int_equal(ctx.n, 1);
  assert_int_equal(ph_u64(&ctx, 0, "status_code"), 407);
  assert_int_equal(ph_feed(&ctx, C2S, S("GET http://b/ HTTP/1.1\r\nHost: b\r\n\r\n"), 3),
                   FS_PARSE_OK);
  ph_feed(&ctx, S2C, S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 4);
  assert_int_equal(ctx.n, 2);
  assert_true(ph_str_is(&ctx, 1, "uri", "http://b/"));
}

/* RFC 6455 opening handshake: 101 ends HTTP on this connection. */
static void test_websocket_upgrade(void **state) {
  (void)state;
  ph_feed(&ctx, C2S,
          S("GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"),
          1);
  int r = ph_feed(&ctx, S2C,
                  S("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\n\r\n\x81\x05hello"),
                  2);
  assert_int_equal(r, FS_PARSE_DONE);
  assert_int_equal(ctx.n, 1);
  assert_int_equal(ph_u64(&ctx, 0, "status_code"), 101);
  assert_true(ph_str_is(&ctx, 0, "uri", "/chat"));
}

/* RFC 9112 5.2: obs-fold is replaced by one space. */
static void test_folding(void **state) {
  (void)state;
  ph_feed(
      &ctx, C2S,
      S("GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: Mozilla/5.0  \r\n   (X11;\r\n\t Linux)\r\n\r\n"),
      1);
  ph_feed(&ctx, S2C, S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 2);
  assert_int_equal(ctx.n, 1);
  assert_true(ph_str_is(&ctx, 0, "user_agent", "Mozilla/5.0 (X11; Linux)"));
}

/* A Host value longer than its bound is cut and counted. */
static void test_long_value_truncated(void **state) {
  (void)state;
  char req[1200];
  char host[600];
  memset(host, 'a', sizeof host - 1);
  host[sizeof host - 1] = 0;
  int n = snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host);
  ph_feed(&ctx, C2S, req, (size_t)n, 1);
  ph_feed(&ctx, S2C, S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 2);
  assert_int_equal(ctx.n, 1);
  const fs_field *h = ph_field(&ctx, 0, "host");
  assert_int_equal(h->v.str.len, 256);
  assert_int_equal(ph_u64(&ctx, 0, "truncated"), 1);
}

/* A header section past max_header_bytes poisons the flow. */
static void test_header_section_bound(void **state) {
  (void)state;
  int r =
      ph_feed(&ctx, C2S,
              S("GET / HTTP/1.1\r\nHost: h\r\nCookie: "
                "0123456789012345678901234567890123456789012345678901234567890123456789"
                "0123456789012345678901234567890123456789012345678901234567890123456789\r\n\r\n"),
              1);
  assert_int_equal(r, FS_PARSE_POISON);
  const char *why = ctx.proto->session->poison_reason(ctx.parser);
  assert_non_null(why);
  assert_non_null(strstr(why, "max_header_bytes"));
  assert_int_equal(ctx.n, 1); /* the cut transaction is still reported */
}

static void test_garbage_poisons(void **state) {
  (void)state;
  int r = ph_feed(&ctx, C2S, S("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 1);
  assert_int_equal(r, FS_PARSE_OK);
  r = ph_feed(&ctx, C2S, S("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1"), 2);
  assert_int_equal(r, FS_PARSE_POISON);
  assert_non_null(ctx.proto->session->poison_reason(ctx.parser));
  assert_int_equal(ctx.n, 1);
  assert_true(ph_str_is(&ctx, 0, "uri", "/"));
  assert_int_equal(ph_field(&ctx, 0, "status_code")->kind, FS_FIELD_NONE);
}

/* After a gap in the requests, parsing resumes at the next request line. */
static void test_gap_resync(void **state) {
  (void)state;
  ph_feed(&ctx, C2S, S("GET /first HTTP/1.1\r\nHost: h\r\nUser-Ag"), 1);
  assert_int_equal(ctx.proto->session->gap(ctx.parser, C2S, 500, 2), FS_PARSE_OK);
  assert_int_equal(ph_feed(&ctx, C2S,
                           S("ent: lost\r\n\r\nGARBAGE\r\nGET /second HTTP/1.1\r\n"
                             "Host: h2\r\n\r\n"),
                           3),
                   FS_PARSE_OK);
  ph_feed(&ctx, S2C, S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 4);
  ph_feed(&ctx, S2C, S("HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n"), 5);
  assert_int_equal(ctx.n, 2);
  assert_true(ph_str_is(&ctx, 0, "uri", "/first"));
  assert_int_equal(ph_u64(&ctx, 0, "status_code"), 200);
  assert_true(ph_str_is(&ctx, 1, "uri", "/second"));
  assert_true(ph_str_is(&ctx, 1, "host", "h2"));
  assert_int_equal(ph_u64(&ctx, 1, "status_code"), 302);
}

/* A gap inside a Content-Length body is skipped without losing framing. */
static void test_gap_in_body(void **state) {
  (void)state;
  ph_feed(&ctx, C2S, S("GET /f HTTP/1.1\r\nHost: h\r\n\r\nGET /g HTTP/1.1\r\nHost: h\r\n\r\n"), 1);
  ph_feed(&ctx, S2C, S("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789"), 2);
  assert_int_equal(ctx.proto->session->gap(ctx.parser, S2C, 980, 3), FS_PARSE_OK);
  ph_feed(&ctx, S2C, S("abcdefghij"), 4);
  ph_feed(&ctx, S2C, S("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), 5);
  assert_int_equal(ctx.n, 2);
  assert_int_equal(ph_u64(&ctx, 0, "response_body_len"), 1000);
  assert_true(ph_str_is(&ctx, 1, "uri", "/g"));
  assert_int_equal(ph_u64(&ctx, 1, "response_body_len"), 2);
}

/* Unanswered requests come out at finish, in order. */
static void test_finish_flushes(void **state) {
  (void)state;
  ph_feed(&ctx, C2S, S("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"), 1);
  assert_int_equal(ctx.n, 0);
  ph_finish(&ctx, 9);
  assert_int_equal(ctx.n, 2);
  assert_true(ph_str_is(&ctx, 0, "uri", "/1"));
  assert_true(ph_str_is(&ctx, 1, "uri", "/2"));
  assert_int_equal(ph_field(&ctx, 1, "status_code")->kind, FS_FIELD_NONE);
}

/* A response whose request we never saw is still reported. */
static void test_response_only(void **state) {
  (void)state;
  ph_feed(&ctx, S2C, S("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 1\r\n\r\nx"), 1);
  assert_int_equal(ctx.n, 1);
  assert_int_equal(ph_u64(&ctx, 0, "status_code"), 500);
  assert_int_equal(ph_field(&ctx, 0, "method")->kind, FS_FIELD_NONE);
}

static void test_all_headers(void **state) {
  (void)state;
  ph_feed(&ctx, C2S, S("GET / HTTP/1.1\r\nHost: h\r\nX-Custom:  v1 \r\n\r\n"), 1);
  ph_feed(&ctx, S2C, S("HTTP/1.1 200 OK\r\nServer: test\r\nContent-Length: 0\r\n\r\n"), 2);
  assert_int_equal(ctx.n, 1);
  const fs_field *ch = ph_field(&ctx, 0, "client_headers");
  assert_non_null(ch);
  assert_int_equal(ch->count, 2);
  assert_string_equal(ph_list_item(&ctx, 0, "client_headers", 0), "Host: h");
  assert_string_equal(ph_list_item(&ctx, 0, "client_headers", 1), "X-Custom: v1 ");
  assert_int_equal(ph_field(&ctx, 0, "server_headers")->count, 2);
  assert_string_equal(ph_list_item(&ctx, 0, "server_headers", 0), "Server: test");
}

/* idle: nonzero only when finish() would emit nothing (the host then frees
 * the parser early). Each case feeds a fresh parser, asks, then finishes
 * and counts what finish() emitted. */
static void test_idle_means_finish_emits_nothing(void **state) {
  (void)state;
  static const char req[] = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
  static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  static const struct {
    const char *c2s, *s2c;
    int idle; /* expected; -1: only the rule is checked */
  } cases[] = {
      {"", "", 1},                                                /* nothing seen */
      {req, "", 0},                                               /* waiting for its response */
      {req, resp, 1},                                             /* answered and emitted */
      {"GET /a HTTP/1.1\r\nHo", "", 0},                           /* headers cut short */
      {req, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nok", 0}, /* body cut short */
      {"GE", "", -1},                                             /* a request line begun */
      {"", resp, -1},                                             /* a response without request */
  };
  ph_close(&ctx);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(ph_open(&ctx, "http", "http", NULL), 0);
    assert_int_equal(ph_create(&ctx, 1), 0);
    if (cases[i].c2s[0] != '\0')
      ph_feed(&ctx, C2S, cases[i].c2s, strlen(cases[i].c2s), 10);
    if (cases[i].s2c[0] != '\0')
      ph_feed(&ctx, S2C, cases[i].s2c, strlen(cases[i].s2c), 20);
    int idle = ctx.proto->session->idle(ctx.parser) != 0;
    size_t before = ctx.n;
    ph_finish(&ctx, 30);
    if (cases[i].idle >= 0)
      assert_int_equal(idle, cases[i].idle);
    if (idle)
      assert_int_equal(ctx.n, before); /* the rule the host relies on */
    else if (cases[i].idle == 0)
      assert_true(ctx.n > before);
    ph_close(&ctx);
  }
  assert_int_equal(ph_open(&ctx, "http", "http", NULL), 0); /* for teardown */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_descriptor, setup, teardown),
      cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
      cmocka_unit_test_setup_teardown(test_get_200, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pipelining, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chunked, setup, teardown),
      cmocka_unit_test_setup_teardown(test_close_delimited, setup, teardown),
      cmocka_unit_test_setup_teardown(test_head_204_304, setup, teardown),
      cmocka_unit_test_setup_teardown(test_100_continue, setup, teardown),
      cmocka_unit_test_setup_teardown(test_deep_pipelining_long_values, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connect, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connect_old_host, setup_host_1_0, teardown),
      cmocka_unit_test_setup_teardown(test_connect_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_websocket_upgrade, setup, teardown),
      cmocka_unit_test_setup_teardown(test_folding, setup, teardown),
      cmocka_unit_test_setup_teardown(test_long_value_truncated, setup, teardown),
      cmocka_unit_test_setup_teardown(test_header_section_bound, setup_small_headers, teardown),
      cmocka_unit_test_setup_teardown(test_garbage_poisons, setup, teardown),
      cmocka_unit_test_setup_teardown(test_gap_resync, setup, teardown),
      cmocka_unit_test_setup_teardown(test_gap_in_body, setup, teardown),
      cmocka_unit_test_setup_teardown(test_finish_flushes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_response_only, setup, teardown),
      cmocka_unit_test_setup_teardown(test_all_headers, setup_all_headers, teardown),
      cmocka_unit_test_setup_teardown(test_idle_means_finish_emits_nothing, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
