/* SPDX-License-Identifier: MIT */
/* The capture generator checked by an independent parser written here from
 * the RFCs (Ethernet, IPv4 RFC 791, IPv6 RFC 8200, TCP RFC 9293, UDP RFC 768,
 * Internet checksum RFC 1071, HTTP/1.1 RFC 9112 framing, TLS RFC 8446 record
 * and handshake lengths, DNS RFC 1035 header): every frame must be
 * well-formed, TCP sequence/ack numbers continuous, HTTP messages framed by
 * their Content-Length, and the output a pure function of the config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include "fs_gen.h"

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p) { return be16(p) << 16 | be16(p + 2); }

/* RFC 1071: the ones-complement sum of a correct header/segment is 0xffff. */
static uint32_t csum_add(uint32_t acc, const uint8_t *p, size_t n) {
  for (size_t i = 0; i + 1 < n; i += 2)
    acc += be16(p + i);
  if (n & 1)
    acc += (uint32_t)p[n - 1] << 8;
  return acc;
}
static uint32_t csum_fold(uint32_t acc) {
  while (acc >> 16)
    acc = (acc & 0xffff) + (acc >> 16);
  return acc;
}

/* One direction of a TCP connection, and its reassembled bytes. */
typedef struct dir_state {
  uint8_t key[37]; /* src addr(16) dst addr(16) sport dport v6 */
  int used;
  int started; /* a first segment (normally the SYN) was seen */
  int closed;  /* FIN or RST seen in either direction: the stream is whole */
  uint32_t next_seq;
  uint8_t *stream;
  size_t len, cap;
} dir_state;

#define MAX_DIRS 1024
static dir_state g_dirs[MAX_DIRS];

static dir_state *lookup(const uint8_t *src, const uint8_t *dst, int alen, uint32_t sp,
                         uint32_t dp) {
  uint8_t k[37] = {0};
  memcpy(k, src, (size_t)alen);
  memcpy(k + 16, dst, (size_t)alen);
  k[32] = (uint8_t)(sp >> 8);
  k[33] = (uint8_t)sp;
  k[34] = (uint8_t)(dp >> 8);
  k[35] = (uint8_t)dp;
  k[36] = (uint8_t)alen;
  for (int i = 0; i < MAX_DIRS; i++) {
    if (g_dirs[i].used && memcmp(g_dirs[i].key, k, sizeof k) == 0)
      return &g_dirs[i];
    if (!g_dirs[i].used) {
      g_dirs[i].used = 1;
      memcpy(g_dirs[i].key, k, sizeof k);
      return &g_dirs[i];
    }
  }
  fail_msg("more than %d TCP directions", MAX_DIRS);
  return NULL;
}

static void append(dir_state *d, const uint8_t *p, size_t n) {
  if (n == 0)
    return;
  if (d->len + n > d->cap) {
    d->cap = (d->len + n) * 2 + 4096;
    d->stream = realloc(d->stream, d->cap);
    assert_non_null(d->stream);
  }
  memcpy(d->stream + d->len, p, n);
  d->len += n;
}

static void reset_dirs(void) {
  for (int i = 0; i < MAX_DIRS; i++)
    free(g_dirs[i].stream);
  memset(g_dirs, 0, sizeof g_dirs);
}

typedef struct counts {
  unsigned tcp, udp, frags, v6, syn, fin, rst, tls_ch, dns_q, dns_r;
} counts;

/* Reassembles IPv4 fragments of one datagram at a time (the generator sends
 * them in order, possibly interleaved with other flows' frames). */
typedef struct frag_buf {
  uint8_t src[4], dst[4];
  uint32_t id, have;
  int used;
  uint8_t data[65536];
} frag_buf;
static frag_buf g_frags[8];

static void check_udp(const uint8_t *src, const uint8_t *dst, int alen, const uint8_t *u,
                      uint32_t len, counts *c) {
  assert_true(len >= 8);
  assert_int_equal(be16(u + 4), len); /* UDP length covers header + payload */
  if (be16(u + 6) != 0) {
    uint32_t acc = csum_add(0, src, (size_t)alen);
    acc = csum_add(acc, dst, (size_t)alen);
    acc += 17 + len;
    assert_int_equal(csum_fold(csum_add(acc, u, len)), 0xffff);
  }
  uint32_t sp = be16(u), dp = be16(u + 2);
  if (dp == 53 || sp == 53) {
    assert_true(len >= 8 + 12);
    const uint8_t *d = u + 8;
    assert_int_equal(be16(d + 4), 1); /* QDCOUNT */
    if (dp == 53) {
      assert_int_equal(d[2] & 0x80, 0); /* QR = query */
      c->dns_q++;
    } else {
      assert_int_equal(d[2] & 0x80, 0x80);
      c->dns_r++;
    }
  }
  c->udp++;
}

