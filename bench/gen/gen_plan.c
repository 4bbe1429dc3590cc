/* SPDX-License-Identifier: MIT */
/* Flow plans: what each kind of flow sends, a batch of packets at a time.
 * Application bytes (HTTP headers, TLS handshake records, DNS messages) are
 * built into the flow's per-direction message buffer; bulk payload beyond
 * it is filler computed from the offset, so nothing large is stored. */
#include <stdio.h>
#include <string.h>

#include "gen_internal.h"

#define ACK FS_TCP_ACK
#define PSH FS_TCP_PSH

static void add(fsi_gen_flow *f, uint8_t dir, uint8_t flags, uint8_t src, uint32_t len,
                uint32_t off) {
  if (f->n_steps >= FSI_GEN_MAX_STEPS)
    return; /* plans are sized to fit; never overflow */
  fsi_gen_step *s = &f->steps[f->n_steps++];
  s->dir = dir;
  s->flags = flags;
  s->src = src;
  s->syn_opts = (flags & FS_TCP_SYN) ? 1 : 0;
  s->len = len;
  s->off = off;
}

/* Byte writer over a message buffer; silently stops at the end (plans keep
 * well below FSI_GEN_MSG_MAX, so that never happens for valid configs). */
typedef struct wbuf {
  uint8_t *p;
  uint32_t len, cap;
} wbuf;

static void w8(wbuf *w, uint32_t v) {
  if (w->len < w->cap)
    w->p[w->len] = (uint8_t)v;
  w->len++;
}
static void w16(wbuf *w, uint32_t v) {
  w8(w, v >> 8);
  w8(w, v);
}
static void w24(wbuf *w, uint32_t v) {
  w8(w, v >> 16);
  w16(w, v);
}
static void wbytes(wbuf *w, const void *b, uint32_t n) {
  const uint8_t *s = b;
  for (uint32_t i = 0; i < n; i++)
    w8(w, s[i]);
}
static void wrand(wbuf *w, fsi_gen_rng *r, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    w8(w, (uint32_t)fsi_gen_rng_next(r));
}
/* Patches a big-endian length of @p bytes at @p at with the bytes written since @p from. */
static void wpatch(wbuf *w, uint32_t at, int bytes, uint32_t from) {
  uint32_t v = w->len - from;
  for (int i = bytes - 1; i >= 0; i--, v >>= 8)
    if (at + (uint32_t)i < w->cap)
      w->p[at + i] = (uint8_t)v;
}

static wbuf msgbuf(fsi_gen_flow *f, int dir, uint32_t at) {
  wbuf w = {f->msg[dir], at, FSI_GEN_MSG_MAX};
  return w;
}
static uint32_t wend(fsi_gen_flow *f, int dir, const wbuf *w) {
  f->msg_len[dir] = w->len < w->cap ? w->len : w->cap;
  return f->msg_len[dir];
}

static const char *const k_words[] = {"index", "news",   "api",   "static", "img",  "video",
                                      "login", "search", "cart",  "assets", "docs", "blog",
                                      "user",  "feed",   "media", "data",   "shop", "help"};
#define N_WORDS (sizeof k_words / sizeof k_words[0])
static const char *const k_tlds[] = {"com", "net", "org", "io", "example"};

/* Host name of a server, stable per server address. */
static int host_name(char *buf, size_t n, const fsi_gen_flow *f) {
  uint32_t h = (uint32_t)fsi_gen_mix64(((uint64_t)f->srv_addr[2] << 8 | f->srv_addr[3]) ^
                                       (uint64_t)f->srv_addr[15] << 16);
  return snprintf(buf, n, "%s%u.%s", k_words[h % N_WORDS], h % 997u, k_tlds[(h >> 10) % 5]);
}

/* ---- TCP pieces ---- */

static void plan_handshake(fsi_gen_flow *f) {
  add(f, 0, FS_TCP_SYN, FSI_SRC_NONE, 0, 0);
  add(f, 1, FS_TCP_SYN | ACK, FSI_SRC_NONE, 0, 0);
  add(f, 0, ACK, FSI_SRC_NONE, 0, 0);
}

