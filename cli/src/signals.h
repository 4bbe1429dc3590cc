/* SPDX-License-Identifier: MIT */
/**
 * @file signals.h
 * SIGINT/SIGTERM: stop reading (breaking a blocked live read), then the
 * caller flushes every live flow and exits cleanly.
 */
#ifndef FLOWSCOPE_CLI_SIGNALS_H
#define FLOWSCOPE_CLI_SIGNALS_H

#include <flowscope/source.h>

/** Installs the handlers; @p src (may be NULL) is broken out of blocking reads. */
void fsi_signals_install(fs_source *src);

/** Forgets the source (call before closing it). */
void fsi_signals_release(void);

/** The signal that asked to stop, or 0. */
int fsi_signals_stop_requested(void);

#endif /* FLOWSCOPE_CLI_SIGNALS_H */
