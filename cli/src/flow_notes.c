/* SPDX-License-Identifier: MIT */
/* Outer layers per flow: a small linear-probing table with backward-shift deletion. */
#include "flow_notes.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

int fsi_encap_map_init(fsi_encap_map *m, uint32_t bound) {
  memset(m, 0, sizeof *m);
  m->bound = bound ? bound : 1;
  fs_extract_config cfg;
  fs_extract_config_default(&cfg);
  cfg.defrag.enabled = 0; /* first packets only: nothing to reassemble */
  char errbuf[FS_ERRBUF_SIZE];
  if (fs_extractor_create(&m->ex, &cfg, errbuf) != 0)
    return -1;
  m->have_ex = 1;
  return 0;
}

static uint32_t slot_of(const fsi_encap_map *m, const fs_flow_key *key) {
  return (uint32_t)XXH3_64bits(key, FS_KEY_SIZE) & (m->cap - 1);
}

static int grow(fsi_encap_map *m) {
  uint32_t ncap = m->cap ? m->cap * 2 : 256;
  if (ncap < m->cap)
    return -1;
  fsi_encap_entry *ns = calloc(ncap, sizeof *ns);
  if (!ns)
    return -1;
  fsi_encap_entry *old = m->slots;
  uint32_t ocap = m->cap;
  m->slots = ns;
  m->cap = ncap;
  for (uint32_t i = 0; i < ocap; i++) {
    if (!old[i].key.kind)
      continue;
    uint32_t j = slot_of(m, &old[i].key);
    while (m->slots[j].key.kind)
      j = (j + 1) & (m->cap - 1);
    m->slots[j] = old[i];
  }
  free(old);
  return 0;
}

static uint32_t find(const fsi_encap_map *m, const fs_flow_key *key) {
  uint32_t j = slot_of(m, key);
  while (m->slots[j].key.kind && !fs_flow_key_equal(&m->slots[j].key, key))
    j = (j + 1) & (m->cap - 1);
  return j;
}

void fsi_encap_map_note(fsi_encap_map *m, const fs_flow_key *key, const fs_extract_result *ex,
                        const fs_packet_view *pkt) {
  if (key->kind == FS_KEY_NONE)
    return;
  fs_extract_result own;
  int outer = 0;
  if (ex) {
    outer = ex->n_vlans != 0 || ex->encap != 0;
  } else if (m->have_ex && pkt) {
    memset(&own, 0, sizeof own);
    own.struct_size = sizeof own;
    if (m->ex.ops->extract(m->ex.self, pkt, &own) == 0) {
      ex = &own;
      outer = own.n_vlans != 0 || own.encap != 0;
    }
  }
  if (!outer)
    return; /* the common case for flows: nothing to remember */
  if (m->count >= m->bound) {
    m->dropped++;
    return;
  }
  if ((m->count + 1) * 2 > m->cap && grow(m) != 0) {
    m->dropped++;
    return;
  }
  fsi_encap_entry *e = &m->slots[find(m, key)];
  if (!e->key.kind)
    m->count++;
  memset(e, 0, sizeof *e);
  e->key = *key;
  e->encap.n_vlans = ex->n_vlans < FS_MAX_VLANS ? ex->n_vlans : FS_MAX_VLANS;
  memcpy(e->encap.vlans, ex->vlans, sizeof e->encap.vlans);
  e->encap.encap = ex->encap;
  e->encap.tunnel_id = ex->tunnel_id;
  e->encap.tunnel_ip_version = ex->tunnel_ip_version;
  memcpy(e->encap.tunnel_src, ex->tunnel_src, 16);
  memcpy(e->encap.tunnel_dst, ex->tunnel_dst, 16);
}

int fsi_encap_map_take(fsi_encap_map *m, const fs_flow_key *key, fsi_encap *out) {
  if (!m->count)
    return 0;
  uint32_t mask = m->cap - 1;
  uint32_t j = find(m, key);
  if (!m->slots[j].key.kind)
    return 0;
  *out = m->slots[j].encap;
  /* Backward-shift deletion keeps every probe chain unbroken. */
  uint32_t hole = j;
  for (uint32_t k = (j + 1) & mask; m->slots[k].key.kind; k = (k + 1) & mask) {
    uint32_t home = slot_of(m, &m->slots[k].key);
    /* Move k into the hole when its home is not within (hole, k]. */
    int between = hole <= k ? (home > hole && home <= k) : (home > hole || home <= k);
    if (!between) {
      m->slots[hole] = m->slots[k];
      hole = k;
    }
  }
  memset(&m->slots[hole], 0, sizeof m->slots[hole]);
  m->count--;
  return 1;
}

void fsi_encap_map_free(fsi_encap_map *m) {
  if (m->have_ex)
    fs_extractor_destroy(&m->ex);
  free(m->slots);
  memset(m, 0, sizeof *m);
}
