/* SPDX-License-Identifier: MIT */
/* N run-to-completion workers fed through SPSC rings (see workers.h).
 * The per-packet path is lock-free: the feeder copies the packet into the
 * chosen worker's slab and publishes a descriptor; the worker feeds its own
 * driver and queues events. Mutexes and condition variables are used only
 * to sleep when a ring is empty or full, with a 1 ms timed wait as a safety
 * net, so a missed wake-up costs at most a millisecond, never a hang. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "source/source_retain.h"
#include "workers/live.h"
#include "workers/rings.h"
#include "workers/shard.h"
#include "workers/wengine.h"
#include "util/sized_out.h"

#define MAX_WORKERS 64
#define SPIN_ROUNDS 256
#define BATCH 32 /* descriptors published / released at once */

struct fs_workers {
  fs_workers_config cfg;
  fsi_shard shard;
  fs_event_sink sink; /* the caller's */
  uint32_t n;
  int finished;
  int live_running;
  int file_running;               /* self-sharding file mode started */
  const fsi_ev_entry *delivering; /* the entry whose event the sink is handling */
  _Atomic int stop_live;
  _Atomic int mute;           /* destroying unfinished: worker sinks get nothing more */
  fs_source *zc_src;          /* attached source whose packets are passed in place */
  uintptr_t zc_base;          /* its block pool */
  size_t zc_block, zc_span;   /* bytes per block, bytes in all */
  _Atomic int feeder_waiting; /* the feeder sleeps: for ring space or for events */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  uint64_t fed_since_drain;
  fsi_worker *w[MAX_WORKERS];
};

static int fail(char *errbuf, int code, const char *what) {
  if (errbuf)
    snprintf(errbuf, FS_ERRBUF_SIZE, "workers: %s", what);
  return code;
}

static void close_file(fsi_worker *k) {
  if (k->file) {
    fs_source_close(k->file);
    k->file = NULL;
  }
  if (k->shard) {
    fsi_shard_free(k->shard);
    free(k->shard);
    k->shard = NULL;
  }
}

void fs_workers_config_default(fs_workers_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->struct_size = sizeof *cfg;
  cfg->n_workers = 2;
  cfg->shard = FS_SHARD_IP_PAIR;
  cfg->ring_packets = 8192;
  cfg->ring_bytes = 4u << 20;
  cfg->event_queue = 2048;
  fs_driver_config_default(&cfg->driver);
}

/* ---- sleeping and waking (slow path) ---- */

static void timed_wait(pthread_mutex_t *mu, pthread_cond_t *cv) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += 1000000;
  if (ts.tv_nsec >= 1000000000) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000;
  }
  pthread_cond_timedwait(cv, mu, &ts);
}

static void wake(pthread_mutex_t *mu, pthread_cond_t *cv) {
  pthread_mutex_lock(mu);
  pthread_cond_signal(cv);
  pthread_mutex_unlock(mu);
}

static void wake_feeder(struct fs_workers *p) {
  if (atomic_load(&p->feeder_waiting))
    wake(&p->mu, &p->cv);
}

/* ---- worker side ---- */

