/* SPDX-License-Identifier: MIT */
/**
 * @file driver.h
 * Drivers tie extractor, tracker, reassembly, protocol detection and
 * parsers together. One engine, three modes (the original crate's
 * FlowDriver, FlowSessionDriver and FlowDatagramDriver). Steps are
 * separate calls: feed a packet, advance time, finish.
 * Push style: events go to config.sink. Pull style: leave config.sink.ops
 * NULL and drain with fs_driver_next_event().
 */
#ifndef FLOWSCOPE_DRIVER_H
#define FLOWSCOPE_DRIVER_H

#include "flowscope/extract.h"
#include "flowscope/reasm.h"
#include "flowscope/registry.h"
#include "flowscope/tracker.h"

FS_BEGIN_DECLS

/** A driver (opaque). One per thread. */
typedef struct fs_driver fs_driver;

/** What a driver does beyond tracking. */
typedef enum fs_driver_mode {
  FS_DRIVE_FLOWS = 0,    /**< tracker + reassembly diagnostics, no parsers */
  FS_DRIVE_SESSIONS = 1, /**< + TCP session parsers and UDP datagram parsers from plugins */
  FS_DRIVE_DATAGRAMS = 2 /**< + UDP datagram parsers only */
} fs_driver_mode;

/** Force a protocol for a port (both directions). */
typedef struct fs_port_override {
  uint16_t port;        /**< server port */
  uint16_t transport;   /**< FS_TRANSPORT_TCP or FS_TRANSPORT_UDP */
  uint32_t reserved0;   /**< zero */
  const char *protocol; /**< protocol name in the registry */
} fs_port_override;

/** Bit for fs_driver_config.anomalies: 1u << fs_anomaly_kind. */
#define FS_ANOMALY_BIT(kind) (1u << (kind))

/** Driver configuration. Start from fs_driver_config_default(). */
typedef struct fs_driver_config {
  uint32_t struct_size;              /**< sizeof(fs_driver_config) */
  uint32_t mode;                     /**< fs_driver_mode */
  fs_extract_config extract;         /**< built-in extractor settings */
  const fs_extractor *extractor;     /**< optional custom extractor (borrowed) instead */
  fs_tracker_config tracker;         /**< tracker settings (its sink is set by the driver) */
  fs_reasm_config reasm;             /**< reassembly limits per stream */
  uint64_t max_reasm_total;          /**< bytes held by all streams together (default 256 MiB) */
  uint32_t anomalies;                /**< FS_ANOMALY_BIT()s to emit (default 0: none) */
  uint32_t dedup;                    /**< suppress duplicates (default 0) */
  fs_time_ns dedup_window;           /**< dedup window (default 1 ms) */
  const fs_registry *registry;       /**< plugins for SESSIONS/DATAGRAMS (borrowed) */
  const char *const *protocols;      /**< NULL-terminated names to enable; NULL = all loaded */
  const fs_port_override *overrides; /**< forced protocols per port */
  uint32_t n_overrides;              /**< entries in overrides */
  uint32_t reserved0;                /**< zero */
  const char *parser_options;        /**< passed to parsers as fs_parser_env.options */
  uint32_t split_feed; /**< testing: hand parsers stream data in pieces of 1..split_feed bytes (0 =
                          whole) */
  uint32_t split_seed; /**< seed of the piece sizes when split_feed is set */
  fs_event_sink sink;  /**< event callback (push); ops NULL = pull mode */
  /**
   * Protocols compiled into the host (borrowed), tried after the registry's,
   * in this order: parsers not shipped as plugins, and tests.
   */
  const fs_protocol_desc *const *extra_protocols;
  uint32_t n_extra_protocols; /**< entries in extra_protocols */
  /**
   * Pull mode: most events queued between fs_driver_next_event() calls; more
   * are dropped and counted in events_dropped. 0 = 2 * tracker.max_flows +
   * 4096, enough for fs_driver_finish to queue every end event. The queue
   * grows on demand up to this bound.
   */
  uint32_t queue_max;
} fs_driver_config;

