/* SPDX-License-Identifier: MIT */
/*
 * Internal: whether an extraction may be kept while the next packets are
 * extracted (batches run extraction ahead of tracking). Results of
 * reassembled fragments point into the extractor's own buffer, which the
 * next extraction reuses; all others point into their packet.
 */
#ifndef FSI_EXTRACT_AHEAD_H
#define FSI_EXTRACT_AHEAD_H

#include <stdint.h>

#include "flowscope/extract.h"
#include "flowscope/traits.h"

/* 1 when every pointer of @p ex is NULL or points into @p pkt's bytes. */
static inline int fsi_extract_inside_packet(const fs_packet_view *pkt,
                                            const fs_extract_result *ex) {
  uintptr_t lo = (uintptr_t)pkt->data, hi = lo + pkt->caplen;
  uintptr_t l3 = (uintptr_t)ex->l3, pl = (uintptr_t)ex->payload;
  return (ex->l3 == NULL || (l3 >= lo && l3 <= hi)) &&
         (ex->payload == NULL || (pl >= lo && pl <= hi));
}

/* 1 when @p ex is the built-in extractor, which writes every member of a
 * result it returns 0 for: its caller need not clear the result first. */
int fsi_extractor_fills_all(const fs_extractor *ex);

#endif /* FSI_EXTRACT_AHEAD_H */
