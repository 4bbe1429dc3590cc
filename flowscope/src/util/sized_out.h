/* SPDX-License-Identifier: MIT */
/*
 * Internal: handing a size-prefixed struct back to a caller that may have
 * been built against an older, shorter version of it.
 */
#ifndef FSI_SIZED_OUT_H
#define FSI_SIZED_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Copies @p full (this build's whole struct, @p full_size bytes) into
 * @p out: out's own struct_size bytes, or all of it when that is 0 or
 * larger than this build's. Both start with a uint32_t struct_size, which
 * is set in @p out to the bytes written. Nothing past them is touched.
 */
static inline void fsi_sized_out(void *out, void *full, size_t full_size) {
  uint32_t want;
  memcpy(&want, out, sizeof want);
  size_t n = (want == 0 || want > full_size) ? full_size : want;
  uint32_t wrote = (uint32_t)n;
  memcpy(full, &wrote, sizeof wrote);
  memcpy(out, full, n);
}

#endif /* FSI_SIZED_OUT_H */
