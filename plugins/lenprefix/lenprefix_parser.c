/* SPDX-License-Identifier: MIT */
/*
 * Session parser of the lenprefix protocol (wire format in lenprefix.h).
 *
 * It consumes every byte it is given and keeps per direction only the
 * 5-byte header being assembled and a 32-byte preview of the body, so it
 * needs no help from the host to buffer and tolerates any split of its
 * input: a frame's header may arrive one byte at a time. The rest of the
 * body is counted, not stored. One message per frame, emitted when its
 * last byte arrives; its time is that of the frame's first byte.
 *
 * Gaps: a gap inside a body is absorbed (the frame is reported with
 * missing_bytes); a gap that touches a header loses the framing, and a
 * binary protocol without sync markers cannot find it again, so the
 * parser poisons itself and the host ends the flow with parse_error.
 */
#include <stdlib.h>
#include <string.h>

#include "lenprefix.h"

/* Reassembly state of one direction. */
typedef struct lp_side {
  uint8_t hdr[LP_HEADER_LEN];      /* header bytes seen so far */
  uint32_t hdr_have;               /* 0..5 */
  uint32_t body_len;               /* declared body length (once hdr_have == 5) */
  uint32_t body_seen;              /* body bytes received or lost in gaps */
  uint8_t preview[LP_PREVIEW_LEN]; /* first body bytes, contiguous from offset 0 */
  uint32_t preview_len;            /* bytes in preview */
  uint64_t missing;                /* body bytes lost in gaps */
  fs_time_ns ts;                   /* time of the frame's first byte */
  uint64_t index;                  /* frames reported so far in this direction */
} lp_side;

typedef struct lp_parser {
  const fs_parser_env *env; /* borrowed for the parser's life */
  uint32_t max_body;        /* longest acceptable body */
  const char *poison;       /* static reason once poisoned */
  lp_side sides[2];
} lp_parser;

static const char *type_name(uint8_t type) {
  switch (type) {
  case 1: return "request";
  case 2: return "response";
  case 3: return "notify";
  case 4: return "heartbeat";
  default: return "unknown";
  }
}

static uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Reads "max_frame=N" from the options string; keeps the default otherwise. */
static uint32_t option_max_body(const char *options) {
  const char *key = "max_frame=";
  for (const char *p = options; p != NULL && *p != '\0';) {
    if (strncmp(p, key, strlen(key)) == 0) {
      char *end;
      unsigned long v = strtoul(p + strlen(key), &end, 10);
      if (end != p + strlen(key) && v > 0 && v <= LP_MAX_BODY_LIMIT) {
        return (uint32_t)v;
      }
    }
    p = strchr(p, ',');
    p = p != NULL ? p + 1 : NULL;
  }
  return LP_DEFAULT_MAX_BODY;
}

/* Emits the frame of side s (complete or not) and resets the side for the next one. */
static void emit_frame(lp_parser *lp, uint32_t side, int complete) {
  lp_side *s = &lp->sides[side];
  uint8_t type = s->hdr_have == LP_HEADER_LEN ? s->hdr[4] : 0;
  FS_FIELD_ZERO(body);
  body.name = "body";
  body.kind = FS_FIELD_BYTES;
  body.v.str.ptr = (const char *)s->preview;
  body.v.str.len = s->preview_len;
  fs_field fields[7];
  fields[0] = fs_field_u64("msg_type", type);
  fields[1] = fs_field_u64("length", s->hdr_have == LP_HEADER_LEN ? s->body_len : 0);
  fields[2] = fs_field_u64("index", s->index);
  fields[3] = body;
  fields[4] = fs_field_bool("complete", complete);
  fields[5] = fs_field_u64("missing_bytes", s->missing);
  /* For a cut-off frame: how much of it arrived (header bytes included). */
  fields[6] = fs_field_u64("received", s->hdr_have + s->body_seen - s->missing);
  fs_message msg;
  memset(&msg, 0, sizeof msg);
  msg.struct_size = sizeof msg;
  msg.side = side;
  msg.protocol = "lenprefix";
  msg.msg_type = s->hdr_have == LP_HEADER_LEN ? type_name(type) : "partial_header";
  msg.ts = s->ts;
  msg.fields = fields;
  msg.n_fields = complete ? 6u : 7u;
  if (lp->env->emit != NULL) {
    lp->env->emit(lp->env->emit_ctx, &msg);
  }
  uint64_t next = s->index + 1;
  memset(s, 0, sizeof *s);
  s->index = next;
}

