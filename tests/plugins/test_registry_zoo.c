/* SPDX-License-Identifier: MIT */
/*
 * The broken-plugin zoo: every refusal path of the registry with a real
 * shared object. Each test asserts the FS_E_* code, that the message names
 * the file, and the reason text; and that the refused object is unloaded.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flowscope/flowscope.h"
#include "zoo_common.h"

/* 1 when the shared object at path is currently mapped in this process. */
static int is_loaded(const char *path) {
  void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  if (h != NULL) {
    dlclose(h);
    return 1;
  }
  return 0;
}

/*
 * Loads path into a fresh registry and checks the refusal: code, the
 * message names the path and contains reason, the refusal list holds the
 * same, nothing is loaded and the object is unloaded again.
 */
static void expect_refusal(const char *path, int code, const char *reason) {
  fs_registry *reg = NULL;
  assert_int_equal(fs_registry_create(&reg, FS_REGISTRY_NO_SYSTEM | FS_REGISTRY_NO_ENV), 0);
  char err[FS_ERRBUF_SIZE];
  int rc = fs_registry_load_file(reg, path, err);
  if (rc != code || strstr(err, reason) == NULL) {
    print_error("load %s: rc %d, message: %s\n", path, rc, err);
  }
  assert_int_equal(rc, code);
  assert_non_null(strstr(err, path));
  assert_non_null(strstr(err, reason));
  assert_int_equal(fs_registry_count(reg), 0);
  assert_int_equal(fs_registry_refusal_count(reg), 1);
  const fs_plugin_refusal *r = fs_registry_refusal(reg, 0);
  assert_non_null(r);
  assert_string_equal(r->path, path);
  assert_int_equal(r->code, code);
  assert_string_equal(r->message, err);
  assert_null(fs_registry_refusal(reg, 1));
  assert_false(is_loaded(path));
  fs_registry_destroy(reg);
}

static void test_text_file_named_so(void **state) {
  (void)state;
  char dir[64], path[128];
  zoo_tmpdir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/notes.so", dir);
  const char text[] = "this is a text file, not a plugin\n";
  assert_int_equal(zoo_write(path, text, sizeof text - 1), 0);
  expect_refusal(path, FS_E_FORMAT, "not a shared object (no ELF header)");
  /* An empty file too: shorter than the ELF magic. */
  assert_int_equal(zoo_write(path, "", 0), 0);
  expect_refusal(path, FS_E_FORMAT, "not a shared object");
  zoo_rmtree(dir);
}

static void test_elf_without_entry(void **state) {
  (void)state;
  char path[512];
  zoo_path(path, sizeof path, "broken", "zoo_noentry");
  expect_refusal(path, FS_E_PLUGIN, "no fs_plugin_entry symbol");
}

static void test_entry_returns_null(void **state) {
  (void)state;
  char path[512];
  zoo_path(path, sizeof path, "broken", "zoo_null");
  expect_refusal(path, FS_E_PLUGIN, "fs_plugin_entry returned NULL");
}

static void test_wrong_magic(void **state) {
  (void)state;
  char path[512];
  zoo_path(path, sizeof path, "broken", "zoo_magic");
  /* The zoo builds it with magic 0x12345678; "FSP1" is 0x46535031. */
  expect_refusal(path, FS_E_PLUGIN, "bad descriptor magic 0x12345678 (want 0x46535031)");
}

static void test_short_struct_size(void **state) {
  (void)state;
  char path[512];
  zoo_path(path, sizeof path, "broken", "zoo_short");
  expect_refusal(path, FS_E_PLUGIN, "descriptor struct_size 40 is smaller");
}

static void test_other_major(void **state) {
  (void)state;
  char path[512], reason[160];
  zoo_path(path, sizeof path, "broken", "zoo_major");
  /* Both versions and the remedy: plugin at major+1, host at the headers' version. */
  snprintf(reason, sizeof reason,
           "built for flowscope-core ABI %d.%d, this host provides %d.%d (major differs); "
           "rebuild the plugin",
           FS_ABI_MAJOR + 1, FS_ABI_MINOR, FS_ABI_MAJOR, FS_ABI_MINOR);
  expect_refusal(path, FS_E_ABI, reason);
}

