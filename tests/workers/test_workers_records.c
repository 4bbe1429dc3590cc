/* SPDX-License-Identifier: MIT */
/* 1, 2 and 3 workers give exactly the same records (flow events and
 * application messages), in the same order within each flow, as one
 * driver on the caller's thread (events queued to the caller, or handed to
 * each worker's own sink; packets copied, or passed in place from an
 * attached source), and that driver fed in batches
 * (fs_driver_feed_batch) gives them in exactly the same order: on generated captures (with IPv4
 * fragments, IPv6, TCP and UDP), on every capture in tests/data, and on
 * every capture of the corpus when it is present. Also under tiny rings
 * and queues, where the feeder and workers wait on each other constantly. */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture_walk.h"
#include "flowscope/workers.h"
#include "fs_gen.h"
#include "workers_records.h"

/* A capture held in memory, so every run reads identical packets. */
typedef struct capture {
  fs_packet_view *pkts;
  uint8_t **data;
  size_t n, cap;
} capture;

static void cap_add(capture *c, const fs_packet_view *p) {
  if (c->n == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 1024;
    c->pkts = realloc(c->pkts, c->cap * sizeof *c->pkts);
    c->data = realloc(c->data, c->cap * sizeof *c->data);
    assert_true(c->pkts && c->data);
  }
  c->data[c->n] = malloc(p->caplen ? p->caplen : 1);
  assert_non_null(c->data[c->n]);
  memcpy(c->data[c->n], p->data, p->caplen);
  c->pkts[c->n] = *p;
  c->pkts[c->n].data = c->data[c->n];
  c->n++;
}

static void cap_free(capture *c) {
  for (size_t i = 0; i < c->n; i++)
    free(c->data[i]);
  free(c->data);
  free(c->pkts);
  memset(c, 0, sizeof *c);
}

/* Returns 0 when the file could not be opened as a capture. */
static int cap_load(capture *c, const char *path) {
  fs_source *src = NULL;
  char err[FS_ERRBUF_SIZE];
  fs_source_config sc;
  fs_source_config_default(&sc);
  if (fs_source_open_file(&src, path, &sc, err) != 0)
    return 0;
  fs_packet_view p;
  while (fs_source_next(src, &p) == 1)
    cap_add(c, &p);
  fs_source_close(src);
  return 1;
}

static void cap_generate(capture *c, const fs_gen_config *cfg) {
  fs_gen *g = NULL;
  assert_int_equal(fs_gen_create(&g, cfg), 0);
  fs_packet_view p;
  while (fs_gen_next(g, &p) == 1)
    cap_add(c, &p);
  fs_gen_destroy(g);
}

static fs_registry *g_registry; /* plugins of the build, if any load */

static void driver_config(fs_driver_config *dc, rec_set *out) {
  fs_driver_config_default(dc);
  dc->tracker.max_flows = 1u << 13; /* no eviction: per-worker tables would differ */
  if (g_registry) {
    dc->mode = FS_DRIVE_SESSIONS;
    dc->registry = g_registry;
  }
  dc->sink.ops = &rec_sink_ops;
  dc->sink.self = out;
}

/* One driver on this thread, fed every packet, as the command does for a
 * file (time moves with the packets; no explicit ticks). */
static void run_direct(const capture *c, rec_set *out) {
  fs_driver_config dc;
  driver_config(&dc, out);
  fs_driver *d = NULL;
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_driver_create(&d, &dc, err), 0);
  for (size_t i = 0; i < c->n; i++)
    fs_driver_feed(d, &c->pkts[i]);
  fs_driver_finish(d);
  fs_driver_destroy(d);
}

/* The same driver fed through fs_driver_feed_batch in batches of varying
 * size (1 to 40 packets): the records must match run_direct's exactly, in
 * the same order. */
static void run_direct_batch(const capture *c, rec_set *out) {
  fs_driver_config dc;
  driver_config(&dc, out);
  fs_driver *d = NULL;
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_driver_create(&d, &dc, err), 0);
  uint32_t rng = 12345;
  for (size_t i = 0; i < c->n;) {
    rng = rng * 1103515245u + 12345u;
    size_t k = 1 + (rng >> 16) % 40;
    if (k > c->n - i)
      k = c->n - i;
    assert_int_equal(fs_driver_feed_batch(d, &c->pkts[i], k), 0);
    i += k;
  }
  fs_driver_finish(d);
  fs_driver_destroy(d);
}

