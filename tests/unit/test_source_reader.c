/* SPDX-License-Identifier: MIT */
/* The block reader for classic pcap files must return exactly what
 * libpcap's pcap_next_ex returns: the same packets, timestamps, lengths and
 * bytes, and the same end (EOF, truncation, refusal). Each case reads a
 * file twice, once with libpcap_read set, and compares record by record:
 * hand-built files for every edge the reader hands back to libpcap, a
 * random file whose records straddle the read blocks, the project's own
 * captures, and every capture of the corpus when it is configured; and
 * fs_source_next_batch against fs_source_next on the same files. Where
 * the expected outcome is libpcap's documented rule (a record longer than
 * the snapshot length is cut to it), the test also checks it directly. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture_walk.h"
#include "flowscope/flowscope.h"

typedef struct outcome {
  uint64_t packets;
  uint64_t bytes;
  int end_rc; /* the first non-packet return */
} outcome;

static const char *tmp_path(const char *suffix) {
  static char buf[256];
  snprintf(buf, sizeof buf, "/tmp/fs_test_reader_%d_%s", (int)getpid(), suffix);
  return buf;
}

/* Reads @p path both ways and asserts equality record by record. Returns
 * what both saw. @p open_rc receives the open result (equal both ways). */
static outcome compare_reads(const char *path, const char *filter, int *open_rc) {
  fs_source *a = NULL, *b = NULL;
  fs_source_config ca, cb;
  fs_source_config_default(&ca);
  fs_source_config_default(&cb);
  ca.filter = cb.filter = filter;
  cb.libpcap_read = 1;
  char ea[FS_ERRBUF_SIZE], eb[FS_ERRBUF_SIZE];
  int ra = fs_source_open_file(&a, path, &ca, ea);
  int rb = fs_source_open_file(&b, path, &cb, eb);
  if (ra != rb)
    fail_msg("%s: open gives %d with the block reader, %d with libpcap", path, ra, rb);
  *open_rc = ra;
  outcome o = {0, 0, 0};
  if (ra != 0)
    return o;
  assert_int_equal(fs_source_link_type(a), fs_source_link_type(b));
  for (;;) {
    fs_packet_view pa, pb;
    memset(&pa, 0, sizeof pa);
    memset(&pb, 0, sizeof pb);
    pa.struct_size = pb.struct_size = sizeof pa;
    int xa = fs_source_next(a, &pa);
    int xb = fs_source_next(b, &pb);
    if (xa != xb)
      fail_msg("%s: packet %llu: block reader returns %d, libpcap %d (%s | %s)", path,
               (unsigned long long)o.packets + 1, xa, xb, fs_source_error(a), fs_source_error(b));
    if (xa != 1) {
      o.end_rc = xa;
      if (xa != FS_E_EOF) /* both explain the damage, naming the file */
        assert_non_null(strstr(fs_source_error(a), path));
      break;
    }
    if (pa.ts != pb.ts || pa.caplen != pb.caplen || pa.wirelen != pb.wirelen ||
        pa.link_type != pb.link_type || memcmp(pa.data, pb.data, pa.caplen) != 0)
      fail_msg("%s: packet %llu differs (ts %llu/%llu caplen %u/%u wirelen %u/%u)", path,
               (unsigned long long)o.packets + 1, (unsigned long long)pa.ts,
               (unsigned long long)pb.ts, pa.caplen, pb.caplen, pa.wirelen, pb.wirelen);
    /* Both ways report the offset of the next record (the reader its own,
     * libpcap its stream's). */
    fs_source_stats qa = {.struct_size = sizeof qa}, qb = {.struct_size = sizeof qb};
    assert_int_equal(fs_source_get_stats(a, &qa), 0);
    assert_int_equal(fs_source_get_stats(b, &qb), 0);
    if (qa.file_offset != qb.file_offset)
      fail_msg("%s: packet %llu: file offset %llu with the block reader, %llu with libpcap", path,
               (unsigned long long)o.packets + 1, (unsigned long long)qa.file_offset,
               (unsigned long long)qb.file_offset);
    o.packets++;
    o.bytes += pa.caplen;
  }
  fs_source_stats sa = {.struct_size = sizeof sa}, sb = {.struct_size = sizeof sb};
  assert_int_equal(fs_source_get_stats(a, &sa), 0);
  assert_int_equal(fs_source_get_stats(b, &sb), 0);
  assert_int_equal(sa.packets, sb.packets);
  assert_int_equal(sa.bytes, sb.bytes);
  fs_source_close(a);
  fs_source_close(b);
  return o;
}

