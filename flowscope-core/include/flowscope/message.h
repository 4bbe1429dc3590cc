/* SPDX-License-Identifier: MIT */
/**
 * @file message.h
 * Self-describing application messages: a protocol, a message type and an
 * array of typed, named fields. A message handed to a callback is borrowed
 * for that call only; fs_message_clone() makes an owned deep copy.
 */
#ifndef FLOWSCOPE_MESSAGE_H
#define FLOWSCOPE_MESSAGE_H

#include "flowscope/types.h"

FS_BEGIN_DECLS

/** Kind of a field value. Consumers skip kinds they do not know. Since 1.0. */
typedef enum fs_field_kind {
  FS_FIELD_NONE = 0,      /**< absent value (Zeek's unset field); skip it */
  FS_FIELD_STR = 1,       /**< byte string in v.str (any bytes; not NUL-terminated) */
  FS_FIELD_BYTES = 2,     /**< binary blob in v.bytes */
  FS_FIELD_I64 = 3,       /**< signed integer in v.i64 */
  FS_FIELD_U64 = 4,       /**< unsigned integer in v.u64 */
  FS_FIELD_F64 = 5,       /**< double in v.f64 */
  FS_FIELD_BOOL = 6,      /**< boolean in v.u64 (0 or 1) */
  FS_FIELD_IP = 7,        /**< IP address in v.ip */
  FS_FIELD_TIME = 8,      /**< fs_time_ns in v.u64 */
  FS_FIELD_STR_LIST = 9,  /**< list of byte strings in v.list (count items) */
  FS_FIELD_U64_LIST = 10, /**< list of unsigned integers in v.u64s (count items) */
  FS_FIELD_DURATION = 11  /**< interval in nanoseconds in v.u64 */
} fs_field_kind;

/** A borrowed byte string with explicit length. Since 1.0. */
typedef struct fs_str {
  const char *ptr; /**< first byte (may be NULL when len is 0) */
  uint64_t len;    /**< number of bytes */
} fs_str;

/** An IP address value. Since 1.0. */
typedef struct fs_ip {
  uint8_t family;      /**< 4 or 6 */
  uint8_t reserved[7]; /**< zero */
  uint8_t addr[16];    /**< network order; IPv4 uses the first 4 bytes */
} fs_ip;

/** One named, typed field of a message. Since 1.0. */
typedef struct fs_field {
  const char *name; /**< field name (Zeek's log field name where one exists) */
  uint32_t kind;    /**< fs_field_kind */
  uint32_t count;   /**< items in a list kind; 0 otherwise */
  union {
    fs_str str;           /**< FS_FIELD_STR and FS_FIELD_BYTES */
    int64_t i64;          /**< FS_FIELD_I64 */
    uint64_t u64;         /**< FS_FIELD_U64, BOOL, TIME, DURATION */
    double f64;           /**< FS_FIELD_F64 */
    fs_ip ip;             /**< FS_FIELD_IP */
    const fs_str *list;   /**< FS_FIELD_STR_LIST */
    const uint64_t *u64s; /**< FS_FIELD_U64_LIST */
  } v;                    /**< the value, per kind */
} fs_field;

/** A self-describing application message. Size-prefixed. Since 1.0. */
typedef struct fs_message {
  uint32_t struct_size;   /**< sizeof(fs_message) as built */
  uint32_t side;          /**< fs_side the message mostly came from */
  const char *protocol;   /**< protocol name: "http", "ssl", "dns", ... */
  const char *msg_type;   /**< message type within the protocol: "transaction", ... */
  fs_time_ns ts;          /**< time of the first packet the message covers */
  const fs_field *fields; /**< fields array */
  uint32_t n_fields;      /**< number of fields */
  uint32_t reserved0;     /**< zero */
} fs_message;

/** Returns the field called @p name, or NULL. Since 1.0. */
FS_API const fs_field *fs_message_field(const fs_message *msg, const char *name);

/**
 * Deep-copies a message into one owned allocation (strings, lists and
 * names included). Returns NULL when out of memory. Free with
 * fs_message_free(). Since 1.0.
 */
FS_API fs_message *fs_message_clone(const fs_message *msg);

/** Frees a message returned by fs_message_clone(); NULL is fine. Since 1.0. */
FS_API void fs_message_free(fs_message *msg);

/** Declares a zeroed fs_field named @p f (valid C and C++). Since 1.0. */
#ifdef __cplusplus
#define FS_FIELD_ZERO(f) fs_field f = fs_field()
#else
#define FS_FIELD_ZERO(f) fs_field f = {0}
#endif

/** Convenience constructors for fields (static inline: no ABI cost). Since 1.0. */
static inline fs_field fs_field_str(const char *name, const char *p, uint64_t len) {
  FS_FIELD_ZERO(f);
  f.name = name;
  f.kind = FS_FIELD_STR;
  f.v.str.ptr = p;
  f.v.str.len = len;
  return f;
}
/** Unsigned integer field. Since 1.0. */
static inline fs_field fs_field_u64(const char *name, uint64_t v) {
  FS_FIELD_ZERO(f);
  f.name = name;
  f.kind = FS_FIELD_U64;
  f.v.u64 = v;
  return f;
}
/** Signed integer field. Since 1.0. */
static inline fs_field fs_field_i64(const char *name, int64_t v) {
  FS_FIELD_ZERO(f);
  f.name = name;
  f.kind = FS_FIELD_I64;
  f.v.i64 = v;
  return f;
}
/** Boolean field. Since 1.0. */
static inline fs_field fs_field_bool(const char *name, int v) {
  FS_FIELD_ZERO(f);
  f.name = name;
  f.kind = FS_FIELD_BOOL;
  f.v.u64 = v ? 1u : 0u;
  return f;
}
/** Double field. Since 1.0. */
static inline fs_field fs_field_f64(const char *name, double v) {
  FS_FIELD_ZERO(f);
  f.name = name;
  f.kind = FS_FIELD_F64;
  f.v.f64 = v;
  return f;
}
/** List-of-strings field. Since 1.0. */
static inline fs_field fs_field_str_list(const char *name, const fs_str *items, uint32_t n) {
  FS_FIELD_ZERO(f);
  f.name = name;
  f.kind = FS_FIELD_STR_LIST;
  f.count = n;
  f.v.list = items;
  return f;
}

FS_END_DECLS

#endif /* FLOWSCOPE_MESSAGE_H */
