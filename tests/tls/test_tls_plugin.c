/* SPDX-License-Identifier: MIT */
/* The tls plugin through its ABI: descriptor and probe, whole handshakes
 * (TLS 1.3 from RFC 8448 and a hand-built TLS 1.2 one with messages spanning
 * records and several messages per record), identical output for any split
 * of the input, alerts, gaps and garbage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tls_plugin_harness.h"
#include "tls_test_util.h"

static void *plugin_handle;
static const fs_protocol_desc *proto;

static int setup(void **state) {
  (void)state;
  proto = th_load(&plugin_handle);
  return proto ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  if (plugin_handle)
    dlclose(plugin_handle);
  return 0;
}

/* ---- building the two directions of a connection ----------------------- */

typedef struct stream {
  uint8_t b[8192];
  size_t n;
} stream;

static void add_record(stream *s, uint8_t type, uint8_t minor, const uint8_t *p, size_t n) {
  s->n += tt_record(type, minor, p, n, s->b + s->n);
}

static void add_hex_record(stream *s, uint8_t type, uint8_t minor, const char *hex) {
  uint8_t tmp[4096];
  size_t n = tt_hex(hex, tmp, sizeof tmp);
  add_record(s, type, minor, tmp, n);
}

/* TLS 1.3 (RFC 8448): client CH | CCS, app data; server SH, CCS, app data. */
static void tls13_flights(stream *c1, stream *s1, stream *c2) {
  memset(c1, 0, sizeof *c1);
  memset(s1, 0, sizeof *s1);
  memset(c2, 0, sizeof *c2);
  add_hex_record(c1, 22, 1, TT_RFC8448_CH);
  add_hex_record(s1, 22, 3, TT_RFC8448_SH);
  add_hex_record(s1, 20, 3, "01");
  add_hex_record(s1, 23, 3, "deadbeefcafe"); /* encrypted flight, opaque */
  add_hex_record(c2, 20, 3, "01");
  add_hex_record(c2, 23, 3, "0102030405");
}

/* Hand-built TLS 1.2 ServerHello: version 0x0303, random 32 x 0x22, no
 * session id, cipher c02f, null compression, extensions renegotiation_info,
 * ec_point_formats [0], ALPN "h2". JA3S from tls_reference.py. */
static const char *const SH12 =
    "0200003c0303222222222222222222222222222222222222222222222222222222222222222200c02f000014"
    "ff01000100000b00020100001000050003026832";

/* TLS 1.2: the GREASE ClientHello cut across two records; the server's SH,
 * Certificate (dummy, empty list), ServerKeyExchange (named_curve secp256r1)
 * and ServerHelloDone in ONE record; then CKE, CCS and an encrypted Finished
 * from the client, CCS and an encrypted Finished from the server. */
static void tls12_flights(stream *c1, stream *s1, stream *c2, stream *s2) {
  memset(c1, 0, sizeof *c1);
  memset(s1, 0, sizeof *s1);
  memset(c2, 0, sizeof *c2);
  memset(s2, 0, sizeof *s2);
  uint8_t ch[512];
  size_t n = tt_hex(TT_GREASE_CH, ch, sizeof ch);
  add_record(c1, 22, 1, ch, 50);
  add_record(c1, 22, 1, ch + 50, n - 50);
  uint8_t flight[1024];
  size_t m = tt_hex(SH12, flight, sizeof flight);
  m += tt_hex("0b000003000000", flight + m, sizeof flight - m); /* Certificate, empty */
  /* ServerKeyExchange: curve_type 3, group 0x0017, 1-byte point, dummy sig. */
  m += tt_hex("0c00000803001701040001aa", flight + m, sizeof flight - m);
  m += tt_hex("0e000000", flight + m, sizeof flight - m); /* ServerHelloDone */
  add_record(s1, 22, 3, flight, m);
  add_hex_record(c2, 22, 3, "10000003020102"); /* ClientKeyExchange */
  add_hex_record(c2, 20, 3, "01");
  add_hex_record(c2, 22, 3, "8f8e8d8c8b8a89888786858483828180"); /* encrypted Finished */
  add_hex_record(s2, 20, 3, "01");
  add_hex_record(s2, 22, 3, "7f7e7d7c7b7a79787776757473727170");
}

