/* SPDX-License-Identifier: MIT */
/*
 * The flow index: open addressing with linear probing over 4-byte slots
 * (8-bit hash tag | 24-bit record index), sized for a load factor of at
 * most 0.5 at max_flows. Deletion shifts later entries back (no
 * tombstones), so lookups never degrade after churn.
 */
#include <string.h>

#include "track/track_internal.h"

uint32_t fsi_index_slots_for(uint32_t max_flows) {
  /* Load <= 0.5: short clusters keep inserts, misses and the backward
   * shift of a removal (which rehashes each entry it moves) cheap. */
  uint64_t n = 2u * (uint64_t)max_flows + 8u;
  return (uint32_t)n;
}

void fsi_index_insert(fs_tracker *t, uint64_t h, uint32_t idx) {
  uint32_t pos = fsi_home_of(t, h);
  while (t->slots[pos] != FSI_SLOT_EMPTY) {
    if (++pos == t->nslots)
      pos = 0;
  }
  t->slots[pos] = fsi_tag_of(h) | idx;
}

void fsi_index_remove(fs_tracker *t, uint64_t h, uint32_t idx) {
  uint32_t pos = fsi_home_of(t, h);
  const uint32_t want = fsi_tag_of(h) | idx;
  while (t->slots[pos] != want) {
    if (t->slots[pos] == FSI_SLOT_EMPTY)
      return; /* not present: nothing to do */
    if (++pos == t->nslots)
      pos = 0;
  }
  /* Backward shift: pull later members of the cluster into the hole when
   * their home slot is not between the hole and their position. */
  uint32_t hole = pos;
  uint32_t j = pos;
  for (;;) {
    if (++j == t->nslots)
      j = 0;
    uint32_t s = t->slots[j];
    if (s == FSI_SLOT_EMPTY)
      break;
    uint32_t home = fsi_home_of(t, fsi_key_hash(t, &t->recs[s & 0x00FFFFFFu].key));
    int stays = (hole <= j) ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!stays) {
      t->slots[hole] = s;
      hole = j;
    }
  }
  t->slots[hole] = FSI_SLOT_EMPTY;
}
