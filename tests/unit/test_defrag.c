/* SPDX-License-Identifier: MIT */
/* IP fragment reassembly: IPv4 and IPv6 fragments in order, out of order,
 * overlapping (first wins), duplicated, contained (teardrop), missing
 * (timeout), tiny, oversize, over the limits; tunnels inside a reassembled
 * datagram; every packet extracted or skipped exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decode_frames.h"

#define SEC FS_NS_PER_SEC

/* The datagram: UDP 1000 -> 2000, length 48, then 40 data bytes. */
static uint8_t dgram[48];

static void make_dgram(void) {
  static const uint8_t udp[8] = {0x03, 0xe8, 0x07, 0xd0,  /* ports 1000 -> 2000 */
                                 0x00, 0x30, 0x00, 0x00}; /* length 48, checksum 0 */
  memcpy(dgram, udp, 8);
  for (int i = 0; i < 40; i++)
    dgram[8 + i] = (uint8_t)('a' + i % 26);
}

/* One IPv4 fragment of id @p id carrying @p len bytes of @p data at byte
 * offset @p off. Returns the frame length (raw IP link). */
static size_t frag4(uint8_t *out, uint16_t id, uint32_t off, int more, const uint8_t *data,
                    uint32_t len) {
  uint32_t total = 20 + len;
  uint16_t fo = (uint16_t)((more ? 0x2000 : 0) | (off / 8));
  const uint8_t hdr[20] = {
      0x45,
      0x00,
      (uint8_t)(total >> 8),
      (uint8_t)total, /* IPv4, IHL 5, total length */
      (uint8_t)(id >> 8),
      (uint8_t)id, /* identification */
      (uint8_t)(fo >> 8),
      (uint8_t)fo, /* MF flag, offset in 8-byte units */
      0x40,
      0x11,
      0x00,
      0x00, /* TTL 64, UDP, checksum */
      10,
      1,
      1,
      1, /* source 10.1.1.1 */
      10,
      2,
      2,
      2 /* destination 10.2.2.2 */
  };
  memcpy(out, hdr, 20);
  memcpy(out + 20, data, len);
  return total;
}

static fs_extractor ex;
static fs_extract_result r;

static int feed4(uint16_t id, uint32_t off, int more, const uint8_t *data, uint32_t len,
                 fs_time_ns ts) {
  static uint8_t f[2048];
  size_t n = frag4(f, id, off, more, data, len);
  return extract_frame(&ex, 12, f, n, ts, &r);
}

static fs_extract_counters counters(void) {
  fs_extract_counters c = {.struct_size = sizeof c};
  assert_int_equal(fs_extractor_counters(&ex, &c), 0);
  return c;
}

static int setup(void **state) {
  (void)state;
  make_dgram();
  ex = make_extractor(NULL);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  expect_balanced(&ex);
  fs_extractor_destroy(&ex);
  return 0;
}

static void expect_whole(void) {
  const uint8_t a[4] = {10, 1, 1, 1};
  assert_int_equal(r.key.proto, 17);
  assert_memory_equal(r.key.addr_a, a, 4);
  assert_int_equal(r.key.port_a, 1000);
  assert_int_equal(r.key.port_b, 2000);
  assert_int_equal(r.ip_len, 68);
  assert_int_equal(r.payload_len, 40);
  assert_memory_equal(r.payload, dgram + 8, 40);
}

