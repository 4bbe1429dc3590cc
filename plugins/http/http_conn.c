/* SPDX-License-Identifier: MIT */
/* HTTP/1.x connection parser on llhttp: pairs requests with responses in
 * order (pipelining), follows bodies, stops at accepted upgrades/CONNECT and
 * resyncs after gaps. Every value is accumulated piece by piece, so any split
 * of the input gives the same messages. */
#include "http_conn.h"

#include <stdlib.h>
#include <string.h>

static http_side *side_of(llhttp_t *p) { return (http_side *)p->data; }

static void counter(http_conn *c, const char *name, uint64_t v) {
  const fs_host_api *h = c->env ? c->env->host : NULL;
  if (h && FS_HAS_MEMBER(h, fs_host_api, counter_add) && h->counter_add) {
    h->counter_add(h->host, name, v);
  }
}

/* FS_PARSE_HANDOFF exists from core ABI 1.1 on; older hosts get FS_PARSE_DONE. */
static int host_takes_handoff(const http_conn *c) {
  const fs_host_api *h = c->env ? c->env->host : NULL;
  return h != NULL && h->abi_major == FS_ABI_MAJOR && h->abi_minor >= 1;
}

static http_txn *find_txn(http_conn *c, uint64_t depth) {
  if (depth == 0) {
    return NULL;
  }
  for (uint32_t i = 0; i < c->count; i++) {
    http_txn *t = c->ring[(c->head + i) % c->ring_cap];
    if (t->depth == depth) {
      return t;
    }
  }
  return NULL;
}

static http_txn *cur_txn(http_side *sd) { return find_txn(sd->conn, sd->cur); }

/* Adds the body bytes counted since the last call to the side's transaction. */
static void flush_body(http_side *sd) {
  if (sd->body_pending == 0) {
    return;
  }
  http_txn *t = cur_txn(sd);
  if (t) {
    if (sd->side == FS_SIDE_INITIATOR) {
      t->req_body_len += sd->body_pending;
    } else {
      t->resp_body_len += sd->body_pending;
    }
  }
  sd->body_pending = 0;
}

/* Done transactions are kept for reuse only while others are pending
 * (pipelining). An idle connection holds none: connections linger long
 * after their last request, so keeping one each made memory grow with every
 * connection seen instead of with the requests in flight. */
static void pop_head(http_conn *c) {
  http_txn *t = c->ring[c->head];
  c->ring[c->head] = NULL;
  c->head = (c->head + 1) % c->ring_cap;
  c->count--;
  t->next_free = c->pool;
  c->pool = t;
  if (c->count == 0) {
    while (c->pool) {
      http_txn *x = c->pool;
      c->pool = x->next_free;
      fsi_http_txn_free(x);
    }
  }
}

/* A transaction whose request broke before its target and that got no
 * response carries nothing worth reporting (e.g. garbage at a line start). */
static int txn_is_empty(const http_txn *t) {
  return !t->has_resp && !t->f[HF_URI].set && !t->resp_done;
}

static void emit_head(http_conn *c) {
  flush_body(&c->s[0]);
  flush_body(&c->s[1]);
  if (!txn_is_empty(c->ring[c->head])) {
    fsi_http_txn_emit(c->ring[c->head], c->env, (int)c->all_headers, c->swap);
  }
  pop_head(c);
}

/* Emits, in order, every transaction at the head that is complete. */
static void try_emit(http_conn *c) {
  while (c->count > 0) {
    const http_txn *t = c->ring[c->head];
    if (!((t->req_done || !t->has_req) && t->resp_done)) {
      break;
    }
    emit_head(c);
  }
}

static void emit_all(http_conn *c) {
  while (c->count > 0) {
    emit_head(c);
  }
}

/* Doubles the ring (up to max_pending), oldest transaction first. */
static int ring_grow(http_conn *c) {
  uint32_t cap = c->ring_cap * 2 < c->max_pending ? c->ring_cap * 2 : c->max_pending;
  http_txn **r = malloc((size_t)cap * sizeof *r);
  if (!r) {
    return 0;
  }
  for (uint32_t i = 0; i < c->count; i++) {
    r[i] = c->ring[(c->head + i) % c->ring_cap];
  }
  if (c->ring != c->ring_inline) {
    free(c->ring);
  }
  c->ring = r;
  c->ring_cap = cap;
  c->head = 0;
  return 1;
}

/* A new transaction at the tail; NULL only when memory runs out. */
static http_txn *new_txn(http_conn *c, fs_time_ns ts) {
  if (c->count >= c->max_pending) {
    counter(c, "http.pipeline_overflow", 1);
    emit_head(c);
  }
  if (c->count == c->ring_cap && !ring_grow(c)) {
    return NULL;
  }
  http_txn *t = c->pool;
  if (t) {
    c->pool = t->next_free;
  } else {
    /* Not calloc: reset clears the fields, and the inline value bytes are
     * written before they are read. */
    t = malloc(sizeof *t);
    if (!t) {
      return NULL;
    }
    t->next_free = NULL;
    memset(t->ext, 0, sizeof t->ext);
    t->hdrs[0] = t->hdrs[1] = NULL;
    if (c->all_headers) {
      t->hdrs[0] = calloc(1, sizeof(http_allhdr));
      t->hdrs[1] = calloc(1, sizeof(http_allhdr));
    }
  }
  fsi_http_txn_reset(t);
  t->depth = ++c->next_depth;
  t->ts = ts;
  c->ring[(c->head + c->count) % c->ring_cap] = t;
  c->count++;
  return t;
}

