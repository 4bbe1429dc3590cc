/* SPDX-License-Identifier: MIT */
/*
 * The plugin registry object: search path, load-all and load-by-name,
 * listing of loaded plugins and refusals, teardown. The per-file loading
 * pipeline is in plugin_load.c.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plugin/registry_internal.h"

#ifndef FLOWSCOPE_SYSTEM_PLUGIN_DIR
#define FLOWSCOPE_SYSTEM_PLUGIN_DIR "/usr/local/lib/flowscope/1/plugins"
#endif

/* Name of the environment variable holding extra plugin directories. */
#define PLUGIN_PATH_ENV "FLOWSCOPE_PLUGIN_PATH"

int fs_registry_create(fs_registry **out, uint32_t flags) {
  if (out == NULL) {
    return FS_E_INVAL;
  }
  *out = NULL;
  fs_registry *reg = calloc(1, sizeof *reg);
  if (reg == NULL) {
    return FS_E_NOMEM;
  }
  reg->flags = flags;
  fsi_host_api_init(reg);
  *out = reg;
  return 0;
}

int fs_registry_add_dir(fs_registry *reg, const char *dir) {
  if (reg == NULL || dir == NULL || dir[0] == '\0') {
    return FS_E_INVAL;
  }
  char **dirs = realloc(reg->dirs, (reg->n_dirs + 1) * sizeof *dirs);
  if (dirs == NULL) {
    return FS_E_NOMEM;
  }
  reg->dirs = dirs;
  dirs[reg->n_dirs] = strdup(dir);
  if (dirs[reg->n_dirs] == NULL) {
    return FS_E_NOMEM;
  }
  reg->n_dirs++;
  return 0;
}

void fsi_dirs_free(char **dirs, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    free(dirs[i]);
  }
  free(dirs);
}

/* Appends a copy of [dir, dir+len) unless empty or already listed. */
static int push_dir(char ***dirs, uint32_t *n, const char *dir, size_t len) {
  if (len == 0) {
    return 0; /* an empty PATH element must not mean "the current directory" */
  }
  for (uint32_t i = 0; i < *n; i++) {
    if (strlen((*dirs)[i]) == len && strncmp((*dirs)[i], dir, len) == 0) {
      return 0;
    }
  }
  char **grown = realloc(*dirs, (*n + 1) * sizeof *grown);
  if (grown == NULL) {
    return FS_E_NOMEM;
  }
  *dirs = grown;
  grown[*n] = strndup(dir, len);
  if (grown[*n] == NULL) {
    return FS_E_NOMEM;
  }
  (*n)++;
  return 0;
}

int fsi_registry_search_dirs(const fs_registry *reg, char ***out, uint32_t *n_out) {
  char **dirs = NULL;
  uint32_t n = 0;
  int rc = 0;
  for (uint32_t i = 0; i < reg->n_dirs && rc == 0; i++) {
    rc = push_dir(&dirs, &n, reg->dirs[i], strlen(reg->dirs[i]));
  }
  /* secure_getenv: a privileged capture tool must not take plugins from the caller. */
  const char *env = (reg->flags & FS_REGISTRY_NO_ENV) ? NULL : secure_getenv(PLUGIN_PATH_ENV);
  while (env != NULL && rc == 0) {
    const char *colon = strchr(env, ':');
    size_t len = colon != NULL ? (size_t)(colon - env) : strlen(env);
    rc = push_dir(&dirs, &n, env, len);
    env = colon != NULL ? colon + 1 : NULL;
  }
  if (!(reg->flags & FS_REGISTRY_NO_SYSTEM) && rc == 0) {
    rc = push_dir(&dirs, &n, FLOWSCOPE_SYSTEM_PLUGIN_DIR, strlen(FLOWSCOPE_SYSTEM_PLUGIN_DIR));
  }
  if (rc != 0) {
    fsi_dirs_free(dirs, n);
    return rc;
  }
  *out = dirs;
  *n_out = n;
  return 0;
}

int fsi_plugin_name_ok(const char *name, size_t len) {
  if (len == 0 || len > FS_PLUGIN_NAME_MAX) {
    return 0;
  }
  for (size_t i = 0; i < len; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return 0;
    }
  }
  return 1;
}

fsi_plugin *fsi_registry_find_plugin(const fs_registry *reg, const char *name) {
  for (uint32_t i = 0; i < reg->n_plugins; i++) {
    if (strcmp(reg->plugins[i]->desc.name, name) == 0) {
      return reg->plugins[i];
    }
  }
  return NULL;
}

