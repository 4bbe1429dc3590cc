/* SPDX-License-Identifier: MIT */
/* http plugin: the same conversation cut into 1-, 2- and 3-byte pieces, and
 * into two pieces at every position of each segment, gives exactly the
 * messages it gives in one piece (the plugin conformance rule). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto_harness.h"

enum { EV_DATA, EV_GAP, EV_END };

typedef struct ev {
  int kind;
  uint32_t side;
  const char *data; /* EV_DATA */
  size_t len;       /* EV_DATA: bytes; EV_GAP: gap length */
} ev;

#define D(side, s)                                                                                 \
  { EV_DATA, side, s, sizeof s - 1 }
#define GAP(side, n)                                                                               \
  { EV_GAP, side, NULL, n }
#define END(side)                                                                                  \
  { EV_END, side, NULL, 0 }

static const ev conversation[] = {
    D(0, "GET /index.html?q=a%20b HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mo"
         "zilla/5.0\r\n  (folded)\r\nReferer: http://r/\r\n\r\n"
         "POST /form HTTP/1.1\r\nHost: www.example.com\r\nContent-Type: application/x-www-form-"
         "urlencoded\r\nContent-Length: 11\r\n\r\nname=value&"),
    D(1, "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nTransfer-Encoding: "
         "chunked\r\n\r\n5\r\nhello\r\n1a;x=y\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n"),
    D(1, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 303 See Other\r\nLocation: /done\r\n"
         "Content-Length: 0\r\n\r\n"),
    D(0, "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /after-gap-lost HTTP/1.1\r\nHo"),
    GAP(0, 300),
    D(0, "st: lost\r\n\r\nxx\r\nPUT /p HTTP/1.1\r\nHost: y\r\nContent-Length: 3\r\n\r\nabc"),
    D(1, "HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n"),
    D(1, "HTTP/1.1 201 Created\r\nContent-Length: 10\r\n\r\n01234"),
    GAP(1, 5),
    D(1, "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nbody until close"),
    END(1),
};

static const ev tunnel[] = {
    D(0, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01\x00"),
    D(1, "HTTP/1.1 200 Connection Established\r\nProxy-Agent: p\r\n\r\n\x16\x03\x03"),
    D(0, "\x05\x01\x00"),
};

static ph_ctx ctx;

/* Runs the script with each data event cut into @p piece-byte pieces (0:
 * whole); when @p split_ev >= 0, event split_ev is instead cut in two at
 * @p split_at. Returns all messages as text. */
static char *run(const ev *evs, size_t n, const char *options, size_t piece, long split_ev,
                 size_t split_at) {
  assert_int_equal(ph_open(&ctx, "http", "http", options), 0);
  assert_int_equal(ph_create(&ctx, 1), 0);
  int stopped = 0;
  for (size_t i = 0; i < n && !stopped; i++) {
    const ev *e = &evs[i];
    fs_time_ns ts = 1000 * (i + 1);
    int r = FS_PARSE_OK;
    if (e->kind == EV_GAP) {
      r = ctx.proto->session->gap(ctx.parser, e->side, e->len, ts);
    } else if (e->kind == EV_END) {
      r = ctx.proto->session->end_side(ctx.parser, e->side, ts);
    } else if ((long)i == split_ev) {
      r = ph_feed(&ctx, e->side, e->data, split_at, ts);
      if (r == FS_PARSE_OK) {
        r = ph_feed(&ctx, e->side, e->data + split_at, e->len - split_at, ts);
      }
    } else {
      r = ph_feed_pieces(&ctx, e->side, e->data, e->len, ts, piece ? piece : e->len);
    }
    stopped = r != FS_PARSE_OK;
  }
  ph_finish(&ctx, 999999);
  char *s = ph_all_text(&ctx);
  ph_close(&ctx);
  return s;
}

static void check_script(const ev *evs, size_t n, const char *options, size_t expect_msgs) {
  char *whole = run(evs, n, options, 0, -1, 0);
  size_t lines = 0;
  for (const char *p = whole; *p; p++) {
    lines += *p == '\n';
  }
  if (getenv("PH_VERBOSE")) {
    fprintf(stderr, "%s", whole);
  }
  assert_int_equal(lines, expect_msgs);
  for (size_t piece = 1; piece <= 3; piece++) {
    char *cut = run(evs, n, options, piece, -1, 0);
    if (strcmp(whole, cut) != 0) {
      fprintf(stderr, "piece %zu differs:\n--- whole\n%s--- cut\n%s", piece, whole, cut);
    }
    assert_string_equal(whole, cut);
    free(cut);
  }
  for (size_t i = 0; i < n; i++) {
    if (evs[i].kind != EV_DATA) {
      continue;
    }
    for (size_t at = 1; at < evs[i].len; at++) {
      char *cut = run(evs, n, options, 0, (long)i, at);
      if (strcmp(whole, cut) != 0) {
        fprintf(stderr, "event %zu split at %zu differs:\n--- whole\n%s--- cut\n%s", i, at, whole,
                cut);
      }
      assert_string_equal(whole, cut);
      free(cut);
    }
  }
  free(whole);
}

static void test_split_conversation(void **state) {
  (void)state;
  /* GET+200, POST+100+303, HEAD+200, the request cut by the gap + 201
   * (whose body gap ends exactly at its end), PUT + the 1.0 response. */
  check_script(conversation, sizeof conversation / sizeof conversation[0], NULL, 5);
}

static void test_split_conversation_all_headers(void **state) {
  (void)state;
  check_script(conversation, sizeof conversation / sizeof conversation[0], "all_headers=1", 5);
}

static void test_split_tunnel(void **state) {
  (void)state;
  check_script(tunnel, sizeof tunnel / sizeof tunnel[0], NULL, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_split_conversation),
      cmocka_unit_test(test_split_conversation_all_headers),
      cmocka_unit_test(test_split_tunnel),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
