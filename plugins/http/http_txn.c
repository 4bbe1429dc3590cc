/* SPDX-License-Identifier: MIT */
/* Bounded value storage of one HTTP transaction and its message builder. */
#include "http_txn.h"

#include <stdlib.h>
#include <string.h>

/* Per field id: its full bound, and its inline slot (offset, size) in
 * t->inl. Slots fit the usual value (a short method, a path, a host name);
 * the versions fit whole. */
static const uint16_t full_cap[HF_COUNT] = {
    [HF_METHOD] = HTTP_METHOD_MAX,
    [HF_REQ_VERSION] = HTTP_VERSION_MAX,
    [HF_URI] = HTTP_URI_MAX,
    [HF_HOST] = HTTP_HOST_MAX,
    [HF_UA] = HTTP_UA_MAX,
    [HF_REFERRER] = HTTP_REFERRER_MAX,
    [HF_REQ_CTYPE] = HTTP_CTYPE_MAX,
    [HF_RESP_VERSION] = HTTP_VERSION_MAX,
    [HF_STATUS_MSG] = HTTP_STATUS_MSG_MAX,
    [HF_RESP_CTYPE] = HTTP_CTYPE_MAX,
    [HF_INFO_MSG] = HTTP_STATUS_MSG_MAX,
};
static const uint16_t inl_cap[HF_COUNT] = {
    [HF_METHOD] = 16,     [HF_REQ_VERSION] = HTTP_VERSION_MAX,
    [HF_URI] = 96,        [HF_HOST] = 48,
    [HF_UA] = 64,         [HF_REFERRER] = 48,
    [HF_REQ_CTYPE] = 32,  [HF_RESP_VERSION] = HTTP_VERSION_MAX,
    [HF_STATUS_MSG] = 32, [HF_RESP_CTYPE] = 32,
    [HF_INFO_MSG] = 32,
};
static const uint16_t inl_off[HF_COUNT] = {
    [HF_METHOD] = 0,       [HF_REQ_VERSION] = 16, [HF_URI] = 24,        [HF_HOST] = 120,
    [HF_UA] = 168,         [HF_REFERRER] = 232,   [HF_REQ_CTYPE] = 280, [HF_RESP_VERSION] = 312,
    [HF_STATUS_MSG] = 320, [HF_RESP_CTYPE] = 352, [HF_INFO_MSG] = 384,
};
_Static_assert(384 + 32 == HTTP_INLINE_BYTES, "inline slots fill t->inl exactly");

void fsi_http_txn_reset(http_txn *t) {
  http_txn *nf = t->next_free;
  memset(t, 0, offsetof(http_txn, ext));
  t->next_free = nf;
  for (int i = 0; i < 2; i++) {
    if (t->hdrs[i]) {
      t->hdrs[i]->used = t->hdrs[i]->n = t->hdrs[i]->open = t->hdrs[i]->dropped = 0;
    }
  }
}

void fsi_http_txn_free(http_txn *t) {
  for (int i = 0; i < HF_COUNT; i++) {
    free(t->ext[i]);
  }
  free(t->hdrs[0]);
  free(t->hdrs[1]);
  free(t);
}

char *fsi_http_txn_buf(http_txn *t, int id, uint32_t *cap) {
  if (id <= HF_NONE || id >= HF_COUNT) {
    *cap = 0;
    return NULL;
  }
  if (t->spilled & (1u << id)) {
    *cap = full_cap[id];
    return t->ext[id];
  }
  *cap = inl_cap[id];
  return t->inl + inl_off[id];
}

const char *fsi_http_txn_val(const http_txn *t, int id) {
  if (id <= HF_NONE || id >= HF_COUNT) {
    return NULL;
  }
  return (t->spilled & (1u << id)) ? t->ext[id] : t->inl + inl_off[id];
}

/* Moves value @p id to its full-bound buffer when @p more bytes would not
 * fit its slot. Without memory for it the value stays in the slot, and is
 * cut there. */
static void spill(http_txn *t, int id, size_t more) {
  if ((t->spilled & (1u << id)) || t->f[id].len + more <= inl_cap[id]) {
    return;
  }
  if (t->ext[id] == NULL) {
    t->ext[id] = malloc(full_cap[id]);
    if (t->ext[id] == NULL) {
      return;
    }
  }
  memcpy(t->ext[id], t->inl + inl_off[id], t->f[id].len);
  t->spilled |= 1u << id;
}

void fsi_http_txn_append(http_txn *t, int id, const char *p, size_t n) {
  if (id <= HF_NONE || id >= HF_COUNT || n == 0) {
    return;
  }
  http_sbuf *s = &t->f[id];
  if (s->set == 2) {
    return; /* already cut: the stored prefix is final */
  }
  spill(t, id, n);
  uint32_t cap;
  char *b = fsi_http_txn_buf(t, id, &cap);
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

void fsi_http_txn_assign(http_txn *t, int id, const char *p, size_t n) {
  if (id <= HF_NONE || id >= HF_COUNT) {
    return;
  }
  memset(&t->f[id], 0, sizeof t->f[id]);
  fsi_http_txn_append(t, id, p, n);
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

static fs_field opt_str(const char *name, const http_txn *t, int id) {
  const http_sbuf *s = &t->f[id];
  return s->set ? fs_field_str(name, fsi_http_txn_val(t, id), s->len) : none_field(name);
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
  f[n++] = opt_str("method", t, HF_METHOD);
  f[n++] = opt_str("host", t, HF_HOST);
  f[n++] = opt_str("uri", t, HF_URI);
  f[n++] = opt_str("referrer", t, HF_REFERRER);
  if (t->f[HF_REQ_VERSION].set) {
    f[n++] = opt_str("version", t, HF_REQ_VERSION);
  } else {
    f[n++] = opt_str("version", t, HF_RESP_VERSION);
  }
  f[n++] = opt_str("user_agent", t, HF_UA);
  f[n++] = fs_field_u64("request_body_len", t->req_body_len);
  f[n++] = fs_field_u64("response_body_len", t->resp_body_len);
  f[n++] = t->status_code ? fs_field_u64("status_code", t->status_code) : none_field("status_code");
  f[n++] = t->status_code ? opt_str("status_msg", t, HF_STATUS_MSG) : none_field("status_msg");
  f[n++] = t->info_code ? fs_field_u64("info_code", t->info_code) : none_field("info_code");
  f[n++] = t->info_code
               ? fs_field_str("info_msg", fsi_http_txn_val(t, HF_INFO_MSG), t->f[HF_INFO_MSG].len)
               : none_field("info_msg");
  omime.ptr = octype;
  omime.len = media_type(fsi_http_txn_val(t, HF_REQ_CTYPE), t->f[HF_REQ_CTYPE].len, octype);
  rmime.ptr = rctype;
  rmime.len = media_type(fsi_http_txn_val(t, HF_RESP_CTYPE), t->f[HF_RESP_CTYPE].len, rctype);
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
