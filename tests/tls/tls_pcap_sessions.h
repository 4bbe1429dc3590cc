/* SPDX-License-Identifier: MIT */
/* A minimal host for the tls tests: reads a capture with fs_source, keys TCP
 * packets with the five-tuple extractor, reassembles each direction with
 * fs_reasm and feeds the tls plugin's session parser (loaded from tls.so)
 * like the driver does, keeping unconsumed bytes. Every TCP connection is
 * given to the parser (no port/probe detection), so what is measured is the
 * parser, not detection; a parser that poisons simply yields nothing. Each
 * emitted message becomes one tps_record. */
#ifndef FLOWSCOPE_TLS_PCAP_SESSIONS_H
#define FLOWSCOPE_TLS_PCAP_SESSIONS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowscope/extract.h"
#include "flowscope/plugin.h"
#include "flowscope/reasm.h"
#include "flowscope/source.h"
#include "tls_plugin_harness.h"

/* One "ssl/handshake" message, with the connection it came from. */
typedef struct tps_record {
  char client[64], server[64]; /* addresses of the ClientHello's sender and receiver */
  unsigned client_port, server_port;
  char *sni, *ja3_string, *ja3, *ja4, *version, *ja3s, *curve, *subject_cn; /* "" if absent */
  int established;                                                          /* -1 when absent */
  int matched; /* used by the comparisons */
  int retry;   /* the second ClientHello / the HelloRetryRequest of a message */
} tps_record;

typedef struct tps_result {
  tps_record *rec;
  size_t n, cap;
  size_t messages; /* messages emitted (n also counts the retry records) */
  size_t flows, flows_dropped, poisoned;
  unsigned split; /* in: feed in 1-3 byte pieces (a pattern seeded by this) */
  th_out *render; /* in: optional, every message rendered as text */
} tps_result;

struct tps_flow;
typedef struct tps_side {
  struct tps_flow *flow;
  uint32_t side;
  uint8_t *pending;
  size_t npending;
  fs_reassembler reasm;
} tps_side;

typedef struct tps_flow {
  fs_flow_key key;
  int used;
  const fs_session_parser_ops *ops;
  void *parser;
  int status;
  fs_parser_env env;
  tps_side s[2];
  tps_result *res;
} tps_flow;

static inline char *tps_field(const fs_message *m, const char *name) {
  const fs_field *f = fs_message_field(m, name);
  if (!f || f->kind != FS_FIELD_STR)
    return strdup("");
  char *s = malloc((size_t)f->v.str.len + 1);
  memcpy(s, f->v.str.ptr, (size_t)f->v.str.len);
  s[f->v.str.len] = '\0';
  return s;
}

/* Adds a record for message @p m of the flow @p key; @p client_is_a says
 * whether the ClientHello's sender is the key's A endpoint. */
static inline void tps_add_record(tps_result *r, const fs_message *m, const fs_flow_key *key,
                                  int client_is_a) {
  if (r->render)
    th_emit(r->render, m);
  if (r->n == r->cap) {
    r->cap = r->cap ? 2 * r->cap : 64;
    r->rec = realloc(r->rec, r->cap * sizeof *r->rec);
  }
  tps_record *x = &r->rec[r->n++];
  memset(x, 0, sizeof *x);
  r->messages++;
  int family = key->kind == FS_KEY_FIVE_TUPLE_V6 ? 6 : 4;
  fs_addr_format(family, client_is_a ? key->addr_a : key->addr_b, x->client, sizeof x->client);
  fs_addr_format(family, client_is_a ? key->addr_b : key->addr_a, x->server, sizeof x->server);
  x->client_port = client_is_a ? key->port_a : key->port_b;
  x->server_port = client_is_a ? key->port_b : key->port_a;
  x->sni = tps_field(m, "server_name");
  x->ja3_string = tps_field(m, "ja3_string");
  x->ja3 = tps_field(m, "ja3");
  x->ja4 = tps_field(m, "ja4");
  x->version = tps_field(m, "version");
  x->ja3s = tps_field(m, "ja3s");
  x->curve = tps_field(m, "curve");
  x->subject_cn = tps_field(m, "subject_cn");
  const fs_field *est = fs_message_field(m, "established");
  x->established = est && est->kind == FS_FIELD_BOOL ? (int)est->v.u64 : -1;
  /* tshark lists the second ClientHello after a HelloRetryRequest, and the
   * HelloRetryRequest, as hellos of their own: one more record for them. */
  if (!fs_message_field(m, "retry_ja3") && !fs_message_field(m, "hrr_ja3s"))
    return;
  if (r->n == r->cap) {
    r->cap *= 2;
    r->rec = realloc(r->rec, r->cap * sizeof *r->rec);
  }
  tps_record *y = &r->rec[r->n++];
  memcpy(y, &r->rec[r->n - 2], sizeof *y);
  y->retry = 1;
  y->sni = tps_field(m, "retry_server_name");
  y->ja3_string = tps_field(m, "retry_ja3_string");
  y->ja3 = tps_field(m, "retry_ja3");
  y->ja4 = tps_field(m, "retry_ja4");
  y->version = strdup("");
  y->ja3s = tps_field(m, "hrr_ja3s");
  y->curve = strdup("");
  y->subject_cn = strdup("");
}

