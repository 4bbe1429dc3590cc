/* SPDX-License-Identifier: MIT */
/* Comparison of the tls plugin's messages with the corpus truth: tshark's
 * SNI and JA3 per ClientHello (`<capture>.truth/tls.tsv`) and the JA4
 * reference implementation's values (`ja4/<capture>.truth/ja4.tsv`), for any
 * way of running a capture (the test host of tls_pcap_sessions.h, or the
 * library's driver). Prints the share per file and every miss. */
#ifndef FLOWSCOPE_TLS_CORPUS_COMPARE_H
#define FLOWSCOPE_TLS_CORPUS_COMPARE_H

#include <ftw.h>
#include <sys/stat.h>

#include "tls_pcap_sessions.h"

/* Runs one capture into @p res (records of its ssl messages); 0 or -1. */
typedef int (*tcc_run_fn)(void *ctx, const char *path, tps_result *res);

static char corpus[4096];

/* truth files found under the corpus */
static char **truth_dirs;
static size_t n_truth_dirs;

static inline int collect(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  size_t n = strlen(path);
  if (flag == FTW_D && n > 6 && strcmp(path + n - 6, ".truth") == 0) {
    truth_dirs = realloc(truth_dirs, (n_truth_dirs + 1) * sizeof *truth_dirs);
    truth_dirs[n_truth_dirs++] = strdup(path);
  }
  return 0;
}

static inline int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Finds the truth folders under the corpus (env FLOWSCOPE_CORPUS, else
 * FS_CORPUS); returns how many, 0 when the corpus is absent. */
static inline size_t tcc_find_truth(void) {
  const char *c = getenv("FLOWSCOPE_CORPUS");
  if (!c || !*c)
    c = FS_CORPUS;
  snprintf(corpus, sizeof corpus, "%s", c);
  struct stat st;
  if (corpus[0] && stat(corpus, &st) == 0 && S_ISDIR(st.st_mode)) {
    nftw(corpus, collect, 16, FTW_PHYS);
    qsort(truth_dirs, n_truth_dirs, sizeof *truth_dirs, cmp_str);
  }
  return n_truth_dirs;
}

static inline void tcc_free_truth(void) {
  for (size_t i = 0; i < n_truth_dirs; i++)
    free(truth_dirs[i]);
  free(truth_dirs);
  truth_dirs = NULL;
  n_truth_dirs = 0;
}

/* Splits a TSV line in place into at most @p max fields. */
static inline size_t split_tabs(char *line, char **f, size_t max) {
  size_t n = 0;
  line[strcspn(line, "\r\n")] = '\0';
  while (n < max) {
    f[n++] = line;
    char *t = strchr(line, '\t');
    if (!t)
      break;
    *t = '\0';
    line = t + 1;
  }
  return n;
}

static inline FILE *open_truth(const char *dir, const char *name) {
  char p[4200];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return fopen(p, "r");
}

static inline void capture_of(const char *truth_dir, char *out, size_t cap) {
  snprintf(out, cap, "%.*s", (int)(strlen(truth_dir) - 6), truth_dir);
}

/* Share of tshark's TCP ClientHellos (SNI + JA3) that @p run reproduces; prints
 * every file and miss. Returns -1 when there is no truth. */
static inline double tcc_ja3_share(tcc_run_fn run, void *ctx) {
  if (!n_truth_dirs)
    return -1;
  size_t total = 0, good = 0, files = 0, sni_ok = 0, ja3_ok = 0, quic = 0;
  char *line = NULL;
  size_t cap = 0;
  for (size_t d = 0; d < n_truth_dirs; d++) {
    FILE *f = open_truth(truth_dirs[d], "tls.tsv");
    if (!f)
      continue;
    char cappath[4200];
    capture_of(truth_dirs[d], cappath, sizeof cappath);
    tps_result res = {0};
    if (run(ctx, cappath, &res) != 0) {
      fclose(f);
      continue;
    }
    files++;
    size_t rows = 0, rows_good = 0;
    while (getline(&line, &cap, f) > 0) {
      char *fld[4];
      if (split_tabs(line, fld, 4) < 4)
        continue;
      if (fld[0][0] == '\0') {
        quic++; /* no tcp.stream: a QUIC Initial, a QUIC plugin's job */
        continue;
      }
      rows++;
      /* tshark's stream numbers are its own: match as a multiset. */
      tps_record *hit = NULL, *ja3_hit = NULL, *sni_hit = NULL;
      for (size_t i = 0; i < res.n && !hit; i++) {
        tps_record *x = &res.rec[i];
        if (x->matched)
          continue;
        int j = strcmp(x->ja3_string, fld[2]) == 0 && strcmp(x->ja3, fld[3]) == 0;
        int s = strcmp(x->sni, fld[1]) == 0;
        if (j && s)
          hit = x;
        else if (j && !ja3_hit)
          ja3_hit = x;
        else if (s && !sni_hit)
          sni_hit = x;
      }
      if (hit) {
        hit->matched = 1;
        rows_good++;
        sni_ok++;
        ja3_ok++;
      } else {
        ja3_ok += ja3_hit != NULL;
        sni_ok += sni_hit != NULL;
        printf("  MISS %s stream %s sni=%s ja3=%.60s%s\n", cappath + strlen(corpus), fld[0], fld[1],
               fld[2], ja3_hit ? " (ja3 found, sni differs)" : "");
      }
    }
    fclose(f);
    /* Hellos we read that tshark has no row for (not counted in the share). */
    for (size_t i = 0; i < res.n; i++)
      if (!res.rec[i].matched && res.rec[i].ja3[0])
        printf("  EXTRA %s %s:%u -> %s:%u sni=%s ja3=%.60s\n", cappath + strlen(corpus),
               res.rec[i].client, res.rec[i].client_port, res.rec[i].server, res.rec[i].server_port,
               res.rec[i].sni, res.rec[i].ja3_string);
    printf("tls.tsv %-70s %zu/%zu ClientHellos (flows %zu, poisoned %zu)\n",
           cappath + strlen(corpus), rows_good, rows, res.flows, res.poisoned);
    total += rows;
    good += rows_good;
    tps_free(&res);
  }
  free(line);
  double share = total ? 100.0 * (double)good / (double)total : 100.0;
  printf("JA3+SNI: %zu/%zu TCP ClientHellos reproduced (%.1f%%) in %zu files; JA3 alone %zu, "
         "SNI alone %zu; %zu QUIC rows not applicable\n",
         good, total, share, files, ja3_ok, sni_ok, quic);
  return total ? share : -1;
}

