/* SPDX-License-Identifier: MIT */
/*
 * A reassembler behind the public vtable, writing into a recording sink,
 * and the assertions the reassembly tests share. Include after cmocka.h.
 */
#ifndef REASM_FIXTURE_H
#define REASM_FIXTURE_H

#include <string.h>

#include "reasm_test_sink.h"

typedef struct fixture {
  rts_sink out;
  fs_reassembler r;
} fixture;

/* Creates the reassembler (@p cfg NULL: defaults) writing into f->out. */
static inline void open_r(fixture *f, const fs_reasm_config *cfg) {
  fs_stream_sink k = rts_make(&f->out);
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_reasm_create(&f->r, cfg, &k, err), 0);
}

/* A SYN at @p seq: data starts at seq + 1. */
static inline void syn(fixture *f, uint32_t seq) {
  assert_int_equal(f->r.ops->segment(f->r.self, seq, FS_TCP_SYN, NULL, 0, 0), 0);
}

/* The sink received exactly @p want ('#' for each gap byte). */
static inline void expect_stream(const fixture *f, const char *want) {
  size_t n = strlen(want);
  assert_int_equal(f->out.n, n);
  assert_memory_equal(f->out.bytes, want, n);
}

static inline fs_reasm_stats stats_of(const fixture *f) {
  fs_reasm_stats st;
  f->r.ops->stats(f->r.self, &st);
  return st;
}

#endif /* REASM_FIXTURE_H */
