/* SPDX-License-Identifier: MIT */
/* libFuzzer harness over the decoder, the built-in extractors and IP
 * fragment reassembly.
 *
 * Input: byte 0 picks the link type, byte 1 the configuration (extractor
 * kind, encapsulation mode, key options, reassembly on/off, small limits),
 * then records of a 2-byte big-endian length and that many frame bytes.
 * Every record is copied into its own exact-size allocation so a read past
 * its end hits an ASan redzone. Time advances 1 s per record, with a tick
 * every 8 records, so fragment timeouts run too. After each record the
 * harness checks the extractor's promises: pointers inside the frame or
 * the reassembly buffer's datagram, unused key bytes zero, and
 * packets == extracted + skipped. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flowscope/flowscope.h"

static const uint32_t link_types[] = {1,   0,   9,   10,  12,  14,  50,  51,  101,
                                      108, 113, 228, 229, 239, 276, 147, 105, 127};

static void check(int cond) {
  if (!cond)
    abort();
}

static void check_result(const fs_extract_result *r, const uint8_t *frame, uint32_t len) {
  /* Payload and L3 either lie inside the frame or (reassembled) inside
   * the datagram that starts at l3. */
  if (r->l3 && r->l3 >= frame && r->l3 < frame + len) {
    check(r->l3 + r->l3_len <= frame + len);
    if (r->payload)
      check(r->payload >= frame && r->payload + r->payload_len <= frame + len);
  } else if (r->payload && r->l3) {
    check(r->payload >= r->l3 && r->payload + r->payload_len <= r->l3 + r->l3_len);
  }
  if (r->has_tcp)
    check(r->tcp.payload_len <= r->tcp.payload_wire_len);
  /* Keys are compared over all 48 bytes: unused address bytes are zero. */
  const fs_flow_key *k = &r->key;
  size_t alen = 16;
  if (k->kind == FS_KEY_FIVE_TUPLE_V4 || k->kind == FS_KEY_IP_PAIR_V4)
    alen = 4;
  else if (k->kind == FS_KEY_MAC_PAIR)
    alen = 6;
  for (size_t i = alen; i < 16; i++)
    check(k->addr_a[i] == 0 && k->addr_b[i] == 0);
  check(k->reserved0 == 0);
  /* Touch every payload byte (ASan checks the reads). */
  volatile uint8_t sink = 0;
  for (uint32_t i = 0; i < r->payload_len; i++)
    sink ^= r->payload[i];
  (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  uint32_t link = link_types[data[0] % (sizeof link_types / sizeof link_types[0])];
  uint8_t o = data[1];
  fs_extract_config cfg;
  fs_extract_config_default(&cfg);
  cfg.kind = o & 3;              /* five-tuple, unidirectional, IP pair, MAC pair */
  cfg.encap_mode = (o >> 2) % 3; /* auto, selected, outer */
  cfg.encap_layers = (o & 0x10) ? 0x1fffu : 0x03u; /* every FS_ENCAP_* bit, or VLAN+MPLS */
  cfg.key_vlan = (o >> 5) & 1;
  cfg.key_tunnel = (o >> 6) & 1;
  cfg.defrag.enabled = !(o & 0x80);
  cfg.defrag.max_datagrams = 4; /* small limits so they are hit */
  cfg.defrag.max_fragments = 8;
  cfg.defrag.max_bytes = 16384;
  cfg.defrag.timeout = 4 * FS_NS_PER_SEC;
  fs_extractor ex;
  char err[FS_ERRBUF_SIZE];
  if (fs_extractor_create(&ex, &cfg, err) != 0)
    abort();
  size_t off = 2;
  fs_time_ns ts = FS_NS_PER_SEC;
  uint64_t n = 0;
  while (off + 2 <= size) {
    uint32_t len = (uint32_t)(data[off] << 8 | data[off + 1]);
    off += 2;
    if (len > size - off)
      len = (uint32_t)(size - off);
    uint8_t *frame = malloc(len ? len : 1);
    if (!frame)
      abort();
    memcpy(frame, data + off, len);
    off += len;
    fs_packet_view v = {.struct_size = sizeof v,
                        .link_type = link,
                        .data = frame,
                        .caplen = len,
                        .wirelen = len,
                        .ts = ts};
    fs_extract_result r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    int rc = ex.ops->extract(ex.self, &v, &r);
    check(rc >= 0 && rc < FS_SKIP_REASON_COUNT);
    if (rc == 0)
      check_result(&r, frame, len);
    free(frame);
    ts += FS_NS_PER_SEC;
    if (++n % 8 == 0)
      ex.ops->tick(ex.self, ts);
  }
  fs_extract_counters c = {.struct_size = sizeof c};
  check(fs_extractor_counters(&ex, &c) == 0);
  uint64_t sum = c.extracted;
  for (int i = 0; i < 32; i++)
    sum += c.skipped[i];
  check(sum == c.packets && c.packets == n);
  fs_extractor_destroy(&ex);
  return 0;
}