static const char *field(const th_out *o, const char *name, char *val, size_t cap) {
  char key[64];
  snprintf(key, sizeof key, " %s=", name);
  const char *p = strstr(o->text, key);
  if (!p)
    return NULL;
  p += strlen(key);
  size_t n = strcspn(p, " \n");
  if (n >= cap)
    n = cap - 1;
  memcpy(val, p, n);
  val[n] = '\0';
  return val;
}

static void assert_field(const th_out *o, const char *name, const char *want) {
  char v[1024];
  const char *got = field(o, name, v, sizeof v);
  if (!got)
    fail_msg("field %s missing in: %s", name, o->text);
  assert_string_equal(got, want);
}

/* ---- tests ------------------------------------------------------------- */

static void test_descriptor_and_probe(void **state) {
  (void)state;
  assert_string_equal(proto->name, "ssl");
  assert_non_null(proto->session);
  int has443 = 0;
  for (uint32_t i = 0; i < proto->n_ports; i++)
    has443 |= proto->ports[i].lo <= 443 && 443 <= proto->ports[i].hi;
  assert_true(has443);
  stream c1, s1, c2;
  tls13_flights(&c1, &s1, &c2);
  for (size_t n = 0; n < 11; n++)
    assert_int_equal(proto->probe(c1.b, n, 0), FS_PROBE_NEED_MORE);
  assert_int_equal(proto->probe(c1.b, c1.n, 0), FS_PROBE_YES);
  assert_int_equal(proto->probe(s1.b, s1.n, 1), FS_PROBE_YES);
  assert_int_equal(proto->probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16, 0), FS_PROBE_NO);
  /* An application_data record is not a start of TLS. */
  assert_int_equal(proto->probe(c2.b + 6, c2.n - 6, 0), FS_PROBE_NO);
  assert_true(proto->probe_max_bytes >= 11);
}

static void run_tls13(th_out *o, int split) {
  stream c1, s1, c2;
  tls13_flights(&c1, &s1, &c2);
  th_flow f;
  th_open(&f, proto, o);
  if (split) {
    th_feed_split(&f, 0, c1.b, c1.n, 1000, 1);
    th_feed_split(&f, 1, s1.b, s1.n, 2000, 2);
    th_feed_split(&f, 0, c2.b, c2.n, 3000, 3);
  } else {
    th_feed(&f, 0, c1.b, c1.n, 1000);
    th_feed(&f, 1, s1.b, s1.n, 2000);
    th_feed(&f, 0, c2.b, c2.n, 3000);
  }
  assert_int_equal(f.status, FS_PARSE_DONE);
  th_close(&f);
}

static void test_tls13_handshake(void **state) {
  (void)state;
  th_out o = {0};
  run_tls13(&o, 0);
  assert_int_equal(o.count, 1);
  assert_non_null(strstr(o.text, "ssl/handshake side=0 ts=1000 "));
  assert_field(&o, "version", "TLSv13");
  assert_field(&o, "cipher", "TLS_AES_128_GCM_SHA256");
  assert_field(&o, "curve", "x25519");
  assert_field(&o, "server_name", "server");
  assert_field(&o, "established", "1");
  assert_field(&o, "resumed", "0");
  assert_field(&o, "ja3", "da4dea34fe6d4ce5f0725df3f2682fa0");
  assert_field(&o, "ja4", "t13d030900_55b375c5d22e_59cd3dafc54d");
  assert_field(&o, "ja3s", "eb1d94daa7e0344597e756a1fb6e7054");
  assert_field(&o, "ja3s_string", "771,4865,51-43");
  assert_field(&o, "client_ciphers", "4865,4867,4866");
  assert_field(&o, "client_supported_versions", "772");
  assert_field(&o, "server_extensions", "51,43");
  assert_null(strstr(o.text, "next_protocol="));
}

