/* SPDX-License-Identifier: MIT */
/* libpcap source and pcap writer: round trip (µs and ns magic), standard
 * input, BPF filters, pcapng, and every error path (missing file, not a
 * capture, truncated last record, bad filter). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "flowscope/flowscope.h"

/* A minimal Ethernet + IPv4 + UDP frame (42 bytes) with the given last byte
 * of the destination port so frames are distinguishable. */
static void make_udp_frame(uint8_t *f, uint8_t proto, uint8_t tag) {
  static const uint8_t tmpl[42] = {
      0x00, 0x11, 0x22, 0x33, 0x44, 0x55, /* dst MAC */
      0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, /* src MAC */
      0x08, 0x00,                         /* ethertype IPv4 */
      0x45, 0x00, 0x00, 0x1c,             /* v4, IHL 5, TOS, total length 28 */
      0x00, 0x01, 0x00, 0x00,             /* id 1, no fragmentation */
      0x40, 0x11, 0x00, 0x00,             /* TTL 64, proto UDP, checksum (unchecked) */
      10,   0,    0,    1,                /* src 10.0.0.1 */
      10,   0,    0,    2,                /* dst 10.0.0.2 */
      0x04, 0xd2, 0x00, 0x35,             /* sport 1234, dport 53 */
      0x00, 0x08, 0x00, 0x00              /* UDP length 8, checksum 0 */
  };
  memcpy(f, tmpl, sizeof tmpl);
  f[23] = proto;
  f[37] = tag;
}

static char *tmp_path(const char *suffix) {
  static char buf[8][256];
  static int i;
  char *p = buf[i++ % 8];
  snprintf(p, 256, "/tmp/fs_test_source_%d_%s", (int)getpid(), suffix);
  return p;
}

/* Writes n frames with timestamps base + k * 1001 ns. */
static void write_file(const char *path, int nanosecond, int n, fs_time_ns base) {
  fs_pcap_writer *w = NULL;
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_pcap_writer_open(&w, path, 1, 65535, nanosecond, err), 0);
  for (int k = 0; k < n; k++) {
    uint8_t f[42];
    make_udp_frame(f, 17, (uint8_t)k);
    fs_packet_view v = {.struct_size = sizeof v,
                        .link_type = 1,
                        .data = f,
                        .caplen = 42,
                        .wirelen = 60,
                        .ts = base + (fs_time_ns)k * 1001};
    assert_int_equal(fs_pcap_writer_write(w, &v), 0);
  }
  assert_int_equal(fs_pcap_writer_close(w), 0);
}

static void read_back(const char *path, int nanosecond, int n, fs_time_ns base) {
  fs_source *s = NULL;
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_source_open_file(&s, path, NULL, err), 0);
  assert_int_equal(fs_source_link_type(s), 1);
  fs_packet_view v;
  for (int k = 0; k < n; k++) {
    assert_int_equal(fs_source_next(s, &v), 1);
    assert_int_equal(v.caplen, 42);
    assert_int_equal(v.wirelen, 60);
    assert_int_equal(v.link_type, 1);
    assert_int_equal(v.data[37], k);
    fs_time_ns want = base + (fs_time_ns)k * 1001;
    if (!nanosecond)
      want -= want % 1000; /* the microsecond format truncates */
    assert_int_equal(v.ts, want);
  }
  assert_int_equal(fs_source_next(s, &v), FS_E_EOF);
  assert_int_equal(fs_source_next(s, &v), FS_E_EOF); /* sticky */
  fs_source_stats st = {.struct_size = sizeof st};
  assert_int_equal(fs_source_get_stats(s, &st), 0);
  assert_int_equal(st.packets, (uint64_t)n);
  assert_int_equal(st.bytes, (uint64_t)n * 42);
  assert_int_equal(st.file_size, 24 + (uint64_t)n * (16 + 42));
  fs_source_close(s);
}

static void test_roundtrip_ns(void **state) {
  (void)state;
  const char *p = tmp_path("ns.pcap");
  fs_time_ns base = 1700000000ull * FS_NS_PER_SEC + 123456789ull;
  write_file(p, 1, 5, base);
  read_back(p, 1, 5, base);
  unlink(p);
}

