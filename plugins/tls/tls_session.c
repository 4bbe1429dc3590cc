/* SPDX-License-Identifier: MIT */
/* The record layer (RFC 5246 6.2, RFC 8446 5.1) and handshake reassembly for
 * one connection. Only whole records are consumed, so the result does not
 * depend on how the stream was split; handshake messages may span records
 * and a record may carry several. Reading stops where a side's records turn
 * unreadable: after its ChangeCipherSpec up to TLS 1.2, at its first
 * application_data record (TLS 1.3 hides the rest of the handshake there). */
#include <stdlib.h>
#include <string.h>

#include "tls_internal.h"

/* Record content types (RFC 8446 5.1, RFC 6520). */
enum {
  CT_CHANGE_CIPHER_SPEC = 20,
  CT_ALERT = 21,
  CT_HANDSHAKE = 22,
  CT_APPLICATION_DATA = 23,
  CT_HEARTBEAT = 24
};

/* Handshake message types read here. */
enum { HS_CLIENT_HELLO = 1, HS_SERVER_HELLO = 2, HS_CERTIFICATE = 11, HS_SERVER_KEY_EXCHANGE = 12 };

/* At most this many ServerHellos are parsed (a HelloRetryRequest and the
 * real one); more is nonsense and is skipped. */
#define MAX_SERVER_HELLOS 4u

void fsi_tls_conn_init(fsi_tls_conn *c) { memset(c, 0, sizeof *c); }

void fsi_tls_conn_clear(fsi_tls_conn *c) {
  free(c->ch_buf);
  free(c->ch2_buf);
  free(c->sh_buf);
  free(c->hrr_buf);
  free(c->cert_buf);
  c->ch_buf = NULL;
  c->ch2_buf = NULL;
  c->sh_buf = NULL;
  c->hrr_buf = NULL;
  c->cert_buf = NULL;
}

int fsi_tls_conn_client_hello(const fsi_tls_conn *c, fsi_tls_client_hello *out) {
  if (!c->ch_done)
    return -1;
  if (c->ch_v2)
    return fsi_tls_parse_sslv2_client_hello(c->ch_buf, c->ch_len, out);
  return fsi_tls_parse_client_hello(c->ch_buf, c->ch_len, out);
}

int fsi_tls_conn_retry_hello(const fsi_tls_conn *c, fsi_tls_client_hello *out) {
  if (!c->ch2_done)
    return -1;
  return fsi_tls_parse_client_hello(c->ch2_buf, c->ch2_len, out);
}

static int side_done(const fsi_tls_side *s) { return s->stopped || s->encrypted; }

int fsi_tls_conn_complete(const fsi_tls_conn *c) {
  return side_done(&c->side[0]) && side_done(&c->side[1]);
}

/* Zeek's notion: up to TLS 1.2 both sides sent ChangeCipherSpec; in TLS 1.3
 * both sides sent encrypted (application_data) records. */
static void check_established(fsi_tls_conn *c) {
  if (c->version == 0 || !c->sh_done)
    return;
  if (c->version == 0x0304 || (c->version >> 8) == 0x7f) {
    if (c->side[0].app_records && c->side[1].app_records)
      c->established = 1;
  } else if (c->side[0].ccs && c->side[1].ccs) {
    c->established = 1;
  }
}

static int is_tls13(uint32_t v) { return v == 0x0304 || (v >> 8) == 0x7f; }

static void server_hello_done(fsi_tls_conn *c) {
  fsi_tls_server_hello sh;
  if (fsi_tls_parse_server_hello(c->sh_buf, c->sh_len, &sh) != 0) {
    c->poison = "tls: malformed ServerHello";
    return;
  }
  c->sh_done = 1;
  c->sh_is_hrr = (uint32_t)sh.is_hrr;
  c->version = sh.selected_version ? sh.selected_version : sh.version;
  c->cipher = sh.cipher;
  if (sh.key_share_group)
    c->curve = sh.key_share_group;
  if (sh.has_psk)
    c->resumed = 1;
  if (!is_tls13(c->version) && sh.session_id.n > 0 && c->ch_done) {
    fsi_tls_client_hello ch;
    if (fsi_tls_conn_client_hello(c, &ch) == 0 && ch.session_id.n == sh.session_id.n &&
        memcmp(ch.session_id.p, sh.session_id.p, sh.session_id.n) == 0)
      c->resumed = 1;
  }
}

/* The second ClientHello of the client (TLS 1.3 sends it in clear after a
 * HelloRetryRequest; tshark lists it as a ClientHello of its own). Later
 * ones, and one from the other side, are skipped. */
