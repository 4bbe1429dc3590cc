/* SPDX-License-Identifier: MIT */
/* The decoder's walk: link layer -> ethertype chain (VLAN, MPLS, PPPoE) ->
 * IPv4/IPv6 (+extension headers) -> L4, entering tunnels (IP-in-IP, GRE,
 * ERSPAN, VXLAN, GTP-U) when the options allow. Every read is bounds-checked
 * against the bytes left in the capture; nested layers are bounded by
 * opts->max_depth. */
#include <string.h>

#include "decode/decode.h"

/* Link types (DLT_* as libpcap reports them, plus LINKTYPE_* aliases). */
enum {
  DLT_NULL_ = 0,
  DLT_EN10MB_ = 1,
  DLT_PPP_ = 9,
  DLT_FDDI_ = 10,
  DLT_RAW_ = 12,
  DLT_RAW_OPENBSD_ = 14,
  DLT_PPP_SERIAL_ = 50,
  DLT_PPP_ETHER_ = 51,
  LINKTYPE_RAW_ = 101,
  DLT_LOOP_ = 108,
  DLT_IEEE802_11_ = 105,
  DLT_LINUX_SLL_ = 113,
  DLT_IEEE802_11_RADIO_ = 127,
  LINKTYPE_IPV4_ = 228,
  LINKTYPE_IPV6_ = 229,
  DLT_NFLOG_ = 239,
  DLT_LINUX_SLL2_ = 276
};

enum { IPPROTO_IPIP_ = 4, IPPROTO_IPV6_ = 41, IPPROTO_GRE_ = 47 };

typedef struct walk {
  const fsi_decode_opts *o;
  fsi_decoded *d;
  const uint8_t *base;
} walk;

static uint32_t ethertype(walk *w, uint16_t type, const uint8_t *p, uint32_t len);
static uint32_t llc(walk *w, const uint8_t *p, uint32_t len);
static uint32_t gre(walk *w, const uint8_t *p, uint32_t cap);
static uint32_t ethernet(walk *w, const uint8_t *p, uint32_t len);
static uint32_t ip_any(walk *w, const uint8_t *p, uint32_t len, uint32_t want_version);
static uint32_t wlan(walk *w, const uint8_t *p, uint32_t len);

static int allowed(const walk *w, uint32_t bit) { return (w->o->layers & bit) != 0; }

static int deeper(walk *w) { return ++w->d->depth > w->o->max_depth; }

/* Records the endpoints of the outermost tunnel, once. */
static void enter_tunnel(walk *w, uint32_t bit, uint32_t id, int has_id) {
  fsi_decoded *d = w->d;
  if (!d->tunnel_ip_version) {
    d->tunnel_ip_version = d->ip_version;
    memcpy(d->tunnel_src, d->src, d->ip_version == 4 ? 4 : 16);
    memcpy(d->tunnel_dst, d->dst, d->ip_version == 4 ? 4 : 16);
  }
  if (has_id && !(d->encap & (FS_ENCAP_VXLAN | FS_ENCAP_GTPU | FS_ENCAP_GRE | FS_ENCAP_GENEVE)))
    d->tunnel_id = id;
  d->encap |= bit;
}

/* ---- L4 ---------------------------------------------------------------- */

static uint32_t l4_tcp(walk *w, const uint8_t *p, uint32_t cap, uint32_t wire) {
  fsi_decoded *d = w->d;
  if (cap < 20)
    return FS_SKIP_TRUNCATED;
  uint32_t hl = (uint32_t)(p[12] >> 4) * 4;
  if (hl < 20 || wire < hl)
    return FS_SKIP_MALFORMED;
  if (cap < hl)
    return FS_SKIP_TRUNCATED;
  d->sport = fsi_be16(p);
  d->dport = fsi_be16(p + 2);
  d->has_ports = 1;
  d->has_tcp = 1;
  d->tcp.seq = fsi_be32(p + 4);
  d->tcp.ack = fsi_be32(p + 8);
  d->tcp.flags = p[13];
  d->tcp.window = fsi_be16(p + 14);
  d->tcp.header_len = (uint8_t)hl;
  d->tcp.payload_offset = (uint32_t)(p + hl - w->base);
  d->tcp.payload_len = cap - hl;
  d->tcp.payload_wire_len = wire - hl;
  d->payload = p + hl;
  d->payload_len = cap - hl;
  return 0;
}

static uint32_t l4_sctp(walk *w, const uint8_t *p, uint32_t cap) {
  if (cap < 12) /* common header: ports, verification tag, checksum */
    return FS_SKIP_TRUNCATED;
  w->d->sport = fsi_be16(p);
  w->d->dport = fsi_be16(p + 2);
  w->d->has_ports = 1;
  w->d->payload = p + 12;
  w->d->payload_len = cap - 12;
  return 0;
}

static uint32_t l4_icmp(walk *w, const uint8_t *p, uint32_t cap) {
  if (cap < 4) /* type, code, checksum */
    return FS_SKIP_TRUNCATED;
  w->d->icmp_type_code = (uint32_t)(p[0] << 8 | p[1]);
  w->d->payload = cap >= 8 ? p + 8 : NULL;
  w->d->payload_len = cap >= 8 ? cap - 8 : 0;
  return 0;
}

