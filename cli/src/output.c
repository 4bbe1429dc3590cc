/* SPDX-License-Identifier: MIT */
/* Record routing: one stream for standard output, or one file per _path. */
#include "output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "csv.h"
#include "eve.h"

/* Distinct _path files one run may open; later paths share "other". */
#define MAX_STREAMS 32

typedef struct stream {
  char path[32];  /* _path this stream holds ("conn", "http", ...) */
  FILE *f;        /* open file (stdout for the single stream) */
  char *filename; /* file name for messages (NULL for stdout) */
  uint64_t records;
} stream;

struct fsi_output {
  const fsi_opts *o;
  int flush_each;
  fsi_jw jw;
  stream streams[MAX_STREAMS];
  uint32_t n_streams;
  int per_path;     /* 1: one file per _path (json + --log-dir) */
  int failed;       /* a write failed; errno in err */
  int err;          /* errno of the first failure */
  char *fail_name;  /* file of the first failure */
  uint64_t skipped; /* records not written: csv messages, no file, no memory */
  size_t rec_start; /* batching: where the record being built starts in jw */
};

/* Records wait in the writer's buffer and go out in one fwrite once this
 * many bytes gathered, when they all go to one file and none has to be
 * flushed at once: a call per record was 1.2% of sessions' time. */
#define BATCH_BYTES (256u * 1024u)

static int batching(const fsi_output *out) { return !out->per_path && !out->flush_each; }

/* _path names become file names: keep [a-z0-9_-] only. */
static void sanitize(const char *in, char *out, size_t len) {
  size_t n = 0;
  for (; in && in[n] && n + 1 < len; n++) {
    char c = in[n];
    int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a'), ok = 1;
    out[n] = ok ? c : '_';
  }
  out[n] = '\0';
  if (n == 0)
    snprintf(out, len, "unknown");
}

static stream *open_stream(fsi_output *out, const char *path, const char *filename) {
  if (out->n_streams >= MAX_STREAMS)
    return NULL;
  stream *s = &out->streams[out->n_streams];
  memset(s, 0, sizeof *s);
  snprintf(s->path, sizeof s->path, "%s", path);
  if (!filename) {
    s->f = stdout;
  } else {
    size_t n = strlen(out->o->log_dir) + strlen(filename) + 2;
    s->filename = malloc(n);
    if (!s->filename)
      return NULL;
    snprintf(s->filename, n, "%s/%s", out->o->log_dir, filename);
    s->f = fopen(s->filename, "w");
    if (!s->f) {
      if (!out->failed) {
        out->failed = 1;
        out->err = errno;
        out->fail_name = strdup(s->filename);
      }
      free(s->filename);
      return NULL;
    }
  }
  out->n_streams++;
  return s;
}

/* The stream for @p path, opened on first use. */
static stream *stream_for(fsi_output *out, const char *path) {
  char clean[32];
  sanitize(path, clean, sizeof clean);
  if (!out->per_path) {
    /* One stream holds everything; count per path for --stats. */
    for (uint32_t i = 0; i < out->n_streams; i++)
      if (!strcmp(out->streams[i].path, clean))
        return &out->streams[i];
    if (out->n_streams >= MAX_STREAMS)
      return &out->streams[0];
    stream *s = &out->streams[out->n_streams++];
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", clean);
    s->f = out->streams[0].f;
    return s;
  }
  for (uint32_t i = 0; i < out->n_streams; i++)
    if (!strcmp(out->streams[i].path, clean))
      return &out->streams[i];
  char filename[48];
  snprintf(filename, sizeof filename, "%s.log", clean);
  return open_stream(out, clean, filename);
}

