/* SPDX-License-Identifier: MIT */
/**
 * @file traits.h
 * Vtables ("traits") for the replaceable parts of the engine: flow
 * extractors, TCP reassemblers and metrics/tracing hooks. Each is a
 * size-prefixed struct of function pointers plus an opaque instance.
 * Parser vtables live in parser.h.
 */
#ifndef FLOWSCOPE_TRAITS_H
#define FLOWSCOPE_TRAITS_H

#include "flowscope/flow.h"
#include "flowscope/key.h"

FS_BEGIN_DECLS

/** Most VLAN tags an extraction result records. Since 1.0. */
#define FS_MAX_VLANS 4

/** Encapsulation kinds, as bits in fs_extract_result.encap. Since 1.0. */
typedef enum fs_encap {
  FS_ENCAP_VLAN = 0x01,   /**< 802.1Q / QinQ tags */
  FS_ENCAP_MPLS = 0x02,   /**< MPLS label stack */
  FS_ENCAP_VXLAN = 0x04,  /**< VXLAN (UDP 4789) */
  FS_ENCAP_GTPU = 0x08,   /**< GTP-U (UDP 2152) */
  FS_ENCAP_GRE = 0x10,    /**< GRE (incl. ERSPAN, TEB) */
  FS_ENCAP_IPIP = 0x20,   /**< IP-in-IP / IPv6-in-IPv4 */
  FS_ENCAP_ERSPAN = 0x40, /**< ERSPAN I-III inside GRE */
  FS_ENCAP_GENEVE = 0x80, /**< Geneve (UDP 6081, RFC 8926) */
  FS_ENCAP_AYIYA = 0x100, /**< AYIYA IP-over-UDP (UDP 5072) */
  /** Teredo IPv6-over-UDP (RFC 4380): UDP 3544, or any port when the
   * payload has Teredo's shape. Since 1.1. */
  FS_ENCAP_TEREDO = 0x200,
  /** Cisco FabricPath (ethertype 0x8903): a 16-byte outer header before
   * the customer's Ethernet frame. Since 1.1. */
  FS_ENCAP_FABRICPATH = 0x400,
  /** Cisco VN-Tag (ethertype 0x8926, IEEE 802.1Qbh): a 6-byte tag.
   * Since 1.1. */
  FS_ENCAP_VNTAG = 0x800,
  /** Aruba WLAN controller GRE (protocols 0x8200-0x8240) carrying 802.11
   * frames. Since 1.1. */
  FS_ENCAP_ARUBA = 0x1000
} fs_encap;

/** Why an extractor skipped a packet (positive return of extract). Since 1.0. */
typedef enum fs_skip_reason {
  FS_SKIP_NONE = 0,          /**< not skipped */
  FS_SKIP_LINKTYPE = 1,      /**< unsupported link type */
  FS_SKIP_TRUNCATED = 2,     /**< a header is cut short by caplen */
  FS_SKIP_MALFORMED = 3,     /**< a length or version field is invalid */
  FS_SKIP_NOT_IP = 4,        /**< not IP (ARP, LLDP, ...) for an IP extractor */
  FS_SKIP_FRAGMENT = 5,      /**< IP fragment held for reassembly (not yet complete) */
  FS_SKIP_FRAGMENT_DROP = 6, /**< IP fragment dropped (limit, overlap, timeout) */
  FS_SKIP_UNSUPPORTED = 7,   /**< recognised but unsupported encapsulation/protocol */
  FS_SKIP_DUPLICATE = 8,     /**< suppressed as a duplicate (dedup) */
  FS_SKIP_FILTERED = 9,      /**< excluded by configuration */
  FS_SKIP_TOO_DEEP = 10,     /**< encapsulation or extension headers nested too deep */
  FS_SKIP_REASON_COUNT = 11  /**< number of reasons defined in this version */
} fs_skip_reason;

/**
 * What an extractor says about one packet. Built by the extractor into a
 * zeroed struct the caller provides (struct_size set by the caller).
 * Pointers point into the packet (or into the extractor's own buffer for
 * reassembled fragments) and are valid until the next extract call.
 * Since 1.0.
 */
