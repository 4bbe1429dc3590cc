/* SPDX-License-Identifier: MIT */
/*
 * Internal layout of the flow tracker. Not installed; tests and benches may
 * include it through the flowscope-internal target.
 *
 * Memory plan (docs/tracking.md): one 248-byte record per flow in a
 * preallocated pool, plus two 4-byte slots per flow in an open-addressing
 * index (tag:8 | record:24). Links (LRU, timer wheel) are 32-bit record
 * indices, so records never move and the index can delete by backward shift.
 */
#ifndef FLOWSCOPE_TRACK_INTERNAL_H
#define FLOWSCOPE_TRACK_INTERNAL_H

#include "flowscope/tracker.h"

#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL
#endif
#include <xxhash.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** No record / end of a list. */
#define FSI_NIL 0xFFFFFFFFu
/** An empty index slot. */
#define FSI_SLOT_EMPTY 0xFFFFFFFFu
/** Largest max_flows the 24-bit record field of a slot can address. */
#define FSI_MAX_FLOWS 0x00FFFFFEu
/** History letters kept per flow (Zeek's strings are rarely longer). */
#define FSI_HIST_LEN 16

/** Zeek's per-endpoint TCP states (values as in Zeek's TCP_Endpoint). */
enum fsi_ep_state {
  FSI_EP_INACTIVE = 0,
  FSI_EP_SYN_SENT = 1,
  FSI_EP_SYN_ACK_SENT = 2,
  FSI_EP_PARTIAL = 3,
  FSI_EP_ESTABLISHED = 4,
  FSI_EP_CLOSED = 5,
  FSI_EP_RESET = 6
};

/* Bits of fsi_tcp_side.hist_seen: letters recorded once per direction. */
#define FSI_H_SYN 0x01u
#define FSI_H_FIN 0x02u
#define FSI_H_RST 0x04u
#define FSI_H_ACK 0x08u
#define FSI_H_DATA 0x10u
#define FSI_H_FINRST 0x20u
#define FSI_H_MULTI 0x40u

/* Bits of fsi_tcp_side.eflags. */
#define FSI_E_FIN_SEEN 0x01u   /* sent at least one FIN (Zeek's FIN_cnt > 0) */
#define FSI_E_DID_CLOSE 0x02u  /* a FIN or RST from it closed its half */
#define FSI_E_CLOSE_DONE 0x04u /* set on both sides: the close is complete as Zeek decides it */

/** One TCP endpoint as Zeek models it (40 bytes). */
typedef struct fsi_tcp_side {
  uint32_t start_seq;     /* ISN (or first seq - 1 for partial pickups) */
  uint32_t last_seq;      /* one past the highest sequence sent */
  uint32_t ack_seq;       /* highest ack the peer sent for this side's data */
  uint16_t seq_wraps;     /* 2^32 wraps of last_seq */
  uint16_t ack_wraps;     /* 2^32 wraps of ack_seq */
  uint32_t hist_last_syn; /* relative seq of the last SYN (repeat rule) */
  uint32_t hist_last_fin; /* relative seq + len of the last FIN */
  uint32_t hist_last_rst; /* relative seq of the last RST */
  uint32_t missed;        /* bytes acked but never seen (saturating) */
  uint16_t rxmt_cnt;      /* retransmissions ('T'), saturating */
  uint16_t win0_cnt;      /* zero-window advertisements ('W'), saturating */
  uint8_t gap_chk;        /* content gaps ('G', low nibble) and bad checksums
                             ('C', high nibble), each saturating at 15 */
  uint8_t state;          /* low nibble fsi_ep_state, high nibble previous */
  uint8_t eflags;         /* FSI_E_* */
  uint8_t hist_seen;      /* FSI_H_* letters already recorded */
} fsi_tcp_side;

/** Per-side counters for non-TCP flows (shares storage with fsi_tcp_side). */
typedef struct fsi_dgram_side {
  uint64_t payload; /* payload bytes (UDP: datagram length - 8) */
  uint16_t chk_cnt; /* bad checksums ('C'), saturating */
  uint8_t pad[28];
  uint8_t eflags;    /* unused */
  uint8_t hist_seen; /* FSI_H_DATA once 'D' was recorded */
} fsi_dgram_side;

