/* SPDX-License-Identifier: MIT */
/*
 * One source for the broken-plugin zoo: each zoo plugin is this file built
 * with different ZOO_* definitions (tests/plugins/CMakeLists.txt), so every
 * refusal path of the registry has a real shared object that triggers it.
 *
 *   ZOO_NAME        descriptor name (default: the file stem ZOO_STEM)
 *   ZOO_NO_ENTRY    build without fs_plugin_entry
 *   ZOO_ENTRY_NULL  entry returns NULL
 *   ZOO_MAGIC       descriptor magic
 *   ZOO_STRUCT_SIZE descriptor struct_size
 *   ZOO_MAJOR/MINOR ABI version the descriptor claims
 *   ZOO_PROTO       protocol name
 *   ZOO_INIT_FAIL   init fails with a reason
 *   ZOO_VERSION     plugin version string (tells two same-named builds apart)
 *   ZOO_CRASH_PROBE the probe dereferences NULL (the checker must survive it)
 *   ZOO_PORT        port hint (default 7000; 7777 makes the driver pick it on lenprefix.pcap)
 *   ZOO_NO_PROBE    no probe: the port hint alone selects the protocol
 *   ZOO_SPLIT_BUG   emits one message per feed call: output depends on the split
 *   ZOO_CRASH_FEED  feed dereferences NULL
 *   ZOO_LEAK        destroy forgets to free the parser: leaks per flow
 *   ZOO_LINK_PCAP   calls libpcap in init, so DT_NEEDED lists libpcap
 */
#include <stdlib.h>
#include <string.h>

#include "flowscope/plugin.h"
#ifdef ZOO_LINK_PCAP
#include <pcap/pcap.h>
#endif

#ifndef ZOO_NAME
#define ZOO_NAME ZOO_STEM
#endif
#ifndef ZOO_MAGIC
#define ZOO_MAGIC FS_PLUGIN_MAGIC
#endif
#ifndef ZOO_STRUCT_SIZE
#define ZOO_STRUCT_SIZE sizeof(fs_plugin_desc)
#endif
#ifndef ZOO_MAJOR
#define ZOO_MAJOR FS_ABI_MAJOR
#endif
#ifndef ZOO_MINOR
#define ZOO_MINOR FS_ABI_MINOR
#endif
#ifndef ZOO_PROTO
#define ZOO_PROTO ZOO_STEM
#endif
#ifndef ZOO_PORT
#define ZOO_PORT 7000
#endif
#ifndef ZOO_VERSION
#define ZOO_VERSION "1"
#endif

/* Plugin-wide state: proves init ran and lets fini report through the host. */
typedef struct zoo_state {
  const fs_host_api *host;
} zoo_state;

/* A parser that consumes everything; it emits nothing unless ZOO_SPLIT_BUG. */
typedef struct zoo_parser {
  const fs_parser_env *env;
} zoo_parser;

static void *zoo_create(const fs_parser_env *env) {
  zoo_parser *p = malloc(sizeof *p);
  if (p != NULL) {
    p->env = env;
  }
  return p;
}
static int zoo_feed(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts,
                    size_t *consumed) {
  (void)self, (void)side, (void)data, (void)ts;
  *consumed = len;
#ifdef ZOO_CRASH_FEED
  volatile const uint8_t *volatile nothing = NULL;
  *consumed = nothing[len]; /* deliberate crash */
#endif
#ifdef ZOO_SPLIT_BUG
  /* Wrong on purpose: one message per call, so splitting the input changes the output. */
  zoo_parser *p = self;
  fs_field f = fs_field_u64("bytes", len);
  fs_message m = {.struct_size = sizeof m,
                  .side = side,
                  .protocol = ZOO_PROTO,
                  .msg_type = "chunk",
                  .ts = ts,
                  .fields = &f,
                  .n_fields = 1};
  p->env->emit(p->env->emit_ctx, &m);
#endif
  return FS_PARSE_OK;
}
static int zoo_gap(void *self, uint32_t side, uint64_t len, fs_time_ns ts) {
  (void)self, (void)side, (void)len, (void)ts;
  return FS_PARSE_OK;
}
static void zoo_finish(void *self, fs_time_ns ts) { (void)self, (void)ts; }
static void zoo_destroy(void *self) {
#ifdef ZOO_LEAK
  (void)self; /* wrong on purpose: the parser is never freed */
#else
  free(self);
#endif
}

