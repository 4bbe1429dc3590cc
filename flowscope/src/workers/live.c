/* SPDX-License-Identifier: MIT */
/* AF_PACKET fanout: every worker opens the interface with libpcap, then
 * joins the same PACKET_FANOUT group with the HASH mode, so the kernel sends
 * each flow to one socket. The kernel's hash is symmetric (both directions
 * agree) and PACKET_FANOUT_FLAG_DEFRAG makes it hash whole datagrams rather
 * than fragments. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#if defined(__linux__)
#include <linux/if_packet.h>
#include <sys/socket.h>
#endif

#include "workers/live.h"
#include "workers/wengine.h"

static fs_time_ns wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (fs_time_ns)ts.tv_sec * FS_NS_PER_SEC + (fs_time_ns)ts.tv_nsec;
}

int fsi_live_open(fsi_worker *k, const char *iface, const fs_source_config *src, uint32_t group,
                  char *errbuf) {
#if defined(__linux__)
  fs_source_config c;
  fs_source_config_default(&c);
  if (src)
    memcpy(&c, src, src->struct_size < sizeof c ? src->struct_size : sizeof c);
  char perr[PCAP_ERRBUF_SIZE] = "";
  pcap_t *pc = pcap_create(iface, perr);
  if (!pc) {
    snprintf(errbuf, FS_ERRBUF_SIZE, "workers: %s: %s", iface, perr);
    return FS_E_IO;
  }
  pcap_set_snaplen(pc, (int)(c.snaplen ? c.snaplen : 262144));
  pcap_set_promisc(pc, (int)c.promisc);
  pcap_set_immediate_mode(pc, (int)c.immediate);
  pcap_set_timeout(pc, (int)(c.timeout_ms ? c.timeout_ms : 200));
  if (c.buffer_size)
    pcap_set_buffer_size(pc, (int)c.buffer_size);
  pcap_set_tstamp_precision(pc, PCAP_TSTAMP_PRECISION_NANO);
  int rc = pcap_activate(pc);
  if (rc < 0) {
    int perm = rc == PCAP_ERROR_PERM_DENIED;
    snprintf(errbuf, FS_ERRBUF_SIZE, "workers: %s: %s", iface, pcap_geterr(pc));
    pcap_close(pc);
    return perm ? FS_E_PERM : FS_E_IO;
  }
  if (c.filter && c.filter[0]) {
    struct bpf_program prog;
    if (pcap_compile(pc, &prog, c.filter, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
        pcap_setfilter(pc, &prog) != 0) {
      snprintf(errbuf, FS_ERRBUF_SIZE, "workers: filter '%s': %s", c.filter, pcap_geterr(pc));
      pcap_close(pc);
      return FS_E_FILTER;
    }
    pcap_freecode(&prog);
  }
  int val =
      (int)((group & 0xffffu) | ((uint32_t)(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16));
  if (setsockopt(pcap_fileno(pc), SOL_PACKET, PACKET_FANOUT, &val, sizeof val) != 0) {
    snprintf(errbuf, FS_ERRBUF_SIZE, "workers: %s: cannot join AF_PACKET fanout group %u", iface,
             group);
    pcap_close(pc);
    return FS_E_UNSUPPORTED;
  }
  k->live = pc;
  return 0;
#else
  (void)k;
  (void)iface;
  (void)src;
  (void)group;
  snprintf(errbuf, FS_ERRBUF_SIZE, "workers: AF_PACKET fanout needs Linux");
  return FS_E_UNSUPPORTED;
#endif
}

void fsi_live_loop(fsi_worker *k, _Atomic int *stop) {
  pcap_t *pc = k->live;
  if (!pc)
    return;
  uint32_t link = (uint32_t)pcap_datalink(pc);
  int nano = pcap_get_tstamp_precision(pc) == PCAP_TSTAMP_PRECISION_NANO;
  fs_time_ns last_tick = wall_now();
  while (!atomic_load(stop)) {
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(pc, &h, &data);
    if (rc == 1) {
      fs_packet_view v;
      memset(&v, 0, sizeof v);
      v.struct_size = sizeof v;
      v.link_type = link;
      v.data = data;
      v.caplen = h->caplen;
      v.wirelen = h->len;
      v.ts = (fs_time_ns)h->ts.tv_sec * FS_NS_PER_SEC +
             (fs_time_ns)h->ts.tv_usec * (nano ? 1u : 1000u);
      fsi_wengine_feed(k, &v);
      atomic_fetch_add_explicit(&k->live_packets, 1, memory_order_relaxed);
    } else if (rc < 0 && rc != PCAP_ERROR_BREAK) {
      break;
    }
    fs_time_ns now = wall_now();
    if (rc == 0 || now - last_tick >= FS_NS_PER_SEC) {
      fsi_wengine_advance(k, now);
      last_tick = now;
    }
  }
  struct pcap_stat ps;
  if (pcap_stats(pc, &ps) == 0)
    atomic_store_explicit(&k->live_kernel_dropped, ps.ps_drop, memory_order_relaxed);
}

void fsi_live_break(fsi_worker *k) {
  if (k->live)
    pcap_breakloop(k->live);
}

void fsi_live_close(fsi_worker *k) {
  if (k->live) {
    pcap_close(k->live);
    k->live = NULL;
  }
}
