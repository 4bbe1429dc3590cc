/* SPDX-License-Identifier: MIT */
/* tshark truth readers and tuple matching for the corpus test. */
#include "corpus_truth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tuples_add(tuples *t, const char *s) {
  if (t->n == t->cap) {
    t->cap = t->cap ? t->cap * 2 : 64;
    t->v = realloc(t->v, t->cap * sizeof *t->v);
  }
  t->v[t->n++] = strdup(s);
}

void tuples_free(tuples *t) {
  for (size_t i = 0; i < t->n; i++) {
    free(t->v[i]);
  }
  free(t->v);
  memset(t, 0, sizeof *t);
}

/* Splits a line at tabs in place; returns the number of columns. */
static int split_tabs(char *line, char **col, int max) {
  int n = 0;
  char *p = line;
  while (n < max) {
    col[n++] = p;
    char *tab = strchr(p, '\t');
    if (!tab) {
      break;
    }
    *tab = 0;
    p = tab + 1;
  }
  return n;
}

static void chomp(char *s) {
  size_t n = strlen(s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == '\r')) {
    s[--n] = 0;
  }
}

/* Comma-joined values of a pipelined frame: item k of n, or the whole
 * field when its comma count does not match (a comma inside a value). */
static void item(const char *field, int k, int n, char *out, size_t cap) {
  int commas = 0;
  for (const char *p = field; *p; p++) {
    commas += *p == ',';
  }
  if (n <= 1 || commas != n - 1) {
    snprintf(out, cap, "%s", field);
    return;
  }
  const char *p = field;
  for (int i = 0; i < k; i++) {
    p = strchr(p, ',') + 1;
  }
  const char *e = strchr(p, ',');
  size_t l = e ? (size_t)(e - p) : strlen(p);
  if (l >= cap) {
    l = cap - 1;
  }
  memcpy(out, p, l);
  out[l] = 0;
}

typedef struct req {
  long stream;
  size_t line; /* line of the truth file (tshark lists frames in order) */
  char *tuple; /* method\thost\turi */
} req;

int truth_http(const char *path, tuples *out, size_t *udp) {
  FILE *f = fopen(path, "r");
  if (!f) {
    return -1;
  }
  char line[65536];
  req *reqs = NULL;
  size_t nreq = 0, cap = 0;
  /* responses per stream, in order: (stream, status) */
  long *rs = NULL;
  size_t *rline = NULL;
  char **rstat = NULL;
  size_t lineno = 0;
  size_t nresp = 0, rcap = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    chomp(line);
    char *c[8];
    int n = split_tabs(line, c, 8);
    if (n >= 5 && strcmp(c[0], "req") == 0) {
      if (c[1][0] == 0) {
        (*udp)++;
        continue;
      }
      int parts = 1;
      for (const char *p = c[2]; *p; p++) {
        parts += *p == ',';
      }
      for (int k = 0; k < parts; k++) {
        char m[64], h[1024], u[8192], t[10000];
        item(c[2], k, parts, m, sizeof m);
        item(c[3], k, parts, h, sizeof h);
        item(c[4], k, parts, u, sizeof u);
        snprintf(t, sizeof t, "%s\t%s\t%s", m, h, u);
        if (nreq == cap) {
          cap = cap ? cap * 2 : 64;
          reqs = realloc(reqs, cap * sizeof *reqs);
        }
        reqs[nreq].stream = atol(c[1]);
        reqs[nreq].line = lineno;
        reqs[nreq].tuple = strdup(t);
        nreq++;
      }
    } else if (n >= 3 && strcmp(c[0], "resp") == 0 && c[1][0] != 0) {
      int parts = 1;
      for (const char *p = c[2]; *p; p++) {
        parts += *p == ',';
      }
      for (int k = 0; k < parts; k++) {
        char s[32];
        item(c[2], k, parts, s, sizeof s);
        if (nresp == rcap) {
          rcap = rcap ? rcap * 2 : 64;
          rs = realloc(rs, rcap * sizeof *rs);
          rstat = realloc(rstat, rcap * sizeof *rstat);
          rline = realloc(rline, rcap * sizeof *rline);
        }
        rs[nresp] = atol(c[1]);
        rline[nresp] = lineno;
        rstat[nresp] = strdup(s);
        nresp++;
      }
    }
  }
  fclose(f);
  /* Pair the k-th request of a stream with the k-th final response of the
   * same stream that comes after it (tshark lists 1xx responses too: skip
   * those; a response listed before any request answers one sent before
   * the capture began, e.g. dce-rpc/mapi.pcap). */
  char *used = calloc(nresp ? nresp : 1, 1);
  for (size_t i = 0; i < nreq; i++) {
    const char *status = "-";
    for (size_t j = 0; j < nresp; j++) {
      if (!used[j] && rs[j] == reqs[i].stream && rline[j] > reqs[i].line &&
          !(rstat[j][0] == '1' && strlen(rstat[j]) == 3 && strcmp(rstat[j], "101") != 0)) {
        used[j] = 1;
        status = rstat[j];
        break;
      }
    }
    char t[10100];
    snprintf(t, sizeof t, "%s\t%s", reqs[i].tuple, status);
    tuples_add(out, t);
    free(reqs[i].tuple);
  }
  for (size_t j = 0; j < nresp; j++) {
    free(rstat[j]);
  }
  free(used);
  free(reqs);
  free(rs);
  free(rline);
  free(rstat);
  return 0;
}

int truth_dns(const char *path, tuples *out) {
  FILE *f = fopen(path, "r");
  if (!f) {
    return -1;
  }
  char line[65536];
  while (fgets(line, sizeof line, f)) {
    chomp(line);
    char *c[12];
    int n = split_tabs(line, c, 12);
    if (n < 7) {
      continue;
    }
    /* frame, udp.stream, tcp.stream, id, is_response, qname, qtype, rcode, A, AAAA */
    unsigned long id = strtoul(c[3], NULL, 16);
    char t[70000];
    if (strcmp(c[4], "1") == 0) {
      snprintf(t, sizeof t, "R\t%lu\t%s\t%s\t%s\t%s\t%s", id, c[5], c[6], n > 7 ? c[7] : "",
               n > 8 ? c[8] : "", n > 9 ? c[9] : "");
    } else {
      snprintf(t, sizeof t, "Q\t%lu\t%s\t%s", id, c[5], c[6]);
    }
    tuples_add(out, t);
  }
  fclose(f);
  return 0;
}

size_t tuples_match(const tuples *truth, const tuples *ours,
                    int (*eq)(const char *t, const char *o), tuples *misses) {
  char *used = calloc(ours->n ? ours->n : 1, 1);
  size_t hit = 0;
  for (size_t i = 0; i < truth->n; i++) {
    int found = 0;
    for (size_t j = 0; j < ours->n && !found; j++) {
      if (!used[j] && (eq ? eq(truth->v[i], ours->v[j]) : strcmp(truth->v[i], ours->v[j]) == 0)) {
        used[j] = 1;
        found = 1;
      }
    }
    if (found) {
      hit++;
    } else if (misses) {
      tuples_add(misses, truth->v[i]);
    }
  }
  free(used);
  return hit;
}