/* A digest of one packet: time, lengths and every byte (FNV-1a). */
static uint64_t digest(const fs_packet_view *v) {
  uint64_t h = 1469598103934665603ull ^ v->ts ^ ((uint64_t)v->caplen << 32) ^ v->wirelen;
  for (uint32_t i = 0; i < v->caplen; i++)
    h = (h ^ v->data[i]) * 1099511628211ull;
  return h;
}

/* fs_source_next_batch, both ways and in batches of several sizes, gives
 * the packets fs_source_next gives, and every packet of a batch is still
 * intact when the call returns (none overwritten by a later one). */
static void compare_batches(const char *path) {
  fs_source *s = NULL;
  char err[FS_ERRBUF_SIZE];
  fs_source_config c;
  fs_source_config_default(&c);
  c.libpcap_read = 1;
  if (fs_source_open_file(&s, path, &c, err) != 0)
    return;
  size_t cap = 1024, n = 0;
  uint64_t *ref = malloc(cap * sizeof *ref);
  assert_non_null(ref);
  fs_packet_view v = {.struct_size = sizeof v};
  int end;
  while ((end = fs_source_next(s, &v)) == 1) {
    if (n == cap) {
      cap *= 2;
      ref = realloc(ref, cap * sizeof *ref);
      assert_non_null(ref);
    }
    ref[n++] = digest(&v);
  }
  fs_source_close(s);
  static const size_t sizes[3] = {1, 7, 32};
  for (int way = 0; way < 2; way++)
    for (int k = 0; k < 3; k++) {
      c.libpcap_read = (uint32_t)way;
      assert_int_equal(fs_source_open_file(&s, path, &c, err), 0);
      fs_packet_view b[32];
      size_t got = 0;
      int r;
      while ((r = fs_source_next_batch(s, b, sizes[k])) >= 1) {
        assert_true((size_t)r <= sizes[k]);
        for (int j = 0; j < r; j++) {
          if (got >= n || digest(&b[j]) != ref[got])
            fail_msg("%s: batch of %zu (libpcap_read %d): packet %zu differs", path, sizes[k], way,
                     got + 1);
          got++;
        }
      }
      assert_int_equal(got, n);
      assert_int_equal(r, end);
      fs_source_close(s);
    }
  free(ref);
}

/* ---- hand-built files ---- */

typedef struct raw_file {
  FILE *f;
  int swapped;
} raw_file;

static void put32(raw_file *r, uint32_t v) {
  if (r->swapped)
    v = __builtin_bswap32(v);
  assert_int_equal(fwrite(&v, 4, 1, r->f), 1);
}

static void put16(raw_file *r, uint16_t v) {
  if (r->swapped)
    v = __builtin_bswap16(v);
  assert_int_equal(fwrite(&v, 2, 1, r->f), 1);
}

static raw_file raw_open_link(const char *path, uint32_t magic, uint16_t minor, uint32_t snaplen,
                              int swapped, uint32_t link) {
  raw_file r = {fopen(path, "wb"), swapped};
  assert_non_null(r.f);
  put32(&r, magic);
  put16(&r, 2);
  put16(&r, minor);
  put32(&r, 0); /* thiszone */
  put32(&r, 0); /* sigfigs */
  put32(&r, snaplen);
  put32(&r, link);
  return r;
}

static raw_file raw_open(const char *path, uint32_t magic, uint16_t minor, uint32_t snaplen,
                         int swapped) {
  return raw_open_link(path, magic, minor, snaplen, swapped, 1 /* Ethernet */);
}

/* A record whose bytes are a pattern of @p seed; @p stored bytes follow
 * the header (fewer than caplen makes a cut record). */
static void raw_record(raw_file *r, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len,
                       uint32_t stored, uint8_t seed) {
  put32(r, sec);
  put32(r, frac);
  put32(r, caplen);
  put32(r, len);
  for (uint32_t i = 0; i < stored; i++)
    fputc((int)(uint8_t)(seed + i * 7u), r->f);
}