static void test_roundtrip_us(void **state) {
  (void)state;
  const char *p = tmp_path("us.pcap");
  fs_time_ns base = 1700000000ull * FS_NS_PER_SEC + 123456789ull;
  write_file(p, 0, 3, base);
  read_back(p, 0, 3, base);
  unlink(p);
}

/* The file header bytes are the classic format, little-endian. */
static void test_writer_header_bytes(void **state) {
  (void)state;
  const char *p = tmp_path("hdr.pcap");
  fs_pcap_writer *w = NULL;
  char err[FS_ERRBUF_SIZE];
  /* DLT_RAW (12) is written as LINKTYPE_RAW (101). */
  assert_int_equal(fs_pcap_writer_open(&w, p, 12, 1500, 1, err), 0);
  assert_int_equal(fs_pcap_writer_close(w), 0);
  FILE *f = fopen(p, "rb");
  assert_non_null(f);
  uint8_t h[24];
  assert_int_equal(fread(h, 1, 24, f), 24);
  fclose(f);
  static const uint8_t want[24] = {
      0x4d, 0x3c, 0xb2, 0xa1,             /* nanosecond magic, little-endian */
      0x02, 0x00, 0x04, 0x00,             /* version 2.4 */
      0,    0,    0,    0,    0, 0, 0, 0, /* thiszone, sigfigs */
      0xdc, 0x05, 0x00, 0x00,             /* snaplen 1500 */
      0x65, 0x00, 0x00, 0x00              /* LINKTYPE_RAW 101 */
  };
  assert_memory_equal(h, want, 24);
  unlink(p);
}

static void test_truncated_last_record(void **state) {
  (void)state;
  const char *p = tmp_path("trunc.pcap");
  write_file(p, 1, 4, 1000);
  /* Cut the last record in the middle of its data. */
  assert_int_equal(truncate(p, 24 + 3 * (16 + 42) + 16 + 10), 0);
  fs_source *s = NULL;
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_source_open_file(&s, p, NULL, err), 0);
  fs_packet_view v;
  for (int k = 0; k < 3; k++)
    assert_int_equal(fs_source_next(s, &v), 1);
  assert_int_equal(fs_source_next(s, &v), FS_E_TRUNCATED);
  assert_non_null(strstr(fs_source_error(s), p));
  assert_non_null(strstr(fs_source_error(s), "truncated"));
  fs_source_close(s);
  /* A record header cut short is reported the same way. */
  write_file(p, 1, 2, 1000);
  assert_int_equal(truncate(p, 24 + (16 + 42) + 7), 0);
  assert_int_equal(fs_source_open_file(&s, p, NULL, err), 0);
  assert_int_equal(fs_source_next(s, &v), 1);
  assert_int_equal(fs_source_next(s, &v), FS_E_TRUNCATED);
  fs_source_close(s);
  unlink(p);
}

static void test_errors(void **state) {
  (void)state;
  fs_source *s = NULL;
  char err[FS_ERRBUF_SIZE];
  const char *missing = "/nonexistent-dir/none.pcap";
  assert_int_equal(fs_source_open_file(&s, missing, NULL, err), FS_E_NOTFOUND);
  assert_null(s);
  assert_non_null(strstr(err, missing));
  /* Not a capture: a text file. */
  const char *p = tmp_path("text.pcap");
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs("this is not a capture file at all, just some text\n", f);
  fclose(f);
  assert_int_equal(fs_source_open_file(&s, p, NULL, err), FS_E_FORMAT);
  assert_non_null(strstr(err, p));
  /* A directory. */
  assert_int_equal(fs_source_open_file(&s, "/tmp", NULL, err), FS_E_FORMAT);
  unlink(p);
  /* A filter that does not compile carries libpcap's message. */
  p = tmp_path("filt.pcap");
  write_file(p, 1, 1, 0);
  fs_source_config c;
  fs_source_config_default(&c);
  c.filter = "tcp port";
  assert_int_equal(fs_source_open_file(&s, p, &c, err), FS_E_FILTER);
  assert_null(s);
  assert_non_null(strstr(err, "tcp port"));
  assert_non_null(strstr(err, "syntax error"));
  unlink(p);
  /* A live interface that does not exist. */
  assert_true(fs_source_open_live(&s, "fs-no-such-if0", NULL, err) < 0);
  assert_null(s);
  assert_non_null(strstr(err, "fs-no-such-if0"));
}

