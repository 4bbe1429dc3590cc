/* SPDX-License-Identifier: MIT */
/* The generator's scheduler: a fixed set of concurrently open flows; each
 * frame comes from a randomly chosen open flow (so flows interleave like on
 * a real link); a finished flow is replaced by a new one in its slot. */
#include <stdlib.h>
#include <string.h>

#include "gen_internal.h"

struct fs_gen {
  fs_gen_config cfg;
  fsi_gen_rng rng;
  fsi_gen_flow *slots;
  uint32_t n_slots;
  uint32_t data_mean;
  uint32_t weight_total;
  uint64_t next_id;
  fs_time_ns ts;
  fs_gen_stats st;
  uint8_t *scratch; /* 64 KiB: whole UDP datagrams for checksums */
  uint8_t frame[2048];
};

static const char *const k_kind_names[FS_GEN_KIND_COUNT] = {"http", "tls", "dns", "udp",
                                                            "tcp_refused"};

const char *fs_gen_kind_name(uint32_t kind) {
  return kind < FS_GEN_KIND_COUNT ? k_kind_names[kind] : "unknown";
}

void fs_gen_config_default(fs_gen_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->seed = 1;
  cfg->packets = 10000;
  cfg->flows = 200;
  cfg->weights[FS_GEN_HTTP] = 35;
  cfg->weights[FS_GEN_TLS] = 35;
  cfg->weights[FS_GEN_DNS] = 20;
  cfg->weights[FS_GEN_UDP] = 7;
  cfg->weights[FS_GEN_TCP_REFUSED] = 3;
  cfg->ipv6_percent = 10;
  cfg->frag_percent = 0;
  cfg->rst_percent = 20;
  cfg->checksums = 1;
  cfg->udp_mean_packets = 4;
  cfg->mean_gap_ns = 10000; /* ~100k packets/s on the link */
  cfg->start_ts = 1700000000ull * FS_NS_PER_SEC;
}

int fs_gen_preset(fs_gen_config *cfg, const char *name) {
  fs_gen_config_default(cfg);
  if (!name)
    return FS_E_INVAL;
  if (strcmp(name, "tiny") == 0) {
    cfg->packets = 2000;
    cfg->flows = 60;
    cfg->frag_percent = 30;
  } else if (strcmp(name, "small") == 0) {
    cfg->packets = 100000;
    cfg->flows = 2000;
  } else if (strcmp(name, "large") == 0) {
    cfg->packets = 5000000;
    cfg->flows = 100000;
  } else if (strcmp(name, "manyflows") == 0) {
    /* Two packets per flow on average: mostly DNS and one-datagram UDP. */
    cfg->packets = 2000000;
    cfg->flows = 1000000;
    cfg->concurrency = 4096;
    cfg->weights[FS_GEN_HTTP] = 2;
    cfg->weights[FS_GEN_TLS] = 1;
    cfg->weights[FS_GEN_DNS] = 60;
    cfg->weights[FS_GEN_UDP] = 33;
    cfg->weights[FS_GEN_TCP_REFUSED] = 4;
    cfg->udp_mean_packets = 1;
    cfg->mean_gap_ns = 10000;
  } else {
    return FS_E_INVAL;
  }
  return 0;
}

/* Mean data-phase packets of a TCP session so that packets/flows comes out
 * near the target: the other kinds' expected sizes are fixed. */
static uint32_t calibrate(const fs_gen_config *c, uint32_t wt) {
  double a = (double)c->packets / (double)(c->flows ? c->flows : 1);
  double teardown = 4.0 - 3.0 * c->rst_percent / 100.0;
  double m_udp = c->udp_mean_packets * (1.0 + c->frag_percent / 100.0);
  double fixed = c->weights[FS_GEN_DNS] * 1.95 + c->weights[FS_GEN_UDP] * m_udp +
                 c->weights[FS_GEN_TCP_REFUSED] * 1.7 +
                 c->weights[FS_GEN_HTTP] * (3.0 + teardown + 1.5) +
                 c->weights[FS_GEN_TLS] * (3.0 + 5.5 + 0.8 + teardown + 1.5);
  double tcp_w = (double)c->weights[FS_GEN_HTTP] + c->weights[FS_GEN_TLS];
  if (tcp_w <= 0)
    return 1;
  double d = (a * wt - fixed) / tcp_w;
  if (d < 1)
    d = 1;
  if (d > 1e6)
    d = 1e6;
  return (uint32_t)(d + 0.5);
}

