/* SPDX-License-Identifier: MIT */
/*
 * fs_plugin_desc_validate on hand-built descriptors: the version rule in
 * all four cases (equal, older minor, newer minor, other major), the
 * struct_size floors, and every field rule, without dlopen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "flowscope/core.h"

static void *t_create(const fs_parser_env *env) {
  (void)env;
  return NULL;
}
static int t_feed(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts,
                  size_t *consumed) {
  (void)self, (void)side, (void)data, (void)ts;
  *consumed = len;
  return 0;
}
static int t_gap(void *self, uint32_t side, uint64_t len, fs_time_ns ts) {
  (void)self, (void)side, (void)len, (void)ts;
  return 0;
}
static int t_datagram(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts) {
  (void)self, (void)side, (void)data, (void)len, (void)ts;
  return 0;
}
static void t_finish(void *self, fs_time_ns ts) { (void)self, (void)ts; }
static void t_destroy(void *self) { (void)self; }

/* A valid descriptor with one TCP protocol "demo", rebuilt fresh for each test. */
typedef struct fixture {
  fs_session_parser_ops session;
  fs_datagram_parser_ops datagram;
  fs_port_range ports[1];
  fs_protocol_desc proto;
  fs_protocol_desc proto2;
  const fs_protocol_desc *protos[2];
  fs_plugin_desc desc;
  char err[FS_ERRBUF_SIZE];
} fixture;

static void fixture_init(fixture *f) {
  memset(f, 0, sizeof *f);
  f->session.struct_size = sizeof f->session;
  f->session.create = t_create;
  f->session.feed = t_feed;
  f->session.gap = t_gap;
  f->session.finish = t_finish;
  f->session.destroy = t_destroy;
  f->datagram.struct_size = sizeof f->datagram;
  f->datagram.create = t_create;
  f->datagram.datagram = t_datagram;
  f->datagram.finish = t_finish;
  f->datagram.destroy = t_destroy;
  f->ports[0].lo = 9000;
  f->ports[0].hi = 9001;
  f->proto.struct_size = sizeof f->proto;
  f->proto.transports = FS_TRANSPORT_TCP;
  f->proto.name = "demo";
  f->proto.ports = f->ports;
  f->proto.n_ports = 1;
  f->proto.session = &f->session;
  f->proto2 = f->proto;
  f->proto2.name = "demo2";
  f->protos[0] = &f->proto;
  f->protos[1] = &f->proto2;
  f->desc.struct_size = sizeof f->desc;
  f->desc.magic = 0x46535031u; /* "FSP1" */
  f->desc.abi_major = FS_ABI_MAJOR;
  f->desc.abi_minor = FS_ABI_MINOR;
  f->desc.name = "demo";
  f->desc.version = "0.1";
  f->desc.description = "test";
  f->desc.license = "MIT";
  f->desc.protocols = f->protos;
  f->desc.n_protocols = 1;
}

/* Validates f against a host at major.minor; checks code and, on refusal, the text. */
static void expect(fixture *f, unsigned major, unsigned minor, int code, const char *text) {
  fs_host_info host = {sizeof host, (uint16_t)major, (uint16_t)minor, "test host"};
  int rc = fs_plugin_desc_validate(&f->desc, &host, "/plugins/demo.so", f->err, sizeof f->err);
  if (rc != code || (text != NULL && strstr(f->err, text) == NULL)) {
    print_error("rc %d, message: %s\n", rc, f->err);
  }
  assert_int_equal(rc, code);
  if (code != 0) {
    assert_true(strncmp(f->err, "/plugins/demo.so: ", 18) == 0);
  } else {
    assert_string_equal(f->err, "");
  }
  if (text != NULL) {
    assert_non_null(strstr(f->err, text));
  }
}

static void test_version_rule_four_cases(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f);
  f.desc.abi_major = 1;
  f.desc.abi_minor = 2;
  expect(&f, 1, 2, 0, NULL); /* equal */
  expect(&f, 1, 5, 0, NULL); /* older minor loads */
  expect(&f, 1, 1, FS_E_ABI,
         "built for flowscope-core ABI 1.2, this host provides 1.1; upgrade flowscope or "
         "rebuild the plugin"); /* newer minor */
  expect(&f, 2, 7, FS_E_ABI,
         "built for flowscope-core ABI 1.2, this host provides 2.7 (major differs); rebuild "
         "the plugin against flowscope-core 2.x"); /* other major */
  /* NULL host means this core's own version. */
  fixture_init(&f);
  assert_int_equal(fs_plugin_desc_validate(&f.desc, NULL, NULL, f.err, sizeof f.err), 0);
}

