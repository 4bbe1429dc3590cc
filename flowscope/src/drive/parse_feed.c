/* SPDX-License-Identifier: MIT */
/*
 * Handing bytes to parsers: session parsers get in-order stream bytes (and
 * again whatever they left unconsumed, followed by new bytes), datagram
 * parsers get one datagram per call. Status codes drive bypass and poison.
 */
#include <stdlib.h>
#include <string.h>

#include "drive/drive_internal.h"

static void on_emit(void *ctx, const fs_message *msg) {
  fsi_dflow *fl = ctx;
  fs_driver *d = fl->d;
  if (msg == NULL)
    return;
  fs_event ev;
  memset(&ev, 0, sizeof ev);
  ev.struct_size = sizeof ev;
  ev.type = FS_EV_MESSAGE;
  ev.ts = msg->ts;
  ev.key = &fl->key;
  ev.stats = fsi_dflow_stats(fl);
  ev.side = msg->side;
  ev.message = msg;
  ev.orientation = fl->env.initiator_is_a ? FS_ORIENT_A_TO_B : FS_ORIENT_B_TO_A;
  d->ctr.messages++;
  fsi_drive_emit(d, &ev);
}

int fsi_parser_create(fsi_dflow *fl) {
  fs_driver *d = fl->d;
  const fsi_dproto *p = &d->protos[fl->proto];
  fl->env.struct_size = sizeof fl->env;
  /* The owning plugin's own table, so its counters carry a plugin label. */
  fl->env.host = d->cfg.registry ? fs_registry_protocol_host_api(d->cfg.registry, p->desc) : NULL;
  if (fl->env.host == NULL)
    fl->env.host = &d->host_default;
  fl->env.plugin_state = p->plugin_state;
  fl->env.key = &fl->key;
  fl->env.emit = on_emit;
  fl->env.emit_ctx = fl;
  fl->env.options = d->cfg.parser_options;
  if (fl->flags & FSI_DF_TCP)
    fl->parser = p->desc->session->create(&fl->env);
  else
    fl->parser = p->desc->datagram->create(&fl->env);
  if (fl->parser == NULL)
    return -1;
  fsi_dflow_tick_check(fl); /* a parser with a tick is swept from now on */
  return 0;
}

void fsi_parse_status(fsi_dflow *fl, uint32_t side, int status, fs_time_ns ts) {
  if (status == FS_PARSE_HANDOFF) {
    /* Not from a feed's first pass (feed_piece hands the rest itself): the
     * bytes that follow are whatever the parser left unconsumed. */
    fsi_handoff(fl, side, NULL, 0, ts);
    return;
  }
  if (status == FS_PARSE_DONE) {
    fsi_dflow_bypass(fl);
    fsi_parser_release_done(fl, ts);
    return;
  }
  if (status != FS_PARSE_POISON || (fl->flags & FSI_DF_POISONED))
    return;
  fs_driver *d = fl->d;
  fl->flags |= FSI_DF_POISONED;
  d->ctr.parse_errors++;
  const char *reason = NULL;
  const fsi_dproto *p = &d->protos[fl->proto];
  if (fl->flags & FSI_DF_TCP) {
    if (p->desc->session->poison_reason != NULL)
      reason = p->desc->session->poison_reason(fl->parser);
  } else if (p->desc->datagram->poison_reason != NULL) {
    reason = p->desc->datagram->poison_reason(fl->parser);
  }
  fsi_dflow_anomaly(fl, side, FS_ANOM_PARSE_ERROR, 1, 1, reason ? reason : "parser poisoned", ts);
  fsi_dflow_bypass(fl);
  fsi_dflow_schedule_end(fl, FS_END_PARSE_ERROR);
}

static int feeding(const fsi_dflow *fl) {
  return fl->parser != NULL && !(fl->flags & (FSI_DF_BYPASS | FSI_DF_POISONED));
}

/* Grows a tail to hold @p need bytes within the per-side bound and the shared budget. */
static int tail_reserve(fsi_dflow *fl, fsi_dtail *t, size_t need) {
  fs_driver *d = fl->d;
  if (need <= t->cap)
    return 0;
  if (need > d->cfg.reasm.max_buffer)
    return -1;
  size_t cap = t->cap ? t->cap : 256;
  while (cap < need)
    cap *= 2;
  if (cap > d->cfg.reasm.max_buffer)
    cap = (size_t)d->cfg.reasm.max_buffer;
  if (d->budget.max != 0 && d->budget.used - t->cap + cap > d->budget.max)
    return -1;
  uint8_t *b = realloc(t->buf, cap);
  if (b == NULL)
    return -1;
  d->budget.used += cap - t->cap;
  t->buf = b;
  t->cap = cap;
  return 0;
}

