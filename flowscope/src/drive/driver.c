/* SPDX-License-Identifier: MIT */
/*
 * The driver engine: one packet goes extractor -> dedup -> tracker ->
 * per-flow reassembly/detection/parsing; tracker events are forwarded (the
 * end of a flow after its parser finished and with reassembly diagnostics
 * patched into its stats). Flow ends the driver decides (poison, overflow)
 * run between steps, never from inside a parser or reassembler callback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drive/drive_internal.h"
#include "extract/extract_ahead.h"
#include "util/sized_out.h"
#include "track/track_ahead.h"

void fs_driver_config_default(fs_driver_config *cfg) {
  if (cfg == NULL)
    return;
  memset(cfg, 0, sizeof *cfg);
  cfg->struct_size = sizeof *cfg;
  cfg->mode = FS_DRIVE_FLOWS;
  fs_extract_config_default(&cfg->extract);
  fs_tracker_config_default(&cfg->tracker);
  fs_reasm_config_default(&cfg->reasm);
  cfg->max_reasm_total = 256ull * 1024 * 1024;
  cfg->dedup_window = 1000000ull; /* 1 ms */
}

/* ---- tracker events ---- */

static void copy_entry(fsi_qentry *e, const fs_event *ev) {
  memset(e, 0, sizeof *e);
  e->ev = *ev;
  if (ev->key != NULL) {
    e->key = *ev->key;
    e->ev.key = &e->key;
  }
  if (ev->stats != NULL) {
    size_t n = ev->stats->struct_size < sizeof e->stats ? ev->stats->struct_size : sizeof e->stats;
    memcpy(&e->stats, ev->stats, n);
    e->stats.struct_size = (uint32_t)n;
    e->ev.stats = &e->stats;
  }
  if (ev->anomaly != NULL) {
    e->anomaly = *ev->anomaly;
    e->ev.anomaly = &e->anomaly;
  }
}

/* Ends the driver side of a flow, then forwards its end event with patched stats. */
static void end_and_forward(fs_driver *d, fsi_dflow *fl, const fs_event *ev) {
  fs_flow_stats st;
  memset(&st, 0, sizeof st);
  if (ev->stats != NULL) {
    size_t n = ev->stats->struct_size < sizeof st ? ev->stats->struct_size : sizeof st;
    memcpy(&st, ev->stats, n);
    st.struct_size = (uint32_t)n;
  }
  if (fsi_retired_proto(d, fl) != -2) {
    if (ev->stats != NULL)
      fsi_dflow_patch_none(&st); /* a retired flow: nothing left to finish */
  } else if (fl != NULL) {
    fsi_dflow_end(fl, ev->stats != NULL ? &st : NULL, ev->ts);
  }
  fs_event out = *ev;
  out.stats = ev->stats != NULL ? &st : NULL;
  out.flow_user = NULL;
  fsi_drive_emit(d, &out);
}

static void forward(fs_driver *d, const fs_event *ev) {
  if (ev->type == FS_EV_ANOMALY) {
    uint32_t kind = ev->anomaly ? ev->anomaly->kind : 0;
    if (kind >= 32 || !(d->cfg.anomalies & FS_ANOMALY_BIT(kind)))
      return;
  }
  fs_event out = *ev;
  out.flow_user = NULL; /* the slot holds the driver's state, not the host's */
  fsi_drive_emit(d, &out);
}

static void on_tracker_event(void *self, const fs_event *ev) {
  fs_driver *d = self;
  if (d->in_track && (d->have_pending_end || (ev->type == FS_EV_FLOW_ENDED && ev->key != NULL &&
                                              fs_flow_key_equal(ev->key, d->cur_key)))) {
    /* The packet's own flow ended inside the tracker: its payload still has to
     * reach the parser first, so the end (and what follows) waits. */
    if (!d->have_pending_end) {
      d->have_pending_end = 1;
      d->pending_flow = (fsi_dflow *)(uintptr_t)ev->flow_user;
      copy_entry(&d->pending, ev);
      return;
    }
    if (d->n_deferred < FSI_DEFER_MAX) {
      copy_entry(&d->deferred[d->n_deferred++], ev);
      return;
    }
  }
  if (ev->type == FS_EV_FLOW_ENDED)
    end_and_forward(d, (fsi_dflow *)(uintptr_t)ev->flow_user, ev);
  else
    forward(d, ev);
}

