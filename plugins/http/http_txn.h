/* SPDX-License-Identifier: MIT */
/* One HTTP transaction (a request and its response) as the http plugin
 * collects it: fixed-size, bounded buffers for the fields that become the
 * message, and the builder that turns it into an fs_message. */
#ifndef FS_PLUGIN_HTTP_TXN_H
#define FS_PLUGIN_HTTP_TXN_H

#include <flowscope/plugin.h>

/* Bounds of the stored values; longer values are cut and counted. */
#define HTTP_METHOD_MAX 24
#define HTTP_VERSION_MAX 8
#define HTTP_URI_MAX 2048
#define HTTP_HOST_MAX 256
#define HTTP_UA_MAX 512
#define HTTP_REFERRER_MAX 1024
#define HTTP_STATUS_MSG_MAX 128
#define HTTP_CTYPE_MAX 128
/* All-headers mode: bytes and entries kept per direction. */
#define HTTP_ALLHDR_BYTES 4096
#define HTTP_ALLHDR_MAX 64

/* Which stored value a captured byte run goes to. */
enum http_field_id {
  HF_NONE = 0,
  HF_METHOD,
  HF_REQ_VERSION,
  HF_URI,
  HF_HOST,
  HF_UA,
  HF_REFERRER,
  HF_REQ_CTYPE,
  HF_RESP_VERSION,
  HF_STATUS_MSG,
  HF_RESP_CTYPE,
  HF_INFO_MSG, /* storage only: the last 1xx's reason, copied from HF_STATUS_MSG */
  HF_COUNT
};

/* A bounded string buffer: cap bytes of storage follow in the owner. */
typedef struct http_sbuf {
  uint32_t len;
  uint32_t set; /* 1 once a value was captured (first header wins) */
} http_sbuf;

/* Headers of one direction in all-headers mode ("Name: value" entries). */
typedef struct http_allhdr {
  uint32_t used;
  uint32_t n;
  uint32_t open;    /* 1 while entry n-1 still grows */
  uint32_t dropped; /* entries or bytes that did not fit */
  uint32_t off[HTTP_ALLHDR_MAX];
  uint32_t len[HTTP_ALLHDR_MAX];
  char buf[HTTP_ALLHDR_BYTES];
} http_allhdr;

/* Inline bytes of all values: each has a slot sized for the common value
 * (fsi_http_txn_buf); a longer one moves to a buffer of its full bound. */
#define HTTP_INLINE_BYTES 416

/*
 * A transaction is allocated per request, and its values are read and
 * written on the packets of its request and response: the inline slots
 * keep it at about 700 bytes (it was 4.5 KiB of fixed buffers, whose
 * scattered lines and pages were fetched on every response).
 */
typedef struct http_txn {
  struct http_txn *next_free; /* pool link */
  uint64_t depth;             /* Zeek's trans_depth: 1-based index in the connection */
  fs_time_ns ts;              /* first byte of the request (or of the response if alone) */
  uint8_t has_req, req_done, has_resp, resp_done;
  uint8_t is_head, is_connect, req_upgrade, final_upgrade;
  uint8_t req_gap, resp_gap, pad0[2];
  uint32_t status_code; /* 0: none yet */
  uint32_t info_code;   /* last 1xx seen, 0: none */
  uint32_t truncated;   /* values cut to their bound */
  uint32_t spilled;     /* bit per field id: the value lives in ext[id] */
  uint64_t req_body_len, resp_body_len;
  http_sbuf f[HF_COUNT];
  /* ---- kept when the transaction is reused ---- */
  char *ext[HF_COUNT];  /* full-bound storage of values that outgrew their slot (lazily) */
  http_allhdr *hdrs[2]; /* per side, only in all-headers mode */
  char inl[HTTP_INLINE_BYTES];
} http_txn;

/* Resets a transaction for reuse, keeping its all-headers buffers. */
void fsi_http_txn_reset(http_txn *t);

/* Storage and bound of field @p id now (its inline slot, or its full
 * buffer once the value outgrew the slot). */
char *fsi_http_txn_buf(http_txn *t, int id, uint32_t *cap);

/* The stored bytes of field @p id (f[id].len of them). */
const char *fsi_http_txn_val(const http_txn *t, int id);

/* Replaces field @p id with @p n bytes (n within its bound). */
void fsi_http_txn_assign(http_txn *t, int id, const char *p, size_t n);

/* Frees a transaction and its buffers. */
void fsi_http_txn_free(http_txn *t);

/* Appends @p n bytes to field @p id, cutting at its bound (counted once). */
void fsi_http_txn_append(http_txn *t, int id, const char *p, size_t n);

/* Removes trailing spaces and tabs of field @p id. */
void fsi_http_txn_rtrim(http_txn *t, int id);

/* Appends bytes to the current all-headers entry of @p side. */
void fsi_http_allhdr_append(http_txn *t, uint32_t side, const char *p, size_t n);

/* Starts a new all-headers entry of @p side; 0 when full. */
int fsi_http_allhdr_begin(http_txn *t, uint32_t side);

/* Builds the message for @p t and hands it to env->emit; @p swap: the
 * host's responder sent the requests (the message's side says so). */
void fsi_http_txn_emit(const http_txn *t, const fs_parser_env *env, int all_headers, uint32_t swap);

#endif
