/* SPDX-License-Identifier: MIT */
/* IP fragment reassembly. Datagrams live in a fixed pool of slots (made at
 * creation) found through a hash on (version, src, dst, protocol, id) and
 * kept on an age list in arrival order of their first fragment, so expiry
 * pops from the head instead of scanning. A slot's data buffer is allocated
 * when its datagram starts and grows as fragments arrive (bounded by
 * max_datagram_size and, across all slots, max_bytes); unfragmented packets
 * never touch this code.
 *
 * Overlap policy: first wins. Bytes already held are never overwritten; a
 * fragment that brings no new byte (duplicate, teardrop-style containment)
 * is dropped and counted; one that partly overlaps contributes only its new
 * bytes and is counted as an overlap. */
#include <stdlib.h>
#include <string.h>

#include "extract/defrag.h"

#define NIL UINT32_MAX
#define HDR_ROOM 64u /* room before the payload for the rebuilt IP header */

typedef struct range {
  uint32_t off, end;
} range;

typedef struct slot {
  uint8_t in_use, version, proto, have_last;
  uint8_t have_first;
  uint8_t hdr_len;
  uint8_t src[16], dst[16];
  uint32_t id;
  uint32_t total;  /* payload length, known once the last fragment came */
  uint32_t nfrags; /* fragments accepted */
  uint32_t nranges;
  uint32_t hnext, prev, next;
  uint32_t buf_cap;
  fs_time_ns first_ts;
  uint8_t hdr[60]; /* IP header of the offset-0 fragment (IPv6: base header) */
  uint8_t *buf;    /* HDR_ROOM + payload */
  range *ranges;   /* sorted, merged, max_fragments entries */
} slot;

struct fsi_defrag {
  fs_defrag_config cfg;
  slot *slots;
  range *range_pool;
  uint32_t *buckets;
  uint32_t nbuckets;
  uint32_t free_head; /* free slots chained through hnext */
  uint32_t age_head, age_tail;
  uint32_t used;
  uint64_t bytes;
  uint32_t release; /* slot handed out completed, freed on the next call */
};

static uint32_t hash_key(const fsi_decoded *d) {
  uint32_t h = 2166136261u ^ d->ip_version;
  uint32_t n = d->ip_version == 4 ? 4 : 16;
  for (uint32_t i = 0; i < n; i++)
    h = (h ^ d->src[i]) * 16777619u;
  for (uint32_t i = 0; i < n; i++)
    h = (h ^ d->dst[i]) * 16777619u;
  h = (h ^ d->proto) * 16777619u;
  h = (h ^ d->frag_id) * 16777619u;
  h ^= h >> 15;
  return h;
}

fsi_defrag *fsi_defrag_create(const fs_defrag_config *cfg) {
  fsi_defrag *df = calloc(1, sizeof *df);
  if (!df)
    return NULL;
  df->cfg = *cfg;
  uint32_t n = cfg->max_datagrams ? cfg->max_datagrams : 1;
  uint32_t nb = 1;
  while (nb < n)
    nb <<= 1;
  df->nbuckets = nb;
  df->slots = calloc(n, sizeof *df->slots);
  df->buckets = malloc(nb * sizeof *df->buckets);
  df->range_pool =
      calloc((size_t)n * (cfg->max_fragments ? cfg->max_fragments : 1), sizeof *df->range_pool);
  if (!df->slots || !df->buckets || !df->range_pool) {
    fsi_defrag_destroy(df);
    return NULL;
  }
  for (uint32_t i = 0; i < nb; i++)
    df->buckets[i] = NIL;
  for (uint32_t i = 0; i < n; i++) {
    df->slots[i].hnext = i + 1 < n ? i + 1 : NIL;
    df->slots[i].ranges =
        df->range_pool + (size_t)i * (cfg->max_fragments ? cfg->max_fragments : 1);
  }
  df->free_head = 0;
  df->age_head = df->age_tail = NIL;
  df->release = NIL;
  return df;
}

void fsi_defrag_destroy(fsi_defrag *df) {
  if (!df)
    return;
  if (df->slots)
    for (uint32_t i = 0; i < df->cfg.max_datagrams; i++)
      free(df->slots[i].buf);
  free(df->slots);
  free(df->buckets);
  free(df->range_pool);
  free(df);
}

void fsi_defrag_usage(const fsi_defrag *df, uint32_t *datagrams, uint64_t *bytes) {
  *datagrams = df->used;
  *bytes = df->bytes;
}

static void unlink_slot(fsi_defrag *df, uint32_t i) {
  slot *s = &df->slots[i];
  /* hash chain */
  uint32_t b = 0;
  {
    fsi_decoded k;
    memset(&k, 0, sizeof k);
    k.ip_version = s->version;
    k.src = s->src;
    k.dst = s->dst;
    k.proto = s->proto;
    k.frag_id = s->id;
    b = hash_key(&k) & (df->nbuckets - 1);
  }
  uint32_t *pp = &df->buckets[b];
  while (*pp != NIL && *pp != i)
    pp = &df->slots[*pp].hnext;
  if (*pp == i)
    *pp = s->hnext;
  /* age list */
  if (s->prev != NIL)
    df->slots[s->prev].next = s->next;
  else
    df->age_head = s->next;
  if (s->next != NIL)
    df->slots[s->next].prev = s->prev;
  else
    df->age_tail = s->prev;
}