/* Sink installed in each worker's driver: copies the event into the queue. */
static void worker_on_event(void *self, const fs_event *ev) {
  fsi_worker *k = self;
  /* Wait for space: the feeder drains queues while it feeds, waits or finishes. */
  while (k->ev_head_local - k->seen_ev_tail > k->ev_mask) {
    k->seen_ev_tail = atomic_load_explicit(&k->ev_tail, memory_order_acquire);
    if (k->ev_head_local - k->seen_ev_tail <= k->ev_mask)
      break;
    atomic_fetch_add_explicit(&k->queue_full_waits, 1, memory_order_relaxed);
    pthread_mutex_lock(&k->mu);
    atomic_store(&k->ev_waiting, 1);
    wake_feeder(k->pool);
    if (k->ev_head_local - atomic_load(&k->ev_tail) > k->ev_mask)
      timed_wait(&k->mu, &k->cv);
    atomic_store(&k->ev_waiting, 0);
    pthread_mutex_unlock(&k->mu);
  }
  fsi_ev_entry *e = &k->evq[k->ev_head_local & k->ev_mask];
  memset(&e->ev, 0, sizeof e->ev);
  size_t n = ev->struct_size < sizeof e->ev ? ev->struct_size : sizeof e->ev;
  memcpy(&e->ev, ev, n);
  e->ev.struct_size = sizeof e->ev;
  e->msg = NULL;
  if (ev->stats && ev->stats->last_seen > k->max_seen)
    k->max_seen = ev->stats->last_seen;
  if (ev->key) {
    e->key = *ev->key;
    e->ev.key = &e->key;
  }
  if (ev->stats) {
    memset(&e->stats, 0, sizeof e->stats);
    size_t sn = ev->stats->struct_size < sizeof e->stats ? ev->stats->struct_size : sizeof e->stats;
    memcpy(&e->stats, ev->stats, sn);
    e->ev.stats = &e->stats;
  }
  if (ev->anomaly) {
    memset(&e->anomaly, 0, sizeof e->anomaly);
    size_t an =
        ev->anomaly->struct_size < sizeof e->anomaly ? ev->anomaly->struct_size : sizeof e->anomaly;
    memcpy(&e->anomaly, ev->anomaly, an);
    e->ev.anomaly = &e->anomaly;
  }
  if (!ev->stats && ev->key && ev->type == FS_EV_MESSAGE) {
    /* The host cannot look the flow up later (its tracker belongs to this
     * thread): attach the flow's current stats now. */
    memset(&e->stats, 0, sizeof e->stats);
    e->stats.struct_size = sizeof e->stats;
    if (fs_tracker_lookup(fsi_wengine_tracker(k), ev->key, &e->stats) == 0)
      e->ev.stats = &e->stats;
  }
  e->has_xres = 0;
  const fs_extract_result *cur =
      ev->type == FS_EV_FLOW_STARTED ? fsi_wengine_current(k, ev->packet) : NULL;
  if (cur) {
    e->xres = *cur;
    e->xres.payload = NULL; /* they point into the packet: not kept */
    e->xres.payload_len = 0;
    e->xres.l3 = NULL;
    e->xres.l3_len = 0;
    e->has_xres = 1;
  }
  if (ev->packet && ev->packet->data) {
    e->pkt = *ev->packet;
    e->pkt.struct_size = sizeof e->pkt;
    e->pkt.caplen = ev->packet->caplen < FSI_EV_PKT_HEAD ? ev->packet->caplen : FSI_EV_PKT_HEAD;
    memcpy(e->pkt_head, ev->packet->data, e->pkt.caplen);
    e->pkt.data = e->pkt_head;
    e->ev.packet = &e->pkt;
  } else {
    e->ev.packet = NULL;
  }
  if (ev->message) {
    e->msg = fs_message_clone(ev->message);
    if (!e->msg) {
      atomic_fetch_add_explicit(&k->messages_dropped, 1, memory_order_relaxed);
      return;
    }
    e->ev.message = e->msg;
  }
  e->ev.worker = k->index;
  k->ev_head_local++;
  atomic_store(&k->ev_head, k->ev_head_local);
  wake_feeder(k->pool);
}

static const fs_event_sink_ops k_worker_sink_ops = {sizeof(fs_event_sink_ops), 0, worker_on_event,
                                                    NULL, NULL};

/* With worker sinks: the extraction a lean worker's FLOW_STARTED event
 * carries, for fs_workers_current_extract() called inside that sink. */
static _Thread_local const fs_extract_result *tl_extract;

/* Sink installed in each worker's driver when the caller gave worker
 * sinks: hands the event on at once, on this thread, with what queued mode
 * adds to it (worker index, a message's flow stats). */
static void worker_direct_event(void *self, const fs_event *ev) {
  fsi_worker *k = self;
  if (ev->stats && ev->stats->last_seen > k->max_seen)
    k->max_seen = ev->stats->last_seen;
  if (atomic_load_explicit(&k->pool->mute, memory_order_relaxed))
    return;
  fs_event e = *ev; /* our own driver's event: the full struct */
  e.worker = k->index;
  fs_flow_stats st;
  if (!ev->stats && ev->key && ev->type == FS_EV_MESSAGE) {
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    if (fs_tracker_lookup(fsi_wengine_tracker(k), ev->key, &st) == 0)
      e.stats = &st;
  }
  tl_extract = ev->type == FS_EV_FLOW_STARTED ? fsi_wengine_current(k, ev->packet) : NULL;
  k->direct.ops->on_event(k->direct.self, &e);
  tl_extract = NULL;
  atomic_store_explicit(&k->direct_events,
                        atomic_load_explicit(&k->direct_events, memory_order_relaxed) + 1,
                        memory_order_relaxed);
}

static void worker_direct_flush(void *self) {
  fsi_worker *k = self;
  if (k->direct.ops->flush && !atomic_load_explicit(&k->pool->mute, memory_order_relaxed))
    k->direct.ops->flush(k->direct.self);
}

static const fs_event_sink_ops k_direct_sink_ops = {sizeof(fs_event_sink_ops), 0,
                                                    worker_direct_event, worker_direct_flush, NULL};

/* Gives the processed descriptors and their slab bytes back to the feeder. */
static void release(fsi_worker *k, uint64_t tail) {
  if (k->released_tail == tail)
    return;
  k->released_tail = tail;
  atomic_store_explicit(&k->bytes_tail, k->pending_end, memory_order_release);
  atomic_store(&k->in_tail, tail);
  wake_feeder(k->pool);
}

