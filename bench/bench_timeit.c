/* SPDX-License-Identifier: MIT */
/* Runs a command and reports its wall time (monotonic clock, microsecond
 * resolution) and peak resident set size (wait4 rusage), so every tool in
 * bench/run.sh is measured the same way.
 * usage: bench_timeit [--stdout FILE] -- CMD [ARGS...] */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  const char *out = "/dev/null";
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    if (strcmp(argv[i], "--stdout") == 0 && i + 1 < argc)
      out = argv[++i];
    else {
      fprintf(stderr, "usage: bench_timeit [--stdout FILE] -- CMD [ARGS...]\n");
      return 2;
    }
  }
  if (i >= argc) {
    fprintf(stderr, "usage: bench_timeit [--stdout FILE] -- CMD [ARGS...]\n");
    return 2;
  }
  double t0 = now_s();
  pid_t pid = fork();
  if (pid < 0) {
    perror("bench_timeit: fork");
    return 1;
  }
  if (pid == 0) {
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || dup2(fd, 1) < 0) {
      perror("bench_timeit: stdout");
      _exit(127);
    }
    close(fd);
    execvp(argv[i], argv + i);
    perror("bench_timeit: exec");
    _exit(127);
  }
  int status = 0;
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  if (wait4(pid, &status, 0, &ru) < 0) {
    perror("bench_timeit: wait4");
    return 1;
  }
  double t1 = now_s();
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  fprintf(stderr, "wall_s=%.6f user_s=%.6f sys_s=%.6f maxrss_kib=%ld exit=%d\n", t1 - t0,
          (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
          (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss, code);
  return code;
}
