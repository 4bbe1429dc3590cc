/* SPDX-License-Identifier: MIT */
/**
 * @file stats.h
 * The --stats summary on stderr: packets, bytes, flows by end reason,
 * records per log, drops by reason (extractor skips, dedup, reassembly,
 * kernel and interface drops for live capture).
 */
#ifndef FLOWSCOPE_CLI_STATS_H
#define FLOWSCOPE_CLI_STATS_H

#include <stdio.h>

#include <flowscope/flowscope.h>

#include "engine.h"
#include "output.h"

/** Prints the summary to @p f. @p src and @p out may be NULL. */
void fsi_stats_print(FILE *f, fs_source *src, fsi_engine *e, const fsi_output *out);

#endif /* FLOWSCOPE_CLI_STATS_H */
