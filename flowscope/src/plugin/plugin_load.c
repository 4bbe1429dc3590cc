/* SPDX-License-Identifier: MIT */
/*
 * Loading one plugin file, in the order ABI.md fixes: stat and ELF check ->
 * dlopen(RTLD_NOW | RTLD_LOCAL) -> dlsym(fs_plugin_entry) -> entry ->
 * descriptor prefix and fields (fs_plugin_desc_validate) -> duplicates ->
 * init -> register. Every refusal is recorded with the path and the reason,
 * and a refused plugin is dlclose'd so nothing of it stays reachable.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/registry_internal.h"

/* What the host tells every plugin entry about itself. */
static const fs_host_info host_info = {
    .struct_size = (uint32_t)sizeof(fs_host_info),
    .abi_major = FS_ABI_MAJOR,
    .abi_minor = FS_ABI_MINOR,
    .host_name = "flowscope " FLOWSCOPE_LIB_VERSION,
};

/* Copies min(src's struct_size, dst_size) bytes into a zeroed dst; sets dst's size. */
static void copy_sized(void *dst, size_t dst_size, const void *src) {
  uint32_t theirs;
  memcpy(&theirs, src, sizeof theirs);
  memset(dst, 0, dst_size);
  memcpy(dst, src, theirs < dst_size ? theirs : dst_size);
  uint32_t ours = (uint32_t)dst_size;
  memcpy(dst, &ours, sizeof ours);
}

/* Checks that path is a readable regular file starting with the ELF magic. */
static int check_file(fs_registry *reg, const char *path, char *errbuf) {
  char msg[FS_ERRBUF_SIZE];
  struct stat st;
  if (stat(path, &st) != 0) {
    snprintf(msg, sizeof msg, "%s: cannot stat: %s", path, strerror(errno));
    return fsi_registry_refuse(reg, path, errno == ENOENT ? FS_E_NOTFOUND : FS_E_IO, msg, errbuf);
  }
  if (!S_ISREG(st.st_mode)) {
    snprintf(msg, sizeof msg, "%s: not a regular file; remove it from the plugin directory", path);
    return fsi_registry_refuse(reg, path, FS_E_FORMAT, msg, errbuf);
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    snprintf(msg, sizeof msg, "%s: cannot open: %s", path, strerror(e));
    return fsi_registry_refuse(reg, path, e == EACCES ? FS_E_PERM : FS_E_IO, msg, errbuf);
  }
  unsigned char magic[4] = {0};
  ssize_t got = read(fd, magic, sizeof magic);
  close(fd);
  if (got != (ssize_t)sizeof magic || memcmp(magic, "\177ELF", 4) != 0) {
    snprintf(msg, sizeof msg,
             "%s: not a shared object (no ELF header); remove it from the plugin directory", path);
    return fsi_registry_refuse(reg, path, FS_E_FORMAT, msg, errbuf);
  }
  return 0;
}

/* Refuses when a protocol of d is already provided by a loaded plugin. */
static int check_duplicates(fs_registry *reg, const char *path, const fs_plugin_desc *d,
                            char *errbuf) {
  char msg[FS_ERRBUF_SIZE];
  const fsi_plugin *same = fsi_registry_find_plugin(reg, d->name);
  if (same != NULL) {
    snprintf(msg, sizeof msg,
             "%s: duplicate plugin '%s', already loaded from %s; remove one of them or "
             "reorder the plugin search path",
             path, d->name, same->path);
    return fsi_registry_refuse(reg, path, FS_E_DUPLICATE, msg, errbuf);
  }
  for (uint32_t i = 0; i < d->n_protocols; i++) {
    const char *name = d->protocols[i]->name;
    const fs_protocol_desc *have = fs_registry_protocol(reg, name);
    if (have != NULL) {
      const fs_plugin_info *owner = fs_registry_protocol_plugin(reg, have);
      snprintf(msg, sizeof msg,
               "%s: duplicate protocol '%s', already provided by plugin '%s' from %s; "
               "remove one of the two plugins",
               path, name, owner->name, owner->path);
      return fsi_registry_refuse(reg, path, FS_E_DUPLICATE, msg, errbuf);
    }
  }
  return 0;
}

