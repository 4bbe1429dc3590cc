/* SPDX-License-Identifier: MIT */
/*
 * Hierarchical timer wheel for idle timeouts: 256 one-tick slots, then two
 * levels of 64 slots covering 256 and 16384 ticks each (about 12 days at
 * the default 1 s tick); later deadlines park in the last slot and are
 * re-evaluated when it comes round. Timers are lazy: a packet only moves
 * last_seen; when a slot fires, each flow's real deadline is recomputed
 * and the flow is either ended or re-inserted. No full-table scans.
 *
 * The head of a slot list has tw_prev = FSI_TW_MARK | slot, so a record
 * can be unlinked without knowing where it sits; tw_prev == FSI_NIL means
 * "not scheduled".
 */
#include "track/track_internal.h"

#define FSI_TW_MARK 0xFF000000u
#define L1_BASE FSI_TW_L0
#define L2_BASE (FSI_TW_L0 + FSI_TW_LN)

static void slot_push(fs_tracker *t, uint32_t slot, uint32_t idx) {
  fsi_flow *f = &t->recs[idx];
  uint32_t head = t->tw_head[slot];
  f->tw_prev = FSI_TW_MARK | slot;
  f->tw_next = head;
  if (head != FSI_NIL)
    t->recs[head].tw_prev = idx;
  t->tw_head[slot] = idx;
}

void fsi_wheel_unlink(fs_tracker *t, uint32_t idx) {
  fsi_flow *f = &t->recs[idx];
  if (f->tw_prev == FSI_NIL)
    return;
  if ((f->tw_prev & FSI_TW_MARK) == FSI_TW_MARK)
    t->tw_head[f->tw_prev & ~FSI_TW_MARK] = f->tw_next;
  else
    t->recs[f->tw_prev].tw_next = f->tw_next;
  if (f->tw_next != FSI_NIL)
    t->recs[f->tw_next].tw_prev = f->tw_prev;
  f->tw_prev = f->tw_next = FSI_NIL;
}

static uint64_t deadline_tick(const fs_tracker *t, const fsi_flow *f) {
  fs_time_ns d = fsi_flow_deadline(t, f);
  uint64_t tick = d / t->tick_ns + ((d % t->tick_ns) ? 1u : 0u);
  return tick;
}

static void place(fs_tracker *t, uint32_t idx, uint64_t d) {
  uint64_t now = t->now_tick;
  if (d <= now)
    d = now + 1;
  uint32_t slot;
  if ((d >> FSI_TW_L0_BITS) == (now >> FSI_TW_L0_BITS))
    slot = (uint32_t)(d & (FSI_TW_L0 - 1));
  else if ((d >> (FSI_TW_L0_BITS + FSI_TW_LN_BITS)) == (now >> (FSI_TW_L0_BITS + FSI_TW_LN_BITS)))
    slot = L1_BASE + (uint32_t)((d >> FSI_TW_L0_BITS) & (FSI_TW_LN - 1));
  else if ((d >> (FSI_TW_L0_BITS + 2 * FSI_TW_LN_BITS)) ==
           (now >> (FSI_TW_L0_BITS + 2 * FSI_TW_LN_BITS)))
    slot = L2_BASE + (uint32_t)((d >> (FSI_TW_L0_BITS + FSI_TW_LN_BITS)) & (FSI_TW_LN - 1));
  else /* beyond the wheel: the slot that comes round last; re-evaluated then */
    slot =
        L2_BASE + (uint32_t)(((now >> (FSI_TW_L0_BITS + FSI_TW_LN_BITS)) - 1u) & (FSI_TW_LN - 1));
  slot_push(t, slot, idx);
}

void fsi_wheel_insert(fs_tracker *t, uint32_t idx) {
  fsi_wheel_unlink(t, idx);
  place(t, idx, deadline_tick(t, &t->recs[idx]));
}

/* Re-places every flow of a coarse slot relative to the current tick. */
static void cascade(fs_tracker *t, uint32_t slot) {
  uint32_t idx = t->tw_head[slot];
  t->tw_head[slot] = FSI_NIL;
  while (idx != FSI_NIL) {
    uint32_t next = t->recs[idx].tw_next;
    t->recs[idx].tw_prev = t->recs[idx].tw_next = FSI_NIL;
    place(t, idx, deadline_tick(t, &t->recs[idx]));
    idx = next;
  }
}

/* Ends the flows of a one-tick slot whose deadline has passed. */
static void expire_slot(fs_tracker *t, uint32_t slot) {
  uint32_t idx = t->tw_head[slot];
  t->tw_head[slot] = FSI_NIL;
  const fs_time_ns now_ns = (fs_time_ns)t->now_tick * t->tick_ns;
  while (idx != FSI_NIL) {
    fsi_flow *f = &t->recs[idx];
    uint32_t next = f->tw_next;
    f->tw_prev = f->tw_next = FSI_NIL;
    fs_time_ns d = fsi_flow_deadline(t, f);
    if (d <= now_ns)
      fsi_flow_end(t, idx, FS_END_IDLE_TIMEOUT, d);
    else
      place(t, idx, deadline_tick(t, f));
    idx = next;
  }
}

static void step(fs_tracker *t, uint64_t tick) {
  t->now_tick = tick;
  if ((tick & ((1u << (FSI_TW_L0_BITS + FSI_TW_LN_BITS)) - 1u)) == 0)
    cascade(t, L2_BASE + (uint32_t)((tick >> (FSI_TW_L0_BITS + FSI_TW_LN_BITS)) & (FSI_TW_LN - 1)));
  if ((tick & (FSI_TW_L0 - 1u)) == 0)
    cascade(t, L1_BASE + (uint32_t)((tick >> FSI_TW_L0_BITS) & (FSI_TW_LN - 1)));
  expire_slot(t, (uint32_t)(tick & (FSI_TW_L0 - 1u)));
}

void fsi_wheel_advance(fs_tracker *t, uint64_t to_tick) {
  if (to_tick <= t->now_tick)
    return;
  const uint64_t span = (uint64_t)1 << (FSI_TW_L0_BITS + 2 * FSI_TW_LN_BITS);
  if (t->live == 0) {
    t->now_tick = to_tick;
    return;
  }
  if (to_tick - t->now_tick > span) {
    /* A long jump (capture gap): pull every scheduled flow out, move time,
     * and re-place or end each one. Costs one pass over the live flows. */
    uint32_t all = FSI_NIL;
    for (uint32_t s = 0; s < FSI_TW_SLOTS; s++) {
      uint32_t idx = t->tw_head[s];
      t->tw_head[s] = FSI_NIL;
      while (idx != FSI_NIL) {
        uint32_t next = t->recs[idx].tw_next;
        t->recs[idx].tw_prev = FSI_NIL;
        t->recs[idx].tw_next = all;
        all = idx;
        idx = next;
      }
    }
    t->now_tick = to_tick;
    const fs_time_ns now_ns = (fs_time_ns)to_tick * t->tick_ns;
    while (all != FSI_NIL) {
      uint32_t next = t->recs[all].tw_next;
      t->recs[all].tw_next = FSI_NIL;
      fs_time_ns d = fsi_flow_deadline(t, &t->recs[all]);
      if (d <= now_ns)
        fsi_flow_end(t, all, FS_END_IDLE_TIMEOUT, d);
      else
        place(t, all, deadline_tick(t, &t->recs[all]));
      all = next;
    }
    return;
  }
  for (uint64_t k = t->now_tick + 1; k <= to_tick; k++)
    step(t, k);
}
