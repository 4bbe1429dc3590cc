/* SPDX-License-Identifier: MIT */
/*
 * Agreement with Zeek. For every capture in $FLOWSCOPE_CORPUS that carries
 * <capture>.truth/zeek-conn.log (Zeek's own conn.log, its btest baseline),
 * read the capture with fs_source and the built-in five-tuple extractor,
 * track it with Zeek-like timeouts, and compare per connection:
 * orientation (which side is the originator), history, conn_state,
 * orig/resp packets, payload bytes and IP bytes. Prints the share that
 * agrees per field and every disagreement, and asserts floors just below
 * the shares measured (docs/tracking.md explains the known differences).
 *
 * Only tcp/udp/icmp rows count: Zeek's unknown_transport rows are tunnel
 * carriers (GRE, IP-in-IP) that the extractor looks through by design.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "flowscope/flowscope.h"

/* ---- one connection, from Zeek's log or from the tracker -------------- */

typedef struct conn {
  char orig_h[64], resp_h[64];
  unsigned orig_p, resp_p;
  char proto[24];
  char history[40];
  char conn_state[8];
  long long orig_pkts, resp_pkts, orig_bytes, resp_bytes, orig_ip, resp_ip; /* -1 = unset */
  int matched;
  int has_ids;      /* Zeek row: the log has id.* columns */
  int has_history;  /* Zeek row: the log has a history column */
  int has_state;    /* Zeek row: the log has a conn_state column */
  long rank;        /* creation rank: Zeek row from its uid (-1 unknown); ours from flow_id */
  uint64_t flow_id; /* ours */
  fs_time_ns first; /* ours: first packet */
  int inner;        /* ours: from the auto pass (1) or a carrier pass (0) */
} conn;

typedef struct conn_list {
  conn *v;
  size_t n, cap;
} conn_list;

static conn *push(conn_list *l) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    l->v = realloc(l->v, l->cap * sizeof(conn));
    assert_non_null(l->v);
  }
  memset(&l->v[l->n], 0, sizeof(conn));
  return &l->v[l->n++];
}

/* ---- Zeek's log ------------------------------------------------------- */

static long long num_or_unset(const char *s) {
  if (!s || strcmp(s, "-") == 0 || strcmp(s, "(empty)") == 0)
    return -1;
  return atoll(s);
}

static void copy_field(char *dst, size_t n, const char *s) {
  if (!s || strcmp(s, "-") == 0 || strcmp(s, "(empty)") == 0)
    s = "";
  snprintf(dst, n, "%s", s);
}

/* Zeek's test suite draws uids from a fixed seed, so the n-th connection
 * Zeek creates always gets the same uid. The first six (seen in creation
 * order in the ftp/ipv6 baseline) let logs written by zeek-cut without the
 * id.* columns be matched by creation order. */
static long uid_rank(const char *uid) {
  static const char *const seq[] = {"CHhAvVGS1DHFjwGM9",  "ClEkJM2Vm5giqnMf4h",
                                    "C4J4Th3PJpwUYZZ6gc", "CtPZjS20MLrsMUOJi2",
                                    "CUM0KZ3MLUfNB0cl11", "CmES5u32sYpV7JYN"};
  for (long i = 0; i < (long)(sizeof(seq) / sizeof(seq[0])); i++)
    if (!strcmp(uid, seq[i]))
      return i;
  return -1;
}

/* 1 when the baseline's Zeek command ignored checksums (-C). */
static int zeek_ignored_checksums;
/* The capture filter the baseline's Zeek command set (-f '...'), or "". */
static char zeek_filter[256];

