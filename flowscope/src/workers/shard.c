/* SPDX-License-Identifier: MIT */
/* Symmetric sharding: endpoints are put in a canonical order before
 * hashing, so A->B and B->A give the same value. Fragments (which carry no
 * ports after the first) always hash their IP pair. */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "workers/shard.h"

#define SHARD_SEED 0x666c6f7773636f70ull /* "flowscop" */

#define FRAG_MAP_TTL (30ull * FS_NS_PER_SEC)

int fsi_shard_init(fsi_shard *s, const fs_workers_config *cfg) {
  memset(s, 0, sizeof *s);
  s->frag_map = calloc(FSI_FRAG_MAP_SIZE, sizeof *s->frag_map);
  if (!s->frag_map)
    return FS_E_NOMEM;
  s->mode = cfg->shard;
  s->fn = cfg->shard_fn;
  s->ctx = cfg->shard_ctx;
  const fs_extract_config *x = &cfg->driver.extract;
  s->opts.max_depth = x->max_depth ? x->max_depth : 16;
  if (x->encap_mode == FS_ENCAP_MODE_SELECTED)
    s->opts.layers = x->encap_layers;
  else if (x->encap_mode == FS_ENCAP_MODE_OUTER)
    s->opts.layers = FS_ENCAP_VLAN | FS_ENCAP_MPLS;
  else /* auto: every encapsulation the decoder knows, as the extractor does */
    s->opts.layers = UINT32_MAX;
  return 0;
}

void fsi_shard_free(fsi_shard *s) {
  free(s->frag_map);
  s->frag_map = NULL;
}

/* Hash of two endpoints (address + port) in canonical order, plus proto. */
static uint64_t sym_hash(const uint8_t *a, const uint8_t *b, uint32_t alen, uint16_t pa,
                         uint16_t pb, uint8_t proto) {
  int c = memcmp(a, b, alen);
  if (c > 0 || (c == 0 && pa > pb)) {
    const uint8_t *t = a;
    a = b;
    b = t;
    uint16_t tp = pa;
    pa = pb;
    pb = tp;
  }
  uint8_t buf[16 + 16 + 5];
  memcpy(buf, a, alen);
  memcpy(buf + alen, b, alen);
  buf[2 * alen] = (uint8_t)(pa >> 8);
  buf[2 * alen + 1] = (uint8_t)pa;
  buf[2 * alen + 2] = (uint8_t)(pb >> 8);
  buf[2 * alen + 3] = (uint8_t)pb;
  buf[2 * alen + 4] = proto;
  return XXH3_64bits_withSeed(buf, 2 * alen + 5, SHARD_SEED);
}

static uint64_t mac_hash(const fs_packet_view *pkt, const fsi_decoded *d) {
  const uint8_t *eth = d->eth;
  if (!eth && pkt->link_type == 1 && pkt->caplen >= 14)
    eth = pkt->data;
  if (!eth)
    return 0;
  return sym_hash(eth, eth + 6, 6, 0, 0, 0);
}

/* The map slot of a datagram: outer addresses, identification, protocol. */
static fsi_frag_entry *frag_slot(fsi_shard *s, const fsi_decoded *d, uint32_t alen) {
  uint8_t buf[16 + 16 + 4 + 1];
  memcpy(buf, d->src, alen);
  memcpy(buf + alen, d->dst, alen);
  memcpy(buf + 2 * alen, &d->frag_id, 4);
  buf[2 * alen + 4] = d->proto;
  uint64_t h = XXH3_64bits_withSeed(buf, 2 * alen + 5, SHARD_SEED);
  return &s->frag_map[h & (FSI_FRAG_MAP_SIZE - 1)];
}

static int frag_match(const fsi_frag_entry *e, const fsi_decoded *d, uint32_t alen, fs_time_ns ts) {
  return e->used && e->version == d->ip_version && e->id == d->frag_id && e->proto == d->proto &&
         memcmp(e->src, d->src, alen) == 0 && memcmp(e->dst, d->dst, alen) == 0 && ts >= e->ts &&
         ts - e->ts <= FRAG_MAP_TTL;
}