static void start_headers(http_side *sd) {
  sd->header_bytes = 0;
  sd->in_value = 0;
  sd->hname_len = 0;
  sd->hname_cut = 0;
  sd->target = HF_NONE;
  sd->fold_ws = 0;
}

static int on_message_begin(llhttp_t *p) {
  http_side *sd = side_of(p);
  http_conn *c = sd->conn;
  http_txn *t = NULL;
  flush_body(sd);
  if (sd->side == FS_SIDE_INITIATOR) {
    t = new_txn(c, sd->ts);
    if (t) {
      t->has_req = 1;
    }
  } else {
    for (uint32_t i = 0; i < c->count && !t; i++) {
      http_txn *x = c->ring[(c->head + i) % c->ring_cap];
      if (x->has_req && !x->has_resp) {
        t = x;
      }
    }
    if (!t) {
      t = new_txn(c, sd->ts); /* a response without a request we saw */
    }
    if (t) {
      t->has_resp = 1;
    }
  }
  sd->cur = t ? t->depth : 0;
  sd->in_message = 1;
  sd->line_done = 0;
  start_headers(sd);
  return 0;
}

/* Counts header-section bytes. Returns how many of the @p n new bytes fit
 * in the bound; past it the flow is poisoned. Cutting at the bound (not at
 * the piece) keeps the captured values independent of how input is split. */
static size_t header_budget(http_side *sd, size_t n) {
  uint64_t max = sd->conn->max_header_bytes;
  uint64_t before = sd->header_bytes;
  sd->header_bytes += n;
  if (sd->header_bytes <= max) {
    return n;
  }
  sd->conn->poison = sd->side == FS_SIDE_INITIATOR
                         ? "http: request header section exceeds max_header_bytes"
                         : "http: response header section exceeds max_header_bytes";
  return before >= max ? 0 : (size_t)(max - before);
}

static int on_url(llhttp_t *p, const char *at, size_t n) {
  http_side *sd = side_of(p);
  if (sd->synth) {
    return 0; /* the stand-in's "/": the real target is recorded at its end */
  }
  http_txn *t = cur_txn(sd);
  size_t ok = header_budget(sd, n);
  if (t) {
    fsi_http_txn_append(t, HF_URI, at, ok);
  }
  return ok < n ? -1 : 0;
}

/* The method is known once the request target is: record it then, so a
 * request cut by a gap in its headers still shows it. */
static int on_url_complete(llhttp_t *p) {
  http_side *sd = side_of(p);
  http_txn *t = cur_txn(sd);
  sd->line_done = 1;
  if (!t) {
    return 0;
  }
  if (sd->synth) {
    /* A normalised line: the method and target as sent. */
    const char *line = (const char *)sd->rl_line;
    size_t ok = header_budget(sd, sd->rl.target_len);
    fsi_http_txn_append(t, HF_METHOD, line, sd->rl.method_len);
    fsi_http_txn_append(t, HF_URI, line + sd->rl.target_off, ok);
    if (!t->f[HF_URI].set) {
      t->f[HF_URI].set = 1; /* present, even when empty ("OPTIONS" alone) */
    }
  } else if (!t->f[HF_METHOD].set) {
    const char *m = llhttp_method_name((llhttp_method_t)p->method);
    fsi_http_txn_append(t, HF_METHOD, m, strlen(m));
  }
  /* Known here already, so a request cut in its headers still frames its response. */
  int real = !sd->synth || sd->rl.llhttp_method;
  t->is_head = real && p->method == HTTP_HEAD;
  t->is_connect = real && p->method == HTTP_CONNECT;
  return 0;
}

/* The status code is known once the status line is: record it then, so a
 * response cut by a gap in its headers still shows it. */
static int on_status_complete(llhttp_t *p) {
  http_side *sd = side_of(p);
  http_txn *t = cur_txn(sd);
  sd->line_done = 1;
  if (t && sd->side == FS_SIDE_RESPONDER) {
    t->status_code = p->status_code;
  }
  return 0;
}

