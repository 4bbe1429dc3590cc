/* SPDX-License-Identifier: MIT */
/* Helpers shared by the registry tests: zoo paths, temp dirs, file copies. */
#ifndef FLOWSCOPE_TESTS_ZOO_COMMON_H
#define FLOWSCOPE_TESTS_ZOO_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Path of zoo plugin STEM built into zoo/DIR/. */
static inline void zoo_path(char *out, size_t n, const char *dir, const char *stem) {
  snprintf(out, n, "%s/%s/%s.so", ZOO_DIR, dir, stem);
}

/* Creates a fresh temporary directory; aborts the test program on failure. */
static inline void zoo_tmpdir(char *out, size_t n) {
  snprintf(out, n, "/tmp/fs-zoo-XXXXXX");
  if (mkdtemp(out) == NULL) {
    perror("mkdtemp");
    abort();
  }
}

/* Writes len bytes to path; returns 0 on success. */
static inline int zoo_write(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) {
    return -1;
  }
  size_t w = fwrite(data, 1, len, f);
  return (fclose(f) == 0 && w == len) ? 0 : -1;
}

/* Copies file src to dst; returns 0 on success. */
static inline int zoo_copy(const char *src, const char *dst) {
  FILE *in = fopen(src, "rb");
  if (in == NULL) {
    return -1;
  }
  FILE *out = fopen(dst, "wb");
  if (out == NULL) {
    fclose(in);
    return -1;
  }
  char buf[8192];
  size_t r;
  int rc = 0;
  while ((r = fread(buf, 1, sizeof buf, in)) > 0) {
    if (fwrite(buf, 1, r, out) != r) {
      rc = -1;
    }
  }
  fclose(in);
  return (fclose(out) == 0 && rc == 0) ? 0 : -1;
}

/* Removes a temporary directory made by zoo_tmpdir and everything in it. */
static inline void zoo_rmtree(const char *dir) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) {
    fprintf(stderr, "could not remove %s\n", dir);
  }
}

#endif /* FLOWSCOPE_TESTS_ZOO_COMMON_H */
