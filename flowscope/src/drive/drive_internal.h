/* SPDX-License-Identifier: MIT */
/*
 * Internal layout of the driver (docs/drivers.md). One engine for the three
 * modes: extractor -> dedup -> tracker -> per-flow state (pooled) ->
 * reassembler per side -> detection -> parser -> events (push or pull).
 */
#ifndef FSI_DRIVE_INTERNAL_H
#define FSI_DRIVE_INTERNAL_H

#include <stddef.h>

#include "flowscope/driver.h"
#include "reasm/reasm_stream.h"

/* Most protocols a driver considers (candidates are a 64-bit mask per flow). */
#define FSI_DRIVE_MAX_PROTOS 64
/* Probe bytes per side when a protocol declares none. */
#define FSI_PROBE_DEFAULT 1024u
/* Probe bytes per side, at most (the plugin contract's bound). */
#define FSI_PROBE_MAX 4096u
/* Pieces of the detection prefix remembered in arrival order. */
#define FSI_PROBE_LOG 16
/* Tracker events held back behind a deferred end, per packet. */
#define FSI_DEFER_MAX 8
/* Bytes of flow records allocated at a time (per pool: TCP and the rest):
 * one 2 MiB region, aligned, so that it can be one transparent huge page. */
#define FSI_POOL_CHUNK_BYTES (2u << 20)
/* FS_PARSE_HANDOFF taken per flow, at most; later ones act as FS_PARSE_DONE. */
#define FSI_HANDOFF_MAX 4u

/* One protocol the driver may choose. */
typedef struct fsi_dproto {
  const fs_protocol_desc *desc;
  void *plugin_state;
  uint32_t transports; /* FS_TRANSPORT_* it can parse in this mode */
  uint32_t probe_limit;
} fsi_dproto;

/* A port override resolved to a protocol index. */
typedef struct fsi_doverride {
  uint16_t port;
  uint16_t transport;
  int32_t proto;
} fsi_doverride;

/* One piece of the detection prefix: which side sent how many bytes (a datagram for UDP). */
typedef struct fsi_probe_piece {
  uint32_t side;
  uint32_t len;
  fs_time_ns ts;
} fsi_probe_piece;

/* Bytes buffered while no parser is chosen; pooled. data holds 2 * probe_cap bytes. */
typedef struct fsi_probe_buf {
  struct fsi_probe_buf *next_free;
  uint32_t len[2];
  uint32_t n_log;
  uint32_t reserved0;
  fsi_probe_piece log[FSI_PROBE_LOG];
  uint8_t data[]; /* side s at data + s * probe_cap */
} fsi_probe_buf;

/* Bytes a session parser left unconsumed, handed again before new bytes. */
typedef struct fsi_dtail {
  uint8_t *buf;
  size_t len;
  size_t cap;
} fsi_dtail;

/* Bits of fsi_dflow.flags. */
#define FSI_DF_TCP 0x001u        /* reassembled */
#define FSI_DF_DECIDED 0x002u    /* a protocol was chosen (proto >= 0) */
#define FSI_DF_BYPASS 0x004u     /* no more parsing or reassembly */
#define FSI_DF_POISONED 0x008u   /* the parser poisoned itself */
#define FSI_DF_OVERFLOW 0x010u   /* drop-flow limit tripped */
#define FSI_DF_ENDING 0x020u     /* inside end_flow: do not schedule another end */
#define FSI_DF_END_QUEUED 0x040u /* on the driver's end list */
#define FSI_DF_END_SIDE0 0x080u  /* parser told side 0 ended */
#define FSI_DF_END_SIDE1 0x100u  /* parser told side 1 ended */
#define FSI_DF_UNCLAIMED 0x200u  /* counted in detect_unclaimed */
#define FSI_DF_HAD_DATA 0x400u   /* payload seen */
#define FSI_DF_PARSE 0x800u      /* this flow's transport has parsers in this mode */
#define FSI_DF_TICKS 0x1000u     /* on the driver's tick list */
#define FSI_DF_REVIVED 0x2000u   /* recreated after retirement: never retired again */