static void keep_second_hello(fsi_tls_conn *c, uint32_t side) {
  fsi_tls_side *s = &c->side[side];
  if (c->ch_count != 2 || !c->ch_done || c->ch_v2 || side != c->client_side ||
      s->hs_len > FSI_TLS_MAX_HELLO || s->hs_len == 0)
    return;
  c->ch2_buf = malloc(s->hs_len);
  if (!c->ch2_buf) {
    c->poison = "tls: out of memory";
    return;
  }
  c->ch2_len = s->hs_len;
  s->hs_keep = c->ch2_buf;
  s->hs_keep_cap = s->hs_len;
}

/* A handshake header is complete: decide whether to keep the body. */
static void hs_begin(fsi_tls_conn *c, uint32_t side) {
  fsi_tls_side *s = &c->side[side];
  s->hs_keep = NULL;
  s->hs_keep_cap = 0;
  switch (s->hs_type) {
  case HS_CLIENT_HELLO:
    if (c->ch_count++ > 0) {
      keep_second_hello(c, side);
      return; /* the first ClientHello names the client */
    }
    if (s->hs_len > FSI_TLS_MAX_HELLO || s->hs_len == 0) {
      c->poison = "tls: ClientHello too large or empty";
      return;
    }
    c->ch_buf = malloc(s->hs_len);
    if (!c->ch_buf) {
      c->poison = "tls: out of memory";
      return;
    }
    c->ch_len = s->hs_len;
    c->client_side = side;
    s->hs_keep = c->ch_buf;
    s->hs_keep_cap = s->hs_len;
    return;
  case HS_SERVER_HELLO:
    /* Only one side may be the server: a buffer being filled is never freed. */
    if (c->sh_count > 0 && side != c->server_side)
      return;
    if (c->sh_count++ >= MAX_SERVER_HELLOS)
      return;
    c->server_side = side;
    if (s->hs_len > FSI_TLS_MAX_HELLO || s->hs_len == 0) {
      c->poison = "tls: ServerHello too large or empty";
      return;
    }
    if (c->sh_done && c->sh_is_hrr && !c->hrr_buf) {
      /* Keep the HelloRetryRequest: tshark lists it as a ServerHello. */
      c->hrr_buf = c->sh_buf;
      c->hrr_len = c->sh_len;
    } else {
      free(c->sh_buf);
    }
    c->sh_buf = NULL;
    c->sh_done = 0;
    c->sh_is_hrr = 0;
    c->sh_buf = malloc(s->hs_len);
    if (!c->sh_buf) {
      c->poison = "tls: out of memory";
      return;
    }
    c->sh_len = s->hs_len;
    s->hs_keep = c->sh_buf;
    s->hs_keep_cap = s->hs_len;
    return;
  case HS_CERTIFICATE:
    /* The server's first Certificate (TLS 1.3 sends it encrypted). Keep a
     * bounded prefix: the leaf comes first. */
    if (c->cert_seen || c->sh_count == 0 || side != c->server_side || s->hs_len == 0)
      return;
    c->cert_seen = 1;
    c->cert_len = s->hs_len < FSI_TLS_MAX_CERT_PREFIX ? s->hs_len : FSI_TLS_MAX_CERT_PREFIX;
    c->cert_buf = malloc(c->cert_len);
    if (!c->cert_buf) {
      c->poison = "tls: out of memory";
      return;
    }
    s->hs_keep = c->cert_buf;
    s->hs_keep_cap = c->cert_len;
    return;
  case HS_SERVER_KEY_EXCHANGE:
    /* ECParameters: curve_type 3 (named_curve) then the group. */
    if (fsi_tls_cipher_is_ecdhe(c->cipher)) {
      s->hs_keep = s->ske;
      s->hs_keep_cap = 3;
    }
    return;
  default: return;
  }
}

/* Copies the leaf's names out and drops the certificate bytes. */
static void leaf_names(fsi_tls_conn *c) {
  fsi_tls_view subject, issuer;
  if (fsi_tls_leaf_names(c->cert_buf, c->cert_len, &subject, &issuer) == 0) {
    c->subject_cn_len = (uint32_t)(subject.n < FSI_TLS_MAX_CN ? subject.n : FSI_TLS_MAX_CN);
    c->issuer_cn_len = (uint32_t)(issuer.n < FSI_TLS_MAX_CN ? issuer.n : FSI_TLS_MAX_CN);
    if (c->subject_cn_len)
      memcpy(c->subject_cn, subject.p, c->subject_cn_len);
    if (c->issuer_cn_len)
      memcpy(c->issuer_cn, issuer.p, c->issuer_cn_len);
  }
  free(c->cert_buf);
  c->cert_buf = NULL;
  c->cert_len = 0;
}

