/* SPDX-License-Identifier: MIT */
/* Flow key comparison and text formatting (no allocation, snprintf rules). */
#include <stdio.h>
#include <string.h>

#include "flowscope/key.h"

int fs_flow_key_equal(const fs_flow_key *a, const fs_flow_key *b) {
  return memcmp(a, b, sizeof(*a)) == 0;
}

/* Addresses are written by hand: every log record formats two, and
 * snprintf cost more than the rest of the record. */

/* Writes the dotted quad of @p a at @p tmp (15 bytes at most), as
 * "%u.%u.%u.%u" would; returns its length. */
static size_t put_v4(const uint8_t *a, char *tmp) {
  size_t n = 0;
  for (int i = 0; i < 4; i++) {
    unsigned v = a[i];
    if (v >= 100)
      tmp[n++] = (char)('0' + v / 100);
    if (v >= 10)
      tmp[n++] = (char)('0' + (v / 10) % 10);
    tmp[n++] = (char)('0' + v % 10);
    if (i < 3)
      tmp[n++] = '.';
  }
  return n;
}

/* Copies @p n bytes of text with snprintf's truncation rules; returns @p n. */
static int put_text(const char *tmp, size_t n, char *buf, size_t len) {
  if (len > 0) {
    size_t c = n < len - 1 ? n : len - 1;
    memcpy(buf, tmp, c);
    buf[c] = '\0';
  }
  return (int)n;
}

static int format_v4(const uint8_t *a, char *buf, size_t len) {
  char tmp[16];
  return put_text(tmp, put_v4(a, tmp), buf, len);
}

/* IPv6 text per RFC 5952: lower case, longest zero run (>= 2 groups) as "::". */
static int format_v6(const uint8_t *a, char *buf, size_t len) {
  uint16_t g[8];
  for (int i = 0; i < 8; i++)
    g[i] = (uint16_t)((a[2 * i] << 8) | a[2 * i + 1]);
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      i++;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0)
      j++;
    if (j - i > best_len && j - i >= 2) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  char tmp[48];
  size_t n = 0;
  /* IPv4-mapped addresses keep dotted form, as inet_ntop writes them. */
  if (best == 0 && best_len == 5 && g[5] == 0xffff) {
    memcpy(tmp, "::ffff:", 7);
    n = 7 + put_v4(a + 12, tmp + 7);
  } else {
    for (int i = 0; i < 8; i++) {
      if (i == best) {
        tmp[n++] = ':';
        if (i == 0)
          tmp[n++] = ':';
        i += best_len - 1;
        continue;
      }
      /* The group in lower-case hex without leading zeros, as "%x". */
      static const char hexdig[16] = "0123456789abcdef";
      int started = 0;
      for (int shift = 12; shift >= 0; shift -= 4) {
        unsigned d = (g[i] >> shift) & 0xfu;
        if (d || started || shift == 0) {
          tmp[n++] = hexdig[d];
          started = 1;
        }
      }
      if (i < 7)
        tmp[n++] = ':';
    }
  }
  return put_text(tmp, n, buf, len);
}

int fs_addr_format(int family, const uint8_t *addr, char *buf, size_t len) {
  if (family == 4)
    return format_v4(addr, buf, len);
  if (family == 6)
    return format_v6(addr, buf, len);
  return snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", addr[0], addr[1], addr[2], addr[3],
                  addr[4], addr[5]);
}

static int endpoint(const fs_flow_key *k, const uint8_t *addr, uint16_t port, int with_port,
                    char *buf, size_t len) {
  char a[64];
  int fam = (k->kind == FS_KEY_FIVE_TUPLE_V6 || k->kind == FS_KEY_IP_PAIR_V6) ? 6 : 4;
  fs_addr_format(fam, addr, a, sizeof a);
  if (!with_port)
    return snprintf(buf, len, "%s", a);
  return fam == 6 ? snprintf(buf, len, "[%s]:%u", a, port) : snprintf(buf, len, "%s:%u", a, port);
}

int fs_flow_key_format(const fs_flow_key *k, char *buf, size_t len) {
  char a[80], b[80], tail[64] = "";
  const char *arrow = (k->flags & FS_KEYF_UNIDIR) ? "->" : "<->";
  size_t t = 0;
  if (k->flags & FS_KEYF_VLAN)
    t += (size_t)snprintf(tail + t, sizeof tail - t, " vlan=%u", (unsigned)k->zone);
  if ((k->flags & FS_KEYF_TUNNEL) && t < sizeof tail)
    t += (size_t)snprintf(tail + t, sizeof tail - t, " tunnel=%u", (unsigned)k->extra);
  if ((k->flags & FS_KEYF_FLOW_LABEL) && t < sizeof tail)
    snprintf(tail + t, sizeof tail - t, " flowlabel=%u", (unsigned)k->extra);
  switch (k->kind) {
  case FS_KEY_FIVE_TUPLE_V4:
  case FS_KEY_FIVE_TUPLE_V6:
    endpoint(k, k->addr_a, k->port_a, 1, a, sizeof a);
    endpoint(k, k->addr_b, k->port_b, 1, b, sizeof b);
    return snprintf(buf, len, "%s %s %s %s%s", fs_l4proto_name(k->proto), a, arrow, b, tail);
  case FS_KEY_IP_PAIR_V4:
  case FS_KEY_IP_PAIR_V6:
    endpoint(k, k->addr_a, 0, 0, a, sizeof a);
    endpoint(k, k->addr_b, 0, 0, b, sizeof b);
    return snprintf(buf, len, "ip %s %s %s%s", a, arrow, b, tail);
  case FS_KEY_MAC_PAIR:
    fs_addr_format(0, k->addr_a, a, sizeof a);
    fs_addr_format(0, k->addr_b, b, sizeof b);
    return snprintf(buf, len, "mac %s %s %s%s", a, arrow, b, tail);
  case FS_KEY_CUSTOM: {
    const uint8_t *p = (const uint8_t *)k;
    char hex[2 * FS_KEY_SIZE + 1];
    for (size_t i = 0; i < FS_KEY_SIZE; i++)
      snprintf(hex + 2 * i, 3, "%02x", p[i]);
    return snprintf(buf, len, "custom %s", hex);
  }
  default: return snprintf(buf, len, "none");
  }
}
