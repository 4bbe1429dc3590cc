/* SPDX-License-Identifier: MIT */
/* Every supported link type, each with a hand-built header in front of the
 * same inner packets (802.11 and radiotap included); unknown link types and non-IP frames are
 * skipped by reason; every truncation of a link header is "truncated". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decode_frames.h"

static uint8_t f[512];

/* Decodes hdr + INNER_V4_UDP, then every cut of it from @p first_cut up to
 * the end of the UDP header. */
static void v4_on_cut(uint32_t link, const uint8_t *hdr, size_t hlen, size_t first_cut) {
  fs_extractor ex = make_extractor(NULL);
  fs_extract_result r;
  if (hlen)
    memcpy(f, hdr, hlen);
  memcpy(f + hlen, INNER_V4_UDP, sizeof INNER_V4_UDP);
  size_t n = hlen + sizeof INNER_V4_UDP;
  assert_int_equal(extract_frame(&ex, link, f, n, 1, &r), 0);
  expect_inner_v4_udp(&r);
  assert_ptr_equal(r.l3, f + hlen);
  /* Any cut inside the link header or the IP/UDP headers is truncated. */
  for (size_t k = first_cut; k < hlen + 28; k++)
    assert_int_equal(extract_frame(&ex, link, f, k, 1, &r), FS_SKIP_TRUNCATED);
  expect_balanced(&ex);
  fs_extractor_destroy(&ex);
}

static void v4_on(uint32_t link, const uint8_t *hdr, size_t hlen) { v4_on_cut(link, hdr, hlen, 0); }

static void v6_on(uint32_t link, const uint8_t *hdr, size_t hlen) {
  fs_extractor ex = make_extractor(NULL);
  fs_extract_result r;
  if (hlen)
    memcpy(f, hdr, hlen);
  memcpy(f + hlen, INNER_V6_TCP, sizeof INNER_V6_TCP);
  assert_int_equal(extract_frame(&ex, link, f, hlen + sizeof INNER_V6_TCP, 1, &r), 0);
  expect_inner_v6_tcp(&r);
  fs_extractor_destroy(&ex);
}

static void test_ethernet(void **state) {
  (void)state;
  v4_on(1, ETH_V4, sizeof ETH_V4);
  v6_on(1, ETH_V6, sizeof ETH_V6);
}

static void test_raw(void **state) {
  (void)state;
  /* DLT_RAW is 12 (14 on OpenBSD); files say LINKTYPE_RAW 101. The
   * version nibble picks IPv4 or IPv6. */
  v4_on(12, NULL, 0);
  v6_on(12, NULL, 0);
  v4_on(14, NULL, 0);
  v4_on(101, NULL, 0);
  v6_on(101, NULL, 0);
  /* LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229) insist on their version. */
  v4_on(228, NULL, 0);
  v6_on(229, NULL, 0);
  fs_extractor ex = make_extractor(NULL);
  fs_extract_result r;
  assert_int_equal(extract_frame(&ex, 228, INNER_V6_TCP, sizeof INNER_V6_TCP, 1, &r),
                   FS_SKIP_MALFORMED);
  /* A raw frame starting with version 5 is not IP. */
  uint8_t bad[sizeof INNER_V4_UDP];
  memcpy(bad, INNER_V4_UDP, sizeof bad);
  bad[0] = 0x55;
  assert_int_equal(extract_frame(&ex, 12, bad, sizeof bad, 1, &r), FS_SKIP_NOT_IP);
  fs_extractor_destroy(&ex);
}

static void test_linux_cooked(void **state) {
  (void)state;
  static const uint8_t sll_v4[16] = {
      0x00, 0x00,                                     /* packet type: to us */
      0x00, 0x01,                                     /* ARPHRD_ETHER */
      0x00, 0x06,                                     /* address length 6 */
      0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, /* address, padded to 8 */
      0x08, 0x00                                      /* protocol IPv4 */
  };
  v4_on(113, sll_v4, sizeof sll_v4);
  static const uint8_t sll2_v6[20] = {
      0x86, 0xdd,                                    /* protocol IPv6 */
      0x00, 0x00,                                    /* reserved */
      0x00, 0x00, 0x00, 0x02,                        /* interface index 2 */
      0x00, 0x01,                                    /* ARPHRD_ETHER */
      0x04,                                          /* packet type: outgoing */
      0x06,                                          /* address length */
      0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00 /* address, padded */
  };
  v6_on(276, sll2_v6, sizeof sll2_v6);
  static const uint8_t sll2_v4[20] = {
      0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, /* IPv4, reserved, ifindex 2 */
      0x00, 0x01, 0x00, 0x06,                         /* ARPHRD_ETHER, to us, length 6 */
      0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00  /* address */
  };
  v4_on(276, sll2_v4, sizeof sll2_v4);
}