static int on_status(llhttp_t *p, const char *at, size_t n) {
  http_side *sd = side_of(p);
  http_txn *t = cur_txn(sd);
  size_t ok = header_budget(sd, n);
  if (t) {
    fsi_http_txn_append(t, HF_STATUS_MSG, at, ok);
  }
  return ok < n ? -1 : 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n) {
  http_side *sd = side_of(p);
  size_t ok = header_budget(sd, n);
  int ret = ok < n ? -1 : 0;
  n = ok;
  size_t room = sizeof sd->hname - sd->hname_len;
  if (n > room) {
    sd->hname_cut = 1;
    n = room;
  }
  memcpy(sd->hname + sd->hname_len, at, n);
  sd->hname_len += (uint32_t)n;
  http_txn *t = cur_txn(sd);
  if (t && sd->conn->all_headers) {
    if (sd->in_value == 0 && t->hdrs[sd->side] && !t->hdrs[sd->side]->open) {
      fsi_http_allhdr_begin(t, sd->side);
    }
    fsi_http_allhdr_append(t, sd->side, at, n);
  }
  return ret;
}

static int name_is(const http_side *sd, const char *name) {
  size_t n = strlen(name);
  if (sd->hname_cut || sd->hname_len != n) {
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    char a = sd->hname[i];
    if (a >= 'A' && a <= 'Z') {
      a = (char)(a - 'A' + 'a');
    }
    if (a != name[i]) {
      return 0;
    }
  }
  return 1;
}

static int on_header_field_complete(llhttp_t *p) {
  http_side *sd = side_of(p);
  http_txn *t = cur_txn(sd);
  int target = HF_NONE;
  if (sd->side == FS_SIDE_INITIATOR) {
    if (name_is(sd, "host")) {
      target = HF_HOST;
    } else if (name_is(sd, "user-agent")) {
      target = HF_UA;
    } else if (name_is(sd, "referer")) {
      target = HF_REFERRER;
    } else if (name_is(sd, "content-type")) {
      target = HF_REQ_CTYPE;
    }
  } else if (name_is(sd, "content-type")) {
    target = HF_RESP_CTYPE;
  }
  if (t && target != HF_NONE && t->f[target].set) {
    target = HF_NONE; /* the first of repeated headers wins */
  }
  sd->target = target;
  sd->in_value = 1;
  sd->fold_ws = 0;
  sd->piece_at_end = 0;
  if (t && sd->conn->all_headers) {
    fsi_http_allhdr_append(t, sd->side, ": ", 2);
  }
  return 0;
}

static void put_value(http_side *sd, http_txn *t, const char *at, size_t n) {
  if (sd->target != HF_NONE) {
    fsi_http_txn_append(t, sd->target, at, n);
  }
  if (sd->conn->all_headers) {
    fsi_http_allhdr_append(t, sd->side, at, n);
  }
}

static int on_header_value(llhttp_t *p, const char *at, size_t n) {
  http_side *sd = side_of(p);
  http_txn *t = cur_txn(sd);
  size_t ok = header_budget(sd, n);
  int ret = ok < n ? -1 : 0;
  n = ok;
  if (!t) {
    return ret;
  }
  /* Zero-length pieces matter: llhttp reports one when a value it resumed
   * at a buffer start ends at once, which tells a fold from a split. */
  /* A piece that does not continue the previous one byte for byte follows
   * an obs-fold (CRLF + blanks): RFC 9112 5.2 replaces the fold by one SP. */
  if (sd->in_value == 2 && !(sd->piece_at_end && at == sd->buf_begin)) {
    if (sd->target != HF_NONE) {
      fsi_http_txn_rtrim(t, sd->target);
    }
    put_value(sd, t, " ", 1);
    sd->fold_ws = 1;
  }
  sd->in_value = 2;
  sd->piece_at_end = (at + n == sd->buf_end);
  if (sd->fold_ws) {
    while (n > 0 && (*at == ' ' || *at == '\t')) {
      at++;
      n--;
    }
    if (n > 0) {
      sd->fold_ws = 0;
    }
  }
  put_value(sd, t, at, n);
  return ret;
}

static int on_header_value_complete(llhttp_t *p) {
  http_side *sd = side_of(p);
  http_txn *t = cur_txn(sd);
  if (t && sd->target != HF_NONE) {
    fsi_http_txn_rtrim(t, sd->target);
    if (!t->f[sd->target].set) {
      t->f[sd->target].set = 1; /* present but empty */
    }
  }
  if (t && sd->conn->all_headers && t->hdrs[sd->side]) {
    t->hdrs[sd->side]->open = 0;
  }
  sd->in_value = 0;
  sd->hname_len = 0;
  sd->hname_cut = 0;
  sd->target = HF_NONE;
  sd->fold_ws = 0;
  return 0;
}

static void put_version(http_txn *t, int id, const llhttp_t *p) {
  char v[4];
  v[0] = (char)('0' + (p->http_major % 10));
  v[1] = '.';
  v[2] = (char)('0' + (p->http_minor % 10));
  fsi_http_txn_append(t, id, v, 3);
}