static void raw_close(raw_file *r) { assert_int_equal(fclose(r->f), 0); }

static outcome check_file(const char *path, const char *filter) {
  int orc = 0;
  outcome o = compare_reads(path, filter, &orc);
  assert_int_equal(orc, 0);
  return o;
}

/* Micro- and nanosecond magic, signed time fields, len < caplen. */
static void test_timestamps_and_lengths(void **state) {
  (void)state;
  const uint32_t magics[2] = {0xa1b2c3d4u, 0xa1b23c4du};
  for (int m = 0; m < 2; m++) {
    const char *p = tmp_path("ts.pcap");
    raw_file r = raw_open(p, magics[m], 4, 65535, 0);
    raw_record(&r, 1700000000u, 999999u, 60, 60, 60, 1);
    raw_record(&r, 0xffffffffu, 0xfffffffeu, 60, 1500, 60, 2); /* -1 s, -2 frac */
    raw_record(&r, 0x7fffffffu, 0, 60, 20, 60, 3);             /* len below caplen */
    raw_record(&r, 0, 0, 0, 0, 0, 4);                          /* empty record */
    raw_close(&r);
    outcome o = check_file(p, NULL);
    assert_int_equal(o.packets, 4);
    assert_int_equal(o.end_rc, FS_E_EOF);
    /* Hand-checked first timestamp: 1700000000 s + 999999 us (or ns). */
    fs_source *s = NULL;
    char err[FS_ERRBUF_SIZE];
    assert_int_equal(fs_source_open_file(&s, p, NULL, err), 0);
    fs_packet_view v = {.struct_size = sizeof v};
    assert_int_equal(fs_source_next(s, &v), 1);
    assert_int_equal(v.ts, 1700000000ull * 1000000000ull + (m == 0 ? 999999000ull : 999999ull));
    assert_int_equal(fs_source_next(s, &v), 1);
    assert_int_equal(fs_source_next(s, &v), 1);
    assert_int_equal(v.wirelen, 60); /* a length below caplen is raised to it */
    fs_source_close(s);
    unlink(p);
  }
}

/* A record longer than the snapshot length but below libpcap's maximum is
 * cut to the snapshot length; one above the maximum ends the read. */
static void test_records_over_snaplen(void **state) {
  (void)state;
  const char *p = tmp_path("snap.pcap");
  raw_file r = raw_open(p, 0xa1b2c3d4u, 4, 100, 0);
  raw_record(&r, 1, 0, 80, 80, 80, 1);
  raw_record(&r, 2, 0, 150, 150, 150, 2); /* longer than snaplen 100 */
  raw_record(&r, 3, 0, 90, 90, 90, 3);    /* libpcap reads this one now */
  raw_record(&r, 4, 0, 300000, 300000, 16, 4);
  raw_close(&r);
  outcome o = check_file(p, NULL);
  assert_int_equal(o.packets, 3);
  assert_int_equal(o.bytes, 80 + 100 + 90);
  assert_true(o.end_rc < 0 && o.end_rc != FS_E_EOF);
  /* With a filter, libpcap filters the records after the hand-over too. */
  outcome f = check_file(p, "greater 85");
  assert_int_equal(f.packets, 2);
  assert_int_equal(f.bytes, 100 + 90);
  compare_batches(p);
  unlink(p);
}

/* D-Bus (link type 231) allows 128 MiB records, and libpcap takes a zero
 * snaplen as that maximum: the reader keeps its buffer small and leaves
 * the long records, and everything after them, to libpcap. */
static void test_long_records_of_a_big_snapshot(void **state) {
  (void)state;
  const char *p = tmp_path("dbus.pcap");
  raw_file r = raw_open_link(p, 0xa1b2c3d4u, 4, 0, 0, 231);
  raw_record(&r, 1, 0, 100, 100, 100, 1);
  raw_record(&r, 2, 0, 300000, 300000, 300000, 2); /* above 256 KiB */
  raw_record(&r, 3, 0, 100, 100, 100, 3);
  raw_close(&r);
  outcome o = check_file(p, NULL);
  assert_int_equal(o.packets, 3);
  assert_int_equal(o.bytes, 300200);
  assert_int_equal(o.end_rc, FS_E_EOF);
  compare_batches(p);
  unlink(p);
}

