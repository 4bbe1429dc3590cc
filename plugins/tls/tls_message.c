/* SPDX-License-Identifier: MIT */
/* The one "handshake" message per connection, with Zeek's ssl.log field names
 * where Zeek has them (version, cipher, curve, server_name, resumed,
 * last_alert, next_protocol, established) plus the fingerprints and the raw
 * hello lists. Everything is built on the stack or in one temporary
 * allocation and is borrowed by the emit callback only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_internal.h"

#define MAX_FIELDS 40u

static fs_field field_list(const char *name, const uint64_t *items, uint32_t n) {
  fs_field f;
  memset(&f, 0, sizeof f);
  f.name = name;
  f.kind = FS_FIELD_U64_LIST;
  f.count = n;
  f.v.u64s = items;
  return f;
}

static fs_field field_cstr(const char *name, const char *s) {
  return fs_field_str(name, s, strlen(s));
}

/* Copies the 16-bit items of @p list (GREASE kept: these are the raw lists). */
static uint32_t put_u16s(uint64_t *dst, fsi_tls_view list) {
  for (size_t i = 0; i < list.n / 2; i++)
    dst[i] = fsi_tls_u16_at(list, i);
  return (uint32_t)(list.n / 2);
}

static uint32_t put_ext_types(uint64_t *dst, fsi_tls_view block) {
  uint32_t n = 0, type;
  fsi_tls_view data;
  while (fsi_tls_next_extension(&block, &type, &data))
    dst[n++] = type;
  return n;
}

static const char *side_name(uint32_t side, uint32_t client_side) {
  return side == client_side ? "client" : "server";
}

