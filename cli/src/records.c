/* SPDX-License-Identifier: MIT */
/* Zeek-style conn and application records (docs/output.md). */
#include "records.h"

#include <string.h>

void fsi_flowinfo_init(fsi_flowinfo *fi, const fs_flow_key *key, uint32_t orientation,
                       const fs_flow_stats *stats, fs_time_ns first_seen, uint64_t uid_seed) {
  memset(fi, 0, sizeof *fi);
  fi->key = key;
  fi->stats = stats;
  fi->proto = key->proto;
  fi->hash = fsi_uid(key, first_seen, uid_seed, fi->uid);
  size_t alen = 0;
  switch (key->kind) {
  case FS_KEY_FIVE_TUPLE_V4:
    fi->family = 4;
    fi->has_ports = 1;
    alen = 4;
    break;
  case FS_KEY_FIVE_TUPLE_V6:
    fi->family = 6;
    fi->has_ports = 1;
    alen = 16;
    break;
  case FS_KEY_IP_PAIR_V4:
    fi->family = 4;
    alen = 4;
    break;
  case FS_KEY_IP_PAIR_V6:
    fi->family = 6;
    alen = 16;
    break;
  case FS_KEY_MAC_PAIR:
    fi->is_mac = 1;
    alen = 6;
    break;
  default: return; /* custom keys: only the uid */
  }
  /* The initiator is A unless the event says B sent the first packet. */
  int b_first = orientation == FS_ORIENT_B_TO_A;
  memcpy(fi->orig_h, b_first ? key->addr_b : key->addr_a, alen);
  memcpy(fi->resp_h, b_first ? key->addr_a : key->addr_b, alen);
  if (!fi->has_ports)
    return;
  /* ICMP keys carry Zeek's ICMP "ports" (type, and the counterpart type or
   * the code) like ports, so they orient like TCP/UDP ports. */
  fi->orig_p = b_first ? key->port_b : key->port_a;
  fi->resp_p = b_first ? key->port_a : key->port_b;
}

int fsi_flowinfo_community_id(const fsi_flowinfo *fi, uint16_t seed, char *out) {
  if (fi->family != 4 && fi->family != 6)
    return -1;
  fsi_cid_tuple t;
  memset(&t, 0, sizeof t);
  t.family = fi->family;
  memcpy(t.saddr, fi->orig_h, 16);
  memcpy(t.daddr, fi->resp_h, 16);
  t.proto = fi->proto;
  if (fi->has_ports) {
    t.sport = fi->orig_p;
    t.dport = fi->resp_p;
    /* The key maps an ICMPv4 router advertisement (9) to its solicitation
     * (10); Community ID treats 9 as one-way with its code, which is 0 for
     * plain router advertisements (RFC 1256). */
    if (fi->proto == FS_L4_ICMP && t.sport == 9 && t.dport == 10)
      t.dport = 0;
  }
  return fsi_community_id(&t, seed, out);
}

void fsi_jw_addr(fsi_jw *w, const fsi_flowinfo *fi, const uint8_t *addr) {
  char text[FS_KEY_TEXT_MAX];
  int n = fs_addr_format(fi->is_mac ? 0 : fi->family, addr, text, sizeof text);
  if (n < 0)
    n = 0;
  if ((size_t)n >= sizeof text)
    n = (int)sizeof text - 1;
  fsi_jw_str(w, text, (size_t)n);
}

void fsi_rec_conn_id(fsi_jw *w, const fsi_flowinfo *fi) {
  if (fi->family == 0 && !fi->is_mac)
    return;
  FSI_JW_KEY(w, "id.orig_h");
  fsi_jw_addr(w, fi, fi->orig_h);
  if (fi->has_ports) {
    FSI_JW_KEY(w, "id.orig_p");
    fsi_jw_u64(w, fi->orig_p);
  }
  FSI_JW_KEY(w, "id.resp_h");
  fsi_jw_addr(w, fi, fi->resp_h);
  if (fi->has_ports) {
    FSI_JW_KEY(w, "id.resp_p");
    fsi_jw_u64(w, fi->resp_p);
  }
}

/* Writes "name": value for a counter only when it is not zero. */
static void nonzero(fsi_jw *w, const char *name, uint64_t v) {
  if (!v)
    return;
  fsi_jw_key(w, name);
  fsi_jw_u64(w, v);
}

static const char *encap_name(uint32_t bit) {
  switch (bit) {
  case FS_ENCAP_VLAN: return "vlan";
  case FS_ENCAP_MPLS: return "mpls";
  case FS_ENCAP_VXLAN: return "vxlan";
  case FS_ENCAP_GTPU: return "gtpu";
  case FS_ENCAP_GRE: return "gre";
  case FS_ENCAP_IPIP: return "ip";
  case FS_ENCAP_ERSPAN: return "erspan";
  case FS_ENCAP_GENEVE: return "geneve";
  case FS_ENCAP_AYIYA: return "ayiya";
  default: return NULL; /* a newer layer this program has no name for */
  }
}