/* GTP-U (3GPP TS 29.281): flags, type, length, TEID, then optional
 * sequence/N-PDU/next-extension and a chain of extension headers. Returns
 * 0 with *inner set for a G-PDU carrying IP; 0 with *inner NULL when the
 * message carries no user packet (echo, error indication, empty G-PDU). */
static uint32_t gtpu(walk *w, const uint8_t *p, uint32_t cap, const uint8_t **inner,
                     uint32_t *inner_len, uint32_t *teid) {
  *inner = NULL;
  if (cap < 8)
    return 0;
  uint8_t flags = p[0];
  if ((flags >> 5) != 1 || !(flags & 0x10) || p[1] != 0xff)
    return 0;                      /* not GTPv1 G-PDU: a plain UDP packet */
  uint32_t glen = fsi_be16(p + 2); /* bytes after the 8-byte mandatory header */
  *teid = fsi_be32(p + 4);
  uint32_t off = 8;
  if (flags & 0x07) {
    if (cap < 12)
      return FS_SKIP_TRUNCATED;
    uint8_t next = p[11];
    off = 12;
    while (next != 0) {
      if (deeper(w))
        return FS_SKIP_TOO_DEEP;
      if (cap < off + 1)
        return FS_SKIP_TRUNCATED;
      uint32_t elen = (uint32_t)p[off] * 4;
      if (elen == 0)
        return FS_SKIP_MALFORMED;
      if (cap < off + elen)
        return FS_SKIP_TRUNCATED;
      next = p[off + elen - 1];
      off += elen;
    }
  }
  if (glen + 8 < off)
    return FS_SKIP_MALFORMED;
  uint32_t end = glen + 8 < cap ? glen + 8 : cap;
  if (end <= off)
    return 0; /* no user packet */
  *inner = p + off;
  *inner_len = end - off;
  return 0;
}

/* Teredo (RFC 4380 section 5.1.1): an optional authentication indicator
 * (00 01, client id length, auth value length, id, value, 8-byte nonce,
 * confirmation byte), an optional origin indication (00 00, port, address:
 * 8 bytes), then an IPv6 packet. Returns 1 with the offset of the IPv6
 * header in *ip6_off, or 0 when the payload is not Teredo. Like Zeek, an IPv6 header whose payload
 * length disagrees with the datagram is refused, except a bubble (no next
 * header, empty) followed by padding. Off port 3544 the shape must say
 * Teredo on its own, as Zeek's protocol detection asks: an origin
 * indication before the IPv6 header, or an address in 2001:0::/32. */
static int teredo_inner(const uint8_t *pl, uint32_t cap, uint32_t wire, int on_port,
                        uint32_t *ip6_off) {
  uint32_t off = 0;
  int origin = 0;
  if (cap >= 4 && pl[0] == 0 && pl[1] == 1) {
    off = 4u + pl[2] + pl[3] + 9u;
    if (cap < off + 2)
      return 0;
    if (!on_port && !(pl[off] == 0 && pl[off + 1] == 0))
      return 0; /* detection wants an origin indication after the auth header */
  }
  if (cap >= off + 2 && pl[off] == 0 && pl[off + 1] == 0) {
    off += 8;
    origin = 1;
  }
  if (cap < off + 40 || wire < off + 40 || (pl[off] >> 4) != 6)
    return 0;
  const uint8_t *ip6 = pl + off;
  if (!on_port && !origin) {
    static const uint8_t prefix[4] = {0x20, 0x01, 0x00, 0x00};
    if (memcmp(ip6 + 8, prefix, 4) != 0 && memcmp(ip6 + 24, prefix, 4) != 0)
      return 0;
  }
  uint32_t total = 40u + fsi_be16(ip6 + 4);
  if (total > wire - off)
    return 0; /* claims more than the datagram holds */
  if (total < wire - off && !(ip6[6] == 59 && total == 40))
    return 0; /* trailing bytes: only a bubble may carry them */
  *ip6_off = off;
  return 1;
}