/* Share of the JA4 reference's TCP ClientHellos that @p run reproduces. */
static inline double tcc_ja4_share(tcc_run_fn run, void *ctx) {
  if (!n_truth_dirs)
    return -1;
  size_t total = 0, good = 0, quic = 0;
  char *line = NULL;
  size_t cap = 0;
  for (size_t d = 0; d < n_truth_dirs; d++) {
    FILE *f = open_truth(truth_dirs[d], "ja4.tsv");
    if (!f)
      continue;
    char cappath[4200];
    capture_of(truth_dirs[d], cappath, sizeof cappath);
    tps_result res = {0};
    if (run(ctx, cappath, &res) != 0) {
      fclose(f);
      continue;
    }
    size_t rows = 0, rows_good = 0;
    while (getline(&line, &cap, f) > 0) {
      char *fld[8];
      if (split_tabs(line, fld, 8) < 8)
        continue;
      if (strcmp(fld[1], "tcp") != 0) {
        quic++; /* QUIC Initial packets: a QUIC plugin's job */
        continue;
      }
      rows++;
      tps_record *hit = NULL;
      for (size_t i = 0; i < res.n && !hit; i++) {
        tps_record *x = &res.rec[i];
        if (!x->matched && strcmp(x->client, fld[2]) == 0 &&
            x->client_port == (unsigned)atoi(fld[3]) && strcmp(x->server, fld[4]) == 0 &&
            x->server_port == (unsigned)atoi(fld[5]))
          hit = x;
      }
      if (hit)
        hit->matched = 1;
      if (hit && strcmp(hit->ja4, fld[7]) == 0) {
        rows_good++;
      } else {
        printf("  MISS %s %s:%s -> %s:%s want %s got %s\n", cappath + strlen(corpus), fld[2],
               fld[3], fld[4], fld[5], fld[7], hit ? hit->ja4 : "(no message)");
      }
    }
    fclose(f);
    printf("ja4.tsv %-50s %zu/%zu TCP ClientHellos\n", cappath + strlen(corpus), rows_good, rows);
    total += rows;
    good += rows_good;
    tps_free(&res);
  }
  free(line);
  double share = total ? 100.0 * (double)good / (double)total : 100.0;
  printf("JA4: %zu/%zu TCP ClientHellos reproduced (%.1f%%); %zu QUIC rows not applicable\n", good,
         total, share, quic);
  return total ? share : -1;
}

/* Share of tshark's TCP ServerHellos (JA3S string and MD5) that @p run
 * reproduces; prints every file that misses and every miss. */
static inline double tcc_ja3s_share(tcc_run_fn run, void *ctx) {
  if (!n_truth_dirs)
    return -1;
  size_t total = 0, good = 0, quic = 0;
  char *line = NULL;
  size_t cap = 0;
  for (size_t d = 0; d < n_truth_dirs; d++) {
    FILE *f = open_truth(truth_dirs[d], "ja3s.tsv");
    if (!f)
      continue;
    char cappath[4200];
    capture_of(truth_dirs[d], cappath, sizeof cappath);
    tps_result res = {0};
    if (run(ctx, cappath, &res) != 0) {
      fclose(f);
      continue;
    }
    size_t rows = 0, rows_good = 0;
    while (getline(&line, &cap, f) > 0) {
      char *fld[3];
      if (split_tabs(line, fld, 3) < 3)
        continue;
      if (fld[0][0] == '\0') {
        quic++;
        continue;
      }
      rows++;
      tps_record *hit = NULL;
      for (size_t i = 0; i < res.n && !hit; i++)
        if (res.rec[i].matched != 2 && strcmp(res.rec[i].ja3s, fld[2]) == 0)
          hit = &res.rec[i];
      if (hit) {
        hit->matched = 2;
        rows_good++;
      } else {
        printf("  MISS ja3s %s stream %s %.60s\n", cappath + strlen(corpus), fld[0], fld[1]);
      }
    }
    fclose(f);
    for (size_t i = 0; i < res.n; i++)
      if (res.rec[i].matched != 2 && res.rec[i].ja3s[0])
        printf("  EXTRA ja3s %s %s:%u -> %s:%u ja3s=%s\n", cappath + strlen(corpus),
               res.rec[i].client, res.rec[i].client_port, res.rec[i].server, res.rec[i].server_port,
               res.rec[i].ja3s);
    if (rows_good != rows)
      printf("ja3s.tsv %-60s %zu/%zu ServerHellos\n", cappath + strlen(corpus), rows_good, rows);
    total += rows;
    good += rows_good;
    tps_free(&res);
  }
  free(line);
  double share = total ? 100.0 * (double)good / (double)total : 100.0;
  printf("JA3S: %zu/%zu TCP ServerHellos reproduced (%.1f%%); %zu QUIC rows not applicable\n", good,
         total, share, quic);
  return total ? share : -1;
}

#endif /* FLOWSCOPE_TLS_CORPUS_COMPARE_H */
