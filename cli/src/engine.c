/* SPDX-License-Identifier: MIT */
/* Engines: the library's driver for sessions and replay; extractor +
 * tracker (+ dedup) for flows; with --workers N > 1, N of either on worker
 * threads (fs_workers). */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

/*
 * The flows engine tracks packets in batches (fs_tracker_track_batch fetches
 * table memory ahead). A queued packet's bytes are gone once the source
 * reads the next one, so each queued extraction keeps a copy of its own
 * IP/L4 headers (the only bytes the tracker looks at, through pointer
 * differences) and its packet view keeps no data pointer.
 */
#define QUEUE_LEN 32u
#define HDR_COPY 192u /* longer headers (rare) are tracked at once, unqueued */

/* Sessions from a file: packets are copied into an arena and fed to the
 * driver in batches (fs_driver_feed_batch needs every packet's bytes for
 * the whole call). Live capture and replay feed one by one, unqueued. */
#define ARENA_BYTES (2u << 20)

typedef struct queued_hdr {
  uint8_t bytes[HDR_COPY];
} queued_hdr;

struct fsi_engine {
  fs_driver *driver;   /* sessions: the driver runs everything */
  fs_workers *workers; /* --workers N > 1: N engines on their own threads */
  fs_extractor ex;     /* extractor + tracker engine */
  int have_ex;
  fs_tracker *tracker;
  fs_dedup *dedup;
  uint32_t max_flows;
  fsi_engine_counters ctr;
  fs_extract_result res;
  int in_track; /* res describes the packet being tracked */
  /* flows engine: packets waiting for the next batch */
  fs_packet_view q_pkt[QUEUE_LEN];
  fs_extract_result q_res[QUEUE_LEN];
  queued_hdr q_hdr[QUEUE_LEN];
  uint32_t q_len;
  int q_tracking; /* q_res describes the packets being tracked */
  /* sessions from a file: packets waiting for the driver */
  uint8_t *arena; /* ARENA_BYTES, NULL when not batching */
  size_t arena_used;
};

static void apply_timeouts(const fsi_opts *o, fs_tracker_config *tc) {
  for (uint32_t i = 0; i < o->n_timeouts; i++) {
    const fsi_timeout_opt *t = &o->timeouts[i];
    fs_timeout_class *c = &tc->timeouts[t->proto];
    if (t->state < 0 || t->state == 0)
      c->new_ = t->value;
    if (t->state < 0 || t->state == 1)
      c->established = t->value;
    if (t->state < 0 || t->state == 2)
      c->closed = t->value;
  }
}

static void tracker_config(const fsi_opts *o, fs_tracker_config *tc, uint64_t hash_seed) {
  if (o->max_flows)
    tc->max_flows = o->max_flows;
  if (hash_seed)
    tc->hash_seed = hash_seed;
  apply_timeouts(o, tc);
}

/* Random bits for the live table hash (uids use --uid-seed, not this). */
static uint64_t live_seed(const fsi_opts *o) {
  if (!o->iface)
    return 0;
  uint64_t s = (uint64_t)(uintptr_t)&s ^ (uint64_t)(uintptr_t)o;
  s ^= s >> 33;
  s *= 0xff51afd7ed558ccdull;
  s ^= s >> 33;
  return s | 1;
}

