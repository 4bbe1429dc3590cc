/* SPDX-License-Identifier: MIT */
/* flowscope-gen: writes a deterministic synthetic capture (see fs_gen.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_gen.h"

static void usage(FILE *out) {
  fprintf(out, "usage: flowscope-gen [options] -o FILE.pcap\n"
               "  --preset NAME        tiny | small | large | manyflows (default: small)\n"
               "  --packets N          exact number of frames\n"
               "  --flows N            target number of flows (sizes TCP sessions)\n"
               "  --concurrency N      flows open at once (default: flows/25, 16..4096)\n"
               "  --seed N             random seed (default 1)\n"
               "  --weights H,T,D,U,R  relative shares of http,tls,dns,udp,tcp_refused flows\n"
               "  --ipv6-percent P     share of IPv6 flows (default 10)\n"
               "  --frag-percent P     share of plain-UDP IPv4 flows that fragment (default 0)\n"
               "  --rst-percent P      share of TCP sessions closed by RST (default 20)\n"
               "  --udp-packets N      mean datagrams per plain-UDP flow\n"
               "  --gap-ns N           mean time between frames (default 10000)\n"
               "  --no-checksums       leave TCP/UDP checksums zero\n"
               "  --version            print the output version (cache key)\n"
               "  -o, --output FILE    output pcap (\"-\" for standard output)\n");
}

static int parse_u64(const char *s, uint64_t *out) {
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || !end || *end || s[0] == '-' || s[0] == '\0')
    return -1;
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  fs_gen_config cfg;
  fs_gen_preset(&cfg, "small");
  const char *out = NULL;
  /* The preset goes first so that the other options override it. */
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--preset") == 0 && fs_gen_preset(&cfg, argv[i + 1]) != 0) {
      fprintf(stderr, "flowscope-gen: unknown preset '%s'\n", argv[i + 1]);
      return 2;
    }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    uint64_t n = 0;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    }
    if (strcmp(a, "--version") == 0) {
      printf("flowscope-gen output version %d\n", FS_GEN_OUTPUT_VERSION);
      return 0;
    }
    if (strcmp(a, "--no-checksums") == 0) {
      cfg.checksums = 0;
      continue;
    }
    if (!v) {
      fprintf(stderr, "flowscope-gen: option '%s' needs a value\n", a);
      usage(stderr);
      return 2;
    }
    i++;
    if (strcmp(a, "--preset") == 0)
      continue;
    if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
      out = v;
      continue;
    }
    if (strcmp(a, "--weights") == 0) {
      unsigned w[FS_GEN_KIND_COUNT];
      if (sscanf(v, "%u,%u,%u,%u,%u", &w[0], &w[1], &w[2], &w[3], &w[4]) != 5) {
        fprintf(stderr, "flowscope-gen: --weights wants five numbers H,T,D,U,R\n");
        return 2;
      }
      for (int k = 0; k < FS_GEN_KIND_COUNT; k++)
        cfg.weights[k] = w[k];
      continue;
    }
    if (parse_u64(v, &n) != 0) {
      fprintf(stderr, "flowscope-gen: '%s' is not a number for %s\n", v, a);
      return 2;
    }
    if (strcmp(a, "--packets") == 0)
      cfg.packets = n;
    else if (strcmp(a, "--flows") == 0)
      cfg.flows = n;
    else if (strcmp(a, "--concurrency") == 0 && n <= 1000000)
      cfg.concurrency = (uint32_t)n;
    else if (strcmp(a, "--seed") == 0)
      cfg.seed = n;
    else if (strcmp(a, "--ipv6-percent") == 0 && n <= 100)
      cfg.ipv6_percent = (uint32_t)n;
    else if (strcmp(a, "--frag-percent") == 0 && n <= 100)
      cfg.frag_percent = (uint32_t)n;
    else if (strcmp(a, "--rst-percent") == 0 && n <= 100)
      cfg.rst_percent = (uint32_t)n;
    else if (strcmp(a, "--udp-packets") == 0 && n >= 1 && n <= 100000)
      cfg.udp_mean_packets = (uint32_t)n;
    else if (strcmp(a, "--gap-ns") == 0 && n <= 1000000000u)
      cfg.mean_gap_ns = (uint32_t)n;
    else {
      fprintf(stderr, "flowscope-gen: unknown option or value out of range: %s %s\n", a, v);
      usage(stderr);
      return 2;
    }
  }
  if (!out) {
    fprintf(stderr, "flowscope-gen: no output file (-o FILE)\n");
    usage(stderr);
    return 2;
  }
  char err[FS_ERRBUF_SIZE] = "";
  fs_gen_stats st;
  int rc = fs_gen_write_file(&cfg, out, &st, err);
  if (rc != 0) {
    fprintf(stderr, "flowscope-gen: %s\n", err);
    return 1;
  }
  fprintf(stderr, "flowscope-gen: %s: %llu packets, %llu bytes, %llu flows (", out,
          (unsigned long long)st.packets, (unsigned long long)st.bytes,
          (unsigned long long)st.flows);
  for (int k = 0; k < FS_GEN_KIND_COUNT; k++)
    fprintf(stderr, "%s%s %llu", k ? ", " : "", fs_gen_kind_name((uint32_t)k),
            (unsigned long long)st.flows_by_kind[k]);
  fprintf(stderr, "), %llu IPv6 flows, %llu fragments, seed %llu\n",
          (unsigned long long)st.ipv6_flows, (unsigned long long)st.fragments,
          (unsigned long long)cfg.seed);
  return 0;
}
