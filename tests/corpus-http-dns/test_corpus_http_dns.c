/* SPDX-License-Identifier: MIT */
/* Corpus conformance of the http and dns plugins: every capture under the
 * corpus with a tshark truth file (<capture>.truth/http.tsv, dns.tsv) runs
 * through the plugins (loaded by the registry from the build) behind a
 * small stand-in host (corpus_host.c: source, extractor, reassembly);
 * the share of tshark's HTTP requests (method, host, uri, status) and DNS
 * messages (id, name, type, rcode, A/AAAA answers) that flowscope
 * reproduces is printed per file and must stay above a floor set just
 * below what was measured. tshark is the independent truth here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "corpus_host.h"
#include "corpus_truth.h"
#include "flowscope/flowscope.h"

/* Floors: measured shares minus a small margin (see the final report). */
#define HTTP_FLOOR 0.99
#define DNS_FLOOR 0.975

typedef struct collect {
  tuples http;
  tuples dns;
} collect;

static void str_of(const fs_field *f, char *out, size_t cap) {
  out[0] = 0;
  if (f && f->kind == FS_FIELD_STR) {
    size_t n = f->v.str.len < cap - 1 ? (size_t)f->v.str.len : cap - 1;
    memcpy(out, f->v.str.ptr, n);
    out[n] = 0;
  }
}

static int has(const fs_field *f) { return f && f->kind != FS_FIELD_NONE; }

static void on_http(collect *c, const fs_message *m) {
  char meth[64], host[1024], uri[8192], t[10000];
  str_of(fs_message_field(m, "method"), meth, sizeof meth);
  str_of(fs_message_field(m, "host"), host, sizeof host);
  str_of(fs_message_field(m, "uri"), uri, sizeof uri);
  const fs_field *st = fs_message_field(m, "status_code");
  if (!has(fs_message_field(m, "method"))) {
    return; /* a response without its request: tshark lists no request */
  }
  char status[24] = "-";
  if (has(st)) {
    snprintf(status, sizeof status, "%llu", (unsigned long long)st->v.u64);
  }
  snprintf(t, sizeof t, "%s\t%s\t%s\t%s", meth, host, uri, status);
  tuples_add(&c->http, t);
}

/* A name as tshark prints it: bytes outside printable ASCII as \ooo. */
static void tshark_name(const fs_field *f, char *out, size_t cap) {
  size_t n = 0;
  out[0] = 0;
  if (!f || f->kind != FS_FIELD_STR) {
    return;
  }
  for (uint64_t i = 0; i < f->v.str.len && n + 5 < cap; i++) {
    unsigned char ch = (unsigned char)f->v.str.ptr[i];
    if (ch < 0x20 || ch > 0x7E) {
      n += (size_t)snprintf(out + n, cap - n, "\\%03o", ch);
    } else {
      out[n++] = (char)ch;
    }
  }
  out[n] = 0;
}

static void on_dns(collect *c, const fs_message *m) {
  char q[1100], t[12288];
  const fs_field *qf = fs_message_field(m, "query");
  tshark_name(qf, q, sizeof q);
  if (has(qf) && q[0] == 0) {
    strcpy(q, "<Root>"); /* tshark's name for the root */
  }
  unsigned long id = (unsigned long)fs_message_field(m, "trans_id")->v.u64;
  const fs_field *qt = fs_message_field(m, "qtype");
  char qtype[16] = "";
  if (has(qt)) {
    snprintf(qtype, sizeof qtype, "%llu", (unsigned long long)qt->v.u64);
  }
  if (m->side == FS_SIDE_INITIATOR) { /* the record holds a query */
    snprintf(t, sizeof t, "Q\t%lu\t%s\t%s", id, q, qtype);
    tuples_add(&c->dns, t);
  }
  const fs_field *rc = fs_message_field(m, "rcode");
  if (!has(rc)) {
    return;
  }
  char a[4096] = "", aaaa[4096] = "";
  const fs_field *ans = fs_message_field(m, "answers");
  for (uint32_t k = 0; has(ans) && k < ans->count; k++) {
    char s[256];
    unsigned char bin[16];
    size_t n = ans->v.list[k].len < 255 ? (size_t)ans->v.list[k].len : 255;
    memcpy(s, ans->v.list[k].ptr, n);
    s[n] = 0;
    char *dst = inet_pton(AF_INET, s, bin) == 1    ? a
                : inet_pton(AF_INET6, s, bin) == 1 ? aaaa
                                                   : NULL;
    if (dst && strlen(dst) + n + 2 < sizeof a) {
      if (dst[0]) {
        strcat(dst, ",");
      }
      strcat(dst, s);
    }
  }
  snprintf(t, sizeof t, "R\t%lu\t%s\t%s\t%llu\t%s\t%s", id, q, qtype, (unsigned long long)rc->v.u64,
           a, aaaa);
  tuples_add(&c->dns, t);
}