static void test_loopback(void **state) {
  (void)state;
  /* DLT_NULL: AF_INET (2) in the capturing host's byte order. */
  static const uint8_t null_le_v4[4] = {0x02, 0x00, 0x00, 0x00}; /* little-endian host */
  static const uint8_t null_be_v4[4] = {0x00, 0x00, 0x00, 0x02}; /* big-endian host */
  v4_on(0, null_le_v4, 4);
  v4_on(0, null_be_v4, 4);
  /* AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS), 10 (Linux). */
  static const uint8_t af6[4][4] = {{24, 0, 0, 0}, {28, 0, 0, 0}, {0, 0, 0, 30}, {10, 0, 0, 0}};
  for (int i = 0; i < 4; i++)
    v6_on(0, af6[i], 4);
  /* DLT_LOOP: always network order. */
  static const uint8_t loop_v4[4] = {0x00, 0x00, 0x00, 0x02};
  v4_on(108, loop_v4, 4);
  /* An unknown family (AF_APPLETALK 16) is not IP. */
  fs_extractor ex = make_extractor(NULL);
  fs_extract_result r;
  uint8_t at[4 + sizeof INNER_V4_UDP] = {16, 0, 0, 0};
  memcpy(at + 4, INNER_V4_UDP, sizeof INNER_V4_UDP);
  assert_int_equal(extract_frame(&ex, 0, at, sizeof at, 1, &r), FS_SKIP_NOT_IP);
  fs_extractor_destroy(&ex);
}

static void test_ppp(void **state) {
  (void)state;
  static const uint8_t ppp_hdlc[4] = {0xff, 0x03, 0x00, 0x21}; /* address, control, IPv4 */
  /* (A lone 0xff byte reads as a one-byte protocol 0xff, not IP.) */
  v4_on_cut(9, ppp_hdlc, 4, 2);
  v4_on_cut(50, ppp_hdlc, 4, 2);                 /* DLT_PPP_SERIAL */
  static const uint8_t ppp_v6[2] = {0x00, 0x57}; /* no address/control, IPv6 */
  v6_on(9, ppp_v6, 2);
  static const uint8_t ppp_compressed[1] = {0x21}; /* protocol field compressed */
  v4_on(9, ppp_compressed, 1);
  static const uint8_t pppoe_v4[8] = {
      0x11, 0x00, /* version 1, type 1, code 0 (session data) */
      0x12, 0x34, /* session id */
      0x00, 0x20, /* length 32 = 2 PPP + 30 */
      0x00, 0x21  /* PPP protocol IPv4 */
  };
  v4_on(51, pppoe_v4, 8); /* DLT_PPP_ETHER */
  /* LCP (0xc021) is not IP. */
  fs_extractor ex = make_extractor(NULL);
  fs_extract_result r;
  uint8_t lcp[8] = {0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04};
  assert_int_equal(extract_frame(&ex, 9, lcp, sizeof lcp, 1, &r), FS_SKIP_NOT_IP);
  fs_extractor_destroy(&ex);
}

