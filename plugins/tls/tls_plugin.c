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
  if (rc == FS_PARSE_DONE || rc == FS_PARSE_POISON)
    emit_once(p);
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

static void tls_destroy(void *self) {
  tls_parser *p = self;
  if (!p)
    return;
  fsi_tls_conn_clear(&p->conn);
  free(p);
}

/* A TLS record carrying a ClientHello or ServerHello: content type 22,
 * record version 3.0-3.4, a sane length, handshake type 1 or 2, a hello
 * length that fits, and a 3.x hello version. */
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

static uint32_t tls_probe(const uint8_t *d, size_t len, uint32_t side) {
  (void)side; /* a capture may start with either hello */
  if (len > 0 && (d[0] & 0x80u))
    return sslv2_probe(d, len);
  static const size_t need[] = {1, 2, 3, 5, 6, 9, 11};
  for (size_t step = 0; step < sizeof need / sizeof need[0]; step++) {
    if (len < need[step])
      return FS_PROBE_NEED_MORE;
    switch (step) {
    case 0:
      if (d[0] != 22)
        return FS_PROBE_NO;
      break;
    case 1:
      if (d[1] != 3)
        return FS_PROBE_NO;
      break;
    case 2:
      if (d[2] > 4)
        return FS_PROBE_NO;
      break;
    case 3: {
      uint32_t rlen = ((uint32_t)d[3] << 8) | d[4];
      if (rlen < 4 || rlen > FSI_TLS_MAX_RECORD)
        return FS_PROBE_NO;
      break;
    }
    case 4:
      if (d[5] != 1 && d[5] != 2)
        return FS_PROBE_NO;
      break;
    case 5: {
      uint32_t hlen = ((uint32_t)d[6] << 16) | ((uint32_t)d[7] << 8) | d[8];
      if (hlen < 38 || hlen > FSI_TLS_MAX_HELLO)
        return FS_PROBE_NO;
      break;
    }
    default: return d[9] == 3 && d[10] <= 4 ? FS_PROBE_YES : FS_PROBE_NO;
    }
  }
  return FS_PROBE_NO;
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
    .probe_max_bytes = 16,
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