/* 1 when a file name is a plugin candidate: "<stem>.so", not a dot-file. */
static int candidate_name(const char *name) {
  size_t n = strlen(name);
  return name[0] != '.' && n > 3 && strcmp(name + n - 3, ".so") == 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted candidate file names of one directory; a missing directory is empty. */
static int list_dir(const char *dir, char ***out, size_t *n_out) {
  *out = NULL;
  *n_out = 0;
  DIR *d = opendir(dir);
  if (d == NULL) {
    return 0;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!candidate_name(e->d_name)) {
      continue;
    }
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 16;
      char **grown = realloc(names, ncap * sizeof *grown);
      if (grown == NULL) {
        rc = FS_E_NOMEM;
        break;
      }
      names = grown;
      cap = ncap;
    }
    names[n] = strdup(e->d_name);
    if (names[n] == NULL) {
      rc = FS_E_NOMEM;
      break;
    }
    n++;
  }
  closedir(d);
  if (rc != 0) {
    fsi_dirs_free(names, (uint32_t)n);
    return rc;
  }
  /* readdir order is unspecified: sort so that loading is deterministic. */
  if (n > 1) /* qsort with a NULL array is undefined even for n = 0 */
    qsort(names, n, sizeof *names, cmp_str);
  *out = names;
  *n_out = n;
  return 0;
}

/* 1 when a and b name the same file (after resolving links). */
static int same_file(const char *a, const char *b) {
  struct stat sa, sb;
  if (stat(a, &sa) != 0 || stat(b, &sb) != 0) {
    return strcmp(a, b) == 0;
  }
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Joins dir and file into a fresh string. */
static char *join_path(const char *dir, const char *file) {
  size_t dl = strlen(dir), fl = strlen(file);
  int slash = dl > 0 && dir[dl - 1] != '/';
  char *p = malloc(dl + (size_t)slash + fl + 1);
  if (p == NULL) {
    return NULL;
  }
  memcpy(p, dir, dl);
  if (slash) {
    p[dl] = '/';
  }
  memcpy(p + dl + (size_t)slash, file, fl + 1);
  return p;
}

/*
 * Loads one candidate path: skipped when the same file is already loaded,
 * refused as a duplicate when another file of that name is, else opened.
 * Returns 1 when newly loaded, 0 when skipped or refused, or FS_E_NOMEM.
 */
static int load_candidate(fs_registry *reg, const char *path, const char *stem, size_t stem_len) {
  char name[FS_PLUGIN_NAME_MAX + 1];
  if (fsi_plugin_name_ok(stem, stem_len)) {
    memcpy(name, stem, stem_len);
    name[stem_len] = '\0';
    const fsi_plugin *have = fsi_registry_find_plugin(reg, name);
    if (have != NULL) {
      if (same_file(have->path, path)) {
        return 0;
      }
      char msg[FS_ERRBUF_SIZE];
      snprintf(msg, sizeof msg,
               "%s: duplicate plugin '%s', already loaded from %s; remove one of them or "
               "reorder the plugin search path",
               path, name, have->path);
      return fsi_registry_refuse(reg, path, FS_E_DUPLICATE, msg, NULL) == FS_E_NOMEM ? FS_E_NOMEM
                                                                                     : 0;
    }
  }
  int rc = fsi_registry_open_file(reg, path, NULL);
  if (rc == FS_E_NOMEM) {
    return rc;
  }
  return rc == 0 ? 1 : 0;
}

int fs_registry_load_all(fs_registry *reg) {
  if (reg == NULL) {
    return FS_E_INVAL;
  }
  char **dirs;
  uint32_t n_dirs;
  int rc = fsi_registry_search_dirs(reg, &dirs, &n_dirs);
  if (rc != 0) {
    return rc;
  }
  int loaded = 0;
  for (uint32_t i = 0; i < n_dirs && rc >= 0; i++) {
    char **names;
    size_t n_names;
    rc = list_dir(dirs[i], &names, &n_names);
    for (size_t j = 0; j < n_names && rc >= 0; j++) {
      char *path = join_path(dirs[i], names[j]);
      if (path == NULL) {
        rc = FS_E_NOMEM;
        break;
      }
      struct stat st;
      /* Only regular files (or links to them): skip sockets, directories, fifos. */
      if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        rc = load_candidate(reg, path, names[j], strlen(names[j]) - 3);
        if (rc > 0) {
          loaded++;
        }
      }
      free(path);
    }
    fsi_dirs_free(names, (uint32_t)n_names);
  }
  fsi_dirs_free(dirs, n_dirs);
  return rc < 0 ? rc : loaded;
}