static void test_newer_minor(void **state) {
  (void)state;
  char path[512], reason[160];
  zoo_path(path, sizeof path, "broken", "zoo_newminor");
  snprintf(reason, sizeof reason,
           "built for flowscope-core ABI %d.%d, this host provides %d.%d; upgrade flowscope or "
           "rebuild the plugin",
           FS_ABI_MAJOR, FS_ABI_MINOR + 1, FS_ABI_MAJOR, FS_ABI_MINOR);
  expect_refusal(path, FS_E_ABI, reason);
}

static void test_name_differs_from_stem(void **state) {
  (void)state;
  char path[512];
  zoo_path(path, sizeof path, "broken", "zoo_misnamed");
  expect_refusal(path, FS_E_PLUGIN,
                 "plugin name 'zoo_other_name' does not match the file name 'zoo_misnamed.so'");
}

static void test_init_fails_with_reason(void **state) {
  (void)state;
  char path[512];
  zoo_path(path, sizeof path, "broken", "zoo_initfail");
  expect_refusal(path, FS_E_PLUGIN, "init failed: zoo: required resource /nonexistent is missing");
}

static void test_duplicate_plugin(void **state) {
  (void)state;
  char first[512], second[512], err[FS_ERRBUF_SIZE];
  zoo_path(first, sizeof first, "dup1", "zoo_dup");
  zoo_path(second, sizeof second, "dup2", "zoo_dup");
  fs_registry *reg = NULL;
  assert_int_equal(fs_registry_create(&reg, FS_REGISTRY_NO_SYSTEM | FS_REGISTRY_NO_ENV), 0);
  assert_int_equal(fs_registry_load_file(reg, first, err), 0);
  assert_int_equal(fs_registry_load_file(reg, second, err), FS_E_DUPLICATE);
  /* Both paths, the name and the remedy. */
  assert_non_null(strstr(err, second));
  assert_non_null(strstr(err, first));
  assert_non_null(strstr(err, "duplicate plugin 'zoo_dup'"));
  assert_int_equal(fs_registry_count(reg), 1);
  assert_string_equal(fs_registry_get(reg, 0)->version, "first");
  assert_int_equal(fs_registry_refusal_count(reg), 1);
  assert_int_equal(fs_registry_refusal(reg, 0)->code, FS_E_DUPLICATE);
  assert_string_equal(fs_registry_refusal(reg, 0)->path, second);
  assert_false(is_loaded(second));
  /* Loading the very same file again is not a duplicate. */
  assert_int_equal(fs_registry_load_file(reg, first, err), 0);
  assert_int_equal(fs_registry_refusal_count(reg), 1);
  fs_registry_destroy(reg);
}

static void test_duplicate_protocol(void **state) {
  (void)state;
  char a[512], b[512], err[FS_ERRBUF_SIZE];
  zoo_path(a, sizeof a, "protos", "zoo_proto_a");
  zoo_path(b, sizeof b, "protos", "zoo_proto_b");
  fs_registry *reg = NULL;
  assert_int_equal(fs_registry_create(&reg, FS_REGISTRY_NO_SYSTEM | FS_REGISTRY_NO_ENV), 0);
  assert_int_equal(fs_registry_load_file(reg, a, err), 0);
  assert_int_equal(fs_registry_load_file(reg, b, err), FS_E_DUPLICATE);
  assert_non_null(strstr(err, b));
  assert_non_null(strstr(err, a));
  assert_non_null(strstr(err, "duplicate protocol 'zoo_shared'"));
  assert_non_null(strstr(err, "plugin 'zoo_proto_a'"));
  assert_int_equal(fs_registry_count(reg), 1);
  assert_false(is_loaded(b));
  /* The protocol still belongs to the first plugin. */
  const fs_protocol_desc *p = fs_registry_protocol(reg, "zoo_shared");
  assert_non_null(p);
  assert_string_equal(fs_registry_protocol_plugin(reg, p)->name, "zoo_proto_a");
  fs_registry_destroy(reg);
}

