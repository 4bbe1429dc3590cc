/* SPDX-License-Identifier: MIT */
/*
 * Descriptor validation: what a host checks before running any plugin code
 * beyond the entry. Lives in the core so that every host (libflowscope's
 * registry, the conformance checker, third-party hosts) applies one rule,
 * and so that fs_plugin_desc is part of the core's checked ABI.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "flowscope/error.h"
#include "flowscope/plugin.h"

/* Most protocol entries one plugin may declare, and port ranges per entry. */
#define MAX_PROTOCOLS 64u
#define MAX_PORT_RANGES 1024u

/* Writes "<path>: <formatted>" into errbuf; returns code. */
static int refuse(char *errbuf, size_t errbuf_len, const char *path, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int refuse(char *errbuf, size_t errbuf_len, const char *path, int code, const char *fmt,
                  ...) {
  if (errbuf == NULL || errbuf_len == 0) {
    return code;
  }
  int n = snprintf(errbuf, errbuf_len, "%s: ", path != NULL ? path : "(plugin)");
  if (n < 0 || (size_t)n >= errbuf_len) {
    return code;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(errbuf + n, errbuf_len - (size_t)n, fmt, ap);
  va_end(ap);
  return code;
}

/* 1 when s is a non-empty [a-z0-9_] name of at most FS_PLUGIN_NAME_MAX bytes. */
static int valid_name(const char *s) {
  size_t i = 0;
  for (; s[i] != '\0'; i++) {
    char c = s[i];
    if (i >= FS_PLUGIN_NAME_MAX) {
      return 0;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return 0;
    }
  }
  return i > 0;
}

/* Points *stem at the file name of path and sets *len to it without ".so". */
static void path_stem(const char *path, const char **stem, size_t *len) {
  const char *slash = strrchr(path, '/');
  const char *base = slash != NULL ? slash + 1 : path;
  size_t n = strlen(base);
  if (n > 3 && strcmp(base + n - 3, ".so") == 0) {
    n -= 3;
  }
  *stem = base;
  *len = n;
}

static int check_session_ops(const fs_session_parser_ops *ops, const char *path, const char *proto,
                             char *errbuf, size_t errbuf_len) {
  if (ops->struct_size < FS_SESSION_OPS_SIZE_1_0) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "protocol '%s': session parser ops struct_size %u is smaller than the 1.0 "
                  "layout (%u bytes); rebuild the plugin against the flowscope SDK",
                  proto, (unsigned)ops->struct_size, (unsigned)FS_SESSION_OPS_SIZE_1_0);
  }
  if (ops->create == NULL || ops->feed == NULL || ops->gap == NULL || ops->finish == NULL ||
      ops->destroy == NULL) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "protocol '%s': session parser ops lack create, feed, gap, finish or "
                  "destroy; fix the plugin",
                  proto);
  }
  return 0;
}

static int check_datagram_ops(const fs_datagram_parser_ops *ops, const char *path,
                              const char *proto, char *errbuf, size_t errbuf_len) {
  if (ops->struct_size < FS_DATAGRAM_OPS_SIZE_1_0) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "protocol '%s': datagram parser ops struct_size %u is smaller than the 1.0 "
                  "layout (%u bytes); rebuild the plugin against the flowscope SDK",
                  proto, (unsigned)ops->struct_size, (unsigned)FS_DATAGRAM_OPS_SIZE_1_0);
  }
  if (ops->create == NULL || ops->datagram == NULL || ops->finish == NULL || ops->destroy == NULL) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "protocol '%s': datagram parser ops lack create, datagram, finish or "
                  "destroy; fix the plugin",
                  proto);
  }
  return 0;
}

