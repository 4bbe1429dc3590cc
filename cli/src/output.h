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
 * Opens the output for @p o. @p flush_each writes every record through
 * at once. On failure prints one line and returns an FSI_EXIT_* code.
 */
int fsi_output_open(fsi_output **out, const fsi_opts *o, int flush_each);

/** Writes the record of an ended flow. */
void fsi_output_flow(fsi_output *out, const fsi_flowinfo *fi);

/** Writes the record of an application message (ignored by CSV). */
void fsi_output_message(fsi_output *out, const fsi_flowinfo *fi, const fs_message *msg,
                        fs_time_ns ts);

/** Visits the record counts per _path (for --stats). */
void fsi_output_counts(const fsi_output *out, void (*fn)(void *ctx, const char *path, uint64_t n),
                       void *ctx);

/** Records not written: messages with CSV, and records with no file or memory for them. */
uint64_t fsi_output_skipped(const fsi_output *out);

/** Flushes and closes everything; returns FSI_EXIT_OK or FSI_EXIT_ERROR after a write error. */
int fsi_output_close(fsi_output *out);

#endif /* FLOWSCOPE_CLI_OUTPUT_H */
