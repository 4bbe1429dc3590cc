/* SPDX-License-Identifier: MIT */
/* Test helper: visits every capture file under a folder (the project's
 * tests/data, or the corpus, whose "*.truth" folders hold ground truth). */
#ifndef FS_TEST_CAPTURE_WALK_H
#define FS_TEST_CAPTURE_WALK_H

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* 1 when @p n ends like a capture file: .pcap, .pcapng, .cap or .trace. */
static inline int fs_test_is_capture_name(const char *n) {
  size_t l = strlen(n);
  return (l > 5 && strcmp(n + l - 5, ".pcap") == 0) ||
         (l > 7 && strcmp(n + l - 7, ".pcapng") == 0) ||
         (l > 4 && strcmp(n + l - 4, ".cap") == 0) || (l > 6 && strcmp(n + l - 6, ".trace") == 0);
}

/* The corpus folder: $FLOWSCOPE_CORPUS, else the one configured at build
 * time (@p configured, FS_CORPUS); NULL when neither names a folder. */
static inline const char *fs_test_corpus_dir(const char *configured) {
  const char *corpus = getenv("FLOWSCOPE_CORPUS");
  if (!corpus || !corpus[0])
    corpus = configured;
  struct stat st;
  if (!corpus || !corpus[0] || stat(corpus, &st) != 0 || !S_ISDIR(st.st_mode))
    return NULL;
  return corpus;
}

/* Called with the path of each capture. */
typedef void (*fs_test_capture_fn)(const char *path, void *ctx);

/* Calls @p fn for every capture under @p dir, recursively, skipping hidden
 * entries and "*.truth" folders. A folder that cannot be opened is skipped. */
static inline void fs_test_walk_captures(const char *dir, fs_test_capture_fn fn, void *ctx) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char path[4096];
    int pn = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (pn < 0 || (size_t)pn >= sizeof path)
      continue; /* a path too long to open */
    struct stat st;
    if (stat(path, &st) != 0)
      continue;
    size_t l = strlen(e->d_name);
    if (S_ISDIR(st.st_mode)) {
      if (!(l > 6 && strcmp(e->d_name + l - 6, ".truth") == 0))
        fs_test_walk_captures(path, fn, ctx);
      continue;
    }
    if (fs_test_is_capture_name(e->d_name))
      fn(path, ctx);
  }
  closedir(d);
}

#endif /* FS_TEST_CAPTURE_WALK_H */
