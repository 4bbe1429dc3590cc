/* SPDX-License-Identifier: MIT */
/**
 * @file workers.h
 * Run-to-completion workers: N threads, each owning its own driver
 * (extractor, tracker, reassemblers, parsers), with packets sharded by a
 * symmetric hash so that both directions of a flow, and every fragment of a
 * datagram, reach the same worker. No flow state is shared and nothing is
 * locked per packet.
 *
 * Three ways to feed them:
 * - Software sharding (files, or any packet source): the caller's thread
 *   calls fs_workers_feed(); the packet is copied into the chosen worker's
 *   bounded single-producer/single-consumer ring (preallocated byte slab),
 *   or, from a file source attached with fs_workers_attach_source(), passed
 *   where the source read it.
 * - Self-sharding (files): fs_workers_start_file(); every worker reads the
 *   file itself and keeps its own shard.
 * - Kernel sharding (live capture on Linux): fs_workers_start_live() opens
 *   one AF_PACKET socket per worker in a PACKET_FANOUT_HASH group, so the
 *   kernel does the sharding and each worker reads its own socket.
 *
 * Events: each worker queues its events (copied; messages cloned with
 * fs_message_clone) in its own bounded queue. They are delivered to the
 * caller's sink on the caller's thread, inside fs_workers_feed(),
 * fs_workers_poll() and fs_workers_finish(), so the sink needs no locking.
 * Alternatively (fs_workers_config.worker_sinks) each worker hands its
 * events straight to a sink of its own, on its own thread: no copies, and
 * the sinks' work (formatting records, say) runs in parallel.
 * Events of one flow come from one worker's queue, in the order that worker
 * produced them; events of different workers interleave in no fixed order.
 * A delivered event has worker = the worker's index; its packet (when the
 * event had one) holds only the first 512 captured bytes (caplen says so;
 * wirelen is unchanged); a message event without stats gets the flow's
 * stats at the time of the message, as the host cannot look the flow up.
 *
 * Sharding (see docs/performance.md): FS_SHARD_IP_PAIR (default) hashes the
 * innermost IP address pair (after the encapsulations the extractor
 * enters), so a flow whose datagrams are sometimes fragmented stays on one
 * worker. Tunnelled datagrams whose outer IP packet is fragmented follow
 * their first fragment, whose tunnel and inner headers are decoded (an
 * in-order capture is assumed: a later fragment seen before the first one
 * falls back to the outer pair). FS_SHARD_FIVE_TUPLE hashes the five-tuple of unfragmented packets
 * and the IP pair of fragments: finer balance, but a flow mixing fragmented
 * and whole datagrams may be split. Non-IP frames hash their MAC pair.
 */
#ifndef FLOWSCOPE_WORKERS_H
#define FLOWSCOPE_WORKERS_H

#include "flowscope/driver.h"
#include "flowscope/source.h"

FS_BEGIN_DECLS

/** A pool of workers (opaque). Used from one caller thread. */
typedef struct fs_workers fs_workers;

/** How packets are assigned to workers. */
typedef enum fs_shard_mode {
  FS_SHARD_IP_PAIR = 0,    /**< symmetric hash of the innermost IP pair (default) */
  FS_SHARD_FIVE_TUPLE = 1, /**< symmetric five-tuple; IP pair for fragments */
  FS_SHARD_MAC_PAIR = 2,   /**< symmetric Ethernet MAC pair (for MAC-pair keys) */
  FS_SHARD_CUSTOM = 3      /**< fs_workers_config.shard_fn decides */
} fs_shard_mode;

/**
 * Custom sharding: return a 64-bit hash; both directions of a flow (and all
 * its fragments) must give the same value. Called on the feeding thread.
 */
typedef uint64_t (*fs_shard_fn)(void *ctx, const fs_packet_view *pkt);

