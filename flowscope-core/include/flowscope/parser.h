/* SPDX-License-Identifier: MIT */
/**
 * @file parser.h
 * Session (TCP stream) and datagram (UDP) parser vtables, the host-service
 * table a plugin receives, and the per-parser environment.
 *
 * Threading: a plugin's descriptor and its init state are read-only after
 * init; one parser instance lives on exactly one thread.
 */
#ifndef FLOWSCOPE_PARSER_H
#define FLOWSCOPE_PARSER_H

#include "flowscope/event.h"
#include "flowscope/traits.h"

FS_BEGIN_DECLS

/** What a parser call returns. Since 1.0. */
typedef enum fs_parse_status {
  FS_PARSE_OK = 0,     /**< carry on */
  FS_PARSE_DONE = 1,   /**< nothing more to parse: the host stops feeding (bypass) */
  FS_PARSE_POISON = 2, /**< unrecoverable: the host ends the flow with parse_error */
  /**
   * This protocol ends here; what follows on the flow is another one (an
   * HTTP CONNECT tunnel, a STARTTLS-like upgrade). The host asks the parser
   * to finish (it emits what it has), destroys it and detects a protocol
   * again on the bytes that follow: from a feed, the bytes of that call past
   * *consumed; on both sides, whatever the parser left unconsumed. The
   * protocol that handed off is not chosen again for the flow. Hosts bound
   * the hand-offs per flow; past the bound it acts as FS_PARSE_DONE.
   * Return it only when the host's fs_host_api::abi_minor is at least 1
   * (older hosts do not know it); else return FS_PARSE_DONE. Since 1.1.
   */
  FS_PARSE_HANDOFF = 3
} fs_parse_status;

/** What a probe says about the first payload bytes of one side. Since 1.0. */
typedef enum fs_probe_result {
  FS_PROBE_NO = 0,       /**< not this protocol */
  FS_PROBE_YES = 1,      /**< this protocol */
  FS_PROBE_NEED_MORE = 2 /**< cannot tell yet; call again with more bytes */
} fs_probe_result;

/**
 * Services the host offers to plugins (SQLite-style routine table).
 * Size-prefixed and append-only; check FS_HAS_MEMBER before using a
 * member newer than 1.0. Since 1.0.
 */
typedef struct fs_host_api {
  uint32_t struct_size; /**< sizeof(fs_host_api) as built by the host */
  uint16_t abi_major;   /**< host's FS_ABI_MAJOR */
  uint16_t abi_minor;   /**< host's FS_ABI_MINOR */
  void *host;           /**< opaque host pointer passed back to every routine */
  /** Writes one log line at fs_log_level @p level on behalf of @p plugin. */
  void (*log)(void *host, uint32_t level, const char *plugin, const char *msg);
  /** Adds @p value to the named counter (may be a no-op). */
  void (*counter_add)(void *host, const char *name, uint64_t value);
} fs_host_api;

/**
 * Environment handed to a parser's create. Borrowed: valid for the whole
 * life of the parser instance. Size-prefixed. Since 1.0.
 */
typedef struct fs_parser_env {
  uint32_t struct_size;    /**< sizeof(fs_parser_env) as built by the host */
  uint32_t initiator_is_a; /**< 1 when the initiator is the key's A endpoint */
  const fs_host_api *host; /**< host services */
  void *plugin_state;      /**< what the plugin's init stored, or NULL */
  const fs_flow_key *key;  /**< the flow's key */
  /** Emits a message; the message and its fields are borrowed for the call. */
  void (*emit)(void *emit_ctx, const fs_message *msg);
  void *emit_ctx;      /**< first argument of emit */
  const char *options; /**< "name=value,..." options for this protocol, or NULL */
} fs_parser_env;

/** Parser of one TCP connection (both directions). Since 1.0. */
typedef struct fs_session_parser_ops {
  uint32_t struct_size; /**< sizeof(fs_session_parser_ops) */
  uint32_t reserved0;   /**< zero */
  /** Creates a parser for one flow; NULL on failure (the flow is then bypassed). */
  void *(*create)(const fs_parser_env *env);
  /**
   * In-order stream bytes of @p side (fs_side). The parser stores in
   * *consumed how many bytes it used; the host keeps the rest (bounded by
   * the reassembly limits) and hands them again, followed by new bytes, on
   * the next call. Returns an fs_parse_status.
   */
  int (*feed)(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts,
              size_t *consumed);
  /** @p len bytes of @p side were lost; resync or poison. Returns an fs_parse_status. */
  int (*gap)(void *self, uint32_t side, uint64_t len, fs_time_ns ts);
  /** Optional: @p side closed its direction (FIN). Returns an fs_parse_status. */
  int (*end_side)(void *self, uint32_t side, fs_time_ns ts);
  /** Optional: time advanced (expire pending state, emit timeouts). */
  int (*tick)(void *self, fs_time_ns now);
  /** Flow is over: emit whatever is pending. Called once, before destroy. */
  void (*finish)(void *self, fs_time_ns ts);
  /** Static reason once the parser poisoned itself, else NULL. */
  const char *(*poison_reason)(void *self);
  /** Releases the instance; must not emit. */
  void (*destroy)(void *self);
  /**
   * Optional: nonzero when finish() would emit nothing. The host asks only
   * after the parser returned FS_PARSE_DONE, or once end_side() has been
   * called for both sides (every byte up to both FINs was delivered); in
   * both cases it feeds the parser nothing more and does not tick it. It
   * may then finish and destroy it at once instead of when the flow ends,
   * to save memory. Hosts check FS_HAS_MEMBER before calling it. Appended
   * in 1.1.
   */
  int (*idle)(void *self);
} fs_session_parser_ops;

/** Parser of one UDP (or other datagram) flow. Since 1.0. */
typedef struct fs_datagram_parser_ops {
  uint32_t struct_size; /**< sizeof(fs_datagram_parser_ops) */
  uint32_t reserved0;   /**< zero */
  /** Creates a parser for one flow; NULL on failure (the flow is then bypassed). */
  void *(*create)(const fs_parser_env *env);
  /** One datagram payload from @p side. Returns an fs_parse_status. */
  int (*datagram)(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts);
  /** Optional: time advanced (expire pending state, emit timeouts). */
  int (*tick)(void *self, fs_time_ns now);
  /** Flow is over: emit whatever is pending. Called once, before destroy. */
  void (*finish)(void *self, fs_time_ns ts);
  /** Static reason once the parser poisoned itself, else NULL. */
  const char *(*poison_reason)(void *self);
  /** Releases the instance; must not emit. */
  void (*destroy)(void *self);
  /**
   * Optional: nonzero when the instance holds nothing the flow still needs
   * (no pending request, no partial state): finish() would emit nothing,
   * and a parser newly created for this flow would handle its next datagram
   * exactly as this one would. The host may then finish and destroy it
   * between datagrams to save memory on idle flows, and create a fresh one
   * if the flow sends again (not after FS_PARSE_DONE: the flow stays
   * bypassed). Hosts check FS_HAS_MEMBER before calling it.
   * Appended in 1.1.
   */
  int (*idle)(void *self);
} fs_datagram_parser_ops;

FS_END_DECLS

#endif /* FLOWSCOPE_PARSER_H */