/* Files cut inside a record header and inside record data. */
static void test_truncated(void **state) {
  (void)state;
  const char *p = tmp_path("cut.pcap");
  for (int cut_data = 0; cut_data < 2; cut_data++) {
    raw_file r = raw_open(p, 0xa1b2c3d4u, 4, 65535, 0);
    raw_record(&r, 1, 0, 64, 64, 64, 1);
    raw_record(&r, 2, 0, 64, 64, 64, 2);
    if (cut_data)
      raw_record(&r, 3, 0, 64, 64, 30, 3);
    else
      put32(&r, 3); /* 4 of 16 header bytes */
    raw_close(&r);
    outcome o = check_file(p, NULL);
    assert_int_equal(o.packets, 2);
    assert_int_equal(o.end_rc, FS_E_TRUNCATED);
    compare_batches(p);
  }
  unlink(p);
}

/* Records of every size from 0 to 70 KiB, so they straddle the reader's
 * blocks at every offset, and a filter that keeps some of them. */
static void test_random_records(void **state) {
  (void)state;
  const char *p = tmp_path("rand.pcap");
  raw_file r = raw_open(p, 0xa1b23c4du, 4, 262144, 0);
  uint32_t x = 12345u;
  uint64_t bytes = 0;
  for (uint32_t k = 0; k < 4000; k++) {
    x = x * 1103515245u + 12345u;
    uint32_t len = (x >> 8) % 1600u;
    if (k % 97 == 0)
      len = 60000u + (x >> 4) % 10000u; /* some big records */
    raw_record(&r, k, k * 3u, len, len, 0, 0);
    /* Ethernet type IPv4, IHL 5, and UDP or TCP, so the filter can choose. */
    for (uint32_t i = 0; i < len; i++) {
      int b = (int)(uint8_t)(i + k);
      if (i == 12)
        b = 0x08;
      else if (i == 13)
        b = 0x00;
      else if (i == 14)
        b = 0x45;
      else if (i == 23)
        b = (k & 1) ? 17 : 6;
      fputc(b, r.f);
    }
    bytes += len;
  }
  raw_close(&r);
  outcome o = check_file(p, NULL);
  assert_int_equal(o.packets, 4000);
  assert_int_equal(o.bytes, bytes);
  assert_int_equal(o.end_rc, FS_E_EOF);
  outcome f = check_file(p, "udp");
  assert_true(f.packets > 0 && f.packets < 4000);
  compare_batches(p);
  unlink(p);
}

/* Files the reader leaves to libpcap: the other byte order, version 2.3. */
static void test_left_to_libpcap(void **state) {
  (void)state;
  const char *p = tmp_path("other.pcap");
  for (int kind = 0; kind < 2; kind++) {
    raw_file r = raw_open(p, 0xa1b2c3d4u, kind ? 3 : 4, 65535, kind == 0);
    raw_record(&r, 5, 6, 60, 60, 60, 1);
    raw_record(&r, 7, 8, 60, 70, 60, 2);
    raw_close(&r);
    outcome o = check_file(p, NULL);
    assert_int_equal(o.packets, 2);
    assert_int_equal(o.end_rc, FS_E_EOF);
  }
  unlink(p);
}

/* Link type 220 (USB, memory-mapped): libpcap rewrites the length of an
 * isochronous IN completion from its descriptors after reading it, so the
 * reader must leave these files to libpcap (found by fuzz_source_reader:
 * the reader reported the stored length). */