int fsi_output_open(fsi_output **res, const fsi_opts *o, int flush_each) {
  fsi_output *out = calloc(1, sizeof *out);
  if (!out) {
    fsi_error("out of memory");
    return FSI_EXIT_ERROR;
  }
  out->o = o;
  out->flush_each = flush_each;
  fsi_jw_init(&out->jw);
  if (o->log_dir) {
    if (mkdir(o->log_dir, 0755) != 0 && errno != EEXIST) {
      fsi_error("--log-dir %s: cannot create the directory: %s", o->log_dir, strerror(errno));
      free(out);
      return FSI_EXIT_ERROR;
    }
    struct stat st;
    if (stat(o->log_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
      fsi_error("--log-dir %s: not a directory", o->log_dir);
      free(out);
      return FSI_EXIT_ERROR;
    }
  }
  stream *first = NULL;
  if (o->log_dir && o->format == FSI_FMT_JSON) {
    out->per_path = 1;
    first = stream_for(out, "conn"); /* conn.log exists even when empty, as in Zeek */
  } else if (o->log_dir) {
    first = open_stream(out, o->format == FSI_FMT_CSV ? "conn" : "eve",
                        o->format == FSI_FMT_CSV ? "conn.csv" : "eve.json");
  } else {
    if (!flush_each) {
      /* Records are gathered in the writer's buffer and written
       * BATCH_BYTES at a time: stdio's own buffer would only copy them
       * once more. */
      setvbuf(stdout, NULL, _IONBF, 0);
    }
    first = open_stream(out, "conn", NULL);
  }
  if (!first) {
    fsi_error("%s: cannot create: %s", out->fail_name ? out->fail_name : o->log_dir,
              strerror(out->err ? out->err : ENOMEM));
    free(out->fail_name);
    free(out);
    return FSI_EXIT_ERROR;
  }
  if (o->format == FSI_FMT_CSV) {
    fsi_jw_reset(&out->jw);
    fsi_csv_header(&out->jw);
    if (fwrite(out->jw.buf, 1, out->jw.len, first->f) != out->jw.len && !out->failed) {
      out->failed = 1;
      out->err = errno;
    }
    fsi_jw_reset(&out->jw);
  }
  *res = out;
  return FSI_EXIT_OK;
}

/* Writes the gathered records to the single stream. */
static void write_batch(fsi_output *out) {
  stream *s = &out->streams[0];
  if (out->jw.len && s->f && fwrite(out->jw.buf, 1, out->jw.len, s->f) != out->jw.len &&
      !out->failed) {
    out->failed = 1;
    out->err = errno;
    out->fail_name = s->filename ? strdup(s->filename) : NULL;
  }
  fsi_jw_reset(&out->jw);
}

/* Starts building a record in the writer: after the gathered ones when
 * batching, else in an emptied buffer. */
static void begin_record(fsi_output *out) {
  if (!batching(out)) {
    fsi_jw_reset(&out->jw);
    return;
  }
  if (out->jw.len >= BATCH_BYTES)
    write_batch(out);
  out->jw.depth = 0;
  out->jw.need_comma[0] = 0;
  out->rec_start = out->jw.len;
}

/* Writes the built record (plus a newline for JSON) to @p s, or keeps it
 * with the gathered ones when batching. */
static void emit(fsi_output *out, stream *s, int newline) {
  if (s && newline)
    fsi_jw_raw(&out->jw, "\n", 1);
  if (!s || out->jw.oom) {
    out->skipped++; /* no file for it (too many logs) or out of memory: counted */
    if (batching(out)) {
      /* Only this record is dropped: the ones gathered before stay. */
      out->jw.len = out->rec_start;
      out->jw.oom = 0;
    }
    return;
  }
  if (batching(out)) {
    s->records++;
    return;
  }
  if (fwrite(out->jw.buf, 1, out->jw.len, s->f) != out->jw.len) {
    if (!out->failed) {
      out->failed = 1;
      out->err = errno;
      out->fail_name = s->filename ? strdup(s->filename) : NULL;
    }
    return;
  }
  s->records++;
  if (out->flush_each)
    fflush(s->f);
}

void fsi_output_flow(fsi_output *out, const fsi_flowinfo *fi) {
  begin_record(out);
  switch (out->o->format) {
  case FSI_FMT_EVE:
    fsi_eve_flow(&out->jw, fi, out->o->cid_seed);
    emit(out, stream_for(out, "conn"), 1);
    break;
  case FSI_FMT_CSV:
    fsi_csv_conn(&out->jw, fi, out->o->cid_seed);
    emit(out, stream_for(out, "conn"), 0);
    break;
  default:
    fsi_rec_conn(&out->jw, fi, out->o->cid_seed);
    emit(out, stream_for(out, "conn"), 1);
    break;
  }
}

void fsi_output_message(fsi_output *out, const fsi_flowinfo *fi, const fs_message *msg,
                        fs_time_ns ts) {
  const char *path = msg->protocol ? msg->protocol : "unknown";
  begin_record(out);
  switch (out->o->format) {
  case FSI_FMT_CSV: out->skipped++; return;
  case FSI_FMT_EVE: fsi_eve_app(&out->jw, fi, msg, ts); break;
  default: fsi_rec_app(&out->jw, fi, msg, ts); break;
  }
  stream *s = stream_for(out, path);
  if (!s && out->per_path)
    s = stream_for(out, "other"); /* more paths than MAX_STREAMS */
  emit(out, s, 1);
}

void fsi_output_counts(const fsi_output *out, void (*fn)(void *ctx, const char *path, uint64_t n),
                       void *ctx) {
  for (uint32_t i = 0; i < out->n_streams; i++)
    fn(ctx, out->streams[i].path, out->streams[i].records);
}

uint64_t fsi_output_skipped(const fsi_output *out) { return out->skipped; }

int fsi_output_close(fsi_output *out) {
  if (!out)
    return FSI_EXIT_OK;
  int rc = FSI_EXIT_OK;
  if (batching(out) && out->n_streams > 0)
    write_batch(out);
  for (uint32_t i = 0; i < out->n_streams; i++) {
    stream *s = &out->streams[i];
    if (s->f == stdout) {
      if (fflush(stdout) != 0 && !out->failed) {
        out->failed = 1;
        out->err = errno;
      }
    } else if (s->f && s->filename) {
      if (fclose(s->f) != 0 && !out->failed) {
        out->failed = 1;
        out->err = errno;
        out->fail_name = strdup(s->filename);
      }
    }
    free(s->filename);
  }
  if (out->failed) {
    fsi_error("%s: write failed: %s", out->fail_name ? out->fail_name : "standard output",
              strerror(out->err));
    rc = FSI_EXIT_ERROR;
  }
  free(out->fail_name);
  fsi_jw_free(&out->jw);
  free(out);
  return rc;
}
