/* SPDX-License-Identifier: MIT */
/* The two bounded single-producer/single-consumer queues of a worker:
 * packets in (descriptors + a byte slab, feeder -> worker) and events out
 * (worker -> feeder). Indexes are monotonic 64-bit counters; each side
 * caches the other's index and re-reads it only when it looks full/empty. */
#ifndef FSI_WORKERS_RINGS_H
#define FSI_WORKERS_RINGS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "flowscope/workers.h"

/* What a descriptor carries. */
enum fsi_desc_kind {
  FSI_DESC_PACKET = 0,    /* a packet copied into the slab */
  FSI_DESC_TICK = 1,      /* fs_driver_advance(ts) */
  FSI_DESC_LIVE = 2,      /* read the worker's own live socket until stopped */
  FSI_DESC_FINISH = 3,    /* fs_driver_finish, then exit */
  FSI_DESC_FILE = 4,      /* read the whole file, keep this worker's shard */
  FSI_DESC_SYNC = 5,      /* report the latest packet time the tracker saw */
  FSI_DESC_PACKET_REF = 6 /* a packet left in an attached source's block: start is its address */
};

/* Blocks of an attached source (fs_workers_attach_source) kept in flight. */
#define FSI_ZC_BLOCKS 16u

/* One entry of the packet ring. */
typedef struct fsi_pkt_desc {
  uint64_t start; /* slab position of the data (monotonic; modulo slab size) */
  uint64_t end;   /* slab position after it: released when processed */
  fs_time_ns ts;
  uint32_t caplen, wirelen;
  uint32_t link_type, ifindex;
  uint32_t kind; /* enum fsi_desc_kind */
  uint32_t reserved0;
} fsi_pkt_desc;

/* Bytes of the packet kept with a FLOW_STARTED/PACKET event: enough for
 * every outer header (VLAN, MPLS, tunnels) a host may want to note. */
#define FSI_EV_PKT_HEAD 512

/* One queued event with owned copies of what it points to. */
typedef struct fsi_ev_entry {
  fs_event ev;
  fs_flow_key key;
  fs_flow_stats stats;
  fs_anomaly anomaly;
  fs_message *msg; /* fs_message_clone()d; freed after delivery */
  fs_packet_view pkt;
  uint8_t pkt_head[FSI_EV_PKT_HEAD];
  int has_xres;           /* lean mode FLOW_STARTED: xres is the starting packet's extraction */
  fs_extract_result xres; /* pointers into the packet cleared */
} fsi_ev_entry;

#define FSI_CACHELINE 64

/* A worker: its rings, its driver, its thread. Fields are grouped by the
 * thread that writes them, each group on its own cache line. */
/* Packets a worker hands to its engine at once (fetching memory ahead). */
#define FSI_WBATCH 32u

typedef struct fsi_worker {
  /* Written by the feeder. */
  _Alignas(FSI_CACHELINE) _Atomic uint64_t in_head; /* descriptors published */
  uint64_t in_head_local;                           /* descriptors written */
  uint64_t published_head;                          /* last value stored to in_head */
  uint64_t bytes_head;                              /* next free slab position */
  uint64_t seen_in_tail, seen_bytes_tail;           /* cached consumer positions */
  uint64_t ev_tail_local;                           /* events delivered (mirror of ev_tail) */
  uint64_t seen_ev_head;
  uint64_t fed_packets, fed_bytes, ring_full_waits, oversize_dropped, events_delivered;
  uint64_t zc_last[FSI_ZC_BLOCKS]; /* per source block: descriptors up to its last packet, 0 none */
  uint64_t zc_packets;             /* packets passed in place */

  /* Written by the worker. */
  _Alignas(FSI_CACHELINE) _Atomic uint64_t in_tail; /* descriptors processed */
  _Atomic uint64_t bytes_tail;                      /* slab released up to here */
  _Atomic int sleeping;                             /* waiting for input */
  _Atomic int done;                                 /* finished and exiting */
  _Atomic int synced;                               /* SYNC processed */
  _Atomic uint64_t synced_ts;                       /* its answer */
  fs_time_ns max_seen;    /* latest last_seen of any flow (worker-local) */
  uint64_t released_tail; /* last value stored to in_tail */
  uint64_t pending_end;   /* slab position after the last processed descriptor */
  uint64_t seen_in_head;
  uint64_t ev_head_local; /* mirror of ev_head */
  uint64_t seen_ev_tail;
  _Atomic uint64_t queue_full_waits, messages_dropped, live_packets, live_kernel_dropped;
  _Atomic uint64_t cpu_ns;                   /* thread CPU time, written when the thread exits */
  _Atomic uint64_t file_packets, file_bytes; /* file mode: packets of this worker's shard */
  _Atomic uint64_t direct_events;            /* events handed to the worker's own sink */

  _Alignas(FSI_CACHELINE) _Atomic uint64_t ev_head; /* events published (worker) */
  _Atomic int ev_waiting;                           /* worker waits for queue space */
  _Alignas(FSI_CACHELINE) _Atomic uint64_t ev_tail; /* events delivered (feeder) */

  /* Read-only after creation. */
  _Alignas(FSI_CACHELINE) fsi_pkt_desc *descs;
  uint64_t desc_mask;
  uint8_t *slab;
  uint64_t slab_size;
  fsi_ev_entry *evq;
  uint64_t ev_mask;
  size_t descs_bytes, evq_bytes; /* mapping sizes */
  uint32_t index;
  uint32_t started;
  struct fs_workers *pool;
  fs_event_sink direct; /* worker_sinks[index], or ops NULL: events are queued */
  fs_driver *driver;
  /* lean flows mode (wengine.c): extractor + tracker without a driver */
  int lean, have_ex, in_track;
  fs_extractor ex;
  fs_tracker *tracker;
  fs_dedup *dedup;
  fs_extract_result res; /* extraction of the packet being tracked */
  /* packets handed over together (their bytes stay in the slab until released) */
  fs_packet_view bpkt[FSI_WBATCH];
  uint32_t n_bpkt;
  fs_packet_view bview[FSI_WBATCH];   /* lean: views of the extracted packets */
  fs_extract_result bres[FSI_WBATCH]; /* lean: their extractions */
  uint32_t n_bres;
  int in_batch;            /* lean: bres describes the packets being tracked */
  fs_driver_counters lctr; /* counters in the driver's shape */
  void *live;              /* pcap_t * for fanout capture */
  struct fs_source *file;  /* own reader of the capture (self-sharding file mode) */
  void *shard;             /* fsi_shard * of the file mode (each reader has its own) */
  int file_rc;             /* last fs_source_next result in file mode */
  pthread_t thread;
  pthread_mutex_t mu; /* slow path only: sleeping on an empty/full ring */
  pthread_cond_t cv;
} fsi_worker;

#endif /* FSI_WORKERS_RINGS_H */