/** Traffic of one side. */
typedef struct fsi_side {
  fs_time_ns first_seen;
  fs_time_ns last_seen;
  uint64_t packets;
  uint64_t ip_bytes;
} fsi_side;

/* Bits of fsi_flow.flags. */
#define FSI_F_INIT_B2A 0x01u    /* initiator sent B->A relative to the key */
#define FSI_F_FLIPPED 0x02u     /* '^' recorded */
#define FSI_F_EST_SENT 0x04u    /* FS_EV_ESTABLISHED emitted */
#define FSI_F_ACKED 0x08u       /* initiator acked the SYN-ACK (3rd packet) */
#define FSI_F_LAST_ACK 0x10u    /* the last FIN was acknowledged */
#define FSI_F_LIVE 0x20u        /* record in use */
#define FSI_F_HIST_TRUNC 0x40u  /* history letters dropped (buffer full) */
#define FSI_F_TIMER_DIRTY 0x80u /* timeout class changed: reschedule */

/** One flow record (248 bytes). */
typedef struct fsi_flow {
  fs_flow_key key;             /* 48 */
  uint32_t lru_prev, lru_next; /* LRU list (head = most recent) */
  uint32_t tw_prev, tw_next;   /* timer-wheel slot list */
  uint64_t flow_id;
  void *user;              /* host slot (fs_track_result.user) */
  fsi_side side[2];        /* by fs_side */
  uint32_t timeout_ms;     /* idle timeout for the current state class */
  uint8_t state;           /* fs_flow_state */
  uint8_t flags;           /* FSI_F_* */
  uint8_t service;         /* index into the tracker's service names, 0 = none */
  uint8_t hist_len;        /* letters in hist */
  char hist[FSI_HIST_LEN]; /* Zeek history letters (no NUL) */
  union {
    fsi_tcp_side tcp[2];
    fsi_dgram_side dg[2];
  } u;
} fsi_flow;

/** Hierarchical timer wheel geometry: 256 ticks, then 2 x 64 coarser levels. */
#define FSI_TW_L0_BITS 8
#define FSI_TW_LN_BITS 6
#define FSI_TW_LEVELS 3
#define FSI_TW_L0 (1u << FSI_TW_L0_BITS)
#define FSI_TW_LN (1u << FSI_TW_LN_BITS)
#define FSI_TW_SLOTS (FSI_TW_L0 + (FSI_TW_LEVELS - 1) * FSI_TW_LN)

/** Most distinct service names a tracker remembers (index 0 = none). */
#define FSI_MAX_SERVICES 64

/** The tracker. */
struct fs_tracker {
  fs_tracker_config cfg;
  fsi_flow *recs;  /* max_flows records */
  uint32_t *slots; /* index */
  uint32_t nslots;
  uint32_t max_flows;
  uint32_t next_unused; /* records never used yet start here */
  uint32_t free_head;   /* released records (linked through lru_next) */
  uint32_t lru_head, lru_tail;
  uint32_t live;
  uint32_t last_idx;  /* one-entry cache: record of the previous packet */
  uint64_t last_hash; /* hash of that record's key (valid while last_idx is) */
  uint32_t tw_head[FSI_TW_SLOTS];
  uint64_t now_tick; /* wheel time in ticks */
  int wheel_started;
  int flushing;             /* fs_tracker_flush in progress: index/wheel cleared at the end */
  fs_time_ns max_ts;        /* latest packet time seen */
  fs_time_ns tick_start_ns; /* start of the current tick */
  fs_time_ns next_tick_ns;  /* start of the next tick */
  fs_time_ns tick_ns;
  uint64_t next_flow_id;
  uint64_t evicted_this_tick;
  fs_tracker_counters ctr;
  fs_tracker_counters reported; /* counters at the last metrics report */
  fs_flow_key res_key;          /* key copy for a result whose flow ended */
  uint64_t hist_truncated;
  size_t mem_bytes;
  char services[FSI_MAX_SERVICES][16];
  uint32_t n_services;
  fs_flow_stats scratch;     /* stats handed out by events/results */
  fs_flow_stats res_scratch; /* stats handed out by fs_track_result */
  int no_fast_path;          /* tests: 1 sends every packet through the general path */
  uint64_t fast_packets;     /* packets the TCP fast path took (tests, benches) */
};

