/* SPDX-License-Identifier: MIT */
/* ClientHello and ServerHello bodies (RFC 5246 7.4.1, RFC 8446 4.1.2-4.1.4).
 * Parsing only records views into the body; nothing is copied. A length that
 * overruns its container makes the hello invalid (non-zero return). */
#include <string.h>

#include "tls_internal.h"

/* RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest
 * (SHA-256 of "HelloRetryRequest"). */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

int fsi_tls_next_extension(fsi_tls_view *block, uint32_t *type, fsi_tls_view *data) {
  fsi_tls_view save = *block;
  if (!fsi_tls_take_u16(block, type) || !fsi_tls_take_vec(block, 2, data)) {
    *block = save;
    return 0;
  }
  return 1;
}

/* Counts the extensions of a block; -1 when it does not split exactly. */
static long count_extensions(fsi_tls_view block) {
  long n = 0;
  uint32_t type;
  fsi_tls_view data;
  while (block.n > 0) {
    if (!fsi_tls_next_extension(&block, &type, &data))
      return -1;
    n++;
  }
  return n;
}

/* The extensions block that ends both hellos: 1 with *block and *n set, 0
 * when the hello has none, -1 when its framing is broken. */
static int take_extension_block(fsi_tls_view *v, fsi_tls_view *block, uint32_t *n_out) {
  if (v->n == 0)
    return 0;
  if (!fsi_tls_take_vec(v, 2, block))
    return -1;
  long n = count_extensions(*block);
  if (n < 0)
    return -1;
  *n_out = (uint32_t)n;
  return 1;
}

/* RFC 6066 3: the first host_name (type 0) entry of a ServerNameList. */
static int read_sni(fsi_tls_view data, fsi_tls_view *name) {
  fsi_tls_view list;
  if (!fsi_tls_take_vec(&data, 2, &list))
    return -1;
  name->p = list.p;
  name->n = 0;
  while (list.n > 0) {
    uint32_t type;
    fsi_tls_view entry;
    if (!fsi_tls_take_u8(&list, &type) || !fsi_tls_take_vec(&list, 2, &entry))
      return -1;
    if (type == 0) {
      *name = entry;
      return 0;
    }
  }
  return 0;
}

/* A vector of 2-byte items with a @p len_bytes prefix; odd lengths are invalid. */
static int read_u16_list(fsi_tls_view data, unsigned len_bytes, fsi_tls_view *out) {
  if (!fsi_tls_take_vec(&data, len_bytes, out) || (out->n & 1u)) {
    out->n = 0;
    return -1;
  }
  return 0;
}

static int client_extension(fsi_tls_client_hello *ch, uint32_t type, fsi_tls_view data) {
  switch (type) {
  case FSI_TLS_EXT_SERVER_NAME:
    if (ch->has_sni)
      return 0; /* duplicates: the first one counts */
    ch->has_sni = 1;
    /* An empty server_name extension is legal in a ServerHello only, but
     * clients send it too; keep the flag, no name. */
    if (data.n == 0)
      return 0;
    return read_sni(data, &ch->sni);
  case FSI_TLS_EXT_SUPPORTED_GROUPS: return read_u16_list(data, 2, &ch->groups);
  case FSI_TLS_EXT_EC_POINT_FORMATS: return fsi_tls_take_vec(&data, 1, &ch->point_formats) ? 0 : -1;
  case FSI_TLS_EXT_SIGNATURE_ALGORITHMS: return read_u16_list(data, 2, &ch->sig_algs);
  case FSI_TLS_EXT_ALPN:
    if (ch->has_alpn)
      return 0;
    ch->has_alpn = 1;
    return fsi_tls_take_vec(&data, 2, &ch->alpn) ? 0 : -1;
  case FSI_TLS_EXT_SUPPORTED_VERSIONS:
    ch->has_versions = 1;
    return read_u16_list(data, 1, &ch->versions);
  default: return 0;
  }
}

