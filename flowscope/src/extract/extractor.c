/* SPDX-License-Identifier: MIT */
/* The built-in extractors: decode (decode/), reassemble fragments
 * (defrag.c), then build the configured key (five-tuple bidirectional or
 * unidirectional, IP pair, MAC pair) with the optional VLAN, tunnel and
 * flow-label parts. Every packet is either extracted or skipped for exactly
 * one counted reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "extract/defrag.h"
#include "extract/extract_ahead.h"
#include "flowscope/extract.h"

#define ALL_LAYERS                                                                                 \
  (FS_ENCAP_VLAN | FS_ENCAP_MPLS | FS_ENCAP_VXLAN | FS_ENCAP_GTPU | FS_ENCAP_GRE | FS_ENCAP_IPIP | \
   FS_ENCAP_ERSPAN | FS_ENCAP_GENEVE | FS_ENCAP_AYIYA | FS_ENCAP_TEREDO | FS_ENCAP_FABRICPATH |    \
   FS_ENCAP_VNTAG | FS_ENCAP_ARUBA)
/* Link-level headers that are not tunnels: passed in FS_ENCAP_MODE_OUTER too. */
#define LINK_LAYERS (FS_ENCAP_VLAN | FS_ENCAP_MPLS | FS_ENCAP_FABRICPATH | FS_ENCAP_VNTAG)

typedef struct extractor {
  fs_extract_config cfg;
  fsi_decode_opts opts;
  fsi_defrag *defrag; /* NULL when reassembly is off */
  fs_extract_counters c;
} extractor;

void fs_extract_config_default(fs_extract_config *cfg) {
  if (!cfg)
    return;
  memset(cfg, 0, sizeof *cfg);
  cfg->struct_size = sizeof *cfg;
  cfg->kind = FS_EXTRACT_FIVE_TUPLE;
  cfg->encap_mode = FS_ENCAP_MODE_AUTO;
  cfg->encap_layers = ALL_LAYERS;
  cfg->max_depth = 16;
  cfg->defrag.struct_size = sizeof cfg->defrag;
  cfg->defrag.enabled = 1;
  cfg->defrag.max_datagrams = 4096;
  cfg->defrag.max_fragments = 64;
  cfg->defrag.max_bytes = 16u << 20;
  cfg->defrag.max_datagram_size = 65535 + 40;
  cfg->defrag.min_fragment_size = 8;
  cfg->defrag.timeout = 60 * FS_NS_PER_SEC; /* RFC 8200's reassembly time */
}

const char *fs_skip_reason_name(uint32_t reason) {
  static const char *const names[] = {"none",      "link_type", "truncated",     "malformed",
                                      "not_ip",    "fragment",  "fragment_drop", "unsupported",
                                      "duplicate", "filtered",  "too_deep"};
  return reason < sizeof names / sizeof names[0] ? names[reason] : "unknown";
}

/* Zeek's ICMP "ports": the source port is the type; the destination port
 * is the type of the matching reply/request for paired messages (so both
 * directions give one flow), otherwise the code. */
static uint16_t icmp_counterpart(int v6, uint8_t type, uint8_t code) {
  if (!v6) {
    switch (type) {
    case 8: return 0; /* echo request -> echo reply */
    case 0: return 8;
    case 13: return 14; /* timestamp */
    case 14: return 13;
    case 15: return 16; /* information */
    case 16: return 15;
    case 17: return 18; /* address mask */
    case 18: return 17;
    case 10: return 9; /* router solicitation -> advertisement */
    case 9: return 10;
    default: return code;
    }
  }
  switch (type) {
  case 128: return 129; /* echo */
  case 129: return 128;
  case 133: return 134; /* router solicitation/advertisement */
  case 134: return 133;
  case 135: return 136; /* neighbour solicitation/advertisement */
  case 136: return 135;
  case 130: return 131; /* multicast listener query/report */
  case 131: return 130;
  case 139: return 140; /* node information query/reply */
  case 140: return 139;
  default: return code;
  }
}