static const fs_event_sink_ops tracker_sink_ops = {
    .struct_size = sizeof(fs_event_sink_ops),
    .on_event = on_tracker_event,
};

/* Emits the deferred end of the packet's flow and the events held behind it. */
static void release_pending(fs_driver *d) {
  if (!d->have_pending_end)
    return;
  d->have_pending_end = 0;
  end_and_forward(d, d->pending_flow, &d->pending.ev);
  d->pending_flow = NULL;
  for (uint32_t i = 0; i < d->n_deferred; i++) {
    const fs_event *ev = &d->deferred[i].ev;
    if (ev->type == FS_EV_FLOW_ENDED)
      end_and_forward(d, (fsi_dflow *)(uintptr_t)ev->flow_user, ev);
    else
      forward(d, ev);
  }
  d->n_deferred = 0;
}

/* Runs the ends the driver decided (poison, overflow). */
static void run_end_list(fs_driver *d, fs_time_ns ts) {
  while (d->end_list != NULL) {
    fsi_dflow *fl = d->end_list;
    d->end_list = fl->end_next;
    fl->flags &= ~FSI_DF_END_QUEUED;
    fs_flow_key key = fl->key;
    if (fs_tracker_end(d->tr, &key, fl->end_reason, ts) != 0)
      fsi_dflow_end(fl, NULL, ts); /* the tracker no longer knows it */
  }
}

/* Reassembly gap timeouts and parser ticks: only flows on the tick list
 * have work (a sweep over every live flow would touch each one's memory
 * once per tick for nothing). */
static void tick_flows(fs_driver *d, fs_time_ns now) {
  for (fsi_dflow *fl = d->ticks.tick_next, *next; fl != &d->ticks; fl = next) {
    next = fl->tick_next; /* fsi_dflow_tick may take fl off the list */
    fsi_dflow_tick(fl, now);
  }
  run_end_list(d, now);
}

static void maybe_tick(fs_driver *d, fs_time_ns ts) {
  uint64_t idx = ts / d->tick_ns;
  if (!d->ticked) {
    d->ticked = 1;
    d->last_tick = idx;
    return;
  }
  if (idx > d->last_tick) {
    d->last_tick = idx;
    tick_flows(d, ts);
  }
}

/* ---- lifecycle ---- */

static void host_log(void *host, uint32_t level, const char *plugin, const char *msg) {
  (void)host;
  (void)level;
  (void)plugin;
  (void)msg;
}

static void host_counter(void *host, const char *name, uint64_t value) {
  (void)host;
  (void)name;
  (void)value;
}

