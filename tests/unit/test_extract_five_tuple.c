/* SPDX-License-Identifier: MIT */
/* Five-tuple extraction over hand-built Ethernet/IPv4/IPv6/TCP/UDP frames:
 * canonical key order, orientation, unidirectional keys, IP-pair and
 * MAC-pair keys, L4 facts, and skip reasons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flowscope/flowscope.h"

/* Ethernet + IPv4 + TCP SYN with 4 bytes of options and 5 payload bytes. */
static const uint8_t v4_tcp[] = {
    0x00, 0x00, 0x5e, 0x00, 0x53, 0x01, /* dst MAC 00:00:5e:00:53:01 */
    0x00, 0x00, 0x5e, 0x00, 0x53, 0x02, /* src MAC 00:00:5e:00:53:02 */
    0x08, 0x00,                         /* ethertype IPv4 */
    0x45, 0x00, 0x00, 0x31,             /* v4, IHL 5, TOS 0, total length 49 */
    0x12, 0x34, 0x40, 0x00,             /* id 0x1234, DF */
    0x40, 0x06, 0x00, 0x00,             /* TTL 64, TCP, checksum */
    192,  0,    2,    10,               /* src 192.0.2.10 */
    192,  0,    2,    1,                /* dst 192.0.2.1 */
    0xc0, 0x01, 0x00, 0x50,             /* sport 49153, dport 80 */
    0x00, 0x00, 0x03, 0xe8,             /* seq 1000 */
    0x00, 0x00, 0x00, 0x00,             /* ack 0 */
    0x60, 0x02, 0xff, 0xff,             /* data offset 6 (24 bytes), SYN, window 65535 */
    0x00, 0x00, 0x00, 0x00,             /* checksum, urgent pointer */
    0x02, 0x04, 0x05, 0xb4,             /* option MSS 1460 */
    'h',  'e',  'l',  'l',  'o',        /* payload */
    0x00, 0x00, 0x00, 0x00, 0x00        /* Ethernet padding (beyond IP total length) */
};

/* Ethernet + IPv6 + UDP, 3 payload bytes, flow label 0xabcde. */
static const uint8_t v6_udp[] = {
    0x00, 0x00, 0x5e, 0x00, 0x53, 0x01, /* dst MAC */
    0x00, 0x00, 0x5e, 0x00, 0x53, 0x02, /* src MAC */
    0x86, 0xdd,                         /* ethertype IPv6 */
    0x60, 0x0a, 0xbc, 0xde,             /* v6, traffic class 0, flow label 0xabcde */
    0x00, 0x0b, 0x11, 0x40,             /* payload length 11, next header UDP, hop limit 64 */
    0x20, 0x01, 0x0d, 0xb8, 0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, /* src 2001:db8::2 */
    0x20, 0x01, 0x0d, 0xb8, 0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, /* dst 2001:db8::1 */
    0x00, 0x35, 0x13, 0x88,                                              /* sport 53, dport 5000 */
    0x00, 0x0b, 0x00, 0x00, /* UDP length 11, checksum */
    'a',  'b',  'c'         /* payload */
};

/* An ARP request: not IP. */
static const uint8_t arp[] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,                    /* dst broadcast */
    0x00, 0x00, 0x5e, 0x00, 0x53, 0x02,                    /* src MAC */
    0x08, 0x06,                                            /* ethertype ARP */
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,        /* Ethernet/IPv4, request */
    0x00, 0x00, 0x5e, 0x00, 0x53, 0x02, 192,  0,    2, 10, /* sender */
    0,    0,    0,    0,    0,    0,    192,  0,    2, 1   /* target */
};

static fs_extractor make(uint32_t kind) {
  fs_extract_config c;
  fs_extract_config_default(&c);
  c.kind = kind;
  fs_extractor ex;
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_extractor_create(&ex, &c, err), 0);
  return ex;
}

