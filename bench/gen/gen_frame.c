/* SPDX-License-Identifier: MIT */
/* Frames from plan steps: Ethernet + IPv4/IPv6 + TCP/UDP with consistent
 * lengths, sequence/ack numbers, IPv4 ids and (optionally) checksums.
 * Plain-UDP datagrams larger than the MTU leave as IPv4 fragments. */
#include <string.h>

#include "gen_internal.h"

static const char k_text[] = "abcdefghijklmnopqrstuvwxyz0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ.\n";
#define TEXT_LEN (sizeof k_text - 1)

/* Random bytes of stream position p are the bytes of mix64(seed ^ p/8). */
static void random_bytes(uint64_t seed, uint64_t pos, uint8_t *dst, uint32_t len) {
  while (len > 0) {
    uint64_t word = fsi_gen_mix64(seed ^ (pos >> 3));
    uint32_t k = (uint32_t)(pos & 7);
    while (k < 8 && len > 0) {
      *dst++ = (uint8_t)(word >> (8 * k));
      k++;
      pos++;
      len--;
    }
  }
}

void fsi_gen_payload(const fsi_gen_flow *f, const fsi_gen_step *st, uint32_t at, uint8_t *dst,
                     uint32_t len) {
  uint64_t seed = f->seed ^ ((uint64_t)st->dir << 63);
  switch (st->src) {
  case FSI_SRC_MSG: {
    uint32_t pos = st->off + at, mlen = f->msg_len[st->dir];
    while (len > 0 && pos < mlen) {
      *dst++ = f->msg[st->dir][pos++];
      len--;
    }
    while (len > 0) { /* text filler for bodies */
      *dst++ = (uint8_t)k_text[(pos++ + (uint32_t)f->seed) % TEXT_LEN];
      len--;
    }
    break;
  }
  case FSI_SRC_TLSREC: {
    /* One application_data record per segment: 5-byte header then ciphertext. */
    uint32_t body = st->len - 5;
    uint8_t hdr[5] = {23, 3, 3, (uint8_t)(body >> 8), (uint8_t)body};
    while (len > 0 && at < 5) {
      *dst++ = hdr[at++];
      len--;
    }
    random_bytes(seed, (uint64_t)st->off + at + ((uint64_t)f->exchange << 40), dst, len);
    break;
  }
  case FSI_SRC_RANDOM: random_bytes(seed, (uint64_t)st->off + at, dst, len); break;
  default: memset(dst, 0, len); break;
  }
}

static void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v);
}

