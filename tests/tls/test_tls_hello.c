/* SPDX-License-Identifier: MIT */
/* ClientHello/ServerHello parsing and the JA3, JA3S and JA4 fingerprints, on
 * RFC 8448's example messages and hand-built hellos. Every expected
 * fingerprint was computed by tests/tls/tls_reference.py, an independent
 * Python implementation written from the JA3 README and JA4.md (and, for the
 * RFC 8448 ClientHello, checked by hand field by field in the comments). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "tls_internal.h"
#include "tls_test_util.h"

static uint8_t buf[4096];

static void ja3_of(const fsi_tls_client_hello *ch, char *text, size_t cap, char md5[33]) {
  fsi_tls_sb sb = {0};
  fsi_tls_ja3_string(ch, &sb);
  assert_false(sb.oom);
  assert_true(sb.len < cap);
  memcpy(text, sb.p, sb.len + 1);
  fsi_tls_md5_hex(sb.p, sb.len, md5);
  fsi_tls_sb_free(&sb);
}

static void ja4_of(const fsi_tls_client_hello *ch, char out[37]) {
  fsi_tls_sb sb = {0};
  fsi_tls_ja4(ch, &sb, out);
  fsi_tls_sb_free(&sb);
}

static void test_rfc8448_client_hello(void **state) {
  (void)state;
  size_t n = tt_hex(TT_RFC8448_CH, buf, sizeof buf);
  assert_int_equal(n, 4 + 0xc0);
  fsi_tls_client_hello ch;
  assert_int_equal(fsi_tls_parse_client_hello(buf + 4, n - 4, &ch), 0);
  assert_int_equal(ch.version, 0x0303);
  assert_int_equal(ch.random.n, 32);
  assert_int_equal(ch.random.p[0], 0xcb);
  assert_int_equal(ch.session_id.n, 0);
  assert_int_equal(ch.ciphers.n, 6);
  assert_int_equal(ch.compression.n, 1);
  assert_int_equal(ch.n_extensions, 9);
  assert_true(ch.has_sni);
  assert_int_equal(ch.sni.n, 6);
  assert_memory_equal(ch.sni.p, "server", 6);
  assert_int_equal(ch.groups.n, 18);
  assert_int_equal(ch.point_formats.n, 0);
  assert_int_equal(ch.sig_algs.n, 30);
  assert_true(ch.has_versions);
  assert_int_equal(ch.versions.n, 2);
  assert_false(ch.has_alpn);

  /* By hand: version 771; ciphers 0x1301 0x1303 0x1302 = 4865-4867-4866;
   * extensions 0 65281 10 35 51 43 13 45 28; groups 29 23 24 25 256..260;
   * no ec_point_formats extension -> empty last field. */
  char text[512], md5[33], ja4[37];
  ja3_of(&ch, text, sizeof text, md5);
  assert_string_equal(
      text, "771,4865-4867-4866,0-65281-10-35-51-43-13-45-28,29-23-24-25-256-257-258-259-260,");
  assert_string_equal(md5, "da4dea34fe6d4ce5f0725df3f2682fa0");
  /* t, 13 (supported_versions), d (SNI), 03 ciphers, 09 extensions, 00 (no ALPN). */
  ja4_of(&ch, ja4);
  assert_string_equal(ja4, "t13d030900_55b375c5d22e_59cd3dafc54d");
}