static void check_tcp(const uint8_t *src, const uint8_t *dst, int alen, const uint8_t *t,
                      uint32_t len, counts *c) {
  assert_true(len >= 20);
  uint32_t hl = (uint32_t)(t[12] >> 4) * 4;
  assert_true(hl >= 20 && hl <= len);
  uint32_t acc = csum_add(0, src, (size_t)alen);
  acc = csum_add(acc, dst, (size_t)alen);
  acc += 6 + len;
  assert_int_equal(csum_fold(csum_add(acc, t, len)), 0xffff);
  uint32_t sp = be16(t), dp = be16(t + 2), seq = be32(t + 4), ack = be32(t + 8);
  uint8_t fl = t[13];
  uint32_t plen = len - hl;
  dir_state *d = lookup(src, dst, alen, sp, dp);
  dir_state *back = lookup(dst, src, alen, dp, sp);
  if (fl & 0x02)
    c->syn++;
  if ((fl & 0x02) || !d->started) { /* SYN (or a refusal's RST) starts a direction */
    assert_true((fl & 0x02) || (fl & 0x04));
    d->next_seq = seq;
    d->started = 1;
  } else {
    assert_int_equal(seq, d->next_seq);
  }
  if (fl & 0x10) /* ACK acknowledges everything the peer sent so far */
    assert_int_equal(ack, back->next_seq);
  if (fl & 0x01)
    c->fin++;
  if (fl & 0x04)
    c->rst++;
  if (fl & 0x05)
    d->closed = back->closed = 1;
  d->next_seq = seq + plen + ((fl & 0x03) ? 1u : 0u);
  append(d, t + hl, plen);
  if (dp == 443 && plen > 9 && t[hl] == 22 && t[hl + 5] == 1) {
    /* A ClientHello fills its segment: record length + 5 = payload,
     * handshake length + 4 = record length. */
    const uint8_t *r = t + hl;
    assert_int_equal(be16(r + 3) + 5, plen);
    assert_int_equal(((uint32_t)r[6] << 16 | be16(r + 7)) + 4, be16(r + 3));
    c->tls_ch++;
  }
  c->tcp++;
}

static void check_frame(const fs_packet_view *p, counts *c) {
  assert_int_equal(p->link_type, 1);
  assert_true(p->caplen >= 14 && p->caplen == p->wirelen && p->caplen <= 1514);
  const uint8_t *e = p->data;
  uint32_t type = be16(e + 12);
  const uint8_t *ip = e + 14;
  uint32_t iplen = p->caplen - 14;
  if (type == 0x0800) {
    assert_int_equal(ip[0], 0x45);
    assert_int_equal(be16(ip + 2), iplen); /* total length = what follows Ethernet */
    assert_int_equal(csum_fold(csum_add(0, ip, 20)), 0xffff);
    uint32_t ff = be16(ip + 6), off = (ff & 0x1fff) * 8;
    int more = (ff & 0x2000) != 0;
    if (more || off) {
      c->frags++;
      frag_buf *fb = NULL;
      for (int i = 0; i < 8 && !fb; i++)
        if (g_frags[i].used && g_frags[i].id == be16(ip + 4) &&
            memcmp(g_frags[i].src, ip + 12, 4) == 0)
          fb = &g_frags[i];
      if (!fb) {
        assert_int_equal(off, 0); /* in order: a new datagram starts at 0 */
        for (int i = 0; i < 8 && !fb; i++)
          if (!g_frags[i].used)
            fb = &g_frags[i];
        assert_non_null(fb);
        memset(fb, 0, offsetof(frag_buf, data));
        fb->used = 1;
        fb->id = be16(ip + 4);
        memcpy(fb->src, ip + 12, 4);
        memcpy(fb->dst, ip + 16, 4);
      }
      assert_int_equal(off, fb->have);
      assert_true(off + iplen - 20 <= sizeof fb->data);
      memcpy(fb->data + off, ip + 20, iplen - 20);
      fb->have += iplen - 20;
      if (!more) {
        check_udp(fb->src, fb->dst, 4, fb->data, fb->have, c);
        fb->used = 0;
      }
      return;
    }
    if (ip[9] == 6)
      check_tcp(ip + 12, ip + 16, 4, ip + 20, iplen - 20, c);
    else if (ip[9] == 17)
      check_udp(ip + 12, ip + 16, 4, ip + 20, iplen - 20, c);
    else
      fail_msg("unexpected IPv4 protocol %u", ip[9]);
  } else if (type == 0x86dd) {
    assert_int_equal(ip[0] >> 4, 6);
    assert_int_equal(be16(ip + 4) + 40, iplen); /* payload length */
    c->v6++;
    if (ip[6] == 6)
      check_tcp(ip + 8, ip + 24, 16, ip + 40, iplen - 40, c);
    else if (ip[6] == 17)
      check_udp(ip + 8, ip + 24, 16, ip + 40, iplen - 40, c);
    else
      fail_msg("unexpected IPv6 next header %u", ip[6]);
  } else {
    fail_msg("unexpected ethertype 0x%04x", type);
  }
}

