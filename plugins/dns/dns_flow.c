/* SPDX-License-Identifier: MIT */
/* Query/response correlation and message emission for one DNS flow. */
#include "dns_flow.h"

#include <stdlib.h>
#include <string.h>

static void counter(dns_flow *f, const char *name) {
  const fs_host_api *h = f->env ? f->env->host : NULL;
  if (h && FS_HAS_MEMBER(h, fs_host_api, counter_add) && h->counter_add) {
    h->counter_add(h->host, name, 1);
  }
}

static uint64_t option(const char *options, const char *name, uint64_t dflt) {
  size_t nl = strlen(name);
  const char *p = options;
  while (p && *p) {
    while (*p == ',' || *p == ' ') {
      p++;
    }
    if (strncmp(p, name, nl) == 0 && p[nl] == '=' && p[nl + 1] >= '0' && p[nl + 1] <= '9') {
      uint64_t v = 0;
      for (const char *q = p + nl + 1; *q >= '0' && *q <= '9'; q++) {
        v = v > (UINT64_MAX - 9) / 10 ? UINT64_MAX : v * 10 + (uint64_t)(*q - '0');
      }
      return v;
    }
    p = strchr(p, ',');
  }
  return dflt;
}

void *fsi_dns_create(const fs_parser_env *env) {
  dns_flow *f = calloc(1, sizeof *f);
  if (!f) {
    return NULL;
  }
  f->env = env;
  const char *o = env ? env->options : NULL;
  uint64_t mp = option(o, "max_pending", DNS_PENDING_DEFAULT);
  f->max_pending = (uint32_t)(mp < 1 ? 1 : mp > DNS_PENDING_LIMIT ? DNS_PENDING_LIMIT : mp);
  uint64_t to = option(o, "timeout", DNS_TIMEOUT_DEFAULT_S);
  f->timeout = (to > 3600 ? 3600 : to) * FS_NS_PER_SEC;
  return f;
}

static fs_field none(const char *name) {
  fs_field x = {0};
  x.name = name;
  x.kind = FS_FIELD_NONE;
  return x;
}

/* Emits one record: the query part from @p q (or from the response when
 * NULL), the response part from @p r (NULL: unanswered). */