int fsi_engine_create(fsi_engine **out, const fsi_opts *o, int sessions, const fs_registry *reg,
                      fs_event_sink sink, const fs_event_sink *worker_sinks, char *errbuf) {
  fsi_engine *e = calloc(1, sizeof *e);
  if (!e)
    return FS_E_NOMEM;
  int rc;
  if (o->workers > 1) {
    /* Flows are sharded by host pair, so each worker holds about 1/N of
     * them: give each a share of the bound with room for imbalance. */
    fs_driver_config dc;
    fs_driver_config_default(&dc);
    dc.mode = sessions ? FS_DRIVE_SESSIONS : FS_DRIVE_FLOWS;
    dc.registry = reg;
    dc.dedup = o->dedup ? 1u : 0u;
    tracker_config(o, &dc.tracker, live_seed(o));
    if (!sessions)
      dc.tracker.result_stats = 0; /* as the lean flows path below */
    dc.sink = sink;
    uint64_t share = ((uint64_t)dc.tracker.max_flows * 5 / 4 + o->workers - 1) / o->workers;
    if (share < dc.tracker.max_flows)
      dc.tracker.max_flows = (uint32_t)share;
    fs_workers_config wc;
    fs_workers_config_default(&wc);
    wc.n_workers = o->workers;
    wc.lean = sessions ? 0u : 1u; /* flows: extractor + tracker, as with one thread */
    wc.driver = dc;
    /* Each worker formats its own records: nothing crosses threads but
     * the finished text (see docs/performance.md, sixth round). */
    wc.worker_sinks = worker_sinks;
    rc = fs_workers_create(&e->workers, &wc, errbuf);
    if (rc != 0) {
      free(e);
      return rc;
    }
    e->max_flows = dc.tracker.max_flows * o->workers;
    *out = e;
    return 0;
  }
  if (sessions) {
    fs_driver_config dc;
    fs_driver_config_default(&dc);
    dc.mode = FS_DRIVE_SESSIONS;
    dc.registry = reg;
    dc.dedup = o->dedup ? 1u : 0u;
    tracker_config(o, &dc.tracker, live_seed(o));
    dc.sink = sink;
    rc = fs_driver_create(&e->driver, &dc, errbuf);
    if (rc != 0) {
      free(e);
      return rc;
    }
    if (!o->iface && o->command != FSI_CMD_REPLAY)
      e->arena = malloc(ARENA_BYTES); /* NULL: feed one by one */
    e->max_flows = dc.tracker.max_flows;
    *out = e;
    return 0;
  }
  /* flows: extractor + tracker only, the lean path (no reassembly, no
   * parsers); it spends less CPU per packet than the driver in flows mode. */
  fs_extract_config xc;
  fs_extract_config_default(&xc);
  rc = fs_extractor_create(&e->ex, &xc, errbuf);
  if (rc != 0) {
    free(e);
    return rc;
  }
  e->have_ex = 1;
  fs_tracker_config tc;
  fs_tracker_config_default(&tc);
  tracker_config(o, &tc, live_seed(o));
  tc.sink = sink;
  tc.result_stats = 0;
  rc = fs_tracker_create(&e->tracker, &tc, errbuf);
  if (rc == 0 && o->dedup)
    rc = fs_dedup_create(&e->dedup, 65536, FS_NS_PER_SEC / 1000, 0x5eed);
  if (rc != 0) {
    fsi_engine_destroy(e);
    return rc;
  }
  e->max_flows = tc.max_flows;
  *out = e;
  return 0;
}

/* Makes the extraction in q_res[q_len] independent of the packet's bytes;
 * 0 when its headers are too long to copy. */
static int queue_packet(fsi_engine *e, const fs_packet_view *pkt, fs_extract_result *r) {
  uint32_t i = e->q_len;
  size_t hdr = 0;
  if (r->l3) {
    const uint8_t *end = r->payload && r->payload >= r->l3 ? r->payload : r->l3;
    hdr = (size_t)(end - r->l3);
    if (hdr > HDR_COPY || hdr > r->l3_len)
      return 0;
    memcpy(e->q_hdr[i].bytes, r->l3, hdr);
    r->l3 = e->q_hdr[i].bytes;
    r->l3_len = (uint32_t)hdr;
  }
  if (r->payload) {
    /* Only its position is kept: the payload bytes are not copied. */
    r->payload = r->l3 ? r->l3 + hdr : NULL;
    r->payload_len = 0;
  }
  e->q_pkt[i] = *pkt;
  e->q_pkt[i].data = NULL;
  e->q_len = i + 1;
  return 1;
}

/* Tracks the queued packets. */
static int drain(fsi_engine *e) {
  if (!e->q_len)
    return 0;
  uint32_t n = e->q_len;
  e->q_len = 0;
  e->q_tracking = 1;
  int rc = fs_tracker_track_batch(e->tracker, e->q_pkt, e->q_res, n);
  e->q_tracking = 0;
  if (rc == 0)
    e->ctr.packets_in_flows += n;
  return rc;
}

/* Feeds the packets waiting in the arena to the driver. */
static int drain_sessions(fsi_engine *e) {
  uint32_t n = e->q_len;
  if (!n)
    return 0;
  e->q_len = 0;
  e->arena_used = 0;
  return fs_driver_feed_batch(e->driver, e->q_pkt, n);
}

static int feed_sessions(fsi_engine *e, const fs_packet_view *pkt) {
  if (!e->arena || pkt->caplen > ARENA_BYTES / 4) {
    int rc = drain_sessions(e); /* keep the order */
    return rc != 0 ? rc : fs_driver_feed(e->driver, pkt);
  }
  if (e->arena_used + pkt->caplen > ARENA_BYTES) {
    int rc = drain_sessions(e);
    if (rc != 0)
      return rc;
  }
  uint8_t *copy = e->arena + e->arena_used;
  if (pkt->caplen)
    memcpy(copy, pkt->data, pkt->caplen);
  e->arena_used += (pkt->caplen + 63u) & ~(size_t)63u; /* each packet on its own lines */
  e->q_pkt[e->q_len] = *pkt;
  e->q_pkt[e->q_len].data = copy;
  if (++e->q_len == QUEUE_LEN)
    return drain_sessions(e);
  return 0;
}

