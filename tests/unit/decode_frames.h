/* SPDX-License-Identifier: MIT */
/* Shared pieces for the decode/extract/defrag tests: two inner packets
 * written out byte by byte, a concatenation helper for stacking outer
 * headers in front of them, and checks of what the extractor must report
 * for the inner packets. */
#ifndef FS_TEST_DECODE_FRAMES_H
#define FS_TEST_DECODE_FRAMES_H

#include <stdarg.h>
#include <string.h>

#include "flowscope/flowscope.h"

/* IPv4 + UDP 10.1.1.1:1000 -> 10.2.2.2:2000 with payload "xy" (30 bytes). */
static const uint8_t INNER_V4_UDP[30] = {
    0x45, 0x00, 0x00, 0x1e, /* version 4, IHL 5, TOS 0, total length 30 */
    0x00, 0x07, 0x00, 0x00, /* id 7, no fragmentation */
    0x40, 0x11, 0x00, 0x00, /* TTL 64, protocol 17 (UDP), checksum unchecked */
    10,   1,    1,    1,    /* source 10.1.1.1 */
    10,   2,    2,    2,    /* destination 10.2.2.2 */
    0x03, 0xe8, 0x07, 0xd0, /* source port 1000, destination port 2000 */
    0x00, 0x0a, 0x00, 0x00, /* UDP length 10, checksum 0 */
    'x',  'y'               /* payload */
};

/* IPv6 + TCP [2001:db8::a]:443 -> [2001:db8::b]:5555, ACK, no payload (60 bytes). */
static const uint8_t INNER_V6_TCP[60] = {
    0x60, 0x00, 0x00, 0x01,                         /* version 6, flow label 1 */
    0x00, 0x14, 0x06, 0x40,                         /* payload length 20, TCP, hop limit 64 */
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, /* source 2001:db8::a ... */
    0,    0,    0,    0x0a,                         /* ... */
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, /* destination 2001:db8::b ... */
    0,    0,    0,    0x0b,                         /* ... */
    0x01, 0xbb, 0x15, 0xb3,                         /* source port 443, destination 5555 */
    0x00, 0x00, 0x00, 0x01,                         /* seq 1 */
    0x00, 0x00, 0x00, 0x02,                         /* ack 2 */
    0x50, 0x10, 0x01, 0x00,                         /* data offset 5, ACK, window 256 */
    0x00, 0x00, 0x00, 0x00                          /* checksum, urgent pointer */
};

/* Ethernet header 02:..:01 -> 02:..:02 with ethertype IPv4 (14 bytes). */
static const uint8_t ETH_V4[14] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, /* destination MAC */
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* source MAC */
    0x08, 0x00                          /* ethertype IPv4 */
};

/* Ethernet header with ethertype IPv6. */
static const uint8_t ETH_V6[14] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, /* destination MAC */
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* source MAC */
    0x86, 0xdd                          /* ethertype IPv6 */
};

/* cat(out, n, ptr1, len1, ptr2, len2, ...): concatenates n parts. */
static inline size_t cat(uint8_t *out, int n, ...) {
  va_list ap;
  va_start(ap, n);
  size_t off = 0;
  for (int i = 0; i < n; i++) {
    const uint8_t *p = va_arg(ap, const uint8_t *);
    size_t len = va_arg(ap, size_t);
    memcpy(out + off, p, len);
    off += len;
  }
  va_end(ap);
  return off;
}
#define PART(x) (const uint8_t *)(x), sizeof(x)

static inline fs_extractor make_extractor(const fs_extract_config *c) {
  fs_extractor ex;
  char err[FS_ERRBUF_SIZE];
  fs_extract_config d;
  if (!c) {
    fs_extract_config_default(&d);
    c = &d;
  }
  assert_int_equal(fs_extractor_create(&ex, c, err), 0);
  return ex;
}

static inline int extract_frame(fs_extractor *ex, uint32_t link, const uint8_t *f, size_t len,
                                fs_time_ns ts, fs_extract_result *r) {
  fs_packet_view v = {.struct_size = sizeof v,
                      .link_type = link,
                      .data = f,
                      .caplen = (uint32_t)len,
                      .wirelen = (uint32_t)len,
                      .ts = ts};
  memset(r, 0, sizeof *r);
  r->struct_size = sizeof *r;
  return ex->ops->extract(ex->self, &v, r);
}

/* The extractor found INNER_V4_UDP: 10.1.1.1:1000 (A) -> 10.2.2.2:2000. */
static inline void expect_inner_v4_udp(const fs_extract_result *r) {
  const uint8_t a[4] = {10, 1, 1, 1}, b[4] = {10, 2, 2, 2};
  assert_int_equal(r->key.kind, FS_KEY_FIVE_TUPLE_V4);
  assert_int_equal(r->key.proto, 17);
  assert_memory_equal(r->key.addr_a, a, 4);
  assert_memory_equal(r->key.addr_b, b, 4);
  assert_int_equal(r->key.port_a, 1000);
  assert_int_equal(r->key.port_b, 2000);
  assert_int_equal(r->orientation, FS_ORIENT_A_TO_B);
  assert_int_equal(r->ip_version, 4);
  assert_int_equal(r->ip_len, 30);
  assert_int_equal(r->payload_len, 2);
  assert_memory_equal(r->payload, "xy", 2);
}

/* The extractor found INNER_V6_TCP: [2001:db8::a]:443 (A) -> [2001:db8::b]:5555. */
static inline void expect_inner_v6_tcp(const fs_extract_result *r) {
  assert_int_equal(r->key.kind, FS_KEY_FIVE_TUPLE_V6);
  assert_int_equal(r->key.proto, 6);
  assert_int_equal(r->key.addr_a[15], 0x0a);
  assert_int_equal(r->key.addr_b[15], 0x0b);
  assert_int_equal(r->key.port_a, 443);
  assert_int_equal(r->key.port_b, 5555);
  assert_int_equal(r->orientation, FS_ORIENT_A_TO_B);
  assert_int_equal(r->ip_version, 6);
  assert_int_equal(r->ip_len, 60);
  assert_true(r->has_tcp);
  assert_int_equal(r->tcp.flags, FS_TCP_ACK);
  assert_int_equal(r->tcp.seq, 1);
  assert_int_equal(r->tcp.ack, 2);
  assert_int_equal(r->flow_label, 1);
}

/* Packets read == extracted + skipped, for any extractor made here. */
static inline void expect_balanced(fs_extractor *ex) {
  fs_extract_counters c = {.struct_size = sizeof c};
  assert_int_equal(fs_extractor_counters(ex, &c), 0);
  uint64_t sum = c.extracted;
  for (int i = 0; i < 32; i++)
    sum += c.skipped[i];
  assert_int_equal(sum, c.packets);
}

#endif /* FS_TEST_DECODE_FRAMES_H */