static void *lp_create(const fs_parser_env *env) {
  lp_parser *lp = calloc(1, sizeof *lp);
  if (lp == NULL) {
    return NULL;
  }
  lp->env = env;
  lp->max_body = option_max_body(env->options);
  return lp;
}

static int lp_feed(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts,
                   size_t *consumed) {
  lp_parser *lp = self;
  *consumed = len; /* the parser keeps what it needs itself */
  if (lp->poison != NULL) {
    return FS_PARSE_POISON;
  }
  if (side > 1) {
    lp->poison = "feed for an unknown side";
    return FS_PARSE_POISON;
  }
  lp_side *s = &lp->sides[side];
  size_t off = 0;
  while (off < len) {
    if (s->hdr_have < LP_HEADER_LEN) {
      if (s->hdr_have == 0) {
        s->ts = ts;
      }
      size_t n = LP_HEADER_LEN - s->hdr_have;
      n = n < len - off ? n : len - off;
      memcpy(s->hdr + s->hdr_have, data + off, n);
      s->hdr_have += (uint32_t)n;
      off += n;
      if (s->hdr_have < LP_HEADER_LEN) {
        break;
      }
      s->body_len = be32(s->hdr);
      if (s->body_len > lp->max_body) {
        lp->poison = "frame length exceeds max_frame: stream is not lenprefix or lost sync";
        return FS_PARSE_POISON;
      }
    } else {
      size_t n = s->body_len - s->body_seen;
      n = n < len - off ? n : len - off;
      /* Keep the preview contiguous: nothing after a gap goes into it. */
      if (s->missing == 0 && s->preview_len < LP_PREVIEW_LEN) {
        size_t room = LP_PREVIEW_LEN - s->preview_len;
        size_t take = n < room ? n : room;
        memcpy(s->preview + s->preview_len, data + off, take);
        s->preview_len += (uint32_t)take;
      }
      s->body_seen += (uint32_t)n;
      off += n;
    }
    if (s->hdr_have == LP_HEADER_LEN && s->body_seen == s->body_len) {
      emit_frame(lp, side, 1);
    }
  }
  return FS_PARSE_OK;
}

static int lp_gap(void *self, uint32_t side, uint64_t len, fs_time_ns ts) {
  lp_parser *lp = self;
  (void)ts;
  if (lp->poison != NULL) {
    return FS_PARSE_POISON;
  }
  if (side > 1) {
    lp->poison = "gap for an unknown side";
    return FS_PARSE_POISON;
  }
  lp_side *s = &lp->sides[side];
  if (len == 0) {
    return FS_PARSE_OK;
  }
  /* Inside a body and not past its end: count it and carry on. */
  if (s->hdr_have == LP_HEADER_LEN && len <= (uint64_t)(s->body_len - s->body_seen)) {
    s->body_seen += (uint32_t)len;
    s->missing += len;
    if (s->body_seen == s->body_len) {
      emit_frame(lp, side, 1);
    }
    return FS_PARSE_OK;
  }
  lp->poison = "gap across a frame header: framing lost";
  return FS_PARSE_POISON;
}

static int lp_end_side(void *self, uint32_t side, fs_time_ns ts) {
  lp_parser *lp = self;
  (void)ts;
  if (lp->poison == NULL && side <= 1 && lp->sides[side].hdr_have > 0) {
    emit_frame(lp, side, 0); /* the direction closed mid-frame */
  }
  return lp->poison != NULL ? FS_PARSE_POISON : FS_PARSE_OK;
}

static void lp_finish(void *self, fs_time_ns ts) {
  lp_parser *lp = self;
  (void)ts;
  for (uint32_t side = 0; side < 2 && lp->poison == NULL; side++) {
    if (lp->sides[side].hdr_have > 0) {
      emit_frame(lp, side, 0);
    }
  }
}

static const char *lp_poison_reason(void *self) { return ((const lp_parser *)self)->poison; }

static void lp_destroy(void *self) { free(self); }

const fs_session_parser_ops lp_session_ops = {
    .struct_size = sizeof(fs_session_parser_ops),
    .create = lp_create,
    .feed = lp_feed,
    .gap = lp_gap,
    .end_side = lp_end_side,
    .finish = lp_finish,
    .poison_reason = lp_poison_reason,
    .destroy = lp_destroy,
};
