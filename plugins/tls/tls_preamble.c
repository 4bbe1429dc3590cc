/* SPDX-License-Identifier: MIT */
/* Where TLS starts in a stream. A hello record header (used by the probe and
 * by the preamble scan) is recognised from its first 11 bytes; a side whose
 * stream does not start with a TLS record (STARTTLS in SMTP, IMAP, POP3, FTP,
 * XMPP, LDAP; the SSLRequest of PostgreSQL and MySQL; an HTTP CONNECT or
 * SOCKS proxy handshake) is skipped as clear text up to the first such
 * header, within FSI_TLS_MAX_PREAMBLE bytes. */
#include "tls_internal.h"

uint32_t fsi_tls_hello_header(const uint8_t *d, size_t len) {
  /* Bytes needed before each check can be made. */
  static const size_t need[] = {1, 2, 3, 5, 6, 9, 11};
  for (size_t step = 0; step < sizeof need / sizeof need[0]; step++) {
    if (len < need[step])
      return FS_PROBE_NEED_MORE;
    switch (step) {
    case 0: /* content type handshake */
      if (d[0] != 22)
        return FS_PROBE_NO;
      break;
    case 1: /* record version 3.x */
      if (d[1] != 3)
        return FS_PROBE_NO;
      break;
    case 2:
      if (d[2] > 4)
        return FS_PROBE_NO;
      break;
    case 3: { /* record length */
      uint32_t rlen = ((uint32_t)d[3] << 8) | d[4];
      if (rlen < 4 || rlen > FSI_TLS_MAX_RECORD)
        return FS_PROBE_NO;
      break;
    }
    case 4: /* ClientHello or ServerHello */
      if (d[5] != 1 && d[5] != 2)
        return FS_PROBE_NO;
      break;
    case 5: { /* hello length: at least version, random and three short fields */
      uint32_t hlen = ((uint32_t)d[6] << 16) | ((uint32_t)d[7] << 8) | d[8];
      if (hlen < 38 || hlen > FSI_TLS_MAX_HELLO)
        return FS_PROBE_NO;
      break;
    }
    default: /* hello version 3.x */ return d[9] == 3 && d[10] <= 4 ? FS_PROBE_YES : FS_PROBE_NO;
    }
  }
  return FS_PROBE_NO;
}

int fsi_tls_record_header_ok(const uint8_t *h) {
  uint32_t rlen = ((uint32_t)h[3] << 8) | h[4];
  return h[0] >= 20 && h[0] <= 24 && h[1] == 3 && h[2] <= 4 && rlen <= FSI_TLS_MAX_RECORD;
}

size_t fsi_tls_preamble_scan(const uint8_t *d, size_t len, int *found) {
  *found = 0;
  for (size_t i = 0; i < len; i++) {
    uint32_t r = fsi_tls_hello_header(d + i, len - i);
    if (r == FS_PROBE_YES) {
      *found = 1;
      return i;
    }
    if (r == FS_PROBE_NEED_MORE)
      return i; /* decided once more bytes are here */
  }
  return len;
}

/* ---- detection of a clear-text start ------------------------------------ */

/* Case-insensitive match of the ASCII word @p w at @p d: FS_PROBE_YES when
 * all of it is there, NEED_MORE when the bytes so far agree, else NO. */
static uint32_t word_at(const uint8_t *d, size_t len, const char *w) {
  size_t i = 0;
  for (; w[i] != '\0'; i++) {
    if (i == len)
      return FS_PROBE_NEED_MORE;
    uint8_t a = d[i], b = (uint8_t)w[i];
    if (a >= 'a' && a <= 'z')
      a = (uint8_t)(a - 'a' + 'A');
    if (a != b)
      return FS_PROBE_NO;
  }
  return FS_PROBE_YES;
}

/* Exact bytes at @p d (binary signatures). */
static uint32_t bytes_at(const uint8_t *d, size_t len, const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (i == len)
      return FS_PROBE_NEED_MORE;
    if (d[i] != b[i])
      return FS_PROBE_NO;
  }
  return FS_PROBE_YES;
}

/* Combines two answers: YES wins, then NEED_MORE. */
static uint32_t either(uint32_t a, uint32_t b) {
  if (a == FS_PROBE_YES || b == FS_PROBE_YES)
    return FS_PROBE_YES;
  return a == FS_PROBE_NEED_MORE || b == FS_PROBE_NEED_MORE ? FS_PROBE_NEED_MORE : FS_PROBE_NO;
}

/* An IMAP command "<tag> CAPABILITY" or "<tag> STARTTLS" (RFC 9051: the
 * client speaks first after the greeting). */
static uint32_t imap_command(const uint8_t *d, size_t len) {
  size_t i = 0;
  while (i < len && i < 32 && d[i] != ' ') {
    uint8_t c = d[i];
    if (c <= ' ' || c >= 127 || c == '{' || c == '(' || c == ')' || c == '%' || c == '*' ||
        c == '"' || c == '\\')
      return FS_PROBE_NO;
    i++;
  }
  if (i == len)
    return FS_PROBE_NEED_MORE;
  if (i == 0 || i == 32)
    return FS_PROBE_NO;
  i++; /* the space */
  return either(word_at(d + i, len - i, "CAPABILITY"), word_at(d + i, len - i, "STARTTLS"));
}