/* Reassembly counters already reported as anomalies, per side. */
typedef struct fsi_dseen {
  uint64_t ooo;
  uint64_t dropped;
  uint64_t mismatch;
  uint64_t gap;
} fsi_dseen;

typedef struct fsi_dflow fsi_dflow;

/* Per-flow state, the tracker's user slot points at it. The members every
 * packet reads or writes come first (fsi_dflow_hot bytes, fetched ahead of
 * the packet); the rest is read when a flow starts, ends, detects or
 * reports. */
struct fsi_dflow {
  /* ---- hot: every packet ---- */
  fs_driver *d;
  uint32_t flags;
  int32_t proto;       /* index in d->protos, -1 none */
  int32_t in_cb_dir;   /* direction whose reassembler is delivering now, -1 none */
  uint32_t stats_lazy; /* inside this flow's packet: fsi_dflow_stats looks them up */
  void *parser;
  const fs_flow_stats *cur_stats; /* stats to put in events now (tracker result / end), or NULL */
  fsi_dtail tail[2];
  fsi_dseen seen[2]; /* by direction, like rs */
  fs_parser_env env;
  /* ---- cold ---- */
  fsi_dflow *prev, *next;           /* live list (or free list through next) */
  fsi_dflow *end_next;              /* end list */
  fsi_dflow *tick_prev, *tick_next; /* tick list (FSI_DF_TICKS) */
  fs_flow_key key;
  uint32_t end_reason;    /* for the end list */
  uint32_t handoffs;      /* FS_PARSE_HANDOFF taken (at most FSI_HANDOFF_MAX) */
  uint64_t cand;          /* protocols not yet ruled out */
  uint64_t hint;          /* protocols whose port hints match */
  uint64_t handed_off;    /* protocols that handed this flow off: never chosen again */
  uint32_t seen_bytes[2]; /* UDP: bytes probed per side */
  fsi_probe_buf *probe;
  uint64_t tail_dropped[2]; /* bytes dropped by the tail bound */
  uint64_t anom_tick;       /* tick of anom_sent */
  uint32_t anom_sent[2];    /* anomaly kinds emitted this tick, per side */
};

/* Bytes at the start of a flow record that every packet touches. */
#define fsi_dflow_hot offsetof(struct fsi_dflow, prev)

/* A TCP flow's record: the common part, then the two reassemblers (a UDP
 * flow's record stops before them: half the size). */
typedef struct fsi_dflow_tcp {
  fsi_dflow fl;
  _Alignas(64) fsi_reasm rs[2]; /* by direction (fs_orientation); on a line of its own */
} fsi_dflow_tcp;

/* The reassemblers of a TCP flow (FSI_DF_TCP), by direction. */
static inline fsi_reasm *fsi_dflow_rs(fsi_dflow *fl) { return ((fsi_dflow_tcp *)(void *)fl)->rs; }
static inline const fsi_reasm *fsi_dflow_crs(const fsi_dflow *fl) {
  return ((const fsi_dflow_tcp *)(const void *)fl)->rs;
}

/* Pull-mode queue entry: the event and copies of what it points to. */
typedef struct fsi_qentry {
  fs_event ev;
  fs_flow_key key;
  fs_flow_stats stats;
  fs_anomaly anomaly;
  fs_message *msg; /* owned clone */
} fsi_qentry;

/* fs_driver_feed_batch: packets extracted and hashed ahead of processing. */
#define FSI_DBATCH 16u
typedef struct fsi_dbatch {
  fs_extract_result ex[FSI_DBATCH];
  int prep[FSI_DBATCH]; /* prepare(): 0, a skip reason or FS_E_* */
  uint64_t h[FSI_DBATCH];
  uint32_t hint[FSI_DBATCH]; /* fsi_tracker_prefetch_record's likely record */
} fsi_dbatch;