/* A handshake message is complete. */
static void hs_end(fsi_tls_conn *c, uint32_t side) {
  fsi_tls_side *s = &c->side[side];
  if (s->hs_keep == c->ch_buf && c->ch_buf) {
    fsi_tls_client_hello ch;
    if (fsi_tls_parse_client_hello(c->ch_buf, c->ch_len, &ch) != 0)
      c->poison = "tls: malformed ClientHello";
    else
      c->ch_done = 1;
  } else if (s->hs_keep == c->ch2_buf && c->ch2_buf) {
    fsi_tls_client_hello ch;
    if (fsi_tls_parse_client_hello(c->ch2_buf, c->ch2_len, &ch) == 0) {
      c->ch2_done = 1;
    } else { /* the first hello still names the connection */
      free(c->ch2_buf);
      c->ch2_buf = NULL;
      c->ch2_len = 0;
    }
  } else if (s->hs_keep == c->sh_buf && c->sh_buf) {
    server_hello_done(c);
  } else if (s->hs_keep && s->hs_keep == c->cert_buf) {
    leaf_names(c);
  } else if (s->hs_keep == s->ske && s->hs_len >= 3 && s->ske[0] == 3) {
    c->curve = ((uint32_t)s->ske[1] << 8) | s->ske[2];
  }
  s->hs_keep = NULL;
  s->hs_keep_cap = 0;
  s->hs_hdr_got = 0;
}

/* Feeds one handshake record's fragment to the message assembler. */
static void hs_bytes(fsi_tls_conn *c, uint32_t side, const uint8_t *p, size_t n) {
  fsi_tls_side *s = &c->side[side];
  while (n > 0 && !c->poison) {
    if (s->hs_hdr_got < 4) {
      size_t take = 4 - s->hs_hdr_got;
      if (take > n)
        take = n;
      memcpy(s->hs_hdr + s->hs_hdr_got, p, take);
      s->hs_hdr_got += (uint32_t)take;
      p += take;
      n -= take;
      if (s->hs_hdr_got == 4) {
        s->hs_type = s->hs_hdr[0];
        s->hs_len = ((uint32_t)s->hs_hdr[1] << 16) | ((uint32_t)s->hs_hdr[2] << 8) | s->hs_hdr[3];
        s->hs_got = 0;
        hs_begin(c, side);
        if (s->hs_len == 0 && !c->poison)
          hs_end(c, side);
      }
      continue;
    }
    size_t take = s->hs_len - s->hs_got;
    if (take > n)
      take = n;
    if (s->hs_keep && s->hs_got < s->hs_keep_cap) {
      size_t room = s->hs_keep_cap - s->hs_got;
      memcpy(s->hs_keep + s->hs_got, p, take < room ? take : room);
    }
    s->hs_got += (uint32_t)take;
    p += take;
    n -= take;
    if (s->hs_got == s->hs_len)
      hs_end(c, side);
  }
}

static void alert_bytes(fsi_tls_conn *c, uint32_t side, const uint8_t *p, size_t n) {
  /* Alerts are two bytes (level, description); a fragment holds whole ones. */
  for (size_t i = 0; i + 1 < n; i += 2) {
    if (c->n_alerts < FSI_TLS_MAX_ALERTS)
      c->alerts[c->n_alerts] = (side << 16) | ((uint32_t)p[i] << 8) | p[i + 1];
    c->n_alerts++;
  }
}

static void record(fsi_tls_conn *c, uint32_t side, uint32_t type, const uint8_t *p, size_t n) {
  fsi_tls_side *s = &c->side[side];
  s->records++;
  if (type == CT_APPLICATION_DATA) {
    s->app_records++;
    s->encrypted = 1;
    check_established(c);
    return;
  }
  if (s->encrypted)
    return; /* encrypted handshake or alert records */
  switch (type) {
  case CT_CHANGE_CIPHER_SPEC:
    s->ccs = 1;
    /* In TLS 1.3 CCS is a compatibility no-op and what follows in clear
     * (a second ClientHello after a HelloRetryRequest) is still readable;
     * before TLS 1.3 everything after it is encrypted. A CCS before any
     * ServerHello only happens in TLS 1.3. */
    if (c->version != 0 && !is_tls13(c->version))
      s->encrypted = 1;
    check_established(c);
    return;
  case CT_ALERT: alert_bytes(c, side, p, n); return;
  case CT_HANDSHAKE: hs_bytes(c, side, p, n); return;
  default: return; /* heartbeat */
  }
}

/*
 * An SSLv2-framed record as a side's first record (RFC 6101 E.1: 2-byte
 * header, high bit set). A CLIENT-HELLO is kept (SSLv3/TLS servers answer
 * it with a normal ServerHello, and the client carries on in TLS records);
 * an SSLv2 SERVER-HELLO means SSL 2.0 was chosen and everything after it is
 * encrypted. Returns the record's size, 0 when incomplete, -1 when invalid.
 */
