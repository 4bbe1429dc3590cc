/* SPDX-License-Identifier: MIT */
/* Encapsulations, each a hand-built outer stack in front of the shared
 * inner packets: 802.1Q/QinQ/0x9100, PBB, MPLS (+ pseudowire), PPPoE,
 * VXLAN, GTP-U (with extension headers), GRE (key, sequence, checksum,
 * TEB, PPTP), ERSPAN I/II/III, IP-in-IP, IPv6-in-IPv4, Geneve, GRE-in-UDP,
 * AYIYA, Teredo (on and off its port), Cisco FabricPath and VN-Tag, Aruba
 * GRE with 802.11 inside; encapsulation modes, keys with VLAN ids and tunnel ids, depth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decode_frames.h"

static uint8_t f[512];

/* Outer Ethernet, ethertype IPv4. */
static const uint8_t OUTER_ETH[14] = {0x02, 0, 0, 0, 0, 0x0b, 0x02, 0, 0, 0, 0, 0x0a, 0x08, 0x00};

static fs_extract_config cfg_default(void) {
  fs_extract_config c;
  fs_extract_config_default(&c);
  return c;
}

static int run_cfg(const fs_extract_config *c, const uint8_t *fr, size_t n, fs_extract_result *r) {
  fs_extractor ex = make_extractor(c);
  int rc = extract_frame(&ex, 1, fr, n, 1, r);
  expect_balanced(&ex);
  fs_extractor_destroy(&ex);
  return rc;
}

static int run(const uint8_t *fr, size_t n, fs_extract_result *r) {
  return run_cfg(NULL, fr, n, r);
}