static uint32_t l4_udp(walk *w, const uint8_t *p, uint32_t cap, uint32_t wire) {
  fsi_decoded *d = w->d;
  if (cap < 8)
    return FS_SKIP_TRUNCATED;
  if (wire < 8)
    return FS_SKIP_MALFORMED;
  d->sport = fsi_be16(p);
  d->dport = fsi_be16(p + 2);
  d->has_ports = 1;
  uint32_t ulen = fsi_be16(p + 4);
  /* Trust the UDP length when it is consistent with IP's (trims padding). */
  uint32_t plen = (ulen >= 8 && ulen <= wire) ? ulen - 8 : wire - 8;
  uint32_t pcap = cap - 8 < plen ? cap - 8 : plen;
  d->payload = p + 8;
  d->payload_len = pcap;
  const uint8_t *pl = p + 8;
  if (d->dport == 4789 && allowed(w, FS_ENCAP_VXLAN) && pcap >= 8 && (pl[0] & 0x08)) {
    /* VXLAN (RFC 7348): flags (I bit = VNI valid), reserved, VNI, reserved. */
    if (deeper(w))
      return FS_SKIP_TOO_DEEP;
    enter_tunnel(w, FS_ENCAP_VXLAN, fsi_be32(pl + 4) >> 8, 1);
    return ethernet(w, pl + 8, pcap - 8);
  }
  if ((d->dport == 2152 || d->sport == 2152) && allowed(w, FS_ENCAP_GTPU)) {
    const uint8_t *in;
    uint32_t in_len = 0, teid = 0;
    uint32_t r = gtpu(w, pl, pcap, &in, &in_len, &teid);
    if (r)
      return r;
    if (in && (in[0] >> 4 == 4 || in[0] >> 4 == 6)) {
      if (deeper(w))
        return FS_SKIP_TOO_DEEP;
      enter_tunnel(w, FS_ENCAP_GTPU, teid, 1);
      return ip_any(w, in, in_len, 0);
    }
    return 0;
  }
  if (d->dport == 6081 && allowed(w, FS_ENCAP_GENEVE) && pcap >= 8 && (pl[0] >> 6) == 0) {
    /* Geneve (RFC 8926): version, option length (4-byte words), flags,
     * protocol type, VNI; options follow the 8-byte header. */
    uint32_t h = 8 + (uint32_t)(pl[0] & 0x3f) * 4;
    uint16_t proto = fsi_be16(pl + 2);
    if (proto == FSI_ETH_TEB || proto == FSI_ETH_IPV4 || proto == FSI_ETH_IPV6) {
      if (pcap < h)
        return FS_SKIP_TRUNCATED;
      if (deeper(w))
        return FS_SKIP_TOO_DEEP;
      enter_tunnel(w, FS_ENCAP_GENEVE, fsi_be32(pl + 4) >> 8, 1);
      if (proto == FSI_ETH_TEB)
        return ethernet(w, pl + h, pcap - h);
      return ethertype(w, proto, pl + h, pcap - h);
    }
    return 0;
  }
  if (d->dport == 4754 && allowed(w, FS_ENCAP_GRE) && pcap >= 4) {
    /* GRE-in-UDP (RFC 8086): a GRE header right after UDP. */
    if (deeper(w))
      return FS_SKIP_TOO_DEEP;
    return gre(w, pl, pcap);
  }
  if ((d->dport == 5072 || d->sport == 5072) && allowed(w, FS_ENCAP_AYIYA) && pcap >= 8) {
    /* AYIYA: identity length/type, signature length/hash, auth/opcode,
     * next header, epoch; then identity (2^n bytes) and signature (4n). */
    uint32_t h = 8 + (1u << (pl[0] >> 4)) + (uint32_t)(pl[1] >> 4) * 4;
    uint8_t next = pl[3];
    if ((pl[2] & 0x0f) == 1 && (next == IPPROTO_IPIP_ || next == IPPROTO_IPV6_)) {
      if (pcap < h)
        return FS_SKIP_TRUNCATED;
      if (deeper(w))
        return FS_SKIP_TOO_DEEP;
      enter_tunnel(w, FS_ENCAP_AYIYA, 0, 0);
      return ip_any(w, pl + h, pcap - h, next == IPPROTO_IPIP_ ? 4 : 6);
    }
  }
  if (allowed(w, FS_ENCAP_TEREDO) && pcap >= 40) {
    uint32_t off = 0;
    if (teredo_inner(pl, pcap, plen, d->sport == 3544 || d->dport == 3544, &off)) {
      if (deeper(w))
        return FS_SKIP_TOO_DEEP;
      enter_tunnel(w, FS_ENCAP_TEREDO, 0, 0);
      return ip_any(w, pl + off, pcap - off, 6);
    }
  }
  return 0;
}

/* ---- GRE (RFC 2784/2890, enhanced GRE of RFC 2637) and ERSPAN ---------- */

static uint32_t ppp_proto(walk *w, uint16_t proto, const uint8_t *p, uint32_t len);

