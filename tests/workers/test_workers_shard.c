/* SPDX-License-Identifier: MIT */
/* Sharding: both directions of a flow, every fragment of a datagram (IPv4
 * and IPv6) and tunnelled flows seen through different outer headers land
 * on one worker, for every worker count. Frames are built here byte by byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "flowscope/workers.h"

typedef struct frame {
  uint8_t b[256];
  uint32_t len;
} frame;

static void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

/* Ethernet header: destination, source, EtherType. */
static void eth(frame *f, uint32_t type) {
  static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
  memcpy(f->b + f->len, macs, 12);
  put16(f->b + f->len + 12, type);
  f->len += 14;
}

/* IPv4 header (RFC 791), no options; checksum left 0 (not verified by default). */
static void ipv4(frame *f, const uint8_t src[4], const uint8_t dst[4], uint32_t proto,
                 uint32_t payload_len, uint32_t id, uint32_t more, uint32_t frag_off_bytes) {
  uint8_t *p = f->b + f->len;
  p[0] = 0x45;                                              /* version 4, IHL 5 */
  p[1] = 0;                                                 /* DSCP/ECN */
  put16(p + 2, 20 + payload_len);                           /* total length */
  put16(p + 4, id);                                         /* identification */
  put16(p + 6, (more ? 0x2000u : 0u) | frag_off_bytes / 8); /* MF + offset in 8-byte units */
  p[8] = 64;                                                /* TTL */
  p[9] = (uint8_t)proto;
  put16(p + 10, 0);
  memcpy(p + 12, src, 4);
  memcpy(p + 16, dst, 4);
  f->len += 20;
}

/* UDP header (RFC 768): ports, length of header + data, checksum 0 (none). */
static void udp(frame *f, uint32_t sp, uint32_t dp, uint32_t datagram_payload) {
  uint8_t *p = f->b + f->len;
  put16(p, sp);
  put16(p + 2, dp);
  put16(p + 4, 8 + datagram_payload);
  put16(p + 6, 0);
  f->len += 8;
}

/* Minimal TCP header (RFC 9293): ports, seq, ack, offset 5, flags ACK. */
static void tcp(frame *f, uint32_t sp, uint32_t dp) {
  uint8_t *p = f->b + f->len;
  memset(p, 0, 20);
  put16(p, sp);
  put16(p + 2, dp);
  p[12] = 5 << 4;
  p[13] = 0x10;
  put16(p + 14, 1024);
  f->len += 20;
}

static void pad(frame *f, uint32_t n) {
  memset(f->b + f->len, 0xab, n);
  f->len += n;
}

static fs_packet_view view(const frame *f, uint32_t wirelen) {
  fs_packet_view v;
  memset(&v, 0, sizeof v);
  v.struct_size = sizeof v;
  v.link_type = 1;
  v.data = f->b;
  v.caplen = f->len;
  v.wirelen = wirelen ? wirelen : f->len;
  v.ts = 1;
  return v;
}

static fs_workers *make(uint32_t n, uint32_t mode) {
  fs_workers_config c;
  fs_workers_config_default(&c);
  c.n_workers = n;
  c.shard = mode;
  c.ring_bytes = 1u << 16;
  c.ring_packets = 16;
  c.event_queue = 16;
  c.driver.tracker.max_flows = 64;
  fs_workers *w = NULL;
  char err[FS_ERRBUF_SIZE] = "";
  assert_int_equal(fs_workers_create(&w, &c, err), 0);
  return w;
}

/* Five frames of one UDP flow between a and b: a fragmented datagram a->b
 * (first fragment: UDP header + 1472 bytes at offset 0 with MF; second: the
 * remaining 528 bytes at offset 1480), and whole datagrams both ways. The
 * fragments are truncated in the capture (caplen 80), as snaplen would do. */
static void udp_flow_frames(frame fr[5], const uint8_t a[4], const uint8_t b[4], uint32_t sp,
                            uint32_t dp) {
  memset(fr, 0, 5 * sizeof *fr);
  eth(&fr[0], 0x0800);
  ipv4(&fr[0], a, b, 17, 1480, 77, 1, 0);
  udp(&fr[0], sp, dp, 2000);
  pad(&fr[0], 20);
  eth(&fr[1], 0x0800);
  ipv4(&fr[1], a, b, 17, 528, 77, 0, 1480);
  pad(&fr[1], 40);
  eth(&fr[2], 0x0800);
  ipv4(&fr[2], b, a, 17, 8 + 10, 900, 0, 0);
  udp(&fr[2], dp, sp, 10);
  pad(&fr[2], 10);
  eth(&fr[3], 0x0800);
  ipv4(&fr[3], a, b, 17, 8 + 10, 78, 0, 0);
  udp(&fr[3], sp, dp, 10);
  pad(&fr[3], 10);
  /* IPv4 TCP frame between the same hosts, other ports: same IP pair. */
  eth(&fr[4], 0x0800);
  ipv4(&fr[4], b, a, 6, 20, 901, 0, 0);
  tcp(&fr[4], 443, 40000);
}