/* Counts, deduplicates, extracts and queues one packet of the flows
 * engine. With @p in_place the packet's bytes outlive the queue (a batch
 * from the source), so an extraction that points into the packet is
 * queued as it is; otherwise (and for reassembled fragments, which point
 * into the extractor's buffer) its headers are copied. */
static int flows_one(fsi_engine *e, const fs_packet_view *pkt, int in_place) {
  e->ctr.packets++;
  e->ctr.bytes += pkt->caplen;
  if (e->dedup && fs_dedup_check(e->dedup, pkt)) {
    e->ctr.skipped[FS_SKIP_DUPLICATE]++;
    return 0;
  }
  fs_extract_result *r = &e->q_res[e->q_len];
  memset(r, 0, sizeof *r);
  r->struct_size = sizeof *r;
  int rc = e->ex.ops->extract(e->ex.self, pkt, r);
  if (rc > 0) {
    e->ctr.skipped[rc < 32 ? rc : FS_SKIP_MALFORMED]++;
    return 0;
  }
  if (rc < 0)
    return rc;
  int inside = in_place && (r->l3 == NULL ||
                            (r->l3 >= pkt->data && r->l3 + r->l3_len <= pkt->data + pkt->caplen));
  if (inside) {
    e->q_pkt[e->q_len++] = *pkt;
  } else if (!queue_packet(e, pkt, r)) {
    /* Headers too long to copy: keep order, then track it from its own bytes. */
    rc = drain(e);
    if (rc != 0)
      return rc;
    e->res = *r;
    e->in_track = 1;
    rc = fs_tracker_track(e->tracker, pkt, &e->res, NULL);
    e->in_track = 0;
    if (rc == 0)
      e->ctr.packets_in_flows++;
    return rc;
  }
  return e->q_len == QUEUE_LEN ? drain(e) : 0;
}

void fsi_engine_attach_source(fsi_engine *e, fs_source *src) {
  if (e->workers)
    (void)fs_workers_attach_source(e->workers, src); /* unsupported: packets are copied */
}

int fsi_engine_feed(fsi_engine *e, const fs_packet_view *pkt) {
  if (e->workers)
    return fs_workers_feed(e->workers, pkt);
  if (e->driver)
    return feed_sessions(e, pkt);
  return flows_one(e, pkt, 0);
}

/* Flows from a batch: tracked before the call returns, as the packets'
 * bytes are the source's until its next read. */
static int feed_flows_batch(fsi_engine *e, const fs_packet_view *pkts, size_t n) {
  for (size_t j = 0; j < n; j++) {
    int rc = flows_one(e, &pkts[j], 1);
    if (rc != 0)
      return rc;
  }
  return drain(e);
}

int fsi_engine_feed_batch(fsi_engine *e, const fs_packet_view *pkts, size_t n) {
  if (e->workers || (!e->driver && e->q_len)) {
    for (size_t j = 0; j < n; j++) {
      int rc = fsi_engine_feed(e, &pkts[j]);
      if (rc != 0)
        return rc;
    }
    return e->workers ? 0 : drain(e);
  }
  if (e->driver) {
    int rc = drain_sessions(e); /* keep the order */
    return rc != 0 ? rc : fs_driver_feed_batch(e->driver, pkts, n);
  }
  return feed_flows_batch(e, pkts, n);
}

int fsi_engine_advance(fsi_engine *e, fs_time_ns now) {
  if (e->workers)
    return fs_workers_advance(e->workers, now);
  if (e->driver) {
    int rc = drain_sessions(e);
    return rc != 0 ? rc : fs_driver_advance(e->driver, now);
  }
  int rc = drain(e);
  if (rc != 0)
    return rc;
  if (e->ex.ops && e->ex.ops->tick)
    e->ex.ops->tick(e->ex.self, now);
  return fs_tracker_advance(e->tracker, now);
}

int fsi_engine_finish(fsi_engine *e) {
  if (e->workers)
    return fs_workers_finish(e->workers);
  if (e->driver) {
    int rc = drain_sessions(e);
    return rc != 0 ? rc : fs_driver_finish(e->driver);
  }
  int rc = drain(e);
  if (rc != 0)
    return rc;
  return fs_tracker_flush(e->tracker);
}