static void plan_teardown(fsi_gen_flow *f, fsi_gen_rng *r) {
  if (f->rst) {
    add(f, (uint8_t)fsi_gen_rng_below(r, 2), FS_TCP_RST | ACK, FSI_SRC_NONE, 0, 0);
  } else {
    uint8_t closer = fsi_gen_rng_below(r, 10) < 7 ? 0 : 1;
    add(f, closer, FS_TCP_FIN | ACK, FSI_SRC_NONE, 0, 0);
    add(f, (uint8_t)!closer, ACK, FSI_SRC_NONE, 0, 0);
    add(f, (uint8_t)!closer, FS_TCP_FIN | ACK, FSI_SRC_NONE, 0, 0);
    add(f, closer, ACK, FSI_SRC_NONE, 0, 0);
  }
  f->phase = FSI_PH_TEARDOWN;
}

/* Server segments [off, off+total) of direction 1, acknowledged by the
 * client every second segment as a delayed-ACK stack does. */
static uint32_t plan_bulk(fsi_gen_flow *f, uint8_t src, uint32_t off, uint32_t total,
                          uint32_t seg_len) {
  uint32_t steps = 0, segs = 0;
  while (total > 0) {
    uint32_t n = total < seg_len ? total : seg_len;
    total -= n;
    add(f, 1, (uint8_t)(ACK | (total == 0 ? PSH : 0)), src, n, off);
    off += n;
    steps++;
    if (++segs % 2 == 0 || total == 0) {
      add(f, 0, ACK, FSI_SRC_NONE, 0, 0);
      steps++;
    }
  }
  return steps;
}

/* Segments of a response: mostly short, some long, bounded by the budget. */
static uint32_t draw_segments(fsi_gen_flow *f, fsi_gen_rng *r) {
  uint32_t u = fsi_gen_rng_below(r, 100), segs;
  if (u < 40)
    segs = 1;
  else if (u < 70)
    segs = 2 + fsi_gen_rng_below(r, 3);
  else
    segs = 5 + fsi_gen_rng_below(r, 36);
  uint32_t cap = f->budget * 2 / 3;
  if (segs > cap)
    segs = cap ? cap : 1;
  if (segs > 96)
    segs = 96;
  return segs;
}

static void spend(fsi_gen_flow *f, uint32_t steps) {
  f->budget = steps >= f->budget ? 0 : f->budget - steps;
}

/* ---- HTTP/1.1 ---- */

static void plan_http_exchange(fsi_gen_flow *f, fsi_gen_rng *r) {
  char host[64];
  host_name(host, sizeof host, f);
  int post = fsi_gen_rng_below(r, 10) == 0;
  const char *w1 = k_words[fsi_gen_rng_below(r, N_WORDS)];
  const char *w2 = k_words[fsi_gen_rng_below(r, N_WORDS)];
  uint32_t n = fsi_gen_rng_below(r, 100000);
  char body[96];
  int body_len = 0;
  if (post)
    body_len = snprintf(body, sizeof body, "q=%s&page=%u&sid=%08x", w2, n % 50,
                        (unsigned)fsi_gen_rng_next(r));
  char *req = (char *)f->msg[0];
  int rl;
  if (post)
    rl = snprintf(req, FSI_GEN_MSG_MAX,
                  "POST /%s/%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: fsgen/1.0\r\n"
                  "Accept: */*\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  "Content-Length: %d\r\n\r\n%s",
                  w1, w2, host, body_len, body);
  else
    rl = snprintf(req, FSI_GEN_MSG_MAX,
                  "GET /%s/%s/%u.html HTTP/1.1\r\nHost: %s\r\nUser-Agent: fsgen/1.0\r\n"
                  "Accept: text/html,*/*\r\nAccept-Encoding: identity\r\n"
                  "Connection: keep-alive\r\n\r\n",
                  w1, w2, n, host);
  f->msg_len[0] = (uint32_t)rl;
  add(f, 0, ACK | PSH, FSI_SRC_MSG, (uint32_t)rl, 0);

  uint32_t segs = draw_segments(f, r);
  uint32_t u = fsi_gen_rng_below(r, 100);
  const char *status = u < 90 ? "200 OK" : u < 95 ? "404 Not Found" : "302 Found";
  const char *ctype = fsi_gen_rng_below(r, 3) == 0 ? "application/json" : "text/html";
  /* The header's length depends on the digits of Content-Length: size it
   * with the whole total first, then write the real body length. */
  uint32_t total = segs * FSI_GEN_MSS - fsi_gen_rng_below(r, FSI_GEN_MSS / 2);
  if (total < 200)
    total = 200;
  char *resp = (char *)f->msg[1];
#define RESP_FMT                                                                                   \
  "HTTP/1.1 %s\r\nServer: fsgen\r\nContent-Type: %s\r\nContent-Length: %u\r\n"                     \
  "Cache-Control: max-age=60\r\n\r\n"
  int hl = snprintf(resp, FSI_GEN_MSG_MAX, RESP_FMT, status, ctype, total);
  uint32_t body_total = total - (uint32_t)hl;
  hl = snprintf(resp, FSI_GEN_MSG_MAX, RESP_FMT, status, ctype, body_total);
  total = (uint32_t)hl + body_total;
  f->msg_len[1] = (uint32_t)hl;
  uint32_t steps = 1 + plan_bulk(f, FSI_SRC_MSG, 0, total, FSI_GEN_MSS);
  spend(f, steps);
}