/* index.c */
void fsi_index_insert(fs_tracker *t, uint64_t h, uint32_t idx);
void fsi_index_remove(fs_tracker *t, uint64_t h, uint32_t idx);
uint32_t fsi_index_slots_for(uint32_t max_flows);

/* Home slot of hash @p h: the high 32 bits scaled to the table size (no power of two needed). */
static inline uint32_t fsi_home_of(const fs_tracker *t, uint64_t h) {
  return (uint32_t)(((h >> 32) * (uint64_t)t->nslots) >> 32);
}

/* The 8-bit tag a slot keeps beside the record index. */
static inline uint32_t fsi_tag_of(uint64_t h) { return (uint32_t)(h & 0xFFu) << 24; }

/* Starts loading the index slot of hash @p h. */
static inline void fsi_index_prefetch_slot(const fs_tracker *t, uint64_t h) {
  __builtin_prefetch(&t->slots[fsi_home_of(t, h)]);
}

/* wheel.c */
void fsi_wheel_insert(fs_tracker *t, uint32_t idx);
void fsi_wheel_unlink(fs_tracker *t, uint32_t idx);
void fsi_wheel_advance(fs_tracker *t, uint64_t to_tick);

/* tcp_zeek.c: Zeek's TCP endpoint machine for one packet of side `s`. */
void fsi_tcp_packet(fs_tracker *t, fsi_flow *f, uint32_t s, const fs_extract_result *ex);
void fsi_tcp_first_packet_orientation(const fs_extract_result *ex, int *flip);
/* 1 when the first UDP packet came from the server (Zeek's port rule). */
int fsi_udp_first_packet_flip(const fs_extract_result *ex);
int fsi_tcp_is_reuse(const fsi_flow *f, uint32_t s, const fs_extract_result *ex);
uint64_t fsi_tcp_size(const fsi_flow *f, uint32_t s);
/* 1 once a close completed as Zeek decides it (a RST, or a FIN after the
 * peer closed or while it never sent anything). */
static inline int fsi_tcp_close_done(const fsi_flow *f) {
  return (f->u.tcp[0].eflags & FSI_E_CLOSE_DONE) != 0;
}
int fsi_likely_server_port(uint16_t port, uint32_t proto);

/* checksum.c: 1 when the TCP/UDP checksum is right or cannot be checked. */
int fsi_l4_checksum_ok(const fs_extract_result *ex);

/* history.c (the once-per-direction rules inline, below) */
void fsi_hist_scaled(fsi_flow *f, uint32_t s, char upper, uint32_t count);

/* conn_state.c */
const char *fsi_conn_state(const fsi_flow *f);
uint32_t fsi_derive_state(const fsi_flow *f);

/* tracker.c */
void fsi_flow_end(fs_tracker *t, uint32_t idx, uint32_t reason, fs_time_ns ts);
void fsi_fill_stats(const fs_tracker *t, const fsi_flow *f, fs_flow_stats *st);
fs_time_ns fsi_flow_deadline(const fs_tracker *t, const fsi_flow *f);
fs_time_ns fsi_flow_last_seen(const fsi_flow *f);

_Static_assert(sizeof(fs_flow_key) == 48, "fsi_key_eq compares six words");

/* Sixteen bytes as one vector (GCC/Clang vector extension: SSE2 on x86-64). */
typedef uint64_t fsi_v2u64 __attribute__((vector_size(16)));

/** 1 when two flow keys are equal (all 48 bytes): three 16-byte compares
 *  folded together, no branch per word. */
static inline int fsi_key_eq(const fs_flow_key *a, const fs_flow_key *b) {
  fsi_v2u64 a0, a1, a2, b0, b1, b2;
  memcpy(&a0, (const char *)a, 16);
  memcpy(&a1, (const char *)a + 16, 16);
  memcpy(&a2, (const char *)a + 32, 16);
  memcpy(&b0, (const char *)b, 16);
  memcpy(&b1, (const char *)b + 16, 16);
  memcpy(&b2, (const char *)b + 32, 16);
  fsi_v2u64 d = (a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2);
  return (d[0] | d[1]) == 0;
}

