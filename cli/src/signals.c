/* SPDX-License-Identifier: MIT */
/* Signal handling: the handler only sets a flag and calls the source's
 * signal-safe break; everything else happens in the read loop. */
#include "signals.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_signal;
static fs_source *volatile break_src;

static void on_signal(int signo) {
  stop_signal = signo;
  fs_source *s = break_src;
  if (s)
    fs_source_break(s);
}

void fsi_signals_install(fs_source *src) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART: a blocked read returns */
  break_src = src;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

void fsi_signals_release(void) { break_src = NULL; }

int fsi_signals_stop_requested(void) { return (int)stop_signal; }