static uint32_t gre(walk *w, const uint8_t *p, uint32_t cap) {
  if (cap < 4)
    return FS_SKIP_TRUNCATED;
  uint16_t flags = fsi_be16(p);
  uint16_t proto = fsi_be16(p + 2);
  uint32_t ver = flags & 7u, off = 4, key = 0;
  int has_key = 0;
  if (ver == 0) {
    if (flags & 0x4000) /* routing present (RFC 1701): not supported */
      return FS_SKIP_UNSUPPORTED;
    if (flags & 0x8000) /* checksum + reserved1 */
      off += 4;
    if (flags & 0x2000) {
      if (cap < off + 4)
        return FS_SKIP_TRUNCATED;
      key = fsi_be32(p + off);
      has_key = 1;
      off += 4;
    }
    if (flags & 0x1000) /* sequence number */
      off += 4;
  } else if (ver == 1) {
    /* Enhanced GRE (PPTP): key = payload length + call id, optional
     * sequence and acknowledgement numbers. */
    if (!(flags & 0x2000) || proto != FSI_ETH_PPP)
      return FS_SKIP_MALFORMED;
    off += 4;
    if (flags & 0x1000)
      off += 4;
    if (flags & 0x0080)
      off += 4;
  } else {
    return FS_SKIP_UNSUPPORTED;
  }
  if (cap < off)
    return FS_SKIP_TRUNCATED;
  if (deeper(w))
    return FS_SKIP_TOO_DEEP;
  const uint8_t *in = p + off;
  uint32_t in_len = cap - off;
  enter_tunnel(w, FS_ENCAP_GRE, key, has_key);
  if (proto >= 0x8200 && proto <= 0x8240 && ver == 0) {
    /* Aruba controller GRE: an 802.11 frame follows the GRE header. */
    if (!allowed(w, FS_ENCAP_ARUBA))
      return FS_SKIP_UNSUPPORTED;
    w->d->encap |= FS_ENCAP_ARUBA;
    return wlan(w, in, in_len);
  }
  switch (proto) {
  case FSI_ETH_TEB: return ethernet(w, in, in_len);
  case FSI_ETH_ERSPAN2:
    w->d->encap |= FS_ENCAP_ERSPAN;
    if (!(flags & 0x1000)) /* type I: no ERSPAN header, no sequence number */
      return ethernet(w, in, in_len);
    if (in_len < 8) /* type II: 8-byte header */
      return FS_SKIP_TRUNCATED;
    return ethernet(w, in + 8, in_len - 8);
  case FSI_ETH_ERSPAN3: {
    w->d->encap |= FS_ENCAP_ERSPAN;
    if (in_len < 12) /* type III: 12-byte header, O bit adds an 8-byte sub-header */
      return FS_SKIP_TRUNCATED;
    uint32_t h = (in[11] & 0x01) ? 20 : 12;
    if (in_len < h)
      return FS_SKIP_TRUNCATED;
    return ethernet(w, in + h, in_len - h);
  }
  case FSI_ETH_PPP: {
    /* PPP: optional address/control (ff 03), then a 1- or 2-byte protocol. */
    if (in_len >= 2 && in[0] == 0xff && in[1] == 0x03)
      in += 2, in_len -= 2;
    if (in_len < 1)
      return FS_SKIP_TRUNCATED;
    if (in[0] & 1)
      return ppp_proto(w, in[0], in + 1, in_len - 1);
    if (in_len < 2)
      return FS_SKIP_TRUNCATED;
    return ppp_proto(w, fsi_be16(in), in + 2, in_len - 2);
  }
  default: return ethertype(w, proto, in, in_len);
  }
}

/* ---- IP ---------------------------------------------------------------- */

static uint32_t ip_payload(walk *w, uint8_t proto, const uint8_t *p, uint32_t cap, uint32_t wire);

static int is_v6_ext(uint8_t nh) {
  return nh == 0 || nh == 43 || nh == 60 || nh == 44 || nh == 51 || nh == 135;
}

/* The Home Address destination option (RFC 6275, type 0xc9) names the
 * mobile node's home address: Zeek and tshark use it as the source. */
static void home_address(walk *w, const uint8_t *opt, uint32_t len) {
  uint32_t i = 2;
  while (i < len) {
    if (opt[i] == 0) { /* Pad1 */
      i++;
      continue;
    }
    if (i + 2 > len)
      return;
    uint32_t olen = opt[i + 1];
    if (i + 2 + olen > len)
      return;
    if (opt[i] == 0xc9 && olen == 16)
      w->d->src = opt + i + 2;
    i += 2 + olen;
  }
}

/* A type 0 or type 2 routing header with segments left names the final
 * destination last: Zeek and tshark key the packet on it. */
static void final_destination(walk *w, const uint8_t *rh, uint32_t len) {
  uint8_t type = rh[2], left = rh[3];
  uint32_t n = rh[1] / 2; /* addresses */
  if (left == 0 || n == 0 || (type != 0 && type != 2) || 8 + n * 16 > len)
    return;
  w->d->dst = rh + 8 + (n - 1) * 16;
}

/* Walks IPv6 extension headers from *nh at *p. Stops at the first
 * upper-layer header or at a fragment header (left in *nh). */
static uint32_t v6_ext(walk *w, uint8_t *nh, const uint8_t **p, uint32_t *cap, uint32_t *wire) {
  while (*nh != 44 && is_v6_ext(*nh)) {
    if (deeper(w))
      return FS_SKIP_TOO_DEEP;
    if (*wire < 2)
      return FS_SKIP_MALFORMED; /* the payload length ends before this header */
    if (*cap < 2)
      return FS_SKIP_TRUNCATED;
    uint32_t len = *nh == 51 ? ((uint32_t)(*p)[1] + 2) * 4 : ((uint32_t)(*p)[1] + 1) * 8;
    if (*wire < len)
      return FS_SKIP_MALFORMED;
    if (*cap < len)
      return FS_SKIP_TRUNCATED;
    if (*nh == 60)
      home_address(w, *p, len);
    else if (*nh == 43)
      final_destination(w, *p, len);
    *nh = (*p)[0];
    *p += len;
    *cap -= len;
    *wire -= len;
  }
  return 0;
}

static uint32_t first_fragment_l4(walk *w, const uint8_t *p, uint32_t cap) {
  /* Ports of a first fragment, for callers that do not reassemble. The
   * L4 length is unknown here, so the captured length stands in. */
  fsi_decoded *d = w->d;
  switch (d->proto) {
  case FS_L4_TCP:
  case FS_L4_UDP:
  case FS_L4_SCTP:
    if (cap >= 4) {
      d->l4 = p;
      d->l4_cap = cap;
      d->sport = fsi_be16(p);
      d->dport = fsi_be16(p + 2);
      d->has_ports = 1;
    }
    break;
  case FS_L4_ICMP:
  case FS_L4_ICMPV6:
    if (cap >= 2) {
      d->l4 = p;
      d->l4_cap = cap;
      d->icmp_type_code = (uint32_t)(p[0] << 8 | p[1]);
    }
    break;
  default: break;
  }
  return FS_SKIP_FRAGMENT;
}

