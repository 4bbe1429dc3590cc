/* SPDX-License-Identifier: MIT */
/* Stand-in host for the corpus test (see corpus_host.h). */
#include "corpus_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CH_TABLE (1u << 15)

struct ch_flow;
typedef struct ch_side {
  struct ch_flow *flow;
  uint32_t side; /* fs_side */
  uint8_t *pending;
  size_t npending;
  fs_reassembler reasm;
  int has_reasm;
} ch_side;

typedef struct ch_flow {
  fs_flow_key key;
  int used;
  int decided;          /* 0: not yet, 1: parser attached, 2: nobody's */
  uint32_t init_orient; /* orientation of packets sent by the initiator */
  const fs_protocol_desc *proto;
  void *parser;
  int tcp;
  int status;
  fs_parser_env env;
  ch_side s[2];
  unsigned *split;
} ch_flow;

typedef struct ch_run_ctx {
  void (*emit)(void *, const fs_message *);
  void *ctx;
} ch_run_ctx;

static void feed_piece(ch_side *s, const uint8_t *data, size_t len, fs_time_ns ts) {
  ch_flow *fl = s->flow;
  if (!fl->parser || fl->status != FS_PARSE_OK || len == 0) {
    return;
  }
  size_t total = s->npending + len;
  uint8_t *buf = malloc(total);
  memcpy(buf, s->pending, s->npending);
  memcpy(buf + s->npending, data, len);
  size_t used = 0;
  fl->status = fl->proto->session->feed(fl->parser, s->side, buf, total, ts, &used);
  if (getenv("CH_DEBUG")) {
    fprintf(stderr, "      feed side %u len %zu -> status %d used %zu%s%s\n", s->side, total,
            fl->status, used, fl->status == FS_PARSE_POISON ? " poison: " : "",
            fl->status == FS_PARSE_POISON ? fl->proto->session->poison_reason(fl->parser) : "");
  }
  if (used > total) {
    abort();
  }
  free(s->pending);
  s->pending = NULL;
  s->npending = total - used;
  if (s->npending) {
    s->pending = malloc(s->npending);
    memcpy(s->pending, buf + used, s->npending);
  }
  free(buf);
  /* Like a reassembly limit: more than 1 MiB held is given up as a gap. */
  if (s->npending > (1u << 20) && fl->status == FS_PARSE_OK) {
    fl->status = fl->proto->session->gap(fl->parser, s->side, s->npending, ts);
    free(s->pending);
    s->pending = NULL;
    s->npending = 0;
  }
}

static int sink_data(void *ctx, const uint8_t *data, size_t len, fs_time_ns ts) {
  ch_side *s = ctx;
  unsigned *split = s->flow->split;
  if (!*split) {
    feed_piece(s, data, len, ts);
    return 0;
  }
  for (size_t off = 0; off < len;) {
    *split = *split * 1103515245u + 12345u;
    size_t piece = 1 + (*split >> 16) % 3;
    if (piece > len - off) {
      piece = len - off;
    }
    feed_piece(s, data + off, piece, ts);
    off += piece;
  }
  return 0;
}

static int sink_gap(void *ctx, uint64_t len, fs_time_ns ts) {
  ch_side *s = ctx;
  ch_flow *fl = s->flow;
  free(s->pending);
  s->pending = NULL;
  s->npending = 0;
  if (fl->status == FS_PARSE_OK && fl->parser) {
    fl->status = fl->proto->session->gap(fl->parser, s->side, len, ts);
  }
  return 0;
}

static int port_hint(const fs_protocol_desc *p, uint16_t port) {
  for (uint32_t i = 0; p && i < p->n_ports; i++) {
    if (p->ports[i].lo <= port && port <= p->ports[i].hi) {
      return 1;
    }
  }
  return 0;
}

static uint32_t key_hash(const fs_flow_key *k) {
  const uint8_t *b = (const uint8_t *)k;
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < sizeof *k; i++) {
    h = (h ^ b[i]) * 16777619u;
  }
  return h;
}

/* The first payload decides: HTTP when its probe says so (any port, as
 * tshark's heuristics), DNS by port. */
static const fs_protocol_desc *detect(const fs_protocol_desc *http, const fs_protocol_desc *dns,
                                      const ch_flow *fl, uint32_t side, const uint8_t *p,
                                      size_t n) {
  if (fl->tcp && http && http->probe(p, n, side) == FS_PROBE_YES) {
    return http;
  }
  if (dns && (port_hint(dns, fl->key.port_a) || port_hint(dns, fl->key.port_b))) {
    return dns;
  }
  return NULL;
}