static void test_tls13_split_invariant(void **state) {
  (void)state;
  th_out whole = {0}, split = {0};
  run_tls13(&whole, 0);
  run_tls13(&split, 1);
  assert_string_equal(whole.text, split.text);
}

static void run_tls12(th_out *o, unsigned split_seed) {
  stream c1, s1, c2, s2;
  tls12_flights(&c1, &s1, &c2, &s2);
  th_flow f;
  th_open(&f, proto, o);
  stream *order[] = {&c1, &s1, &c2, &s2};
  for (unsigned i = 0; i < 4; i++) {
    if (split_seed)
      th_feed_split(&f, i & 1u, order[i]->b, order[i]->n, 5000, split_seed + i);
    else
      th_feed(&f, i & 1u, order[i]->b, order[i]->n, 5000);
  }
  assert_int_equal(f.status, FS_PARSE_DONE);
  th_close(&f);
}

static void test_tls12_handshake_and_splits(void **state) {
  (void)state;
  th_out whole = {0};
  run_tls12(&whole, 0);
  assert_int_equal(whole.count, 1);
  assert_field(&whole, "version", "TLSv12");
  assert_field(&whole, "cipher", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
  assert_field(&whole, "curve", "secp256r1");
  assert_field(&whole, "server_name", "a.example");
  assert_field(&whole, "next_protocol", "h2");
  assert_field(&whole, "established", "1");
  assert_field(&whole, "ja3_string", "771,4865-49199-255,0-10-11-13-16-43-21,29-23,0");
  assert_field(&whole, "ja3", "8b102174b33b957ebcd3a0ae1d54e4d5");
  assert_field(&whole, "ja4", "t13d0307h2_938715873a05_dc49850d21d7");
  assert_field(&whole, "ja3s_string", "771,49199,65281-11-16");
  assert_field(&whole, "ja3s", "1089ea6f0461a29006cc96dfe7a11d80");
  assert_field(&whole, "client_alpn", "h2|http/1.1");
  /* Raw lists keep GREASE. */
  assert_field(&whole, "client_ciphers", "2570,4865,49199,255");
  for (unsigned seed = 1; seed < 40; seed++) {
    th_out split = {0};
    run_tls12(&split, seed);
    assert_string_equal(whole.text, split.text);
  }
}

static void test_alert_in_clear(void **state) {
  (void)state;
  stream c1, s1;
  tls12_flights(&c1, &s1, &(stream){0}, &(stream){0});
  memset(&s1, 0, sizeof s1);
  add_hex_record(&s1, 21, 3, "0228"); /* fatal handshake_failure */
  th_out o = {0};
  th_flow f;
  th_open(&f, proto, &o);
  th_feed(&f, 0, c1.b, c1.n, 1);
  th_feed(&f, 1, s1.b, s1.n, 2);
  assert_int_equal(f.status, FS_PARSE_OK);
  assert_int_equal(o.count, 0);
  th_close(&f); /* finish emits */
  assert_int_equal(o.count, 1);
  assert_field(&o, "last_alert", "handshake_failure");
  assert_field(&o, "alerts", "server:2:handshake_failure");
  assert_field(&o, "established", "0");
  assert_null(strstr(o.text, " version="));
}

static void test_garbage_poisons(void **state) {
  (void)state;
  static const struct {
    const char *bytes;
    size_t n;
  } inputs[] = {
      {"\x16\x03\x09\x00\x10", 5},         /* record version 3.9 */
      {"\x16\x03\x01\xff\xff", 5},         /* longer than 2^14 + 2048 */
      {"\x80\x05\x01\x03\x00\x00\x00", 7}, /* SSLv2 CLIENT-HELLO, 5 bytes: too short */
  };
  for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
    th_out o = {0};
    th_flow f;
    th_open(&f, proto, &o);
    th_feed(&f, 0, (const uint8_t *)inputs[i].bytes, inputs[i].n, 1);
    assert_int_equal(f.status, FS_PARSE_POISON);
    assert_non_null(f.ops->poison_reason(f.parser));
    th_close(&f);
    assert_int_equal(o.count, 0);
  }
  /* A ClientHello whose cipher list overruns the message. */
  uint8_t ch[512], rec[600];
  size_t n = tt_hex(TT_RFC8448_CH, ch, sizeof ch);
  ch[4 + 36] = 0xf0;
  size_t r = tt_record(22, 1, ch, n, rec);
  th_out o = {0};
  th_flow f;
  th_open(&f, proto, &o);
  th_feed_split(&f, 0, rec, r, 1, 7);
  assert_int_equal(f.status, FS_PARSE_POISON);
  assert_string_equal(f.ops->poison_reason(f.parser), "tls: malformed ClientHello");
  th_close(&f);
}

