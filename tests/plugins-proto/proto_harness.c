/* SPDX-License-Identifier: MIT */
/* Protocol plugin test harness (see proto_harness.h). */
#include "proto_harness.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_emit(void *ctx, const fs_message *m) {
  ph_ctx *c = ctx;
  if (c->n >= PH_MAX_MSGS) {
    return;
  }
  c->msgs[c->n] = fs_message_clone(m);
  /* Canonical text: every field, kind and value, in order. */
  size_t cap = 8192, len = 0;
  char *t = malloc(cap);
  len += (size_t)snprintf(t + len, cap - len, "%s/%s side=%u ts=%llu", m->protocol, m->msg_type,
                          m->side, (unsigned long long)m->ts);
  for (uint32_t i = 0; i < m->n_fields && len < cap - 64; i++) {
    const fs_field *f = &m->fields[i];
    len += (size_t)snprintf(t + len, cap - len, " %s:%u=", f->name, f->kind);
    switch (f->kind) {
    case FS_FIELD_STR:
    case FS_FIELD_BYTES:
      len += (size_t)snprintf(t + len, cap - len, "[%.*s]", (int)f->v.str.len, f->v.str.ptr);
      break;
    case FS_FIELD_STR_LIST:
      for (uint32_t k = 0; k < f->count && len < cap - 64; k++) {
        len +=
            (size_t)snprintf(t + len, cap - len, "[%.*s]", (int)f->v.list[k].len, f->v.list[k].ptr);
      }
      break;
    case FS_FIELD_U64_LIST:
      for (uint32_t k = 0; k < f->count && len < cap - 64; k++) {
        len += (size_t)snprintf(t + len, cap - len, "%llu,", (unsigned long long)f->v.u64s[k]);
      }
      break;
    case FS_FIELD_NONE: len += (size_t)snprintf(t + len, cap - len, "-"); break;
    default:
      len += (size_t)snprintf(t + len, cap - len, "%llu", (unsigned long long)f->v.u64);
      break;
    }
  }
  c->text[c->n] = t;
  c->n++;
}

static void on_counter(void *host, const char *name, uint64_t v) {
  (void)name;
  ((ph_ctx *)host)->counter_calls += v;
}

int ph_open(ph_ctx *c, const char *name, const char *proto, const char *options) {
  char path[4096];
  memset(c, 0, sizeof *c);
  snprintf(path, sizeof path, "%s/%s.so", FS_PLUGIN_BUILD_DIR, name);
  c->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!c->dl) {
    fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
    return -1;
  }
  fs_plugin_entry_fn entry;
  *(void **)&entry = dlsym(c->dl, FS_PLUGIN_ENTRY_SYMBOL);
  if (!entry) {
    return -1;
  }
  fs_host_info hi = {sizeof hi, FS_ABI_MAJOR, FS_ABI_MINOR, "proto-harness"};
  c->desc = entry(&hi);
  if (!c->desc || c->desc->magic != FS_PLUGIN_MAGIC) {
    return -1;
  }
  for (uint32_t i = 0; i < c->desc->n_protocols; i++) {
    if (strcmp(c->desc->protocols[i]->name, proto) == 0) {
      c->proto = c->desc->protocols[i];
    }
  }
  if (!c->proto) {
    return -1;
  }
  c->host.struct_size = sizeof c->host;
  c->host.abi_major = FS_ABI_MAJOR;
  c->host.abi_minor = FS_ABI_MINOR;
  c->host.host = c;
  c->host.counter_add = on_counter;
  c->env.struct_size = sizeof c->env;
  c->env.initiator_is_a = 1;
  c->env.host = &c->host;
  c->env.emit = on_emit;
  c->env.emit_ctx = c;
  c->env.options = options;
  return 0;
}

int ph_create(ph_ctx *c, int tcp) {
  c->tcp = tcp;
  c->parser = tcp ? c->proto->session->create(&c->env) : c->proto->datagram->create(&c->env);
  for (int s = 0; s < 2; s++) {
    free(c->kept[s]);
    c->kept[s] = NULL;
    c->kept_len[s] = 0;
  }
  return c->parser ? 0 : -1;
}