static void test_v4_in_order(void **state) {
  (void)state;
  assert_int_equal(feed4(1, 0, 1, dgram, 16, 1), FS_SKIP_FRAGMENT);
  assert_int_equal(feed4(1, 16, 1, dgram + 16, 16, 2), FS_SKIP_FRAGMENT);
  assert_int_equal(feed4(1, 32, 0, dgram + 32, 16, 3), 0);
  expect_whole();
  /* The rebuilt header: whole length, no fragment bits, valid checksum. */
  assert_int_equal(r.l3[2] << 8 | r.l3[3], 68);
  assert_int_equal(r.l3[6], 0);
  assert_int_equal(r.l3[7], 0);
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2)
    sum += (uint32_t)(r.l3[i] << 8 | r.l3[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  assert_int_equal(sum, 0xffff);
  fs_extract_counters c = counters();
  assert_int_equal(c.frag_fragments, 3);
  assert_int_equal(c.frag_reassembled, 1);
  assert_int_equal(c.skipped[FS_SKIP_FRAGMENT], 2);
  assert_int_equal(c.extracted, 1);
}

static void test_v4_out_of_order(void **state) {
  (void)state;
  assert_int_equal(feed4(2, 32, 0, dgram + 32, 16, 1), FS_SKIP_FRAGMENT);
  assert_int_equal(feed4(2, 0, 1, dgram, 16, 2), FS_SKIP_FRAGMENT);
  assert_int_equal(feed4(2, 16, 1, dgram + 16, 16, 3), 0);
  expect_whole();
  assert_int_equal(feed4(3, 16, 1, dgram + 16, 16, 4), FS_SKIP_FRAGMENT);
  assert_int_equal(feed4(3, 32, 0, dgram + 32, 16, 5), FS_SKIP_FRAGMENT);
  assert_int_equal(feed4(3, 0, 1, dgram, 16, 6), 0);
  expect_whole();
}

static void test_v4_overlap_first_wins(void **state) {
  (void)state;
  uint8_t x[16], z[32];
  memset(x, 'X', sizeof x);
  memset(z, 'Z', sizeof z);
  assert_int_equal(feed4(4, 0, 1, dgram, 16, 1), FS_SKIP_FRAGMENT);
  assert_int_equal(feed4(4, 8, 1, x, 16, 2), FS_SKIP_FRAGMENT); /* bytes 8..24 */
  assert_int_equal(feed4(4, 16, 0, z, 32, 3), 0);               /* bytes 16..48 */
  /* Bytes 0..16 from the first fragment, 16..24 from the second (X),
   * 24..48 from the third (Z). */
  assert_int_equal(r.key.port_a, 1000); /* the header came from the first */
  uint8_t want[40];
  memcpy(want, dgram + 8, 8);
  memset(want + 8, 'X', 8);
  memset(want + 16, 'Z', 24);
  assert_int_equal(r.payload_len, 40);
  assert_memory_equal(r.payload, want, 40);
  fs_extract_counters c = counters();
  assert_int_equal(c.frag_overlaps, 2);
}

static void test_v4_duplicate_and_teardrop(void **state) {
  (void)state;
  assert_int_equal(feed4(5, 0, 1, dgram, 32, 1), FS_SKIP_FRAGMENT);
  assert_int_equal(feed4(5, 0, 1, dgram, 32, 2), FS_SKIP_FRAGMENT_DROP); /* duplicate */
  uint8_t evil[8];
  memset(evil, 0xee, sizeof evil);
  assert_int_equal(feed4(5, 8, 1, evil, 8, 3), FS_SKIP_FRAGMENT_DROP); /* contained */
  assert_int_equal(feed4(5, 32, 0, dgram + 32, 16, 4), 0);
  expect_whole(); /* the contained fragment changed nothing */
  fs_extract_counters c = counters();
  assert_int_equal(c.frag_overlaps, 2);
  assert_int_equal(c.frag_fragments_dropped, 2);
  assert_int_equal(c.skipped[FS_SKIP_FRAGMENT_DROP], 2);
}

static void test_v4_missing_times_out(void **state) {
  (void)state;
  assert_int_equal(feed4(6, 0, 1, dgram, 16, 1 * SEC), FS_SKIP_FRAGMENT);
  assert_int_equal(feed4(6, 32, 0, dgram + 32, 16, 2 * SEC), FS_SKIP_FRAGMENT);
  ex.ops->tick(ex.self, 30 * SEC); /* not yet: the default timeout is 60 s */
  assert_int_equal(counters().frag_timeouts, 0);
  ex.ops->tick(ex.self, 62 * SEC);
  fs_extract_counters c = counters();
  assert_int_equal(c.frag_timeouts, 1);
  assert_int_equal(c.frag_fragments_dropped, 2);
  /* The missing middle arrives late: it starts a new datagram. */
  assert_int_equal(feed4(6, 16, 1, dgram + 16, 16, 63 * SEC), FS_SKIP_FRAGMENT);
  assert_int_equal(counters().frag_reassembled, 0);
}

static void test_v4_inconsistent_last(void **state) {
  (void)state;
  assert_int_equal(feed4(7, 32, 0, dgram + 32, 16, 1), FS_SKIP_FRAGMENT);
  /* Another "last" fragment ending elsewhere, and data past the end. */
  assert_int_equal(feed4(7, 16, 0, dgram + 16, 16, 2), FS_SKIP_FRAGMENT_DROP);
  assert_int_equal(feed4(7, 40, 1, dgram, 16, 3), FS_SKIP_FRAGMENT_DROP);
  /* A non-last fragment whose length is not a multiple of 8. */
  assert_int_equal(feed4(7, 0, 1, dgram, 12, 4), FS_SKIP_FRAGMENT_DROP);
  fs_extract_counters c = counters();
  assert_int_equal(c.frag_malformed, 1);
  assert_int_equal(feed4(7, 0, 1, dgram, 32, 5), 0);
  expect_whole();
}

static void test_v4_limits(void **state) {
  (void)state;
  fs_extractor_destroy(&ex);
  fs_extract_config cfg;
  fs_extract_config_default(&cfg);
  cfg.defrag.max_datagrams = 2;
  cfg.defrag.max_fragments = 2;
  cfg.defrag.min_fragment_size = 16;
  cfg.defrag.max_datagram_size = 1000;
  cfg.defrag.max_bytes = 4096;
  ex = make_extractor(&cfg);
  /* Tiny: a non-last fragment of 8 bytes when 16 is the minimum. */
  assert_int_equal(feed4(10, 0, 1, dgram, 8, 1), FS_SKIP_FRAGMENT_DROP);
  assert_int_equal(counters().frag_tiny, 1);
  /* Oversize: data ending past 1000 bytes. */
  assert_int_equal(feed4(11, 992, 0, dgram, 16, 2), FS_SKIP_FRAGMENT_DROP);
  assert_int_equal(counters().frag_oversize, 1);
  /* Two datagrams in flight; a third is refused. */
  assert_int_equal(feed4(12, 0, 1, dgram, 16, 3), FS_SKIP_FRAGMENT);
  assert_int_equal(feed4(13, 0, 1, dgram, 16, 4), FS_SKIP_FRAGMENT);
  assert_int_equal(feed4(14, 0, 1, dgram, 16, 5), FS_SKIP_FRAGMENT_DROP);
  assert_int_equal(counters().frag_limit, 1);
  /* Two fragments per datagram: the third drops the datagram. */
  assert_int_equal(feed4(12, 16, 1, dgram + 16, 16, 6), FS_SKIP_FRAGMENT);
  assert_int_equal(feed4(12, 48, 1, dgram, 16, 7), FS_SKIP_FRAGMENT_DROP);
  fs_extract_counters c = counters();
  assert_int_equal(c.frag_limit, 2);
  assert_int_equal(c.frag_fragments_dropped, 1 + 1 + 1 + 3); /* tiny, oversize, refused, 2+1 */
  /* Bytes in flight: a fragment far into the datagram needs a buffer over 4096... */
  fs_extractor_destroy(&ex);
  cfg.defrag.max_datagram_size = 65535;
  cfg.defrag.max_bytes = 4096;
  cfg.defrag.max_fragments = 64;
  ex = make_extractor(&cfg);
  assert_int_equal(feed4(15, 8000, 0, dgram, 16, 1), FS_SKIP_FRAGMENT_DROP);
  assert_int_equal(counters().frag_limit, 1);
  /* ...while a small datagram still fits. */
  assert_int_equal(feed4(16, 0, 1, dgram, 16, 2), FS_SKIP_FRAGMENT);
  assert_int_equal(feed4(16, 16, 0, dgram + 16, 32, 3), 0);
  expect_whole();
}

/* IPv6 fragment with a hop-by-hop header before the fragment header. */
static size_t frag6(uint8_t *out, uint32_t id, uint32_t off, int more, const uint8_t *data,
                    uint32_t len) {
  uint32_t plen = 8 + 8 + len;
  uint16_t fo = (uint16_t)(off | (more ? 1 : 0));
  const uint8_t hdr[56] = {
      0x60,
      0x00,
      0x00,
      0x00, /* version 6 */
      (uint8_t)(plen >> 8),
      (uint8_t)plen,
      0x00,
      0x40, /* payload length, next: HBH */
      0x20,
      0x01,
      0x0d,
      0xb8,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x01, /* 2001:db8::1 */
      0x20,
      0x01,
      0x0d,
      0xb8,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x02, /* 2001:db8::2 */
      0x2c,
      0x00,
      0x01,
      0x04,
      0x00,
      0x00,
      0x00,
      0x00, /* HBH: next fragment, PadN */
      0x11,
      0x00,
      (uint8_t)(fo >> 8),
      (uint8_t)fo, /* fragment: next UDP, offset, M */
      (uint8_t)(id >> 24),
      (uint8_t)(id >> 16),
      (uint8_t)(id >> 8),
      (uint8_t)id /* id */
  };
  memcpy(out, hdr, 56);
  memcpy(out + 56, data, len);
  return 56 + len;
}

static int feed6(uint32_t id, uint32_t off, int more, const uint8_t *data, uint32_t len,
                 fs_time_ns ts) {
  static uint8_t f[2048];
  size_t n = frag6(f, id, off, more, data, len);
  return extract_frame(&ex, 12, f, n, ts, &r);
}

static void test_v6(void **state) {
  (void)state;
  assert_int_equal(feed6(0x10000, 24, 0, dgram + 24, 24, 1), FS_SKIP_FRAGMENT);
  assert_int_equal(feed6(0x10000, 0, 1, dgram, 24, 2), 0);
  assert_int_equal(r.key.kind, FS_KEY_FIVE_TUPLE_V6);
  assert_int_equal(r.key.proto, 17);
  assert_int_equal(r.key.port_a, 1000);
  assert_int_equal(r.ip_len, 40 + 48);
  assert_int_equal(r.payload_len, 40);
  assert_memory_equal(r.payload, dgram + 8, 40);
  /* The rebuilt header names UDP directly with the whole payload length. */
  assert_int_equal(r.l3[6], 17);
  assert_int_equal(r.l3[4] << 8 | r.l3[5], 48);
  /* Same id from another source is another datagram. */
  assert_int_equal(feed6(0x10001, 0, 1, dgram, 24, 3), FS_SKIP_FRAGMENT);
  assert_int_equal(feed6(0x10002, 24, 0, dgram + 24, 24, 4), FS_SKIP_FRAGMENT);
  fs_extract_counters c = counters();
  assert_int_equal(c.frag_reassembled, 1);
}

static void test_tunnel_in_reassembled(void **state) {
  (void)state;
  /* A VXLAN packet (UDP 4789, VXLAN, inner Ethernet + INNER_V4_UDP) split
   * in two outer IPv4 fragments: the inner flow comes out of the rebuilt
   * datagram. */
  uint8_t udp_payload[8 + 8 + 14 + 30];
  static const uint8_t udp_vxlan[16] = {
      0x30, 0x39, 0x12, 0xb5, /* ports 12345 -> 4789 */
      0x00, 0x3c, 0x00, 0x00, /* UDP length 60 */
      0x08, 0x00, 0x00, 0x00, /* VXLAN flags: I */
      0x00, 0x00, 0x07, 0x00  /* VNI 7 */
  };
  size_t n = cat(udp_payload, 3, PART(udp_vxlan), PART(ETH_V4), PART(INNER_V4_UDP));
  assert_int_equal(n, 60);
  assert_int_equal(feed4(20, 0, 1, udp_payload, 32, 1), FS_SKIP_FRAGMENT);
  assert_int_equal(feed4(20, 32, 0, udp_payload + 32, 28, 2), 0);
  expect_inner_v4_udp(&r);
  assert_int_equal(r.encap, FS_ENCAP_VXLAN);
  assert_int_equal(r.tunnel_id, 7);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_v4_in_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_v4_out_of_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_v4_overlap_first_wins, setup, teardown),
      cmocka_unit_test_setup_teardown(test_v4_duplicate_and_teardrop, setup, teardown),
      cmocka_unit_test_setup_teardown(test_v4_missing_times_out, setup, teardown),
      cmocka_unit_test_setup_teardown(test_v4_inconsistent_last, setup, teardown),
      cmocka_unit_test_setup_teardown(test_v4_limits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_v6, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tunnel_in_reassembled, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