/* A new IP layer starts: forget the L4 facts of any outer layer. */
static void reset_l4(fsi_decoded *d) {
  d->l4 = NULL;
  d->l4_cap = d->l4_wire = 0;
  d->sport = d->dport = 0;
  d->icmp_type_code = 0;
  d->has_ports = d->has_tcp = 0;
  memset(&d->tcp, 0, sizeof d->tcp);
  d->payload = NULL;
  d->payload_len = 0;
  d->is_frag = d->more_frags = 0;
  d->frag_id = d->frag_off = d->frag_cap = d->frag_wire = 0;
  d->frag_data = NULL;
}

static uint32_t ipv4(walk *w, const uint8_t *p, uint32_t len) {
  fsi_decoded *d = w->d;
  reset_l4(d);
  if (len < 20)
    return FS_SKIP_TRUNCATED;
  if (p[0] >> 4 != 4)
    return FS_SKIP_MALFORMED;
  uint32_t hl = (uint32_t)(p[0] & 0x0f) * 4;
  if (hl < 20)
    return FS_SKIP_MALFORMED;
  if (len < hl)
    return FS_SKIP_TRUNCATED;
  uint32_t total = fsi_be16(p + 2);
  if (total == 0)
    total = len; /* segmentation offload on the capturing host: length unfilled */
  if (total < hl)
    return FS_SKIP_MALFORMED;
  uint32_t cap = len < total ? len : total;
  d->ip_version = 4;
  d->l3 = p;
  d->l3_cap = cap;
  d->ip_len = total;
  d->src = p + 12;
  d->dst = p + 16;
  d->flow_label = 0;
  d->proto = p[9];
  uint16_t fo = fsi_be16(p + 6);
  if (fo & 0x3fff) {
    d->is_frag = 1;
    d->more_frags = (fo & 0x2000) != 0;
    d->frag_off = (uint32_t)(fo & 0x1fff) * 8;
    d->frag_id = fsi_be16(p + 4);
    d->frag_data = p + hl;
    d->frag_cap = cap - hl;
    d->frag_wire = total - hl;
    if (d->frag_off == 0)
      return first_fragment_l4(w, p + hl, cap - hl);
    return FS_SKIP_FRAGMENT;
  }
  d->is_frag = 0;
  return ip_payload(w, d->proto, p + hl, cap - hl, total - hl);
}

static uint32_t ipv6(walk *w, const uint8_t *p, uint32_t len) {
  fsi_decoded *d = w->d;
  reset_l4(d);
  if (len < 40)
    return FS_SKIP_TRUNCATED;
  if (p[0] >> 4 != 6)
    return FS_SKIP_MALFORMED;
  uint32_t total = 40 + (uint32_t)fsi_be16(p + 4);
  if (total == 40 && p[6] == 0)
    total = len; /* jumbogram (RFC 2675) or offload: length from the capture */
  uint32_t cap = len < total ? len : total;
  d->ip_version = 6;
  d->l3 = p;
  d->l3_cap = cap;
  d->ip_len = total;
  d->src = p + 8;
  d->dst = p + 24;
  d->flow_label = fsi_be32(p) & 0xfffffu;
  d->is_frag = 0;
  uint8_t nh = p[6];
  const uint8_t *q = p + 40;
  uint32_t qcap = cap - 40, qwire = total - 40;
  uint32_t r = v6_ext(w, &nh, &q, &qcap, &qwire);
  if (r)
    return r;
  if (nh == 44) {
    if (qwire < 8)
      return FS_SKIP_MALFORMED;
    if (qcap < 8)
      return FS_SKIP_TRUNCATED;
    uint16_t fo = fsi_be16(q + 2);
    uint8_t next = q[0];
    d->frag_id = fsi_be32(q + 4);
    q += 8, qcap -= 8, qwire -= 8;
    if ((fo & 0xfff9) != 0) { /* offset or M set: a real fragment */
      d->is_frag = 1;
      d->proto = next;
      d->more_frags = (fo & 1) != 0;
      d->frag_off = fo & 0xfff8u;
      d->frag_data = q;
      d->frag_cap = qcap;
      d->frag_wire = qwire;
      if (d->frag_off == 0) {
        /* Headers after the fragment header sit in the first fragment. */
        uint8_t n2 = next;
        const uint8_t *q2 = q;
        uint32_t c2 = qcap, w2 = qwire;
        if (v6_ext(w, &n2, &q2, &c2, &w2) == 0 && n2 != 44) {
          uint8_t keep = d->proto;
          d->proto = n2;
          first_fragment_l4(w, q2, c2);
          d->proto = keep;
        }
      }
      return FS_SKIP_FRAGMENT;
    }
    /* Atomic fragment (RFC 6946): offset 0, M clear: not fragmented. */
    nh = next;
    r = v6_ext(w, &nh, &q, &qcap, &qwire);
    if (r)
      return r;
    if (nh == 44)
      return FS_SKIP_MALFORMED;
  }
  d->proto = nh;
  return ip_payload(w, nh, q, qcap, qwire);
}