/* @p n workers; with @p tiny_rings, rings and queues of two entries, so
 * the feeder and the workers wait for each other all the time. */
static void workers_config(fs_workers_config *wc, uint32_t n, int tiny_rings) {
  fs_workers_config_default(wc);
  wc->n_workers = n;
  if (tiny_rings) {
    wc->ring_packets = 2;
    wc->ring_bytes = 1u << 17;
    wc->event_queue = 2;
  } else {
    wc->ring_bytes = 1u << 20;
  }
}

static void run_workers(const capture *c, uint32_t n, int tiny_rings, rec_set *out) {
  fs_workers_config wc;
  workers_config(&wc, n, tiny_rings);
  driver_config(&wc.driver, out);
  fs_workers *w = NULL;
  char err[FS_ERRBUF_SIZE] = "";
  int rc = fs_workers_create(&w, &wc, err);
  if (rc != 0)
    fail_msg("fs_workers_create: %s", err);
  for (size_t i = 0; i < c->n; i++)
    assert_int_equal(fs_workers_feed(w, &c->pkts[i]), 0);
  assert_int_equal(fs_workers_finish(w), 0);
  assert_int_equal(fs_workers_feed(w, &c->pkts[0]), FS_E_STATE);
  uint64_t fed = 0;
  for (uint32_t i = 0; i < n; i++) {
    fs_worker_stats st;
    assert_int_equal(fs_workers_stats(w, i, &st), 0);
    fed += st.packets;
    assert_int_equal(st.messages_dropped, 0);
    fs_driver_counters dcn = {.struct_size = sizeof dcn};
    assert_int_equal(fs_workers_driver_counters(w, i, &dcn), 0);
    assert_int_equal(dcn.packets, st.packets);
  }
  assert_int_equal(fed, c->n);
  fs_workers_destroy(w);
}

/* Each worker's own sink: checks that it is called on behalf of its worker
 * only, and collects into that worker's set (no locking: one thread each). */
typedef struct own_sink {
  uint32_t index;
  int wrong_worker;
  rec_set set;
} own_sink;

static void own_on_event(void *self, const fs_event *ev) {
  own_sink *o = self;
  if (ev->worker != o->index)
    o->wrong_worker = 1;
  rec_on_event(&o->set, ev);
}

static const fs_event_sink_ops own_sink_ops = {sizeof(fs_event_sink_ops), 0, own_on_event, NULL,
                                               NULL};

/* Workers with worker_sinks: every worker hands its events to its own sink
 * on its own thread; the sets are joined afterwards (each flow's records
 * all come from one set, in its order). */
static void run_workers_own_sinks(const capture *c, uint32_t n, int tiny_rings, rec_set *out) {
  fs_workers_config wc;
  workers_config(&wc, n, tiny_rings);
  rec_set unused = {0};
  driver_config(&wc.driver, &unused);
  own_sink *own = calloc(n, sizeof *own);
  fs_event_sink *sinks = calloc(n, sizeof *sinks);
  assert_true(own && sinks);
  for (uint32_t i = 0; i < n; i++) {
    own[i].index = i;
    sinks[i] = (fs_event_sink){&own_sink_ops, &own[i]};
  }
  wc.worker_sinks = sinks;
  fs_workers *w = NULL;
  char err[FS_ERRBUF_SIZE] = "";
  if (fs_workers_create(&w, &wc, err) != 0)
    fail_msg("fs_workers_create: %s", err);
  free(sinks); /* copied at creation */
  for (size_t i = 0; i < c->n; i++)
    assert_int_equal(fs_workers_feed(w, &c->pkts[i]), 0);
  assert_int_equal(fs_workers_poll(w), 0); /* nothing is queued for the caller */
  assert_int_equal(fs_workers_finish(w), 0);
  assert_int_equal(unused.n, 0);
  uint64_t events = 0;
  for (uint32_t i = 0; i < n; i++) {
    fs_worker_stats st;
    assert_int_equal(fs_workers_stats(w, i, &st), 0);
    events += st.events;
    assert_false(own[i].wrong_worker);
  }
  fs_workers_destroy(w);
  uint64_t collected = 0;
  for (uint32_t i = 0; i < n; i++) {
    collected += own[i].set.seq;
    for (size_t j = 0; j < own[i].set.n; j++) {
      if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 256;
        out->v = realloc(out->v, out->cap * sizeof *out->v);
        assert_non_null(out->v);
      }
      out->v[out->n++] = own[i].set.v[j]; /* keeps its per-worker order number */
    }
    free(own[i].set.v);
  }
  assert_true(events >= collected); /* packet events and keyless ones are counted, not kept */
  free(own);
}