static void test_usb_mmapped_lengths(void **state) {
  (void)state;
  const char *p = tmp_path("usb.pcap");
  raw_file r = raw_open_link(p, 0xa1b2c3d4u, 4, 65535, 0, 220);
  /* Record: 64-byte pcap_usb_header_mmapped + one 16-byte iso descriptor. */
  uint8_t usb[80];
  memset(usb, 0, sizeof usb);
  usb[8] = 'C';   /* event_type: URB complete */
  usb[9] = 0;     /* transfer_type: isochronous */
  usb[10] = 0x81; /* endpoint_number: 1, direction IN */
  usb[15] = 0;    /* data_flag 0: data present */
  uint32_t urb_len = 100, ndesc = 1, desc_len = 20;
  memcpy(usb + 32, &urb_len, 4);  /* urb_len */
  memcpy(usb + 60, &ndesc, 4);    /* ndesc */
  memcpy(usb + 72, &desc_len, 4); /* descriptor: status 0, offset 0, len 20 */
  /* Stored len = header + descriptors + urb_len = 180, the old rule. */
  put32(&r, 1);
  put32(&r, 0);
  put32(&r, sizeof usb);
  put32(&r, 64 + 16 + 100);
  assert_int_equal(fwrite(usb, sizeof usb, 1, r.f), 1);
  raw_close(&r);
  outcome o = check_file(p, NULL);
  assert_int_equal(o.packets, 1);
  /* libpcap's rule: header + descriptors + end of the last chunk (0 + 20). */
  fs_source *s = NULL;
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_source_open_file(&s, p, NULL, err), 0);
  fs_packet_view v = {.struct_size = sizeof v};
  assert_int_equal(fs_source_next(s, &v), 1);
  assert_int_equal(v.caplen, 80);
  assert_int_equal(v.wirelen, 64 + 16 + 20);
  fs_source_close(s);
  unlink(p);
}

/* ---- the file changing under the reader, read errors, descriptors ---- */

/* Whether a batch read of @p path returns its first two packets in place,
 * one record header (16 bytes) apart in one block: the block reader's mark
 * (libpcap's packets are copied to 64-byte-aligned slots). */
static int reads_in_place(const char *path, int libpcap_read) {
  fs_source *s = NULL;
  fs_source_config c;
  fs_source_config_default(&c);
  c.libpcap_read = (uint32_t)libpcap_read;
  char err[FS_ERRBUF_SIZE];
  assert_int_equal(fs_source_open_file(&s, path, &c, err), 0);
  fs_packet_view b[4];
  assert_true(fs_source_next_batch(s, b, 4) >= 2);
  int in_place = b[1].data == b[0].data + b[0].caplen + 16;
  fs_source_close(s);
  return in_place;
}

/* @p n records of @p len bytes (seed k for record k), µs magic. */
static void write_fixed(const char *path, const char *mode, uint32_t first, uint32_t n,
                        uint32_t len) {
  raw_file r;
  if (mode[0] == 'w') {
    r = raw_open(path, 0xa1b2c3d4u, 4, 65535, 0);
  } else {
    r.f = fopen(path, mode);
    r.swapped = 0;
    assert_non_null(r.f);
  }
  for (uint32_t k = first; k < first + n; k++)
    raw_record(&r, k, 0, len, len, len, (uint8_t)k);
  raw_close(&r);
}

/* The packet write_fixed wrote as record @p k. */
static int is_record(const fs_packet_view *v, uint32_t k, uint32_t len) {
  if (v->ts != (uint64_t)k * 1000000000ull || v->caplen != len)
    return 0;
  for (uint32_t i = 0; i < len; i++)
    if (v->data[i] != (uint8_t)((uint8_t)k + i * 7u))
      return 0;
  return 1;
}

/* The descriptor this process has open on @p path, or -1 (more than one
 * also gives -1: the source must read through libpcap's only). */
static int fd_of(const char *path) {
  char want[4096];
  if (!realpath(path, want))
    return -1;
  DIR *d = opendir("/proc/self/fd");
  assert_non_null(d);
  int found = -1, count = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char link[320], target[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0)
      continue;
    target[n] = '\0';
    if (strcmp(target, want) == 0) {
      found = atoi(e->d_name);
      count++;
    }
  }
  closedir(d);
  return count == 1 ? found : -1;
}

static int open_way(fs_source **s, const char *path, int libpcap_read) {
  fs_source_config c;
  fs_source_config_default(&c);
  c.libpcap_read = (uint32_t)libpcap_read;
  char err[FS_ERRBUF_SIZE];
  return fs_source_open_file(s, path, &c, err);
}

/* Cut while being read: the records before the cut come out (the reader
 * keeps what it already read in its own buffer), then both ways report
 * the record the cut runs through as truncated. */
