/* SPDX-License-Identifier: MIT */
/**
 * @file plugin.h
 * The one header a plugin author includes. A plugin is one shared object
 * named `<name>.so` exporting exactly one symbol, fs_plugin_entry, which
 * returns a pointer to a static descriptor. The entry must not allocate,
 * do I/O, or have side effects; setup happens in init, after the host has
 * validated the descriptor. No constructors, atexit handlers or threads.
 *
 * Load rule: the host loads a plugin when its abi_major equals the host's
 * and its abi_minor is not newer than the host's.
 */
#ifndef FLOWSCOPE_PLUGIN_H
#define FLOWSCOPE_PLUGIN_H

#include "flowscope/parser.h"
#include "flowscope/version.h"

FS_BEGIN_DECLS

/** Magic number at the start of every descriptor ("FSP1"). Since 1.0. */
#define FS_PLUGIN_MAGIC 0x46535031u

/** Name of the one symbol a plugin exports. Since 1.0. */
#define FS_PLUGIN_ENTRY_SYMBOL "fs_plugin_entry"

/** Transport bits for fs_protocol_desc.transports. Since 1.0. */
#define FS_TRANSPORT_TCP 0x1u
/** UDP transport bit. Since 1.0. */
#define FS_TRANSPORT_UDP 0x2u

/** An inclusive port range used as a detection hint. Since 1.0. */
typedef struct fs_port_range {
  uint16_t lo; /**< first port */
  uint16_t hi; /**< last port (inclusive) */
} fs_port_range;

/**
 * Probe on the first payload bytes of one side of a flow (Suricata's
 * probing parsers). Pure function of its input. Since 1.0.
 */
typedef uint32_t (*fs_probe_fn)(const uint8_t *data, size_t len, uint32_t side);

/** One protocol a plugin parses. Size-prefixed. Since 1.0. */
typedef struct fs_protocol_desc {
  uint32_t struct_size;       /**< sizeof(fs_protocol_desc) */
  uint32_t transports;        /**< FS_TRANSPORT_* bits */
  const char *name;           /**< protocol name, Zeek's service name ("http", "ssl", "dns") */
  const fs_port_range *ports; /**< port hints, may be NULL */
  uint32_t n_ports;           /**< entries in ports */
  uint32_t probe_max_bytes;   /**< bytes per side after which the probe gives up (<= 4096) */
  fs_probe_fn probe;          /**< may be NULL: then only port hints select it */
  const fs_session_parser_ops *session;   /**< TCP parser, or NULL */
  const fs_datagram_parser_ops *datagram; /**< UDP parser, or NULL */
} fs_protocol_desc;

/** What the host tells the entry point about itself. Since 1.0. */
typedef struct fs_host_info {
  uint32_t struct_size;  /**< sizeof(fs_host_info) as built by the host */
  uint16_t abi_major;    /**< host's FS_ABI_MAJOR */
  uint16_t abi_minor;    /**< host's FS_ABI_MINOR */
  const char *host_name; /**< e.g. "flowscope 0.1.0" */
} fs_host_info;

/**
 * A plugin descriptor. The first four members are frozen forever and read
 * before anything else. Size-prefixed. Since 1.0.
 */
typedef struct fs_plugin_desc {
  uint32_t struct_size;                     /**< sizeof(fs_plugin_desc) as built by the plugin */
  uint32_t magic;                           /**< FS_PLUGIN_MAGIC */
  uint16_t abi_major;                       /**< FS_ABI_MAJOR the plugin was built against */
  uint16_t abi_minor;                       /**< FS_ABI_MINOR the plugin was built against */
  uint32_t reserved0;                       /**< zero */
  const char *name;                         /**< [a-z0-9_]+, equal to the file stem */
  const char *version;                      /**< plugin version string */
  const char *description;                  /**< one line */
  const char *license;                      /**< SPDX licence identifier */
  const char *url;                          /**< origin URL, may be NULL */
  const fs_protocol_desc *const *protocols; /**< protocol entries */
  uint32_t n_protocols;                     /**< entries in protocols */
  uint32_t reserved1;                       /**< zero */
  /**
   * Optional: called once after validation. May store plugin-wide state
   * in *state. Returns 0, or non-zero with a reason in errbuf.
   */
  int (*init)(const fs_host_api *host, void **state, char *errbuf, size_t errbuf_len);
  /** Optional: called once before unloading, with what init stored. */
  void (*fini)(void *state);
} fs_plugin_desc;

