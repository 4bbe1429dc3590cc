/* SPDX-License-Identifier: MIT */
/* The http plugin's descriptor: one protocol, "http" (Zeek's service name),
 * a TCP session parser on llhttp, port hints and a probe. */
#include "http_conn.h"

static const fs_port_range http_ports[] = {
    {80, 80},     {81, 81},     {631, 631},   {1080, 1080},
    {3128, 3128}, {8000, 8000}, {8080, 8081}, {8888, 8888},
};

static const fs_session_parser_ops http_session_ops = {
    .struct_size = (uint32_t)sizeof(fs_session_parser_ops),
    .create = fsi_http_create,
    .feed = fsi_http_feed,
    .gap = fsi_http_gap,
    .end_side = fsi_http_end_side,
    .tick = NULL,
    .finish = fsi_http_finish,
    .poison_reason = fsi_http_poison_reason,
    .destroy = fsi_http_destroy,
    .idle = fsi_http_idle,
};

static const fs_protocol_desc http_protocol = {
    .struct_size = (uint32_t)sizeof(fs_protocol_desc),
    .transports = FS_TRANSPORT_TCP,
    .name = "http",
    .ports = http_ports,
    .n_ports = (uint32_t)(sizeof http_ports / sizeof http_ports[0]),
    .probe_max_bytes = 16,
    .probe = fsi_http_probe,
    .session = &http_session_ops,
    .datagram = NULL,
};

static const fs_protocol_desc *const http_protocols[] = {&http_protocol};

static const fs_plugin_desc http_plugin = {
    FS_PLUGIN_DESC_PREFIX,
    .name = "http",
    .version = "0.1.0",
    .description = "HTTP/1.x transactions (llhttp), fields as Zeek's http.log",
    .license = "MIT",
    .url = NULL,
    .protocols = http_protocols,
    .n_protocols = 1,
    .init = NULL,
    .fini = NULL,
};

FS_PLUGIN_DEFINE(http_plugin)