/* What the metrics hooks saw: the zoo plugin logs "init"/"fini" and counts inits. */
typedef struct seen {
  char logs[8][128];
  int n_logs;
  char counter[64];
  char label[64];
  uint64_t value;
} seen;

static void seen_log(void *self, uint32_t level, const char *msg) {
  seen *s = self;
  (void)level;
  if (s->n_logs < 8) {
    snprintf(s->logs[s->n_logs++], sizeof s->logs[0], "%s", msg);
  }
}

static void seen_counter(void *self, const char *name, const fs_label *labels, uint32_t n,
                         uint64_t value) {
  seen *s = self;
  snprintf(s->counter, sizeof s->counter, "%s", name);
  if (n == 1) {
    snprintf(s->label, sizeof s->label, "%s=%s", labels[0].name, labels[0].value);
  }
  s->value += value;
}

static void test_good_plugin_and_host_services(void **state) {
  (void)state;
  char path[512], err[FS_ERRBUF_SIZE];
  zoo_path(path, sizeof path, "good", "zoo_good");
  seen s;
  memset(&s, 0, sizeof s);
  fs_metrics_ops ops;
  memset(&ops, 0, sizeof ops);
  ops.struct_size = sizeof ops;
  ops.log = seen_log;
  ops.counter_add = seen_counter;
  fs_registry *reg = NULL;
  assert_int_equal(fs_registry_create(&reg, FS_REGISTRY_NO_SYSTEM | FS_REGISTRY_NO_ENV), 0);
  fs_registry_set_metrics(reg, &ops, &s);
  assert_int_equal(fs_registry_load_file(reg, path, err), 0);
  assert_string_equal(err, "");
  assert_int_equal(fs_registry_count(reg), 1);
  assert_int_equal(fs_registry_refusal_count(reg), 0);
  const fs_plugin_info *info = fs_registry_get(reg, 0);
  assert_string_equal(info->name, "zoo_good");
  assert_string_equal(info->version, "1");
  assert_string_equal(info->license, "MIT");
  assert_string_equal(info->path, path);
  assert_int_equal(info->desc->n_protocols, 1);
  assert_null(fs_registry_get(reg, 1));
  /* init ran through the plugin's own host table: its name and a plugin label. */
  assert_int_equal(s.n_logs, 1);
  assert_string_equal(s.logs[0], "zoo_good: init");
  assert_string_equal(s.counter, "zoo_inits");
  assert_string_equal(s.label, "plugin=zoo_good");
  assert_int_equal(s.value, 1);
  /* Protocol lookups agree with one another and with the zoo's declaration. */
  assert_int_equal(fs_registry_protocol_count(reg), 1);
  const fs_protocol_desc *p = fs_registry_protocol(reg, "zoo_good");
  assert_non_null(p);
  assert_ptr_equal(p, fs_registry_protocol_at(reg, 0));
  assert_null(fs_registry_protocol_at(reg, 1));
  assert_null(fs_registry_protocol(reg, "http"));
  assert_int_equal(p->transports, FS_TRANSPORT_TCP);
  assert_int_equal(p->n_ports, 1);
  assert_int_equal(p->ports[0].lo, 7000);
  assert_int_equal(p->ports[0].hi, 7001);
  assert_int_equal(p->probe((const uint8_t *)"ZOO!", 4, FS_SIDE_INITIATOR), FS_PROBE_YES);
  assert_non_null(p->session);
  assert_null(p->datagram);
  assert_int_equal(p->session->struct_size, sizeof(fs_session_parser_ops));
  assert_non_null(fs_registry_plugin_state(reg, p));
  assert_ptr_equal(fs_registry_protocol_plugin(reg, p), info);
  const fs_host_api *api = fs_registry_protocol_host_api(reg, p);
  assert_non_null(api);
  assert_int_equal(api->abi_major, FS_ABI_MAJOR);
  assert_ptr_equal(fs_registry_host_api(reg), fs_registry_protocol_host_api(reg, NULL));
  /* The descriptor the registry hands out is its own zero-extended copy. */
  assert_ptr_equal(info->desc->protocols[0], p);
  /* A session parser from the registry works through its ops. */
  fs_parser_env env;
  memset(&env, 0, sizeof env);
  env.struct_size = sizeof env;
  env.host = api;
  void *parser = p->session->create(&env);
  assert_non_null(parser);
  size_t used = 0;
  assert_int_equal(p->session->feed(parser, 0, (const uint8_t *)"abc", 3, 0, &used), 0);
  assert_int_equal(used, 3);
  p->session->finish(parser, 0);
  p->session->destroy(parser);
  assert_true(is_loaded(path));
  fs_registry_destroy(reg);
  /* fini ran (it logs through the host) and the object is gone. */
  assert_int_equal(s.n_logs, 2);
  assert_string_equal(s.logs[1], "zoo_good: fini");
  assert_false(is_loaded(path));
}

