/* SPDX-License-Identifier: MIT */
/* Whole captures to a pcap file through the library's writer. */
#include <stdio.h>

#include "flowscope/source.h"
#include "gen_internal.h"

int fs_gen_write_file(const fs_gen_config *cfg, const char *path, fs_gen_stats *st, char *errbuf) {
  fs_gen *g = NULL;
  int rc = fs_gen_create(&g, cfg);
  if (rc != 0) {
    snprintf(errbuf, FS_ERRBUF_SIZE, "generator: invalid configuration (%s)", fs_strerror(rc));
    return rc;
  }
  fs_pcap_writer *w = NULL;
  rc = fs_pcap_writer_open(&w, path, 1 /* DLT_EN10MB */, 65535, 0, errbuf);
  if (rc != 0) {
    fs_gen_destroy(g);
    return rc;
  }
  fs_packet_view pkt;
  while (rc == 0 && fs_gen_next(g, &pkt) == 1)
    rc = fs_pcap_writer_write(w, &pkt);
  int rc_close = fs_pcap_writer_close(w);
  if (rc == 0)
    rc = rc_close;
  if (rc != 0)
    snprintf(errbuf, FS_ERRBUF_SIZE, "%s: write failed (%s)", path, fs_strerror(rc));
  if (st)
    fs_gen_stats_get(g, st);
  fs_gen_destroy(g);
  return rc;
}