/* An SSLv2-compatible CLIENT-HELLO answered by an SSLv3 ServerHello: the
 * client's 3-byte cipher specs are listed, no JA3/JA4 (none is defined for
 * SSLv2 hellos; tshark has none either), the rest is SSLv3. */
static void test_sslv2_compatible_hello(void **state) {
  (void)state;
  stream c1, s1;
  memset(&c1, 0, sizeof c1);
  memset(&s1, 0, sizeof s1);
  /* 2-byte SSLv2 header 0x802e (46 bytes): CLIENT-HELLO version 3.0, 7
   * cipher specs, no session id, 16-byte challenge. */
  c1.n = tt_hex("802e 01 0300 0015 0000 0010 000004 000005 00000a 010080 0700c0 030080 0000ff"
                "33333333333333333333333333333333",
                c1.b, sizeof c1.b);
  /* SSLv3 ServerHello: version 3.0, random 32 x 0x44, no session id, cipher
   * 0x000a, null compression, no extensions. */
  add_hex_record(&s1, 22, 0,
                 "02000026 0300 4444444444444444444444444444444444444444444444444444444444444444"
                 "00 000a 00");
  add_hex_record(&s1, 20, 0, "01");
  for (unsigned seed = 0; seed < 4; seed++) {
    th_out o = {0};
    th_flow f;
    th_open(&f, proto, &o);
    assert_int_equal(proto->probe(c1.b, c1.n, 0), FS_PROBE_YES);
    if (seed) {
      th_feed_split(&f, 0, c1.b, c1.n, 1, seed);
      th_feed_split(&f, 1, s1.b, s1.n, 2, seed);
    } else {
      th_feed(&f, 0, c1.b, c1.n, 1);
      th_feed(&f, 1, s1.b, s1.n, 2);
    }
    assert_int_equal(f.status, FS_PARSE_OK);
    th_close(&f);
    assert_int_equal(o.count, 1);
    assert_field(&o, "version", "SSLv3");
    assert_field(&o, "cipher", "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
    assert_field(&o, "client_version", "768");
    assert_field(&o, "client_ciphers", "4,5,10,65664,458944,196736,255");
    assert_null(strstr(o.text, " ja3="));
    assert_null(strstr(o.text, " ja4="));
    assert_field(&o, "ja3s_string", "768,10,");
  }
}

/* Garbage after a good ClientHello: the parser poisons, and the message goes
 * out at that moment (a host does not call finish on a poisoned parser)
 * carrying what the hello said and the reason. */
static void test_poison_after_hello_emits(void **state) {
  (void)state;
  stream c1, s1, c2;
  tls13_flights(&c1, &s1, &c2);
  /* An alert record header with version 9.0 (not clear text: 0x15 is a
   * TLS content type). */
  static const uint8_t junk[] = {0x15, 0x09, 0x00, 0x00, 0x02, 0x00, 0x00};
  for (unsigned seed = 0; seed < 3; seed++) {
    th_out o = {0};
    th_flow f;
    th_open(&f, proto, &o);
    if (seed) {
      th_feed_split(&f, 0, c1.b, c1.n, 1, seed);
      th_feed_split(&f, 1, junk, sizeof junk, 2, seed);
    } else {
      th_feed(&f, 0, c1.b, c1.n, 1);
      th_feed(&f, 1, junk, sizeof junk, 2);
    }
    assert_int_equal(f.status, FS_PARSE_POISON);
    assert_int_equal(o.count, 1); /* before finish */
    f.ops->destroy(f.parser);     /* as a host does after poison: no finish */
    free(f.pending[0]);
    free(f.pending[1]);
    assert_field(&o, "ja3", "da4dea34fe6d4ce5f0725df3f2682fa0");
    assert_non_null(strstr(o.text, " parse_error=tls: invalid record header"));
  }
}

static void test_gaps(void **state) {
  (void)state;
  stream c1, s1, c2;
  tls13_flights(&c1, &s1, &c2);
  /* A gap on both sides before anything: done, nothing to say. */
  th_out o = {0};
  th_flow f;
  th_open(&f, proto, &o);
  th_gap(&f, 0, 100);
  assert_int_equal(f.status, FS_PARSE_OK);
  th_gap(&f, 1, 100);
  assert_int_equal(f.status, FS_PARSE_DONE);
  th_close(&f);
  assert_int_equal(o.count, 0);
  /* The ClientHello arrives, then the server side loses bytes and the client
   * side closes: the message carries what the client said. */
  th_out o2 = {0};
  th_open(&f, proto, &o2);
  th_feed(&f, 0, c1.b, c1.n, 10);
  th_gap(&f, 1, 1400);
  assert_int_equal(f.status, FS_PARSE_OK);
  f.status = f.ops->end_side(f.parser, 0, 20);
  assert_int_equal(f.status, FS_PARSE_DONE);
  assert_int_equal(o2.count, 1);
  th_close(&f);
  assert_int_equal(o2.count, 1); /* finish does not emit twice */
  assert_field(&o2, "ja3", "da4dea34fe6d4ce5f0725df3f2682fa0");
  assert_null(strstr(o2.text, "ja3s="));
}

/* ---- clear text before TLS (STARTTLS, proxies) ---------------------------- */

/* An SMTP STARTTLS exchange (RFC 3207 section 5), then the TLS 1.3 flights. */
static const char *const SMTP_S1 = "220 mx.example ESMTP\r\n";
static const char *const SMTP_C1 = "EHLO client.example\r\n";
static const char *const SMTP_S2 = "250-mx.example\r\n250 STARTTLS\r\n";
static const char *const SMTP_C2 = "STARTTLS\r\n";
static const char *const SMTP_S3 = "220 2.0.0 Ready to start TLS\r\n";

static void run_smtp_starttls(th_out *o, unsigned seed) {
  stream c1, s1, c2;
  tls13_flights(&c1, &s1, &c2);
  /* The server's last clear line and its ServerHello arrive together. */
  stream s_tls;
  s_tls.n = strlen(SMTP_S3);
  memcpy(s_tls.b, SMTP_S3, s_tls.n);
  memcpy(s_tls.b + s_tls.n, s1.b, s1.n);
  s_tls.n += s1.n;
  struct {
    uint32_t side;
    const uint8_t *p;
    size_t n;
  } steps[] = {
      {1, (const uint8_t *)SMTP_S1, strlen(SMTP_S1)},
      {0, (const uint8_t *)SMTP_C1, strlen(SMTP_C1)},
      {1, (const uint8_t *)SMTP_S2, strlen(SMTP_S2)},
      {0, (const uint8_t *)SMTP_C2, strlen(SMTP_C2)},
      {0, c1.b, c1.n},
      {1, s_tls.b, s_tls.n},
      {0, c2.b, c2.n},
  };
  th_flow f;
  th_open(&f, proto, o);
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    assert_int_equal(f.status, FS_PARSE_OK);
    if (seed)
      th_feed_split(&f, steps[i].side, steps[i].p, steps[i].n, 1000, seed + (unsigned)i);
    else
      th_feed(&f, steps[i].side, steps[i].p, steps[i].n, 1000);
  }
  assert_int_equal(f.status, FS_PARSE_DONE);
  th_close(&f);
}

