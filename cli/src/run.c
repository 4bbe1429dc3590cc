/* SPDX-License-Identifier: MIT */
/* The capture loop shared by flows, sessions and replay. */
#include "run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flow_notes.h"
#include "engine.h"
#include "output.h"
#include "plugins.h"
#include "progress.h"
#include "records.h"
#include "signals.h"
#include "stats.h"

typedef struct run_ctx run_ctx;

/* What one thread that receives events keeps: the main thread, or each
 * worker with --workers (a flow's events all come from one worker). */
typedef struct run_lane {
  run_ctx *rc;
  fsi_lane *out;
  fsi_encap_map encaps; /* outer layers of this lane's live flows that had any */
  int have_encaps;
} run_lane;

struct run_ctx {
  const fsi_opts *o;
  fsi_engine *engine;
  fsi_output *out;
  int sessions; /* application records wanted */
  run_lane *lanes;
  uint32_t n_lanes;
};

/* Packets per fs_source_next_batch when reading a file. */
#define READ_BATCH 32u

/* The flow's first timestamp, for the uid of a message record. */
static fs_time_ns first_seen_of(run_ctx *rc, const fs_event *ev) {
  if (ev->stats && ev->stats->first_seen)
    return ev->stats->first_seen;
  fs_flow_stats st;
  memset(&st, 0, sizeof st);
  st.struct_size = sizeof st;
  fs_tracker *t = fsi_engine_tracker(rc->engine);
  if (t && fs_tracker_lookup(t, ev->key, &st) == 0 && st.first_seen)
    return st.first_seen;
  return ev->ts;
}

static void on_event(void *self, const fs_event *ev) {
  run_lane *lane = self;
  run_ctx *rc = lane->rc;
  switch (ev->type) {
  case FS_EV_FLOW_STARTED:
    if (ev->key)
      fsi_encap_map_note(&lane->encaps, ev->key, fsi_engine_current(rc->engine, ev->packet),
                         ev->packet);
    break;
  case FS_EV_FLOW_ENDED: {
    if (!ev->key || !ev->stats)
      return;
    fsi_flowinfo fi;
    fsi_flowinfo_init(&fi, ev->key, ev->orientation, ev->stats, ev->stats->first_seen,
                      rc->o->uid_seed);
    fsi_encap encap;
    if (fsi_encap_map_take(&lane->encaps, ev->key, &encap))
      fi.encap = &encap;
    fsi_lane_flow(lane->out, &fi);
    break;
  }
  case FS_EV_MESSAGE: {
    if (!rc->sessions || !ev->key || !ev->message)
      return;
    /* The driver's events carry the flow's current orientation. */
    fsi_flowinfo fi;
    fsi_flowinfo_init(&fi, ev->key, ev->orientation, ev->stats, first_seen_of(rc, ev),
                      rc->o->uid_seed);
    fs_time_ns ts = ev->message->ts ? ev->message->ts : ev->ts;
    fsi_lane_message(lane->out, &fi, ev->message, ts);
    break;
  }
  default: break; /* other and future event types are not records */
  }
}

static void on_flush(void *self) { (void)self; }

static const fs_event_sink_ops sink_ops = {
    .struct_size = sizeof(fs_event_sink_ops), .on_event = on_event, .flush = on_flush};

/* The library's messages start with "NAME: "; ours name it once. */
static const char *without_name(const char *msg, const char *name) {
  size_t n = name ? strlen(name) : 0;
  if (msg && n && !strncmp(msg, name, n) && msg[n] == ':' && msg[n + 1] == ' ')
    return msg + n + 2;
  return msg;
}

static int open_source(const fsi_opts *o, fs_source **src) {
  fs_source_config sc;
  fs_source_config_default(&sc);
  sc.filter = o->filter;
  sc.libpcap_read = o->libpcap_read;
  if (o->snaplen)
    sc.snaplen = o->snaplen;
  sc.promisc = o->promisc ? 1u : 0u;
  if (o->buffer_size)
    sc.buffer_size = o->buffer_size;
  char errbuf[FS_ERRBUF_SIZE] = "";
  int rc;
  const char *name = o->iface ? o->iface : o->capture;
  if (o->iface) {
    rc = fs_source_open_live(src, o->iface, &sc, errbuf);
  } else {
    /* Name the usual causes ourselves: libpcap's wording varies by version. */
    if (strcmp(o->capture, "-") != 0 && access(o->capture, R_OK) != 0) {
      fsi_error("%s: cannot open capture: %s", o->capture, strerror(errno));
      return FSI_EXIT_ERROR;
    }
    rc = fs_source_open_file(src, o->capture, &sc, errbuf);
  }
  if (rc == 0)
    return FSI_EXIT_OK;
  const char *what = o->iface ? "cannot capture on interface" : "cannot read capture";
  if (rc == FS_E_FILTER) {
    fsi_error("bad --filter '%s' for %s: %s", o->filter ? o->filter : "", name,
              errbuf[0] ? errbuf : fs_strerror(rc));
    return FSI_EXIT_USAGE;
  }
  if (strcmp(name, "-") == 0)
    name = "standard input";
  fsi_error("%s: %s: %s", name, what,
            errbuf[0] ? without_name(errbuf, o->iface ? o->iface : o->capture) : fs_strerror(rc));
  return FSI_EXIT_ERROR;
}

