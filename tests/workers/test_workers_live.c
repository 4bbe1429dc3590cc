/* SPDX-License-Identifier: MIT */
/* Kernel sharding: two workers read one veth interface through an AF_PACKET
 * PACKET_FANOUT_HASH group. A child process creates its own network
 * namespace with a veth pair (both removed when it exits), sends a bounded
 * generated capture into one end and checks that the workers' records on
 * the other end are exactly those of one driver over the sent frames (so no
 * flow was split between workers) and that both workers received packets.
 * Skipped, with a message, where namespaces or capture are not permitted. */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/if_packet.h>
#endif

#include <cmocka.h>

#include "flowscope/workers.h"
#include "fs_gen.h"
#include "workers_records.h"

#define SKIP_CODE 77
#define N_FRAMES 1500

#if defined(__linux__)
static int write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  int rc = fputs(text, f) < 0 ? -1 : 0;
  return fclose(f) != 0 ? -1 : rc;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* The generated traffic: IPv4/IPv6 TCP, DNS and UDP, no fragments (the
 * kernel's defragmenting fanout would hand over reassembled datagrams). */
static void gen_config(fs_gen_config *cfg) {
  fs_gen_preset(cfg, "tiny");
  cfg->packets = N_FRAMES;
  cfg->flows = 80;
  cfg->frag_percent = 0;
  cfg->seed = 11;
}

static int child(void) {
  if (unshare(CLONE_NEWNET) != 0) {
    fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
    return SKIP_CODE;
  }
  /* No IPv6 autoconfiguration chatter on the new links. */
  write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
  write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
  if (system("ip link add fsw0 type veth peer name fsw1 >/dev/null 2>&1 && "
             "ip link set fsw0 up && ip link set fsw1 up") != 0) {
    fprintf(stderr, "cannot create a veth pair with ip(8)\n");
    return SKIP_CODE;
  }
  rec_set got = {0}, want = {0};
  got.no_times = want.no_times = 1;
  fs_workers_config wc;
  fs_workers_config_default(&wc);
  wc.n_workers = 2;
  wc.driver.tracker.max_flows = 4096;
  wc.driver.sink.ops = &rec_sink_ops;
  wc.driver.sink.self = &got;
  fs_workers *w = NULL;
  char err[FS_ERRBUF_SIZE] = "";
  if (fs_workers_create(&w, &wc, err) != 0) {
    fprintf(stderr, "fs_workers_create: %s\n", err);
    return 1;
  }
  fs_source_config sc;
  fs_source_config_default(&sc);
  /* Frames are at most 1514 bytes: a small snap length packs many per ring
   * block, and a large ring rides out a worker that gets no CPU for a while
   * (the test shares 2 cores with the rest of the suite). */
  sc.snaplen = 4096;
  sc.buffer_size = 32u << 20;
  sc.timeout_ms = 50;
  int rc = fs_workers_start_live(w, "fsw1", &sc, err);
  if (rc == FS_E_PERM) {
    fprintf(stderr, "live capture not permitted: %s\n", err);
    fs_workers_destroy(w);
    return SKIP_CODE;
  }
  if (rc != 0) {
    fprintf(stderr, "fs_workers_start_live: %s\n", err);
    fs_workers_destroy(w);
    return 1;
  }
  int s = socket(AF_PACKET, SOCK_RAW, 0);
  if (s < 0) {
    fprintf(stderr, "AF_PACKET socket: %s\n", strerror(errno));
    fs_workers_destroy(w);
    return SKIP_CODE;
  }
  struct sockaddr_ll to;
  memset(&to, 0, sizeof to);
  to.sll_family = AF_PACKET;
  to.sll_ifindex = (int)if_nametoindex("fsw0");
  to.sll_halen = 6;
  /* One driver over exactly the frames sent: the expected records. */
  fs_driver_config dc = wc.driver;
  dc.sink.self = &want;
  fs_driver *d = NULL;
  if (fs_driver_create(&d, &dc, err) != 0) {
    fprintf(stderr, "fs_driver_create: %s\n", err);
    return 1;
  }
  fs_gen_config gc;
  gen_config(&gc);
  fs_gen *g = NULL;
  fs_gen_create(&g, &gc);
  fs_packet_view p;
  uint64_t sent = 0;
  while (fs_gen_next(g, &p) == 1) {
    memcpy(to.sll_addr, p.data, 6);
    if (sendto(s, p.data, p.caplen, 0, (struct sockaddr *)&to, sizeof to) != (ssize_t)p.caplen) {
      fprintf(stderr, "sendto: %s\n", strerror(errno));
      return 1;
    }
    fs_driver_feed(d, &p);
    if (++sent % 25 == 0) { /* bounded pace: well within the socket buffers */
      sleep_ms(2);
      fs_workers_poll(w);
    }
  }
  fs_gen_destroy(g);
  close(s);
  fs_driver_finish(d);
  fs_driver_destroy(d);
  /* Let the workers read everything, then stop them. */
  uint64_t seen = 0;
  for (int i = 0; i < 200 && seen < sent; i++) {
    sleep_ms(10);
    fs_workers_poll(w);
    seen = 0;
    for (uint32_t k = 0; k < 2; k++) {
      fs_worker_stats st;
      fs_workers_stats(w, k, &st);
      seen += st.live_packets;
    }
  }
  fs_workers_finish(w);
  uint64_t per[2] = {0, 0}, drops = 0;
  for (uint32_t k = 0; k < 2; k++) {
    fs_worker_stats st;
    fs_workers_stats(w, k, &st);
    per[k] = st.live_packets;
    drops += st.live_kernel_dropped;
  }
  fs_workers_destroy(w);
  int ok = 1;
  if (per[0] + per[1] != sent || drops != 0) {
    fprintf(stderr, "captured %llu + %llu of %llu frames, %llu kernel drops\n",
            (unsigned long long)per[0], (unsigned long long)per[1], (unsigned long long)sent,
            (unsigned long long)drops);
    ok = 0;
  }
  if (per[0] == 0 || per[1] == 0) {
    fprintf(stderr, "one worker got nothing: %llu / %llu\n", (unsigned long long)per[0],
            (unsigned long long)per[1]);
    ok = 0;
  }
  rec_sort(&got);
  rec_sort(&want);
  long diff = rec_diff(&want, &got);
  if (diff >= 0) {
    fprintf(stderr, "records differ at %ld of %zu/%zu: want %s %s, got %s %s\n", diff, want.n,
            got.n, (size_t)diff < want.n ? want.v[diff].key : "-",
            (size_t)diff < want.n ? want.v[diff].text : "(none)",
            (size_t)diff < got.n ? got.v[diff].key : "-",
            (size_t)diff < got.n ? got.v[diff].text : "(none)");
    ok = 0;
  }
  if (want.n < 100 || got.workers_seen != 3) {
    fprintf(stderr, "too few records (%zu) or not from both workers (mask %u)\n", want.n,
            got.workers_seen);
    ok = 0;
  }
  fprintf(stderr, "live fanout: %llu frames, worker 0: %llu, worker 1: %llu, %zu records\n",
          (unsigned long long)sent, (unsigned long long)per[0], (unsigned long long)per[1], want.n);
  rec_free(&got);
  rec_free(&want);
  return ok ? 0 : 1;
}
#endif

static void test_live_fanout_veth(void **state) {
  (void)state;
#if defined(__linux__)
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0)
    _exit(child()); /* the namespace and its veth pair go away with the child */
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  if (WEXITSTATUS(status) == SKIP_CODE) {
    print_message("network namespaces or packet capture not permitted here: skipped\n");
    skip();
  }
  assert_int_equal(WEXITSTATUS(status), 0);
#else
  print_message("AF_PACKET fanout is Linux-only: skipped\n");
  skip();
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_live_fanout_veth)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