/* The caller reads @p path with a source attached to the workers
 * (fs_workers_attach_source): packets go to the workers where the source
 * read them, and the source may only reuse a block once the workers are
 * done with it. Returns the packets passed in place. */
static uint64_t run_workers_attached(const char *path, uint32_t n, rec_set *out,
                                     uint64_t expect_packets) {
  fs_workers_config wc;
  fs_workers_config_default(&wc);
  wc.n_workers = n;
  wc.ring_bytes = 1u << 16; /* packets in place take no ring bytes */
  driver_config(&wc.driver, out);
  fs_workers *w = NULL;
  char err[FS_ERRBUF_SIZE] = "";
  if (fs_workers_create(&w, &wc, err) != 0)
    fail_msg("fs_workers_create: %s", err);
  fs_source *src = NULL;
  fs_source_config sc;
  fs_source_config_default(&sc);
  assert_int_equal(fs_source_open_file(&src, path, &sc, err), 0);
  int arc = fs_workers_attach_source(w, src);
  assert_true(arc == 0 || arc == FS_E_UNSUPPORTED); /* pcapng, swapped headers: copied */
  if (arc == 0)
    assert_int_equal(fs_workers_attach_source(w, src), FS_E_STATE); /* one source at a time */
  fs_packet_view pkts[32];
  memset(pkts, 0, sizeof pkts);
  int r;
  while ((r = fs_source_next_batch(src, pkts, 32)) > 0)
    for (int i = 0; i < r; i++)
      assert_int_equal(fs_workers_feed(w, &pkts[i]), 0);
  assert_int_equal(fs_workers_finish(w), 0);
  uint64_t got = 0, in_place = 0;
  for (uint32_t i = 0; i < n; i++) {
    fs_worker_stats st;
    assert_int_equal(fs_workers_stats(w, i, &st), 0);
    got += st.packets;
    in_place += st.packets_in_place;
  }
  assert_int_equal(got, expect_packets);
  if (arc != 0)
    assert_int_equal(in_place, 0);
  fs_workers_destroy(w);
  fs_source_close(src); /* after the workers, as documented */
  return in_place;
}

/* Self-sharding file mode: every worker reads @p path on its own. */
static void run_workers_file(const char *path, uint32_t n, rec_set *out, uint64_t expect_packets) {
  fs_workers_config wc;
  fs_workers_config_default(&wc);
  wc.n_workers = n;
  wc.ring_bytes = 1u << 16;
  wc.ring_packets = 16;
  driver_config(&wc.driver, out);
  fs_workers *w = NULL;
  char err[FS_ERRBUF_SIZE] = "";
  if (fs_workers_create(&w, &wc, err) != 0)
    fail_msg("fs_workers_create: %s", err);
  if (fs_workers_start_file(w, path, NULL, err) != 0)
    fail_msg("fs_workers_start_file: %s", err);
  fs_packet_view dummy;
  memset(&dummy, 0, sizeof dummy);
  dummy.data = (const uint8_t *)"";
  assert_int_equal(fs_workers_feed(w, &dummy), FS_E_STATE); /* the workers read, not the caller */
  fs_workers_poll(w);
  assert_int_equal(fs_workers_finish(w), 0);
  uint64_t got = 0;
  for (uint32_t i = 0; i < n; i++) {
    fs_worker_stats st;
    fs_workers_stats(w, i, &st);
    got += st.packets;
  }
  assert_int_equal(got, expect_packets); /* every packet in exactly one shard */
  fs_workers_destroy(w);
}

static void expect_same(const rec_set *a, const rec_set *b, const char *what, uint32_t n) {
  long d = rec_diff(a, b);
  if (d >= 0) {
    const rec_line *x = (size_t)d < a->n ? &a->v[d] : NULL;
    const rec_line *y = (size_t)d < b->n ? &b->v[d] : NULL;
    fail_msg("%s: %u workers differ from one driver at record %ld of %zu/%zu:\n  one: %s %s\n  "
             "%u:   %s %s",
             what, n, d, a->n, b->n, x ? x->key : "-", x ? x->text : "(none)", n, y ? y->key : "-",
             y ? y->text : "(none)");
  }
}