struct fs_driver {
  fs_driver_config cfg;
  fs_extractor ex_own;
  const fs_extractor *ex;
  int ex_fills_all; /* ex writes every member of a result: no clear before extraction */
  fs_tracker *tr;
  fs_dedup *dedup;
  fsi_reasm_budget budget;
  fs_host_api host_default;
  fsi_dproto protos[FSI_DRIVE_MAX_PROTOS];
  uint32_t n_protos;
  fsi_doverride *overrides;
  uint32_t n_overrides;
  uint32_t probe_cap;
  uint32_t parse_transports; /* FS_TRANSPORT_* with parsers in this mode */
  /* flow pool */
  fsi_dflow live;        /* sentinel of the live list */
  fsi_dflow ticks;       /* sentinel of the tick list: flows a sweep has work for */
  fsi_dflow *free_flows; /* records without reassemblers */
  fsi_dflow *free_tcp;   /* fsi_dflow_tcp records */
  void **chunks;
  size_t n_chunks, cap_chunks;
  fsi_probe_buf *free_probes;
  uint64_t live_flows;
  /* the packet being tracked */
  int in_track;
  const fs_flow_key *cur_key;
  int have_pending_end;
  fsi_dflow *pending_flow;
  fsi_qentry pending;                 /* the deferred end of the packet's own flow */
  fs_flow_stats lazy_stats;           /* fsi_dflow_stats: the current packet's flow */
  fsi_qentry deferred[FSI_DEFER_MAX]; /* tracker events after it, in order */
  uint32_t n_deferred;
  fsi_dflow *end_list;
  fsi_dbatch batch;
  /* time */
  fs_time_ns now;
  fs_time_ns tick_ns;
  uint64_t last_tick;
  int ticked;
  uint64_t split_rng;
  fs_driver_counters ctr;
  /* pull queue */
  fsi_qentry *q;
  uint32_t q_cap, q_head, q_count, q_max;
  fsi_qentry q_cur; /* the event handed out last, released on the next call */
  /* Tags a retired flow leaves in the tracker's slot (retire.c): [0] no
   * parser (bypassed), [1 + i] an idle parser of protocol i. Only their
   * addresses are used. */
  uint8_t retired[FSI_DRIVE_MAX_PROTOS + 1];
};

/* ---- drive_flow.c: per-flow state ---- */
/* A new flow state; detection starts, or with @p revive_proto >= 0 (a
 * retired UDP flow sending again) that protocol's parser is created at once. */
fsi_dflow *fsi_dflow_alloc(fs_driver *d, const fs_flow_key *key, uint32_t l4proto,
                           uint32_t initiator_is_a, int32_t revive_proto);
/* Returns @p fl to the pool (off the live and tick lists); it must hold nothing. */
void fsi_dflow_free(fsi_dflow *fl);
/* Writes into @p stats the reassembly diagnostics of a flow with no state:
 * zero, as a UDP flow state without tail drops would. */
void fsi_dflow_patch_none(fs_flow_stats *stats);
/* One TCP segment travelling in direction @p dir (fs_orientation). */
void fsi_dflow_segment(fsi_dflow *fl, uint32_t dir, const fs_extract_result *ex, fs_time_ns ts);
void fsi_dflow_datagram(fsi_dflow *fl, uint32_t side, const uint8_t *data, size_t len,
                        fs_time_ns ts);
/* Finishes reassembly and parser, patches @p stats, frees the flow. */
void fsi_dflow_end(fsi_dflow *fl, fs_flow_stats *stats, fs_time_ns ts);
void fsi_dflow_tick(fsi_dflow *fl, fs_time_ns now);
/* Puts @p fl on the tick list when a sweep has work for it (held
 * out-of-order bytes, a parser with a tick); fsi_dflow_tick takes it off
 * when that is over. */
void fsi_dflow_tick_check(fsi_dflow *fl);
/* Writes the reassembly diagnostics of @p fl into the per-side stats. */
void fsi_dflow_patch_stats(const fsi_dflow *fl, fs_flow_stats *stats);
void fsi_dflow_schedule_end(fsi_dflow *fl, uint32_t reason);
void fsi_dflow_bypass(fsi_dflow *fl);
void fsi_dflow_anomaly(fsi_dflow *fl, uint32_t side, uint32_t kind, uint64_t count, uint64_t total,
                       const char *detail, fs_time_ns ts);