/* The test host's emit: its side numbers are orientations (0 = from A). */
static inline void tps_emit(void *ctx, const fs_message *m) {
  tps_flow *fl = ctx;
  tps_add_record(fl->res, m, &fl->key, m->side == 0);
}

/* Host side of feed: hand pending + new bytes, keep what was not consumed. */
static inline void tps_feed_piece(tps_side *s, const uint8_t *data, size_t len, fs_time_ns ts) {
  tps_flow *fl = s->flow;
  if (fl->status != FS_PARSE_OK || len == 0)
    return;
  const uint8_t *p = data;
  size_t n = len;
  if (s->npending) {
    s->pending = realloc(s->pending, s->npending + len);
    memcpy(s->pending + s->npending, data, len);
    s->npending += len;
    p = s->pending;
    n = s->npending;
  }
  size_t used = 0;
  fl->status = fl->ops->feed(fl->parser, s->side, p, n, ts, &used);
  if (used > n)
    abort();
  if (p == s->pending) {
    memmove(s->pending, s->pending + used, n - used);
    s->npending = n - used;
  } else if (used < n) {
    s->pending = realloc(s->pending, n - used);
    memcpy(s->pending, p + used, n - used);
    s->npending = n - used;
  }
  /* Like a reassembly limit: a side holding more than 64 KiB is given up. */
  if (s->npending > 65536 && fl->status == FS_PARSE_OK)
    fl->status = fl->ops->gap(fl->parser, s->side, s->npending, ts);
}

static inline void tps_feed(tps_side *s, const uint8_t *data, size_t len, fs_time_ns ts) {
  tps_result *r = s->flow->res;
  if (!r->split) {
    tps_feed_piece(s, data, len, ts);
    return;
  }
  size_t off = 0;
  while (off < len) {
    r->split = r->split * 1103515245u + 12345u;
    if (!r->split)
      r->split = 1;
    size_t piece = 1 + (r->split >> 16) % 3;
    if (piece > len - off)
      piece = len - off;
    tps_feed_piece(s, data + off, piece, ts);
    off += piece;
  }
}

static inline int tps_sink_data(void *ctx, const uint8_t *data, size_t len, fs_time_ns ts) {
  tps_feed(ctx, data, len, ts);
  return 0;
}

static inline int tps_sink_gap(void *ctx, uint64_t len, fs_time_ns ts) {
  tps_side *s = ctx;
  tps_flow *fl = s->flow;
  s->npending = 0;
  if (fl->status == FS_PARSE_OK)
    fl->status = fl->ops->gap(fl->parser, s->side, len, ts);
  return 0;
}

#define TPS_TABLE (1u << 15)

static inline uint32_t tps_hash(const fs_flow_key *k) {
  const uint8_t *b = (const uint8_t *)k;
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < sizeof *k; i++)
    h = (h ^ b[i]) * 16777619u;
  return h;
}