static long sslv2_record(fsi_tls_conn *c, uint32_t side, const uint8_t *h, size_t avail) {
  size_t rlen = ((size_t)(h[0] & 0x7fu) << 8) | h[1];
  if (rlen < 3)
    return -1;
  if (avail - 2 < rlen)
    return 0;
  const uint8_t *body = h + 2;
  if (body[0] == 1 && c->ch_count == 0) {
    fsi_tls_client_hello ch;
    if (fsi_tls_parse_sslv2_client_hello(body, rlen, &ch) != 0)
      return -1;
    c->ch_buf = malloc(rlen);
    if (!c->ch_buf) {
      c->poison = "tls: out of memory";
      return -1;
    }
    memcpy(c->ch_buf, body, rlen);
    c->ch_len = (uint32_t)rlen;
    c->ch_v2 = 1;
    c->ch_done = 1;
    c->ch_count = 1;
    c->client_side = side;
  } else if (body[0] == 4 && rlen >= 5 && c->ch_v2) {
    /* SERVER-HELLO: session_id_hit, certificate_type, server_version. */
    c->version = ((uint32_t)body[3] << 8) | body[4];
    c->side[0].stopped = c->side[1].stopped = 1;
  } else {
    return -1;
  }
  c->side[side].records++;
  return (long)(2 + rlen);
}

/* Whether a side's first bytes are clear text rather than TLS: not a TLS
 * content type (20-24), and not an SSLv2 CLIENT-HELLO / SERVER-HELLO header
 * (high bit, then message type 1 or 4). Clear-text protocols do not start
 * with bytes 20-24; a MySQL greeting may start with a high length byte. */
static int starts_clear_text(const fsi_tls_conn *c, const uint8_t *h) {
  if (h[0] >= CT_CHANGE_CIPHER_SPEC && h[0] <= CT_HEARTBEAT)
    return 0;
  if ((h[0] & 0x80u) && (h[2] == 1 || (h[2] == 4 && c->ch_v2)))
    return 0;
  return 1;
}

int fsi_tls_conn_feed(fsi_tls_conn *c, uint32_t side, const uint8_t *data, size_t len,
                      size_t *consumed) {
  side &= 1u;
  fsi_tls_side *s = &c->side[side];
  size_t off = 0;
  *consumed = 0;
  if (c->poison)
    return FS_PARSE_POISON;
  if (s->stopped) {
    *consumed = len;
    return fsi_tls_conn_complete(c) ? FS_PARSE_DONE : FS_PARSE_OK;
  }
  while (off < len && !fsi_tls_conn_complete(c)) {
    const uint8_t *h = data + off;
    if (s->records == 0 && !s->preamble) {
      if ((h[0] & 0x80u) && len - off < 3)
        break; /* SSLv2 header or clear text: decided by its third byte */
      s->preamble = (uint32_t)starts_clear_text(c, h);
    }
    if (s->preamble) {
      /* Clear text before TLS (STARTTLS, a proxy handshake): skip to the
       * first hello record header, whatever the bytes at hand (so that the
       * count does not depend on how the stream was cut). */
      int found;
      size_t skip = fsi_tls_preamble_scan(h, len - off, &found);
      if (skip > FSI_TLS_MAX_PREAMBLE - s->clear_bytes) {
        c->poison = "tls: no TLS hello within the clear-text preamble";
        break;
      }
      s->clear_bytes += (uint32_t)skip;
      off += skip;
      if (!found)
        break;
      s->preamble = 0;
      continue;
    }
    if (len - off < 5)
      break;
    if ((h[0] & 0x80u) && s->records == 0) {
      long used = sslv2_record(c, side, h, len - off);
      if (used == 0)
        break;
      if (used < 0) {
        if (!c->poison)
          c->poison = "tls: invalid SSLv2 record";
        break;
      }
      off += (size_t)used;
      continue;
    }
    uint32_t type = h[0], rlen = ((uint32_t)h[3] << 8) | h[4];
    if (type < CT_CHANGE_CIPHER_SPEC || type > CT_HEARTBEAT || h[1] != 3 || h[2] > 4 ||
        rlen > FSI_TLS_MAX_RECORD) {
      c->poison = "tls: invalid record header";
      break;
    }
    if (len - off - 5 < rlen)
      break; /* partial record: left to the host */
    record(c, side, type, h + 5, rlen);
    off += 5 + (size_t)rlen;
    if (c->poison)
      break;
  }
  *consumed = off;
  if (c->poison)
    return FS_PARSE_POISON;
  return fsi_tls_conn_complete(c) ? FS_PARSE_DONE : FS_PARSE_OK;
}
