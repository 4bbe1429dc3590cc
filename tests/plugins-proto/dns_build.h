/* SPDX-License-Identifier: MIT */
/* Tiny DNS message writer for tests: every byte is put explicitly, in the
 * order of RFC 1035 section 4.1, so a test reads as the wire layout. */
#ifndef FS_TEST_DNS_BUILD_H
#define FS_TEST_DNS_BUILD_H

#include <stdint.h>
#include <string.h>

typedef struct db {
  uint8_t b[2048];
  size_t n;
} db;

static inline void db_u8(db *d, unsigned v) { d->b[d->n++] = (uint8_t)v; }
static inline void db_u16(db *d, unsigned v) {
  db_u8(d, (v >> 8) & 0xFF);
  db_u8(d, v & 0xFF);
}
static inline void db_u32(db *d, uint32_t v) {
  db_u16(d, v >> 16);
  db_u16(d, v & 0xFFFF);
}
static inline void db_bytes(db *d, const void *p, size_t n) {
  memcpy(d->b + d->n, p, n);
  d->n += n;
}
/* Labels of a dotted name, without the terminating zero octet. */
static inline void db_labels(db *d, const char *name) {
  while (*name) {
    const char *dot = strchr(name, '.');
    size_t l = dot ? (size_t)(dot - name) : strlen(name);
    db_u8(d, (unsigned)l);
    db_bytes(d, name, l);
    name += l + (dot ? 1 : 0);
  }
}
/* A full name: labels then the root (zero) octet. */
static inline void db_name(db *d, const char *name) {
  db_labels(d, name);
  db_u8(d, 0);
}
/* A compression pointer to offset @p off (RFC 1035 4.1.4). */
static inline void db_ptr(db *d, unsigned off) { db_u16(d, 0xC000 | off); }
/* Header: id, flags, then QD/AN/NS/AR counts. */
static inline void db_header(db *d, unsigned id, unsigned flags, unsigned qd, unsigned an,
                             unsigned ns, unsigned ar) {
  db_u16(d, id);
  db_u16(d, flags);
  db_u16(d, qd);
  db_u16(d, an);
  db_u16(d, ns);
  db_u16(d, ar);
}
/* RR fixed part after the owner name: type, class, TTL, RDLENGTH. */
static inline void db_rr(db *d, unsigned type, unsigned klass, uint32_t ttl, unsigned rdlen) {
  db_u16(d, type);
  db_u16(d, klass);
  db_u32(d, ttl);
  db_u16(d, rdlen);
}

/* Flag words (RFC 1035 4.1.1): QR, opcode, AA, TC, RD, RA, Z, RCODE. */
#define DNS_QR 0x8000u
#define DNS_AA 0x0400u
#define DNS_TC 0x0200u
#define DNS_RD 0x0100u
#define DNS_RA 0x0080u

#endif