/** Workers configuration. Start from fs_workers_config_default(). */
typedef struct fs_workers_config {
  uint32_t struct_size;  /**< sizeof(fs_workers_config) */
  uint32_t n_workers;    /**< worker threads, 1..64 (default 2) */
  uint32_t shard;        /**< fs_shard_mode (default FS_SHARD_IP_PAIR) */
  uint32_t ring_packets; /**< packet descriptors per worker ring, power of two (default 8192) */
  uint64_t ring_bytes;   /**< packet bytes per worker ring (default 4 MiB; >= 2 x largest packet) */
  uint32_t event_queue;  /**< events per worker queue, power of two (default 2048) */
  uint32_t pin_cpus;     /**< 1: pin worker i to online CPU i mod count (default 0) */
  fs_driver_config driver; /**< each worker's driver; driver.sink is the caller's sink */
  fs_shard_fn shard_fn;    /**< FS_SHARD_CUSTOM: the hash */
  void *shard_ctx;         /**< passed to shard_fn */
  uint32_t lean;           /**< with driver.mode FS_DRIVE_FLOWS: each worker runs extractor +
                                tracker (+ dedup) without a driver (no reassembly
                                diagnostics), and FLOW_STARTED events carry the starting
                                packet's extraction (fs_workers_current_extract); default 0 */
  uint32_t reserved0;      /**< zero */
  /**
   * NULL (default): events are queued and delivered to driver.sink on the
   * caller's thread. Otherwise an array of n_workers sinks: worker i calls
   * worker_sinks[i] itself, on its own thread, as its driver produces
   * events, and queues nothing. The event is borrowed for the call, as from
   * a driver (its packet, when it has one, is the whole packet); worker is
   * set, and a message event without stats gets the flow's stats as in
   * queued mode. Each sink is only ever called from its worker's thread, so
   * it needs no locking of its own state; whatever it shares with other
   * sinks (an output file) it must lock itself. Its flush is called when
   * the worker's driver finishes. driver.sink then receives only the final
   * flush of fs_workers_finish(). The array is copied at creation. Saves
   * copying every event and cloning every message across threads. Since 0.1.
   */
  const fs_event_sink *worker_sinks;
} fs_workers_config;

/** Counters of one worker (or, for fs_workers_stats_total, the sum). */
typedef struct fs_worker_stats {
  uint32_t struct_size;         /**< sizeof(fs_worker_stats) */
  uint32_t reserved0;           /**< zero */
  uint64_t packets;             /**< packets given to the worker */
  uint64_t bytes;               /**< captured bytes given to the worker */
  uint64_t ring_full_waits;     /**< times the feeder waited for ring space */
  uint64_t queue_full_waits;    /**< times the worker waited for event queue space */
  uint64_t events;              /**< events delivered to the sink */
  uint64_t messages_dropped;    /**< messages that could not be cloned (out of memory) */
  uint64_t oversize_dropped;    /**< packets larger than half the ring, dropped */
  uint64_t live_packets;        /**< fanout: packets read from the worker's socket */
  uint64_t live_kernel_dropped; /**< fanout: the socket's kernel drops */
  uint64_t cpu_ns;              /**< CPU time of the worker thread (set when it exits) */
  uint64_t packets_in_place;    /**< packets passed without a copy (fs_workers_attach_source) */
} fs_worker_stats;

/** Fills @p cfg with defaults (driver defaults included). */
FS_API void fs_workers_config_default(fs_workers_config *cfg);

/**
 * Creates the workers: one driver per worker (created on the caller's
 * thread, so creation errors are reported here) and its thread. Ring and
 * queue memory is allocated and touched up front.
 */
FS_API int fs_workers_create(fs_workers **out, const fs_workers_config *cfg, char *errbuf);

/**
 * Index of the worker that @p pkt goes to (0..n_workers-1), by the
 * configured sharding: a function of the packet bytes, except that the
 * first fragment of a tunnelled datagram is remembered so that its later
 * fragments follow it to the worker of the inner flow.
 */
FS_API uint32_t fs_workers_shard(fs_workers *w, const fs_packet_view *pkt);

/**
 * Copies @p pkt to its worker's ring (waiting for space when the ring is
 * full, delivering queued events meanwhile). Returns 0, FS_E_STATE after
 * finish or while live capture runs.
 */
FS_API int fs_workers_feed(fs_workers *w, const fs_packet_view *pkt);