static void test_fddi_and_llc(void **state) {
  (void)state;
  static const uint8_t fddi_snap[21] = {
      0x50,                               /* frame control: LLC, async */
      0x00, 0x00, 0x00, 0x00, 0x00, 0x02, /* destination */
      0x00, 0x00, 0x00, 0x00, 0x00, 0x01, /* source */
      0xaa, 0xaa, 0x03,                   /* LLC: SNAP, SNAP, UI */
      0x00, 0x00, 0x00,                   /* OUI 0 (encapsulated Ethernet) */
      0x08, 0x00                          /* ethertype IPv4 */
  };
  v4_on(10, fddi_snap, sizeof fddi_snap);
  static const uint8_t eth_snap[22] = {
      0x02, 0x00, 0x00, 0x00, 0x00, 0x02, /* destination MAC */
      0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* source MAC */
      0x00, 0x26,                         /* 802.3 length 38 */
      0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, /* LLC SNAP, OUI 0 */
      0x08, 0x00                          /* ethertype IPv4 */
  };
  v4_on(1, eth_snap, sizeof eth_snap);
  /* Spanning tree (LLC 42 42 03) is not IP. */
  fs_extractor ex = make_extractor(NULL);
  fs_extract_result r;
  uint8_t stp[20] = {1, 0x80, 0xc2, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0x00, 0x26, 0x42, 0x42, 0x03};
  assert_int_equal(extract_frame(&ex, 1, stp, sizeof stp, 1, &r), FS_SKIP_NOT_IP);
  fs_extractor_destroy(&ex);
}

static void test_nflog(void **state) {
  (void)state;
  static const uint8_t nflog_v4[16] = {
      0x02, 0x00, 0x00, 0x01, /* family AF_INET, version 0, resource id 1 */
      0x08, 0x00, 0x01, 0x00, /* TLV length 8, type 1 (packet header) */
      0x08, 0x00, 0x00, 0x01, /* its 4 bytes: hw protocol 0x0800, hook 0, pad */
      0x22, 0x00, 0x09, 0x00  /* TLV length 34 = 4 + 30, type 9 (payload) */
  };
  v4_on(239, nflog_v4, sizeof nflog_v4);
}

/* 802.11 QoS data frame from the distribution system, then LLC/SNAP. */
static const uint8_t WLAN_QOS_V4[34] = {
    0x88, 0x02,                         /* frame control: QoS data; flags from-DS */
    0x00, 0x00,                         /* duration */
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, /* address 1: receiver */
    0x02, 0x00, 0x00, 0x00, 0x00, 0x03, /* address 2: transmitter (BSSID) */
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* address 3: source */
    0x10, 0x00,                         /* sequence control */
    0x00, 0x00,                         /* QoS control: TID 0, no A-MSDU */
    0xaa, 0xaa, 0x03,                   /* LLC: SNAP, SNAP, UI */
    0x00, 0x00, 0x00,                   /* OUI 00-00-00 (RFC 1042) */
    0x08, 0x00                          /* ethertype IPv4 */
};

static void test_ieee802_11(void **state) {
  (void)state;
  v4_on(105, WLAN_QOS_V4, sizeof WLAN_QOS_V4);
  /* Plain data (no QoS field), four addresses (to-DS and from-DS set). */
  static const uint8_t wds[38] = {
      0x08, 0x03,                         /* frame control: data; to-DS, from-DS */
      0x00, 0x00,                         /* duration */
      0x02, 0x00, 0x00, 0x00, 0x00, 0x02, /* address 1 */
      0x02, 0x00, 0x00, 0x00, 0x00, 0x03, /* address 2 */
      0x02, 0x00, 0x00, 0x00, 0x00, 0x04, /* address 3 */
      0x20, 0x00,                         /* sequence control */
      0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* address 4 */
      0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, /* LLC/SNAP, OUI 00-00-00 */
      0x86, 0xdd                          /* ethertype IPv6 */
  };
  v6_on(105, wds, sizeof wds);
  /* QoS with HT control (order bit), and an A-MSDU: the first subframe's
   * destination, source and length come before its LLC header. */
  static const uint8_t amsdu[52] = {
      0x88, 0x82,                         /* QoS data; flags from-DS, +HTC/order */
      0x00, 0x00,                         /* duration */
      0x02, 0x00, 0x00, 0x00, 0x00, 0x02, /* address 1 */
      0x02, 0x00, 0x00, 0x00, 0x00, 0x03, /* address 2 */
      0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* address 3 */
      0x30, 0x00,                         /* sequence control */
      0x80, 0x00,                         /* QoS control: A-MSDU present */
      0x00, 0x00, 0x00, 0x00,             /* HT control */
      0x02, 0x00, 0x00, 0x00, 0x00, 0x02, /* subframe destination */
      0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* subframe source */
      0x00, 0x26,                         /* subframe length 38 = 8 + 30 */
      0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, /* LLC/SNAP */
      0x08, 0x00                          /* ethertype IPv4 */
  };
  v4_on(105, amsdu, sizeof amsdu);

  fs_extractor ex = make_extractor(NULL);
  fs_extract_result r;
  uint8_t g[sizeof WLAN_QOS_V4 + sizeof INNER_V4_UDP];
  size_t n = cat(g, 2, PART(WLAN_QOS_V4), PART(INNER_V4_UDP));
  g[1] = 0x42; /* protected (from-DS + protected): the body is encrypted */
  assert_int_equal(extract_frame(&ex, 105, g, n, 1, &r), FS_SKIP_UNSUPPORTED);
  g[1] = 0x02;
  g[0] = 0x80; /* management, subtype 8: a beacon */
  assert_int_equal(extract_frame(&ex, 105, g, n, 1, &r), FS_SKIP_NOT_IP);
  g[0] = 0xc8; /* QoS null data: no body */
  assert_int_equal(extract_frame(&ex, 105, g, n, 1, &r), FS_SKIP_NOT_IP);
  g[0] = 0x89; /* protocol version 1: unknown */
  assert_int_equal(extract_frame(&ex, 105, g, n, 1, &r), FS_SKIP_NOT_IP);
  expect_balanced(&ex);
  fs_extractor_destroy(&ex);
}