/* Ones-complement sum of a byte range (big-endian 16-bit words). */
static uint32_t sum16(uint32_t acc, const uint8_t *p, uint32_t n) {
  while (n > 1) {
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
    acc = (acc & 0xffff) + (acc >> 16);
  return (uint16_t)~acc;
}

/* Pseudo-header sum for TCP/UDP over IPv4 or IPv6. */
static uint32_t pseudo_sum(const fsi_gen_flow *f, int dir, uint32_t proto, uint32_t l4len) {
  const uint8_t *src = dir ? f->srv_addr : f->cli_addr;
  const uint8_t *dst = dir ? f->cli_addr : f->srv_addr;
  uint32_t alen = f->v6 ? 16 : 4;
  uint32_t acc = sum16(0, src, alen);
  acc = sum16(acc, dst, alen);
  return acc + proto + (l4len & 0xffff) + (l4len >> 16);
}

/* Ethernet + IP header for a packet of @p l4len bytes; returns the IP header offset end. */
static uint32_t put_l2l3(const fsi_gen_flow *f, int dir, uint32_t proto, uint32_t l4len,
                         uint32_t frag_field, uint16_t ip_id, uint8_t *buf) {
  /* MACs: each client has its own; servers sit behind one gateway. */
  static const uint8_t gw[6] = {0x02, 0x00, 0x5e, 0x00, 0x00, 0x01};
  uint8_t cm[6] = {0x02,
                   0x42,
                   f->cli_addr[f->v6 ? 12 : 0],
                   f->cli_addr[f->v6 ? 13 : 1],
                   f->cli_addr[f->v6 ? 14 : 2],
                   f->cli_addr[f->v6 ? 15 : 3]};
  memcpy(buf, dir ? cm : gw, 6);
  memcpy(buf + 6, dir ? gw : cm, 6);
  const uint8_t *src = dir ? f->srv_addr : f->cli_addr;
  const uint8_t *dst = dir ? f->cli_addr : f->srv_addr;
  uint8_t *ip = buf + 14;
  if (f->v6) {
    put16(buf + 12, 0x86dd);
    /* Version 6, traffic class 0, a flow label per (flow, direction). */
    uint32_t label = (uint32_t)fsi_gen_mix64(f->seed + (uint64_t)dir) & 0xfffffu;
    put32(ip, 6u << 28 | label);
    put16(ip + 4, l4len);
    ip[6] = (uint8_t)proto;
    ip[7] = dir ? 57 : 64;
    memcpy(ip + 8, src, 16);
    memcpy(ip + 24, dst, 16);
    return 14 + 40;
  }
  put16(buf + 12, 0x0800);
  ip[0] = 0x45;
  ip[1] = 0;
  put16(ip + 2, 20 + l4len);
  put16(ip + 4, ip_id);
  put16(ip + 6, frag_field);
  ip[8] = dir ? 57 : 64;
  ip[9] = (uint8_t)proto;
  put16(ip + 10, 0);
  memcpy(ip + 12, src, 4);
  memcpy(ip + 16, dst, 4);
  put16(ip + 10, fold(sum16(0, ip, 20)));
  return 14 + 20;
}

static uint32_t tcp_frame(fsi_gen_flow *f, const fsi_gen_step *st, int checksums, uint8_t *buf) {
  int dir = st->dir;
  uint32_t opt_len = st->syn_opts ? 12 : 0;
  uint32_t hl = 20 + opt_len;
  uint32_t l4len = hl + st->len;
  uint32_t off = put_l2l3(f, dir, 6, l4len, 0x4000 /* DF */, f->ip_id[dir]++, buf);
  uint8_t *t = buf + off;
  put16(t, dir ? f->srv_port : f->cli_port);
  put16(t + 2, dir ? f->cli_port : f->srv_port);
  put32(t + 4, f->seq[dir]);
  put32(t + 8, (st->flags & FS_TCP_ACK) ? f->seq[!dir] : 0);
  t[12] = (uint8_t)((hl / 4) << 4);
  t[13] = st->flags;
  put16(t + 14, dir ? 65160 : 64240);
  put16(t + 16, 0);
  put16(t + 18, 0);
  if (opt_len) {
    /* MSS 1440, NOP, window scale 7, NOP, NOP, SACK permitted. */
    static const uint8_t opts[12] = {2, 4, 0x05, 0xa0, 1, 3, 3, 7, 1, 1, 4, 2};
    memcpy(t + 20, opts, 12);
  }
  fsi_gen_payload(f, st, 0, t + hl, st->len);
  if (checksums)
    put16(t + 16, fold(sum16(pseudo_sum(f, dir, 6, l4len), t, l4len)));
  f->seq[dir] += st->len + ((st->flags & (FS_TCP_SYN | FS_TCP_FIN)) ? 1u : 0u);
  f->cur++;
  return off + l4len;
}

/* The UDP datagram (header + payload) byte range [from, from+n) into dst. */
static void udp_bytes(const fsi_gen_flow *f, const fsi_gen_step *st, uint16_t csum, uint32_t from,
                      uint32_t n, uint8_t *dst) {
  uint8_t h[8];
  put16(h, st->dir ? f->srv_port : f->cli_port);
  put16(h + 2, st->dir ? f->cli_port : f->srv_port);
  put16(h + 4, 8 + st->len);
  put16(h + 6, csum);
  while (n > 0 && from < 8) {
    *dst++ = h[from++];
    n--;
  }
  if (n)
    fsi_gen_payload(f, st, from - 8, dst, n);
}

static uint16_t udp_csum(const fsi_gen_flow *f, const fsi_gen_step *st, uint8_t *scratch) {
  uint32_t l4len = 8 + st->len;
  udp_bytes(f, st, 0, 0, l4len, scratch);
  uint16_t c = fold(sum16(pseudo_sum(f, st->dir, 17, l4len), scratch, l4len));
  return c ? c : 0xffff; /* 0 means "no checksum" in UDP */
}

static uint32_t udp_frame(fsi_gen_flow *f, const fsi_gen_step *st, int checksums, uint8_t *buf,
                          uint8_t *scratch, int *is_fragment) {
  int dir = st->dir;
  uint32_t l4len = 8 + st->len;
  uint32_t max_l4 = FSI_GEN_MTU - (f->v6 ? 40u : 20u);
  if (l4len <= max_l4 || f->v6) {
    if (l4len > max_l4) /* IPv6 flows are never planned this large; stay safe */
      l4len = max_l4;
    uint16_t csum = checksums ? udp_csum(f, st, scratch) : 0;
    uint32_t off = put_l2l3(f, dir, 17, l4len, 0, f->ip_id[dir]++, buf);
    udp_bytes(f, st, csum, 0, l4len, buf + off);
    f->cur++;
    return off + l4len;
  }
  /* IPv4 fragments of 1480 bytes (a multiple of 8), same id, in order. */
  if (f->frag_off == 0)
    f->frag_csum = checksums ? udp_csum(f, st, scratch) : 0;
  uint32_t chunk = l4len - f->frag_off;
  int more = chunk > 1480;
  if (more)
    chunk = 1480;
  uint32_t frag_field = (more ? 0x2000u : 0u) | (f->frag_off / 8);
  uint32_t off = put_l2l3(f, dir, 17, chunk, frag_field, f->ip_id[dir], buf);
  udp_bytes(f, st, f->frag_csum, f->frag_off, chunk, buf + off);
  *is_fragment = 1;
  if (more) {
    f->frag_off += chunk;
  } else {
    f->frag_off = 0;
    f->ip_id[dir]++;
    f->cur++;
  }
  return off + chunk;
}

uint32_t fsi_gen_frame(fsi_gen_flow *f, int checksums, uint8_t *buf, uint8_t *scratch,
                       int *is_fragment) {
  const fsi_gen_step *st = &f->steps[f->cur];
  *is_fragment = 0;
  if (f->kind == FS_GEN_DNS || f->kind == FS_GEN_UDP)
    return udp_frame(f, st, checksums, buf, scratch, is_fragment);
  return tcp_frame(f, st, checksums, buf);
}
