/* SPDX-License-Identifier: MIT */
/* The floor of every throughput figure: a bare libpcap read loop over a
 * capture (pcap_next_ex, nothing else), as in DESIGN.md section 7. */
#include <stdio.h>
#include <time.h>

#include <pcap/pcap.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: bench_floor FILE.pcap\n");
    return 2;
  }
  char err[PCAP_ERRBUF_SIZE];
  double t0 = now_s();
  pcap_t *p = pcap_open_offline(argv[1], err);
  if (!p) {
    fprintf(stderr, "bench_floor: %s\n", err);
    return 1;
  }
  struct pcap_pkthdr *h;
  const u_char *data;
  unsigned long long packets = 0, caplen = 0, wirelen = 0;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
    packets++;
    caplen += h->caplen;
    wirelen += h->len;
  }
  double t1 = now_s();
  if (rc == PCAP_ERROR)
    fprintf(stderr, "bench_floor: %s: %s\n", argv[1], pcap_geterr(p));
  pcap_close(p);
  printf("packets=%llu caplen_bytes=%llu wire_bytes=%llu seconds=%.6f\n", packets, caplen, wirelen,
         t1 - t0);
  return rc == PCAP_ERROR ? 1 : 0;
}