static uint32_t ip_any(walk *w, const uint8_t *p, uint32_t len, uint32_t want_version) {
  if (len < 1)
    return FS_SKIP_TRUNCATED;
  uint32_t v = p[0] >> 4;
  if (want_version && v != want_version)
    return FS_SKIP_MALFORMED;
  if (v == 4)
    return ipv4(w, p, len);
  if (v == 6)
    return ipv6(w, p, len);
  return want_version ? FS_SKIP_MALFORMED : FS_SKIP_NOT_IP;
}

static uint32_t ip_payload(walk *w, uint8_t proto, const uint8_t *p, uint32_t cap, uint32_t wire) {
  fsi_decoded *d = w->d;
  d->proto = proto;
  d->l4 = p;
  d->l4_cap = cap;
  d->l4_wire = wire;
  switch (proto) {
  case FS_L4_TCP: return l4_tcp(w, p, cap, wire);
  case FS_L4_UDP: return l4_udp(w, p, cap, wire);
  case FS_L4_SCTP: return l4_sctp(w, p, cap);
  case FS_L4_ICMP:
  case FS_L4_ICMPV6: return l4_icmp(w, p, cap);
  case IPPROTO_IPIP_:
  case IPPROTO_IPV6_:
    if (!allowed(w, FS_ENCAP_IPIP))
      return 0;
    if (deeper(w))
      return FS_SKIP_TOO_DEEP;
    enter_tunnel(w, FS_ENCAP_IPIP, 0, 0);
    return ip_any(w, p, cap, proto == IPPROTO_IPIP_ ? 4 : 6);
  case IPPROTO_GRE_:
    if (!allowed(w, FS_ENCAP_GRE))
      return 0;
    return gre(w, p, cap);
  default: return 0; /* another protocol: the flow is keyed on addresses and protocol */
  }
}

/* ---- link layers and the ethertype chain -------------------------------- */

static uint32_t mpls(walk *w, const uint8_t *p, uint32_t len) {
  if (!allowed(w, FS_ENCAP_MPLS))
    return FS_SKIP_UNSUPPORTED;
  w->d->encap |= FS_ENCAP_MPLS;
  for (;;) {
    if (deeper(w))
      return FS_SKIP_TOO_DEEP;
    if (len < 4)
      return FS_SKIP_TRUNCATED;
    int bottom = (p[2] & 0x01) != 0;
    p += 4, len -= 4;
    if (bottom)
      break;
  }
  if (len < 1)
    return FS_SKIP_TRUNCATED;
  /* No protocol field: guess from the first nibble, as routers do. 0 is
   * the pseudowire control word (RFC 4448) before an Ethernet frame. */
  uint32_t v = p[0] >> 4;
  if (v == 4 || v == 6)
    return ip_any(w, p, len, v);
  if (v == 0) {
    if (len < 4)
      return FS_SKIP_TRUNCATED;
    return ethernet(w, p + 4, len - 4);
  }
  return FS_SKIP_UNSUPPORTED;
}

static uint32_t ppp_proto(walk *w, uint16_t proto, const uint8_t *p, uint32_t len) {
  switch (proto) {
  case 0x0021: return ip_any(w, p, len, 4);
  case 0x0057: return ip_any(w, p, len, 6);
  case 0x0281:
  case 0x0283: return mpls(w, p, len);
  default: return FS_SKIP_NOT_IP;
  }
}

/* PPPoE session header: ver/type, code, session id, length; then PPP protocol. */
static uint32_t pppoe(walk *w, const uint8_t *p, uint32_t len) {
  if (len < 8)
    return FS_SKIP_TRUNCATED;
  if (p[0] != 0x11 || p[1] != 0x00)
    return FS_SKIP_MALFORMED;
  return ppp_proto(w, fsi_be16(p + 6), p + 8, len - 8);
}

/* 802.2 LLC: only SNAP (AA AA 03, OUI, ethertype) can carry IP here. */
static uint32_t llc(walk *w, const uint8_t *p, uint32_t len) {
  if (len < 3)
    return FS_SKIP_TRUNCATED;
  if (p[0] != 0xaa || p[1] != 0xaa || p[2] != 0x03)
    return FS_SKIP_NOT_IP; /* STP, NetBIOS, IPX, ... */
  if (len < 8)
    return FS_SKIP_TRUNCATED;
  uint16_t type = fsi_be16(p + 6);
  if (type < 0x0600)
    return FS_SKIP_NOT_IP;
  return ethertype(w, type, p + 8, len - 8);
}