/* HTTP tuples: method, host, uri and status equal; when tshark saw no
 * response for a request (status "-"), the status is not compared. */
static int http_eq(const char *t, const char *o) {
  const char *tl = strrchr(t, '\t'), *ol = strrchr(o, '\t');
  if (!tl || !ol || tl - t != ol - o || strncmp(t, o, (size_t)(tl - t)) != 0) {
    return 0;
  }
  return strcmp(tl + 1, "-") == 0 || strcmp(tl, ol) == 0;
}

/* DNS tuples are equal in id, name, type and rcode; our A/AAAA lists (the
 * answer section only, as Zeek) must be a prefix of tshark's, which also
 * lists addresses of the authority and additional sections after them. */
static int prefix_list(const char *truth, const char *ours) {
  size_t n = strlen(ours);
  return strncmp(truth, ours, n) == 0 && (truth[n] == 0 || truth[n] == ',' || n == 0);
}

static int dns_eq(const char *t, const char *o) {
  if (t[0] != o[0]) {
    return 0;
  }
  if (t[0] == 'Q') {
    return strcmp(t, o) == 0;
  }
  char tb[70000], ob[8192];
  char *tc[7], *oc[7];
  snprintf(tb, sizeof tb, "%s", t);
  snprintf(ob, sizeof ob, "%s", o);
  int tn = 0, on = 0;
  for (char *p = tb; tn < 7; tn++) {
    tc[tn] = p;
    p = strchr(p, '\t');
    if (!p) {
      tn++;
      break;
    }
    *p++ = 0;
  }
  for (char *p = ob; on < 7; on++) {
    oc[on] = p;
    p = strchr(p, '\t');
    if (!p) {
      on++;
      break;
    }
    *p++ = 0;
  }
  if (tn != 7 || on != 7) {
    return 0;
  }
  for (int i = 1; i < 5; i++) {
    if (strcmp(tc[i], oc[i]) != 0) {
      return 0;
    }
  }
  return prefix_list(tc[5], oc[5]) && prefix_list(tc[6], oc[6]);
}

static void on_message(void *self, const fs_message *m) {
  collect *c = self;
  if (strcmp(m->protocol, "http") == 0) {
    on_http(c, m);
  } else if (strcmp(m->protocol, "dns") == 0) {
    on_dns(c, m);
  }
}

static void on_event(void *self, const fs_event *ev) {
  if (ev->type == FS_EV_MESSAGE && ev->message) {
    on_message(self, ev->message);
  }
}

/* The library's driver in SESSIONS mode, defaults otherwise. */
static int run_driver(const fs_registry *reg, const char *path, collect *c) {
  char err[FS_ERRBUF_SIZE] = "";
  fs_source *src = NULL;
  fs_source_config scfg;
  fs_source_config_default(&scfg);
  if (fs_source_open_file(&src, path, &scfg, err) != 0) {
    return -1;
  }
  static const fs_event_sink_ops ops = {sizeof(fs_event_sink_ops), 0, on_event, NULL, NULL};
  fs_driver_config cfg;
  fs_driver_config_default(&cfg);
  cfg.mode = FS_DRIVE_SESSIONS;
  cfg.registry = reg;
  cfg.sink.ops = &ops;
  cfg.sink.self = c;
  fs_driver *d = NULL;
  if (fs_driver_create(&d, &cfg, err) != 0) {
    fprintf(stderr, "  driver: %s\n", err);
    fs_source_close(src);
    return -1;
  }
  fs_packet_view pkt;
  memset(&pkt, 0, sizeof pkt);
  pkt.struct_size = sizeof pkt;
  while (fs_source_next(src, &pkt) == 1) {
    fs_driver_feed(d, &pkt);
  }
  fs_driver_finish(d);
  fs_driver_destroy(d);
  fs_source_close(src);
  return 0;
}

/* CORPUS_HOST=standin runs the small stand-in host instead of the driver. */
static int run_capture(const fs_registry *reg, const char *path, collect *c) {
  const char *h = getenv("CORPUS_HOST");
  if (h && strcmp(h, "standin") == 0) {
    return ch_run(path, fs_registry_protocol(reg, "http"), fs_registry_protocol(reg, "dns"), 0,
                  on_message, c);
  }
  return run_driver(reg, path, c);
}

typedef struct totals {
  size_t http_truth, http_hit, http_udp, dns_truth, dns_hit, files;
} totals;

static void print_misses(const char *what, const tuples *m) {
  for (size_t i = 0; i < m->n && i < 5; i++) {
    fprintf(stderr, "    miss %s: %s\n", what, m->v[i]);
  }
  if (m->n > 5) {
    fprintf(stderr, "    ... %zu more\n", m->n - 5);
  }
}