void fsi_tail_trim(fsi_dflow *fl, uint32_t side) {
  fsi_dtail *t = &fl->tail[side];
  if (t->buf == NULL || t->len != 0)
    return;
  fl->d->budget.used -= t->cap;
  free(t->buf);
  t->buf = NULL;
  t->cap = 0;
}

/* The parser left more than the bound allows: apply the overflow policy. */
static int tail_overflow(fsi_dflow *fl, uint32_t side, uint64_t bytes, fs_time_ns ts) {
  fs_driver *d = fl->d;
  fl->tail_dropped[side] += bytes;
  fsi_dflow_anomaly(fl, side, FS_ANOM_BUFFER_OVERFLOW, bytes, fl->tail_dropped[side],
                    "parser left more unconsumed bytes than max_buffer", ts);
  if (d->cfg.reasm.overflow_policy == FS_OVERFLOW_DROP_FLOW) {
    fl->flags |= FSI_DF_OVERFLOW;
    fsi_dflow_bypass(fl);
    fsi_dflow_schedule_end(fl, FS_END_BUFFER_OVERFLOW);
    return -1;
  }
  /* Sliding window: the held bytes are dropped and the parser told so. */
  fl->tail[side].len = 0;
  int st = d->protos[fl->proto].desc->session->gap(fl->parser, side, bytes, ts);
  fsi_parse_status(fl, side, st, ts);
  return feeding(fl) ? 0 : -1;
}

/* One piece of stream data, with the unconsumed tail in front of it. */
static void feed_piece(fsi_dflow *fl, uint32_t side, const uint8_t *data, size_t len,
                       fs_time_ns ts) {
  const fs_session_parser_ops *ops = fl->d->protos[fl->proto].desc->session;
  fsi_dtail *t = &fl->tail[side];
  size_t consumed = 0;
  int st;
  if (t->len == 0) {
    st = ops->feed(fl->parser, side, data, len, ts, &consumed);
    if (consumed > len)
      consumed = len;
    if (st == FS_PARSE_HANDOFF) {
      fsi_handoff(fl, side, data + consumed, len - consumed, ts);
      return;
    }
    fsi_parse_status(fl, side, st, ts);
    if (!feeding(fl) || consumed == len)
      return;
    if (tail_reserve(fl, t, len - consumed) != 0) {
      (void)tail_overflow(fl, side, len - consumed, ts);
      return;
    }
    memcpy(t->buf, data + consumed, len - consumed);
    t->len = len - consumed;
    return;
  }
  if (tail_reserve(fl, t, t->len + len) != 0) {
    uint64_t lost = t->len;
    if (tail_overflow(fl, side, lost, ts) == 0)
      feed_piece(fl, side, data, len, ts); /* tail is empty now */
    return;
  }
  memcpy(t->buf + t->len, data, len);
  t->len += len;
  st = ops->feed(fl->parser, side, t->buf, t->len, ts, &consumed);
  if (consumed > t->len)
    consumed = t->len;
  memmove(t->buf, t->buf + consumed, t->len - consumed);
  t->len -= consumed;
  fsi_parse_status(fl, side, st, ts);
}

/* xorshift32 for split_feed piece sizes: deterministic from split_seed. */
static uint32_t split_next(fs_driver *d) {
  uint64_t x = d->split_rng;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  d->split_rng = x;
  return (uint32_t)(x >> 32);
}

void fsi_feed_stream(fsi_dflow *fl, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts) {
  fs_driver *d = fl->d;
  if (d->cfg.split_feed == 0) {
    if (feeding(fl) && len > 0)
      feed_piece(fl, side, data, len, ts);
    return;
  }
  while (len > 0) {
    if (!(fl->flags & (FSI_DF_DECIDED | FSI_DF_BYPASS))) {
      /* A hand-off inside the last piece, detection still undecided. */
      fsi_route_stream(fl, side, data, len, ts);
      return;
    }
    if (!feeding(fl))
      return;
    size_t n = 1 + split_next(d) % d->cfg.split_feed;
    if (n > len)
      n = len;
    feed_piece(fl, side, data, n, ts);
    data += n;
    len -= n;
  }
}

void fsi_feed_gap(fsi_dflow *fl, uint32_t side, uint64_t len, fs_time_ns ts) {
  if (!feeding(fl))
    return;
  const fs_session_parser_ops *ops = fl->d->protos[fl->proto].desc->session;
  /* Unconsumed bytes before a hole can never complete: they go with it. */
  uint64_t lost = len + fl->tail[side].len;
  fl->tail[side].len = 0;
  int st = ops->gap(fl->parser, side, lost, ts);
  fsi_parse_status(fl, side, st, ts);
}

void fsi_feed_datagram(fsi_dflow *fl, uint32_t side, const uint8_t *data, size_t len,
                       fs_time_ns ts) {
  if (!feeding(fl))
    return;
  int st = fl->d->protos[fl->proto].desc->datagram->datagram(fl->parser, side, data, len, ts);
  fsi_parse_status(fl, side, st, ts);
}
