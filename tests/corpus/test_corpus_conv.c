/* SPDX-License-Identifier: MIT */
/* For every capture of the corpus (zeek/ and ja4/, recursively) count frames
 * and bytes per TCP/UDP five-tuple and direction through fs_source and the
 * built-in extractor, and compare with tshark's `-z conv,tcp -z conv,udp`
 * in <capture>.truth/conv.txt. Also checks, per capture, that every packet
 * read was either extracted or skipped for exactly one reason.
 *
 * tshark counts a tunnelled packet in every TCP/UDP layer it decodes (the
 * outer UDP of VXLAN/GTP-U and the inner five-tuple), so each packet is run
 * through two extractors, outer-only and auto, and counted once per distinct
 * TCP/UDP key. tshark attributes a reassembled IP datagram to the frame that
 * completed it, which is what the extractor does. Its conversation table
 * merges reused five-tuples, so we count per key, not per flow.
 *
 * Set FS_CORPUS_VERBOSE=1 to print each differing conversation. */
#include <arpa/inet.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "flowscope/flowscope.h"

/* The share of captures that must match; set from the measured share
 * (see docs/decoding.md) with a small margin. */
#define MIN_MATCH_SHARE 0.97

typedef struct conv {
  fs_flow_key key;    /* canonical bidirectional five-tuple */
  uint64_t frames[2]; /* [0] sent by A, [1] sent by B */
  uint64_t bytes[2];
  double lo[2], hi[2]; /* truth: range of byte counts tshark's text allows */
  int used, seen;
} conv;

typedef struct table {
  conv *v;
  size_t cap, n;
} table;

static uint64_t hash_key(const fs_flow_key *k) {
  const uint8_t *p = (const uint8_t *)k;
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < sizeof *k; i++)
    h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

static conv *lookup(table *t, const fs_flow_key *k, int create) {
  if (create && (t->n + 1) * 2 > t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 256;
    conv *nv = calloc(nc, sizeof *nv);
    assert_non_null(nv);
    for (size_t i = 0; i < t->cap; i++) {
      if (!t->v[i].used)
        continue;
      size_t j = hash_key(&t->v[i].key) & (nc - 1);
      while (nv[j].used)
        j = (j + 1) & (nc - 1);
      nv[j] = t->v[i];
    }
    free(t->v);
    t->v = nv;
    t->cap = nc;
  }
  if (!t->cap)
    return NULL;
  size_t j = hash_key(k) & (t->cap - 1);
  while (t->v[j].used) {
    if (fs_flow_key_equal(&t->v[j].key, k))
      return &t->v[j];
    j = (j + 1) & (t->cap - 1);
  }
  if (!create)
    return NULL;
  t->v[j].used = 1;
  t->v[j].key = *k;
  t->n++;
  return &t->v[j];
}

/* Parses "addr:port" (IPv6 addresses have colons: the port is after the last). */
static int parse_endpoint(const char *s, uint8_t addr[16], int *v6, uint16_t *port) {
  const char *c = strrchr(s, ':');
  if (!c)
    return -1;
  char a[64];
  size_t n = (size_t)(c - s);
  if (n >= sizeof a)
    return -1;
  memcpy(a, s, n);
  a[n] = '\0';
  *port = (uint16_t)atoi(c + 1);
  memset(addr, 0, 16);
  if (inet_pton(AF_INET, a, addr) == 1) {
    *v6 = 0;
    return 0;
  }
  if (inet_pton(AF_INET6, a, addr) == 1) {
    *v6 = 1;
    return 0;
  }
  return -1;
}

/* tshark prints bytes below 10000 exactly and larger counts rounded in SI
 * units: turn a printed value into the range of byte counts it stands for. */