static void free_slot(fsi_defrag *df, uint32_t i, int linked) {
  slot *s = &df->slots[i];
  if (linked)
    unlink_slot(df, i);
  df->bytes -= s->buf_cap;
  free(s->buf);
  s->buf = NULL;
  s->buf_cap = 0;
  s->in_use = 0;
  s->hnext = df->free_head;
  df->free_head = i;
  df->used--;
}

/* Drops an incomplete datagram; its held fragments count as dropped. */
static void drop_slot(fsi_defrag *df, uint32_t i, fs_extract_counters *c) {
  c->frag_fragments_dropped += df->slots[i].nfrags;
  free_slot(df, i, 1);
}

void fsi_defrag_tick(fsi_defrag *df, fs_time_ns now, fs_extract_counters *c) {
  if (df->release != NIL) {
    free_slot(df, df->release, 0);
    df->release = NIL;
  }
  while (df->age_head != NIL) {
    slot *s = &df->slots[df->age_head];
    if (now < s->first_ts || now - s->first_ts <= df->cfg.timeout)
      break;
    c->frag_timeouts++;
    drop_slot(df, df->age_head, c);
  }
}

static uint32_t find(fsi_defrag *df, const fsi_decoded *d, uint32_t b) {
  uint32_t alen = d->ip_version == 4 ? 4 : 16;
  for (uint32_t i = df->buckets[b]; i != NIL; i = df->slots[i].hnext) {
    slot *s = &df->slots[i];
    if (s->version == d->ip_version && s->id == d->frag_id && s->proto == d->proto &&
        memcmp(s->src, d->src, alen) == 0 && memcmp(s->dst, d->dst, alen) == 0)
      return i;
  }
  return NIL;
}

static uint32_t new_slot(fsi_defrag *df, const fsi_decoded *d, uint32_t b, fs_time_ns ts) {
  uint32_t i = df->free_head;
  if (i == NIL)
    return NIL;
  slot *s = &df->slots[i];
  df->free_head = s->hnext;
  range *keep = s->ranges;
  memset(s, 0, sizeof *s);
  s->ranges = keep;
  s->in_use = 1;
  s->version = (uint8_t)d->ip_version;
  s->proto = d->proto;
  s->id = d->frag_id;
  memcpy(s->src, d->src, d->ip_version == 4 ? 4 : 16);
  memcpy(s->dst, d->dst, d->ip_version == 4 ? 4 : 16);
  s->first_ts = ts;
  s->hnext = df->buckets[b];
  df->buckets[b] = i;
  s->next = NIL;
  s->prev = df->age_tail;
  if (df->age_tail != NIL)
    df->slots[df->age_tail].next = i;
  else
    df->age_head = i;
  df->age_tail = i;
  df->used++;
  return i;
}

/* Makes room for payload bytes up to @p end. 0, or -1 over the byte limit. */
static int reserve(fsi_defrag *df, slot *s, uint32_t end) {
  if (HDR_ROOM + end <= s->buf_cap)
    return 0;
  uint32_t want = s->buf_cap ? s->buf_cap * 2 : 2048;
  if (want < HDR_ROOM + end)
    want = HDR_ROOM + end;
  if (want > HDR_ROOM + df->cfg.max_datagram_size)
    want = HDR_ROOM + df->cfg.max_datagram_size;
  if (df->bytes - s->buf_cap + want > df->cfg.max_bytes)
    return -1;
  uint8_t *nb = realloc(s->buf, want);
  if (!nb)
    return -1;
  df->bytes = df->bytes - s->buf_cap + want;
  s->buf = nb;
  s->buf_cap = want;
  return 0;
}

/* Copies the bytes of [off, end) not yet held (first wins) and merges the
 * range. Returns the number of new bytes. */
static uint32_t insert(slot *s, uint32_t off, uint32_t end, const uint8_t *data) {
  uint32_t added = 0, pos = off;
  for (uint32_t k = 0; k < s->nranges && pos < end; k++) {
    range r = s->ranges[k];
    if (r.end <= pos)
      continue;
    if (r.off >= end)
      break;
    if (r.off > pos) {
      memcpy(s->buf + HDR_ROOM + pos, data + (pos - off), r.off - pos);
      added += r.off - pos;
    }
    pos = r.end;
  }
  if (pos < end) {
    memcpy(s->buf + HDR_ROOM + pos, data + (pos - off), end - pos);
    added += end - pos;
  }
  if (!added)
    return 0;
  /* Insert [off, end) into the sorted list and merge touching ranges. */
  uint32_t k = 0;
  while (k < s->nranges && s->ranges[k].off < off)
    k++;
  memmove(&s->ranges[k + 1], &s->ranges[k], (s->nranges - k) * sizeof(range));
  s->ranges[k].off = off;
  s->ranges[k].end = end;
  s->nranges++;
  uint32_t o = 0;
  for (uint32_t j = 1; j < s->nranges; j++) {
    if (s->ranges[j].off <= s->ranges[o].end) {
      if (s->ranges[j].end > s->ranges[o].end)
        s->ranges[o].end = s->ranges[j].end;
    } else {
      s->ranges[++o] = s->ranges[j];
    }
  }
  s->nranges = o + 1;
  return added;
}