static void fill_key(const extractor *x, const fsi_decoded *d, fs_extract_result *out) {
  fs_flow_key *k = &out->key;
  memset(k, 0, sizeof *k);
  const uint8_t *sa, *da;
  uint32_t alen;
  uint16_t sp = 0, dp = 0;
  int v6 = d->ip_version == 6;
  if (x->cfg.kind == FS_EXTRACT_MAC_PAIR) {
    k->kind = FS_KEY_MAC_PAIR;
    sa = d->eth + 6;
    da = d->eth;
    alen = 6;
    k->proto = d->ip_version ? d->proto : 0;
  } else {
    sa = d->src;
    da = d->dst;
    alen = v6 ? 16 : 4;
    k->proto = d->proto;
    if (x->cfg.kind == FS_EXTRACT_IP_PAIR) {
      k->kind = v6 ? FS_KEY_IP_PAIR_V6 : FS_KEY_IP_PAIR_V4;
    } else {
      k->kind = v6 ? FS_KEY_FIVE_TUPLE_V6 : FS_KEY_FIVE_TUPLE_V4;
      if (d->has_ports) {
        sp = d->sport;
        dp = d->dport;
      } else if (d->proto == FS_L4_ICMP || d->proto == FS_L4_ICMPV6) {
        uint8_t type = (uint8_t)(d->icmp_type_code >> 8), code = (uint8_t)d->icmp_type_code;
        sp = type;
        dp = icmp_counterpart(d->proto == FS_L4_ICMPV6, type, code);
      }
    }
  }
  int swap = 0;
  if (x->cfg.kind == FS_EXTRACT_FIVE_TUPLE_UNIDIR) {
    k->flags |= FS_KEYF_UNIDIR;
  } else {
    int cmp;
    if (alen == 4) { /* compare as big-endian numbers: the same order as memcmp */
      uint32_t a = fsi_be32(sa), b = fsi_be32(da);
      cmp = a < b ? -1 : (a > b);
    } else {
      cmp = memcmp(sa, da, alen);
    }
    swap = cmp > 0 || (cmp == 0 && sp > dp);
  }
  if (swap) {
    memcpy(k->addr_a, da, alen);
    memcpy(k->addr_b, sa, alen);
    k->port_a = dp;
    k->port_b = sp;
  } else {
    memcpy(k->addr_a, sa, alen);
    memcpy(k->addr_b, da, alen);
    k->port_a = sp;
    k->port_b = dp;
  }
  out->orientation = swap ? FS_ORIENT_B_TO_A : FS_ORIENT_A_TO_B;
  if (x->cfg.key_vlan && d->n_vlans) {
    k->flags |= FS_KEYF_VLAN;
    k->zone = d->n_vlans == 1 ? d->vlans[0] : (uint32_t)d->vlans[0] << 12 | d->vlans[1];
  }
  if (x->cfg.key_tunnel && d->tunnel_ip_version) {
    k->flags |= FS_KEYF_TUNNEL;
    k->extra = d->tunnel_id;
  } else if (x->cfg.key_flow_label && v6) {
    k->flags |= FS_KEYF_FLOW_LABEL;
    k->extra = d->flow_label;
  }
}

/* Writes every member of the result (no block clear first: this runs per
 * packet). A member added to fs_extract_result must be added here. */
static void fill_result(const extractor *x, const fsi_decoded *d, fs_extract_result *out) {
  fill_key(x, d, out);
  out->l4proto = d->ip_version ? d->proto : 0;
  out->has_tcp = d->has_tcp;
  out->tcp = d->tcp;
  out->payload = d->payload;
  out->payload_len = d->payload_len;
  out->ip_len = d->ip_len;
  out->ip_version = d->ip_version;
  out->encap = d->encap;
  out->n_vlans = d->n_vlans;
  for (uint32_t i = 0; i < FS_MAX_VLANS; i++)
    out->vlans[i] = i < d->n_vlans ? d->vlans[i] : 0;
  out->tunnel_id = d->tunnel_id;
  out->icmp_type_code = d->icmp_type_code;
  if (d->tunnel_ip_version) {
    memcpy(out->tunnel_src, d->tunnel_src, 16);
    memcpy(out->tunnel_dst, d->tunnel_dst, 16);
  } else {
    memset(out->tunnel_src, 0, 16);
    memset(out->tunnel_dst, 0, 16);
  }
  out->tunnel_ip_version = d->tunnel_ip_version;
  out->flow_label = d->flow_label;
  out->l3 = d->l3;
  out->l3_len = d->l3_cap;
  out->reserved0 = 0;
}