/* Hands the packets collected so far to the engine. Their slab bytes are
 * released only after this. */
static void flush_batch(fsi_worker *k) {
  if (k->n_bpkt) {
    fsi_wengine_feed_batch(k, k->bpkt, k->n_bpkt);
    k->n_bpkt = 0;
  }
}

/* Waits until the ring has a descriptor; returns it. */
static const fsi_pkt_desc *next_desc(fsi_worker *k, uint64_t tail) {
  int spins = 0;
  while (tail == k->seen_in_head) {
    k->seen_in_head = atomic_load_explicit(&k->in_head, memory_order_acquire);
    if (tail != k->seen_in_head)
      break;
    flush_batch(k);
    release(k, tail); /* out of work: hand everything back before waiting */
    if (++spins < SPIN_ROUNDS) {
      sched_yield();
      continue;
    }
    pthread_mutex_lock(&k->mu);
    atomic_store(&k->sleeping, 1);
    if (atomic_load(&k->in_head) == tail)
      timed_wait(&k->mu, &k->cv);
    atomic_store(&k->sleeping, 0);
    pthread_mutex_unlock(&k->mu);
  }
  return &k->descs[tail & k->desc_mask];
}

/* Self-sharding file mode: this worker reads every packet of the file and
 * processes those whose shard is its own. */
static void file_loop(fsi_worker *k) {
  struct fs_workers *p = k->pool;
  fs_packet_view v;
  int rc;
  while ((rc = fs_source_next(k->file, &v)) == 1) {
    if (p->n > 1 && fsi_shard_index(fsi_shard_hash(k->shard, &v), p->n) != k->index)
      continue;
    atomic_fetch_add_explicit(&k->file_packets, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&k->file_bytes, v.caplen, memory_order_relaxed);
    fsi_wengine_feed(k, &v);
  }
  k->file_rc = rc;
}

static int max_seen_visit(void *ctx, const fs_flow_key *key, const fs_flow_stats *st) {
  fsi_worker *k = ctx;
  (void)key;
  if (st->last_seen > k->max_seen)
    k->max_seen = st->last_seen;
  return 0;
}

static void *worker_main(void *arg) {
  fsi_worker *k = arg;
  uint64_t tail = atomic_load(&k->in_tail);
  for (;;) {
    const fsi_pkt_desc *d = next_desc(k, tail);
    uint32_t kind = d->kind;
    if (kind == FSI_DESC_PACKET || kind == FSI_DESC_PACKET_REF) {
      fs_packet_view *v = &k->bpkt[k->n_bpkt++];
      memset(v, 0, sizeof *v);
      v->struct_size = sizeof *v;
      v->link_type = d->link_type;
      v->data = kind == FSI_DESC_PACKET_REF ? (const uint8_t *)(uintptr_t)d->start
                                            : k->slab + (d->start % k->slab_size);
      v->caplen = d->caplen;
      v->wirelen = d->wirelen;
      v->ts = d->ts;
      v->ifindex = d->ifindex;
      if (k->n_bpkt == FSI_WBATCH)
        flush_batch(k);
    } else if (kind == FSI_DESC_TICK) {
      flush_batch(k);
      fsi_wengine_advance(k, d->ts);
    } else if (kind == FSI_DESC_LIVE) {
      flush_batch(k);
      fsi_live_loop(k, &k->pool->stop_live);
    } else if (kind == FSI_DESC_FILE) {
      flush_batch(k);
      file_loop(k);
    } else if (kind == FSI_DESC_SYNC) {
      flush_batch(k);
      fs_tracker_foreach(fsi_wengine_tracker(k), max_seen_visit, k);
      atomic_store(&k->synced_ts, k->max_seen);
      atomic_store(&k->synced, 1);
    } else {
      flush_batch(k);
      /* One tracker would have reached the latest time any worker saw:
       * catch up, so flows idle by then end as idle, as they would there. */
      fsi_wengine_finish(k, d->ts);
    }
    k->pending_end = d->end;
    tail++;
    if ((kind != FSI_DESC_PACKET && kind != FSI_DESC_PACKET_REF) ||
        tail - k->released_tail >= BATCH) {
      flush_batch(k); /* the slab bytes of collected packets are still in use */
      release(k, tail);
    }
    if (kind == FSI_DESC_FINISH)
      break;
  }
  struct timespec cpu;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
    atomic_store(&k->cpu_ns, (uint64_t)cpu.tv_sec * 1000000000u + (uint64_t)cpu.tv_nsec);
  atomic_store(&k->done, 1);
  wake_feeder(k->pool);
  return NULL;
}

/* ---- feeder side ---- */

/* Makes the descriptors written so far visible to the worker (and wakes it
 * if it sleeps). Descriptors are published in batches: one shared-line
 * store per BATCH packets instead of one per packet. */