static void bytes_range(unsigned long long val, const char *unit, double *lo, double *hi) {
  double scale = 0;
  if (strcmp(unit, "kB") == 0)
    scale = 1e3;
  else if (strcmp(unit, "MB") == 0)
    scale = 1e6;
  else if (strcmp(unit, "GB") == 0)
    scale = 1e9;
  if (scale == 0) {
    *lo = *hi = (double)val;
    return;
  }
  *lo = ((double)val - 1) * scale;
  *hi = ((double)val + 1) * scale;
}

typedef struct result {
  int convs_truth, convs_ok, convs_missing, convs_extra, convs_diff;
  uint64_t packets, extracted, skipped;
  int read_rc;
} result;

static int verbose;

static void count(table *t, const fs_extract_result *r, const fs_packet_view *v) {
  if (r->key.proto != 6 && r->key.proto != 17)
    return;
  conv *c = lookup(t, &r->key, 1);
  int from_b = r->orientation == FS_ORIENT_B_TO_A;
  c->frames[from_b]++;
  c->bytes[from_b] += v->wirelen;
}

static void run_capture(const char *path, table *t, result *res) {
  fs_source *src = NULL;
  char err[FS_ERRBUF_SIZE];
  res->read_rc = fs_source_open_file(&src, path, NULL, err);
  if (res->read_rc != 0)
    return;
  fs_extract_config cfg;
  fs_extract_config_default(&cfg);
  fs_extractor ex_auto, ex_outer;
  /* tshark's default preferences leave Teredo (a heuristic dissector that
   * is off), Cisco FabricPath and VN-Tag (dissectors disabled by default)
   * undecoded: its tables list no inner Teredo conversation, one frame per
   * FabricPath-duplicated conversation and nothing behind a VN-Tag. The
   * comparison decodes what tshark decodes; Zeek, which opens all three,
   * is compared in tests/zeek. */
  const uint32_t not_tshark = FS_ENCAP_TEREDO | FS_ENCAP_FABRICPATH | FS_ENCAP_VNTAG;
  cfg.encap_mode = FS_ENCAP_MODE_SELECTED;
  cfg.encap_layers &= ~not_tshark;
  assert_int_equal(fs_extractor_create(&ex_auto, &cfg, err), 0);
  cfg.encap_layers = FS_ENCAP_VLAN | FS_ENCAP_MPLS; /* outer: no tunnel entered */
  cfg.defrag.enabled = 1;
  assert_int_equal(fs_extractor_create(&ex_outer, &cfg, err), 0);
  fs_packet_view v;
  int rc;
  while ((rc = fs_source_next(src, &v)) == 1) {
    fs_extract_result ra = {.struct_size = sizeof ra}, ro = {.struct_size = sizeof ro};
    int a = ex_auto.ops->extract(ex_auto.self, &v, &ra);
    int o = ex_outer.ops->extract(ex_outer.self, &v, &ro);
    assert_true(a >= 0 && o >= 0);
    if (a == 0)
      count(t, &ra, &v);
    if (o == 0 && (a != 0 || !fs_flow_key_equal(&ra.key, &ro.key)))
      count(t, &ro, &v);
  }
  res->read_rc = rc == FS_E_EOF ? 0 : rc;
  fs_extract_counters c = {.struct_size = sizeof c};
  assert_int_equal(fs_extractor_counters(&ex_auto, &c), 0);
  res->packets = c.packets;
  res->extracted = c.extracted;
  for (int i = 0; i < 32; i++)
    res->skipped += c.skipped[i];
  fs_source_stats st = {.struct_size = sizeof st};
  fs_source_get_stats(src, &st);
  /* Every packet read went to the extractor and came out exactly once. */
  assert_int_equal(st.packets, c.packets);
  assert_int_equal(c.packets, c.extracted + res->skipped);
  fs_extractor_destroy(&ex_auto);
  fs_extractor_destroy(&ex_outer);
  fs_source_close(src);
}

/* Reads tshark's tables into @p truth, keyed like ours. tshark lists a
 * five-tuple whose two addresses are equal (127.0.0.1 to itself) once per
 * direction: such lines are summed into one key. */