int fs_driver_create(fs_driver **out, const fs_driver_config *cfg, char *errbuf) {
  char scratch[FS_ERRBUF_SIZE];
  if (errbuf == NULL)
    errbuf = scratch;
  errbuf[0] = '\0';
  if (out == NULL || cfg == NULL) {
    snprintf(errbuf, FS_ERRBUF_SIZE, "driver: out and cfg are required");
    return FS_E_INVAL;
  }
  *out = NULL;
  if (cfg->struct_size < offsetof(fs_driver_config, extra_protocols)) {
    snprintf(errbuf, FS_ERRBUF_SIZE,
             "driver: config struct_size %u is too small (start from fs_driver_config_default)",
             cfg->struct_size);
    return FS_E_INVAL;
  }
  if (cfg->mode > FS_DRIVE_DATAGRAMS) {
    snprintf(errbuf, FS_ERRBUF_SIZE, "driver: unknown mode %u", cfg->mode);
    return FS_E_INVAL;
  }
  if (cfg->reasm.overflow_policy > FS_OVERFLOW_DROP_FLOW) {
    snprintf(errbuf, FS_ERRBUF_SIZE, "driver: unknown reassembly overflow_policy %u",
             cfg->reasm.overflow_policy);
    return FS_E_INVAL;
  }
  fs_driver *d = calloc(1, sizeof *d);
  if (d == NULL) {
    snprintf(errbuf, FS_ERRBUF_SIZE, "driver: out of memory");
    return FS_E_NOMEM;
  }
  size_t n = cfg->struct_size < sizeof d->cfg ? cfg->struct_size : sizeof d->cfg;
  memcpy(&d->cfg, cfg, n);
  d->cfg.struct_size = sizeof d->cfg;
  d->live.next = d->live.prev = &d->live;
  d->ticks.tick_next = d->ticks.tick_prev = &d->ticks;
  d->ctr.struct_size = sizeof d->ctr;
  d->budget.max = d->cfg.max_reasm_total;
  d->tick_ns = d->cfg.tracker.tick ? d->cfg.tracker.tick : FS_NS_PER_SEC;
  d->split_rng = ((uint64_t)d->cfg.split_seed << 1) ^ 0x9E3779B97F4A7C15ull;
  uint64_t qmax = d->cfg.queue_max ? d->cfg.queue_max : 2ull * d->cfg.tracker.max_flows + 4096;
  d->q_max = qmax > 0x7FFFFFFFu ? 0x7FFFFFFFu : (uint32_t)qmax;
  d->host_default.struct_size = sizeof d->host_default;
  d->host_default.abi_major = FS_ABI_MAJOR;
  d->host_default.abi_minor = FS_ABI_MINOR;
  d->host_default.host = d;
  d->host_default.log = host_log;
  d->host_default.counter_add = host_counter;

  int rc;
  if (d->cfg.extractor != NULL) {
    d->ex = d->cfg.extractor;
  } else {
    if ((rc = fs_extractor_create(&d->ex_own, &d->cfg.extract, errbuf)) != 0)
      goto fail;
    d->ex = &d->ex_own;
  }
  d->ex_fills_all = fsi_extractor_fills_all(d->ex);
  fs_tracker_config tc = d->cfg.tracker;
  tc.sink.ops = &tracker_sink_ops;
  tc.result_stats = 0; /* stats are looked up only when an event needs them (fsi_dflow_stats) */
  tc.sink.self = d;
  if ((rc = fs_tracker_create(&d->tr, &tc, errbuf)) != 0)
    goto fail;
  if (d->cfg.dedup &&
      (rc = fs_dedup_create(&d->dedup, 4096, d->cfg.dedup_window, d->cfg.tracker.hash_seed)) != 0) {
    snprintf(errbuf, FS_ERRBUF_SIZE, "driver: cannot create the dedup filter: %s", fs_strerror(rc));
    goto fail;
  }
  if ((rc = fsi_detect_setup(d, errbuf)) != 0)
    goto fail;
  *out = d;
  return 0;
fail:
  fs_driver_destroy(d);
  return rc;
}

void fs_driver_destroy(fs_driver *d) {
  if (d == NULL)
    return;
  fsi_drive_pool_free(d);
  if (d->tr != NULL)
    fs_tracker_destroy(d->tr);
  fs_dedup_destroy(d->dedup);
  if (d->ex == &d->ex_own)
    fs_extractor_destroy(&d->ex_own);
  free(d->overrides);
  fsi_drive_queue_free(d);
  free(d);
}

/* ---- steps ---- */

static void skip(fs_driver *d, int reason) {
  if (reason <= 0 || reason >= 32)
    reason = FS_SKIP_MALFORMED; /* internal errors are counted with malformed input */
  d->ctr.skipped[reason]++;
}

/* Dedup and extraction of one packet: 0 (ex filled), a positive skip
 * reason, or a negative FS_E_*. Depends on no flow state, so a batch can
 * run it ahead of the packets before it. */
