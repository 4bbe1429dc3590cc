/* SPDX-License-Identifier: MIT */
/* Symmetric packet-to-worker hashing for the workers' dispatcher. */
#ifndef FSI_WORKERS_SHARD_H
#define FSI_WORKERS_SHARD_H

#include "decode/decode.h"
#include "flowscope/workers.h"

/* Fragmented tunnel datagrams: the first fragment holds the tunnel and
 * inner headers, later fragments only data. The first fragment's inner hash
 * is remembered under (outer addresses, id, protocol) so later fragments
 * follow it. Direct-mapped; a collision or an expired entry falls back to
 * the outer IP pair. */
#define FSI_FRAG_MAP_SIZE 4096
typedef struct fsi_frag_entry {
  uint8_t used, version, proto, reserved0;
  uint32_t id;
  uint8_t src[16], dst[16];
  uint64_t hash;
  fs_time_ns ts;
} fsi_frag_entry;

/* What the dispatcher needs to shard: the mode and the decoder options
 * matching the workers' extractor (so it looks at the same inner headers). */
typedef struct fsi_shard {
  uint32_t mode; /* fs_shard_mode */
  fsi_decode_opts opts;
  fs_shard_fn fn;
  void *ctx;
  fsi_frag_entry *frag_map; /* FSI_FRAG_MAP_SIZE entries */
} fsi_shard;

/* Fills @p s from a workers configuration. Returns 0 or FS_E_NOMEM. */
int fsi_shard_init(fsi_shard *s, const fs_workers_config *cfg);

/* Frees what fsi_shard_init allocated. */
void fsi_shard_free(fsi_shard *s);

/* 64-bit hash of @p pkt: equal for both directions of a flow and for every
 * fragment of a datagram (see workers.h for the modes). Remembers the
 * inner hash of first fragments of tunnelled datagrams. */
uint64_t fsi_shard_hash(fsi_shard *s, const fs_packet_view *pkt);

/* Maps a hash onto [0, n) without a division. */
static inline uint32_t fsi_shard_index(uint64_t hash, uint32_t n) {
  return (uint32_t)(((hash >> 32) * (uint64_t)n) >> 32);
}

#endif /* FSI_WORKERS_SHARD_H */
