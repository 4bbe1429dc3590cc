/* SPDX-License-Identifier: MIT */
/*
 * TCP reassembly of one stream direction. See docs/reassembly.md for the
 * policy (first copy wins, holes, limits, overflow).
 */
#include "reasm/reasm_stream.h"

#include <stdlib.h>
#include <string.h>

/* Ring buffers that grew beyond this are freed once they hold nothing. */
#define RING_KEEP_MAX (64u * 1024u)
/* Smallest ring allocated. */
#define RING_MIN 4096u

/* Internal result of a delivery step: carry on, or the sink asked to stop. */
enum { STEP_OK = 0, STEP_STOPPED = 1 };

/* a - b in serial-number arithmetic (RFC 1982): within +/- 2^31. */
static int64_t seq_delta(uint32_t a, uint32_t b) {
  uint32_t d = a - b;
  return d < 0x80000000u ? (int64_t)d : (int64_t)d - (int64_t)0x100000000ll;
}

static uint64_t pow2_at_least(uint64_t n) {
  uint64_t p = RING_MIN;
  while (p < n && p < (UINT64_C(1) << 62))
    p <<= 1;
  return p;
}

void fsi_reasm_init(fsi_reasm *r, const fs_reasm_config *cfg, const fs_stream_sink *sink,
                    fsi_reasm_budget *budget) {
  memset(r, 0, sizeof *r);
  if (cfg != NULL)
    r->cfg = *cfg;
  else
    fs_reasm_config_default(&r->cfg);
  r->sink = *sink;
  r->budget = budget;
  r->st.struct_size = sizeof r->st;
}

static void free_ring(fsi_reasm *r) {
  if (r->ring != NULL && r->budget != NULL)
    r->budget->used -= r->ring_cap;
  free(r->ring);
  r->ring = NULL;
  r->ring_cap = 0;
}

/* Drops held state; counters are kept. */
static void drop_held(fsi_reasm *r) {
  free_ring(r);
  free(r->ranges);
  r->ranges = NULL;
  r->n_ranges = 0;
  r->ranges_cap = 0;
  r->st.buffered_bytes = 0;
}

void fsi_reasm_release(fsi_reasm *r) { drop_held(r); }

void fsi_reasm_stop(fsi_reasm *r) {
  r->stopped = 1;
  drop_held(r);
}

void fsi_reasm_stats(const fsi_reasm *r, fs_reasm_stats *out) {
  *out = r->st;
  out->struct_size = sizeof *out;
  out->poisoned = r->poisoned;
}

/* ---- ring buffer: offset o lives at ring[o & (cap - 1)] ---- */

static void ring_write(fsi_reasm *r, uint64_t off, const uint8_t *src, size_t n) {
  size_t pos = (size_t)(off & (r->ring_cap - 1));
  size_t first = n;
  if (first > r->ring_cap - pos)
    first = (size_t)(r->ring_cap - pos);
  memcpy(r->ring + pos, src, first);
  if (n > first)
    memcpy(r->ring, src + first, n - first);
}

static uint64_t ring_mismatch(const fsi_reasm *r, uint64_t off, const uint8_t *src, size_t n) {
  uint64_t diff = 0;
  size_t mask = (size_t)(r->ring_cap - 1);
  for (size_t i = 0; i < n; i++)
    diff += r->ring[(size_t)(off + i) & mask] != src[i];
  return diff;
}

/* Grows the ring so that offsets [next_off, next_off + span) fit. 0, or -1 if not allowed. */
static int ring_reserve(fsi_reasm *r, uint64_t span) {
  if (span <= r->ring_cap)
    return 0;
  uint64_t cap = pow2_at_least(span);
  if (r->budget != NULL && r->budget->max != 0 &&
      r->budget->used - r->ring_cap + cap > r->budget->max)
    return -1;
  if (cap > SIZE_MAX)
    return -1;
  uint8_t *ring = malloc((size_t)cap);
  if (ring == NULL)
    return -1;
  /* Re-place every held range at its position in the bigger ring. */
  for (uint32_t i = 0; i < r->n_ranges; i++) {
    for (uint64_t o = r->ranges[i].start; o < r->ranges[i].end; o++)
      ring[o & (cap - 1)] = r->ring[o & (r->ring_cap - 1)];
  }
  if (r->budget != NULL)
    r->budget->used += cap - r->ring_cap;
  free(r->ring);
  r->ring = ring;
  r->ring_cap = cap;
  return 0;
}

