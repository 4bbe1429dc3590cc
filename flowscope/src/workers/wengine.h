/* SPDX-License-Identifier: MIT */
/* What runs inside a worker: a driver, or (lean flows mode) extractor +
 * tracker alone, as a host's lean flows path does. */
#ifndef FSI_WORKERS_WENGINE_H
#define FSI_WORKERS_WENGINE_H

#include "workers/rings.h"

/* Creates the worker's engine; events go to @p sink. */
int fsi_wengine_create(fsi_worker *k, const fs_driver_config *dc, int lean, fs_event_sink sink,
                       char *errbuf);
/* Feeds one packet. */
void fsi_wengine_feed(fsi_worker *k, const fs_packet_view *v);
/* Feeds @p n packets in order, as @p n fsi_wengine_feed calls would; their
 * bytes must stay valid for the call. */
void fsi_wengine_feed_batch(fsi_worker *k, const fs_packet_view *v, uint32_t n);
/* Lean mode, while tracking: the extraction of the event packet @p pkt, or NULL. */
const fs_extract_result *fsi_wengine_current(const fsi_worker *k, const fs_packet_view *pkt);
/* Lets time pass. */
void fsi_wengine_advance(fsi_worker *k, fs_time_ns now);
/* Ends every flow, after moving the tracker to @p catch_up (0: no move). */
void fsi_wengine_finish(fsi_worker *k, fs_time_ns catch_up);
/* The worker's tracker (worker thread only, or after finish). */
fs_tracker *fsi_wengine_tracker(const fsi_worker *k);
/* Counters in the driver's shape. */
void fsi_wengine_counters(const fsi_worker *k, fs_driver_counters *out);
/* Frees the engine. */
void fsi_wengine_destroy(fsi_worker *k);

#endif /* FSI_WORKERS_WENGINE_H */
