/* SPDX-License-Identifier: MIT */
/* IPv4/IPv6 fragment reassembly with bounded memory and a first-wins
 * overlap policy (docs/decoding.md). */
#ifndef FSI_DEFRAG_H
#define FSI_DEFRAG_H

#include "decode/decode.h"
#include "flowscope/extract.h"

typedef struct fsi_defrag fsi_defrag;

/* A completed datagram: a rebuilt IP header (fragment fields cleared,
 * lengths patched) directly followed by the reassembled payload. Valid
 * until the next call into the reassembler. */
typedef struct fsi_defrag_done {
  const uint8_t *l3;      /* rebuilt IP header */
  uint32_t l3_hdr_len;    /* its length */
  const uint8_t *payload; /* reassembled payload (right after the header) */
  uint32_t payload_len;
  const uint8_t *src; /* source address the fragments were keyed on */
  const uint8_t *dst; /* destination (after routing-header/HoA rules) */
  uint8_t proto;      /* upper-layer protocol of the payload */
} fsi_defrag_done;

/* Creates a reassembler (config already validated). NULL on allocation failure. */
fsi_defrag *fsi_defrag_create(const fs_defrag_config *cfg);

void fsi_defrag_destroy(fsi_defrag *df);

/* Feeds the fragment @p d (d->is_frag set). Returns FS_SKIP_FRAGMENT when
 * held, FS_SKIP_FRAGMENT_DROP when dropped (counted in @p c), or 0 when
 * this fragment completed its datagram (filled into @p done). */
uint32_t fsi_defrag_add(fsi_defrag *df, const fsi_decoded *d, fs_time_ns ts, fsi_defrag_done *done,
                        fs_extract_counters *c);

/* Drops datagrams whose first fragment is older than the timeout. */
void fsi_defrag_tick(fsi_defrag *df, fs_time_ns now, fs_extract_counters *c);

/* Datagrams and buffer bytes held now (for tests and statistics). */
void fsi_defrag_usage(const fsi_defrag *df, uint32_t *datagrams, uint64_t *bytes);

#endif /* FSI_DEFRAG_H */
