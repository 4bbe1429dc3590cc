/* SPDX-License-Identifier: MIT */
/* Community ID v1, written from the spec's pseudo code and byte layout. */
#include "community_id.h"

#include <sha1.h>
#include <string.h>

size_t fsi_base64(const uint8_t *in, size_t n, char *out) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0, i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = tab[v >> 18];
    out[o++] = tab[(v >> 12) & 63];
    out[o++] = tab[(v >> 6) & 63];
    out[o++] = tab[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)in[i] << 16;
    out[o++] = tab[v >> 18];
    out[o++] = tab[(v >> 12) & 63];
    out[o++] = '=';
    out[o++] = '=';
  } else if (n - i == 2) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
    out[o++] = tab[v >> 18];
    out[o++] = tab[(v >> 12) & 63];
    out[o++] = tab[(v >> 6) & 63];
    out[o++] = '=';
  }
  out[o] = '\0';
  return o;
}

/*
 * ICMP "port" equivalents as Zeek derives them: a type with a request/reply
 * counterpart hashes as (type, counterpart) and is ordered like a two-way
 * flow; any other type hashes as (type, code) and keeps its direction.
 */
int fsi_icmp_ports(int v6, uint16_t type, uint16_t code, uint16_t *p1, uint16_t *p2) {
  static const uint8_t v4_map[][2] = {
      {8, 0},   {0, 8},   /* echo request / reply */
      {13, 14}, {14, 13}, /* timestamp request / reply */
      {15, 16}, {16, 15}, /* information request / reply */
      {10, 9},            /* router solicitation -> advertisement (one entry only) */
      {17, 18}, {18, 17}, /* address mask request / reply */
  };
  static const uint8_t v6_map[][2] = {
      {128, 129}, {129, 128}, /* echo request / reply */
      {133, 134}, {134, 133}, /* router solicitation / advertisement */
      {135, 136}, {136, 135}, /* neighbor solicitation / advertisement */
      {130, 131}, {131, 130}, /* multicast listener query / report */
      {139, 140}, {140, 139}, /* node information query / reply */
      {144, 145}, {145, 144}, /* home agent address discovery request / reply */
  };
  const uint8_t(*map)[2] = v6 ? v6_map : v4_map;
  size_t n = v6 ? sizeof v6_map / sizeof v6_map[0] : sizeof v4_map / sizeof v4_map[0];
  for (size_t i = 0; i < n; i++) {
    if (map[i][0] == type) {
      *p1 = type;
      *p2 = map[i][1];
      return 0;
    }
  }
  *p1 = type;
  *p2 = code;
  return 1;
}

int fsi_community_id(const fsi_cid_tuple *t, uint16_t seed, char *out) {
  size_t alen;
  if (t->family == 4)
    alen = 4;
  else if (t->family == 6)
    alen = 16;
  else
    return -1;
  const uint8_t *sa = t->saddr, *da = t->daddr;
  uint16_t sp = t->sport, dp = t->dport;
  int has_ports = 0, one_way = 0;
  switch (t->proto) {
  case 6:  /* TCP */
  case 17: /* UDP */
  case 132: /* SCTP */ has_ports = 1; break;
  case 1:  /* ICMP */
  case 58: /* ICMPv6 */
    has_ports = 1;
    one_way = fsi_icmp_ports(t->proto == 58, t->sport, t->dport, &sp, &dp);
    break;
  default: break;
  }
  /* Order the endpoints: smaller address first, then smaller port. */
  int c = memcmp(sa, da, alen);
  if (!one_way && (c > 0 || (c == 0 && has_ports && sp > dp))) {
    const uint8_t *ta = sa;
    sa = da;
    da = ta;
    uint16_t tp = sp;
    sp = dp;
    dp = tp;
  }
  uint8_t in[2 + 16 + 16 + 2 + 4];
  size_t n = 0;
  in[n++] = (uint8_t)(seed >> 8);
  in[n++] = (uint8_t)seed;
  memcpy(in + n, sa, alen);
  n += alen;
  memcpy(in + n, da, alen);
  n += alen;
  in[n++] = t->proto;
  in[n++] = 0; /* padding */
  if (has_ports) {
    in[n++] = (uint8_t)(sp >> 8);
    in[n++] = (uint8_t)sp;
    in[n++] = (uint8_t)(dp >> 8);
    in[n++] = (uint8_t)dp;
  }
  SHA1_CTX ctx;
  uint8_t digest[SHA1_DIGEST_LENGTH];
  SHA1Init(&ctx);
  SHA1Update(&ctx, in, n);
  SHA1Final(digest, &ctx);
  out[0] = '1';
  out[1] = ':';
  fsi_base64(digest, sizeof digest, out + 2);
  return 0;
}