/* Completes a decode that stopped at a fragment. Returns 0 with @p d
 * describing the packet to key, or a skip reason. */
static uint32_t handle_fragment(extractor *x, const fs_packet_view *pkt, fsi_decoded *d) {
  if (!x->defrag) {
    /* Without reassembly a first fragment is keyed on its own ports; the
     * rest carry no L4 header and are skipped. */
    if (d->frag_off == 0 && (d->has_ports || d->l4)) {
      d->payload = NULL;
      d->payload_len = 0;
      return 0;
    }
    return FS_SKIP_FRAGMENT;
  }
  fsi_defrag_done done;
  uint32_t r = fsi_defrag_add(x->defrag, d, pkt->ts, &done, &x->c);
  if (r)
    return r;
  /* Re-point the IP facts at the rebuilt datagram and decode its payload. */
  d->l3 = done.l3;
  d->l3_cap = done.l3_hdr_len + done.payload_len;
  d->ip_len = d->l3_cap;
  d->src = done.src;
  d->dst = done.dst;
  d->sport = d->dport = 0;
  d->has_ports = d->has_tcp = 0;
  d->icmp_type_code = 0;
  d->payload = NULL;
  d->payload_len = 0;
  return fsi_decode_ip_payload(&x->opts, d, done.proto, done.payload, done.payload_len,
                               done.payload_len, done.l3);
}

static int extract(void *self, const fs_packet_view *pkt, fs_extract_result *out) {
  extractor *x = self;
  if (!pkt || !out)
    return FS_E_INVAL;
  x->c.packets++;
  fsi_decoded d;
  uint32_t r = fsi_decode(&x->opts, pkt->link_type, pkt->data, pkt->caplen, &d);
  if (x->cfg.kind == FS_EXTRACT_MAC_PAIR) {
    /* Every Ethernet frame has a MAC pair, IP or not, fragment or not. */
    if (d.eth) {
      if (r != 0) {
        uint32_t encap = d.encap, nv = d.n_vlans;
        uint16_t vl[FS_MAX_VLANS];
        memcpy(vl, d.vlans, sizeof vl);
        const uint8_t *eth = d.eth;
        memset(&d, 0, sizeof d);
        d.eth = eth, d.encap = encap, d.n_vlans = nv;
        memcpy(d.vlans, vl, sizeof vl);
      }
      r = 0;
    } else if (r == 0 || r == FS_SKIP_FRAGMENT || r == FS_SKIP_NOT_IP) {
      r = FS_SKIP_LINKTYPE; /* no Ethernet header on this link */
    }
  } else if (r == FS_SKIP_FRAGMENT) {
    r = handle_fragment(x, pkt, &d);
  }
  if (r) {
    if (r == FS_SKIP_LINKTYPE)
      x->c.last_unknown_link_type = pkt->link_type;
    x->c.skipped[r < 32 ? r : 31]++;
    return (int)r;
  }
  if (out->struct_size >= sizeof *out) {
    fill_result(x, &d, out);
  } else {
    /* A caller built against an older, shorter result: fill what it has. */
    fs_extract_result full = {.struct_size = sizeof full};
    fill_result(x, &d, &full);
    uint32_t n = out->struct_size;
    memcpy(out, &full, n);
    out->struct_size = n;
  }
  x->c.extracted++;
  return 0;
}