static void emit(dns_flow *f, const dns_pending *q, const dns_msg *r, fs_time_ns rts) {
  fs_field x[24];
  uint32_t n = 0;
  char qtn[24], qcn[24], rcn[24];
  int has_q = q ? q->has_question : r->has_question;
  uint16_t qtype = q ? q->qtype : r->qtype, qclass = q ? q->qclass : r->qclass;
  size_t qtl = fsi_dns_qtype_name(qtype, qtn), qcl = fsi_dns_qclass_name(qclass, qcn);

  x[n++] = fs_field_u64("trans_id", q ? q->id : r->id);
  if (q && r && rts > q->ts) {
    fs_field d = fs_field_u64("rtt", rts - q->ts);
    d.kind = FS_FIELD_DURATION;
    x[n++] = d;
  } else {
    x[n++] = none("rtt");
  }
  if (has_q) {
    x[n++] = q ? fs_field_str("query", q->qname, q->qname_len)
               : fs_field_str("query", r->qname, r->qname_len);
    x[n++] = fs_field_u64("qclass", qclass);
    x[n++] = fs_field_str("qclass_name", qcn, qcl);
    x[n++] = fs_field_u64("qtype", qtype);
    x[n++] = fs_field_str("qtype_name", qtn, qtl);
  } else {
    x[n++] = none("query");
    x[n++] = none("qclass");
    x[n++] = none("qclass_name");
    x[n++] = none("qtype");
    x[n++] = none("qtype_name");
  }
  if (r) {
    size_t rcl = fsi_dns_rcode_name(r->rcode, rcn);
    x[n++] = fs_field_u64("rcode", r->rcode);
    x[n++] = fs_field_str("rcode_name", rcn, rcl);
  } else {
    x[n++] = none("rcode");
    x[n++] = none("rcode_name");
  }
  x[n++] = fs_field_bool("AA", r ? r->aa : 0);
  x[n++] = fs_field_bool("TC", q ? q->tc : r->tc);
  x[n++] = fs_field_bool("RD", q ? q->rd : r->rd);
  x[n++] = fs_field_bool("RA", r ? r->ra : 0);
  x[n++] = fs_field_u64("Z", q ? q->z : r->z);
  if (r && r->n_answers > 0) {
    x[n++] = fs_field_str_list("answers", r->answers, r->n_answers);
    fs_field t = {0};
    t.name = "TTLs";
    t.kind = FS_FIELD_U64_LIST;
    t.count = r->n_answers;
    t.v.u64s = r->ttls;
    x[n++] = t;
  } else {
    x[n++] = none("answers");
    x[n++] = none("TTLs");
  }
  /* Zeek: a response with an error code that does not repeat the question. */
  x[n++] = fs_field_bool("rejected", r && r->rcode != 0 && r->qdcount == 0);
  int edns = q ? q->edns : r->edns;
  x[n++] = edns ? fs_field_u64("edns_udp_size", q ? q->edns_udp_size : r->edns_udp_size)
                : none("edns_udp_size");
  x[n++] = edns ? fs_field_bool("DO", q ? q->edns_do : r->edns_do) : none("DO");

  fs_message m = {0};
  m.struct_size = (uint32_t)sizeof m;
  m.side = q ? FS_SIDE_INITIATOR : FS_SIDE_RESPONDER;
  m.protocol = "dns";
  m.msg_type = "query";
  m.ts = q ? q->ts : rts;
  m.fields = x;
  m.n_fields = n;
  if (f->env && f->env->emit) {
    f->env->emit(f->env->emit_ctx, &m);
  }
}

static void drop_pending(dns_flow *f, uint32_t i) {
  memmove(&f->pend[i], &f->pend[i + 1], (size_t)(f->n - i - 1) * sizeof f->pend[0]);
  f->n--;
}

static void remember_query(dns_flow *f, const dns_msg *msg, fs_time_ns ts) {
  if (f->n >= f->max_pending) {
    counter(f, "dns.pending_evicted"); /* oldest first, reported unanswered */
    emit(f, &f->pend[0], NULL, 0);
    drop_pending(f, 0);
  }
  if (f->n >= f->cap) {
    uint32_t nc = f->cap ? f->cap * 2 : 1;
    if (nc > f->max_pending) {
      nc = f->max_pending;
    }
    dns_pending *np = realloc(f->pend, (size_t)nc * sizeof *np);
    if (!np) {
      counter(f, "dns.pending_nomem");
      return;
    }
    f->pend = np;
    f->cap = nc;
  }
  dns_pending *p = &f->pend[f->n++];
  memset(p, 0, sizeof *p - sizeof p->qname);
  p->ts = ts;
  p->id = msg->id;
  p->qtype = msg->qtype;
  p->qclass = msg->qclass;
  p->rd = msg->rd;
  p->tc = msg->tc;
  p->z = msg->z;
  p->has_question = msg->has_question;
  p->edns = msg->edns;
  p->edns_do = msg->edns_do;
  p->edns_udp_size = msg->edns_udp_size;
  p->qname_len = msg->qname_len;
  memcpy(p->qname, msg->qname, msg->qname_len);
}