typedef struct fs_extract_result {
  uint32_t struct_size; /**< set by the caller */
  uint32_t orientation; /**< fs_orientation of this packet relative to key */
  fs_flow_key key;      /**< the flow key */
  uint32_t l4proto;     /**< IP protocol number of the innermost L4 */
  uint32_t has_tcp;     /**< 1 when tcp is filled */
  fs_tcp_info tcp; /**< TCP header facts (payload_offset relative to `payload` base: see payload) */
  const uint8_t *payload;       /**< L4 payload (TCP/UDP data), NULL if none */
  uint32_t payload_len;         /**< captured payload bytes */
  uint32_t ip_len;              /**< IP total length of the innermost IP packet (for *_ip_bytes) */
  uint32_t ip_version;          /**< 4, 6, or 0 for non-IP keys */
  uint32_t encap;               /**< FS_ENCAP_* bits of the outer layers passed */
  uint32_t n_vlans;             /**< VLAN ids recorded in vlans[] */
  uint16_t vlans[FS_MAX_VLANS]; /**< VLAN ids, outermost first */
  uint32_t tunnel_id;           /**< VNI / TEID / GRE key of the outermost tunnel, 0 if none */
  uint32_t icmp_type_code;      /**< ICMP: type << 8 | code */
  uint8_t tunnel_src[16];       /**< outer tunnel source address (network order) */
  uint8_t tunnel_dst[16];       /**< outer tunnel destination address */
  uint32_t tunnel_ip_version;   /**< 4 or 6 when a tunnel was passed, else 0 */
  uint32_t flow_label;          /**< IPv6 flow label of the innermost header */
  const uint8_t *l3;            /**< innermost IP header */
  uint32_t l3_len;              /**< captured bytes from l3 */
  uint32_t reserved0;           /**< zero */
} fs_extract_result;

/** An extractor: turns a packet into a key, orientation and L4 facts. Since 1.0. */
typedef struct fs_extractor_ops {
  uint32_t struct_size; /**< sizeof(fs_extractor_ops) */
  uint32_t reserved0;   /**< zero */
  const char *name;     /**< short name for diagnostics */
  /**
   * Extracts one packet. Returns 0 on success, a positive fs_skip_reason
   * when the packet carries no flow for this extractor, or a negative
   * FS_E_* code on an internal error.
   */
  int (*extract)(void *self, const fs_packet_view *pkt, fs_extract_result *out);
  /** Optional: advance time (expire held fragments). */
  void (*tick)(void *self, fs_time_ns now);
  /** Releases the instance. */
  void (*destroy)(void *self);
} fs_extractor_ops;

/** An extractor instance. Since 1.0. */
typedef struct fs_extractor {
  const fs_extractor_ops *ops; /**< vtable */
  void *self;                  /**< instance */
} fs_extractor;

/** Where a reassembler delivers stream bytes. Since 1.0. */
typedef struct fs_stream_sink {
  /** In-order bytes; borrowed for the call. Returns 0, or non-zero to stop (poison). */
  int (*data)(void *ctx, const uint8_t *data, size_t len, fs_time_ns ts);
  /** A hole of @p len bytes that will never be filled. Returns as data. */
  int (*gap)(void *ctx, uint64_t len, fs_time_ns ts);
  void *ctx; /**< passed back to data and gap */
} fs_stream_sink;

