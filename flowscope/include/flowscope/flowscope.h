/* SPDX-License-Identifier: MIT */
/**
 * @file flowscope.h
 * Umbrella header of libflowscope: sources, extractors, tracker,
 * reassembly, drivers, workers and the plugin registry.
 */
#ifndef FLOWSCOPE_FLOWSCOPE_H
#define FLOWSCOPE_FLOWSCOPE_H

#include "flowscope/core.h"
#include "flowscope/driver.h"
#include "flowscope/extract.h"
#include "flowscope/reasm.h"
#include "flowscope/registry.h"
#include "flowscope/source.h"
#include "flowscope/tracker.h"
#include "flowscope/workers.h"

FS_BEGIN_DECLS

/** libflowscope's version as "0.1.0". */
FS_API const char *fs_library_version_string(void);

FS_END_DECLS

#endif /* FLOWSCOPE_FLOWSCOPE_H */
