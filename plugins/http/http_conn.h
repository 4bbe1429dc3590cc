/* SPDX-License-Identifier: MIT */
/* One HTTP/1.x connection: two llhttp parsers (requests from the initiator,
 * responses from the responder), the queue of transactions waiting for
 * their response, resync after gaps, and the session-parser entry points. */
#ifndef FS_PLUGIN_HTTP_CONN_H
#define FS_PLUGIN_HTTP_CONN_H

#include <llhttp.h>

#include "http_txn.h"

/* Upper bound of the pipelining queue (option max_pending). */
#define HTTP_PENDING_LIMIT 64
/* Default queue length and header-section bound. */
#define HTTP_PENDING_DEFAULT 16
#define HTTP_HEADER_BYTES_DEFAULT 65536u

/* What one direction's parser is doing. */
enum http_side_state {
  HS_NORMAL = 0, /* llhttp parses */
  HS_RESYNC,     /* after a gap: looking for the start of a message */
  HS_PAUSED,     /* request asked for an upgrade; waiting for the response */
  HS_DEAD        /* nothing more is parsed on this side */
};

struct http_conn;

typedef struct http_side {
  llhttp_t p;
  struct http_conn *conn;
  uint32_t side;  /* FS_SIDE_* */
  uint32_t state; /* enum http_side_state */
  uint64_t cur;   /* depth of the transaction this side's message fills; 0 none */
  int target;     /* http_field_id the header value goes to */
  uint32_t hname_len;
  char hname[32];
  uint8_t hname_cut;
  uint8_t in_value;     /* a header value is open */
  uint8_t piece_at_end; /* the last value piece ended at the end of its buffer */
  uint8_t fold_ws;      /* skipping the leading blanks of a folded line */
  uint8_t pad_resync;
  uint8_t in_message;
  uint8_t pad[2];
  uint64_t header_bytes;           /* bytes of the current header section */
  const char *buf_begin, *buf_end; /* the buffer llhttp_execute is working on */
  fs_time_ns ts;                   /* time of the current feed */
} http_side;

typedef struct http_conn {
  const fs_parser_env *env;
  http_side s[2];
  http_txn *ring[HTTP_PENDING_LIMIT];
  uint32_t head, count;
  uint32_t max_pending;
  uint32_t all_headers;
  uint64_t max_header_bytes;
  uint64_t next_depth;
  http_txn *pool;
  const char *poison;
  uint8_t done; /* upgrade/CONNECT accepted: stop parsing */
  uint8_t pad[7];
} http_conn;

/* Session-parser entry points (see fs_session_parser_ops). */
void *fsi_http_create(const fs_parser_env *env);
int fsi_http_feed(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts,
                  size_t *consumed);
int fsi_http_gap(void *self, uint32_t side, uint64_t len, fs_time_ns ts);
int fsi_http_end_side(void *self, uint32_t side, fs_time_ns ts);
void fsi_http_finish(void *self, fs_time_ns ts);
const char *fsi_http_poison_reason(void *self);
void fsi_http_destroy(void *self);

/* Resync: offset in data of the first whole start line (request line on
 * side 0, status line start on side 1), anywhere (a body lost in a gap
 * need not end with a line feed). *partial is set when the data ends
 * inside a possible start line, which is then returned. Returns len when
 * there is none. A pure function of the bytes: split-invariant as long as
 * the caller keeps the bytes from a partial start. */
size_t fsi_http_resync_scan(uint32_t side, const uint8_t *data, size_t len, int *partial);

/* Probe on the first bytes of a side: a request method and a space, or "HTTP/". */
uint32_t fsi_http_probe(const uint8_t *data, size_t len, uint32_t side);

/* Value of option @p name in an "a=1,b=2" list, or @p dflt. */
uint64_t fsi_http_option(const char *options, const char *name, uint64_t dflt);

#endif
