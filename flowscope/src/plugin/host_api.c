/* SPDX-License-Identifier: MIT */
/*
 * Host services handed to plugins (fs_host_api): log and counter_add,
 * routed to the metrics hooks the host set on the registry, or to stderr.
 * One registry-wide table, plus one per plugin so counters can say which
 * plugin they came from.
 */
#include <stdio.h>

#include "flowscope/version.h"
#include "plugin/registry_internal.h"

static const char *level_name(uint32_t level) {
  switch (level) {
  case FS_LOG_ERROR: return "error";
  case FS_LOG_WARN: return "warning";
  case FS_LOG_INFO: return "info";
  default: return "debug";
  }
}

static void emit_log(const fs_registry *reg, uint32_t level, const char *plugin, const char *msg) {
  const char *who = plugin != NULL ? plugin : "plugin";
  const char *text = msg != NULL ? msg : "";
  if (reg->metrics != NULL && FS_HAS_MEMBER(reg->metrics, fs_metrics_ops, log) &&
      reg->metrics->log != NULL) {
    char line[1024];
    snprintf(line, sizeof line, "%s: %s", who, text);
    reg->metrics->log(reg->metrics_self, level, line);
    return;
  }
  if (level <= FS_LOG_WARN) {
    /* One fprintf per line: stdio locks the stream, so lines do not interleave. */
    fprintf(stderr, "flowscope: %s: %s: %s\n", who, level_name(level), text);
  }
}

static void emit_counter(const fs_registry *reg, const char *plugin, const char *name,
                         uint64_t value) {
  if (name == NULL || reg->metrics == NULL ||
      !FS_HAS_MEMBER(reg->metrics, fs_metrics_ops, counter_add) ||
      reg->metrics->counter_add == NULL) {
    return;
  }
  fs_label label = {"plugin", plugin};
  reg->metrics->counter_add(reg->metrics_self, name, plugin != NULL ? &label : NULL,
                            plugin != NULL ? 1u : 0u, value);
}

static void reg_log(void *host, uint32_t level, const char *plugin, const char *msg) {
  emit_log((const fs_registry *)host, level, plugin, msg);
}

static void reg_counter_add(void *host, const char *name, uint64_t value) {
  emit_counter((const fs_registry *)host, NULL, name, value);
}

static void plugin_log(void *host, uint32_t level, const char *plugin, const char *msg) {
  const fsi_plugin *p = host;
  emit_log(p->reg, level, plugin != NULL ? plugin : p->desc.name, msg);
}

static void plugin_counter_add(void *host, const char *name, uint64_t value) {
  const fsi_plugin *p = host;
  emit_counter(p->reg, p->desc.name, name, value);
}

void fsi_host_api_init(fs_registry *reg) {
  reg->api.struct_size = (uint32_t)sizeof(fs_host_api);
  reg->api.abi_major = FS_ABI_MAJOR;
  reg->api.abi_minor = FS_ABI_MINOR;
  reg->api.host = reg;
  reg->api.log = reg_log;
  reg->api.counter_add = reg_counter_add;
}

void fsi_plugin_host_api_init(fs_registry *reg, fsi_plugin *p) {
  p->reg = reg;
  p->api.struct_size = (uint32_t)sizeof(fs_host_api);
  p->api.abi_major = FS_ABI_MAJOR;
  p->api.abi_minor = FS_ABI_MINOR;
  p->api.host = p;
  p->api.log = plugin_log;
  p->api.counter_add = plugin_counter_add;
}