/* The hellos after the clear-text exchange read as in a plain connection;
 * preamble_bytes counts the five clear lines; any split gives the same. */
static void test_smtp_starttls(void **state) {
  (void)state;
  th_out o = {0};
  run_smtp_starttls(&o, 0);
  assert_int_equal(o.count, 1);
  assert_field(&o, "server_name", "server");
  assert_field(&o, "ja3", "da4dea34fe6d4ce5f0725df3f2682fa0");
  assert_field(&o, "ja3s_string", "771,4865,51-43");
  assert_field(&o, "established", "1");
  char n[16];
  snprintf(n, sizeof n, "%zu",
           strlen(SMTP_S1) + strlen(SMTP_C1) + strlen(SMTP_S2) + strlen(SMTP_C2) + strlen(SMTP_S3));
  assert_field(&o, "preamble_bytes", n);
  for (unsigned seed = 1; seed <= 8; seed++) {
    th_out split = {0};
    run_smtp_starttls(&split, seed);
    assert_string_equal(o.text, split.text);
  }
}

/* The probe keeps an SMTP/IMAP/PostgreSQL/SOCKS start as a candidate until
 * the hello shows up, and refuses clear text that is none of them. */
static void test_probe_clear_text_starts(void **state) {
  (void)state;
  stream c1, s1, c2;
  tls13_flights(&c1, &s1, &c2);
  static const char *const need_more[] = {
      "220 mx.example ESMTP\r\n",
      "EHLO x\r\nSTARTTLS\r\n",
      "* OK IMAP4rev1 ready\r\n",
      "a1 STARTTLS\r\n",
      "+OK POP3\r\n",
      "AUTH TLS\r\n",
      "<?xml version='1.0'?>",
      "CONNECT h:443 HTTP/1.1\r\n\r\n",
      "2",
  };
  for (size_t i = 0; i < sizeof need_more / sizeof need_more[0]; i++)
    assert_int_equal(proto->probe((const uint8_t *)need_more[i], strlen(need_more[i]), 0),
                     FS_PROBE_NEED_MORE);
  static const char *const no[] = {
      "USER anonymous\r\n",
      "SSH-2.0-OpenSSH_9.6\r\n",
      "a1 LOGIN user pass\r\n",
      "GET / HTTP/1.1\r\n",
  };
  for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
    assert_int_equal(proto->probe((const uint8_t *)no[i], strlen(no[i]), 0), FS_PROBE_NO);
  uint8_t buf[1024];
  /* SMTP client: command lines, then the ClientHello record. */
  size_t n = strlen(need_more[1]);
  memcpy(buf, need_more[1], n);
  memcpy(buf + n, c1.b, c1.n);
  assert_int_equal(proto->probe(buf, n + 11, 0), FS_PROBE_YES);
  assert_int_equal(proto->probe(buf, n + 10, 0), FS_PROBE_NEED_MORE);
  /* PostgreSQL (protocol docs, "SSL Session Encryption"): SSLRequest is
   * length 8, code 80877103 (0x04d2162f); the server answers 'S' and its
   * ServerHello follows. */
  static const uint8_t ssl_request[] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
  memcpy(buf, ssl_request, 8);
  memcpy(buf + 8, c1.b, c1.n);
  assert_int_equal(proto->probe(buf, 8, 0), FS_PROBE_NEED_MORE);
  assert_int_equal(proto->probe(buf, 8 + c1.n, 0), FS_PROBE_YES);
  buf[0] = 'S';
  memcpy(buf + 1, s1.b, s1.n);
  assert_int_equal(proto->probe(buf, 1, 1), FS_PROBE_NEED_MORE);
  assert_int_equal(proto->probe(buf, 1 + s1.n, 1), FS_PROBE_YES);
  assert_int_equal(proto->probe((const uint8_t *)"S\r\n", 3, 1), FS_PROBE_NO);
  /* SOCKS 5 (RFC 1928): greeting with one method (no auth), then CONNECT to
   * 1.2.3.4:443, then the ClientHello. */
  static const uint8_t socks5[] = {5, 1, 0, 5, 1, 0, 1, 1, 2, 3, 4, 0x01, 0xbb};
  memcpy(buf, socks5, sizeof socks5);
  memcpy(buf + sizeof socks5, c1.b, c1.n);
  assert_int_equal(proto->probe(buf, sizeof socks5, 0), FS_PROBE_NEED_MORE);
  assert_int_equal(proto->probe(buf, sizeof socks5 + c1.n, 0), FS_PROBE_YES);
  /* LDAP StartTLS (RFC 4511 4.14.1): LDAPMessage SEQUENCE (0x30, 29
   * bytes), messageID 1, ExtendedRequest [APPLICATION 23] (0x77) whose
   * requestName [0] is the OID text 1.3.6.1.4.1.1466.20037. */
  static const char ldap_oid[] = "1.3.6.1.4.1.1466.20037";
  uint8_t ldap[64] = {0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16};
  memcpy(ldap + 9, ldap_oid, 22);
  memcpy(buf, ldap, 31);
  memcpy(buf + 31, c1.b, c1.n);
  assert_int_equal(proto->probe(buf, 31, 0), FS_PROBE_NEED_MORE);
  assert_int_equal(proto->probe(buf, 31 + c1.n, 0), FS_PROBE_YES);
  /* MySQL SSLRequest (client/server protocol docs): packet length 32
   * (3 bytes little-endian), sequence 1, then 32 bytes of capability flags,
   * max packet size, charset and filler; then the ClientHello. */
  memset(buf, 0, 36);
  buf[0] = 0x20;
  buf[3] = 0x01;
  buf[4] = 0x85; /* capability flags, CLIENT_SSL among them */
  buf[5] = 0xae;
  memcpy(buf + 36, c1.b, c1.n);
  assert_int_equal(proto->probe(buf, 36, 0), FS_PROBE_NEED_MORE);
  assert_int_equal(proto->probe(buf, 36 + c1.n, 0), FS_PROBE_YES);
  /* SOCKS 4 CONNECT (version 4, command 1, port 443, 93.184.216.119, empty
   * user id) and its reply (version 0, 90 = granted). */
  static const uint8_t socks4[] = {4, 1, 0x01, 0xbb, 93, 184, 216, 119, 0};
  static const uint8_t socks4_reply[] = {0, 90, 0, 0, 0, 0, 0, 0};
  assert_int_equal(proto->probe(socks4, sizeof socks4, 0), FS_PROBE_NEED_MORE);
  assert_int_equal(proto->probe(socks4_reply, sizeof socks4_reply, 1), FS_PROBE_NEED_MORE);
  assert_true(proto->probe_max_bytes >= 1024);
}