/* ---- TLS ---- */

static const uint16_t k_suites[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
                                    0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};

static void ext_begin(wbuf *w, uint32_t type, uint32_t *at) {
  w16(w, type);
  *at = w->len;
  w16(w, 0);
}
static void ext_end(wbuf *w, uint32_t at) { wpatch(w, at, 2, at + 2); }

static void client_hello(fsi_gen_flow *f, fsi_gen_rng *r, wbuf *w, const char *sni) {
  uint32_t rec, hs, exts, e, l;
  w8(w, 22); /* handshake record */
  w16(w, 0x0301);
  rec = w->len;
  w16(w, 0);
  w8(w, 1); /* ClientHello */
  hs = w->len;
  w24(w, 0);
  w16(w, 0x0303);  /* legacy version TLS 1.2 */
  wrand(w, r, 32); /* random */
  w8(w, 32);       /* session id */
  wrand(w, r, 32);
  uint32_t n_suites = f->tls13 ? 15 : 12;
  const uint16_t *suites = f->tls13 ? k_suites : k_suites + 3;
  w16(w, n_suites * 2);
  for (uint32_t i = 0; i < n_suites; i++)
    w16(w, suites[i]);
  w8(w, 1); /* compression methods: null */
  w8(w, 0);
  exts = w->len;
  w16(w, 0);
  ext_begin(w, 0x0000, &e); /* server_name */
  l = w->len;
  w16(w, 0);
  w8(w, 0); /* host_name */
  w16(w, (uint32_t)strlen(sni));
  wbytes(w, sni, (uint32_t)strlen(sni));
  wpatch(w, l, 2, l + 2);
  ext_end(w, e);
  ext_begin(w, 0x0017, &e); /* extended_master_secret */
  ext_end(w, e);
  ext_begin(w, 0xff01, &e); /* renegotiation_info */
  w8(w, 0);
  ext_end(w, e);
  ext_begin(w, 0x000a, &e); /* supported_groups */
  w16(w, 6);
  w16(w, 0x001d);
  w16(w, 0x0017);
  w16(w, 0x0018);
  ext_end(w, e);
  ext_begin(w, 0x000b, &e); /* ec_point_formats */
  w8(w, 1);
  w8(w, 0);
  ext_end(w, e);
  ext_begin(w, 0x0023, &e); /* session_ticket */
  ext_end(w, e);
  ext_begin(w, 0x0010, &e); /* ALPN: h2, http/1.1 */
  w16(w, 12);
  w8(w, 2);
  wbytes(w, "h2", 2);
  w8(w, 8);
  wbytes(w, "http/1.1", 8);
  ext_end(w, e);
  ext_begin(w, 0x0005, &e); /* status_request (OCSP) */
  w8(w, 1);
  w16(w, 0);
  w16(w, 0);
  ext_end(w, e);
  ext_begin(w, 0x000d, &e); /* signature_algorithms */
  static const uint16_t sigs[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};
  w16(w, 16);
  for (int i = 0; i < 8; i++)
    w16(w, sigs[i]);
  ext_end(w, e);
  if (f->tls13) {
    ext_begin(w, 0x002b, &e); /* supported_versions */
    w8(w, 4);
    w16(w, 0x0304);
    w16(w, 0x0303);
    ext_end(w, e);
    ext_begin(w, 0x002d, &e); /* psk_key_exchange_modes */
    w8(w, 1);
    w8(w, 1);
    ext_end(w, e);
    ext_begin(w, 0x0033, &e); /* key_share: x25519 */
    w16(w, 36);
    w16(w, 0x001d);
    w16(w, 32);
    wrand(w, r, 32);
    ext_end(w, e);
  }
  wpatch(w, exts, 2, exts + 2);
  wpatch(w, hs, 3, hs + 3);
  wpatch(w, rec, 2, rec + 2);
}