static void test_filter(void **state) {
  (void)state;
  const char *p = tmp_path("mixed.pcap");
  fs_pcap_writer *w = NULL;
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_pcap_writer_open(&w, p, 1, 65535, 1, err), 0);
  for (int k = 0; k < 6; k++) {
    uint8_t f[42];
    /* Even frames say UDP (17), odd ones a made-up protocol 253. */
    make_udp_frame(f, (k % 2) ? 253 : 17, (uint8_t)k);
    fs_packet_view v = {
        .struct_size = sizeof v, .data = f, .caplen = 42, .wirelen = 42, .ts = (fs_time_ns)k};
    assert_int_equal(fs_pcap_writer_write(w, &v), 0);
  }
  assert_int_equal(fs_pcap_writer_close(w), 0);
  fs_source_config c;
  fs_source_config_default(&c);
  c.filter = "ip proto 253";
  fs_source *s = NULL;
  assert_int_equal(fs_source_open_file(&s, p, &c, err), 0);
  fs_packet_view v;
  int n = 0;
  while (fs_source_next(s, &v) == 1) {
    assert_int_equal(v.data[37] % 2, 1);
    n++;
  }
  assert_int_equal(n, 3);
  fs_source_close(s);
  unlink(p);
}

static void test_stdin(void **state) {
  (void)state;
  const char *p = tmp_path("stdin.pcap");
  write_file(p, 1, 2, 5000);
  assert_non_null(freopen(p, "rb", stdin));
  fs_source *s = NULL;
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_source_open_file(&s, "-", NULL, err), 0);
  fs_packet_view v;
  assert_int_equal(fs_source_next(s, &v), 1);
  assert_int_equal(v.ts, 5000);
  assert_int_equal(fs_source_next(s, &v), 1);
  assert_int_equal(v.ts, 6001);
  assert_int_equal(fs_source_next(s, &v), FS_E_EOF);
  fs_source_close(s);
  unlink(p);
}

static void le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* A hand-built pcapng: section header, one Ethernet interface with
 * if_tsresol = 9 (nanoseconds), and one enhanced packet block. */
static void test_pcapng(void **state) {
  (void)state;
  uint8_t b[256];
  size_t n = 0;
  /* SHB: type, length 28, byte-order magic, version 1.0, section length -1 */
  le32(b + n, 0x0a0d0d0a), le32(b + n + 4, 28), le32(b + n + 8, 0x1a2b3c4d);
  b[n + 12] = 1, b[n + 13] = 0, b[n + 14] = 0, b[n + 15] = 0;
  le32(b + n + 16, 0xffffffff), le32(b + n + 20, 0xffffffff), le32(b + n + 24, 28);
  n += 28;
  /* IDB: type 1, length 32, linktype 1, reserved, snaplen 65535,
   * option if_tsresol (code 9, length 1, value 9, padded), opt_endofopt */
  le32(b + n, 1), le32(b + n + 4, 32);
  b[n + 8] = 1, b[n + 9] = 0, b[n + 10] = 0, b[n + 11] = 0;
  le32(b + n + 12, 65535);
  b[n + 16] = 9, b[n + 17] = 0, b[n + 18] = 1, b[n + 19] = 0;
  b[n + 20] = 9, b[n + 21] = 0, b[n + 22] = 0, b[n + 23] = 0;
  le32(b + n + 24, 0), le32(b + n + 28, 32);
  n += 32;
  /* EPB: type 6, length 32 + 44 (42 bytes data padded to 44), interface 0,
   * timestamp high/low in ns units, captured 42, original 60 */
  uint64_t ts = 1700000000123456789ull;
  le32(b + n, 6), le32(b + n + 4, 76), le32(b + n + 8, 0);
  le32(b + n + 12, (uint32_t)(ts >> 32)), le32(b + n + 16, (uint32_t)ts);
  le32(b + n + 20, 42), le32(b + n + 24, 60);
  make_udp_frame(b + n + 28, 17, 7);
  b[n + 70] = 0, b[n + 71] = 0;
  le32(b + n + 72, 76);
  n += 76;
  const char *p = tmp_path("ng.pcapng");
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(b, 1, n, f), n);
  fclose(f);
  fs_source *s = NULL;
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_source_open_file(&s, p, NULL, err), 0);
  fs_packet_view v;
  assert_int_equal(fs_source_next(s, &v), 1);
  assert_int_equal(v.ts, ts);
  assert_int_equal(v.caplen, 42);
  assert_int_equal(v.wirelen, 60);
  assert_int_equal(v.data[37], 7);
  assert_int_equal(fs_source_next(s, &v), FS_E_EOF);
  fs_source_close(s);
  unlink(p);
}

