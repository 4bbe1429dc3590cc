/* SPDX-License-Identifier: MIT */
/* JSON writer: escaping rules are documented in docs/output.md ("Strings"). */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fsi_jw_init(fsi_jw *w) { memset(w, 0, sizeof *w); }

void fsi_jw_free(fsi_jw *w) {
  free(w->buf);
  memset(w, 0, sizeof *w);
}

void fsi_jw_reset(fsi_jw *w) {
  w->len = 0;
  w->depth = 0;
  w->oom = 0;
  w->need_comma[0] = 0;
}

/* The slow half of reserve(): grows the buffer (doubling) or sets oom. */
static int grow(fsi_jw *w, size_t n) {
  if (w->oom)
    return 0;
  size_t cap = w->cap ? w->cap : 1024;
  while (cap < w->len + n) {
    if (cap > ((size_t)-1) / 2) {
      w->oom = 1;
      return 0;
    }
    cap *= 2;
  }
  char *nb = realloc(w->buf, cap);
  if (!nb) {
    w->oom = 1;
    return 0;
  }
  w->buf = nb;
  w->cap = cap;
  return 1;
}

/* Makes room for @p n more bytes; on failure sets oom and returns 0. The
 * common case is inline: it runs for every piece of every record. */
static inline int reserve(fsi_jw *w, size_t n) {
  if (w->len + n <= w->cap && !w->oom)
    return 1;
  return grow(w, n);
}

void fsi_jw_raw(fsi_jw *w, const char *p, size_t n) {
  if (n == 0 || !reserve(w, n))
    return;
  memcpy(w->buf + w->len, p, n);
  w->len += n;
}

static inline void put(fsi_jw *w, char c) {
  if (!reserve(w, 1))
    return;
  w->buf[w->len++] = c;
}

/* Called before every value: writes the separating comma inside arrays. */
static inline void before_value(fsi_jw *w) {
  if (w->depth == 0)
    return;
  /* After a key the comma was already written by fsi_jw_key. */
  if (w->need_comma[w->depth] == 2) {
    w->need_comma[w->depth] = 1;
    return;
  }
  if (w->need_comma[w->depth])
    put(w, ',');
  w->need_comma[w->depth] = 1;
}

static void open_level(fsi_jw *w, char c) {
  before_value(w);
  put(w, c);
  if (w->depth + 1 < FSI_JW_MAX_DEPTH)
    w->depth++;
  w->need_comma[w->depth] = 0;
}

static void close_level(fsi_jw *w, char c) {
  put(w, c);
  if (w->depth > 0)
    w->depth--;
}

void fsi_jw_obj_begin(fsi_jw *w) { open_level(w, '{'); }
void fsi_jw_obj_end(fsi_jw *w) { close_level(w, '}'); }
void fsi_jw_arr_begin(fsi_jw *w) { open_level(w, '['); }
void fsi_jw_arr_end(fsi_jw *w) { close_level(w, ']'); }

/* 1 for the bytes a JSON string carries as they are: printable ASCII but
 * '"' and '\\'. A table lookup per byte: escaping was the largest single
 * cost of writing records. */
#define PLAIN16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
// clang-format off
static const unsigned char plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 controls */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 controls */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20: '"' at 0x22 */
    PLAIN16,                                        /* 0x30 */
    PLAIN16,                                        /* 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50: '\\' at 0x5c */
    PLAIN16,                                        /* 0x60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, /* 0x70: DEL at 0x7f */
    /* 0x80-0xff: 0, UTF-8 is checked sequence by sequence */
};
// clang-format on

/* End of the run of plain bytes starting at @p i. */
static size_t plain_run(const unsigned char *p, size_t i, size_t n) {
  while (i + 4 <= n && (plain[p[i]] & plain[p[i + 1]] & plain[p[i + 2]] & plain[p[i + 3]]))
    i += 4;
  while (i < n && plain[p[i]])
    i++;
  return i;
}

