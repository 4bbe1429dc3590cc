/* SPDX-License-Identifier: MIT */
/**
 * @file reasm.h
 * The built-in TCP reassembler for one direction of one stream. Usable on
 * its own (without a tracker) through the fs_reassembler vtable.
 */
#ifndef FLOWSCOPE_REASM_H
#define FLOWSCOPE_REASM_H

#include "flowscope/core.h"

FS_BEGIN_DECLS

/** What to do when buffered bytes would exceed the cap. */
typedef enum fs_overflow_policy {
  FS_OVERFLOW_SLIDING_WINDOW =
      0,                    /**< drop the oldest held bytes; the parser sees a gap (default) */
  FS_OVERFLOW_DROP_FLOW = 1 /**< poison: the driver ends the flow with buffer_overflow */
} fs_overflow_policy;

/** Reassembly limits. Start from fs_reasm_config_default(). */
typedef struct fs_reasm_config {
  uint32_t struct_size;     /**< sizeof(fs_reasm_config) */
  uint32_t overflow_policy; /**< fs_overflow_policy */
  uint64_t max_buffer;      /**< bytes held per stream (default 1 MiB) */
  uint32_t max_segments;    /**< out-of-order segments held per stream (default 1024) */
  uint32_t reserved0;       /**< zero */
  fs_time_ns gap_timeout;   /**< skip a hole after this long (default 10 s) */
} fs_reasm_config;

/** Fills @p cfg with defaults. */
FS_API void fs_reasm_config_default(fs_reasm_config *cfg);

/**
 * Creates a reassembler for one stream delivering to @p sink. The stream
 * starts at the SYN passed to segment() (its sequence number + 1), or at the
 * first segment carrying data or FIN (mid-stream pickup). @p cfg may be NULL
 * (defaults). Policy and counters: docs/reassembly.md.
 */
FS_API int fs_reasm_create(fs_reassembler *out, const fs_reasm_config *cfg,
                           const fs_stream_sink *sink, char *errbuf);

/** Destroys a reassembler made by any factory (calls its ops->destroy). */
FS_API void fs_reasm_destroy(fs_reassembler *r);

FS_END_DECLS

#endif /* FLOWSCOPE_REASM_H */
