/* SPDX-License-Identifier: MIT */
/**
 * @file types.h
 * Basic value types: time, packet view, L4 protocol, TCP info, orientation
 * and flow side.
 */
#ifndef FLOWSCOPE_TYPES_H
#define FLOWSCOPE_TYPES_H

#include "flowscope/export.h"

/** Time: nanoseconds since the Unix epoch. Since 1.0. */
typedef uint64_t fs_time_ns;

/** Nanoseconds per second, for converting fs_time_ns. Since 1.0. */
#define FS_NS_PER_SEC 1000000000ull

/**
 * One captured frame, borrowed for the duration of a call.
 * Nothing may read past data[caplen - 1]. Since 1.0.
 */
typedef struct fs_packet_view {
  uint32_t struct_size; /**< sizeof(fs_packet_view) as built by the producer */
  uint32_t link_type;   /**< libpcap DLT_* value of the frame (e.g. 1 = Ethernet) */
  const uint8_t *data;  /**< first captured byte */
  uint32_t caplen;      /**< bytes available at data */
  uint32_t wirelen;     /**< length of the frame on the wire (>= caplen) */
  fs_time_ns ts;        /**< capture timestamp */
  uint32_t ifindex;     /**< capture interface index (pcapng), 0 if unknown */
  uint32_t reserved0;   /**< explicit padding; zero */
} fs_packet_view;

/** Layer-4 protocol, valued as the IP protocol number. Since 1.0. */
typedef enum fs_l4proto {
  FS_L4_NONE = 0,    /**< no L4 (non-IP frame, or non-first fragment) */
  FS_L4_ICMP = 1,    /**< ICMP for IPv4 */
  FS_L4_TCP = 6,     /**< TCP */
  FS_L4_UDP = 17,    /**< UDP */
  FS_L4_ICMPV6 = 58, /**< ICMPv6 */
  FS_L4_SCTP = 132,  /**< SCTP */
  FS_L4_OTHER = 255  /**< any other IP protocol (the number is in the key) */
} fs_l4proto;

/** TCP header flag bits as in the header byte 13. Since 1.0. */
#define FS_TCP_FIN 0x01u
/** TCP SYN flag. Since 1.0. */
#define FS_TCP_SYN 0x02u
/** TCP RST flag. Since 1.0. */
#define FS_TCP_RST 0x04u
/** TCP PSH flag. Since 1.0. */
#define FS_TCP_PSH 0x08u
/** TCP ACK flag. Since 1.0. */
#define FS_TCP_ACK 0x10u
/** TCP URG flag. Since 1.0. */
#define FS_TCP_URG 0x20u
/** TCP ECE flag. Since 1.0. */
#define FS_TCP_ECE 0x40u
/** TCP CWR flag. Since 1.0. */
#define FS_TCP_CWR 0x80u

/** What the TCP header of one segment says. Since 1.0. */
typedef struct fs_tcp_info {
  uint32_t seq;       /**< sequence number (host order) */
  uint32_t ack;       /**< acknowledgement number (host order) */
  uint16_t window;    /**< raw window field (unscaled) */
  uint8_t flags;      /**< FS_TCP_* bits */
  uint8_t header_len; /**< TCP header length in bytes, options included */
  /** Offset of the payload from the start of the frame; for a reassembled IP
   *  datagram, from the start of the extractor's datagram buffer (prefer
   *  fs_extract_result.payload). */
  uint32_t payload_offset;
  uint32_t payload_len;      /**< payload bytes present in the capture */
  uint32_t payload_wire_len; /**< payload bytes the IP header claims (>= payload_len) */
} fs_tcp_info;

/**
 * Which way a packet travels relative to its (canonical, bidirectional)
 * flow key: from the key's A endpoint to B, or back. Since 1.0.
 */
typedef enum fs_orientation {
  FS_ORIENT_A_TO_B = 0, /**< source is the key's A endpoint */
  FS_ORIENT_B_TO_A = 1  /**< source is the key's B endpoint */
} fs_orientation;

/** A flow's side: the initiator (Zeek's originator) or the responder. Since 1.0. */
typedef enum fs_side {
  FS_SIDE_INITIATOR = 0, /**< the side that opened the flow */
  FS_SIDE_RESPONDER = 1  /**< the other side */
} fs_side;

#endif /* FLOWSCOPE_TYPES_H */