static void set_err(char *errbuf, const char *msg) {
  if (errbuf != NULL) {
    snprintf(errbuf, FS_ERRBUF_SIZE, "%s", msg);
  }
}

int fs_registry_load(fs_registry *reg, const char *name, char *errbuf) {
  if (errbuf != NULL) {
    errbuf[0] = '\0';
  }
  if (reg == NULL || name == NULL) {
    return FS_E_INVAL;
  }
  char msg[FS_ERRBUF_SIZE];
  if (!fsi_plugin_name_ok(name, strlen(name))) {
    snprintf(msg, sizeof msg, "invalid plugin name '%.64s': want [a-z0-9_]+", name);
    set_err(errbuf, msg);
    return FS_E_INVAL;
  }
  if (fsi_registry_find_plugin(reg, name) != NULL) {
    return 0;
  }
  char **dirs;
  uint32_t n_dirs;
  int rc = fsi_registry_search_dirs(reg, &dirs, &n_dirs);
  if (rc != 0) {
    return rc;
  }
  char file[FS_PLUGIN_NAME_MAX + 4];
  snprintf(file, sizeof file, "%s.so", name);
  rc = FS_E_NOTFOUND;
  for (uint32_t i = 0; i < n_dirs && rc == FS_E_NOTFOUND; i++) {
    char *path = join_path(dirs[i], file);
    if (path == NULL) {
      rc = FS_E_NOMEM;
      break;
    }
    struct stat st;
    if (stat(path, &st) == 0) {
      rc = fsi_registry_open_file(reg, path, errbuf);
    }
    free(path);
  }
  if (rc == FS_E_NOTFOUND) {
    /* Say where we looked: the usual remedy is FLOWSCOPE_PLUGIN_PATH or --plugin-dir. */
    int n = snprintf(msg, sizeof msg, "plugin '%s' not found (no %s in:", name, file);
    for (uint32_t i = 0; i < n_dirs && n > 0 && (size_t)n < sizeof msg; i++) {
      n += snprintf(msg + n, sizeof msg - (size_t)n, " %s", dirs[i]);
    }
    if (n > 0 && (size_t)n < sizeof msg) {
      snprintf(msg + n, sizeof msg - (size_t)n, "); add its directory to %s", PLUGIN_PATH_ENV);
    }
    set_err(errbuf, msg);
  }
  fsi_dirs_free(dirs, n_dirs);
  return rc;
}

int fs_registry_load_file(fs_registry *reg, const char *path, char *errbuf) {
  if (errbuf != NULL) {
    errbuf[0] = '\0';
  }
  if (reg == NULL || path == NULL || path[0] == '\0') {
    return FS_E_INVAL;
  }
  const char *slash = strrchr(path, '/');
  const char *base = slash != NULL ? slash + 1 : path;
  size_t blen = strlen(base);
  if (blen > 3 && strcmp(base + blen - 3, ".so") == 0 && fsi_plugin_name_ok(base, blen - 3)) {
    char name[FS_PLUGIN_NAME_MAX + 1];
    memcpy(name, base, blen - 3);
    name[blen - 3] = '\0';
    const fsi_plugin *have = fsi_registry_find_plugin(reg, name);
    if (have != NULL) {
      if (same_file(have->path, path)) {
        return 0;
      }
      char msg[FS_ERRBUF_SIZE];
      snprintf(msg, sizeof msg,
               "%s: duplicate plugin '%s', already loaded from %s; remove one of them or "
               "reorder the plugin search path",
               path, name, have->path);
      return fsi_registry_refuse(reg, path, FS_E_DUPLICATE, msg, errbuf);
    }
  }
  return fsi_registry_open_file(reg, path, errbuf);
}

uint32_t fs_registry_count(const fs_registry *reg) { return reg != NULL ? reg->n_plugins : 0; }

const fs_plugin_info *fs_registry_get(const fs_registry *reg, uint32_t i) {
  if (reg == NULL || i >= reg->n_plugins) {
    return NULL;
  }
  return &reg->plugins[i]->info;
}

uint32_t fs_registry_refusal_count(const fs_registry *reg) {
  return reg != NULL ? reg->n_refusals : 0;
}

const fs_plugin_refusal *fs_registry_refusal(const fs_registry *reg, uint32_t i) {
  if (reg == NULL || i >= reg->n_refusals) {
    return NULL;
  }
  return &reg->refusals[i].pub;
}

