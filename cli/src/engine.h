/* SPDX-License-Identifier: MIT */
/**
 * @file engine.h
 * What turns packets into events for the commands: the library's driver
 * (sessions, replay: reassembly, detection, parsers) or extractor + tracker
 * alone (flows: less work per packet). One interface so run.c does not care.
 */
#ifndef FLOWSCOPE_CLI_ENGINE_H
#define FLOWSCOPE_CLI_ENGINE_H

#include "options.h"

/** An engine (opaque). */
typedef struct fsi_engine fsi_engine;

/** Counters of an engine, whichever kind it is. */
typedef struct fsi_engine_counters {
  uint64_t packets;             /**< packets fed */
  uint64_t bytes;               /**< captured bytes fed */
  uint64_t packets_in_flows;    /**< packets accounted to a flow */
  uint64_t skipped[32];         /**< by fs_skip_reason (duplicates included) */
  uint64_t messages;            /**< application messages */
  uint64_t parse_errors;        /**< parsers poisoned */
  uint64_t reasm_dropped_bytes; /**< bytes dropped by reassembly limits */
  uint64_t detect_unclaimed;    /**< flows no parser claimed */
  uint64_t events_dropped;      /**< events lost */
  uint64_t handoffs;            /**< parsers that handed their flow to detection again */
  uint64_t handoffs_refused;    /**< hand-offs beyond the per-flow bound (taken as done) */
  uint64_t flows_retired;       /**< UDP flows whose driver state was released early */
  uint64_t flows_revived;       /**< retired flows that sent again */
  uint64_t parsers_released;    /**< parsers freed once done and idle */
} fsi_engine_counters;

/**
 * Creates the engine for @p o: with @p sessions, parsers from @p reg run
 * (needs the driver). Events go to @p sink; with --workers N > 1 they go
 * instead to @p worker_sinks[i] (N sinks), called on worker i's thread, and
 * @p sink receives only the final flush. On error writes the cause to
 * @p errbuf (FS_ERRBUF_SIZE) and returns a negative FS_E_*.
 */
int fsi_engine_create(fsi_engine **out, const fsi_opts *o, int sessions, const fs_registry *reg,
                      fs_event_sink sink, const fs_event_sink *worker_sinks, char *errbuf);

/**
 * With workers, reading a file: lets them take @p src's packets where the
 * source read them instead of copying each (fs_workers_attach_source).
 * Call before the first read; does nothing otherwise or when the source
 * cannot (pcapng, live capture).
 */
void fsi_engine_attach_source(fsi_engine *e, fs_source *src);

/** Feeds one packet; returns 0 or a negative FS_E_* (skips are counted, not errors). */
int fsi_engine_feed(fsi_engine *e, const fs_packet_view *pkt);

/**
 * Feeds @p n packets whose bytes stay valid for the whole call (a batch
 * from fs_source_next_batch), without copying them; returns as
 * fsi_engine_feed. Nothing of theirs is kept after it returns.
 */
int fsi_engine_feed_batch(fsi_engine *e, const fs_packet_view *pkts, size_t n);

/** Lets time pass (live read timeouts). */
int fsi_engine_advance(fsi_engine *e, fs_time_ns now);

/** End of input: every live flow ends with an event. */
int fsi_engine_finish(fsi_engine *e);

/** The tracker inside (lookups, counters); NULL with --workers (trackers belong to their threads).
 */
fs_tracker *fsi_engine_tracker(fsi_engine *e);

/**
 * Tracker counters (with --workers: the sum over workers, available once
 * the engine has finished; zeros before).
 */
void fsi_engine_tracker_counters(fsi_engine *e, fs_tracker_counters *out);

/** Flows the tracker keeps at most. */
uint32_t fsi_engine_max_flows(const fsi_engine *e);

/**
 * While the extractor + tracker engine tracks packets: the extraction of
 * @p pkt (the event's packet), so a flow-started handler need not decode
 * it again; NULL otherwise. Its payload bytes are not available.
 */
const fs_extract_result *fsi_engine_current(const fsi_engine *e, const fs_packet_view *pkt);

/** Fills @p out. */
void fsi_engine_counters_get(fsi_engine *e, fsi_engine_counters *out);

/** Destroys; NULL is fine. */
void fsi_engine_destroy(fsi_engine *e);

#endif /* FLOWSCOPE_CLI_ENGINE_H */
