/* SPDX-License-Identifier: MIT */
/* The tls plugin through the library's driver (SESSIONS mode: registry,
 * protocol detection by port hint and probe, reassembly, split feeding):
 * the openssl loopback capture gives the same messages as the test host
 * (whose values test_tls_loopback checks against independent truth), the
 * driver's 1-3 byte split feeding changes nothing, and the corpus truth
 * shares are measured with detection in the loop. Built only once the
 * driver's sources exist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "flowscope/driver.h"
#include "flowscope/registry.h"
#include "tls_corpus_compare.h"

/* Floors with detection in the loop (see docs/plugins-tls.md). */
#define DRIVER_JA3_FLOOR_PERCENT 99.5
#define DRIVER_JA4_FLOOR_PERCENT 99.0
#define DRIVER_JA3S_FLOOR_PERCENT 99.5

typedef struct drv_ctx {
  fs_registry *reg;
  uint32_t split;
  const char *const *protocols; /* NULL: every loaded protocol */
} drv_ctx;

static const char *const only_ssl[] = {"ssl", NULL};
static drv_ctx drv = {.protocols = only_ssl};
/* Every plugin of the build loaded, as the CLI does (http claims CONNECT
 * flows and hands the tunnel off to detection). */
static drv_ctx drv_all;
static void *plugin_handle;
static const fs_protocol_desc *proto;

static void on_event(void *self, const fs_event *ev) {
  tps_result *r = self;
  if (ev->type != FS_EV_MESSAGE || !ev->message || !ev->key ||
      strcmp(ev->message->protocol, "ssl") != 0)
    return;
  int initiator_is_a = ev->orientation == FS_ORIENT_A_TO_B;
  int client_is_initiator = ev->message->side == FS_SIDE_INITIATOR;
  tps_add_record(r, ev->message, ev->key, initiator_is_a == client_is_initiator);
}

static const fs_event_sink_ops sink_ops = {
    .struct_size = (uint32_t)sizeof(fs_event_sink_ops),
    .on_event = on_event,
};

static int run_driver(void *ctx, const char *path, tps_result *res) {
  drv_ctx *d = ctx;
  th_out *render = res->render; /* the driver splits by itself (split_feed) */
  memset(res, 0, sizeof *res);
  res->render = render;
  char err[FS_ERRBUF_SIZE];
  fs_source *src;
  fs_source_config scfg;
  fs_source_config_default(&scfg);
  if (fs_source_open_file(&src, path, &scfg, err) != 0)
    return -1;
  fs_driver_config cfg;
  fs_driver_config_default(&cfg);
  cfg.mode = FS_DRIVE_SESSIONS;
  cfg.registry = d->reg;
  cfg.protocols = d->protocols;
  cfg.split_feed = d->split;
  cfg.split_seed = 7;
  cfg.sink.ops = &sink_ops;
  cfg.sink.self = res;
  fs_driver *drv_handle;
  if (fs_driver_create(&drv_handle, &cfg, err) != 0) {
    fprintf(stderr, "driver: %s\n", err);
    fs_source_close(src);
    return -1;
  }
  fs_packet_view pkt;
  for (;;) {
    memset(&pkt, 0, sizeof pkt);
    pkt.struct_size = sizeof pkt;
    if (fs_source_next(src, &pkt) != 1)
      break;
    fs_driver_feed(drv_handle, &pkt);
  }
  fs_driver_finish(drv_handle);
  fs_driver_counters counters;
  memset(&counters, 0, sizeof counters);
  counters.struct_size = sizeof counters;
  fs_driver_counters_get(drv_handle, &counters);
  res->flows = res->n; /* messages, as the driver does not say which flows it parsed */
  res->poisoned = counters.parse_errors;
  fs_driver_destroy(drv_handle);
  fs_source_close(src);
  return 0;
}

static int setup(void **state) {
  (void)state;
  proto = th_load(&plugin_handle);
  if (!proto)
    return -1;
  char err[FS_ERRBUF_SIZE];
  if (fs_registry_create(&drv.reg, FS_REGISTRY_NO_SYSTEM | FS_REGISTRY_NO_ENV) != 0 ||
      fs_registry_add_dir(drv.reg, FS_PLUGIN_BUILD_DIR) != 0 ||
      fs_registry_load(drv.reg, "tls", err) != 0) {
    fprintf(stderr, "registry: %s\n", err);
    return -1;
  }
  if (fs_registry_create(&drv_all.reg, FS_REGISTRY_NO_SYSTEM | FS_REGISTRY_NO_ENV) != 0 ||
      fs_registry_add_dir(drv_all.reg, FS_PLUGIN_BUILD_DIR) != 0 ||
      fs_registry_load_all(drv_all.reg) < 0 || !fs_registry_protocol(drv_all.reg, "http")) {
    fprintf(stderr, "registry: every plugin of %s\n", FS_PLUGIN_BUILD_DIR);
    return -1;
  }
  tcc_find_truth();
  return 0;
}

