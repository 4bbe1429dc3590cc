/* SPDX-License-Identifier: MIT */
/* IPv4 options, IPv6 extension headers (hop-by-hop, routing, destination
 * options, AH, mobility, atomic fragments), the Home Address and routing
 * header address rules, ICMP/ICMPv6 keys as Zeek builds them, SCTP ports,
 * first and non-first fragments without reassembly, and length checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decode_frames.h"

static uint8_t f[1024];

static int raw(const uint8_t *p, size_t n, fs_extract_result *r) {
  fs_extractor ex = make_extractor(NULL);
  int rc = extract_frame(&ex, 12, p, n, 1, r);
  fs_extractor_destroy(&ex);
  return rc;
}

static void test_ipv4_options(void **state) {
  (void)state;
  static const uint8_t v4opt[36] = {
      0x46, 0x00, 0x00, 0x24, /* IHL 6 (24 bytes), total 36 */
      0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, 10,   1,
      1,    1,    10,   2,    2,    2,    0x94, 0x04, 0x00, 0x00, /* option: router alert */
      0x03, 0xe8, 0x07, 0xd0, 0x00, 0x0c, 0x00, 0x00,             /* UDP 1000 -> 2000, length 12 */
      'a',  'b',  'c',  'd'};
  fs_extract_result r;
  assert_int_equal(raw(v4opt, sizeof v4opt, &r), 0);
  assert_int_equal(r.key.port_a, 1000);
  assert_int_equal(r.payload_len, 4);
  assert_memory_equal(r.payload, "abcd", 4);
  /* Captured bytes end inside the options. */
  assert_int_equal(raw(v4opt, 22, &r), FS_SKIP_TRUNCATED);
  /* Total length 0 (segmentation offload on the capturing host): the
   * captured length stands in. */
  uint8_t tso[sizeof v4opt];
  memcpy(tso, v4opt, sizeof tso);
  tso[2] = tso[3] = 0;
  assert_int_equal(raw(tso, sizeof tso, &r), 0);
  assert_int_equal(r.ip_len, 36);
}

/* IPv6 2001:db8::1 -> 2001:db8::2 with hop-by-hop, destination options,
 * routing (type 0, segments left 1, final destination 2001:db8::99), AH,
 * then UDP. */
static void test_ipv6_ext_chain(void **state) {
  (void)state;
  static const uint8_t pkt[40 + 8 + 8 + 24 + 16 + 8 + 2] = {
      0x60, 0x00, 0x00, 0x00, /* version 6 */
      0x00, 0x42, 0x00, 0x40, /* payload length 66, next: hop-by-hop */
      0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0x01, /* source */
      0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0x02, /* destination */
      0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, /* HBH: next dst-opts, len 0, PadN */
      0x2b, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, /* dst opts: next routing, PadN */
      0x33, 0x02, 0x00, 0x01, /* routing: next AH, len 2 (24 bytes), type 0, 1 left */
      0x00, 0x00, 0x00, 0x00, /* reserved */
      0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0x99, /* final dst */
      0x11, 0x02, 0x00, 0x00, /* AH: next UDP, payload len 2 ((2+2)*4 = 16 bytes) */
      0x00, 0x00, 0x01, 0x00, /* SPI 256 */
      0x00, 0x00, 0x00, 0x01, /* sequence 1 */
      0x00, 0x00, 0x00, 0x00, /* ICV */
      0x03, 0xe8, 0x07, 0xd0, 0x00, 0x0a, 0x00, 0x00, /* UDP 1000 -> 2000, length 10 */
      'h',  'i'};
  fs_extract_result r;
  assert_int_equal(raw(pkt, sizeof pkt, &r), 0);
  assert_int_equal(r.key.proto, 17);
  assert_int_equal(r.key.addr_a[15], 0x01);
  assert_int_equal(r.key.addr_b[15], 0x99); /* keyed on the final destination */
  assert_int_equal(r.key.port_a, 1000);
  assert_int_equal(r.ip_len, 106);
  assert_memory_equal(r.payload, "hi", 2);
  /* Every cut inside the header chain is truncated. */
  for (size_t k = 0; k < 40 + 8 + 8 + 24 + 16 + 8; k++)
    assert_int_equal(raw(pkt, k, &r), FS_SKIP_TRUNCATED);
  /* A header that claims more than the payload length is malformed. */
  uint8_t bad[sizeof pkt];
  memcpy(bad, pkt, sizeof bad);
  bad[5] = 0x10; /* payload length 16 */
  assert_int_equal(raw(bad, sizeof bad, &r), FS_SKIP_MALFORMED);
  /* Segments left 0: the destination stays. */
  memcpy(bad, pkt, sizeof bad);
  bad[59] = 0;
  assert_int_equal(raw(bad, sizeof bad, &r), 0);
  assert_int_equal(r.key.addr_b[15], 0x02);
}