static int prepare(fs_driver *d, const fs_packet_view *pkt, fs_extract_result *ex) {
  if (d->dedup != NULL && fs_dedup_check(d->dedup, pkt) == 1)
    return FS_SKIP_DUPLICATE;
  /* The built-in extractor writes every member (a block clear per packet
   * showed in profiles); another extractor gets a cleared result. */
  if (!d->ex_fills_all)
    memset(ex, 0, sizeof *ex);
  ex->struct_size = sizeof *ex;
  return d->ex->ops->extract(d->ex->self, pkt, ex);
}

/* Everything after prepare(): counting, ticks, tracking, then reassembly,
 * detection and parsing of the packet's flow. @p hashed says @p h holds
 * the key's table hash already. */
static int process(fs_driver *d, const fs_packet_view *pkt, int prep, const fs_extract_result *ex,
                   uint64_t h, int hashed, uint32_t hint) {
  d->ctr.packets++;
  d->ctr.bytes += pkt->caplen;
  if (pkt->ts > d->now)
    d->now = pkt->ts;
  maybe_tick(d, pkt->ts);
  if (prep != 0) {
    skip(d, prep);
    return prep < 0 ? prep : 0;
  }
  fs_track_result tr;
  memset(&tr, 0, sizeof tr);
  tr.struct_size = sizeof tr;
  d->in_track = 1;
  d->cur_key = &ex->key;
  d->n_deferred = 0;
  int rc = hashed ? fsi_tracker_track_hashed(d->tr, pkt, ex, &tr, h, hint)
                  : fs_tracker_track(d->tr, pkt, ex, &tr);
  d->in_track = 0;
  d->cur_key = NULL;
  if (rc < 0) {
    release_pending(d);
    skip(d, FS_SKIP_MALFORMED);
    return rc;
  }
  d->ctr.packets_in_flows++;

  fsi_dflow *fl = NULL;
  if (d->have_pending_end && tr.is_new && !tr.ended) {
    /* The old flow on this key ended and this packet started a new one. */
    release_pending(d);
  }
  uint32_t init_is_a = (ex->orientation == FS_ORIENT_A_TO_B) == (tr.side == FS_SIDE_INITIATOR);
  int udp = ex->l4proto == FS_L4_UDP && (d->parse_transports & FS_TRANSPORT_UDP);
  if (d->have_pending_end) {
    fl = d->pending_flow;
    int32_t rp = fsi_retired_proto(d, fl);
    if (rp != -2) {
      /* A retired flow ended on this packet: its datagram still goes to a
       * fresh parser first (none was needed for a flow without one). */
      fl = rp >= 0 && udp ? fsi_dflow_alloc(d, &ex->key, FS_L4_UDP, init_is_a, rp) : NULL;
      if (fl != NULL)
        d->pending_flow = fl;
    }
  } else if (tr.user != NULL && !tr.ended) {
    fl = *tr.user;
    int tcp = ex->l4proto == FS_L4_TCP && ex->has_tcp;
    int32_t rp = fsi_retired_proto(d, fl);
    if (rp != -2) {
      fl = NULL;
      if (rp >= 0 && udp && (fl = fsi_dflow_alloc(d, &ex->key, FS_L4_UDP, init_is_a, rp)) != NULL)
        *tr.user = fl;
    } else if (fl == NULL && (tcp || udp)) {
      fl = fsi_dflow_alloc(d, &ex->key, tcp ? FS_L4_TCP : FS_L4_UDP, init_is_a, -1);
      *tr.user = fl;
    }
  }
  if (fl != NULL) {
    uint32_t side = tr.side & 1u;
    /* The tracker may have flipped the initiator: keep the parser's view current. */
    fl->env.initiator_is_a = (ex->orientation == FS_ORIENT_A_TO_B) == (side == FS_SIDE_INITIATOR);
    fl->cur_stats = d->have_pending_end ? &d->pending.stats : NULL;
    fl->stats_lazy = !d->have_pending_end;
    if (ex->l4proto == FS_L4_TCP && ex->has_tcp)
      fsi_dflow_segment(fl, ex->orientation & 1u, ex, pkt->ts);
    else if (ex->l4proto == FS_L4_UDP && ex->payload != NULL)
      fsi_dflow_datagram(fl, side, ex->payload, ex->payload_len, pkt->ts);
    fl->cur_stats = NULL; /* tracker results are valid until its next call only */
    fl->stats_lazy = 0;
    /* A TCP flow can retire only once bypassed: one flag test for the rest. */
    if ((!(fl->flags & FSI_DF_TCP) || (fl->flags & FSI_DF_BYPASS)) && !d->have_pending_end &&
        tr.user != NULL && *tr.user == fl) {
      void *tag = fsi_dflow_retire(fl, pkt->ts);
      if (tag != NULL)
        *tr.user = tag;
    }
  }
  release_pending(d);
  run_end_list(d, pkt->ts);
  return 0;
}

