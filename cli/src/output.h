/* SPDX-License-Identifier: MIT */
/**
 * @file output.h
 * Where records go: standard output, or one file per _path under --log-dir
 * (conn.log, http.log, ...), in the chosen format. Flushes record by record
 * when asked to (live capture, replay).
 */
#ifndef FLOWSCOPE_CLI_OUTPUT_H
#define FLOWSCOPE_CLI_OUTPUT_H

#include "options.h"
#include "records.h"

/** An output (opaque). */
typedef struct fsi_output fsi_output;

/**
 * A lane: where one thread builds its records before they go to the
 * output. Each thread that writes records (the main one, or every worker
 * with --workers) has its own, so records are formatted in parallel; a lane
 * hands its records over under the output's lock a batch at a time (256
 * KiB for one file, 64 KiB per log with one file per log), or one by one
 * when every record is flushed (live capture, replay). Records of one lane
 * keep their order.
 */
typedef struct fsi_lane fsi_lane;

/**
 * Opens the output for @p o. @p flush_each writes every record through
 * at once. On failure prints one line and returns an FSI_EXIT_* code.
 */
int fsi_output_open(fsi_output **out, const fsi_opts *o, int flush_each);

/** A new lane of @p out (owned by it); NULL when out of memory or past FSI_MAX_LANES. */
fsi_lane *fsi_output_lane(fsi_output *out);

/** Most lanes of one output: a main thread plus up to 64 workers. */
#define FSI_MAX_LANES 65

/** Writes the record of an ended flow. */
void fsi_lane_flow(fsi_lane *lane, const fsi_flowinfo *fi);

/** Writes the record of an application message (ignored by CSV). */
void fsi_lane_message(fsi_lane *lane, const fsi_flowinfo *fi, const fs_message *msg, fs_time_ns ts);

/**
 * Hands over the lane's last records and adds its counts to the output's.
 * Call once no thread writes to it any more, before fsi_output_counts();
 * fsi_output_close() closes the lanes still open.
 */
void fsi_lane_close(fsi_lane *lane);

/** Visits the record counts per _path (for --stats). */
void fsi_output_counts(const fsi_output *out, void (*fn)(void *ctx, const char *path, uint64_t n),
                       void *ctx);

/** Records not written: messages with CSV, and records with no file or memory for them. */
uint64_t fsi_output_skipped(const fsi_output *out);

/** Flushes and closes everything; returns FSI_EXIT_OK or FSI_EXIT_ERROR after a write error. */
int fsi_output_close(fsi_output *out);

#endif /* FLOWSCOPE_CLI_OUTPUT_H */