static void write_encap(fsi_jw *w, const fsi_flowinfo *fi) {
  const fs_flow_key *k = fi->key;
  const fsi_encap *e = fi->encap;
  if (e && e->n_vlans) {
    FSI_JW_KEY(w, "vlan");
    fsi_jw_arr_begin(w);
    for (uint32_t i = 0; i < e->n_vlans && i < FS_MAX_VLANS; i++)
      fsi_jw_u64(w, e->vlans[i]);
    fsi_jw_arr_end(w);
  } else if (k->flags & FS_KEYF_VLAN) {
    /* The key carries outer << 12 | inner. */
    FSI_JW_KEY(w, "vlan");
    fsi_jw_arr_begin(w);
    if (k->zone >> 12)
      fsi_jw_u64(w, k->zone >> 12);
    fsi_jw_u64(w, k->zone & 0xfff);
    fsi_jw_arr_end(w);
  }
  uint32_t tunnels = e ? (e->encap & ~(uint32_t)FS_ENCAP_VLAN) : 0;
  if (tunnels) {
    FSI_JW_KEY(w, "tunnel");
    fsi_jw_arr_begin(w);
    for (uint32_t bit = 1; bit; bit <<= 1) {
      const char *name = encap_name(bit);
      if ((tunnels & bit) && name)
        fsi_jw_cstr(w, name);
    }
    fsi_jw_arr_end(w);
    if (e->tunnel_ip_version == 4 || e->tunnel_ip_version == 6) {
      fsi_flowinfo outer;
      memset(&outer, 0, sizeof outer);
      outer.family = (int)e->tunnel_ip_version;
      FSI_JW_KEY(w, "tunnel_orig_h");
      fsi_jw_addr(w, &outer, e->tunnel_src);
      FSI_JW_KEY(w, "tunnel_resp_h");
      fsi_jw_addr(w, &outer, e->tunnel_dst);
    }
    nonzero(w, "tunnel_id", e->tunnel_id);
  } else if (k->flags & FS_KEYF_TUNNEL) {
    FSI_JW_KEY(w, "tunnel_id");
    fsi_jw_u64(w, k->extra);
  }
  if (k->flags & FS_KEYF_FLOW_LABEL) {
    FSI_JW_KEY(w, "flow_label");
    fsi_jw_u64(w, k->extra);
  }
}

void fsi_rec_conn(fsi_jw *w, const fsi_flowinfo *fi, uint16_t cid_seed) {
  const fs_flow_stats *s = fi->stats;
  const fs_side_stats *o = &s->side[FS_SIDE_INITIATOR];
  const fs_side_stats *r = &s->side[FS_SIDE_RESPONDER];
  fsi_jw_obj_begin(w);
  FSI_JW_KEY(w, "_path");
  fsi_jw_cstr(w, "conn");
  FSI_JW_KEY(w, "ts");
  fsi_jw_secs(w, s->first_seen);
  FSI_JW_KEY(w, "uid");
  fsi_jw_cstr(w, fi->uid);
  fsi_rec_conn_id(w, fi);
  FSI_JW_KEY(w, "proto");
  fsi_jw_cstr(w, fs_l4proto_name(fi->proto));
  if (s->service[0]) {
    FSI_JW_KEY(w, "service");
    fsi_jw_str(w, s->service, strnlen(s->service, sizeof s->service));
  }
  /* As Zeek: duration and payload bytes only when the flow lasted > 0. */
  if (s->last_seen > s->first_seen) {
    FSI_JW_KEY(w, "duration");
    fsi_jw_secs(w, s->last_seen - s->first_seen);
    FSI_JW_KEY(w, "orig_bytes");
    fsi_jw_u64(w, o->payload_bytes);
    FSI_JW_KEY(w, "resp_bytes");
    fsi_jw_u64(w, r->payload_bytes);
  }
  if (s->conn_state[0]) {
    FSI_JW_KEY(w, "conn_state");
    fsi_jw_str(w, s->conn_state, strnlen(s->conn_state, sizeof s->conn_state));
  }
  FSI_JW_KEY(w, "missed_bytes");
  fsi_jw_u64(w, o->missed_bytes + r->missed_bytes);
  if (s->history[0]) {
    FSI_JW_KEY(w, "history");
    fsi_jw_str(w, s->history, strnlen(s->history, sizeof s->history));
  }
  FSI_JW_KEY(w, "orig_pkts");
  fsi_jw_u64(w, o->packets);
  FSI_JW_KEY(w, "orig_ip_bytes");
  fsi_jw_u64(w, o->ip_bytes);
  FSI_JW_KEY(w, "resp_pkts");
  fsi_jw_u64(w, r->packets);
  FSI_JW_KEY(w, "resp_ip_bytes");
  fsi_jw_u64(w, r->ip_bytes);
  char cid[FSI_CID_TEXT_SIZE];
  if (fsi_flowinfo_community_id(fi, cid_seed, cid) == 0) {
    FSI_JW_KEY(w, "community_id");
    fsi_jw_cstr(w, cid);
  }
  /* flowscope's own fields. */
  FSI_JW_KEY(w, "end_reason");
  fsi_jw_cstr(w, fs_end_reason_name(s->end_reason));
  write_encap(w, fi);
  /* Reassembly diagnostics, per side, only when not zero. */
  nonzero(w, "orig_reasm_ooo_segments", o->reasm_ooo_segments);
  nonzero(w, "resp_reasm_ooo_segments", r->reasm_ooo_segments);
  nonzero(w, "orig_reasm_dropped_segments", o->reasm_dropped_segments);
  nonzero(w, "resp_reasm_dropped_segments", r->reasm_dropped_segments);
  nonzero(w, "orig_reasm_dropped_bytes", o->reasm_dropped_bytes);
  nonzero(w, "resp_reasm_dropped_bytes", r->reasm_dropped_bytes);
  nonzero(w, "orig_reasm_overlap_mismatch", o->reasm_overlap_mismatch);
  nonzero(w, "resp_reasm_overlap_mismatch", r->reasm_overlap_mismatch);
  nonzero(w, "orig_reasm_high_watermark", o->reasm_high_watermark);
  nonzero(w, "resp_reasm_high_watermark", r->reasm_high_watermark);
  fsi_jw_obj_end(w);
}