static int on_headers_complete(llhttp_t *p) {
  http_side *sd = side_of(p);
  http_txn *t = cur_txn(sd);
  if (sd->side == FS_SIDE_INITIATOR && (p->flags & F_CONTENT_LENGTH) && !(p->flags & F_CHUNKED) &&
      p->content_length > (uint64_t)INT64_MAX) {
    /* A request length beyond any signed 64-bit count (e.g. 2^64-1): not a
     * length a server would honour (tshark takes it as invalid). Framing
     * error: the request is cut here and the side resyncs (fsi_http_feed). */
    return -1;
  }
  if (!t) {
    return 0;
  }
  if (sd->side == FS_SIDE_INITIATOR) {
    if (sd->ver_mode == HVM_LLHTTP) {
      put_version(t, HF_REQ_VERSION, p);
    } else if (sd->ver_mode == HVM_REAL) {
      fsi_http_txn_append(t, HF_REQ_VERSION, sd->ver, 3);
    } /* HVM_NONE: no version to report */
    return 0;
  }
  put_version(t, HF_RESP_VERSION, p);
  t->status_code = p->status_code;
  if (t->is_head || p->status_code == 204 || p->status_code == 304 ||
      (p->status_code >= 100 && p->status_code < 200 && p->status_code != 101)) {
    /* No body, whatever the headers announce (RFC 9112 6.3 item 1). */
    return 1;
  }
  if (t->is_connect && p->status_code >= 200 && p->status_code < 300) {
    return 2; /* tunnel established: no body, stop after this message */
  }
  return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n) {
  (void)at;
  side_of(p)->body_pending += n; /* see flush_body */
  return 0;
}

/* The message of @p sd ended (parsed to its end, or cut by a gap/EOF). */
static int side_message_complete(http_side *sd, unsigned status, int cut) {
  http_conn *c = sd->conn;
  flush_body(sd);
  http_txn *t = cur_txn(sd);
  int pause = 0;
  sd->in_message = 0;
  sd->cur = 0;
  if (!t) {
    return 0;
  }
  if (sd->side == FS_SIDE_INITIATOR) {
    t->req_done = 1;
    t->req_gap = (uint8_t)cut;
  } else if (!cut && status >= 100 && status < 200 && status != 101) {
    /* Interim response: remember it as Zeek's info_code/info_msg and wait
     * for the final one, which pairs with the same request. */
    fsi_http_txn_assign(t, HF_INFO_MSG, fsi_http_txn_val(t, HF_STATUS_MSG),
                        t->f[HF_STATUS_MSG].len);
    t->info_code = status;
    t->status_code = 0;
    memset(&t->f[HF_STATUS_MSG], 0, sizeof t->f[0]);
    memset(&t->f[HF_RESP_VERSION], 0, sizeof t->f[0]);
    memset(&t->f[HF_RESP_CTYPE], 0, sizeof t->f[0]);
    t->has_resp = 0;
    if (t->hdrs[1]) {
      t->hdrs[1]->n = t->hdrs[1]->used = t->hdrs[1]->open = 0;
    }
    return 0;
  } else {
    t->resp_done = 1;
    t->resp_gap = (uint8_t)cut;
    if (!cut && (status == 101 || (t->is_connect && status >= 200 && status < 300))) {
      t->final_upgrade = 1;
      c->done = 1;
      c->tunnel = t->is_connect;
      pause = 1;
    } else if (t->req_upgrade && c->s[0].state == HS_PAUSED) {
      /* The server refused the upgrade: the request side carries on. */
      llhttp_resume_after_upgrade(&c->s[0].p);
      c->s[0].state = HS_NORMAL;
    }
  }
  try_emit(c);
  return pause;
}

static int on_message_complete(llhttp_t *p) {
  http_side *sd = side_of(p);
  if (side_message_complete(sd, p->status_code, 0)) {
    return HPE_PAUSED;
  }
  if (sd->side == FS_SIDE_INITIATOR && !sd->conn->poison && !p->upgrade) {
    /* Hand back control after every request: the next request line is
     * looked at (request_line_step) before llhttp reads it. (An upgrade
     * pauses by itself: HPE_PAUSED_UPGRADE.) */
    sd->msg_pause = 1;
    return HPE_PAUSED;
  }
  return 0;
}

static const llhttp_settings_t http_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_url_complete = on_url_complete,
    .on_status_complete = on_status_complete,
    .on_status = on_status,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value_complete = on_header_value_complete,
};

static void side_reset(http_side *sd) {
  flush_body(sd);
  llhttp_init(&sd->p, sd->side == FS_SIDE_INITIATOR ? HTTP_REQUEST : HTTP_RESPONSE, &http_settings);
  sd->p.data = sd;
  /* A passive observer parses what servers accept, not what a strict
   * server would: bare LF line ends and odd header bytes, bodies after
   * "Connection: close", Transfer-Encoding and Content-Length together. */
  llhttp_set_lenient_headers(&sd->p, 1);
  llhttp_set_lenient_keep_alive(&sd->p, 1);
  llhttp_set_lenient_chunked_length(&sd->p, 1);
  /* A request whose Transfer-Encoding does not end in chunked has no
   * determinable length (RFC 9112 6.3): framing error, the side resyncs
   * (as tshark, which reads a chunked body there). Responses read to the close. */
  llhttp_set_lenient_transfer_encoding(&sd->p, sd->side == FS_SIDE_RESPONDER);
  sd->in_message = 0;
  sd->line_done = 0;
  sd->synth = 0;
  sd->msg_pause = 0;
  sd->ver_mode = HVM_LLHTTP;
  sd->cur = 0;
  start_headers(sd);
}

