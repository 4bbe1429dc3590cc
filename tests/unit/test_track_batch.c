/* SPDX-License-Identifier: MIT */
/*
 * fs_tracker_track_batch must be indistinguishable from one
 * fs_tracker_track call per packet: two trackers see the same random
 * packet sequence (many keys, a small table so eviction happens, time
 * jumps so idle timeouts fire, a little time going backwards), one packet
 * by packet and one in batches of random sizes, and their event streams
 * and counters are compared field by field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "track_helpers.h"

static uint64_t rng;
static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}

/* A packet of one of `nkeys` connections, TCP with random flags or UDP. */
static fs_extract_result random_packet(uint32_t nkeys) {
  uint32_t k = rnd() % nkeys;
  th_conn c = {(uint16_t)(1024 + k), 80, (k % 5 == 0) ? FS_L4_UDP : FS_L4_TCP};
  int dir = (int)(rnd() & 1);
  if (c.proto == FS_L4_UDP)
    return th_udp(&c, dir, rnd() % 300);
  static const uint8_t flags[] = {FS_TCP_SYN,
                                  FS_TCP_SYN | FS_TCP_ACK,
                                  FS_TCP_ACK,
                                  FS_TCP_ACK | FS_TCP_PSH,
                                  FS_TCP_FIN | FS_TCP_ACK,
                                  FS_TCP_RST};
  uint32_t base = k * 7919u + (dir ? 100000u : 0);
  return th_tcp(&c, dir, flags[rnd() % sizeof(flags)], base + rnd() % 3000, base + rnd() % 3000,
                (rnd() % 3 == 0) ? rnd() % 1000 : 0, 1000);
}

static void same_events(const th_rec *a, const th_rec *b) {
  assert_int_equal(a->n, b->n);
  for (size_t i = 0; i < a->n; i++) {
    const th_ev *x = &a->ev[i], *y = &b->ev[i];
    assert_int_equal(x->type, y->type);
    assert_int_equal(x->state, y->state);
    assert_int_equal(x->prev_state, y->prev_state);
    assert_int_equal(x->end_reason, y->end_reason);
    assert_int_equal(x->side, y->side);
    assert_int_equal(x->orientation, y->orientation);
    assert_int_equal(x->flow_id, y->flow_id);
    assert_int_equal(x->has_stats, y->has_stats);
    if (x->has_stats) {
      for (int s = 0; s < 2; s++) {
        assert_int_equal(x->stats.side[s].packets, y->stats.side[s].packets);
        assert_int_equal(x->stats.side[s].ip_bytes, y->stats.side[s].ip_bytes);
        assert_int_equal(x->stats.side[s].payload_bytes, y->stats.side[s].payload_bytes);
        assert_int_equal(x->stats.side[s].first_seen, y->stats.side[s].first_seen);
        assert_int_equal(x->stats.side[s].last_seen, y->stats.side[s].last_seen);
      }
      assert_string_equal(x->stats.history, y->stats.history);
      assert_string_equal(x->stats.conn_state, y->stats.conn_state);
    }
    if (x->type == FS_EV_ANOMALY) {
      assert_int_equal(x->anomaly.kind, y->anomaly.kind);
      assert_int_equal(x->anomaly.count, y->anomaly.count);
    }
  }
}

static void run(uint64_t seed, uint32_t max_flows, uint32_t nkeys, uint32_t npkts) {
  rng = seed;
  th_rec ra = {0}, rb = {0};
  fs_tracker *a = th_tracker(&ra, max_flows), *b = th_tracker(&rb, max_flows);
  assert_non_null(a);
  assert_non_null(b);
  fs_extract_result *ex = calloc(npkts, sizeof(*ex));
  fs_packet_view *pv = calloc(npkts, sizeof(*pv));
  assert_non_null(ex);
  assert_non_null(pv);
  fs_time_ns ts = 1000 * FS_NS_PER_SEC;
  for (uint32_t i = 0; i < npkts; i++) {
    ex[i] = random_packet(nkeys);
    uint32_t r = rnd() % 1000;
    if (r == 0)
      ts += 700 * FS_NS_PER_SEC; /* past every idle timeout */
    else if (r < 5 && ts > FS_NS_PER_SEC)
      ts -= FS_NS_PER_SEC / 2; /* time going backwards */
    else
      ts += rnd() % 50000000u;
    pv[i].struct_size = sizeof(pv[i]);
    pv[i].ts = ts;
  }
  for (uint32_t i = 0; i < npkts; i++)
    assert_int_equal(fs_tracker_track(a, &pv[i], &ex[i], NULL), 0);
  for (uint32_t i = 0; i < npkts;) {
    uint32_t n = 1 + rnd() % 70; /* crosses the batch's internal rounds */
    if (n > npkts - i)
      n = npkts - i;
    assert_int_equal(fs_tracker_track_batch(b, &pv[i], &ex[i], n), 0);
    i += n;
  }
  fs_tracker_flush(a);
  fs_tracker_flush(b);
  same_events(&ra, &rb);
  fs_tracker_counters ca = {.struct_size = sizeof(ca)}, cb = {.struct_size = sizeof(cb)};
  fs_tracker_counters_get(a, &ca);
  fs_tracker_counters_get(b, &cb);
  assert_memory_equal(&ca, &cb, sizeof(ca));
  assert_int_equal(ca.packets, npkts);
  assert_true(ra.n > npkts / 10); /* the comparison covered real work */
  fs_tracker_destroy(a);
  fs_tracker_destroy(b);
  free(ra.ev);
  free(rb.ev);
  free(ex);
  free(pv);
}

static void batch_equals_single_roomy(void **state) {
  (void)state;
  run(0x1234567u, 4096, 2000, 60000);
}

static void batch_equals_single_evicting(void **state) {
  (void)state;
  run(0xabcdefu, 64, 3000, 40000); /* the table is far too small: LRU eviction */
}

static void batch_rejects_bad_arguments(void **state) {
  (void)state;
  th_rec r = {0};
  fs_tracker *t = th_tracker(&r, 16);
  assert_int_equal(fs_tracker_track_batch(NULL, NULL, NULL, 0), FS_E_INVAL);
  assert_int_equal(fs_tracker_track_batch(t, NULL, NULL, 3), FS_E_INVAL);
  assert_int_equal(fs_tracker_track_batch(t, NULL, NULL, 0), 0);
  fs_tracker_destroy(t);
  free(r.ev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(batch_equals_single_roomy),
      cmocka_unit_test(batch_equals_single_evicting),
      cmocka_unit_test(batch_rejects_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
