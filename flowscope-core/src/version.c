/* SPDX-License-Identifier: MIT */
/* Run-time version queries of the core. */
#include "flowscope/version.h"

uint32_t fs_core_version(void) { return (uint32_t)FS_VERSION_NUM; }

const char *fs_core_version_string(void) { return FS_VERSION_STRING; }