static uint32_t ethertype(walk *w, uint16_t type, const uint8_t *p, uint32_t len) {
  fsi_decoded *d = w->d;
  for (;;) {
    switch (type) {
    case FSI_ETH_IPV4: return ip_any(w, p, len, 4);
    case FSI_ETH_IPV6: return ip_any(w, p, len, 6);
    case FSI_ETH_VLAN:
    case FSI_ETH_QINQ:
    case FSI_ETH_QINQ_OLD:
      if (!allowed(w, FS_ENCAP_VLAN))
        return FS_SKIP_UNSUPPORTED;
      if (deeper(w))
        return FS_SKIP_TOO_DEEP;
      if (len < 4)
        return FS_SKIP_TRUNCATED;
      if (d->n_vlans < FS_MAX_VLANS)
        d->vlans[d->n_vlans++] = fsi_be16(p) & 0x0fff;
      d->encap |= FS_ENCAP_VLAN;
      type = fsi_be16(p + 2);
      p += 4, len -= 4;
      continue;
    case FSI_ETH_VNTAG:
      /* VN-Tag: direction/pointer/destination VIF, looped/source VIF (4
       * bytes), then the next ethertype. */
      if (!allowed(w, FS_ENCAP_VNTAG))
        return FS_SKIP_UNSUPPORTED;
      if (deeper(w))
        return FS_SKIP_TOO_DEEP;
      if (len < 6)
        return FS_SKIP_TRUNCATED;
      d->encap |= FS_ENCAP_VNTAG;
      type = fsi_be16(p + 4);
      p += 6, len -= 6;
      continue;
    case FSI_ETH_FABRICPATH:
      /* FabricPath: the outer MACs and this ethertype were the Ethernet
       * header; forwarding tag and TTL (2 bytes), then the customer's
       * whole Ethernet frame. */
      if (!allowed(w, FS_ENCAP_FABRICPATH))
        return FS_SKIP_UNSUPPORTED;
      if (deeper(w))
        return FS_SKIP_TOO_DEEP;
      if (len < 2 + 14)
        return FS_SKIP_TRUNCATED;
      d->encap |= FS_ENCAP_FABRICPATH;
      return ethernet(w, p + 2, len - 2);
    case FSI_ETH_MPLS:
    case FSI_ETH_MPLS_MC: return mpls(w, p, len);
    case FSI_ETH_PPPOE: return pppoe(w, p, len);
    case FSI_ETH_PBB:
      /* 802.1ah backbone service instance tag, then the customer frame. */
      if (!allowed(w, FS_ENCAP_VLAN))
        return FS_SKIP_UNSUPPORTED;
      if (deeper(w))
        return FS_SKIP_TOO_DEEP;
      if (len < 4 + 14)
        return FS_SKIP_TRUNCATED;
      d->encap |= FS_ENCAP_VLAN;
      type = fsi_be16(p + 4 + 12);
      p += 4 + 14, len -= 4 + 14;
      continue;
    default:
      if (type < 0x0600) /* an 802.3 length: LLC follows */
        return llc(w, p, len);
      return FS_SKIP_NOT_IP; /* ARP, LLDP, ... */
    }
  }
}

static uint32_t ethernet(walk *w, const uint8_t *p, uint32_t len) {
  if (len < 14)
    return FS_SKIP_TRUNCATED;
  if (!w->d->eth)
    w->d->eth = p;
  return ethertype(w, fsi_be16(p + 12), p + 14, len - 14);
}

/* 802.11 (IEEE 802.11-2020 section 9.2): only data frames carry IP. Frame
 * control (type/subtype, then flags: to-DS 0x01, from-DS 0x02, protected
 * 0x40, +HTC/order 0x80), duration, three addresses, sequence control (24
 * bytes); a fourth address when both DS bits are set; QoS control (2) in QoS
 * data subtypes, and HT control (4) after it when the order bit is set.
 * Then LLC/SNAP, or an A-MSDU whose first subframe (destination, source,
 * length: 14 bytes) is decoded. Protected (encrypted) frames are skipped. */
static uint32_t wlan(walk *w, const uint8_t *p, uint32_t len) {
  if (len < 24)
    return FS_SKIP_TRUNCATED;
  uint8_t fc0 = p[0], fc1 = p[1];
  if (((fc0 >> 2) & 3) != 2 || (fc0 & 3) != 0)
    return FS_SKIP_NOT_IP; /* management, control, or an unknown version */
  uint32_t subtype = fc0 >> 4;
  if (subtype & 0x4)
    return FS_SKIP_NOT_IP; /* null data: no body */
  if (fc1 & 0x40)
    return FS_SKIP_UNSUPPORTED; /* protected: encrypted body */
  uint32_t h = 24;
  if ((fc1 & 0x03) == 0x03)
    h += 6;
  int amsdu = 0;
  if (subtype & 0x8) {
    if (len < h + 2)
      return FS_SKIP_TRUNCATED;
    amsdu = (p[h] & 0x80) != 0;
    h += 2;
    if (fc1 & 0x80)
      h += 4;
  }
  if (amsdu)
    h += 14;
  if (len < h)
    return FS_SKIP_TRUNCATED;
  return llc(w, p + h, len - h);
}

/* Radiotap: version 0, pad, little-endian header length, then the fields
 * the present bitmaps announce; the 802.11 frame follows the header. */
static uint32_t radiotap(walk *w, const uint8_t *p, uint32_t len) {
  if (len < 8)
    return FS_SKIP_TRUNCATED;
  if (p[0] != 0)
    return FS_SKIP_MALFORMED;
  uint32_t h = (uint32_t)p[2] | (uint32_t)p[3] << 8;
  if (h < 8)
    return FS_SKIP_MALFORMED;
  if (len < h)
    return FS_SKIP_TRUNCATED;
  return wlan(w, p + h, len - h);
}

/* BSD loopback: a 4-byte address family in the capturing host's order
 * (DLT_NULL) or network order (DLT_LOOP). AF_INET6 differs by OS. */
static uint32_t loopback(walk *w, const uint8_t *p, uint32_t len, int network_order) {
  if (len < 4)
    return FS_SKIP_TRUNCATED;
  uint32_t fam = fsi_be32(p);
  if (!network_order && !(p[0] == 0 && p[1] == 0))
    fam = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  if (fam == 2)
    return ip_any(w, p + 4, len - 4, 4);
  if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
    return ip_any(w, p + 4, len - 4, 6);
  return FS_SKIP_NOT_IP;
}

