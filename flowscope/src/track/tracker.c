/* SPDX-License-Identifier: MIT */
/*
 * The flow tracker: lookup/insert, per-side accounting, lifecycle state and
 * events, idle timeouts (timer wheel), LRU eviction at max_flows, flush,
 * snapshots. The TCP details are in tcp_zeek.c, the index in index.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "flowscope/metrics.h"
#include "track/track_ahead.h"
#include "track/tcp_fast.h"
#include "track/track_internal.h"
#include "util/sized_out.h"

#define DEFAULT_MAX_FLOWS 262144u

/* ---- configuration ---------------------------------------------------- */

void fs_tracker_config_default(fs_tracker_config *cfg) {
  if (!cfg)
    return;
  memset(cfg, 0, sizeof(*cfg));
  cfg->struct_size = (uint32_t)sizeof(*cfg);
  cfg->max_flows = DEFAULT_MAX_FLOWS;
  /* Suricata's suricata.yaml defaults (flow-timeouts), in seconds. */
  cfg->timeouts[FS_TIMEOUT_TCP] =
      (fs_timeout_class){60 * FS_NS_PER_SEC, 600 * FS_NS_PER_SEC, 60 * FS_NS_PER_SEC};
  cfg->timeouts[FS_TIMEOUT_UDP] = (fs_timeout_class){30 * FS_NS_PER_SEC, 300 * FS_NS_PER_SEC, 0};
  cfg->timeouts[FS_TIMEOUT_ICMP] = (fs_timeout_class){30 * FS_NS_PER_SEC, 300 * FS_NS_PER_SEC, 0};
  cfg->timeouts[FS_TIMEOUT_OTHER] = (fs_timeout_class){30 * FS_NS_PER_SEC, 300 * FS_NS_PER_SEC, 0};
  cfg->tick = FS_NS_PER_SEC;
  cfg->hash_seed = 0x666c6f7773636f70ull; /* fixed per build; live capture should randomise */
  cfg->result_stats = 1;
}

size_t fs_tracker_bytes_per_flow(void) {
  /* One record plus two four-byte index slots. */
  return sizeof(fsi_flow) + 8u;
}

/* ---- memory ----------------------------------------------------------- */

static void *big_alloc(size_t n) {
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return NULL;
#ifdef MADV_HUGEPAGE
  if (n >= (2u << 20))
    (void)madvise(p, n, MADV_HUGEPAGE); /* fault in 2 MiB at a time */
#endif
  return p;
}

static void big_free(void *p, size_t n) {
  if (p)
    munmap(p, n);
}

int fs_tracker_create(fs_tracker **out, const fs_tracker_config *cfg, char *errbuf) {
  if (errbuf)
    errbuf[0] = '\0';
  if (!out)
    return FS_E_INVAL;
  *out = NULL;
  fs_tracker_config c;
  fs_tracker_config_default(&c);
  if (cfg) {
    size_t n = cfg->struct_size;
    if (n < offsetof(fs_tracker_config, metrics_self) + sizeof(void *) || n > sizeof(c)) {
      if (errbuf)
        snprintf(errbuf, FS_ERRBUF_SIZE, "tracker config: bad struct_size %zu", n);
      return FS_E_INVAL;
    }
    memcpy(&c, cfg, n);
    c.struct_size = (uint32_t)sizeof(c);
  }
  if (c.max_flows == 0 || c.max_flows > FSI_MAX_FLOWS) {
    if (errbuf)
      snprintf(errbuf, FS_ERRBUF_SIZE, "tracker: max_flows must be 1..%u (got %u)",
               (unsigned)FSI_MAX_FLOWS, (unsigned)c.max_flows);
    return FS_E_INVAL;
  }
  if (c.tick == 0)
    c.tick = FS_NS_PER_SEC;

  fs_tracker *t = calloc(1, sizeof(*t));
  if (!t)
    return FS_E_NOMEM;
  t->cfg = c;
  t->max_flows = c.max_flows;
  t->nslots = fsi_index_slots_for(c.max_flows);
  t->recs = big_alloc((size_t)c.max_flows * sizeof(fsi_flow));
  t->slots = big_alloc((size_t)t->nslots * sizeof(uint32_t));
  if (!t->recs || !t->slots) {
    big_free(t->recs, (size_t)c.max_flows * sizeof(fsi_flow));
    big_free(t->slots, (size_t)t->nslots * sizeof(uint32_t));
    free(t);
    if (errbuf)
      snprintf(errbuf, FS_ERRBUF_SIZE, "tracker: cannot allocate %u flows", (unsigned)c.max_flows);
    return FS_E_NOMEM;
  }
  memset(t->slots, 0xFF, (size_t)t->nslots * sizeof(uint32_t));
  t->free_head = FSI_NIL;
  t->lru_head = t->lru_tail = FSI_NIL;
  t->last_idx = FSI_NIL;
  for (uint32_t i = 0; i < FSI_TW_SLOTS; i++)
    t->tw_head[i] = FSI_NIL;
  t->tick_ns = c.tick;
  t->next_flow_id = 1;
  t->mem_bytes =
      sizeof(*t) + (size_t)c.max_flows * sizeof(fsi_flow) + (size_t)t->nslots * sizeof(uint32_t);
  t->ctr.struct_size = (uint32_t)sizeof(t->ctr);
  t->ctr.memory_bytes = t->mem_bytes;
  *out = t;
  return FS_OK;
}

