/* SPDX-License-Identifier: MIT */
/* A classic pcap file writer (no libpcap dependency for writing): the
 * 24-byte file header followed by 16-byte record headers, little-endian,
 * with the microsecond (0xa1b2c3d4) or nanosecond (0xa1b23c4d) magic. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowscope/source.h"

struct fs_pcap_writer {
  FILE *f;
  int owns; /* 0 for standard output */
  int nanosecond;
  uint32_t snaplen;
  int failed;
};

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

/* Files carry LINKTYPE_* values; they equal the DLT_* values except for the
 * platform-dependent raw-IP DLTs, which are all LINKTYPE_RAW (101). */
static uint32_t dlt_to_linktype(uint32_t dlt) {
  if (dlt == 12 || dlt == 14)
    return 101;
  return dlt;
}

int fs_pcap_writer_open(fs_pcap_writer **out, const char *path, uint32_t link_type,
                        uint32_t snaplen, int nanosecond, char *errbuf) {
  if (errbuf)
    errbuf[0] = '\0';
  if (!out || !path) {
    if (errbuf)
      snprintf(errbuf, FS_ERRBUF_SIZE, "pcap writer: no output path");
    return FS_E_INVAL;
  }
  *out = NULL;
  fs_pcap_writer *w = calloc(1, sizeof *w);
  if (!w)
    return FS_E_NOMEM;
  if (strcmp(path, "-") == 0) {
    w->f = stdout;
  } else {
    w->f = fopen(path, "wb");
    w->owns = 1;
  }
  if (!w->f) {
    int e = errno;
    if (errbuf)
      snprintf(errbuf, FS_ERRBUF_SIZE, "%s: %s", path, strerror(e));
    free(w);
    return e == EACCES ? FS_E_PERM : (e == ENOENT ? FS_E_NOTFOUND : FS_E_IO);
  }
  w->nanosecond = nanosecond != 0;
  w->snaplen = snaplen ? snaplen : 262144;
  uint8_t h[24];
  put32(h, w->nanosecond ? 0xa1b23c4du : 0xa1b2c3d4u);
  put16(h + 4, 2);  /* version major */
  put16(h + 6, 4);  /* version minor */
  put32(h + 8, 0);  /* thiszone: timestamps are UTC */
  put32(h + 12, 0); /* sigfigs */
  put32(h + 16, w->snaplen);
  put32(h + 20, dlt_to_linktype(link_type));
  if (fwrite(h, 1, sizeof h, w->f) != sizeof h) {
    if (errbuf)
      snprintf(errbuf, FS_ERRBUF_SIZE, "%s: write failed", path);
    if (w->owns)
      fclose(w->f);
    free(w);
    return FS_E_IO;
  }
  *out = w;
  return 0;
}

int fs_pcap_writer_write(fs_pcap_writer *w, const fs_packet_view *pkt) {
  if (!w || !pkt || (!pkt->data && pkt->caplen))
    return FS_E_INVAL;
  uint32_t cap = pkt->caplen < w->snaplen ? pkt->caplen : w->snaplen;
  uint32_t wire = pkt->wirelen < pkt->caplen ? pkt->caplen : pkt->wirelen;
  uint64_t sec = pkt->ts / FS_NS_PER_SEC;
  uint64_t frac = pkt->ts % FS_NS_PER_SEC;
  if (!w->nanosecond)
    frac /= 1000;
  uint8_t h[16];
  put32(h, (uint32_t)sec);
  put32(h + 4, (uint32_t)frac);
  put32(h + 8, cap);
  put32(h + 12, wire);
  if (fwrite(h, 1, sizeof h, w->f) != sizeof h || (cap && fwrite(pkt->data, 1, cap, w->f) != cap)) {
    w->failed = 1;
    return FS_E_IO;
  }
  return 0;
}

int fs_pcap_writer_close(fs_pcap_writer *w) {
  if (!w)
    return 0;
  int failed = w->failed;
  if (fflush(w->f) != 0)
    failed = 1;
  if (w->owns && fclose(w->f) != 0)
    failed = 1;
  free(w);
  return failed ? FS_E_IO : 0;
}
