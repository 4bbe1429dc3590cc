/* SPDX-License-Identifier: MIT */
/* Bounded value storage of one HTTP transaction and its message builder. */
#include "http_txn.h"

#include <string.h>

void fsi_http_txn_reset(http_txn *t) {
  http_allhdr *h0 = t->hdrs[0], *h1 = t->hdrs[1];
  http_txn *nf = t->next_free;
  memset(t, 0, offsetof(http_txn, method));
  t->next_free = nf;
  t->info_msg_len = 0;
  t->hdrs[0] = h0;
  t->hdrs[1] = h1;
  for (int i = 0; i < 2; i++) {
    if (t->hdrs[i]) {
      t->hdrs[i]->used = t->hdrs[i]->n = t->hdrs[i]->open = t->hdrs[i]->dropped = 0;
    }
  }
}

char *fsi_http_txn_buf(http_txn *t, int id, uint32_t *cap) {
  switch (id) {
  case HF_METHOD: *cap = HTTP_METHOD_MAX; return t->method;
  case HF_REQ_VERSION: *cap = HTTP_VERSION_MAX; return t->req_version;
  case HF_RESP_VERSION: *cap = HTTP_VERSION_MAX; return t->resp_version;
  case HF_URI: *cap = HTTP_URI_MAX; return t->uri;
  case HF_HOST: *cap = HTTP_HOST_MAX; return t->host;
  case HF_UA: *cap = HTTP_UA_MAX; return t->ua;
  case HF_REFERRER: *cap = HTTP_REFERRER_MAX; return t->referrer;
  case HF_REQ_CTYPE: *cap = HTTP_CTYPE_MAX; return t->req_ctype;
  case HF_STATUS_MSG: *cap = HTTP_STATUS_MSG_MAX; return t->status_msg;
  case HF_RESP_CTYPE: *cap = HTTP_CTYPE_MAX; return t->resp_ctype;
  default: *cap = 0; return NULL;
  }
}

void fsi_http_txn_append(http_txn *t, int id, const char *p, size_t n) {
  uint32_t cap;
  char *b = fsi_http_txn_buf(t, id, &cap);
  if (!b || n == 0) {
    return;
  }
  http_sbuf *s = &t->f[id];
  if (s->set == 2) {
    return; /* already cut: the stored prefix is final */
  }
  size_t room = cap - s->len;
  if (n > room) {
    t->truncated++; /* once per value, however the input was split */
    n = room;
    s->set = 2;
  } else if (!s->set) {
    s->set = 1;
  }
  memcpy(b + s->len, p, n);
  s->len += (uint32_t)n;
}

void fsi_http_txn_rtrim(http_txn *t, int id) {
  uint32_t cap;
  char *b = fsi_http_txn_buf(t, id, &cap);
  if (!b) {
    return;
  }
  http_sbuf *s = &t->f[id];
  while (s->len > 0 && (b[s->len - 1] == ' ' || b[s->len - 1] == '\t')) {
    s->len--;
  }
}

int fsi_http_allhdr_begin(http_txn *t, uint32_t side) {
  http_allhdr *h = t->hdrs[side & 1];
  if (!h) {
    return 0;
  }
  h->open = 0;
  if (h->n >= HTTP_ALLHDR_MAX) {
    h->dropped++;
    return 0;
  }
  h->off[h->n] = h->used;
  h->len[h->n] = 0;
  h->n++;
  h->open = 1;
  return 1;
}

void fsi_http_allhdr_append(http_txn *t, uint32_t side, const char *p, size_t n) {
  http_allhdr *h = t->hdrs[side & 1];
  if (!h || !h->open) {
    return;
  }
  size_t room = HTTP_ALLHDR_BYTES - h->used;
  if (n > room) {
    h->dropped++;
    n = room;
  }
  memcpy(h->buf + h->used, p, n);
  h->used += (uint32_t)n;
  h->len[h->n - 1] += (uint32_t)n;
}

/* Content-Type media type without parameters, lower-cased (as Zeek's mime
 * types read); 0 when there is none. */
