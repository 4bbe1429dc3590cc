/* SPDX-License-Identifier: MIT */
/* CSV flows: the column list is docs/output.md's conn table, in order. */
#include "csv.h"

#include <string.h>

static const char header_line[] =
    "ts,uid,id.orig_h,id.orig_p,id.resp_h,id.resp_p,proto,service,duration,orig_bytes,"
    "resp_bytes,conn_state,missed_bytes,history,orig_pkts,orig_ip_bytes,resp_pkts,resp_ip_bytes,"
    "community_id,end_reason,vlan\n";

void fsi_csv_header(fsi_jw *w) { fsi_jw_raw(w, header_line, sizeof header_line - 1); }

/* A text cell, quoted when it holds a comma, quote or line break (RFC 4180). */
static void cell(fsi_jw *w, const char *s, size_t n) {
  int quote = 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
      quote = 1;
  if (!quote) {
    fsi_jw_raw(w, s, n);
    return;
  }
  fsi_jw_raw(w, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"')
      fsi_jw_raw(w, "\"", 1);
    fsi_jw_raw(w, s + i, 1);
  }
  fsi_jw_raw(w, "\"", 1);
}

static void num(fsi_jw *w, uint64_t v) {
  char d[24];
  fsi_jw_raw(w, d, fsi_u64_to_dec(v, d));
}

static void comma(fsi_jw *w) { fsi_jw_raw(w, ",", 1); }

static void secs(fsi_jw *w, uint64_t ns) {
  char d[32];
  fsi_jw_raw(w, d, fsi_secs_to_text(ns, d));
}

static void addr(fsi_jw *w, const fsi_flowinfo *fi, const uint8_t *a) {
  char text[FS_KEY_TEXT_MAX];
  int n = fs_addr_format(fi->is_mac ? 0 : fi->family, a, text, sizeof text);
  if (n > 0)
    fsi_jw_raw(w, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

void fsi_csv_conn(fsi_jw *w, const fsi_flowinfo *fi, uint16_t cid_seed) {
  const fs_flow_stats *s = fi->stats;
  const fs_side_stats *o = &s->side[FS_SIDE_INITIATOR];
  const fs_side_stats *r = &s->side[FS_SIDE_RESPONDER];
  int ids = fi->family || fi->is_mac;
  secs(w, s->first_seen);
  comma(w);
  fsi_jw_raw(w, fi->uid, strlen(fi->uid));
  comma(w);
  if (ids)
    addr(w, fi, fi->orig_h);
  comma(w);
  if (ids && fi->has_ports)
    num(w, fi->orig_p);
  comma(w);
  if (ids)
    addr(w, fi, fi->resp_h);
  comma(w);
  if (ids && fi->has_ports)
    num(w, fi->resp_p);
  comma(w);
  const char *p = fs_l4proto_name(fi->proto);
  cell(w, p, strlen(p));
  comma(w);
  cell(w, s->service, strnlen(s->service, sizeof s->service));
  comma(w);
  if (s->last_seen > s->first_seen) {
    secs(w, s->last_seen - s->first_seen);
    comma(w);
    num(w, o->payload_bytes);
    comma(w);
    num(w, r->payload_bytes);
  } else {
    comma(w);
  }
  comma(w);
  cell(w, s->conn_state, strnlen(s->conn_state, sizeof s->conn_state));
  comma(w);
  num(w, o->missed_bytes + r->missed_bytes);
  comma(w);
  cell(w, s->history, strnlen(s->history, sizeof s->history));
  comma(w);
  num(w, o->packets);
  comma(w);
  num(w, o->ip_bytes);
  comma(w);
  num(w, r->packets);
  comma(w);
  num(w, r->ip_bytes);
  comma(w);
  char cid[FSI_CID_TEXT_SIZE];
  if (fsi_flowinfo_community_id(fi, cid_seed, cid) == 0)
    fsi_jw_raw(w, cid, strlen(cid));
  comma(w);
  const char *er = fs_end_reason_name(s->end_reason);
  cell(w, er, strlen(er));
  comma(w);
  if (fi->encap && fi->encap->n_vlans) {
    for (uint32_t i = 0; i < fi->encap->n_vlans && i < FS_MAX_VLANS; i++) {
      if (i)
        fsi_jw_raw(w, ";", 1);
      num(w, fi->encap->vlans[i]);
    }
  }
  fsi_jw_raw(w, "\n", 1);
}