/* Builds the registry's normalized copies of a validated descriptor. */
static fsi_plugin *build_plugin(const char *path, void *handle, const fs_plugin_desc *d) {
  fsi_plugin *p = calloc(1, sizeof *p);
  if (p == NULL) {
    return NULL;
  }
  uint32_t n = d->n_protocols;
  size_t k = n > 0 ? n : 1;
  p->path = strdup(path);
  p->protos = calloc(k, sizeof *p->protos);
  p->proto_ptrs = calloc(k, sizeof *p->proto_ptrs);
  p->sessions = calloc(k, sizeof *p->sessions);
  p->datagrams = calloc(k, sizeof *p->datagrams);
  if (p->path == NULL || p->protos == NULL || p->proto_ptrs == NULL || p->sessions == NULL ||
      p->datagrams == NULL) {
    p->handle = NULL;
    fsi_plugin_unload(p);
    return NULL;
  }
  p->handle = handle;
  copy_sized(&p->desc, sizeof p->desc, d);
  for (uint32_t i = 0; i < n; i++) {
    const fs_protocol_desc *src = d->protocols[i];
    copy_sized(&p->protos[i], sizeof p->protos[i], src);
    if (src->session != NULL) {
      copy_sized(&p->sessions[i], sizeof p->sessions[i], src->session);
      p->protos[i].session = &p->sessions[i];
    }
    if (src->datagram != NULL) {
      copy_sized(&p->datagrams[i], sizeof p->datagrams[i], src->datagram);
      p->protos[i].datagram = &p->datagrams[i];
    }
    p->proto_ptrs[i] = &p->protos[i];
  }
  p->desc.protocols = p->proto_ptrs;
  p->info.name = p->desc.name;
  p->info.version = p->desc.version;
  p->info.description = p->desc.description;
  p->info.license = p->desc.license;
  p->info.path = p->path;
  p->info.desc = &p->desc;
  return p;
}

/* Runs init; on failure records the plugin's reason. */
static int run_init(fs_registry *reg, fsi_plugin *p, char *errbuf) {
  if (p->desc.init == NULL) {
    return 0;
  }
  char reason[256];
  memset(reason, 0, sizeof reason);
  int rc = p->desc.init(&p->api, &p->state, reason, sizeof reason);
  if (rc == 0) {
    p->initialized = 1;
    return 0;
  }
  reason[sizeof reason - 1] = '\0';
  char msg[FS_ERRBUF_SIZE];
  snprintf(msg, sizeof msg, "%s: init failed: %s", p->path,
           reason[0] != '\0' ? reason : "(the plugin gave no reason)");
  return fsi_registry_refuse(reg, p->path, FS_E_PLUGIN, msg, errbuf);
}

static int append_plugin(fs_registry *reg, fsi_plugin *p) {
  if (reg->n_plugins == reg->cap_plugins) {
    uint32_t ncap = reg->cap_plugins ? reg->cap_plugins * 2 : 8;
    fsi_plugin **grown = realloc(reg->plugins, ncap * sizeof *grown);
    if (grown == NULL) {
      return FS_E_NOMEM;
    }
    reg->plugins = grown;
    reg->cap_plugins = ncap;
  }
  reg->plugins[reg->n_plugins++] = p;
  return 0;
}

int fsi_registry_open_file(fs_registry *reg, const char *path, char *errbuf) {
  char msg[FS_ERRBUF_SIZE];
  int rc = check_file(reg, path, errbuf);
  if (rc != 0) {
    return rc;
  }
  /* RTLD_LOCAL: a plugin's bundled libraries never interpose on another's. */
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) {
    const char *why = dlerror();
    snprintf(msg, sizeof msg, "%s: cannot be loaded: %s; check the plugin's dependencies", path,
             why != NULL ? why : "unknown dlopen error");
    return fsi_registry_refuse(reg, path, FS_E_PLUGIN, msg, errbuf);
  }
  (void)dlerror();
  void *sym = dlsym(handle, FS_PLUGIN_ENTRY_SYMBOL);
  if (sym == NULL) {
    snprintf(msg, sizeof msg,
             "%s: no %s symbol: not a flowscope plugin; build it with FS_PLUGIN_DEFINE", path,
             FS_PLUGIN_ENTRY_SYMBOL);
    dlclose(handle);
    return fsi_registry_refuse(reg, path, FS_E_PLUGIN, msg, errbuf);
  }
  fs_plugin_entry_fn entry;
  /* POSIX guarantees a dlsym result converts to a function pointer. */
  memcpy(&entry, &sym, sizeof entry);
  const fs_plugin_desc *d = entry(&host_info);
  rc = fs_plugin_desc_validate(d, &host_info, path, msg, sizeof msg);
  if (rc == 0) {
    rc = check_duplicates(reg, path, d, errbuf);
    if (rc != 0) {
      dlclose(handle);
      return rc;
    }
  } else {
    dlclose(handle);
    return fsi_registry_refuse(reg, path, rc, msg, errbuf);
  }
  fsi_plugin *p = build_plugin(path, handle, d);
  if (p == NULL) {
    dlclose(handle);
    return FS_E_NOMEM;
  }
  fsi_plugin_host_api_init(reg, p);
  rc = run_init(reg, p, errbuf);
  if (rc == 0) {
    rc = append_plugin(reg, p);
  }
  if (rc != 0) {
    fsi_plugin_unload(p);
  }
  return rc;
}

void fsi_plugin_unload(fsi_plugin *p) {
  if (p == NULL) {
    return;
  }
  if (p->initialized && p->desc.fini != NULL) {
    p->desc.fini(p->state);
  }
  if (p->handle != NULL) {
    dlclose(p->handle);
  }
  free(p->path);
  free(p->protos);
  free(p->proto_ptrs);
  free(p->sessions);
  free(p->datagrams);
  free(p);
}