static void test_prefix_checks(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f);
  f.desc.struct_size = 8;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "too short to hold the version prefix");
  fixture_init(&f);
  f.desc.magic = 0xdeadbeefu;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "bad descriptor magic 0xdeadbeef");
  /* The version is checked before the size of the rest: a major-2 layout may differ. */
  fixture_init(&f);
  f.desc.struct_size = 16;
  f.desc.abi_major = FS_ABI_MAJOR + 1;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_ABI, "major differs");
  fixture_init(&f);
  f.desc.struct_size = 16;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "struct_size 16 is smaller");
  /* A larger descriptor (from a newer 1.x) is fine when the minor is acceptable. */
  fixture_init(&f);
  f.desc.struct_size = sizeof f.desc + 64;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, 0, NULL);
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, 0, NULL);
  assert_int_equal(fs_plugin_desc_validate(NULL, NULL, "/x.so", f.err, sizeof f.err), FS_E_PLUGIN);
  assert_non_null(strstr(f.err, "/x.so: fs_plugin_entry returned NULL"));
}

static void test_name_rules(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f);
  f.desc.name = NULL;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "plugin name is missing or invalid");
  f.desc.name = "Demo";
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "plugin name is missing or invalid");
  f.desc.name = "";
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "plugin name is missing or invalid");
  f.desc.name = "dem";
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN,
         "plugin name 'dem' does not match the file name 'demo.so'; rename the file to dem.so");
  f.desc.name = "demo";
  f.desc.license = NULL;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "lacks a version, description or license");
}

static void test_protocol_rules(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f);
  f.desc.protocols = NULL;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "declares 1 protocols with a NULL array");
  fixture_init(&f);
  f.protos[0] = NULL;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "protocol entry 0 is NULL");
  fixture_init(&f);
  f.proto.struct_size = 8;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "protocol entry 0 has struct_size 8");
  fixture_init(&f);
  f.proto.name = "HTTP";
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "protocol entry 0 has a missing or invalid");
  fixture_init(&f);
  f.proto.transports = 0x4;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "transports 0x4 is empty or has unknown");
  fixture_init(&f);
  f.proto.session = NULL;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "declares TCP but has no session parser");
  fixture_init(&f);
  f.proto.transports = FS_TRANSPORT_UDP;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "declares UDP but has no datagram parser");
  f.proto.datagram = &f.datagram;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, 0, NULL);
  f.datagram.datagram = NULL;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "datagram parser ops lack");
  fixture_init(&f);
  f.session.feed = NULL;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "session parser ops lack");
  fixture_init(&f);
  f.session.struct_size = 8;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "session parser ops struct_size 8");
  fixture_init(&f);
  f.proto.probe_max_bytes = 5000;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "probe_max_bytes 5000");
  fixture_init(&f);
  f.ports[0].lo = 10;
  f.ports[0].hi = 9;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "port range 10..9 is reversed");
  fixture_init(&f);
  f.proto.ports = NULL;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "1 port ranges with a NULL array");
  /* Two entries: fine with distinct names, refused with the same one. */
  fixture_init(&f);
  f.desc.n_protocols = 2;
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, 0, NULL);
  f.proto2.name = "demo";
  expect(&f, FS_ABI_MAJOR, FS_ABI_MINOR, FS_E_PLUGIN, "declares protocol 'demo' twice");
}

static void test_errbuf_optional_and_bounded(void **state) {
  (void)state;
  fixture f;
  fixture_init(&f);
  f.desc.magic = 1;
  assert_int_equal(fs_plugin_desc_validate(&f.desc, NULL, "/p/demo.so", NULL, 0), FS_E_PLUGIN);
  char tiny[8];
  assert_int_equal(fs_plugin_desc_validate(&f.desc, NULL, "/p/demo.so", tiny, sizeof tiny),
                   FS_E_PLUGIN);
  assert_string_equal(tiny, "/p/demo"); /* truncated, still terminated */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_version_rule_four_cases),
      cmocka_unit_test(test_prefix_checks),
      cmocka_unit_test(test_name_rules),
      cmocka_unit_test(test_protocol_rules),
      cmocka_unit_test(test_errbuf_optional_and_bounded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
