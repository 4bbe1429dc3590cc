/* SPDX-License-Identifier: MIT */
/*
 * Where driver events go: the host's sink (push), or a bounded queue the host
 * drains with fs_driver_next_event (pull). Queued events own copies of what
 * they point to, since the originals are borrowed for the emitting call only.
 */
#include <stdlib.h>
#include <string.h>

#include "drive/drive_internal.h"

static void release_entry(fsi_qentry *e) {
  fs_message_free(e->msg);
  e->msg = NULL;
}

/* Points an entry's event at the entry's own copies (after the entry moved). */
static void reaim(fsi_qentry *e) {
  if (e->ev.key != NULL)
    e->ev.key = &e->key;
  if (e->ev.stats != NULL)
    e->ev.stats = &e->stats;
  if (e->ev.anomaly != NULL)
    e->ev.anomaly = &e->anomaly;
  e->ev.message = e->msg;
}

/* Grows the ring to hold one more entry; 0, or -1 at the bound / out of memory. */
static int queue_reserve(fs_driver *d) {
  uint32_t used = d->q_count;
  if (used < d->q_cap)
    return 0;
  if (d->q_cap >= d->q_max)
    return -1;
  uint32_t cap = d->q_cap ? d->q_cap * 2 : 256;
  if (cap > d->q_max)
    cap = d->q_max;
  fsi_qentry *q = malloc((size_t)cap * sizeof *q);
  if (q == NULL)
    return -1;
  /* Unroll the ring into the new array, oldest first. */
  for (uint32_t i = 0; i < d->q_count; i++)
    q[i] = d->q[(d->q_head + i) % d->q_cap];
  /* Entries point into themselves (key, stats, anomaly): re-aim the copies. */
  for (uint32_t i = 0; i < d->q_count; i++)
    reaim(&q[i]);
  free(d->q);
  d->q = q;
  d->q_cap = cap;
  d->q_head = 0;
  return 0;
}

static void enqueue(fs_driver *d, const fs_event *ev) {
  if (queue_reserve(d) != 0) {
    d->ctr.events_dropped++;
    return;
  }
  fsi_qentry *e = &d->q[(d->q_head + d->q_count) % d->q_cap];
  memset(e, 0, sizeof *e);
  e->ev = *ev;
  e->ev.struct_size = sizeof e->ev;
  e->ev.packet = NULL;
  if (ev->key != NULL) {
    e->key = *ev->key;
    e->ev.key = &e->key;
  }
  if (ev->stats != NULL) {
    size_t n = ev->stats->struct_size < sizeof e->stats ? ev->stats->struct_size : sizeof e->stats;
    memcpy(&e->stats, ev->stats, n);
    e->ev.stats = &e->stats;
  }
  if (ev->anomaly != NULL) {
    e->anomaly = *ev->anomaly;
    e->ev.anomaly = &e->anomaly;
  }
  if (ev->message != NULL) {
    e->msg = fs_message_clone(ev->message);
    if (e->msg == NULL) {
      d->ctr.events_dropped++;
      return;
    }
    e->ev.message = e->msg;
  }
  d->q_count++;
}

void fsi_drive_emit(fs_driver *d, const fs_event *ev) {
  if (d->cfg.sink.ops != NULL) {
    if (d->cfg.sink.ops->on_event != NULL)
      d->cfg.sink.ops->on_event(d->cfg.sink.self, ev);
    return;
  }
  enqueue(d, ev);
}

int fs_driver_next_event(fs_driver *d, fs_event *ev) {
  if (d == NULL || ev == NULL)
    return 0;
  /* The event handed out last time is no longer borrowed. */
  release_entry(&d->q_cur);
  if (d->q_count == 0)
    return 0;
  d->q_cur = d->q[d->q_head];
  reaim(&d->q_cur);
  d->q_head = (d->q_head + 1) % d->q_cap;
  d->q_count--;
  *ev = d->q_cur.ev;
  return 1;
}

void fsi_drive_queue_free(fs_driver *d) {
  for (uint32_t i = 0; i < d->q_count; i++)
    release_entry(&d->q[(d->q_head + i) % d->q_cap]);
  release_entry(&d->q_cur);
  free(d->q);
  d->q = NULL;
  d->q_cap = d->q_count = d->q_head = 0;
}