/* One complete DNS message from either side. */
static int on_message(dns_flow *f, const uint8_t *m, size_t len, fs_time_ns ts) {
  dns_msg msg;
  int r = fsi_dns_parse(m, len, &msg);
  if (r != 0) {
    counter(f, "dns.malformed");
    if (++f->bad_streak >= DNS_BAD_STREAK_LIMIT) {
      f->poison = "dns: too many malformed messages in a row";
      return FS_PARSE_POISON;
    }
    if (r < 0) {
      return FS_PARSE_OK; /* not even a header */
    }
    /* A header with a broken question is still reported (without a
     * query), as Zeek and tshark report such messages. */
  } else {
    f->bad_streak = 0;
  }
  if (!msg.qr) {
    remember_query(f, &msg, ts);
    return FS_PARSE_OK;
  }
  for (uint32_t i = 0; i < f->n; i++) {
    if (f->pend[i].id == msg.id) {
      emit(f, &f->pend[i], &msg, ts);
      drop_pending(f, i);
      return FS_PARSE_OK;
    }
  }
  emit(f, NULL, &msg, ts);
  return FS_PARSE_OK;
}

int fsi_dns_datagram(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts) {
  dns_flow *f = self;
  (void)side;
  if (f->poison) {
    return FS_PARSE_POISON;
  }
  return on_message(f, data, len, ts);
}

int fsi_dns_tcp_feed(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts,
                     size_t *consumed) {
  dns_flow *f = self;
  size_t pos = 0;
  (void)side;
  *consumed = len;
  if (f->poison) {
    return FS_PARSE_POISON;
  }
  /* RFC 1035 4.2.2: each message is preceded by its 16-bit length. */
  while (len - pos >= 2) {
    size_t mlen = ((size_t)data[pos] << 8) | data[pos + 1];
    if (mlen == 0) {
      f->poison = "dns: zero-length message over TCP";
      return FS_PARSE_POISON;
    }
    if (len - pos - 2 < mlen) {
      break; /* the rest comes later: the host keeps these bytes */
    }
    int r = on_message(f, data + pos + 2, mlen, ts);
    pos += 2 + mlen;
    if (r != FS_PARSE_OK) {
      return r;
    }
  }
  *consumed = pos;
  return FS_PARSE_OK;
}

static void emit_pending_all(dns_flow *f) {
  for (uint32_t i = 0; i < f->n; i++) {
    emit(f, &f->pend[i], NULL, 0);
  }
  f->n = 0;
}

int fsi_dns_tcp_gap(void *self, uint32_t side, uint64_t len, fs_time_ns ts) {
  dns_flow *f = self;
  (void)side;
  (void)len;
  (void)ts;
  /* The length framing is lost: nothing after the gap can be trusted. */
  emit_pending_all(f);
  return FS_PARSE_DONE;
}

int fsi_dns_tick(void *self, fs_time_ns now) {
  dns_flow *f = self;
  while (f->n > 0 && now >= f->pend[0].ts && now - f->pend[0].ts >= f->timeout) {
    counter(f, "dns.query_timeout");
    emit(f, &f->pend[0], NULL, 0);
    drop_pending(f, 0);
  }
  return f->poison ? FS_PARSE_POISON : FS_PARSE_OK;
}

void fsi_dns_finish(void *self, fs_time_ns ts) {
  (void)ts;
  emit_pending_all(self);
}

const char *fsi_dns_poison_reason(void *self) { return ((dns_flow *)self)->poison; }

int fsi_dns_idle(void *self) {
  const dns_flow *f = self;
  /* No query waiting for its answer and no malformed run in progress: a
   * new instance (same options) would take the next datagram the same way. */
  return f->n == 0 && f->bad_streak == 0 && f->poison == NULL;
}

void fsi_dns_destroy(void *self) {
  dns_flow *f = self;
  if (f) {
    free(f->pend);
    free(f);
  }
}

uint32_t fsi_dns_probe(const uint8_t *data, size_t len, uint32_t side) {
  (void)side;
  if (fsi_dns_plausible(data, len)) {
    return FS_PROBE_YES;
  }
  if (len >= 2) {
    size_t mlen = ((size_t)data[0] << 8) | data[1];
    size_t have = len - 2 < mlen ? len - 2 : mlen;
    if (mlen >= 12 && have >= 12 && fsi_dns_plausible(data + 2, have)) {
      return FS_PROBE_YES;
    }
  }
  return len < 14 ? FS_PROBE_NEED_MORE : FS_PROBE_NO;
}