static void test_ipv6_home_address(void **state) {
  (void)state;
  static const uint8_t pkt[40 + 24 + 8] = {
      0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3c, 0x40, /* payload 32, next: dst opts */
      0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,
      0,    0,    0,    0,    0,    0,    0,    0x05, /* care-of source */
      0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,
      0,    0,    0,    0,    0,    0,    0,    0x02, /* destination */
      0x11, 0x02,                                     /* dst opts: next UDP, len 2 (24 bytes) */
      0x01, 0x02, 0x00, 0x00,                         /* PadN 2 */
      0xc9, 0x10,                                     /* Home Address option, 16 bytes */
      0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,
      0,    0,    0,    0,    0,    0,    0,    0x01, /* home address */
      0x03, 0xe8, 0x07, 0xd0, 0x00, 0x08, 0x00, 0x00  /* UDP 1000 -> 2000 */
  };
  fs_extract_result r;
  assert_int_equal(raw(pkt, sizeof pkt, &r), 0);
  assert_int_equal(r.key.addr_a[15], 0x01); /* keyed on the home address */
  assert_int_equal(r.key.addr_b[15], 0x02);
}

static void test_ipv6_depth_and_none(void **state) {
  (void)state;
  /* 20 hop-by-hop-like destination option headers: too deep at 16. */
  uint8_t pkt[40 + 20 * 8];
  memset(pkt, 0, sizeof pkt);
  pkt[0] = 0x60;
  pkt[4] = 0x00;
  pkt[5] = 20 * 8; /* payload length 160 */
  pkt[6] = 60;     /* next: destination options */
  for (int i = 0; i < 20; i++)
    pkt[40 + i * 8] = i == 19 ? 59 : 60; /* next header: more options, last: none */
  fs_extract_result r;
  assert_int_equal(raw(pkt, sizeof pkt, &r), FS_SKIP_TOO_DEEP);
  /* 4 headers ending in "no next header": a flow without ports. */
  uint8_t short_chain[40 + 4 * 8];
  memcpy(short_chain, pkt, 40);
  short_chain[5] = 32;
  for (int i = 0; i < 4; i++) {
    memset(short_chain + 40 + i * 8, 0, 8);
    short_chain[40 + i * 8] = i == 3 ? 59 : 60;
  }
  assert_int_equal(raw(short_chain, sizeof short_chain, &r), 0);
  assert_int_equal(r.key.proto, 59);
  assert_int_equal(r.key.port_a, 0);
}

static void test_ipv6_atomic_fragment(void **state) {
  (void)state;
  static const uint8_t pkt[40 + 8 + 8] = {
      0x60, 0x00, 0x00, 0x00, 0x00, 0x10, 0x2c, 0x40, /* payload 16, next: fragment */
      0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,    0,    0,    0, 0, 0,
      0,    0,    0x01, 0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0, 0, 0,
      0,    0,    0,    0,    0,    0x02, 0x11, 0x00, 0x00, 0x00, /* fragment: next UDP, offset 0, M
                                                                     = 0 (atomic) */
      0x00, 0x00, 0x00, 0x2a,                                     /* id 42 */
      0x03, 0xe8, 0x07, 0xd0, 0x00, 0x08, 0x00, 0x00              /* UDP 1000 -> 2000 */
  };
  fs_extract_result r;
  assert_int_equal(raw(pkt, sizeof pkt, &r), 0);
  assert_int_equal(r.key.port_a, 1000);
}

