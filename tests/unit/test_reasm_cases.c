/* SPDX-License-Identifier: MIT */
/*
 * Reassembly against hand-computed byte streams: in order, reordered,
 * overlapping (same and differing bytes), sequence wraparound at 2^32, gaps
 * (timeout, finish, FIN tail), both overflow policies, mid-stream pickup.
 * Delivered streams render each gap byte as '#'.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reasm/reasm_stream.h"
#include "reasm_fixture.h"

#define SEC FS_NS_PER_SEC

/* Feeds a text segment; returns the reassembler's result. */
static int seg(fixture *f, uint32_t seq, uint32_t flags, const char *txt, fs_time_ns ts) {
  return f->r.ops->segment(f->r.self, seq, flags, (const uint8_t *)txt, strlen(txt), ts);
}

static void test_in_order_zero_copy(void **state) {
  (void)state;
  fixture f;
  open_r(&f, NULL);
  syn(&f, 1000); /* data starts at 1001 */
  static const char a[] = "GET ", b[] = "/ HT", c[] = "TP";
  assert_int_equal(seg(&f, 1001, FS_TCP_ACK, a, 1), 0);
  assert_ptr_equal(f.out.last_ptr, (const uint8_t *)a); /* straight from the caller */
  assert_int_equal(seg(&f, 1005, FS_TCP_ACK, b, 2), 0);
  assert_int_equal(seg(&f, 1009, FS_TCP_ACK, c, 3), 0);
  assert_ptr_equal(f.out.last_ptr, (const uint8_t *)c);
  expect_stream(&f, "GET / HTTP");
  fs_reasm_stats st = stats_of(&f);
  assert_int_equal(st.delivered_bytes, 10);
  assert_int_equal(st.ooo_segments, 0);
  assert_int_equal(st.high_watermark, 0);
  assert_int_equal(st.buffered_bytes, 0);
  fs_reasm_destroy(&f.r);
}

static void test_reordered(void **state) {
  (void)state;
  fixture f;
  open_r(&f, NULL);
  syn(&f, 0); /* byte "a" is seq 1 */
  assert_int_equal(seg(&f, 3, 0, "cd", 1), 0);
  assert_int_equal(seg(&f, 5, 0, "ef", 2), 0);
  assert_int_equal(f.out.n, 0); /* held behind the hole at seq 1-2 */
  fs_reasm_stats st = stats_of(&f);
  assert_int_equal(st.buffered_bytes, 4);
  assert_int_equal(st.ooo_segments, 2);
  assert_int_equal(seg(&f, 1, 0, "ab", 3), 0);
  expect_stream(&f, "abcdef");
  st = stats_of(&f);
  assert_int_equal(st.buffered_bytes, 0);
  assert_int_equal(st.high_watermark, 4);
  assert_int_equal(st.gap_bytes, 0);
  fs_reasm_destroy(&f.r);
}

static void test_overlap_same_bytes(void **state) {
  (void)state;
  fixture f;
  open_r(&f, NULL);
  syn(&f, 0);
  seg(&f, 3, 0, "cdef", 1); /* held: seq 3..6 */
  seg(&f, 2, 0, "bcd", 2);  /* overlaps "cd" with equal bytes */
  seg(&f, 1, 0, "abc", 3);  /* in order, overlaps held "bc" */
  seg(&f, 4, 0, "def", 4);  /* pure retransmission of delivered bytes */
  expect_stream(&f, "abcdef");
  assert_int_equal(stats_of(&f).overlap_mismatch, 0);
  fs_reasm_destroy(&f.r);
}

static void test_overlap_differing_first_copy_wins(void **state) {
  (void)state;
  fixture f;
  open_r(&f, NULL);
  syn(&f, 0);
  seg(&f, 3, 0, "cdef", 1); /* held first: seq 3..6 */
  seg(&f, 4, 0, "QQ", 2);   /* differs at seq 4 ('d') and 5 ('e'): 2 mismatches, ignored */
  seg(&f, 1, 0, "XYZ", 3);  /* in order; 'Z' at seq 3 differs from held 'c': 1 mismatch */
  expect_stream(&f, "XYcdef");
  fs_reasm_stats st = stats_of(&f);
  assert_int_equal(st.overlap_mismatch, 3);
  assert_int_equal(st.delivered_bytes, 6);
  fs_reasm_destroy(&f.r);
}

