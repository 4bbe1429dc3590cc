/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the http plugin, through its descriptor's session
 * ops. Input: records of [control byte][payload]; control bits 0: side,
 * 1-2: kind (0,1 data, 2 gap, 3 end of side), 3-7: payload length / 8
 * units (data length = (ctl >> 3) * 8 + 1 .. capped by what is left).
 * Every input is run whole and cut into 1..3-byte pieces (chosen by the
 * first byte); the messages must hash the same, else abort(). */
#include "fuzz_proto_host.h"

const fs_plugin_desc *fs_plugin_entry(const fs_host_info *host);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t run(const fs_session_parser_ops *ops, const uint8_t *d, size_t n, size_t piece,
                    const char *options, uint64_t *msgs) {
  fz_host h;
  fs_parser_env env;
  fz_env(&env, &h, options);
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
    uint32_t kind = (ctl >> 1) & 3;
    size_t len = (size_t)(ctl >> 3) * 8 + 1;
    ts += 1000;
    if (kind == 2) {
      r = ops->gap(p, side, len, ts);
      continue;
    }
    if (kind == 3) {
      r = ops->end_side(p, side, ts);
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
    abort(); /* poison needs a reason */
  }
  ops->finish(p, ts + 1);
  ops->destroy(p);
  fz_release(&h);
  *msgs = h.msgs;
  return h.hash;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const fs_plugin_desc *desc = fs_plugin_entry(NULL);
  const fs_session_parser_ops *ops = desc->protocols[0]->session;
  if (size < 1) {
    return 0;
  }
  const char *options = (data[0] & 0x80) ? "all_headers=1,max_pending=3" : NULL;
  size_t piece = 1 + (data[0] % 3);
  uint64_t m1 = 0, m2 = 0;
  (void)desc->protocols[0]->probe(data + 1, size - 1, data[0] & 1);
  uint64_t h1 = run(ops, data + 1, size - 1, 0, options, &m1);
  uint64_t h2 = run(ops, data + 1, size - 1, piece, options, &m2);
  if (h1 != h2 || m1 != m2) {
    abort(); /* a split changed the messages */
  }
  return 0;
}
