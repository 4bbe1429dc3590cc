/* SPDX-License-Identifier: MIT */
/*
 * Live snapshots with reassembly diagnostics: the tracker's stats of a flow
 * plus the reasm_* fields of the driver's per-flow state, as end events
 * carry them.
 */
#include <stdlib.h>
#include <string.h>

#include "drive/drive_internal.h"

static const fsi_dflow *find_linear(const fs_driver *d, const fs_flow_key *key) {
  for (const fsi_dflow *fl = d->live.next; fl != &d->live; fl = fl->next)
    if (fs_flow_key_equal(&fl->key, key))
      return fl;
  return NULL;
}

int fs_driver_lookup(const fs_driver *d, const fs_flow_key *key, fs_flow_stats *out) {
  if (d == NULL || key == NULL || out == NULL)
    return FS_E_INVAL;
  int rc = fs_tracker_lookup(d->tr, key, out);
  if (rc != 0)
    return rc;
  const fsi_dflow *fl = find_linear(d, key);
  if (fl != NULL)
    fsi_dflow_patch_stats(fl, out);
  return 0;
}

/* A temporary open-addressing index of the live flow states, built per snapshot. */
typedef struct snap {
  const fsi_dflow **slots;
  size_t mask;
  fs_flow_visit_fn fn;
  void *ctx;
} snap;

static size_t key_hash(const fs_flow_key *k) {
  /* FNV-1a over the key bytes: a snapshot is rare, speed here is secondary. */
  const uint8_t *p = (const uint8_t *)k;
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < sizeof *k; i++)
    h = (h ^ p[i]) * 0x100000001b3ull;
  return (size_t)(h ^ (h >> 29));
}

static const fsi_dflow *snap_find(const snap *s, const fs_flow_key *key) {
  if (s->slots == NULL)
    return NULL;
  for (size_t i = key_hash(key) & s->mask;; i = (i + 1) & s->mask) {
    if (s->slots[i] == NULL)
      return NULL;
    if (fs_flow_key_equal(&s->slots[i]->key, key))
      return s->slots[i];
  }
}

static int visit(void *ctx, const fs_flow_key *key, const fs_flow_stats *stats) {
  const snap *s = ctx;
  const fsi_dflow *fl = snap_find(s, key);
  if (fl == NULL)
    return s->fn(s->ctx, key, stats);
  fs_flow_stats copy;
  memset(&copy, 0, sizeof copy);
  size_t n = stats->struct_size < sizeof copy ? stats->struct_size : sizeof copy;
  memcpy(&copy, stats, n);
  fsi_dflow_patch_stats(fl, &copy);
  return s->fn(s->ctx, key, &copy);
}

int fs_driver_foreach(const fs_driver *d, fs_flow_visit_fn fn, void *ctx) {
  if (d == NULL || fn == NULL)
    return FS_E_INVAL;
  snap s = {NULL, 0, fn, ctx};
  if (d->live_flows > 0) {
    size_t cap = 16;
    while (cap < 2 * d->live_flows)
      cap *= 2;
    s.slots = calloc(cap, sizeof *s.slots);
    if (s.slots == NULL)
      return FS_E_NOMEM;
    s.mask = cap - 1;
    for (const fsi_dflow *fl = d->live.next; fl != &d->live; fl = fl->next) {
      size_t i = key_hash(&fl->key) & s.mask;
      while (s.slots[i] != NULL)
        i = (i + 1) & s.mask;
      s.slots[i] = fl;
    }
  }
  int rc = fs_tracker_foreach(d->tr, visit, &s);
  free(s.slots);
  return rc;
}
