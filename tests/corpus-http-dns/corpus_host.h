/* SPDX-License-Identifier: MIT */
/* A small stand-in host for the corpus test while it runs without the
 * session driver: reads a capture with fs_source, keys packets with the
 * built-in extractor, reassembles TCP with fs_reasm and hands the bytes to
 * the http or dns plugin (loaded from the build's .so) as the driver would:
 * unconsumed bytes kept, gaps reported, finish at the end. Detection: the
 * protocols' port hints, and for HTTP also the probe on the first bytes. */
#ifndef FS_TEST_CORPUS_HOST_H
#define FS_TEST_CORPUS_HOST_H

#include "flowscope/flowscope.h"

/* Runs @p path; every message goes to @p emit(ctx, msg). @p split > 0 feeds
 * stream bytes in pieces of 1..3 bytes (a pattern seeded by split).
 * Returns 0, or -1 when the capture cannot be read. */
int ch_run(const char *path, const fs_protocol_desc *http, const fs_protocol_desc *dns,
           unsigned split, void (*emit)(void *ctx, const fs_message *m), void *ctx);

#endif