static size_t media_type(const char *src, uint32_t len, char *out) {
  size_t n = 0;
  for (uint32_t i = 0; i < len && src[i] != ';'; i++) {
    char c = src[i];
    if (c == ' ' || c == '\t') {
      continue;
    }
    out[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
  }
  return n;
}

static fs_field none_field(const char *name) {
  fs_field f = {0};
  f.name = name;
  f.kind = FS_FIELD_NONE;
  return f;
}

static fs_field opt_str(const char *name, const char *p, const http_sbuf *s) {
  return s->set ? fs_field_str(name, p, s->len) : none_field(name);
}

#define HTTP_MAX_FIELDS 20

void fsi_http_txn_emit(const http_txn *t, const fs_parser_env *env, int all_headers,
                       uint32_t swap) {
  fs_field f[HTTP_MAX_FIELDS];
  uint32_t n = 0;
  char octype[HTTP_CTYPE_MAX], rctype[HTTP_CTYPE_MAX];
  fs_str omime, rmime;
  fs_str hl[2][HTTP_ALLHDR_MAX];

  f[n++] = fs_field_u64("trans_depth", t->depth);
  f[n++] = opt_str("method", t->method, &t->f[HF_METHOD]);
  f[n++] = opt_str("host", t->host, &t->f[HF_HOST]);
  f[n++] = opt_str("uri", t->uri, &t->f[HF_URI]);
  f[n++] = opt_str("referrer", t->referrer, &t->f[HF_REFERRER]);
  if (t->f[HF_REQ_VERSION].set) {
    f[n++] = opt_str("version", t->req_version, &t->f[HF_REQ_VERSION]);
  } else {
    f[n++] = opt_str("version", t->resp_version, &t->f[HF_RESP_VERSION]);
  }
  f[n++] = opt_str("user_agent", t->ua, &t->f[HF_UA]);
  f[n++] = fs_field_u64("request_body_len", t->req_body_len);
  f[n++] = fs_field_u64("response_body_len", t->resp_body_len);
  f[n++] = t->status_code ? fs_field_u64("status_code", t->status_code) : none_field("status_code");
  f[n++] = t->status_code ? opt_str("status_msg", t->status_msg, &t->f[HF_STATUS_MSG])
                          : none_field("status_msg");
  f[n++] = t->info_code ? fs_field_u64("info_code", t->info_code) : none_field("info_code");
  f[n++] = t->info_code ? fs_field_str("info_msg", t->info_msg, t->info_msg_len)
                        : none_field("info_msg");
  omime.ptr = octype;
  omime.len = media_type(t->req_ctype, t->f[HF_REQ_CTYPE].len, octype);
  rmime.ptr = rctype;
  rmime.len = media_type(t->resp_ctype, t->f[HF_RESP_CTYPE].len, rctype);
  f[n++] = fs_field_str_list("orig_mime_types", &omime, omime.len ? 1u : 0u);
  f[n++] = fs_field_str_list("resp_mime_types", &rmime, rmime.len ? 1u : 0u);
  f[n++] = fs_field_u64("truncated", t->truncated);
  if (all_headers) {
    static const char *const names[2] = {"client_headers", "server_headers"};
    for (int s = 0; s < 2; s++) {
      const http_allhdr *h = t->hdrs[s];
      uint32_t k = 0;
      for (; h && k < h->n; k++) {
        hl[s][k].ptr = h->buf + h->off[k];
        hl[s][k].len = h->len[k];
      }
      f[n++] = fs_field_str_list(names[s], hl[s], k);
    }
  }

  fs_message m = {0};
  m.struct_size = (uint32_t)sizeof m;
  m.side = (t->has_req ? FS_SIDE_INITIATOR : FS_SIDE_RESPONDER) ^ (swap & 1u);
  m.protocol = "http";
  m.msg_type = "transaction";
  m.ts = t->ts;
  m.fields = f;
  m.n_fields = n;
  if (env && env->emit) {
    env->emit(env->emit_ctx, &m);
  }
}
