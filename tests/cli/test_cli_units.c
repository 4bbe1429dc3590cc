/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the CLI's pure parts: JSON escaping and numbers, base64
 * (RFC 4648 section 10 vectors), Community ID v1 (the spec's published
 * baseline, corelight/community-id-spec baseline/baseline_deflt.json, seed 0)
 * and uids (checked against an independent 128-bit base62 conversion).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "community_id.h"
#include "json.h"
#include "records.h"
#include "uid.h"

/* Escapes @p n bytes as a JSON string value and compares with @p want. */
static void check_str(const char *in, size_t n, const char *want) {
  fsi_jw w;
  fsi_jw_init(&w);
  fsi_jw_str(&w, in, n);
  fsi_jw_raw(&w, "", 0);
  char *got = strndup(w.buf, w.len);
  assert_string_equal(got, want);
  free(got);
  fsi_jw_free(&w);
}

static void test_json_escapes(void **state) {
  (void)state;
  check_str("plain", 5, "\"plain\"");
  check_str("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
  check_str("\n\r\t", 3, "\"\\n\\r\\t\"");
  /* NUL, 0x01, 0x1f and DEL become \u00NN. */
  check_str("\x00\x01\x1f\x7f", 4, "\"\\u0000\\u0001\\u001f\\u007f\"");
  /* Valid UTF-8 passes through: e-acute (C3 A9), euro (E2 82 AC), U+1F600 (F0 9F 98 80). */
  check_str("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
  /* Invalid UTF-8 bytes become the text \xNN (JSON "\\xNN"), as Zeek writes them. */
  check_str("\xff", 1, "\"\\\\xff\"");
  check_str("a\x80z", 3, "\"a\\\\x80z\"");
  /* Overlong NUL (C0 80), a UTF-16 surrogate (ED A0 80), above U+10FFFF (F4 90 80 80). */
  check_str("\xc0\x80", 2, "\"\\\\xc0\\\\x80\"");
  check_str("\xed\xa0\x80", 3, "\"\\\\xed\\\\xa0\\\\x80\"");
  check_str("\xf4\x90\x80\x80", 4, "\"\\\\xf4\\\\x90\\\\x80\\\\x80\"");
  /* A sequence cut by the end of the string. */
  check_str("\xe2\x82", 2, "\"\\\\xe2\\\\x82\"");
  /* Special bytes at every offset of a 4-byte step, between long plain runs. */
  check_str("abcd\"efg\\hi\x01jklmnop\x7fq", 21, "\"abcd\\\"efg\\\\hi\\u0001jklmnop\\u007fq\"");
  /* A key with a byte to escape goes the slow way, a plain one the fast way. */
  fsi_jw w;
  fsi_jw_init(&w);
  fsi_jw_obj_begin(&w);
  fsi_jw_key(&w, "a\"b");
  fsi_jw_u64(&w, 1);
  fsi_jw_key(&w, "plain.key");
  fsi_jw_u64(&w, 2);
  fsi_jw_obj_end(&w);
  char *got = strndup(w.buf, w.len);
  assert_string_equal(got, "{\"a\\\"b\":1,\"plain.key\":2}");
  free(got);
  fsi_jw_free(&w);
}

static char *built(fsi_jw *w) { return strndup(w->buf, w->len); }

/* Keys around the one-pass limit (64 bytes), with and without a byte to
 * escape at the end, and literal keys: each as "key":n, checked against
 * the text built by hand. Numbers against printf's %llu. */
static void test_json_keys_and_numbers(void **state) {
  (void)state;
  static const size_t lens[] = {1, 63, 64, 65, 100};
  for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
    for (int quote = 0; quote < 2; quote++) {
      char key[128], want[300];
      size_t n = lens[li];
      for (size_t i = 0; i < n; i++)
        key[i] = (char)('a' + i % 26);
      key[n] = 0;
      if (quote)
        key[n - 1] = '"';
      fsi_jw w;
      fsi_jw_init(&w);
      fsi_jw_obj_begin(&w);
      FSI_JW_KEY(&w, "lit.key");
      fsi_jw_u64(&w, 7);
      fsi_jw_key(&w, key);
      fsi_jw_u64(&w, 8);
      fsi_jw_obj_end(&w);
      /* The last byte as JSON writes it: escaped when it is a quote. */
      char last[3] = {'\\', '"', 0};
      if (!quote) {
        last[0] = key[n - 1];
        last[1] = 0;
      }
      key[n - 1] = 0;
      snprintf(want, sizeof want, "{\"lit.key\":7,\"%s%s\":8}", key, last);
      char *got = strndup(w.buf, w.len);
      assert_string_equal(got, want);
      free(got);
      fsi_jw_free(&w);
    }
  }
  static const uint64_t nums[] = {0, 9, 10, 99, 100, 101, 12345, 1000000007u, UINT64_MAX};
  for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
    char want[32], got[32];
    snprintf(want, sizeof want, "%llu", (unsigned long long)nums[i]);
    got[fsi_u64_to_dec(nums[i], got)] = 0;
    assert_string_equal(got, want);
  }
}