static const uint32_t k_counts[] = {2, 3, 4, 5, 7, 8, 16};

static void test_fragmented_flow_one_worker(void **state) {
  (void)state;
  for (size_t c = 0; c < sizeof k_counts / sizeof k_counts[0]; c++) {
    fs_workers *w = make(k_counts[c], FS_SHARD_IP_PAIR);
    uint32_t used = 0;
    for (uint32_t flow = 0; flow < 200; flow++) {
      uint8_t a[4] = {10, 1, (uint8_t)(flow >> 8), (uint8_t)flow};
      uint8_t b[4] = {192, 0, 2, (uint8_t)(flow * 7)};
      frame fr[5];
      udp_flow_frames(fr, a, b, 5000 + flow, 53);
      uint32_t wirelen0 = 14 + 20 + 1480;
      fs_packet_view v0 = view(&fr[0], wirelen0);
      uint32_t first = fs_workers_shard(w, &v0);
      assert_true(first < k_counts[c]);
      used |= 1u << first;
      for (int i = 1; i < 5; i++) {
        fs_packet_view v = view(&fr[i], i == 1 ? 14 + 20 + 528 : 0);
        assert_int_equal(fs_workers_shard(w, &v), first);
      }
    }
    /* 200 flows over N workers: every worker gets some (not one constant). */
    assert_int_equal(used, (k_counts[c] == 32 ? 0xffffffffu : (1u << k_counts[c]) - 1));
    fs_workers_destroy(w);
  }
}

/* In five-tuple mode, fragments still agree with each other and both
 * directions agree; different ports of one IP pair spread out. */
static void test_five_tuple_mode(void **state) {
  (void)state;
  fs_workers *w = make(4, FS_SHARD_FIVE_TUPLE);
  fs_workers *wp = make(4, FS_SHARD_IP_PAIR);
  uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
  uint32_t used = 0, used_pair = 0;
  for (uint32_t port = 0; port < 64; port++) {
    frame fr[5];
    udp_flow_frames(fr, a, b, 1000 + port, 2000);
    fs_packet_view v0 = view(&fr[0], 14 + 20 + 1480), v1 = view(&fr[1], 14 + 20 + 528);
    assert_int_equal(fs_workers_shard(w, &v0), fs_workers_shard(w, &v1));
    fs_packet_view v2 = view(&fr[2], 0), v3 = view(&fr[3], 0);
    assert_int_equal(fs_workers_shard(w, &v2), fs_workers_shard(w, &v3));
    used |= 1u << fs_workers_shard(w, &v3);
    used_pair |= 1u << fs_workers_shard(wp, &v3);
  }
  assert_int_equal(used, 0xf);
  assert_int_equal(__builtin_popcount(used_pair), 1);
  fs_workers_destroy(w);
  fs_workers_destroy(wp);
}

/* IPv6 (RFC 8200): a fragmented UDP datagram (Fragment header, next header
 * 44) and an unfragmented reply reach the same worker. */
static void ipv6(frame *f, const uint8_t src[16], const uint8_t dst[16], uint32_t next,
                 uint32_t payload_len) {
  uint8_t *p = f->b + f->len;
  p[0] = 0x60; /* version 6 */
  p[1] = p[2] = p[3] = 0;
  put16(p + 4, payload_len);
  p[6] = (uint8_t)next;
  p[7] = 64;
  memcpy(p + 8, src, 16);
  memcpy(p + 24, dst, 16);
  f->len += 40;
}

static void frag6(frame *f, uint32_t next, uint32_t off_bytes, uint32_t more, uint32_t id) {
  uint8_t *p = f->b + f->len;
  p[0] = (uint8_t)next;
  p[1] = 0;
  put16(p + 2, off_bytes | (more ? 1u : 0u)); /* offset (8-byte units << 3) | M */
  p[4] = (uint8_t)(id >> 24);
  p[5] = (uint8_t)(id >> 16);
  p[6] = (uint8_t)(id >> 8);
  p[7] = (uint8_t)id;
  f->len += 8;
}