int fsi_jw_field_value(fsi_jw *w, const fs_field *f) {
  switch (f->kind) {
  case FS_FIELD_STR:
    fsi_jw_str(w, f->v.str.ptr ? f->v.str.ptr : "", f->v.str.ptr ? (size_t)f->v.str.len : 0);
    return 1;
  case FS_FIELD_BYTES:
    fsi_jw_hex(w, (const uint8_t *)f->v.str.ptr, f->v.str.ptr ? (size_t)f->v.str.len : 0);
    return 1;
  case FS_FIELD_I64: fsi_jw_i64(w, f->v.i64); return 1;
  case FS_FIELD_U64: fsi_jw_u64(w, f->v.u64); return 1;
  case FS_FIELD_F64: fsi_jw_f64(w, f->v.f64); return 1;
  case FS_FIELD_BOOL: fsi_jw_bool(w, f->v.u64 != 0); return 1;
  case FS_FIELD_TIME:
  case FS_FIELD_DURATION: fsi_jw_secs(w, f->v.u64); return 1;
  case FS_FIELD_IP: {
    fsi_flowinfo tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.family = f->v.ip.family == 6 ? 6 : 4;
    fsi_jw_addr(w, &tmp, f->v.ip.addr);
    return 1;
  }
  case FS_FIELD_STR_LIST:
    fsi_jw_arr_begin(w);
    for (uint32_t i = 0; f->v.list && i < f->count; i++)
      fsi_jw_str(w, f->v.list[i].ptr ? f->v.list[i].ptr : "",
                 f->v.list[i].ptr ? (size_t)f->v.list[i].len : 0);
    fsi_jw_arr_end(w);
    return 1;
  case FS_FIELD_U64_LIST:
    fsi_jw_arr_begin(w);
    for (uint32_t i = 0; f->v.u64s && i < f->count; i++)
      fsi_jw_u64(w, f->v.u64s[i]);
    fsi_jw_arr_end(w);
    return 1;
  default: return 0; /* FS_FIELD_NONE and kinds newer than this program */
  }
}

/* Field names the record itself owns; a plugin field of that name is dropped. */
static int reserved_name(const char *n) {
  switch (n[0]) { /* most names start with none of these letters */
  case '_': return !strcmp(n, "_path");
  case 't': return n[1] == 's' && n[2] == '\0';
  case 'u': return !strcmp(n, "uid");
  case 'i': return n[1] == 'd' && n[2] == '.';
  default: return 0;
  }
}

static int known_kind(uint32_t k) { return k >= FS_FIELD_STR && k <= FS_FIELD_DURATION; }

void fsi_rec_app(fsi_jw *w, const fsi_flowinfo *fi, const fs_message *msg, fs_time_ns ts) {
  fsi_jw_obj_begin(w);
  FSI_JW_KEY(w, "_path");
  fsi_jw_cstr(w, msg->protocol ? msg->protocol : "unknown");
  FSI_JW_KEY(w, "ts");
  fsi_jw_secs(w, ts);
  FSI_JW_KEY(w, "uid");
  fsi_jw_cstr(w, fi->uid);
  fsi_rec_conn_id(w, fi);
  for (uint32_t i = 0; msg->fields && i < msg->n_fields; i++) {
    const fs_field *f = &msg->fields[i];
    if (!f->name || !f->name[0] || reserved_name(f->name) || !known_kind(f->kind))
      continue;
    fsi_jw_key(w, f->name);
    fsi_jw_field_value(w, f);
  }
  fsi_jw_obj_end(w);
}