/* ---- delivery ---- */

static int emit_data(fsi_reasm *r, const uint8_t *p, size_t n, fs_time_ns ts) {
  if (n == 0)
    return STEP_OK;
  r->st.delivered_bytes += n;
  if (r->sink.data != NULL && r->sink.data(r->sink.ctx, p, n, ts) != 0) {
    fsi_reasm_stop(r);
    return STEP_STOPPED;
  }
  return STEP_OK;
}

static int emit_gap(fsi_reasm *r, uint64_t n, fs_time_ns ts) {
  if (n == 0)
    return STEP_OK;
  r->st.gap_bytes += n;
  if (r->sink.gap != NULL && r->sink.gap(r->sink.ctx, n, ts) != 0) {
    fsi_reasm_stop(r);
    return STEP_STOPPED;
  }
  return STEP_OK;
}

/* Delivers held bytes [next_off, end) from the ring (two pieces when it wraps). */
static int ring_deliver(fsi_reasm *r, uint64_t end, fs_time_ns ts) {
  while (r->next_off < end) {
    size_t pos = (size_t)(r->next_off & (r->ring_cap - 1));
    uint64_t n = end - r->next_off;
    if (n > r->ring_cap - pos)
      n = r->ring_cap - pos;
    r->next_off += n;
    if (emit_data(r, r->ring + pos, (size_t)n, ts) != STEP_OK)
      return STEP_STOPPED;
  }
  return STEP_OK;
}

static void pop_front_range(fsi_reasm *r) {
  r->st.buffered_bytes -= r->ranges[0].end - r->ranges[0].start;
  r->n_ranges--;
  memmove(r->ranges, r->ranges + 1, r->n_ranges * sizeof *r->ranges);
  if (r->n_ranges == 0 && r->ring_cap > RING_KEEP_MAX)
    free_ring(r);
}

/*
 * Skips the hole before the first held range (reported as a gap) and
 * delivers that range. @p forced marks a skip made to honour a limit.
 */
static int skip_front_hole(fsi_reasm *r, fs_time_ns ts, int forced) {
  fsi_reasm_range first = r->ranges[0];
  uint64_t hole = first.start - r->next_off;
  if (forced) {
    r->st.dropped_segments++;
    r->st.dropped_bytes += hole;
  }
  r->next_off = first.start;
  if (emit_gap(r, hole, ts) != STEP_OK)
    return STEP_STOPPED;
  if (ring_deliver(r, first.end, ts) != STEP_OK)
    return STEP_STOPPED;
  pop_front_range(r);
  return STEP_OK;
}

/*
 * In-order data: data[0] is at offset next_off and the segment ends at @p end.
 * Bytes go to the sink from the caller's buffer except where a held range
 * already covers them (first copy wins); held ranges reached are delivered.
 */
static int deliver_in_order(fsi_reasm *r, const uint8_t *data, uint64_t seg_start, uint64_t end,
                            fs_time_ns ts) {
  for (;;) {
    if (r->n_ranges > 0 && r->ranges[0].start <= r->next_off) {
      fsi_reasm_range h = r->ranges[0];
      /* Caller bytes overlapping the held range: count the ones that differ. */
      uint64_t ov_end = h.end < end ? h.end : end;
      if (ov_end > r->next_off)
        r->st.overlap_mismatch += ring_mismatch(r, r->next_off, data + (r->next_off - seg_start),
                                                (size_t)(ov_end - r->next_off));
      if (ring_deliver(r, h.end, ts) != STEP_OK)
        return STEP_STOPPED;
      pop_front_range(r);
      continue;
    }
    if (r->next_off >= end)
      return STEP_OK;
    uint64_t lim = end;
    if (r->n_ranges > 0 && r->ranges[0].start < lim)
      lim = r->ranges[0].start;
    const uint8_t *p = data + (r->next_off - seg_start);
    size_t n = (size_t)(lim - r->next_off);
    r->next_off = lim;
    if (emit_data(r, p, n, ts) != STEP_OK)
      return STEP_STOPPED;
  }
}

