/* SPDX-License-Identifier: MIT */
/* flowscope-plugin-check: declarations shared by its source files. */
#ifndef FLOWSCOPE_PLUGIN_SDK_CHECK_H
#define FLOWSCOPE_PLUGIN_SDK_CHECK_H

#include <stdio.h>

#include "flowscope/flowscope.h"

/** Most --allow-needed entries. */
#define CHK_MAX_ALLOW 16
/** Room for texts shared between the child and the parent. */
#define CHK_TEXT 2048

/** Command-line options. */
typedef struct chk_opts {
  const char *plugin;         /* PLUGIN.so path, or a plugin name to find on the search path */
  const char *capture;        /* capture file */
  const char *parser_options; /* --options: fs_driver_config.parser_options */
  const char *allow[CHK_MAX_ALLOW]; /* --allow-needed: extra DT_NEEDED sonames */
  int n_allow;
  int dump;            /* --dump: print the whole run's messages */
  int allow_empty;     /* --allow-empty: no message is not a failure */
  int no_fork;         /* --no-fork: run in-process (for debuggers) */
  unsigned timeout_s;  /* --timeout: per child, seconds */
  unsigned split_seed; /* --seed: split_seed of the split run */
} chk_opts;

/** What a child reports to the parent (lives in a shared mapping). */
typedef struct chk_shared {
  char phase[128];             /* what the child is doing now: named in "crashed in ..." */
  char path[CHK_TEXT];         /* the plugin file the registry loaded */
  char name[128];              /* the plugin's name */
  char message[CHK_TEXT];      /* why a child failed */
  char protocols[512];         /* protocol names, space-separated */
  unsigned long long messages; /* messages in the run */
  long long leak_bytes;        /* heap growth per repeated run (whole run only) */
} chk_shared;

/** A run of the plugin in a child process. */
typedef enum chk_job { CHK_JOB_LOAD = 0, CHK_JOB_WHOLE = 1, CHK_JOB_SPLIT = 2 } chk_job;

/** Child exit statuses. */
enum { CHK_CHILD_OK = 0, CHK_CHILD_FAIL = 3 };

/**
 * Runs job in a child process (or in-process with --no-fork) writing its
 * serialised events to out (may be NULL). Returns 0, or -1 with a
 * "crashed in ..." / failure text in msg.
 */
int fsi_chk_spawn(const chk_opts *o, chk_job job, chk_shared *sh, FILE *out, char *msg,
                  size_t msg_len);

/** The body of a job, run inside the child: 0 or CHK_CHILD_FAIL with sh->message set. */
int fsi_chk_job(const chk_opts *o, chk_job job, chk_shared *sh, FILE *out);

/** Sets the phase the child is in (shown when it crashes). */
void fsi_chk_phase(chk_shared *sh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Writes one event as a text line (messages and flow ends only); returns 1 if written. */
int fsi_chk_write_event(FILE *out, const fs_event *ev);

/**
 * Checks the ELF file at path: DT_NEEDED holds only libflowscope-core,
 * libc (and the loader), sanitizer runtimes and opts' --allow-needed
 * entries; the only exported symbol is fs_plugin_entry. Returns the
 * number of problems, each printed to report.
 */
int fsi_chk_elf(const char *path, const chk_opts *o, FILE *report);

#endif /* FLOWSCOPE_PLUGIN_SDK_CHECK_H */
