/* SPDX-License-Identifier: MIT */
/*
 * Zeek's TCP endpoint model, re-implemented from its documented behaviour:
 * each side is INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED,
 * CLOSED or RESET; sequence numbers are tracked relative to the first one
 * seen so that payload sizes come from the sequence span (orig_bytes /
 * resp_bytes), retransmissions ('T'), zero windows ('W') and acked-but-
 * unseen bytes (content gaps, 'G', missed_bytes) are noticed, and the
 * history letters follow Zeek's recording rules. conn_state.c turns the
 * final pair of endpoint states into Zeek's conn_state.
 */
#include "track/track_internal.h"

/* Zeek distrusts sequence jumps larger than this in SYN/RST packets. */
#define TOO_LARGE_SEQ_DELTA 1048576

static inline int32_t seq_delta(uint32_t a, uint32_t b) { return (int32_t)(a - b); }
static inline uint64_t full_seq(uint32_t seq, uint16_t wraps) {
  return ((uint64_t)wraps << 32) | seq;
}

/* Well-known service ports (Zeek's likely_server_ports as its protocol
 * scripts register them), used only to orient flows whose first packet is
 * not a SYN. Sorted for binary search. */
static const uint16_t tcp_server_ports[] = {
    21,   22,   23,   25,   53,   80,   88,   102,  110,  111,   135,   139,
    143,  389,  443,  445,  465,  502,  587,  636,  993,  995,   1080,  1433,
    1521, 1883, 2049, 2404, 3128, 3306, 3389, 5060, 5222, 5223,  5269,  5432,
    5672, 5900, 6379, 6667, 8000, 8080, 8443, 8888, 9042, 11211, 20000, 27017};
static const uint16_t udp_server_ports[] = {53,   67,   69,   123,  137,  138,  161,  162,
                                            500,  514,  1812, 1813, 2152, 3544, 4500, 4789,
                                            5060, 5072, 5353, 5355, 6081, 47808};

