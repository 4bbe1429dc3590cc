/* SPDX-License-Identifier: MIT */
/* The tls plugin against independent truth in the corpus (tls_corpus_compare.h):
 * tshark's SNI and JA3 per ClientHello and the JA4 reference implementation's
 * values, with the captures run by the test host of tls_pcap_sessions.h
 * (every TCP connection given to the parser). Asserts floors just below what
 * was measured (docs/plugins-tls.md lists the numbers and every miss). Skips
 * when the corpus is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tls_corpus_compare.h"

/* Floors: measured shares minus a little (see docs/plugins-tls.md). */
#define JA3_FLOOR_PERCENT 99.5
#define JA4_FLOOR_PERCENT 99.0
#define JA3S_FLOOR_PERCENT 99.5

static void *plugin_handle;
static const fs_protocol_desc *proto;

static int run_host(void *ctx, const char *path, tps_result *res) {
  (void)ctx;
  return tps_run(path, proto, res);
}

static int setup(void **state) {
  (void)state;
  proto = th_load(&plugin_handle);
  if (!proto)
    return -1;
  tcc_find_truth();
  return 0;
}

static int teardown(void **state) {
  (void)state;
  tcc_free_truth();
  if (plugin_handle)
    dlclose(plugin_handle);
  return 0;
}

static void test_ja3_sni_vs_tshark(void **state) {
  (void)state;
  if (!n_truth_dirs)
    skip(); /* corpus absent: set FLOWSCOPE_CORPUS */
  double share = tcc_ja3_share(run_host, NULL);
  assert_true(share >= JA3_FLOOR_PERCENT);
}

static void test_ja4_vs_reference(void **state) {
  (void)state;
  if (!n_truth_dirs)
    skip();
  double share = tcc_ja4_share(run_host, NULL);
  assert_true(share >= JA4_FLOOR_PERCENT);
}

static void test_ja3s_vs_tshark(void **state) {
  (void)state;
  if (!n_truth_dirs)
    skip();
  double share = tcc_ja3s_share(run_host, NULL);
  assert_true(share >= JA3S_FLOOR_PERCENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ja3_sni_vs_tshark),
      cmocka_unit_test(test_ja4_vs_reference),
      cmocka_unit_test(test_ja3s_vs_tshark),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
