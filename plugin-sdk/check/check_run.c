/* SPDX-License-Identifier: MIT */
/*
 * The checker's jobs, run inside a child process: load the plugin and
 * poke its probe and parsers with random input; replay a capture through
 * the session driver whole or in 1..3-byte pieces, writing every message
 * as a text line; measure heap growth over repeated whole runs.
 */
#include <malloc.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

void fsi_chk_phase(chk_shared *sh, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sh->phase, sizeof sh->phase, fmt, ap);
  va_end(ap);
}

static int fail(chk_shared *sh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(chk_shared *sh, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sh->message, sizeof sh->message, fmt, ap);
  va_end(ap);
  return CHK_CHILD_FAIL;
}

/* 1 when the argument names a file rather than a plugin to look up. */
static int is_path(const char *plugin) {
  size_t n = strlen(plugin);
  return strchr(plugin, '/') != NULL || (n > 3 && strcmp(plugin + n - 3, ".so") == 0);
}

/* Loads the plugin into a fresh registry; fills sh's name/path/protocols. */
static int load(const chk_opts *o, chk_shared *sh, fs_registry **out) {
  fsi_chk_phase(sh, "loading the plugin (dlopen, fs_plugin_entry, init)");
  fs_registry *reg = NULL;
  if (fs_registry_create(&reg, 0) != 0) {
    return fail(sh, "out of memory creating the registry");
  }
  char err[FS_ERRBUF_SIZE] = "";
  int rc = is_path(o->plugin) ? fs_registry_load_file(reg, o->plugin, err)
                              : fs_registry_load(reg, o->plugin, err);
  if (rc != 0 || fs_registry_count(reg) != 1) {
    fs_registry_destroy(reg);
    return fail(sh, "refused: %s", err[0] != '\0' ? err : fs_strerror(rc));
  }
  const fs_plugin_info *info = fs_registry_get(reg, 0);
  snprintf(sh->path, sizeof sh->path, "%s", info->path);
  snprintf(sh->name, sizeof sh->name, "%s", info->name);
  size_t used = 0;
  sh->protocols[0] = '\0';
  for (uint32_t i = 0; i < fs_registry_protocol_count(reg); i++) {
    const char *pn = fs_registry_protocol_at(reg, i)->name;
    int n = snprintf(sh->protocols + used, sizeof sh->protocols - used, "%s%s", i ? " " : "", pn);
    if (n > 0 && (size_t)n < sizeof sh->protocols - used) {
      used += (size_t)n;
    }
  }
  *out = reg;
  return 0;
}

/* Deterministic pseudo-random bytes (xorshift32): the same input every run. */
static void fill_random(uint8_t *p, size_t n, uint32_t *state) {
  for (size_t i = 0; i < n; i++) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    p[i] = (uint8_t)x;
  }
}

/* Every probe on every length up to its window, each input in an exact-size allocation. */
static int poke_probe(const fs_protocol_desc *p, chk_shared *sh) {
  uint32_t seed = 0x9e3779b9u;
  for (uint32_t side = 0; side < 2; side++) {
    for (uint32_t len = 0; len <= p->probe_max_bytes; len++) {
      fsi_chk_phase(sh, "probe of protocol '%s' (random %u-byte input, side %u)", p->name, len,
                    side);
      uint8_t *buf = malloc(len > 0 ? len : 1);
      if (buf == NULL) {
        return fail(sh, "out of memory");
      }
      fill_random(buf, len, &seed);
      uint32_t r = p->probe(buf, len, side);
      free(buf);
      if (r > FS_PROBE_NEED_MORE) {
        return fail(sh, "probe of protocol '%s' returned %u (want 0 no, 1 yes, 2 need more)",
                    p->name, (unsigned)r);
      }
    }
  }
  return 0;
}

static void discard(void *ctx, const fs_message *m) { (void)ctx, (void)m; }