static int in_sorted(const uint16_t *a, size_t n, uint16_t v) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (a[mid] == v)
      return 1;
    if (a[mid] < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

int fsi_likely_server_port(uint16_t port, uint32_t proto) {
  if (proto == FS_L4_TCP)
    return in_sorted(tcp_server_ports, sizeof(tcp_server_ports) / sizeof(tcp_server_ports[0]),
                     port);
  if (proto == FS_L4_UDP)
    return in_sorted(udp_server_ports, sizeof(udp_server_ports) / sizeof(udp_server_ports[0]),
                     port);
  return 0;
}

uint64_t fsi_tcp_size(const fsi_flow *f, uint32_t s) {
  const fsi_tcp_side *e = &f->u.tcp[s];
  const fsi_tcp_side *p = &f->u.tcp[s ^ 1u];
  /* A half-open attempt that was reset: its sequence numbers say nothing. */
  uint64_t ack64 = full_seq(e->ack_seq, e->ack_wraps);
  int no_data_acked = ack64 == e->start_seq || ack64 == (uint64_t)e->start_seq + 1u;
  if (fsi_ep_prev(e) == FSI_EP_SYN_SENT && fsi_ep(e) == FSI_EP_RESET &&
      fsi_ep(p) == FSI_EP_INACTIVE && !no_data_acked)
    return 0;
  if (fsi_ep(e) == FSI_EP_INACTIVE)
    return 0;
  uint64_t last64 = full_seq(e->last_seq, e->seq_wraps);
  uint64_t top = last64 > ack64 ? last64 : ack64;
  if (top <= e->start_seq)
    return 0;
  uint64_t size = top - e->start_seq;
  if (size)
    size--; /* the SYN's sequence number (real or assumed) */
  if ((e->eflags & FSI_E_FIN_SEEN) && size)
    size--; /* the FIN's */
  return size;
}

static uint64_t relative_seq(const fsi_tcp_side *e, uint32_t cur, uint32_t last, uint16_t wraps,
                             int *underflow) {
  int32_t d = seq_delta(cur, last);
  uint32_t w = wraps;
  if (d < 0) {
    if (w && cur > last)
      --w;
  } else if (d > 0) {
    if (cur < last)
      ++w;
  }
  if (w == 0) {
    int32_t rd = seq_delta(cur, e->start_seq);
    if (rd < 0 && underflow)
      *underflow = 1;
    return (uint64_t)(int64_t)rd;
  }
  return full_seq(cur, (uint16_t)w) - e->start_seq;
}

static void init_seqs(fsi_tcp_side *e, uint32_t start, uint32_t last) {
  e->start_seq = start;
  e->ack_seq = start;
  e->last_seq = last;
}

static void init_endpoint(fsi_tcp_side *e, uint8_t flags, uint32_t first, uint32_t last) {
  const int syn = (flags & FS_TCP_SYN) != 0;
  switch (fsi_ep(e)) {
  case FSI_EP_INACTIVE:
    if (syn)
      init_seqs(e, first, last);
    else
      init_seqs(e, first - 1u, first); /* partial: pretend a SYN came just before */
    break;
  case FSI_EP_SYN_SENT:
  case FSI_EP_SYN_ACK_SENT:
    if (syn && first != e->start_seq)
      init_seqs(e, first, last);
    break;
  case FSI_EP_ESTABLISHED:
  case FSI_EP_PARTIAL:
    if (syn)
      init_seqs(e, first, last);
    break;
  case FSI_EP_RESET:
    if (syn && fsi_ep_prev(e) == FSI_EP_INACTIVE)
      init_seqs(e, first, last);
    break;
  default: break;
  }
}

static void update_history(fsi_flow *f, uint32_t s, uint8_t flags, uint64_t rel_seq, uint32_t len) {
  fsi_tcp_side *e = &f->u.tcp[s];
  const int syn = (flags & FS_TCP_SYN) != 0, fin = (flags & FS_TCP_FIN) != 0,
            rst = (flags & FS_TCP_RST) != 0;
  const int bits = syn + fin + rst;
  const uint32_t rel32 = (uint32_t)rel_seq;
  if (bits > 1) {
    if (fin && rst)
      fsi_hist_check(f, s, FSI_H_FINRST, 'I');
    else
      fsi_hist_check(f, s, FSI_H_MULTI, 'Q');
  } else if (bits == 1) {
    if (syn) {
      char code = (flags & FS_TCP_ACK) ? 'H' : 'S';
      if (fsi_hist_check(f, s, FSI_H_SYN, code) && rel32 != e->hist_last_syn)
        fsi_hist_add(f, s == 0 ? code : (char)(code + ('a' - 'A')));
      e->hist_last_syn = rel32;
    }
    if (fin) {
      /* A FIN's position is after its data. */
      if (fsi_hist_check(f, s, FSI_H_FIN, 'F') && rel32 + len != e->hist_last_fin)
        fsi_hist_add(f, s == 0 ? 'F' : 'f');
      e->hist_last_fin = rel32 + len;
    }
    if (rst) {
      if (fsi_hist_check(f, s, FSI_H_RST, 'R') && rel32 != e->hist_last_rst)
        fsi_hist_add(f, s == 0 ? 'R' : 'r');
      e->hist_last_rst = rel32;
    }
  } else {
    if (len)
      fsi_hist_check(f, s, FSI_H_DATA, 'D');
    else if (flags & FS_TCP_ACK)
      fsi_hist_check(f, s, FSI_H_ACK, 'A');
  }
}

static void count_scaled(fsi_flow *f, uint32_t s, char upper, uint16_t *cnt) {
  if (*cnt == UINT16_MAX)
    return;
  (*cnt)++;
  fsi_hist_scaled(f, s, upper, *cnt);
}

static void update_last_seq(fsi_flow *f, uint32_t s, uint32_t last, uint8_t flags, uint32_t len) {
  fsi_tcp_side *e = &f->u.tcp[s];
  int32_t dl = seq_delta(last, e->last_seq);
  int set = 0;
  if ((flags & (FS_TCP_SYN | FS_TCP_RST)) &&
      (dl > TOO_LARGE_SEQ_DELTA || dl < -TOO_LARGE_SEQ_DELTA))
    ; /* do not trust wild SYN/RST sequence numbers */
  else if ((flags & FS_TCP_FIN) && e->last_seq == e->start_seq + 1u)
    set = 1; /* only SYN and FIN seen: accept even when it looks backwards */
  else if (fsi_ep(e) == FSI_EP_RESET)
    ; /* nothing after a RST is trusted */
  else if (dl > 0)
    set = 1;
  else if (len > 0)
    count_scaled(f, s, 'T', &e->rxmt_cnt); /* retransmission */
  if (set) {
    if (last < e->last_seq)
      e->seq_wraps++;
    e->last_seq = last;
  }
}

static void update_ack_seq(fsi_tcp_side *p, uint32_t ack) {
  int32_t d = seq_delta(ack, p->ack_seq);
  if (ack == 0 && d > TOO_LARGE_SEQ_DELTA)
    return; /* more likely a broken ack than a wrap onto 0 */
  if (d > 0) {
    if (ack < p->ack_seq)
      p->ack_wraps++;
    p->ack_seq = ack;
  }
}

/* The endpoint state machine for one packet (Zeek's UpdateStateMachine).
 * Returns 1 when the SYN/SYN-ACK reversal asks for the roles to flip. */
static int state_machine(fsi_flow *f, uint32_t s, uint8_t flags, uint32_t base_seq, uint32_t len,
                         int32_t delta_last, int *do_close) {
  fsi_tcp_side *e = &f->u.tcp[s];
  fsi_tcp_side *p = &f->u.tcp[s ^ 1u];
  const int syn = (flags & FS_TCP_SYN) != 0, fin = (flags & FS_TCP_FIN) != 0,
            rst = (flags & FS_TCP_RST) != 0, ack = (flags & FS_TCP_ACK) != 0;
  const int is_orig = s == FS_SIDE_INITIATOR;
  int flip = 0;
  (void)delta_last;
  *do_close = 0;

  switch (fsi_ep(e)) {
  case FSI_EP_INACTIVE:
    if (syn) {
      if (is_orig) {
        fsi_ep_set(e, ack ? FSI_EP_SYN_ACK_SENT : FSI_EP_SYN_SENT);
      } else {
        if (!ack && fsi_ep(p) == FSI_EP_SYN_ACK_SENT && base_seq == e->start_seq) {
          /* SYN-ACK seen before its SYN: the SYN sender is the originator. */
          flip = 1;
          fsi_ep_set(p, FSI_EP_ESTABLISHED);
        }
        if (fsi_ep(p) == FSI_EP_SYN_SENT)
          fsi_ep_set(p, FSI_EP_ESTABLISHED);
        fsi_ep_set(e, FSI_EP_ESTABLISHED);
      }
    }
    if (fin) {
      fsi_ep_set(e, FSI_EP_CLOSED);
      *do_close = 1;
    }
    if (rst) {
      fsi_ep_set(e, FSI_EP_RESET);
      *do_close = 1;
    }
    if (fsi_ep(e) == FSI_EP_INACTIVE) {
      if (!is_orig && len == 0 && fsi_ep(&f->u.tcp[0]) == FSI_EP_SYN_SENT)
        ; /* an ack of the SYN before the SYN-ACK: not a partial connection */
      else if (ack && fsi_ep(p) == FSI_EP_ESTABLISHED)
        fsi_ep_set(e, FSI_EP_ESTABLISHED); /* missed the SYN, saw SYN-ACK and now ACK */
      else
        fsi_ep_set(e, FSI_EP_PARTIAL);
    }
    break;
  case FSI_EP_SYN_SENT:
  case FSI_EP_SYN_ACK_SENT:
    if (fin) {
      fsi_ep_set(e, FSI_EP_CLOSED);
      *do_close = 1;
    }
    if (rst) {
      fsi_ep_set(e, FSI_EP_RESET);
      *do_close = 1;
    }
    break;
  case FSI_EP_ESTABLISHED:
  case FSI_EP_PARTIAL:
    if (syn && fsi_ep(e) == FSI_EP_PARTIAL && fsi_ep(p) == FSI_EP_INACTIVE && !ack)
      fsi_ep_set(e, FSI_EP_SYN_SENT);
    if (fin && !rst) {
      fsi_ep_set(e, FSI_EP_CLOSED);
      if (fsi_ep(p) == FSI_EP_RESET && fsi_ep_prev(p) == FSI_EP_CLOSED)
        fsi_ep_set(p, FSI_EP_CLOSED); /* the peer's FIN then RST was a normal close */
      *do_close = 1;
    }
    if (rst) {
      fsi_ep_set(e, FSI_EP_RESET);
      *do_close = 1;
    }
    break;
  case FSI_EP_CLOSED:
    if (rst && fsi_ep(p) != FSI_EP_CLOSED) {
      fsi_ep_set(e, FSI_EP_RESET);
      if (!(e->eflags & FSI_E_DID_CLOSE))
        *do_close = 1;
    }
    break;
  default: /* RESET: nothing changes */ break;
  }
  return flip;
}

/* Swaps initiator and responder (Zeek's FlipRoles), keeping the history
 * "seen" bits with their positions as Zeek's connection-level mask does. */
static void flip_roles(fsi_flow *f) {
  fsi_side ts = f->side[0];
  f->side[0] = f->side[1];
  f->side[1] = ts;
  uint8_t h0 = f->u.tcp[0].hist_seen, h1 = f->u.tcp[1].hist_seen;
  fsi_tcp_side tt = f->u.tcp[0];
  f->u.tcp[0] = f->u.tcp[1];
  f->u.tcp[1] = tt;
  f->u.tcp[0].hist_seen = h0;
  f->u.tcp[1].hist_seen = h1;
  f->flags ^= FSI_F_INIT_B2A;
  f->flags |= FSI_F_FLIPPED;
  fsi_hist_add(f, '^');
}

/* Zeek never makes the IPv4 limited broadcast address an originator: a
 * packet sent to 255.255.255.255 keeps its sender as the originator
 * whatever the ports say. */
static int to_broadcast(const fs_extract_result *ex) {
  if (ex->key.kind != FS_KEY_FIVE_TUPLE_V4)
    return 0;
  const uint8_t *dst = ex->orientation == FS_ORIENT_A_TO_B ? ex->key.addr_b : ex->key.addr_a;
  return dst[0] == 0xff && dst[1] == 0xff && dst[2] == 0xff && dst[3] == 0xff;
}

/* Zeek (since 5.1, its pull request 2191): a connection that began with a
 * SYN-ACK from its originator is flipped when the very next packet, in
 * either direction, is a pure ACK or carries data — a stealth scan would
 * answer with a RST or nothing. Zeek writes the result as if the flip had
 * happened at creation: '^' first and the letters so far in the other
 * case (its baseline core/local-flip: "^hADadFf"). */
static int synack_then_ack(const fsi_flow *f, uint8_t flags, uint32_t len) {
  return !(f->flags & FSI_F_FLIPPED) && fsi_ep(&f->u.tcp[0]) == FSI_EP_SYN_ACK_SENT &&
         fsi_ep(&f->u.tcp[1]) == FSI_EP_INACTIVE && f->side[0].packets + f->side[1].packets == 2 &&
         !(flags & (FS_TCP_SYN | FS_TCP_FIN | FS_TCP_RST)) && ((flags & FS_TCP_ACK) || len);
}

static void flip_from_start(fsi_flow *f) {
  const uint8_t before = f->hist_len;
  flip_roles(f);
  f->hist_len = before; /* the '^' flip_roles appended goes first instead */
  uint32_t n = f->hist_len < FSI_HIST_LEN ? f->hist_len : FSI_HIST_LEN - 1u;
  if (n < f->hist_len)
    f->flags |= FSI_F_HIST_TRUNC;
  for (uint32_t i = n; i > 0; i--) {
    char c = f->hist[i - 1];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    else if (c >= 'a' && c <= 'z')
      c = (char)(c - 'a' + 'A');
    f->hist[i] = c;
  }
  f->hist[0] = '^';
  f->hist_len = (uint8_t)(n + 1u);
}

void fsi_tcp_first_packet_orientation(const fs_extract_result *ex, int *flip) {
  const uint8_t fl = ex->tcp.flags;
  *flip = 0;
  if ((fl & FS_TCP_SYN) && !(fl & FS_TCP_ACK))
    return; /* a SYN: its sender is the originator */
  uint16_t sp = ex->orientation == FS_ORIENT_A_TO_B ? ex->key.port_a : ex->key.port_b;
  uint16_t dp = ex->orientation == FS_ORIENT_A_TO_B ? ex->key.port_b : ex->key.port_a;
  if (fsi_likely_server_port(sp, FS_L4_TCP)) {
    if (fsi_likely_server_port(dp, FS_L4_TCP))
      *flip = !(fl & FS_TCP_SYN) && sp < dp;
    else
      *flip = 1;
  }
  if (to_broadcast(ex))
    *flip = 0;
}

int fsi_udp_first_packet_flip(const fs_extract_result *ex) {
  uint16_t sp = ex->orientation == FS_ORIENT_A_TO_B ? ex->key.port_a : ex->key.port_b;
  uint16_t dp = ex->orientation == FS_ORIENT_A_TO_B ? ex->key.port_b : ex->key.port_a;
  return fsi_likely_server_port(sp, FS_L4_UDP) && !fsi_likely_server_port(dp, FS_L4_UDP) &&
         !to_broadcast(ex);
}

int fsi_tcp_is_reuse(const fsi_flow *f, uint32_t s, const fs_extract_result *ex) {
  const uint8_t fl = ex->tcp.flags;
  (void)s;
  if (!(fl & FS_TCP_SYN))
    return 0;
  const fsi_tcp_side *conn_orig = &f->u.tcp[0];
  if (fl & FS_TCP_ACK) {
    if (fsi_ep(&f->u.tcp[0]) != FSI_EP_INACTIVE)
      return 0; /* only half connections are reused by a SYN-ACK */
    conn_orig = &f->u.tcp[1];
  }
  int closed = ((f->u.tcp[0].eflags | f->u.tcp[1].eflags) & FSI_E_DID_CLOSE) != 0;
  if (!closed) {
    if (ex->tcp.seq == conn_orig->start_seq)
      return 0; /* a retransmitted SYN */
    if (!(fl & FS_TCP_ACK) && fsi_ep(conn_orig) == FSI_EP_SYN_ACK_SENT &&
        fsi_ep(&f->u.tcp[1]) == FSI_EP_INACTIVE && ex->tcp.seq == f->u.tcp[1].start_seq)
      return 0; /* the SYN of a SYN-ACK seen first: flips, not a reuse */
  }
  return 1;
}

static int clean(const fsi_tcp_side *x) {
  return fsi_ep(x) == FSI_EP_ESTABLISHED ||
         (fsi_ep(x) == FSI_EP_CLOSED && fsi_ep_prev(x) == FSI_EP_ESTABLISHED);
}

/* Bytes of side `s` that were sent but never captured ('G', missed_bytes). */
static void record_gap(fsi_flow *f, uint32_t s, uint64_t bytes) {
  fsi_tcp_side *x = &f->u.tcp[s];
  uint64_t m = (uint64_t)x->missed + bytes;
  x->missed = m > UINT32_MAX ? UINT32_MAX : (uint32_t)m;
  uint8_t g = (uint8_t)(x->gap_chk & 0x0F);
  if (g < 15) {
    g++;
    x->gap_chk = (uint8_t)((x->gap_chk & 0xF0) | g);
    fsi_hist_scaled(f, s, 'G', g);
  }
}

void fsi_tcp_packet(fs_tracker *t, fsi_flow *f, uint32_t s, const fs_extract_result *ex) {
  (void)t;
  const uint8_t flags = ex->tcp.flags;
  const uint32_t base_seq = ex->tcp.seq;
  const uint32_t ack_seq = ex->tcp.ack;
  uint32_t len = ex->tcp.payload_wire_len;
  if (len < ex->tcp.payload_len)
    len = ex->tcp.payload_len;
  if (synack_then_ack(f, flags, len)) {
    flip_from_start(f);
    s ^= 1u; /* the sender's record moved with the flip */
  }
  fsi_tcp_side *e = &f->u.tcp[s];
  fsi_tcp_side *p = &f->u.tcp[s ^ 1u];

  /* Sequence space of the segment: SYN and FIN count one; a RST's data
   * is not part of the stream. */
  uint32_t seg_len = len + ((flags & FS_TCP_SYN) ? 1u : 0u) + ((flags & FS_TCP_FIN) ? 1u : 0u);
  if (flags & FS_TCP_RST)
    seg_len -= len;
  const uint32_t seq_end = base_seq + seg_len;

  init_endpoint(e, flags, base_seq, seq_end);
  int underflow = 0;
  uint64_t rel_seq = relative_seq(e, base_seq, e->last_seq, e->seq_wraps, &underflow);
  update_history(f, s, flags, rel_seq, len);

  /* Zero window: interesting unless with/after a RST or after the peer's FIN. */
  if (ex->tcp.window == 0 && !(flags & FS_TCP_RST) && fsi_ep(p) != FSI_EP_CLOSED &&
      fsi_ep(e) != FSI_EP_RESET)
    count_scaled(f, s, 'W', &e->win0_cnt);

  if (flags & FS_TCP_FIN)
    e->eflags |= FSI_E_FIN_SEEN;

  uint64_t gap = 0;
  uint32_t fin_gap = 0;
  if (flags & FS_TCP_ACK) {
    if (fsi_ep(p) == FSI_EP_INACTIVE) {
      /* Number the silent peer's bytes as if its SYN had been seen. */
      init_seqs(p, ack_seq - 1u, ack_seq - 1u);
    } else {
      int ack_underflow = 0;
      (void)relative_seq(p, ack_seq, p->ack_seq, p->ack_wraps, &ack_underflow);
      if (!ack_underflow && !(flags & FS_TCP_RST)) {
        /* Bytes acked beyond everything seen from the peer (and beyond
         * its previous ack) were sent but never captured: a content gap. */
        uint64_t before = full_seq(p->ack_seq, p->ack_wraps);
        uint64_t seen = full_seq(p->last_seq, p->seq_wraps);
        if (seen > before)
          before = seen;
        update_ack_seq(p, ack_seq);
        uint64_t now = full_seq(p->ack_seq, p->ack_wraps);
        if (now > before)
          gap = now - before;
      }
    }
  }

  /* A FIN beyond the last byte seen: the bytes in between were lost (Zeek's
   * reassembler reports them as a gap once the FIN is acknowledged). */
  if ((flags & FS_TCP_FIN) && !(flags & (FS_TCP_SYN | FS_TCP_RST)) &&
      fsi_ep(e) != FSI_EP_INACTIVE && seq_delta(base_seq, e->last_seq) > 0 &&
      seq_delta(base_seq, e->last_seq) <= TOO_LARGE_SEQ_DELTA)
    fin_gap = (uint32_t)seq_delta(base_seq, e->last_seq);

  int32_t delta_last = seq_delta(seq_end, e->last_seq);
  update_last_seq(f, s, seq_end, flags, len);

  int do_close = 0;
  int flip = state_machine(f, s, flags, base_seq, len, delta_last, &do_close);
  if (do_close && !(e->eflags & FSI_E_DID_CLOSE)) {
    e->eflags |= FSI_E_DID_CLOSE;
    /* Zeek's ConnectionClosed: the close is complete when this side reset,
     * or the peer already closed, or the peer never sent anything. */
    if (fsi_ep(e) == FSI_EP_RESET || (p->eflags & FSI_E_DID_CLOSE) ||
        fsi_ep(p) == FSI_EP_INACTIVE) {
      e->eflags |= FSI_E_CLOSE_DONE;
      p->eflags |= FSI_E_CLOSE_DONE;
    }
  }

  /* Zeek records gaps only while both sides are established or closed
   * cleanly from established (not around resets or partial pickups). */
  if (fin_gap && clean(e) && clean(p))
    record_gap(f, s, fin_gap);
  if (gap && clean(e) && clean(p))
    record_gap(f, s ^ 1u, gap);

  /* Lifecycle extras the Zeek model does not need. */
  if ((flags & FS_TCP_ACK) && !(flags & FS_TCP_SYN)) {
    if (s == FS_SIDE_INITIATOR && fsi_ep(e) == FSI_EP_ESTABLISHED &&
        fsi_ep(p) == FSI_EP_ESTABLISHED)
      f->flags |= FSI_F_ACKED;
    if (fsi_ep(e) == FSI_EP_CLOSED && fsi_ep(p) == FSI_EP_CLOSED && !(flags & FS_TCP_FIN) &&
        full_seq(p->ack_seq, p->ack_wraps) >= full_seq(p->last_seq, p->seq_wraps))
      f->flags |= FSI_F_LAST_ACK;
  }

  if (flip)
    flip_roles(f);
}
