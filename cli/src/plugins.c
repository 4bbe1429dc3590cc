/* SPDX-License-Identifier: MIT */
/* Registry setup and the `plugins` command. */
#include "plugins.h"

#include <string.h>

#include "json.h"

int fsi_plugins_load(const fsi_opts *o, int warn_refusals, fs_registry **out) {
  fs_registry *reg = NULL;
  int rc = fs_registry_create(&reg, o->no_system_plugins ? FS_REGISTRY_NO_SYSTEM : 0);
  if (rc != 0 || !reg) {
    fsi_error("cannot create the plugin registry: %s", fs_strerror(rc));
    return FSI_EXIT_ERROR;
  }
  for (uint32_t i = 0; i < o->n_plugin_dirs; i++) {
    rc = fs_registry_add_dir(reg, o->plugin_dirs[i]);
    if (rc != 0) {
      fsi_error("--plugin-dir %s: %s", o->plugin_dirs[i], fs_strerror(rc));
      fs_registry_destroy(reg);
      return FSI_EXIT_USAGE;
    }
  }
  if (o->n_plugins) {
    for (uint32_t i = 0; i < o->n_plugins; i++) {
      char errbuf[FS_ERRBUF_SIZE] = "";
      rc = fs_registry_load(reg, o->plugins[i], errbuf);
      if (rc == FS_E_DUPLICATE)
        continue; /* asked twice */
      if (rc != 0) {
        /* The registry's message names the plugin, the directories searched
         * and the remedy; a bad name or a missing plugin is a usage error. */
        if (errbuf[0])
          fsi_error("--plugin %s: %s", o->plugins[i], errbuf);
        else
          fsi_error("--plugin %s: %s", o->plugins[i],
                    rc == FS_E_NOTFOUND ? "plugin not found" : fs_strerror(rc));
        fs_registry_destroy(reg);
        return (rc == FS_E_NOTFOUND || rc == FS_E_INVAL) ? FSI_EXIT_USAGE : FSI_EXIT_ERROR;
      }
    }
  } else {
    fs_registry_load_all(reg);
  }
  if (warn_refusals && fs_registry_count(reg) == 0)
    fsi_warn("no plugins found: only conn records will be written (add --plugin-dir DIR or "
             "set FLOWSCOPE_PLUGIN_PATH; 'flowscope plugins' shows the search)");
  if (warn_refusals) {
    uint32_t n = fs_registry_refusal_count(reg);
    for (uint32_t i = 0; i < n; i++) {
      const fs_plugin_refusal *r = fs_registry_refusal(reg, i);
      if (r)
        fsi_warn("plugin %s refused: %s", r->path ? r->path : "?",
                 r->message ? r->message : fs_strerror(r->code));
    }
  }
  *out = reg;
  return FSI_EXIT_OK;
}

static const char *transports(uint32_t t) {
  switch (t & (FS_TRANSPORT_TCP | FS_TRANSPORT_UDP)) {
  case FS_TRANSPORT_TCP: return "tcp";
  case FS_TRANSPORT_UDP: return "udp";
  case FS_TRANSPORT_TCP | FS_TRANSPORT_UDP: return "tcp+udp";
  default: return "-";
  }
}

/* "80,8000-8080" into @p out. */
static void ports_text(const fs_protocol_desc *p, char *out, size_t len) {
  size_t n = 0;
  out[0] = '\0';
  for (uint32_t i = 0; p->ports && i < p->n_ports && n + 1 < len; i++) {
    int w =
        p->ports[i].lo == p->ports[i].hi
            ? snprintf(out + n, len - n, "%s%u", i ? "," : "", p->ports[i].lo)
            : snprintf(out + n, len - n, "%s%u-%u", i ? "," : "", p->ports[i].lo, p->ports[i].hi);
    if (w < 0 || (size_t)w >= len - n)
      break;
    n += (size_t)w;
  }
  if (!out[0])
    snprintf(out, len, "-");
}

static const char *nz(const char *s) { return s ? s : ""; }

static void list_text(const fs_registry *reg) {
  uint32_t n = fs_registry_count(reg);
  printf("%-12s %-10s %-10s %-8s %-24s %s\n", "PLUGIN", "VERSION", "PROTOCOL", "OVER", "PORTS",
         "FILE");
  for (uint32_t i = 0; i < n; i++) {
    const fs_plugin_info *pi = fs_registry_get(reg, i);
    if (!pi || !pi->desc)
      continue;
    for (uint32_t j = 0; j < pi->desc->n_protocols || j == 0; j++) {
      const fs_protocol_desc *p =
          j < pi->desc->n_protocols && pi->desc->protocols ? pi->desc->protocols[j] : NULL;
      char ports[128];
      if (p)
        ports_text(p, ports, sizeof ports);
      printf("%-12s %-10s %-10s %-8s %-24s %s\n", nz(pi->name), nz(pi->version),
             p ? nz(p->name) : "-", p ? transports(p->transports) : "-", p ? ports : "-",
             nz(pi->path));
    }
  }
  uint32_t nr = fs_registry_refusal_count(reg);
  for (uint32_t i = 0; i < nr; i++) {
    const fs_plugin_refusal *r = fs_registry_refusal(reg, i);
    if (r)
      printf("refused %s: %s\n", nz(r->path), r->message ? r->message : fs_strerror(r->code));
  }
  if (n == 0 && nr == 0)
    printf("(no plugins found; search with --plugin-dir DIR or FLOWSCOPE_PLUGIN_PATH)\n");
}