static void test_host_carries_on_after_refusals(void **state) {
  (void)state;
  const char *broken[] = {"zoo_noentry", "zoo_null",     "zoo_magic",    "zoo_short",
                          "zoo_major",   "zoo_newminor", "zoo_misnamed", "zoo_initfail"};
  const int codes[] = {FS_E_PLUGIN, FS_E_PLUGIN, FS_E_PLUGIN, FS_E_PLUGIN,
                       FS_E_ABI,    FS_E_ABI,    FS_E_PLUGIN, FS_E_PLUGIN};
  fs_registry *reg = NULL;
  assert_int_equal(fs_registry_create(&reg, FS_REGISTRY_NO_SYSTEM | FS_REGISTRY_NO_ENV), 0);
  char path[512];
  for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
    zoo_path(path, sizeof path, "broken", broken[i]);
    assert_int_equal(fs_registry_load_file(reg, path, NULL), codes[i]);
  }
  zoo_path(path, sizeof path, "good", "zoo_good");
  assert_int_equal(fs_registry_load_file(reg, path, NULL), 0);
  assert_int_equal(fs_registry_count(reg), 1);
  assert_int_equal(fs_registry_refusal_count(reg), 8);
  for (uint32_t i = 0; i < 8; i++) {
    assert_int_equal(fs_registry_refusal(reg, i)->code, codes[i]);
    assert_non_null(strstr(fs_registry_refusal(reg, i)->message, broken[i]));
  }
  fs_registry_destroy(reg);
}

static void test_bad_arguments(void **state) {
  (void)state;
  fs_registry *reg = NULL;
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_registry_create(NULL, 0), FS_E_INVAL);
  assert_int_equal(fs_registry_create(&reg, FS_REGISTRY_NO_SYSTEM | FS_REGISTRY_NO_ENV), 0);
  assert_int_equal(fs_registry_add_dir(reg, ""), FS_E_INVAL);
  assert_int_equal(fs_registry_add_dir(reg, NULL), FS_E_INVAL);
  assert_int_equal(fs_registry_load_file(reg, NULL, err), FS_E_INVAL);
  assert_int_equal(fs_registry_load_file(reg, "/nonexistent/dir/x.so", err), FS_E_NOTFOUND);
  assert_non_null(strstr(err, "/nonexistent/dir/x.so"));
  assert_int_equal(fs_registry_count(NULL), 0);
  assert_null(fs_registry_get(NULL, 0));
  assert_null(fs_registry_protocol(NULL, "x"));
  fs_registry_destroy(reg);
  fs_registry_destroy(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text_file_named_so),
      cmocka_unit_test(test_elf_without_entry),
      cmocka_unit_test(test_entry_returns_null),
      cmocka_unit_test(test_wrong_magic),
      cmocka_unit_test(test_short_struct_size),
      cmocka_unit_test(test_other_major),
      cmocka_unit_test(test_newer_minor),
      cmocka_unit_test(test_name_differs_from_stem),
      cmocka_unit_test(test_init_fails_with_reason),
      cmocka_unit_test(test_duplicate_plugin),
      cmocka_unit_test(test_duplicate_protocol),
      cmocka_unit_test(test_good_plugin_and_host_services),
      cmocka_unit_test(test_host_carries_on_after_refusals),
      cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
