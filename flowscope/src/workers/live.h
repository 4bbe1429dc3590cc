/* SPDX-License-Identifier: MIT */
/* Kernel-sharded live capture for the workers: one libpcap handle per
 * worker in one AF_PACKET fanout group (Linux). */
#ifndef FSI_WORKERS_LIVE_H
#define FSI_WORKERS_LIVE_H

#include "workers/rings.h"

/* Opens @p iface for worker @p k and joins fanout group @p group
 * (PACKET_FANOUT_HASH with defragmentation). FS_E_UNSUPPORTED off Linux. */
int fsi_live_open(fsi_worker *k, const char *iface, const fs_source_config *src, uint32_t group,
                  char *errbuf);

/* Reads the worker's handle and feeds its driver until *stop is set or the
 * handle fails; advances the driver's time on read timeouts and every second. */
void fsi_live_loop(fsi_worker *k, _Atomic int *stop);

/* Makes a blocked read return soon (any thread). */
void fsi_live_break(fsi_worker *k);

/* Closes the handle, if any. */
void fsi_live_close(fsi_worker *k);

#endif /* FSI_WORKERS_LIVE_H */