/** Side of a packet (fs_side) from its key orientation. */
static inline uint32_t fsi_side_of(const fsi_flow *f, uint32_t orientation) {
  return ((f->flags & FSI_F_INIT_B2A) ? 1u : 0u) ^ (orientation & 1u);
}

static inline uint8_t fsi_ep(const fsi_tcp_side *e) { return (uint8_t)(e->state & 0x0F); }
static inline uint8_t fsi_ep_prev(const fsi_tcp_side *e) { return (uint8_t)(e->state >> 4); }
static inline void fsi_ep_set(fsi_tcp_side *e, uint8_t st) {
  if ((e->state & 0x0F) != st)
    e->state = (uint8_t)(((e->state & 0x0F) << 4) | st);
}

/* History letters (history.c describes the rules). */

/* Appends @p letter, or notes that the history was cut. */
static inline void fsi_hist_add(fsi_flow *f, char letter) {
  if (f->hist_len < FSI_HIST_LEN)
    f->hist[f->hist_len++] = letter;
  else
    f->flags |= FSI_F_HIST_TRUNC;
}

/* @p upper for the initiator, its lower case for the responder. */
static inline char fsi_side_case(uint32_t s, char upper) {
  return s == FS_SIDE_INITIATOR ? upper : (char)(upper - 'A' + 'a');
}

/* Once per direction: records the letter the first time (returns 0), or
 * returns 1 when it was recorded before. */
static inline int fsi_hist_check(fsi_flow *f, uint32_t s, uint8_t bit, char upper) {
  uint8_t *seen = (f->key.proto == FS_L4_TCP) ? &f->u.tcp[s].hist_seen : &f->u.dg[s].hist_seen;
  if (*seen & bit)
    return 1;
  *seen |= bit;
  fsi_hist_add(f, fsi_side_case(s, upper));
  return 0;
}

/* index.c's hash and lookups, inline for the packet path. */

/* The table hash of @p key: XXH3-64 seeded with hash_seed over the 48 key
 * bytes (bidirectional keys are canonical, so it is symmetric). */
static inline uint64_t fsi_key_hash(const fs_tracker *t, const fs_flow_key *key) {
  return XXH3_64bits_withSeed(key, sizeof(*key), t->cfg.hash_seed);
}

/* The record holding @p key (hash @p h), or FSI_NIL. */
static inline uint32_t fsi_index_find(const fs_tracker *t, const fs_flow_key *key, uint64_t h) {
  uint32_t pos = fsi_home_of(t, h);
  const uint32_t tag = fsi_tag_of(h);
  for (;;) {
    uint32_t s = t->slots[pos];
    if (s == FSI_SLOT_EMPTY)
      return FSI_NIL;
    if ((s & 0xFF000000u) == tag) {
      uint32_t idx = s & 0x00FFFFFFu;
      if (fsi_key_eq(&t->recs[idx].key, key))
        return idx;
    }
    if (++pos == t->nslots)
      pos = 0;
  }
}

/* Starts loading the likely record of hash @p h; returns its index (a guess:
 * check that it is live and holds the key) or FSI_NIL. */
static inline uint32_t fsi_index_prefetch_record(const fs_tracker *t, uint64_t h) {
  /* The first slot with the key's tag names the likely record; a wrong
   * guess only costs a useless prefetch (and the caller checks the key). */
  uint32_t pos = fsi_home_of(t, h);
  const uint32_t tag = fsi_tag_of(h);
  for (uint32_t n = 0; n < 4; n++) {
    const uint32_t s = t->slots[pos];
    if (s == FSI_SLOT_EMPTY)
      return FSI_NIL;
    if ((s & 0xFF000000u) == tag) {
      const uint32_t idx = s & 0x00FFFFFFu;
      const char *r = (const char *)&t->recs[idx];
      for (size_t off = 0; off < sizeof(fsi_flow); off += 64)
        __builtin_prefetch(r + off, 1);
      __builtin_prefetch(r + sizeof(fsi_flow) - 1, 1);
      return idx;
    }
    if (++pos == t->nslots)
      pos = 0;
  }
  return FSI_NIL;
}

#endif /* FLOWSCOPE_TRACK_INTERNAL_H */