/* Every HTTP stream is a sequence of whole messages: start line, headers,
 * then exactly Content-Length body bytes (RFC 9112 section 6.3). A stream
 * cut by the end of the capture (@p whole = 0) may end inside a message. */
static void check_http_stream(const uint8_t *s, size_t n, int response, int whole,
                              unsigned *messages) {
  size_t pos = 0;
  while (pos < n) {
    if (!whole && n - pos < 16)
      return;
    if (response)
      assert_memory_equal(s + pos, "HTTP/1.1 ", 9);
    else
      assert_true(memcmp(s + pos, "GET ", 4) == 0 || memcmp(s + pos, "POST ", 5) == 0);
    const uint8_t *end = memmem(s + pos, n - pos, "\r\n\r\n", 4);
    if (!end && !whole)
      return;
    assert_non_null(end);
    size_t hdr_end = (size_t)(end - s) + 4;
    long body = 0;
    const uint8_t *cl = memmem(s + pos, hdr_end - pos, "Content-Length: ", 16);
    if (cl)
      body = strtol((const char *)cl + 16, NULL, 10);
    assert_true(body >= 0);
    if (!whole && hdr_end + (size_t)body > n)
      return;
    assert_true(hdr_end + (size_t)body <= n);
    pos = hdr_end + (size_t)body;
    (*messages)++;
  }
}

static void run_and_check(const fs_gen_config *cfg, counts *c, fs_gen_stats *st) {
  reset_dirs();
  memset(g_frags, 0, sizeof g_frags);
  memset(c, 0, sizeof *c);
  fs_gen *g = NULL;
  assert_int_equal(fs_gen_create(&g, cfg), 0);
  fs_packet_view p;
  uint64_t n = 0;
  fs_time_ns last = 0;
  while (fs_gen_next(g, &p) == 1) {
    assert_true(p.ts > last); /* strictly increasing time */
    last = p.ts;
    check_frame(&p, c);
    n++;
  }
  assert_int_equal(n, cfg->packets);
  assert_int_equal(fs_gen_next(g, &p), 0);
  fs_gen_stats_get(g, st);
  fs_gen_destroy(g);
}

static void test_tiny_is_well_formed(void **state) {
  (void)state;
  fs_gen_config cfg;
  assert_int_equal(fs_gen_preset(&cfg, "tiny"), 0);
  counts c;
  fs_gen_stats st;
  run_and_check(&cfg, &c, &st);
  assert_int_equal(st.packets, 2000);
  assert_int_equal(st.fragments, c.frags);
  /* The mix is there: TCP, UDP, fragments, IPv6, teardowns, TLS, DNS. */
  assert_true(c.tcp > 0 && c.udp > 0 && c.frags > 0 && c.v6 > 0);
  assert_true(c.syn > 0 && c.fin > 0 && c.rst > 0 && c.tls_ch > 0);
  assert_true(c.dns_q > 0 && c.dns_r > 0 && c.dns_r <= c.dns_q);
  for (int k = 0; k < FS_GEN_KIND_COUNT; k++)
    assert_true(st.flows_by_kind[k] > 0);

  /* HTTP framing over each complete port-80 stream. */
  unsigned reqs = 0, resps = 0;
  for (int i = 0; i < MAX_DIRS; i++) {
    dir_state *d = &g_dirs[i];
    if (!d->used || d->len == 0)
      continue;
    uint32_t sp = be16(d->key + 32), dp = be16(d->key + 34);
    if (dp == 80)
      check_http_stream(d->stream, d->len, 0, d->closed, &reqs);
    else if (sp == 80)
      check_http_stream(d->stream, d->len, 1, d->closed, &resps);
  }
  assert_true(reqs > 0 && resps > 0);
  reset_dirs();
}