static int parse_zeek_log(const char *path, conn_list *out) {
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  char line[8192];
  char *names[64];
  int ncol = 0;
  char fieldbuf[8192];
  zeek_ignored_checksums = 0;
  zeek_filter[0] = '\0';
  while (fgets(line, sizeof(line), f)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (strncmp(line, "# command:", 10) == 0) {
      const char *fl = strstr(line, " -f '");
      if (fl) {
        fl += 5;
        size_t n = strcspn(fl, "'");
        snprintf(zeek_filter, sizeof(zeek_filter), "%.*s", (int)n, fl);
      }
      /* "-C", "-Cr", "-bC": a short-option cluster containing C */
      for (const char *p = strstr(line, " -"); p; p = strstr(p + 1, " -"))
        for (const char *q = p + 2; *q && *q != ' ' && *q != '-'; q++)
          if (*q == 'C')
            zeek_ignored_checksums = 1;
    }
    if (strncmp(line, "#fields\t", 8) == 0) {
      snprintf(fieldbuf, sizeof(fieldbuf), "%s", line + 8);
      ncol = 0;
      for (char *tok = strtok(fieldbuf, "\t"); tok && ncol < 64; tok = strtok(NULL, "\t"))
        names[ncol++] = tok;
      continue;
    }
    if (line[0] == '#' || line[0] == '\0')
      continue;
    if (ncol == 0) {
      /* zeek-cut output: the first plain line names the columns. */
      snprintf(fieldbuf, sizeof(fieldbuf), "%s", line);
      for (char *tok = strtok(fieldbuf, "\t"); tok && ncol < 64; tok = strtok(NULL, "\t"))
        names[ncol++] = tok;
      continue;
    }
    char *vals[64] = {0};
    int nv = 0;
    char *p = line;
    while (nv < 64) {
      vals[nv++] = p;
      char *tab = strchr(p, '\t');
      if (!tab)
        break;
      *tab = '\0';
      p = tab + 1;
    }
    conn *c = push(out);
    c->orig_pkts = c->resp_pkts = c->orig_bytes = c->resp_bytes = c->orig_ip = c->resp_ip = -1;
    c->rank = (long)(out->n - 1); /* without uids: rows in creation order */
    for (int i = 0; i < ncol && i < nv; i++) {
      const char *n = names[i], *v = vals[i];
      if (!strcmp(n, "uid"))
        c->rank = uid_rank(v);
      else if (!strcmp(n, "id.orig_h") && (c->has_ids = 1))
        copy_field(c->orig_h, sizeof(c->orig_h), v);
      else if (!strcmp(n, "id.resp_h"))
        copy_field(c->resp_h, sizeof(c->resp_h), v);
      else if (!strcmp(n, "id.orig_p"))
        c->orig_p = (unsigned)atoi(v);
      else if (!strcmp(n, "id.resp_p"))
        c->resp_p = (unsigned)atoi(v);
      else if (!strcmp(n, "proto"))
        copy_field(c->proto, sizeof(c->proto), v);
      else if (!strcmp(n, "history"))
        copy_field(c->history, sizeof(c->history), v), c->has_history = 1;
      else if (!strcmp(n, "conn_state"))
        copy_field(c->conn_state, sizeof(c->conn_state), v), c->has_state = 1;
      else if (!strcmp(n, "orig_pkts"))
        c->orig_pkts = num_or_unset(v);
      else if (!strcmp(n, "resp_pkts"))
        c->resp_pkts = num_or_unset(v);
      else if (!strcmp(n, "orig_bytes"))
        c->orig_bytes = num_or_unset(v);
      else if (!strcmp(n, "resp_bytes"))
        c->resp_bytes = num_or_unset(v);
      else if (!strcmp(n, "orig_ip_bytes"))
        c->orig_ip = num_or_unset(v);
      else if (!strcmp(n, "resp_ip_bytes"))
        c->resp_ip = num_or_unset(v);
    }
  }
  fclose(f);
  return 0;
}

/* ---- flowscope's side ------------------------------------------------- */

/* Zeek's default timeouts: 5 s for an unanswered SYN (tcp_attempt_delay),
 * 5 min TCP inactivity, 5 s after close/reset, 1 min UDP/ICMP/other; and
 * its DNS analyzer ends a UDP DNS session idle for dns_session_timeout
 * (10 s) on the ports it claims (53, NetBIOS 137, mDNS 5353, LLMNR 5355).
 * Zeek checks that idle time on a timer every 10 s from the first packet;
 * a plain 10 s idle timeout is the same except at the edges. */