/* Client (address, port) pairs are a bijection of the flow index, so no two
 * flows ever share a five-tuple. */
static void start_flow(fs_gen *g, fsi_gen_flow *f) {
  fsi_gen_rng *r = &g->rng;
  const fs_gen_config *c = &g->cfg;
  uint64_t id = g->next_id++;
  memset(f, 0, offsetof(fsi_gen_flow, steps));
  f->id = id;
  f->seed = fsi_gen_mix64(c->seed ^ (id * 0x9e3779b97f4a7c15ull));
  uint32_t pick = fsi_gen_rng_below(r, g->weight_total), kind = 0;
  while (kind + 1 < FS_GEN_KIND_COUNT && pick >= c->weights[kind]) {
    pick -= c->weights[kind];
    kind++;
  }
  f->kind = kind;
  f->v6 = fsi_gen_rng_below(r, 100) < c->ipv6_percent;
  f->rst = fsi_gen_rng_below(r, 100) < c->rst_percent;
  f->tls13 = fsi_gen_rng_below(r, 2);
  f->frag = kind == FS_GEN_UDP && !f->v6 && fsi_gen_rng_below(r, 100) < c->frag_percent;

  uint32_t ci = (uint32_t)(((id % 65521u) * 40503u + (c->seed % 65521u)) % 65521u) + 1;
  uint32_t q = (uint32_t)((id / 65521u) % 64000u);
  /* For a fixed client the port is a bijection of q: (client, port) stays unique. */
  uint32_t spread = (uint32_t)fsi_gen_mix64(ci ^ c->seed) % 64000u;
  f->cli_port = (uint16_t)(1024 + (q * 7u + spread) % 64000u);
  /* Servers: popularity is skewed (a few busy ones, a long tail). */
  uint32_t s = fsi_gen_rng_below(r, fsi_gen_rng_below(r, 2048) + 1);
  uint8_t net = 0;
  switch (kind) {
  case FS_GEN_HTTP:
    f->srv_port = 80;
    net = 16;
    break;
  case FS_GEN_TLS:
    f->srv_port = 443;
    net = 17;
    break;
  case FS_GEN_DNS:
    f->srv_port = 53;
    s = fsi_gen_rng_below(r, 4);
    net = 53;
    break;
  case FS_GEN_UDP:
    f->srv_port = (uint16_t)(10000 + fsi_gen_rng_below(r, 50000));
    net = 18;
    break;
  default:
    f->srv_port = (uint16_t)(fsi_gen_rng_below(r, 2) ? 8080 : 22);
    net = 19;
    break;
  }
  if (f->v6) {
    static const uint8_t cli6[8] = {0xfd, 0x00, 0, 0, 0, 0, 0, 1};
    static const uint8_t srv6[6] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00};
    memcpy(f->cli_addr, cli6, 8);
    f->cli_addr[13] = (uint8_t)(ci >> 16);
    f->cli_addr[14] = (uint8_t)(ci >> 8);
    f->cli_addr[15] = (uint8_t)ci;
    memcpy(f->srv_addr, srv6, 6);
    f->srv_addr[5] = net;
    f->srv_addr[14] = (uint8_t)(s >> 8);
    f->srv_addr[15] = (uint8_t)(s + 1);
  } else {
    f->cli_addr[0] = 10;
    f->cli_addr[1] = (uint8_t)(ci >> 16);
    f->cli_addr[2] = (uint8_t)(ci >> 8);
    f->cli_addr[3] = (uint8_t)ci;
    f->srv_addr[0] = kind == FS_GEN_DNS ? 192 : 172;
    f->srv_addr[1] = kind == FS_GEN_DNS ? 0 : net;
    f->srv_addr[2] = kind == FS_GEN_DNS ? 2 : (uint8_t)(s >> 8);
    f->srv_addr[3] = kind == FS_GEN_DNS ? (uint8_t)(53 + s) : (uint8_t)(s + 1);
  }
  f->seq[0] = (uint32_t)fsi_gen_rng_next(r);
  f->seq[1] = (uint32_t)fsi_gen_rng_next(r);
  f->ip_id[0] = (uint16_t)fsi_gen_rng_next(r);
  f->ip_id[1] = (uint16_t)fsi_gen_rng_next(r);
  if (kind == FS_GEN_UDP) {
    uint32_t m = c->udp_mean_packets ? c->udp_mean_packets : 1;
    f->budget = 1 + fsi_gen_rng_below(r, 2 * m - 1);
  } else {
    f->budget = 1 + fsi_gen_rng_below(r, 2 * g->data_mean - 1);
  }
  f->phase = FSI_PH_START;
}