/* Replay pacing: sleeps until packet time @p ts is due at speed @p speed. */
typedef struct pacer {
  int started;
  fs_time_ns t0;
  uint64_t w0;
} pacer;

static void pace(pacer *p, double speed, fs_time_ns ts) {
  if (speed <= 0)
    return;
  uint64_t now = fsi_mono_ns();
  if (!p->started || ts < p->t0) {
    p->started = 1;
    p->t0 = ts;
    p->w0 = now;
    return;
  }
  uint64_t due = p->w0 + (uint64_t)((double)(ts - p->t0) / speed);
  while (now < due && !fsi_signals_stop_requested()) {
    uint64_t wait = due - now;
    if (wait > 200000000u)
      wait = 200000000u; /* wake up to notice signals */
    struct timespec req = {.tv_sec = (time_t)(wait / FS_NS_PER_SEC),
                           .tv_nsec = (long)(wait % FS_NS_PER_SEC)};
    nanosleep(&req, NULL);
    now = fsi_mono_ns();
  }
}

/* Frees what fsi_cmd_run set up (any of it may be missing); returns @p status. */
static int run_cleanup(run_ctx *rc, fs_source *src, fs_registry *reg, int status) {
  if (rc->out && fsi_output_close(rc->out) != FSI_EXIT_OK && status == FSI_EXIT_OK)
    status = FSI_EXIT_ERROR;
  for (uint32_t i = 0; rc->lanes && i < rc->n_lanes; i++)
    if (rc->lanes[i].have_encaps)
      fsi_encap_map_free(&rc->lanes[i].encaps);
  free(rc->lanes);
  fsi_engine_destroy(rc->engine);
  fs_source_close(src);
  fs_registry_destroy(reg);
  return status;
}

