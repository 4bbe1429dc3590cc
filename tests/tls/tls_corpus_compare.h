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

/* Counts over every truth file of one kind. */
typedef struct tcc_tally {
  size_t total, good, files, quic; /* rows, rows reproduced, files run, QUIC rows skipped */
  size_t sni_ok, ja3_ok;           /* JA3 comparison only: each part alone */
} tcc_tally;

/* Compares the rows of one truth file @p f with @p res (the messages of
 * its capture @p cap, named relative to the corpus). */
typedef void (*tcc_rows_fn)(FILE *f, const char *cap, tps_result *res, tcc_tally *t);

/* Runs the capture of every truth folder holding @p name and compares. */
static inline void tcc_each_truth(const char *name, tcc_run_fn run, void *ctx, tcc_rows_fn rows,
                                  tcc_tally *t) {
  for (size_t d = 0; d < n_truth_dirs; d++) {
    FILE *f = open_truth(truth_dirs[d], name);
    if (!f)
      continue;
    char cappath[4200];
    capture_of(truth_dirs[d], cappath, sizeof cappath);
    tps_result res = {0};
    if (run(ctx, cappath, &res) == 0) {
      t->files++;
      rows(f, cappath + strlen(corpus), &res, t);
      tps_free(&res);
    }
    fclose(f);
  }
}

static inline double tcc_share(const tcc_tally *t) {
  return t->total ? 100.0 * (double)t->good / (double)t->total : 100.0;
}

/* tls.tsv: stream, SNI, JA3 string, JA3 MD5. */
static inline void ja3_rows(FILE *f, const char *cap, tps_result *res, tcc_tally *t) {
  char *line = NULL;
  size_t lcap = 0, rows = 0, rows_good = 0;
  while (getline(&line, &lcap, f) > 0) {
    char *fld[4];
    if (split_tabs(line, fld, 4) < 4)
      continue;
    if (fld[0][0] == '\0') {
      t->quic++; /* no tcp.stream: a QUIC Initial, a QUIC plugin's job */
      continue;
    }
    rows++;
    /* tshark's stream numbers are its own: match as a multiset. */
    tps_record *hit = NULL, *ja3_hit = NULL, *sni_hit = NULL;
    for (size_t i = 0; i < res->n && !hit; i++) {
      tps_record *x = &res->rec[i];
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
      t->sni_ok++;
      t->ja3_ok++;
    } else {
      t->ja3_ok += ja3_hit != NULL;
      t->sni_ok += sni_hit != NULL;
      printf("  MISS %s stream %s sni=%s ja3=%.60s%s\n", cap, fld[0], fld[1], fld[2],
             ja3_hit ? " (ja3 found, sni differs)" : "");
    }
  }
  free(line);
  /* Hellos we read that tshark has no row for (not counted in the share). */
  for (size_t i = 0; i < res->n; i++)
    if (!res->rec[i].matched && res->rec[i].ja3[0])
      printf("  EXTRA %s %s:%u -> %s:%u sni=%s ja3=%.60s\n", cap, res->rec[i].client,
             res->rec[i].client_port, res->rec[i].server, res->rec[i].server_port, res->rec[i].sni,
             res->rec[i].ja3_string);
  printf("tls.tsv %-70s %zu/%zu ClientHellos (flows %zu, poisoned %zu)\n", cap, rows_good, rows,
         res->flows, res->poisoned);
  t->total += rows;
  t->good += rows_good;
}

/* Share of tshark's TCP ClientHellos (SNI + JA3) that @p run reproduces; prints
 * every file and miss. Returns -1 when there is no truth. */
static inline double tcc_ja3_share(tcc_run_fn run, void *ctx) {
  if (!n_truth_dirs)
    return -1;
  tcc_tally t = {0};
  tcc_each_truth("tls.tsv", run, ctx, ja3_rows, &t);
  double share = tcc_share(&t);
  printf("JA3+SNI: %zu/%zu TCP ClientHellos reproduced (%.1f%%) in %zu files; JA3 alone %zu, "
         "SNI alone %zu; %zu QUIC rows not applicable\n",
         t.good, t.total, share, t.files, t.ja3_ok, t.sni_ok, t.quic);
  return t.total ? share : -1;
}