static void flush_head(fsi_worker *k) {
  if (k->published_head == k->in_head_local)
    return;
  k->published_head = k->in_head_local;
  atomic_store(&k->in_head, k->in_head_local);
  if (atomic_load(&k->sleeping))
    wake(&k->mu, &k->cv);
}

static void flush_heads(struct fs_workers *p) {
  for (uint32_t i = 0; i < p->n; i++)
    flush_head(p->w[i]);
}

/* Delivers every queued event of worker @p k to the caller's sink. */
static uint64_t drain_one(struct fs_workers *p, fsi_worker *k) {
  uint64_t n = 0;
  for (;;) {
    if (k->ev_tail_local == k->seen_ev_head) {
      k->seen_ev_head = atomic_load_explicit(&k->ev_head, memory_order_acquire);
      if (k->ev_tail_local == k->seen_ev_head)
        break;
    }
    fsi_ev_entry *e = &k->evq[k->ev_tail_local & k->ev_mask];
    p->delivering = e;
    if (p->sink.ops && p->sink.ops->on_event)
      p->sink.ops->on_event(p->sink.self, &e->ev);
    p->delivering = NULL;
    fs_message_free(e->msg);
    e->msg = NULL;
    k->ev_tail_local++;
    n++;
    atomic_store(&k->ev_tail, k->ev_tail_local);
    if (atomic_load(&k->ev_waiting))
      wake(&k->mu, &k->cv);
  }
  k->events_delivered += n;
  return n;
}

uint64_t fs_workers_poll(fs_workers *p) {
  uint64_t n = 0;
  if (!p)
    return 0;
  flush_heads(p);
  for (uint32_t i = 0; i < p->n; i++)
    n += drain_one(p, p->w[i]);
  return n;
}

static int events_pending(struct fs_workers *p) {
  for (uint32_t i = 0; i < p->n; i++)
    if (atomic_load_explicit(&p->w[i]->ev_head, memory_order_acquire) != p->w[i]->ev_tail_local)
      return 1;
  return 0;
}

/* The feeder sleeps until a worker wakes it (or the 1 ms safety net
 * passes), unless @p ready(p, arg) says the wait is over or there are
 * events to deliver. Callers loop, delivering events, until ready. */
typedef int (*feeder_ready_fn)(struct fs_workers *p, void *arg);

static void feeder_sleep(struct fs_workers *p, feeder_ready_fn ready, void *arg) {
  pthread_mutex_lock(&p->mu);
  atomic_store(&p->feeder_waiting, 1);
  if (!ready(p, arg) && !events_pending(p))
    timed_wait(&p->mu, &p->cv);
  atomic_store(&p->feeder_waiting, 0);
  pthread_mutex_unlock(&p->mu);
}

/* Free descriptors and contiguous slab bytes for a packet of @p len bytes;
 * sets *pad to the bytes skipped at the slab's end to keep it contiguous. */
static int has_space(fsi_worker *k, uint32_t len, uint64_t *pad) {
  uint64_t pos = k->bytes_head % k->slab_size;
  *pad = (pos + len > k->slab_size) ? k->slab_size - pos : 0;
  return k->in_head_local - k->seen_in_tail <= k->desc_mask &&
         k->bytes_head + *pad + len - k->seen_bytes_tail <= k->slab_size;
}

static void refresh_tails(fsi_worker *k) {
  k->seen_bytes_tail = atomic_load_explicit(&k->bytes_tail, memory_order_acquire);
  k->seen_in_tail = atomic_load_explicit(&k->in_tail, memory_order_acquire);
}

/* What reserve waits for: room in worker k's ring for len bytes. */
typedef struct room_wait {
  fsi_worker *k;
  uint32_t len;
} room_wait;

static int has_room(struct fs_workers *p, void *arg) {
  (void)p;
  room_wait *r = arg;
  uint64_t pad;
  refresh_tails(r->k);
  return has_space(r->k, r->len, &pad);
}

/* Reserves room for one descriptor with @p len data bytes, waiting (and
 * delivering events) while the ring is full. Returns the slab position. */
static uint64_t reserve(struct fs_workers *p, fsi_worker *k, uint32_t len) {
  uint64_t pad;
  if (!has_space(k, len, &pad)) {
    refresh_tails(k);
    room_wait r = {k, len};
    while (!has_space(k, len, &pad)) {
      k->ring_full_waits++;
      fs_workers_poll(p); /* also publishes every pending descriptor */
      if (has_room(p, &r))
        break;
      feeder_sleep(p, has_room, &r);
      refresh_tails(k);
    }
  }
  k->bytes_head += pad;
  return k->bytes_head;
}

static void publish(fsi_worker *k, const fsi_pkt_desc *d) {
  k->descs[k->in_head_local & k->desc_mask] = *d;
  k->in_head_local++;
  if ((d->kind != FSI_DESC_PACKET && d->kind != FSI_DESC_PACKET_REF) ||
      k->in_head_local - k->published_head >= BATCH)
    flush_head(k);
}