int fs_driver_feed(fs_driver *d, const fs_packet_view *pkt) {
  if (d == NULL || pkt == NULL)
    return FS_E_INVAL;
  fs_extract_result ex;
  int prep = prepare(d, pkt, &ex);
  return process(d, pkt, prep, &ex, 0, 0, FSI_TRACK_NO_HINT);
}

/* Starts loading the part of a flow's driver state every packet touches
 * (its first fsi_dflow_hot bytes; records start on a cache line). */
static void prefetch_flow(const fsi_dflow *fl) {
  const char *p = (const char *)fl;
  for (size_t off = 0; off < fsi_dflow_hot; off += 64)
    __builtin_prefetch(p + off, 1);
}

/* The same for a TCP segment's reassembler (kept apart from prefetch_flow:
 * with an early return inside one function GCC 12 dropped every prefetch). */
static void prefetch_reasm(const fsi_dflow *fl, uint32_t dir) {
  const fsi_reasm *rs = fsi_dflow_crs(fl);
  const char *r = (const char *)&rs[dir & 1u];
  for (size_t off = 0; off < sizeof(fsi_reasm); off += 64)
    __builtin_prefetch(r + off, 1);
  /* An ACK looks for a hole in the other direction's stream. */
  const fsi_reasm *o = &rs[(dir & 1u) ^ 1u];
  __builtin_prefetch(&o->next_off, 0);
  __builtin_prefetch(&o->seen_end, 0);
}

/* The first lines of the parser's own state, one packet ahead: its layout
 * is the plugin's, but every parser reads the start of its state (the
 * plugin-authoring guide says to put what each segment reads first).
 * 512 bytes: the HTTP parser's two sides each keep their hot part there. */
#define PARSER_AHEAD_BYTES 512u
static void prefetch_parser(const fsi_dflow *fl) {
  const char *p = (const char *)fl->parser;
  if (p != NULL)
    for (size_t off = 0; off < PARSER_AHEAD_BYTES; off += 64)
      __builtin_prefetch(p + off, 1);
}

/* How far ahead of the packet being handled its table record and its
 * driver flow state are fetched. */
#define RECORD_AHEAD 4u
#define FLOW_AHEAD 2u
/* How far ahead of the packet being extracted its bytes are fetched. */
#define PKT_AHEAD 4u