static int run(fs_extractor *ex, const uint8_t *f, uint32_t len, uint32_t link,
               fs_extract_result *r) {
  fs_packet_view v = {.struct_size = sizeof v,
                      .link_type = link,
                      .data = f,
                      .caplen = len,
                      .wirelen = len,
                      .ts = 1};
  memset(r, 0, sizeof *r);
  r->struct_size = sizeof *r;
  return ex->ops->extract(ex->self, &v, r);
}

/* Swaps src/dst addresses and ports of v4_tcp into @p out (the reply). */
static void reverse_v4(uint8_t *out) {
  memcpy(out, v4_tcp, sizeof v4_tcp);
  memcpy(out + 26, v4_tcp + 30, 4);
  memcpy(out + 30, v4_tcp + 26, 4);
  memcpy(out + 34, v4_tcp + 36, 2);
  memcpy(out + 36, v4_tcp + 34, 2);
}

static void test_v4_tcp(void **state) {
  (void)state;
  fs_extractor ex = make(FS_EXTRACT_FIVE_TUPLE);
  fs_extract_result r;
  assert_int_equal(run(&ex, v4_tcp, sizeof v4_tcp, 1, &r), 0);
  /* A is the lower address: 192.0.2.1:80; the packet went B -> A. */
  uint8_t a[4] = {192, 0, 2, 1}, b[4] = {192, 0, 2, 10};
  assert_int_equal(r.key.kind, FS_KEY_FIVE_TUPLE_V4);
  assert_int_equal(r.key.proto, 6);
  assert_memory_equal(r.key.addr_a, a, 4);
  assert_memory_equal(r.key.addr_b, b, 4);
  assert_int_equal(r.key.port_a, 80);
  assert_int_equal(r.key.port_b, 49153);
  uint8_t zero[12] = {0};
  assert_memory_equal(r.key.addr_a + 4, zero, 12); /* unused bytes zero */
  assert_int_equal(r.orientation, FS_ORIENT_B_TO_A);
  assert_int_equal(r.l4proto, 6);
  assert_int_equal(r.ip_version, 4);
  assert_int_equal(r.ip_len, 49);
  assert_true(r.has_tcp);
  assert_int_equal(r.tcp.seq, 1000);
  assert_int_equal(r.tcp.flags, FS_TCP_SYN);
  assert_int_equal(r.tcp.window, 65535);
  assert_int_equal(r.tcp.header_len, 24);
  assert_int_equal(r.tcp.payload_offset, 14 + 20 + 24);
  assert_int_equal(r.tcp.payload_len, 5); /* padding excluded */
  assert_int_equal(r.tcp.payload_wire_len, 5);
  assert_int_equal(r.payload_len, 5);
  assert_memory_equal(r.payload, "hello", 5);
  assert_ptr_equal(r.l3, v4_tcp + 14);
  assert_int_equal(r.l3_len, 49);
  /* The reply gives the same key, the other orientation. */
  uint8_t rev[sizeof v4_tcp];
  reverse_v4(rev);
  fs_extract_result r2;
  assert_int_equal(run(&ex, rev, sizeof rev, 1, &r2), 0);
  assert_true(fs_flow_key_equal(&r.key, &r2.key));
  assert_int_equal(r2.orientation, FS_ORIENT_A_TO_B);
  fs_extract_counters c = {.struct_size = sizeof c};
  assert_int_equal(fs_extractor_counters(&ex, &c), 0);
  assert_int_equal(c.packets, 2);
  assert_int_equal(c.extracted, 2);
  fs_extractor_destroy(&ex);
}

