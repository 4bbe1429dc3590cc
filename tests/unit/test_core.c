/* SPDX-License-Identifier: MIT */
/* flowscope-core: versions, key formatting (RFC 5952 text), names, message clone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <string.h>

#include <cmocka.h>

#include "flowscope/core.h"

/* The ABI layout is frozen: these offsets are what plugins compiled today rely on. */
_Static_assert(sizeof(fs_flow_key) == FS_KEY_SIZE, "flow key size");
_Static_assert(offsetof(fs_plugin_desc, magic) == 4, "descriptor prefix");
_Static_assert(offsetof(fs_plugin_desc, abi_major) == 8, "descriptor prefix");
_Static_assert(offsetof(fs_plugin_desc, abi_minor) == 10, "descriptor prefix");
_Static_assert(offsetof(fs_packet_view, data) == 8, "packet view");

static void test_version(void **state) {
  (void)state;
  assert_int_equal(fs_core_version(), FS_VERSION_NUM);
  assert_string_equal(fs_core_version_string(), FS_VERSION_STRING);
  assert_true(FS_AT_LEAST_VERSION(1, 0, 0));
  assert_false(FS_AT_LEAST_VERSION(99, 0, 0));
}

static void test_key_format_v4(void **state) {
  (void)state;
  fs_flow_key k;
  memset(&k, 0, sizeof k);
  k.kind = FS_KEY_FIVE_TUPLE_V4;
  k.proto = 6;
  k.port_a = 1234;
  k.port_b = 80;
  uint8_t a[4] = {10, 0, 0, 1}, b[4] = {192, 168, 1, 254};
  memcpy(k.addr_a, a, 4);
  memcpy(k.addr_b, b, 4);
  char buf[FS_KEY_TEXT_MAX];
  int n = fs_flow_key_format(&k, buf, sizeof buf);
  assert_string_equal(buf, "tcp 10.0.0.1:1234 <-> 192.168.1.254:80");
  assert_int_equal(n, (int)strlen(buf));
  /* Truncation behaves like snprintf. */
  char small[8];
  assert_int_equal(fs_flow_key_format(&k, small, sizeof small), n);
  assert_string_equal(small, "tcp 10.");
}

/* Dotted quads for every octet value in every position, and the snprintf
 * contract (return the full length, truncate and terminate) for every
 * buffer size, against snprintf itself. */
static void test_addr_v4_like_snprintf(void **state) {
  (void)state;
  for (unsigned v = 0; v < 256; v++)
    for (int pos = 0; pos < 4; pos++) {
      uint8_t a[4] = {10, 200, 3, 45};
      a[pos] = (uint8_t)v;
      char want[32], got[32];
      int wn = snprintf(want, sizeof want, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
      for (size_t len = 0; len <= 17; len++) {
        memset(got, 'x', sizeof got);
        memset(want, 'x', sizeof want);
        assert_int_equal(snprintf(want, len, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]), wn);
        assert_int_equal(fs_addr_format(4, a, got, len), wn);
        assert_memory_equal(got, want, sizeof got);
      }
    }
  char buf[16];
  const uint8_t hand[4] = {192, 0, 2, 255};
  assert_int_equal(fs_addr_format(4, hand, buf, sizeof buf), 11);
  assert_string_equal(buf, "192.0.2.255");
}

/* Random addresses with runs of zero groups, against inet_ntop. glibc
 * also writes "::a.b.c.d" for IPv4-compatible addresses (first 96 bits
 * zero), which RFC 5952 does not ask for: those are left out. */
static void test_addr_v6_like_inet_ntop(void **state) {
  (void)state;
  uint32_t x = 2463534242u;
  for (int k = 0; k < 20000; k++) {
    uint8_t a[16];
    for (int i = 0; i < 8; i++) {
      x ^= x << 13, x ^= x >> 17, x ^= x << 5;
      uint16_t g = (x & 3u) == 0 ? (uint16_t)(x >> 16) : 0; /* mostly zero groups */
      if ((x & 12u) == 4u)
        g = (uint16_t)((x >> 20) & 0xfu); /* short groups: leading zeros dropped */
      a[2 * i] = (uint8_t)(g >> 8);
      a[2 * i + 1] = (uint8_t)g;
    }
    if (k % 7 == 0) { /* some IPv4-mapped */
      memset(a, 0, 10);
      a[10] = a[11] = 0xff;
    }
    int v4compat = 1;
    for (int i = 0; i < 12; i++)
      v4compat &= a[i] == 0;
    if (v4compat)
      continue;
    char want[INET6_ADDRSTRLEN], got[64];
    assert_non_null(inet_ntop(AF_INET6, a, want, sizeof want));
    assert_int_equal(fs_addr_format(6, a, got, sizeof got), (int)strlen(want));
    assert_string_equal(got, want);
  }
}