static void read_truth(const char *path, table *truth, result *res) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char line[1024];
  int proto = 0;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "UDP Conversations", 17) == 0)
      proto = 17;
    else if (strncmp(line, "TCP Conversations", 17) == 0)
      proto = 6;
    char ea[128], arrow[8], eb[128], u1[16], u2[16];
    unsigned long long fba, bba, fab, bab;
    if (sscanf(line, "%127s %7s %127s %llu %llu %15s %llu %llu %15s", ea, arrow, eb, &fba, &bba, u1,
               &fab, &bab, u2) != 9 ||
        strcmp(arrow, "<->") != 0)
      continue;
    uint8_t aa[16], ab[16];
    int v6a, v6b;
    uint16_t pa, pb;
    if (parse_endpoint(ea, aa, &v6a, &pa) || parse_endpoint(eb, ab, &v6b, &pb))
      continue;
    fs_flow_key k;
    memset(&k, 0, sizeof k);
    k.kind = v6a ? FS_KEY_FIVE_TUPLE_V6 : FS_KEY_FIVE_TUPLE_V4;
    k.proto = (uint8_t)proto;
    size_t alen = v6a ? 16 : 4;
    int c = memcmp(aa, ab, alen);
    int swap = c > 0 || (c == 0 && pa > pb);
    memcpy(k.addr_a, swap ? ab : aa, alen);
    memcpy(k.addr_b, swap ? aa : ab, alen);
    k.port_a = swap ? pb : pa;
    k.port_b = swap ? pa : pb;
    conv *t = lookup(truth, &k, 1);
    /* tshark's A is the left endpoint; "->" counts A to B, "<-" B to A. */
    double lo, hi;
    t->frames[swap] += fab;
    bytes_range(bab, u2, &lo, &hi);
    t->lo[swap] += lo, t->hi[swap] += hi;
    t->frames[!swap] += fba;
    bytes_range(bba, u1, &lo, &hi);
    t->lo[!swap] += lo, t->hi[!swap] += hi;
  }
  fclose(f);
  res->convs_truth = (int)truth->n;
}

static int bytes_ok(uint64_t got, double lo, double hi) {
  return lo == hi ? (double)got == lo : ((double)got > lo && (double)got < hi);
}

static void compare(const char *truth_path, table *t, result *res) {
  table truth = {0};
  read_truth(truth_path, &truth, res);
  char kb[FS_KEY_TEXT_MAX];
  for (size_t i = 0; i < truth.cap; i++) {
    conv *w = &truth.v[i];
    if (!w->used)
      continue;
    fs_flow_key_format(&w->key, kb, sizeof kb);
    conv *c = lookup(t, &w->key, 0);
    if (!c) {
      res->convs_missing++;
      if (verbose)
        printf("    missing %s (tshark %llu+%llu frames)\n", kb, (unsigned long long)w->frames[0],
               (unsigned long long)w->frames[1]);
      continue;
    }
    c->seen = 1;
    if (c->frames[0] == w->frames[0] && c->frames[1] == w->frames[1] &&
        bytes_ok(c->bytes[0], w->lo[0], w->hi[0]) && bytes_ok(c->bytes[1], w->lo[1], w->hi[1])) {
      res->convs_ok++;
    } else {
      res->convs_diff++;
      if (verbose)
        printf("    differs %s: tshark A->B %llu/%.0f..%.0f B->A %llu/%.0f..%.0f, ours A->B "
               "%llu/%llu B->A %llu/%llu\n",
               kb, (unsigned long long)w->frames[0], w->lo[0], w->hi[0],
               (unsigned long long)w->frames[1], w->lo[1], w->hi[1],
               (unsigned long long)c->frames[0], (unsigned long long)c->bytes[0],
               (unsigned long long)c->frames[1], (unsigned long long)c->bytes[1]);
    }
  }
  free(truth.v);
  for (size_t i = 0; i < t->cap; i++) {
    if (t->v[i].used && !t->v[i].seen) {
      res->convs_extra++;
      if (verbose) {
        fs_flow_key_format(&t->v[i].key, kb, sizeof kb);
        printf("    extra %s (%llu+%llu frames)\n", kb, (unsigned long long)t->v[i].frames[0],
               (unsigned long long)t->v[i].frames[1]);
      }
    }
  }
}