static fs_time_ns zeek_timeout(void *ctx, const fs_flow_key *key, uint32_t state, fs_time_ns dflt) {
  (void)ctx;
  if (key->proto == FS_L4_TCP && state == FS_STATE_SYN_SENT)
    return 5 * FS_NS_PER_SEC;
  if (key->proto == FS_L4_UDP) {
    static const uint16_t dns_ports[] = {53, 137, 5353, 5355};
    for (size_t i = 0; i < sizeof(dns_ports) / sizeof(dns_ports[0]); i++)
      if (key->port_a == dns_ports[i] || key->port_b == dns_ports[i])
        return 10 * FS_NS_PER_SEC;
  }
  return dflt;
}

static void on_event(void *self, const fs_event *ev) {
  if (ev->type != FS_EV_FLOW_ENDED || !ev->key || !ev->stats)
    return;
  conn_list *l = self;
  conn *c = push(l);
  const fs_flow_key *k = ev->key;
  int fam = k->kind == FS_KEY_FIVE_TUPLE_V6 ? 6 : 4;
  int a_is_orig = ev->orientation == FS_ORIENT_A_TO_B;
  const uint8_t *oa = a_is_orig ? k->addr_a : k->addr_b;
  const uint8_t *ra = a_is_orig ? k->addr_b : k->addr_a;
  fs_addr_format(fam, oa, c->orig_h, sizeof(c->orig_h));
  fs_addr_format(fam, ra, c->resp_h, sizeof(c->resp_h));
  c->orig_p = a_is_orig ? k->port_a : k->port_b;
  c->resp_p = a_is_orig ? k->port_b : k->port_a;
  snprintf(c->proto, sizeof(c->proto), "%s",
           k->proto == FS_L4_ICMPV6 ? "icmp" : fs_l4proto_name(k->proto));
  const fs_flow_stats *s = ev->stats;
  snprintf(c->history, sizeof(c->history), "%s", s->history);
  snprintf(c->conn_state, sizeof(c->conn_state), "%s", s->conn_state);
  c->orig_pkts = (long long)s->side[0].packets;
  c->resp_pkts = (long long)s->side[1].packets;
  c->orig_bytes = (long long)s->side[0].payload_bytes;
  c->resp_bytes = (long long)s->side[1].payload_bytes;
  c->orig_ip = (long long)s->side[0].ip_bytes;
  c->resp_ip = (long long)s->side[1].ip_bytes;
  c->flow_id = s->flow_id;
  c->first = s->first_seen;
}

static const fs_event_sink_ops sink_ops = {sizeof(fs_event_sink_ops), 0, on_event, NULL, NULL};

static int run_capture(const char *path, uint32_t encap_mode, uint32_t layers, conn_list *out) {
  fs_source *src = NULL;
  char err[FS_ERRBUF_SIZE];
  fs_source_config sc;
  fs_source_config_default(&sc);
  sc.filter = zeek_filter[0] ? zeek_filter : NULL; /* as the baseline's Zeek (-f) */
  if (fs_source_open_file(&src, path, &sc, err) != 0)
    return -1;
  fs_extract_config xc;
  fs_extract_config_default(&xc);
  xc.encap_mode = encap_mode;
  xc.encap_layers &= ~layers; /* FS_ENCAP_MODE_SELECTED: every layer but these */
  fs_extractor ex;
  if (fs_extractor_create(&ex, &xc, err) != 0) {
    fs_source_close(src);
    return -1;
  }
  fs_tracker_config tc;
  fs_tracker_config_default(&tc);
  tc.max_flows = 65536;
  tc.timeouts[FS_TIMEOUT_TCP] =
      (fs_timeout_class){300 * FS_NS_PER_SEC, 300 * FS_NS_PER_SEC, 5 * FS_NS_PER_SEC};
  for (int i = FS_TIMEOUT_UDP; i < FS_TIMEOUT_PROTO_COUNT; i++)
    tc.timeouts[i] = (fs_timeout_class){60 * FS_NS_PER_SEC, 60 * FS_NS_PER_SEC, 60 * FS_NS_PER_SEC};
  tc.idle_timeout_fn = zeek_timeout;
  tc.syn_attempt_timeout = 5 * FS_NS_PER_SEC;
  tc.tcp_close_delay = 5 * FS_NS_PER_SEC;                 /* Zeek's tcp_close_delay */
  tc.verify_checksums = zeek_ignored_checksums ? 0u : 1u; /* as the baseline's Zeek did */
  tc.result_stats = 0;
  tc.sink.ops = &sink_ops;
  tc.sink.self = out;
  fs_tracker *t = NULL;
  if (fs_tracker_create(&t, &tc, err) != 0) {
    fs_extractor_destroy(&ex);
    fs_source_close(src);
    return -1;
  }
  fs_packet_view pv;
  int rc;
  while ((rc = fs_source_next(src, &pv)) == 1) {
    fs_extract_result r;
    memset(&r, 0, sizeof(r));
    r.struct_size = sizeof(r);
    if (ex.ops->extract(ex.self, &pv, &r) != 0)
      continue;
    fs_tracker_track(t, &pv, &r, NULL);
  }
  fs_tracker_flush(t);
  fs_tracker_destroy(t);
  fs_extractor_destroy(&ex);
  fs_source_close(src);
  return 0;
}

