/* SPDX-License-Identifier: MIT */
/**
 * @file flow.h
 * Flow state, end reason, anomaly kind and flow statistics. Every enum has
 * explicit values that are never reused; consumers ignore values they do
 * not know. Statistics structs are size-prefixed and grow at the end.
 */
#ifndef FLOWSCOPE_FLOW_H
#define FLOWSCOPE_FLOW_H

#include "flowscope/types.h"

FS_BEGIN_DECLS

/** Lifecycle state of a flow. Since 1.0. */
typedef enum fs_flow_state {
  FS_STATE_ACTIVE = 0,       /**< non-TCP flow (Zeek's "Active") */
  FS_STATE_SYN_SENT = 1,     /**< initiator's SYN seen, no SYN-ACK yet */
  FS_STATE_SYN_RECEIVED = 2, /**< SYN-ACK seen, waiting for the initiator's ACK */
  FS_STATE_ESTABLISHED = 3,  /**< three-way handshake complete */
  FS_STATE_FIN_WAIT = 4,     /**< one side has sent FIN */
  FS_STATE_CLOSING = 5,      /**< both sides have sent FIN, last ACK pending */
  FS_STATE_CLOSED = 6,       /**< both FINs acknowledged */
  FS_STATE_RESET = 7,        /**< a RST was seen */
  FS_STATE_ABORTED = 8,      /**< went idle while open */
  FS_STATE_MIDSTREAM = 9     /**< picked up without a SYN (partial connection) */
} fs_flow_state;

/** Why a flow ended. Since 1.0. */
typedef enum fs_end_reason {
  FS_END_NONE = 0,            /**< not ended (snapshots) */
  FS_END_FIN = 1,             /**< TCP closed with FIN */
  FS_END_RST = 2,             /**< TCP reset */
  FS_END_IDLE_TIMEOUT = 3,    /**< nothing seen within the idle timeout */
  FS_END_EVICTED = 4,         /**< table full: least recently used flow evicted */
  FS_END_BUFFER_OVERFLOW = 5, /**< reassembly cap hit with the drop-flow policy */
  FS_END_PARSE_ERROR = 6,     /**< the session/datagram parser poisoned itself */
  FS_END_FLUSH = 7,           /**< still live at end of input (flush) */
  FS_END_FORGOTTEN = 8,       /**< removed by the host (fs_tracker_forget) */
  FS_END_REUSED = 9 /**< a new SYN with another ISN reused the key of a live TCP flow (Zeek starts a
                       new connection) */
} fs_end_reason;

/** Kinds of anomaly events. Since 1.0. */
typedef enum fs_anomaly_kind {
  FS_ANOM_NONE = 0,              /**< none */
  FS_ANOM_OUT_OF_ORDER = 1,      /**< TCP segment arrived out of order / was held */
  FS_ANOM_BUFFER_OVERFLOW = 2,   /**< reassembly cap hit: bytes or flow dropped */
  FS_ANOM_EVICTION_PRESSURE = 3, /**< global: flows evicted during this tick */
  FS_ANOM_PARSE_ERROR = 4,       /**< parser poisoned itself */
  FS_ANOM_FRAGMENT_DROP = 5,     /**< IP fragments dropped (timeout, overlap, limit) */
  FS_ANOM_OVERLAP_MISMATCH = 6,  /**< retransmitted TCP bytes differ from the first copy */
  FS_ANOM_GAP = 7,               /**< a gap in the TCP stream was skipped */
  FS_ANOM_TIME_BACKWARDS = 8     /**< packet time went backwards */
} fs_anomaly_kind;

/** Statistics of one side of a flow. Size-prefixed; grows at the end. Since 1.0. */
typedef struct fs_side_stats {
  uint32_t struct_size;            /**< sizeof(fs_side_stats) as built */
  uint32_t reserved0;              /**< zero */
  uint64_t packets;                /**< packets sent by this side */
  uint64_t ip_bytes;               /**< sum of IP total lengths (Zeek's *_ip_bytes) */
  uint64_t payload_bytes;          /**< payload bytes (TCP: sequence span, as Zeek's *_bytes) */
  uint64_t missed_bytes;           /**< TCP bytes never seen (gaps) */
  uint64_t reasm_ooo_segments;     /**< segments held out of order */
  uint64_t reasm_dropped_segments; /**< segments dropped by reassembly limits */
  uint64_t reasm_dropped_bytes;    /**< bytes dropped by reassembly limits */
  uint64_t reasm_overlap_mismatch; /**< overlapping retransmissions whose bytes differed */
  uint64_t reasm_high_watermark;   /**< peak bytes buffered by reassembly */
  fs_time_ns first_seen;           /**< first packet of this side (0 if none) */
  fs_time_ns last_seen;            /**< last packet of this side (0 if none) */
} fs_side_stats;

/** Length of the history buffer (Zeek history letters), NUL included. Since 1.0. */
#define FS_HISTORY_MAX 32

/** Statistics of a flow. Size-prefixed; grows at the end. Since 1.0. */
typedef struct fs_flow_stats {
  uint32_t struct_size;         /**< sizeof(fs_flow_stats) as built */
  uint32_t state;               /**< fs_flow_state */
  uint32_t end_reason;          /**< fs_end_reason, FS_END_NONE while live */
  uint32_t l4proto;             /**< IP protocol number */
  fs_time_ns first_seen;        /**< first packet of the flow */
  fs_time_ns last_seen;         /**< last packet of the flow */
  fs_side_stats side[2];        /**< indexed by fs_side */
  char history[FS_HISTORY_MAX]; /**< Zeek history letters, NUL-terminated */
  char conn_state[8];           /**< Zeek conn_state ("SF", "S0", ...), NUL-terminated */
  char service[16];             /**< detected protocol name, "" if none */
  uint64_t flow_id;             /**< tracker-assigned id, unique for the tracker's life */
  uint32_t flipped;             /**< 1 when the tracker swapped initiator/responder ('^') */
  uint32_t reserved1;           /**< zero */
} fs_flow_stats;

/** Static name of a flow state ("established", ...); "unknown" for others. Since 1.0. */
FS_API const char *fs_flow_state_name(uint32_t state);
/** Static name of an end reason ("fin", "rst", "idle_timeout", ...). Since 1.0. */
FS_API const char *fs_end_reason_name(uint32_t reason);
/** Static name of an anomaly kind ("out_of_order", ...). Since 1.0. */
FS_API const char *fs_anomaly_kind_name(uint32_t kind);

FS_END_DECLS

#endif /* FLOWSCOPE_FLOW_H */
