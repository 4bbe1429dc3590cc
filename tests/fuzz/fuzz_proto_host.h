/* SPDX-License-Identifier: MIT */
/* A minimal host for protocol-plugin fuzz harnesses: an env whose emit
 * folds every message into a hash (FNV-1a over its canonical form), and a
 * session feeder that keeps the bytes a parser did not consume, as the
 * real host does. Used to check that any split of the input gives the
 * same messages. */
#ifndef FS_FUZZ_PROTO_HOST_H
#define FS_FUZZ_PROTO_HOST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowscope/plugin.h>

typedef struct fz_host {
  uint64_t hash;
  uint64_t msgs;
  int print; /* FZ_PRINT set: messages also go to stderr, for debugging */
  uint8_t *kept[2];
  size_t kept_len[2];
} fz_host;

static void fz_mix(fz_host *h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) {
    h->hash = (h->hash ^ b[i]) * 0x100000001b3ull;
  }
}

static void fz_emit(void *ctx, const fs_message *m) {
  fz_host *h = ctx;
  h->msgs++;
  fz_mix(h, m->protocol, strlen(m->protocol));
  fz_mix(h, m->msg_type, strlen(m->msg_type));
  fz_mix(h, &m->side, sizeof m->side);
  fz_mix(h, &m->ts, sizeof m->ts);
  if (h->print) {
    fprintf(stderr, "msg %s side=%u ts=%llu:", m->msg_type, m->side, (unsigned long long)m->ts);
  }
  for (uint32_t i = 0; i < m->n_fields; i++) {
    const fs_field *f = &m->fields[i];
    if (h->print && (f->kind == FS_FIELD_STR || f->kind == FS_FIELD_BYTES)) {
      fprintf(stderr, " %s=[%.*s]", f->name, (int)f->v.str.len, f->v.str.ptr);
    } else if (h->print && f->kind != FS_FIELD_STR_LIST && f->kind != FS_FIELD_U64_LIST) {
      fprintf(stderr, " %s=%llu", f->name, (unsigned long long)f->v.u64);
    }
    fz_mix(h, f->name, strlen(f->name));
    fz_mix(h, &f->kind, sizeof f->kind);
    switch (f->kind) {
    case FS_FIELD_STR:
    case FS_FIELD_BYTES: fz_mix(h, f->v.str.ptr, (size_t)f->v.str.len); break;
    case FS_FIELD_STR_LIST:
      for (uint32_t k = 0; k < f->count; k++) {
        fz_mix(h, f->v.list[k].ptr, (size_t)f->v.list[k].len);
        fz_mix(h, "|", 1);
      }
      break;
    case FS_FIELD_U64_LIST: fz_mix(h, f->v.u64s, f->count * sizeof(uint64_t)); break;
    case FS_FIELD_NONE: break;
    default: fz_mix(h, &f->v.u64, sizeof f->v.u64); break;
    }
  }
  if (h->print) {
    fprintf(stderr, "\n");
  }
}

static void fz_env(fs_parser_env *env, fz_host *h, const char *options) {
  memset(h, 0, sizeof *h);
  h->hash = 0xcbf29ce484222325ull;
  h->print = getenv("FZ_PRINT") != NULL;
  memset(env, 0, sizeof *env);
  env->struct_size = sizeof *env;
  env->initiator_is_a = 1;
  env->emit = fz_emit;
  env->emit_ctx = h;
  env->options = options;
}

/* Feeds kept bytes + new ones in one exact-size allocation. */
static int fz_feed(const fs_session_parser_ops *ops, void *p, fz_host *h, uint32_t side,
                   const uint8_t *d, size_t n, fs_time_ns ts) {
  size_t total = h->kept_len[side] + n;
  uint8_t *buf = malloc(total ? total : 1);
  if (!buf) {
    abort();
  }
  if (h->kept_len[side]) {
    memcpy(buf, h->kept[side], h->kept_len[side]);
  }
  if (n) {
    memcpy(buf + h->kept_len[side], d, n);
  }
  size_t used = 0;
  int r = ops->feed(p, side, buf, total, ts, &used);
  if (used > total) {
    abort(); /* a parser may not consume more than it was given */
  }
  free(h->kept[side]);
  h->kept[side] = NULL;
  h->kept_len[side] = total - used;
  if (h->kept_len[side]) {
    h->kept[side] = malloc(h->kept_len[side]);
    if (!h->kept[side]) {
      abort();
    }
    memcpy(h->kept[side], buf + used, h->kept_len[side]);
  }
  free(buf);
  return r;
}

static void fz_release(fz_host *h) {
  free(h->kept[0]);
  free(h->kept[1]);
  h->kept[0] = h->kept[1] = NULL;
}

#endif
