/* SPDX-License-Identifier: MIT */
/* A record reader for classic pcap files that reads the file in large
 * blocks and hands out packets in place, instead of libpcap's two copies
 * and one small read per record. It only takes the common case (a regular
 * file, this machine's byte order, version 2.4, standard record headers) and
 * hands anything unusual back to libpcap at the exact record where it met
 * it, so libpcap's rules and error messages still apply there. */
#ifndef FLOWSCOPE_SRC_SOURCE_PCAP_READER_H
#define FLOWSCOPE_SRC_SOURCE_PCAP_READER_H

#include <stddef.h>
#include <stdint.h>

/* Retain mode: called before block @p block of the pool is overwritten;
 * returns once nobody uses the records it held. */
typedef void (*fsi_block_reuse_fn)(void *ctx, uint32_t block);

/* The block number reuse() gets last when the reader closes (at the end,
 * or handing the file to libpcap): every block was released and the pool
 * is unmapped, so its addresses may come back as other memory. */
#define FSI_POOL_GONE UINT32_MAX

typedef struct fsi_pcap_reader {
  int fd;            /* libpcap's descriptor, borrowed: read with pread only */
  int nsec;          /* nanosecond magic: fractions are already ns */
  uint32_t snapshot; /* libpcap's snapshot length for the file, at most RECORD_MAX */
  uint8_t *buf;
  size_t cap;       /* bytes allocated */
  size_t pos, have; /* unread records are buf[pos, have) */
  uint64_t base;    /* file offset of buf[0] */
  int eof;
  /* Retain mode: buf is one of nblocks blocks of cap bytes in pool; a
   * refill moves on to the next block instead of moving the unread tail
   * within buf, so returned records stay where they are until reuse()
   * lets their block go. */
  uint8_t *pool;
  size_t pool_bytes;
  uint32_t nblocks, cur;
  fsi_block_reuse_fn reuse;
  void *reuse_ctx;
} fsi_pcap_reader;

/* One record as libpcap would report it with nanosecond precision. */
typedef struct fsi_pcap_record {
  uint64_t ts; /* ns, wrapped the way (uint64_t)tv_sec * 1e9 + tv_usec wraps */
  uint32_t caplen, len;
  const uint8_t *data; /* valid until the next fsi_pcap_reader_next */
} fsi_pcap_record;

/* Sets the reader up over @p fd, the descriptor of the stream libpcap
 * opened (so both read the same file, whatever happens to its name), when
 * the file qualifies. The reader only uses pread at its own offsets, so the
 * descriptor's file position is libpcap's; it never closes @p fd. Returns 1
 * when it qualifies, 0 when libpcap should read it all, negative errno on
 * failure. */
int fsi_pcap_reader_open(fsi_pcap_reader *r, int fd, uint32_t snapshot);

/* fsi_pcap_reader_next without reading: the next record is not in the
 * buffer yet (or is libpcap's), and getting it would move or free the
 * records already returned. */
#define FSI_PCAP_READER_LATER 2

/* Returns 1 with the next record, 0 at the end of the file or when the
 * next record needs libpcap (resume it at fsi_pcap_reader_offset), or a
 * negative errno when reading failed. With @p may_read 0 it reads nothing
 * from the file and returns FSI_PCAP_READER_LATER instead of reading, so
 * every record returned since the last read stays where it is. */
int fsi_pcap_reader_next(fsi_pcap_reader *r, fsi_pcap_record *rec, int may_read);

/* File offset of the next unread record. */
uint64_t fsi_pcap_reader_offset(const fsi_pcap_reader *r);

/* Switches to retain mode with @p nblocks blocks (at least 2), before the
 * first record is read. Returns 0, -EBUSY after reading began, -ENOMEM.
 * On success *base is the pool and *block_bytes the size of each block:
 * a returned record lies inside one block. */
int fsi_pcap_reader_retain(fsi_pcap_reader *r, uint32_t nblocks, fsi_block_reuse_fn reuse,
                           void *ctx, const uint8_t **base, size_t *block_bytes);

/* Retain mode: stops calling reuse() (the pool stays; nobody may hold a
 * record any more). */
void fsi_pcap_reader_unhook(fsi_pcap_reader *r);

/* Releases the buffer (not the borrowed descriptor); safe to call twice.
 * In retain mode it first waits, through reuse(), for every block. */
void fsi_pcap_reader_close(fsi_pcap_reader *r);

#endif
