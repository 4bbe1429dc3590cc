/* SPDX-License-Identifier: MIT */
/**
 * @file version.h
 * Compile-time and run-time versions of flowscope-core, which *is* the
 * plugin ABI: FS_ABI_MAJOR equals the SONAME major of libflowscope-core.
 */
#ifndef FLOWSCOPE_VERSION_H
#define FLOWSCOPE_VERSION_H

#include "flowscope/export.h"

/** Major version of the core (= ABI major = SONAME major). Since 1.0. */
#define FS_VERSION_MAJOR 1
/** Minor version of the core; goes up whenever anything is appended (1.1:
 * FS_PARSE_HANDOFF). Since 1.0. */
#define FS_VERSION_MINOR 1
/** Patch version of the core. Since 1.0. */
#define FS_VERSION_PATCH 0
/** The version as one comparable number: 0xMMmmpp. Since 1.0. */
#define FS_VERSION_NUM ((FS_VERSION_MAJOR << 16) | (FS_VERSION_MINOR << 8) | FS_VERSION_PATCH)
/** The version as a string. Since 1.0. */
#define FS_VERSION_STRING "1.1.0"
/** True when the headers are at least version x.y.z. Since 1.0. */
#define FS_AT_LEAST_VERSION(x, y, z) (FS_VERSION_NUM >= (((x) << 16) | ((y) << 8) | (z)))

/** ABI major a plugin or host is built against. Since 1.0. */
#define FS_ABI_MAJOR FS_VERSION_MAJOR
/** ABI minor a plugin or host is built against. Since 1.0. */
#define FS_ABI_MINOR FS_VERSION_MINOR

FS_BEGIN_DECLS

/** Version of the core library actually loaded, as FS_VERSION_NUM. Since 1.0. */
FS_API uint32_t fs_core_version(void);
/** Version of the core library actually loaded, as "1.0.0". Since 1.0. */
FS_API const char *fs_core_version_string(void);

FS_END_DECLS

#endif /* FLOWSCOPE_VERSION_H */
