/* SPDX-License-Identifier: MIT */
/* Internals of the plugin registry shared by its source files. */
#ifndef FLOWSCOPE_SRC_PLUGIN_REGISTRY_INTERNAL_H
#define FLOWSCOPE_SRC_PLUGIN_REGISTRY_INTERNAL_H

#include "flowscope/registry.h"

/*
 * One loaded plugin. Protocol entries and parser ops are the registry's own
 * copies, zero-extended to this host's struct sizes, so callers never read
 * past what an older plugin provided.
 */
typedef struct fsi_plugin {
  fs_plugin_info info;                 /* what fs_registry_get returns */
  char *path;                          /* owned copy of the file path */
  void *handle;                        /* dlopen handle */
  fs_plugin_desc desc;                 /* normalized copy of the descriptor */
  fs_protocol_desc *protos;            /* normalized copies, desc.n_protocols of them */
  const fs_protocol_desc **proto_ptrs; /* desc.protocols points here */
  fs_session_parser_ops *sessions;     /* normalized session ops per protocol (or zeroed) */
  fs_datagram_parser_ops *datagrams;   /* normalized datagram ops per protocol (or zeroed) */
  fs_host_api api;                     /* this plugin's host services (host = this struct) */
  struct fs_registry *reg;             /* owner, for the host services */
  void *state;                         /* what init stored */
  int initialized;                     /* init succeeded: fini is due */
} fsi_plugin;

/* One refusal, with owned strings. */
typedef struct fsi_refusal {
  fs_plugin_refusal pub; /* what fs_registry_refusal returns */
  char *path;
  char *message;
} fsi_refusal;

struct fs_registry {
  uint32_t flags;
  char **dirs; /* fs_registry_add_dir, in order */
  uint32_t n_dirs;
  fsi_plugin **plugins; /* individually allocated: info pointers stay valid */
  uint32_t n_plugins;
  uint32_t cap_plugins;
  fsi_refusal *refusals;
  uint32_t n_refusals;
  uint32_t cap_refusals;
  fs_host_api api;               /* handed to plugins' init and parser envs */
  const fs_metrics_ops *metrics; /* optional sink of plugin logs and counters */
  void *metrics_self;
};

/* The search directories, in order (added, env, system); free with fsi_dirs_free. */
int fsi_registry_search_dirs(const fs_registry *reg, char ***out, uint32_t *n_out);
/* Frees what fsi_registry_search_dirs returned. */
void fsi_dirs_free(char **dirs, uint32_t n);

/*
 * Runs the loading pipeline on one file (ELF check, dlopen, entry,
 * validation, duplicates, init, register). On refusal records it and
 * copies the message into errbuf (may be NULL). Returns 0 or FS_E_*.
 */
int fsi_registry_open_file(fs_registry *reg, const char *path, char *errbuf);

/* Records a refusal (copies path and message). Returns code. */
int fsi_registry_refuse(fs_registry *reg, const char *path, int code, const char *message,
                        char *errbuf);

/* The loaded plugin called name, or NULL. */
fsi_plugin *fsi_registry_find_plugin(const fs_registry *reg, const char *name);

/* Fills reg->api with the registry-wide host services. */
void fsi_host_api_init(fs_registry *reg);
/* Fills p->api with host services that know the plugin (for counter labels). */
void fsi_plugin_host_api_init(fs_registry *reg, fsi_plugin *p);

/* Calls fini (when init succeeded), dlcloses and frees one plugin. */
void fsi_plugin_unload(fsi_plugin *p);

/* 1 when name is a valid plugin name ([a-z0-9_]+, bounded). */
int fsi_plugin_name_ok(const char *name, size_t len);

#endif /* FLOWSCOPE_SRC_PLUGIN_REGISTRY_INTERNAL_H */