/* Index of the first held range whose end is >= @p off (it overlaps or touches @p off). */
static uint32_t first_range_reaching(const fsi_reasm *r, uint64_t off) {
  uint32_t lo = 0, hi = r->n_ranges;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (r->ranges[mid].end < off)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Whether [s, e) (s > next_off) can be held within the limits; grows storage if so. */
static int can_hold(fsi_reasm *r, uint64_t s, uint64_t e) {
  uint64_t span = e - r->next_off;
  if (span > r->cfg.max_buffer)
    return 0;
  uint32_t i0 = first_range_reaching(r, s);
  int new_range = i0 == r->n_ranges || r->ranges[i0].start > e;
  if (new_range) {
    if (r->n_ranges >= r->cfg.max_segments)
      return 0;
    if (r->n_ranges == r->ranges_cap) {
      uint32_t cap = r->ranges_cap ? r->ranges_cap * 2 : 8;
      if (cap > r->cfg.max_segments)
        cap = r->cfg.max_segments;
      fsi_reasm_range *nr = realloc(r->ranges, cap * sizeof *nr);
      if (nr == NULL)
        return 0;
      r->ranges = nr;
      r->ranges_cap = cap;
    }
  }
  return ring_reserve(r, span) == 0;
}

/* Holds out-of-order bytes [s, e) (s > next_off); storage was reserved by can_hold. */
static void hold(fsi_reasm *r, const uint8_t *data, uint64_t s, uint64_t e, fs_time_ns ts) {
  uint32_t i0 = first_range_reaching(r, s);
  uint32_t i1 = i0;
  while (i1 < r->n_ranges && r->ranges[i1].start <= e)
    i1++;
  r->st.ooo_segments++;
  if (i0 == i1) {
    memmove(r->ranges + i0 + 1, r->ranges + i0, (r->n_ranges - i0) * sizeof *r->ranges);
    r->ranges[i0] = (fsi_reasm_range){s, e, ts};
    r->n_ranges++;
    ring_write(r, s, data, (size_t)(e - s));
    r->st.buffered_bytes += e - s;
  } else {
    /* Merge with ranges i0..i1-1: copy the uncovered pieces, compare the covered ones. */
    fsi_reasm_range m = r->ranges[i0];
    uint64_t p = s;
    for (uint32_t k = i0; k < i1; k++) {
      const fsi_reasm_range *h = &r->ranges[k];
      if (p < h->start) {
        uint64_t pe = e < h->start ? e : h->start;
        ring_write(r, p, data + (p - s), (size_t)(pe - p));
        r->st.buffered_bytes += pe - p;
      }
      uint64_t os = p > h->start ? p : h->start;
      uint64_t oe = e < h->end ? e : h->end;
      if (os < oe)
        r->st.overlap_mismatch += ring_mismatch(r, os, data + (os - s), (size_t)(oe - os));
      if (h->end > p)
        p = h->end;
      if (h->ts < m.ts)
        m.ts = h->ts;
    }
    if (p < e) {
      ring_write(r, p, data + (p - s), (size_t)(e - p));
      r->st.buffered_bytes += e - p;
    }
    if (s < m.start)
      m.start = s;
    m.end = r->ranges[i1 - 1].end > e ? r->ranges[i1 - 1].end : e;
    if (ts < m.ts)
      m.ts = ts;
    r->ranges[i0] = m;
    memmove(r->ranges + i0 + 1, r->ranges + i1, (r->n_ranges - i1) * sizeof *r->ranges);
    r->n_ranges -= i1 - i0 - 1;
  }
  if (r->st.buffered_bytes > r->st.high_watermark)
    r->st.high_watermark = r->st.buffered_bytes;
}

/* Drop-flow policy tripped: discard everything held and refuse all later data. */
static int poison(fsi_reasm *r, uint64_t seg_bytes) {
  r->poisoned = 1;
  r->st.poisoned = 1;
  r->st.dropped_segments++;
  r->st.dropped_bytes += seg_bytes + r->st.buffered_bytes;
  drop_held(r);
  return FS_E_LIMIT;
}

int fsi_reasm_segment(fsi_reasm *r, uint32_t seq, uint32_t flags, const uint8_t *data, size_t len,
                      fs_time_ns ts) {
  if (r->poisoned) {
    if (len > 0) {
      r->st.dropped_segments++;
      r->st.dropped_bytes += len;
    }
    return FS_E_LIMIT;
  }
  if (r->stopped || r->finished)
    return 0;
  uint32_t data_seq = seq;
  if (flags & FS_TCP_SYN)
    data_seq = seq + 1; /* the SYN occupies one sequence number */
  if (!r->started) {
    if (len == 0 && !(flags & (FS_TCP_SYN | FS_TCP_FIN)))
      return 0; /* a bare ACK does not anchor the stream */
    r->started = 1;
    r->base_seq = data_seq;
    r->next_off = 0;
  }
  /* 64-bit offsets of the segment, relative to the next expected byte. */
  int64_t delta = seq_delta(data_seq, r->base_seq + (uint32_t)r->next_off);
  if (delta < 0 && (uint64_t)(-delta) > r->next_off) {
    /* Before the start of the stream: keep only what reaches past it. */
    uint64_t before = (uint64_t)(-delta) - r->next_off;
    if (before >= len)
      return 0;
    data += before;
    len -= (size_t)before;
    delta += (int64_t)before;
  }
  uint64_t s = (uint64_t)((int64_t)r->next_off + delta);
  uint64_t e = s + len;
  if ((flags & FS_TCP_FIN) && !r->have_fin) {
    r->have_fin = 1;
    r->fin_off = e;
  }
  if (e > r->seen_end)
    r->seen_end = e;
  if (e <= r->next_off || len == 0)
    return 0; /* no data, or a retransmission of bytes already delivered */
  if (s < r->next_off) {
    data += r->next_off - s;
    s = r->next_off;
  }
  while (s > r->next_off) {
    if (can_hold(r, s, e)) {
      hold(r, data, s, e, ts);
      return 0;
    }
    if (r->cfg.overflow_policy == FS_OVERFLOW_DROP_FLOW)
      return poison(r, e - s);
    /* Sliding window: give up the oldest hole so the window moves forward. */
    if (r->n_ranges > 0) {
      if (skip_front_hole(r, ts, 1) != STEP_OK)
        return 0;
    } else {
      uint64_t hole = s - r->next_off;
      r->st.dropped_segments++;
      r->st.dropped_bytes += hole;
      r->next_off = s;
      if (emit_gap(r, hole, ts) != STEP_OK)
        return 0;
    }
    if (e <= r->next_off)
      return 0;
    if (s < r->next_off) {
      data += r->next_off - s;
      s = r->next_off;
    }
  }
  (void)deliver_in_order(r, data, s, e, ts);
  return 0;
}

int fsi_reasm_tick(fsi_reasm *r, fs_time_ns now) {
  if (r->poisoned)
    return FS_E_LIMIT;
  while (!r->stopped && r->n_ranges > 0 && now >= r->ranges[0].ts &&
         now - r->ranges[0].ts >= r->cfg.gap_timeout) {
    if (skip_front_hole(r, now, 0) != STEP_OK)
      break;
  }
  return 0;
}

int fsi_reasm_finish(fsi_reasm *r, fs_time_ns ts) {
  if (r->poisoned)
    return FS_E_LIMIT;
  if (r->stopped || r->finished)
    return 0;
  while (r->n_ranges > 0) {
    if (skip_front_hole(r, ts, 0) != STEP_OK)
      return 0;
  }
  if (r->have_fin && r->fin_off > r->next_off) {
    uint64_t hole = r->fin_off - r->next_off;
    r->next_off = r->fin_off;
    if (emit_gap(r, hole, ts) != STEP_OK)
      return 0;
  }
  r->finished = 1;
  drop_held(r);
  return 0;
}

int fsi_reasm_lost(fsi_reasm *r, uint32_t seq, uint64_t n, fs_time_ns ts) {
  if (!r->started || r->poisoned || r->stopped || r->finished || n == 0)
    return 0;
  int64_t delta = seq_delta(seq, r->base_seq + (uint32_t)r->next_off);
  if (delta > 0) {
    /* Beyond a hole: it stays a hole until an ack, the timeout or finish;
     * the bytes were on the wire, so an ack may skip past them. */
    if (r->next_off + (uint64_t)delta + n > r->seen_end)
      r->seen_end = r->next_off + (uint64_t)delta + n;
    return 0;
  }
  if ((uint64_t)(-delta) >= n)
    return 0; /* already behind the stream */
  uint64_t end = r->next_off + (n - (uint64_t)(-delta));
  if (end > r->seen_end)
    r->seen_end = end;
  if (r->n_ranges > 0 && r->ranges[0].start < end)
    end = r->ranges[0].start; /* held bytes were seen after all: they win */
  uint64_t hole = end - r->next_off;
  r->next_off = end;
  if (emit_gap(r, hole, ts) != STEP_OK)
    return 0;
  /* Held ranges that now continue the stream go out. */
  while (r->n_ranges > 0 && r->ranges[0].start <= r->next_off) {
    if (ring_deliver(r, r->ranges[0].end, ts) != STEP_OK)
      return 0;
    pop_front_range(r);
  }
  return 0;
}

int fsi_reasm_ack(fsi_reasm *r, uint32_t ack, fs_time_ns ts) {
  if (r->poisoned)
    return FS_E_LIMIT;
  if (!r->started || r->stopped || r->finished)
    return 0; /* an ack before any data cannot be placed */
  int64_t delta = seq_delta(ack, r->base_seq + (uint32_t)r->next_off);
  if (delta <= 0)
    return 0; /* acknowledges nothing the sink has not had */
  uint64_t ack_off = r->next_off + (uint64_t)delta;
  if (ack_off > r->seen_end && ack_off - r->seen_end > r->cfg.max_buffer) {
    /* Further beyond anything seen than any window we would hold: a
     * corrupt, forged or unrelated ack. Skipping on it could throw away
     * holes whose retransmission is still to come. */
    r->st.bogus_acks++;
    return 0;
  }
  /* Bytes never seen are not skipped ahead of time (an ack that covers a
   * FIN covers one number more than the data): only up to seen_end. */
  uint64_t target = ack_off < r->seen_end ? ack_off : r->seen_end;
  while (r->next_off < target) {
    uint64_t hole_end = target;
    if (r->n_ranges > 0 && r->ranges[0].start < hole_end)
      hole_end = r->ranges[0].start;
    r->st.ack_gaps++;
    r->st.ack_gap_bytes += hole_end - r->next_off;
    if (r->n_ranges > 0 && r->ranges[0].start == hole_end) {
      if (skip_front_hole(r, ts, 0) != STEP_OK)
        return 0;
      continue;
    }
    /* The acked part of a hole with nothing held before target. */
    uint64_t hole = hole_end - r->next_off;
    r->next_off = hole_end;
    if (emit_gap(r, hole, ts) != STEP_OK)
      return 0;
  }
  return 0;
}
