/* SPDX-License-Identifier: MIT */
/*
 * Per-flow state of the driver: allocated from a pool when the tracker
 * creates a flow, holding the two reassemblers, the detection prefix and the
 * parser; freed when the tracker ends the flow. Never ends a flow from inside
 * a reassembler or parser callback: ends are queued and run by driver.c
 * between steps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "drive/drive_internal.h"

/* ---- pool ---- */

/* Size of a record in the pool of TCP flows (@p tcp) or of the others:
 * whole cache lines, so that with 64-byte aligned chunks every record's hot
 * part starts a line. */
static size_t record_size(int tcp) {
  size_t n = tcp ? sizeof(fsi_dflow_tcp) : sizeof(fsi_dflow);
  return (n + 63u) & ~(size_t)63u;
}

static fsi_dflow **free_list(fs_driver *d, int tcp) { return tcp ? &d->free_tcp : &d->free_flows; }

/* A zeroed FSI_POOL_CHUNK_BYTES region aligned to its size, advised for a
 * transparent huge page: every packet reads its flow's record, and with
 * 100,000 live flows 4 KiB pages cost a TLB miss nearly every time. */
static void *chunk_map(void) {
  const size_t n = FSI_POOL_CHUNK_BYTES;
  unsigned char *p = mmap(NULL, 2 * n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return NULL;
  uintptr_t at = ((uintptr_t)p + n - 1) & ~(uintptr_t)(n - 1);
  size_t head = (size_t)(at - (uintptr_t)p);
  if (head > 0)
    munmap(p, head);
  if (n - head > 0)
    munmap((unsigned char *)at + n, n - head);
#ifdef MADV_HUGEPAGE
  (void)madvise((void *)at, n, MADV_HUGEPAGE); /* advice only: 4 KiB pages also work */
#endif
  return (void *)at;
}

static int pool_grow(fs_driver *d, int tcp) {
  if (d->n_chunks == d->cap_chunks) {
    size_t cap = d->cap_chunks ? d->cap_chunks * 2 : 16;
    void **c = realloc(d->chunks, cap * sizeof *c);
    if (c == NULL)
      return -1;
    d->chunks = c;
    d->cap_chunks = cap;
  }
  size_t size = record_size(tcp);
  unsigned char *chunk = chunk_map();
  if (chunk == NULL)
    return -1;
  d->chunks[d->n_chunks++] = chunk;
  fsi_dflow **head = free_list(d, tcp);
  /* Pushed from the end, so records are handed out from the chunk's start. */
  for (size_t i = FSI_POOL_CHUNK_BYTES / size; i-- > 0;) {
    fsi_dflow *fl = (fsi_dflow *)(void *)(chunk + i * size);
    fl->next = *head;
    *head = fl;
  }
  return 0;
}

void fsi_drive_pool_free(fs_driver *d) {
  /* Live flows still hold reassembly memory and parsers (destroy without finish). */
  for (fsi_dflow *fl = d->live.next; fl != &d->live; fl = fl->next) {
    if (fl->parser != NULL) {
      const fs_protocol_desc *p = d->protos[fl->proto].desc;
      if (fl->flags & FSI_DF_TCP)
        p->session->destroy(fl->parser);
      else
        p->datagram->destroy(fl->parser);
    }
    if (fl->flags & FSI_DF_TCP) {
      fsi_reasm_release(&fsi_dflow_rs(fl)[0]);
      fsi_reasm_release(&fsi_dflow_rs(fl)[1]);
    }
    free(fl->tail[0].buf);
    free(fl->tail[1].buf);
    free(fl->probe);
  }
  for (size_t i = 0; i < d->n_chunks; i++)
    munmap(d->chunks[i], FSI_POOL_CHUNK_BYTES);
  free(d->chunks);
  while (d->free_probes != NULL) {
    fsi_probe_buf *p = d->free_probes;
    d->free_probes = p->next_free;
    free(p);
  }
}

/*
 * Reassemblers are indexed by direction (fs_orientation: stable for the
 * flow's life); parsers, tails and stats by side (the tracker may flip which
 * end is the initiator). One mapping serves both ways.
 */
static uint32_t dir_side(const fsi_dflow *fl, uint32_t dir) {
  return (dir ^ (fl->env.initiator_is_a ? 0u : 1u)) & 1u;
}

/* ---- reassembler sinks: direction A->B and B->A ---- */

static int stream_data(fsi_dflow *fl, uint32_t dir, const uint8_t *data, size_t len,
                       fs_time_ns ts) {
  uint32_t side = dir_side(fl, dir);
  if (!(fl->flags & FSI_DF_PARSE))
    return 0; /* flows mode: reassemble for the diagnostics only */
  if (fl->flags & FSI_DF_BYPASS)
    return 1;
  if (fl->flags & FSI_DF_DECIDED)
    fsi_feed_stream(fl, side, data, len, ts);
  else
    fsi_detect_data(fl, side, data, len, ts, 0);
  return (fl->flags & FSI_DF_BYPASS) ? 1 : 0;
}

static int stream_gap(fsi_dflow *fl, uint32_t dir, uint64_t len, fs_time_ns ts) {
  uint32_t side = dir_side(fl, dir);
  /* Reported here, before the bytes after the hole reach the parser. */
  fl->seen[dir].gap += len;
  fsi_dflow_anomaly(fl, side, FS_ANOM_GAP, len, fl->seen[dir].gap, "stream gap skipped", ts);
  if (!(fl->flags & FSI_DF_PARSE))
    return 0;
  if (fl->flags & FSI_DF_BYPASS)
    return 1;
  if (fl->flags & FSI_DF_DECIDED) {
    fsi_feed_gap(fl, side, len, ts);
  } else {
    /* A hole in the prefix: probes cannot decide on broken bytes. */
    fl->cand = 0;
    fsi_detect_data(fl, side, NULL, 0, ts, 0);
  }
  return (fl->flags & FSI_DF_BYPASS) ? 1 : 0;
}

static int data0(void *ctx, const uint8_t *p, size_t n, fs_time_ns ts) {
  return stream_data(ctx, 0, p, n, ts);
}
static int data1(void *ctx, const uint8_t *p, size_t n, fs_time_ns ts) {
  return stream_data(ctx, 1, p, n, ts);
}
static int gap0(void *ctx, uint64_t n, fs_time_ns ts) { return stream_gap(ctx, 0, n, ts); }
static int gap1(void *ctx, uint64_t n, fs_time_ns ts) { return stream_gap(ctx, 1, n, ts); }

fsi_dflow *fsi_dflow_alloc(fs_driver *d, const fs_flow_key *key, uint32_t l4proto,
                           uint32_t initiator_is_a, int32_t revive_proto) {
  int tcp = l4proto == FS_L4_TCP;
  fsi_dflow **head = free_list(d, tcp);
  if (*head == NULL && pool_grow(d, tcp) != 0)
    return NULL;
  fsi_dflow *fl = *head;
  *head = fl->next;
  memset(fl, 0, record_size(tcp));
  fl->d = d;
  fl->key = *key;
  fl->proto = -1;
  fl->in_cb_dir = -1;
  fl->env.initiator_is_a = initiator_is_a;
  /* live list */
  fl->next = d->live.next;
  fl->prev = &d->live;
  d->live.next->prev = fl;
  d->live.next = fl;
  d->live_flows++;
  uint32_t transport = 0;
  if (l4proto == FS_L4_TCP) {
    fl->flags |= FSI_DF_TCP;
    transport = FS_TRANSPORT_TCP;
    fs_stream_sink s0 = {data0, gap0, fl}, s1 = {data1, gap1, fl};
    fsi_reasm_init(&fsi_dflow_rs(fl)[0], &d->cfg.reasm, &s0, &d->budget);
    fsi_reasm_init(&fsi_dflow_rs(fl)[1], &d->cfg.reasm, &s1, &d->budget);
  } else if (l4proto == FS_L4_UDP) {
    transport = FS_TRANSPORT_UDP;
  }
  if (!(transport & d->parse_transports))
    return fl;
  fl->flags |= FSI_DF_PARSE;
  if (revive_proto < 0) {
    fsi_detect_start(fl, transport);
    return fl;
  }
  /* Detection chose this protocol before the flow was retired (and the
   * service is recorded): the parser comes back as it was, fresh. */
  fl->flags |= FSI_DF_DECIDED | FSI_DF_HAD_DATA | FSI_DF_REVIVED;
  fl->proto = revive_proto;
  d->ctr.flows_revived++;
  if (fsi_parser_create(fl) != 0)
    fsi_dflow_bypass(fl); /* create failed: the contract says bypass */
  return fl;
}

/* ---- anomalies ---- */

void fsi_dflow_anomaly(fsi_dflow *fl, uint32_t side, uint32_t kind, uint64_t count, uint64_t total,
                       const char *detail, fs_time_ns ts) {
  fs_driver *d = fl->d;
  if (kind >= 32 || !(d->cfg.anomalies & FS_ANOMALY_BIT(kind)))
    return;
  uint64_t tick = d->tick_ns ? ts / d->tick_ns : 0;
  if (tick != fl->anom_tick) {
    fl->anom_tick = tick;
    fl->anom_sent[0] = fl->anom_sent[1] = 0;
  }
  side &= 1u;
  if (fl->anom_sent[side] & (1u << kind))
    return; /* at most one per (flow, side, kind) per tick */
  fl->anom_sent[side] |= 1u << kind;
  fs_anomaly a;
  memset(&a, 0, sizeof a);
  a.struct_size = sizeof a;
  a.kind = kind;
  a.side = side;
  a.count = count;
  a.total = total;
  a.detail = detail;
  fs_event ev;
  memset(&ev, 0, sizeof ev);
  ev.struct_size = sizeof ev;
  ev.type = FS_EV_ANOMALY;
  ev.ts = ts;
  ev.key = &fl->key;
  ev.stats = fsi_dflow_stats(fl);
  ev.side = side;
  ev.anomaly = &a;
  ev.orientation = fl->env.initiator_is_a ? FS_ORIENT_A_TO_B : FS_ORIENT_B_TO_A;
  fsi_drive_emit(d, &ev);
}

const fs_flow_stats *fsi_dflow_stats(fsi_dflow *fl) {
  if (fl->cur_stats == NULL && fl->stats_lazy) {
    fs_driver *d = fl->d;
    memset(&d->lazy_stats, 0, sizeof d->lazy_stats);
    d->lazy_stats.struct_size = sizeof d->lazy_stats;
    if (fs_tracker_lookup(d->tr, &fl->key, &d->lazy_stats) == 0)
      fl->cur_stats = &d->lazy_stats;
    fl->stats_lazy = 0; /* once per packet: later events reuse it */
  }
  return fl->cur_stats;
}

/* Reports what reassembly of direction @p dir did since the last look. */
static void reasm_anomalies(fsi_dflow *fl, uint32_t dir, fs_time_ns ts) {
  const fs_reasm_stats *now = &fsi_dflow_crs(fl)[dir].st;
  fsi_dseen *s = &fl->seen[dir];
  /* Runs after every segment: nearly always nothing changed. */
  if (now->ooo_segments == s->ooo && now->dropped_segments == s->dropped &&
      now->overlap_mismatch == s->mismatch && now->gap_bytes == s->gap)
    return;
  fs_reasm_stats st;
  fsi_reasm_stats(&fsi_dflow_rs(fl)[dir], &st);
  uint32_t side = dir_side(fl, dir);
  if (st.ooo_segments > s->ooo)
    fsi_dflow_anomaly(fl, side, FS_ANOM_OUT_OF_ORDER, st.ooo_segments - s->ooo, st.ooo_segments,
                      "segment held out of order", ts);
  if (st.dropped_segments > s->dropped)
    fsi_dflow_anomaly(fl, side, FS_ANOM_BUFFER_OVERFLOW, st.dropped_bytes, st.dropped_bytes,
                      st.poisoned ? "reassembly limit: flow dropped"
                                  : "reassembly limit: oldest hole skipped",
                      ts);
  if (st.overlap_mismatch > s->mismatch)
    fsi_dflow_anomaly(fl, side, FS_ANOM_OVERLAP_MISMATCH, st.overlap_mismatch - s->mismatch,
                      st.overlap_mismatch, "retransmitted bytes differ from the first copy", ts);
  if (st.gap_bytes > s->gap)
    fsi_dflow_anomaly(fl, side, FS_ANOM_GAP, st.gap_bytes - s->gap, st.gap_bytes,
                      "stream gap skipped", ts);
  s->ooo = st.ooo_segments;
  s->dropped = st.dropped_segments;
  s->mismatch = st.overlap_mismatch;
  s->gap = st.gap_bytes;
}

/* ---- bypass and ends ---- */

void fsi_dflow_bypass(fsi_dflow *fl) {
  fl->flags |= FSI_DF_BYPASS;
  if (fl->probe != NULL) {
    fsi_probe_release(fl->d, fl->probe);
    fl->probe = NULL;
  }
  /* Unconsumed bytes are never handed again (a TLS parser says done after
   * the handshake): the buffers go now, not at the flow's timeout. */
  for (uint32_t s = 0; s < 2; s++) {
    fl->tail[s].len = 0;
    fsi_tail_trim(fl, s);
  }
  /* Stop reassembly; the side delivering right now stops through its sink's return. */
  if (fl->flags & FSI_DF_TCP)
    for (int s = 0; s < 2; s++)
      if (s != fl->in_cb_dir)
        fsi_reasm_stop(&fsi_dflow_rs(fl)[s]);
}

void fsi_dflow_schedule_end(fsi_dflow *fl, uint32_t reason) {
  if (fl->flags & (FSI_DF_ENDING | FSI_DF_END_QUEUED))
    return;
  fl->flags |= FSI_DF_END_QUEUED;
  fl->end_reason = reason;
  fl->end_next = fl->d->end_list;
  fl->d->end_list = fl;
}

static void unqueue_end(fsi_dflow *fl) {
  if (!(fl->flags & FSI_DF_END_QUEUED))
    return;
  for (fsi_dflow **pp = &fl->d->end_list; *pp != NULL; pp = &(*pp)->end_next)
    if (*pp == fl) {
      *pp = fl->end_next;
      break;
    }
  fl->flags &= ~FSI_DF_END_QUEUED;
}

/* Tells the parser a side closed once every byte up to its FIN was delivered. */
static void check_end_side(fsi_dflow *fl, uint32_t dir, fs_time_ns ts) {
  uint32_t side = dir_side(fl, dir);
  uint32_t bit = side ? FSI_DF_END_SIDE1 : FSI_DF_END_SIDE0;
  const fsi_reasm *r = &fsi_dflow_rs(fl)[dir];
  if ((fl->flags & bit) || !r->have_fin || r->next_off < r->fin_off || fl->parser == NULL ||
      (fl->flags & (FSI_DF_BYPASS | FSI_DF_POISONED)))
    return;
  fl->flags |= bit;
  const fs_session_parser_ops *ops = fl->d->protos[fl->proto].desc->session;
  if (ops->end_side != NULL)
    fsi_parse_status(fl, side, ops->end_side(fl->parser, side, ts), ts);
  /* Every byte up to the FIN was delivered: the side's buffer is done with. */
  fsi_tail_trim(fl, side);
  /* Both sides closed: no byte can reach the parser any more. If it holds
   * nothing finish would emit, it goes now, not at the flow's end (the
   * closed timeout can be a minute), and the flow is bypassed. */
  const uint32_t both = FSI_DF_END_SIDE0 | FSI_DF_END_SIDE1;
  if ((fl->flags & both) == both && !(fl->flags & (FSI_DF_BYPASS | FSI_DF_ENDING)) &&
      fsi_parser_release_done(fl, ts))
    fsi_dflow_bypass(fl);
}

/*
 * A segment's ACK acknowledges the other direction @p odir: holes in it that
 * the peer acknowledged were lost by the capture, not the network, so they
 * go to the parser as gaps now rather than at the gap timeout. Applied
 * before the segment's own data: the ack speaks of what was sent earlier.
 */
static void ack_other(fsi_dflow *fl, uint32_t odir, uint32_t ack, fs_time_ns ts) {
  fl->in_cb_dir = (int32_t)odir;
  (void)fsi_reasm_ack(&fsi_dflow_rs(fl)[odir], ack, ts);
  fl->in_cb_dir = -1;
  reasm_anomalies(fl, odir, ts);
  check_end_side(fl, odir, ts);
}

static int tick_fn_of(const fsi_dflow *fl);
static void tick_link(fsi_dflow *fl);

void fsi_dflow_segment(fsi_dflow *fl, uint32_t dir, const fs_extract_result *ex, fs_time_ns ts) {
  if (!(fl->flags & FSI_DF_TCP) || (fl->flags & FSI_DF_OVERFLOW))
    return;
  if (ex->payload_len > 0)
    fl->flags |= FSI_DF_HAD_DATA;
  dir &= 1u;
  if ((ex->tcp.flags & FS_TCP_ACK) && fsi_reasm_has_hole(&fsi_dflow_rs(fl)[dir ^ 1u]))
    ack_other(fl, dir ^ 1u, ex->tcp.ack, ts);
  fsi_reasm *r = &fsi_dflow_rs(fl)[dir];
  fl->in_cb_dir = (int32_t)dir;
  int rc = fsi_reasm_segment(r, ex->tcp.seq, ex->tcp.flags, ex->payload, ex->payload_len, ts);
  if (rc == 0 && ex->tcp.payload_wire_len > ex->payload_len) {
    /* Cut by the snap length: the rest of this segment will never be seen. */
    uint32_t data_seq = ex->tcp.seq + ((ex->tcp.flags & FS_TCP_SYN) ? 1u : 0u);
    (void)fsi_reasm_lost(r, data_seq + ex->payload_len, ex->tcp.payload_wire_len - ex->payload_len,
                         ts);
  }
  fl->in_cb_dir = -1;
  reasm_anomalies(fl, dir, ts);
  if (rc == FS_E_LIMIT && !(fl->flags & FSI_DF_OVERFLOW)) {
    fl->flags |= FSI_DF_OVERFLOW;
    fsi_dflow_bypass(fl);
    fsi_dflow_schedule_end(fl, FS_END_BUFFER_OVERFLOW);
    return;
  }
  check_end_side(fl, dir, ts);
  /* Only this direction's held ranges are read: the other direction's line
   * is cold, and its count only grows in its own segments, each followed by
   * this check (acks, losses and ticks only deliver what it holds). So if
   * it holds ranges, the flow is on the tick list already. */
  if (!(fl->flags & FSI_DF_TICKS) && (r->n_ranges != 0 || tick_fn_of(fl)))
    tick_link(fl);
}

void fsi_dflow_datagram(fsi_dflow *fl, uint32_t side, const uint8_t *data, size_t len,
                        fs_time_ns ts) {
  if (!(fl->flags & FSI_DF_PARSE) || (fl->flags & FSI_DF_BYPASS))
    return;
  fl->flags |= FSI_DF_HAD_DATA;
  if (fl->flags & FSI_DF_DECIDED)
    fsi_feed_datagram(fl, side, data, len, ts);
  else
    fsi_detect_data(fl, side, data, len, ts, 1);
}

static int tick_fn_of(const fsi_dflow *fl) {
  if (fl->parser == NULL || (fl->flags & (FSI_DF_POISONED | FSI_DF_BYPASS)))
    return 0;
  const fs_protocol_desc *p = fl->d->protos[fl->proto].desc;
  return (fl->flags & FSI_DF_TCP) ? p->session->tick != NULL : p->datagram->tick != NULL;
}

/* Whether fsi_dflow_tick would do anything for @p fl now. */
static int needs_ticks(const fsi_dflow *fl) {
  if ((fl->flags & FSI_DF_TCP) &&
      (fsi_dflow_crs(fl)[0].n_ranges != 0 || fsi_dflow_crs(fl)[1].n_ranges != 0))
    return 1;
  return tick_fn_of(fl);
}

static void tick_unlink(fsi_dflow *fl) {
  if (!(fl->flags & FSI_DF_TICKS))
    return;
  fl->tick_prev->tick_next = fl->tick_next;
  fl->tick_next->tick_prev = fl->tick_prev;
  fl->tick_prev = fl->tick_next = NULL;
  fl->flags &= ~FSI_DF_TICKS;
}

static void tick_link(fsi_dflow *fl) {
  fsi_dflow *head = &fl->d->ticks;
  fl->tick_next = head->tick_next;
  fl->tick_prev = head;
  head->tick_next->tick_prev = fl;
  head->tick_next = fl;
  fl->flags |= FSI_DF_TICKS;
}

void fsi_dflow_tick_check(fsi_dflow *fl) {
  if (!(fl->flags & FSI_DF_TICKS) && needs_ticks(fl))
    tick_link(fl);
}

void fsi_dflow_tick(fsi_dflow *fl, fs_time_ns now) {
  if (fl->flags & FSI_DF_TCP) {
    for (uint32_t s = 0; s < 2; s++) {
      if (fsi_dflow_rs(fl)[s].n_ranges == 0)
        continue;
      fl->in_cb_dir = (int32_t)s;
      (void)fsi_reasm_tick(&fsi_dflow_rs(fl)[s], now);
      fl->in_cb_dir = -1;
      reasm_anomalies(fl, s, now);
      check_end_side(fl, s, now);
    }
  }
  if (fl->parser != NULL && !(fl->flags & (FSI_DF_POISONED | FSI_DF_BYPASS))) {
    const fs_protocol_desc *p = fl->d->protos[fl->proto].desc;
    int (*tick)(void *, fs_time_ns) =
        (fl->flags & FSI_DF_TCP) ? p->session->tick : p->datagram->tick;
    if (tick != NULL)
      fsi_parse_status(fl, 0, tick(fl->parser, now), now);
  }
  if (!needs_ticks(fl))
    tick_unlink(fl);
}

static void patch_side(fs_side_stats *s, const fs_reasm_stats *st, uint64_t extra_dropped) {
  if (!FS_HAS_MEMBER(s, fs_side_stats, reasm_high_watermark))
    return;
  s->reasm_ooo_segments = st->ooo_segments;
  s->reasm_dropped_segments = st->dropped_segments;
  s->reasm_dropped_bytes = st->dropped_bytes + extra_dropped;
  s->reasm_overlap_mismatch = st->overlap_mismatch;
  s->reasm_high_watermark = st->high_watermark;
}

void fsi_dflow_patch_none(fs_flow_stats *stats) {
  fs_reasm_stats st;
  memset(&st, 0, sizeof st);
  patch_side(&stats->side[0], &st, 0);
  patch_side(&stats->side[1], &st, 0);
}

void fsi_dflow_patch_stats(const fsi_dflow *fl, fs_flow_stats *stats) {
  for (uint32_t s = 0; s < 2; s++) {
    fs_reasm_stats st;
    memset(&st, 0, sizeof st);
    if (fl->flags & FSI_DF_TCP)
      fsi_reasm_stats(&fsi_dflow_crs(fl)[dir_side(fl, s)], &st);
    patch_side(&stats->side[s], &st, fl->tail_dropped[s]);
  }
}

void fsi_dflow_end(fsi_dflow *fl, fs_flow_stats *stats, fs_time_ns ts) {
  fs_driver *d = fl->d;
  fl->flags |= FSI_DF_ENDING;
  fl->cur_stats = stats; /* messages and anomalies of the end carry the final stats */
  unqueue_end(fl);
  if (fl->flags & FSI_DF_TCP) {
    /* Held bytes and holes reach the parser before it finishes. */
    for (uint32_t s = 0; s < 2; s++) {
      fl->in_cb_dir = (int32_t)s;
      (void)fsi_reasm_finish(&fsi_dflow_rs(fl)[s], ts);
      fl->in_cb_dir = -1;
      reasm_anomalies(fl, s, ts);
      check_end_side(fl, s, ts);
    }
  }
  if ((fl->flags & FSI_DF_PARSE) && !(fl->flags & FSI_DF_DECIDED) &&
      (fl->flags & FSI_DF_HAD_DATA) && !(fl->flags & FSI_DF_UNCLAIMED) && fl->handoffs == 0) {
    fl->flags |= FSI_DF_UNCLAIMED; /* ended before any probe said yes */
    d->ctr.detect_unclaimed++;
  }
  if (fl->parser != NULL) {
    /* Looked up now: the held bytes above may have chosen a protocol or
     * handed off to another one. */
    const fs_protocol_desc *p = d->protos[fl->proto].desc;
    /* A poisoned parser is not asked to finish: its state is not trusted. */
    if (fl->flags & FSI_DF_TCP) {
      if (!(fl->flags & FSI_DF_POISONED))
        p->session->finish(fl->parser, ts);
      p->session->destroy(fl->parser);
    } else {
      if (!(fl->flags & FSI_DF_POISONED))
        p->datagram->finish(fl->parser, ts);
      p->datagram->destroy(fl->parser);
    }
    fl->parser = NULL;
  }
  if (stats != NULL)
    fsi_dflow_patch_stats(fl, stats);
  for (uint32_t s = 0; s < 2; s++) {
    fs_reasm_stats st;
    memset(&st, 0, sizeof st);
    if (fl->flags & FSI_DF_TCP)
      fsi_reasm_stats(&fsi_dflow_rs(fl)[s], &st);
    d->ctr.reasm_dropped_bytes += st.dropped_bytes + fl->tail_dropped[s];
    if (fl->flags & FSI_DF_TCP)
      fsi_reasm_release(&fsi_dflow_rs(fl)[s]);
    if (fl->tail[s].buf != NULL) {
      d->budget.used -= fl->tail[s].cap;
      free(fl->tail[s].buf);
    }
  }
  if (fl->probe != NULL)
    fsi_probe_release(d, fl->probe);
  fsi_dflow_free(fl);
}

void fsi_dflow_free(fsi_dflow *fl) {
  fs_driver *d = fl->d;
  tick_unlink(fl);
  fl->prev->next = fl->next;
  fl->next->prev = fl->prev;
  d->live_flows--;
  int tcp = (fl->flags & FSI_DF_TCP) != 0;
  memset(fl, 0, record_size(tcp));
  fsi_dflow **head = free_list(d, tcp);
  fl->next = *head;
  *head = fl;
}
