/* SPDX-License-Identifier: MIT */
/*
 * Test helper for the driver tests: a tiny session parser ("line":
 * newline-terminated lines starting with "L:", one message per line; "L:BAD"
 * poisons, "L:BYE" says done; finish emits "finish") and a sink that records
 * events as text lines. Header-only.
 */
#ifndef DRIVER_TEST_PARSER_H
#define DRIVER_TEST_PARSER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowscope/flowscope.h"

/* ---- the "line" parser ---- */

typedef struct line_parser {
  const fs_parser_env *env;
  int poisoned;
  uint32_t finished;
} line_parser;

static inline void *line_create(const fs_parser_env *env) {
  line_parser *p = calloc(1, sizeof *p);
  if (p)
    p->env = env;
  return p;
}

static inline void line_emit(line_parser *p, uint32_t side, const uint8_t *s, size_t n,
                             fs_time_ns ts) {
  fs_field f[2];
  memset(f, 0, sizeof f);
  f[0].name = "text";
  f[0].kind = FS_FIELD_STR;
  f[0].v.str.ptr = (const char *)s;
  f[0].v.str.len = n;
  f[1].name = "side";
  f[1].kind = FS_FIELD_U64;
  f[1].v.u64 = side;
  fs_message m;
  memset(&m, 0, sizeof m);
  m.struct_size = sizeof m;
  m.side = side;
  m.protocol = "line";
  m.msg_type = "line";
  m.ts = ts;
  m.fields = f;
  m.n_fields = 2;
  p->env->emit(p->env->emit_ctx, &m);
}

/* Consumes whole lines only; the rest is left for the host to hand again. */
static inline int line_feed(void *self, uint32_t side, const uint8_t *data, size_t len,
                            fs_time_ns ts, size_t *consumed) {
  line_parser *p = self;
  size_t start = 0;
  *consumed = 0;
  for (size_t i = 0; i < len; i++) {
    if (data[i] != '\n')
      continue;
    size_t n = i - start;
    if (n == 5 && memcmp(data + start, "L:BAD", 5) == 0) {
      p->poisoned = 1;
      return FS_PARSE_POISON;
    }
    line_emit(p, side, data + start, n, ts);
    start = i + 1;
    *consumed = start;
    if (n == 5 && memcmp(data + start - 6, "L:BYE", 5) == 0)
      return FS_PARSE_DONE;
  }
  return FS_PARSE_OK;
}

static inline int line_gap(void *self, uint32_t side, uint64_t len, fs_time_ns ts) {
  (void)self;
  (void)side;
  (void)len;
  (void)ts;
  return FS_PARSE_OK;
}

static inline void line_finish(void *self, fs_time_ns ts) {
  line_parser *p = self;
  p->finished++;
  static const uint8_t end[] = "finish";
  line_emit(p, 0, end, 6, ts);
}

static inline const char *line_reason(void *self) {
  return ((line_parser *)self)->poisoned ? "line parser saw L:BAD" : NULL;
}

static inline void line_destroy(void *self) { free(self); }

static inline uint32_t line_probe(const uint8_t *data, size_t len, uint32_t side) {
  (void)side;
  if (len < 2)
    return data && len == 1 && data[0] != 'L' ? FS_PROBE_NO : FS_PROBE_NEED_MORE;
  return data[0] == 'L' && data[1] == ':' ? FS_PROBE_YES : FS_PROBE_NO;
}

static const fs_session_parser_ops line_ops = {
    .struct_size = sizeof(fs_session_parser_ops),
    .create = line_create,
    .feed = line_feed,
    .gap = line_gap,
    .finish = line_finish,
    .poison_reason = line_reason,
    .destroy = line_destroy,
};

static const fs_protocol_desc line_proto = {
    .struct_size = sizeof(fs_protocol_desc),
    .transports = FS_TRANSPORT_TCP,
    .name = "line",
    .probe_max_bytes = 16,
    .probe = line_probe,
    .session = &line_ops,
};

/* ---- recording sink: every event as one text line ---- */

typedef struct rec {
  char log[64][96];
  int n;
  fs_flow_stats last_end; /* stats of the last FLOW_ENDED */
  int ends;
} rec;

static inline void rec_event(rec *r, const fs_event *ev) {
  char line[96];
  switch (ev->type) {
  case FS_EV_MESSAGE: {
    const fs_field *f = fs_message_field(ev->message, "text");
    snprintf(line, sizeof line, "msg %u %.*s", ev->side, (int)f->v.str.len, f->v.str.ptr);
    break;
  }
  case FS_EV_FLOW_ENDED:
    snprintf(line, sizeof line, "end %s service=%s", fs_end_reason_name(ev->end_reason),
             ev->stats ? ev->stats->service : "?");
    if (ev->stats)
      r->last_end = *ev->stats;
    r->ends++;
    break;
  case FS_EV_ANOMALY:
    snprintf(line, sizeof line, "anomaly %s side=%u", fs_anomaly_kind_name(ev->anomaly->kind),
             ev->anomaly->side);
    break;
  case FS_EV_FLOW_STARTED: snprintf(line, sizeof line, "start"); break;
  default: return; /* state changes are the tracker's business */
  }
  if (r->n < 64)
    snprintf(r->log[r->n++], sizeof r->log[0], "%s", line);
}

static inline void on_event(void *self, const fs_event *ev) { rec_event(self, ev); }

static const fs_event_sink_ops rec_ops = {.struct_size = sizeof(fs_event_sink_ops),
                                          .on_event = on_event};

#endif /* DRIVER_TEST_PARSER_H */
