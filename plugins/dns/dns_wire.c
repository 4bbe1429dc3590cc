/* SPDX-License-Identifier: MIT */
/* DNS message decoding: never reads outside [m, m + len). */
#define _POSIX_C_SOURCE 200809L
#include "dns_wire.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static uint16_t be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int fsi_dns_read_name(const uint8_t *m, size_t len, size_t *off, char *out, uint32_t *out_len) {
  size_t pos = *off;
  uint32_t n = 0, wire = 0, hops = 0;
  int jumped = 0;
  for (;;) {
    if (pos >= len) {
      return -1;
    }
    uint8_t c = m[pos];
    if (c == 0) {
      if (!jumped) {
        *off = pos + 1;
      }
      break;
    }
    if ((c & 0xC0) == 0xC0) {
      if (pos + 1 >= len) {
        return -1;
      }
      size_t target = ((size_t)(c & 0x3F) << 8) | m[pos + 1];
      if (!jumped) {
        *off = pos + 2;
        jumped = 1;
      }
      if (++hops > DNS_MAX_POINTER_HOPS || target >= len) {
        return -1;
      }
      pos = target;
      continue;
    }
    if (c & 0xC0) {
      return -1; /* 01/10 label types (RFC 6891 6.1, obsolete) */
    }
    if (pos + 1 + c > len) {
      return -1;
    }
    wire += (uint32_t)c + 1;
    if (wire > 255) {
      return -1;
    }
    if (n > 0) {
      out[n++] = '.';
    }
    memcpy(out + n, m + pos + 1, c);
    n += c;
    pos += 1 + (size_t)c;
  }
  *out_len = n;
  return 0;
}

/* Appends formatted text as the next answer; drops it when full. */
static void add_answer(dns_msg *msg, const char *text, size_t n, uint32_t ttl) {
  if (n == 0) {
    return; /* Zeek logs no answer for an empty rendering (e.g. WKS) */
  }
  if (msg->n_answers >= DNS_MAX_ANSWERS || n > DNS_ANSWER_BYTES - msg->abuf_used) {
    msg->cut = 1;
    return;
  }
  memcpy(msg->abuf + msg->abuf_used, text, n);
  msg->answers[msg->n_answers].ptr = msg->abuf + msg->abuf_used;
  msg->answers[msg->n_answers].len = n;
  msg->ttls[msg->n_answers] = ttl;
  msg->abuf_used += (uint32_t)n;
  msg->n_answers++;
}

/* TXT/SPF: Zeek's "TXT <len> <string>" per character-string, space-joined. */
static size_t render_strings(const char *tag, const uint8_t *r, size_t rdlen, char *out,
                             size_t cap) {
  size_t n = 0, i = 0;
  while (i < rdlen) {
    size_t sl = r[i];
    if (i + 1 + sl > rdlen) {
      break;
    }
    int w = snprintf(out + n, cap - n, "%s%s %zu ", n ? " " : "", tag, sl);
    if (w < 0 || (size_t)w + sl >= cap - n) {
      break;
    }
    n += (size_t)w;
    memcpy(out + n, r + i + 1, sl);
    n += sl;
    i += 1 + sl;
  }
  return n;
}

/* Renders one answer-section record as Zeek's dns.log does. */
static void render_rr(dns_msg *msg, const uint8_t *m, size_t len, size_t rd, uint16_t type,
                      uint16_t rdlen, uint32_t ttl, const char *owner, uint32_t owner_len) {
  char text[1024];
  char name[DNS_NAME_TEXT_MAX];
  uint32_t nl = 0;
  size_t n = 0, off;
  const uint8_t *r = m + rd;
  switch (type) {
  case DNS_T_A:
    if (rdlen == 4 && inet_ntop(AF_INET, r, text, sizeof text)) {
      n = strlen(text);
    }
    break;
  case DNS_T_AAAA:
    if (rdlen == 16 && inet_ntop(AF_INET6, r, text, sizeof text)) {
      n = strlen(text);
    }
    break;
  case DNS_T_NS:
  case DNS_T_CNAME:
  case DNS_T_PTR:
  case DNS_T_SOA: /* Zeek shows the SOA's mname */
  case DNS_T_MX:  /* ... the MX exchange */
  case DNS_T_SRV: /* ... the SRV target */
    off = rd + (type == DNS_T_MX ? 2u : type == DNS_T_SRV ? 6u : 0u);
    if (off < rd + rdlen && fsi_dns_read_name(m, len, &off, name, &nl) == 0) {
      memcpy(text, name, nl);
      n = nl;
    }
    break;
  case DNS_T_TXT: n = render_strings("TXT", r, rdlen, text, sizeof text); break;
  case DNS_T_SPF: n = render_strings("SPF", r, rdlen, text, sizeof text); break;
  case DNS_T_WKS: n = 0; break;
  case DNS_T_DNSKEY:
    if (rdlen >= 4) {
      n = (size_t)snprintf(text, sizeof text, "DNSKEY %u", (unsigned)r[3]);
    }
    break;
  case DNS_T_DS:
    if (rdlen >= 4) {
      n = (size_t)snprintf(text, sizeof text, "DS %u %u", (unsigned)r[2], (unsigned)r[3]);
    }
    break;
  case DNS_T_RRSIG:
    off = rd + 18;
    if (rdlen > 18 && fsi_dns_read_name(m, len, &off, name, &nl) == 0) {
      n = (size_t)snprintf(text, sizeof text, "RRSIG %u %.*s", (unsigned)be16(r), nl ? (int)nl : 6,
                           nl ? name : "<Root>");
    }
    break;
  case DNS_T_NSEC:
    off = rd;
    if (rdlen > 0 && fsi_dns_read_name(m, len, &off, name, &nl) == 0) {
      n = (size_t)snprintf(text, sizeof text, "NSEC %.*s %.*s", (int)owner_len, owner, (int)nl,
                           name);
    }
    break;
  case DNS_T_NSEC3: n = (size_t)snprintf(text, sizeof text, "NSEC3"); break;
  case DNS_T_NSEC3PARAM: n = (size_t)snprintf(text, sizeof text, "NSEC3PARAM"); break;
  case DNS_T_SVCB: n = (size_t)snprintf(text, sizeof text, "SVCB"); break;
  case DNS_T_HTTPS: n = (size_t)snprintf(text, sizeof text, "HTTPS"); break;
  default: n = (size_t)snprintf(text, sizeof text, "<unknown type=%u>", (unsigned)type); break;
  }
  if (n >= sizeof text) {
    n = sizeof text - 1;
  }
  add_answer(msg, text, n, ttl);
}