/* Compares one driver against 1..max_workers workers on @p c, and, when
 * @p path is the file @p c came from, against 2 self-sharding readers.
 * Returns the number of records. */
static size_t compare_all(const capture *c, const char *what, int tiny_rings, uint32_t max_workers,
                          const char *path) {
  rec_set base = {0};
  run_direct(c, &base);
  rec_set batched = {0};
  run_direct_batch(c, &batched);
  long bd = rec_diff(&base, &batched);
  if (bd >= 0)
    fail_msg("%s: fs_driver_feed_batch differs from fs_driver_feed at record %ld: %s / %s", what,
             bd, (size_t)bd < base.n ? base.v[bd].text : "(none)",
             (size_t)bd < batched.n ? batched.v[bd].text : "(none)");
  rec_free(&batched);
  rec_sort(&base);
  if (path) {
    rec_set got = {0};
    run_workers_file(path, 2, &got, c->n);
    rec_sort(&got);
    expect_same(&base, &got, what, 2);
    rec_free(&got);
    run_workers_attached(path, 2, &got, c->n);
    rec_sort(&got);
    expect_same(&base, &got, what, 2);
    rec_free(&got);
  }
  for (uint32_t n = 1; n <= max_workers; n++) {
    rec_set got = {0};
    run_workers(c, n, tiny_rings, &got);
    rec_sort(&got);
    expect_same(&base, &got, what, n);
    rec_free(&got);
  }
  /* Events handed to each worker's own sink instead of queued. */
  rec_set own = {0};
  run_workers_own_sinks(c, 2, tiny_rings, &own);
  rec_sort(&own);
  expect_same(&base, &own, what, 2);
  rec_free(&own);
  size_t records = base.n;
  rec_free(&base);
  return records;
}

static void test_generated(void **state) {
  (void)state;
  fs_gen_config cfg;
  fs_gen_preset(&cfg, "tiny"); /* 30% of plain-UDP flows fragment */
  capture c = {0};
  cap_generate(&c, &cfg);
  assert_true(compare_all(&c, "tiny", 0, 3, NULL) > 100);
  cap_free(&c);

  fs_gen_preset(&cfg, "small");
  cfg.packets = 30000;
  cfg.flows = 900;
  cfg.seed = 7;
  cfg.frag_percent = 20;
  cfg.ipv6_percent = 25;
  cfg.weights[FS_GEN_UDP] = 20;
  cap_generate(&c, &cfg);
  char path[] = "/tmp/fs-workers-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_gen_write_file(&cfg, path, NULL, err), 0);
  assert_true(compare_all(&c, "generated 30k", 0, 3, path) > 1000);
  /* Its ~20 MB lap the attached source's 16 blocks many times, so blocks
   * are reused while the workers still hold packets: every packet must
   * have gone in place, and the records above matched. */
  rec_set got = {0};
  assert_int_equal(run_workers_attached(path, 2, &got, c.n), c.n);
  assert_true(got.n > 1000);
  rec_free(&got);
  /* A record longer than the file's snapshot length makes the block
   * reader hand the rest of the file to libpcap, whose copies may land
   * where the unmapped blocks were: they must be copied, not taken in
   * place (found on the corpus's krb/smb2_krb.pcap). Written here: a
   * snapshot length of 600, the first half of the packets cut to it, the
   * rest whole, so the hand-off comes at the first long packet past the
   * middle. */
  size_t first_long = c.n / 2;
  while (first_long < c.n && c.pkts[first_long].caplen <= 600)
    first_long++;
  assert_true(first_long < c.n);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  uint32_t fh[6] = {0xa1b2c3d4u, 2u | (4u << 16), 0, 0, 600, 1};
  assert_int_equal(fwrite(fh, sizeof fh, 1, f), 1);
  for (size_t i = 0; i < c.n; i++) {
    const fs_packet_view *v = &c.pkts[i];
    uint32_t cap = i < c.n / 2 && v->caplen > 600 ? 600 : v->caplen;
    uint32_t rh[4] = {(uint32_t)(v->ts / 1000000000u), (uint32_t)(v->ts % 1000000000u / 1000u), cap,
                      v->wirelen};
    assert_int_equal(fwrite(rh, sizeof rh, 1, f), 1);
    assert_int_equal(fwrite(v->data, 1, cap, f), cap);
  }
  assert_int_equal(fclose(f), 0);
  capture cut = {0};
  assert_true(cap_load(&cut, path));
  assert_int_equal(cut.n, c.n);
  /* Large blocks straight from mmap, as in a fresh process: libpcap's
   * 2 MiB copy area then tends to land in the hole the blocks left (glibc
   * otherwise raises its threshold after the big frees above). */
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  assert_true(compare_all(&cut, "hand-off to libpcap", 0, 2, path) > 100);
  uint64_t in_place = run_workers_attached(path, 2, &got, cut.n);
  rec_free(&got);
  assert_int_equal(in_place, first_long); /* the ones before the long record */
  cap_free(&cut);
  /* Attaching after the first read is refused (its packets would move). */
  fs_workers_config wc;
  fs_workers_config_default(&wc);
  fs_workers *w = NULL;
  /* A worker sink without on_event is refused at creation. */
  fs_event_sink no_sinks[2] = {{&own_sink_ops, NULL}, {NULL, NULL}};
  wc.worker_sinks = no_sinks;
  assert_int_equal(fs_workers_create(&w, &wc, err), FS_E_INVAL);
  assert_null(w);
  assert_non_null(strstr(err, "on_event"));
  wc.worker_sinks = NULL;
  assert_int_equal(fs_workers_create(&w, &wc, err), 0);
  fs_source *src = NULL;
  fs_source_config sc;
  fs_source_config_default(&sc);
  assert_int_equal(fs_source_open_file(&src, path, &sc, err), 0);
  fs_packet_view one;
  memset(&one, 0, sizeof one);
  assert_int_equal(fs_source_next(src, &one), 1);
  assert_int_equal(fs_workers_attach_source(w, src), FS_E_STATE);
  fs_workers_destroy(w);
  fs_source_close(src);
  unlink(path);
  cap_free(&c);
}

