/* SPDX-License-Identifier: MIT */
/**
 * @file key.h
 * The flow key: a fixed-size, hashable, byte-comparable value with a kind
 * tag. Every byte is defined (padding and unused address bytes are zero),
 * so keys are compared with memcmp and hashed over all FS_KEY_SIZE bytes.
 */
#ifndef FLOWSCOPE_KEY_H
#define FLOWSCOPE_KEY_H

#include "flowscope/types.h"

FS_BEGIN_DECLS

/** Kind of flow key. Values are stable; new kinds are appended. Since 1.0. */
typedef enum fs_key_kind {
  FS_KEY_NONE = 0,          /**< empty key */
  FS_KEY_FIVE_TUPLE_V4 = 1, /**< IPv4 addresses, L4 protocol, ports */
  FS_KEY_FIVE_TUPLE_V6 = 2, /**< IPv6 addresses, L4 protocol, ports */
  FS_KEY_IP_PAIR_V4 = 3,    /**< IPv4 address pair (+ protocol) */
  FS_KEY_IP_PAIR_V6 = 4,    /**< IPv6 address pair (+ protocol) */
  FS_KEY_MAC_PAIR = 5,      /**< Ethernet MAC pair (addresses in the first 6 bytes) */
  FS_KEY_CUSTOM = 6         /**< user extractor: the bytes after `kind` are opaque */
} fs_key_kind;

/** Flag bit in fs_flow_key.flags: `zone` holds VLAN ids (outer << 12 | inner). Since 1.0. */
#define FS_KEYF_VLAN 0x01u
/** Flag bit: `extra` holds a tunnel id (VXLAN VNI, GTP TEID, GRE key). Since 1.0. */
#define FS_KEYF_TUNNEL 0x02u
/** Flag bit: `extra` holds the IPv6 flow label. Since 1.0. */
#define FS_KEYF_FLOW_LABEL 0x04u
/** Flag bit: the key is unidirectional (A is always the packet's source). Since 1.0. */
#define FS_KEYF_UNIDIR 0x08u

/**
 * A flow key. 48 bytes, all defined. For bidirectional five-tuple keys the
 * endpoints are ordered canonically (A is the lower address, ports break
 * ties), so both directions of a connection give the same key.
 * IPv4 addresses use the first 4 bytes of addr_a/addr_b. Since 1.0.
 */
typedef struct fs_flow_key {
  uint8_t kind;       /**< fs_key_kind */
  uint8_t proto;      /**< IP protocol number (6 = TCP, 17 = UDP, ...), 0 if none */
  uint8_t flags;      /**< FS_KEYF_* bits saying which optional parts are set */
  uint8_t reserved0;  /**< zero */
  uint16_t port_a;    /**< A's port (host order); ICMP: type << 8 | code of first packet */
  uint16_t port_b;    /**< B's port (host order) */
  uint8_t addr_a[16]; /**< A's address in network order */
  uint8_t addr_b[16]; /**< B's address in network order */
  uint32_t zone;      /**< VLAN ids when FS_KEYF_VLAN, else 0 */
  uint32_t extra;     /**< tunnel id or flow label per flags, else 0 */
} fs_flow_key;

/** Size of a flow key in bytes. Since 1.0. */
#define FS_KEY_SIZE 48

/** Longest text fs_flow_key_format() writes, NUL included. Since 1.0. */
#define FS_KEY_TEXT_MAX 160

/** True when the two keys are equal (all 48 bytes). Since 1.0. */
FS_API int fs_flow_key_equal(const fs_flow_key *a, const fs_flow_key *b);

/**
 * Writes a key as text, e.g. "tcp 10.0.0.1:1234 <-> 10.0.0.2:80" or
 * "udp [2001:db8::1]:53 <-> [2001:db8::2]:5353 vlan=10". Always
 * NUL-terminates when len > 0. Returns the length it would have written
 * (like snprintf). Since 1.0.
 */
FS_API int fs_flow_key_format(const fs_flow_key *key, char *buf, size_t len);

/**
 * Writes one address as text (inet_ntop style for family 4 or 6; MAC
 * "aa:bb:cc:dd:ee:ff" for family 0 with 6 bytes). Returns the length it
 * would have written. Since 1.0.
 */
FS_API int fs_addr_format(int family, const uint8_t *addr, char *buf, size_t len);

/** Name of an IP protocol number as Zeek writes it: "tcp", "udp", "icmp", ... or
 * "unknown_transport". Since 1.0. */
FS_API const char *fs_l4proto_name(uint32_t proto);

FS_END_DECLS

#endif /* FLOWSCOPE_KEY_H */