/** Driver counters: every packet read is in a flow or skipped by a reason. */
typedef struct fs_driver_counters {
  uint32_t struct_size;         /**< sizeof(fs_driver_counters) */
  uint32_t reserved0;           /**< zero */
  uint64_t packets;             /**< packets fed */
  uint64_t bytes;               /**< captured bytes fed */
  uint64_t packets_in_flows;    /**< packets accounted to a flow (packets = this + sum(skipped)) */
  uint64_t skipped[32];         /**< packets skipped, by fs_skip_reason */
  uint64_t messages;            /**< application messages emitted */
  uint64_t parse_errors;        /**< parsers poisoned */
  uint64_t reasm_dropped_bytes; /**< bytes dropped by reassembly limits */
  uint64_t detect_unclaimed;    /**< flows no parser claimed */
  uint64_t events_dropped;      /**< pull mode: events dropped because the queue was full */
  /** Parsers that returned FS_PARSE_HANDOFF and were replaced by detection. */
  uint64_t handoffs;
  /** FS_PARSE_HANDOFF past the per-flow bound (4): taken as FS_PARSE_DONE. */
  uint64_t handoffs_refused;
  /** Flows whose per-flow state was released while the tracker still
   *  holds them: UDP flows bypassed or whose parser said it was idle, and
   *  TCP flows bypassed with no parser left and nothing to report at their
   *  end. See docs/drivers.md, "Memory per flow". */
  uint64_t flows_retired;
  /** Retired flows that sent again and got a fresh parser. */
  uint64_t flows_revived;
  /** Parsers finished and freed before their flow ended, because their
   *  idle op said finish would emit nothing: once they returned
   *  FS_PARSE_DONE, or once both sides of their connection ended. */
  uint64_t parsers_released;
} fs_driver_counters;

/** Fills @p cfg with defaults (all nested configs included). */
FS_API void fs_driver_config_default(fs_driver_config *cfg);

/** Creates a driver. Errors name the cause in @p errbuf. */
FS_API int fs_driver_create(fs_driver **out, const fs_driver_config *cfg, char *errbuf);

/** Feeds one packet. Returns 0 or a negative FS_E_*. Skips are counted, not errors. */
FS_API int fs_driver_feed(fs_driver *d, const fs_packet_view *pkt);

/**
 * Feeds @p n packets in order, exactly as @p n calls of fs_driver_feed
 * would (same events, same counters), but faster with many concurrent
 * flows: packets are extracted and hashed a few ahead, and the table record
 * and per-flow state of each are fetched from memory before it is handled.
 * Every packet's bytes must stay valid for the whole call. Returns 0 or the
 * first negative FS_E_* (the packets after it are not fed).
 */
FS_API int fs_driver_feed_batch(fs_driver *d, const fs_packet_view *pkts, size_t n);

/** Advances time (sweeps idle flows, ticks parsers); call on live read timeouts. */
FS_API int fs_driver_advance(fs_driver *d, fs_time_ns now);

/** End of input: ends every live flow (FS_END_FLUSH) after parsers finish. */
FS_API int fs_driver_finish(fs_driver *d);

/**
 * Pull mode: copies the next queued event into @p ev; the event and what it
 * points to (key, stats, anomaly, message) stay valid until the next call.
 * Queued events carry no packet (packet is NULL). Returns 1, or 0 when empty.
 */
FS_API int fs_driver_next_event(fs_driver *d, fs_event *ev);

/**
 * Fills counters (extractor skips included). Writes out->struct_size bytes
 * (a caller built against an older, shorter struct gets only those), or the
 * whole struct when struct_size is 0; struct_size is then set to what was
 * written.
 */
FS_API void fs_driver_counters_get(const fs_driver *d, fs_driver_counters *out);

/** The driver's tracker (its lookups and snapshots carry no reassembly diagnostics: use
 * fs_driver_lookup / fs_driver_foreach for those). */
FS_API fs_tracker *fs_driver_tracker(fs_driver *d);

/**
 * Live stats of one flow with the reassembly diagnostics (reasm_* per side)
 * patched in, as end events carry them. FS_E_NOTFOUND if absent.
 */
FS_API int fs_driver_lookup(const fs_driver *d, const fs_flow_key *key, fs_flow_stats *out);

/**
 * Visits every live flow like fs_tracker_foreach, with reassembly
 * diagnostics patched into the stats. Do not call the driver from @p fn.
 */
FS_API int fs_driver_foreach(const fs_driver *d, fs_flow_visit_fn fn, void *ctx);

/** The driver's built-in extractor (for its counters), or the custom one. */
FS_API const fs_extractor *fs_driver_extractor(const fs_driver *d);

/** Destroys a driver (call fs_driver_finish first to get end events). */
FS_API void fs_driver_destroy(fs_driver *d);

FS_END_DECLS

#endif /* FLOWSCOPE_DRIVER_H */
