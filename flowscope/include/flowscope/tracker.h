/* SPDX-License-Identifier: MIT */
/**
 * @file tracker.h
 * The bidirectional flow tracker: a bounded, preallocated flow table with a
 * TCP state machine, Zeek connection history and conn_state, per-protocol
 * idle timeouts on a timer wheel, LRU eviction, and snapshots.
 */
#ifndef FLOWSCOPE_TRACKER_H
#define FLOWSCOPE_TRACKER_H

#include "flowscope/core.h"

FS_BEGIN_DECLS

/** A flow tracker (opaque). One instance per thread. */
typedef struct fs_tracker fs_tracker;

/** Idle timeouts for one protocol class, per state class (Suricata's model). */
typedef struct fs_timeout_class {
  fs_time_ns new_;        /**< before the flow is established (TCP) / seen both ways (others) */
  fs_time_ns established; /**< established (TCP) / seen both ways (others) */
  fs_time_ns closed;      /**< after FIN/RST (TCP); unused for others */
} fs_timeout_class;

/** Protocol classes with their own timeouts. */
typedef enum fs_timeout_proto {
  FS_TIMEOUT_TCP = 0,        /**< TCP */
  FS_TIMEOUT_UDP = 1,        /**< UDP */
  FS_TIMEOUT_ICMP = 2,       /**< ICMP and ICMPv6 */
  FS_TIMEOUT_OTHER = 3,      /**< everything else (SCTP, GRE, non-IP keys, ...) */
  FS_TIMEOUT_PROTO_COUNT = 4 /**< number of classes */
} fs_timeout_proto;

/**
 * Per-key idle-timeout override: return the timeout to use for this flow in
 * @p state, or @p dflt to keep the default. Called when a flow is created
 * and when its state class changes; must be cheap and thread-safe.
 */
typedef fs_time_ns (*fs_idle_timeout_fn)(void *ctx, const fs_flow_key *key, uint32_t state,
                                         fs_time_ns dflt);

/** Tracker configuration. Start from fs_tracker_config_default(). */
typedef struct fs_tracker_config {
  uint32_t struct_size; /**< sizeof(fs_tracker_config) */
  uint32_t max_flows;   /**< table bound; LRU eviction beyond it (default 262144) */
  fs_timeout_class timeouts[FS_TIMEOUT_PROTO_COUNT]; /**< idle timeouts (Suricata defaults) */
  fs_idle_timeout_fn idle_timeout_fn;                /**< optional per-key override */
  void *idle_timeout_ctx;                            /**< passed to idle_timeout_fn */
  fs_time_ns tick;                                   /**< sweep interval (default 1 s) */
  uint32_t emit_packet_events; /**< emit FS_EV_PACKET per packet (default 0) */
  uint32_t monotonic;          /**< clamp time to the running maximum (default 0) */
  uint64_t hash_seed; /**< seed of the table hash (default: fixed per build; set random for live) */
  fs_event_sink sink; /**< where events go (ops may be NULL: no events) */
  const fs_metrics_ops *metrics; /**< optional metrics/tracing hooks */
  void *metrics_self;            /**< instance for metrics */
  /**
   * Fill fs_track_result.stats on every packet (default 1). Costs a
   * fs_flow_stats build per packet; set 0 on hot paths that only need
   * side/state/user, and call fs_tracker_lookup() when stats are needed.
   */
  uint32_t result_stats;
  uint32_t reserved0; /**< zero */
  /**
   * Zeek's connection-attempt rule (its tcp_attempt_delay, 5 s): a TCP flow
   * still in SYN_SENT this long after its first SYN ends (idle_timeout,
   * state aborted) even if the originator keeps sending; later packets
   * start a new, partial flow. 0 = off (default): only idle timeouts apply.
   */
  fs_time_ns syn_attempt_timeout;
  /**
   * Verify TCP/UDP checksums (default 0: captures taken on the sending host
   * carry unfilled offloaded checksums). When on, a packet with a bad
   * checksum is recorded as history 'C'/'c' (1st, 10th, ...) and counted in
   * checksum_bad, and goes no further, as in Zeek without -C.
   */
  uint32_t verify_checksums;
  uint32_t reserved1; /**< zero */
  /**
   * Zeek's close timing (its tcp_close_delay, 5 s). When a TCP close is
   * complete as Zeek decides it — an endpoint sent a RST, or sent a FIN
   * while its peer had already closed or had never sent anything — the
   * flow ends this long after that packet however much traffic follows
   * (to the millisecond); later packets of the five-tuple start a new flow.
   * 0 = off (default): a closed or reset flow lingers timeouts[].closed
   * after its last packet, and a half-closed one keeps the established
   * timeout. Since 1.1.
   */
  fs_time_ns tcp_close_delay;
} fs_tracker_config;

/** What the tracker did with one packet. */
typedef struct fs_track_result {
  uint32_t struct_size;       /**< set by the caller */
  uint32_t side;              /**< fs_side of the packet */
  uint32_t is_new;            /**< 1 when this packet created the flow */
  uint32_t state;             /**< fs_flow_state after the packet */
  void **user;                /**< per-flow host slot (NULL at start), valid until the flow ends */
  const fs_flow_stats *stats; /**< live stats, valid until the next tracker call */
  const fs_flow_key *key;     /**< the flow's key, valid until the next tracker call */
  uint64_t flow_id;           /**< the flow's id */
  uint32_t ended;             /**< 1 when this packet ended the flow (FIN/RST close) */
  uint32_t reserved0;         /**< zero */
} fs_track_result;