void *fsi_http_create(const fs_parser_env *env) {
  http_conn *c = calloc(1, sizeof *c);
  if (!c) {
    return NULL;
  }
  c->env = env;
  const char *opt = env ? env->options : NULL;
  uint64_t mp = fsi_http_option(opt, "max_pending", HTTP_PENDING_DEFAULT);
  c->max_pending = (uint32_t)(mp < 1 ? 1 : mp > HTTP_PENDING_LIMIT ? HTTP_PENDING_LIMIT : mp);
  /* Most connections have a request or two in flight: the ring starts
   * inside the connection and grows when pipelining needs it. */
  c->ring = c->ring_inline;
  c->ring_cap = c->max_pending < HTTP_RING_INLINE ? c->max_pending : HTTP_RING_INLINE;
  c->all_headers = fsi_http_option(opt, "all_headers", 0) != 0;
  c->max_header_bytes = fsi_http_option(opt, "max_header_bytes", HTTP_HEADER_BYTES_DEFAULT);
  for (uint32_t i = 0; i < 2; i++) {
    c->s[i].conn = c;
    c->s[i].side = i;
    side_reset(&c->s[i]);
  }
  return c;
}

static const char *error_reason(uint32_t side, llhttp_errno_t e) {
  int req = side == FS_SIDE_INITIATOR;
  switch (e) {
  case HPE_INVALID_METHOD: return "http: invalid request method";
  case HPE_INVALID_URL: return "http: invalid request target";
  case HPE_INVALID_VERSION:
    return req ? "http: invalid request version" : "http: invalid response version";
  case HPE_INVALID_STATUS: return "http: invalid status line";
  case HPE_INVALID_CONSTANT:
    return req ? "http: malformed request line" : "http: malformed status line";
  case HPE_INVALID_HEADER_TOKEN:
    return req ? "http: invalid request header" : "http: invalid response header";
  case HPE_INVALID_CONTENT_LENGTH:
  case HPE_UNEXPECTED_CONTENT_LENGTH: return "http: invalid Content-Length";
  case HPE_INVALID_CHUNK_SIZE: return "http: invalid chunk size";
  case HPE_INVALID_TRANSFER_ENCODING: return "http: invalid Transfer-Encoding";
  case HPE_CR_EXPECTED:
  case HPE_LF_EXPECTED:
    return req ? "http: malformed request framing" : "http: malformed response framing";
  default: return req ? "http: malformed request" : "http: malformed response";
  }
}

/* llhttp stops at an error without handing over the span (URL, header
 * value, ...) it was in; hand it over ourselves, up to the offending byte,
 * so a value reads the same however the input was split. */
static void flush_span_on_error(http_side *sd) {
  llhttp_t *p = &sd->p;
  const char *start = p->_span_pos0;
  const char *end = p->error_pos;
  int (*cb)(llhttp_t *, const char *, const char *);
  if (!start || !p->_span_cb0 || !end || !sd->buf_begin || start < sd->buf_begin ||
      end > sd->buf_end || end <= start) {
    return;
  }
  memcpy(&cb, &p->_span_cb0, sizeof cb);
  (void)cb(p, start, end);
}

static int poison_now(http_conn *c, const char *reason) {
  if (!c->poison) {
    c->poison = reason;
  }
  emit_all(c);
  c->s[0].state = c->s[1].state = HS_DEAD;
  return FS_PARSE_POISON;
}

static int finish_done(http_conn *c) {
  emit_all(c);
  c->s[0].state = c->s[1].state = HS_DEAD;
  return FS_PARSE_DONE;
}

/* Longest request line the normaliser waits for; longer ones go to llhttp as they are. */
#define REQLINE_WAIT_MAX 8192

enum { RL_GO = 0, RL_ERROR };

/* Whether @p n bytes can still begin a request line: a method token so far
 * (perhaps followed by the CR of its line end), or a token and a blank
 * (anything may follow until the line feed). */
static int could_be_request(const uint8_t *d, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (d[i] == ' ' || d[i] == '\t') {
      return i > 0;
    }
    if (d[i] == '\r' && i + 1 == n) {
      return i > 0; /* "OPTIONS" CR: its line feed may still come */
    }
    if (d[i] <= 0x20 || d[i] >= 0x7F || d[i] == '/') {
      return 0;
    }
  }
  return 1;
}

/* Feeds bytes of a request line from outside the main loop (the line
 * buffer): a line alone never completes a message. */