int ch_run(const char *path, const fs_protocol_desc *http, const fs_protocol_desc *dns,
           unsigned split, void (*emit)(void *ctx, const fs_message *m), void *ctx) {
  char err[FS_ERRBUF_SIZE];
  fs_source *src;
  fs_source_config scfg;
  fs_source_config_default(&scfg);
  if (fs_source_open_file(&src, path, &scfg, err) != 0) {
    return -1;
  }
  fs_extractor ex;
  fs_extract_config ecfg;
  fs_extract_config_default(&ecfg);
  if (fs_extractor_create(&ex, &ecfg, err) != 0) {
    fs_source_close(src);
    return -1;
  }
  ch_flow *table = calloc(CH_TABLE, sizeof *table);
  fs_packet_view pkt;
  for (;;) {
    memset(&pkt, 0, sizeof pkt);
    pkt.struct_size = sizeof pkt;
    if (fs_source_next(src, &pkt) != 1) {
      break;
    }
    fs_extract_result r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    if (ex.ops->extract(ex.self, &pkt, &r) != 0 ||
        (r.l4proto != FS_L4_TCP && r.l4proto != FS_L4_UDP)) {
      continue;
    }
    uint32_t h = key_hash(&r.key) & (CH_TABLE - 1);
    ch_flow *fl = NULL;
    for (uint32_t i = 0; i < 256; i++) {
      ch_flow *c = &table[(h + i) & (CH_TABLE - 1)];
      if (!c->used || fs_flow_key_equal(&c->key, &r.key)) {
        fl = c;
        break;
      }
    }
    if (!fl) {
      continue;
    }
    if (!fl->used) {
      fl->used = 1;
      fl->key = r.key;
      fl->tcp = r.l4proto == FS_L4_TCP;
      fl->split = &split;
      /* Initiator: the sender of a SYN, the receiver of a SYN-ACK, else the
       * sender of the first packet. */
      fl->init_orient = r.orientation;
      if (fl->tcp && r.has_tcp &&
          (r.tcp.flags & (FS_TCP_SYN | FS_TCP_ACK)) == (FS_TCP_SYN | FS_TCP_ACK)) {
        fl->init_orient = r.orientation ^ 1u;
      }
      for (uint32_t s = 0; s < 2; s++) {
        fl->s[s].flow = fl;
        fl->s[s].side = s;
      }
    }
    uint32_t side = r.orientation == fl->init_orient ? FS_SIDE_INITIATOR : FS_SIDE_RESPONDER;
    if (!fl->decided && r.payload_len > 0) {
      fl->proto = detect(http, dns, fl, side, r.payload, r.payload_len);
      fl->decided = fl->proto ? 1 : 2;
      if (fl->proto) {
        fl->env.struct_size = sizeof fl->env;
        fl->env.initiator_is_a = fl->init_orient == FS_ORIENT_A_TO_B;
        fl->env.key = &fl->key;
        fl->env.emit = emit;
        fl->env.emit_ctx = ctx;
        fl->parser =
            fl->tcp ? fl->proto->session->create(&fl->env) : fl->proto->datagram->create(&fl->env);
      }
    }
    if (fl->tcp && r.has_tcp && !fl->s[side].has_reasm) {
      fs_stream_sink sink = {sink_data, sink_gap, &fl->s[side]};
      if (fs_reasm_create(&fl->s[side].reasm, NULL, &sink, err) != 0) {
        abort();
      }
      fl->s[side].has_reasm = 1;
    }
    if (fl->tcp && r.has_tcp) {
      if (fl->decided == 1 || !fl->decided) {
        /* The ACK speaks for the other direction: holes it covers were lost by the capture. */
        const fs_reassembler *o = &fl->s[side ^ 1u].reasm;
        if ((r.tcp.flags & FS_TCP_ACK) && fl->s[side ^ 1u].has_reasm &&
            FS_HAS_MEMBER(o->ops, fs_reassembler_ops, ack) && o->ops->ack != NULL) {
          o->ops->ack(o->self, r.tcp.ack, pkt.ts);
        }
        const uint8_t *payload = r.payload_len ? r.payload : NULL;
        fl->s[side].reasm.ops->segment(fl->s[side].reasm.self, r.tcp.seq, r.tcp.flags, payload,
                                       r.payload_len, pkt.ts);
      }
    } else if (!fl->tcp && fl->decided == 1 && fl->status == FS_PARSE_OK) {
      fl->status =
          fl->proto->datagram->datagram(fl->parser, side, r.payload, r.payload_len, pkt.ts);
    }
  }
  for (uint32_t i = 0; i < CH_TABLE; i++) {
    ch_flow *fl = &table[i];
    if (!fl->used) {
      continue;
    }
    for (uint32_t s = 0; s < 2; s++) {
      if (fl->s[s].has_reasm) {
        fl->s[s].reasm.ops->finish(fl->s[s].reasm.self, 0);
      }
    }
    if (fl->parser) {
      if (fl->tcp) {
        fl->proto->session->finish(fl->parser, 0);
        fl->proto->session->destroy(fl->parser);
      } else {
        fl->proto->datagram->finish(fl->parser, 0);
        fl->proto->datagram->destroy(fl->parser);
      }
    }
    for (uint32_t s = 0; s < 2; s++) {
      if (fl->s[s].has_reasm) {
        fs_reasm_destroy(&fl->s[s].reasm);
      }
      free(fl->s[s].pending);
    }
  }
  free(table);
  fs_extractor_destroy(&ex);
  fs_source_close(src);
  return 0;
}