static void test_addr_v6_rfc5952(void **state) {
  (void)state;
  char buf[64];
  /* RFC 5952 section 4.2.3 / 4.3 examples: longest run compressed, lower case. */
  uint8_t a1[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  fs_addr_format(6, a1, buf, sizeof buf);
  assert_string_equal(buf, "2001:db8::1");
  uint8_t a2[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1};
  fs_addr_format(6, a2, buf, sizeof buf);
  assert_string_equal(buf, "2001:db8::1:0:0:1"); /* first of equal runs */
  uint8_t a3[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
  fs_addr_format(6, a3, buf, sizeof buf);
  assert_string_equal(buf, "2001:db8:0:1:1:1:1:1"); /* a single 0 group is not compressed */
  uint8_t any[16] = {0};
  fs_addr_format(6, any, buf, sizeof buf);
  assert_string_equal(buf, "::");
  uint8_t lo[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  fs_addr_format(6, lo, buf, sizeof buf);
  assert_string_equal(buf, "::1");
  uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
  fs_addr_format(6, mapped, buf, sizeof buf);
  assert_string_equal(buf, "::ffff:192.0.2.1");
  uint8_t mac[6] = {0x00, 0x1b, 0x21, 0xab, 0xcd, 0xef};
  fs_addr_format(0, mac, buf, sizeof buf);
  assert_string_equal(buf, "00:1b:21:ab:cd:ef");
}

static void test_names(void **state) {
  (void)state;
  assert_string_equal(fs_end_reason_name(FS_END_IDLE_TIMEOUT), "idle_timeout");
  assert_string_equal(fs_end_reason_name(9999), "unknown");
  assert_string_equal(fs_flow_state_name(FS_STATE_ESTABLISHED), "established");
  assert_string_equal(fs_l4proto_name(58), "icmp"); /* Zeek writes icmp for ICMPv6 too */
  assert_string_equal(fs_strerror(FS_E_ABI), "ABI version mismatch");
  assert_string_equal(fs_event_type_name(FS_EV_MESSAGE), "message");
}

static void test_message_clone(void **state) {
  (void)state;
  char host[] = "example.com";
  fs_str answers[2] = {{"1.2.3.4", 7}, {"5.6.7.8", 7}};
  fs_field fields[4] = {fs_field_str("host", host, strlen(host)), fs_field_u64("status_code", 200),
                        fs_field_str_list("answers", answers, 2), fs_field_bool("AA", 1)};
  fs_message m = {.struct_size = sizeof m,
                  .protocol = "http",
                  .msg_type = "transaction",
                  .ts = 42,
                  .fields = fields,
                  .n_fields = 4};
  fs_message *c = fs_message_clone(&m);
  assert_non_null(c);
  host[0] = 'X'; /* the clone must not alias the original */
  assert_string_equal(c->protocol, "http");
  assert_int_equal(c->ts, 42);
  const fs_field *f = fs_message_field(c, "host");
  assert_non_null(f);
  assert_memory_equal(f->v.str.ptr, "example.com", 11);
  assert_int_equal(fs_message_field(c, "status_code")->v.u64, 200);
  const fs_field *l = fs_message_field(c, "answers");
  assert_int_equal(l->count, 2);
  assert_memory_equal(l->v.list[1].ptr, "5.6.7.8", 7);
  assert_null(fs_message_field(c, "nope"));
  fs_message_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_version),
      cmocka_unit_test(test_key_format_v4),
      cmocka_unit_test(test_addr_v6_rfc5952),
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_addr_v4_like_snprintf),
      cmocka_unit_test(test_addr_v6_like_inet_ntop),
      cmocka_unit_test(test_message_clone),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
