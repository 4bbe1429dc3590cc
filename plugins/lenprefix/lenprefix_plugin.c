/* SPDX-License-Identifier: MIT */
/*
 * The lenprefix plugin's descriptor: one TCP protocol with a port hint and
 * a probe. This file plus lenprefix_parser.c is a complete plugin; see
 * docs/plugin-authoring.md for the walk-through.
 */
#include "lenprefix.h"

/* Largest body the probe believes in: real first frames are small. */
#define LP_PROBE_MAX_BODY 65536u
/* Bytes per side the probe may look at before the host gives up on it. */
#define LP_PROBE_MAX_BYTES 64u

/* 1 when the 5 bytes at p look like a lenprefix header. */
static int plausible_header(const uint8_t *p) {
  uint32_t len = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
  return p[4] >= 1 && p[4] <= LP_MAX_TYPE && len <= LP_PROBE_MAX_BODY;
}

/*
 * Claims a side whose first header is plausible and, when the first frame
 * is short enough to see past within the probe window, whose second header
 * is plausible too. Text protocols fail at once: "GET " as a length is
 * about 1.2e9.
 */
static uint32_t lp_probe(const uint8_t *data, size_t len, uint32_t side) {
  (void)side;
  if (len < LP_HEADER_LEN) {
    return FS_PROBE_NEED_MORE;
  }
  if (!plausible_header(data)) {
    return FS_PROBE_NO;
  }
  uint64_t next = (uint64_t)LP_HEADER_LEN + (((uint32_t)data[0] << 24) | ((uint32_t)data[1] << 16) |
                                             ((uint32_t)data[2] << 8) | data[3]);
  if (next + LP_HEADER_LEN <= len) {
    return plausible_header(data + next) ? FS_PROBE_YES : FS_PROBE_NO;
  }
  /* A second header would fit in the window but has not arrived yet: wait, unless
   * the first frame is all there is so far and the window cannot hold more. */
  if (next + LP_HEADER_LEN <= LP_PROBE_MAX_BYTES && len < LP_PROBE_MAX_BYTES) {
    return FS_PROBE_NEED_MORE;
  }
  return FS_PROBE_YES;
}

static const fs_port_range lp_ports[] = {{LP_PORT, LP_PORT}};

static const fs_protocol_desc lp_protocol = {
    .struct_size = sizeof(fs_protocol_desc),
    .transports = FS_TRANSPORT_TCP,
    .name = "lenprefix",
    .ports = lp_ports,
    .n_ports = 1,
    .probe_max_bytes = LP_PROBE_MAX_BYTES,
    .probe = lp_probe,
    .session = &lp_session_ops,
};

static const fs_protocol_desc *const lp_protocols[] = {&lp_protocol};

static const fs_plugin_desc lp_plugin = {
    FS_PLUGIN_DESC_PREFIX,
    .name = "lenprefix",
    .version = "1.0.0",
    .description = "length-prefixed binary frames (u32 BE length, u8 type): the worked example",
    .license = "MIT",
    .url = "https://github.com/flowscope/flowscope",
    .protocols = lp_protocols,
    .n_protocols = 1,
};

FS_PLUGIN_DEFINE(lp_plugin)