static void send_control(struct fs_workers *p, fsi_worker *k, uint32_t kind, fs_time_ns ts) {
  uint64_t at = reserve(p, k, 0);
  fsi_pkt_desc d;
  memset(&d, 0, sizeof d);
  d.start = d.end = at;
  d.ts = ts;
  d.kind = kind;
  publish(k, &d);
}

uint32_t fs_workers_shard(fs_workers *p, const fs_packet_view *pkt) {
  if (!p || !pkt || p->n <= 1)
    return 0;
  return fsi_shard_index(fsi_shard_hash(&p->shard, pkt), p->n);
}

int fs_workers_advance(fs_workers *p, fs_time_ns now) {
  if (!p || p->finished)
    return FS_E_STATE;
  if (p->live_running || p->file_running)
    return 0; /* live and file-reading workers keep their own time */
  for (uint32_t i = 0; i < p->n; i++)
    send_control(p, p->w[i], FSI_DESC_TICK, now);
  return 0;
}

/* Deliver events now and then so workers never stall on a full queue. */
static void maybe_poll(struct fs_workers *p) {
  if (++p->fed_since_drain >= 64) {
    p->fed_since_drain = 0;
    fs_workers_poll(p);
  }
}

/* Publishes a packet descriptor of @p kind for @p pkt: its data at
 * @p start (slab position, or address), slab released up to @p end. */
static void publish_packet(fsi_worker *k, const fs_packet_view *pkt, uint32_t kind, uint64_t start,
                           uint64_t end) {
  fsi_pkt_desc d;
  d.start = start;
  d.end = end;
  d.ts = pkt->ts;
  d.caplen = pkt->caplen;
  d.wirelen = pkt->wirelen;
  d.link_type = pkt->link_type;
  d.ifindex = pkt->ifindex;
  d.kind = kind;
  d.reserved0 = 0;
  publish(k, &d);
  k->fed_packets++;
  k->fed_bytes += pkt->caplen;
}

/* A packet in block @p block of the attached source: the descriptor points
 * at it where it is; the block's last user is noted for zc_reuse. */
static void feed_in_place(struct fs_workers *p, fsi_worker *k, const fs_packet_view *pkt,
                          uint32_t block) {
  uint64_t at = reserve(p, k, 0); /* a descriptor only: no slab bytes */
  publish_packet(k, pkt, FSI_DESC_PACKET_REF, (uint64_t)(uintptr_t)pkt->data, at);
  k->zc_last[block] = k->in_head_local;
  k->zc_packets++;
  maybe_poll(p);
}

/* What zc_reuse waits for: worker k past descriptor position need. */
typedef struct tail_wait {
  fsi_worker *k;
  uint64_t need;
} tail_wait;

static int tail_passed(struct fs_workers *p, void *arg) {
  (void)p;
  tail_wait *t = arg;
  return atomic_load_explicit(&t->k->in_tail, memory_order_acquire) >= t->need;
}

/* The attached source is about to overwrite @p block: returns once every
 * worker has processed every packet it was given from it. */
static void zc_reuse(void *ctx, uint32_t block) {
  struct fs_workers *p = ctx;
  if (block == FSI_POOL_GONE) {
    /* The reader closed (end of file, or libpcap takes over): its blocks
     * are unmapped, and memory mapped later at those addresses (libpcap's
     * copies) must be copied, not taken for the pool. */
    p->zc_src = NULL;
    p->zc_base = 0;
    p->zc_span = 0;
    return;
  }
  for (uint32_t i = 0; i < p->n; i++) {
    fsi_worker *k = p->w[i];
    uint64_t need = k->zc_last[block];
    if (need == 0)
      continue;
    flush_head(k); /* the worker must see them to finish them */
    tail_wait t = {k, need};
    while (!tail_passed(p, &t)) {
      k->ring_full_waits++; /* the blocks are this ring's bytes now */
      fs_workers_poll(p);
      feeder_sleep(p, tail_passed, &t);
    }
    k->zc_last[block] = 0;
  }
}

int fs_workers_attach_source(fs_workers *p, fs_source *src) {
  if (!p || !src)
    return FS_E_INVAL;
  if (p->finished || p->live_running || p->file_running || p->zc_src)
    return FS_E_STATE;
  const uint8_t *base = NULL;
  size_t block = 0;
  int rc = fsi_source_retain(src, FSI_ZC_BLOCKS, zc_reuse, p, &base, &block);
  if (rc != 0)
    return rc;
  p->zc_src = src;
  p->zc_base = (uintptr_t)base;
  p->zc_block = block;
  p->zc_span = block * FSI_ZC_BLOCKS;
  return 0;
}

