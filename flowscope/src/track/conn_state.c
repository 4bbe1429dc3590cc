/* SPDX-License-Identifier: MIT */
/*
 * Zeek's conn_state, derived at the end of a flow from the two endpoint
 * states exactly as scripts/base/protocols/conn/main.zeek does it, and the
 * library's own lifecycle state (fs_flow_state) derived from the same
 * endpoint states.
 */
#include "track/track_internal.h"

/* The history matches Zeek's /^?S[^HAFGIQ]*R.* / (originator SYN, then a
 * RST before any handshake/ack/fin/gap/inconsistency letter from it). */
static int hist_syn_then_rst(const fsi_flow *f) {
  uint32_t i = 0;
  if (i < f->hist_len && f->hist[i] == '^')
    i++;
  if (i >= f->hist_len || f->hist[i] != 'S')
    return 0;
  for (i++; i < f->hist_len; i++) {
    char c = f->hist[i];
    if (c == 'R')
      return 1;
    if (c == 'H' || c == 'A' || c == 'F' || c == 'G' || c == 'I' || c == 'Q')
      return 0;
  }
  return 0;
}

const char *fsi_conn_state(const fsi_flow *f) {
  if (f->key.proto == FS_L4_UDP) {
    int o = f->side[FS_SIDE_INITIATOR].packets > 0;
    int r = f->side[FS_SIDE_RESPONDER].packets > 0;
    if (o)
      return r ? "SF" : "S0";
    return r ? "SHR" : "OTH";
  }
  if (f->key.proto != FS_L4_TCP)
    return "OTH";

  const uint8_t os = fsi_ep(&f->u.tcp[0]);
  const uint8_t rs = fsi_ep(&f->u.tcp[1]);
  const int o_inactive = os == FSI_EP_INACTIVE || os == FSI_EP_PARTIAL;
  const int r_inactive = rs == FSI_EP_INACTIVE || rs == FSI_EP_PARTIAL;

  if (rs == FSI_EP_RESET) {
    if (os == FSI_EP_SYN_SENT || os == FSI_EP_SYN_ACK_SENT ||
        (os == FSI_EP_RESET && fsi_tcp_size(f, 0) == 0 && fsi_tcp_size(f, 1) == 0))
      return "REJ";
    return o_inactive ? "RSTRH" : "RSTR";
  }
  if (os == FSI_EP_RESET) {
    if (r_inactive)
      return hist_syn_then_rst(f) ? "RSTOS0" : "OTH";
    return "RSTO";
  }
  if (rs == FSI_EP_CLOSED && os == FSI_EP_CLOSED)
    return "SF";
  if (os == FSI_EP_CLOSED)
    return r_inactive ? "SH" : "S2";
  if (rs == FSI_EP_CLOSED)
    return o_inactive ? "SHR" : "S3";
  if (os == FSI_EP_SYN_SENT && rs == FSI_EP_INACTIVE)
    return "S0";
  if (os == FSI_EP_ESTABLISHED && rs == FSI_EP_ESTABLISHED)
    return "S1";
  return "OTH";
}

uint32_t fsi_derive_state(const fsi_flow *f) {
  if (f->key.proto != FS_L4_TCP)
    return FS_STATE_ACTIVE;
  const uint8_t os = fsi_ep(&f->u.tcp[0]);
  const uint8_t rs = fsi_ep(&f->u.tcp[1]);
  if (os == FSI_EP_RESET || rs == FSI_EP_RESET)
    return FS_STATE_RESET;
  if (os == FSI_EP_CLOSED && rs == FSI_EP_CLOSED)
    return (f->flags & FSI_F_LAST_ACK) ? FS_STATE_CLOSED : FS_STATE_CLOSING;
  if (os == FSI_EP_CLOSED || rs == FSI_EP_CLOSED)
    return FS_STATE_FIN_WAIT;
  if (os == FSI_EP_PARTIAL || rs == FSI_EP_PARTIAL)
    return FS_STATE_MIDSTREAM;
  if (os == FSI_EP_ESTABLISHED && rs == FSI_EP_ESTABLISHED)
    return (f->flags & FSI_F_ACKED) ? FS_STATE_ESTABLISHED : FS_STATE_SYN_RECEIVED;
  if (rs == FSI_EP_ESTABLISHED || os == FSI_EP_SYN_ACK_SENT)
    return FS_STATE_SYN_RECEIVED;
  if (os == FSI_EP_SYN_SENT)
    return FS_STATE_SYN_SENT;
  return FS_STATE_MIDSTREAM;
}