/* A fragment: the first one may carry a tunnel; decode into it. */
static uint64_t frag_hash(fsi_shard *s, const fs_packet_view *pkt, const fsi_decoded *d,
                          uint32_t alen) {
  uint64_t pair = sym_hash(d->src, d->dst, alen, 0, 0, 0);
  if (!s->frag_map)
    return pair;
  fsi_frag_entry *e = frag_slot(s, d, alen);
  if (d->frag_off != 0)
    return frag_match(e, d, alen, pkt->ts) ? e->hash : pair;
  fsi_decoded inner = *d;
  fsi_decode_ip_payload(&s->opts, &inner, d->proto, d->frag_data, d->frag_cap, d->frag_wire,
                        pkt->data);
  if (inner.src == d->src || !inner.src || !inner.dst ||
      (inner.ip_version != 4 && inner.ip_version != 6))
    return pair; /* not a tunnel (or its inner header is not in this fragment) */
  uint32_t ilen = inner.ip_version == 4 ? 4 : 16;
  uint64_t h = sym_hash(inner.src, inner.dst, ilen, 0, 0, 0);
  e->used = 1;
  e->version = (uint8_t)d->ip_version;
  e->proto = d->proto;
  e->id = d->frag_id;
  memset(e->src, 0, sizeof e->src);
  memset(e->dst, 0, sizeof e->dst);
  memcpy(e->src, d->src, alen);
  memcpy(e->dst, d->dst, alen);
  e->hash = h;
  e->ts = pkt->ts;
  return h;
}

/* The common case without the full decoder (it was a tenth of the
 * dispatching thread's time): Ethernet + IPv4/IPv6 + TCP, unfragmented, no
 * VLAN or extension header. TCP carries no tunnel the decoder enters, so
 * this is the innermost IP pair the full decode would find. */
static int fast_tcp_pair(const fs_packet_view *pkt, const uint8_t **src, const uint8_t **dst,
                         uint32_t *alen) {
  const uint8_t *d = pkt->data;
  if (pkt->link_type != 1 || pkt->caplen < 14 + 40)
    return 0;
  const uint8_t *ip = d + 14;
  if (d[12] == 0x08 && d[13] == 0x00) {
    if (ip[0] < 0x45 || ip[0] > 0x4f || ip[9] != 6 || (ip[6] & 0x3f) != 0 || ip[7] != 0)
      return 0;
    *src = ip + 12;
    *dst = ip + 16;
    *alen = 4;
    return 1;
  }
  if (d[12] == 0x86 && d[13] == 0xdd && pkt->caplen >= 14 + 60) {
    if ((ip[0] >> 4) != 6 || ip[6] != 6)
      return 0;
    *src = ip + 8;
    *dst = ip + 24;
    *alen = 16;
    return 1;
  }
  return 0;
}

uint64_t fsi_shard_hash(fsi_shard *s, const fs_packet_view *pkt) {
  if (s->mode == FS_SHARD_CUSTOM && s->fn)
    return s->fn(s->ctx, pkt);
  const uint8_t *fsrc, *fdst;
  uint32_t flen;
  if (s->mode == FS_SHARD_IP_PAIR && fast_tcp_pair(pkt, &fsrc, &fdst, &flen))
    return sym_hash(fsrc, fdst, flen, 0, 0, 0);
  fsi_decoded d;
  uint32_t rc = fsi_decode(&s->opts, pkt->link_type, pkt->data, pkt->caplen, &d);
  if (s->mode == FS_SHARD_MAC_PAIR)
    return mac_hash(pkt, &d);
  if ((rc == FS_SKIP_NONE || rc == FS_SKIP_FRAGMENT) && d.src && d.dst &&
      (d.ip_version == 4 || d.ip_version == 6)) {
    uint32_t alen = d.ip_version == 4 ? 4 : 16;
    if (rc == FS_SKIP_FRAGMENT && d.is_frag)
      return frag_hash(s, pkt, &d, alen);
    if (s->mode == FS_SHARD_FIVE_TUPLE && rc == FS_SKIP_NONE && d.has_ports)
      return sym_hash(d.src, d.dst, alen, d.sport, d.dport, d.proto);
    return sym_hash(d.src, d.dst, alen, 0, 0, 0);
  }
  return mac_hash(pkt, &d);
}
