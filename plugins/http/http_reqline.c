/* SPDX-License-Identifier: MIT */
/* Request lines llhttp would refuse but servers (and tshark) accept: a
 * method llhttp does not know, no target or no version (HTTP/0.9 style), a
 * target llhttp's URL grammar rejects ("GET HTTP/1.1"), a cut version
 * ("HTTP/1."), an extra token ("CONNECT host:25 / HTTP/1.0"). This file only
 * classifies the line and builds the stand-in line llhttp is fed instead;
 * http_conn.c records the real method, target and version. */
#include "http_reqline.h"

#include <string.h>

/* RFC 9110 5.6.2 tchar. */
static int is_tchar(uint8_t c) {
  if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
    return 1;
  }
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

static int is_blank(uint8_t c) { return c == ' ' || c == '\t'; }

/* "HTTP/d.d" exactly. */
static int version_at(const uint8_t *p, size_t n) {
  return n == 8 && memcmp(p, "HTTP/", 5) == 0 && is_digit(p[5]) && p[6] == '.' && is_digit(p[7]);
}

/* A target llhttp's URL parser takes for this method: origin form ("/..."),
 * asterisk form, absolute form ("scheme://..."), or CONNECT's authority. */
static int target_plain(const uint8_t *p, size_t n, int connect) {
  for (size_t i = 0; i < n; i++) {
    if (p[i] <= 0x20 || p[i] >= 0x7F) {
      return 0;
    }
  }
  if (n == 0) {
    return 0;
  }
  if (connect || p[0] == '/' || (n == 1 && p[0] == '*')) {
    return 1;
  }
  for (size_t i = 0; i + 2 < n; i++) {
    if (p[i] == ':') {
      return i > 0 && p[i + 1] == '/' && p[i + 2] == '/';
    }
    if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z'))) {
      return 0;
    }
  }
  return 0;
}

int fsi_http_reqline_parse(const uint8_t *line, size_t len, http_reqline *out) {
  memset(out, 0, sizeof *out);
  size_t i = 0;
  while (i < len && is_tchar(line[i])) {
    i++;
  }
  out->method_len = i;
  if (i == 0 || (i < len && !is_blank(line[i]))) {
    return HRL_REFUSE; /* no method token: garbage where a request should start */
  }
  /* Tokens after the method, separated by blanks: the first is the target
   * (as tshark reads it), the last may be the version. */
  size_t tok_off[2] = {0, 0}, tok_len[2] = {0, 0};
  uint32_t ntok = 1;
  while (i < len) {
    while (i < len && is_blank(line[i])) {
      i++;
    }
    if (i == len) {
      break;
    }
    size_t s = i;
    while (i < len && !is_blank(line[i])) {
      i++;
    }
    uint32_t k = ntok == 1 ? 0 : 1; /* keep the first (target) and the last */
    tok_off[k] = s;
    tok_len[k] = i - s;
    ntok++;
  }
  out->ntok = ntok;
  if (ntok >= 2) {
    out->target_off = tok_off[0];
    out->target_len = tok_len[0];
  }
  if (ntok >= 3 && version_at(line + tok_off[1], tok_len[1])) {
    out->version_ok = 1;
    out->major = line[tok_off[1] + 5];
    out->minor = line[tok_off[1] + 7];
  }
  int known = fsi_http_method_known(line, out->method_len);
  out->llhttp_method = known == 1;
  int connect = out->method_len == 7 && memcmp(line, "CONNECT", 7) == 0;
  /* Exactly "METHOD SP target SP HTTP/d.d": llhttp reads it as it is. */
  if (ntok == 3 && known == 1 && fsi_http_reqline_llhttp_version(out) &&
      out->target_off == out->method_len + 1 && line[out->method_len] == ' ' &&
      tok_off[1] == out->target_off + out->target_len + 1 &&
      line[out->target_off + out->target_len] == ' ' && tok_off[1] + 8 == len &&
      target_plain(line + out->target_off, out->target_len, connect)) {
    return HRL_PLAIN;
  }
  /* Any token is a method when a version ends the line (as Zeek); without
   * one, only methods we know, so that stray text is not taken for HTTP. */
  if (!(ntok >= 3 && out->version_ok) && known == 0) {
    return HRL_REFUSE;
  }
  return HRL_NORMALISE;
}

int fsi_http_reqline_llhttp_version(const http_reqline *rl) {
  return rl->version_ok && ((rl->major == '1' && (rl->minor == '0' || rl->minor == '1')) ||
                            (rl->major == '0' && rl->minor == '9'));
}

size_t fsi_http_reqline_standin(const uint8_t *line, const http_reqline *rl, char *buf,
                                size_t cap) {
  /* The method llhttp will see: the real one when it knows it (HEAD and
   * CONNECT change how messages are framed), else GET (framed by its
   * headers like any request). Target "/" always parses. Fewer than three
   * tokens: HTTP/0.9 form, as llhttp itself reads such a line. */
  const char *m = "GET";
  size_t ml = 3;
  if (rl->llhttp_method) {
    m = (const char *)line;
    ml = rl->method_len;
  }
  char ver[9] = "HTTP/1.1";
  if (fsi_http_reqline_llhttp_version(rl)) {
    ver[5] = rl->major;
    ver[7] = rl->minor;
  }
  int v09 = rl->ntok < 3;
  size_t need = ml + 2 + (v09 ? 0 : 9) + 2;
  if (need > cap) {
    return 0;
  }
  size_t n = 0;
  memcpy(buf + n, m, ml);
  n += ml;
  memcpy(buf + n, " /", 2);
  n += 2;
  if (!v09) {
    buf[n++] = ' ';
    memcpy(buf + n, ver, 8);
    n += 8;
  }
  memcpy(buf + n, "\r\n", 2);
  return n + 2;
}
