/* SPDX-License-Identifier: MIT */
/*
 * Registry discovery: search order (added dirs, FLOWSCOPE_PLUGIN_PATH,
 * system dir), which files load-all takes, sorted order, first directory
 * wins, load by name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "flowscope/flowscope.h"
#include "zoo_common.h"

static fs_registry *new_registry(uint32_t flags) {
  fs_registry *reg = NULL;
  assert_int_equal(fs_registry_create(&reg, flags), 0);
  return reg;
}

static void test_load_all_takes_only_so_files_sorted(void **state) {
  (void)state;
  char dir[64], src[512], dst[512];
  zoo_tmpdir(dir, sizeof dir);
  /* Two real plugins, copied in reverse alphabetical order of creation. */
  zoo_path(src, sizeof src, "protos", "zoo_proto_a");
  snprintf(dst, sizeof dst, "%s/zoo_proto_a.so", dir);
  assert_int_equal(zoo_copy(src, dst), 0);
  zoo_path(src, sizeof src, "good", "zoo_good");
  snprintf(dst, sizeof dst, "%s/zoo_good.so", dir);
  assert_int_equal(zoo_copy(src, dst), 0);
  /* Not candidates: a backup, a dot-file, a directory named .so, a bare ".so". */
  snprintf(dst, sizeof dst, "%s/zoo_good.so.bak", dir);
  assert_int_equal(zoo_copy(src, dst), 0);
  snprintf(dst, sizeof dst, "%s/.hidden.so", dir);
  assert_int_equal(zoo_copy(src, dst), 0);
  snprintf(dst, sizeof dst, "%s/subdir.so", dir);
  assert_int_equal(mkdir(dst, 0700), 0);
  /* A candidate that is refused: text named .so. */
  snprintf(dst, sizeof dst, "%s/notes.so", dir);
  assert_int_equal(zoo_write(dst, "text\n", 5), 0);

  fs_registry *reg = new_registry(FS_REGISTRY_NO_SYSTEM | FS_REGISTRY_NO_ENV);
  assert_int_equal(fs_registry_add_dir(reg, dir), 0);
  assert_int_equal(fs_registry_load_all(reg), 2);
  assert_int_equal(fs_registry_count(reg), 2);
  /* Sorted by file name: zoo_good before zoo_proto_a. */
  assert_string_equal(fs_registry_get(reg, 0)->name, "zoo_good");
  assert_string_equal(fs_registry_get(reg, 1)->name, "zoo_proto_a");
  assert_int_equal(fs_registry_refusal_count(reg), 1);
  snprintf(dst, sizeof dst, "%s/notes.so", dir);
  assert_string_equal(fs_registry_refusal(reg, 0)->path, dst);
  assert_int_equal(fs_registry_refusal(reg, 0)->code, FS_E_FORMAT);
  /* Loading again finds the same files: nothing new, no duplicates. */
  assert_int_equal(fs_registry_load_all(reg), 0);
  assert_int_equal(fs_registry_count(reg), 2);
  assert_int_equal(fs_registry_refusal_count(reg), 1); /* notes.so listed once */
  fs_registry_destroy(reg);
  zoo_rmtree(dir);
}

/* Loads all from added dir `added` and env dir `env`; returns the loaded zoo_dup version. */
static void check_first_dir_wins(const char *added, const char *env, const char *want_version) {
  char a[512], e[512];
  snprintf(a, sizeof a, "%s/%s", ZOO_DIR, added);
  snprintf(e, sizeof e, "%s/%s", ZOO_DIR, env);
  assert_int_equal(setenv("FLOWSCOPE_PLUGIN_PATH", e, 1), 0);
  fs_registry *reg = new_registry(FS_REGISTRY_NO_SYSTEM);
  assert_int_equal(fs_registry_add_dir(reg, a), 0);
  assert_int_equal(fs_registry_load_all(reg), 1);
  assert_string_equal(fs_registry_get(reg, 0)->version, want_version);
  assert_int_equal(fs_registry_refusal_count(reg), 1);
  const fs_plugin_refusal *r = fs_registry_refusal(reg, 0);
  assert_int_equal(r->code, FS_E_DUPLICATE);
  /* The later file is refused, naming both paths. */
  assert_non_null(strstr(r->path, e));
  assert_non_null(strstr(r->message, e));
  assert_non_null(strstr(r->message, a));
  fs_registry_destroy(reg);
  unsetenv("FLOWSCOPE_PLUGIN_PATH");
}

static void test_added_dirs_come_before_env(void **state) {
  (void)state;
  check_first_dir_wins("dup1", "dup2", "first");
  check_first_dir_wins("dup2", "dup1", "second");
}