void fsi_jw_key_plain(fsi_jw *w, const char *key, size_t n) {
  if (!reserve(w, n + 4))
    return;
  char *o = w->buf + w->len;
  size_t k = 0;
  if (w->need_comma[w->depth])
    o[k++] = ',';
  o[k++] = '"';
  memcpy(o + k, key, n);
  k += n;
  o[k++] = '"';
  o[k++] = ':';
  w->len += k;
  w->need_comma[w->depth] = 2; /* the value follows without a comma */
}

/* Keys up to this long are checked in one pass, without strlen. */
#define KEY_FAST_MAX 64

void fsi_jw_key(fsi_jw *w, const char *key) {
  size_t i = 0;
  while (i < KEY_FAST_MAX && plain[(unsigned char)key[i]])
    i++;
  if (key[i] == '\0') {
    fsi_jw_key_plain(w, key, i); /* the usual key: nothing to escape */
    return;
  }
  if (w->need_comma[w->depth])
    put(w, ',');
  put(w, '"');
  fsi_jw_escape(w, key, strlen(key));
  put(w, '"');
  put(w, ':');
  w->need_comma[w->depth] = 2; /* the value follows without a comma */
}

/*
 * Length of the valid UTF-8 sequence at p (1..4), or 0 when the bytes there
 * are not valid UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
 */
static size_t utf8_seq(const unsigned char *p, size_t n) {
  unsigned char c = p[0];
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    return (n >= 2 && (p[1] & 0xc0) == 0x80) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
      return 0;
    if (c == 0xe0 && p[1] < 0xa0)
      return 0; /* overlong */
    if (c == 0xed && p[1] >= 0xa0)
      return 0; /* UTF-16 surrogate */
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
      return 0;
    if (c == 0xf0 && p[1] < 0x90)
      return 0; /* overlong */
    if (c == 0xf4 && p[1] >= 0x90)
      return 0; /* above U+10FFFF */
    return 4;
  }
  return 0;
}

static const char hexdig[] = "0123456789abcdef";

void fsi_jw_escape(fsi_jw *w, const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    /* Copy the longest run of bytes that need no escaping in one go. */
    size_t run = plain_run(p, i, n);
    if (run > i) {
      fsi_jw_raw(w, (const char *)p + i, run - i);
      i = run;
      continue;
    }
    unsigned char c = p[i];
    char esc[8];
    switch (c) {
    case '"':
      fsi_jw_raw(w, "\\\"", 2);
      i++;
      continue;
    case '\\':
      fsi_jw_raw(w, "\\\\", 2);
      i++;
      continue;
    case '\n':
      fsi_jw_raw(w, "\\n", 2);
      i++;
      continue;
    case '\r':
      fsi_jw_raw(w, "\\r", 2);
      i++;
      continue;
    case '\t':
      fsi_jw_raw(w, "\\t", 2);
      i++;
      continue;
    default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      /* Other control bytes: \u00NN, which decodes to the same byte. */
      memcpy(esc, "\\u00", 4);
      esc[4] = hexdig[c >> 4];
      esc[5] = hexdig[c & 15];
      fsi_jw_raw(w, esc, 6);
      i++;
      continue;
    }
    size_t k = utf8_seq(p + i, n - i);
    if (k) {
      fsi_jw_raw(w, (const char *)p + i, k);
      i += k;
      continue;
    }
    /* Invalid UTF-8: as Zeek does, the four characters \xNN (JSON "\\xNN"). */
    memcpy(esc, "\\\\x", 3);
    esc[3] = hexdig[c >> 4];
    esc[4] = hexdig[c & 15];
    fsi_jw_raw(w, esc, 5);
    i++;
  }
}

void fsi_jw_str(fsi_jw *w, const char *p, size_t n) {
  before_value(w);
  if (!reserve(w, n + 2))
    return;
  /* The plain prefix (usually all of it) goes in one copy; the escaper
   * takes the rest. */
  size_t run = plain_run((const unsigned char *)p, 0, n);
  char *o = w->buf + w->len;
  o[0] = '"';
  memcpy(o + 1, p, run);
  w->len += 1 + run;
  if (run < n)
    fsi_jw_escape(w, p + run, n - run);
  put(w, '"');
}