static void list_json(const fs_registry *reg) {
  fsi_jw w;
  fsi_jw_init(&w);
  uint32_t n = fs_registry_count(reg);
  for (uint32_t i = 0; i < n; i++) {
    const fs_plugin_info *pi = fs_registry_get(reg, i);
    if (!pi || !pi->desc)
      continue;
    fsi_jw_reset(&w);
    fsi_jw_obj_begin(&w);
    fsi_jw_key(&w, "plugin");
    fsi_jw_cstr(&w, nz(pi->name));
    fsi_jw_key(&w, "version");
    fsi_jw_cstr(&w, nz(pi->version));
    fsi_jw_key(&w, "description");
    fsi_jw_cstr(&w, nz(pi->description));
    fsi_jw_key(&w, "license");
    fsi_jw_cstr(&w, nz(pi->license));
    fsi_jw_key(&w, "file");
    fsi_jw_cstr(&w, nz(pi->path));
    fsi_jw_key(&w, "protocols");
    fsi_jw_arr_begin(&w);
    for (uint32_t j = 0; pi->desc->protocols && j < pi->desc->n_protocols; j++) {
      const fs_protocol_desc *p = pi->desc->protocols[j];
      if (!p)
        continue;
      fsi_jw_obj_begin(&w);
      fsi_jw_key(&w, "name");
      fsi_jw_cstr(&w, nz(p->name));
      fsi_jw_key(&w, "transports");
      fsi_jw_arr_begin(&w);
      if (p->transports & FS_TRANSPORT_TCP)
        fsi_jw_cstr(&w, "tcp");
      if (p->transports & FS_TRANSPORT_UDP)
        fsi_jw_cstr(&w, "udp");
      fsi_jw_arr_end(&w);
      fsi_jw_key(&w, "ports");
      fsi_jw_arr_begin(&w);
      for (uint32_t k = 0; p->ports && k < p->n_ports; k++) {
        fsi_jw_arr_begin(&w);
        fsi_jw_u64(&w, p->ports[k].lo);
        fsi_jw_u64(&w, p->ports[k].hi);
        fsi_jw_arr_end(&w);
      }
      fsi_jw_arr_end(&w);
      fsi_jw_key(&w, "probe");
      fsi_jw_bool(&w, p->probe != NULL);
      fsi_jw_key(&w, "session_parser");
      fsi_jw_bool(&w, p->session != NULL);
      fsi_jw_key(&w, "datagram_parser");
      fsi_jw_bool(&w, p->datagram != NULL);
      fsi_jw_obj_end(&w);
    }
    fsi_jw_arr_end(&w);
    fsi_jw_obj_end(&w);
    fsi_jw_raw(&w, "\n", 1);
    fwrite(w.buf, 1, w.len, stdout);
  }
  uint32_t nr = fs_registry_refusal_count(reg);
  for (uint32_t i = 0; i < nr; i++) {
    const fs_plugin_refusal *r = fs_registry_refusal(reg, i);
    if (!r)
      continue;
    fsi_jw_reset(&w);
    fsi_jw_obj_begin(&w);
    fsi_jw_key(&w, "refused");
    fsi_jw_cstr(&w, nz(r->path));
    fsi_jw_key(&w, "error");
    fsi_jw_cstr(&w, fs_strerror(r->code));
    fsi_jw_key(&w, "reason");
    fsi_jw_cstr(&w, r->message ? r->message : "");
    fsi_jw_obj_end(&w);
    fsi_jw_raw(&w, "\n", 1);
    fwrite(w.buf, 1, w.len, stdout);
  }
  fsi_jw_free(&w);
}

int fsi_cmd_plugins(const fsi_opts *o) {
  fs_registry *reg = NULL;
  int rc = fsi_plugins_load(o, 0, &reg);
  if (rc != FSI_EXIT_OK)
    return rc;
  if (o->format == FSI_FMT_JSON)
    list_json(reg);
  else
    list_text(reg);
  rc = fflush(stdout) == 0 ? FSI_EXIT_OK : FSI_EXIT_ERROR;
  fs_registry_destroy(reg);
  return rc;
}