static void test_env_path_elements(void **state) {
  (void)state;
  char env[1024];
  /* Empty elements and a missing directory are skipped; order is kept. */
  snprintf(env, sizeof env, "::/nonexistent/fs-plugins:%s/dup2:%s/dup1:", ZOO_DIR, ZOO_DIR);
  assert_int_equal(setenv("FLOWSCOPE_PLUGIN_PATH", env, 1), 0);
  fs_registry *reg = new_registry(FS_REGISTRY_NO_SYSTEM);
  assert_int_equal(fs_registry_load_all(reg), 1);
  assert_string_equal(fs_registry_get(reg, 0)->version, "second");
  fs_registry_destroy(reg);
  /* FS_REGISTRY_NO_ENV ignores the variable. */
  reg = new_registry(FS_REGISTRY_NO_SYSTEM | FS_REGISTRY_NO_ENV);
  assert_int_equal(fs_registry_load_all(reg), 0);
  assert_int_equal(fs_registry_refusal_count(reg), 0);
  fs_registry_destroy(reg);
  unsetenv("FLOWSCOPE_PLUGIN_PATH");
}

static void test_load_by_name(void **state) {
  (void)state;
  char d1[512], d2[512], good[512], err[FS_ERRBUF_SIZE];
  snprintf(d1, sizeof d1, "%s/dup1", ZOO_DIR);
  snprintf(d2, sizeof d2, "%s/dup2", ZOO_DIR);
  snprintf(good, sizeof good, "%s/good", ZOO_DIR);
  assert_int_equal(setenv("FLOWSCOPE_PLUGIN_PATH", good, 1), 0);
  fs_registry *reg = new_registry(FS_REGISTRY_NO_SYSTEM);
  assert_int_equal(fs_registry_add_dir(reg, d2), 0);
  assert_int_equal(fs_registry_add_dir(reg, d1), 0);
  /* First added directory that has the file wins. */
  assert_int_equal(fs_registry_load(reg, "zoo_dup", err), 0);
  assert_string_equal(fs_registry_get(reg, 0)->version, "second");
  /* Found through FLOWSCOPE_PLUGIN_PATH. */
  assert_int_equal(fs_registry_load(reg, "zoo_good", err), 0);
  assert_int_equal(fs_registry_count(reg), 2);
  /* Already loaded: fine, nothing new. */
  assert_int_equal(fs_registry_load(reg, "zoo_good", err), 0);
  assert_int_equal(fs_registry_count(reg), 2);
  /* Absent: the message names the file and every directory searched. */
  assert_int_equal(fs_registry_load(reg, "nothere", err), FS_E_NOTFOUND);
  assert_non_null(strstr(err, "nothere.so"));
  assert_non_null(strstr(err, d1));
  assert_non_null(strstr(err, d2));
  assert_non_null(strstr(err, good));
  assert_non_null(strstr(err, "FLOWSCOPE_PLUGIN_PATH"));
  /* Names are [a-z0-9_]: no path tricks. */
  assert_int_equal(fs_registry_load(reg, "../good/zoo_good", err), FS_E_INVAL);
  assert_int_equal(fs_registry_load(reg, "Zoo", err), FS_E_INVAL);
  assert_int_equal(fs_registry_load(reg, "", err), FS_E_INVAL);
  assert_int_equal(fs_registry_refusal_count(reg), 0);
  fs_registry_destroy(reg);
  unsetenv("FLOWSCOPE_PLUGIN_PATH");
}

static void test_load_by_name_reports_refusal(void **state) {
  (void)state;
  char dir[512], err[FS_ERRBUF_SIZE];
  snprintf(dir, sizeof dir, "%s/broken", ZOO_DIR);
  fs_registry *reg = new_registry(FS_REGISTRY_NO_SYSTEM | FS_REGISTRY_NO_ENV);
  assert_int_equal(fs_registry_add_dir(reg, dir), 0);
  assert_int_equal(fs_registry_load(reg, "zoo_newminor", err), FS_E_ABI);
  assert_non_null(strstr(err, "/broken/zoo_newminor.so"));
  assert_non_null(strstr(err, "upgrade flowscope or rebuild the plugin"));
  assert_int_equal(fs_registry_refusal_count(reg), 1);
  fs_registry_destroy(reg);
}

static void test_system_dir_is_versioned(void **state) {
  (void)state;
  char tail[64];
  snprintf(tail, sizeof tail, "/flowscope/%d/plugins", FS_ABI_MAJOR);
  const char *sys = fs_registry_system_dir();
  assert_non_null(sys);
  assert_true(strlen(sys) > strlen(tail));
  assert_string_equal(sys + strlen(sys) - strlen(tail), tail);
  /* Without FS_REGISTRY_NO_SYSTEM the system directory is searched last. */
  char err[FS_ERRBUF_SIZE];
  fs_registry *reg = new_registry(FS_REGISTRY_NO_ENV);
  assert_int_equal(fs_registry_load(reg, "zoo_surely_absent", err), FS_E_NOTFOUND);
  assert_non_null(strstr(err, sys));
  fs_registry_destroy(reg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load_all_takes_only_so_files_sorted),
      cmocka_unit_test(test_added_dirs_come_before_env),
      cmocka_unit_test(test_env_path_elements),
      cmocka_unit_test(test_load_by_name),
      cmocka_unit_test(test_load_by_name_reports_refusal),
      cmocka_unit_test(test_system_dir_is_versioned),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