void fsi_jw_cstr(fsi_jw *w, const char *s) { fsi_jw_str(w, s, strlen(s)); }

void fsi_jw_hex(fsi_jw *w, const uint8_t *p, size_t n) {
  before_value(w);
  put(w, '"');
  for (size_t i = 0; i < n; i++) {
    char h[2] = {hexdig[p[i] >> 4], hexdig[p[i] & 15]};
    fsi_jw_raw(w, h, 2);
  }
  put(w, '"');
}

/* "00" to "99": two digits per division. */
static const char digit_pairs[] = "00010203040506070809"
                                  "10111213141516171819"
                                  "20212223242526272829"
                                  "30313233343536373839"
                                  "40414243444546474849"
                                  "50515253545556575859"
                                  "60616263646566676869"
                                  "70717273747576777879"
                                  "80818283848586878889"
                                  "90919293949596979899";

size_t fsi_u64_to_dec(uint64_t v, char *out) {
  char tmp[24];
  size_t i = sizeof tmp;
  while (v >= 100) {
    size_t d = (size_t)(v % 100) * 2;
    v /= 100;
    tmp[--i] = digit_pairs[d + 1];
    tmp[--i] = digit_pairs[d];
  }
  if (v >= 10) {
    size_t d = (size_t)v * 2;
    tmp[--i] = digit_pairs[d + 1];
    tmp[--i] = digit_pairs[d];
  } else {
    tmp[--i] = (char)('0' + v);
  }
  size_t n = sizeof tmp - i;
  memcpy(out, tmp + i, n);
  return n;
}

void fsi_jw_u64(fsi_jw *w, uint64_t v) {
  before_value(w);
  if (!reserve(w, 24))
    return;
  w->len += fsi_u64_to_dec(v, w->buf + w->len);
}

void fsi_jw_i64(fsi_jw *w, int64_t v) {
  char d[24];
  before_value(w);
  if (v < 0) {
    put(w, '-');
    /* Negate in unsigned arithmetic: INT64_MIN has no positive int64. */
    fsi_jw_raw(w, d, fsi_u64_to_dec((uint64_t)0 - (uint64_t)v, d));
  } else {
    fsi_jw_raw(w, d, fsi_u64_to_dec((uint64_t)v, d));
  }
}

void fsi_jw_f64(fsi_jw *w, double v) {
  if (!isfinite(v)) {
    fsi_jw_null(w);
    return;
  }
  char d[40];
  before_value(w);
  int n = snprintf(d, sizeof d, "%.17g", v);
  if (n > 0)
    fsi_jw_raw(w, d, (size_t)n < sizeof d ? (size_t)n : sizeof d - 1);
}

void fsi_jw_bool(fsi_jw *w, int v) {
  before_value(w);
  if (v)
    fsi_jw_raw(w, "true", 4);
  else
    fsi_jw_raw(w, "false", 5);
}

void fsi_jw_null(fsi_jw *w) {
  before_value(w);
  fsi_jw_raw(w, "null", 4);
}

size_t fsi_secs_to_text(uint64_t ns, char *d) {
  uint64_t sec = ns / 1000000000u;
  uint64_t usec = (ns % 1000000000u) / 1000u;
  size_t n = fsi_u64_to_dec(sec, d);
  d[n++] = '.';
  for (int i = 5; i >= 0; i--) {
    d[n + (size_t)i] = (char)('0' + usec % 10);
    usec /= 10;
  }
  return n + 6;
}

void fsi_jw_secs(fsi_jw *w, uint64_t ns) {
  before_value(w);
  if (!reserve(w, 32))
    return;
  w->len += fsi_secs_to_text(ns, w->buf + w->len);
}