static int feed_line_raw(http_side *sd, const uint8_t *p, size_t n) {
  http_conn *c = sd->conn;
  sd->buf_begin = (const char *)p;
  sd->buf_end = (const char *)p + n;
  llhttp_errno_t e = llhttp_execute(&sd->p, (const char *)p, n);
  if (e != HPE_OK && !c->poison && e != HPE_PAUSED && e != HPE_PAUSED_UPGRADE) {
    flush_span_on_error(sd);
  }
  sd->buf_begin = sd->buf_end = NULL;
  if (e == HPE_OK) {
    return RL_GO;
  }
  if (!c->poison && sd->in_message && sd->line_done) {
    /* Start line read, the rest of it refused (e.g. "HTTP/1."): as in fsi_http_feed. */
    side_message_complete(sd, 0, 1);
    side_reset(sd);
    sd->state = HS_RESYNC;
    counter(c, "http.resync_after_error", 1);
    return RL_GO;
  }
  return RL_ERROR;
}

/* A whole request line (@p ll bytes, its line feed excluded) at a message
 * start: feeds llhttp a stand-in when it would refuse the line but servers
 * accept it. *fed: whether the line went to llhttp here (else the caller
 * feeds it). */
static int request_line(http_side *sd, const uint8_t *line, size_t ll, int *fed) {
  size_t l = ll > 0 && line[ll - 1] == '\r' ? ll - 1 : ll;
  http_reqline rl;
  *fed = 0;
  sd->ver_mode = HVM_LLHTTP;
  if (fsi_http_reqline_parse(line, l, &rl) != HRL_NORMALISE) {
    return RL_GO;
  }
  char standin[64];
  size_t n = fsi_http_reqline_standin(line, &rl, standin, sizeof standin);
  if (n == 0) {
    return RL_GO; /* cannot happen: the stand-in is short */
  }
  if (rl.ntok >= 3 && !rl.version_ok) {
    sd->ver_mode = HVM_NONE;
  } else if (rl.version_ok && !fsi_http_reqline_llhttp_version(&rl)) {
    sd->ver_mode = HVM_REAL;
    sd->ver[0] = rl.major;
    sd->ver[1] = '.';
    sd->ver[2] = rl.minor;
  }
  counter(sd->conn, "http.request_line_normalised", 1);
  sd->synth = 1;
  sd->rl = rl;
  sd->rl_line = line;
  sd->buf_begin = standin;
  sd->buf_end = standin + n;
  llhttp_errno_t e = llhttp_execute(&sd->p, standin, n);
  sd->synth = 0;
  sd->rl_line = NULL;
  sd->buf_begin = sd->buf_end = NULL;
  *fed = 1;
  return e == HPE_OK ? RL_GO : RL_ERROR; /* llhttp takes every stand-in */
}

/* Hands a partial request line kept in the line buffer to llhttp as it is
 * (a gap or the end cut it: method and target still get recorded). */
static int flush_line_buffer(http_side *sd) {
  size_t n = sd->lbuf_len;
  sd->lbuf_len = 0;
  sd->ver_mode = HVM_LLHTTP;
  return n ? feed_line_raw(sd, sd->lbuf, n) : RL_GO;
}

/*
 * At the start of a request (llhttp between messages): finds the request
 * line and gives it to request_line(). A line split over several feeds is
 * kept in the side's line buffer (the host drops bytes it keeps for us at
 * a gap), so the outcome does not depend on how the stream was cut.
 * *pos moves past what was handled.
 */
static int request_line_step(http_side *sd, const uint8_t *data, size_t len, size_t *pos) {
  size_t p = *pos;
  int fed = 0;
  if (sd->lbuf_len == 0) {
    sd->ver_mode = HVM_LLHTTP; /* a new request: nothing normalised yet */
    while (p < len && (data[p] == '\r' || data[p] == '\n')) {
      p++; /* blank lines between requests, as llhttp skips them */
    }
    *pos = p;
    if (p >= len) {
      return RL_GO;
    }
    size_t avail = len - p;
    size_t look = avail < REQLINE_WAIT_MAX ? avail : REQLINE_WAIT_MAX;
    const uint8_t *lf = memchr(data + p, '\n', look);
    if (lf) {
      int r = request_line(sd, data + p, (size_t)(lf - (data + p)), &fed);
      if (fed) {
        *pos = (size_t)(lf - data) + 1;
      }
      return r;
    }
    if (avail >= REQLINE_WAIT_MAX || !could_be_request(data + p, avail)) {
      return RL_GO; /* llhttp reads it (and refuses what is no request) */
    }
    if (!sd->lbuf) {
      sd->lbuf = malloc(REQLINE_WAIT_MAX);
      if (!sd->lbuf) {
        return RL_GO;
      }
    }
    memcpy(sd->lbuf, data + p, avail);
    sd->lbuf_len = avail;
    *pos = len;
    return RL_GO;
  }
  /* Continuing a line kept from earlier feeds. */
  size_t room = REQLINE_WAIT_MAX - sd->lbuf_len;
  size_t look = len - p < room ? len - p : room;
  const uint8_t *lf = memchr(data + p, '\n', look);
  size_t take = lf ? (size_t)(lf - (data + p)) + 1 : look;
  memcpy(sd->lbuf + sd->lbuf_len, data + p, take);
  sd->lbuf_len += take;
  *pos = p + take;
  if (!lf) {
    if (sd->lbuf_len < REQLINE_WAIT_MAX && could_be_request(sd->lbuf, sd->lbuf_len)) {
      return RL_GO; /* still waiting for the line feed */
    }
    return flush_line_buffer(sd);
  }
  size_t n = sd->lbuf_len;
  int r = request_line(sd, sd->lbuf, n - 1, &fed);
  if (r != RL_GO || fed) {
    sd->lbuf_len = 0;
    return r;
  }
  return flush_line_buffer(sd);
}

