/* SPDX-License-Identifier: MIT */
/* The dns plugin's descriptor: protocol "dns" over UDP (datagram parser)
 * and TCP (length-prefixed session parser), port hints and a probe. */
#include "dns_flow.h"

/* 53: DNS; 5353: multicast DNS (RFC 6762); 5355: LLMNR (RFC 4795), which
 * share the message format (Zeek's DNS analyzer takes the same ports). */
static const fs_port_range dns_ports[] = {{53, 53}, {5353, 5353}, {5355, 5355}};

static const fs_session_parser_ops dns_session_ops = {
    .struct_size = (uint32_t)sizeof(fs_session_parser_ops),
    .create = fsi_dns_create,
    .feed = fsi_dns_tcp_feed,
    .gap = fsi_dns_tcp_gap,
    .end_side = NULL,
    .tick = fsi_dns_tick,
    .finish = fsi_dns_finish,
    .poison_reason = fsi_dns_poison_reason,
    .destroy = fsi_dns_destroy,
    .idle = fsi_dns_idle,
};

static const fs_datagram_parser_ops dns_datagram_ops = {
    .struct_size = (uint32_t)sizeof(fs_datagram_parser_ops),
    .create = fsi_dns_create,
    .datagram = fsi_dns_datagram,
    .tick = fsi_dns_tick,
    .finish = fsi_dns_finish,
    .poison_reason = fsi_dns_poison_reason,
    .destroy = fsi_dns_destroy,
    .idle = fsi_dns_idle,
};

static const fs_protocol_desc dns_protocol = {
    .struct_size = (uint32_t)sizeof(fs_protocol_desc),
    .transports = FS_TRANSPORT_UDP | FS_TRANSPORT_TCP,
    .name = "dns",
    .ports = dns_ports,
    .n_ports = (uint32_t)(sizeof dns_ports / sizeof dns_ports[0]),
    .probe_max_bytes = 512,
    .probe = fsi_dns_probe,
    .session = &dns_session_ops,
    .datagram = &dns_datagram_ops,
};

static const fs_protocol_desc *const dns_protocols[] = {&dns_protocol};

static const fs_plugin_desc dns_plugin = {
    FS_PLUGIN_DESC_PREFIX,
    .name = "dns",
    .version = "0.1.0",
    .description = "DNS over UDP and TCP, query/response pairs as Zeek's dns.log",
    .license = "MIT",
    .url = NULL,
    .protocols = dns_protocols,
    .n_protocols = 1,
    .init = NULL,
    .fini = NULL,
};

FS_PLUGIN_DEFINE(dns_plugin)