static void test_vlan(void **state) {
  (void)state;
  static const uint8_t dot1q[18] = {
      0x02, 0,    0,    0,    0, 0x02, 0x02, 0, 0, 0, 0, 0x01, /* MACs */
      0x81, 0x00, 0x20, 0x64,                                  /* 802.1Q, PCP 1, VID 100 */
      0x08, 0x00                                               /* IPv4 */
  };
  fs_extract_result r;
  size_t n = cat(f, 2, PART(dot1q), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
  assert_int_equal(r.encap, FS_ENCAP_VLAN);
  assert_int_equal(r.n_vlans, 1);
  assert_int_equal(r.vlans[0], 100);
  assert_int_equal(r.key.flags, 0); /* VLAN not in the key by default */

  static const uint8_t qinq[22] = {
      0x02, 0,    0,    0,    0, 0x02, 0x02, 0, 0, 0, 0, 0x01, /* MACs */
      0x88, 0xa8, 0x00, 0x0a,                                  /* 802.1ad S-tag, VID 10 */
      0x81, 0x00, 0x00, 0x14,                                  /* 802.1Q C-tag, VID 20 */
      0x08, 0x00                                               /* IPv4 */
  };
  n = cat(f, 2, PART(qinq), PART(INNER_V4_UDP));
  fs_extract_config c = cfg_default();
  c.key_vlan = 1;
  assert_int_equal(run_cfg(&c, f, n, &r), 0);
  expect_inner_v4_udp(&r);
  assert_int_equal(r.n_vlans, 2);
  assert_int_equal(r.vlans[0], 10);
  assert_int_equal(r.vlans[1], 20);
  assert_int_equal(r.key.flags, FS_KEYF_VLAN);
  assert_int_equal(r.key.zone, (10u << 12) | 20u);
  fs_flow_key k_qinq = r.key;
  /* The same inner five-tuple on VLAN 100 is another flow when VLANs are keyed... */
  n = cat(f, 2, PART(dot1q), PART(INNER_V4_UDP));
  assert_int_equal(run_cfg(&c, f, n, &r), 0);
  assert_int_equal(r.key.zone, 100);
  assert_false(fs_flow_key_equal(&k_qinq, &r.key));
  /* ...and the same flow when they are not. */
  fs_flow_key k1 = r.key;
  (void)k1;
  fs_extract_result r2;
  assert_int_equal(run(f, n, &r), 0);
  n = cat(f, 2, PART(qinq), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r2), 0);
  assert_true(fs_flow_key_equal(&r.key, &r2.key));

  /* Five stacked tags (0x88a8, 0x9100, 0x8100 x3): all passed, four kept. */
  static const uint8_t five[34] = {
      0x02, 0,    0,    0,    0,    0x02, 0x02, 0,    0, 0, 0, 0x01, /* MACs */
      0x88, 0xa8, 0x00, 0x01, 0x91, 0x00, 0x00, 0x02, /* VID 1, VID 2 (old QinQ type) */
      0x81, 0x00, 0x00, 0x03, 0x81, 0x00, 0x00, 0x04, /* VID 3, VID 4 */
      0x81, 0x00, 0x00, 0x05, 0x08, 0x00              /* VID 5, IPv4 */
  };
  n = cat(f, 2, PART(five), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
  assert_int_equal(r.n_vlans, 4);
  assert_int_equal(r.vlans[0], 1);
  assert_int_equal(r.vlans[3], 4);
  /* A tag cut short. */
  assert_int_equal(run(f, 16, &r), FS_SKIP_TRUNCATED);
  /* When VLANs are not among the selected layers, a tagged frame is unsupported. */
  c = cfg_default();
  c.encap_mode = FS_ENCAP_MODE_SELECTED;
  c.encap_layers = FS_ENCAP_MPLS;
  assert_int_equal(run_cfg(&c, f, n, &r), FS_SKIP_UNSUPPORTED);
  /* Nesting is bounded: 5 tags with max_depth 3. */
  c = cfg_default();
  c.max_depth = 3;
  assert_int_equal(run_cfg(&c, f, n, &r), FS_SKIP_TOO_DEEP);
}

static void test_pbb(void **state) {
  (void)state;
  static const uint8_t pbb[32] = {
      0x02, 0,    0,    0,    0, 0x02, 0x02, 0, 0, 0, 0, 0x01, /* backbone MACs */
      0x88, 0xe7,                                              /* 802.1ah I-TAG */
      0x00, 0x00, 0x00, 0x01,                                  /* flags, I-SID 1 */
      0x02, 0,    0,    0,    0, 0x04, 0x02, 0, 0, 0, 0, 0x03, /* customer MACs */
      0x08, 0x00                                               /* IPv4 */
  };
  fs_extract_result r;
  size_t n = cat(f, 2, PART(pbb), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
}

static void test_mpls(void **state) {
  (void)state;
  static const uint8_t mpls2[22] = {
      0x02, 0,    0,    0,    0, 0x02, 0x02, 0, 0, 0, 0, 0x01, /* MACs */
      0x88, 0x47,                                              /* MPLS unicast */
      0x00, 0x01, 0x00, 0x40, /* label 16, TC 0, not bottom, TTL 64 */
      0x00, 0x01, 0x11, 0x40  /* label 17, bottom of stack, TTL 64 */
  };
  fs_extract_result r;
  size_t n = cat(f, 2, PART(mpls2), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
  assert_int_equal(r.encap, FS_ENCAP_MPLS);
  /* The inner protocol is guessed from the first nibble: IPv6 too. */
  n = cat(f, 2, PART(mpls2), PART(INNER_V6_TCP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v6_tcp(&r);
  /* A stack that never reaches bottom runs out of bytes. */
  static const uint8_t endless[22] = {
      0x02, 0,    0,    0,    0,    0x02, 0x02, 0,    0,    0,   0, 0x01,
      0x88, 0x47, 0x00, 0x01, 0x00, 0x40, 0x00, 0x01, 0x00, 0x40 /* two labels, neither bottom */
  };
  assert_int_equal(run(endless, sizeof endless, &r), FS_SKIP_TRUNCATED);
  /* Ethernet pseudowire (RFC 4448): bottom label, control word, Ethernet. */
  static const uint8_t pw[22] = {
      0x02, 0,    0,    0,    0,    0x02, 0x02, 0,    0,
      0,    0,    0x01, 0x88, 0x47, 0x00, 0x02, 0x01, 0x40, /* label 32, bottom, TTL 64 */
      0x00, 0x00, 0x00, 0x00                                /* control word */
  };
  n = cat(f, 3, PART(pw), PART(ETH_V4), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
}

static void test_pppoe(void **state) {
  (void)state;
  static const uint8_t pppoe[22] = {
      0x02, 0,    0,    0,    0, 0x02, 0x02, 0, 0, 0, 0, 0x01, /* MACs */
      0x88, 0x64,                                              /* PPPoE session */
      0x11, 0x00, 0x00, 0x07, /* version/type 1/1, code 0, session 7 */
      0x00, 0x3e,             /* length 62 = 2 + 60 */
      0x00, 0x57              /* PPP protocol IPv6 */
  };
  fs_extract_result r;
  size_t n = cat(f, 2, PART(pppoe), PART(INNER_V6_TCP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v6_tcp(&r);
}

/* Outer IPv4 192.0.2.1 -> 192.0.2.2, UDP 12345 -> 4789, VXLAN VNI 0x123456. */
static const uint8_t VXLAN_OUTER[36] = {
    0x45, 0x00, 0x00, 0x50, /* IPv4, total 80 = 20 + 8 UDP + 8 VXLAN + 14 + 30 */
    0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, /* id 1, TTL 64, UDP */
    192,  0,    2,    1,    192,  0,    2,    2,    /* 192.0.2.1 -> 192.0.2.2 */
    0x30, 0x39, 0x12, 0xb5,                         /* source port 12345, destination port 4789 */
    0x00, 0x3c, 0x00, 0x00,                         /* UDP length 60 */
    0x08, 0x00, 0x00, 0x00,                         /* VXLAN flags: I (VNI valid) */
    0x12, 0x34, 0x56, 0x00                          /* VNI 0x123456, reserved */
};

static void test_vxlan(void **state) {
  (void)state;
  fs_extract_result r;
  size_t n = cat(f, 4, PART(OUTER_ETH), PART(VXLAN_OUTER), PART(ETH_V4), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
  assert_int_equal(r.encap, FS_ENCAP_VXLAN);
  assert_int_equal(r.tunnel_id, 0x123456);
  assert_int_equal(r.tunnel_ip_version, 4);
  const uint8_t ts[4] = {192, 0, 2, 1}, td[4] = {192, 0, 2, 2};
  assert_memory_equal(r.tunnel_src, ts, 4);
  assert_memory_equal(r.tunnel_dst, td, 4);
  assert_int_equal(r.key.flags, 0);
  /* Tunnel id in the key on request. */
  fs_extract_config c = cfg_default();
  c.key_tunnel = 1;
  assert_int_equal(run_cfg(&c, f, n, &r), 0);
  assert_int_equal(r.key.flags, FS_KEYF_TUNNEL);
  assert_int_equal(r.key.extra, 0x123456);
  /* Outer mode keys the outer UDP flow. */
  c = cfg_default();
  c.encap_mode = FS_ENCAP_MODE_OUTER;
  assert_int_equal(run_cfg(&c, f, n, &r), 0);
  assert_int_equal(r.key.proto, 17);
  assert_int_equal(r.key.addr_a[3], 1);
  assert_int_equal(r.key.port_a, 12345);
  assert_int_equal(r.key.port_b, 4789);
  assert_int_equal(r.encap, 0);
  assert_int_equal(r.payload_len, 8 + 14 + 30);
  /* Selected layers without VXLAN: the outer flow too. */
  c = cfg_default();
  c.encap_mode = FS_ENCAP_MODE_SELECTED;
  c.encap_layers = FS_ENCAP_VLAN | FS_ENCAP_GTPU;
  assert_int_equal(run_cfg(&c, f, n, &r), 0);
  assert_int_equal(r.key.port_b, 4789);
  /* An inner frame cut inside its IP header. */
  assert_int_equal(run(f, n - 20, &r), FS_SKIP_TRUNCATED);
  /* Nesting bounded. */
  c = cfg_default();
  c.max_depth = 1; /* the VXLAN layer is 1; the inner nothing: fine */
  assert_int_equal(run_cfg(&c, f, n, &r), 0);
}

static void test_gtpu(void **state) {
  (void)state;
  static const uint8_t gtp[44] = {
      0x45, 0x00, 0x00, 0x4a,                         /* IPv4, total 74 = 20 + 8 + 16 GTP + 30 */
      0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, /* TTL 64, UDP */
      192,  0,    2,    1,    192,  0,    2,    2,    /* addresses */
      0x08, 0x68, 0x08, 0x68,                         /* ports 2152 -> 2152 */
      0x00, 0x36, 0x00, 0x00,                         /* UDP length 54 */
      0x34, 0xff, 0x00, 0x26, /* GTPv1, PT=1, E=1; G-PDU; length 38 = 4 + 4 + 30 */
      0x11, 0x22, 0x33, 0x44, /* TEID */
      0x00, 0x00, 0x00, 0x85, /* sequence, N-PDU, next extension: PDU session container */
      0x01, 0x00, 0x09, 0x00  /* extension: length 1 (4 bytes), content, next: none */
  };
  fs_extract_result r;
  size_t n = cat(f, 3, PART(OUTER_ETH), PART(gtp), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
  assert_int_equal(r.encap, FS_ENCAP_GTPU);
  assert_int_equal(r.tunnel_id, 0x11223344);
  /* An extension header of length 0 is malformed. */
  uint8_t bad[sizeof gtp];
  memcpy(bad, gtp, sizeof gtp);
  bad[40] = 0x00;
  n = cat(f, 3, PART(OUTER_ETH), PART(bad), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), FS_SKIP_MALFORMED);
  /* An echo request carries no user packet: it is the outer UDP flow. */
  static const uint8_t echo[40] = {
      0x45, 0x00, 0x00, 0x28, /* total 40 = 20 + 8 + 12 */
      0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, 192,  0,    2,    1, 192,
      0,    2,    2,    0x08, 0x68, 0x08, 0x68, 0x00, 0x14, 0x00, 0x00, /* 2152 -> 2152, UDP length
                                                                           20 */
      0x32, 0x01, 0x00, 0x04, /* GTPv1, PT, S; echo request; length 4 */
      0x00, 0x00, 0x00, 0x00, /* TEID 0 */
      0x00, 0x01, 0x00, 0x00  /* sequence 1, N-PDU, next 0 */
  };
  n = cat(f, 2, PART(OUTER_ETH), PART(echo));
  assert_int_equal(run(f, n, &r), 0);
  assert_int_equal(r.key.proto, 17);
  assert_int_equal(r.key.port_a, 2152);
  assert_int_equal(r.encap, 0);
}

static void test_gre(void **state) {
  (void)state;
  fs_extract_result r;
  /* GRE with key and sequence number, IPv4 inside. */
  static const uint8_t gre_ks[32] = {
      0x45, 0x00, 0x00, 0x3e,                         /* total 62 = 20 + 12 GRE + 30 */
      0x00, 0x01, 0x00, 0x00, 0x40, 0x2f, 0x00, 0x00, /* TTL 64, protocol 47 (GRE) */
      192,  0,    2,    1,    192,  0,    2,    2,
      0x30, 0x00, 0x08, 0x00, /* K and S bits, version 0; protocol IPv4 */
      0x00, 0x00, 0xab, 0xcd, /* key 0xabcd */
      0x00, 0x00, 0x00, 0x01  /* sequence 1 */
  };
  size_t n = cat(f, 3, PART(OUTER_ETH), PART(gre_ks), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
  assert_int_equal(r.encap, FS_ENCAP_GRE);
  assert_int_equal(r.tunnel_id, 0xabcd);
  /* GRE with checksum, IPv6 inside. */
  static const uint8_t gre_c[28] = {
      0x45, 0x00, 0x00, 0x58, /* total 88 = 20 + 8 + 60 */
      0x00, 0x01, 0x00, 0x00, 0x40, 0x2f, 0x00, 0x00, 192,  0,
      2,    1,    192,  0,    2,    2,    0x80, 0x00, 0x86, 0xdd, /* C bit; protocol IPv6 */
      0x00, 0x00, 0x00, 0x00                                      /* checksum, reserved */
  };
  n = cat(f, 3, PART(OUTER_ETH), PART(gre_c), PART(INNER_V6_TCP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v6_tcp(&r);
  assert_int_equal(r.tunnel_id, 0);
  /* Transparent Ethernet bridging. */
  static const uint8_t gre_teb[28] = {
      0x45, 0x00, 0x00, 0x48, /* total 72 = 20 + 8 + 14 + 30 */
      0x00, 0x01, 0x00, 0x00, 0x40, 0x2f, 0x00, 0x00, 192,  0,
      2,    1,    192,  0,    2,    2,    0x20, 0x00, 0x65, 0x58, /* K bit; protocol 0x6558 (TEB) */
      0x00, 0x00, 0x00, 0x05                                      /* key 5 */
  };
  n = cat(f, 4, PART(OUTER_ETH), PART(gre_teb), PART(ETH_V4), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
  assert_int_equal(r.tunnel_id, 5);
  /* GRE version 1 (PPTP) with sequence and acknowledgement, PPP inside. */
  static const uint8_t pptp[40] = {
      0x45, 0x00, 0x00, 0x46, /* total 70 = 20 + 16 GRE + 4 PPP + 30 */
      0x00, 0x01, 0x00, 0x00, 0x40, 0x2f, 0x00, 0x00, 192,  0, 2,
      1,    192,  0,    2,    2,    0x30, 0x81, 0x88, 0x0b, /* K, S, A, version 1; protocol PPP */
      0x00, 0x22, 0x00, 0x09,                               /* payload length 34, call id 9 */
      0x00, 0x00, 0x00, 0x02,                               /* sequence 2 */
      0x00, 0x00, 0x00, 0x01,                               /* acknowledgement 1 */
      0xff, 0x03, 0x00, 0x21 /* PPP address, control, protocol IPv4 */
  };
  n = cat(f, 3, PART(OUTER_ETH), PART(pptp), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
  /* Routing present (RFC 1701) is not supported; GRE version 2 neither. */
  uint8_t bad[sizeof gre_ks];
  memcpy(bad, gre_ks, sizeof bad);
  bad[20] = 0x40;
  n = cat(f, 3, PART(OUTER_ETH), PART(bad), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), FS_SKIP_UNSUPPORTED);
  memcpy(bad, gre_ks, sizeof bad);
  bad[21] = 0x02;
  n = cat(f, 3, PART(OUTER_ETH), PART(bad), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), FS_SKIP_UNSUPPORTED);
  /* Outer mode keys the GRE packet on its addresses and protocol 47. */
  fs_extract_config c = cfg_default();
  c.encap_mode = FS_ENCAP_MODE_OUTER;
  n = cat(f, 3, PART(OUTER_ETH), PART(gre_ks), PART(INNER_V4_UDP));
  assert_int_equal(run_cfg(&c, f, n, &r), 0);
  assert_int_equal(r.key.proto, 47);
  assert_int_equal(r.key.port_a, 0);
}

static void test_erspan(void **state) {
  (void)state;
  fs_extract_result r;
  static const uint8_t type1[24] = {
      0x45, 0x00, 0x00, 0x44, /* total 68 = 20 + 4 + 14 + 30 */
      0x00, 0x01, 0x00, 0x00, 0x40, 0x2f, 0x00, 0x00, 192, 0, 2,
      1,    192,  0,    2,    2,    0x00, 0x00, 0x88, 0xbe /* no flags; protocol 0x88be without S:
                                                              ERSPAN type I */
  };
  size_t n = cat(f, 4, PART(OUTER_ETH), PART(type1), PART(ETH_V4), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
  assert_int_equal(r.encap, FS_ENCAP_GRE | FS_ENCAP_ERSPAN);
  static const uint8_t type2[36] = {
      0x45, 0x00, 0x00, 0x50, /* total 80 = 20 + 8 + 8 + 14 + 30 */
      0x00, 0x01, 0x00, 0x00, 0x40, 0x2f, 0x00, 0x00, 192,  0,
      2,    1,    192,  0,    2,    2,    0x10, 0x00, 0x88, 0xbe, /* S bit; ERSPAN type II */
      0x00, 0x00, 0x00, 0x07,                                     /* sequence 7 */
      0x10, 0x64, 0x00, 0x01, /* version 1, VLAN 100, COS/En/T 0, session 1 */
      0x00, 0x00, 0x00, 0x00  /* reserved, index */
  };
  n = cat(f, 4, PART(OUTER_ETH), PART(type2), PART(ETH_V4), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
  static const uint8_t type3[48] = {
      0x45, 0x00, 0x00, 0x5c, /* total 92 = 20 + 8 + 20 + 14 + 30 */
      0x00, 0x01, 0x00, 0x00, 0x40, 0x2f, 0x00, 0x00, 192,  0,
      2,    1,    192,  0,    2,    2,    0x10, 0x00, 0x22, 0xeb, /* S bit; ERSPAN type III */
      0x00, 0x00, 0x00, 0x07,                                     /* sequence 7 */
      0x20, 0x00, 0x00, 0x01,                                     /* version 2, VLAN 0, session 1 */
      0x00, 0x00, 0x00, 0x10,                                     /* timestamp */
      0x00, 0x00, 0x00, 0x01,                        /* SGT 0, P/FT/HW id/D/Gra 0, O = 1 */
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 /* platform-specific sub-header */
  };
  n = cat(f, 4, PART(OUTER_ETH), PART(type3), PART(ETH_V4), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
  /* ERSPAN III header cut short. */
  assert_int_equal(run(f, 14 + 24 + 8, &r), FS_SKIP_TRUNCATED);
}

static void test_ip_in_ip(void **state) {
  (void)state;
  fs_extract_result r;
  static const uint8_t ipip[20] = {
      0x45, 0x00, 0x00, 0x32,                         /* total 50 = 20 + 30 */
      0x00, 0x01, 0x00, 0x00, 0x40, 0x04, 0x00, 0x00, /* TTL 64, protocol 4 (IPv4) */
      192,  0,    2,    1,    192,  0,    2,    2};
  size_t n = cat(f, 3, PART(OUTER_ETH), PART(ipip), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
  assert_int_equal(r.encap, FS_ENCAP_IPIP);
  assert_int_equal(r.tunnel_ip_version, 4);
  static const uint8_t six_in_four[20] = {
      0x45, 0x00, 0x00, 0x50,                         /* total 80 = 20 + 60 */
      0x00, 0x01, 0x00, 0x00, 0x40, 0x29, 0x00, 0x00, /* protocol 41 (IPv6) */
      192,  0,    2,    1,    192,  0,    2,    2};
  n = cat(f, 3, PART(OUTER_ETH), PART(six_in_four), PART(INNER_V6_TCP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v6_tcp(&r);
  /* Protocol 4 with an IPv6 packet inside is malformed. */
  n = cat(f, 3, PART(OUTER_ETH), PART(ipip), PART(INNER_V6_TCP));
  assert_int_equal(run(f, n, &r), FS_SKIP_MALFORMED);
  /* Outer mode: an IP pair flow with protocol 4. */
  fs_extract_config c = cfg_default();
  c.encap_mode = FS_ENCAP_MODE_OUTER;
  n = cat(f, 3, PART(OUTER_ETH), PART(ipip), PART(INNER_V4_UDP));
  assert_int_equal(run_cfg(&c, f, n, &r), 0);
  assert_int_equal(r.key.proto, 4);
}

static void test_udp_tunnels(void **state) {
  (void)state;
  fs_extract_result r;
  static const uint8_t geneve[40] = {
      0x45, 0x00, 0x00, 0x54, /* total 84 = 20 + 8 + 12 + 14 + 30 */
      0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, 192,  0,
      2,    1,    192,  0,    2,    2,    0xd4, 0x31, 0x17, 0xc1, /* ports 54321 -> 6081 */
      0x00, 0x40, 0x00, 0x00,                                     /* UDP length 64 */
      0x01, 0x00, 0x65, 0x58, /* version 0, 1 option word; protocol Ethernet */
      0x00, 0x00, 0x2a, 0x00, /* VNI 42 */
      0x01, 0x02, 0x80, 0x00  /* option class 0x0102, type 0x80, length 0 */
  };
  size_t n = cat(f, 4, PART(OUTER_ETH), PART(geneve), PART(ETH_V4), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
  assert_int_equal(r.encap, FS_ENCAP_GENEVE);
  assert_int_equal(r.tunnel_id, 42);
  static const uint8_t gre_udp[32] = {
      0x45, 0x00, 0x00, 0x3e, /* total 62 = 20 + 8 + 4 + 30 */
      0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, 192,  0, 2,
      1,    192,  0,    2,    2,    0xd4, 0x31, 0x12, 0x92, /* ports 54321 -> 4754 (GRE-in-UDP) */
      0x00, 0x2a, 0x00, 0x00,                               /* UDP length 42 */
      0x00, 0x00, 0x08, 0x00                                /* GRE, protocol IPv4 */
  };
  n = cat(f, 3, PART(OUTER_ETH), PART(gre_udp), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
  assert_int_equal(r.encap, FS_ENCAP_GRE);
  static const uint8_t ayiya[72] = {
      0x45, 0x00, 0x00, 0x84, /* total 132 = 20 + 8 + 44 + 60 */
      0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, 192, 0,  2,  1,  192, 0,  2,  2,  0x13,
      0xd0, 0x13, 0xd0,       /* ports 5072 -> 5072 */
      0x00, 0x70, 0x00, 0x00, /* UDP length 112 */
      0x41, 0x52, 0x11, 0x29, /* id 2^4 bytes type 1; sig 5 words, SHA1; auth 1, forward; IPv6 */
      0x5e, 0x00, 0x00, 0x00, /* epoch */
      1,    2,    3,    4,    5,    6,    7,    8,    9,   10, 11, 12, 13,  14, 15, 16, /* identity
                                                                                         */
      0,    0,    0,    0,    0,    0,    0,    0,    0,   0,  0,  0,  0,   0,  0,  0,  0,
      0,    0,    0 /* signature */
  };
  n = cat(f, 3, PART(OUTER_ETH), PART(ayiya), PART(INNER_V6_TCP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v6_tcp(&r);
  assert_int_equal(r.encap, FS_ENCAP_AYIYA);
}

static void test_fabricpath_vntag(void **state) {
  (void)state;
  fs_extract_result r;
  /* Cisco FabricPath: outer MACs, ethertype 0x8903, forwarding tag and
   * TTL, then the customer's whole Ethernet frame. */
  static const uint8_t fp[16] = {
      0x02, 0,    0, 0, 0, 0x0b, 0x02, 0, 0, 0, 0, 0x0a, /* outer (switch) MACs */
      0x89, 0x03,                                        /* ethertype FabricPath */
      0x00, 0x3f                                         /* FTag 0, TTL 63 */
  };
  size_t n = cat(f, 3, PART(fp), PART(ETH_V4), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
  assert_int_equal(r.encap, FS_ENCAP_FABRICPATH);
  /* Cut inside the customer's Ethernet header: truncated. */
  assert_int_equal(run(f, sizeof fp + 10, &r), FS_SKIP_TRUNCATED);
  /* VN-Tag inside a VLAN, then another VLAN tag (Zeek's "sandwich"). */
  static const uint8_t vntag[28] = {
      0x02, 0,    0,    0,    0, 0x02, 0x02, 0, 0, 0, 0, 0x01, /* MACs */
      0x81, 0x00, 0x00, 0xfa,                                  /* 802.1Q, VID 250 */
      0x89, 0x26,                                              /* ethertype VN-Tag */
      0x00, 0x00, 0x00, 0x33,                                  /* d/p/dst VIF 0; l/r/src VIF 51 */
      0x81, 0x00,                                              /* next: 802.1Q */
      0x00, 0xfb,                                              /* VID 251 */
      0x08, 0x00                                               /* IPv4 */
  };
  n = cat(f, 2, PART(vntag), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
  assert_int_equal(r.encap, FS_ENCAP_VLAN | FS_ENCAP_VNTAG);
  assert_int_equal(r.n_vlans, 2);
  assert_int_equal(r.vlans[0], 250);
  assert_int_equal(r.vlans[1], 251);
  assert_int_equal(run(f, 16 + 2 + 5, &r), FS_SKIP_TRUNCATED); /* tag cut short */
  /* Neither is a tunnel: the outer-only mode passes both too. */
  fs_extract_config c = cfg_default();
  c.encap_mode = FS_ENCAP_MODE_OUTER;
  assert_int_equal(run_cfg(&c, f, n, &r), 0);
  expect_inner_v4_udp(&r);
  /* Left out of a selection: recognised but not entered. */
  c.encap_mode = FS_ENCAP_MODE_SELECTED;
  c.encap_layers = FS_ENCAP_VLAN;
  assert_int_equal(run_cfg(&c, f, n, &r), FS_SKIP_UNSUPPORTED);
}

/* Outer IPv4 (192.0.2.1 -> 192.0.2.2) and UDP header for a datagram of
 * @p plen payload bytes between the given ports (28 bytes at @p o). */
static size_t outer_udp4(uint8_t *o, uint16_t sport, uint16_t dport, size_t plen) {
  const size_t total = 20 + 8 + plen;
  const uint8_t h[28] = {
      0x45,
      0x00,
      (uint8_t)(total >> 8),
      (uint8_t)total, /* IPv4, IHL 5; total length */
      0x00,
      0x01,
      0x00,
      0x00, /* id 1, not fragmented */
      0x40,
      0x11,
      0x00,
      0x00, /* TTL 64, UDP, checksum unchecked */
      192,
      0,
      2,
      1, /* source 192.0.2.1 */
      192,
      0,
      2,
      2, /* destination 192.0.2.2 */
      (uint8_t)(sport >> 8),
      (uint8_t)sport, /* source port */
      (uint8_t)(dport >> 8),
      (uint8_t)dport, /* destination port */
      (uint8_t)((8 + plen) >> 8),
      (uint8_t)(8 + plen), /* UDP length */
      0x00,
      0x00 /* checksum 0 (none) */
  };
  memcpy(o, h, sizeof h);
  return sizeof h;
}

/* Builds Ethernet + outer IPv4/UDP + @p pre (Teredo indicators) + @p ip6. */
static size_t teredo_frame(uint16_t sport, uint16_t dport, const uint8_t *pre, size_t pre_len,
                           const uint8_t *ip6, size_t ip6_len) {
  size_t n = cat(f, 1, PART(OUTER_ETH));
  n += outer_udp4(f + n, sport, dport, pre_len + ip6_len);
  if (pre_len)
    memcpy(f + n, pre, pre_len);
  n += pre_len;
  memcpy(f + n, ip6, ip6_len);
  return n + ip6_len;
}

static void expect_outer_udp(const fs_extract_result *r, uint16_t a, uint16_t b) {
  assert_int_equal(r->key.kind, FS_KEY_FIVE_TUPLE_V4);
  assert_int_equal(r->key.proto, 17);
  assert_int_equal(r->key.port_a, a);
  assert_int_equal(r->key.port_b, b);
  assert_int_equal(r->encap, 0);
}

static void test_teredo(void **state) {
  (void)state;
  fs_extract_result r;
  /* Origin indication: 00 00, obfuscated port and IPv4 address. */
  static const uint8_t origin[8] = {0x00, 0x00, 0xf2, 0x27, 0x3f, 0xfd, 0xfd, 0xfe};
  /* Authentication indicator: 00 01, client id length 2, auth length 1,
   * id "ab", auth value 0x55, nonce (8 bytes), confirmation byte. */
  static const uint8_t auth[16] = {0x00, 0x01, 0x02, 0x01, 'a', 'b', 0x55, 1,
                                   2,    3,    4,    5,    6,   7,   8,    0x00};
  /* On UDP 3544: a bare IPv6 packet. */
  size_t n = teredo_frame(40000, 3544, NULL, 0, PART(INNER_V6_TCP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v6_tcp(&r);
  assert_int_equal(r.encap, FS_ENCAP_TEREDO);
  assert_int_equal(r.tunnel_ip_version, 4);
  /* From UDP 3544 (a relay/server reply), with an origin indication. */
  n = teredo_frame(3544, 40000, PART(origin), PART(INNER_V6_TCP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v6_tcp(&r);
  /* On 3544 with authentication then origin indication. */
  uint8_t both[24];
  size_t bl = cat(both, 2, PART(auth), PART(origin));
  n = teredo_frame(40000, 3544, both, bl, PART(INNER_V6_TCP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v6_tcp(&r);
  /* Any other port: a bare IPv6 packet between 2001:db8:: addresses is not
   * recognisably Teredo and stays a plain UDP datagram... */
  n = teredo_frame(40000, 50000, NULL, 0, PART(INNER_V6_TCP));
  assert_int_equal(run(f, n, &r), 0);
  expect_outer_udp(&r, 40000, 50000);
  /* ...but one with an address in the Teredo prefix 2001:0::/32 is... */
  uint8_t v6t[sizeof INNER_V6_TCP];
  memcpy(v6t, INNER_V6_TCP, sizeof v6t);
  v6t[10] = 0x00, v6t[11] = 0x00; /* source 2001:0:0:...:a */
  n = teredo_frame(40000, 50000, NULL, 0, PART(v6t));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v6_tcp(&r);
  assert_int_equal(r.encap, FS_ENCAP_TEREDO);
  /* ...and so is one behind an origin indication. */
  n = teredo_frame(40000, 50000, PART(origin), PART(INNER_V6_TCP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v6_tcp(&r);
  /* Off port, authentication without an origin indication is not taken. */
  n = teredo_frame(40000, 50000, PART(auth), PART(INNER_V6_TCP));
  assert_int_equal(run(f, n, &r), 0);
  expect_outer_udp(&r, 40000, 50000);
  /* An IPv6 payload length longer than the datagram: not Teredo. */
  memcpy(v6t, INNER_V6_TCP, sizeof v6t);
  v6t[5] = 0x15; /* payload length 21, one byte more than sent */
  n = teredo_frame(40000, 3544, NULL, 0, PART(v6t));
  assert_int_equal(run(f, n, &r), 0);
  expect_outer_udp(&r, 40000, 3544);
  /* Shorter than the datagram: refused too, unless it is a bubble (no
   * next header, empty), which may carry trailing bytes. */
  v6t[5] = 0x13; /* payload length 19 */
  n = teredo_frame(40000, 3544, NULL, 0, PART(v6t));
  assert_int_equal(run(f, n, &r), 0);
  expect_outer_udp(&r, 40000, 3544);
  v6t[4] = 0x00, v6t[5] = 0x00, v6t[6] = 59; /* payload length 0, no next header */
  n = teredo_frame(40000, 3544, NULL, 0, PART(v6t));
  assert_int_equal(run(f, n, &r), 0);
  assert_int_equal(r.encap, FS_ENCAP_TEREDO);
  assert_int_equal(r.key.kind, FS_KEY_FIVE_TUPLE_V6);
  assert_int_equal(r.key.proto, 59);
  /* Not selected: a plain datagram. */
  fs_extract_config c = cfg_default();
  c.encap_mode = FS_ENCAP_MODE_SELECTED;
  c.encap_layers = FS_ENCAP_VLAN | FS_ENCAP_AYIYA;
  n = teredo_frame(40000, 3544, NULL, 0, PART(INNER_V6_TCP));
  assert_int_equal(run_cfg(&c, f, n, &r), 0);
  expect_outer_udp(&r, 40000, 3544);
}

static void test_aruba_gre(void **state) {
  (void)state;
  fs_extract_result r;
  /* Aruba controller GRE: GRE protocol 0x8200 (0x8200-0x8240), then an
   * 802.11 QoS data frame with LLC/SNAP. */
  static const uint8_t aruba[58] = {
      0x45, 0x00, 0x00, 0x58,                   /* total 88 = 20 + 4 + 34 + 30 */
      0x00, 0x01, 0x00, 0x00,                   /* id 1 */
      0x40, 0x2f, 0x00, 0x00,                   /* TTL 64, protocol 47 (GRE) */
      192,  0,    2,    1,    192,  0,    2, 2, /* 192.0.2.1 -> 192.0.2.2 */
      0x00, 0x00, 0x82, 0x00,                   /* GRE version 0, protocol 0x8200 */
      0x88, 0x01,                               /* 802.11 QoS data, to-DS */
      0x00, 0x00,                               /* duration */
      0x02, 0x00, 0x00, 0x00, 0x00, 0x03,       /* address 1 (BSSID) */
      0x02, 0x00, 0x00, 0x00, 0x00, 0x01,       /* address 2 (source) */
      0x02, 0x00, 0x00, 0x00, 0x00, 0x02,       /* address 3 (destination) */
      0x10, 0x00,                               /* sequence control */
      0x00, 0x00,                               /* QoS control */
      0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00,       /* LLC/SNAP */
      0x08, 0x00                                /* IPv4 */
  };
  size_t n = cat(f, 3, PART(OUTER_ETH), PART(aruba), PART(INNER_V4_UDP));
  assert_int_equal(run(f, n, &r), 0);
  expect_inner_v4_udp(&r);
  assert_int_equal(r.encap, FS_ENCAP_GRE | FS_ENCAP_ARUBA);
  /* 0x8300 is outside Aruba's range: an unknown GRE payload. */
  f[14 + 22] = 0x83;
  assert_int_equal(run(f, n, &r), FS_SKIP_NOT_IP);
  /* Encrypted 802.11 (protected flag): skipped as unsupported. */
  f[14 + 22] = 0x82;
  f[14 + 25] = 0x41;
  assert_int_equal(run(f, n, &r), FS_SKIP_UNSUPPORTED);
}

static void test_tunnel_depth(void **state) {
  (void)state;
  /* IP-in-IP nested 20 times: refused at max_depth 16, never recursing
   * without bound. */
  uint8_t big[20 * 20 + 30];
  static const uint8_t ipip[20] = {0x45, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x40, 0x04,
                                   0x00, 0x00, 192,  0,    2,    1,    192,  0,    2,    2};
  size_t n = 0;
  for (int i = 0; i < 20; i++) {
    memcpy(big + n, ipip, 20);
    uint16_t total = (uint16_t)(sizeof big - n);
    big[n + 2] = (uint8_t)(total >> 8);
    big[n + 3] = (uint8_t)total;
    n += 20;
  }
  memcpy(big + n, INNER_V4_UDP, 30);
  fs_extractor ex = make_extractor(NULL);
  fs_extract_result r;
  assert_int_equal(extract_frame(&ex, 12, big, sizeof big, 1, &r), FS_SKIP_TOO_DEEP);
  /* 10 levels are fine. */
  assert_int_equal(extract_frame(&ex, 12, big + 200, sizeof big - 200, 1, &r), 0);
  expect_inner_v4_udp(&r);
  fs_extractor_destroy(&ex);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vlan),         cmocka_unit_test(test_pbb),
      cmocka_unit_test(test_mpls),         cmocka_unit_test(test_pppoe),
      cmocka_unit_test(test_vxlan),        cmocka_unit_test(test_gtpu),
      cmocka_unit_test(test_gre),          cmocka_unit_test(test_erspan),
      cmocka_unit_test(test_ip_in_ip),     cmocka_unit_test(test_udp_tunnels),
      cmocka_unit_test(test_tunnel_depth), cmocka_unit_test(test_fabricpath_vntag),
      cmocka_unit_test(test_teredo),       cmocka_unit_test(test_aruba_gre),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