int fsi_http_feed(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts,
                  size_t *consumed) {
  http_conn *c = self;
  size_t pos = 0;
  *consumed = len;
  if (c->poison) {
    return FS_PARSE_POISON;
  }
  if (c->done) {
    return FS_PARSE_DONE;
  }
  if (!c->roles_set && len > 0) {
    /* The side that sends requests is the client, whatever the host's guess. */
    int h = fsi_http_role_hint(side & 1, data, len);
    if (h < 0) {
      *consumed = 0;
      return FS_PARSE_OK;
    }
    c->swap = h > 0;
    c->roles_set = 1;
    if (c->swap) {
      counter(c, "http.roles_swapped", 1);
    }
  }
  http_side *sd = &c->s[(side ^ c->swap) & 1];
  sd->ts = ts;
  while (pos < len) {
    if (sd->state == HS_DEAD) {
      break;
    }
    if (sd->state == HS_PAUSED) {
      *consumed = pos; /* kept by the host until the upgrade is settled */
      return FS_PARSE_OK;
    }
    if (sd->state == HS_RESYNC) {
      int partial = 0;
      size_t off = fsi_http_resync_scan(sd->side, data + pos, len - pos, &partial);
      if (partial) {
        *consumed = pos + off;
        return FS_PARSE_OK;
      }
      pos += off;
      if (pos >= len) {
        break;
      }
      side_reset(sd);
      sd->state = HS_NORMAL;
      counter(c, "http.resync", 1);
    }
    if (sd->side == FS_SIDE_INITIATOR && (!sd->in_message || sd->lbuf_len > 0)) {
      if (request_line_step(sd, data, len, &pos) != RL_GO) {
        return poison_now(c,
                          c->poison ? c->poison : error_reason(sd->side, llhttp_get_errno(&sd->p)));
      }
      if (c->poison) {
        return poison_now(c, c->poison);
      }
      if (pos >= len || sd->state != HS_NORMAL) {
        continue;
      }
    }
    const char *b = (const char *)data + pos;
    sd->buf_begin = b;
    sd->buf_end = (const char *)data + len;
    llhttp_errno_t e = llhttp_execute(&sd->p, b, len - pos);
    if (e != HPE_OK && !c->poison && !c->done && e != HPE_PAUSED && e != HPE_PAUSED_UPGRADE) {
      flush_span_on_error(sd);
    }
    sd->buf_begin = sd->buf_end = NULL;
    const uint8_t *epos = e == HPE_OK ? NULL : (const uint8_t *)llhttp_get_error_pos(&sd->p);
    int epos_ok = epos != NULL && epos >= data + pos && epos <= data + len;
    if (e == HPE_OK) {
      pos = len;
    } else if (c->poison) {
      return poison_now(c, c->poison);
    } else if (c->done) {
      if (c->tunnel && host_takes_handoff(c)) {
        /* CONNECT accepted: the host detects the tunnel's protocol on the
         * bytes after the response (and on the request side's kept ones). */
        *consumed = epos_ok ? (size_t)(epos - data) : len;
        (void)finish_done(c);
        return FS_PARSE_HANDOFF;
      }
      return finish_done(c);
    } else if (e == HPE_PAUSED && sd->msg_pause && epos_ok) {
      /* One request done; the next one's line gets looked at first. */
      sd->msg_pause = 0;
      llhttp_resume(&sd->p);
      pos = (size_t)(epos - data);
    } else if (e == HPE_PAUSED_UPGRADE && sd->side == FS_SIDE_INITIATOR) {
      /* CONNECT or Upgrade: what follows is not HTTP unless the server says no. */
      http_txn *t = c->count ? c->ring[(c->head + c->count - 1) % c->ring_cap] : NULL;
      if (t && t->has_req) {
        t->req_upgrade = 1;
      }
      sd->state = HS_PAUSED;
      *consumed = epos_ok ? (size_t)(epos - data) : len;
      return FS_PARSE_OK;
    } else if (e == HPE_PAUSED_UPGRADE) {
      c->done = 1; /* a response switching protocols without our say */
      return finish_done(c);
    } else if (sd->in_message && sd->line_done && epos_ok) {
      /* Framing llhttp cannot follow (a bad Content-Length, a request
       * Transfer-Encoding not ending in chunked, a malformed header line)
       * after a good start line: report the message as far as it got and
       * look for the next start line, as for a gap. Garbage where a start
       * line should be still poisons (below). */
      side_message_complete(sd, sd->p.status_code, 1);
      side_reset(sd);
      sd->state = HS_RESYNC;
      counter(c, "http.resync_after_error", 1);
      pos = (size_t)(epos - data);
    } else {
      return poison_now(c, error_reason(sd->side, e));
    }
  }
  return FS_PARSE_OK;
}