int fs_driver_feed_batch(fs_driver *d, const fs_packet_view *pkts, size_t n) {
  if (d == NULL || (n > 0 && pkts == NULL))
    return FS_E_INVAL;
  fsi_dbatch *b = &d->batch;
  for (size_t i = 0; i < n;) {
    /* Extract ahead; stop after a packet whose extraction points into the
     * extractor's own buffer (reassembled fragments): the next call reuses it. */
    size_t m = 0;
    while (m < FSI_DBATCH && i + m < n) {
      const fs_packet_view *p = &pkts[i + m];
      if (i + m + PKT_AHEAD < n) {
        /* Headers and the start of the payload of a later packet: cold
         * when another thread wrote them (a worker's ring). */
        const uint8_t *a = pkts[i + m + PKT_AHEAD].data;
        __builtin_prefetch(a, 0);
        __builtin_prefetch(a + 64, 0);
      }
      b->prep[m] = prepare(d, p, &b->ex[m]);
      m++;
      if (b->prep[m - 1] == 0 && !fsi_extract_inside_packet(p, &b->ex[m - 1]))
        break;
    }
    for (size_t j = 0; j < m; j++) {
      b->hint[j] = FSI_TRACK_NO_HINT;
      if (b->prep[j] == 0) {
        b->h[j] = fsi_tracker_hash(d->tr, &b->ex[j].key);
        fsi_tracker_prefetch_slot(d->tr, b->h[j]);
      }
    }
    for (size_t j = 0; j < m && j < RECORD_AHEAD; j++)
      if (b->prep[j] == 0)
        b->hint[j] = fsi_tracker_prefetch_record(d->tr, b->h[j]);
    for (size_t j = 0; j < m; j++) {
      size_t r = j + RECORD_AHEAD, f = j + FLOW_AHEAD;
      if (r < m && b->prep[r] == 0)
        b->hint[r] = fsi_tracker_prefetch_record(d->tr, b->h[r]);
      if (f < m && b->prep[f] == 0) {
        const fsi_dflow *fl = fsi_tracker_peek_user(d->tr, &b->ex[f].key, b->h[f], b->hint[f]);
        if (fl != NULL && fsi_retired_proto(d, fl) == -2) {
          prefetch_flow(fl);
          if (b->ex[f].l4proto == FS_L4_TCP)
            prefetch_reasm(fl, b->ex[f].orientation);
        }
      }
      if (j + 1 < m && b->prep[j + 1] == 0 && b->ex[j + 1].payload_len > 0) {
        const fsi_dflow *fl =
            fsi_tracker_peek_user(d->tr, &b->ex[j + 1].key, b->h[j + 1], b->hint[j + 1]);
        if (fl != NULL && fsi_retired_proto(d, fl) == -2)
          prefetch_parser(fl);
      }
      int rc = process(d, &pkts[i + j], b->prep[j], &b->ex[j], b->h[j], 1, b->hint[j]);
      if (rc < 0)
        return rc;
    }
    i += m;
  }
  return 0;
}

int fs_driver_advance(fs_driver *d, fs_time_ns now) {
  if (d == NULL)
    return FS_E_INVAL;
  if (now > d->now)
    d->now = now;
  if (d->ex->ops->tick != NULL)
    d->ex->ops->tick(d->ex->self, now);
  tick_flows(d, now);
  d->last_tick = now / d->tick_ns;
  d->ticked = 1;
  int rc = fs_tracker_advance(d->tr, now);
  run_end_list(d, now);
  return rc;
}

int fs_driver_finish(fs_driver *d) {
  if (d == NULL)
    return FS_E_INVAL;
  run_end_list(d, d->now);
  int rc = fs_tracker_flush(d->tr);
  /* Flows the tracker did not end (should be none) still finish their parsers. */
  while (d->live.next != &d->live)
    fsi_dflow_end(d->live.next, NULL, d->now);
  run_end_list(d, d->now);
  if (d->cfg.sink.ops != NULL && d->cfg.sink.ops->flush != NULL)
    d->cfg.sink.ops->flush(d->cfg.sink.self);
  return rc;
}

void fs_driver_counters_get(const fs_driver *d, fs_driver_counters *out) {
  if (out == NULL)
    return;
  fs_driver_counters c;
  if (d == NULL)
    memset(&c, 0, sizeof c);
  else
    c = d->ctr;
  fsi_sized_out(out, &c, sizeof c);
}

fs_tracker *fs_driver_tracker(fs_driver *d) { return d ? d->tr : NULL; }

const fs_extractor *fs_driver_extractor(const fs_driver *d) { return d ? d->ex : NULL; }