/* ---- comparison ------------------------------------------------------- */

enum { F_ORIENT, F_HISTORY, F_STATE, F_PKTS, F_BYTES, F_IPBYTES, F_FOUND, F_N };
static const char *const field_names[F_N] = {"orientation",   "history",  "conn_state", "packets",
                                             "payload bytes", "ip bytes", "found"};
static unsigned long agree[F_N], total[F_N];
static unsigned long missing[F_N]; /* comparisons lost because the connection was not found */
static unsigned long hist_agree_nox, hist_total_nox; /* history ignoring Zeek's 'X' letter */
static unsigned long rows_other;

static int same_pair(const conn *z, const conn *o, int *oriented) {
  if (strcmp(z->proto, o->proto) != 0)
    return 0;
  int icmp = strcmp(z->proto, "icmp") == 0; /* ICMP "ports" are type/code: match addresses */
  if (!strcmp(z->orig_h, o->orig_h) && !strcmp(z->resp_h, o->resp_h) &&
      (icmp || (z->orig_p == o->orig_p && z->resp_p == o->resp_p))) {
    *oriented = 1;
    return 1;
  }
  if (!strcmp(z->orig_h, o->resp_h) && !strcmp(z->resp_h, o->orig_h) &&
      (icmp || (z->orig_p == o->resp_p && z->resp_p == o->orig_p))) {
    *oriented = 0;
    return 1;
  }
  return 0;
}

static FILE *report;

/* Zeek adds 'X'/'x' when a protocol analyzer gives up (a parser verdict,
 * not a TCP event): compare histories with those letters removed too. */
static void hist_nox(const char *zh, const char *oh) {
  char a[64];
  size_t n = 0;
  for (const char *p = zh; *p && n + 1 < sizeof(a); p++)
    if (*p != 'X' && *p != 'x')
      a[n++] = *p;
  a[n] = '\0';
  hist_total_nox++;
  if (!strcmp(a, oh))
    hist_agree_nox++;
}

static void note(const char *cap, const conn *z, const char *field, const char *zv,
                 const char *ov) {
  fprintf(report, "  %s %s %s:%u > %s:%u  %s: zeek=%s flowscope=%s\n", cap, z->proto, z->orig_h,
          z->orig_p, z->resp_h, z->resp_p, field, zv, ov);
}

static void cmp_num(const char *cap, const conn *z, int f, const char *name, long long zv,
                    long long ov) {
  if (zv < 0)
    return; /* Zeek left it unset (e.g. bytes of a zero-duration connection) */
  total[f]++;
  if (zv == ov) {
    agree[f]++;
    return;
  }
  char a[32], b[32];
  snprintf(a, sizeof(a), "%lld", zv);
  snprintf(b, sizeof(b), "%lld", ov);
  note(cap, z, name, a, b);
}

