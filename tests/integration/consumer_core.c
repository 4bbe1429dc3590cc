/* SPDX-License-Identifier: MIT */
/*
 * A tiny consumer of flowscope-core built by the out-of-tree test with
 * nothing but `pkg-config --cflags --libs flowscope-core` from an install
 * tree: the headers compile, the library links and answers.
 */
#include <stdio.h>
#include <string.h>

#include <flowscope/core.h>

int main(void) {
  if (fs_core_version() != (uint32_t)FS_VERSION_NUM) {
    printf("core version %s differs from the headers' %s\n", fs_core_version_string(),
           FS_VERSION_STRING);
    return 1;
  }
  /* A descriptor with a foreign magic must be refused by the installed core. */
  fs_plugin_desc d;
  memset(&d, 0, sizeof d);
  d.struct_size = sizeof d;
  d.magic = 0x12345678u;
  d.abi_major = FS_ABI_MAJOR;
  d.abi_minor = FS_ABI_MINOR;
  char err[FS_ERRBUF_SIZE];
  int rc = fs_plugin_desc_validate(&d, NULL, "/x/demo.so", err, sizeof err);
  if (rc != FS_E_PLUGIN || strstr(err, "/x/demo.so: bad descriptor magic") == NULL) {
    printf("unexpected validation result %d: %s\n", rc, err);
    return 1;
  }
  printf("flowscope-core %s ok (%s)\n", fs_core_version_string(), fs_strerror(FS_E_ABI));
  return 0;
}
