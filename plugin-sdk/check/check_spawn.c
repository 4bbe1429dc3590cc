/* SPDX-License-Identifier: MIT */
/*
 * Runs each job in a child process, so a crashing or hanging plugin is
 * reported ("crashed in <phase>") instead of taking the checker down.
 * The child says what it is doing in a shared page; the parent reads it
 * after the child dies.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

int fsi_chk_spawn(const chk_opts *o, chk_job job, chk_shared *sh, FILE *out, char *msg,
                  size_t msg_len) {
  sh->phase[0] = '\0';
  sh->message[0] = '\0';
  if (o->no_fork) {
    int rc = fsi_chk_job(o, job, sh, out);
    if (rc != 0) {
      snprintf(msg, msg_len, "%s", sh->message);
      return -1;
    }
    return 0;
  }
  /* Whatever is buffered would otherwise be written twice, by both processes. */
  fflush(stdout);
  fflush(stderr);
  if (out != NULL) {
    fflush(out);
  }
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(msg, msg_len, "fork failed");
    return -1;
  }
  if (pid == 0) {
    alarm(o->timeout_s);
    int rc = fsi_chk_job(o, job, sh, out);
    if (out != NULL) {
      fflush(out);
    }
    /* exit, not _exit: LeakSanitizer reports at exit in sanitizer builds. */
    exit(rc);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    if (sig == SIGALRM) {
      snprintf(msg, msg_len, "timed out after %u s in %s", o->timeout_s, sh->phase);
    } else {
      snprintf(msg, msg_len, "crashed in %s: signal %d (%s)", sh->phase, sig, strsignal(sig));
    }
    return -1;
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == CHK_CHILD_OK) {
    return 0;
  }
  if (code == CHK_CHILD_FAIL) {
    snprintf(msg, msg_len, "%s", sh->message);
  } else {
    /* A sanitizer (or the plugin calling exit) ended the child. */
    snprintf(msg, msg_len, "exited with status %d in %s (see any sanitizer report above)", code,
             sh->phase);
  }
  return -1;
}
