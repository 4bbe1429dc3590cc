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

/** Adds a directory to search, before the environment and system ones. */
FS_API int fs_registry_add_dir(fs_registry *reg, const char *dir);

/** Loads every plugin found on the search path; refusals are recorded, not fatal. Returns the
 * number loaded. */
FS_API int fs_registry_load_all(fs_registry *reg);

/** Loads the plugin called @p name (file <dir>/<name>.so). FS_E_NOTFOUND with a message if absent.
 */
FS_API int fs_registry_load(fs_registry *reg, const char *name, char *errbuf);

/** Loads one plugin file by path. Errors as fs_registry_load. */
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

/** Host services table the registry passes to plugins (for drivers that create parsers). */
FS_API const fs_host_api *fs_registry_host_api(const fs_registry *reg);

/** State the plugin that owns @p proto stored in init, or NULL. */
FS_API void *fs_registry_plugin_state(const fs_registry *reg, const fs_protocol_desc *proto);

/** The compiled-in system plugin directory. */
FS_API const char *fs_registry_system_dir(void);

/** Calls every plugin's fini, unloads them, frees the registry. NULL is fine. */
FS_API void fs_registry_destroy(fs_registry *reg);

FS_END_DECLS

#endif /* FLOWSCOPE_REGISTRY_H */