#ifndef ZOO_NO_PROBE
static uint32_t zoo_probe(const uint8_t *data, size_t len, uint32_t side) {
  (void)side;
#ifdef ZOO_CRASH_PROBE
  volatile const uint8_t *volatile nothing = NULL;
  return nothing[len]; /* deliberate crash: the checker must report it, not die */
#else
  return len >= 3 && memcmp(data, "ZOO", 3) == 0 ? FS_PROBE_YES : FS_PROBE_NO;
#endif
}
#endif

static const fs_session_parser_ops zoo_session = {
    .struct_size = sizeof(fs_session_parser_ops),
    .create = zoo_create,
    .feed = zoo_feed,
    .gap = zoo_gap,
    .finish = zoo_finish,
    .destroy = zoo_destroy,
};

static const fs_port_range zoo_ports[] = {{ZOO_PORT, ZOO_PORT + 1}};

static const fs_protocol_desc zoo_proto = {
    .struct_size = sizeof(fs_protocol_desc),
    .transports = FS_TRANSPORT_TCP,
    .name = ZOO_PROTO,
    .ports = zoo_ports,
    .n_ports = 1,
    .probe_max_bytes = 3,
#ifndef ZOO_NO_PROBE
    .probe = zoo_probe,
#endif
    .session = &zoo_session,
};
static const fs_protocol_desc *const zoo_protos[] = {&zoo_proto};

static int zoo_init(const fs_host_api *host, void **state, char *errbuf, size_t errbuf_len) {
#ifdef ZOO_INIT_FAIL
  (void)host, (void)state;
  strncpy(errbuf, "zoo: required resource /nonexistent is missing", errbuf_len - 1);
  return -1;
#else
  (void)errbuf, (void)errbuf_len;
  zoo_state *s = malloc(sizeof *s);
  if (s == NULL) {
    return -1;
  }
  s->host = host;
#ifdef ZOO_LINK_PCAP
  host->log(host->host, FS_LOG_DEBUG, NULL, pcap_lib_version());
#endif
  host->log(host->host, FS_LOG_INFO, NULL, "init");
  host->counter_add(host->host, "zoo_inits", 1);
  *state = s;
  return 0;
#endif
}

static void zoo_fini(void *state) {
  zoo_state *s = state;
  s->host->log(s->host->host, FS_LOG_INFO, NULL, "fini");
  free(s);
}

static const fs_plugin_desc zoo_desc = {
    .struct_size = (uint32_t)(ZOO_STRUCT_SIZE),
    .magic = ZOO_MAGIC,
    .abi_major = ZOO_MAJOR,
    .abi_minor = ZOO_MINOR,
    .name = ZOO_NAME,
    .version = ZOO_VERSION,
    .description = "broken-plugin zoo member",
    .license = "MIT",
    .protocols = zoo_protos,
    .n_protocols = 1,
    .init = zoo_init,
    .fini = zoo_fini,
};

#if defined(ZOO_NO_ENTRY)
/* An ELF shared object that is not a plugin: it exports something else. */
FS_PLUGIN_EXPORT const fs_plugin_desc *zoo_not_the_entry(void);
FS_PLUGIN_EXPORT const fs_plugin_desc *zoo_not_the_entry(void) { return &zoo_desc; }
#elif defined(ZOO_ENTRY_NULL)
FS_PLUGIN_EXPORT const fs_plugin_desc *fs_plugin_entry(const fs_host_info *host);
FS_PLUGIN_EXPORT const fs_plugin_desc *fs_plugin_entry(const fs_host_info *host) {
  (void)host;
  (void)zoo_desc;
  return NULL;
}
#else
FS_PLUGIN_DEFINE(zoo_desc)
#endif