/* At most 16 KiB of clear text is skipped before a hello: exactly that much
 * is fine, one byte more poisons with a reason (and no message). */
static void test_preamble_bound(void **state) {
  (void)state;
  stream c1, s1, c2;
  tls13_flights(&c1, &s1, &c2);
  static uint8_t text[16384 + 1];
  memcpy(text, "CONNECT x:443 HTTP/1.1\r\n", 24);
  memset(text + 24, 'a', sizeof text - 24);
  for (size_t extra = 0; extra <= 1; extra++) {
    th_out o = {0};
    th_flow f;
    th_open(&f, proto, &o);
    th_feed(&f, 0, text, 16384 + extra, 1);
    th_feed(&f, 0, c1.b, c1.n, 2);
    if (extra) {
      assert_int_equal(f.status, FS_PARSE_POISON);
      assert_string_equal(f.ops->poison_reason(f.parser),
                          "tls: no TLS hello within the clear-text preamble");
    } else {
      assert_int_equal(f.status, FS_PARSE_OK);
    }
    th_close(&f);
    assert_int_equal(o.count, extra ? 0 : 1);
    if (!extra) {
      assert_field(&o, "ja3", "da4dea34fe6d4ce5f0725df3f2682fa0");
      assert_field(&o, "preamble_bytes", "16384");
    }
  }
}

