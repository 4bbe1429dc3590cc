/* SPDX-License-Identifier: MIT */
/**
 * @file progress.h
 * The --progress line on stderr (only when stderr is a terminal): for files
 * the share read, bytes, packets/s and live flows; for interfaces packets,
 * kernel drops and live flows. Redrawn at most five times a second.
 */
#ifndef FLOWSCOPE_CLI_PROGRESS_H
#define FLOWSCOPE_CLI_PROGRESS_H

#include <flowscope/flowscope.h>

#include "engine.h"

/** Progress state. */
typedef struct fsi_progress {
  int enabled;        /**< drawing at all */
  int drawn;          /**< a line is on screen */
  uint64_t start_ns;  /**< monotonic start */
  uint64_t last_ns;   /**< last redraw */
  uint64_t last_pkts; /**< packets at the last redraw */
} fsi_progress;

/** Monotonic clock in nanoseconds. */
uint64_t fsi_mono_ns(void);

/** Wall clock in nanoseconds since the epoch. */
uint64_t fsi_wall_ns(void);

/** Starts; draws only when @p wanted and stderr is a terminal. */
void fsi_progress_init(fsi_progress *p, int wanted);

/** Redraws when due (or always when @p force). */
void fsi_progress_update(fsi_progress *p, fs_source *src, fsi_engine *e, int force);

/** Ends the line. */
void fsi_progress_done(fsi_progress *p);

#endif /* FLOWSCOPE_CLI_PROGRESS_H */