int fs_workers_feed(fs_workers *p, const fs_packet_view *pkt) {
  if (!p || !pkt || !pkt->data)
    return FS_E_INVAL;
  if (p->finished || p->live_running || p->file_running)
    return FS_E_STATE;
  fsi_worker *k = p->w[p->n > 1 ? fs_workers_shard(p, pkt) : 0];
  uint32_t len = pkt->caplen;
  uintptr_t at_pool = (uintptr_t)pkt->data - p->zc_base;
  if (p->zc_src && (uintptr_t)pkt->data >= p->zc_base && at_pool < p->zc_span &&
      len <= p->zc_span - at_pool) {
    feed_in_place(p, k, pkt, (uint32_t)(at_pool / p->zc_block));
    return 0;
  }
  if ((uint64_t)len * 2 > k->slab_size) {
    k->oversize_dropped++;
    return 0;
  }
  uint64_t at = reserve(p, k, len);
  memcpy(k->slab + (at % k->slab_size), pkt->data, len);
  k->bytes_head = at + len;
  publish_packet(k, pkt, FSI_DESC_PACKET, at, at + len);
  maybe_poll(p);
  return 0;
}

static int all_done(struct fs_workers *p, void *arg) {
  (void)arg;
  for (uint32_t i = 0; i < p->n; i++)
    if (!atomic_load(&p->w[i]->done))
      return 0;
  return 1;
}

static int synced(struct fs_workers *p, void *arg) {
  (void)p;
  return atomic_load(&((fsi_worker *)arg)->synced);
}

int fs_workers_finish(fs_workers *p) {
  if (!p)
    return FS_E_INVAL;
  if (p->finished)
    return 0;
  atomic_store(&p->stop_live, 1);
  for (uint32_t i = 0; i < p->n; i++)
    fsi_live_break(p->w[i]);
  /* Phase 1: every worker reports the latest packet time its tracker saw.
   * Phase 2: all finish at the latest of those, the time a single tracker
   * fed every packet would have reached. */
  for (uint32_t i = 0; i < p->n; i++)
    send_control(p, p->w[i], FSI_DESC_SYNC, 0);
  fs_time_ns latest = 0;
  for (uint32_t i = 0; i < p->n; i++) {
    fsi_worker *k = p->w[i];
    while (!synced(p, k)) {
      fs_workers_poll(p);
      feeder_sleep(p, synced, k);
    }
    fs_time_ns t = atomic_load(&k->synced_ts);
    if (t > latest)
      latest = t;
  }
  for (uint32_t i = 0; i < p->n; i++)
    send_control(p, p->w[i], FSI_DESC_FINISH, latest);
  for (;;) {
    fs_workers_poll(p);
    if (all_done(p, NULL) && !events_pending(p))
      break;
    feeder_sleep(p, all_done, NULL);
  }
  for (uint32_t i = 0; i < p->n; i++) {
    pthread_join(p->w[i]->thread, NULL);
    p->w[i]->started = 0;
    fsi_live_close(p->w[i]);
    close_file(p->w[i]);
  }
  fs_workers_poll(p);
  if (p->zc_src) { /* every packet is processed: the source may reuse its blocks freely */
    fsi_source_unhook(p->zc_src);
    p->zc_src = NULL;
  }
  p->finished = 1;
  p->live_running = 0;
  if (p->sink.ops && p->sink.ops->flush)
    p->sink.ops->flush(p->sink.self);
  return 0;
}

int fs_workers_start_live(fs_workers *p, const char *iface, const fs_source_config *src,
                          char *errbuf) {
  if (!p || !iface)
    return fail(errbuf, FS_E_INVAL, "no interface");
  if (p->finished || p->live_running || p->file_running)
    return fail(errbuf, FS_E_STATE, "capture already started or finished");
  static _Atomic uint32_t group_counter;
  uint32_t group =
      ((uint32_t)getpid() * 2654435761u + atomic_fetch_add(&group_counter, 1)) & 0xffff;
  for (uint32_t i = 0; i < p->n; i++) {
    int rc = fsi_live_open(p->w[i], iface, src, group, errbuf);
    if (rc != 0) {
      for (uint32_t j = 0; j <= i; j++)
        fsi_live_close(p->w[j]);
      return rc;
    }
  }
  atomic_store(&p->stop_live, 0);
  for (uint32_t i = 0; i < p->n; i++)
    send_control(p, p->w[i], FSI_DESC_LIVE, 0);
  p->live_running = 1;
  return 0;
}