/** Bytes of the frozen descriptor prefix (struct_size, magic, abi_major, abi_minor). Since 1.0. */
#define FS_PLUGIN_DESC_PREFIX_SIZE ((uint32_t)12)
/** Smallest struct_size of a 1.x descriptor: the 1.0 layout, through fini. Since 1.0. */
#define FS_PLUGIN_DESC_SIZE_1_0                                                                    \
  ((uint32_t)(offsetof(fs_plugin_desc, fini) + sizeof(void (*)(void *))))
/** Smallest struct_size of a 1.x protocol entry: the 1.0 layout. Since 1.0. */
#define FS_PROTOCOL_DESC_SIZE_1_0                                                                  \
  ((uint32_t)(offsetof(fs_protocol_desc, datagram) + sizeof(const void *)))
/** Smallest struct_size of 1.x session parser ops: the 1.0 layout. Since 1.0. */
#define FS_SESSION_OPS_SIZE_1_0                                                                    \
  ((uint32_t)(offsetof(fs_session_parser_ops, destroy) + sizeof(void (*)(void *))))
/** Smallest struct_size of 1.x datagram parser ops: the 1.0 layout. Since 1.0. */
#define FS_DATAGRAM_OPS_SIZE_1_0                                                                   \
  ((uint32_t)(offsetof(fs_datagram_parser_ops, destroy) + sizeof(void (*)(void *))))
/** Largest probe_max_bytes a protocol entry may declare. Since 1.0. */
#define FS_PROBE_MAX_BYTES_LIMIT 4096u
/** Longest plugin or protocol name, in bytes. Since 1.0. */
#define FS_PLUGIN_NAME_MAX 64u

/** Type of the plugin entry point. Since 1.0. */
typedef const fs_plugin_desc *(*fs_plugin_entry_fn)(const fs_host_info *host);

/** Fills the frozen prefix of a descriptor initializer. Since 1.0. */
#define FS_PLUGIN_DESC_PREFIX                                                                      \
  .struct_size = (uint32_t)sizeof(fs_plugin_desc), .magic = FS_PLUGIN_MAGIC,                       \
  .abi_major = FS_ABI_MAJOR, .abi_minor = FS_ABI_MINOR

/** Visibility for the entry point (the only exported plugin symbol). Since 1.0. */
#if defined(__GNUC__) || defined(__clang__)
#define FS_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define FS_PLUGIN_EXPORT
#endif

/**
 * Defines fs_plugin_entry returning the address of the static descriptor
 * @p desc. Use once per plugin. Since 1.0.
 */
#define FS_PLUGIN_DEFINE(desc)                                                                     \
  FS_PLUGIN_EXPORT const fs_plugin_desc *fs_plugin_entry(const fs_host_info *host);                \
  FS_PLUGIN_EXPORT const fs_plugin_desc *fs_plugin_entry(const fs_host_info *host) {               \
    (void)host;                                                                                    \
    return &(desc);                                                                                \
  }

/**
 * Checks a descriptor the way a host must before running any plugin code
 * beyond the entry: the frozen prefix first (struct_size covers the prefix,
 * magic, ABI major equal to the host's, minor not newer), then struct_size
 * covers the 1.0 descriptor, then the fields (non-NULL strings, name in
 * [a-z0-9_] and equal to the stem of @p path, protocol entries with valid
 * sizes, names, transports, parser ops and port ranges, no protocol name
 * twice). Reads nothing of @p desc beyond what struct_size and the 1.0
 * layout allow.
 *
 * @p host gives the ABI the host provides; NULL means this core's own.
 * @p path is the file the descriptor came from (NULL: no stem check).
 * On refusal writes "<path>: <reason>; <remedy>" into @p errbuf (when not
 * NULL) and returns FS_E_ABI for a version mismatch or FS_E_PLUGIN for a
 * bad descriptor; returns 0 when the descriptor is acceptable. Since 1.0.
 */
FS_API int fs_plugin_desc_validate(const fs_plugin_desc *desc, const fs_host_info *host,
                                   const char *path, char *errbuf, size_t errbuf_len);

FS_END_DECLS

#endif /* FLOWSCOPE_PLUGIN_H */