static void test_json_structure(void **state) {
  (void)state;
  fsi_jw w;
  fsi_jw_init(&w);
  fsi_jw_obj_begin(&w);
  fsi_jw_key(&w, "a");
  fsi_jw_u64(&w, 1);
  fsi_jw_key(&w, "b");
  fsi_jw_arr_begin(&w);
  fsi_jw_i64(&w, -2);
  fsi_jw_u64(&w, UINT64_MAX);
  fsi_jw_obj_begin(&w);
  fsi_jw_key(&w, "c");
  fsi_jw_bool(&w, 1);
  fsi_jw_obj_end(&w);
  fsi_jw_arr_end(&w);
  fsi_jw_key(&w, "d");
  fsi_jw_null(&w);
  fsi_jw_key(&w, "e");
  fsi_jw_i64(&w, INT64_MIN);
  fsi_jw_key(&w, "f");
  fsi_jw_f64(&w, NAN);
  fsi_jw_key(&w, "g");
  fsi_jw_f64(&w, 0.5);
  fsi_jw_key(&w, "h");
  fsi_jw_hex(&w, (const uint8_t *)"\x00\xab\xff", 3);
  fsi_jw_obj_end(&w);
  char *s = built(&w);
  assert_string_equal(s, "{\"a\":1,\"b\":[-2,18446744073709551615,{\"c\":true}],\"d\":null,"
                         "\"e\":-9223372036854775808,\"f\":null,\"g\":0.5,\"h\":\"00abff\"}");
  free(s);
  /* Reset reuses the buffer and starts a fresh record. */
  fsi_jw_reset(&w);
  fsi_jw_arr_begin(&w);
  fsi_jw_arr_end(&w);
  s = built(&w);
  assert_string_equal(s, "[]");
  free(s);
  fsi_jw_free(&w);
}

static void test_json_seconds(void **state) {
  (void)state;
  char d[32];
  d[fsi_secs_to_text(0, d)] = '\0';
  assert_string_equal(d, "0.000000");
  d[fsi_secs_to_text(999, d)] = '\0'; /* below a microsecond: truncated */
  assert_string_equal(d, "0.000000");
  d[fsi_secs_to_text(1000, d)] = '\0';
  assert_string_equal(d, "0.000001");
  d[fsi_secs_to_text(1764161896550208123ull, d)] = '\0';
  assert_string_equal(d, "1764161896.550208");
  d[fsi_secs_to_text(UINT64_MAX, d)] = '\0';
  assert_string_equal(d, "18446744073.709551");
}

static void test_base64_rfc4648(void **state) {
  (void)state;
  static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *const out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (size_t i = 0; i < 7; i++) {
    char b[16];
    size_t n = fsi_base64((const uint8_t *)in[i], strlen(in[i]), b);
    assert_int_equal(n, strlen(out[i]));
    assert_string_equal(b, out[i]);
  }
}

