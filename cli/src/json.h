/* SPDX-License-Identifier: MIT */
/**
 * @file json.h
 * A small JSON writer into a reusable growable buffer (no allocation per
 * record once the buffer has grown). Always produces valid JSON: strings
 * are escaped as documented in docs/output.md ("Strings").
 */
#ifndef FLOWSCOPE_CLI_JSON_H
#define FLOWSCOPE_CLI_JSON_H

#include <stddef.h>
#include <stdint.h>

/** Deepest object/array nesting the writer tracks. */
#define FSI_JW_MAX_DEPTH 16

/** A JSON writer: a byte buffer plus nesting state. */
typedef struct fsi_jw {
  char *buf;                            /**< bytes written so far (not NUL-terminated) */
  size_t len;                           /**< bytes used */
  size_t cap;                           /**< bytes allocated */
  int oom;                              /**< 1 once an allocation failed (output is then cut) */
  uint32_t depth;                       /**< current nesting depth */
  uint8_t need_comma[FSI_JW_MAX_DEPTH]; /**< per level: a value was written already */
} fsi_jw;

/** Initialises an empty writer. */
void fsi_jw_init(fsi_jw *w);
/** Frees the buffer. */
void fsi_jw_free(fsi_jw *w);
/** Empties the buffer for the next record (keeps the allocation). */
void fsi_jw_reset(fsi_jw *w);

/** Appends raw bytes (no escaping). */
void fsi_jw_raw(fsi_jw *w, const char *p, size_t n);

/** Starts an object (as a value). */
void fsi_jw_obj_begin(fsi_jw *w);
/** Ends the current object. */
void fsi_jw_obj_end(fsi_jw *w);
/** Starts an array (as a value). */
void fsi_jw_arr_begin(fsi_jw *w);
/** Ends the current array. */
void fsi_jw_arr_end(fsi_jw *w);
/** Writes an object key (escaped) and the colon; the next call writes its value. */
void fsi_jw_key(fsi_jw *w, const char *key);
/** fsi_jw_key() for a key of @p n bytes known to need no escaping (no check). */
void fsi_jw_key_plain(fsi_jw *w, const char *key, size_t n);
/** A key given as a string literal of this program (plain ASCII names such
 * as "id.orig_h"): its length is known when compiling, and it is not
 * checked per record (tests/cli/test_e2e.py parses every record written). */
#define FSI_JW_KEY(w, lit) fsi_jw_key_plain((w), "" lit "", sizeof(lit) - 1)

/** A string value from @p n arbitrary bytes (escaped; invalid UTF-8 as \\xNN). */
void fsi_jw_str(fsi_jw *w, const char *p, size_t n);
/** A string value from a NUL-terminated string. */
void fsi_jw_cstr(fsi_jw *w, const char *s);
/** Bytes as a lowercase hex string value. */
void fsi_jw_hex(fsi_jw *w, const uint8_t *p, size_t n);
/** An unsigned integer value. */
void fsi_jw_u64(fsi_jw *w, uint64_t v);
/** A signed integer value. */
void fsi_jw_i64(fsi_jw *w, int64_t v);
/** A double value (17 significant digits); null when not finite. */
void fsi_jw_f64(fsi_jw *w, double v);
/** A boolean value. */
void fsi_jw_bool(fsi_jw *w, int v);
/** A null value. */
void fsi_jw_null(fsi_jw *w);
/** Nanoseconds as seconds with exactly six decimals (Zeek's time/interval style). */
void fsi_jw_secs(fsi_jw *w, uint64_t ns);

/** Writes @p n bytes as the body of a JSON string (no quotes) to @p w. */
void fsi_jw_escape(fsi_jw *w, const char *p, size_t n);

/** Writes @p ns as seconds with six decimals into @p out (>= 32 bytes); returns the length. */
size_t fsi_secs_to_text(uint64_t ns, char *out);

/** Writes the decimal digits of @p v into @p out (>= 21 bytes); returns the length. */
size_t fsi_u64_to_dec(uint64_t v, char *out);

#endif /* FLOWSCOPE_CLI_JSON_H */