static void test_icmp_keys(void **state) {
  (void)state;
  static const uint8_t echo_req[28] = {
      0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, /* ICMP */
      10,   0,    0,    1,    10,   0,    0,    2, /* 10.0.0.1 -> 10.0.0.2 */
      0x08, 0x00, 0x00, 0x00,                      /* echo request, code 0 */
      0x12, 0x34, 0x00, 0x01                       /* id, sequence */
  };
  static const uint8_t echo_rep[28] = {0x45, 0x00, 0x00, 0x1c, 0x00, 0x02, 0x00,
                                       0x00, 0x40, 0x01, 0x00, 0x00, 10,   0,
                                       0,    2,    10,   0,    0,    1, /* 10.0.0.2 -> 10.0.0.1 */
                                       0x00, 0x00, 0x00, 0x00,          /* echo reply */
                                       0x12, 0x34, 0x00, 0x01};
  fs_extract_result r1, r2;
  assert_int_equal(raw(echo_req, sizeof echo_req, &r1), 0);
  assert_int_equal(raw(echo_rep, sizeof echo_rep, &r2), 0);
  /* Zeek's ports: type 8 -> counterpart 0; the reply reverses them. */
  assert_int_equal(r1.key.port_a, 8);
  assert_int_equal(r1.key.port_b, 0);
  assert_int_equal(r1.icmp_type_code, 0x0800);
  assert_true(fs_flow_key_equal(&r1.key, &r2.key));
  assert_int_equal(r1.orientation, FS_ORIENT_A_TO_B);
  assert_int_equal(r2.orientation, FS_ORIENT_B_TO_A);
  /* Port unreachable (3/3) is one-way: ports are type and code. */
  uint8_t unreach[sizeof echo_req];
  memcpy(unreach, echo_req, sizeof unreach);
  unreach[20] = 3;
  unreach[21] = 3;
  assert_int_equal(raw(unreach, sizeof unreach, &r1), 0);
  assert_int_equal(r1.key.port_a, 3);
  assert_int_equal(r1.key.port_b, 3);
  static const uint8_t echo6[48] = {
      0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x3a, 0x40, /* payload 8, ICMPv6 */
      0xfe, 0x80, 0,    0,    0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0x02, /* fe80::2 */
      0xfe, 0x80, 0,    0,    0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0x01, /* fe80::1 */
      0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01 /* echo request 128 */
  };
  assert_int_equal(raw(echo6, sizeof echo6, &r1), 0);
  assert_int_equal(r1.key.proto, 58);
  /* fe80::1 (A) is the destination: A's port is the counterpart 129. */
  assert_int_equal(r1.key.port_a, 129);
  assert_int_equal(r1.key.port_b, 128);
  assert_int_equal(r1.orientation, FS_ORIENT_B_TO_A);
  /* ICMP cut after the type byte. */
  assert_int_equal(raw(echo_req, 21, &r1), FS_SKIP_TRUNCATED);
}

static void test_sctp(void **state) {
  (void)state;
  static const uint8_t sctp[32] = {
      0x45, 0x00, 0x00, 0x20, 0x00, 0x01,
      0x00, 0x00, 0x40, 0x84, 0x00, 0x00, /* SCTP */
      10,   1,    1,    1,    10,   2,
      2,    2,    0x0b, 0x59, 0x0b, 0x59, /* ports 2905 -> 2905 */
      0x00, 0x00, 0x00, 0x01,             /* verification tag */
      0x00, 0x00, 0x00, 0x00              /* checksum */
  };
  fs_extract_result r;
  assert_int_equal(raw(sctp, sizeof sctp, &r), 0);
  assert_int_equal(r.key.proto, 132);
  assert_int_equal(r.key.port_a, 2905);
  assert_int_equal(raw(sctp, 30, &r), FS_SKIP_TRUNCATED);
}

static void test_fragments_without_reassembly(void **state) {
  (void)state;
  fs_extract_config c;
  fs_extract_config_default(&c);
  c.defrag.enabled = 0;
  fs_extractor ex = make_extractor(&c);
  static const uint8_t first[36] = {
      0x45, 0x00, 0x00, 0x24, /* total 36 */
      0x00, 0x09, 0x20, 0x00, /* id 9, MF, offset 0 */
      0x40, 0x06, 0x00, 0x00, 10,   1,    1,    1,    10,   2,    2,    2,
      0x03, 0xe8, 0x00, 0x50, /* TCP ports 1000 -> 80 */
      0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0x10, 0x00 /* rest */
  };
  /* A non-first fragment whose data happens to look like a TCP header:
   * never read as one. */
  static const uint8_t later[40] = {0x45, 0x00, 0x00, 0x28, /* total 40 */
                                    0x00, 0x09, 0x00, 0x02, /* id 9, offset 2 (16 bytes), last */
                                    0x40, 0x06, 0x00, 0x00, 10,   1,    1,    1,
                                    10,   2,    2,    2,    0x11, 0x11, 0x22, 0x22,
                                    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                    0x50, 0x02, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00};
  fs_extract_result r;
  assert_int_equal(extract_frame(&ex, 12, first, sizeof first, 1, &r), 0);
  assert_int_equal(r.key.port_a, 1000);
  assert_int_equal(r.key.port_b, 80);
  assert_int_equal(extract_frame(&ex, 12, later, sizeof later, 2, &r), FS_SKIP_FRAGMENT);
  fs_extract_counters cnt = {.struct_size = sizeof cnt};
  assert_int_equal(fs_extractor_counters(&ex, &cnt), 0);
  assert_int_equal(cnt.skipped[FS_SKIP_FRAGMENT], 1);
  assert_int_equal(cnt.extracted, 1);
  fs_extractor_destroy(&ex);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ipv4_options),
      cmocka_unit_test(test_ipv6_ext_chain),
      cmocka_unit_test(test_ipv6_home_address),
      cmocka_unit_test(test_ipv6_depth_and_none),
      cmocka_unit_test(test_ipv6_atomic_fragment),
      cmocka_unit_test(test_icmp_keys),
      cmocka_unit_test(test_sctp),
      cmocka_unit_test(test_fragments_without_reassembly),
  };
  (void)f;
  return cmocka_run_group_tests(tests, NULL, NULL);
}