static void test_truncated_while_reading(void **state) {
  (void)state;
  const char *p = tmp_path("shrink.pcap");
  const uint32_t len = 1000, rec = 16 + len;
  for (int way = 0; way < 2; way++) {
    write_fixed(p, "wb", 0, 600, len); /* 600 KiB: more than one 256 KiB block */
    fs_source *s = NULL;
    assert_int_equal(open_way(&s, p, way), 0);
    fs_packet_view v = {.struct_size = sizeof v};
    assert_int_equal(fs_source_next(s, &v), 1);
    assert_true(is_record(&v, 0, len));
    /* Cut 500 bytes into record 300. */
    assert_int_equal(truncate(p, 24 + 300 * (off_t)rec + 500), 0);
    uint32_t k = 1;
    int r;
    while ((r = fs_source_next(s, &v)) == 1) {
      if (!is_record(&v, k, len))
        fail_msg("libpcap_read %d: packet %u differs", way, k);
      k++;
    }
    assert_int_equal(k, 300);
    assert_int_equal(r, FS_E_TRUNCATED);
    assert_non_null(strstr(fs_source_error(s), "truncated dump file"));
    fs_source_close(s);
  }
  unlink(p);
}

/* Grown while being read (a capture still being written): both ways go
 * on to the records appended after the first read. */
static void test_grown_while_reading(void **state) {
  (void)state;
  const char *p = tmp_path("grow.pcap");
  for (int way = 0; way < 2; way++) {
    write_fixed(p, "wb", 0, 100, 100);
    fs_source *s = NULL;
    assert_int_equal(open_way(&s, p, way), 0);
    fs_packet_view v = {.struct_size = sizeof v};
    assert_int_equal(fs_source_next(s, &v), 1);
    write_fixed(p, "ab", 100, 50, 100);
    uint32_t k = 1;
    int r;
    while ((r = fs_source_next(s, &v)) == 1) {
      if (!is_record(&v, k, 100))
        fail_msg("libpcap_read %d: packet %u differs", way, k);
      k++;
    }
    assert_int_equal(k, 150);
    assert_int_equal(r, FS_E_EOF);
    fs_source_close(s);
  }
  unlink(p);
}

/* A read that fails (the descriptor replaced by a directory's: EISDIR)
 * ends both ways with FS_E_IO and libpcap's wording, after packets that
 * are all intact. The source reads through libpcap's one descriptor. */
static void test_read_error(void **state) {
  (void)state;
  const char *p = tmp_path("eio.pcap");
  const uint32_t len = 1000;
  write_fixed(p, "wb", 0, 600, len);
  for (int way = 0; way < 2; way++) {
    fs_source *s = NULL;
    assert_int_equal(open_way(&s, p, way), 0);
    fs_packet_view v = {.struct_size = sizeof v};
    assert_int_equal(fs_source_next(s, &v), 1);
    int fd = fd_of(p);
    assert_true(fd >= 0);
    int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
    assert_true(dir >= 0);
    assert_int_equal(dup2(dir, fd), fd);
    close(dir);
    uint32_t k = 1;
    int r;
    while ((r = fs_source_next(s, &v)) == 1) {
      if (!is_record(&v, k, len))
        fail_msg("libpcap_read %d: packet %u differs", way, k);
      k++;
    }
    assert_true(k < 600);
    assert_int_equal(r, FS_E_IO);
    assert_non_null(strstr(fs_source_error(s), "error reading dump file"));
    assert_int_equal(fs_source_next(s, &v), FS_E_IO); /* sticky */
    fs_source_close(s);
  }
  unlink(p);
}

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  assert_non_null(d);
  int n = 0;
  while (readdir(d) != NULL)
    n++;
  closedir(d);
  return n;
}

