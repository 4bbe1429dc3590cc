/* SPDX-License-Identifier: MIT */
/**
 * @file records.h
 * Zeek-style records: connection records (_path "conn") from flow-ended
 * events and application records (_path = the message's protocol) from
 * message events. The schema is docs/output.md.
 */
#ifndef FLOWSCOPE_CLI_RECORDS_H
#define FLOWSCOPE_CLI_RECORDS_H

#include <flowscope/flowscope.h>

#include "community_id.h"
#include "json.h"
#include "uid.h"

/** Outer layers a flow's first packet came through (VLANs, tunnel). */
typedef struct fsi_encap {
  uint32_t n_vlans;             /**< VLAN ids in vlans[] */
  uint16_t vlans[FS_MAX_VLANS]; /**< outermost first */
  uint32_t encap;               /**< FS_ENCAP_* bits */
  uint32_t tunnel_id;           /**< VNI / TEID / GRE key, 0 if none */
  uint32_t tunnel_ip_version;   /**< 4 or 6 when a tunnel was passed */
  uint8_t tunnel_src[16];       /**< outer source address */
  uint8_t tunnel_dst[16];       /**< outer destination address */
} fsi_encap;

/** One flow's identity as the records print it (originator first). */
typedef struct fsi_flowinfo {
  const fs_flow_key *key;     /**< the flow key (borrowed) */
  const fs_flow_stats *stats; /**< stats (borrowed), may be NULL for messages */
  const fsi_encap *encap;     /**< outer layers, or NULL */
  int family;                 /**< 4, 6, or 0 when the key has no IP addresses */
  int is_mac;                 /**< 1 for MAC-pair keys (addresses are MACs) */
  int has_ports;              /**< 1 when orig_p/resp_p mean something */
  uint8_t proto;              /**< IP protocol number */
  uint8_t orig_h[16];         /**< originator address (network order) */
  uint8_t resp_h[16];         /**< responder address */
  uint16_t orig_p;            /**< originator port (ICMP: type) */
  uint16_t resp_p;            /**< responder port (ICMP: counterpart type or code, as Zeek) */
  char uid[FSI_UID_SIZE];     /**< connection uid */
  uint64_t hash;              /**< 64 bits of the uid hash (EVE flow_id) */
} fsi_flowinfo;

/**
 * Fills @p fi from a key, the event's orientation (which key endpoint is
 * the initiator), stats and the flow's first timestamp.
 */
void fsi_flowinfo_init(fsi_flowinfo *fi, const fs_flow_key *key, uint32_t orientation,
                       const fs_flow_stats *stats, fs_time_ns first_seen, uint64_t uid_seed);

/** Community ID of a flow into @p out; returns 0, or -1 when the key has no IPs. */
int fsi_flowinfo_community_id(const fsi_flowinfo *fi, uint16_t seed, char *out);

/** Writes an address of @p fi's family ("127.0.0.1", "::1", MAC) as a JSON string. */
void fsi_jw_addr(fsi_jw *w, const fsi_flowinfo *fi, const uint8_t *addr);

/** Writes the four id.* fields (Zeek's conn_id) into the current object. */
void fsi_rec_conn_id(fsi_jw *w, const fsi_flowinfo *fi);

/** Builds a complete conn record (one JSON object, no newline) for an ended flow. */
void fsi_rec_conn(fsi_jw *w, const fsi_flowinfo *fi, uint16_t cid_seed);

/** Builds a complete application record for @p msg (ts, uid, id.*, its fields). */
void fsi_rec_app(fsi_jw *w, const fsi_flowinfo *fi, const fs_message *msg, fs_time_ns ts);

/** Writes one message field's value (per its kind) as a JSON value; returns 0 if skipped. */
int fsi_jw_field_value(fsi_jw *w, const fs_field *f);

#endif /* FLOWSCOPE_CLI_RECORDS_H */
