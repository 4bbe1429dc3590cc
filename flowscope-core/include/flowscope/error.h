/* SPDX-License-Identifier: MIT */
/**
 * @file error.h
 * Error codes. Functions return 0 or a negative FS_E_* value; context for
 * create/load calls goes into a caller-provided buffer of FS_ERRBUF_SIZE.
 * Values are never reused or renumbered.
 */
#ifndef FLOWSCOPE_ERROR_H
#define FLOWSCOPE_ERROR_H

#include "flowscope/export.h"

/** Size of the caller-provided error buffer for create/open/load calls. Since 1.0. */
#define FS_ERRBUF_SIZE 512

/** Error codes (negative return values). Since 1.0. */
typedef enum fs_error {
  FS_OK = 0,              /**< success */
  FS_E_INVAL = -1,        /**< invalid argument or option */
  FS_E_NOMEM = -2,        /**< allocation failed */
  FS_E_IO = -3,           /**< I/O error (file, interface) */
  FS_E_NOTFOUND = -4,     /**< file, plugin or key not found */
  FS_E_FORMAT = -5,       /**< input is not in the expected format */
  FS_E_TRUNCATED = -6,    /**< input ends early (e.g. a truncated capture record) */
  FS_E_PERM = -7,         /**< permission denied */
  FS_E_ABI = -8,          /**< ABI version mismatch */
  FS_E_DUPLICATE = -9,    /**< duplicate plugin or protocol name */
  FS_E_PLUGIN = -10,      /**< plugin refused (bad descriptor, init failure) */
  FS_E_LIMIT = -11,       /**< a configured bound was hit */
  FS_E_UNSUPPORTED = -12, /**< not supported (link type, platform) */
  FS_E_STATE = -13,       /**< call not valid in the object's current state */
  FS_E_FILTER = -14,      /**< BPF filter does not compile */
  FS_E_EOF = -15          /**< end of input (not an error for loops) */
} fs_error;

FS_BEGIN_DECLS

/** Static English text for an FS_E_* code; never NULL. Since 1.0. */
FS_API const char *fs_strerror(int code);

FS_END_DECLS

#endif /* FLOWSCOPE_ERROR_H */