static void test_v6_udp(void **state) {
  (void)state;
  fs_extractor ex = make(FS_EXTRACT_FIVE_TUPLE);
  fs_extract_result r;
  assert_int_equal(run(&ex, v6_udp, sizeof v6_udp, 1, &r), 0);
  assert_int_equal(r.key.kind, FS_KEY_FIVE_TUPLE_V6);
  assert_int_equal(r.key.proto, 17);
  assert_int_equal(r.key.addr_a[15], 1); /* 2001:db8::1 is lower */
  assert_int_equal(r.key.port_a, 5000);
  assert_int_equal(r.key.addr_b[15], 2);
  assert_int_equal(r.key.port_b, 53);
  assert_int_equal(r.orientation, FS_ORIENT_B_TO_A);
  assert_int_equal(r.ip_len, 51);
  assert_int_equal(r.flow_label, 0xabcde);
  assert_int_equal(r.key.flags, 0); /* flow label not in the key by default */
  assert_false(r.has_tcp);
  assert_int_equal(r.payload_len, 3);
  assert_memory_equal(r.payload, "abc", 3);
  fs_extractor_destroy(&ex);
  /* With the flow-label augmentation the label is part of the key. */
  fs_extract_config c;
  fs_extract_config_default(&c);
  c.key_flow_label = 1;
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_extractor_create(&ex, &c, err), 0);
  assert_int_equal(run(&ex, v6_udp, sizeof v6_udp, 1, &r), 0);
  assert_int_equal(r.key.flags, FS_KEYF_FLOW_LABEL);
  assert_int_equal(r.key.extra, 0xabcde);
  fs_extractor_destroy(&ex);
  /* Tunnel id and flow label share one field: asking for both is refused. */
  c.key_tunnel = 1;
  assert_int_equal(fs_extractor_create(&ex, &c, err), FS_E_INVAL);
  assert_non_null(strstr(err, "flow_label"));
}

static void test_unidir_ippair_macpair(void **state) {
  (void)state;
  uint8_t rev[sizeof v4_tcp];
  reverse_v4(rev);
  fs_extract_result r, r2;
  fs_extractor ex = make(FS_EXTRACT_FIVE_TUPLE_UNIDIR);
  assert_int_equal(run(&ex, v4_tcp, sizeof v4_tcp, 1, &r), 0);
  assert_int_equal(run(&ex, rev, sizeof rev, 1, &r2), 0);
  assert_false(fs_flow_key_equal(&r.key, &r2.key));
  assert_int_equal(r.key.flags, FS_KEYF_UNIDIR);
  assert_int_equal(r.key.addr_a[3], 10); /* A is the source */
  assert_int_equal(r.key.port_a, 49153);
  assert_int_equal(r.orientation, FS_ORIENT_A_TO_B);
  fs_extractor_destroy(&ex);

  ex = make(FS_EXTRACT_IP_PAIR);
  assert_int_equal(run(&ex, v4_tcp, sizeof v4_tcp, 1, &r), 0);
  assert_int_equal(r.key.kind, FS_KEY_IP_PAIR_V4);
  assert_int_equal(r.key.port_a, 0);
  assert_int_equal(r.key.port_b, 0);
  assert_int_equal(run(&ex, rev, sizeof rev, 1, &r2), 0);
  assert_true(fs_flow_key_equal(&r.key, &r2.key));
  fs_extractor_destroy(&ex);

  ex = make(FS_EXTRACT_MAC_PAIR);
  assert_int_equal(run(&ex, v4_tcp, sizeof v4_tcp, 1, &r), 0);
  assert_int_equal(r.key.kind, FS_KEY_MAC_PAIR);
  uint8_t m1[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x01};
  assert_memory_equal(r.key.addr_a, m1, 6); /* ...:01 is lower: the destination */
  assert_int_equal(r.orientation, FS_ORIENT_B_TO_A);
  /* ARP has a MAC pair too. */
  assert_int_equal(run(&ex, arp, sizeof arp, 1, &r), 0);
  assert_int_equal(r.key.kind, FS_KEY_MAC_PAIR);
  /* Raw IP has none. */
  assert_int_equal(run(&ex, v4_tcp + 14, sizeof v4_tcp - 14, 12, &r), FS_SKIP_LINKTYPE);
  fs_extractor_destroy(&ex);
}

