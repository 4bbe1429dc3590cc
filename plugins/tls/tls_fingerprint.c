/* SPDX-License-Identifier: MIT */
/* JA3 and JA3S (salesforce/ja3: decimal values, '-' within a field, ',' between
 * fields, GREASE removed, MD5 of the text) and JA4 for TLS clients (FoxIO's
 * JA4 specification, technical_details/JA4.md). Hashes come from libmd, which
 * keeps no global state. JA4S, JA4H, JA4X and the rest of JA4+ are under a
 * non-open licence and deliberately not implemented. */
#include <md5.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_internal.h"

/* ---- string builder ---------------------------------------------------- */

void fsi_tls_sb_free(fsi_tls_sb *sb) {
  free(sb->p);
  memset(sb, 0, sizeof *sb);
}

void fsi_tls_sb_putn(fsi_tls_sb *sb, const char *s, size_t n) {
  if (sb->oom)
    return;
  if (sb->len + n + 1 > sb->cap) {
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < sb->len + n + 1)
      cap *= 2;
    char *p = realloc(sb->p, cap);
    if (!p) {
      sb->oom = 1;
      return;
    }
    sb->p = p;
    sb->cap = cap;
  }
  memcpy(sb->p + sb->len, s, n);
  sb->len += n;
  sb->p[sb->len] = '\0';
}

void fsi_tls_sb_puts(fsi_tls_sb *sb, const char *s) { fsi_tls_sb_putn(sb, s, strlen(s)); }

/* Decimal and hex by hand: a fingerprint string has dozens of numbers and
 * snprintf was a visible share of a ClientHello's cost. */
void fsi_tls_sb_putu(fsi_tls_sb *sb, uint32_t v) {
  char tmp[10];
  size_t i = sizeof tmp;
  do {
    tmp[--i] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v != 0);
  fsi_tls_sb_putn(sb, tmp + i, sizeof tmp - i);
}

static void put_hex4(fsi_tls_sb *sb, uint32_t v) {
  static const char digits[16] = "0123456789abcdef";
  char tmp[4];
  for (int i = 3; i >= 0; i--) {
    tmp[i] = digits[v & 0xfu];
    v >>= 4;
  }
  fsi_tls_sb_putn(sb, tmp, sizeof tmp);
}

/* ---- JA3 / JA3S -------------------------------------------------------- */

/* Appends the non-GREASE 2-byte items of @p list joined by '-'. */
static void put_u16_list(fsi_tls_sb *sb, fsi_tls_view list) {
  int first = 1;
  for (size_t i = 0; i < list.n / 2; i++) {
    uint32_t x = fsi_tls_u16_at(list, i);
    if (fsi_tls_is_grease(x))
      continue;
    if (!first)
      fsi_tls_sb_putn(sb, "-", 1);
    fsi_tls_sb_putu(sb, x);
    first = 0;
  }
}

/* Appends the non-GREASE extension types of a block joined by '-'. */
static void put_ext_types(fsi_tls_sb *sb, fsi_tls_view block) {
  int first = 1;
  uint32_t type;
  fsi_tls_view data;
  while (fsi_tls_next_extension(&block, &type, &data)) {
    if (fsi_tls_is_grease(type))
      continue;
    if (!first)
      fsi_tls_sb_putn(sb, "-", 1);
    fsi_tls_sb_putu(sb, type);
    first = 0;
  }
}

void fsi_tls_ja3_string(const fsi_tls_client_hello *ch, fsi_tls_sb *out) {
  fsi_tls_sb_putu(out, ch->version);
  fsi_tls_sb_putn(out, ",", 1);
  put_u16_list(out, ch->ciphers);
  fsi_tls_sb_putn(out, ",", 1);
  put_ext_types(out, ch->extensions);
  fsi_tls_sb_putn(out, ",", 1);
  put_u16_list(out, ch->groups);
  fsi_tls_sb_putn(out, ",", 1);
  for (size_t i = 0; i < ch->point_formats.n; i++) {
    if (i)
      fsi_tls_sb_putn(out, "-", 1);
    fsi_tls_sb_putu(out, ch->point_formats.p[i]);
  }
}

void fsi_tls_ja3s_string(const fsi_tls_server_hello *sh, fsi_tls_sb *out) {
  fsi_tls_sb_putu(out, sh->version);
  fsi_tls_sb_putn(out, ",", 1);
  fsi_tls_sb_putu(out, sh->cipher);
  fsi_tls_sb_putn(out, ",", 1);
  put_ext_types(out, sh->extensions);
}

static void hex_lower(const uint8_t *d, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[d[i] >> 4];
    out[2 * i + 1] = digits[d[i] & 15];
  }
  out[2 * n] = '\0';
}

void fsi_tls_md5_hex(const char *s, size_t n, char out[33]) {
  MD5_CTX ctx;
  uint8_t d[MD5_DIGEST_LENGTH];
  MD5Init(&ctx);
  MD5Update(&ctx, (const uint8_t *)s, n);
  MD5Final(d, &ctx);
  hex_lower(d, sizeof d, out);
}

/* ---- JA4 --------------------------------------------------------------- */

/* Two characters for the version (JA4.md "TLS and DTLS Version"). */
static const char *ja4_version(uint32_t v) {
  switch (v) {
  case 0x0304: return "13";
  case 0x0303: return "12";
  case 0x0302: return "11";
  case 0x0301: return "10";
  case 0x0300: return "s3";
  case 0x0002: return "s2";
  case 0xfeff: return "d1";
  case 0xfefd: return "d2";
  case 0xfefc: return "d3";
  default: return "00";
  }
}