static void one(const fs_registry *reg, const char *truth_dir, totals *tot, int dump) {
  char cap[4096], hp[4200], dp[4200];
  size_t l = strlen(truth_dir) - strlen(".truth");
  memcpy(cap, truth_dir, l);
  cap[l] = 0;
  snprintf(hp, sizeof hp, "%s/http.tsv", truth_dir);
  snprintf(dp, sizeof dp, "%s/dns.tsv", truth_dir);
  tuples th = {0}, td = {0};
  size_t udp = 0;
  int has_h = truth_http(hp, &th, &udp) == 0;
  int has_d = truth_dns(dp, &td) == 0;
  if (!has_h && !has_d) {
    return;
  }
  collect c = {{0}, {0}};
  if (run_capture(reg, cap, &c) != 0) {
    tuples_free(&th);
    tuples_free(&td);
    return;
  }
  tuples mh = {0}, md = {0};
  size_t hh = tuples_match(&th, &c.http, http_eq, &mh);
  size_t dh = tuples_match(&td, &c.dns, dns_eq, &md);
  fprintf(stderr, "%s: http %zu/%zu (udp-only %zu), dns %zu/%zu\n", cap + 0, hh, th.n, udp, dh,
          td.n);
  for (size_t i = 0; dump && i < c.http.n; i++) {
    fprintf(stderr, "    ours http: %s\n", c.http.v[i]);
  }
  for (size_t i = 0; dump && i < c.dns.n; i++) {
    fprintf(stderr, "    ours dns: %s\n", c.dns.v[i]);
  }
  print_misses("http", &mh);
  print_misses("dns", &md);
  tot->files++;
  tot->http_truth += th.n;
  tot->http_hit += hh;
  tot->http_udp += udp;
  tot->dns_truth += td.n;
  tot->dns_hit += dh;
  tuples_free(&th);
  tuples_free(&td);
  tuples_free(&mh);
  tuples_free(&md);
  tuples_free(&c.http);
  tuples_free(&c.dns);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects every *.truth folder holding http.tsv or dns.tsv, sorted. */
static void find_truth(const char *dir, tuples *out) {
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') {
      continue;
    }
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
      continue;
    }
    size_t n = strlen(e->d_name);
    if (n > 6 && strcmp(e->d_name + n - 6, ".truth") == 0) {
      char h[4200], dn[4200];
      snprintf(h, sizeof h, "%s/http.tsv", p);
      snprintf(dn, sizeof dn, "%s/dns.tsv", p);
      if (stat(h, &st) == 0 || stat(dn, &st) == 0) {
        tuples_add(out, p);
      }
    } else {
      find_truth(p, out);
    }
  }
  if (d) {
    closedir(d);
  }
}

static void test_corpus(void **state) {
  (void)state;
  const char *corpus = getenv("FLOWSCOPE_CORPUS");
  if (!corpus || !*corpus) {
    corpus = FS_CORPUS;
  }
  struct stat st;
  if (!corpus[0] || stat(corpus, &st) != 0 || !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "corpus not found (FLOWSCOPE_CORPUS=%s): skipping\n", corpus);
    skip();
  }
  fs_registry *reg = NULL;
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_registry_create(&reg, FS_REGISTRY_NO_SYSTEM | FS_REGISTRY_NO_ENV), 0);
  assert_int_equal(fs_registry_add_dir(reg, FS_PLUGIN_BUILD_DIR), 0);
  assert_int_equal(fs_registry_load(reg, "http", err), 0);
  assert_int_equal(fs_registry_load(reg, "dns", err), 0);
  tuples dirs = {0};
  find_truth(corpus, &dirs);
  qsort(dirs.v, dirs.n, sizeof *dirs.v, cmp_str);
  totals tot = {0};
  /* CORPUS_ONLY=<substring> limits the run to matching captures and
   * prints our tuples too (for investigating a file). */
  const char *only = getenv("CORPUS_ONLY");
  for (size_t i = 0; i < dirs.n; i++) {
    if (!only || strstr(dirs.v[i], only)) {
      one(reg, dirs.v[i], &tot, only != NULL);
    }
  }
  double hs = tot.http_truth ? (double)tot.http_hit / (double)tot.http_truth : 1.0;
  double ds = tot.dns_truth ? (double)tot.dns_hit / (double)tot.dns_truth : 1.0;
  fprintf(stderr,
          "TOTAL %zu files: http %zu/%zu requests over TCP = %.4f (+%zu over UDP not in scope), "
          "dns %zu/%zu messages = %.4f\n",
          tot.files, tot.http_hit, tot.http_truth, hs, tot.http_udp, tot.dns_hit, tot.dns_truth,
          ds);
  tuples_free(&dirs);
  fs_registry_destroy(reg);
  assert_true(tot.files > 0);
  assert_true(hs >= HTTP_FLOOR);
  assert_true(ds >= DNS_FLOOR);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_corpus)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