int ph_feed(ph_ctx *c, uint32_t side, const void *data, size_t len, fs_time_ns ts) {
  /* Like the host: the parser sees the kept bytes followed by the new ones,
   * in an exact-size allocation so an over-read hits a redzone. */
  size_t total = c->kept_len[side] + len;
  uint8_t *buf = malloc(total ? total : 1);
  if (c->kept_len[side]) {
    memcpy(buf, c->kept[side], c->kept_len[side]);
  }
  if (len) {
    memcpy(buf + c->kept_len[side], data, len);
  }
  size_t consumed = 0;
  int r = c->proto->session->feed(c->parser, side, buf, total, ts, &consumed);
  if (consumed > total) {
    consumed = total; /* a test asserts on this separately */
  }
  free(c->kept[side]);
  c->kept_len[side] = total - consumed;
  c->kept[side] = NULL;
  if (c->kept_len[side]) {
    c->kept[side] = malloc(c->kept_len[side]);
    memcpy(c->kept[side], buf + consumed, c->kept_len[side]);
  }
  free(buf);
  return r;
}

int ph_feed_pieces(ph_ctx *c, uint32_t side, const void *data, size_t len, fs_time_ns ts,
                   size_t piece) {
  const uint8_t *p = data;
  int r = FS_PARSE_OK;
  for (size_t off = 0; off < len && r == FS_PARSE_OK; off += piece) {
    size_t n = len - off < piece ? len - off : piece;
    r = ph_feed(c, side, p + off, n, ts);
  }
  return r;
}

int ph_datagram(ph_ctx *c, uint32_t side, const void *data, size_t len, fs_time_ns ts) {
  uint8_t *buf = malloc(len ? len : 1);
  memcpy(buf, data, len);
  int r = c->proto->datagram->datagram(c->parser, side, buf, len, ts);
  free(buf);
  return r;
}

void ph_finish(ph_ctx *c, fs_time_ns ts) {
  if (!c->parser) {
    return;
  }
  const fs_session_parser_ops *s = c->proto->session;
  const fs_datagram_parser_ops *d = c->proto->datagram;
  if (c->tcp) {
    s->finish(c->parser, ts);
    s->destroy(c->parser);
  } else {
    d->finish(c->parser, ts);
    d->destroy(c->parser);
  }
  c->parser = NULL;
}

void ph_clear(ph_ctx *c) {
  for (size_t i = 0; i < c->n; i++) {
    fs_message_free(c->msgs[i]);
    free(c->text[i]);
  }
  c->n = 0;
}

void ph_close(ph_ctx *c) {
  if (c->parser) {
    ph_finish(c, 0);
  }
  ph_clear(c);
  for (int s = 0; s < 2; s++) {
    free(c->kept[s]);
    c->kept[s] = NULL;
  }
  if (c->dl) {
    dlclose(c->dl);
  }
  c->dl = NULL;
}

const fs_field *ph_field(const ph_ctx *c, size_t i, const char *name) {
  if (i >= c->n || !c->msgs[i]) {
    return NULL;
  }
  return fs_message_field(c->msgs[i], name);
}

int ph_str_is(const ph_ctx *c, size_t i, const char *name, const char *s) {
  const fs_field *f = ph_field(c, i, name);
  if (!f || f->kind != FS_FIELD_STR) {
    fprintf(stderr, "msg %zu: field %s is not a string\n", i, name);
    return 0;
  }
  /* An empty value may come with a NULL pointer: no memcmp on it (UBSan). */
  if (f->v.str.len != strlen(s) ||
      (f->v.str.len != 0 && memcmp(f->v.str.ptr, s, f->v.str.len) != 0)) {
    fprintf(stderr, "msg %zu: %s = [%.*s], expected [%s]\n", i, name, (int)f->v.str.len,
            f->v.str.ptr, s);
    return 0;
  }
  return 1;
}

uint64_t ph_u64(const ph_ctx *c, size_t i, const char *name) {
  const fs_field *f = ph_field(c, i, name);
  if (!f || f->kind == FS_FIELD_NONE || f->kind == FS_FIELD_STR || f->kind == FS_FIELD_STR_LIST ||
      f->kind == FS_FIELD_U64_LIST) {
    return UINT64_MAX;
  }
  return f->v.u64;
}

const char *ph_list_item(const ph_ctx *c, size_t i, const char *name, uint32_t k) {
  static char buf[2048];
  const fs_field *f = ph_field(c, i, name);
  if (!f || f->kind != FS_FIELD_STR_LIST || k >= f->count) {
    return NULL;
  }
  size_t n = f->v.list[k].len < sizeof buf - 1 ? f->v.list[k].len : sizeof buf - 1;
  memcpy(buf, f->v.list[k].ptr, n);
  buf[n] = 0;
  return buf;
}

char *ph_all_text(const ph_ctx *c) {
  size_t total = 1;
  for (size_t i = 0; i < c->n; i++) {
    total += strlen(c->text[i]) + 1;
  }
  char *s = malloc(total);
  s[0] = 0;
  for (size_t i = 0; i < c->n; i++) {
    strcat(s, c->text[i]);
    strcat(s, "\n");
  }
  return s;
}