/* Passes over each capture: the auto pass (every layer entered) and the
 * carrier passes that find the outer connections Zeek logs for tunnels:
 * outer-only, then one per tunnel kind that stops at that tunnel (its
 * carriers nested inside another tunnel, e.g. Teredo inside GTP-U). */
static const uint32_t carrier_stop[] = {FS_ENCAP_VXLAN, FS_ENCAP_GTPU,  FS_ENCAP_GENEVE,
                                        FS_ENCAP_GRE,   FS_ENCAP_AYIYA, FS_ENCAP_TEREDO,
                                        FS_ENCAP_IPIP};
#define N_CARRIER_PASSES (1 + sizeof(carrier_stop) / sizeof(carrier_stop[0]))

static int same_pair(const conn *z, const conn *o, int *oriented);

static int by_creation(const void *a, const void *b) {
  const conn *x = *(conn *const *)a, *y = *(conn *const *)b;
  if (x->first != y->first)
    return x->first < y->first ? -1 : 1;
  if (x->inner != y->inner) /* a tunnel's carrier is created before what it carries */
    return x->inner - y->inner;
  return x->flow_id < y->flow_id ? -1 : (x->flow_id > y->flow_id);
}

/* Our connections in the order Zeek would create them: the auto pass's
 * flows plus the tunnel carriers only the carrier passes see, by first
 * packet (carrier first). For logs without id.* columns, matched by rank. */
static conn **creation_order(conn_list *ol, conn_list *carriers, size_t *n) {
  size_t cap = ol->n;
  for (size_t k = 0; k < N_CARRIER_PASSES; k++)
    cap += carriers[k].n;
  conn **v = calloc(cap ? cap : 1, sizeof(conn *));
  assert_non_null(v);
  size_t m = 0;
  for (size_t j = 0; j < ol->n; j++) {
    ol->v[j].inner = 1;
    v[m++] = &ol->v[j];
  }
  for (size_t k = 0; k < N_CARRIER_PASSES; k++)
    for (size_t j = 0; j < carriers[k].n; j++) {
      conn *c = &carriers[k].v[j];
      int dup = 0, o;
      for (size_t i = 0; i < m && !dup; i++)
        dup = same_pair(v[i], c, &o);
      if (!dup)
        v[m++] = c;
    }
  qsort(v, m, sizeof(conn *), by_creation);
  *n = m;
  return v;
}

