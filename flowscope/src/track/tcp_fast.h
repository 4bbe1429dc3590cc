/* SPDX-License-Identifier: MIT */
/*
 * The TCP fast path: the segment most packets of a long connection are (an
 * ACK, maybe with data, no SYN/FIN/RST, between two established endpoints
 * whose handshake was acknowledged). For it, fsi_tcp_packet changes only
 * the sender's last_seq (or counts a retransmission), the peer's ack_seq,
 * and the 'W'/'T' counters; the endpoint and lifecycle states, the close
 * flags and the one-per-direction history letters cannot change. This
 * function does exactly that work for such a packet and returns 1, or
 * returns 0 without touching anything so that the general path runs.
 * Anything outside its reach (a content gap, an ack that wraps or falls
 * below the peer's first sequence number, a close already complete, a
 * letter not yet recorded) goes to the general path.
 * tests/unit/test_track_fastpath.c runs random packet sequences with and
 * without it and compares every event, stat, history and conn_state.
 */
#ifndef FSI_TCP_FAST_H
#define FSI_TCP_FAST_H

#include "track/track_internal.h"

/* Flow flags the fast path needs: handshake acknowledged, ESTABLISHED sent. */
#define FSI_FAST_FLAGS (FSI_F_ACKED | FSI_F_EST_SENT)

static inline int fsi_tcp_fast_packet(fsi_flow *f, uint32_t s, const fs_extract_result *ex) {
  const uint8_t flags = ex->tcp.flags;
  if ((flags & (FS_TCP_SYN | FS_TCP_FIN | FS_TCP_RST | FS_TCP_ACK)) != FS_TCP_ACK)
    return 0;
  if ((f->flags & FSI_FAST_FLAGS) != FSI_FAST_FLAGS || f->state != FS_STATE_ESTABLISHED)
    return 0;
  fsi_tcp_side *e = &f->u.tcp[s];
  fsi_tcp_side *p = &f->u.tcp[s ^ 1u];
  /* Both endpoints ESTABLISHED (low nibble), no close completed. */
  if ((e->state & 0x0F) != FSI_EP_ESTABLISHED || (p->state & 0x0F) != FSI_EP_ESTABLISHED ||
      (f->u.tcp[0].eflags & FSI_E_CLOSE_DONE))
    return 0;
  uint32_t len = ex->tcp.payload_wire_len;
  if (len < ex->tcp.payload_len)
    len = ex->tcp.payload_len;
  /* The 'D' or 'A' letter of this direction is already in the history. */
  if (!(e->hist_seen & (len ? FSI_H_DATA : FSI_H_ACK)))
    return 0;

  /* The ack: a step forward that neither wraps, nor lies before the peer's
   * first sequence number (while unwrapped), nor passes the bytes seen
   * from the peer (a gap). An ack that does not move forward changes
   * nothing. */
  const uint32_t ack = ex->tcp.ack;
  const int ack_moves = (int32_t)(ack - p->ack_seq) > 0;
  if (ack_moves) {
    if (ack < p->ack_seq || (p->ack_wraps == 0 && (int32_t)(ack - p->start_seq) < 0) ||
        (((uint64_t)p->ack_wraps << 32) | ack) > (((uint64_t)p->seq_wraps << 32) | p->last_seq))
      return 0;
  }

  /* From here on the packet is the fast path's; the order of the letters
   * ('W' before 'T') is the general path's. */
  if (ex->tcp.window == 0 && e->win0_cnt != UINT16_MAX) {
    e->win0_cnt++;
    fsi_hist_scaled(f, s, 'W', e->win0_cnt);
  }
  if (ack_moves)
    p->ack_seq = ack;
  const uint32_t seq_end = ex->tcp.seq + len;
  if ((int32_t)(seq_end - e->last_seq) > 0) {
    if (seq_end < e->last_seq)
      e->seq_wraps++;
    e->last_seq = seq_end;
  } else if (len && e->rxmt_cnt != UINT16_MAX) {
    e->rxmt_cnt++; /* a retransmission */
    fsi_hist_scaled(f, s, 'T', e->rxmt_cnt);
  }
  return 1;
}

#endif /* FSI_TCP_FAST_H */