static void test_tiny_rings(void **state) {
  (void)state;
  fs_gen_config cfg;
  fs_gen_preset(&cfg, "tiny");
  cfg.seed = 3;
  capture c = {0};
  cap_generate(&c, &cfg);
  assert_true(compare_all(&c, "tiny rings", 1, 3, NULL) > 100);
  cap_free(&c);
}

/* What the walks below add up. */
typedef struct walk_totals {
  size_t files, records;
} walk_totals;

static void compare_capture(const char *path, void *ctx) {
  walk_totals *w = ctx;
  capture c = {0};
  if (cap_load(&c, path) && c.n > 0) {
    w->records += compare_all(&c, path, 0, 2, path);
    w->files++;
  }
  cap_free(&c);
}

static void test_data_captures(void **state) {
  (void)state;
  walk_totals w = {0, 0};
  fs_test_walk_captures(FS_TEST_DATA, compare_capture, &w);
  print_message("tests/data: %zu captures, %zu records each run\n", w.files, w.records);
  assert_true(w.files >= 1);
}

static void test_corpus_captures(void **state) {
  (void)state;
  const char *corpus = fs_test_corpus_dir(FS_CORPUS);
  if (!corpus) {
    print_message("corpus not configured (FLOWSCOPE_CORPUS): skipped\n");
    skip();
  }
  walk_totals w = {0, 0};
  fs_test_walk_captures(corpus, compare_capture, &w);
  print_message("corpus: %zu captures, %zu records each run\n", w.files, w.records);
  assert_true(w.files > 0);
}

static int setup(void **state) {
  (void)state;
  /* Sessions mode when the build's plugins load; flows mode otherwise. */
  fs_registry *reg = NULL;
  if (fs_registry_create(&reg, 0) == 0 && fs_registry_add_dir(reg, FS_PLUGIN_BUILD_DIR) == 0 &&
      fs_registry_load_all(reg) >= 0 && fs_registry_count(reg) > 0) {
    g_registry = reg;
    print_message("sessions mode with %u plugins\n", fs_registry_count(reg));
  } else {
    fs_registry_destroy(reg);
    print_message("no plugins in %s: flows mode\n", FS_PLUGIN_BUILD_DIR);
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  fs_registry_destroy(g_registry);
  g_registry = NULL;
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_generated),
      cmocka_unit_test(test_tiny_rings),
      cmocka_unit_test(test_data_captures),
      cmocka_unit_test(test_corpus_captures),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
