/* SPDX-License-Identifier: MIT */
/* Test harness for protocol plugins: loads <build>/plugins-out/<name>.so
 * through fs_plugin_entry, creates parsers with a fake fs_parser_env, keeps
 * what the host keeps (the bytes a feed did not consume) and records every
 * emitted message as an owned clone plus a canonical one-line text. */
#ifndef FS_TEST_PROTO_HARNESS_H
#define FS_TEST_PROTO_HARNESS_H

#include <flowscope/core.h>

#define PH_MAX_MSGS 512

typedef struct ph_ctx {
  void *dl;
  const fs_plugin_desc *desc;
  const fs_protocol_desc *proto;
  fs_host_api host;
  fs_parser_env env;
  fs_message *msgs[PH_MAX_MSGS];
  char *text[PH_MAX_MSGS];
  size_t n;
  uint64_t counter_calls;
  /* host-side retained bytes per side (session parsers) */
  uint8_t *kept[2];
  size_t kept_len[2];
  void *parser;
  int tcp;
} ph_ctx;

/* Loads plugin @p name and its protocol @p proto; 0 on success. */
int ph_open(ph_ctx *c, const char *name, const char *proto, const char *options);
/* Destroys the parser, frees messages and unloads. */
void ph_close(ph_ctx *c);
/* Creates a session (tcp=1) or datagram parser; 0 on success. */
int ph_create(ph_ctx *c, int tcp);
/* Session: appends @p len bytes to what is kept for @p side and feeds it all;
 * keeps what the parser did not consume. Returns the fs_parse_status. */
int ph_feed(ph_ctx *c, uint32_t side, const void *data, size_t len, fs_time_ns ts);
/* Session: as ph_feed, cut into pieces of @p piece bytes. */
int ph_feed_pieces(ph_ctx *c, uint32_t side, const void *data, size_t len, fs_time_ns ts,
                   size_t piece);
/* Datagram: one datagram. */
int ph_datagram(ph_ctx *c, uint32_t side, const void *data, size_t len, fs_time_ns ts);
/* finish() then destroy(). */
void ph_finish(ph_ctx *c, fs_time_ns ts);
/* Frees collected messages. */
void ph_clear(ph_ctx *c);

/* Field @p name of message @p i (NULL when absent). */
const fs_field *ph_field(const ph_ctx *c, size_t i, const char *name);
/* 1 when field @p name of message @p i is a string equal to @p s. */
int ph_str_is(const ph_ctx *c, size_t i, const char *name, const char *s);
/* Unsigned value of field @p name of message @p i; UINT64_MAX when absent/none. */
uint64_t ph_u64(const ph_ctx *c, size_t i, const char *name);
/* Item @p k of the string list @p name as a NUL-terminated static copy. */
const char *ph_list_item(const ph_ctx *c, size_t i, const char *name, uint32_t k);
/* All messages' canonical texts joined by newlines (malloc'd). */
char *ph_all_text(const ph_ctx *c);

#endif