int fs_workers_start_file(fs_workers *p, const char *path, const fs_source_config *src,
                          char *errbuf) {
  if (!p || !path)
    return fail(errbuf, FS_E_INVAL, "no capture file");
  if (p->finished || p->live_running)
    return fail(errbuf, FS_E_STATE, "capture already started or finished");
  if (strcmp(path, "-") == 0)
    return fail(errbuf, FS_E_INVAL, "standard input cannot be read by every worker");
  fs_source_config c;
  fs_source_config_default(&c);
  if (src)
    memcpy(&c, src, src->struct_size < sizeof c ? src->struct_size : sizeof c);
  int rc = 0;
  for (uint32_t i = 0; i < p->n && rc == 0; i++) {
    fsi_worker *k = p->w[i];
    rc = fs_source_open_file(&k->file, path, &c, errbuf);
    if (rc == 0) {
      fsi_shard *sh = calloc(1, sizeof *sh);
      if (!sh || fsi_shard_init(sh, &p->cfg) != 0) {
        free(sh);
        rc = fail(errbuf, FS_E_NOMEM, "out of memory");
      } else {
        k->shard = sh;
      }
    }
  }
  if (rc != 0) {
    for (uint32_t i = 0; i < p->n; i++)
      close_file(p->w[i]);
    return rc;
  }
  for (uint32_t i = 0; i < p->n; i++)
    send_control(p, p->w[i], FSI_DESC_FILE, 0);
  p->file_running = 1;
  return 0;
}

/* ---- creation and teardown ---- */

/* Rings and queues: zeroed anonymous memory advised for transparent huge
 * pages (they fault in 2 MiB at a time here) and touched now, not on the
 * packet path. */
static void *big_alloc(size_t n) {
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return NULL;
#ifdef MADV_HUGEPAGE
  madvise(p, n, MADV_HUGEPAGE);
#endif
  memset(p, 0, n);
  return p;
}

static void big_free(void *p, size_t n) {
  if (p)
    munmap(p, n);
}

static int pow2_ok(uint64_t v) { return v >= 2 && (v & (v - 1)) == 0; }

static void free_worker(fsi_worker *k) {
  if (!k)
    return;
  if (k->evq) {
    for (uint64_t i = 0; i <= k->ev_mask; i++)
      fs_message_free(k->evq[i].msg);
  }
  fsi_wengine_destroy(k);
  fsi_live_close(k);
  close_file(k);
  big_free(k->descs, k->descs_bytes);
  big_free(k->slab, k->slab_size);
  big_free(k->evq, k->evq_bytes);
  pthread_mutex_destroy(&k->mu);
  pthread_cond_destroy(&k->cv);
  free(k);
}

static void pin(fsi_worker *k) {
#if defined(__linux__)
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (ncpu > 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((int)(k->index % (uint32_t)ncpu), &set);
    pthread_setaffinity_np(k->thread, sizeof set, &set);
  }
#else
  (void)k;
#endif
}

int fs_workers_create(fs_workers **out, const fs_workers_config *cfg, char *errbuf) {
  if (!out || !cfg)
    return fail(errbuf, FS_E_INVAL, "no configuration");
  *out = NULL;
  fs_workers_config c;
  fs_workers_config_default(&c);
  memcpy(&c, cfg, cfg->struct_size < sizeof c ? cfg->struct_size : sizeof c);
  c.struct_size = sizeof c;
  if (c.n_workers < 1 || c.n_workers > MAX_WORKERS)
    return fail(errbuf, FS_E_INVAL, "n_workers must be 1..64");
  if (!pow2_ok(c.ring_packets) || !pow2_ok(c.event_queue))
    return fail(errbuf, FS_E_INVAL, "ring_packets and event_queue must be powers of two");
  if (c.ring_bytes < 65536)
    return fail(errbuf, FS_E_INVAL, "ring_bytes must be at least 64 KiB");
  if (c.shard > FS_SHARD_CUSTOM || (c.shard == FS_SHARD_CUSTOM && !c.shard_fn))
    return fail(errbuf, FS_E_INVAL, "bad shard mode (custom needs shard_fn)");
  for (uint32_t i = 0; c.worker_sinks && i < c.n_workers; i++)
    if (!c.worker_sinks[i].ops || !c.worker_sinks[i].ops->on_event)
      return fail(errbuf, FS_E_INVAL, "every worker sink needs on_event");
  struct fs_workers *p = calloc(1, sizeof *p);
  if (!p)
    return fail(errbuf, FS_E_NOMEM, "out of memory");
  p->cfg = c;
  p->n = c.n_workers;
  p->sink = c.driver.sink;
  p->cfg.worker_sinks = NULL; /* copied into the workers below; the caller's array may go */
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  int rc = fsi_shard_init(&p->shard, &c);
  if (rc != 0)
    rc = fail(errbuf, rc, "out of memory");
  for (uint32_t i = 0; i < p->n && rc == 0; i++) {
    fsi_worker *k = NULL;
    if (posix_memalign((void **)&k, FSI_CACHELINE, sizeof *k) != 0) {
      rc = fail(errbuf, FS_E_NOMEM, "out of memory");
      break;
    }
    memset(k, 0, sizeof *k);
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cv, NULL);
    p->w[i] = k;
    k->index = i;
    k->pool = p;
    k->desc_mask = c.ring_packets - 1;
    k->ev_mask = c.event_queue - 1;
    k->slab_size = c.ring_bytes;
    k->descs_bytes = (size_t)c.ring_packets * sizeof *k->descs;
    if (c.worker_sinks)
      k->direct = c.worker_sinks[i];
    /* With its own sink a worker queues no events: no queue. */
    k->evq_bytes = k->direct.ops ? 0 : (size_t)c.event_queue * sizeof *k->evq;
    k->descs = big_alloc(k->descs_bytes);
    k->slab = big_alloc(c.ring_bytes);
    k->evq = k->evq_bytes ? big_alloc(k->evq_bytes) : NULL;
    if (!k->descs || !k->slab || (k->evq_bytes && !k->evq)) {
      rc = fail(errbuf, FS_E_NOMEM, "out of memory for rings");
      break;
    }

    fs_event_sink ws = {k->direct.ops ? &k_direct_sink_ops : &k_worker_sink_ops, k};
    rc = fsi_wengine_create(k, &c.driver, c.lean && c.driver.mode == FS_DRIVE_FLOWS, ws, errbuf);
  }
  for (uint32_t i = 0; i < p->n && rc == 0; i++) {
    if (pthread_create(&p->w[i]->thread, NULL, worker_main, p->w[i]) != 0) {
      rc = fail(errbuf, FS_E_NOMEM, "cannot start a worker thread");
      break;
    }
    p->w[i]->started = 1;
    if (c.pin_cpus)
      pin(p->w[i]);
  }
  if (rc != 0) {
    fs_workers_destroy(p);
    return rc;
  }
  *out = p;
  return 0;
}