/* No descriptor outlives its source, on the good and the failing paths. */
static void test_no_descriptor_leaks(void **state) {
  (void)state;
  const char *p = tmp_path("fds.pcap");
  int before = count_fds();
  write_fixed(p, "wb", 0, 20, 100);
  static const char *filters[3] = {NULL, "udp", "no such filter ("};
  for (int way = 0; way < 2; way++)
    for (int f = 0; f < 3; f++) {
      fs_source *s = NULL;
      fs_source_config c;
      fs_source_config_default(&c);
      c.libpcap_read = (uint32_t)way;
      c.filter = filters[f];
      char err[FS_ERRBUF_SIZE];
      int rc = fs_source_open_file(&s, p, &c, err);
      assert_int_equal(rc, f == 2 ? FS_E_FILTER : 0);
      fs_packet_view v = {.struct_size = sizeof v};
      while (s && fs_source_next(s, &v) == 1)
        ;
      fs_source_close(s);
    }
  /* Ends in the middle: truncated, then closed before reading it all. */
  assert_int_equal(truncate(p, 24 + 5 * 116 + 3), 0);
  for (int way = 0; way < 2; way++) {
    fs_source *s = NULL;
    assert_int_equal(open_way(&s, p, way), 0);
    fs_packet_view v = {.struct_size = sizeof v};
    assert_int_equal(fs_source_next(s, &v), 1);
    fs_source_close(s);
    assert_int_equal(open_way(&s, p, way), 0);
    while (fs_source_next(s, &v) == 1)
      ;
    fs_source_close(s);
  }
  unlink(p);
  assert_int_equal(count_fds(), before);
}

/* The differential tests above would pass even if the block reader were
 * never used: check that it reads a plain native 2.4 file (µs and ns) and
 * leaves USB mmapped and version 2.3 files to libpcap. */
static void test_block_reader_in_use(void **state) {
  (void)state;
  const char *p = tmp_path("inuse.pcap");
  write_fixed(p, "wb", 0, 10, 10); /* small: two fit in any block */
  assert_true(reads_in_place(p, 0));
  assert_false(reads_in_place(p, 1));
  raw_file r = raw_open(p, 0xa1b23c4du, 4, 65535, 0);
  raw_record(&r, 1, 0, 10, 10, 10, 1);
  raw_record(&r, 2, 0, 10, 10, 10, 2);
  raw_close(&r);
  assert_true(reads_in_place(p, 0));
  for (int kind = 0; kind < 2; kind++) {
    r = raw_open_link(p, 0xa1b2c3d4u, kind ? 3 : 4, 65535, 0, kind ? 1 : 220);
    raw_record(&r, 1, 0, 10, 10, 10, 1);
    raw_record(&r, 2, 0, 10, 10, 10, 2);
    raw_close(&r);
    assert_false(reads_in_place(p, 0));
  }
  unlink(p);
}

/* ---- real captures ---- */

/* What the walks below add up. */
typedef struct walk_totals {
  size_t files;
  uint64_t packets;
} walk_totals;

static void compare_capture(const char *path, void *ctx) {
  walk_totals *w = ctx;
  int orc = 0;
  outcome o = compare_reads(path, NULL, &orc);
  compare_batches(path);
  w->packets += o.packets;
  w->files++;
}

static void test_data_captures(void **state) {
  (void)state;
  walk_totals w = {0, 0};
  fs_test_walk_captures(FS_TEST_DATA, compare_capture, &w);
  print_message("tests/data: %zu captures, %llu packets\n", w.files, (unsigned long long)w.packets);
  assert_true(w.files >= 1 && w.packets > 0);
}

static void test_corpus_captures(void **state) {
  (void)state;
  const char *corpus = fs_test_corpus_dir(FS_CORPUS);
  if (!corpus) {
    print_message("corpus not configured (FLOWSCOPE_CORPUS): skipped\n");
    skip();
  }
  walk_totals w = {0, 0};
  fs_test_walk_captures(corpus, compare_capture, &w);
  print_message("corpus: %zu captures, %llu packets\n", w.files, (unsigned long long)w.packets);
  assert_true(w.files >= 100);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_timestamps_and_lengths),
      cmocka_unit_test(test_records_over_snaplen),
      cmocka_unit_test(test_long_records_of_a_big_snapshot),
      cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_random_records),
      cmocka_unit_test(test_left_to_libpcap),
      cmocka_unit_test(test_usb_mmapped_lengths),
      cmocka_unit_test(test_truncated_while_reading),
      cmocka_unit_test(test_grown_while_reading),
      cmocka_unit_test(test_read_error),
      cmocka_unit_test(test_no_descriptor_leaks),
      cmocka_unit_test(test_block_reader_in_use),
      cmocka_unit_test(test_data_captures),
      cmocka_unit_test(test_corpus_captures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
