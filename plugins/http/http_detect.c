/* SPDX-License-Identifier: MIT */
/* Recognising the start of an HTTP message: the probe on a flow's first
 * bytes and the resync scan after a gap share one list of method tokens. */
#include "http_conn.h"

#include <string.h>

/* Request methods llhttp accepts that are worth recognising at a line start
 * (RFC 9110, WebDAV and the common extensions), each followed by a space. */
static const char *const methods[] = {
    "GET ",      "POST ",   "HEAD ",       "PUT ",       "DELETE ",    "OPTIONS ",     "CONNECT ",
    "TRACE ",    "PATCH ",  "PROPFIND ",   "PROPPATCH ", "MKCOL ",     "COPY ",        "MOVE ",
    "LOCK ",     "UNLOCK ", "REPORT ",     "SEARCH ",    "SUBSCRIBE ", "UNSUBSCRIBE ", "NOTIFY ",
    "M-SEARCH ", "PURGE ",  "MKCALENDAR ", "LINK ",      "UNLINK ",    "SOURCE ",      "ACL ",
    "BIND ",     "REBIND ", "UNBIND ",     "CHECKOUT ",  "MERGE ",     "MKACTIVITY ",
};

static const char response_start[] = "HTTP/";

/* 1: data starts with a full start token; 2: data is a proper prefix of
 * one; 0: neither. */
static int starts_message(uint32_t side, const uint8_t *d, size_t len) {
  int partial = 0;
  if (side == FS_SIDE_RESPONDER) {
    size_t n = sizeof response_start - 1;
    size_t k = len < n ? len : n;
    if (memcmp(d, response_start, k) != 0) {
      return 0;
    }
    return k == n ? 1 : 2;
  }
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
    size_t n = strlen(methods[i]);
    size_t k = len < n ? len : n;
    if (memcmp(d, methods[i], k) == 0) {
      if (k == n) {
        return 1;
      }
      partial = 1;
    }
  }
  return partial ? 2 : 0;
}

uint32_t fsi_http_probe(const uint8_t *data, size_t len, uint32_t side) {
  if (len == 0) {
    return FS_PROBE_NEED_MORE;
  }
  int r = starts_message(side, data, len);
  if (r == 0 && side == FS_SIDE_RESPONDER) {
    /* A responder that speaks first is not HTTP; neither is one we missed. */
    return FS_PROBE_NO;
  }
  return r == 1 ? FS_PROBE_YES : r == 2 ? FS_PROBE_NEED_MORE : FS_PROBE_NO;
}

size_t fsi_http_resync_scan(uint32_t side, const uint8_t *data, size_t len, uint8_t *at_line_start,
                            int *partial) {
  *partial = 0;
  for (size_t i = 0; i < len; i++) {
    int line_start = i == 0 ? *at_line_start : data[i - 1] == '\n';
    if (line_start) {
      int r = starts_message(side, data + i, len - i);
      if (r == 1) {
        *at_line_start = 1;
        return i;
      }
      if (r == 2) {
        *at_line_start = 1;
        *partial = 1;
        return i;
      }
    }
  }
  *at_line_start = len > 0 ? data[len - 1] == '\n' : *at_line_start;
  return len;
}

uint64_t fsi_http_option(const char *options, const char *name, uint64_t dflt) {
  size_t nl = strlen(name);
  const char *p = options;
  while (p && *p) {
    while (*p == ',' || *p == ' ') {
      p++;
    }
    if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
      uint64_t v = 0;
      const char *q = p + nl + 1;
      if (*q < '0' || *q > '9') {
        return dflt;
      }
      while (*q >= '0' && *q <= '9') {
        v = v > (UINT64_MAX - 9) / 10 ? UINT64_MAX : v * 10 + (uint64_t)(*q - '0');
        q++;
      }
      return v;
    }
    p = strchr(p, ',');
  }
  return dflt;
}
