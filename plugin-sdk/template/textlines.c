/* SPDX-License-Identifier: MIT */
/*
 * textlines: a template flowscope plugin. It splits each direction of a
 * TCP connection into text lines ending in "\n" and reports one message
 * per line. Copy this folder to start a plugin of your own; see
 * docs/plugin-authoring.md for the contract every callback follows.
 *
 * What it shows:
 *  - the descriptor and FS_PLUGIN_DEFINE (the only exported symbol);
 *  - a probe (printable text up to the first newline) and no port hints;
 *  - a parser that tolerates any split of its input, by keeping a partial
 *    line itself (bounded: longer lines are reported cut at MAX_LINE);
 *  - gaps (a partial line is dropped and the parser resyncs at the next
 *    newline), message lifetime (fields point into the parser's buffer,
 *    valid only during emit), and finish (a last line without newline).
 */
#include <stdlib.h>
#include <string.h>

#include <flowscope/plugin.h>

#define MAX_LINE 256u /* longest line kept; the rest is counted, not stored */
#define PROBE_BYTES 64u

typedef struct tl_side {
  char line[MAX_LINE]; /* the line being assembled */
  uint32_t len;        /* bytes in line */
  uint64_t full_len;   /* length of the line so far, cut bytes included */
  fs_time_ns ts;       /* time of the line's first byte */
  uint64_t index;      /* lines reported in this direction */
  int resync;          /* after a gap: skip to the next newline */
} tl_side;

typedef struct tl_parser {
  const fs_parser_env *env;
  tl_side sides[2];
} tl_parser;

static void emit_line(tl_parser *p, uint32_t side) {
  tl_side *s = &p->sides[side];
  uint32_t n = s->len;
  if (n > 0 && s->line[n - 1] == '\r' && s->full_len == n) {
    n--; /* CRLF: the CR is not part of the text */
  }
  fs_field fields[3] = {
      fs_field_str("text", s->line, n),
      fs_field_u64("index", s->index),
      fs_field_bool("truncated", s->full_len > s->len),
  };
  fs_message msg;
  memset(&msg, 0, sizeof msg);
  msg.struct_size = sizeof msg;
  msg.side = side;
  msg.protocol = "textlines";
  msg.msg_type = "line";
  msg.ts = s->ts;
  msg.fields = fields;
  msg.n_fields = 3;
  p->env->emit(p->env->emit_ctx, &msg); /* borrowed: valid during this call only */
  s->index++;
  s->len = 0;
  s->full_len = 0;
}

static void *tl_create(const fs_parser_env *env) {
  tl_parser *p = calloc(1, sizeof *p);
  if (p != NULL) {
    p->env = env;
  }
  return p;
}

static int tl_feed(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts,
                   size_t *consumed) {
  tl_parser *p = self;
  *consumed = len; /* keeps what it needs itself: no help from the host */
  if (side > 1) {
    return FS_PARSE_OK;
  }
  tl_side *s = &p->sides[side];
  for (size_t i = 0; i < len; i++) {
    char c = (char)data[i];
    if (s->resync) {
      s->resync = c != '\n'; /* the next line starts after this newline */
      continue;
    }
    if (c == '\n') {
      emit_line(p, side);
      continue;
    }
    if (s->full_len == 0) {
      s->ts = ts;
    }
    if (s->len < MAX_LINE) {
      s->line[s->len++] = c;
    }
    s->full_len++;
  }
  return FS_PARSE_OK;
}

static int tl_gap(void *self, uint32_t side, uint64_t len, fs_time_ns ts) {
  tl_parser *p = self;
  (void)len, (void)ts;
  if (side <= 1) {
    /* The current line lost its middle: drop it and resync at the next newline. */
    p->sides[side].len = 0;
    p->sides[side].full_len = 0;
    p->sides[side].resync = 1;
  }
  return FS_PARSE_OK;
}

static void tl_finish(void *self, fs_time_ns ts) {
  tl_parser *p = self;
  (void)ts;
  for (uint32_t side = 0; side < 2; side++) {
    if (p->sides[side].full_len > 0 && !p->sides[side].resync) {
      emit_line(p, side); /* a last line without a newline */
    }
  }
}

static void tl_destroy(void *self) { free(self); }

/* Claims a side whose first bytes are printable text up to a newline. */
static uint32_t tl_probe(const uint8_t *data, size_t len, uint32_t side) {
  (void)side;
  for (size_t i = 0; i < len; i++) {
    if (data[i] == '\n') {
      return i > 0 ? FS_PROBE_YES : FS_PROBE_NO;
    }
    if ((data[i] < 0x20 || data[i] > 0x7e) && data[i] != '\r' && data[i] != '\t') {
      return FS_PROBE_NO;
    }
  }
  return len < PROBE_BYTES ? FS_PROBE_NEED_MORE : FS_PROBE_NO;
}

static const fs_session_parser_ops tl_session = {
    .struct_size = sizeof(fs_session_parser_ops),
    .create = tl_create,
    .feed = tl_feed,
    .gap = tl_gap,
    .finish = tl_finish,
    .destroy = tl_destroy,
};

static const fs_protocol_desc tl_protocol = {
    .struct_size = sizeof(fs_protocol_desc),
    .transports = FS_TRANSPORT_TCP,
    .name = "textlines",
    .probe_max_bytes = PROBE_BYTES,
    .probe = tl_probe,
    .session = &tl_session,
};

static const fs_protocol_desc *const tl_protocols[] = {&tl_protocol};

static const fs_plugin_desc tl_plugin = {
    FS_PLUGIN_DESC_PREFIX, .name = "textlines", /* must equal the file stem: textlines.so */
    .version = "0.1.0",    .description = "newline-terminated text lines (SDK template)",
    .license = "MIT",      .protocols = tl_protocols,
    .n_protocols = 1,
};

FS_PLUGIN_DEFINE(tl_plugin)
