/* SPDX-License-Identifier: MIT */
/* One DNS flow (UDP datagrams or a TCP connection): pairs queries with
 * responses by transaction id in a bounded table and emits one "query"
 * message per pair, per unanswered query and per unmatched response. */
#ifndef FS_PLUGIN_DNS_FLOW_H
#define FS_PLUGIN_DNS_FLOW_H

#include "dns_wire.h"

/* Defaults of the options max_pending and timeout (seconds). */
#define DNS_PENDING_DEFAULT 64
#define DNS_PENDING_LIMIT 4096
#define DNS_TIMEOUT_DEFAULT_S 10
/* Malformed messages in a row after which the flow is not DNS. */
#define DNS_BAD_STREAK_LIMIT 8

/* What a query leaves behind until its response comes. */
typedef struct dns_pending {
  fs_time_ns ts;
  uint16_t id, qtype, qclass, edns_udp_size;
  uint8_t rd, tc, z, has_question, edns, edns_do, pad[2];
  uint32_t qname_len;
  char qname[DNS_NAME_TEXT_MAX];
} dns_pending;

typedef struct dns_flow {
  const fs_parser_env *env;
  dns_pending *pend; /* oldest first */
  uint32_t n, cap, max_pending;
  uint32_t bad_streak;
  fs_time_ns timeout;
  const char *poison;
} dns_flow;

void *fsi_dns_create(const fs_parser_env *env);
int fsi_dns_datagram(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts);
int fsi_dns_tcp_feed(void *self, uint32_t side, const uint8_t *data, size_t len, fs_time_ns ts,
                     size_t *consumed);
int fsi_dns_tcp_gap(void *self, uint32_t side, uint64_t len, fs_time_ns ts);
int fsi_dns_tick(void *self, fs_time_ns now);
void fsi_dns_finish(void *self, fs_time_ns ts);
const char *fsi_dns_poison_reason(void *self);
/* Nothing pending (the datagram parser's idle op): the host may release the instance. */
int fsi_dns_idle(void *self);
void fsi_dns_destroy(void *self);

/* The probe: a plausible header at offset 0 (UDP) or 2 (TCP, after the
 * length prefix). */
uint32_t fsi_dns_probe(const uint8_t *data, size_t len, uint32_t side);

#endif
