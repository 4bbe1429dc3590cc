/* SPDX-License-Identifier: MIT */
/*
 * Test helper: builds Ethernet II + IPv4 + TCP/UDP frames by hand (RFC 791,
 * RFC 9293, RFC 768), so tests feed the library packets whose every field is
 * known. Header-only (static functions).
 */
#ifndef TCP_FRAMES_H
#define TCP_FRAMES_H

#include <stdint.h>
#include <string.h>

#include "flowscope/core.h"

#define TF_ETH 14u
#define TF_IP 20u
#define TF_TCP 20u
#define TF_UDP 8u
#define TF_MAX 2048u

/* One endpoint pair; "a" sends when dir is 0, "b" when dir is 1. */
typedef struct tf_conn {
  uint8_t ip_a[4], ip_b[4];
  uint16_t port_a, port_b;
} tf_conn;

/* A built frame, kept with its own storage so a test can hold many. */
typedef struct tf_frame {
  uint8_t data[TF_MAX];
  uint32_t len;
  fs_time_ns ts;
} tf_frame;

static inline void tf_put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static inline void tf_put32(uint8_t *p, uint32_t v) {
  tf_put16(p, v >> 16);
  tf_put16(p + 2, v);
}

/* RFC 1071 Internet checksum of the IPv4 header. */
static inline uint16_t tf_ip_csum(const uint8_t *h) {
  uint32_t acc = 0;
  for (int i = 0; i < 20; i += 2)
    acc += (uint32_t)h[i] << 8 | h[i + 1];
  while (acc >> 16)
    acc = (acc & 0xffff) + (acc >> 16);
  return (uint16_t)~acc;
}

/* Ethernet + IPv4 header for an L4 payload of @p l4len bytes; returns the L4 offset. */
static inline uint32_t tf_l3(tf_frame *f, const tf_conn *c, int dir, uint8_t proto,
                             uint32_t l4len) {
  uint8_t *p = f->data;
  memset(p, 0, TF_ETH + TF_IP);
  /* Ethernet: dst 02:00:00:00:00:0b|0a, src the other, type IPv4 */
  p[0] = 0x02, p[5] = dir ? 0x0a : 0x0b;
  p[6] = 0x02, p[11] = dir ? 0x0b : 0x0a;
  tf_put16(p + 12, 0x0800);
  uint8_t *ip = p + TF_ETH;
  ip[0] = 0x45;                    /* version 4, IHL 5 */
  tf_put16(ip + 2, TF_IP + l4len); /* total length */
  tf_put16(ip + 4, 1);             /* identification */
  ip[6] = 0x40;                    /* DF, offset 0 */
  ip[8] = 64;                      /* TTL */
  ip[9] = proto;                   /* 6 TCP, 17 UDP */
  memcpy(ip + 12, dir ? c->ip_b : c->ip_a, 4);
  memcpy(ip + 16, dir ? c->ip_a : c->ip_b, 4);
  tf_put16(ip + 10, tf_ip_csum(ip));
  return TF_ETH + TF_IP;
}

/* A TCP segment from side @p dir (0: a -> b). Payload may be NULL when len is 0. */
static inline void tf_tcp(tf_frame *f, const tf_conn *c, int dir, uint32_t seq, uint32_t ack,
                          uint8_t flags, const void *payload, uint32_t len, fs_time_ns ts) {
  uint32_t off = tf_l3(f, c, dir, 6, TF_TCP + len);
  uint8_t *t = f->data + off;
  memset(t, 0, TF_TCP);
  tf_put16(t, dir ? c->port_b : c->port_a);
  tf_put16(t + 2, dir ? c->port_a : c->port_b);
  tf_put32(t + 4, seq);
  tf_put32(t + 8, ack);
  t[12] = 5 << 4; /* data offset: 5 words */
  t[13] = flags;
  tf_put16(t + 14, 65535); /* window */
  if (len)
    memcpy(t + TF_TCP, payload, len);
  f->len = off + TF_TCP + len;
  f->ts = ts;
}

/* A UDP datagram from side @p dir. */
static inline void tf_udp(tf_frame *f, const tf_conn *c, int dir, const void *payload, uint32_t len,
                          fs_time_ns ts) {
  uint32_t off = tf_l3(f, c, dir, 17, TF_UDP + len);
  uint8_t *u = f->data + off;
  tf_put16(u, dir ? c->port_b : c->port_a);
  tf_put16(u + 2, dir ? c->port_a : c->port_b);
  tf_put16(u + 4, TF_UDP + len);
  tf_put16(u + 6, 0); /* no checksum (allowed for IPv4) */
  if (len)
    memcpy(u + TF_UDP, payload, len);
  f->len = off + TF_UDP + len;
  f->ts = ts;
}

/* A packet view over a frame (link type 1 = Ethernet). */
static inline fs_packet_view tf_view(const tf_frame *f) {
  fs_packet_view v;
  memset(&v, 0, sizeof v);
  v.struct_size = sizeof v;
  v.link_type = 1;
  v.data = f->data;
  v.caplen = f->len;
  v.wirelen = f->len;
  v.ts = f->ts;
  return v;
}

#endif /* TCP_FRAMES_H */