static void test_radiotap(void **state) {
  (void)state;
  /* Radiotap: version 0, pad, length 12 (little-endian), present bitmap
   * 0x00000002 (flags), the flags byte and 3 bytes of padding; then the
   * 802.11 frame. */
  uint8_t hdr[12 + sizeof WLAN_QOS_V4] = {
      0x00, 0x00,             /* version 0, pad */
      0x0c, 0x00,             /* header length 12 */
      0x02, 0x00, 0x00, 0x00, /* present: flags */
      0x00, 0x00, 0x00, 0x00  /* flags 0, padding */
  };
  memcpy(hdr + 12, WLAN_QOS_V4, sizeof WLAN_QOS_V4);
  v4_on(127, hdr, sizeof hdr);
  fs_extractor ex = make_extractor(NULL);
  fs_extract_result r;
  hdr[0] = 1; /* version 1 does not exist */
  assert_int_equal(extract_frame(&ex, 127, hdr, sizeof hdr, 1, &r), FS_SKIP_MALFORMED);
  hdr[0] = 0;
  hdr[2] = 4; /* a header length shorter than the fixed part */
  assert_int_equal(extract_frame(&ex, 127, hdr, sizeof hdr, 1, &r), FS_SKIP_MALFORMED);
  fs_extractor_destroy(&ex);
}

static void test_unknown_link(void **state) {
  (void)state;
  fs_extractor ex = make_extractor(NULL);
  fs_extract_result r;
  /* DLT_USER0 (147) is not decoded: skipped by link type, the number
   * remembered for the report. */
  assert_int_equal(extract_frame(&ex, 147, INNER_V4_UDP, sizeof INNER_V4_UDP, 1, &r),
                   FS_SKIP_LINKTYPE);
  fs_extract_counters c = {.struct_size = sizeof c};
  assert_int_equal(fs_extractor_counters(&ex, &c), 0);
  assert_int_equal(c.skipped[FS_SKIP_LINKTYPE], 1);
  assert_int_equal(c.last_unknown_link_type, 147);
  /* No data at all. */
  assert_int_equal(extract_frame(&ex, 1, NULL, 0, 1, &r), FS_SKIP_TRUNCATED);
  fs_extractor_destroy(&ex);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ethernet),     cmocka_unit_test(test_raw),
      cmocka_unit_test(test_linux_cooked), cmocka_unit_test(test_loopback),
      cmocka_unit_test(test_ppp),          cmocka_unit_test(test_fddi_and_llc),
      cmocka_unit_test(test_nflog),        cmocka_unit_test(test_ieee802_11),
      cmocka_unit_test(test_radiotap),     cmocka_unit_test(test_unknown_link),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