static void test_wraparound(void **state) {
  (void)state;
  fixture f;
  open_r(&f, NULL);
  syn(&f, 0xFFFFFFF0u); /* first data byte: 0xFFFFFFF1 */
  /* 15 bytes occupy 0xFFFFFFF1..0xFFFFFFFF; then 0x00000000.. */
  seg(&f, 0x00000005u, 0, "uvw", 1);             /* after the wrap, out of order */
  seg(&f, 0xFFFFFFF1u, 0, "abcdefghijklmno", 2); /* before the wrap */
  assert_int_equal(f.out.n, 15);
  seg(&f, 0x00000000u, 0, "pqrst", 3); /* fills 0x0..0x4 */
  expect_stream(&f, "abcdefghijklmnopqrstuvw");
  /* A retransmission from before the wrap is recognised as old. */
  seg(&f, 0xFFFFFFFEu, 0, "no", 4);
  expect_stream(&f, "abcdefghijklmnopqrstuvw");
  assert_int_equal(stats_of(&f).gap_bytes, 0);
  fs_reasm_destroy(&f.r);
}

static void test_midstream_pickup_across_wrap(void **state) {
  (void)state;
  fixture f;
  open_r(&f, NULL);
  /* No SYN; a bare ACK does not anchor the stream. */
  assert_int_equal(f.r.ops->segment(f.r.self, 0x12345678u, FS_TCP_ACK, NULL, 0, 0), 0);
  seg(&f, 0xFFFFFFFEu, 0, "he", 1); /* anchors here */
  seg(&f, 0xFFFFFFF0u, 0, "zz", 2); /* before the anchor: ignored */
  seg(&f, 0x00000002u, 0, "o", 3);  /* h=..FE e=..FF l=0 l=1 o=2 */
  seg(&f, 0x00000000u, 0, "ll", 4);
  expect_stream(&f, "hello");
  fs_reasm_destroy(&f.r);
}

static void test_gap_timeout(void **state) {
  (void)state;
  fixture f;
  fs_reasm_config cfg;
  fs_reasm_config_default(&cfg);
  cfg.gap_timeout = 10 * SEC;
  open_r(&f, &cfg);
  syn(&f, 0);
  seg(&f, 1, 0, "ab", 1 * SEC);
  seg(&f, 5, 0, "ef", 2 * SEC); /* hole: seq 3-4 */
  assert_int_equal(f.r.ops->tick(f.r.self, 11 * SEC), 0);
  expect_stream(&f, "ab"); /* waited 9 s only */
  assert_int_equal(f.r.ops->tick(f.r.self, 12 * SEC), 0);
  expect_stream(&f, "ab##ef");
  assert_int_equal(f.out.gap_calls, 1);
  /* The late bytes of the skipped hole are old now. */
  seg(&f, 3, 0, "cd", 13 * SEC);
  seg(&f, 7, 0, "g", 13 * SEC);
  expect_stream(&f, "ab##efg");
  assert_int_equal(stats_of(&f).gap_bytes, 2);
  fs_reasm_destroy(&f.r);
}

static void test_gaps_at_finish_and_fin_tail(void **state) {
  (void)state;
  fixture f;
  open_r(&f, NULL);
  syn(&f, 0);
  seg(&f, 1, 0, "ab", 1);
  seg(&f, 7, FS_TCP_FIN, "gh", 2); /* held; FIN after 'h' */
  seg(&f, 10, 0, "k", 3);          /* held beyond a 1-byte hole (seq 9) */
  assert_int_equal(f.r.ops->finish(f.r.self, 4), 0);
  /* seq 3..6 missing (4), then "gh", seq 9 missing (1), then "k". */
  expect_stream(&f, "ab####gh#k");
  assert_int_equal(f.out.gap_total, 5);
  fs_reasm_destroy(&f.r);

  /* A bare FIN beyond the data: the missing tail is a gap at finish. */
  open_r(&f, NULL);
  syn(&f, 100);
  seg(&f, 101, 0, "ab", 1);
  assert_int_equal(f.r.ops->segment(f.r.self, 109, FS_TCP_FIN, NULL, 0, 2), 0);
  f.r.ops->finish(f.r.self, 3);
  expect_stream(&f, "ab######"); /* seq 103..108 never seen */
  fs_reasm_destroy(&f.r);
}