/* Runs @p path through the tls parser; returns 0, or -1 when it cannot be read. */
static inline int tps_run(const char *path, const fs_protocol_desc *proto, tps_result *res) {
  unsigned split = res->split;
  th_out *render = res->render;
  memset(res, 0, sizeof *res);
  res->split = split;
  res->render = render;
  char err[FS_ERRBUF_SIZE];
  fs_source *src;
  fs_source_config scfg;
  fs_source_config_default(&scfg);
  if (fs_source_open_file(&src, path, &scfg, err) != 0)
    return -1;
  fs_extractor ex;
  fs_extract_config ecfg;
  fs_extract_config_default(&ecfg);
  if (fs_extractor_create(&ex, &ecfg, err) != 0) {
    fs_source_close(src);
    return -1;
  }
  tps_flow *table = calloc(TPS_TABLE, sizeof *table);
  fs_packet_view pkt;
  for (;;) {
    memset(&pkt, 0, sizeof pkt);
    pkt.struct_size = sizeof pkt;
    if (fs_source_next(src, &pkt) != 1)
      break;
    fs_extract_result r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    if (ex.ops->extract(ex.self, &pkt, &r) != 0 || !r.has_tcp)
      continue;
    uint32_t h = tps_hash(&r.key) & (TPS_TABLE - 1);
    tps_flow *fl = NULL;
    for (uint32_t i = 0; i < 64; i++) {
      tps_flow *c = &table[(h + i) & (TPS_TABLE - 1)];
      if (!c->used || fs_flow_key_equal(&c->key, &r.key)) {
        fl = c;
        break;
      }
    }
    if (!fl) {
      res->flows_dropped++;
      continue;
    }
    if (!fl->used) {
      fl->used = 1;
      fl->key = r.key;
      fl->ops = proto->session;
      fl->res = res;
      fl->env.struct_size = sizeof fl->env;
      fl->env.key = &fl->key;
      fl->env.emit = tps_emit;
      fl->env.emit_ctx = fl;
      fl->parser = fl->ops->create(&fl->env);
      for (uint32_t s = 0; s < 2; s++) {
        fl->s[s].flow = fl;
        fl->s[s].side = s;
        fs_stream_sink sink = {tps_sink_data, tps_sink_gap, &fl->s[s]};
        if (fs_reasm_create(&fl->s[s].reasm, NULL, &sink, err) != 0)
          abort();
      }
      res->flows++;
    }
    tps_side *s = &fl->s[r.orientation & 1u];
    const uint8_t *payload = r.payload_len ? r.payload : NULL;
    s->reasm.ops->segment(s->reasm.self, r.tcp.seq, r.tcp.flags, payload, r.payload_len, pkt.ts);
  }
  for (uint32_t i = 0; i < TPS_TABLE; i++) {
    tps_flow *fl = &table[i];
    if (!fl->used)
      continue;
    for (uint32_t s = 0; s < 2; s++)
      fl->s[s].reasm.ops->finish(fl->s[s].reasm.self, 0);
    if (fl->status == FS_PARSE_POISON)
      res->poisoned++;
    fl->ops->finish(fl->parser, 0);
    fl->ops->destroy(fl->parser);
    for (uint32_t s = 0; s < 2; s++) {
      fs_reasm_destroy(&fl->s[s].reasm);
      free(fl->s[s].pending);
    }
  }
  free(table);
  fs_extractor_destroy(&ex);
  fs_source_close(src);
  return 0;
}

static inline void tps_free(tps_result *res) {
  for (size_t i = 0; i < res->n; i++) {
    tps_record *x = &res->rec[i];
    free(x->sni);
    free(x->ja3_string);
    free(x->ja3);
    free(x->ja4);
    free(x->version);
    free(x->ja3s);
    free(x->curve);
    free(x->subject_cn);
  }
  free(res->rec);
  res->rec = NULL;
  res->n = res->cap = 0;
}

#endif /* FLOWSCOPE_TLS_PCAP_SESSIONS_H */