static void server_hello(fsi_gen_flow *f, fsi_gen_rng *r, wbuf *w) {
  uint32_t rec, hs, exts, e;
  w8(w, 22);
  w16(w, 0x0303);
  rec = w->len;
  w16(w, 0);
  w8(w, 2); /* ServerHello */
  hs = w->len;
  w24(w, 0);
  w16(w, 0x0303);
  wrand(w, r, 32);
  w8(w, 32); /* echo the client's session id: bytes 44..75 of the ClientHello */
  wbytes(w, f->msg[0] + 44, 32);
  w16(w, f->tls13 ? 0x1301 : 0xc02f);
  w8(w, 0);
  exts = w->len;
  w16(w, 0);
  if (f->tls13) {
    ext_begin(w, 0x002b, &e);
    w16(w, 0x0304);
    ext_end(w, e);
    ext_begin(w, 0x0033, &e);
    w16(w, 0x001d);
    w16(w, 32);
    wrand(w, r, 32);
    ext_end(w, e);
  } else {
    ext_begin(w, 0xff01, &e);
    w8(w, 0);
    ext_end(w, e);
    ext_begin(w, 0x000b, &e);
    w8(w, 1);
    w8(w, 0);
    ext_end(w, e);
    ext_begin(w, 0x0010, &e); /* ALPN choice */
    w16(w, 9);
    w8(w, 8);
    wbytes(w, "http/1.1", 8);
    ext_end(w, e);
  }
  wpatch(w, exts, 2, exts + 2);
  wpatch(w, hs, 3, hs + 3);
  wpatch(w, rec, 2, rec + 2);
}

static void ccs(wbuf *w) {
  static const uint8_t rec[] = {20, 3, 3, 0, 1, 1};
  wbytes(w, rec, sizeof rec);
}

static void opaque_record(wbuf *w, fsi_gen_rng *r, uint32_t type, uint32_t len) {
  w8(w, type);
  w16(w, 0x0303);
  w16(w, len);
  wrand(w, r, len);
}

static void plan_tls_hello(fsi_gen_flow *f, fsi_gen_rng *r) {
  char sni[64];
  host_name(sni, sizeof sni, f);
  wbuf c = msgbuf(f, 0, 0), s = msgbuf(f, 1, 0);
  client_hello(f, r, &c, sni);
  uint32_t ch_len = wend(f, 0, &c);
  add(f, 0, ACK | PSH, FSI_SRC_MSG, ch_len, 0);

  server_hello(f, r, &s);
  uint32_t cert_len = 900 + fsi_gen_rng_below(r, 1900);
  if (f->tls13) {
    ccs(&s);
    opaque_record(&s, r, 23, cert_len); /* encrypted extensions .. finished */
  } else {
    uint32_t rec, hs;
    w8(&s, 22); /* Certificate */
    w16(&s, 0x0303);
    rec = s.len;
    w16(&s, 0);
    w8(&s, 11);
    hs = s.len;
    w24(&s, 0);
    w24(&s, cert_len + 3); /* certificate_list length */
    w24(&s, cert_len);     /* one certificate: a DER SEQUENCE of opaque bytes */
    w8(&s, 0x30);
    w8(&s, 0x82);
    w16(&s, cert_len - 4);
    wrand(&s, r, cert_len - 4);
    wpatch(&s, hs, 3, hs + 3);
    wpatch(&s, rec, 2, rec + 2);
    static const uint8_t done[] = {22, 3, 3, 0, 4, 14, 0, 0, 0}; /* ServerHelloDone */
    wbytes(&s, done, sizeof done);
  }
  uint32_t flight = wend(f, 1, &s);
  uint32_t steps = 1 + plan_bulk(f, FSI_SRC_MSG, 0, flight, FSI_GEN_MSS);

  /* Client's second flight, after the ClientHello in the same buffer. */
  uint32_t c2 = c.len;
  if (f->tls13) {
    ccs(&c);
    opaque_record(&c, r, 23, 53); /* Finished */
  } else {
    w8(&c, 22); /* ClientKeyExchange with a 32-byte ECDH public key */
    w16(&c, 0x0303);
    w16(&c, 37);
    w8(&c, 16);
    w24(&c, 33);
    w8(&c, 32);
    wrand(&c, r, 32);
    ccs(&c);
    opaque_record(&c, r, 22, 40); /* encrypted Finished */
  }
  add(f, 0, ACK | PSH, FSI_SRC_MSG, wend(f, 0, &c) - c2, c2);
  steps++;
  if (!f->tls13) {
    uint32_t s2 = s.len;
    ccs(&s);
    opaque_record(&s, r, 22, 40);
    add(f, 1, ACK | PSH, FSI_SRC_MSG, wend(f, 1, &s) - s2, s2);
    steps++;
  }
  spend(f, steps);
}