static void compare(const char *cap, conn_list *zl, conn_list *ol, conn_list *carriers) {
  size_t n_order = 0;
  conn **order = NULL;
  for (size_t i = 0; i < zl->n; i++) {
    conn *z = &zl->v[i];
    if (z->has_ids && strcmp(z->proto, "tcp") && strcmp(z->proto, "udp") &&
        strcmp(z->proto, "icmp")) {
      rows_other++;
      continue;
    }
    conn *m = NULL;
    int oriented = 0;
    if (!z->has_ids) {
      /* Match by creation rank among our flows. */
      total[F_FOUND]++;
      if (!order)
        order = creation_order(ol, carriers, &n_order);
      conn *best = NULL;
      if (z->rank >= 0 && (size_t)z->rank < n_order)
        best = order[z->rank];
      if (!best) {
        note(cap, z, "found", "yes", "no");
        if (z->has_history)
          total[F_HISTORY]++, missing[F_HISTORY]++;
        if (z->has_state)
          total[F_STATE]++, missing[F_STATE]++;
        continue;
      }
      agree[F_FOUND]++;
      if (z->has_history) {
        hist_nox(z->history, best->history);
        total[F_HISTORY]++;
        if (!strcmp(z->history, best->history))
          agree[F_HISTORY]++;
        else
          note(cap, z, "history", z->history, best->history);
      }
      if (z->has_state) {
        total[F_STATE]++;
        if (!strcmp(z->conn_state, best->conn_state))
          agree[F_STATE]++;
        else
          note(cap, z, "conn_state", z->conn_state, best->conn_state);
      }
      cmp_num(cap, z, F_PKTS, "orig_pkts", z->orig_pkts, best->orig_pkts);
      cmp_num(cap, z, F_PKTS, "resp_pkts", z->resp_pkts, best->resp_pkts);
      continue;
    }
    /* The carrier passes first: a tunnel carrier there keeps every one of
     * its packets (Zeek counts a tunnelled packet in the carrier and in the
     * inner connection), while the auto pass holds only the carrier packets
     * that were not decapsulated. A pass that has any other connection has
     * all of its packets, like the auto pass. */
    for (size_t li = 0; li <= N_CARRIER_PASSES && !m; li++) {
      conn_list *lst = li < N_CARRIER_PASSES ? &carriers[li] : ol;
      for (size_t j = 0; j < lst->n; j++) {
        conn *o = &lst->v[j];
        if (!o->matched && same_pair(z, o, &oriented)) {
          m = o;
          break;
        }
      }
    }
    total[F_FOUND]++;
    if (!m) {
      note(cap, z, "found", "yes", "no");
      for (int f = F_ORIENT; f <= F_STATE; f++)
        total[f]++, missing[f]++;
      /* Per-side counts: one lost comparison per value Zeek logged, as a
       * found row would have contributed. */
      const long long zv[6] = {z->orig_pkts,  z->resp_pkts, z->orig_bytes,
                               z->resp_bytes, z->orig_ip,   z->resp_ip};
      for (int v = 0; v < 6; v++)
        if (zv[v] >= 0)
          total[F_PKTS + v / 2]++, missing[F_PKTS + v / 2]++;
      continue;
    }
    agree[F_FOUND]++;
    m->matched = 1;
    total[F_ORIENT]++;
    if (oriented)
      agree[F_ORIENT]++;
    else
      note(cap, z, "orientation", "as listed", "reversed");
    hist_nox(z->history, m->history);
    total[F_HISTORY]++;
    if (!strcmp(z->history, m->history))
      agree[F_HISTORY]++;
    else
      note(cap, z, "history", z->history, m->history);
    total[F_STATE]++;
    if (!strcmp(z->conn_state, m->conn_state))
      agree[F_STATE]++;
    else
      note(cap, z, "conn_state", z->conn_state, m->conn_state);
    /* Counts are compared per Zeek side: swap ours when reversed. */
    long long op = oriented ? m->orig_pkts : m->resp_pkts,
              rp = oriented ? m->resp_pkts : m->orig_pkts;
    long long ob = oriented ? m->orig_bytes : m->resp_bytes,
              rb = oriented ? m->resp_bytes : m->orig_bytes;
    long long oi = oriented ? m->orig_ip : m->resp_ip, ri = oriented ? m->resp_ip : m->orig_ip;
    cmp_num(cap, z, F_PKTS, "orig_pkts", z->orig_pkts, op);
    cmp_num(cap, z, F_PKTS, "resp_pkts", z->resp_pkts, rp);
    cmp_num(cap, z, F_BYTES, "orig_bytes", z->orig_bytes, ob);
    cmp_num(cap, z, F_BYTES, "resp_bytes", z->resp_bytes, rb);
    cmp_num(cap, z, F_IPBYTES, "orig_ip_bytes", z->orig_ip, oi);
    cmp_num(cap, z, F_IPBYTES, "resp_ip_bytes", z->resp_ip, ri);
  }
  free(order);
}

/* ---- walking the corpus ----------------------------------------------- */

static char **logs;
static size_t nlogs, caplogs;