int fsi_cmd_run(const fsi_opts *o) {
  int live = o->iface != NULL;
  int replay = o->command == FSI_CMD_REPLAY;
  run_ctx rc;
  memset(&rc, 0, sizeof rc);
  rc.o = o;
  rc.sessions = o->command != FSI_CMD_FLOWS;

  fs_registry *reg = NULL;
  int status = FSI_EXIT_OK;
  if (rc.sessions) {
    status = fsi_plugins_load(o, 1, &reg);
    if (status != FSI_EXIT_OK)
      return status;
  }
  fs_source *src = NULL;
  status = open_source(o, &src);
  if (status != FSI_EXIT_OK) {
    fs_registry_destroy(reg);
    return status;
  }

  /* One lane for the main thread, or one per worker. */
  rc.n_lanes = o->workers > 1 ? o->workers : 1;
  rc.lanes = calloc(rc.n_lanes, sizeof *rc.lanes);
  fs_event_sink *sinks = calloc(rc.n_lanes, sizeof *sinks);
  if (!rc.lanes || !sinks) {
    fsi_error("out of memory");
    free(sinks);
    return run_cleanup(&rc, src, reg, FSI_EXIT_ERROR);
  }
  for (uint32_t i = 0; i < rc.n_lanes; i++) {
    rc.lanes[i].rc = &rc;
    sinks[i] = (fs_event_sink){&sink_ops, &rc.lanes[i]};
  }
  char errbuf[FS_ERRBUF_SIZE] = "";
  int lrc = fsi_engine_create(&rc.engine, o, rc.sessions, reg, sinks[0],
                              rc.n_lanes > 1 ? sinks : NULL, errbuf);
  free(sinks); /* the workers keep copies */
  if (lrc != 0) {
    fsi_error("cannot set up the flow engine: %s", errbuf[0] ? errbuf : fs_strerror(lrc));
    return run_cleanup(&rc, src, reg, lrc == FS_E_INVAL ? FSI_EXIT_USAGE : FSI_EXIT_ERROR);
  }
  if (!live && !replay)
    fsi_engine_attach_source(rc.engine, src); /* workers read the file's blocks in place */
  status = fsi_output_open(&rc.out, o, live || replay);
  if (status != FSI_EXIT_OK)
    return run_cleanup(&rc, src, reg, status);
  /* Each worker holds its share of the flows, so each lane remembers as many. */
  uint32_t bound = fsi_engine_max_flows(rc.engine) / rc.n_lanes;
  for (uint32_t i = 0; i < rc.n_lanes; i++) {
    run_lane *l = &rc.lanes[i];
    l->out = fsi_output_lane(rc.out);
    l->have_encaps = l->out && fsi_encap_map_init(&l->encaps, bound) == 0;
    if (!l->have_encaps) {
      fsi_error("out of memory");
      return run_cleanup(&rc, src, reg, FSI_EXIT_ERROR);
    }
  }

  fsi_signals_install(src);
  fsi_progress progress;
  fsi_progress_init(&progress, o->progress);
  pacer pc = {0, 0, 0};
  /* Files are read in batches that stay valid while the engine works on
   * them; live capture and replay take one packet at a time. */
  fs_packet_view pkts[READ_BATCH];
  memset(pkts, 0, sizeof pkts);
  for (size_t j = 0; j < READ_BATCH; j++)
    pkts[j].struct_size = sizeof pkts[j];
  size_t batch = live || replay ? 1 : READ_BATCH;
  int damaged = 0, failed = 0;
  char damage[FS_ERRBUF_SIZE + 64] = "";
  uint64_t n = 0;
  for (;;) {
    if (fsi_signals_stop_requested())
      break;
    int r = fs_source_next_batch(src, pkts, batch); /* fills every field it returns */
    if (r >= 1) {
      if (replay)
        pace(&pc, o->speed, pkts[0].ts);
      int fr = fsi_engine_feed_batch(rc.engine, pkts, (size_t)r);
      if (fr < 0) {
        fsi_error("%s: packets %llu to %llu: %s", live ? o->iface : o->capture,
                  (unsigned long long)(n + 1), (unsigned long long)(n + (uint64_t)r),
                  fs_strerror(fr));
        failed = 1;
        break;
      }
      if (((n + (uint64_t)r) >> 10) != (n >> 10))
        fsi_progress_update(&progress, src, rc.engine, 0);
      n += (uint64_t)r;
      continue;
    }
    if (r == 0) { /* live read timeout: let time pass for idle flows */
      fsi_engine_advance(rc.engine, fsi_wall_ns());
      fsi_progress_update(&progress, src, rc.engine, 0);
      continue;
    }
    /* A stop signal interrupts a blocked read (no SA_RESTART): that is a
     * clean stop, not damage in the capture. */
    if (r == FS_E_EOF || fsi_signals_stop_requested())
      break;
    const char *why = without_name(fs_source_error(src), live ? o->iface : o->capture);
    /* Reading a file, any read error is damage in the file (a cut record,
     * an impossible record length): what came before it stands. */
    if (r == FS_E_TRUNCATED || r == FS_E_FORMAT || (!live && r == FS_E_IO)) {
      damaged = 1;
      snprintf(damage, sizeof damage, "%s after %llu packets%s%s",
               r == FS_E_TRUNCATED ? "capture truncated" : "capture damaged", (unsigned long long)n,
               why && why[0] ? ": " : "", why ? why : "");
    } else {
      fsi_error("%s: read failed after %llu packets: %s",
                live ? o->iface : (strcmp(o->capture, "-") ? o->capture : "standard input"),
                (unsigned long long)n, why && why[0] ? why : fs_strerror(r));
      failed = 1;
    }
    break;
  }
  fsi_signals_release();
  /* End of input (or a stop): every live flow ends with a record. */
  fsi_engine_finish(rc.engine);
  for (uint32_t i = 0; i < rc.n_lanes; i++)
    fsi_lane_close(rc.lanes[i].out); /* the workers are done: counts are final */
  fsi_progress_update(&progress, src, rc.engine, 1);
  fsi_progress_done(&progress);
  if (o->stats)
    fsi_stats_print(stderr, src, rc.engine, rc.out);
  status = fsi_output_close(rc.out);
  rc.out = NULL;
  const char *name = live ? o->iface : (strcmp(o->capture, "-") ? o->capture : "standard input");
  if (damaged) {
    if (o->allow_truncated) {
      fsi_warn("%s: %s (--allow-truncated)", name, damage);
    } else {
      fsi_error("%s: %s; records up to the damage were written (use --allow-truncated to accept)",
                name, damage);
      if (status == FSI_EXIT_OK)
        status = FSI_EXIT_TRUNCATED;
    }
  }
  if (failed && status == FSI_EXIT_OK)
    status = FSI_EXIT_ERROR;
  int sig = fsi_signals_stop_requested();
  if (sig && !live && status == FSI_EXIT_OK) {
    fsi_warn("%s: interrupted after %llu packets; flows so far were flushed", name,
             (unsigned long long)n);
    status = FSI_EXIT_INTERRUPTED;
  }
  return run_cleanup(&rc, src, reg, status);
}
