/* SPDX-License-Identifier: MIT */
/**
 * @file flow_notes.h
 * What the CLI remembers per live flow between its flow-started and
 * flow-ended events: the outer layers (VLAN ids, tunnel) of its first
 * packet, so conn records show `vlan` and `tunnel` without putting them into
 * the flow key. The first packet is decoded once more by a private
 * extractor when the engine has no extraction at hand (once per flow, not
 * per packet). Only flows with outer layers take memory.
 */
#ifndef FLOWSCOPE_CLI_FLOW_NOTES_H
#define FLOWSCOPE_CLI_FLOW_NOTES_H

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

/**
 * A flow started: remembers the outer layers of its first packet under
 * @p key. @p ex is that packet's extraction when the
 * caller has it; otherwise @p first_packet (may be NULL) is decoded here.
 */
void fsi_encap_map_note(fsi_encap_map *m, const fs_flow_key *key, const fs_extract_result *ex,
                        const fs_packet_view *first_packet);

/** Moves the entry for @p key into @p out and forgets it; returns 1 if there was one. */
int fsi_encap_map_take(fsi_encap_map *m, const fs_flow_key *key, fsi_encap *out);

/** Frees everything. */
void fsi_encap_map_free(fsi_encap_map *m);

#endif /* FLOWSCOPE_CLI_FLOW_NOTES_H */