static int visit(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
  (void)sb;
  (void)ftw;
  size_t n = strlen(path);
  const char *suffix = ".truth/zeek-conn.log";
  size_t sn = strlen(suffix);
  if (type == FTW_F && n > sn && strcmp(path + n - sn, suffix) == 0) {
    if (nlogs == caplogs) {
      caplogs = caplogs ? caplogs * 2 : 128;
      logs = realloc(logs, caplogs * sizeof(char *));
    }
    logs[nlogs++] = strdup(path);
  }
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *corpus_dir(void) {
  const char *d = getenv("FLOWSCOPE_CORPUS");
  if (!d || !*d)
    d = FS_CORPUS;
  return d;
}

static double share_found(int f) {
  unsigned long t = total[f] - missing[f];
  return t ? 100.0 * (double)agree[f] / (double)t : 0;
}

static double share(int f) { return total[f] ? 100.0 * (double)agree[f] / (double)total[f] : 0; }

static void test_zeek_agreement(void **state) {
  (void)state;
  const char *dir = corpus_dir();
  struct stat st;
  if (!dir || !*dir || stat(dir, &st) != 0) {
    print_message("corpus not found (FLOWSCOPE_CORPUS empty or missing): skipped\n");
    skip();
  }
  nftw(dir, visit, 16, FTW_PHYS);
  if (nlogs == 0) {
    print_message("no zeek-conn.log in %s: skipped\n", dir);
    skip();
  }
  qsort(logs, nlogs, sizeof(char *), cmp_str);
  const char *rp = getenv("FS_ZEEK_REPORT");
  report = rp ? fopen(rp, "w") : stdout;
  if (!report)
    report = stdout;
  fprintf(report, "disagreements (capture, connection as Zeek lists it, field):\n");
  unsigned caps = 0;
  for (size_t i = 0; i < nlogs; i++) {
    char cap[4096];
    size_t n = strlen(logs[i]) - strlen(".truth/zeek-conn.log");
    snprintf(cap, sizeof(cap), "%.*s", (int)n, logs[i]);
    conn_list zl = {0}, ol = {0}, carriers[N_CARRIER_PASSES];
    memset(carriers, 0, sizeof(carriers));
    parse_zeek_log(logs[i], &zl);
    if (run_capture(cap, FS_ENCAP_MODE_AUTO, 0, &ol) != 0) {
      fprintf(report, "  %s: cannot read\n", cap);
    } else {
      /* Tunnel carriers (the outer UDP/IP connections Zeek also logs). */
      run_capture(cap, FS_ENCAP_MODE_OUTER, 0, &carriers[0]);
      for (size_t k = 1; k < N_CARRIER_PASSES; k++)
        run_capture(cap, FS_ENCAP_MODE_SELECTED, carrier_stop[k - 1], &carriers[k]);
      caps++;
    }
    compare(cap + strlen(dir), &zl, &ol, carriers);
    free(zl.v);
    free(ol.v);
    for (size_t k = 0; k < N_CARRIER_PASSES; k++)
      free(carriers[k].v);
    free(logs[i]);
  }
  free(logs);
  fprintf(report,
          "\nZeek agreement over %u captures (%lu tcp/udp/icmp rows; %lu other rows "
          "not compared):\n",
          caps, total[F_FOUND], rows_other);
  fprintf(report, "  field          all rows              rows flowscope found\n");
  for (int f = 0; f < F_N; f++)
    fprintf(report, "  %-14s %6.2f%% (%3lu of %3lu)  %6.2f%% (%3lu of %3lu)\n", field_names[f],
            share(f), agree[f], total[f], share_found(f), agree[f], total[f] - missing[f]);
  double nox = hist_total_nox ? 100.0 * (double)hist_agree_nox / (double)hist_total_nox : 0;
  fprintf(report, "  history without Zeek's analyzer letter X: %6.2f%% (%lu of %lu found)\n", nox,
          hist_agree_nox, hist_total_nox);
  if (report != stdout)
    fclose(report);
  /* Floors just below the measured shares (see docs/tracking.md). */
  /* Every row Zeek logged (a connection flowscope never built counts as a
   * disagreement in every field), then the rows flowscope found. */
  assert_true(share(F_FOUND) >= 99.5);
  assert_true(share(F_ORIENT) >= 99.0 && share_found(F_ORIENT) >= 99.0);
  assert_true(share(F_HISTORY) >= 94.5 && share_found(F_HISTORY) >= 94.5);
  assert_true(share(F_STATE) >= 99.0 && share_found(F_STATE) >= 99.0);
  assert_true(share(F_PKTS) >= 98.5 && share_found(F_PKTS) >= 98.5);
  assert_true(share(F_BYTES) >= 99.0 && share_found(F_BYTES) >= 99.0);
  assert_true(share(F_IPBYTES) >= 98.5 && share_found(F_IPBYTES) >= 98.5);
  assert_true(nox >= 97.5);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_zeek_agreement)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