static uint32_t drop_frag(fs_extract_counters *c) {
  c->frag_fragments_dropped++;
  return FS_SKIP_FRAGMENT_DROP;
}

/* Writes the rebuilt header before the payload and describes the datagram. */
static void finish(slot *s, fsi_defrag_done *done) {
  uint8_t *payload = s->buf + HDR_ROOM;
  uint32_t hl = s->hdr_len;
  uint8_t *h = payload - hl;
  memcpy(h, s->hdr, hl);
  if (s->version == 4) {
    uint32_t total = hl + s->total;
    h[2] = (uint8_t)(total >> 8);
    h[3] = (uint8_t)total;
    h[6] = 0; /* clear MF and the offset */
    h[7] = 0;
    h[10] = h[11] = 0;
    uint32_t sum = 0;
    for (uint32_t i = 0; i < hl; i += 2)
      sum += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (sum >> 16)
      sum = (sum & 0xffff) + (sum >> 16);
    h[10] = (uint8_t)(~sum >> 8);
    h[11] = (uint8_t)~sum;
  } else {
    uint32_t plen = s->total > 0xffff ? 0 : s->total;
    h[4] = (uint8_t)(plen >> 8);
    h[5] = (uint8_t)plen;
    h[6] = s->proto; /* the fragment header and those before it are gone */
  }
  done->l3 = h;
  done->l3_hdr_len = hl;
  done->payload = payload;
  done->payload_len = s->total;
  done->proto = s->proto;
  done->src = s->src;
  done->dst = s->dst;
}

uint32_t fsi_defrag_add(fsi_defrag *df, const fsi_decoded *d, fs_time_ns ts, fsi_defrag_done *done,
                        fs_extract_counters *c) {
  fsi_defrag_tick(df, ts, c);
  c->frag_fragments++;
  uint32_t off = d->frag_off, len = d->frag_wire, end = off + len;
  if (d->frag_cap < d->frag_wire) {
    c->frag_truncated++; /* cut by the snapshot length: cannot be rebuilt */
    return drop_frag(c);
  }
  if (d->more_frags && (len < df->cfg.min_fragment_size || len == 0)) {
    c->frag_tiny++;
    return drop_frag(c);
  }
  if (d->more_frags && (len % 8) != 0) {
    c->frag_malformed++; /* only the last fragment may end off an 8-byte boundary */
    return drop_frag(c);
  }
  uint32_t b = hash_key(d) & (df->nbuckets - 1);
  uint32_t i = find(df, d, b);
  if (end > df->cfg.max_datagram_size) {
    c->frag_oversize++;
    if (i != NIL)
      drop_slot(df, i, c);
    return drop_frag(c);
  }
  if (i == NIL) {
    i = new_slot(df, d, b, ts);
    if (i == NIL) {
      c->frag_limit++;
      return drop_frag(c);
    }
  }
  slot *s = &df->slots[i];
  if (s->nfrags >= df->cfg.max_fragments) {
    c->frag_limit++;
    drop_slot(df, i, c);
    return drop_frag(c);
  }
  /* A last fragment fixes the length; anything beyond it, or a second
   * last fragment that disagrees, is inconsistent. */
  if ((s->have_last && (end > s->total || (!d->more_frags && end != s->total))) ||
      (!d->more_frags && s->nranges && s->ranges[s->nranges - 1].end > end)) {
    c->frag_overlaps++;
    return drop_frag(c);
  }
  if (reserve(df, s, end) != 0) {
    c->frag_limit++;
    drop_slot(df, i, c);
    return drop_frag(c);
  }
  int overlapped = 0;
  for (uint32_t k = 0; k < s->nranges; k++)
    if (s->ranges[k].off < end && off < s->ranges[k].end)
      overlapped = 1;
  uint32_t added = insert(s, off, end, d->frag_data);
  if (overlapped)
    c->frag_overlaps++;
  if (!added && len > 0)
    return drop_frag(c); /* nothing new: duplicate or fully contained */
  s->nfrags++;
  if (!d->more_frags) {
    s->have_last = 1;
    s->total = end;
  }
  if (off == 0 && !s->have_first) {
    s->have_first = 1;
    uint32_t hl = d->ip_version == 4 ? (uint32_t)(d->l3[0] & 0x0f) * 4 : 40;
    memcpy(s->hdr, d->l3, hl);
    s->hdr_len = (uint8_t)hl;
  }
  if (s->have_last && s->have_first && s->nranges == 1 && s->ranges[0].off == 0 &&
      s->ranges[0].end == s->total) {
    c->frag_reassembled++;
    finish(s, done);
    /* Keep the buffer alive for the caller; free it on the next call. */
    unlink_slot(df, i);
    df->release = i;
    return 0;
  }
  return FS_SKIP_FRAGMENT;
}