/* Random bytes through a session parser in 1..3-byte pieces, with a gap: must not crash. */
static int poke_session(const fs_registry *reg, const fs_protocol_desc *p, chk_shared *sh) {
  fs_parser_env env;
  memset(&env, 0, sizeof env);
  env.struct_size = sizeof env;
  env.initiator_is_a = 1;
  env.host = fs_registry_protocol_host_api(reg, p);
  env.plugin_state = fs_registry_plugin_state(reg, p);
  env.emit = discard;
  fsi_chk_phase(sh, "session parser of '%s': create", p->name);
  void *parser = p->session->create(&env);
  if (parser == NULL) {
    return 0; /* allowed: the flow is then bypassed */
  }
  uint32_t seed = 12345;
  for (int i = 0; i < 2000; i++) {
    size_t len = 1 + (size_t)(i % 3);
    uint8_t *buf = malloc(len);
    if (buf == NULL) {
      break;
    }
    fill_random(buf, len, &seed);
    size_t consumed = 0;
    uint32_t side = (uint32_t)(i / 50) % 2;
    fsi_chk_phase(sh, "session parser of '%s': feed (random bytes)", p->name);
    int st = p->session->feed(parser, side, buf, len, (fs_time_ns)i, &consumed);
    free(buf);
    if (consumed > len) {
      return fail(sh, "session parser of '%s' consumed %zu of %zu bytes", p->name, consumed, len);
    }
    if (st != FS_PARSE_OK) {
      break; /* poison or done: both fine on garbage */
    }
    if (i == 1000) {
      fsi_chk_phase(sh, "session parser of '%s': gap", p->name);
      if (p->session->gap(parser, side, 100, (fs_time_ns)i) != FS_PARSE_OK) {
        break;
      }
    }
  }
  fsi_chk_phase(sh, "session parser of '%s': finish", p->name);
  p->session->finish(parser, 5000);
  if (p->session->poison_reason != NULL) {
    fsi_chk_phase(sh, "session parser of '%s': poison_reason", p->name);
    (void)p->session->poison_reason(parser);
  }
  fsi_chk_phase(sh, "session parser of '%s': destroy", p->name);
  p->session->destroy(parser);
  return 0;
}

/* Random datagrams of every size up to 512 through a datagram parser: must not crash. */
static int poke_datagram(const fs_registry *reg, const fs_protocol_desc *p, chk_shared *sh) {
  fs_parser_env env;
  memset(&env, 0, sizeof env);
  env.struct_size = sizeof env;
  env.initiator_is_a = 1;
  env.host = fs_registry_protocol_host_api(reg, p);
  env.plugin_state = fs_registry_plugin_state(reg, p);
  env.emit = discard;
  fsi_chk_phase(sh, "datagram parser of '%s': create", p->name);
  void *parser = p->datagram->create(&env);
  if (parser == NULL) {
    return 0;
  }
  uint32_t seed = 777;
  for (size_t len = 0; len <= 512; len++) {
    uint8_t *buf = malloc(len > 0 ? len : 1);
    if (buf == NULL) {
      break;
    }
    fill_random(buf, len, &seed);
    fsi_chk_phase(sh, "datagram parser of '%s': datagram (random %zu bytes)", p->name, len);
    int st = p->datagram->datagram(parser, (uint32_t)(len % 2), buf, len, (fs_time_ns)len);
    free(buf);
    if (st != FS_PARSE_OK) {
      break;
    }
  }
  fsi_chk_phase(sh, "datagram parser of '%s': finish", p->name);
  p->datagram->finish(parser, 5000);
  fsi_chk_phase(sh, "datagram parser of '%s': destroy", p->name);
  p->datagram->destroy(parser);
  return 0;
}

static int job_load(const chk_opts *o, chk_shared *sh) {
  fs_registry *reg = NULL;
  int rc = load(o, sh, &reg);
  for (uint32_t i = 0; rc == 0 && i < fs_registry_protocol_count(reg); i++) {
    const fs_protocol_desc *p = fs_registry_protocol_at(reg, i);
    if (p->probe != NULL) {
      rc = poke_probe(p, sh);
    }
    if (rc == 0 && p->session != NULL) {
      rc = poke_session(reg, p, sh);
    }
    if (rc == 0 && p->datagram != NULL) {
      rc = poke_datagram(reg, p, sh);
    }
  }
  fsi_chk_phase(sh, "unloading the plugin (fini, dlclose)");
  fs_registry_destroy(reg);
  return rc;
}