int fs_gen_create(fs_gen **out, const fs_gen_config *cfg) {
  if (!out || !cfg || cfg->packets == 0)
    return FS_E_INVAL;
  *out = NULL;
  uint32_t wt = 0;
  for (int k = 0; k < FS_GEN_KIND_COUNT; k++)
    wt += cfg->weights[k];
  if (wt == 0 || cfg->ipv6_percent > 100 || cfg->frag_percent > 100 || cfg->rst_percent > 100)
    return FS_E_INVAL;
  fs_gen *g = calloc(1, sizeof *g);
  if (!g)
    return FS_E_NOMEM;
  g->cfg = *cfg;
  g->weight_total = wt;
  g->data_mean = calibrate(cfg, wt);
  uint64_t flows = cfg->flows ? cfg->flows : 1;
  uint64_t conc = cfg->concurrency;
  if (conc == 0) {
    conc = flows / 25;
    conc = conc < 16 ? 16 : conc > 4096 ? 4096 : conc;
  }
  if (conc > flows)
    conc = flows;
  g->n_slots = (uint32_t)conc;
  g->slots = calloc(g->n_slots, sizeof *g->slots);
  g->scratch = malloc(65536 + 64);
  if (!g->slots || !g->scratch) {
    fs_gen_destroy(g);
    return FS_E_NOMEM;
  }
  fsi_gen_rng_seed(&g->rng, cfg->seed);
  g->ts = cfg->start_ts;
  for (uint32_t i = 0; i < g->n_slots; i++)
    start_flow(g, &g->slots[i]);
  *out = g;
  return 0;
}

int fs_gen_next(fs_gen *g, fs_packet_view *pkt) {
  if (g->st.packets >= g->cfg.packets)
    return 0;
  fsi_gen_flow *f = &g->slots[fsi_gen_rng_below(&g->rng, g->n_slots)];
  while (f->cur >= f->n_steps) {
    if (f->phase == FSI_PH_DONE)
      start_flow(g, f);
    fsi_gen_plan(f, &g->rng, g->data_mean);
  }
  int is_fragment = 0;
  uint32_t len = fsi_gen_frame(f, (int)g->cfg.checksums, g->frame, g->scratch, &is_fragment);
  /* Whole microseconds, so a pcap (microsecond) file holds the exact times. */
  uint32_t gap_us = g->cfg.mean_gap_ns / 1000u;
  g->ts += 1000ull * (1 + fsi_gen_rng_below(&g->rng, gap_us ? 2 * gap_us - 1 : 1));
  memset(pkt, 0, sizeof *pkt);
  pkt->struct_size = sizeof *pkt;
  pkt->link_type = 1; /* DLT_EN10MB */
  pkt->data = g->frame;
  pkt->caplen = len;
  pkt->wirelen = len;
  pkt->ts = g->ts;
  if (!f->counted) {
    f->counted = 1;
    g->st.flows++;
    g->st.flows_by_kind[f->kind]++;
    g->st.ipv6_flows += f->v6;
  }
  g->st.packets++;
  g->st.bytes += len;
  g->st.fragments += (uint64_t)is_fragment;
  return 1;
}

void fs_gen_stats_get(const fs_gen *g, fs_gen_stats *out) { *out = g->st; }

void fs_gen_destroy(fs_gen *g) {
  if (!g)
    return;
  free(g->slots);
  free(g->scratch);
  free(g);
}