/* ---- HelloRetryRequest ---------------------------------------------------- */

/* HelloRetryRequest (RFC 8446 4.1.3/4.1.4): a ServerHello whose random is
 * SHA-256("HelloRetryRequest"), version 0x0303, empty session id, cipher
 * 1301, null compression, extensions supported_versions (0x0304) then
 * key_share asking for secp256r1 (0x0017). */
static const char *const HRR13 = "02 000034 0303"
                                 "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"
                                 "00 1301 00 000c 002b00020304 003300020017";

/* Client: RFC 8448's ClientHello; server: HelloRetryRequest and a CCS;
 * client: CCS and a second ClientHello (the GREASE hello of the hello tests,
 * so that its fingerprint differs); then RFC 8448's ServerHello and the
 * encrypted flights. */
static void run_hrr(th_out *o, unsigned seed) {
  stream c1, s1, c2, s_hrr, c_retry;
  tls13_flights(&c1, &s1, &c2);
  memset(&s_hrr, 0, sizeof s_hrr);
  memset(&c_retry, 0, sizeof c_retry);
  add_hex_record(&s_hrr, 22, 3, HRR13);
  add_hex_record(&s_hrr, 20, 3, "01");
  add_hex_record(&c_retry, 20, 3, "01");
  add_hex_record(&c_retry, 22, 3, TT_GREASE_CH);
  stream *order[] = {&c1, &s_hrr, &c_retry, &s1, &c2};
  uint32_t sides[] = {0, 1, 0, 1, 0};
  th_flow f;
  th_open(&f, proto, o);
  for (unsigned i = 0; i < 5; i++) {
    if (seed)
      th_feed_split(&f, sides[i], order[i]->b, order[i]->n, 100, seed + i);
    else
      th_feed(&f, sides[i], order[i]->b, order[i]->n, 100);
  }
  assert_int_equal(f.status, FS_PARSE_DONE);
  th_close(&f);
}

