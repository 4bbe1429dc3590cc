/* SPDX-License-Identifier: MIT */
/*
 * Protocol detection (docs/drivers.md): port overrides decide at once; then
 * protocols whose port hints match the flow are probed first, then every
 * other protocol with a probe, on the first bytes of each side. The prefix
 * is buffered (bounded by the probes' declared maximum) and replayed to the
 * chosen parser in arrival order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drive/drive_internal.h"

static int name_enabled(const fs_driver *d, const char *name) {
  if (d->cfg.protocols == NULL)
    return 1;
  for (const char *const *p = d->cfg.protocols; *p != NULL; p++)
    if (strcmp(*p, name) == 0)
      return 1;
  return 0;
}

/* Transports of @p desc that have a parser this mode uses. */
static uint32_t usable_transports(const fs_driver *d, const fs_protocol_desc *desc) {
  uint32_t t = 0;
  if (d->cfg.mode == FS_DRIVE_SESSIONS && (desc->transports & FS_TRANSPORT_TCP) &&
      desc->session != NULL)
    t |= FS_TRANSPORT_TCP;
  if ((d->cfg.mode == FS_DRIVE_SESSIONS || d->cfg.mode == FS_DRIVE_DATAGRAMS) &&
      (desc->transports & FS_TRANSPORT_UDP) && desc->datagram != NULL)
    t |= FS_TRANSPORT_UDP;
  return t;
}

static int add_proto(fs_driver *d, const fs_protocol_desc *desc, void *state, char *errbuf) {
  if (desc == NULL || desc->name == NULL || !name_enabled(d, desc->name))
    return 0;
  uint32_t t = usable_transports(d, desc);
  if (t == 0)
    return 0;
  for (uint32_t i = 0; i < d->n_protos; i++)
    if (strcmp(d->protos[i].desc->name, desc->name) == 0)
      return 0; /* the registry already refuses duplicates; the first one wins here too */
  if (d->n_protos == FSI_DRIVE_MAX_PROTOS) {
    snprintf(errbuf, FS_ERRBUF_SIZE, "driver: more than %d protocols enabled",
             FSI_DRIVE_MAX_PROTOS);
    return FS_E_LIMIT;
  }
  fsi_dproto *p = &d->protos[d->n_protos++];
  p->desc = desc;
  p->plugin_state = state;
  p->transports = t;
  p->probe_limit = desc->probe_max_bytes ? desc->probe_max_bytes : FSI_PROBE_DEFAULT;
  if (p->probe_limit > FSI_PROBE_MAX)
    p->probe_limit = FSI_PROBE_MAX;
  if (desc->probe != NULL && p->probe_limit > d->probe_cap)
    d->probe_cap = p->probe_limit;
  d->parse_transports |= t;
  return 0;
}

static int find_proto(const fs_driver *d, const char *name) {
  for (uint32_t i = 0; i < d->n_protos; i++)
    if (strcmp(d->protos[i].desc->name, name) == 0)
      return (int)i;
  return -1;
}

int fsi_detect_setup(fs_driver *d, char *errbuf) {
  if (d->cfg.mode == FS_DRIVE_FLOWS)
    return 0;
  int rc;
  const fs_registry *reg = d->cfg.registry;
  uint32_t n = reg ? fs_registry_count(reg) : 0;
  for (uint32_t i = 0; i < n; i++) {
    const fs_plugin_info *info = fs_registry_get(reg, i);
    if (info == NULL || info->desc == NULL)
      continue;
    for (uint32_t j = 0; j < info->desc->n_protocols; j++) {
      const fs_protocol_desc *p = info->desc->protocols[j];
      if ((rc = add_proto(d, p, fs_registry_plugin_state(reg, p), errbuf)) != 0)
        return rc;
    }
  }
  for (uint32_t i = 0; i < d->cfg.n_extra_protocols; i++)
    if ((rc = add_proto(d, d->cfg.extra_protocols[i], NULL, errbuf)) != 0)
      return rc;
  if (d->cfg.n_overrides > 0) {
    d->overrides = calloc(d->cfg.n_overrides, sizeof *d->overrides);
    if (d->overrides == NULL)
      return FS_E_NOMEM;
  }
  for (uint32_t i = 0; i < d->cfg.n_overrides; i++) {
    const fs_port_override *o = &d->cfg.overrides[i];
    int idx = o->protocol ? find_proto(d, o->protocol) : -1;
    if (idx < 0) {
      snprintf(errbuf, FS_ERRBUF_SIZE,
               "driver: override for port %u names protocol '%s', which is not loaded "
               "(or has no parser for this mode)",
               (unsigned)o->port, o->protocol ? o->protocol : "(null)");
      return FS_E_NOTFOUND;
    }
    if (!(d->protos[idx].transports & o->transport)) {
      snprintf(errbuf, FS_ERRBUF_SIZE,
               "driver: override for port %u: protocol '%s' has no parser for that transport",
               (unsigned)o->port, o->protocol);
      return FS_E_INVAL;
    }
    d->overrides[d->n_overrides++] = (fsi_doverride){o->port, o->transport, idx};
  }
  return 0;
}

