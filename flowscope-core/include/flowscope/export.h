/* SPDX-License-Identifier: MIT */
/**
 * @file export.h
 * Symbol export and struct-growth helpers shared by every flowscope header.
 */
#ifndef FLOWSCOPE_EXPORT_H
#define FLOWSCOPE_EXPORT_H

#include <stddef.h>
#include <stdint.h>

/** Marks a public function exported from a flowscope shared library.
 *  Everything else is built with hidden visibility. */
#if defined(_WIN32)
#define FS_API
#elif defined(__GNUC__) || defined(__clang__)
#define FS_API __attribute__((visibility("default")))
#else
#define FS_API
#endif

/** Opens/closes an `extern "C"` block so every header also compiles as C++. */
#ifdef __cplusplus
#define FS_BEGIN_DECLS extern "C" {
#define FS_END_DECLS }
#else
#define FS_BEGIN_DECLS
#define FS_END_DECLS
#endif

/**
 * True when a size-prefixed struct @p ptr (its first member is
 * `uint32_t struct_size`) is large enough to contain @p member.
 * Readers use it before touching any member appended after 1.0.
 */
#define FS_HAS_MEMBER(ptr, type, member)                                                           \
  ((ptr) != NULL &&                                                                                \
   (size_t)(ptr)->struct_size >= offsetof(type, member) + sizeof(((type *)0)->member))

/** Initializer for a size-prefixed struct: zeroes it and sets struct_size. */
#define FS_STRUCT_INIT(type) ((type){.struct_size = (uint32_t)sizeof(type)})

#endif /* FLOWSCOPE_EXPORT_H */
