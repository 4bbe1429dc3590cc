/* SPDX-License-Identifier: MIT */
/* Packet source over libpcap: offline files (pcap, pcap-ns, pcapng, "-" for
 * standard input) read with nanosecond timestamps, and live interfaces. */
#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "flowscope/source.h"
#include "pcap_reader.h"
#include "source_retain.h"

struct fs_source {
  pcap_t *p;
  char *name; /* path or interface, for messages */
  int live;
  int link_type;
  volatile int stop; /* set by fs_source_break */
  int done;          /* sticky end: EOF or error already returned */
  int last_rc;
  int fd;         /* live: selectable descriptor of the non-blocking capture, or -1 */
  int timeout_ms; /* live: longest wait in fs_source_next before returning 0 */
  uint64_t packets, bytes, file_size;
  uint8_t *arena; /* fs_source_next_batch through libpcap: copies (ARENA_BYTES) */
  /* Offline: records are read by our block reader while it can; libpcap
   * resumes at the record it hands back (see pcap_reader.h). */
  int fast;
  fsi_pcap_reader reader;
  int have_prog; /* prog holds the filter for records the reader returns */
  struct bpf_program prog;
  char err[FS_ERRBUF_SIZE];
};

void fs_source_config_default(fs_source_config *cfg) {
  if (!cfg)
    return;
  memset(cfg, 0, sizeof *cfg);
  cfg->struct_size = sizeof *cfg;
  cfg->snaplen = 262144;
  cfg->promisc = 0;
  cfg->immediate = 1;
  cfg->buffer_size = 0;
  cfg->timeout_ms = 200;
  cfg->filter = NULL;
}

static void set_err(char *errbuf, const char *fmt_name, const char *msg) {
  if (errbuf)
    snprintf(errbuf, FS_ERRBUF_SIZE, "%s: %s", fmt_name, msg);
}

/* Reads a config the caller may have built from an older, shorter struct. */
static fs_source_config read_cfg(const fs_source_config *cfg) {
  fs_source_config c;
  fs_source_config_default(&c);
  if (cfg) {
    size_t n = cfg->struct_size < sizeof c ? cfg->struct_size : sizeof c;
    memcpy(&c, cfg, n);
    c.struct_size = sizeof c;
  }
  return c;
}

