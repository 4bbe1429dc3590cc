/* SPDX-License-Identifier: MIT */
/**
 * @file extract.h
 * Built-in flow extractors (five-tuple, IP pair, MAC pair; IPv6 flow-label
 * augmentation), encapsulation handling and IP fragment reassembly.
 */
#ifndef FLOWSCOPE_EXTRACT_H
#define FLOWSCOPE_EXTRACT_H

#include "flowscope/core.h"

FS_BEGIN_DECLS

/** Which key a built-in extractor makes. */
typedef enum fs_extractor_kind {
  FS_EXTRACT_FIVE_TUPLE = 0,        /**< bidirectional five-tuple (default) */
  FS_EXTRACT_FIVE_TUPLE_UNIDIR = 1, /**< one flow per direction */
  FS_EXTRACT_IP_PAIR = 2,           /**< bidirectional IP pair */
  FS_EXTRACT_MAC_PAIR = 3           /**< bidirectional Ethernet MAC pair */
} fs_extractor_kind;

/** Encapsulation modes (fs_extract_config.encap_mode). */
typedef enum fs_encap_mode {
  FS_ENCAP_MODE_AUTO = 0,     /**< look inside every supported encapsulation (default) */
  FS_ENCAP_MODE_SELECTED = 1, /**< look inside only the FS_ENCAP_* bits in encap_layers */
  /** Never look inside tunnels; link-level layers (VLAN, MPLS, FabricPath,
   * VN-Tag) are still passed. */
  FS_ENCAP_MODE_OUTER = 2
} fs_encap_mode;

/** IP fragment reassembly limits. */
typedef struct fs_defrag_config {
  uint32_t struct_size;       /**< sizeof(fs_defrag_config) */
  uint32_t enabled;           /**< reassemble fragments (default 1) */
  uint32_t max_datagrams;     /**< datagrams in flight (default 4096) */
  uint32_t max_fragments;     /**< fragments per datagram (default 64) */
  uint64_t max_bytes;         /**< bytes in flight in total (default 16 MiB) */
  uint32_t max_datagram_size; /**< reassembled size limit (default 65535 + 40) */
  uint32_t min_fragment_size; /**< non-last fragments smaller are "tiny" and dropped (default 8) */
  fs_time_ns timeout;         /**< drop incomplete datagrams after this (default 60 s, RFC 8200) */
} fs_defrag_config;

/** Configuration of a built-in extractor. Start from fs_extract_config_default(). */
typedef struct fs_extract_config {
  uint32_t struct_size;    /**< sizeof(fs_extract_config) */
  uint32_t kind;           /**< fs_extractor_kind */
  uint32_t encap_mode;     /**< fs_encap_mode */
  uint32_t encap_layers;   /**< FS_ENCAP_* bits for FS_ENCAP_MODE_SELECTED */
  uint32_t key_vlan;       /**< put VLAN ids into the key (default 0) */
  uint32_t key_tunnel;     /**< put the tunnel id into the key (default 0) */
  uint32_t key_flow_label; /**< put the IPv6 flow label into the key (default 0) */
  uint32_t max_depth;      /**< most nested layers/extension headers (default 16) */
  fs_defrag_config defrag; /**< fragment reassembly */
} fs_extract_config;

/** Counters of a built-in extractor: packets skipped by fs_skip_reason, and fragment details. */
typedef struct fs_extract_counters {
  uint32_t struct_size;            /**< sizeof(fs_extract_counters) */
  uint32_t last_unknown_link_type; /**< last unsupported DLT seen */
  uint64_t packets;                /**< packets given to extract */
  uint64_t extracted;              /**< packets that produced a key (fragments: the datagram) */
  uint64_t skipped[32];            /**< indexed by fs_skip_reason */
  uint64_t frag_fragments;         /**< fragments received */
  uint64_t frag_reassembled;       /**< datagrams completed */
  uint64_t frag_timeouts;          /**< datagrams expired incomplete */
  uint64_t frag_overlaps;          /**< overlapping fragments rejected */
  uint64_t frag_tiny;              /**< tiny fragments rejected */
  uint64_t frag_oversize;          /**< datagrams over max_datagram_size */
  uint64_t frag_limit;             /**< dropped for datagram/byte limits */
  uint64_t frag_fragments_dropped; /**< fragments discarded for any of the above reasons */
  uint64_t frag_truncated;         /**< fragments cut by the snapshot length (cannot be rebuilt) */
  uint64_t frag_malformed;         /**< non-last fragments whose length is not a multiple of 8 */
} fs_extract_counters;

/** Fills @p cfg with defaults. */
FS_API void fs_extract_config_default(fs_extract_config *cfg);

/** Creates a built-in extractor. Returns 0 or FS_E_* with a reason in @p errbuf. */
FS_API int fs_extractor_create(fs_extractor *out, const fs_extract_config *cfg, char *errbuf);

/** Destroys an extractor made by any factory (calls its ops->destroy). */
FS_API void fs_extractor_destroy(fs_extractor *ex);

/** Counters of a built-in extractor; FS_E_INVAL for a custom one. */
FS_API int fs_extractor_counters(const fs_extractor *ex, fs_extract_counters *out);

/** Static name of a skip reason ("truncated", "malformed", ...). */
FS_API const char *fs_skip_reason_name(uint32_t reason);

FS_END_DECLS

#endif /* FLOWSCOPE_EXTRACT_H */