static void test_rfc8448_server_hello(void **state) {
  (void)state;
  size_t n = tt_hex(TT_RFC8448_SH, buf, sizeof buf);
  assert_int_equal(n, 4 + 0x56);
  fsi_tls_server_hello sh;
  assert_int_equal(fsi_tls_parse_server_hello(buf + 4, n - 4, &sh), 0);
  assert_int_equal(sh.version, 0x0303);
  assert_int_equal(sh.cipher, 0x1301);
  assert_int_equal(sh.compression, 0);
  assert_int_equal(sh.n_extensions, 2);
  assert_int_equal(sh.selected_version, 0x0304);
  assert_int_equal(sh.key_share_group, 0x001d);
  assert_false(sh.is_hrr);
  assert_false(sh.has_alpn);
  fsi_tls_sb sb = {0};
  fsi_tls_ja3s_string(&sh, &sb);
  /* version 771, cipher 4865, extensions key_share(51) supported_versions(43). */
  assert_string_equal(sb.p, "771,4865,51-43");
  char md5[33];
  fsi_tls_md5_hex(sb.p, sb.len, md5);
  assert_string_equal(md5, "eb1d94daa7e0344597e756a1fb6e7054");
  fsi_tls_sb_free(&sb);
}

static void test_grease_removed(void **state) {
  (void)state;
  size_t n = tt_hex(TT_GREASE_CH, buf, sizeof buf);
  fsi_tls_client_hello ch;
  assert_int_equal(fsi_tls_parse_client_hello(buf + 4, n - 4, &ch), 0);
  assert_int_equal(ch.n_extensions, 8); /* GREASE counted in the raw list */
  char text[512], md5[33], ja4[37];
  ja3_of(&ch, text, sizeof text, md5);
  assert_string_equal(text, "771,4865-49199-255,0-10-11-13-16-43-21,29-23,0");
  assert_string_equal(md5, "8b102174b33b957ebcd3a0ae1d54e4d5");
  ja4_of(&ch, ja4);
  assert_string_equal(ja4, "t13d0307h2_938715873a05_dc49850d21d7");
}

/* A TLS 1.3 draft-16 ServerHello (draft-ietf-tls-tls13-16 4.1.3: version
 * 0x7f10, random 32 x 0x55, cipher 1301, no session id or compression, one
 * key_share x25519 extension). JA3S from Python on the same definition. */
static void test_draft_server_hello(void **state) {
  (void)state;
  size_t n =
      tt_hex("0200004e7f10555555555555555555555555555555555555555555555555555555555555555513"
             "01002800330024001d00206666666666666666666666666666666666666666666666666666666666"
             "666666",
             buf, sizeof buf);
  fsi_tls_server_hello sh;
  assert_int_equal(fsi_tls_parse_server_hello(buf + 4, n - 4, &sh), 0);
  assert_int_equal(sh.version, 0x7f10);
  assert_int_equal(sh.cipher, 0x1301);
  assert_int_equal(sh.key_share_group, 0x001d);
  assert_int_equal(sh.n_extensions, 1);
  fsi_tls_sb sb = {0};
  fsi_tls_ja3s_string(&sh, &sb);
  assert_string_equal(sb.p, "32528,4865,51");
  char md5[33];
  fsi_tls_md5_hex(sb.p, sb.len, md5);
  assert_string_equal(md5, "384bc0c2871b222d163c7410688dce90");
  fsi_tls_sb_free(&sb);
}

static void test_no_extensions_sslv3(void **state) {
  (void)state;
  /* version 0x0300, random 32 x 0x11, no session id, ciphers 0004 0005 000a,
   * null compression, and no extension block at all. */
  size_t n = tt_hex("0100002d0300111111111111111111111111111111111111111111111111111111111111"
                    "111100000600040005000a0100",
                    buf, sizeof buf);
  fsi_tls_client_hello ch;
  assert_int_equal(fsi_tls_parse_client_hello(buf + 4, n - 4, &ch), 0);
  char text[512], md5[33], ja4[37];
  ja3_of(&ch, text, sizeof text, md5);
  assert_string_equal(text, "768,4-5-10,,,");
  assert_string_equal(md5, "13437bc463fdbf5bf6669bfa15eb3b46");
  ja4_of(&ch, ja4);
  assert_string_equal(ja4, "ts3i030000_53b29befa235_000000000000");
}

/* JA4.md's ALPN rules: non-alphanumeric ends print the hex form's ends; a
 * single character is both ends; ALPN alone leaves no extension to hash. */
