/* SPDX-License-Identifier: MIT */
/*
 * TCP/UDP checksum verification for the tracker's optional Zeek mode
 * (fs_tracker_config.verify_checksums): RFC 1071 one's-complement sum over
 * the IPv4/IPv6 pseudo-header (RFC 793, RFC 768, RFC 8200 section 8.1) and
 * the whole L4 segment. A packet that is not captured in full cannot be
 * checked and counts as good, as in Zeek.
 */
#include "track/track_internal.h"

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc) {
  while (n >= 2) {
    acc += (uint32_t)p[0] << 8 | p[1];
    p += 2;
    n -= 2;
  }
  if (n)
    acc += (uint32_t)p[0] << 8;
  return acc;
}

static uint16_t fold(uint32_t acc) {
  while (acc >> 16)
    acc = (acc & 0xFFFFu) + (acc >> 16);
  return (uint16_t)acc;
}

int fsi_l4_checksum_ok(const fs_extract_result *ex) {
  const uint8_t proto = ex->key.proto;
  if ((proto != FS_L4_TCP && proto != FS_L4_UDP) || !ex->l3 || ex->l3_len < ex->ip_len)
    return 1;
  const uint8_t *l3 = ex->l3, *l4;
  size_t l4len;
  uint32_t acc;
  const size_t hdr = proto == FS_L4_TCP ? 20u : 8u;
  if (ex->ip_version == 4) {
    if (ex->ip_len < 20 || ex->l3_len < 20)
      return 1;
    size_t ihl = (size_t)(l3[0] & 0x0F) * 4u;
    if (ihl < 20 || ihl + hdr > ex->ip_len)
      return 1;
    l4 = l3 + ihl;
    l4len = ex->ip_len - ihl;
    acc = sum16(l3 + 12, 8, 0);
  } else if (ex->ip_version == 6) {
    if (ex->ip_len < 40 + hdr || ex->l3_len < 40)
      return 1;
    if (ex->payload && ex->payload > l3 + 40) {
      size_t h = proto == FS_L4_TCP ? ex->tcp.header_len : 8u;
      if ((size_t)(ex->payload - l3) < 40 + h)
        return 1;
      l4 = ex->payload - h;
    } else if (l3[6] == proto) {
      l4 = l3 + 40;
    } else {
      return 1; /* extension headers and no payload pointer: cannot place L4 */
    }
    if ((size_t)(l4 - l3) + hdr > ex->ip_len)
      return 1;
    l4len = ex->ip_len - (size_t)(l4 - l3);
    acc = sum16(l3 + 8, 32, 0);
  } else {
    return 1;
  }
  if (proto == FS_L4_UDP && ex->ip_version == 4 && l4[6] == 0 && l4[7] == 0)
    return 1; /* IPv4 UDP without a checksum */
  acc += proto;
  acc += (uint32_t)(l4len >> 16) + (uint32_t)(l4len & 0xFFFFu);
  acc = sum16(l4, l4len, acc);
  return fold(acc) == 0xFFFFu;
}