static int port_hinted(const fs_protocol_desc *desc, uint16_t pa, uint16_t pb) {
  for (uint32_t i = 0; desc->ports != NULL && i < desc->n_ports; i++) {
    const fs_port_range *r = &desc->ports[i];
    if ((pa >= r->lo && pa <= r->hi) || (pb >= r->lo && pb <= r->hi))
      return 1;
  }
  return 0;
}

/* Records @p name as the flow's service; after a hand-off it is appended
 * to the earlier one as Zeek lists analyzers ("http,ssl"), when it fits. */
static void set_service(fsi_dflow *fl, const char *name) {
  fs_driver *d = fl->d;
  char joined[16];
  if (fl->handoffs > 0) {
    fs_flow_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    if (fs_tracker_lookup(d->tr, &fl->key, &st) == 0 && st.service[0] != '\0') {
      int n = snprintf(joined, sizeof joined, "%.*s,%s",
                       (int)strnlen(st.service, sizeof st.service), st.service, name);
      if (n > 0 && (size_t)n < sizeof joined)
        name = joined;
    }
  }
  (void)fs_tracker_set_service(d->tr, &fl->key, name);
}

/* Chooses protocol @p idx: records the service, creates the parser. */
static void choose(fsi_dflow *fl, int idx) {
  fs_driver *d = fl->d;
  fl->proto = idx;
  fl->flags |= FSI_DF_DECIDED;
  fl->cand = 0;
  set_service(fl, d->protos[idx].desc->name);
  if (fsi_parser_create(fl) != 0)
    fsi_dflow_bypass(fl); /* create failed: the contract says bypass */
}

/* Nothing claims the flow: keep tracking, stop reassembly. (A flow a parser
 * handed off was claimed: what follows the hand-off is merely not parsed.) */
static void unclaimed(fsi_dflow *fl) {
  fl->cand = 0;
  if (!(fl->flags & FSI_DF_UNCLAIMED) && fl->handoffs == 0) {
    fl->flags |= FSI_DF_UNCLAIMED;
    fl->d->ctr.detect_unclaimed++;
  }
  fsi_dflow_bypass(fl);
}

void fsi_detect_start(fsi_dflow *fl, uint32_t transport) {
  fs_driver *d = fl->d;
  uint16_t pa = fl->key.port_a, pb = fl->key.port_b;
  for (uint32_t i = 0; i < d->n_overrides; i++) {
    const fsi_doverride *o = &d->overrides[i];
    if ((o->transport & transport) && (o->port == pa || o->port == pb)) {
      choose(fl, o->proto);
      return;
    }
  }
  for (uint32_t i = 0; i < d->n_protos; i++) {
    const fsi_dproto *p = &d->protos[i];
    if (!(p->transports & transport))
      continue;
    int hinted = port_hinted(p->desc, pa, pb);
    if (hinted && p->desc->probe == NULL) {
      /* Selected by its ports alone. */
      choose(fl, (int)i);
      return;
    }
    if (p->desc->probe != NULL) {
      fl->cand |= UINT64_C(1) << i;
      if (hinted)
        fl->hint |= UINT64_C(1) << i;
    }
  }
  if (fl->cand == 0)
    unclaimed(fl);
}

void fsi_detect_restart(fsi_dflow *fl) {
  fs_driver *d = fl->d;
  uint32_t transport = (fl->flags & FSI_DF_TCP) ? FS_TRANSPORT_TCP : FS_TRANSPORT_UDP;
  uint16_t pa = fl->key.port_a, pb = fl->key.port_b;
  /* Only probes decide now: the ports (overrides, probe-less hints) named
   * the protocol that just ended; they still order the probes. */
  fl->cand = fl->hint = 0;
  for (uint32_t i = 0; i < d->n_protos; i++) {
    const fsi_dproto *p = &d->protos[i];
    uint64_t bit = UINT64_C(1) << i;
    if (!(p->transports & transport) || p->desc->probe == NULL || (fl->handed_off & bit))
      continue;
    fl->cand |= bit;
    if (port_hinted(p->desc, pa, pb))
      fl->hint |= bit;
  }
  if (fl->cand == 0)
    unclaimed(fl);
}

fsi_probe_buf *fsi_probe_alloc(fs_driver *d) {
  fsi_probe_buf *p = d->free_probes;
  size_t bytes = sizeof *p + 2u * d->probe_cap;
  if (p != NULL) {
    d->free_probes = p->next_free;
  } else {
    if (d->budget.max != 0 && d->budget.used + bytes > d->budget.max)
      return NULL;
    p = malloc(bytes);
    if (p == NULL)
      return NULL;
    d->budget.used += bytes;
  }
  p->next_free = NULL;
  p->len[0] = p->len[1] = 0;
  p->n_log = 0;
  return p;
}

void fsi_probe_release(fs_driver *d, fsi_probe_buf *p) {
  if (p == NULL)
    return;
  p->next_free = d->free_probes;
  d->free_probes = p;
}