/*
 * Whether a side starts like the clear-text part of a protocol that turns
 * into TLS on the same connection: SMTP, FTP (RFC 4217), IMAP, POP3
 * (RFC 2595), XMPP (RFC 6120), LDAP StartTLS (RFC 4511), PostgreSQL's and
 * MySQL's SSLRequest, an HTTP CONNECT proxy, SOCKS 4 and 5 (RFC 1928).
 * YES: recognised; NEED_MORE: the bytes so far may still be one of them.
 * *exact_len is set when the hello must follow at exactly that offset.
 */
static uint32_t clear_start(const uint8_t *d, size_t len, size_t *exact_len) {
  /* Upper-cased: SMTP/FTP greetings, SMTP, IMAP and POP3 greetings, POP3
   * and FTP commands, XMPP stream starts, HTTP CONNECT and its answer. */
  static const char *const words[] = {
      "220 ", "220-",     "EHLO ",    "HELO ", "* OK",           "+OK",      "CAPA",    "STLS",
      "FEAT", "AUTH TLS", "AUTH SSL", "<?XML", "<STREAM:STREAM", "CONNECT ", "HTTP/1.",
  };
  static const uint8_t pg_ssl_request[] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
  static const uint8_t mysql_ssl_request[] = {0x20, 0, 0, 1}; /* 32-byte packet, seq 1 */
  *exact_len = 0;
  if (len == 0)
    return FS_PROBE_NEED_MORE;
  uint32_t r = FS_PROBE_NO;
  for (size_t i = 0; i < sizeof words / sizeof words[0] && r != FS_PROBE_YES; i++)
    r = either(r, word_at(d, len, words[i]));
  if (r != FS_PROBE_YES)
    r = either(r, imap_command(d, len));
  if (r != FS_PROBE_YES)
    r = either(r, bytes_at(d, len, pg_ssl_request, sizeof pg_ssl_request));
  if (r != FS_PROBE_YES)
    r = either(r, bytes_at(d, len, mysql_ssl_request, sizeof mysql_ssl_request));
  if (r == FS_PROBE_YES)
    return r;
  switch (d[0]) {
  case 'S': /* PostgreSQL's answer to SSLRequest: one byte, then the ServerHello */
    *exact_len = 1;
    return either(r, len < 2 || d[1] == 22 ? FS_PROBE_YES : FS_PROBE_NO);
  case 0x30: /* LDAP message: SEQUENCE, short length, messageID, ExtendedReq/Resp */
    if (len < 6)
      return either(r, FS_PROBE_NEED_MORE);
    return either(r, d[1] < 0x80 && d[2] == 2 && d[3] == 1 && (d[5] == 0x77 || d[5] == 0x78)
                         ? FS_PROBE_YES
                         : FS_PROBE_NO);
  case 0x04: /* SOCKS 4 request: CONNECT or BIND */
    if (len < 2)
      return either(r, FS_PROBE_NEED_MORE);
    return either(r, d[1] == 1 || d[1] == 2 ? FS_PROBE_YES : FS_PROBE_NO);
  case 0x00: /* SOCKS 4 reply: version 0, code 90-93 */
    if (len < 2)
      return either(r, FS_PROBE_NEED_MORE);
    return either(r, d[1] >= 0x5a && d[1] <= 0x5d ? FS_PROBE_YES : FS_PROBE_NO);
  case 0x05: /* SOCKS 5 greeting (1-16 methods) or method choice */
    if (len < 2)
      return either(r, FS_PROBE_NEED_MORE);
    return either(r, d[1] <= 16 || d[1] == 0xff ? FS_PROBE_YES : FS_PROBE_NO);
  default: break;
  }
  /* MySQL greeting: 3-byte length, sequence 0, protocol version 10. */
  if (len < 5)
    return either(r, FS_PROBE_NEED_MORE);
  uint32_t plen = (uint32_t)d[0] | ((uint32_t)d[1] << 8) | ((uint32_t)d[2] << 16);
  return either(r,
                plen >= 16 && plen < 1024 && d[3] == 0 && d[4] == 10 ? FS_PROBE_YES : FS_PROBE_NO);
}

uint32_t fsi_tls_probe_preamble(const uint8_t *d, size_t len) {
  /* A TLS content type first is a record, never clear text (as the parser
   * decides). */
  if (len > 0 && d[0] >= 20 && d[0] <= 24)
    return FS_PROBE_NO;
  size_t exact_len;
  uint32_t r = clear_start(d, len, &exact_len);
  if (r != FS_PROBE_YES)
    return r;
  if (exact_len) {
    if (len <= exact_len)
      return FS_PROBE_NEED_MORE;
    r = fsi_tls_hello_header(d + exact_len, len - exact_len);
    return r == FS_PROBE_NO ? FS_PROBE_NO : r;
  }
  int found;
  (void)fsi_tls_preamble_scan(d, len, &found);
  return found ? FS_PROBE_YES : FS_PROBE_NEED_MORE;
}
