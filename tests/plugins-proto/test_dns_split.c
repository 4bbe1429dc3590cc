/* SPDX-License-Identifier: MIT */
/* dns plugin over TCP: a stream of length-prefixed queries and responses
 * cut into 1-, 2- and 3-byte pieces and into two pieces at every position
 * gives the same messages as one piece (RFC 1035 4.2.2 framing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns_build.h"
#include "proto_harness.h"

static ph_ctx ctx;
static db c2s, s2c;

static void frame(db *out, const db *m) {
  db_u16(out, (unsigned)m->n);
  db_bytes(out, m->b, m->n);
}

static void build(void) {
  db m;
  c2s.n = s2c.n = 0;
  for (unsigned id = 100; id < 103; id++) {
    m.n = 0;
    db_header(&m, id, DNS_RD, 1, 0, 0, 1);
    db_name(&m, id == 101 ? "mail.example.org" : "www.example.org");
    db_u16(&m, id == 101 ? 15 : 1);
    db_u16(&m, 1);
    db_u8(&m, 0); /* OPT with DO */
    db_rr(&m, 41, 1232, 0x8000, 0);
    frame(&c2s, &m);
  }
  for (unsigned id = 102; id >= 100; id--) {
    m.n = 0;
    db_header(&m, id, DNS_QR | DNS_RD | DNS_RA, 1, 2, 0, 0);
    db_name(&m, id == 101 ? "mail.example.org" : "www.example.org");
    db_u16(&m, id == 101 ? 15 : 1);
    db_u16(&m, 1);
    db_ptr(&m, 12);
    db_rr(&m, 5, 1, 60, 2);
    db_ptr(&m, 16); /* CNAME to example.org */
    db_ptr(&m, 16);
    db_rr(&m, 1, 1, 30, 4);
    db_bytes(&m, "\xc0\x00\x02\x01", 4); /* 192.0.2.1 */
    frame(&s2c, &m);
  }
}

/* piece 0: whole; split >= 0 cuts stream @p which at @p split in two. */
static char *run(size_t piece, int which, size_t split) {
  assert_int_equal(ph_open(&ctx, "dns", "dns", NULL), 0);
  assert_int_equal(ph_create(&ctx, 1), 0);
  const db *st[2] = {&c2s, &s2c};
  for (int s = 0; s < 2; s++) {
    fs_time_ns ts = (fs_time_ns)(s + 1) * 1000;
    if (s == which) {
      ph_feed(&ctx, (uint32_t)s, st[s]->b, split, ts);
      ph_feed(&ctx, (uint32_t)s, st[s]->b + split, st[s]->n - split, ts);
    } else {
      ph_feed_pieces(&ctx, (uint32_t)s, st[s]->b, st[s]->n, ts, piece ? piece : st[s]->n);
    }
  }
  ph_finish(&ctx, 5000);
  char *t = ph_all_text(&ctx);
  assert_int_equal(ctx.n, 3);
  ph_close(&ctx);
  return t;
}

static void test_split(void **state) {
  (void)state;
  build();
  char *whole = run(0, -1, 0);
  for (size_t piece = 1; piece <= 3; piece++) {
    char *cut = run(piece, -1, 0);
    assert_string_equal(whole, cut);
    free(cut);
  }
  for (int s = 0; s < 2; s++) {
    size_t n = s == 0 ? c2s.n : s2c.n;
    for (size_t at = 1; at < n; at++) {
      char *cut = run(0, s, at);
      assert_string_equal(whole, cut);
      free(cut);
    }
  }
  /* The pairs come out in response order, each with its own query. */
  assert_non_null(strstr(whole, "trans_id:4=102"));
  assert_non_null(strstr(whole, "[mail.example.org]"));
  free(whole);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_split)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
