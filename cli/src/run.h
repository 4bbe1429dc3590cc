/* SPDX-License-Identifier: MIT */
/**
 * @file run.h
 * `flows`, `sessions` and `replay`: source -> driver -> records.
 */
#ifndef FLOWSCOPE_CLI_RUN_H
#define FLOWSCOPE_CLI_RUN_H

#include "options.h"

/** Runs a capture command. Returns an FSI_EXIT_* code. */
int fsi_cmd_run(const fsi_opts *o);

#endif /* FLOWSCOPE_CLI_RUN_H */
