/* SPDX-License-Identifier: MIT */
/*
 * Property tests: a known byte string, cut into random (possibly
 * overlapping) segments, shuffled and partly duplicated, with a random ISN
 * (often just below 2^32), reassembles to exactly that string. Under tight
 * limits (sliding window) the output keeps the stream's length and every
 * delivered byte is the input byte at its position; gaps are the only loss.
 * With pieces missed by the capture and the receiver's acks fed back, every
 * hole is given up on an ack before the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "flowscope/reasm.h"
#include "reasm_test_sink.h"

#define INPUT_MAX 6000
#define SEG_MAX 2048

typedef struct piece {
  uint32_t off;
  uint32_t len;
} piece;

static uint64_t rng_next(uint64_t *s) {
  /* xorshift64*: deterministic, seeded per case */
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1Dull;
}

static uint32_t rng_below(uint64_t *s, uint32_t n) { return (uint32_t)(rng_next(s) % n); }

/* Cuts [0, n) into pieces, some overlapping their neighbour, then shuffles and duplicates. */
static size_t make_pieces(uint64_t *rng, uint32_t n, piece *out, size_t max) {
  size_t k = 0;
  uint32_t off = 0;
  while (off < n && k < max) {
    uint32_t len = 1 + rng_below(rng, 300);
    if (off + len > n)
      len = n - off;
    uint32_t back = (off > 0 && rng_below(rng, 4) == 0) ? rng_below(rng, off < 40 ? off : 40) : 0;
    out[k++] = (piece){off - back, len + back};
    off += len;
  }
  size_t dups = k / 5;
  for (size_t i = 0; i < dups && k < max; i++) {
    piece p = out[rng_below(rng, (uint32_t)k)];
    out[k++] = p;
  }
  /* Local shuffle: swap pieces a few positions apart (real reordering is local). */
  for (size_t i = 0; i < k; i++) {
    size_t j = i + rng_below(rng, 8);
    if (j < k) {
      piece t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
  }
  return k;
}

static uint32_t pick_isn(uint64_t *rng) {
  /* Half the cases start within a few KiB of the wrap so the stream crosses 2^32. */
  if (rng_below(rng, 2))
    return 0xFFFFFFFFu - rng_below(rng, 8000);
  return (uint32_t)rng_next(rng);
}

static void test_random_splits_reassemble_exactly(void **state) {
  (void)state;
  static uint8_t input[INPUT_MAX];
  static piece pieces[SEG_MAX];
  uint64_t held = 0;
  for (uint64_t seed = 1; seed <= 400; seed++) {
    uint64_t rng = seed * 0x9E3779B97F4A7C15ull;
    uint32_t n = 1 + rng_below(&rng, INPUT_MAX);
    for (uint32_t i = 0; i < n; i++)
      input[i] = (uint8_t)('a' + rng_below(&rng, 26));
    size_t k = make_pieces(&rng, n, pieces, SEG_MAX);
    uint32_t isn = pick_isn(&rng);

    rts_sink out;
    fs_stream_sink sink = rts_make(&out);
    fs_reassembler r;
    assert_int_equal(fs_reasm_create(&r, NULL, &sink, NULL), 0);
    assert_int_equal(r.ops->segment(r.self, isn, FS_TCP_SYN, NULL, 0, 0), 0);
    for (size_t i = 0; i < k; i++)
      assert_int_equal(r.ops->segment(r.self, isn + 1 + pieces[i].off, FS_TCP_ACK,
                                      input + pieces[i].off, pieces[i].len, (fs_time_ns)i),
                       0);
    assert_int_equal(r.ops->finish(r.self, (fs_time_ns)k), 0);
    assert_int_equal(out.gap_calls, 0);
    assert_int_equal(out.n, n);
    assert_memory_equal(out.bytes, input, n);
    fs_reasm_stats st;
    r.ops->stats(r.self, &st);
    assert_int_equal(st.delivered_bytes, n);
    assert_int_equal(st.overlap_mismatch, 0);
    assert_int_equal(st.buffered_bytes, 0);
    held += st.ooo_segments;
    fs_reasm_destroy(&r);
  }
  assert_true(held > 1000); /* reordering really happened */
}

static void test_random_splits_under_tight_limits(void **state) {
  (void)state;
  static uint8_t input[INPUT_MAX];
  static piece pieces[SEG_MAX];
  uint64_t forced = 0, held = 0;
  for (uint64_t seed = 1; seed <= 300; seed++) {
    uint64_t rng = seed * 0xD1B54A32D192ED03ull;
    uint32_t n = 1 + rng_below(&rng, INPUT_MAX);
    for (uint32_t i = 0; i < n; i++)
      input[i] = (uint8_t)('a' + rng_below(&rng, 26));
    size_t k = make_pieces(&rng, n, pieces, SEG_MAX);
    /* Drop some pieces entirely so real holes exist. */
    for (size_t i = 0; i < k; i++)
      if (rng_below(&rng, 10) == 0)
        pieces[i].len = 0;
    uint32_t isn = pick_isn(&rng);

    fs_reasm_config cfg;
    fs_reasm_config_default(&cfg);
    cfg.max_buffer = 64 + rng_below(&rng, 512);
    cfg.max_segments = 1 + rng_below(&rng, 4);
    rts_sink out;
    fs_stream_sink sink = rts_make(&out);
    fs_reassembler r;
    assert_int_equal(fs_reasm_create(&r, &cfg, &sink, NULL), 0);
    assert_int_equal(r.ops->segment(r.self, isn, FS_TCP_SYN, NULL, 0, 0), 0);
    for (size_t i = 0; i < k; i++)
      assert_int_equal(r.ops->segment(r.self, isn + 1 + pieces[i].off, 0, input + pieces[i].off,
                                      pieces[i].len, (fs_time_ns)i),
                       0);
    /* A bare FIN after the last byte fixes the stream's length. */
    assert_int_equal(r.ops->segment(r.self, isn + 1 + n, FS_TCP_FIN, NULL, 0, (fs_time_ns)k), 0);
    assert_int_equal(r.ops->finish(r.self, (fs_time_ns)k), 0);
    assert_int_equal(out.n, n);
    for (uint32_t i = 0; i < n; i++)
      if (out.bytes[i] != '#')
        assert_int_equal(out.bytes[i], input[i]);
    fs_reasm_stats st;
    r.ops->stats(r.self, &st);
    assert_int_equal(st.delivered_bytes + st.gap_bytes, n);
    assert_true(st.high_watermark <= cfg.max_buffer);
    assert_int_equal(st.overlap_mismatch, 0);
    forced += st.dropped_segments;
    held += st.ooo_segments;
    fs_reasm_destroy(&r);
  }
  /* The cases really exercised holding and forced skips. */
  print_message("forced skips %llu, held segments %llu\n", (unsigned long long)forced,
                (unsigned long long)held);
  assert_true(forced > 100);
  assert_true(held > 100);
}

/*
 * ACK-based skipping: the receiver gets every piece, the capture misses
 * some; after each piece the receiver acks its contiguous prefix. Every
 * hole is given up on an ack before the end (none waits for finish), only
 * holes are lost, and with nothing missed an ack never costs a byte.
 */
static void test_random_drops_skipped_on_acks(void **state) {
  (void)state;
  static uint8_t input[INPUT_MAX];
  static uint8_t got[INPUT_MAX]; /* the receiver's view: byte arrived */
  static piece pieces[SEG_MAX];
  uint64_t skipped = 0;
  for (uint64_t seed = 1; seed <= 300; seed++) {
    uint64_t rng = seed * 0xA0761D6478BD642Full;
    uint32_t n = 1 + rng_below(&rng, INPUT_MAX);
    for (uint32_t i = 0; i < n; i++)
      input[i] = (uint8_t)('a' + rng_below(&rng, 26));
    size_t k = make_pieces(&rng, n, pieces, SEG_MAX);
    int drops = (seed & 1) == 0; /* odd seeds: the capture misses nothing */
    uint32_t isn = pick_isn(&rng);
    rts_sink out;
    fs_stream_sink sink = rts_make(&out);
    fs_reassembler r;
    assert_int_equal(fs_reasm_create(&r, NULL, &sink, NULL), 0);
    assert_int_equal(r.ops->segment(r.self, isn, FS_TCP_SYN, NULL, 0, 0), 0);
    memset(got, 0, n);
    uint32_t prefix = 0;
    for (size_t i = 0; i < k; i++) {
      for (uint32_t b = 0; b < pieces[i].len; b++)
        got[pieces[i].off + b] = 1;
      if (!(drops && rng_below(&rng, 8) == 0))
        assert_int_equal(r.ops->segment(r.self, isn + 1 + pieces[i].off, FS_TCP_ACK,
                                        input + pieces[i].off, pieces[i].len, (fs_time_ns)i),
                         0);
      while (prefix < n && got[prefix])
        prefix++;
      assert_int_equal(r.ops->ack(r.self, isn + 1 + prefix, (fs_time_ns)i), 0);
    }
    assert_int_equal(r.ops->segment(r.self, isn + 1 + n, FS_TCP_FIN, NULL, 0, (fs_time_ns)k), 0);
    assert_int_equal(r.ops->ack(r.self, isn + 1 + n + 1, (fs_time_ns)k), 0); /* FIN acked */
    assert_int_equal(out.n, n); /* everything resolved before finish */
    assert_int_equal(r.ops->finish(r.self, (fs_time_ns)k), 0);
    assert_int_equal(out.n, n);
    for (uint32_t i = 0; i < n; i++)
      if (out.bytes[i] != '#')
        assert_int_equal(out.bytes[i], input[i]);
    fs_reasm_stats st;
    r.ops->stats(r.self, &st);
    assert_int_equal(st.delivered_bytes + st.gap_bytes, n);
    assert_int_equal(st.ack_gap_bytes, st.gap_bytes);
    assert_int_equal(st.bogus_acks, 0);
    assert_int_equal(st.buffered_bytes, 0);
    if (!drops)
      assert_int_equal(out.gap_calls, 0);
    skipped += st.ack_gaps;
    fs_reasm_destroy(&r);
  }
  assert_true(skipped > 100); /* holes really were skipped on acks */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_random_splits_reassemble_exactly),
      cmocka_unit_test(test_random_splits_under_tight_limits),
      cmocka_unit_test(test_random_drops_skipped_on_acks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