typedef struct totals {
  int files, matched, unreadable;
} totals;

static void one(const char *path, totals *tot) {
  char truth[4096];
  snprintf(truth, sizeof truth, "%s.truth/conv.txt", path);
  struct stat st;
  if (stat(truth, &st) != 0)
    return;
  table t = {0};
  result res;
  memset(&res, 0, sizeof res);
  run_capture(path, &t, &res);
  tot->files++;
  if (res.read_rc != 0 && res.read_rc != FS_E_TRUNCATED && res.packets == 0) {
    tot->unreadable++;
    printf("UNREADABLE %s (%s)\n", path, fs_strerror(res.read_rc));
    free(t.v);
    return;
  }
  compare(truth, &t, &res);
  int ok = res.convs_missing == 0 && res.convs_extra == 0 && res.convs_diff == 0;
  if (ok)
    tot->matched++;
  printf("%s %s convs=%d ok=%d missing=%d extra=%d differ=%d packets=%llu extracted=%llu "
         "skipped=%llu%s\n",
         ok ? "MATCH" : "MISMATCH", path, res.convs_truth, res.convs_ok, res.convs_missing,
         res.convs_extra, res.convs_diff, (unsigned long long)res.packets,
         (unsigned long long)res.extracted, (unsigned long long)res.skipped,
         res.read_rc == FS_E_TRUNCATED ? " (truncated file)" : "");
  free(t.v);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void walk(const char *dir, totals *tot) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      names = realloc(names, cap * sizeof *names);
      assert_non_null(names);
    }
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  if (n)
    qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n; i++) {
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, names[i]);
    size_t l = strlen(names[i]);
    struct stat st;
    if (stat(p, &st) == 0) {
      if (S_ISDIR(st.st_mode)) {
        if (!(l > 6 && strcmp(names[i] + l - 6, ".truth") == 0))
          walk(p, tot);
      } else if (S_ISREG(st.st_mode)) {
        one(p, tot);
      }
    }
    free(names[i]);
  }
  free(names);
}

static void test_corpus(void **state) {
  (void)state;
  const char *corpus = getenv("FLOWSCOPE_CORPUS");
  if (!corpus || !*corpus)
    corpus = FS_CORPUS;
  struct stat st;
  if (!corpus || !*corpus || stat(corpus, &st) != 0 || !S_ISDIR(st.st_mode)) {
    printf("corpus not available (set FLOWSCOPE_CORPUS): skipping\n");
    skip();
  }
  verbose = getenv("FS_CORPUS_VERBOSE") != NULL;
  totals tot = {0};
  char p[4096];
  const char *only = getenv("FS_CORPUS_ONLY");
  if (only) {
    one(only, &tot);
  } else {
    snprintf(p, sizeof p, "%s/zeek", corpus);
    walk(p, &tot);
    snprintf(p, sizeof p, "%s/ja4", corpus);
    walk(p, &tot);
  }
  double share = tot.files ? (double)tot.matched / tot.files : 0;
  printf("corpus: %d of %d captures match tshark's conversations (%.1f%%), %d unreadable\n",
         tot.matched, tot.files, 100.0 * share, tot.unreadable);
  if (only)
    return;
  if (tot.files == 0) {
    printf("corpus has no captures with truth: skipping\n");
    skip();
  }
  assert_true(share >= MIN_MATCH_SHARE);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_corpus)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