/** Reassembly diagnostics of one stream. Size-prefixed. Since 1.0. */
typedef struct fs_reasm_stats {
  uint32_t struct_size;      /**< sizeof(fs_reasm_stats) */
  uint32_t poisoned;         /**< 1 once the drop-flow policy tripped */
  uint64_t delivered_bytes;  /**< bytes handed to the sink */
  uint64_t gap_bytes;        /**< bytes reported as gaps */
  uint64_t ooo_segments;     /**< segments held out of order */
  uint64_t dropped_segments; /**< segments dropped by limits */
  uint64_t dropped_bytes;    /**< bytes dropped by limits */
  uint64_t overlap_mismatch; /**< overlapping bytes that differed from the first copy */
  uint64_t buffered_bytes;   /**< bytes held right now */
  uint64_t high_watermark;   /**< peak of buffered_bytes */
  /** Holes given up at once because the peer acknowledged past them (the
   *  bytes were on the wire but not captured). */
  uint64_t ack_gaps;
  /** Bytes of those holes (also counted in gap_bytes). */
  uint64_t ack_gap_bytes;
  /** Acknowledgements ignored because they reach further than max_buffer
   *  beyond anything seen in this direction. */
  uint64_t bogus_acks;
} fs_reasm_stats;

/** A reassembler for one direction of one TCP stream. Since 1.0. */
typedef struct fs_reassembler_ops {
  uint32_t struct_size; /**< sizeof(fs_reassembler_ops) */
  uint32_t reserved0;   /**< zero */
  /**
   * Feeds one segment (seq is the sequence number of data[0]; a SYN's
   * sequence number is passed with FS_TCP_SYN in flags and no data).
   * In-order bytes go to the sink. Returns 0, or FS_E_LIMIT once poisoned.
   */
  int (*segment)(void *self, uint32_t seq, uint32_t flags, const uint8_t *data, size_t len,
                 fs_time_ns ts);
  /** Skips held gaps older than @p now minus the gap timeout. */
  int (*tick)(void *self, fs_time_ns now);
  /** End of stream: delivers what is held, reporting remaining holes as gaps. */
  int (*finish)(void *self, fs_time_ns ts);
  /** Fills diagnostics. */
  void (*stats)(void *self, fs_reasm_stats *out);
  /** Releases the instance. */
  void (*destroy)(void *self);
  /**
   * The peer acknowledged this stream up to @p ack (the ACK number of a
   * segment going the other way). Holes it acknowledges were on the wire
   * but not captured: they are reported as gaps at once and the bytes held
   * after them delivered. Optional (check with FS_HAS_MEMBER); returns 0,
   * or FS_E_LIMIT once poisoned.
   */
  int (*ack)(void *self, uint32_t ack, fs_time_ns ts);
} fs_reassembler_ops;

/** A reassembler instance. Since 1.0. */
typedef struct fs_reassembler {
  const fs_reassembler_ops *ops; /**< vtable */
  void *self;                    /**< instance */
} fs_reassembler;

/** Log levels for fs_metrics_ops.log and the host API. Since 1.0. */
typedef enum fs_log_level {
  FS_LOG_ERROR = 0, /**< error */
  FS_LOG_WARN = 1,  /**< warning */
  FS_LOG_INFO = 2,  /**< information */
  FS_LOG_DEBUG = 3  /**< debugging detail */
} fs_log_level;

/** One metric label (name=value). Since 1.0. */
typedef struct fs_label {
  const char *name;  /**< label name */
  const char *value; /**< label value */
} fs_label;

/**
 * Metrics and tracing hooks a host may set. Every member is optional; when
 * the whole table is unset the library skips the calls entirely. Metric
 * names are the FS_METRIC_* constants of docs/observability.md. Since 1.0.
 */
typedef struct fs_metrics_ops {
  uint32_t struct_size; /**< sizeof(fs_metrics_ops) */
  uint32_t reserved0;   /**< zero */
  /** Adds @p value to a counter. */
  void (*counter_add)(void *self, const char *name, const fs_label *labels, uint32_t n_labels,
                      uint64_t value);
  /** Sets a gauge. */
  void (*gauge_set)(void *self, const char *name, const fs_label *labels, uint32_t n_labels,
                    double value);
  /** Records one observation in a histogram. */
  void (*histogram_record)(void *self, const char *name, const fs_label *labels, uint32_t n_labels,
                           double value);
  /** One log line at @p level (fs_log_level). */
  void (*log)(void *self, uint32_t level, const char *msg);
} fs_metrics_ops;

FS_END_DECLS

#endif /* FLOWSCOPE_TRAITS_H */