static void plan_tls_exchange(fsi_gen_flow *f, fsi_gen_rng *r) {
  add(f, 0, ACK | PSH, FSI_SRC_TLSREC, 60 + fsi_gen_rng_below(r, 700), 0);
  uint32_t segs = draw_segments(f, r);
  uint32_t total = segs * FSI_GEN_MSS - fsi_gen_rng_below(r, FSI_GEN_MSS / 2);
  if (total < 40)
    total = 40;
  if (total % FSI_GEN_MSS != 0 && total % FSI_GEN_MSS < 6)
    total += 6; /* every segment holds a whole record: at least its 5-byte header + 1 */
  spend(f, 1 + plan_bulk(f, FSI_SRC_TLSREC, 0, total, FSI_GEN_MSS));
}

static void plan_tls_close(fsi_gen_flow *f, fsi_gen_rng *r) {
  if (!f->rst) { /* close_notify alert before FIN */
    wbuf c = msgbuf(f, 0, 0);
    opaque_record(&c, r, 21, 26);
    add(f, 0, ACK | PSH, FSI_SRC_MSG, wend(f, 0, &c), 0);
  }
  plan_teardown(f, r);
}

/* ---- DNS ---- */

static void dns_name(wbuf *w, fsi_gen_flow *f, fsi_gen_rng *r) {
  char label[24];
  int n = snprintf(label, sizeof label, "%s%u", k_words[fsi_gen_rng_below(r, N_WORDS)],
                   fsi_gen_rng_below(r, 5000));
  w8(w, (uint32_t)n);
  wbytes(w, label, (uint32_t)n);
  uint32_t h = (uint32_t)fsi_gen_mix64(f->id % 20011u);
  n = snprintf(label, sizeof label, "site%u", h % 4000u);
  w8(w, (uint32_t)n);
  wbytes(w, label, (uint32_t)n);
  const char *tld = k_tlds[h % 4u];
  w8(w, (uint32_t)strlen(tld));
  wbytes(w, tld, (uint32_t)strlen(tld));
  w8(w, 0);
}