/* ja4.tsv: ..., protocol, client, client port, server, server port, ..., JA4. */
static inline void ja4_rows(FILE *f, const char *cap, tps_result *res, tcc_tally *t) {
  char *line = NULL;
  size_t lcap = 0, rows = 0, rows_good = 0;
  while (getline(&line, &lcap, f) > 0) {
    char *fld[8];
    if (split_tabs(line, fld, 8) < 8)
      continue;
    if (strcmp(fld[1], "tcp") != 0) {
      t->quic++; /* QUIC Initial packets: a QUIC plugin's job */
      continue;
    }
    rows++;
    tps_record *hit = NULL;
    for (size_t i = 0; i < res->n && !hit; i++) {
      tps_record *x = &res->rec[i];
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
      printf("  MISS %s %s:%s -> %s:%s want %s got %s\n", cap, fld[2], fld[3], fld[4], fld[5],
             fld[7], hit ? hit->ja4 : "(no message)");
    }
  }
  free(line);
  printf("ja4.tsv %-50s %zu/%zu TCP ClientHellos\n", cap, rows_good, rows);
  t->total += rows;
  t->good += rows_good;
}

/* Share of the JA4 reference's TCP ClientHellos that @p run reproduces. */
static inline double tcc_ja4_share(tcc_run_fn run, void *ctx) {
  if (!n_truth_dirs)
    return -1;
  tcc_tally t = {0};
  tcc_each_truth("ja4.tsv", run, ctx, ja4_rows, &t);
  double share = tcc_share(&t);
  printf("JA4: %zu/%zu TCP ClientHellos reproduced (%.1f%%); %zu QUIC rows not applicable\n",
         t.good, t.total, share, t.quic);
  return t.total ? share : -1;
}

/* ja3s.tsv: stream, JA3S string, JA3S MD5. */
static inline void ja3s_rows(FILE *f, const char *cap, tps_result *res, tcc_tally *t) {
  char *line = NULL;
  size_t lcap = 0, rows = 0, rows_good = 0;
  while (getline(&line, &lcap, f) > 0) {
    char *fld[3];
    if (split_tabs(line, fld, 3) < 3)
      continue;
    if (fld[0][0] == '\0') {
      t->quic++;
      continue;
    }
    rows++;
    tps_record *hit = NULL;
    for (size_t i = 0; i < res->n && !hit; i++)
      if (res->rec[i].matched != 2 && strcmp(res->rec[i].ja3s, fld[2]) == 0)
        hit = &res->rec[i];
    if (hit) {
      hit->matched = 2;
      rows_good++;
    } else {
      printf("  MISS ja3s %s stream %s %.60s\n", cap, fld[0], fld[1]);
    }
  }
  free(line);
  for (size_t i = 0; i < res->n; i++)
    if (res->rec[i].matched != 2 && res->rec[i].ja3s[0])
      printf("  EXTRA ja3s %s %s:%u -> %s:%u ja3s=%s\n", cap, res->rec[i].client,
             res->rec[i].client_port, res->rec[i].server, res->rec[i].server_port,
             res->rec[i].ja3s);
  if (rows_good != rows)
    printf("ja3s.tsv %-60s %zu/%zu ServerHellos\n", cap, rows_good, rows);
  t->total += rows;
  t->good += rows_good;
}

/* Share of tshark's TCP ServerHellos (JA3S string and MD5) that @p run
 * reproduces; prints every file that misses and every miss. */
static inline double tcc_ja3s_share(tcc_run_fn run, void *ctx) {
  if (!n_truth_dirs)
    return -1;
  tcc_tally t = {0};
  tcc_each_truth("ja3s.tsv", run, ctx, ja3s_rows, &t);
  double share = tcc_share(&t);
  printf("JA3S: %zu/%zu TCP ServerHellos reproduced (%.1f%%); %zu QUIC rows not applicable\n",
         t.good, t.total, share, t.quic);
  return t.total ? share : -1;
}

#endif /* FLOWSCOPE_TLS_CORPUS_COMPARE_H */
