/* SPDX-License-Identifier: MIT */
/* Differential libFuzzer harness: the block reader (pcap_reader.c behind
 * fs_source) against libpcap's own pcap_next_ex (libpcap_read = 1).
 *
 * The input is the capture file verbatim. It is written to a fresh file
 * under /tmp (libpcap needs a path), then read:
 *   - with libpcap alone, record by record: the reference;
 *   - with the block reader, record by record: same open result, same
 *     packets (time, caplen, wirelen, link type, bytes), same file offset
 *     after each packet, same end code and message, same stats;
 *   - with fs_source_next_batch, batch sizes 1 and 32, both ways: the same
 *     sequence, every packet of a batch checked after the call returns (so
 *     none was overwritten by a later read of the same call);
 *   - both ways again with a filter that reads packet bytes and lengths.
 * Any difference aborts. The harness also checks that no descriptor is left
 * open once every source is closed. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowscope/flowscope.h"

/* The reference read: every packet copied, and how the read ended. */
typedef struct ref_pkt {
  uint64_t ts;
  uint32_t caplen, wirelen, link_type;
  uint64_t offset; /* fs_source_get_stats file_offset after the packet */
  size_t at;       /* its bytes in ref.bytes */
} ref_pkt;

typedef struct ref_read {
  int open_rc;
  char open_err[FS_ERRBUF_SIZE];
  ref_pkt *pkts;
  size_t n, cap;
  uint8_t *bytes;
  size_t used, bytes_cap;
  int end_rc;
  char end_err[FS_ERRBUF_SIZE];
  fs_source_stats stats; /* at the end */
} ref_read;

static void check(int cond) {
  if (!cond)
    abort();
}

static int open_source(fs_source **s, const char *path, int libpcap_read, const char *filter,
                       char *err) {
  fs_source_config c;
  fs_source_config_default(&c);
  c.libpcap_read = (uint32_t)libpcap_read;
  c.filter = filter;
  return fs_source_open_file(s, path, &c, err);
}

static fs_source_stats stats_of(fs_source *s) {
  fs_source_stats st;
  memset(&st, 0, sizeof st);
  st.struct_size = sizeof st;
  check(fs_source_get_stats(s, &st) == 0);
  return st;
}

static void ref_add(ref_read *r, const fs_packet_view *v, uint64_t offset) {
  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 64;
    r->pkts = realloc(r->pkts, r->cap * sizeof *r->pkts);
    check(r->pkts != NULL);
  }
  if (v->caplen > r->bytes_cap - r->used) {
    while (v->caplen > r->bytes_cap - r->used)
      r->bytes_cap = r->bytes_cap ? r->bytes_cap * 2 : 65536;
    r->bytes = realloc(r->bytes, r->bytes_cap);
    check(r->bytes != NULL);
  }
  if (v->caplen)
    memcpy(r->bytes + r->used, v->data, v->caplen);
  r->pkts[r->n++] = (ref_pkt){.ts = v->ts,
                              .caplen = v->caplen,
                              .wirelen = v->wirelen,
                              .link_type = v->link_type,
                              .offset = offset,
                              .at = r->used};
  r->used += v->caplen;
}

static int same_pkt(const ref_read *r, size_t i, const fs_packet_view *v) {
  if (i >= r->n)
    return 0;
  const ref_pkt *p = &r->pkts[i];
  return v->ts == p->ts && v->caplen == p->caplen && v->wirelen == p->wirelen &&
         v->link_type == p->link_type && v->wirelen >= v->caplen &&
         (v->caplen == 0 || memcmp(v->data, r->bytes + p->at, v->caplen) == 0);
}

/* Reads @p path with fs_source_next; with @p ref_out set, records the
 * reference, otherwise compares against @p ref. */
static void read_single(const char *path, int libpcap_read, const char *filter, ref_read *ref,
                        int record) {
  fs_source *s = NULL;
  char err[FS_ERRBUF_SIZE];
  int orc = open_source(&s, path, libpcap_read, filter, err);
  if (record) {
    ref->open_rc = orc;
    snprintf(ref->open_err, sizeof ref->open_err, "%s", orc ? err : "");
  } else {
    check(orc == ref->open_rc);
    if (orc)
      check(strcmp(err, ref->open_err) == 0);
  }
  if (orc)
    return;
  size_t i = 0;
  int rc;
  for (;;) {
    fs_packet_view v;
    memset(&v, 0, sizeof v);
    v.struct_size = sizeof v;
    rc = fs_source_next(s, &v);
    if (rc != 1)
      break;
    check(v.link_type == (uint32_t)fs_source_link_type(s));
    uint64_t off = stats_of(s).file_offset;
    if (record) {
      ref_add(ref, &v, off);
    } else {
      check(same_pkt(ref, i, &v));
      check(off == ref->pkts[i].offset);
    }
    i++;
  }
  /* The end is sticky: asking again gives the same answer. */
  fs_packet_view again = {.struct_size = sizeof again};
  check(fs_source_next(s, &again) == rc);
  fs_source_stats st = stats_of(s);
  if (record) {
    ref->end_rc = rc;
    snprintf(ref->end_err, sizeof ref->end_err, "%s", fs_source_error(s));
    ref->stats = st;
  } else {
    check(i == ref->n);
    check(rc == ref->end_rc);
    check(strcmp(fs_source_error(s), ref->end_err) == 0);
    check(st.packets == ref->stats.packets && st.bytes == ref->stats.bytes);
    check(st.file_size == ref->stats.file_size && st.file_offset == ref->stats.file_offset);
  }
  fs_source_close(s);
}

static void read_batches(const char *path, int libpcap_read, const char *filter,
                         const ref_read *ref, size_t max) {
  fs_source *s = NULL;
  char err[FS_ERRBUF_SIZE];
  check(open_source(&s, path, libpcap_read, filter, err) == ref->open_rc);
  if (ref->open_rc)
    return;
  fs_packet_view b[32];
  size_t got = 0;
  int r;
  while ((r = fs_source_next_batch(s, b, max)) >= 1) {
    check((size_t)r <= max);
    /* Checked only now: every packet of the batch must still be intact. */
    for (int j = 0; j < r; j++)
      check(same_pkt(ref, got++, &b[j]));
  }
  check(got == ref->n);
  check(r == ref->end_rc);
  check(strcmp(fs_source_error(s), ref->end_err) == 0);
  fs_source_close(s);
}

static void compare_all(const char *path, const char *filter) {
  ref_read ref;
  memset(&ref, 0, sizeof ref);
  read_single(path, 1, filter, &ref, 1);
  read_single(path, 0, filter, &ref, 0);
  static const size_t sizes[2] = {1, 32};
  for (int way = 0; way < 2; way++)
    for (int k = 0; k < 2; k++)
      read_batches(path, way, filter, &ref, sizes[k]);
  free(ref.pkts);
  free(ref.bytes);
}

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  check(d != NULL);
  int n = 0;
  while (readdir(d) != NULL)
    n++;
  closedir(d);
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fds_before = count_fds();
  char path[] = "/tmp/fs_fuzz_source_reader_XXXXXX";
  int fd = mkstemp(path);
  check(fd >= 0);
  size_t done = 0;
  while (done < size) {
    ssize_t w = write(fd, data + done, size - done);
    check(w > 0);
    done += (size_t)w;
  }
  check(close(fd) == 0);
  compare_all(path, NULL);
  /* A filter every link type compiles: a byte of the frame and the length. */
  compare_all(path, "link[0] & 1 = 0 or greater 200");
  unlink(path);
  check(count_fds() == fds_before);
  return 0;
}
