/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the dns plugin. First byte: bit 0 selects TCP
 * (session ops: records of [control][payload] as in fuzz_http.c, run whole
 * and in 1..3-byte pieces, messages must hash the same) or UDP (datagram
 * ops: records of [length byte][datagram], with ticks in between). */
#include "fuzz_proto_host.h"

const fs_plugin_desc *fs_plugin_entry(const fs_host_info *host);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t run_tcp(const fs_session_parser_ops *ops, const uint8_t *d, size_t n, size_t piece,
                        uint64_t *msgs) {
  fz_host h;
  fs_parser_env env;
  fz_env(&env, &h, "max_pending=4");
  void *p = ops->create(&env);
  if (!p) {
    return 0;
  }
  size_t i = 0;
  fs_time_ns ts = 1;
  int r = FS_PARSE_OK;
  while (i < n && r == FS_PARSE_OK) {
    uint8_t ctl = d[i++];
    uint32_t side = ctl & 1;
    size_t len = (size_t)(ctl >> 3) * 8 + 1;
    ts += 1000;
    if (((ctl >> 1) & 3) == 3) {
      r = ops->tick(p, ts * 1000000);
      continue;
    }
    if (len > n - i) {
      len = n - i;
    }
    for (size_t off = 0; off < len && r == FS_PARSE_OK; off += piece ? piece : len) {
      size_t k = piece && len - off > piece ? piece : len - off;
      r = fz_feed(ops, p, &h, side, d + i + off, k, ts);
    }
    i += len;
  }
  if (r == FS_PARSE_POISON && ops->poison_reason(p) == NULL) {
    abort();
  }
  ops->finish(p, ts + 1);
  ops->destroy(p);
  fz_release(&h);
  *msgs = h.msgs;
  return h.hash;
}

static void run_udp(const fs_datagram_parser_ops *ops, const uint8_t *d, size_t n) {
  fz_host h;
  fs_parser_env env;
  fz_env(&env, &h, "max_pending=3,timeout=1");
  void *p = ops->create(&env);
  if (!p) {
    return;
  }
  size_t i = 0;
  fs_time_ns ts = 0;
  int r = FS_PARSE_OK;
  while (i < n && r == FS_PARSE_OK) {
    size_t len = d[i++];
    if (len > n - i) {
      len = n - i;
    }
    ts += 300000000ull;                    /* 0.3 s */
    uint8_t *copy = malloc(len ? len : 1); /* exact size: over-reads hit a redzone */
    if (!copy) {
      abort();
    }
    memcpy(copy, d + i, len);
    r = ops->datagram(p, (uint32_t)(len & 1), copy, len, ts);
    free(copy);
    if (r == FS_PARSE_OK) {
      r = ops->tick(p, ts);
    }
    i += len;
  }
  if (r == FS_PARSE_POISON && ops->poison_reason(p) == NULL) {
    abort();
  }
  ops->finish(p, ts);
  ops->destroy(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const fs_protocol_desc *proto = fs_plugin_entry(NULL)->protocols[0];
  if (size < 1) {
    return 0;
  }
  (void)proto->probe(data + 1, size - 1, 0);
  if (data[0] & 1) {
    uint64_t m1 = 0, m2 = 0;
    uint64_t h1 = run_tcp(proto->session, data + 1, size - 1, 0, &m1);
    uint64_t h2 = run_tcp(proto->session, data + 1, size - 1, 1 + (data[0] >> 1) % 3, &m2);
    if (h1 != h2 || m1 != m2) {
      abort();
    }
  } else {
    run_udp(proto->datagram, data + 1, size - 1);
  }
  return 0;
}