/* Live capture on the loopback interface: options applied, a read timeout
 * returns 0 so the caller can tick, kernel statistics are reported, and a
 * break ends the loop. Skipped without capture permission. */
static void test_live_loopback(void **state) {
  (void)state;
  fs_source_config c;
  fs_source_config_default(&c);
  c.timeout_ms = 20;
  c.snaplen = 128;
  c.buffer_size = 1 << 20;
  c.filter = "udp port 9 and host 127.0.0.1";
  fs_source *s = NULL;
  char err[FS_ERRBUF_SIZE];
  int rc = fs_source_open_live(&s, "lo", &c, err);
  if (rc == FS_E_PERM || rc == FS_E_NOTFOUND || rc == FS_E_IO) {
    printf("live capture not available here (%s): skipping\n", err);
    assert_non_null(strstr(err, "lo"));
    skip();
  }
  assert_int_equal(rc, 0);
  assert_int_equal(fs_source_link_type(s), 1); /* Linux loopback is DLT_EN10MB */
  fs_packet_view v;
  int timeouts = 0;
  for (int i = 0; i < 50 && timeouts < 2; i++) {
    rc = fs_source_next(s, &v);
    assert_true(rc == 0 || rc == 1);
    if (rc == 0)
      timeouts++;
  }
  assert_int_equal(timeouts, 2);
  /* A datagram to 127.0.0.1:9 (discard) passes the filter and is captured. */
  int sock = socket(AF_INET, SOCK_DGRAM, 0);
  assert_true(sock >= 0);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(sendto(sock, "flowscope", 9, 0, (struct sockaddr *)&to, sizeof to), 9);
  close(sock);
  int got = 0;
  for (int i = 0; i < 100 && !got; i++) {
    rc = fs_source_next(s, &v);
    assert_true(rc == 0 || rc == 1);
    if (rc == 1) {
      got = 1;
      assert_true(v.caplen >= 14 + 20 + 8 + 9);
      assert_true(v.caplen <= 128);                      /* snaplen */
      assert_int_equal(v.data[23], 17);                  /* IPv4 protocol UDP */
      assert_int_equal(v.data[36] << 8 | v.data[37], 9); /* destination port */
      assert_memory_equal(v.data + 42, "flowscope", 9);
      assert_true(v.ts > 1600000000ull * FS_NS_PER_SEC);
    }
  }
  assert_true(got);
  fs_source_stats st = {.struct_size = sizeof st};
  assert_int_equal(fs_source_get_stats(s, &st), 0);
  assert_int_equal(st.live, 1);
  fs_source_break(s);
  assert_int_equal(fs_source_next(s, &v), FS_E_EOF);
  fs_source_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip_ns),
      cmocka_unit_test(test_roundtrip_us),
      cmocka_unit_test(test_writer_header_bytes),
      cmocka_unit_test(test_truncated_last_record),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_filter),
      cmocka_unit_test(test_stdin),
      cmocka_unit_test(test_pcapng),
      cmocka_unit_test(test_live_loopback),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