static void test_ja4_alpn_rules(void **state) {
  (void)state;
  static const struct {
    const char *hex, *ja4;
  } cases[] = {
      {"010000330303111111111111111111111111111111111111111111111111111111111111111100000213010100"
       "000800100004000201ab",
       "t12i0101ab_0f2cb44170f4_000000000000"},
      {"010000340303111111111111111111111111111111111111111111111111111111111111111100000213010100"
       "00090010000500030230ab",
       "t12i01013b_0f2cb44170f4_000000000000"},
      {"010000330303111111111111111111111111111111111111111111111111111111111111111100000213010100"
       "00080010000400020168",
       "t12i0101hh_0f2cb44170f4_000000000000"},
      {"010000340303111111111111111111111111111111111111111111111111111111111111111100000213010100"
       "0009001000050003 02abcd",
       "t12i0101ad_0f2cb44170f4_000000000000"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t n = tt_hex(cases[i].hex, buf, sizeof buf);
    fsi_tls_client_hello ch;
    assert_int_equal(fsi_tls_parse_client_hello(buf + 4, n - 4, &ch), 0);
    char ja4[37];
    ja4_of(&ch, ja4);
    assert_string_equal(ja4, cases[i].ja4);
  }
}

static void test_malformed_hellos(void **state) {
  (void)state;
  size_t n = tt_hex(TT_RFC8448_CH, buf, sizeof buf);
  fsi_tls_client_hello ch;
  /* Every truncation of the body fails, except right after the compression
   * methods (2 + 32 + 1 + 2 + 6 + 2 = 45 bytes), a valid hello without
   * extensions. */
  for (size_t cut = 0; cut < n - 4; cut++)
    if (cut != 45)
      assert_int_not_equal(fsi_tls_parse_client_hello(buf + 4, cut, &ch), 0);
  assert_int_equal(fsi_tls_parse_client_hello(buf + 4, 45, &ch), 0);
  /* An odd cipher-suite length (byte 35 of the body is its low byte). */
  buf[4 + 35 + 1] = 5;
  assert_int_not_equal(fsi_tls_parse_client_hello(buf + 4, n - 4, &ch), 0);
  /* A session id longer than 32 bytes. */
  n = tt_hex(TT_RFC8448_SH, buf, sizeof buf);
  fsi_tls_server_hello sh;
  buf[4 + 34] = 33;
  assert_int_not_equal(fsi_tls_parse_server_hello(buf + 4, n - 4, &sh), 0);
}

/* SSLv2 CLIENT-HELLO (RFC 6101 E.1), hand-built: msg_type 1, version 3.0,
 * cipher_spec_length 21 (7 specs), session_id_length 0, challenge_length 16,
 * specs 000004 000005 00000a 010080 0700c0 030080 0000ff, challenge 16 x 0x33. */
static const char *const SSLV2_CH = "01 0300 0015 0000 0010"
                                    "000004 000005 00000a 010080 0700c0 030080 0000ff"
                                    "33333333333333333333333333333333";

static void test_sslv2_client_hello(void **state) {
  (void)state;
  size_t n = tt_hex(SSLV2_CH, buf, sizeof buf);
  assert_int_equal(n, 46);
  fsi_tls_client_hello ch;
  assert_int_equal(fsi_tls_parse_sslv2_client_hello(buf, n, &ch), 0);
  assert_true(ch.sslv2);
  assert_int_equal(ch.version, 0x0300);
  assert_int_equal(ch.ciphers.n, 21);
  assert_int_equal(ch.random.n, 16);
  assert_int_equal(ch.session_id.n, 0);
  for (size_t cut = 0; cut < n; cut++)
    assert_int_not_equal(fsi_tls_parse_sslv2_client_hello(buf, cut, &ch), 0);
  buf[4] = 0x14; /* cipher_spec_length 20: not a multiple of 3 */
  assert_int_not_equal(fsi_tls_parse_sslv2_client_hello(buf, n, &ch), 0);
}

/* A Certificate message body holding one hand-built DER certificate (by a
 * Python generator, lengths checked): version v3, serial 1, a dummy
 * algorithm, issuer O="Flowscope Test CA" CN="Flowscope Root" (UTF8String),
 * empty validity, subject CN="first.example", O="x", CN="leaf.example"
 * (PrintableString): the last CN is the most specific one. */
static const char *const CERT_BODY =
    "000097000094308191308184a003020102020101300406022a033035311a3018060355040a1311466c6f7773"
    "636f706520546573742043413117301506035504030c0e466c6f7773636f706520526f6f743000303b3116"
    "30140603550403130d66697273742e6578616d706c65310a3008060355040a0c0178311530130603550403"
    "130c6c6561662e6578616d706c65300406022a03030200aa";

static void test_leaf_names(void **state) {
  (void)state;
  size_t n = tt_hex(CERT_BODY, buf, sizeof buf);
  assert_int_equal(n, 154);
  fsi_tls_view subject, issuer;
  assert_int_equal(fsi_tls_leaf_names(buf, n, &subject, &issuer), 0);
  assert_int_equal(subject.n, 12);
  assert_memory_equal(subject.p, "leaf.example", 12);
  assert_int_equal(issuer.n, 14);
  assert_memory_equal(issuer.p, "Flowscope Root", 14);
  /* Any cut inside the leaf: no names, no over-read (ASan would see it). */
  for (size_t cut = 0; cut < n; cut++) {
    uint8_t *copy = malloc(cut ? cut : 1);
    memcpy(copy, buf, cut);
    assert_int_not_equal(fsi_tls_leaf_names(copy, cut, &subject, &issuer), 0);
    free(copy);
  }
}

static void test_grease_predicate(void **state) {
  (void)state;
  /* RFC 8701 section 2: the sixteen 0x?A?A values with equal bytes. */
  unsigned count = 0;
  for (uint32_t v = 0; v <= 0xffff; v++)
    count += (unsigned)fsi_tls_is_grease(v);
  assert_int_equal(count, 16);
  assert_true(fsi_tls_is_grease(0x0a0a));
  assert_true(fsi_tls_is_grease(0xfafa));
  assert_false(fsi_tls_is_grease(0x0a1a));
}

static void test_names(void **state) {
  (void)state;
  char b[32];
  assert_string_equal(fsi_tls_version_name(0x0303, b, sizeof b), "TLSv12");
  assert_string_equal(fsi_tls_version_name(0x0300, b, sizeof b), "SSLv3");
  assert_string_equal(fsi_tls_version_name(0x7f12, b, sizeof b), "TLSv13-draft18");
  assert_string_equal(fsi_tls_version_name(0x1234, b, sizeof b), "unknown-4660");
  assert_string_equal(fsi_tls_cipher_name(0xc02f, b, sizeof b),
                      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
  assert_string_equal(fsi_tls_cipher_name(0x1301, b, sizeof b), "TLS_AES_128_GCM_SHA256");
  assert_string_equal(fsi_tls_curve_name(29, b, sizeof b), "x25519");
  assert_string_equal(fsi_tls_alert_name(40, b, sizeof b), "handshake_failure");
  assert_true(fsi_tls_cipher_is_ecdhe(0xc02f));
  assert_false(fsi_tls_cipher_is_ecdhe(0x009c));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc8448_client_hello), cmocka_unit_test(test_rfc8448_server_hello),
      cmocka_unit_test(test_grease_removed),       cmocka_unit_test(test_no_extensions_sslv3),
      cmocka_unit_test(test_ja4_alpn_rules),       cmocka_unit_test(test_malformed_hellos),
      cmocka_unit_test(test_grease_predicate),     cmocka_unit_test(test_names),
      cmocka_unit_test(test_sslv2_client_hello),   cmocka_unit_test(test_leaf_names),
      cmocka_unit_test(test_draft_server_hello),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
