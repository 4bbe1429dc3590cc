/* SPDX-License-Identifier: MIT */
/*
 * Loopback / duplicate suppression: a packet whose content hash (XXH3 over
 * the captured bytes) and wire length match a packet seen within the
 * window is a duplicate. The memory is a 2-way set-associative cache of
 * `capacity` entries: bounded, no allocation per packet, and an entry is
 * only lost to a collision of its set, which within a short window (the
 * copy of a frame seen on two interfaces arrives microseconds later) is
 * rare. Counted: duplicates dropped.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <stdlib.h>
#include <string.h>

#include "flowscope/tracker.h"

typedef struct dedup_entry {
  uint64_t hash;
  fs_time_ns ts;
  uint32_t len;
  uint32_t used;
} dedup_entry;

struct fs_dedup {
  dedup_entry *e;
  uint32_t nsets; /* 2 entries per set */
  fs_time_ns window;
  uint64_t seed;
  uint64_t dropped;
  uint64_t seen;
};

int fs_dedup_create(fs_dedup **out, uint32_t capacity, fs_time_ns window, uint64_t seed) {
  if (!out)
    return FS_E_INVAL;
  *out = NULL;
  if (capacity < 2 || capacity > (1u << 26))
    return FS_E_INVAL;
  fs_dedup *d = calloc(1, sizeof(*d));
  if (!d)
    return FS_E_NOMEM;
  d->nsets = capacity / 2u;
  d->e = calloc((size_t)d->nsets * 2u, sizeof(dedup_entry));
  if (!d->e) {
    free(d);
    return FS_E_NOMEM;
  }
  d->window = window;
  d->seed = seed;
  *out = d;
  return FS_OK;
}

int fs_dedup_check(fs_dedup *d, const fs_packet_view *pkt) {
  if (!d || !pkt || (!pkt->data && pkt->caplen))
    return 0;
  d->seen++;
  uint64_t h = XXH3_64bits_withSeed(pkt->data, pkt->caplen, d->seed);
  uint32_t set = (uint32_t)(((h >> 32) * (uint64_t)d->nsets) >> 32);
  dedup_entry *e = &d->e[(size_t)set * 2u];
  for (int i = 0; i < 2; i++) {
    if (e[i].used && e[i].hash == h && e[i].len == pkt->wirelen) {
      fs_time_ns dt = pkt->ts >= e[i].ts ? pkt->ts - e[i].ts : e[i].ts - pkt->ts;
      if (dt <= d->window) {
        d->dropped++;
        return 1;
      }
      e[i].ts = pkt->ts; /* same content again, but outside the window: a new original */
      return 0;
    }
  }
  /* Replace the older entry of the set. */
  int victim = !e[0].used ? 0 : (!e[1].used ? 1 : (e[0].ts <= e[1].ts ? 0 : 1));
  e[victim].hash = h;
  e[victim].len = pkt->wirelen;
  e[victim].ts = pkt->ts;
  e[victim].used = 1;
  return 0;
}

uint64_t fs_dedup_dropped(const fs_dedup *d) { return d ? d->dropped : 0; }

void fs_dedup_destroy(fs_dedup *d) {
  if (!d)
    return;
  free(d->e);
  free(d);
}
