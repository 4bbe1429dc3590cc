/* SPDX-License-Identifier: MIT */
/* Whole captures to a pcap file. */
#include <stdio.h>

#include <pcap/pcap.h>

#include "gen_internal.h"

/* Until the library's fs_pcap_writer lands, libpcap's own dumper writes the
 * file (same format: microsecond pcap, Ethernet). */
int fs_gen_write_file(const fs_gen_config *cfg, const char *path, fs_gen_stats *st, char *errbuf) {
  fs_gen *g = NULL;
  int rc = fs_gen_create(&g, cfg);
  if (rc != 0) {
    snprintf(errbuf, FS_ERRBUF_SIZE, "generator: invalid configuration (%s)", fs_strerror(rc));
    return rc;
  }
  pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
  pcap_dumper_t *d = dead ? pcap_dump_open(dead, path) : NULL;
  if (!d) {
    snprintf(errbuf, FS_ERRBUF_SIZE, "%s: %s", path, dead ? pcap_geterr(dead) : "out of memory");
    if (dead)
      pcap_close(dead);
    fs_gen_destroy(g);
    return FS_E_IO;
  }
  fs_packet_view pkt;
  while (fs_gen_next(g, &pkt) == 1) {
    struct pcap_pkthdr h;
    h.ts.tv_sec = (time_t)(pkt.ts / FS_NS_PER_SEC);
    h.ts.tv_usec = (suseconds_t)((pkt.ts % FS_NS_PER_SEC) / 1000u);
    h.caplen = pkt.caplen;
    h.len = pkt.wirelen;
    pcap_dump((u_char *)d, &h, pkt.data);
  }
  rc = 0;
  if (pcap_dump_flush(d) != 0) {
    snprintf(errbuf, FS_ERRBUF_SIZE, "%s: write failed", path);
    rc = FS_E_IO;
  }
  pcap_dump_close(d);
  pcap_close(dead);
  if (st)
    fs_gen_stats_get(g, st);
  fs_gen_destroy(g);
  return rc;
}
