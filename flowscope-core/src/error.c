/* SPDX-License-Identifier: MIT */
/* Static texts of the FS_E_* codes. */
#include "flowscope/error.h"

const char *fs_strerror(int code) {
  switch (code) {
  case FS_OK: return "success";
  case FS_E_INVAL: return "invalid argument";
  case FS_E_NOMEM: return "out of memory";
  case FS_E_IO: return "I/O error";
  case FS_E_NOTFOUND: return "not found";
  case FS_E_FORMAT: return "unrecognised format";
  case FS_E_TRUNCATED: return "input truncated";
  case FS_E_PERM: return "permission denied";
  case FS_E_ABI: return "ABI version mismatch";
  case FS_E_DUPLICATE: return "duplicate name";
  case FS_E_PLUGIN: return "plugin refused";
  case FS_E_LIMIT: return "configured limit reached";
  case FS_E_UNSUPPORTED: return "not supported";
  case FS_E_STATE: return "invalid state for this call";
  case FS_E_FILTER: return "invalid capture filter";
  case FS_E_EOF: return "end of input";
  default: return "unknown error";
  }
}