static void tick(void *self, fs_time_ns now) {
  extractor *x = self;
  if (x->defrag)
    fsi_defrag_tick(x->defrag, now, &x->c);
}

static void destroy(void *self) {
  extractor *x = self;
  if (!x)
    return;
  fsi_defrag_destroy(x->defrag);
  free(x);
}

static const fs_extractor_ops builtin_ops = {
    .struct_size = sizeof(fs_extractor_ops),
    .name = "builtin",
    .extract = extract,
    .tick = tick,
    .destroy = destroy,
};

static int fail(char *errbuf, const char *msg) {
  if (errbuf)
    snprintf(errbuf, FS_ERRBUF_SIZE, "extractor: %s", msg);
  return FS_E_INVAL;
}

int fs_extractor_create(fs_extractor *out, const fs_extract_config *cfg, char *errbuf) {
  if (errbuf)
    errbuf[0] = '\0';
  if (!out)
    return fail(errbuf, "no output");
  out->ops = NULL;
  out->self = NULL;
  fs_extract_config c;
  fs_extract_config_default(&c);
  if (cfg) {
    size_t n = cfg->struct_size < sizeof c ? cfg->struct_size : sizeof c;
    memcpy(&c, cfg, n);
    c.struct_size = sizeof c;
  }
  if (c.kind > FS_EXTRACT_MAC_PAIR)
    return fail(errbuf, "unknown extractor kind");
  if (c.encap_mode > FS_ENCAP_MODE_OUTER)
    return fail(errbuf, "unknown encapsulation mode");
  if (c.key_tunnel && c.key_flow_label)
    return fail(errbuf, "key_tunnel and key_flow_label share the key's extra field: pick one");
  if (c.max_depth == 0 || c.max_depth > 256)
    return fail(errbuf, "max_depth must be 1..256");
  if (c.defrag.enabled &&
      (c.defrag.max_datagrams == 0 || c.defrag.max_datagrams > (1u << 24) ||
       c.defrag.max_fragments == 0 || c.defrag.max_fragments > 8192 ||
       c.defrag.max_datagram_size == 0 || c.defrag.max_datagram_size > (1u << 20)))
    return fail(errbuf, "defrag limits out of range (datagrams 1..2^24, fragments 1..8192, "
                        "datagram size 1..1 MiB)");
  extractor *x = calloc(1, sizeof *x);
  if (!x)
    return FS_E_NOMEM;
  x->cfg = c;
  x->opts.max_depth = c.max_depth;
  if (c.encap_mode == FS_ENCAP_MODE_AUTO)
    x->opts.layers = ALL_LAYERS;
  else if (c.encap_mode == FS_ENCAP_MODE_SELECTED)
    x->opts.layers = c.encap_layers;
  else
    x->opts.layers = LINK_LAYERS;
  x->c.struct_size = sizeof x->c;
  if (c.defrag.enabled && c.kind != FS_EXTRACT_MAC_PAIR) {
    x->defrag = fsi_defrag_create(&c.defrag);
    if (!x->defrag) {
      free(x);
      return FS_E_NOMEM;
    }
  }
  out->ops = &builtin_ops;
  out->self = x;
  return 0;
}

void fs_extractor_destroy(fs_extractor *ex) {
  if (!ex || !ex->ops)
    return;
  if (ex->ops->destroy)
    ex->ops->destroy(ex->self);
  ex->ops = NULL;
  ex->self = NULL;
}

int fsi_extractor_fills_all(const fs_extractor *ex) {
  return ex != NULL && ex->ops == &builtin_ops;
}

int fs_extractor_counters(const fs_extractor *ex, fs_extract_counters *out) {
  if (!ex || !out || ex->ops != &builtin_ops)
    return FS_E_INVAL;
  const extractor *x = ex->self;
  size_t n = out->struct_size && out->struct_size < sizeof x->c ? out->struct_size : sizeof x->c;
  memcpy(out, &x->c, n);
  out->struct_size = (uint32_t)n;
  return 0;
}