static int check_protocol(const fs_protocol_desc *p, uint32_t idx, const char *path, char *errbuf,
                          size_t errbuf_len) {
  if (p == NULL) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "protocol entry %u is NULL; fix the plugin's protocol array", (unsigned)idx);
  }
  if (p->struct_size < FS_PROTOCOL_DESC_SIZE_1_0) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "protocol entry %u has struct_size %u, smaller than the 1.0 layout (%u "
                  "bytes); rebuild the plugin against the flowscope SDK",
                  (unsigned)idx, (unsigned)p->struct_size, (unsigned)FS_PROTOCOL_DESC_SIZE_1_0);
  }
  if (p->name == NULL || !valid_name(p->name)) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "protocol entry %u has a missing or invalid name (want [a-z0-9_]+, at most "
                  "%u bytes); fix the plugin",
                  (unsigned)idx, (unsigned)FS_PLUGIN_NAME_MAX);
  }
  const uint32_t known = FS_TRANSPORT_TCP | FS_TRANSPORT_UDP;
  if (p->transports == 0 || (p->transports & ~known) != 0) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "protocol '%s': transports 0x%x is empty or has unknown bits; fix the plugin",
                  p->name, (unsigned)p->transports);
  }
  if ((p->transports & FS_TRANSPORT_TCP) && p->session == NULL) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "protocol '%s' declares TCP but has no session parser; fix the plugin", p->name);
  }
  if ((p->transports & FS_TRANSPORT_UDP) && p->datagram == NULL) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "protocol '%s' declares UDP but has no datagram parser; fix the plugin", p->name);
  }
  int rc;
  if (p->session != NULL &&
      (rc = check_session_ops(p->session, path, p->name, errbuf, errbuf_len)) != 0) {
    return rc;
  }
  if (p->datagram != NULL &&
      (rc = check_datagram_ops(p->datagram, path, p->name, errbuf, errbuf_len)) != 0) {
    return rc;
  }
  if (p->probe_max_bytes > FS_PROBE_MAX_BYTES_LIMIT ||
      (p->probe != NULL && p->probe_max_bytes == 0)) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "protocol '%s': probe_max_bytes %u must be 1..%u when a probe is set (at "
                  "most %u otherwise); fix the plugin",
                  p->name, (unsigned)p->probe_max_bytes, (unsigned)FS_PROBE_MAX_BYTES_LIMIT,
                  (unsigned)FS_PROBE_MAX_BYTES_LIMIT);
  }
  if (p->n_ports > MAX_PORT_RANGES || (p->n_ports > 0 && p->ports == NULL)) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "protocol '%s': %u port ranges with %s array (at most %u); fix the plugin",
                  p->name, (unsigned)p->n_ports, p->ports == NULL ? "a NULL" : "an",
                  (unsigned)MAX_PORT_RANGES);
  }
  for (uint32_t i = 0; i < p->n_ports; i++) {
    if (p->ports[i].lo > p->ports[i].hi) {
      return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                    "protocol '%s': port range %u..%u is reversed; fix the plugin", p->name,
                    (unsigned)p->ports[i].lo, (unsigned)p->ports[i].hi);
    }
  }
  return 0;
}