/** Tracker counters. */
typedef struct fs_tracker_counters {
  uint32_t struct_size;         /**< sizeof(fs_tracker_counters) */
  uint32_t reserved0;           /**< zero */
  uint64_t packets;             /**< packets tracked */
  uint64_t flows_created;       /**< flows started */
  uint64_t flows_ended;         /**< flows ended, any reason */
  uint64_t ended_by_reason[16]; /**< indexed by fs_end_reason */
  uint64_t flows_active;        /**< live flows now */
  uint64_t flows_evicted;       /**< evicted at the bound */
  uint64_t time_backwards;      /**< packets whose time went backwards */
  uint64_t memory_bytes;        /**< bytes allocated by the tracker */
  uint64_t pressure_anomalies;  /**< eviction-pressure anomalies emitted (one per tick at most) */
  uint64_t history_truncated;   /**< ended flows whose history outgrew the 16 letters kept */
  uint64_t checksum_bad; /**< packets dropped for a bad TCP/UDP checksum (verify_checksums) */
} fs_tracker_counters;

/** Fills @p cfg with defaults (timeouts as in docs/tracking.md). */
FS_API void fs_tracker_config_default(fs_tracker_config *cfg);

/** Creates a tracker; preallocates max_flows records. */
FS_API int fs_tracker_create(fs_tracker **out, const fs_tracker_config *cfg, char *errbuf);

/** Destroys a tracker without emitting events (call fs_tracker_flush first). */
FS_API void fs_tracker_destroy(fs_tracker *t);

/**
 * Accounts one extracted packet. Emits events to the configured sink.
 * @p res may be NULL. Returns 0 or a negative FS_E_*.
 */
FS_API int fs_tracker_track(fs_tracker *t, const fs_packet_view *pkt, const fs_extract_result *ex,
                            fs_track_result *res);

/**
 * Accounts @p n packets in order, exactly as @p n calls of
 * fs_tracker_track(t, &pkts[i], &exs[i], NULL) would (same events, same
 * counters), but faster when the packets belong to many flows: each key is
 * hashed once, and table slots and flow records are fetched from memory a
 * few packets ahead instead of one at a time. For hosts that need no
 * per-packet fs_track_result (a flow log, not a session driver).
 * Returns 0 or the first negative FS_E_* (packets after it are not tracked).
 */
FS_API int fs_tracker_track_batch(fs_tracker *t, const fs_packet_view *pkts,
                                  const fs_extract_result *exs, size_t n);

/** Advances time to @p now: ends idle flows, emits tick anomalies. */
FS_API int fs_tracker_advance(fs_tracker *t, fs_time_ns now);

/**
 * Ends every live flow (end of input), oldest activity first, with
 * FS_END_FLUSH; TCP flows already closed by FIN or RST (lingering for the
 * closed timeout) end with FS_END_FIN / FS_END_RST instead.
 */
FS_API int fs_tracker_flush(fs_tracker *t);

/** Ends one flow with @p reason (e.g. parse_error from a driver). FS_E_NOTFOUND if absent. */
FS_API int fs_tracker_end(fs_tracker *t, const fs_flow_key *key, uint32_t reason, fs_time_ns ts);

/** Removes a flow, emitting its end with FS_END_FORGOTTEN. */
FS_API int fs_tracker_forget(fs_tracker *t, const fs_flow_key *key);

/** Records the detected service of a flow (copied, truncated to 15 bytes). */
FS_API int fs_tracker_set_service(fs_tracker *t, const fs_flow_key *key, const char *service);

/** Copies the live stats of one flow. FS_E_NOTFOUND if absent. */
FS_API int fs_tracker_lookup(const fs_tracker *t, const fs_flow_key *key, fs_flow_stats *out);

/** Visitor for fs_tracker_foreach: return non-zero to stop. */
typedef int (*fs_flow_visit_fn)(void *ctx, const fs_flow_key *key, const fs_flow_stats *stats);

/** Visits every live flow (a snapshot; do not call the tracker from the visitor). */
FS_API int fs_tracker_foreach(const fs_tracker *t, fs_flow_visit_fn fn, void *ctx);

/**
 * Fills counters. Writes out->struct_size bytes (a caller built against an
 * older, shorter struct gets only those), or the whole struct when
 * struct_size is 0; struct_size is then set to what was written.
 */
FS_API void fs_tracker_counters_get(const fs_tracker *t, fs_tracker_counters *out);

/** Bytes of memory per flow slot (record + table overhead). */
FS_API size_t fs_tracker_bytes_per_flow(void);

/**
 * A loopback/duplicate suppressor: a packet whose content hash and length
 * were seen within the window is a duplicate.
 */
typedef struct fs_dedup fs_dedup;

/** Creates a dedup filter remembering up to @p capacity packets for @p window. */
FS_API int fs_dedup_create(fs_dedup **out, uint32_t capacity, fs_time_ns window, uint64_t seed);

/** Returns 1 when @p pkt duplicates a recent packet, 0 otherwise (and remembers it). */
FS_API int fs_dedup_check(fs_dedup *d, const fs_packet_view *pkt);

/** Duplicates suppressed so far. */
FS_API uint64_t fs_dedup_dropped(const fs_dedup *d);

/** Destroys a dedup filter; NULL is fine. */
FS_API void fs_dedup_destroy(fs_dedup *d);

FS_END_DECLS

#endif /* FLOWSCOPE_TRACKER_H */