void fsi_tls_emit(const fsi_tls_conn *c, void (*emit)(void *, const fs_message *), void *emit_ctx) {
  fs_field f[MAX_FIELDS];
  uint32_t nf = 0;
  char vbuf[32], cbuf[32], gbuf[32], abuf[32];
  char ja3[33], ja3s[33], ja4[37], ja3_2[33], ja4_2[37], hrr_ja3s[33];
  fsi_tls_sb ja3_text = {0}, ja3s_text = {0}, scratch = {0}, ja3_2_text = {0}, hrr_text = {0};
  fsi_tls_client_hello ch, ch2;
  fsi_tls_server_hello sh, hrr;
  int have_ch = fsi_tls_conn_client_hello(c, &ch) == 0;
  int have_ch2 = fsi_tls_conn_retry_hello(c, &ch2) == 0;
  int have_sh = c->sh_done && fsi_tls_parse_server_hello(c->sh_buf, c->sh_len, &sh) == 0;
  int have_hrr = c->hrr_buf && fsi_tls_parse_server_hello(c->hrr_buf, c->hrr_len, &hrr) == 0;

  /* One block for every integer list. */
  size_t n_items = 0;
  if (have_ch)
    n_items += ch.ciphers.n / 2 + ch.ciphers.n / 3 + ch.n_extensions + ch.groups.n / 2 +
               ch.point_formats.n + ch.sig_algs.n / 2 + ch.versions.n / 2;
  if (have_sh)
    n_items += sh.n_extensions;
  uint64_t *items = malloc((n_items + 1) * sizeof *items);
  if (!items)
    return;
  uint64_t *next = items;

  if (c->version)
    f[nf++] = field_cstr("version", fsi_tls_version_name(c->version, vbuf, sizeof vbuf));
  if (have_sh)
    f[nf++] = field_cstr("cipher", fsi_tls_cipher_name(c->cipher, cbuf, sizeof cbuf));
  if (c->curve)
    f[nf++] = field_cstr("curve", fsi_tls_curve_name(c->curve, gbuf, sizeof gbuf));
  if (have_ch && ch.sni.n > 0)
    f[nf++] = fs_field_str("server_name", (const char *)ch.sni.p, ch.sni.n);
  f[nf++] = fs_field_bool("resumed", (int)c->resumed);
  uint32_t n_alerts = c->n_alerts < FSI_TLS_MAX_ALERTS ? c->n_alerts : FSI_TLS_MAX_ALERTS;
  if (n_alerts)
    f[nf++] = field_cstr("last_alert",
                         fsi_tls_alert_name(c->alerts[n_alerts - 1] & 0xffu, abuf, sizeof abuf));
  if (have_sh && sh.has_alpn)
    f[nf++] = fs_field_str("next_protocol", (const char *)sh.alpn.p, sh.alpn.n);
  f[nf++] = fs_field_bool("established", (int)c->established);
  if (c->subject_cn_len)
    f[nf++] = fs_field_str("subject_cn", c->subject_cn, c->subject_cn_len);
  if (c->issuer_cn_len)
    f[nf++] = fs_field_str("issuer_cn", c->issuer_cn, c->issuer_cn_len);

  fs_str alpn_items[16];
  if (have_ch && ch.sslv2) {
    /* SSLv2 CLIENT-HELLO: no JA3/JA4 (their definitions, and tshark, have
     * none for it); the 3-byte CIPHER-SPECs as numbers. */
    f[nf++] = fs_field_u64("client_version", ch.version);
    uint32_t n = (uint32_t)(ch.ciphers.n / 3);
    for (uint32_t i = 0; i < n; i++)
      next[i] = ((uint64_t)ch.ciphers.p[3 * i] << 16) | ((uint64_t)ch.ciphers.p[3 * i + 1] << 8) |
                ch.ciphers.p[3 * i + 2];
    f[nf++] = field_list("client_ciphers", next, n);
    next += n;
  } else if (have_ch) {
    fsi_tls_ja3_string(&ch, &ja3_text);
    fsi_tls_md5_hex(ja3_text.p ? ja3_text.p : "", ja3_text.len, ja3);
    fsi_tls_ja4(&ch, &scratch, ja4);
    f[nf++] = field_cstr("ja3", ja3);
    f[nf++] = fs_field_str("ja3_string", ja3_text.p, ja3_text.len);
    f[nf++] = field_cstr("ja4", ja4);
    f[nf++] = fs_field_u64("client_version", ch.version);
    uint32_t n = put_u16s(next, ch.ciphers);
    f[nf++] = field_list("client_ciphers", next, n);
    next += n;
    n = put_ext_types(next, ch.extensions);
    f[nf++] = field_list("client_extensions", next, n);
    next += n;
    n = put_u16s(next, ch.groups);
    f[nf++] = field_list("client_curves", next, n);
    next += n;
    for (size_t i = 0; i < ch.point_formats.n; i++)
      next[i] = ch.point_formats.p[i];
    f[nf++] = field_list("client_point_formats", next, (uint32_t)ch.point_formats.n);
    next += ch.point_formats.n;
    n = put_u16s(next, ch.sig_algs);
    f[nf++] = field_list("client_signature_algorithms", next, n);
    next += n;
    if (ch.has_versions) {
      n = put_u16s(next, ch.versions);
      f[nf++] = field_list("client_supported_versions", next, n);
      next += n;
    }
    if (ch.has_alpn) {
      uint32_t na = 0;
      fsi_tls_view list = ch.alpn, one;
      while (na < 16 && fsi_tls_take_vec(&list, 1, &one)) {
        alpn_items[na].ptr = (const char *)one.p;
        alpn_items[na].len = one.n;
        na++;
      }
      f[nf++] = fs_field_str_list("client_alpn", alpn_items, na);
    }
  }
  if (have_sh) {
    fsi_tls_ja3s_string(&sh, &ja3s_text);
    fsi_tls_md5_hex(ja3s_text.p ? ja3s_text.p : "", ja3s_text.len, ja3s);
    f[nf++] = field_cstr("ja3s", ja3s);
    f[nf++] = fs_field_str("ja3s_string", ja3s_text.p, ja3s_text.len);
    f[nf++] = fs_field_u64("server_version", sh.version);
    uint32_t n = put_ext_types(next, sh.extensions);
    f[nf++] = field_list("server_extensions", next, n);
    next += n;
  }
  if (have_ch2) {
    /* The second ClientHello (after a HelloRetryRequest). */
    fsi_tls_ja3_string(&ch2, &ja3_2_text);
    fsi_tls_md5_hex(ja3_2_text.p ? ja3_2_text.p : "", ja3_2_text.len, ja3_2);
    fsi_tls_ja4(&ch2, &scratch, ja4_2);
    if (ch2.sni.n > 0)
      f[nf++] = fs_field_str("retry_server_name", (const char *)ch2.sni.p, ch2.sni.n);
    f[nf++] = field_cstr("retry_ja3", ja3_2);
    f[nf++] = fs_field_str("retry_ja3_string", ja3_2_text.p, ja3_2_text.len);
    f[nf++] = field_cstr("retry_ja4", ja4_2);
  }
  if (have_hrr) {
    fsi_tls_ja3s_string(&hrr, &hrr_text);
    fsi_tls_md5_hex(hrr_text.p ? hrr_text.p : "", hrr_text.len, hrr_ja3s);
    f[nf++] = field_cstr("hrr_ja3s", hrr_ja3s);
    f[nf++] = fs_field_str("hrr_ja3s_string", hrr_text.p, hrr_text.len);
  }
  uint64_t preamble = (uint64_t)c->side[0].clear_bytes + c->side[1].clear_bytes;
  if (preamble)
    f[nf++] = fs_field_u64("preamble_bytes", preamble);
  if (c->poison)
    f[nf++] = field_cstr("parse_error", c->poison);
  /* Alerts in clear as "client:2:40" (sender, level, description). */
  char alert_text[FSI_TLS_MAX_ALERTS][48];
  fs_str alert_items[FSI_TLS_MAX_ALERTS];
  for (uint32_t i = 0; i < n_alerts; i++) {
    uint32_t a = c->alerts[i];
    int len = snprintf(alert_text[i], sizeof alert_text[i], "%s:%u:%s",
                       side_name(a >> 16, c->client_side), (unsigned)((a >> 8) & 0xffu),
                       fsi_tls_alert_name(a & 0xffu, abuf, sizeof abuf));
    alert_items[i].ptr = alert_text[i];
    if (len < 0)
      len = 0;
    if ((size_t)len >= sizeof alert_text[i])
      len = (int)sizeof alert_text[i] - 1;
    alert_items[i].len = (uint64_t)len;
  }
  if (n_alerts)
    f[nf++] = fs_field_str_list("alerts", alert_items, n_alerts);

  fs_message m;
  memset(&m, 0, sizeof m);
  m.struct_size = (uint32_t)sizeof m;
  m.side = c->ch_done ? c->client_side : FS_SIDE_INITIATOR;
  m.protocol = "ssl";
  m.msg_type = "handshake";
  m.ts = c->first_ts;
  m.fields = f;
  m.n_fields = nf;
  if (!ja3_text.oom && !ja3s_text.oom && !ja3_2_text.oom && !hrr_text.oom)
    emit(emit_ctx, &m);
  free(items);
  fsi_tls_sb_free(&ja3_text);
  fsi_tls_sb_free(&ja3s_text);
  fsi_tls_sb_free(&ja3_2_text);
  fsi_tls_sb_free(&hrr_text);
  fsi_tls_sb_free(&scratch);
}