static int check_prefix(const fs_plugin_desc *d, uint16_t host_major, uint16_t host_minor,
                        const char *path, char *errbuf, size_t errbuf_len) {
  if (d->struct_size < FS_PLUGIN_DESC_PREFIX_SIZE) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "descriptor struct_size %u is too short to hold the version prefix (%u "
                  "bytes); rebuild the plugin with FS_PLUGIN_DEFINE",
                  (unsigned)d->struct_size, (unsigned)FS_PLUGIN_DESC_PREFIX_SIZE);
  }
  if (d->magic != FS_PLUGIN_MAGIC) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "bad descriptor magic 0x%08x (want 0x%08x): fs_plugin_entry does not return "
                  "a flowscope plugin descriptor; rebuild the plugin with FS_PLUGIN_DEFINE",
                  (unsigned)d->magic, (unsigned)FS_PLUGIN_MAGIC);
  }
  if (d->abi_major != host_major) {
    return refuse(errbuf, errbuf_len, path, FS_E_ABI,
                  "built for flowscope-core ABI %u.%u, this host provides %u.%u (major "
                  "differs); rebuild the plugin against flowscope-core %u.x",
                  (unsigned)d->abi_major, (unsigned)d->abi_minor, (unsigned)host_major,
                  (unsigned)host_minor, (unsigned)host_major);
  }
  if (d->abi_minor > host_minor) {
    return refuse(errbuf, errbuf_len, path, FS_E_ABI,
                  "built for flowscope-core ABI %u.%u, this host provides %u.%u; upgrade "
                  "flowscope or rebuild the plugin",
                  (unsigned)d->abi_major, (unsigned)d->abi_minor, (unsigned)host_major,
                  (unsigned)host_minor);
  }
  if (d->struct_size < FS_PLUGIN_DESC_SIZE_1_0) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "descriptor struct_size %u is smaller than the ABI 1.0 descriptor (%u "
                  "bytes); rebuild the plugin with FS_PLUGIN_DEFINE",
                  (unsigned)d->struct_size, (unsigned)FS_PLUGIN_DESC_SIZE_1_0);
  }
  return 0;
}

static int check_fields(const fs_plugin_desc *d, const char *path, char *errbuf,
                        size_t errbuf_len) {
  if (d->name == NULL || !valid_name(d->name)) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "plugin name is missing or invalid (want [a-z0-9_]+, at most %u bytes); "
                  "fix the descriptor",
                  (unsigned)FS_PLUGIN_NAME_MAX);
  }
  if (path != NULL) {
    const char *stem;
    size_t stem_len;
    path_stem(path, &stem, &stem_len);
    if (strlen(d->name) != stem_len || strncmp(d->name, stem, stem_len) != 0) {
      return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                    "plugin name '%s' does not match the file name '%.*s.so'; rename the file "
                    "to %s.so",
                    d->name, (int)stem_len, stem, d->name);
    }
  }
  if (d->version == NULL || d->description == NULL || d->license == NULL) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "plugin '%s' lacks a version, description or license string; fix the "
                  "descriptor",
                  d->name);
  }
  if (d->n_protocols > MAX_PROTOCOLS || (d->n_protocols > 0 && d->protocols == NULL)) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "plugin '%s' declares %u protocols with %s array (at most %u); fix the "
                  "descriptor",
                  d->name, (unsigned)d->n_protocols, d->protocols == NULL ? "a NULL" : "an",
                  (unsigned)MAX_PROTOCOLS);
  }
  for (uint32_t i = 0; i < d->n_protocols; i++) {
    int rc = check_protocol(d->protocols[i], i, path, errbuf, errbuf_len);
    if (rc != 0) {
      return rc;
    }
    for (uint32_t j = 0; j < i; j++) {
      if (strcmp(d->protocols[j]->name, d->protocols[i]->name) == 0) {
        return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                      "plugin '%s' declares protocol '%s' twice; fix the descriptor", d->name,
                      d->protocols[i]->name);
      }
    }
  }
  return 0;
}

int fs_plugin_desc_validate(const fs_plugin_desc *desc, const fs_host_info *host, const char *path,
                            char *errbuf, size_t errbuf_len) {
  if (errbuf != NULL && errbuf_len > 0) {
    errbuf[0] = '\0';
  }
  if (desc == NULL) {
    return refuse(errbuf, errbuf_len, path, FS_E_PLUGIN,
                  "fs_plugin_entry returned NULL (the plugin declined to load); check the "
                  "plugin's requirements");
  }
  uint16_t major = FS_ABI_MAJOR, minor = FS_ABI_MINOR;
  if (host != NULL && host->struct_size >= offsetof(fs_host_info, abi_minor) + sizeof(uint16_t)) {
    major = host->abi_major;
    minor = host->abi_minor;
  }
  int rc = check_prefix(desc, major, minor, path, errbuf, errbuf_len);
  if (rc != 0) {
    return rc;
  }
  return check_fields(desc, path, errbuf, errbuf_len);
}
