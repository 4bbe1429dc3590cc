/* SPDX-License-Identifier: MIT */
/*
 * ACK-based hole skipping against hand-computed streams: a hole the peer has
 * acknowledged was on the wire but not captured, so it is reported as a gap
 * at once and the bytes held after it delivered. Covers partial acks, several
 * holes, sequence wraparound, acks before any data, a FIN that is acked,
 * bogus acks far beyond the data (bounded by max_buffer, counted) and old
 * acks. Delivered streams render each gap byte as '#'.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reasm/reasm_stream.h"
#include "reasm_fixture.h"

/* Opens the reassembler; the public vtable must carry the ack entry point. */
static void open_acking(fixture *f, const fs_reasm_config *cfg) {
  open_r(f, cfg);
  assert_true(FS_HAS_MEMBER(f->r.ops, fs_reassembler_ops, ack));
  assert_non_null(f->r.ops->ack);
}

static void seg(fixture *f, uint32_t seq, uint32_t flags, const char *txt, fs_time_ns ts) {
  assert_int_equal(f->r.ops->segment(f->r.self, seq, flags, (const uint8_t *)txt, strlen(txt), ts),
                   0);
}

static void ack(fixture *f, uint32_t a, fs_time_ns ts) {
  assert_int_equal(f->r.ops->ack(f->r.self, a, ts), 0);
}

static void test_partial_then_full_ack(void **state) {
  (void)state;
  fixture f;
  open_acking(&f, NULL);
  syn(&f, 0);             /* data starts at seq 1 = offset 0 */
  seg(&f, 1, 0, "ab", 1); /* seq 1-2 */
  seg(&f, 6, 0, "fg", 2); /* seq 6-7 held; seq 3-5 never captured */
  expect_stream(&f, "ab");
  /* ack 4: the peer has everything below seq 4, so seq 3 was on the wire. */
  ack(&f, 4, 3);
  expect_stream(&f, "ab#");
  assert_int_equal(f.out.gap_calls, 1);
  /* ack 8: seq 4-5 were on the wire too; "fg" follows the gap at once. */
  ack(&f, 8, 4);
  expect_stream(&f, "ab###fg");
  assert_int_equal(f.out.gap_calls, 2);
  assert_int_equal(f.out.last_ts, 4);
  /* The same ack again and an older one change nothing. */
  ack(&f, 8, 5);
  ack(&f, 3, 5);
  expect_stream(&f, "ab###fg");
  /* A late copy of the skipped bytes is old now; what follows is in order. */
  seg(&f, 3, 0, "cde", 6);
  seg(&f, 8, 0, "h", 6);
  expect_stream(&f, "ab###fgh");
  fs_reasm_stats st = stats_of(&f);
  assert_int_equal(st.gap_bytes, 3);
  assert_int_equal(st.ack_gaps, 2);
  assert_int_equal(st.ack_gap_bytes, 3);
  assert_int_equal(st.bogus_acks, 0);
  assert_int_equal(st.dropped_bytes, 0); /* not a limit: nothing counted as dropped */
  assert_int_equal(st.buffered_bytes, 0);
  fs_reasm_destroy(&f.r);
}

static void test_one_ack_skips_several_holes(void **state) {
  (void)state;
  fixture f;
  open_acking(&f, NULL);
  syn(&f, 100); /* data from seq 101 */
  seg(&f, 101, 0, "a", 1);
  seg(&f, 103, 0, "c", 2); /* seq 102 missing */
  seg(&f, 106, 0, "f", 3); /* seq 104-105 missing */
  seg(&f, 110, 0, "j", 4); /* seq 107-109 missing, beyond the ack below */
  ack(&f, 107, 5);         /* everything below seq 107 arrived at the peer */
  expect_stream(&f, "a#c##f");
  /* seq 107-109 are not acknowledged: they may still be retransmitted. */
  seg(&f, 107, 0, "ghi", 6);
  expect_stream(&f, "a#c##fghij");
  fs_reasm_stats st = stats_of(&f);
  assert_int_equal(st.ack_gaps, 2);
  assert_int_equal(st.ack_gap_bytes, 3);
  assert_int_equal(st.gap_bytes, 3);
  fs_reasm_destroy(&f.r);
}

static void test_wraparound(void **state) {
  (void)state;
  fixture f;
  open_acking(&f, NULL);
  syn(&f, 0xFFFFFFF0u);              /* first data byte: seq 0xFFFFFFF1 */
  seg(&f, 0xFFFFFFF1u, 0, "abc", 1); /* seq ..F1-..F3 */
  /* seq 0xFFFFFFF4..0xFFFFFFFF (12) and 0x0..0x3 (4) never captured: 16 bytes. */
  seg(&f, 0x00000004u, 0, "xyz", 2); /* seq 4-6, held */
  ack(&f, 0x00000007u, 3);           /* acknowledges through seq 6, across the wrap */
  expect_stream(&f, "abc################xyz");
  assert_int_equal(stats_of(&f).ack_gap_bytes, 16);
  fs_reasm_destroy(&f.r);
}

