/* SPDX-License-Identifier: MIT */
/*
 * A tiny host built out of tree with `pkg-config --cflags --libs flowscope`
 * from an install tree. It loads the plugin named argv[1] the way any host
 * does (FLOWSCOPE_PLUGIN_PATH, no system directory) and prints what it got.
 */
#include <stdio.h>

#include <flowscope/flowscope.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: host_load_by_name NAME\n");
    return 2;
  }
  fs_registry *reg = NULL;
  char err[FS_ERRBUF_SIZE];
  if (fs_registry_create(&reg, FS_REGISTRY_NO_SYSTEM) != 0) {
    return 1;
  }
  int rc = fs_registry_load(reg, argv[1], err);
  if (rc != 0) {
    printf("refused (%s): %s\n", fs_strerror(rc), err);
    fs_registry_destroy(reg);
    return 1;
  }
  const fs_plugin_info *info = fs_registry_get(reg, 0);
  printf("loaded %s %s from %s\n", info->name, info->version, info->path);
  for (uint32_t i = 0; i < fs_registry_protocol_count(reg); i++) {
    printf("protocol %s\n", fs_registry_protocol_at(reg, i)->name);
  }
  fs_registry_destroy(reg);
  return 0;
}