static void test_overflow_sliding_window(void **state) {
  (void)state;
  fixture f;
  fs_reasm_config cfg;
  fs_reasm_config_default(&cfg);
  cfg.overflow_policy = FS_OVERFLOW_SLIDING_WINDOW;
  cfg.max_buffer = 8;   /* held bytes must lie within 8 bytes of the next expected byte */
  cfg.max_segments = 2; /* at most two held ranges */
  open_r(&f, &cfg);
  syn(&f, 0);
  seg(&f, 1, 0, "a", 1); /* delivered */
  seg(&f, 3, 0, "c", 2); /* held range 1 */
  seg(&f, 5, 0, "e", 3); /* held range 2 */
  /* A third range: give up the oldest hole (seq 2), deliver "c", then hold "g". */
  assert_int_equal(seg(&f, 7, 0, "g", 4), 0);
  expect_stream(&f, "a#c");
  fs_reasm_stats st = stats_of(&f);
  assert_int_equal(st.dropped_segments, 1);
  assert_int_equal(st.dropped_bytes, 1);
  /* seq 20 is 17 bytes past the next expected byte (seq 4): skip seq 4 -> "e",
   * seq 6 -> "g", then seq 8..19 (12 bytes) and deliver "z" directly. */
  assert_int_equal(seg(&f, 20, 0, "z", 5), 0);
  expect_stream(&f, "a#c#e#g############z");
  st = stats_of(&f);
  assert_int_equal(st.dropped_segments, 4);
  assert_int_equal(st.dropped_bytes, 15);
  assert_int_equal(st.gap_bytes, 15);
  assert_int_equal(st.poisoned, 0);
  assert_int_equal(st.high_watermark, 2);
  /* The flow lives on. */
  assert_int_equal(seg(&f, 21, 0, "y", 6), 0);
  expect_stream(&f, "a#c#e#g############zy");
  fs_reasm_destroy(&f.r);
}

static void test_overflow_drop_flow(void **state) {
  (void)state;
  fixture f;
  fs_reasm_config cfg;
  fs_reasm_config_default(&cfg);
  cfg.overflow_policy = FS_OVERFLOW_DROP_FLOW;
  cfg.max_buffer = 8;
  open_r(&f, &cfg);
  syn(&f, 0);
  seg(&f, 1, 0, "a", 1);
  seg(&f, 3, 0, "c", 2);                                 /* held */
  assert_int_equal(seg(&f, 20, 0, "zz", 3), FS_E_LIMIT); /* 18 bytes past seq 2: poison */
  fs_reasm_stats st = stats_of(&f);
  assert_int_equal(st.poisoned, 1);
  assert_int_equal(st.dropped_segments, 1);
  assert_int_equal(st.dropped_bytes, 3); /* "zz" and the held "c" */
  assert_int_equal(st.buffered_bytes, 0);
  /* Poisoned for good: even the missing byte is refused. */
  assert_int_equal(seg(&f, 2, 0, "b", 4), FS_E_LIMIT);
  assert_int_equal(f.r.ops->finish(f.r.self, 5), FS_E_LIMIT);
  expect_stream(&f, "a");
  st = stats_of(&f);
  assert_int_equal(st.dropped_segments, 2);
  assert_int_equal(st.dropped_bytes, 4);
  fs_reasm_destroy(&f.r);
}

static void test_in_order_larger_than_buffer(void **state) {
  (void)state;
  fixture f;
  fs_reasm_config cfg;
  fs_reasm_config_default(&cfg);
  cfg.overflow_policy = FS_OVERFLOW_DROP_FLOW;
  cfg.max_buffer = 4; /* limits held bytes only, not in-order delivery */
  open_r(&f, &cfg);
  static const char big[] = "0123456789abcdef";
  assert_int_equal(seg(&f, 77, 0, big, 1), 0);
  assert_ptr_equal(f.out.last_ptr, (const uint8_t *)big);
  expect_stream(&f, big);
  assert_int_equal(stats_of(&f).poisoned, 0);
  fs_reasm_destroy(&f.r);
}

