/* SPDX-License-Identifier: MIT */
/**
 * @file community_id.h
 * Community ID v1 flow hashes (corelight/community-id-spec): SHA-1 over
 * seed . saddr . daddr . proto . 0 . sport . dport (network byte order,
 * endpoints ordered so the smaller address:port comes first), base64,
 * prefixed with "1:". ICMP types map to port pairs as in Zeek.
 */
#ifndef FLOWSCOPE_CLI_COMMUNITY_ID_H
#define FLOWSCOPE_CLI_COMMUNITY_ID_H

#include <stddef.h>
#include <stdint.h>

/** Text length of a v1 id: "1:" + 28 base64 characters, plus NUL. */
#define FSI_CID_TEXT_SIZE 31

/** One direction of a flow as the hash sees it (the originator first). */
typedef struct fsi_cid_tuple {
  int family;        /**< 4 or 6 */
  uint8_t saddr[16]; /**< source address, network order (IPv4: first 4 bytes) */
  uint8_t daddr[16]; /**< destination address */
  uint8_t proto;     /**< IP protocol number */
  uint16_t sport;    /**< source port; ICMP: type */
  uint16_t dport;    /**< destination port; ICMP: code */
} fsi_cid_tuple;

/**
 * Computes the Community ID v1 of @p t with @p seed into @p out
 * (FSI_CID_TEXT_SIZE bytes). Ports are hashed for TCP, UDP, SCTP, ICMP and
 * ICMPv6 only, as the spec says. Returns 0, or -1 for an unusable family.
 */
int fsi_community_id(const fsi_cid_tuple *t, uint16_t seed, char *out);

/**
 * Zeek's ICMP "ports" for @p type/@p code (ICMPv6 when @p v6): a type with
 * a request/reply counterpart gives (type, counterpart); any other gives
 * (type, code). Returns 1 for those one-way types, 0 otherwise.
 */
int fsi_icmp_ports(int v6, uint16_t type, uint16_t code, uint16_t *p1, uint16_t *p2);

/**
 * Writes the standard base64 (RFC 4648, padded) of @p n bytes to @p out,
 * which must hold 4 * ((n + 2) / 3) + 1 bytes. Returns the text length.
 */
size_t fsi_base64(const uint8_t *in, size_t n, char *out);

#endif /* FLOWSCOPE_CLI_COMMUNITY_ID_H */
