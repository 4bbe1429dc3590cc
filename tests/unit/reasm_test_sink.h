/* SPDX-License-Identifier: MIT */
/*
 * Test helper for the reassembly tests: a stream sink that records every
 * delivered byte and every gap, so a test can compare against hand-computed
 * streams. Header-only (static functions) so each test stays one file.
 */
#ifndef REASM_TEST_SINK_H
#define REASM_TEST_SINK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flowscope/reasm.h"

/* Gaps are written into the byte log as this many '#' bytes (when small), to
 * compare a whole stream with one string. */
#define RTS_MAX 65536

typedef struct rts_sink {
  uint8_t bytes[RTS_MAX]; /* delivered bytes, gaps rendered as '#' x len */
  size_t n;
  uint64_t data_calls;
  uint64_t gap_calls;
  uint64_t gap_total;
  const uint8_t *last_ptr; /* pointer of the last data call (zero-copy check) */
  fs_time_ns last_ts;
  int stop_after; /* > 0: return non-zero from the data call number stop_after */
} rts_sink;

static inline int rts_data(void *ctx, const uint8_t *data, size_t len, fs_time_ns ts) {
  rts_sink *s = ctx;
  s->data_calls++;
  s->last_ptr = data;
  s->last_ts = ts;
  if (s->n + len <= RTS_MAX) {
    memcpy(s->bytes + s->n, data, len);
    s->n += len;
  }
  return s->stop_after > 0 && s->data_calls == (uint64_t)s->stop_after;
}

static inline int rts_gap(void *ctx, uint64_t len, fs_time_ns ts) {
  rts_sink *s = ctx;
  s->gap_calls++;
  s->gap_total += len;
  s->last_ts = ts;
  for (uint64_t i = 0; i < len && s->n < RTS_MAX; i++)
    s->bytes[s->n++] = '#';
  return 0;
}

static inline fs_stream_sink rts_make(rts_sink *s) {
  memset(s, 0, sizeof *s);
  fs_stream_sink k = {rts_data, rts_gap, s};
  return k;
}

#endif /* REASM_TEST_SINK_H */
