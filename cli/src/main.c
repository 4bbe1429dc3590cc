/* SPDX-License-Identifier: MIT */
/* flowscope: flows and sessions from captures and interfaces (docs/cli.md). */
#include <stdio.h>

#include <flowscope/flowscope.h>

#include "options.h"
#include "plugins.h"
#include "run.h"

int main(int argc, char **argv) {
  fsi_opts o;
  int rc = fsi_parse_options(argc, argv, &o);
  if (rc != FSI_EXIT_OK)
    return rc;
  if (o.show_help) {
    fsi_print_help(stdout);
    return fflush(stdout) == 0 ? FSI_EXIT_OK : FSI_EXIT_ERROR;
  }
  if (o.show_version) {
    printf("flowscope %s (libflowscope %s, flowscope-core %s, plugin ABI %d.%d)\n",
           FLOWSCOPE_CLI_VERSION, fs_library_version_string(), fs_core_version_string(),
           FS_ABI_MAJOR, FS_ABI_MINOR);
    return fflush(stdout) == 0 ? FSI_EXIT_OK : FSI_EXIT_ERROR;
  }
  if (o.command == FSI_CMD_PLUGINS)
    return fsi_cmd_plugins(&o);
  return fsi_cmd_run(&o);
}