/* One row of the spec's baseline_deflt.json. */
typedef struct cid_vec {
  int proto;
  const char *saddr, *daddr;
  int sport, dport; /* -1 for null */
  const char *id;
} cid_vec;

static const cid_vec baseline[] = {
    {58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136,
     "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
    {58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135,
     "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
    {58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136,
     "1:zavyT/cezQr1fmImYCwYnMXbgck="},
    {58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135,
     "1:zavyT/cezQr1fmImYCwYnMXbgck="},
    {58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0,
     "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="},
    {58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4,
     "1:hLZd0XGWojozrvxqE0dWB1iM6R0="},
    {58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129,
     "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
    {58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128,
     "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
    {58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0="},
    {58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133, "1:pkvHqCL88/tg1k4cPigmZXUtL00="},
    {1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
    {1, "192.168.0.1", "192.168.0.89", 0, 8, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
    {1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM="},
    {6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
     "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
    {6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
     "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
    {132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
    {132, "192.168.170.56", "192.168.170.8", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
    {6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
    {6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
    {17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
    {17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
    {46, "10.1.12.1", "10.1.12.2", -1, -1, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
    {46, "10.1.12.2", "10.1.12.1", -1, -1, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
};

static void fill_tuple(const cid_vec *v, fsi_cid_tuple *t) {
  memset(t, 0, sizeof *t);
  t->family = strchr(v->saddr, ':') ? 6 : 4;
  int af = t->family == 6 ? AF_INET6 : AF_INET;
  assert_int_equal(inet_pton(af, v->saddr, t->saddr), 1);
  assert_int_equal(inet_pton(af, v->daddr, t->daddr), 1);
  t->proto = (uint8_t)v->proto;
  t->sport = v->sport < 0 ? 0 : (uint16_t)v->sport;
  t->dport = v->dport < 0 ? 0 : (uint16_t)v->dport;
}

static void test_community_id_baseline(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof baseline / sizeof baseline[0]; i++) {
    fsi_cid_tuple t;
    fill_tuple(&baseline[i], &t);
    char id[FSI_CID_TEXT_SIZE];
    assert_int_equal(fsi_community_id(&t, 0, id), 0);
    if (strcmp(id, baseline[i].id) != 0)
      fail_msg("baseline row %zu (%s -> %s): got %s, want %s", i, baseline[i].saddr,
               baseline[i].daddr, id, baseline[i].id);
  }
}

/* A TCP/IPv4 five-tuple key with A = @p a:@p pa and B = @p b:@p pb. */
static fs_flow_key tcp_v4_key(const char *a, uint16_t pa, const char *b, uint16_t pb) {
  fs_flow_key k;
  memset(&k, 0, sizeof k);
  k.kind = FS_KEY_FIVE_TUPLE_V4;
  k.proto = 6;
  assert_int_equal(inet_pton(AF_INET, a, k.addr_a), 1);
  assert_int_equal(inet_pton(AF_INET, b, k.addr_b), 1);
  k.port_a = pa;
  k.port_b = pb;
  return k;
}

/* From the flow record side: flowinfo of a key with either orientation gives the same id. */
static void test_community_id_from_key(void **state) {
  (void)state;
  /* 128.232.110.120:34855 -> 66.35.250.204:80 (baseline rows 18/19). The
   * canonical key puts the lower address (66.35.250.204) in A. */
  fs_flow_key k = tcp_v4_key("66.35.250.204", 80, "128.232.110.120", 34855);
  fsi_flowinfo fi;
  fsi_flowinfo_init(&fi, &k, FS_ORIENT_B_TO_A, NULL, 1, 0);
  assert_int_equal(fi.orig_p, 34855);
  assert_int_equal(fi.resp_p, 80);
  char id[FSI_CID_TEXT_SIZE];
  assert_int_equal(fsi_flowinfo_community_id(&fi, 0, id), 0);
  assert_string_equal(id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  fsi_flowinfo_init(&fi, &k, FS_ORIENT_A_TO_B, NULL, 1, 0);
  assert_int_equal(fi.orig_p, 80);
  assert_int_equal(fsi_flowinfo_community_id(&fi, 0, id), 0);
  assert_string_equal(id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
}

/* A plugin field named like one the record owns (_path, ts, uid, id.*) is
 * dropped; names that only start the same way are kept. */
static void test_app_record_reserved_names(void **state) {
  (void)state;
  fs_flow_key k = tcp_v4_key("10.0.0.1", 80, "10.0.0.2", 40000);
  fsi_flowinfo fi;
  fsi_flowinfo_init(&fi, &k, FS_ORIENT_B_TO_A, NULL, 1, 0);
  const char *names[] = {"_path", "ts", "uid",  "id.orig_h", "id.x", "_pathx",
                         "tsx",   "t",  "uidx", "id",        "idx",  "x"};
  fs_field f[12];
  for (size_t i = 0; i < 12; i++)
    f[i] = fs_field_u64(names[i], i);
  fs_message m;
  memset(&m, 0, sizeof m);
  m.struct_size = sizeof m;
  m.protocol = "test";
  m.fields = f;
  m.n_fields = 12;
  fsi_jw w;
  fsi_jw_init(&w);
  fsi_rec_app(&w, &fi, &m, 0);
  char *got = built(&w);
  const char *tail = strstr(got, "\"id.resp_p\":80,");
  assert_non_null(tail);
  assert_string_equal(tail, "\"id.resp_p\":80,\"_pathx\":5,\"tsx\":6,\"t\":7,\"uidx\":8,"
                            "\"id\":9,\"idx\":10,\"x\":11}");
  free(got);
  fsi_jw_free(&w);
}

__extension__ typedef unsigned __int128 u128;

/* Independent check of the uid: base62 of the top 96 bits, via unsigned __int128. */
static void test_uid(void **state) {
  (void)state;
  fs_flow_key k;
  memset(&k, 0, sizeof k);
  k.kind = FS_KEY_FIVE_TUPLE_V4;
  k.proto = 17;
  k.addr_a[0] = 127, k.addr_a[3] = 1;
  k.addr_b[0] = 127, k.addr_b[3] = 1;
  k.port_a = 53;
  k.port_b = 35301;
  fs_time_ns ts = 1764161896550208000ull;
  char uid[FSI_UID_SIZE];
  fsi_uid(&k, ts, 7, uid);
  assert_int_equal(strlen(uid), 18);
  assert_int_equal(uid[0], 'C');

  uint8_t in[FS_KEY_SIZE + 8];
  memcpy(in, &k, FS_KEY_SIZE);
  for (int i = 0; i < 8; i++)
    in[FS_KEY_SIZE + i] = (uint8_t)(ts >> (8 * i));
  XXH128_hash_t h = XXH3_128bits_withSeed(in, sizeof in, 7);
  u128 v = ((u128)(h.high64 & 0xffffffffu) << 64) | h.low64;
  static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  char want[FSI_UID_SIZE];
  want[0] = 'C';
  for (int pos = 17; pos >= 1; pos--) {
    want[pos] = b62[(int)(v % 62)];
    v /= 62;
  }
  want[18] = '\0';
  assert_string_equal(uid, want);

  /* Another seed, key or first timestamp gives another uid; same inputs the same. */
  char other[FSI_UID_SIZE];
  fsi_uid(&k, ts, 8, other);
  assert_string_not_equal(uid, other);
  fsi_uid(&k, ts + 1000, 7, other);
  assert_string_not_equal(uid, other);
  fsi_uid(&k, ts, 7, other);
  assert_string_equal(uid, other);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_escapes),
      cmocka_unit_test(test_json_keys_and_numbers),
      cmocka_unit_test(test_app_record_reserved_names),
      cmocka_unit_test(test_json_structure),
      cmocka_unit_test(test_json_seconds),
      cmocka_unit_test(test_base64_rfc4648),
      cmocka_unit_test(test_community_id_baseline),
      cmocka_unit_test(test_community_id_from_key),
      cmocka_unit_test(test_uid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