typedef struct run_sink {
  FILE *out;
  unsigned long long messages;
} run_sink;

static void on_event(void *self, const fs_event *ev) {
  run_sink *s = self;
  if (ev->type == FS_EV_MESSAGE) {
    s->messages++;
  }
  if (s->out != NULL) {
    fsi_chk_write_event(s->out, ev);
  }
}

/* One replay of the capture through the session driver. */
static int replay(const chk_opts *o, int split, chk_shared *sh, FILE *out) {
  fs_registry *reg = NULL;
  int rc = load(o, sh, &reg);
  if (rc != 0) {
    return rc;
  }
  fs_source *src = NULL;
  fs_driver *drv = NULL;
  char err[FS_ERRBUF_SIZE] = "";
  fs_source_config scfg;
  fs_source_config_default(&scfg);
  if (fs_source_open_file(&src, o->capture, &scfg, err) != 0) {
    fs_registry_destroy(reg);
    return fail(sh, "cannot open the capture: %s", err);
  }
  static const fs_event_sink_ops sink_ops = {
      .struct_size = sizeof(fs_event_sink_ops),
      .on_event = on_event,
  };
  run_sink sink = {out, 0};
  fs_driver_config cfg;
  fs_driver_config_default(&cfg);
  cfg.mode = FS_DRIVE_SESSIONS;
  cfg.registry = reg;
  cfg.parser_options = o->parser_options;
  cfg.split_feed = split ? 3 : 0;
  cfg.split_seed = o->split_seed;
  cfg.sink.ops = &sink_ops;
  cfg.sink.self = &sink;
  const char *how = split ? "1..3-byte pieces" : "whole segments";
  fsi_chk_phase(sh, "creating the session driver");
  if (fs_driver_create(&drv, &cfg, err) != 0) {
    fs_source_close(src);
    fs_registry_destroy(reg);
    return fail(sh, "cannot create the driver: %s", err);
  }
  fsi_chk_phase(sh, "parsing the capture in %s (probe, feed, gap)", how);
  fs_packet_view pkt;
  int r;
  while ((r = fs_source_next(src, &pkt)) == 1) {
    fs_driver_feed(drv, &pkt);
  }
  if (r != FS_E_EOF && r != FS_E_TRUNCATED) {
    rc = fail(sh, "reading the capture: %s", fs_source_error(src));
  }
  fsi_chk_phase(sh, "ending flows after parsing in %s (finish, destroy)", how);
  fs_driver_finish(drv);
  fs_driver_destroy(drv);
  fs_source_close(src);
  fsi_chk_phase(sh, "unloading the plugin (fini, dlclose)");
  fs_registry_destroy(reg);
  sh->messages = sink.messages;
  return rc;
}

/* Bytes in use on the heap now (0 when the allocator does not say, e.g. under ASan). */
static long long heap_in_use(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 mi = mallinfo2();
  return (long long)mi.uordblks;
#else
  return 0;
#endif
}

int fsi_chk_job(const chk_opts *o, chk_job job, chk_shared *sh, FILE *out) {
  if (job == CHK_JOB_LOAD) {
    return job_load(o, sh);
  }
  if (job == CHK_JOB_SPLIT) {
    return replay(o, 1, sh, out);
  }
  /*
   * Whole run, three times: the first warms up one-time allocations (stdio,
   * libpcap, the loader); heap that keeps growing after the second and the
   * third is what the plugin (or the host) leaks per run.
   */
  long long used[3];
  for (int i = 0; i < 3; i++) {
    int rc = replay(o, 0, sh, i == 0 ? out : NULL);
    if (rc != 0) {
      return rc;
    }
    used[i] = heap_in_use();
  }
  sh->leak_bytes = (used[1] > used[0] && used[2] > used[1]) ? used[2] - used[1] : 0;
  return 0;
}