void fs_workers_destroy(fs_workers *p) {
  if (!p)
    return;
  int any = 0;
  for (uint32_t i = 0; i < p->n; i++)
    any |= p->w[i] && p->w[i]->started;
  if (any && !p->finished) {
    /* Threads are running: finish them, but deliver nothing more. */
    p->sink.ops = NULL;
    atomic_store(&p->mute, 1);
    fs_workers_finish(p);
  }
  for (uint32_t i = 0; i < p->n; i++)
    free_worker(p->w[i]);
  fsi_shard_free(&p->shard);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  free(p);
}

uint32_t fs_workers_count(const fs_workers *p) { return p ? p->n : 0; }

int fs_workers_stats(const fs_workers *p, uint32_t i, fs_worker_stats *out) {
  if (!p || !out || i >= p->n)
    return FS_E_INVAL;
  const fsi_worker *k = p->w[i];
  memset(out, 0, sizeof *out);
  out->struct_size = sizeof *out;
  out->packets = k->fed_packets + atomic_load_explicit(&k->file_packets, memory_order_relaxed);
  out->bytes = k->fed_bytes + atomic_load_explicit(&k->file_bytes, memory_order_relaxed);
  out->ring_full_waits = k->ring_full_waits;
  out->queue_full_waits = atomic_load_explicit(&k->queue_full_waits, memory_order_relaxed);
  out->events = k->events_delivered + atomic_load_explicit(&k->direct_events, memory_order_relaxed);
  out->messages_dropped = atomic_load_explicit(&k->messages_dropped, memory_order_relaxed);
  out->oversize_dropped = k->oversize_dropped;
  out->live_packets = atomic_load_explicit(&k->live_packets, memory_order_relaxed);
  out->live_kernel_dropped = atomic_load_explicit(&k->live_kernel_dropped, memory_order_relaxed);
  out->cpu_ns = atomic_load_explicit(&k->cpu_ns, memory_order_relaxed);
  out->packets_in_place = k->zc_packets;
  return 0;
}

int fs_workers_driver_counters(const fs_workers *p, uint32_t i, fs_driver_counters *out) {
  if (!p || !out || i >= p->n)
    return FS_E_INVAL;
  if (!p->finished)
    return FS_E_STATE;
  fs_driver_counters c;
  memset(&c, 0, sizeof c);
  c.struct_size = sizeof c;
  fsi_wengine_counters(p->w[i], &c);
  fsi_sized_out(out, &c, sizeof c);
  return 0;
}

int fs_workers_tracker_counters(const fs_workers *p, uint32_t i, fs_tracker_counters *out) {
  if (!p || !out || i >= p->n)
    return FS_E_INVAL;
  if (!p->finished)
    return FS_E_STATE;
  fs_tracker_counters_get(fsi_wengine_tracker(p->w[i]), out);
  return 0;
}

const fs_extract_result *fs_workers_current_extract(const fs_workers *p) {
  if (tl_extract)
    return tl_extract; /* inside a worker's own sink, on its thread */
  if (!p || !p->delivering || !p->delivering->has_xres)
    return NULL;
  return &p->delivering->xres;
}
