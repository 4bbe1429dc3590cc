/* SPDX-License-Identifier: MIT */
/* The tls plugin: descriptor, probe and session parser ops for protocol "ssl"
 * (Zeek's service name). One "handshake" message per connection, emitted when
 * both sides are past the readable handshake, or at finish. */
#include <stdlib.h>

#include "flowscope/plugin.h"
#include "tls_internal.h"

typedef struct tls_parser {
  fsi_tls_conn conn;
  void (*emit)(void *, const fs_message *);
  void *emit_ctx;
} tls_parser;

static void emit_once(tls_parser *p) {
  fsi_tls_conn *c = &p->conn;
  if (c->emitted || !(c->ch_done || c->sh_done))
    return;
  c->emitted = 1;
  if (p->emit)
    fsi_tls_emit(c, p->emit, p->emit_ctx);
}

/* A status that ends the parser (DONE or POISON) flushes the message first:
 * a host does not call finish on a poisoned parser, and what the hellos said
 * is worth keeping (the message then carries parse_error). */
static int settle(tls_parser *p, int rc) {
  if (rc == FS_PARSE_DONE || rc == FS_PARSE_POISON) {
    emit_once(p);
    /* Nothing reads the hello copies after the message: the parser stays
     * until its flow ends (long after, often), its buffers need not. */
    fsi_tls_conn_clear(&p->conn);
  }
  return rc;
}

static void *tls_create(const fs_parser_env *env) {
  tls_parser *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  fsi_tls_conn_init(&p->conn);
  if (env) {
    p->emit = env->emit;
    p->emit_ctx = env->emit_ctx;
  }
  return p;
}

static int tls_feed(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts,
                    size_t *consumed) {
  tls_parser *p = self;
  if (p->conn.emitted) /* done (its buffers are gone): a host should not feed more */
    return p->conn.poison ? FS_PARSE_POISON : FS_PARSE_DONE;
  if (len > 0 && !p->conn.have_ts) {
    p->conn.have_ts = 1;
    p->conn.first_ts = ts;
  }
  return settle(p, fsi_tls_conn_feed(&p->conn, side, data, len, consumed));
}

/* A side that lost bytes or closed has nothing more to tell. */
static int stop_side(tls_parser *p, uint32_t side) {
  fsi_tls_conn *c = &p->conn;
  if (c->poison)
    return FS_PARSE_POISON;
  if (c->emitted)
    return FS_PARSE_DONE;
  c->side[side & 1u].stopped = 1;
  return settle(p, fsi_tls_conn_complete(c) ? FS_PARSE_DONE : FS_PARSE_OK);
}

static int tls_gap(void *self, uint32_t side, uint64_t len, fs_time_ns ts) {
  (void)len;
  (void)ts;
  return stop_side(self, side);
}

static int tls_end_side(void *self, uint32_t side, fs_time_ns ts) {
  (void)ts;
  return stop_side(self, side);
}

static void tls_finish(void *self, fs_time_ns ts) {
  (void)ts;
  emit_once(self);
}

static const char *tls_poison_reason(void *self) { return ((tls_parser *)self)->conn.poison; }

/* finish() emits only a message not sent yet, once a hello was read. */
static int tls_idle(void *self) {
  const fsi_tls_conn *c = &((const tls_parser *)self)->conn;
  return c->emitted || !(c->ch_done || c->sh_done);
}

static void tls_destroy(void *self) {
  tls_parser *p = self;
  if (!p)
    return;
  fsi_tls_conn_clear(&p->conn);
  free(p);
}

/* An SSLv2-framed CLIENT-HELLO offering SSL 2.0 or 3.x (RFC 6101 E.1). */
static uint32_t sslv2_probe(const uint8_t *d, size_t len) {
  if (len < 5)
    return FS_PROBE_NEED_MORE;
  size_t rlen = ((size_t)(d[0] & 0x7fu) << 8) | d[1];
  if (rlen < 9 + 3 + 16 || d[2] != 1)
    return FS_PROBE_NO;
  if ((d[3] == 0 && d[4] == 2) || (d[3] == 3 && d[4] <= 4))
    return FS_PROBE_YES;
  return FS_PROBE_NO;
}

/* A hello at the start of either side (a capture may start with either),
 * an SSLv2-compatible CLIENT-HELLO, or a hello after the clear-text start of
 * a STARTTLS / SSLRequest / proxy exchange (tls_preamble.c). */
static uint32_t tls_probe(const uint8_t *d, size_t len, uint32_t side) {
  (void)side;
  uint32_t r = FS_PROBE_NO;
  if (len > 0 && (d[0] & 0x80u))
    r = sslv2_probe(d, len);
  else
    r = fsi_tls_hello_header(d, len);
  return r != FS_PROBE_NO ? r : fsi_tls_probe_preamble(d, len);
}

static const fs_session_parser_ops tls_session_ops = {
    .struct_size = (uint32_t)sizeof(fs_session_parser_ops),
    .create = tls_create,
    .feed = tls_feed,
    .gap = tls_gap,
    .end_side = tls_end_side,
    .tick = NULL,
    .finish = tls_finish,
    .poison_reason = tls_poison_reason,
    .destroy = tls_destroy,
    .idle = tls_idle,
};

/* HTTPS, SMTPS, NNTPS, LDAPS, DNS over TLS, FTPS, TELNETS, IMAPS, IRCS,
 * POP3S, SIPS, XMPP over TLS and the usual alternate HTTPS port. */
static const fs_port_range tls_ports[] = {
    {443, 443}, {465, 465},   {563, 563},   {636, 636},   {853, 853},
    {989, 995}, {5061, 5061}, {5223, 5223}, {8443, 8443},
};

static const fs_protocol_desc tls_protocol = {
    .struct_size = (uint32_t)sizeof(fs_protocol_desc),
    .transports = FS_TRANSPORT_TCP,
    .name = "ssl",
    .ports = tls_ports,
    .n_ports = (uint32_t)(sizeof tls_ports / sizeof tls_ports[0]),
    .probe_max_bytes = FSI_TLS_PROBE_MAX,
    .probe = tls_probe,
    .session = &tls_session_ops,
    .datagram = NULL,
};

static const fs_protocol_desc *const tls_protocols[] = {&tls_protocol};

static const fs_plugin_desc tls_plugin_desc = {
    FS_PLUGIN_DESC_PREFIX,
    .name = "tls",
    .version = "0.1.0",
    .description = "TLS/SSL handshake (SSLv3 to TLS 1.3) with JA3, JA3S and JA4 fingerprints",
    .license = "MIT",
    .url = NULL,
    .protocols = tls_protocols,
    .n_protocols = 1,
    .init = NULL,
    .fini = NULL,
};

FS_PLUGIN_DEFINE(tls_plugin_desc)
