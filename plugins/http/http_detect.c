/* SPDX-License-Identifier: MIT */
/* Recognising the start of an HTTP message: the probe on a flow's first
 * bytes and the resync scan after a gap share one list of method tokens. */
#include "http_conn.h"

#include <string.h>

/* Request methods llhttp accepts that are worth recognising at a line start
 * (RFC 9110, WebDAV and the common extensions), each followed by a space;
 * then (from N_LLHTTP_METHODS on) methods llhttp refuses but that clients
 * really send and tshark decodes: Microsoft's RPC over HTTP, Cisco CallManager,
 * Exchange's WebDAV batch methods. The request-line normaliser hands those
 * to llhttp under a stand-in method. */
static const char *const methods[] = {
    "GET ",         "POST ",         "HEAD ",     "PUT ",        "DELETE ",    "OPTIONS ",
    "CONNECT ",     "TRACE ",        "PATCH ",    "PROPFIND ",   "PROPPATCH ", "MKCOL ",
    "COPY ",        "MOVE ",         "LOCK ",     "UNLOCK ",     "REPORT ",    "SEARCH ",
    "SUBSCRIBE ",   "UNSUBSCRIBE ",  "NOTIFY ",   "M-SEARCH ",   "PURGE ",     "MKCALENDAR ",
    "LINK ",        "UNLINK ",       "SOURCE ",   "ACL ",        "BIND ",      "REBIND ",
    "UNBIND ",      "CHECKOUT ",     "MERGE ",    "MKACTIVITY ", /* llhttp's end here */
    "RPC_IN_DATA ", "RPC_OUT_DATA ", "CCM_POST ", "POLL ",       "BPROPFIND ", "BPROPPATCH ",
    "BCOPY ",       "BMOVE ",        "BDELETE ",
};
#define N_LLHTTP_METHODS 34u
#define N_METHODS (sizeof methods / sizeof methods[0])

int fsi_http_method_known(const uint8_t *m, size_t n) {
  for (size_t i = 0; i < N_METHODS; i++) {
    if (strlen(methods[i]) == n + 1 && memcmp(methods[i], m, n) == 0) {
      return i < N_LLHTTP_METHODS ? 1 : 2;
    }
  }
  return 0;
}

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
  for (size_t i = 0; i < N_METHODS; i++) {
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

/* As starts_message, but a request may also be a method alone on its line
 * ("OPTIONS" CRLF, which servers answer and tshark lists): for recognising
 * a connection, not for resyncing inside one. */
static int starts_message_loose(uint32_t side, const uint8_t *d, size_t len) {
  if (side == FS_SIDE_RESPONDER) {
    return starts_message(side, d, len);
  }
  int partial = 0;
  for (size_t i = 0; i < N_METHODS; i++) {
    size_t n = strlen(methods[i]) - 1; /* the name without its space */
    size_t k = len < n ? len : n;
    if (memcmp(d, methods[i], k) != 0) {
      continue;
    }
    if (k < n || len == n) {
      partial = 1;
    } else if (d[n] == ' ' || d[n] == '\r' || d[n] == '\n') {
      return 1;
    }
  }
  return partial ? 2 : 0;
}

uint32_t fsi_http_probe(const uint8_t *data, size_t len, uint32_t side) {
  if (len == 0) {
    return FS_PROBE_NEED_MORE;
  }
  /* Either side may carry the requests: the tracker's initiator is a guess
   * when the capture missed the SYN (or the request rides in the SYN-ACK),
   * and the parser takes its roles from the bytes (fsi_http_role_hint). */
  int r = starts_message_loose(side, data, len);
  int o = starts_message_loose(side ^ 1u, data, len);
  if (r == 1 || o == 1) {
    return FS_PROBE_YES;
  }
  return r == 2 || o == 2 ? FS_PROBE_NEED_MORE : FS_PROBE_NO;
}

int fsi_http_role_hint(uint32_t side, const uint8_t *data, size_t len) {
  int own = starts_message_loose(side, data, len);
  int other = starts_message_loose(side ^ 1u, data, len);
  if (other == 1 && own != 1) {
    return 1;
  }
  if (other == 2 && own != 1) {
    return -1; /* could still turn out either way */
  }
  return 0;
}

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* Longest request target accepted while resyncing. */
#define RESYNC_TARGET_MAX 8192

/* Whether a whole status line start sits at d: "HTTP/d.d ddd" then a space
 * or CR. 1 yes, 2 d ends while it still matches, 0 no. */
static int status_line_at(const uint8_t *d, size_t len) {
  static const char pat[] = "HTTP/9.9 999 "; /* 9: any digit; last: SP or CR */
  size_t n = sizeof pat - 1;
  for (size_t i = 0; i < n; i++) {
    if (i >= len) {
      return 2;
    }
    uint8_t c = d[i];
    int ok = pat[i] == '9' ? is_digit(c) : i == n - 1 ? (c == ' ' || c == '\r') : c == pat[i];
    if (!ok) {
      return 0;
    }
  }
  return 1;
}

/* Whether a whole request line sits at d: a known method, SP, a target of
 * visible characters, SP, "HTTP/d.d", CRLF. 1 yes, 2 d ends while it still
 * matches, 0 no. */
static int request_line_at(const uint8_t *d, size_t len) {
  int r = starts_message(FS_SIDE_INITIATOR, d, len);
  if (r != 1) {
    return r;
  }
  size_t i = 0;
  while (d[i] != ' ') {
    i++;
  }
  i++;
  size_t t0 = i;
  for (;; i++) {
    if (i >= len) {
      return 2;
    }
    if (d[i] == ' ') {
      break;
    }
    if (d[i] <= 0x20 || d[i] == 0x7F || i - t0 > RESYNC_TARGET_MAX) {
      return 0;
    }
  }
  if (i == t0) {
    return 0;
  }
  static const char ver[] = " HTTP/9.9\r\n";
  for (size_t k = 0; k < sizeof ver - 1; k++, i++) {
    if (i >= len) {
      return 2;
    }
    if (ver[k] == '9' ? !is_digit(d[i]) : d[i] != (uint8_t)ver[k]) {
      return 0;
    }
  }
  return 1;
}

size_t fsi_http_resync_scan(uint32_t side, const uint8_t *data, size_t len, int *partial) {
  *partial = 0;
  for (size_t i = 0; i < len; i++) {
    int r = side == FS_SIDE_RESPONDER ? status_line_at(data + i, len - i)
                                      : request_line_at(data + i, len - i);
    if (r == 1) {
      return i;
    }
    if (r == 2) {
      *partial = 1;
      return i;
    }
  }
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