static void test_skips(void **state) {
  (void)state;
  fs_extractor ex = make(FS_EXTRACT_FIVE_TUPLE);
  fs_extract_result r;
  assert_int_equal(run(&ex, arp, sizeof arp, 1, &r), FS_SKIP_NOT_IP);
  /* Every cut of the TCP frame inside its headers is truncated, never read past. */
  for (uint32_t n = 0; n < 14 + 20 + 24; n++)
    assert_int_equal(run(&ex, v4_tcp, n, 1, &r), FS_SKIP_TRUNCATED);
  /* Cut inside the payload: still a packet, with what was captured. */
  assert_int_equal(run(&ex, v4_tcp, 14 + 20 + 24 + 2, 1, &r), 0);
  assert_int_equal(r.payload_len, 2);
  assert_int_equal(r.tcp.payload_wire_len, 5);
  /* Bad IHL (4 words), bad version, total length below the header. */
  uint8_t bad[sizeof v4_tcp];
  memcpy(bad, v4_tcp, sizeof bad);
  bad[14] = 0x44;
  assert_int_equal(run(&ex, bad, sizeof bad, 1, &r), FS_SKIP_MALFORMED);
  memcpy(bad, v4_tcp, sizeof bad);
  bad[14] = 0x55;
  assert_int_equal(run(&ex, bad, sizeof bad, 1, &r), FS_SKIP_MALFORMED);
  memcpy(bad, v4_tcp, sizeof bad);
  bad[17] = 19;
  assert_int_equal(run(&ex, bad, sizeof bad, 1, &r), FS_SKIP_MALFORMED);
  /* TCP data offset below 5. */
  memcpy(bad, v4_tcp, sizeof bad);
  bad[46] = 0x40;
  assert_int_equal(run(&ex, bad, sizeof bad, 1, &r), FS_SKIP_MALFORMED);
  /* An unknown link type. */
  assert_int_equal(run(&ex, v4_tcp, sizeof v4_tcp, 147, &r), FS_SKIP_LINKTYPE);
  fs_extract_counters c = {.struct_size = sizeof c};
  assert_int_equal(fs_extractor_counters(&ex, &c), 0);
  assert_int_equal(c.last_unknown_link_type, 147);
  assert_int_equal(c.skipped[FS_SKIP_NOT_IP], 1);
  assert_int_equal(c.skipped[FS_SKIP_TRUNCATED], 58);
  assert_int_equal(c.skipped[FS_SKIP_MALFORMED], 4);
  assert_int_equal(c.skipped[FS_SKIP_LINKTYPE], 1);
  uint64_t sum = c.extracted;
  for (int i = 0; i < 32; i++)
    sum += c.skipped[i];
  assert_int_equal(sum, c.packets);
  assert_string_equal(fs_skip_reason_name(FS_SKIP_TRUNCATED), "truncated");
  assert_string_equal(fs_skip_reason_name(99), "unknown");
  fs_extractor_destroy(&ex);
}

/* No allocation per packet: in the plain build this executable interposes
 * malloc/calloc/realloc (glibc exports the real ones as __libc_*) and
 * counts calls while packets are extracted. Under ASan, which owns malloc,
 * the count is not taken. */
#if defined(__SANITIZE_ADDRESS__)
#define FS_COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FS_COUNT_ALLOCS 0
#endif
#endif
#ifndef FS_COUNT_ALLOCS
#define FS_COUNT_ALLOCS 1
#endif

#if FS_COUNT_ALLOCS
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
static unsigned long alloc_calls;
void *malloc(size_t n) {
  alloc_calls++;
  return __libc_malloc(n);
}
void *calloc(size_t n, size_t m) {
  alloc_calls++;
  return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n) {
  alloc_calls++;
  return __libc_realloc(p, n);
}
#endif