void fsi_drive_pool_free(fs_driver *d);

/* ---- retire.c: flows that need no state between packets ---- */
/* The tag a retired flow leaves in the tracker's slot; @p proto -1: no parser. */
static inline void *fsi_retired_tag(fs_driver *d, int32_t proto) { return &d->retired[proto + 1]; }
/* -2 when @p user is not a tag (a flow state or NULL), else the protocol
 * of the retired flow's idle parser, or -1 for a flow without a parser. */
static inline int32_t fsi_retired_proto(const fs_driver *d, const void *user) {
  uintptr_t off = (uintptr_t)user - (uintptr_t)d->retired;
  return off < sizeof d->retired ? (int32_t)off - 1 : -2;
}
/*
 * After a datagram of UDP flow @p fl: when nothing of its state can matter
 * any more (bypassed without a parser, or a parser that says it is idle),
 * finishes the parser, frees the state and returns the tag to put in the
 * tracker's slot instead; else NULL and @p fl stays.
 */
void *fsi_dflow_retire(fsi_dflow *fl, fs_time_ns ts);
/* After FS_PARSE_DONE, or once both sides of a connection ended: finishes
 * and frees the parser now when its idle op says finish would emit nothing.
 * Returns 1 when it did. */
int fsi_parser_release_done(fsi_dflow *fl, fs_time_ns ts);

/* ---- detect.c: protocol table and detection ---- */
int fsi_detect_setup(fs_driver *d, char *errbuf);
/* At flow creation: overrides and probe-less port hints decide at once. */
void fsi_detect_start(fsi_dflow *fl, uint32_t transport);
/* New in-order bytes (TCP) or a datagram (UDP) while undecided. */
void fsi_detect_data(fsi_dflow *fl, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts,
                     int datagram);
/* After a hand-off: probe-bearing protocols that have not handed this flow off. */
void fsi_detect_restart(fsi_dflow *fl);
fsi_probe_buf *fsi_probe_alloc(fs_driver *d);
void fsi_probe_release(fs_driver *d, fsi_probe_buf *p);

/* ---- parse_feed.c: handing bytes to parsers ---- */
void fsi_feed_stream(fsi_dflow *fl, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts);
void fsi_feed_gap(fsi_dflow *fl, uint32_t side, uint64_t len, fs_time_ns ts);
void fsi_feed_datagram(fsi_dflow *fl, uint32_t side, const uint8_t *data, size_t len,
                       fs_time_ns ts);
void fsi_parse_status(fsi_dflow *fl, uint32_t side, int status, fs_time_ns ts);
/* Frees the unconsumed-bytes buffer of @p side when it holds nothing (the
 * side closed: it would only sit there until the flow's timeout). */
void fsi_tail_trim(fsi_dflow *fl, uint32_t side);
int fsi_parser_create(fsi_dflow *fl);

/* ---- handoff.c: FS_PARSE_HANDOFF and routing bytes by the flow's state ---- */
/* Ends the current parser (it finishes first) and detects again on the
 * bytes it did not take: both sides' unconsumed tails, then @p rest of
 * @p side (what a feed left past *consumed). Bounded by FSI_HANDOFF_MAX. */
void fsi_handoff(fsi_dflow *fl, uint32_t side, const uint8_t *rest, size_t rest_len, fs_time_ns ts);
/* Stream bytes to the parser, or to detection while none is chosen. */
void fsi_route_stream(fsi_dflow *fl, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts);
/* A datagram to the parser, or to detection while none is chosen. */
void fsi_route_datagram(fsi_dflow *fl, uint32_t side, const uint8_t *data, size_t len,
                        fs_time_ns ts);

/* ---- event_out.c: push or queue ---- */
void fsi_drive_emit(fs_driver *d, const fs_event *ev);

/* The stats an event of @p fl carries now (looked up from the tracker on
 * first use while its packet is handled), or NULL. */
const fs_flow_stats *fsi_dflow_stats(fsi_dflow *fl);
void fsi_drive_queue_free(fs_driver *d);

#endif /* FSI_DRIVE_INTERNAL_H */
