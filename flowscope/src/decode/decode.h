/* SPDX-License-Identifier: MIT */
/* Internal packet decoder: from a captured frame to the innermost IP header
 * and its L4 header, through link layers, VLAN/MPLS/PPPoE and tunnels.
 * Never reads past the captured length; every refusal is a fs_skip_reason. */
#ifndef FSI_DECODE_H
#define FSI_DECODE_H

#include "flowscope/core.h"

/* What the decoder may enter. */
typedef struct fsi_decode_opts {
  uint32_t layers;    /* FS_ENCAP_* bits the decoder may pass (VLAN, MPLS, tunnels) */
  uint32_t max_depth; /* most nested layers + IPv6 extension headers */
} fsi_decode_opts;

/* One decoded packet. Pointers point into the frame (or the buffer given to
 * fsi_decode_ip_payload). Fields are valid when the decoder returns 0 or
 * FS_SKIP_FRAGMENT (the IP part). */
typedef struct fsi_decoded {
  /* outer layers */
  uint32_t encap;               /* FS_ENCAP_* bits passed */
  uint32_t n_vlans;             /* VLAN ids recorded */
  uint16_t vlans[FS_MAX_VLANS]; /* outermost first */
  uint32_t depth;               /* layers passed so far */
  uint32_t tunnel_id;           /* of the outermost tunnel that has one */
  uint32_t tunnel_ip_version;   /* 4/6 once a tunnel was entered */
  uint8_t tunnel_src[16];       /* outer IP source of the outermost tunnel */
  uint8_t tunnel_dst[16];       /* outer IP destination */
  const uint8_t *eth;           /* outermost Ethernet header (14 bytes), or NULL */
  /* innermost IP */
  uint32_t ip_version;      /* 4 or 6, 0 before any IP */
  const uint8_t *l3;        /* IP header */
  uint32_t l3_cap;          /* captured bytes from l3, clamped to ip_len */
  uint32_t ip_len;          /* total length the header claims */
  const uint8_t *src, *dst; /* addresses (4 or 16 bytes) */
  uint32_t flow_label;      /* IPv6 */
  uint8_t proto;            /* final (upper-layer) protocol */
  /* fragments */
  uint8_t is_frag;    /* the innermost IP packet is a fragment */
  uint8_t more_frags; /* MF bit / M flag */
  uint8_t reserved0;
  uint32_t frag_id;         /* identification (16 bits for IPv4) */
  uint32_t frag_off;        /* offset in bytes */
  const uint8_t *frag_data; /* fragment payload (after all headers) */
  uint32_t frag_cap;        /* captured fragment payload bytes */
  uint32_t frag_wire;       /* fragment payload bytes the header claims */
  /* L4 */
  const uint8_t *l4;       /* L4 header (NULL for non-first fragments) */
  uint32_t l4_cap;         /* captured bytes from l4 (within ip_len) */
  uint32_t l4_wire;        /* L4 bytes the IP header claims */
  uint16_t sport, dport;   /* TCP/UDP/SCTP ports */
  uint32_t icmp_type_code; /* type << 8 | code */
  uint32_t has_ports;      /* sport/dport are valid */
  uint32_t has_tcp;
  fs_tcp_info tcp;        /* payload_offset relative to `base` */
  const uint8_t *base;    /* start of the buffer the pointers point into */
  const uint8_t *payload; /* L4 payload */
  uint32_t payload_len;   /* captured payload bytes */
} fsi_decoded;

/* Decodes a frame of link type @p link_type. Returns 0 when an IP packet with
 * its L4 header was found, FS_SKIP_FRAGMENT when the innermost IP packet is
 * a fragment (IP fields and frag_* filled; l4 only for a first fragment), or
 * another fs_skip_reason. @p out is overwritten. */
uint32_t fsi_decode(const fsi_decode_opts *opts, uint32_t link_type, const uint8_t *data,
                    uint32_t caplen, fsi_decoded *out);

/* Continues decoding at an IP payload of protocol @p proto (a reassembled
 * datagram): L4 header, and tunnels inside it. The IP fields of @p d must be
 * set by the caller; the encapsulation fields already in @p d are kept.
 * @p base is the start of the buffer for tcp.payload_offset. */
uint32_t fsi_decode_ip_payload(const fsi_decode_opts *opts, fsi_decoded *d, uint8_t proto,
                               const uint8_t *p, uint32_t cap, uint32_t wire, const uint8_t *base);

/* Ethertypes and link types the decoder knows. */
enum {
  FSI_ETH_IPV4 = 0x0800,
  FSI_ETH_ARP = 0x0806,
  FSI_ETH_VLAN = 0x8100,
  FSI_ETH_QINQ = 0x88a8,
  FSI_ETH_QINQ_OLD = 0x9100,
  FSI_ETH_IPV6 = 0x86dd,
  FSI_ETH_MPLS = 0x8847,
  FSI_ETH_MPLS_MC = 0x8848,
  FSI_ETH_PPPOE = 0x8864,
  FSI_ETH_TEB = 0x6558,        /* transparent Ethernet bridging (GRE) */
  FSI_ETH_ERSPAN2 = 0x88be,    /* ERSPAN type I/II (GRE protocol) */
  FSI_ETH_ERSPAN3 = 0x22eb,    /* ERSPAN type III */
  FSI_ETH_PPP = 0x880b,        /* PPP in enhanced GRE (PPTP) */
  FSI_ETH_PBB = 0x88e7,        /* 802.1ah provider backbone bridging I-TAG */
  FSI_ETH_FABRICPATH = 0x8903, /* Cisco FabricPath */
  FSI_ETH_VNTAG = 0x8926       /* Cisco VN-Tag (802.1Qbh) */
};

static inline uint16_t fsi_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t fsi_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

#endif /* FSI_DECODE_H */