/* Walks one section of @p count records from *off; answers are rendered,
 * OPT records read. Returns -1 on a malformed record. */
static int walk_section(const uint8_t *m, size_t len, size_t *off, uint16_t count, int answers,
                        dns_msg *msg) {
  char owner[DNS_NAME_TEXT_MAX];
  for (uint32_t i = 0; i < count; i++) {
    uint32_t ol = 0;
    if (fsi_dns_read_name(m, len, off, owner, &ol) != 0 || *off + 10 > len) {
      return -1;
    }
    const uint8_t *h = m + *off;
    uint16_t type = be16(h), klass = be16(h + 2), rdlen = be16(h + 8);
    uint32_t ttl = be32(h + 4);
    size_t rd = *off + 10;
    if (rd + rdlen > len) {
      return -1;
    }
    if (type == DNS_T_OPT) {
      /* RFC 6891 6.1.3: class is the UDP payload size, TTL carries the
       * extended RCODE, the version and the DO bit (RFC 3225). */
      msg->edns = 1;
      msg->edns_udp_size = klass;
      msg->edns_do = (ttl & 0x8000u) != 0;
    } else if (answers) {
      render_rr(msg, m, len, rd, type, rdlen, ttl, owner, ol);
    }
    *off = rd + rdlen;
  }
  return 0;
}

int fsi_dns_parse(const uint8_t *m, size_t len, dns_msg *msg) {
  msg->n_answers = 0;
  msg->abuf_used = 0;
  msg->cut = 0;
  msg->edns = msg->edns_do = 0;
  msg->edns_udp_size = 0;
  msg->has_question = 0;
  msg->qname_len = 0;
  msg->qtype = msg->qclass = 0;
  if (len < 12) {
    return -1;
  }
  msg->id = be16(m);
  msg->flags = be16(m + 2);
  msg->qdcount = be16(m + 4);
  msg->ancount = be16(m + 6);
  msg->nscount = be16(m + 8);
  msg->arcount = be16(m + 10);
  msg->qr = (msg->flags >> 15) & 1;
  msg->opcode = (msg->flags >> 11) & 0xF;
  msg->aa = (msg->flags >> 10) & 1;
  msg->tc = (msg->flags >> 9) & 1;
  msg->rd = (msg->flags >> 8) & 1;
  msg->ra = (msg->flags >> 7) & 1;
  msg->z = (msg->flags >> 4) & 7;
  msg->rcode = msg->flags & 0xF;
  size_t off = 12;
  for (uint32_t q = 0; q < msg->qdcount; q++) {
    char name[DNS_NAME_TEXT_MAX];
    uint32_t nl = 0;
    if (fsi_dns_read_name(m, len, &off, name, &nl) != 0 || off + 4 > len) {
      msg->cut = 1;
      return q == 0 ? 1 : 0; /* 1: only the header could be read */
    }
    if (q == 0) {
      /* Zeek's dns.log, like most tools, shows the first question. */
      memcpy(msg->qname, name, nl);
      msg->qname_len = nl;
      msg->qtype = be16(m + off);
      msg->qclass = be16(m + off + 2);
      msg->has_question = 1;
    }
    off += 4;
  }
  if (walk_section(m, len, &off, msg->ancount, 1, msg) != 0 ||
      walk_section(m, len, &off, msg->nscount, 0, msg) != 0 ||
      walk_section(m, len, &off, msg->arcount, 0, msg) != 0) {
    msg->cut = 1;
  }
  return 0;
}

int fsi_dns_plausible(const uint8_t *m, size_t len) {
  if (len < 12) {
    return 0;
  }
  uint16_t flags = be16(m + 2);
  uint32_t opcode = (flags >> 11) & 0xF;
  uint16_t qd = be16(m + 4), an = be16(m + 6), ns = be16(m + 8), ar = be16(m + 10);
  if (opcode == 3 || opcode > 6) {
    return 0;
  }
  if (qd > 16 || an > 512 || ns > 512 || ar > 512 || (qd + an + ns + ar) == 0) {
    return 0;
  }
  if (!(flags & 0x8000) && qd == 0 && opcode == 0) {
    return 0; /* a standard query asks something (IQUERY, NOTIFY, UPDATE need not) */
  }
  /* The first name's labels, as far as the bytes go: a probe sees only a
   * prefix, so running out is fine; a reserved label type is not. */
  size_t off = 12;
  for (uint32_t labels = 0; qd > 0 && off < len && labels < 128; labels++) {
    uint8_t c = m[off];
    if (c == 0 || (c & 0xC0) == 0xC0) {
      break;
    }
    if (c & 0xC0) {
      return 0;
    }
    off += 1 + (size_t)c;
  }
  return 1;
}
