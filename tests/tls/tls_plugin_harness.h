/* SPDX-License-Identifier: MIT */
/* Loads tls.so through its one entry symbol and plays the host: keeps the
 * bytes a feed did not consume and hands them again with the next ones, and
 * records every emitted message as one text line for comparisons. */
#ifndef FLOWSCOPE_TLS_PLUGIN_HARNESS_H
#define FLOWSCOPE_TLS_PLUGIN_HARNESS_H

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowscope/plugin.h"

#ifdef FS_PLUGIN_BUILD_DIR
/* Opens FS_PLUGIN_BUILD_DIR/tls.so and returns its "ssl" protocol entry. */
static inline const fs_protocol_desc *th_load(void **handle) {
  char path[4096];
  snprintf(path, sizeof path, "%s/tls.so", FS_PLUGIN_BUILD_DIR);
  *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!*handle) {
    fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
    return NULL;
  }
  fs_plugin_entry_fn entry = (fs_plugin_entry_fn)(uintptr_t)dlsym(*handle, FS_PLUGIN_ENTRY_SYMBOL);
  if (!entry)
    return NULL;
  fs_host_info hi = {sizeof hi, FS_ABI_MAJOR, FS_ABI_MINOR, "tls-test"};
  const fs_plugin_desc *d = entry(&hi);
  if (!d || d->n_protocols != 1)
    return NULL;
  return d->protocols[0];
}
#endif

/* Messages rendered as text, appended one per line. */
typedef struct th_out {
  char text[65536];
  size_t len;
  unsigned count;
} th_out;

static inline void th_put(th_out *o, const char *s, size_t n) {
  if (o->len + n + 1 > sizeof o->text)
    n = sizeof o->text - 1 - o->len;
  memcpy(o->text + o->len, s, n);
  o->len += n;
  o->text[o->len] = '\0';
}

/* Appends @p v in decimal, after @p prefix. */
static inline void th_putu(th_out *o, const char *prefix, unsigned long long v) {
  char tmp[64];
  int n = snprintf(tmp, sizeof tmp, "%s%llu", prefix, v);
  th_put(o, tmp, (size_t)n);
}

static inline void th_emit(void *ctx, const fs_message *m) {
  th_out *o = ctx;
  o->count++;
  th_put(o, m->protocol, strlen(m->protocol));
  th_put(o, "/", 1);
  th_put(o, m->msg_type, strlen(m->msg_type));
  th_putu(o, " side=", m->side);
  th_putu(o, " ts=", m->ts);
  for (uint32_t i = 0; i < m->n_fields; i++) {
    const fs_field *f = &m->fields[i];
    th_put(o, " ", 1);
    th_put(o, f->name, strlen(f->name));
    th_put(o, "=", 1);
    switch (f->kind) {
    case FS_FIELD_STR:
    case FS_FIELD_BYTES: th_put(o, f->v.str.ptr, (size_t)f->v.str.len); break;
    case FS_FIELD_U64:
    case FS_FIELD_BOOL: th_putu(o, "", f->v.u64); break;
    case FS_FIELD_U64_LIST:
      for (uint32_t j = 0; j < f->count; j++)
        th_putu(o, j ? "," : "", f->v.u64s[j]);
      break;
    case FS_FIELD_STR_LIST:
      for (uint32_t j = 0; j < f->count; j++) {
        if (j)
          th_put(o, "|", 1);
        th_put(o, f->v.list[j].ptr, (size_t)f->v.list[j].len);
      }
      break;
    default: th_put(o, "?", 1);
    }
  }
  th_put(o, "\n", 1);
}

/* One parser instance driven like the host drives it. */
typedef struct th_flow {
  const fs_session_parser_ops *ops;
  void *parser;
  fs_parser_env env;
  uint8_t *pending[2];
  size_t npending[2];
  int status; /* last fs_parse_status; the host stops once it is not OK */
  th_out *out;
} th_flow;

static inline void th_open(th_flow *f, const fs_protocol_desc *proto, th_out *out) {
  memset(f, 0, sizeof *f);
  f->ops = proto->session;
  f->out = out;
  f->env.struct_size = sizeof f->env;
  f->env.initiator_is_a = 1;
  f->env.emit = th_emit;
  f->env.emit_ctx = out;
  f->parser = f->ops->create(&f->env);
}

/* Hands @p n new bytes of @p side to the parser, with what it left before. */
static inline void th_feed(th_flow *f, uint32_t side, const uint8_t *p, size_t n, fs_time_ns ts) {
  if (f->status != FS_PARSE_OK)
    return;
  uint8_t *b = realloc(f->pending[side], f->npending[side] + n + 1);
  if (!b)
    abort();
  memcpy(b + f->npending[side], p, n);
  f->pending[side] = b;
  f->npending[side] += n;
  /* Exact-size copy so that an over-read hits a redzone under ASan. */
  uint8_t *exact = malloc(f->npending[side] ? f->npending[side] : 1);
  memcpy(exact, b, f->npending[side]);
  size_t used = 0;
  f->status = f->ops->feed(f->parser, side, exact, f->npending[side], ts, &used);
  free(exact);
  if (used > f->npending[side])
    abort();
  memmove(b, b + used, f->npending[side] - used);
  f->npending[side] -= used;
}

/* Feeds in pieces of 1..3 bytes (a deterministic pattern from @p seed). */
static inline void th_feed_split(th_flow *f, uint32_t side, const uint8_t *p, size_t n,
                                 fs_time_ns ts, unsigned seed) {
  size_t off = 0;
  while (off < n) {
    seed = seed * 1103515245u + 12345u;
    size_t piece = 1 + (seed >> 16) % 3;
    if (piece > n - off)
      piece = n - off;
    th_feed(f, side, p + off, piece, ts);
    off += piece;
  }
}

static inline void th_gap(th_flow *f, uint32_t side, uint64_t len) {
  if (f->status == FS_PARSE_OK)
    f->status = f->ops->gap(f->parser, side, len, 0);
}

/* Ends the flow: finish (emits what is pending), then destroy. */
static inline void th_close(th_flow *f) {
  f->ops->finish(f->parser, 0);
  f->ops->destroy(f->parser);
  free(f->pending[0]);
  free(f->pending[1]);
  f->parser = NULL;
}

#endif /* FLOWSCOPE_TLS_PLUGIN_HARNESS_H */