static void test_ipv6_fragments(void **state) {
  (void)state;
  for (size_t c = 0; c < sizeof k_counts / sizeof k_counts[0]; c++) {
    fs_workers *w = make(k_counts[c], FS_SHARD_IP_PAIR);
    for (uint32_t flow = 0; flow < 50; flow++) {
      uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (uint8_t)flow};
      uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
      frame f0, f1, f2;
      memset(&f0, 0, sizeof f0);
      memset(&f1, 0, sizeof f1);
      memset(&f2, 0, sizeof f2);
      eth(&f0, 0x86dd); /* first fragment: Fragment header + UDP header + data */
      ipv6(&f0, a, b, 44, 8 + 1232);
      frag6(&f0, 17, 0, 1, 0x1000 + flow);
      udp(&f0, 7000, 7001, 3000);
      pad(&f0, 16);
      eth(&f1, 0x86dd); /* a later fragment: no UDP header */
      ipv6(&f1, a, b, 44, 8 + 800);
      frag6(&f1, 17, 1232, 0, 0x1000 + flow);
      pad(&f1, 16);
      eth(&f2, 0x86dd); /* the reply, whole */
      ipv6(&f2, b, a, 17, 8 + 4);
      udp(&f2, 7001, 7000, 4);
      pad(&f2, 4);
      fs_packet_view v0 = view(&f0, 14 + 40 + 8 + 1232), v1 = view(&f1, 14 + 40 + 8 + 800),
                     v2 = view(&f2, 0);
      uint32_t s0 = fs_workers_shard(w, &v0);
      assert_int_equal(fs_workers_shard(w, &v1), s0);
      assert_int_equal(fs_workers_shard(w, &v2), s0);
    }
    fs_workers_destroy(w);
  }
}

/* VXLAN (RFC 7348): the same inner TCP flow seen through two different
 * outer headers (each direction has its own outer source port, as VTEPs
 * pick entropy ports) lands on one worker: the inner pair is hashed. */
static void vxlan_frame(frame *f, const uint8_t osrc[4], const uint8_t odst[4], uint32_t osport,
                        const uint8_t isrc[4], const uint8_t idst[4], uint32_t isp, uint32_t idp) {
  memset(f, 0, sizeof *f);
  eth(f, 0x0800);
  uint32_t inner = 14 + 20 + 20;
  ipv4(f, osrc, odst, 17, 8 + 8 + inner, 1, 0, 0);
  udp(f, osport, 4789, 8 + inner);
  uint8_t *v = f->b + f->len; /* VXLAN: flags (I bit), reserved, VNI 0x000123, reserved */
  memset(v, 0, 8);
  v[0] = 0x08;
  v[4] = 0x00;
  v[5] = 0x01;
  v[6] = 0x23;
  f->len += 8;
  eth(f, 0x0800);
  ipv4(f, isrc, idst, 6, 20, 2, 0, 0);
  tcp(f, isp, idp);
}

static void test_tunnel_inner_headers(void **state) {
  (void)state;
  for (size_t c = 0; c < sizeof k_counts / sizeof k_counts[0]; c++) {
    fs_workers *w = make(k_counts[c], FS_SHARD_IP_PAIR);
    for (uint32_t flow = 0; flow < 50; flow++) {
      uint8_t vt1[4] = {192, 168, 0, 1}, vt2[4] = {192, 168, 0, (uint8_t)(2 + flow)};
      uint8_t h1[4] = {10, 9, 9, (uint8_t)flow}, h2[4] = {10, 9, 8, 7};
      frame f0, f1;
      vxlan_frame(&f0, vt1, vt2, 49152 + flow, h1, h2, 1234, 80);
      vxlan_frame(&f1, vt2, vt1, 60000 - flow, h2, h1, 80, 1234);
      fs_packet_view v0 = view(&f0, 0), v1 = view(&f1, 0);
      assert_int_equal(fs_workers_shard(w, &v0), fs_workers_shard(w, &v1));
      /* The inner packet alone, unencapsulated, goes to the same worker. */
      frame plain;
      memset(&plain, 0, sizeof plain);
      eth(&plain, 0x0800);
      ipv4(&plain, h1, h2, 6, 20, 3, 0, 0);
      tcp(&plain, 1234, 80);
      fs_packet_view vp = view(&plain, 0);
      assert_int_equal(fs_workers_shard(w, &vp), fs_workers_shard(w, &v0));
    }
    fs_workers_destroy(w);
  }
}

static void test_bad_config(void **state) {
  (void)state;
  fs_workers_config c;
  fs_workers_config_default(&c);
  fs_workers *w = NULL;
  char err[FS_ERRBUF_SIZE] = "";
  c.n_workers = 0;
  assert_int_equal(fs_workers_create(&w, &c, err), FS_E_INVAL);
  assert_non_null(strstr(err, "n_workers"));
  fs_workers_config_default(&c);
  c.ring_packets = 1000; /* not a power of two */
  assert_int_equal(fs_workers_create(&w, &c, err), FS_E_INVAL);
  fs_workers_config_default(&c);
  c.shard = FS_SHARD_CUSTOM; /* without a function */
  assert_int_equal(fs_workers_create(&w, &c, err), FS_E_INVAL);
  assert_null(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fragmented_flow_one_worker),
      cmocka_unit_test(test_five_tuple_mode),
      cmocka_unit_test(test_ipv6_fragments),
      cmocka_unit_test(test_tunnel_inner_headers),
      cmocka_unit_test(test_bad_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
