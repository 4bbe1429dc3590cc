/* SPDX-License-Identifier: MIT */
/*
 * Internal: what a batching host inside the library (the driver) needs to
 * fetch tracker memory ahead of the packet it handles: the key hash, the
 * two prefetch stages, a peek at a flow's user slot, and tracking with a
 * hash computed earlier. None of them changes results.
 */
#ifndef FSI_TRACK_AHEAD_H
#define FSI_TRACK_AHEAD_H

#include "flowscope/tracker.h"

/* The table hash of @p key. */
uint64_t fsi_tracker_hash(const fs_tracker *t, const fs_flow_key *key);

/* Starts loading the index slot of hash @p h. */
void fsi_tracker_prefetch_slot(const fs_tracker *t, uint64_t h);

/* Reads the slots of @p h (loaded earlier) and starts loading the likely
 * record; returns its index as a hint for the calls below (a guess they
 * check), or FSI_TRACK_NO_HINT. Callers must keep the result: when it was
 * discarded, GCC 12 compiled this function to a bare return. */
uint32_t fsi_tracker_prefetch_record(const fs_tracker *t, uint64_t h);

/* "No likely record" for the @p hint arguments below. */
#define FSI_TRACK_NO_HINT 0xFFFFFFFFu

/* The user slot of the live flow @p key with hash @p h, or NULL; @p hint
 * from fsi_tracker_prefetch_record saves the index walk when right. */
void *fsi_tracker_peek_user(const fs_tracker *t, const fs_flow_key *key, uint64_t h, uint32_t hint);

/* fs_tracker_track with @p h = fsi_tracker_hash(t, &ex->key) and the @p hint
 * of fsi_tracker_prefetch_record (or FSI_TRACK_NO_HINT). */
int fsi_tracker_track_hashed(fs_tracker *t, const fs_packet_view *pkt, const fs_extract_result *ex,
                             fs_track_result *res, uint64_t h, uint32_t hint);

#endif /* FSI_TRACK_AHEAD_H */
