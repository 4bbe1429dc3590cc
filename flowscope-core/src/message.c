/* SPDX-License-Identifier: MIT */
/* Field lookup and deep copies of messages for sinks that must keep one. */
#include <stdlib.h>
#include <string.h>

#include "flowscope/message.h"

const fs_field *fs_message_field(const fs_message *msg, const char *name) {
  if (!msg || !name)
    return NULL;
  for (uint32_t i = 0; i < msg->n_fields; i++)
    if (msg->fields[i].name && strcmp(msg->fields[i].name, name) == 0)
      return &msg->fields[i];
  return NULL;
}

/* A bump allocator over one block: first pass measures, second pass copies. */
typedef struct arena {
  uint8_t *base;
  size_t used;
} arena;

static void *take(arena *a, size_t n, size_t align) {
  size_t off = (a->used + (align - 1)) & ~(align - 1);
  a->used = off + n;
  return a->base ? a->base + off : NULL;
}

static const char *copy_cstr(arena *a, const char *s) {
  if (!s)
    return NULL;
  size_t n = strlen(s) + 1;
  char *d = take(a, n, 1);
  if (d)
    memcpy(d, s, n);
  return d;
}

static fs_str copy_str(arena *a, fs_str s) {
  fs_str out = {NULL, s.len};
  if (s.len && s.ptr) {
    char *d = take(a, (size_t)s.len, 1);
    if (d)
      memcpy(d, s.ptr, (size_t)s.len);
    out.ptr = d;
  }
  return out;
}

static fs_message *clone_into(arena *a, const fs_message *m) {
  fs_message *out = take(a, sizeof *out, _Alignof(fs_message));
  fs_field *fields = take(a, sizeof(fs_field) * m->n_fields, _Alignof(fs_field));
  if (out) {
    memset(out, 0, sizeof *out);
    out->struct_size = (uint32_t)sizeof *out;
    out->side = m->side;
    out->ts = m->ts;
    out->n_fields = m->n_fields;
    out->fields = fields;
  }
  const char *proto = copy_cstr(a, m->protocol);
  const char *type = copy_cstr(a, m->msg_type);
  if (out) {
    out->protocol = proto;
    out->msg_type = type;
  }
  for (uint32_t i = 0; i < m->n_fields; i++) {
    const fs_field *f = &m->fields[i];
    fs_field nf = *f;
    nf.name = copy_cstr(a, f->name);
    switch (f->kind) {
    case FS_FIELD_STR:
    case FS_FIELD_BYTES: nf.v.str = copy_str(a, f->v.str); break;
    case FS_FIELD_STR_LIST: {
      fs_str *items = take(a, sizeof(fs_str) * f->count, _Alignof(fs_str));
      for (uint32_t j = 0; j < f->count; j++) {
        fs_str s = copy_str(a, f->v.list[j]);
        if (items)
          items[j] = s;
      }
      nf.v.list = items;
      break;
    }
    case FS_FIELD_U64_LIST: {
      uint64_t *vals = take(a, sizeof(uint64_t) * f->count, _Alignof(uint64_t));
      if (vals && f->count)
        memcpy(vals, f->v.u64s, sizeof(uint64_t) * f->count);
      nf.v.u64s = vals;
      break;
    }
    default: break;
    }
    if (fields)
      fields[i] = nf;
  }
  return out;
}

fs_message *fs_message_clone(const fs_message *msg) {
  if (!msg)
    return NULL;
  arena measure = {NULL, 0};
  clone_into(&measure, msg);
  arena real = {malloc(measure.used ? measure.used : 1), 0};
  if (!real.base)
    return NULL;
  return clone_into(&real, msg);
}

void fs_message_free(fs_message *msg) { free(msg); }