void fs_tracker_destroy(fs_tracker *t) {
  if (!t)
    return;
  big_free(t->recs, (size_t)t->max_flows * sizeof(fsi_flow));
  big_free(t->slots, (size_t)t->nslots * sizeof(uint32_t));
  free(t);
}

/* ---- small helpers ---------------------------------------------------- */

static uint32_t proto_class(uint32_t proto) {
  switch (proto) {
  case FS_L4_TCP: return FS_TIMEOUT_TCP;
  case FS_L4_UDP: return FS_TIMEOUT_UDP;
  case FS_L4_ICMP:
  case FS_L4_ICMPV6: return FS_TIMEOUT_ICMP;
  default: return FS_TIMEOUT_OTHER;
  }
}

/* 0 = new, 1 = established, 2 = closed (Suricata's state classes). */
static uint32_t state_class(const fsi_flow *f) {
  if (f->key.proto == FS_L4_TCP) {
    switch (f->state) {
    case FS_STATE_SYN_SENT:
    case FS_STATE_SYN_RECEIVED: return 0;
    case FS_STATE_CLOSED:
    case FS_STATE_RESET: return 2;
    default: return 1;
    }
  }
  return (f->side[0].packets && f->side[1].packets) ? 1 : 0;
}

static uint32_t compute_timeout_ms(const fs_tracker *t, const fsi_flow *f) {
  const fs_timeout_class *tc = &t->cfg.timeouts[proto_class(f->key.proto)];
  uint32_t cls = state_class(f);
  fs_time_ns d = cls == 0 ? tc->new_ : (cls == 1 ? tc->established : tc->closed);
  if (cls == 2 && f->key.proto != FS_L4_TCP)
    d = tc->established;
  if (t->cfg.idle_timeout_fn)
    d = t->cfg.idle_timeout_fn(t->cfg.idle_timeout_ctx, &f->key, f->state, d);
  uint64_t ms = d / 1000000u;
  return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

fs_time_ns fsi_flow_last_seen(const fsi_flow *f) {
  return f->side[0].last_seen > f->side[1].last_seen ? f->side[0].last_seen : f->side[1].last_seen;
}

static fs_time_ns flow_first_seen(const fsi_flow *f) {
  if (!f->side[1].packets)
    return f->side[0].first_seen;
  if (!f->side[0].packets)
    return f->side[1].first_seen;
  return f->side[0].first_seen < f->side[1].first_seen ? f->side[0].first_seen
                                                       : f->side[1].first_seen;
}

/* The idle deadline of @p f whose latest packet time is @p last. */
static inline fs_time_ns deadline_from(const fs_tracker *t, const fsi_flow *f, fs_time_ns last) {
  fs_time_ns d = last + (fs_time_ns)f->timeout_ms * 1000000u;
  /* Zeek's connection attempt: no answer within the attempt time after the
   * SYN ends the attempt even if the originator keeps sending. */
  if (t->cfg.syn_attempt_timeout && f->state == FS_STATE_SYN_SENT &&
      f->side[FS_SIDE_INITIATOR].packets) {
    fs_time_ns a = f->side[FS_SIDE_INITIATOR].first_seen + t->cfg.syn_attempt_timeout;
    if (a < d)
      d = a;
  }
  return d;
}

fs_time_ns fsi_flow_deadline(const fs_tracker *t, const fsi_flow *f) {
  return deadline_from(t, f, fsi_flow_last_seen(f));
}

static uint64_t dgram_wire_payload(const fs_extract_result *ex) {
  if (ex->payload && ex->l3 && ex->payload >= ex->l3) {
    uint64_t hdr = (uint64_t)(ex->payload - ex->l3);
    if (hdr <= ex->ip_len)
      return ex->ip_len - hdr;
  }
  return ex->payload_len;
}

void fsi_fill_stats(const fs_tracker *t, const fsi_flow *f, fs_flow_stats *st) {
  memset(st, 0, sizeof(*st));
  st->struct_size = (uint32_t)sizeof(*st);
  st->state = f->state;
  st->l4proto = f->key.proto;
  st->first_seen = flow_first_seen(f);
  st->last_seen = fsi_flow_last_seen(f);
  for (uint32_t s = 0; s < 2; s++) {
    fs_side_stats *ss = &st->side[s];
    ss->struct_size = (uint32_t)sizeof(*ss);
    ss->packets = f->side[s].packets;
    ss->ip_bytes = f->side[s].ip_bytes;
    ss->first_seen = f->side[s].first_seen;
    ss->last_seen = f->side[s].last_seen;
    if (f->key.proto == FS_L4_TCP) {
      ss->payload_bytes = fsi_tcp_size(f, s);
      ss->missed_bytes = f->u.tcp[s].missed;
    } else {
      ss->payload_bytes = f->u.dg[s].payload;
    }
  }
  memcpy(st->history, f->hist, f->hist_len);
  st->history[f->hist_len] = '\0';
  const char *cs = fsi_conn_state(f);
  memcpy(st->conn_state, cs, strlen(cs) + 1);
  if (f->service && f->service <= t->n_services)
    memcpy(st->service, t->services[f->service - 1], sizeof(st->service));
  st->flow_id = f->flow_id;
  st->flipped = (f->flags & FSI_F_FLIPPED) ? 1u : 0u;
}

static void emit(fs_tracker *t, fs_event *ev) {
  if (t->cfg.sink.ops && t->cfg.sink.ops->on_event)
    t->cfg.sink.ops->on_event(t->cfg.sink.self, ev);
}

static inline int have_sink(const fs_tracker *t) {
  return t->cfg.sink.ops && t->cfg.sink.ops->on_event;
}

static void flow_event(fs_tracker *t, fsi_flow *f, uint32_t type, fs_time_ns ts, uint32_t side,
                       uint32_t prev_state, uint32_t reason, const fs_packet_view *pkt) {
  if (!have_sink(t))
    return;
  fsi_fill_stats(t, f, &t->scratch);
  t->scratch.end_reason = reason;
  fs_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.struct_size = (uint32_t)sizeof(ev);
  ev.type = type;
  ev.ts = ts;
  ev.key = &f->key;
  ev.stats = &t->scratch;
  ev.side = side;
  ev.state = f->state;
  ev.prev_state = prev_state;
  ev.end_reason = reason;
  ev.packet = pkt;
  ev.flow_user = f->user;
  ev.orientation = (f->flags & FSI_F_INIT_B2A) ? FS_ORIENT_B_TO_A : FS_ORIENT_A_TO_B;
  emit(t, &ev);
}

/* ---- LRU -------------------------------------------------------------- */

static void lru_unlink(fs_tracker *t, uint32_t idx) {
  fsi_flow *f = &t->recs[idx];
  if (f->lru_prev != FSI_NIL)
    t->recs[f->lru_prev].lru_next = f->lru_next;
  else
    t->lru_head = f->lru_next;
  if (f->lru_next != FSI_NIL)
    t->recs[f->lru_next].lru_prev = f->lru_prev;
  else
    t->lru_tail = f->lru_prev;
  f->lru_prev = f->lru_next = FSI_NIL;
}

static void lru_push_front(fs_tracker *t, uint32_t idx) {
  fsi_flow *f = &t->recs[idx];
  f->lru_prev = FSI_NIL;
  f->lru_next = t->lru_head;
  if (t->lru_head != FSI_NIL)
    t->recs[t->lru_head].lru_prev = idx;
  t->lru_head = idx;
  if (t->lru_tail == FSI_NIL)
    t->lru_tail = idx;
}

/* ---- ending flows ----------------------------------------------------- */

void fsi_flow_end(fs_tracker *t, uint32_t idx, uint32_t reason, fs_time_ns ts) {
  fsi_flow *f = &t->recs[idx];
  if (!(f->flags & FSI_F_LIVE))
    return;
  uint32_t prev = f->state;
  if (reason == FS_END_IDLE_TIMEOUT || reason == FS_END_FLUSH) {
    /* A closed or reset TCP flow that lingered ends for its real reason;
     * an open one that went idle was aborted. */
    if (f->state == FS_STATE_CLOSED || f->state == FS_STATE_CLOSING)
      reason = FS_END_FIN;
    else if (f->state == FS_STATE_RESET)
      reason = FS_END_RST;
    else if (t->cfg.tcp_close_delay && f->key.proto == FS_L4_TCP && fsi_tcp_close_done(f))
      reason = FS_END_FIN; /* a half close Zeek calls complete (tcp_close_delay) */
    else if (reason == FS_END_IDLE_TIMEOUT && f->key.proto == FS_L4_TCP)
      f->state = FS_STATE_ABORTED;
  }
  if (f->state != prev)
    flow_event(t, f, FS_EV_STATE_CHANGE, ts, 0, prev, FS_END_NONE, NULL);
  flow_event(t, f, FS_EV_FLOW_ENDED, ts, 0, f->state, reason, NULL);
  if (t->cfg.metrics && t->cfg.metrics->histogram_record) {
    fs_time_ns first = flow_first_seen(f), last = fsi_flow_last_seen(f);
    t->cfg.metrics->histogram_record(t->cfg.metrics_self, FS_METRIC_TRACK_FLOW_DURATION, NULL, 0,
                                     (double)(last - first) / 1e9);
  }
  t->ctr.flows_ended++;
  if (reason < 16)
    t->ctr.ended_by_reason[reason]++;
  if (f->flags & FSI_F_HIST_TRUNC)
    t->hist_truncated++;

  lru_unlink(t, idx);
  if (!t->flushing) {
    fsi_wheel_unlink(t, idx);
    fsi_index_remove(t, fsi_key_hash(t, &f->key), idx);
  }
  f->flags = 0;
  f->user = NULL;
  f->lru_next = t->free_head;
  t->free_head = idx;
  if (t->last_idx == idx)
    t->last_idx = FSI_NIL;
  t->live--;
}

/* ---- ticks ------------------------------------------------------------ */

static void report_metrics(fs_tracker *t) {
  const fs_metrics_ops *m = t->cfg.metrics;
  if (!m)
    return;
  if (m->gauge_set)
    m->gauge_set(t->cfg.metrics_self, FS_METRIC_TRACK_FLOWS_ACTIVE, NULL, 0, (double)t->live);
  if (m->counter_add) {
    void *s = t->cfg.metrics_self;
    m->counter_add(s, FS_METRIC_TRACK_PACKETS, NULL, 0, t->ctr.packets - t->reported.packets);
    m->counter_add(s, FS_METRIC_TRACK_FLOWS_CREATED, NULL, 0,
                   t->ctr.flows_created - t->reported.flows_created);
    m->counter_add(s, FS_METRIC_TRACK_FLOWS_ENDED, NULL, 0,
                   t->ctr.flows_ended - t->reported.flows_ended);
    m->counter_add(s, FS_METRIC_TRACK_FLOWS_EVICTED, NULL, 0,
                   t->ctr.flows_evicted - t->reported.flows_evicted);
    m->counter_add(s, FS_METRIC_TRACK_TIME_BACKWARDS, NULL, 0,
                   t->ctr.time_backwards - t->reported.time_backwards);
  }
  t->reported = t->ctr;
}

/* Once per tick: the global eviction-pressure anomaly, then metrics. */
static void tick_boundary(fs_tracker *t, fs_time_ns ts) {
  if (t->evicted_this_tick) {
    t->ctr.pressure_anomalies++;
    if (have_sink(t)) {
      fs_anomaly an;
      memset(&an, 0, sizeof(an));
      an.struct_size = (uint32_t)sizeof(an);
      an.kind = FS_ANOM_EVICTION_PRESSURE;
      an.count = t->evicted_this_tick;
      an.total = t->ctr.flows_evicted;
      an.detail = "flow table full: least recently used flows evicted";
      fs_event ev;
      memset(&ev, 0, sizeof(ev));
      ev.struct_size = (uint32_t)sizeof(ev);
      ev.type = FS_EV_ANOMALY;
      ev.ts = ts;
      ev.anomaly = &an;
      emit(t, &ev);
    }
    t->evicted_this_tick = 0;
  }
  report_metrics(t);
}

static void move_time(fs_tracker *t, fs_time_ns now) {
  if (t->wheel_started && now < t->next_tick_ns)
    return; /* the common case: same tick, no division */
  uint64_t tick = now / t->tick_ns;
  if (!t->wheel_started) {
    t->wheel_started = 1;
    t->now_tick = tick;
  } else if (tick > t->now_tick) {
    tick_boundary(t, now);
    fsi_wheel_advance(t, tick);
  }
  t->tick_start_ns = (fs_time_ns)t->now_tick * t->tick_ns;
  t->next_tick_ns = t->tick_start_ns + t->tick_ns;
}

int fs_tracker_advance(fs_tracker *t, fs_time_ns now) {
  if (!t)
    return FS_E_INVAL;
  if (now < t->max_ts)
    return FS_OK; /* time never runs backwards for the wheel */
  t->max_ts = now;
  move_time(t, now);
  return FS_OK;
}

/* ---- creating flows --------------------------------------------------- */

static uint32_t alloc_record(fs_tracker *t, fs_time_ns ts) {
  if (t->live >= t->max_flows) {
    uint32_t victim = t->lru_tail;
    t->ctr.flows_evicted++;
    t->evicted_this_tick++;
    fsi_flow_end(t, victim, FS_END_EVICTED, ts);
  }
  uint32_t idx;
  if (t->free_head != FSI_NIL) {
    idx = t->free_head;
    t->free_head = t->recs[idx].lru_next;
  } else {
    idx = t->next_unused++;
  }
  return idx;
}

static uint32_t create_flow(fs_tracker *t, const fs_extract_result *ex, uint64_t h, fs_time_ns ts) {
  uint32_t idx = alloc_record(t, ts);
  fsi_flow *f = &t->recs[idx];
  memset(f, 0, sizeof(*f));
  memcpy(&f->key, &ex->key, sizeof(f->key));
  f->lru_prev = f->lru_next = f->tw_prev = f->tw_next = FSI_NIL;
  f->flow_id = t->next_flow_id++;
  f->flags = FSI_F_LIVE;

  /* Orientation: the sender of the first packet is the initiator, unless
   * Zeek's port heuristics say the first packet came from the server. */
  int flip = 0;
  if (ex->key.proto == FS_L4_TCP && ex->has_tcp) {
    fsi_tcp_first_packet_orientation(ex, &flip);
    f->state = FS_STATE_MIDSTREAM;
  } else if (ex->key.proto == FS_L4_UDP) {
    flip = fsi_udp_first_packet_flip(ex);
    f->state = FS_STATE_ACTIVE;
  } else {
    f->state = FS_STATE_ACTIVE;
  }
  if (ex->key.flags & FS_KEYF_UNIDIR)
    flip = 0;
  uint32_t init_orient = (ex->orientation & 1u) ^ (uint32_t)flip;
  if (init_orient == FS_ORIENT_B_TO_A)
    f->flags |= FSI_F_INIT_B2A;
  if (flip) {
    f->flags |= FSI_F_FLIPPED;
    fsi_hist_add(f, '^');
  }
  f->side[0].last_seen = f->side[1].last_seen = ts; /* provisional, for the first deadline */
  f->timeout_ms = compute_timeout_ms(t, f);

  fsi_index_insert(t, h, idx);
  lru_push_front(t, idx);
  t->live++;
  t->ctr.flows_created++;
  return idx;
}

/* ---- the packet path -------------------------------------------------- */

static void bad_checksum(fs_tracker *t, fsi_flow *f, uint32_t s, fs_time_ns ts) {
  t->ctr.checksum_bad++;
  if (!f->side[s].first_seen)
    f->side[s].first_seen = ts;
  if (ts > f->side[s].last_seen)
    f->side[s].last_seen = ts;
  if (f->key.proto == FS_L4_TCP) {
    fsi_tcp_side *e = &f->u.tcp[s];
    uint8_t c = (uint8_t)(e->gap_chk >> 4);
    if (c < 15) {
      c++;
      e->gap_chk = (uint8_t)((e->gap_chk & 0x0F) | (c << 4));
      fsi_hist_scaled(f, s, 'C', c);
    }
  } else if (f->u.dg[s].chk_cnt < UINT16_MAX) {
    f->u.dg[s].chk_cnt++;
    fsi_hist_scaled(f, s, 'C', f->u.dg[s].chk_cnt);
  }
}

static void fill_result(fs_tracker *t, fsi_flow *f, fs_track_result *res, uint32_t s,
                        uint32_t is_new) {
  if (!res)
    return;
  res->side = s;
  res->is_new = is_new;
  res->state = f->state;
  res->user = &f->user;
  if (t->cfg.result_stats) {
    fsi_fill_stats(t, f, &t->res_scratch);
    res->stats = &t->res_scratch;
  } else {
    res->stats = NULL;
  }
  res->key = &f->key;
  res->flow_id = f->flow_id;
  res->ended = 0;
}

/* One packet; @p h is the key's hash when @p hashed (the batch path hashed
 * ahead), else computed here only if the one-entry cache misses. @p hint is
 * the record the batch path guessed for the key (or FSI_NIL): when it is
 * live and holds the key it is the flow, and the index is not probed.
 * Inlined into each caller: with their constant arguments (no result, hash
 * known or not, no hint) the compiler drops the branches that do not apply,
 * and the batch loop makes no call per packet. */
static inline __attribute__((always_inline)) int track_one(fs_tracker *t, const fs_packet_view *pkt,
                                                           const fs_extract_result *ex,
                                                           fs_track_result *res, uint64_t h,
                                                           int hashed, uint32_t hint) {
  fs_time_ns ts = pkt ? pkt->ts : t->max_ts;
  if (ts < t->max_ts) {
    t->ctr.time_backwards++;
    if (t->cfg.monotonic)
      ts = t->max_ts;
  } else {
    t->max_ts = ts;
  }
  move_time(t, t->max_ts);
  t->ctr.packets++;

  /* One-entry cache first: back-to-back packets of one flow skip hashing.
   * With the hash known (the batch path), a different hash rules the cached
   * flow out without comparing keys. */
  uint32_t idx = t->last_idx;
  if (idx == FSI_NIL || (hashed && h != t->last_hash) || !fsi_key_eq(&t->recs[idx].key, &ex->key)) {
    if (!hashed)
      h = fsi_key_hash(t, &ex->key);
    hashed = 1;
    if (hint != FSI_NIL && (t->recs[hint].flags & FSI_F_LIVE) &&
        fsi_key_eq(&t->recs[hint].key, &ex->key))
      idx = hint; /* live keys are unique: this is the indexed flow */
    else
      idx = fsi_index_find(t, &ex->key, h);
  }
  uint32_t is_new = 0;
  const int is_tcp = ex->key.proto == FS_L4_TCP && ex->has_tcp;
  fs_time_ns last = 0;
  if (idx != FSI_NIL) {
    /* Expired but not yet swept (the wheel runs at tick granularity): the
     * old flow ends at its deadline and this packet starts a new one. */
    last = fsi_flow_last_seen(&t->recs[idx]);
    fs_time_ns d = deadline_from(t, &t->recs[idx], last);
    if (d < ts) {
      fsi_flow_end(t, idx, FS_END_IDLE_TIMEOUT, d);
      idx = FSI_NIL;
    }
  }
  if (idx != FSI_NIL && is_tcp && (ex->tcp.flags & FS_TCP_SYN) &&
      fsi_tcp_is_reuse(&t->recs[idx], fsi_side_of(&t->recs[idx], ex->orientation), ex)) {
    /* A new SYN on a finished (or different-ISN) connection: Zeek starts a
     * new connection; the old one ends for its own reason. */
    fsi_flow *old = &t->recs[idx];
    uint32_t r = old->state == FS_STATE_RESET ? FS_END_RST
                 : (old->state == FS_STATE_CLOSED || old->state == FS_STATE_CLOSING)
                     ? FS_END_FIN
                     : FS_END_REUSED;
    fsi_flow_end(t, idx, r, ts);
    idx = FSI_NIL;
  }
  if (idx == FSI_NIL) {
    if (!hashed)
      h = fsi_key_hash(t, &ex->key);
    hashed = 1;
    idx = create_flow(t, ex, h, ts);
    is_new = 1;
  } else if (t->lru_head != idx && last < t->tick_start_ns) {
    /* LRU at tick granularity: a flow moves to the head at most once per
     * tick, so round-robin traffic does not rewrite three records' links on
     * every packet. Eviction still takes a flow idle since the oldest tick. */
    lru_unlink(t, idx);
    lru_push_front(t, idx);
  }
  t->last_idx = idx;
  if (hashed)
    t->last_hash = h; /* else the cache hit: same flow, same hash */

  fsi_flow *f = &t->recs[idx];
  uint32_t s = fsi_side_of(f, ex->orientation);
  fsi_side *sd = &f->side[s];
  if (t->cfg.verify_checksums && !fsi_l4_checksum_ok(ex)) {
    /* Zeek: a bad checksum is recorded ('C', logarithmically) and the
     * packet goes no further: not counted, no state change. */
    bad_checksum(t, f, s, ts);
    if (is_new) {
      f->side[s ^ 1u].last_seen = 0;
      flow_event(t, f, FS_EV_FLOW_STARTED, ts, s, f->state, FS_END_NONE, pkt);
      fsi_wheel_insert(t, idx);
    }
    fill_result(t, f, res, s, is_new);
    return FS_OK;
  }
  if (is_tcp && !is_new && !t->no_fast_path && fsi_tcp_fast_packet(f, s, ex)) {
    /* An in-order segment of an established connection (tcp_fast.h): the
     * counters and sequence numbers move; the state, its timeout class,
     * the close timing and the events other than PACKET cannot change. */
    t->fast_packets++;
    if (!sd->packets)
      sd->first_seen = ts;
    sd->packets++;
    sd->ip_bytes += ex->ip_len;
    if (ts > sd->last_seen || sd->packets == 1)
      sd->last_seen = ts;
    if (t->cfg.emit_packet_events)
      flow_event(t, f, FS_EV_PACKET, ts, s, f->state, FS_END_NONE, pkt);
    fill_result(t, f, res, s, 0);
    return FS_OK;
  }
  const uint32_t prev_class = state_class(f);
  /* Zeek's close timing: once the close is complete the deadline is fixed. */
  const int close_timing = is_tcp && t->cfg.tcp_close_delay != 0;
  const int was_done = close_timing && !is_new && fsi_tcp_close_done(f);
  const fs_time_ns done_deadline = was_done ? fsi_flow_deadline(t, f) : 0;
  if (!sd->packets)
    sd->first_seen = ts;
  sd->packets++;
  sd->ip_bytes += ex->ip_len;
  if (ts > sd->last_seen || sd->packets == 1)
    sd->last_seen = ts;
  if (is_new)
    f->side[s ^ 1u].last_seen = 0;

  const uint32_t prev_state = f->state;
  if (is_tcp) {
    fsi_tcp_packet(t, f, s, ex);
    f->state = (uint8_t)fsi_derive_state(f);
    s = fsi_side_of(f, ex->orientation); /* a flip may have swapped the sides */
  } else if (f->key.proto != FS_L4_TCP) {
    f->u.dg[s].payload += dgram_wire_payload(ex);
    if (f->key.proto == FS_L4_UDP)
      fsi_hist_check(f, s, FSI_H_DATA, 'D');
  }
  /* A TCP packet without its TCP header (cut by the snap length) is
   * counted above and changes nothing else: u holds the TCP endpoints. */

  /* STARTED carries the state after the first packet; later changes are
   * reported as STATE_CHANGE. */
  if (is_new)
    flow_event(t, f, FS_EV_FLOW_STARTED, ts, s, f->state, FS_END_NONE, pkt);
  else if (f->state != prev_state)
    flow_event(t, f, FS_EV_STATE_CHANGE, ts, s, prev_state, FS_END_NONE, pkt);
  if (f->state == FS_STATE_ESTABLISHED && !(f->flags & FSI_F_EST_SENT)) {
    f->flags |= FSI_F_EST_SENT;
    flow_event(t, f, FS_EV_ESTABLISHED, ts, s, prev_state, FS_END_NONE, pkt);
  }
  if (state_class(f) != prev_class || is_new) {
    uint32_t old_to = f->timeout_ms;
    f->timeout_ms = compute_timeout_ms(t, f);
    if (f->timeout_ms < old_to || is_new)
      fsi_wheel_insert(t, idx);
  }
  if (close_timing && fsi_tcp_close_done(f)) {
    fs_time_ns d = was_done ? done_deadline : ts + t->cfg.tcp_close_delay;
    fs_time_ns now_last = fsi_flow_last_seen(f);
    uint64_t ms = d > now_last ? (d - now_last + 999999u) / 1000000u : 0;
    f->timeout_ms = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
    if (!was_done)
      fsi_wheel_insert(t, idx);
  }
  if (t->cfg.emit_packet_events)
    flow_event(t, f, FS_EV_PACKET, ts, s, prev_state, FS_END_NONE, pkt);

  uint32_t ended = 0;
  if ((f->state == FS_STATE_CLOSED || f->state == FS_STATE_RESET) && f->timeout_ms == 0) {
    /* No linger configured for closed flows: end right here. */
    if (res) {
      memcpy(&t->res_key, &f->key, sizeof(t->res_key));
      if (t->cfg.result_stats)
        fsi_fill_stats(t, f, &t->res_scratch);
    }
    uint64_t id = f->flow_id;
    uint32_t st = f->state;
    fsi_flow_end(t, idx, st == FS_STATE_RESET ? FS_END_RST : FS_END_FIN, ts);
    ended = 1;
    if (res) {
      res->side = s;
      res->is_new = is_new;
      res->state = st;
      res->user = NULL;
      res->stats = t->cfg.result_stats ? &t->res_scratch : NULL;
      res->key = &t->res_key;
      res->flow_id = id;
      res->ended = 1;
    }
    return FS_OK;
  }

  (void)ended;
  fill_result(t, f, res, s, is_new);
  return FS_OK;
}

int fs_tracker_track(fs_tracker *t, const fs_packet_view *pkt, const fs_extract_result *ex,
                     fs_track_result *res) {
  if (!t || !ex)
    return FS_E_INVAL;
  return track_one(t, pkt, ex, res, 0, 0, FSI_NIL);
}

int fsi_tracker_track_hashed(fs_tracker *t, const fs_packet_view *pkt, const fs_extract_result *ex,
                             fs_track_result *res, uint64_t h, uint32_t hint) {
  return track_one(t, pkt, ex, res, h, 1, hint);
}

uint64_t fsi_tracker_hash(const fs_tracker *t, const fs_flow_key *key) {
  return fsi_key_hash(t, key);
}

void fsi_tracker_prefetch_slot(const fs_tracker *t, uint64_t h) { fsi_index_prefetch_slot(t, h); }

uint32_t fsi_tracker_prefetch_record(const fs_tracker *t, uint64_t h) {
  return fsi_index_prefetch_record(t, h);
}

void *fsi_tracker_peek_user(const fs_tracker *t, const fs_flow_key *key, uint64_t h,
                            uint32_t hint) {
  /* Live keys are unique: a live record holding the key is the flow. */
  if (hint != FSI_NIL && (t->recs[hint].flags & FSI_F_LIVE) && fsi_key_eq(&t->recs[hint].key, key))
    return t->recs[hint].user;
  uint32_t idx = fsi_index_find(t, key, h);
  return idx == FSI_NIL ? NULL : t->recs[idx].user;
}

/* Packets hashed per round, and how far ahead of the packet being tracked
 * its flow record is fetched (slots are fetched a whole round ahead). */
#define BATCH_ROUND 32u
#define RECORD_AHEAD 4u

/* 1 when two keys are equal; the first eight bytes (kind, protocol, flags,
 * ports) rule most different keys out with one compare. */
static inline int same_key(const fs_flow_key *a, const fs_flow_key *b) {
  uint64_t x, y;
  memcpy(&x, a, sizeof(x));
  memcpy(&y, b, sizeof(y));
  return x == y && fsi_key_eq(a, b);
}

int fs_tracker_track_batch(fs_tracker *t, const fs_packet_view *pkts, const fs_extract_result *exs,
                           size_t n) {
  if (!t || (n && !exs))
    return FS_E_INVAL;
  uint64_t h[BATCH_ROUND];
  uint32_t hint[BATCH_ROUND];
  uint8_t again[BATCH_ROUND]; /* same key as the packet before: nothing to fetch */
  for (size_t base = 0; base < n; base += BATCH_ROUND) {
    const size_t m = n - base < BATCH_ROUND ? n - base : BATCH_ROUND;
    const fs_extract_result *ex = exs + base;
    for (size_t j = 0; j < m; j++) {
      again[j] = j > 0 && same_key(&ex[j].key, &ex[j - 1].key);
      hint[j] = FSI_NIL;
      if (again[j]) {
        h[j] = h[j - 1];
      } else {
        h[j] = fsi_key_hash(t, &ex[j].key);
        fsi_index_prefetch_slot(t, h[j]);
      }
    }
    for (size_t j = 0; j < m && j < RECORD_AHEAD; j++)
      if (!again[j])
        hint[j] = fsi_index_prefetch_record(t, h[j]);
    for (size_t j = 0; j < m; j++) {
      if (j + RECORD_AHEAD < m && !again[j + RECORD_AHEAD])
        hint[j + RECORD_AHEAD] = fsi_index_prefetch_record(t, h[j + RECORD_AHEAD]);
      int rc = track_one(t, pkts ? &pkts[base + j] : NULL, &ex[j], NULL, h[j], 1, hint[j]);
      if (rc != 0)
        return rc;
    }
  }
  return FS_OK;
}

/* ---- host calls ------------------------------------------------------- */

int fs_tracker_flush(fs_tracker *t) {
  if (!t)
    return FS_E_INVAL;
  /* Oldest first, so output order follows last activity. Every flow goes,
   * so the index and the wheel are cleared once at the end instead of one
   * removal (and backward shift) per flow. */
  t->flushing = 1;
  while (t->lru_tail != FSI_NIL)
    fsi_flow_end(t, t->lru_tail, FS_END_FLUSH, t->max_ts);
  t->flushing = 0;
  memset(t->slots, 0xFF, (size_t)t->nslots * sizeof(uint32_t));
  for (uint32_t i = 0; i < FSI_TW_SLOTS; i++)
    t->tw_head[i] = FSI_NIL;
  tick_boundary(t, t->max_ts);
  return FS_OK;
}

static uint32_t find(const fs_tracker *t, const fs_flow_key *key) {
  if (!key)
    return FSI_NIL;
  return fsi_index_find(t, key, fsi_key_hash(t, key));
}

int fs_tracker_end(fs_tracker *t, const fs_flow_key *key, uint32_t reason, fs_time_ns ts) {
  if (!t || !key)
    return FS_E_INVAL;
  uint32_t idx = find(t, key);
  if (idx == FSI_NIL)
    return FS_E_NOTFOUND;
  fsi_flow_end(t, idx, reason, ts ? ts : t->max_ts);
  return FS_OK;
}

int fs_tracker_forget(fs_tracker *t, const fs_flow_key *key) {
  return fs_tracker_end(t, key, FS_END_FORGOTTEN, 0);
}

int fs_tracker_set_service(fs_tracker *t, const fs_flow_key *key, const char *service) {
  if (!t || !key || !service)
    return FS_E_INVAL;
  uint32_t idx = find(t, key);
  if (idx == FSI_NIL)
    return FS_E_NOTFOUND;
  char name[16];
  memset(name, 0, sizeof(name));
  strncpy(name, service, sizeof(name) - 1);
  uint32_t i;
  for (i = 0; i < t->n_services; i++)
    if (memcmp(t->services[i], name, sizeof(name)) == 0)
      break;
  if (i == t->n_services) {
    if (t->n_services >= FSI_MAX_SERVICES)
      return FS_E_LIMIT;
    memcpy(t->services[t->n_services++], name, sizeof(name));
  }
  t->recs[idx].service = (uint8_t)(i + 1);
  return FS_OK;
}

int fs_tracker_lookup(const fs_tracker *t, const fs_flow_key *key, fs_flow_stats *out) {
  if (!t || !key || !out)
    return FS_E_INVAL;
  uint32_t idx = find(t, key);
  if (idx == FSI_NIL)
    return FS_E_NOTFOUND;
  fsi_fill_stats(t, &t->recs[idx], out);
  return FS_OK;
}

int fs_tracker_foreach(const fs_tracker *t, fs_flow_visit_fn fn, void *ctx) {
  if (!t || !fn)
    return FS_E_INVAL;
  fs_flow_stats st;
  for (uint32_t idx = t->lru_head; idx != FSI_NIL; idx = t->recs[idx].lru_next) {
    fsi_fill_stats(t, &t->recs[idx], &st);
    if (fn(ctx, &t->recs[idx].key, &st))
      break;
  }
  return FS_OK;
}

void fs_tracker_counters_get(const fs_tracker *t, fs_tracker_counters *out) {
  if (!t || !out)
    return;
  fs_tracker_counters c = t->ctr;
  c.flows_active = t->live;
  c.memory_bytes = t->mem_bytes;
  c.history_truncated = t->hist_truncated;
  fsi_sized_out(out, &c, sizeof c);
}