static void test_no_allocation_per_packet(void **state) {
  (void)state;
  fs_extractor ex = make(FS_EXTRACT_FIVE_TUPLE);
  fs_extract_result r;
#if FS_COUNT_ALLOCS
  unsigned long before = alloc_calls;
  void *probe = malloc(1); /* the counter works */
  free(probe);
  assert_int_equal(alloc_calls, before + 1);
  before = alloc_calls;
#endif
  for (int i = 0; i < 10000; i++) {
    assert_int_equal(run(&ex, v4_tcp, sizeof v4_tcp, 1, &r), 0);
    assert_int_equal(run(&ex, v6_udp, sizeof v6_udp, 1, &r), 0);
    assert_int_equal(run(&ex, arp, sizeof arp, 1, &r), FS_SKIP_NOT_IP);
  }
#if FS_COUNT_ALLOCS
  assert_int_equal(alloc_calls, before);
#endif
  fs_extractor_destroy(&ex);
}

/* The driver does not clear a result before the built-in extractor fills it
 * (a per-packet cost): every member must be written whatever was there. */
static void test_every_member_written(void **state) {
  (void)state;
  static const uint32_t kinds[] = {FS_EXTRACT_FIVE_TUPLE, FS_EXTRACT_FIVE_TUPLE_UNIDIR,
                                   FS_EXTRACT_IP_PAIR, FS_EXTRACT_MAC_PAIR};
  const struct {
    const uint8_t *f;
    uint32_t len;
  } frames[] = {{v4_tcp, sizeof v4_tcp}, {v6_udp, sizeof v6_udp}};
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    fs_extractor ex = make(kinds[k]);
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
      fs_packet_view v = {.struct_size = sizeof v,
                          .link_type = 1,
                          .data = frames[i].f,
                          .caplen = frames[i].len,
                          .wirelen = frames[i].len,
                          .ts = 1};
      fs_extract_result a, b;
      memset(&a, 0, sizeof a);
      memset(&b, 0xA5, sizeof b);
      a.struct_size = b.struct_size = sizeof a;
      assert_int_equal(ex.ops->extract(ex.self, &v, &a), 0);
      assert_int_equal(ex.ops->extract(ex.self, &v, &b), 0);
      assert_int_equal(a.orientation, b.orientation);
      assert_memory_equal(&a.key, &b.key, sizeof a.key);
      assert_int_equal(a.l4proto, b.l4proto);
      assert_int_equal(a.has_tcp, b.has_tcp);
      assert_memory_equal(&a.tcp, &b.tcp, sizeof a.tcp);
      assert_ptr_equal(a.payload, b.payload);
      assert_int_equal(a.payload_len, b.payload_len);
      assert_int_equal(a.ip_len, b.ip_len);
      assert_int_equal(a.ip_version, b.ip_version);
      assert_int_equal(a.encap, b.encap);
      assert_int_equal(a.n_vlans, b.n_vlans);
      assert_memory_equal(a.vlans, b.vlans, sizeof a.vlans);
      assert_int_equal(a.tunnel_id, b.tunnel_id);
      assert_int_equal(a.icmp_type_code, b.icmp_type_code);
      assert_memory_equal(a.tunnel_src, b.tunnel_src, 16);
      assert_memory_equal(a.tunnel_dst, b.tunnel_dst, 16);
      assert_int_equal(a.tunnel_ip_version, b.tunnel_ip_version);
      assert_int_equal(a.flow_label, b.flow_label);
      assert_ptr_equal(a.l3, b.l3);
      assert_int_equal(a.l3_len, b.l3_len);
      assert_int_equal(b.reserved0, 0);
    }
    fs_extractor_destroy(&ex);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_v4_tcp),
      cmocka_unit_test(test_v6_udp),
      cmocka_unit_test(test_unidir_ippair_macpair),
      cmocka_unit_test(test_skips),
      cmocka_unit_test(test_no_allocation_per_packet),
      cmocka_unit_test(test_every_member_written),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
