/* SPDX-License-Identifier: MIT */
/* Test helper: collects the records (flow events with a key, and
 * application messages) a run produces, as text lines tagged with their
 * flow key and arrival order, so runs with different worker counts can be
 * compared as "the same records, and the same order within each flow". */
#ifndef WORKERS_RECORDS_H
#define WORKERS_RECORDS_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowscope/flowscope.h"

typedef struct rec_line {
  char key[FS_KEY_TEXT_MAX];
  uint64_t seq; /* arrival order */
  char *text;
} rec_line;

typedef struct rec_set {
  rec_line *v;
  size_t n, cap;
  uint64_t seq;
  uint32_t workers_seen; /* bit per ev->worker */
  int no_times;          /* leave times out (live capture vs the sent frames) */
} rec_set;

static inline void rec_appendf(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline void rec_appendf(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
  if (*len >= cap)
    return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
  va_end(ap);
  if (n > 0)
    *len += (size_t)n;
}

/* Renders everything a record says except the event time (a flush happens
 * at each worker's last packet time, not the global one). */
static inline void rec_on_event(void *self, const fs_event *ev) {
  rec_set *s = self;
  if (!ev->key) /* global anomalies are per tracker: not records of a flow */
    return;
  if (ev->type == FS_EV_PACKET)
    return;
  s->workers_seen |= 1u << (ev->worker & 31);
  char buf[8192];
  size_t len = 0;
  rec_appendf(buf, sizeof buf, &len, "%s side=%u state=%u prev=%u end=%u orient=%u",
              fs_event_type_name(ev->type), ev->side, ev->state, ev->prev_state, ev->end_reason,
              ev->orientation);
  if (ev->stats && ev->type == FS_EV_FLOW_ENDED) {
    const fs_flow_stats *st = ev->stats;
    if (!s->no_times)
      rec_appendf(buf, sizeof buf, &len, " first=%llu last=%llu",
                  (unsigned long long)st->first_seen, (unsigned long long)st->last_seen);
    rec_appendf(buf, sizeof buf, &len, " hist=%s conn=%s svc=%s flip=%u l4=%u", st->history,
                st->conn_state, st->service, st->flipped, st->l4proto);
    for (int i = 0; i < 2; i++)
      rec_appendf(buf, sizeof buf, &len, " [%llu %llu %llu %llu]",
                  (unsigned long long)st->side[i].packets, (unsigned long long)st->side[i].ip_bytes,
                  (unsigned long long)st->side[i].payload_bytes,
                  (unsigned long long)st->side[i].missed_bytes);
  }
  if (ev->anomaly)
    rec_appendf(buf, sizeof buf, &len, " anomaly=%u side=%u count=%llu", ev->anomaly->kind,
                ev->anomaly->side, (unsigned long long)ev->anomaly->count);
  if (ev->message) {
    const fs_message *m = ev->message;
    rec_appendf(buf, sizeof buf, &len, " msg=%s/%s", m->protocol, m->msg_type);
    if (!s->no_times)
      rec_appendf(buf, sizeof buf, &len, " ts=%llu", (unsigned long long)m->ts);
    for (uint32_t i = 0; i < m->n_fields; i++) {
      const fs_field *f = &m->fields[i];
      rec_appendf(buf, sizeof buf, &len, " %s:%u=", f->name, f->kind);
      switch (f->kind) {
      case FS_FIELD_STR:
      case FS_FIELD_BYTES:
        for (uint64_t j = 0; j < f->v.str.len; j++)
          rec_appendf(buf, sizeof buf, &len, "%02x", (unsigned char)f->v.str.ptr[j]);
        break;
      case FS_FIELD_TIME:
      case FS_FIELD_DURATION:
        if (!s->no_times)
          rec_appendf(buf, sizeof buf, &len, "%llu", (unsigned long long)f->v.u64);
        break;
      case FS_FIELD_I64: rec_appendf(buf, sizeof buf, &len, "%lld", (long long)f->v.i64); break;
      case FS_FIELD_F64: rec_appendf(buf, sizeof buf, &len, "%.9g", f->v.f64); break;
      case FS_FIELD_IP:
        for (int j = 0; j < 16; j++)
          rec_appendf(buf, sizeof buf, &len, "%02x", f->v.ip.addr[j]);
        break;
      case FS_FIELD_STR_LIST:
        for (uint32_t j = 0; j < f->count; j++)
          rec_appendf(buf, sizeof buf, &len, "%.*s,", (int)f->v.list[j].len, f->v.list[j].ptr);
        break;
      case FS_FIELD_U64_LIST:
        for (uint32_t j = 0; j < f->count; j++)
          rec_appendf(buf, sizeof buf, &len, "%llu,", (unsigned long long)f->v.u64s[j]);
        break;
      default: rec_appendf(buf, sizeof buf, &len, "%llu", (unsigned long long)f->v.u64); break;
      }
    }
  }
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 256;
    s->v = realloc(s->v, s->cap * sizeof *s->v);
    if (!s->v)
      abort();
  }
  rec_line *l = &s->v[s->n++];
  fs_flow_key_format(ev->key, l->key, sizeof l->key);
  l->seq = s->seq++;
  l->text = strdup(buf);
  if (!l->text)
    abort();
}

static inline int rec_cmp(const void *a, const void *b) {
  const rec_line *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  if (c)
    return c;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Groups lines by flow key, keeping arrival order within a key. */
static inline void rec_sort(rec_set *s) {
  if (s->n > 1)
    qsort(s->v, s->n, sizeof *s->v, rec_cmp);
}

/* Index of the first line where the two sorted sets differ, or -1. */
static inline long rec_diff(const rec_set *a, const rec_set *b) {
  size_t n = a->n < b->n ? a->n : b->n;
  for (size_t i = 0; i < n; i++)
    if (strcmp(a->v[i].key, b->v[i].key) != 0 || strcmp(a->v[i].text, b->v[i].text) != 0)
      return (long)i;
  return a->n == b->n ? -1 : (long)n;
}

static inline void rec_free(rec_set *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->v[i].text);
  free(s->v);
  memset(s, 0, sizeof *s);
}

static const fs_event_sink_ops rec_sink_ops = {sizeof(fs_event_sink_ops), 0, rec_on_event, NULL,
                                               NULL};

#endif /* WORKERS_RECORDS_H */
