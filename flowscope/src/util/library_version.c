/* SPDX-License-Identifier: MIT */
/* Version of libflowscope itself (the core has its own). */
#include "flowscope/flowscope.h"

const char *fs_library_version_string(void) { return FLOWSCOPE_LIB_VERSION; }