static uint64_t digest(const fs_gen_config *cfg) {
  fs_gen *g = NULL;
  assert_int_equal(fs_gen_create(&g, cfg), 0);
  fs_packet_view p;
  uint64_t h = 1469598103934665603ull; /* FNV-1a over every frame and time */
  while (fs_gen_next(g, &p) == 1) {
    for (uint32_t i = 0; i < p.caplen; i++)
      h = (h ^ p.data[i]) * 1099511628211ull;
    h = (h ^ p.ts) * 1099511628211ull;
  }
  fs_gen_destroy(g);
  return h;
}

static void test_deterministic_and_seeded(void **state) {
  (void)state;
  fs_gen_config cfg;
  fs_gen_preset(&cfg, "tiny");
  uint64_t a = digest(&cfg), b = digest(&cfg);
  assert_int_equal(a, b);
  cfg.seed = 2;
  assert_int_not_equal(digest(&cfg), a);
}

static void test_presets_and_bad_config(void **state) {
  (void)state;
  fs_gen_config cfg;
  assert_int_equal(fs_gen_preset(&cfg, "small"), 0);
  assert_int_equal(cfg.packets, 100000);
  assert_int_equal(fs_gen_preset(&cfg, "large"), 0);
  assert_int_equal(cfg.packets, 5000000);
  assert_int_equal(cfg.flows, 100000);
  assert_int_equal(fs_gen_preset(&cfg, "manyflows"), 0);
  assert_int_equal(cfg.packets, 2000000);
  assert_int_equal(cfg.flows, 1000000);
  assert_int_equal(fs_gen_preset(&cfg, "nope"), FS_E_INVAL);
  fs_gen *g = NULL;
  fs_gen_config_default(&cfg);
  memset(cfg.weights, 0, sizeof cfg.weights);
  assert_int_equal(fs_gen_create(&g, &cfg), FS_E_INVAL);
  fs_gen_config_default(&cfg);
  cfg.packets = 0;
  assert_int_equal(fs_gen_create(&g, &cfg), FS_E_INVAL);
  assert_null(g);
}

static uint64_t flows_started(const fs_gen_config *cfg) {
  fs_gen *g = NULL;
  assert_int_equal(fs_gen_create(&g, cfg), 0);
  fs_packet_view p;
  while (fs_gen_next(g, &p) == 1)
    ;
  fs_gen_stats st;
  fs_gen_stats_get(g, &st);
  fs_gen_destroy(g);
  return st.flows;
}

/* A flows target sizes the sessions: many flows in few packets, or few
 * long ones; within 15% of the target. */
static void test_flow_target(void **state) {
  (void)state;
  fs_gen_config cfg;
  fs_gen_preset(&cfg, "manyflows");
  cfg.packets = 40000;
  cfg.flows = 20000;
  cfg.concurrency = 0; /* derived: 800, so few flows are cut by the end */
  uint64_t n = flows_started(&cfg);
  assert_true(n > 17000 && n < 23000);
  fs_gen_preset(&cfg, "small");
  cfg.packets = 50000;
  cfg.flows = 1000;
  n = flows_started(&cfg);
  assert_true(n > 850 && n < 1150);
}

/* The file holds exactly the frames and times of the in-memory generator
 * (read back with libpcap itself, not with flowscope's source). */
static void test_write_file_round_trip(void **state) {
  (void)state;
  fs_gen_config cfg;
  fs_gen_preset(&cfg, "tiny");
  char path[] = "/tmp/fsgen-test-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  char err[FS_ERRBUF_SIZE];
  fs_gen_stats st;
  assert_int_equal(fs_gen_write_file(&cfg, path, &st, err), 0);
  assert_int_equal(st.packets, cfg.packets);
  char perr[PCAP_ERRBUF_SIZE];
  pcap_t *pc = pcap_open_offline(path, perr);
  assert_non_null(pc);
  assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
  fs_gen *g = NULL;
  assert_int_equal(fs_gen_create(&g, &cfg), 0);
  struct pcap_pkthdr *h;
  const u_char *data;
  fs_packet_view p;
  uint64_t n = 0;
  while (pcap_next_ex(pc, &h, &data) == 1) {
    assert_int_equal(fs_gen_next(g, &p), 1);
    assert_int_equal(h->caplen, p.caplen);
    assert_int_equal(h->len, p.wirelen);
    assert_int_equal((uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec * 1000ull,
                     p.ts);
    assert_memory_equal(data, p.data, p.caplen);
    n++;
  }
  assert_int_equal(n, cfg.packets);
  pcap_close(pc);
  fs_gen_destroy(g);
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tiny_is_well_formed),
      cmocka_unit_test(test_deterministic_and_seeded),
      cmocka_unit_test(test_presets_and_bad_config),
      cmocka_unit_test(test_flow_target),
      cmocka_unit_test(test_write_file_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