static void test_sink_stop(void **state) {
  (void)state;
  fixture f;
  open_r(&f, NULL);
  f.out.stop_after = 1; /* the sink refuses after its first data call */
  syn(&f, 0);
  seg(&f, 1, 0, "ab", 1);
  seg(&f, 3, 0, "cd", 2);
  seg(&f, 7, 0, "gh", 3);
  expect_stream(&f, "ab");
  assert_int_equal(f.out.data_calls, 1);
  assert_int_equal(stats_of(&f).buffered_bytes, 0);
  fs_reasm_destroy(&f.r);
}

static void test_shared_budget(void **state) {
  (void)state;
  /* Two streams share a budget of one 4 KiB ring: the second cannot hold. */
  fsi_reasm_budget budget = {0, 4096};
  rts_sink o1, o2;
  fs_stream_sink k1 = rts_make(&o1), k2 = rts_make(&o2);
  fs_reasm_config cfg;
  fs_reasm_config_default(&cfg);
  cfg.overflow_policy = FS_OVERFLOW_DROP_FLOW;
  fsi_reasm a, b;
  fsi_reasm_init(&a, &cfg, &k1, &budget);
  fsi_reasm_init(&b, &cfg, &k2, &budget);
  assert_int_equal(fsi_reasm_segment(&a, 0, FS_TCP_SYN, NULL, 0, 0), 0);
  assert_int_equal(fsi_reasm_segment(&b, 0, FS_TCP_SYN, NULL, 0, 0), 0);
  assert_int_equal(fsi_reasm_segment(&a, 5, 0, (const uint8_t *)"x", 1, 1), 0);
  assert_int_equal(budget.used, 4096);
  assert_int_equal(fsi_reasm_segment(&b, 5, 0, (const uint8_t *)"y", 1, 1), FS_E_LIMIT);
  fsi_reasm_release(&a);
  fsi_reasm_release(&b);
  assert_int_equal(budget.used, 0);
}

static void test_lost_bytes_reported_at_once(void **state) {
  (void)state;
  rts_sink o;
  fs_stream_sink k = rts_make(&o);
  fsi_reasm r;
  fsi_reasm_init(&r, NULL, &k, NULL);
  fsi_reasm_segment(&r, 0, FS_TCP_SYN, NULL, 0, 0);
  /* "ab" captured of a 5-byte segment (seq 1..5): seq 3..5 are lost for good. */
  fsi_reasm_segment(&r, 1, 0, (const uint8_t *)"ab", 2, 1);
  fsi_reasm_lost(&r, 3, 3, 1);
  fsi_reasm_segment(&r, 6, 0, (const uint8_t *)"fg", 2, 2);
  assert_int_equal(o.n, 7);
  assert_memory_equal(o.bytes, "ab###fg", 7);
  /* Lost bytes that reach into held data stop where the held data starts. */
  fsi_reasm_segment(&r, 14, 0, (const uint8_t *)"no", 2, 3); /* held: seq 14-15 */
  fsi_reasm_segment(&r, 8, 0, (const uint8_t *)"h", 1, 4);   /* seq 8, cut from 8..16 */
  fsi_reasm_lost(&r, 9, 8, 4);
  assert_int_equal(o.n, 15);
  assert_memory_equal(o.bytes, "ab###fgh#####no", 15); /* seq 9..13 lost, then held "no" */
  /* Lost bytes beyond a hole are left to the timeout. */
  fsi_reasm_segment(&r, 30, 0, (const uint8_t *)"z", 1, 5);
  fsi_reasm_lost(&r, 31, 4, 5);
  assert_int_equal(o.n, 15);
  fsi_reasm_release(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_in_order_zero_copy),
      cmocka_unit_test(test_reordered),
      cmocka_unit_test(test_overlap_same_bytes),
      cmocka_unit_test(test_overlap_differing_first_copy_wins),
      cmocka_unit_test(test_wraparound),
      cmocka_unit_test(test_midstream_pickup_across_wrap),
      cmocka_unit_test(test_gap_timeout),
      cmocka_unit_test(test_gaps_at_finish_and_fin_tail),
      cmocka_unit_test(test_overflow_sliding_window),
      cmocka_unit_test(test_overflow_drop_flow),
      cmocka_unit_test(test_in_order_larger_than_buffer),
      cmocka_unit_test(test_sink_stop),
      cmocka_unit_test(test_shared_budget),
      cmocka_unit_test(test_lost_bytes_reported_at_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