int fsi_registry_refuse(fs_registry *reg, const char *path, int code, const char *message,
                        char *errbuf) {
  set_err(errbuf, message);
  for (uint32_t i = 0; i < reg->n_refusals; i++) {
    /* The same file refused for the same reason again (load-all twice): list it once. */
    if (reg->refusals[i].pub.code == code && strcmp(reg->refusals[i].path, path) == 0 &&
        strcmp(reg->refusals[i].message, message) == 0) {
      return code;
    }
  }
  if (reg->n_refusals == reg->cap_refusals) {
    uint32_t ncap = reg->cap_refusals ? reg->cap_refusals * 2 : 8;
    fsi_refusal *grown = realloc(reg->refusals, ncap * sizeof *grown);
    if (grown == NULL) {
      return FS_E_NOMEM;
    }
    reg->refusals = grown;
    reg->cap_refusals = ncap;
  }
  fsi_refusal *r = &reg->refusals[reg->n_refusals];
  r->path = strdup(path);
  r->message = strdup(message);
  if (r->path == NULL || r->message == NULL) {
    free(r->path);
    free(r->message);
    return FS_E_NOMEM;
  }
  r->pub.path = r->path;
  r->pub.code = code;
  r->pub.message = r->message;
  reg->n_refusals++;
  return code;
}

uint32_t fs_registry_protocol_count(const fs_registry *reg) {
  uint32_t n = 0;
  for (uint32_t i = 0; reg != NULL && i < reg->n_plugins; i++) {
    n += reg->plugins[i]->desc.n_protocols;
  }
  return n;
}

const fs_protocol_desc *fs_registry_protocol_at(const fs_registry *reg, uint32_t i) {
  for (uint32_t p = 0; reg != NULL && p < reg->n_plugins; p++) {
    const fsi_plugin *pl = reg->plugins[p];
    if (i < pl->desc.n_protocols) {
      return &pl->protos[i];
    }
    i -= pl->desc.n_protocols;
  }
  return NULL;
}

/* The plugin owning a protocol pointer handed out by this registry, or NULL. */
static const fsi_plugin *owner_of(const fs_registry *reg, const fs_protocol_desc *proto) {
  for (uint32_t p = 0; reg != NULL && proto != NULL && p < reg->n_plugins; p++) {
    const fsi_plugin *pl = reg->plugins[p];
    for (uint32_t i = 0; i < pl->desc.n_protocols; i++) {
      if (&pl->protos[i] == proto) {
        return pl;
      }
    }
  }
  return NULL;
}

const fs_protocol_desc *fs_registry_protocol(const fs_registry *reg, const char *name) {
  for (uint32_t p = 0; reg != NULL && name != NULL && p < reg->n_plugins; p++) {
    const fsi_plugin *pl = reg->plugins[p];
    for (uint32_t i = 0; i < pl->desc.n_protocols; i++) {
      if (strcmp(pl->protos[i].name, name) == 0) {
        return &pl->protos[i];
      }
    }
  }
  return NULL;
}

const fs_plugin_info *fs_registry_protocol_plugin(const fs_registry *reg,
                                                  const fs_protocol_desc *proto) {
  const fsi_plugin *pl = owner_of(reg, proto);
  return pl != NULL ? &pl->info : NULL;
}

const fs_host_api *fs_registry_host_api(const fs_registry *reg) {
  return reg != NULL ? &reg->api : NULL;
}

const fs_host_api *fs_registry_protocol_host_api(const fs_registry *reg,
                                                 const fs_protocol_desc *proto) {
  const fsi_plugin *pl = owner_of(reg, proto);
  return pl != NULL ? &pl->api : fs_registry_host_api(reg);
}

void *fs_registry_plugin_state(const fs_registry *reg, const fs_protocol_desc *proto) {
  const fsi_plugin *pl = owner_of(reg, proto);
  return pl != NULL ? pl->state : NULL;
}

void fs_registry_set_metrics(fs_registry *reg, const fs_metrics_ops *ops, void *self) {
  if (reg == NULL) {
    return;
  }
  reg->metrics = ops;
  reg->metrics_self = self;
}

const char *fs_registry_system_dir(void) { return FLOWSCOPE_SYSTEM_PLUGIN_DIR; }

void fs_registry_destroy(fs_registry *reg) {
  if (reg == NULL) {
    return;
  }
  /* Unload in reverse order of loading, as a stack of dependencies would. */
  for (uint32_t i = reg->n_plugins; i > 0; i--) {
    fsi_plugin_unload(reg->plugins[i - 1]);
  }
  free(reg->plugins);
  for (uint32_t i = 0; i < reg->n_refusals; i++) {
    free(reg->refusals[i].path);
    free(reg->refusals[i].message);
  }
  free(reg->refusals);
  fsi_dirs_free(reg->dirs, reg->n_dirs);
  free(reg);
}
