/* SPDX-License-Identifier: MIT */
/**
 * @file registry.h
 * The plugin registry: finds plugin shared objects, dlopen()s them with
 * RTLD_NOW | RTLD_LOCAL, validates their descriptors and lists what it
 * loaded and what it refused (with the path and the reason).
 *
 * Search order: directories added with fs_registry_add_dir (in order),
 * then FLOWSCOPE_PLUGIN_PATH (colon-separated, read with secure_getenv),
 * then the system directory <libdir>/flowscope/<ABI major>/plugins.
 */
#ifndef FLOWSCOPE_REGISTRY_H
#define FLOWSCOPE_REGISTRY_H

#include "flowscope/core.h"

FS_BEGIN_DECLS

/** A plugin registry (opaque). Not thread-safe while loading; read-only afterwards. */
typedef struct fs_registry fs_registry;

/** Flag: do not search the compiled-in system directory. */
#define FS_REGISTRY_NO_SYSTEM 0x1u
/** Flag: ignore FLOWSCOPE_PLUGIN_PATH. */
#define FS_REGISTRY_NO_ENV 0x2u

/** A loaded plugin, as listed by the registry (borrowed from the registry). */
typedef struct fs_plugin_info {
  const char *name;           /**< plugin name */
  const char *version;        /**< plugin version */
  const char *description;    /**< one line */
  const char *license;        /**< SPDX id */
  const char *path;           /**< file it was loaded from */
  const fs_plugin_desc *desc; /**< the validated descriptor */
} fs_plugin_info;

/** A file the registry did not load (borrowed from the registry). */
typedef struct fs_plugin_refusal {
  const char *path;    /**< the file */
  int code;            /**< FS_E_* */
  const char *message; /**< names the file, the cause and the remedy */
} fs_plugin_refusal;

/** Creates an empty registry with FS_REGISTRY_* @p flags. */
FS_API int fs_registry_create(fs_registry **out, uint32_t flags);

/** Adds a directory to search (copied), before the environment and system ones. FS_E_INVAL for NULL
 * or "". */
FS_API int fs_registry_add_dir(fs_registry *reg, const char *dir);

/**
 * Loads every plugin found on the search path: in each directory, regular
 * files named <name>.so (dot-files skipped), in sorted order; the first
 * directory that has a name wins and later files of that name are refused
 * as duplicates naming both paths. Refusals are recorded, not fatal.
 * Files already loaded from the same path are skipped silently.
 * Returns the number newly loaded, or FS_E_NOMEM.
 */
FS_API int fs_registry_load_all(fs_registry *reg);

/**
 * Loads the plugin called @p name: the first <dir>/<name>.so on the search
 * path. Returns 0 (also when already loaded), FS_E_INVAL for a name not in
 * [a-z0-9_], FS_E_NOTFOUND with the searched directories in @p errbuf, or
 * the refusal code with its message (also recorded as a refusal).
 * @p errbuf (FS_ERRBUF_SIZE bytes) may be NULL.
 */
FS_API int fs_registry_load(fs_registry *reg, const char *name, char *errbuf);

/** Loads one plugin file by path (its stem is the plugin name). Errors as fs_registry_load. */
FS_API int fs_registry_load_file(fs_registry *reg, const char *path, char *errbuf);

/** Number of loaded plugins. */
FS_API uint32_t fs_registry_count(const fs_registry *reg);

/** Loaded plugin @p i (0-based), or NULL. */
FS_API const fs_plugin_info *fs_registry_get(const fs_registry *reg, uint32_t i);

/** Number of refused files. */
FS_API uint32_t fs_registry_refusal_count(const fs_registry *reg);

/** Refusal @p i, or NULL. */
FS_API const fs_plugin_refusal *fs_registry_refusal(const fs_registry *reg, uint32_t i);

/** Finds a loaded protocol by name ("http"); NULL if none. */
FS_API const fs_protocol_desc *fs_registry_protocol(const fs_registry *reg, const char *name);

/** Registry-wide host services table (counters carry no plugin label); never NULL for a registry.
 */
FS_API const fs_host_api *fs_registry_host_api(const fs_registry *reg);

/**
 * Host services table of the plugin that provides @p proto: the one its
 * init received. Drivers put it in fs_parser_env.host. Falls back to
 * fs_registry_host_api() for a pointer not from this registry.
 */
FS_API const fs_host_api *fs_registry_protocol_host_api(const fs_registry *reg,
                                                        const fs_protocol_desc *proto);

/** State the plugin that owns @p proto stored in init, or NULL. */
FS_API void *fs_registry_plugin_state(const fs_registry *reg, const fs_protocol_desc *proto);

/** Number of protocols across all loaded plugins (load order, then declaration order). */
FS_API uint32_t fs_registry_protocol_count(const fs_registry *reg);

/**
 * Protocol @p i (0-based) across all loaded plugins, or NULL. The entry is
 * the registry's own copy, zero-extended to this host's struct sizes, so
 * every member (and its session/datagram ops) may be read without
 * FS_HAS_MEMBER. Valid until fs_registry_destroy.
 */
FS_API const fs_protocol_desc *fs_registry_protocol_at(const fs_registry *reg, uint32_t i);

/** The loaded plugin that provides @p proto (a pointer from this registry), or NULL. */
FS_API const fs_plugin_info *fs_registry_protocol_plugin(const fs_registry *reg,
                                                         const fs_protocol_desc *proto);

/**
 * Routes the plugins' host services (log, counter_add) to @p ops (borrowed,
 * must be thread-safe: parsers on several workers call it). Counters keep
 * their plugin-given names and carry a "plugin" label. Without it, log
 * lines of level FS_LOG_WARN or more severe go to stderr and counters are
 * dropped. Call before loading.
 */
FS_API void fs_registry_set_metrics(fs_registry *reg, const fs_metrics_ops *ops, void *self);

/** The compiled-in system plugin directory. */
FS_API const char *fs_registry_system_dir(void);

/** Calls every plugin's fini, unloads them, frees the registry. NULL is fine. */
FS_API void fs_registry_destroy(fs_registry *reg);

FS_END_DECLS

#endif /* FLOWSCOPE_REGISTRY_H */