static int apply_filter(fs_source *s, const char *filter, char *errbuf) {
  if (!filter || !*filter)
    return 0;
  struct bpf_program prog;
  if (pcap_compile(s->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
    if (errbuf)
      snprintf(errbuf, FS_ERRBUF_SIZE, "%s: filter \"%s\": %s", s->name, filter, pcap_geterr(s->p));
    return FS_E_FILTER;
  }
  int rc = pcap_setfilter(s->p, &prog);
  pcap_freecode(&prog);
  if (rc != 0) {
    if (errbuf)
      snprintf(errbuf, FS_ERRBUF_SIZE, "%s: filter \"%s\": %s", s->name, filter, pcap_geterr(s->p));
    return FS_E_FILTER;
  }
  return 0;
}

/* Puts the block reader in front of libpcap for a regular file it can read.
 * libpcap has already checked the header and chosen the snapshot length. */
static int start_reader(fs_source *s, const char *filter, char *errbuf) {
  /* libpcap rewrites the length of some USB records of this link type from
   * their descriptors (its post-processing of old mmapped captures): such
   * files stay libpcap's. For native-order files it is the only link type
   * libpcap 1.10 changes after reading. */
  if (s->link_type == DLT_USB_LINUX_MMAPPED)
    return 0;
  /* The reader checks the header again itself; libpcap's view of it must
   * agree too (native order, version 2.4), so a header rewritten between
   * the two reads cannot make them disagree on the record layout. */
  if (pcap_is_swapped(s->p) != 0 || pcap_major_version(s->p) != 2 || pcap_minor_version(s->p) != 4)
    return 0;
  int snap = pcap_snapshot(s->p);
  /* libpcap's own descriptor: the reader sees the file libpcap checked even
   * if the name now points elsewhere, and has no descriptor of its own. */
  FILE *f = pcap_file(s->p);
  int ok = fsi_pcap_reader_open(&s->reader, f ? fileno(f) : -1, snap > 0 ? (uint32_t)snap : 0);
  if (ok == -ENOMEM)
    return FS_E_NOMEM;
  if (ok <= 0)
    return 0; /* libpcap reads it all */
  if (filter && *filter) {
    /* Already compiled once by apply_filter, so this cannot fail on syntax. */
    if (pcap_compile(s->p, &s->prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
      if (errbuf)
        snprintf(errbuf, FS_ERRBUF_SIZE, "%s: filter \"%s\": %s", s->name, filter,
                 pcap_geterr(s->p));
      fsi_pcap_reader_close(&s->reader);
      return FS_E_FILTER;
    }
    s->have_prog = 1;
  }
  s->fast = 1;
  return 0;
}

/* Gives the rest of the file to libpcap from the reader's position.
 * Returns 0, or FS_E_IO when libpcap's stream cannot be moved there (it
 * would otherwise go on from the file's start and repeat packets). */
static int hand_to_libpcap(fs_source *s) {
  FILE *f = pcap_file(s->p);
  uint64_t off = fsi_pcap_reader_offset(&s->reader);
  fsi_pcap_reader_close(&s->reader);
  s->fast = 0;
  if (!f || fseeko(f, (off_t)off, SEEK_SET) != 0) {
    snprintf(s->err, sizeof s->err, "%s: cannot seek the dump file to offset %llu: %s", s->name,
             (unsigned long long)off, f ? strerror(errno) : "no stream");
    s->done = 1;
    return s->last_rc = FS_E_IO;
  }
  return 0;
}

static void set_view(fs_source *src, fs_packet_view *pkt, uint64_t ts, uint32_t caplen,
                     uint32_t len, const uint8_t *data) {
  pkt->struct_size = sizeof *pkt;
  pkt->link_type = (uint32_t)src->link_type;
  pkt->data = data;
  pkt->caplen = caplen;
  pkt->wirelen = len < caplen ? caplen : len;
  pkt->ts = ts;
  pkt->ifindex = 0;
  pkt->reserved0 = 0;
  src->packets++;
  src->bytes += caplen;
}

/* The block reader's next record that passes the filter: 1, 0 once libpcap
 * has to take over, or a negative FS_E_* on a read error. With @p may_read
 * 0: FSI_PCAP_READER_LATER when that would need a read or libpcap. */
static int next_fast(fs_source *src, fs_packet_view *pkt, int may_read) {
  fsi_pcap_record rec;
  for (;;) {
    int r = fsi_pcap_reader_next(&src->reader, &rec, may_read);
    if (r == FSI_PCAP_READER_LATER)
      return r;
    if (r == 0)
      return hand_to_libpcap(src);
    if (r < 0) {
      snprintf(src->err, sizeof src->err, "%s: error reading dump file: %s", src->name,
               strerror(-r));
      src->done = 1;
      return src->last_rc = FS_E_IO;
    }
    if (src->have_prog) {
      struct pcap_pkthdr h;
      memset(&h, 0, sizeof h);
      h.caplen = rec.caplen;
      h.len = rec.len;
      if (!pcap_offline_filter(&src->prog, &h, rec.data))
        continue;
    }
    set_view(src, pkt, rec.ts, rec.caplen, rec.len, rec.data);
    return 1;
  }
}

static fs_source *new_source(const char *name) {
  fs_source *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->fd = -1;
  s->name = strdup(name);
  if (!s->name) {
    free(s);
    return NULL;
  }
  return s;
}

void fs_source_close(fs_source *src) {
  if (!src)
    return;
  if (src->fast)
    fsi_pcap_reader_close(&src->reader);
  if (src->have_prog)
    pcap_freecode(&src->prog);
  free(src->arena);
  if (src->p)
    pcap_close(src->p);
  free(src->name);
  free(src);
}

int fs_source_open_file(fs_source **out, const char *path, const fs_source_config *cfg,
                        char *errbuf) {
  if (errbuf)
    errbuf[0] = '\0';
  if (!out || !path) {
    set_err(errbuf, "source", "no path given");
    return FS_E_INVAL;
  }
  *out = NULL;
  fs_source_config c = read_cfg(cfg);
  uint64_t size = 0;
  if (strcmp(path, "-") != 0) {
    /* libpcap folds every open failure into one message; stat first so the
     * caller gets a precise code. */
    struct stat st;
    if (stat(path, &st) != 0) {
      int e = errno;
      set_err(errbuf, path, strerror(e));
      return e == ENOENT || e == ENOTDIR ? FS_E_NOTFOUND : (e == EACCES ? FS_E_PERM : FS_E_IO);
    }
    if (S_ISDIR(st.st_mode)) {
      set_err(errbuf, path, "is a directory, not a capture file");
      return FS_E_FORMAT;
    }
    if (S_ISREG(st.st_mode))
      size = (uint64_t)st.st_size;
  }
  fs_source *s = new_source(path);
  if (!s)
    return FS_E_NOMEM;
  char pe[PCAP_ERRBUF_SIZE] = "";
  s->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, pe);
  if (!s->p) {
    set_err(errbuf, path, pe);
    fs_source_close(s);
    /* Permission problems surface here when stat succeeded but open failed. */
    if (strstr(pe, "ermission denied"))
      return FS_E_PERM;
    if (strstr(pe, "truncated"))
      return FS_E_TRUNCATED;
    return FS_E_FORMAT;
  }
  s->file_size = size;
  s->link_type = pcap_datalink(s->p);
  int rc = apply_filter(s, c.filter, errbuf);
  if (rc == 0 && size && !c.libpcap_read)
    rc = start_reader(s, c.filter, errbuf);
  if (rc) {
    fs_source_close(s);
    return rc;
  }
  *out = s;
  return 0;
}

int fs_source_open_live(fs_source **out, const char *iface, const fs_source_config *cfg,
                        char *errbuf) {
  if (errbuf)
    errbuf[0] = '\0';
  if (!out || !iface) {
    set_err(errbuf, "source", "no interface given");
    return FS_E_INVAL;
  }
  *out = NULL;
  fs_source_config c = read_cfg(cfg);
  fs_source *s = new_source(iface);
  if (!s)
    return FS_E_NOMEM;
  s->live = 1;
  char pe[PCAP_ERRBUF_SIZE] = "";
  s->p = pcap_create(iface, pe);
  if (!s->p) {
    set_err(errbuf, iface, pe);
    fs_source_close(s);
    return FS_E_IO;
  }
  pcap_set_snaplen(s->p, (int)(c.snaplen ? c.snaplen : 262144));
  pcap_set_promisc(s->p, c.promisc ? 1 : 0);
  pcap_set_immediate_mode(s->p, c.immediate ? 1 : 0);
  if (c.buffer_size)
    pcap_set_buffer_size(s->p, (int)c.buffer_size);
  pcap_set_timeout(s->p, (int)c.timeout_ms);
  pcap_set_tstamp_precision(s->p, PCAP_TSTAMP_PRECISION_NANO); /* best effort */
  int a = pcap_activate(s->p);
  if (a < 0) {
    const char *msg = pcap_geterr(s->p);
    if (!msg || !*msg)
      msg = pcap_statustostr(a);
    set_err(errbuf, iface, msg);
    int rc = FS_E_IO;
    if (a == PCAP_ERROR_PERM_DENIED || a == PCAP_ERROR_PROMISC_PERM_DENIED)
      rc = FS_E_PERM;
    else if (a == PCAP_ERROR_NO_SUCH_DEVICE)
      rc = FS_E_NOTFOUND;
    fs_source_close(s);
    return rc;
  }
  s->link_type = pcap_datalink(s->p);
  int rc = apply_filter(s, c.filter, errbuf);
  if (rc) {
    fs_source_close(s);
    return rc;
  }
  /* libpcap's read timeout on Linux (TPACKET_V3) only runs once a packet
   * has arrived, so a quiet link would block fs_source_next forever and
   * idle flows would never end. Read non-blocking and wait in poll()
   * ourselves instead: a quiet link returns 0 every timeout_ms. */
  s->timeout_ms = c.timeout_ms ? (int)c.timeout_ms : 200;
  s->fd = pcap_get_selectable_fd(s->p);
  if (s->fd >= 0 && pcap_setnonblock(s->p, 1, pe) != 0)
    s->fd = -1; /* keep libpcap's own blocking read */
  *out = s;
  return 0;
}

int fs_source_next(fs_source *src, fs_packet_view *pkt) {
  if (!src || !pkt)
    return FS_E_INVAL;
  if (src->done)
    return src->last_rc;
  if (src->stop) {
    src->done = 1;
    return src->last_rc = FS_E_EOF;
  }
  if (src->fast) {
    int f = next_fast(src, pkt, 1);
    if (f != 0)
      return f;
  }
  struct pcap_pkthdr *h;
  const u_char *d;
  int r = pcap_next_ex(src->p, &h, &d);
  if (r == 0 && src->live && src->fd >= 0) {
    struct pollfd pfd = {.fd = src->fd, .events = POLLIN, .revents = 0};
    int pr = poll(&pfd, 1, src->timeout_ms);
    if (src->stop) { /* a signal handler called fs_source_break */
      src->done = 1;
      return src->last_rc = FS_E_EOF;
    }
    if (pr <= 0)
      return 0; /* timeout (or EINTR): let the caller tick */
    r = pcap_next_ex(src->p, &h, &d);
  }
  if (r == 1) {
    /* Offline files are opened with nanosecond precision, so tv_usec holds ns. */
    uint64_t frac = (uint64_t)h->ts.tv_usec;
    if (src->live && pcap_get_tstamp_precision(src->p) != PCAP_TSTAMP_PRECISION_NANO)
      frac *= 1000;
    set_view(src, pkt, (uint64_t)h->ts.tv_sec * FS_NS_PER_SEC + frac, h->caplen, h->len, d);
    return 1;
  }
  if (r == 0)
    return 0; /* live read timeout */
  src->done = 1;
  if (r == PCAP_ERROR_BREAK) /* end of file, or pcap_breakloop */
    return src->last_rc = FS_E_EOF;
  const char *msg = pcap_geterr(src->p);
  snprintf(src->err, sizeof src->err, "%s: %s", src->name, msg ? msg : "read error");
  /* libpcap reports a record cut short by the end of the file as
   * "truncated dump file; tried to read ..." (pcap) or "truncated pcapng
   * dump file ..." (pcapng). Everything before it was already returned. */
  if (msg && strstr(msg, "truncated"))
    return src->last_rc = FS_E_TRUNCATED;
  return src->last_rc = FS_E_IO;
}

/* Batches read through libpcap are copied here: its buffer holds one packet. */
#define ARENA_BYTES (2u << 20)

/* Copies @p pkt into the arena at @p *used; 0 when it does not fit. */
static int keep_copy(fs_source *src, fs_packet_view *pkt, size_t *used) {
  if (pkt->caplen > ARENA_BYTES - *used)
    return 0;
  uint8_t *at = src->arena + *used;
  if (pkt->caplen)
    memcpy(at, pkt->data, pkt->caplen);
  pkt->data = at;
  *used += (pkt->caplen + 63u) & ~(size_t)63u; /* each packet on its own lines */
  return 1;
}

int fs_source_next_batch(fs_source *src, fs_packet_view *pkts, size_t max) {
  if (!src || !pkts || max == 0)
    return FS_E_INVAL;
  if (max > INT32_MAX)
    max = INT32_MAX;
  int r = fs_source_next(src, &pkts[0]);
  if (r != 1)
    return r;
  size_t n = 1;
  if (src->fast) {
    /* In place, as long as no read has to move the block. */
    while (n < max && next_fast(src, &pkts[n], 0) == 1)
      n++;
    return (int)n;
  }
  if (src->live || max == 1)
    return 1;
  /* libpcap reuses its buffer on every read: copy while a record of the
   * snapshot length still fits. Without the arena, one packet at a time. */
  if (!src->arena)
    src->arena = malloc(ARENA_BYTES);
  size_t used = 0;
  if (!src->arena || !keep_copy(src, &pkts[0], &used))
    return 1;
  int snap = pcap_snapshot(src->p);
  size_t room = snap > 0 ? (size_t)snap : ARENA_BYTES;
  while (n < max && ARENA_BYTES - used >= room) {
    pkts[n].struct_size = sizeof pkts[n];
    if (fs_source_next(src, &pkts[n]) != 1)
      break; /* the end or the error is returned by the next call */
    /* One longer than the snapshot length (pcapng can have them) stays in
     * libpcap's buffer, which lasts until the next call: it ends the batch. */
    int kept = keep_copy(src, &pkts[n], &used);
    n++;
    if (!kept)
      break;
  }
  return (int)n;
}

int fsi_source_retain(fs_source *src, uint32_t nblocks, fsi_block_reuse_fn reuse, void *ctx,
                      const uint8_t **base, size_t *block_bytes) {
  if (!src || !src->fast || src->live)
    return FS_E_UNSUPPORTED;
  int rc = fsi_pcap_reader_retain(&src->reader, nblocks, reuse, ctx, base, block_bytes);
  if (rc == -ENOMEM)
    return FS_E_NOMEM;
  return rc == 0 ? 0 : FS_E_STATE;
}

void fsi_source_unhook(fs_source *src) {
  if (src && src->fast)
    fsi_pcap_reader_unhook(&src->reader);
}

const char *fs_source_error(const fs_source *src) { return src ? src->err : ""; }

int fs_source_get_stats(fs_source *src, fs_source_stats *out) {
  if (!src || !out)
    return FS_E_INVAL;
  fs_source_stats st;
  memset(&st, 0, sizeof st);
  st.struct_size = sizeof st;
  st.live = (uint32_t)src->live;
  st.packets = src->packets;
  st.bytes = src->bytes;
  if (src->live) {
    struct pcap_stat ps;
    if (pcap_stats(src->p, &ps) == 0) {
      st.kernel_received = ps.ps_recv;
      st.kernel_dropped = ps.ps_drop;
      st.iface_dropped = ps.ps_ifdrop;
    }
  } else if (src->file_size) {
    st.file_size = src->file_size;
    FILE *f = pcap_file(src->p);
    off_t off = f ? ftello(f) : -1;
    st.file_offset =
        src->fast ? fsi_pcap_reader_offset(&src->reader) : (off > 0 ? (uint64_t)off : 0);
  }
  size_t n = out->struct_size && out->struct_size < sizeof st ? out->struct_size : sizeof st;
  memcpy(out, &st, n);
  out->struct_size = (uint32_t)n;
  return 0;
}

int fs_source_link_type(const fs_source *src) { return src ? src->link_type : FS_E_INVAL; }

void fs_source_break(fs_source *src) {
  if (!src)
    return;
  src->stop = 1;
  if (src->p)
    pcap_breakloop(src->p);
}
