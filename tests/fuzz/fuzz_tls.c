/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the tls plugin's session parser. The input is a
 * sequence of chunks, each a header byte (bit 7: side; bits 0-6: length, 127
 * meaning "a gap on this side") followed by that many bytes. The chunks are
 * played twice, whole and in 1-3 byte pieces, and the emitted messages must
 * be identical (split invariance); the probe runs on the input's prefixes
 * and must never change its mind; ASan/UBSan catch the rest. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flowscope/plugin.h"
#include "tls_plugin_harness.h"

const fs_plugin_desc *fs_plugin_entry(const fs_host_info *host);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void play(const fs_protocol_desc *proto, const uint8_t *data, size_t size, int split,
                 th_out *out) {
  th_flow f;
  th_open(&f, proto, out);
  if (!f.parser)
    abort();
  size_t off = 0;
  unsigned seed = size ? data[0] : 0;
  while (off < size) {
    uint8_t hdr = data[off++];
    uint32_t side = hdr >> 7;
    size_t n = hdr & 0x7fu;
    if (n == 0x7f) {
      th_gap(&f, side, 100);
      continue;
    }
    if (n > size - off)
      n = size - off;
    if (split)
      th_feed_split(&f, side, data + off, n, 1000 + off, seed++);
    else
      th_feed(&f, side, data + off, n, 1000 + off);
    off += n;
  }
  if (f.status == FS_PARSE_POISON && !f.ops->poison_reason(f.parser))
    abort(); /* a poisoned parser must say why */
  th_close(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const fs_plugin_desc *d = fs_plugin_entry(NULL);
  const fs_protocol_desc *proto = d->protocols[0];
  static th_out whole, split; /* large; reset on every input */
  whole.len = split.len = 0;
  whole.count = split.count = 0;
  whole.text[0] = split.text[0] = '\0';
  /* The probe on the input's prefixes: a valid answer, and once YES or NO
   * the answer stays (more bytes never change a decision). */
  uint32_t decided = FS_PROBE_NEED_MORE;
  for (size_t n = 0; n <= size && n <= proto->probe_max_bytes; n++) {
    uint32_t r = proto->probe(data, n, 0);
    if (r > FS_PROBE_NEED_MORE || (decided != FS_PROBE_NEED_MORE && r != decided))
      abort();
    decided = r;
    if (n > 64 && r != FS_PROBE_NEED_MORE)
      break;
  }
  play(proto, data, size, 0, &whole);
  play(proto, data, size, 1, &split);
  if (whole.count > 1 || whole.len != split.len || strcmp(whole.text, split.text) != 0)
    abort();
  return 0;
}