static void plan_dns(fsi_gen_flow *f, fsi_gen_rng *r) {
  uint32_t id = fsi_gen_rng_below(r, 65536);
  uint32_t qtype = fsi_gen_rng_below(r, 5) == 0 ? 28 : 1; /* AAAA or A */
  wbuf q = msgbuf(f, 0, 0);
  w16(&q, id);
  w16(&q, 0x0100); /* standard query, recursion desired */
  w16(&q, 1);      /* QDCOUNT */
  w16(&q, 0);
  w16(&q, 0);
  w16(&q, 0);
  dns_name(&q, f, r);
  w16(&q, qtype);
  w16(&q, 1); /* IN */
  uint32_t qlen = wend(f, 0, &q);
  add(f, 0, 0, FSI_SRC_MSG, qlen, 0);
  uint32_t u = fsi_gen_rng_below(r, 100);
  if (u >= 95) { /* unanswered */
    f->phase = FSI_PH_TEARDOWN;
    return;
  }
  int nx = u >= 90;
  wbuf a = msgbuf(f, 1, 0);
  w16(&a, id);
  w16(&a, nx ? 0x8183 : 0x8180); /* response, RD+RA, NOERROR or NXDOMAIN */
  w16(&a, 1);
  w16(&a, nx ? 0 : 1); /* ANCOUNT */
  w16(&a, 0);
  w16(&a, 0);
  wbytes(&a, f->msg[0] + 12, qlen - 12); /* the question, copied */
  if (!nx) {
    w16(&a, 0xc00c); /* name: pointer to the question */
    w16(&a, qtype);
    w16(&a, 1);
    w16(&a, 0);
    w16(&a, 300); /* TTL */
    if (qtype == 1) {
      w16(&a, 4);
      w8(&a, 93);
      w8(&a, 184);
      w16(&a, fsi_gen_rng_below(r, 65536));
    } else {
      w16(&a, 16);
      w16(&a, 0x2001);
      w16(&a, 0x0db8);
      for (int i = 0; i < 6; i++)
        w16(&a, fsi_gen_rng_below(r, 65536));
    }
  }
  add(f, 1, 0, FSI_SRC_MSG, wend(f, 1, &a), 0);
  f->phase = FSI_PH_TEARDOWN;
}

/* ---- plain UDP ---- */

static void plan_udp(fsi_gen_flow *f, fsi_gen_rng *r) {
  uint32_t off[2] = {0, 0};
  uint32_t n = f->budget < FSI_GEN_MAX_STEPS ? f->budget : FSI_GEN_MAX_STEPS;
  for (uint32_t i = 0; i < n; i++) {
    uint8_t dir = (f->exchange == 0 && i == 0) ? 0 : (uint8_t)(fsi_gen_rng_below(r, 10) < 3);
    uint32_t len = f->frag ? 1600 + fsi_gen_rng_below(r, 2400) : 16 + fsi_gen_rng_below(r, 1100);
    add(f, dir, 0, FSI_SRC_RANDOM, len, off[dir] + (uint32_t)f->exchange * 65536u);
    off[dir] += len;
  }
  f->exchange++;
  f->budget -= n;
  if (f->budget == 0)
    f->phase = FSI_PH_TEARDOWN;
}

void fsi_gen_plan(fsi_gen_flow *f, fsi_gen_rng *r, uint32_t data_mean) {
  (void)data_mean;
  f->n_steps = 0;
  f->cur = 0;
  switch (f->kind) {
  case FS_GEN_HTTP:
  case FS_GEN_TLS:
    if (f->phase == FSI_PH_START) {
      plan_handshake(f);
      f->phase = f->kind == FS_GEN_TLS ? FSI_PH_HELLO : FSI_PH_DATA;
    } else if (f->phase == FSI_PH_HELLO) {
      plan_tls_hello(f, r);
      f->phase = FSI_PH_DATA;
    } else if (f->phase == FSI_PH_DATA) {
      if (f->budget == 0 && f->exchange > 0) {
        if (f->kind == FS_GEN_TLS)
          plan_tls_close(f, r);
        else
          plan_teardown(f, r);
      } else {
        if (f->kind == FS_GEN_TLS)
          plan_tls_exchange(f, r);
        else
          plan_http_exchange(f, r);
        f->exchange++;
      }
    } else {
      f->phase = FSI_PH_DONE;
    }
    break;
  case FS_GEN_DNS:
    if (f->phase == FSI_PH_START)
      plan_dns(f, r);
    else
      f->phase = FSI_PH_DONE;
    break;
  case FS_GEN_UDP:
    if (f->phase == FSI_PH_START || f->phase == FSI_PH_DATA) {
      f->phase = FSI_PH_DATA;
      plan_udp(f, r);
    } else {
      f->phase = FSI_PH_DONE;
    }
    break;
  case FS_GEN_TCP_REFUSED:
  default:
    if (f->phase == FSI_PH_START) {
      add(f, 0, FS_TCP_SYN, FSI_SRC_NONE, 0, 0);
      if (fsi_gen_rng_below(r, 10) < 7)
        add(f, 1, FS_TCP_RST | ACK, FSI_SRC_NONE, 0, 0);
      f->phase = FSI_PH_TEARDOWN;
    } else {
      f->phase = FSI_PH_DONE;
    }
    break;
  }
}