static void test_hello_retry_request(void **state) {
  (void)state;
  th_out o = {0};
  run_hrr(&o, 0);
  assert_int_equal(o.count, 1);
  /* The first hello names the connection, the final ServerHello its ja3s. */
  assert_field(&o, "ja3", "da4dea34fe6d4ce5f0725df3f2682fa0");
  assert_field(&o, "server_name", "server");
  assert_field(&o, "ja3s_string", "771,4865,51-43");
  /* The second hello (values as in test_tls_hello's GREASE test). */
  assert_field(&o, "retry_server_name", "a.example");
  assert_field(&o, "retry_ja3_string", "771,4865-49199-255,0-10-11-13-16-43-21,29-23,0");
  assert_field(&o, "retry_ja3", "8b102174b33b957ebcd3a0ae1d54e4d5");
  assert_field(&o, "retry_ja4", "t13d0307h2_938715873a05_dc49850d21d7");
  /* The HelloRetryRequest's JA3S; MD5 of the text by Python's hashlib. */
  assert_field(&o, "hrr_ja3s_string", "771,4865,43-51");
  assert_field(&o, "hrr_ja3s", "f4febc55ea12b31ae17cfb7e614afda8");
  assert_field(&o, "version", "TLSv13");
  for (unsigned seed = 1; seed <= 6; seed++) {
    th_out split = {0};
    run_hrr(&split, seed);
    assert_string_equal(o.text, split.text);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_descriptor_and_probe),
      cmocka_unit_test(test_tls13_handshake),
      cmocka_unit_test(test_tls13_split_invariant),
      cmocka_unit_test(test_tls12_handshake_and_splits),
      cmocka_unit_test(test_alert_in_clear),
      cmocka_unit_test(test_garbage_poisons),
      cmocka_unit_test(test_gaps),
      cmocka_unit_test(test_sslv2_compatible_hello),
      cmocka_unit_test(test_poison_after_hello_emits),
      cmocka_unit_test(test_smtp_starttls),
      cmocka_unit_test(test_probe_clear_text_starts),
      cmocka_unit_test(test_preamble_bound),
      cmocka_unit_test(test_hello_retry_request),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