/* PPP in HDLC-like framing (DLT_PPP, DLT_PPP_SERIAL). */
static uint32_t ppp(walk *w, const uint8_t *p, uint32_t len) {
  if (len >= 2 && p[0] == 0xff && p[1] == 0x03)
    p += 2, len -= 2;
  if (len < 1)
    return FS_SKIP_TRUNCATED;
  if (p[0] & 1) /* protocol field compressed to one byte */
    return ppp_proto(w, p[0], p + 1, len - 1);
  if (len < 2)
    return FS_SKIP_TRUNCATED;
  return ppp_proto(w, fsi_be16(p), p + 2, len - 2);
}

/* NFLOG: family, version, resource id, then TLVs (host-order length and
 * type, length includes the 4-byte TLV header, padded to 4); type 9 is
 * the packet payload. */
static uint32_t nflog(walk *w, const uint8_t *p, uint32_t len) {
  if (len < 4)
    return FS_SKIP_TRUNCATED;
  uint8_t fam = p[0];
  uint32_t off = 4;
  while (off + 4 <= len) {
    if (deeper(w))
      return FS_SKIP_TOO_DEEP;
    uint32_t tl = (uint32_t)p[off] | (uint32_t)p[off + 1] << 8;
    uint32_t tt = ((uint32_t)p[off + 2] | (uint32_t)p[off + 3] << 8) & 0x7fff;
    if (tl < 4)
      return FS_SKIP_MALFORMED;
    if (tt == 9) {
      uint32_t end = off + tl < len ? off + tl : len;
      const uint8_t *ip = p + off + 4;
      uint32_t ilen = end - off - 4;
      if (fam == 2)
        return ip_any(w, ip, ilen, 4);
      if (fam == 10)
        return ip_any(w, ip, ilen, 6);
      return FS_SKIP_NOT_IP;
    }
    off += (tl + 3) & ~3u;
  }
  return FS_SKIP_TRUNCATED;
}

uint32_t fsi_decode(const fsi_decode_opts *opts, uint32_t link_type, const uint8_t *p, uint32_t len,
                    fsi_decoded *d) {
  /* Field by field rather than one memset: this runs for every packet and
   * a block clear of the whole struct costs more than the decode itself. */
  d->encap = d->n_vlans = d->depth = 0;
  d->tunnel_id = d->tunnel_ip_version = 0;
  d->eth = NULL;
  d->ip_version = 0;
  d->l3 = NULL;
  d->l3_cap = d->ip_len = 0;
  d->src = d->dst = NULL;
  d->flow_label = 0;
  d->proto = 0;
  reset_l4(d);
  walk w = {opts, d, p};
  d->base = p;
  if (!p)
    return FS_SKIP_TRUNCATED;
  switch (link_type) {
  case DLT_EN10MB_: return ethernet(&w, p, len);
  case DLT_RAW_:
  case DLT_RAW_OPENBSD_:
  case LINKTYPE_RAW_: return ip_any(&w, p, len, 0);
  case LINKTYPE_IPV4_: return ip_any(&w, p, len, 4);
  case LINKTYPE_IPV6_: return ip_any(&w, p, len, 6);
  case DLT_LINUX_SLL_:
    /* packet type, ARPHRD type, address length, address (8), protocol */
    if (len < 16)
      return FS_SKIP_TRUNCATED;
    return ethertype(&w, fsi_be16(p + 14), p + 16, len - 16);
  case DLT_LINUX_SLL2_:
    /* protocol, reserved, ifindex, ARPHRD type, packet type, address length, address (8) */
    if (len < 20)
      return FS_SKIP_TRUNCATED;
    return ethertype(&w, fsi_be16(p), p + 20, len - 20);
  case DLT_NULL_: return loopback(&w, p, len, 0);
  case DLT_LOOP_: return loopback(&w, p, len, 1);
  case DLT_PPP_:
  case DLT_PPP_SERIAL_: return ppp(&w, p, len);
  case DLT_PPP_ETHER_: return pppoe(&w, p, len);
  case DLT_FDDI_:
    /* frame control, destination, source (13 bytes), then LLC */
    if (len < 13)
      return FS_SKIP_TRUNCATED;
    return llc(&w, p + 13, len - 13);
  case DLT_NFLOG_: return nflog(&w, p, len);
  case DLT_IEEE802_11_: return wlan(&w, p, len);
  case DLT_IEEE802_11_RADIO_: return radiotap(&w, p, len);
  default: return FS_SKIP_LINKTYPE;
  }
}

uint32_t fsi_decode_ip_payload(const fsi_decode_opts *opts, fsi_decoded *d, uint8_t proto,
                               const uint8_t *p, uint32_t cap, uint32_t wire, const uint8_t *base) {
  walk w = {opts, d, base};
  d->is_frag = 0;
  d->base = base;
  if (d->ip_version == 6) {
    uint32_t r = v6_ext(&w, &proto, &p, &cap, &wire);
    if (r)
      return r;
    if (proto == 44)
      return FS_SKIP_MALFORMED; /* a fragment inside a reassembled datagram */
  }
  return ip_payload(&w, proto, p, cap, wire);
}
