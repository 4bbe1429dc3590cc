/* SPDX-License-Identifier: MIT */
/* A worker's engine: fs_driver, or extractor + tracker (+ dedup) in lean
 * flows mode. In lean mode the extraction of the packet being tracked is
 * kept in the worker, so a FLOW_STARTED event can carry it to the host. */
#include <stdint.h>
#include <string.h>

#include "extract/extract_ahead.h"
#include "workers/wengine.h"

int fsi_wengine_create(fsi_worker *k, const fs_driver_config *dc, int lean, fs_event_sink sink,
                       char *errbuf) {
  if (!lean) {
    fs_driver_config c = *dc;
    c.sink = sink;
    return fs_driver_create(&k->driver, &c, errbuf);
  }
  k->lean = 1;
  int rc = fs_extractor_create(&k->ex, &dc->extract, errbuf);
  if (rc != 0)
    return rc;
  k->have_ex = 1;
  fs_tracker_config tc = dc->tracker;
  tc.sink = sink;
  rc = fs_tracker_create(&k->tracker, &tc, errbuf);
  if (rc == 0 && dc->dedup)
    rc = fs_dedup_create(&k->dedup, 65536, dc->dedup_window ? dc->dedup_window : 1000000u, 0x5eed);
  return rc;
}

void fsi_wengine_feed(fsi_worker *k, const fs_packet_view *v) {
  if (!k->lean) {
    fs_driver_feed(k->driver, v);
    return;
  }
  k->lctr.packets++;
  k->lctr.bytes += v->caplen;
  if (k->dedup && fs_dedup_check(k->dedup, v)) {
    k->lctr.skipped[FS_SKIP_DUPLICATE]++;
    return;
  }
  memset(&k->res, 0, sizeof k->res);
  k->res.struct_size = sizeof k->res;
  int rc = k->ex.ops->extract(k->ex.self, v, &k->res);
  if (rc > 0) {
    k->lctr.skipped[rc < 32 ? rc : FS_SKIP_MALFORMED]++;
    return;
  }
  if (rc < 0)
    return;
  k->in_track = 1;
  if (fs_tracker_track(k->tracker, v, &k->res, NULL) == 0)
    k->lctr.packets_in_flows++;
  k->in_track = 0;
}

void fsi_wengine_feed_batch(fsi_worker *k, const fs_packet_view *v, uint32_t n) {
  if (!k->lean) {
    fs_driver_feed_batch(k->driver, v, n);
    return;
  }
  /* Extract every packet (skips are counted now, in order: they touch no
   * flow), then track the extracted ones in one batch. */
  uint32_t m = 0;
  for (uint32_t i = 0; i < n; i++) {
    k->lctr.packets++;
    k->lctr.bytes += v[i].caplen;
    if (k->dedup && fs_dedup_check(k->dedup, &v[i])) {
      k->lctr.skipped[FS_SKIP_DUPLICATE]++;
      continue;
    }
    fs_extract_result *r = &k->bres[m];
    memset(r, 0, sizeof *r);
    r->struct_size = sizeof *r;
    int rc = k->ex.ops->extract(k->ex.self, &v[i], r);
    if (rc > 0) {
      k->lctr.skipped[rc < 32 ? rc : FS_SKIP_MALFORMED]++;
      continue;
    }
    if (rc < 0)
      continue;
    k->bview[m++] = v[i];
    if (!fsi_extract_inside_packet(&v[i], r)) {
      /* Points into the defragmenter's buffer, which the next extraction
       * reuses: track what is extracted so far first. */
      k->in_batch = 1;
      if (fs_tracker_track_batch(k->tracker, k->bview, k->bres, m) == 0)
        k->lctr.packets_in_flows += m;
      k->in_batch = 0;
      m = 0;
    }
  }
  k->in_batch = 1;
  if (m && fs_tracker_track_batch(k->tracker, k->bview, k->bres, m) == 0)
    k->lctr.packets_in_flows += m;
  k->in_batch = 0;
}

const fs_extract_result *fsi_wengine_current(const fsi_worker *k, const fs_packet_view *pkt) {
  if (k->in_track)
    return &k->res;
  if (k->in_batch && pkt) { /* integer compare: pkt may point anywhere */
    uintptr_t p = (uintptr_t)pkt, q = (uintptr_t)k->bview;
    if (p >= q && p < q + sizeof k->bview)
      return &k->bres[(p - q) / sizeof k->bview[0]];
  }
  return NULL;
}

void fsi_wengine_advance(fsi_worker *k, fs_time_ns now) {
  if (!k->lean) {
    fs_driver_advance(k->driver, now);
    return;
  }
  if (k->ex.ops && k->ex.ops->tick)
    k->ex.ops->tick(k->ex.self, now);
  fs_tracker_advance(k->tracker, now);
}

void fsi_wengine_finish(fsi_worker *k, fs_time_ns catch_up) {
  if (catch_up)
    fs_tracker_advance(fsi_wengine_tracker(k), catch_up);
  if (!k->lean)
    fs_driver_finish(k->driver);
  else
    fs_tracker_flush(k->tracker);
}

fs_tracker *fsi_wengine_tracker(const fsi_worker *k) {
  return k->lean ? k->tracker : fs_driver_tracker(k->driver);
}

void fsi_wengine_counters(const fsi_worker *k, fs_driver_counters *out) {
  if (!k->lean) {
    fs_driver_counters_get(k->driver, out);
    return;
  }
  *out = k->lctr;
  out->struct_size = sizeof *out;
  fs_extract_counters xc;
  memset(&xc, 0, sizeof xc);
  xc.struct_size = sizeof xc;
  if (k->have_ex && fs_extractor_counters(&k->ex, &xc) == 0)
    for (int i = 0; i < 32; i++)
      if (xc.skipped[i] > out->skipped[i])
        out->skipped[i] = xc.skipped[i];
}

void fsi_wengine_destroy(fsi_worker *k) {
  if (k->driver)
    fs_driver_destroy(k->driver);
  k->driver = NULL;
  if (k->tracker)
    fs_tracker_destroy(k->tracker);
  k->tracker = NULL;
  fs_dedup_destroy(k->dedup);
  k->dedup = NULL;
  if (k->have_ex)
    fs_extractor_destroy(&k->ex);
  k->have_ex = 0;
}
