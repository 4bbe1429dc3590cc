/* SPDX-License-Identifier: MIT */
/**
 * @file encap_map.h
 * Remembers the outer layers (VLAN ids, tunnel) of flows whose first packet
 * had any, from flow-started to flow-ended, so conn records can show `vlan`
 * and `tunnel` without putting them into the flow key. The first packet is
 * decoded once more by a private extractor (once per flow, not per packet);
 * flows without outer layers cost one lookup-free extraction and no memory.
 */
#ifndef FLOWSCOPE_CLI_ENCAP_MAP_H
#define FLOWSCOPE_CLI_ENCAP_MAP_H

#include "records.h"

/** One remembered flow. */
typedef struct fsi_encap_entry {
  fs_flow_key key; /**< the flow (kind 0 = empty slot) */
  fsi_encap encap; /**< its outer layers */
} fsi_encap_entry;

/** The map: open addressing, linear probing, grows to a bound. */
typedef struct fsi_encap_map {
  fs_extractor ex;        /**< private extractor (no fragment reassembly) */
  int have_ex;            /**< ex was created */
  fsi_encap_entry *slots; /**< table, NULL until the first entry */
  uint32_t cap;           /**< slots (power of two) */
  uint32_t count;         /**< used slots */
  uint32_t bound;         /**< most entries (the tracker's max_flows) */
  uint64_t dropped;       /**< flows not remembered because the map was full */
} fsi_encap_map;

/** Initialises; @p bound is the most flows remembered at once. Returns 0 or -1. */
int fsi_encap_map_init(fsi_encap_map *m, uint32_t bound);

/** Decodes @p first_packet and remembers its outer layers under @p key, if any. */
void fsi_encap_map_note(fsi_encap_map *m, const fs_flow_key *key,
                        const fs_packet_view *first_packet);

/** Moves the entry for @p key into @p out and forgets it; returns 1 if there was one. */
int fsi_encap_map_take(fsi_encap_map *m, const fs_flow_key *key, fsi_encap *out);

/** Frees everything. */
void fsi_encap_map_free(fsi_encap_map *m);

#endif /* FLOWSCOPE_CLI_ENCAP_MAP_H */