/**
 * Zero-copy feeding from a capture file: after this call, packets that
 * @p src returns are passed to the workers where they are, without being
 * copied into the rings. The source's block reader then keeps each block of
 * the file it read (16 blocks of about 512 KiB, allocated here) until the
 * workers have processed every packet in it; reading a new block may wait
 * for them (and deliver queued events meanwhile, from inside
 * fs_source_next*). Call it before reading any packet from @p src, feed
 * the packets with fs_workers_feed() as usual, and keep @p src open until
 * fs_workers_finish() (which detaches it). Packets from elsewhere are
 * copied as before. Returns 0; FS_E_UNSUPPORTED when @p src is not read by
 * the block reader (live capture, pcapng, a swapped or unusual pcap
 * header: nothing changes then); FS_E_STATE once reading began or when a
 * source is already attached; FS_E_NOMEM.
 */
FS_API int fs_workers_attach_source(fs_workers *w, fs_source *src);

/** Sends every worker the time @p now (fs_driver_advance); call on live read timeouts. */
FS_API int fs_workers_advance(fs_workers *w, fs_time_ns now);

/** Delivers the events queued so far to the sink. Returns how many. */
FS_API uint64_t fs_workers_poll(fs_workers *w);

/**
 * End of input: every worker finishes its driver (ends all flows), and all
 * their events are delivered before this returns. Stops live capture first.
 * Each worker's tracker keeps its own time (its packets' times); before
 * finishing, every tracker is advanced to the latest packet time any of
 * them saw, the time one tracker fed every packet would have reached, so
 * flows idle by then end as idle timeouts in both cases.
 */
FS_API int fs_workers_finish(fs_workers *w);

/**
 * Live capture with kernel sharding (Linux): each worker opens @p iface with
 * libpcap and joins one AF_PACKET PACKET_FANOUT_HASH group (with the
 * defragment flag, so fragments are sharded as whole datagrams); the workers
 * then read and process on their own until fs_workers_finish(). The caller
 * keeps calling fs_workers_poll() to receive events. FS_E_UNSUPPORTED on
 * other systems, FS_E_PERM without capture permission.
 */
FS_API int fs_workers_start_live(fs_workers *w, const char *iface, const fs_source_config *src,
                                 char *errbuf);

/**
 * Offline alternative to fs_workers_feed() (self-sharding): every worker
 * opens @p path itself, reads every packet and processes only those of its
 * own shard, so no packet is copied between threads; the caller keeps
 * calling fs_workers_poll() and then fs_workers_finish(), which waits for
 * every worker to reach the end of the file. Reading and decoding for the
 * shard hash are repeated by every worker: the trade-off against one
 * reader thread is measured in docs/performance.md. Not for standard input.
 */
FS_API int fs_workers_start_file(fs_workers *w, const char *path, const fs_source_config *src,
                                 char *errbuf);

/** Counters of worker @p i (exact once finished). FS_E_INVAL for a bad index. */
FS_API int fs_workers_stats(const fs_workers *w, uint32_t i, fs_worker_stats *out);

/**
 * Driver counters of worker @p i; valid only after fs_workers_finish()
 * (FS_E_STATE before). Writes out->struct_size bytes, as
 * fs_driver_counters_get does.
 */
FS_API int fs_workers_driver_counters(const fs_workers *w, uint32_t i, fs_driver_counters *out);

/**
 * Tracker counters of worker @p i; valid only after fs_workers_finish()
 * (FS_E_STATE before).
 */
FS_API int fs_workers_tracker_counters(const fs_workers *w, uint32_t i, fs_tracker_counters *out);

/**
 * Inside the sink callback of a FLOW_STARTED event from a lean worker: the
 * extraction of the packet that started the flow (payload and l3 pointers
 * cleared in queued mode); NULL otherwise. Works in the caller's sink and,
 * with worker_sinks, in a worker's sink on that worker's thread.
 */
FS_API const fs_extract_result *fs_workers_current_extract(const fs_workers *w);

/** Number of workers. */
FS_API uint32_t fs_workers_count(const fs_workers *w);

/** Stops the threads (finishing first if needed) and frees everything; NULL is fine. */
FS_API void fs_workers_destroy(fs_workers *w);

FS_END_DECLS

#endif /* FLOWSCOPE_WORKERS_H */
