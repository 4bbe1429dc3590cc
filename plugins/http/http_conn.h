/* SPDX-License-Identifier: MIT */
/* One HTTP/1.x connection: two llhttp parsers (requests from the initiator,
 * responses from the responder), the queue of transactions waiting for
 * their response, resync after gaps, and the session-parser entry points. */
#ifndef FS_PLUGIN_HTTP_CONN_H
#define FS_PLUGIN_HTTP_CONN_H

#include <llhttp.h>

#include "http_reqline.h"
#include "http_txn.h"

/* Upper bound of the pipelining queue (option max_pending). */
#define HTTP_PENDING_LIMIT 4096
/* Default queue length and header-section bound. */
#define HTTP_PENDING_DEFAULT 128
#define HTTP_HEADER_BYTES_DEFAULT 65536u
/* Ring slots inside the connection before it allocates a larger one. */
#define HTTP_RING_INLINE 4

/* Where a request's version field comes from. */
enum http_ver_mode {
  HVM_LLHTTP = 0, /* what llhttp parsed */
  HVM_NONE,       /* the request line had no valid version */
  HVM_REAL        /* a well-formed version llhttp does not take (e.g. 2.0) */
};

/* What one direction's parser is doing. */
enum http_side_state {
  HS_NORMAL = 0, /* llhttp parses */
  HS_RESYNC,     /* after a gap: looking for the start of a message */
  HS_PAUSED,     /* request asked for an upgrade; waiting for the response */
  HS_DEAD        /* nothing more is parsed on this side */
};

struct http_conn;

typedef struct http_side {
  /* Read on every segment (with llhttp's own state), so they come first:
   * the host fetches the start of a parser's state ahead of each packet. */
  llhttp_t p;
  struct http_conn *conn;
  fs_time_ns ts;  /* time of the current feed */
  uint32_t side;  /* FS_SIDE_* */
  uint32_t state; /* enum http_side_state */
  uint64_t cur;   /* depth of the transaction this side's message fills; 0 none */
  /* Body bytes not yet added to the transaction: adding them per segment
   * touched the transaction's memory on every packet of a body. */
  uint64_t body_pending;
  uint64_t header_bytes;           /* bytes of the current header section */
  const char *buf_begin, *buf_end; /* the buffer llhttp_execute is working on */
  size_t lbuf_len;                 /* bytes in lbuf */
  uint8_t in_message;
  uint8_t line_done;    /* the current message's start line was parsed */
  uint8_t msg_pause;    /* llhttp paused at the end of a request (see feed) */
  uint8_t synth;        /* llhttp is reading a stand-in request line */
  uint8_t in_value;     /* a header value is open */
  uint8_t piece_at_end; /* the last value piece ended at the end of its buffer */
  uint8_t fold_ws;      /* skipping the leading blanks of a folded line */
  uint8_t ver_mode;     /* enum http_ver_mode for the current request */
  /* Header and request-line state: only while a header section is read. */
  int target; /* http_field_id the header value goes to */
  uint32_t hname_len;
  char hname[32];
  uint8_t hname_cut;
  char ver[3];            /* HVM_REAL: the version as sent ("d.d") */
  const uint8_t *rl_line; /* while synth: the real request line */
  http_reqline rl;        /* ... and how it splits */
  uint8_t *lbuf;          /* a request line split over feeds (REQLINE_WAIT_MAX bytes, lazily) */
} http_side;

typedef struct http_conn {
  /* Checked on every feed: first, next to the requests' side. */
  const char *poison;
  const fs_parser_env *env;
  uint8_t done;      /* upgrade/CONNECT accepted: stop parsing */
  uint8_t roles_set; /* swap is decided */
  uint8_t swap;      /* 1: the host's responder sends the requests */
  uint8_t tunnel;    /* done because a CONNECT got a 2xx: hand off (host ABI >= 1.1) */
  uint8_t pad[4];
  http_side s[2];
  http_txn **ring; /* ring_cap slots: transactions waiting, oldest at head */
  uint32_t head, count;
  uint32_t ring_cap; /* grows up to max_pending */
  uint32_t max_pending;
  uint32_t all_headers;
  uint64_t max_header_bytes;
  uint64_t next_depth;
  http_txn *pool;
  http_txn *ring_inline[HTTP_RING_INLINE]; /* the ring until it grows */
} http_conn;

/* Session-parser entry points (see fs_session_parser_ops). */
void *fsi_http_create(const fs_parser_env *env);
int fsi_http_feed(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts,
                  size_t *consumed);
int fsi_http_gap(void *self, uint32_t side, uint64_t len, fs_time_ns ts);
int fsi_http_end_side(void *self, uint32_t side, fs_time_ns ts);
void fsi_http_finish(void *self, fs_time_ns ts);
const char *fsi_http_poison_reason(void *self);
int fsi_http_idle(void *self);
void fsi_http_destroy(void *self);

/* Resync: offset in data of the first whole start line (request line on
 * side 0, status line start on side 1), anywhere (a body lost in a gap
 * need not end with a line feed). *partial is set when the data ends
 * inside a possible start line, which is then returned. Returns len when
 * there is none. A pure function of the bytes: split-invariant as long as
 * the caller keeps the bytes from a partial start. */
size_t fsi_http_resync_scan(uint32_t side, const uint8_t *data, size_t len, int *partial);

/* Probe on the first bytes of a side: a request method and a space, or
 * "HTTP/" (on either side: the parser sorts the roles out). */
uint32_t fsi_http_probe(const uint8_t *data, size_t len, uint32_t side);

/* Roles from the first bytes a side sends: 1 when they start the other
 * role's message (requests from the responder, a status line from the
 * initiator), 0 when not, -1 when the bytes end before it is clear. */
int fsi_http_role_hint(uint32_t side, const uint8_t *data, size_t len);

/* 1: @p m (n bytes) is a method llhttp knows; 2: one it refuses but clients
 * send (RPC_IN_DATA, CCM_POST, ...); 0: neither. */
int fsi_http_method_known(const uint8_t *m, size_t n);

/* Value of option @p name in an "a=1,b=2" list, or @p dflt. */
uint64_t fsi_http_option(const char *options, const char *name, uint64_t dflt);

#endif