int fsi_tls_parse_client_hello(const uint8_t *body, size_t len, fsi_tls_client_hello *out) {
  fsi_tls_view v = {body, len};
  memset(out, 0, sizeof *out);
  if (!fsi_tls_take_u16(&v, &out->version) || !fsi_tls_take(&v, 32, &out->random) ||
      !fsi_tls_take_vec(&v, 1, &out->session_id) || !fsi_tls_take_vec(&v, 2, &out->ciphers) ||
      !fsi_tls_take_vec(&v, 1, &out->compression))
    return -1;
  if ((out->ciphers.n & 1u) || out->session_id.n > 32)
    return -1;
  int have = take_extension_block(&v, &out->extensions, &out->n_extensions);
  if (have <= 0)
    return have; /* -1 bad framing; 0 no extensions (SSLv3 style) */
  fsi_tls_view block = out->extensions;
  uint32_t type;
  fsi_tls_view data;
  /* A malformed inner extension is ignored (its list stays empty), as
   * decoders like Wireshark keep going; only the outer framing is fatal. */
  while (fsi_tls_next_extension(&block, &type, &data))
    (void)client_extension(out, type, data);
  return 0;
}

static int server_extension(fsi_tls_server_hello *sh, uint32_t type, fsi_tls_view data) {
  switch (type) {
  case FSI_TLS_EXT_SUPPORTED_VERSIONS:
    return fsi_tls_take_u16(&data, &sh->selected_version) ? 0 : -1;
  case FSI_TLS_EXT_ALPN: {
    fsi_tls_view list;
    if (!fsi_tls_take_vec(&data, 2, &list) || !fsi_tls_take_vec(&list, 1, &sh->alpn))
      return -1;
    sh->has_alpn = 1;
    return 0;
  }
  case FSI_TLS_EXT_KEY_SHARE:
    /* ServerHello: KeyShareEntry; HelloRetryRequest: just the group. */
    return fsi_tls_take_u16(&data, &sh->key_share_group) ? 0 : -1;
  case FSI_TLS_EXT_PRE_SHARED_KEY: sh->has_psk = 1; return 0;
  default: return 0;
  }
}

int fsi_tls_parse_server_hello(const uint8_t *body, size_t len, fsi_tls_server_hello *out) {
  fsi_tls_view v = {body, len};
  memset(out, 0, sizeof *out);
  if (!fsi_tls_take_u16(&v, &out->version) || !fsi_tls_take(&v, 32, &out->random))
    return -1;
  if ((out->version >> 8) == 0x7f) {
    /* TLS 1.3 drafts up to -21 (version 0x7fNN here): no legacy session id
     * and no compression method (draft-ietf-tls-tls13-21 4.1.3). */
    if (!fsi_tls_take_u16(&v, &out->cipher))
      return -1;
  } else if (!fsi_tls_take_vec(&v, 1, &out->session_id) || !fsi_tls_take_u16(&v, &out->cipher) ||
             !fsi_tls_take_u8(&v, &out->compression)) {
    return -1;
  }
  if (out->session_id.n > 32)
    return -1;
  out->is_hrr = memcmp(out->random.p, hrr_random, 32) == 0;
  int have = take_extension_block(&v, &out->extensions, &out->n_extensions);
  if (have <= 0)
    return have;
  fsi_tls_view block = out->extensions;
  uint32_t type;
  fsi_tls_view data;
  while (fsi_tls_next_extension(&block, &type, &data))
    (void)server_extension(out, type, data);
  return 0;
}

int fsi_tls_parse_sslv2_client_hello(const uint8_t *body, size_t len, fsi_tls_client_hello *out) {
  fsi_tls_view v = {body, len};
  uint32_t type, cs_len, sid_len, chal_len;
  memset(out, 0, sizeof *out);
  out->sslv2 = 1;
  if (!fsi_tls_take_u8(&v, &type) || type != 1 || !fsi_tls_take_u16(&v, &out->version) ||
      !fsi_tls_take_u16(&v, &cs_len) || !fsi_tls_take_u16(&v, &sid_len) ||
      !fsi_tls_take_u16(&v, &chal_len))
    return -1;
  /* CIPHER-SPECs are 3 bytes; session ids are 0 or 16 bytes; challenges
   * 16..32 bytes (RFC 6101 E.1 and the SSL 2.0 draft). */
  if (cs_len == 0 || cs_len % 3u != 0 || (sid_len != 0 && sid_len != 16) || chal_len < 16 ||
      chal_len > 32)
    return -1;
  if (!fsi_tls_take(&v, cs_len, &out->ciphers) || !fsi_tls_take(&v, sid_len, &out->session_id) ||
      !fsi_tls_take(&v, chal_len, &out->random))
    return -1;
  return 0;
}
