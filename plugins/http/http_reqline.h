/* SPDX-License-Identifier: MIT */
/* Classifying a request line before llhttp sees it, and the stand-in line
 * for the ones llhttp would refuse (see http_reqline.c). */
#ifndef FS_PLUGIN_HTTP_REQLINE_H
#define FS_PLUGIN_HTTP_REQLINE_H

#include <stddef.h>
#include <stdint.h>

/* What to do with a request line. */
enum http_reqline_kind {
  HRL_PLAIN = 0,     /* llhttp parses it as it is */
  HRL_NORMALISE = 1, /* feed the stand-in line, record the real values */
  HRL_REFUSE = 2     /* not a request line: let llhttp reject it */
};

/* A request line split the way tshark reads it: the method token, the
 * first token after it as the target, the last token as the version. */
typedef struct http_reqline {
  size_t method_len; /* method: line[0, method_len) */
  size_t target_off; /* target: line[target_off, +target_len), may be empty */
  size_t target_len;
  uint32_t ntok;     /* tokens, method included */
  int version_ok;    /* the last of 3+ tokens is HTTP/d.d */
  int llhttp_method; /* llhttp knows the method */
  char major, minor; /* version digits when version_ok */
} http_reqline;

/* Classifies @p line (@p len bytes, line end excluded); fills @p out. */
int fsi_http_reqline_parse(const uint8_t *line, size_t len, http_reqline *out);

/* 1 when the line's version is one llhttp accepts (0.9, 1.0, 1.1). */
int fsi_http_reqline_llhttp_version(const http_reqline *rl);

/* Writes the stand-in request line (CRLF included) for a HRL_NORMALISE line
 * into @p buf; returns its length, 0 when @p cap is too small. */
size_t fsi_http_reqline_standin(const uint8_t *line, const http_reqline *rl, char *buf, size_t cap);

/* See http_conn.h. */
int fsi_http_method_known(const uint8_t *m, size_t n);

#endif
