/* SPDX-License-Identifier: MIT */
/* Helpers shared by the tls tests: hex decoding and hand-built records. */
#ifndef FLOWSCOPE_TLS_TEST_UTIL_H
#define FLOWSCOPE_TLS_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Decodes hex digits (other characters are skipped) into out; returns bytes. */
static inline size_t tt_hex(const char *s, uint8_t *out, size_t cap) {
  size_t n = 0;
  int hi = -1;
  for (; *s; s++) {
    int v;
    if (*s >= '0' && *s <= '9')
      v = *s - '0';
    else if (*s >= 'a' && *s <= 'f')
      v = *s - 'a' + 10;
    else if (*s >= 'A' && *s <= 'F')
      v = *s - 'A' + 10;
    else
      continue;
    if (hi < 0) {
      hi = v;
    } else {
      if (n < cap)
        out[n] = (uint8_t)(hi << 4 | v);
      n++;
      hi = -1;
    }
  }
  return n;
}

/* Wraps @p n bytes in one TLS record (type, version 3.minor); returns size. */
static inline size_t tt_record(uint8_t type, uint8_t minor, const uint8_t *p, size_t n,
                               uint8_t *out) {
  out[0] = type;
  out[1] = 3;
  out[2] = minor;
  out[3] = (uint8_t)(n >> 8);
  out[4] = (uint8_t)n;
  memcpy(out + 5, p, n);
  return n + 5;
}

/* RFC 8448 section 3 ("Simple 1-RTT Handshake"): the ClientHello handshake
 * message (type 1, length 0xc0): legacy_version 0x0303, random cb34..e7,
 * empty session id, ciphers 1301 1303 1302, null compression, extensions
 * server_name "server", renegotiation_info, supported_groups (x25519 P-256
 * P-384 P-521 ffdhe2048..8192), session_ticket, key_share, supported_versions
 * (1.3), signature_algorithms, psk_key_exchange_modes, record_size_limit. */
static const char *const TT_RFC8448_CH =
    "01 00 00 c0 03 03 cb 34 ec b1 e7 81 63 ba 1c 38 c6 da cb 19 6a 6d ff a2 1a 8d 99 12 ec 18"
    "a2 ef 62 83 02 4d ec e7 00 00 06 13 01 13 03 13 02 01 00 00 91 00 00 00 0b 00 09 00 00 06"
    "73 65 72 76 65 72 ff 01 00 01 00 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01 01 01"
    "02 01 03 01 04 00 23 00 00 00 33 00 26 00 24 00 1d 00 20 99 38 1d e5 60 e4 bd 43 d2 3d 8e"
    "43 5a 7d ba fe b3 c0 6e 51 c1 3c ae 4d 54 13 69 1e 52 9a af 2c 00 2b 00 03 02 03 04 00 0d"
    "00 20 00 1e 04 03 05 03 06 03 02 03 08 04 08 05 08 06 04 01 05 01 06 01 02 01 04 02 05 02"
    "06 02 02 02 00 2d 00 02 01 01 00 1c 00 02 40 01";

/* RFC 8448 section 3: the ServerHello (type 2, length 0x56): legacy_version
 * 0x0303, cipher 1301, extensions key_share (x25519) and supported_versions
 * (0x0304). */
static const char *const TT_RFC8448_SH =
    "02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e 6e 60 24 9c d3 4c 95 93 0c 8a c5 cb 14 34 da"
    "c1 55 77 2e d3 e2 69 28 00 13 01 00 00 2e 00 33 00 24 00 1d 00 20 c9 82 88 76 11 20 95 fe"
    "66 76 2b db f7 c6 72 e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f 00 2b 00 02 03 04";

/* Hand-built ClientHello with GREASE everywhere (made by the generator in
 * tls_reference's docstring style; expected values from tls_reference.py):
 * version 0x0303, random 32 x 0x11, no session id,
 * ciphers 0a0a(GREASE) 1301 c02f 00ff(SCSV), compression null,
 * extensions 1a1a(GREASE, empty), server_name "a.example",
 * supported_groups 2a2a(GREASE) 001d 0017, ec_point_formats [0],
 * signature_algorithms 0403 0804, ALPN "h2" "http/1.1",
 * supported_versions 3a3a(GREASE) 0304, padding (2 zero bytes). */
static const char *const TT_GREASE_CH =
    "01000084030311111111111111111111111111111111111111111111111111111111111111110000080a0a1301"
    "c02f00ff010000531a1a00000000000e000c000009612e6578616d706c65000a000800062a2a001d0017000b00"
    "020100000d00060004040308040010000e000c02683208687474702f312e31002b0005043a3a03040015000200"
    "00";

#endif /* FLOWSCOPE_TLS_TEST_UTIL_H */
