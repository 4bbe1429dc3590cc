/* SPDX-License-Identifier: MIT */
/*
 * Internal: one direction of one TCP stream, reassembled. The driver embeds
 * these in its per-flow records (no allocation per stream); fs_reasm_create
 * wraps one in the public fs_reassembler vtable.
 *
 * Model: stream offsets are 64-bit and count from the first byte after the
 * SYN (or the first data segment seen). In-order bytes go to the sink
 * straight from the caller's buffer; only bytes that arrive beyond a hole
 * are copied, into a ring buffer sized to the hole's window.
 */
#ifndef FSI_REASM_STREAM_H
#define FSI_REASM_STREAM_H

#include "flowscope/reasm.h"

/**
 * Memory shared by many streams (the driver's max_reasm_total). Counts the
 * bytes of ring buffers allocated; a stream that cannot grow its ring
 * within the budget overflows as if it hit its own cap.
 */
typedef struct fsi_reasm_budget {
  uint64_t used; /* bytes allocated by all streams now */
  uint64_t max;  /* bound, 0 = unbounded */
} fsi_reasm_budget;

/* One held range of out-of-order bytes [start, end) and when its oldest byte arrived. */
typedef struct fsi_reasm_range {
  uint64_t start;
  uint64_t end;
  fs_time_ns ts;
} fsi_reasm_range;

/* The stream. Zero-initialise with fsi_reasm_init; release with fsi_reasm_release. */
typedef struct fsi_reasm {
  fs_reasm_config cfg;
  fs_stream_sink sink;
  fsi_reasm_budget *budget; /* may be NULL */
  uint32_t started;         /* base_seq/next_off are meaningful */
  uint32_t poisoned;        /* drop-flow limit tripped */
  uint32_t stopped;         /* the sink returned non-zero: ignore everything */
  uint32_t finished;        /* finish() ran */
  uint32_t have_fin;        /* fin_off is meaningful */
  uint32_t base_seq;        /* sequence number of offset 0 */
  uint64_t next_off;        /* next stream offset the sink expects */
  uint64_t fin_off;         /* offset just past the last byte (FIN) */
  uint64_t seen_end;        /* highest offset known to have been on the wire (segments, FIN) */
  uint8_t *ring;            /* held bytes; offset o lives at ring[o & (ring_cap - 1)] */
  uint64_t ring_cap;        /* power of two, 0 when no ring */
  fsi_reasm_range *ranges;  /* held ranges, sorted, disjoint, not adjacent */
  uint32_t n_ranges;
  uint32_t ranges_cap;
  fs_reasm_stats st;
} fsi_reasm;

/* Initialises @p r (any previous content is ignored). @p budget may be NULL. */
void fsi_reasm_init(fsi_reasm *r, const fs_reasm_config *cfg, const fs_stream_sink *sink,
                    fsi_reasm_budget *budget);

/* Frees held memory (returning it to the budget). @p r can be re-initialised after. */
void fsi_reasm_release(fsi_reasm *r);

/* One segment; see fs_reassembler_ops.segment. */
int fsi_reasm_segment(fsi_reasm *r, uint32_t seq, uint32_t flags, const uint8_t *data, size_t len,
                      fs_time_ns ts);

/*
 * Bytes [seq, seq + n) were on the wire but not captured (snap length): when
 * they start at the next expected byte they are reported as a gap at once
 * instead of waiting for the timeout.
 */
int fsi_reasm_lost(fsi_reasm *r, uint32_t seq, uint64_t n, fs_time_ns ts);

/*
 * The peer acknowledged this stream up to sequence number @p ack: every hole
 * below it (and below seen_end) was on the wire but not captured and is
 * reported as a gap at once, delivering what is held after it. Acks beyond
 * seen_end + max_buffer are counted in bogus_acks and ignored.
 */
int fsi_reasm_ack(fsi_reasm *r, uint32_t ack, fs_time_ns ts);

/* Whether a hole lies before bytes known to exist (an ack may skip it): cheap, inline. */
static inline int fsi_reasm_has_hole(const fsi_reasm *r) { return r->seen_end > r->next_off; }

/* Skips holes whose data after them has waited gap_timeout or longer. */
int fsi_reasm_tick(fsi_reasm *r, fs_time_ns now);

/* End of stream: delivers what is held, reporting holes (and a missing tail up to FIN) as gaps. */
int fsi_reasm_finish(fsi_reasm *r, fs_time_ns ts);

/*
 * Stops the stream for good without delivering anything more (bypass):
 * held bytes are released and later segments ignored.
 */
void fsi_reasm_stop(fsi_reasm *r);

/* Copies the diagnostics. */
void fsi_reasm_stats(const fsi_reasm *r, fs_reasm_stats *out);

#endif /* FSI_REASM_STREAM_H */