fs_tracker *fsi_engine_tracker(fsi_engine *e) {
  if (e->workers)
    return NULL; /* each worker's tracker belongs to its thread */
  if (e->driver)
    return fs_driver_tracker(e->driver);
  return e->tracker;
}

const fs_extract_result *fsi_engine_current(const fsi_engine *e, const fs_packet_view *pkt) {
  if (e->workers) /* the worker kept the extraction with the event */
    return fs_workers_current_extract(e->workers);
  if (e->q_tracking && pkt) { /* integer compare: pkt may point anywhere */
    uintptr_t p = (uintptr_t)pkt, q = (uintptr_t)e->q_pkt;
    if (p >= q && p < q + sizeof e->q_pkt)
      return &e->q_res[(p - q) / sizeof e->q_pkt[0]];
  }
  return e->in_track ? &e->res : NULL;
}

uint32_t fsi_engine_max_flows(const fsi_engine *e) { return e->max_flows; }

void fsi_engine_tracker_counters(fsi_engine *e, fs_tracker_counters *out) {
  memset(out, 0, sizeof *out);
  out->struct_size = sizeof *out;
  if (e->workers) { /* the sum over workers, once they have finished */
    for (uint32_t i = 0; i < fs_workers_count(e->workers); i++) {
      fs_tracker_counters tc = {.struct_size = sizeof tc};
      if (fs_workers_tracker_counters(e->workers, i, &tc) != 0)
        continue;
      out->packets += tc.packets;
      out->flows_created += tc.flows_created;
      out->flows_ended += tc.flows_ended;
      for (int r = 0; r < 16; r++)
        out->ended_by_reason[r] += tc.ended_by_reason[r];
      out->flows_active += tc.flows_active;
      out->flows_evicted += tc.flows_evicted;
      out->time_backwards += tc.time_backwards;
      out->memory_bytes += tc.memory_bytes;
    }
    return;
  }
  fs_tracker_counters_get(fsi_engine_tracker(e), out);
}

void fsi_engine_counters_get(fsi_engine *e, fsi_engine_counters *out) {
  if (e->workers) { /* the sum over workers, once they have finished */
    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; i < fs_workers_count(e->workers); i++) {
      fs_driver_counters dc = {.struct_size = sizeof dc};
      if (fs_workers_driver_counters(e->workers, i, &dc) != 0)
        continue;
      out->packets += dc.packets;
      out->bytes += dc.bytes;
      out->packets_in_flows += dc.packets_in_flows;
      for (int r = 0; r < 32; r++)
        out->skipped[r] += dc.skipped[r];
      out->messages += dc.messages;
      out->parse_errors += dc.parse_errors;
      out->reasm_dropped_bytes += dc.reasm_dropped_bytes;
      out->detect_unclaimed += dc.detect_unclaimed;
      out->events_dropped += dc.events_dropped;
      out->handoffs += dc.handoffs;
      out->handoffs_refused += dc.handoffs_refused;
      out->flows_retired += dc.flows_retired;
      out->flows_revived += dc.flows_revived;
      out->parsers_released += dc.parsers_released;
    }
    return;
  }
  if (e->driver) {
    fs_driver_counters dc;
    memset(&dc, 0, sizeof dc);
    dc.struct_size = sizeof dc;
    fs_driver_counters_get(e->driver, &dc);
    memset(out, 0, sizeof *out);
    out->packets = dc.packets;
    out->bytes = dc.bytes;
    out->packets_in_flows = dc.packets_in_flows;
    memcpy(out->skipped, dc.skipped, sizeof out->skipped);
    out->messages = dc.messages;
    out->parse_errors = dc.parse_errors;
    out->reasm_dropped_bytes = dc.reasm_dropped_bytes;
    out->detect_unclaimed = dc.detect_unclaimed;
    out->events_dropped = dc.events_dropped;
    out->handoffs = dc.handoffs;
    out->handoffs_refused = dc.handoffs_refused;
    out->flows_retired = dc.flows_retired;
    out->flows_revived = dc.flows_revived;
    out->parsers_released = dc.parsers_released;
    return;
  }
  *out = e->ctr;
}

void fsi_engine_destroy(fsi_engine *e) {
  if (!e)
    return;
  fs_workers_destroy(e->workers);
  if (e->driver)
    fs_driver_destroy(e->driver);
  fs_dedup_destroy(e->dedup);
  if (e->tracker)
    fs_tracker_destroy(e->tracker);
  if (e->have_ex)
    fs_extractor_destroy(&e->ex);
  free(e->arena);
  free(e);
}
