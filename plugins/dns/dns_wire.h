/* SPDX-License-Identifier: MIT */
/* DNS wire format (RFC 1035): header, question, names with compression,
 * and resource records rendered as Zeek's dns.log renders answers. */
#ifndef FS_PLUGIN_DNS_WIRE_H
#define FS_PLUGIN_DNS_WIRE_H

#include <flowscope/plugin.h>

/* A name is at most 255 octets on the wire (RFC 1035 3.1), so its text,
 * dots included, fits in 255 bytes. */
#define DNS_NAME_TEXT_MAX 256
/* Compression pointers followed per name before it counts as a loop. */
#define DNS_MAX_POINTER_HOPS 64
/* Answers kept per message and bytes of their text. */
#define DNS_MAX_ANSWERS 64
#define DNS_ANSWER_BYTES 4096

/* rrtype values this plugin renders. */
enum dns_rrtype {
  DNS_T_A = 1,
  DNS_T_NS = 2,
  DNS_T_CNAME = 5,
  DNS_T_SOA = 6,
  DNS_T_WKS = 11,
  DNS_T_PTR = 12,
  DNS_T_MX = 15,
  DNS_T_TXT = 16,
  DNS_T_AAAA = 28,
  DNS_T_SRV = 33,
  DNS_T_OPT = 41,
  DNS_T_DS = 43,
  DNS_T_RRSIG = 46,
  DNS_T_NSEC = 47,
  DNS_T_DNSKEY = 48,
  DNS_T_NSEC3 = 50,
  DNS_T_NSEC3PARAM = 51,
  DNS_T_SVCB = 64,
  DNS_T_HTTPS = 65,
  DNS_T_SPF = 99
};

/* One decoded message. Large: lives on the stack of one call. */
typedef struct dns_msg {
  uint16_t id;
  uint16_t flags;
  uint16_t qdcount, ancount, nscount, arcount;
  uint8_t qr, opcode, aa, tc, rd, ra, z, rcode;
  uint8_t has_question;
  uint8_t edns;    /* an OPT record was present */
  uint8_t edns_do; /* its DO bit (RFC 3225) */
  uint8_t cut;     /* records after a malformed one were not read */
  uint16_t qtype, qclass;
  uint16_t edns_udp_size;
  uint16_t pad;
  uint32_t qname_len;
  char qname[DNS_NAME_TEXT_MAX];
  uint32_t n_answers;
  uint32_t abuf_used;
  fs_str answers[DNS_MAX_ANSWERS];
  uint64_t ttls[DNS_MAX_ANSWERS];
  char abuf[DNS_ANSWER_BYTES];
} dns_msg;

/* Reads the name at *off of the message (RFC 1035 4.1.4 compression) into
 * out (DNS_NAME_TEXT_MAX bytes) as dot-separated labels; *off moves past the
 * name as it sits at *off. Returns 0, or -1 when the name runs out of the
 * message, loops, is longer than 255 octets or uses a reserved label type. */
int fsi_dns_read_name(const uint8_t *m, size_t len, size_t *off, char *out, uint32_t *out_len);

/* Decodes a whole message. Returns 0; 1 when only the header could be
 * read (the first question is malformed: no question, msg->cut set); -1
 * when even the header is missing. Damage in later sections only stops
 * reading (msg->cut). */
int fsi_dns_parse(const uint8_t *m, size_t len, dns_msg *msg);

/* Header plausibility for the probe: 1 plausible, 0 not. */
int fsi_dns_plausible(const uint8_t *m, size_t len);

/* Zeek's names (base/protocols/dns/consts.zeek) with its defaults for
 * unknown values, written into buf (>= 24 bytes); returns the length. */
size_t fsi_dns_qtype_name(uint32_t t, char *buf);
size_t fsi_dns_qclass_name(uint32_t c, char *buf);
size_t fsi_dns_rcode_name(uint32_t r, char *buf);

#endif
