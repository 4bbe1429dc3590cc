/* SPDX-License-Identifier: MIT */
#include "pcap_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define FILE_HDR_LEN 24u
#define REC_HDR_LEN 16u
/* Reads of this size keep the block in L2 while its packets are used. */
#ifndef FSI_PCAP_READ_CHUNK
#define FSI_PCAP_READ_CHUNK (256u * 1024u)
#endif
/* Longest record the reader takes itself. Some link types allow snapshot
 * lengths up to 128 MiB: records longer than this go to libpcap, so the
 * buffer stays small whatever the file header says. */
#ifndef FSI_PCAP_RECORD_MAX
#define FSI_PCAP_RECORD_MAX (256u * 1024u)
#endif
/* (A fuzz build defines both small, so inputs of a few KiB straddle the
 * blocks and exceed the record limit; see docs/decoding.md.) */
#define READ_CHUNK ((size_t)FSI_PCAP_READ_CHUNK)
#define RECORD_MAX ((uint32_t)FSI_PCAP_RECORD_MAX)

static uint32_t rd32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* pread that retries on EINTR. */
static ssize_t pread_all(int fd, void *buf, size_t n, uint64_t off) {
  for (;;) {
    ssize_t got = pread(fd, buf, n, (off_t)off);
    if (got >= 0 || errno != EINTR)
      return got;
  }
}

int fsi_pcap_reader_open(fsi_pcap_reader *r, int fd, uint32_t snapshot) {
  memset(r, 0, sizeof *r);
  r->fd = -1;
  if (fd < 0)
    return 0;
  struct stat st;
  uint8_t hdr[FILE_HDR_LEN];
  /* Only a regular file whose header is the plain native-order form; the
   * rest (pcapng, swapped, old versions, patched headers) stays libpcap's. */
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      pread_all(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr)
    return 0;
  uint32_t magic = rd32(hdr);
  uint16_t major, minor;
  memcpy(&major, hdr + 4, 2);
  memcpy(&minor, hdr + 6, 2);
  if ((magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS) || major != 2 || minor != 4 ||
      snapshot == 0)
    return 0;
  /* Room for one whole record plus a read chunk, so a record the reader
   * takes is never split by the buffer's end. */
  if (snapshot > RECORD_MAX)
    snapshot = RECORD_MAX;
  size_t cap = (size_t)READ_CHUNK + REC_HDR_LEN + snapshot;
  uint8_t *buf = malloc(cap);
  if (!buf)
    return -ENOMEM;
  r->fd = fd;
  r->nsec = magic == PCAP_MAGIC_NS;
  r->snapshot = snapshot;
  r->buf = buf;
  r->cap = cap;
  r->base = FILE_HDR_LEN;
  return 1;
}

int fsi_pcap_reader_retain(fsi_pcap_reader *r, uint32_t nblocks, fsi_block_reuse_fn reuse,
                           void *ctx, const uint8_t **base, size_t *block_bytes) {
  if (r->pool || r->have || r->eof || nblocks < 2 || !reuse)
    return r->pool ? -EEXIST : -EBUSY;
  /* Mapped, advised for huge pages and touched now: a worker reading a
   * block must not wait for its first-touch faults. */
  size_t n = (size_t)nblocks * r->cap;
  void *pool = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pool == MAP_FAILED)
    return -ENOMEM;
#ifdef MADV_HUGEPAGE
  madvise(pool, n, MADV_HUGEPAGE);
#endif
  memset(pool, 0, n);
  free(r->buf);
  r->pool = pool;
  r->pool_bytes = n;
  r->buf = pool;
  r->nblocks = nblocks;
  r->cur = 0;
  r->reuse = reuse;
  r->reuse_ctx = ctx;
  *base = pool;
  *block_bytes = r->cap;
  return 0;
}

void fsi_pcap_reader_unhook(fsi_pcap_reader *r) {
  r->reuse = NULL;
  r->reuse_ctx = NULL;
}

/* Retain mode: carries the unread tail over to the next block (once its
 * records are no longer used), leaving the current block as it is. */
static void next_block(fsi_pcap_reader *r) {
  uint32_t next = (r->cur + 1) % r->nblocks;
  if (r->reuse)
    r->reuse(r->reuse_ctx, next);
  uint8_t *nb = r->pool + (size_t)next * r->cap;
  size_t tail = r->have - r->pos;
  memcpy(nb, r->buf + r->pos, tail);
  r->base += r->pos;
  r->have = tail;
  r->pos = 0;
  r->buf = nb;
  r->cur = next;
}

/* Moves the unread tail to the front (or to the next block, in retain
 * mode) and reads up to one chunk after it. Returns bytes added, 0 at end
 * of file, or a negative errno. */
static long refill(fsi_pcap_reader *r) {
  if (r->eof)
    return 0;
  if (r->pool) {
    next_block(r);
  } else if (r->pos) {
    memmove(r->buf, r->buf + r->pos, r->have - r->pos);
    r->base += r->pos;
    r->have -= r->pos;
    r->pos = 0;
  }
  size_t room = r->cap - r->have;
  if (room > READ_CHUNK)
    room = READ_CHUNK;
  ssize_t n = pread_all(r->fd, r->buf + r->have, room, r->base + r->have);
  if (n < 0)
    return errno ? -errno : -EIO;
  if (n == 0)
    r->eof = 1;
  r->have += (size_t)n;
  return (long)n;
}

int fsi_pcap_reader_next(fsi_pcap_reader *r, fsi_pcap_record *rec, int may_read) {
  for (;;) {
    size_t avail = r->have - r->pos;
    if (avail >= REC_HDR_LEN) {
      const uint8_t *h = r->buf + r->pos;
      uint32_t caplen = rd32(h + 8);
      /* Records longer than the snapshot length are libpcap's to judge
       * (it cuts or refuses them, with its own message), and so are those
       * longer than RECORD_MAX. */
      if (caplen > r->snapshot)
        return may_read ? 0 : FSI_PCAP_READER_LATER;
      if (avail - REC_HDR_LEN >= caplen) {
        /* The header's time fields are signed 32-bit, as in libpcap. */
        int64_t sec = (int32_t)rd32(h);
        int64_t frac = (int32_t)rd32(h + 4);
        if (!r->nsec)
          frac *= 1000;
        rec->ts = (uint64_t)sec * 1000000000u + (uint64_t)frac;
        rec->caplen = caplen;
        rec->len = rd32(h + 12);
        rec->data = h + REC_HDR_LEN;
        r->pos += REC_HDR_LEN + caplen;
        return 1;
      }
    }
    if (!may_read)
      return FSI_PCAP_READER_LATER;
    long got = refill(r);
    if (got < 0)
      return (int)got;
    /* At the end a partial record remains: libpcap reports the cut. */
    if (got == 0)
      return 0;
  }
}

uint64_t fsi_pcap_reader_offset(const fsi_pcap_reader *r) { return r->base + r->pos; }

void fsi_pcap_reader_close(fsi_pcap_reader *r) {
  if (r->pool) {
    for (uint32_t b = 0; r->reuse && b < r->nblocks; b++)
      r->reuse(r->reuse_ctx, b);
    if (r->reuse)
      r->reuse(r->reuse_ctx, FSI_POOL_GONE);
    r->reuse = NULL;
    munmap(r->pool, r->pool_bytes);
    r->pool = NULL;
  } else {
    free(r->buf);
  }
  r->fd = -1;
  r->buf = NULL;
}