/* Runs the probes in priority order (port-hinted first). Returns the chosen index or -1. */
static int run_probes(fsi_dflow *fl, uint32_t side, const uint8_t *data, size_t len,
                      uint32_t seen) {
  fs_driver *d = fl->d;
  for (int pass = 0; pass < 2; pass++) {
    uint64_t set = pass == 0 ? (fl->cand & fl->hint) : (fl->cand & ~fl->hint);
    for (uint32_t i = 0; set != 0 && i < d->n_protos; i++) {
      uint64_t bit = UINT64_C(1) << i;
      if (!(set & bit))
        continue;
      const fsi_dproto *p = &d->protos[i];
      uint32_t r = p->desc->probe(data, len, side);
      if (r == FS_PROBE_YES)
        return (int)i;
      if (r != FS_PROBE_NEED_MORE || seen >= p->probe_limit)
        fl->cand &= ~bit; /* a no, or out of bytes to decide with */
    }
  }
  return -1;
}

/* Hands the buffered prefix to the chosen parser in arrival order. */
static void replay(fsi_dflow *fl, int datagram) {
  fsi_probe_buf *pb = fl->probe;
  fl->probe = NULL;
  uint32_t off[2] = {0, 0};
  for (uint32_t i = 0; i < pb->n_log && !(fl->flags & FSI_DF_BYPASS); i++) {
    const fsi_probe_piece *pc = &pb->log[i];
    const uint8_t *p = pb->data + (size_t)pc->side * fl->d->probe_cap + off[pc->side];
    off[pc->side] += pc->len;
    /* Routed: a hand-off during the replay sends the rest to detection. */
    if (datagram)
      fsi_route_datagram(fl, pc->side, p, pc->len, pc->ts);
    else
      fsi_route_stream(fl, pc->side, p, pc->len, pc->ts);
  }
  fsi_probe_release(fl->d, pb);
}

/* Appends to the prefix; returns the bytes kept (less than len when full). */
static size_t buffer_prefix(fsi_dflow *fl, uint32_t side, const uint8_t *data, size_t len,
                            fs_time_ns ts, int datagram) {
  fsi_probe_buf *pb = fl->probe;
  size_t room = fl->d->probe_cap - pb->len[side];
  if (datagram && len > room)
    return 0; /* datagrams are kept whole or not at all */
  size_t take = len < room ? len : room;
  if (take == 0)
    return 0;
  fsi_probe_piece *last = pb->n_log ? &pb->log[pb->n_log - 1] : NULL;
  if (!datagram && last != NULL && last->side == side) {
    last->len += (uint32_t)take;
  } else if (pb->n_log < FSI_PROBE_LOG) {
    pb->log[pb->n_log++] = (fsi_probe_piece){side, (uint32_t)take, ts};
  } else {
    return 0; /* the arrival log is full */
  }
  memcpy(pb->data + (size_t)side * fl->d->probe_cap + pb->len[side], data, take);
  pb->len[side] += (uint32_t)take;
  return take;
}

void fsi_detect_data(fsi_dflow *fl, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts,
                     int datagram) {
  fs_driver *d = fl->d;
  if (fl->cand == 0) {
    /* Nothing left to try (e.g. a hole in the prefix). */
    fsi_probe_release(d, fl->probe);
    fl->probe = NULL;
    unclaimed(fl);
    return;
  }
  if (fl->probe == NULL) {
    fl->probe = fsi_probe_alloc(d);
    if (fl->probe == NULL) {
      /* No memory left for a prefix: counted as a reassembly drop, nothing claims it. */
      fl->tail_dropped[side] += len;
      unclaimed(fl);
      return;
    }
  }
  size_t kept = buffer_prefix(fl, side, data, len, ts, datagram);
  int chosen;
  if (datagram) {
    fl->seen_bytes[side] += (uint32_t)(len < FSI_PROBE_MAX ? len : FSI_PROBE_MAX);
    chosen = run_probes(fl, side, data, len, fl->seen_bytes[side]);
  } else {
    const fsi_probe_buf *pb = fl->probe;
    uint32_t seen = kept < len ? FSI_PROBE_MAX : pb->len[side];
    chosen = run_probes(fl, side, pb->data + (size_t)side * d->probe_cap, pb->len[side], seen);
  }
  if (chosen < 0 && fl->cand != 0 && kept < len) {
    /* The prefix is full but probes still want more: nothing can claim it any more. */
    fl->cand = 0;
  }
  if (chosen >= 0) {
    choose(fl, chosen);
    if (fl->flags & FSI_DF_BYPASS) {
      fsi_probe_release(d, fl->probe);
      fl->probe = NULL;
      return;
    }
    if (datagram && kept == 0) {
      /* Not buffered: replay the earlier datagrams, then this one. */
      replay(fl, 1);
      fsi_route_datagram(fl, side, data, len, ts);
      return;
    }
    replay(fl, datagram);
    if (!datagram && kept < len)
      fsi_route_stream(fl, side, data + kept, len - kept, ts);
    return;
  }
  if (fl->cand == 0) {
    fsi_probe_release(d, fl->probe);
    fl->probe = NULL;
    unclaimed(fl);
  }
}
