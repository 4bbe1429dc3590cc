/* SPDX-License-Identifier: MIT */
/*
 * The original crate's round trip, as a property test: synthesize a TCP
 * conversation (handshake, both directions' data cut into random segments,
 * reordered and partly duplicated, FINs), write it with fs_pcap_writer, read
 * it back with fs_source, extract each packet with the built-in five-tuple
 * extractor and reassemble each direction: the bytes equal what was sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "flowscope/flowscope.h"
#include "reasm_test_sink.h"
#include "tcp_frames.h"

#define MAX_BYTES 20000
#define MAX_FRAMES 1200

static uint64_t rng_next(uint64_t *s) {
  uint64_t x = *s; /* xorshift64* */
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1Dull;
}

static uint32_t below(uint64_t *s, uint32_t n) { return (uint32_t)(rng_next(s) % n); }

static tf_frame frames[MAX_FRAMES];
static uint8_t sent[2][MAX_BYTES];

/* Appends one direction's data segments (random sizes, some overlapping). */
static uint32_t add_data(uint64_t *rng, const tf_conn *c, int dir, uint32_t isn, uint32_t peer_isn,
                         const uint8_t *bytes, uint32_t n, uint32_t nf) {
  uint32_t off = 0;
  while (off < n && nf < MAX_FRAMES - 8) {
    uint32_t len = 1 + below(rng, 1460);
    if (off + len > n)
      len = n - off;
    uint32_t back = (off > 0 && below(rng, 5) == 0) ? below(rng, off < 100 ? off : 100) : 0;
    tf_tcp(&frames[nf++], c, dir, isn + 1 + off - back, peer_isn + 1, 0x18 /* PSH|ACK */,
           bytes + off - back, len + back, 0);
    off += len;
  }
  return nf;
}

static void test_pcap_round_trip_random_splits(void **state) {
  (void)state;
  char path[] = "/tmp/fs-reasm-rt-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  for (uint64_t seed = 1; seed <= 40; seed++) {
    uint64_t rng = seed * 0x9E3779B97F4A7C15ull;
    tf_conn c = {{10, 0, 0, 1}, {10, 0, 0, 2}, (uint16_t)(40000 + seed), 8080};
    uint32_t n[2], isn[2];
    for (int d = 0; d < 2; d++) {
      n[d] = 1 + below(&rng, MAX_BYTES);
      for (uint32_t i = 0; i < n[d]; i++)
        sent[d][i] = (uint8_t)rng_next(&rng);
      /* Half the ISNs sit just below 2^32 so the stream wraps. */
      isn[d] = below(&rng, 2) ? 0xFFFFFFFFu - below(&rng, 3000) : (uint32_t)rng_next(&rng);
    }
    uint32_t nf = 0;
    tf_tcp(&frames[nf++], &c, 0, isn[0], 0, 0x02 /* SYN */, NULL, 0, 0);
    tf_tcp(&frames[nf++], &c, 1, isn[1], isn[0] + 1, 0x12 /* SYN|ACK */, NULL, 0, 0);
    tf_tcp(&frames[nf++], &c, 0, isn[0] + 1, isn[1] + 1, 0x10 /* ACK */, NULL, 0, 0);
    uint32_t first_data = nf;
    nf = add_data(&rng, &c, 0, isn[0], isn[1], sent[0], n[0], nf);
    nf = add_data(&rng, &c, 1, isn[1], isn[0], sent[1], n[1], nf);
    /* Reorder data frames locally and duplicate a few. */
    for (uint32_t i = first_data; i < nf; i++) {
      uint32_t j = i + below(&rng, 6);
      if (j < nf) {
        tf_frame t = frames[i];
        frames[i] = frames[j];
        frames[j] = t;
      }
    }
    for (uint32_t k = 0; k < 5 && nf < MAX_FRAMES - 2; k++) {
      uint32_t pick = first_data + below(&rng, nf - first_data);
      frames[nf] = frames[pick];
      nf++;
    }
    tf_tcp(&frames[nf++], &c, 0, isn[0] + 1 + n[0], isn[1] + 1 + n[1], 0x11 /* FIN|ACK */, NULL, 0,
           0);
    tf_tcp(&frames[nf++], &c, 1, isn[1] + 1 + n[1], isn[0] + 2 + n[0], 0x11, NULL, 0, 0);
    for (uint32_t i = 0; i < nf; i++)
      frames[i].ts = FS_NS_PER_SEC * 1000 + i * 1000;

    char err[FS_ERRBUF_SIZE];
    fs_pcap_writer *w = NULL;
    assert_int_equal(fs_pcap_writer_open(&w, path, 1, 65535, 1, err), 0);
    for (uint32_t i = 0; i < nf; i++) {
      fs_packet_view v = tf_view(&frames[i]);
      assert_int_equal(fs_pcap_writer_write(w, &v), 0);
    }
    assert_int_equal(fs_pcap_writer_close(w), 0);

    fs_source *src = NULL;
    assert_int_equal(fs_source_open_file(&src, path, NULL, err), 0);
    fs_extractor ex;
    assert_int_equal(fs_extractor_create(&ex, NULL, err), 0);
    rts_sink *out = calloc(2, sizeof *out);
    assert_non_null(out);
    fs_reassembler r[2];
    for (int d = 0; d < 2; d++) {
      fs_stream_sink k = rts_make(&out[d]);
      assert_int_equal(fs_reasm_create(&r[d], NULL, &k, err), 0);
    }
    fs_packet_view pkt;
    uint32_t read = 0;
    int rc;
    while ((rc = fs_source_next(src, &pkt)) == 1) {
      fs_extract_result res;
      memset(&res, 0, sizeof res);
      res.struct_size = sizeof res;
      assert_int_equal(ex.ops->extract(ex.self, &pkt, &res), 0);
      assert_true(res.has_tcp);
      /* Which endpoint sent it: a is 10.0.0.1 (last byte of the IPv4 source). */
      const uint8_t *ip = pkt.data + TF_ETH;
      int d = ip[15] == 1 ? 0 : 1;
      assert_int_equal(r[d].ops->segment(r[d].self, res.tcp.seq, res.tcp.flags, res.payload,
                                         res.payload_len, pkt.ts),
                       0);
      read++;
    }
    assert_int_equal(rc, FS_E_EOF);
    assert_int_equal(read, nf);
    for (int d = 0; d < 2; d++) {
      assert_int_equal(r[d].ops->finish(r[d].self, 0), 0);
      assert_int_equal(out[d].gap_calls, 0);
      assert_int_equal(out[d].n, n[d]);
      assert_memory_equal(out[d].bytes, sent[d], n[d]);
      fs_reasm_destroy(&r[d]);
    }
    free(out);
    fs_extractor_destroy(&ex);
    fs_source_close(src);
  }
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pcap_round_trip_random_splits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