static void test_ack_before_any_data(void **state) {
  (void)state;
  fixture f;
  open_acking(&f, NULL);
  /* No SYN and no data: the stream has no origin, the ack cannot be placed. */
  ack(&f, 5000, 1);
  seg(&f, 7000, 0, "hi", 2); /* anchors the stream here */
  expect_stream(&f, "hi");
  fs_reasm_stats st = stats_of(&f);
  assert_int_equal(st.gap_bytes, 0);
  assert_int_equal(st.bogus_acks, 0);
  fs_reasm_destroy(&f.r);

  /* After a SYN only: an ack of data never seen skips nothing ahead of it. */
  open_acking(&f, NULL);
  syn(&f, 100);
  ack(&f, 151, 1); /* peer got seq 101-150, none captured */
  assert_int_equal(f.out.gap_calls, 0);
  seg(&f, 151, 0, "x", 2); /* held behind the 50-byte hole */
  expect_stream(&f, "");
  ack(&f, 152, 3); /* now the hole lies before captured data */
  assert_int_equal(f.out.gap_total, 50);
  assert_int_equal(f.out.n, 51);
  assert_int_equal(f.out.bytes[50], 'x');
  fs_reasm_destroy(&f.r);
}

static void test_acked_fin(void **state) {
  (void)state;
  fixture f;
  open_acking(&f, NULL);
  syn(&f, 0);
  seg(&f, 1, 0, "ab", 1);
  seg(&f, 6, FS_TCP_FIN, "", 2); /* bare FIN at seq 6: the data ended at seq 5 */
  /* ack 7 covers the FIN (one number beyond the data): the gap is seq 3-5 only. */
  ack(&f, 7, 3);
  expect_stream(&f, "ab###");
  assert_int_equal(f.r.ops->finish(f.r.self, 4), 0);
  expect_stream(&f, "ab###"); /* nothing more at finish */
  assert_int_equal(stats_of(&f).gap_bytes, 3);
  fs_reasm_destroy(&f.r);
}

static void test_bogus_ack_bounded_by_window(void **state) {
  (void)state;
  fixture f;
  fs_reasm_config cfg;
  fs_reasm_config_default(&cfg);
  cfg.max_buffer = 1000;
  open_acking(&f, &cfg);
  syn(&f, 0);
  seg(&f, 1, 0, "ab", 1);    /* offsets 0-1 */
  seg(&f, 10, 0, "j", 2);    /* offset 9, held; highest byte seen ends at offset 10 */
  ack(&f, 1 + 10 + 1001, 3); /* 1001 bytes beyond anything seen: bogus */
  expect_stream(&f, "ab");
  fs_reasm_stats st = stats_of(&f);
  assert_int_equal(st.bogus_acks, 1);
  assert_int_equal(st.gap_bytes, 0);
  /* Exactly one window beyond is still believed, but skips only to what was seen. */
  ack(&f, 1 + 10 + 1000, 4);
  expect_stream(&f, "ab#######j");
  st = stats_of(&f);
  assert_int_equal(st.bogus_acks, 1);
  assert_int_equal(st.gap_bytes, 7);
  /* An ack from the other half of the sequence space reads as old: ignored. */
  ack(&f, 1 + 10 + 0x80000001u, 5);
  expect_stream(&f, "ab#######j");
  fs_reasm_destroy(&f.r);
}

/* Bytes cut by the snap length beyond a hole were on the wire too: an ack
 * covering them skips through them (fsi_reasm_lost records how far). */
static void test_ack_past_lost_bytes(void **state) {
  (void)state;
  rts_sink o;
  fs_stream_sink k = rts_make(&o);
  fsi_reasm r;
  fsi_reasm_init(&r, NULL, &k, NULL);
  fsi_reasm_segment(&r, 0, FS_TCP_SYN, NULL, 0, 0);
  fsi_reasm_segment(&r, 1, 0, (const uint8_t *)"a", 1, 1);  /* seq 1 */
  fsi_reasm_segment(&r, 5, 0, (const uint8_t *)"ef", 2, 2); /* seq 5-6 held; 2-4 missing */
  fsi_reasm_lost(&r, 7, 3, 2);                              /* seq 7-9: cut by the snap length */
  assert_int_equal(o.n, 1);
  assert_int_equal(fsi_reasm_ack(&r, 10, 3), 0); /* the peer has everything below seq 10 */
  assert_int_equal(o.n, 9);
  assert_memory_equal(o.bytes, "a###ef###", 9);
  fs_reasm_stats st;
  fsi_reasm_stats(&r, &st);
  assert_int_equal(st.ack_gap_bytes, 6);
  assert_int_equal(st.gap_bytes, 6);
  fsi_reasm_release(&r);
}

static void test_poisoned_stream_refuses_acks(void **state) {
  (void)state;
  fixture f;
  fs_reasm_config cfg;
  fs_reasm_config_default(&cfg);
  cfg.max_buffer = 4;
  cfg.overflow_policy = FS_OVERFLOW_DROP_FLOW;
  open_acking(&f, &cfg);
  syn(&f, 0);
  seg(&f, 1, 0, "a", 1);
  assert_int_equal(f.r.ops->segment(f.r.self, 20, 0, (const uint8_t *)"t", 1, 2), FS_E_LIMIT);
  assert_int_equal(f.r.ops->ack(f.r.self, 30, 3), FS_E_LIMIT);
  expect_stream(&f, "a");
  fs_reasm_destroy(&f.r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_partial_then_full_ack),
      cmocka_unit_test(test_one_ack_skips_several_holes),
      cmocka_unit_test(test_wraparound),
      cmocka_unit_test(test_ack_before_any_data),
      cmocka_unit_test(test_acked_fin),
      cmocka_unit_test(test_bogus_ack_bounded_by_window),
      cmocka_unit_test(test_ack_past_lost_bytes),
      cmocka_unit_test(test_poisoned_stream_refuses_acks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