int fsi_http_gap(void *self, uint32_t side, uint64_t len, fs_time_ns ts) {
  http_conn *c = self;
  c->roles_set = 1; /* no more guessing from first bytes after a hole */
  http_side *sd = &c->s[(side ^ c->swap) & 1];
  (void)ts;
  if (c->poison) {
    return FS_PARSE_POISON;
  }
  if (c->done) {
    return FS_PARSE_DONE;
  }
  if (sd->state == HS_DEAD) {
    return FS_PARSE_OK;
  }
  counter(c, "http.gap", 1);
  if (sd->lbuf_len > 0 && flush_line_buffer(sd) != RL_GO) {
    return poison_now(c, c->poison ? c->poison : error_reason(sd->side, llhttp_get_errno(&sd->p)));
  }
  if (sd->state == HS_NORMAL && sd->in_message) {
    flush_body(sd);
    http_txn *t = cur_txn(sd);
    /* A gap inside a body of known length: skip it and keep parsing. */
    int in_body =
        llhttp_get_errno(&sd->p) == HPE_OK && (sd->p.flags & F_CONTENT_LENGTH) &&
        !(sd->p.flags & F_CHUNKED) && sd->p.content_length > 0 && t &&
        (sd->side == FS_SIDE_INITIATOR ? t->f[HF_REQ_VERSION].set : t->f[HF_RESP_VERSION].set);
    if (in_body && sd->p.content_length > len) {
      sd->p.content_length -= len;
      if (sd->side == FS_SIDE_INITIATOR) {
        t->req_body_len += len;
      } else {
        t->resp_body_len += len;
      }
      return FS_PARSE_OK;
    }
    if (in_body && sd->p.content_length == len) {
      if (sd->side == FS_SIDE_INITIATOR) {
        t->req_body_len += len;
      } else {
        t->resp_body_len += len;
      }
      int stop = side_message_complete(sd, sd->p.status_code, 0);
      side_reset(sd);
      return stop ? finish_done(c) : FS_PARSE_OK;
    }
    side_message_complete(sd, sd->p.status_code, 1);
  }
  side_reset(sd);
  sd->state = HS_RESYNC;
  return FS_PARSE_OK;
}

/* End of one direction: completes a body delimited by the close. */
static int end_of_side(http_conn *c, http_side *sd) {
  if (sd->lbuf_len > 0 && flush_line_buffer(sd) != RL_GO) {
    sd->state = HS_DEAD; /* a cut line llhttp refused: nothing to report */
    return c->done ? FS_PARSE_DONE : FS_PARSE_OK;
  }
  if (sd->state == HS_NORMAL && sd->in_message) {
    llhttp_errno_t e = llhttp_finish(&sd->p);
    if (sd->in_message) {
      (void)e; /* cut short: keep what was parsed */
      side_message_complete(sd, sd->p.status_code, 1);
    }
  }
  sd->state = HS_DEAD;
  return c->done ? FS_PARSE_DONE : FS_PARSE_OK;
}

int fsi_http_end_side(void *self, uint32_t side, fs_time_ns ts) {
  http_conn *c = self;
  (void)ts;
  if (c->poison) {
    return FS_PARSE_POISON;
  }
  if (c->done) {
    return FS_PARSE_DONE;
  }
  int r = end_of_side(c, &c->s[(side ^ c->swap) & 1]);
  try_emit(c);
  return r == FS_PARSE_DONE ? finish_done(c) : r;
}

void fsi_http_finish(void *self, fs_time_ns ts) {
  http_conn *c = self;
  (void)ts;
  if (!c->poison && !c->done) {
    end_of_side(c, &c->s[1]);
    end_of_side(c, &c->s[0]);
  }
  emit_all(c);
  c->s[0].state = c->s[1].state = HS_DEAD;
}

/* finish() emits the transactions still queued and a request line still
 * buffered; with neither, it emits nothing (a message in progress always
 * has its transaction queued). */
int fsi_http_idle(void *self) {
  const http_conn *c = self;
  return c->count == 0 && c->s[0].lbuf_len == 0 && c->s[1].lbuf_len == 0;
}

const char *fsi_http_poison_reason(void *self) { return ((http_conn *)self)->poison; }

void fsi_http_destroy(void *self) {
  http_conn *c = self;
  if (!c) {
    return;
  }
  while (c->count > 0) {
    pop_head(c);
  }
  while (c->pool) {
    http_txn *t = c->pool;
    c->pool = t->next_free;
    fsi_http_txn_free(t);
  }
  free(c->s[0].lbuf);
  free(c->s[1].lbuf);
  if (c->ring != c->ring_inline) {
    free(c->ring);
  }
  free(c);
}