static int is_alnum(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* First and last characters of the first ALPN value ("00" when none); when
 * either end byte is not alphanumeric, the ends of its hex form instead. */
static void ja4_alpn(const fsi_tls_client_hello *ch, char out[3]) {
  static const char digits[] = "0123456789abcdef";
  out[0] = out[1] = '0';
  out[2] = '\0';
  fsi_tls_view list = ch->alpn, first;
  if (!ch->has_alpn || !fsi_tls_take_vec(&list, 1, &first) || first.n == 0)
    return;
  uint8_t a = first.p[0], z = first.p[first.n - 1];
  if (is_alnum(a) && is_alnum(z)) {
    out[0] = (char)a;
    out[1] = (char)z;
  } else {
    out[0] = digits[a >> 4];
    out[1] = digits[z & 15];
  }
}

static int cmp_u16(const void *a, const void *b) {
  uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
  return (x > y) - (x < y);
}

/* First 12 hex characters of SHA-256 of the text, or twelve zeros when the
 * list it was made from is empty (JA4.md: "000000000000"). */
static void trunc_sha256(const fsi_tls_sb *text, int empty, char out[13]) {
  if (empty || text->oom) {
    memset(out, '0', 12);
    out[12] = '\0';
    return;
  }
  SHA2_CTX ctx;
  uint8_t d[SHA256_DIGEST_LENGTH];
  char hex[SHA256_DIGEST_LENGTH * 2 + 1];
  SHA256Init(&ctx);
  SHA256Update(&ctx, (const uint8_t *)text->p, text->len);
  SHA256Final(d, &ctx);
  hex_lower(d, sizeof d, hex);
  memcpy(out, hex, 12);
  out[12] = '\0';
}

/* Sorted hex list of the non-GREASE 16-bit values in @p vals (n of them),
 * skipping SNI and ALPN when @p drop_sni_alpn; returns how many were kept. */
static size_t put_sorted_hex(fsi_tls_sb *sb, uint16_t *vals, size_t n, int drop_sni_alpn) {
  qsort(vals, n, sizeof *vals, cmp_u16);
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    if (drop_sni_alpn && (vals[i] == FSI_TLS_EXT_SERVER_NAME || vals[i] == FSI_TLS_EXT_ALPN))
      continue;
    if (kept)
      fsi_tls_sb_putn(sb, ",", 1);
    put_hex4(sb, vals[i]);
    kept++;
  }
  return kept;
}

void fsi_tls_ja4(const fsi_tls_client_hello *ch, fsi_tls_sb *scratch, char out[37]) {
  /* Version: highest non-GREASE supported_versions entry, else legacy. */
  uint32_t version = ch->version;
  if (ch->has_versions) {
    uint32_t best = 0;
    for (size_t i = 0; i < ch->versions.n / 2; i++) {
      uint32_t x = fsi_tls_u16_at(ch->versions, i);
      if (!fsi_tls_is_grease(x) && x > best)
        best = x;
    }
    if (best)
      version = best;
  }
  /* Non-GREASE ciphers and extension types, collected for sorting. At most
   * 32768 of each fit in a 64 KiB hello. */
  size_t n_ciphers = 0, n_ext = 0;
  uint16_t *ciphers = malloc((ch->ciphers.n / 2 + 1) * sizeof *ciphers);
  uint16_t *exts = malloc((ch->n_extensions + 1) * sizeof *exts);
  if (!ciphers || !exts) {
    free(ciphers);
    free(exts);
    snprintf(out, 37,
             "t00i0000"
             "00_000000000000_000000000000");
    return;
  }
  for (size_t i = 0; i < ch->ciphers.n / 2; i++) {
    uint16_t x = fsi_tls_u16_at(ch->ciphers, i);
    if (!fsi_tls_is_grease(x))
      ciphers[n_ciphers++] = x;
  }
  fsi_tls_view block = ch->extensions;
  uint32_t type;
  fsi_tls_view data;
  while (fsi_tls_next_extension(&block, &type, &data))
    if (!fsi_tls_is_grease(type))
      exts[n_ext++] = (uint16_t)type;

  char alpn[3];
  ja4_alpn(ch, alpn);
  char a[11];
  snprintf(a, sizeof a, "t%s%c%02u%02u%s", ja4_version(version), ch->has_sni ? 'd' : 'i',
           (unsigned)(n_ciphers > 99 ? 99 : n_ciphers), (unsigned)(n_ext > 99 ? 99 : n_ext), alpn);

  char b[13], c[13];
  scratch->len = 0;
  scratch->oom = 0;
  put_sorted_hex(scratch, ciphers, n_ciphers, 0);
  trunc_sha256(scratch, n_ciphers == 0, b);

  scratch->len = 0;
  size_t kept = put_sorted_hex(scratch, exts, n_ext, 1);
  int first_sig = 1;
  for (size_t i = 0; i < ch->sig_algs.n / 2; i++) {
    uint32_t x = fsi_tls_u16_at(ch->sig_algs, i);
    if (fsi_tls_is_grease(x))
      continue;
    fsi_tls_sb_putn(scratch, first_sig ? "_" : ",", 1);
    put_hex4(scratch, x);
    first_sig = 0;
  }
  trunc_sha256(scratch, kept == 0, c);
  snprintf(out, 37, "%s_%s_%s", a, b, c);
  free(ciphers);
  free(exts);
}