static int teardown(void **state) {
  (void)state;
  tcc_free_truth();
  fs_registry_destroy(drv.reg);
  fs_registry_destroy(drv_all.reg);
  if (plugin_handle)
    dlclose(plugin_handle);
  return 0;
}

static tps_record *by_port(tps_result *r, unsigned port, int retry) {
  for (size_t i = 0; i < r->n; i++)
    if (r->rec[i].client_port == port && r->rec[i].retry == retry)
      return &r->rec[i];
  return NULL;
}

static void test_loopback_same_as_host(void **state) {
  (void)state;
  const char *path = FS_TEST_DATA "/tls-openssl-loopback.pcap";
  tps_result host = {0}, viadrv = {0};
  assert_int_equal(tps_run(path, proto, &host), 0);
  drv.split = 0;
  assert_int_equal(run_driver(&drv, path, &viadrv), 0);
  assert_int_equal(viadrv.messages, 4);
  assert_int_equal(viadrv.n, host.n);
  assert_int_equal(viadrv.poisoned, 0);
  for (size_t i = 0; i < host.n; i++) {
    tps_record *h = &host.rec[i], *d = by_port(&viadrv, h->client_port, h->retry);
    assert_non_null(d);
    assert_string_equal(d->client, h->client);
    assert_int_equal(d->server_port, h->server_port);
    assert_string_equal(d->sni, h->sni);
    assert_string_equal(d->ja3_string, h->ja3_string);
    assert_string_equal(d->ja3, h->ja3);
    assert_string_equal(d->ja4, h->ja4);
    assert_string_equal(d->ja3s, h->ja3s);
    assert_string_equal(d->version, h->version);
    assert_string_equal(d->curve, h->curve);
    assert_string_equal(d->subject_cn, h->subject_cn);
    assert_int_equal(d->established, h->established);
  }
  tps_free(&host);
  tps_free(&viadrv);
}

static void test_driver_split_feed(void **state) {
  (void)state;
  const char *path = FS_TEST_DATA "/tls-openssl-loopback.pcap";
  static th_out whole_text, split_text;
  tps_result whole = {0}, split = {0};
  whole.render = &whole_text;
  split.render = &split_text;
  drv.split = 0;
  assert_int_equal(run_driver(&drv, path, &whole), 0);
  drv.split = 3; /* pieces of 1..3 bytes */
  assert_int_equal(run_driver(&drv, path, &split), 0);
  drv.split = 0;
  assert_int_equal(whole.messages, 4);
  assert_string_equal(whole_text.text, split_text.text);
  tps_free(&whole);
  tps_free(&split);
}

static void test_corpus_through_driver(void **state) {
  (void)state;
  if (!n_truth_dirs)
    skip(); /* corpus absent: set FLOWSCOPE_CORPUS */
  drv.split = 0;
  double ja3 = tcc_ja3_share(run_driver, &drv);
  double ja4 = tcc_ja4_share(run_driver, &drv);
  double ja3s = tcc_ja3s_share(run_driver, &drv);
  assert_true(ja3 >= DRIVER_JA3_FLOOR_PERCENT);
  assert_true(ja4 >= DRIVER_JA4_FLOOR_PERCENT);
  assert_true(ja3s >= DRIVER_JA3S_FLOOR_PERCENT);
}

/* The same shares with every plugin loaded: TLS inside HTTP CONNECT tunnels
 * is reached through the http plugin's hand-off (docs/drivers.md). */
static void test_corpus_all_plugins(void **state) {
  (void)state;
  if (!n_truth_dirs)
    skip(); /* corpus absent: set FLOWSCOPE_CORPUS */
  printf("---- every plugin loaded ----\n");
  double ja3 = tcc_ja3_share(run_driver, &drv_all);
  double ja4 = tcc_ja4_share(run_driver, &drv_all);
  double ja3s = tcc_ja3s_share(run_driver, &drv_all);
  assert_true(ja3 >= DRIVER_JA3_FLOOR_PERCENT);
  assert_true(ja4 >= DRIVER_JA4_FLOOR_PERCENT);
  assert_true(ja3s >= DRIVER_JA3S_FLOOR_PERCENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_loopback_same_as_host),
      cmocka_unit_test(test_driver_split_feed),
      cmocka_unit_test(test_corpus_through_driver),
      cmocka_unit_test(test_corpus_all_plugins),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
