/* SPDX-License-Identifier: MIT */
/* Record routing: one stream for standard output, or one file per _path. */
#include "output.h"

#include <errno.h>
#include <pthread.h>
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
  stream streams[MAX_STREAMS];
  uint32_t n_streams;
  int per_path;         /* 1: one file per _path (json + --log-dir) */
  int failed;           /* a write failed; errno in err */
  int err;              /* errno of the first failure */
  char *fail_name;      /* file of the first failure */
  uint64_t skipped;     /* records not written: csv messages, no file, no memory */
  pthread_mutex_t lock; /* streams, counts and failure state, when lanes hand over */
  fsi_lane *lanes[FSI_MAX_LANES];
  uint32_t n_lanes;
};

/* One _path as a lane sees it. */
typedef struct lane_path {
  char path[32]; /* sanitized */
  uint64_t n;    /* records gathered, not yet added to the output's counts */
  stream *s;     /* one file per log: the log's file (NULL: none could be opened) */
  fsi_jw jw;     /* one file per log: the records not yet written */
} lane_path;

struct fsi_lane {
  fsi_output *out;
  fsi_jw jw;        /* the records gathered for the single stream, or one record */
  size_t rec_start; /* batching: where the record being built starts */
  lane_path *cur;   /* one file per log: the path of the record being built */
  int closed;
  lane_path paths[MAX_STREAMS];
  uint32_t n_paths;
  uint64_t overflow; /* records of paths past MAX_STREAMS: counted with the first stream */
  uint64_t skipped;  /* records this lane did not write */
};

/* Records wait in a lane's buffer and go out in one fwrite once this
 * many bytes gathered, unless every record has to be flushed at once: a
 * call per record was 1.2% of sessions' time, and with workers a lock per
 * record made the threads wait for each other. One file per log gathers
 * less per log, as a lane may feed up to MAX_STREAMS of them. */
#define BATCH_BYTES (256u * 1024u)
#define PATH_BATCH_BYTES (64u * 1024u)

/* Records gathered in the lane for the single stream. */
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
      /* Records are gathered in the lanes' buffers and written
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
    fsi_jw jw;
    fsi_jw_init(&jw);
    fsi_csv_header(&jw);
    if ((jw.oom || fwrite(jw.buf, 1, jw.len, first->f) != jw.len) && !out->failed) {
      out->failed = 1;
      out->err = jw.oom ? ENOMEM : errno;
    }
    fsi_jw_free(&jw);
  }
  pthread_mutex_init(&out->lock, NULL);
  *res = out;
  return FSI_EXIT_OK;
}

fsi_lane *fsi_output_lane(fsi_output *out) {
  if (out->n_lanes >= FSI_MAX_LANES)
    return NULL;
  fsi_lane *lane = calloc(1, sizeof *lane);
  if (!lane)
    return NULL;
  lane->out = out;
  fsi_jw_init(&lane->jw);
  out->lanes[out->n_lanes++] = lane;
  return lane;
}

/* Notes a write failure (the first one is reported). Under the lock. */
static void write_failed(fsi_output *out, const stream *s) {
  if (out->failed)
    return;
  out->failed = 1;
  out->err = errno;
  out->fail_name = s->filename ? strdup(s->filename) : NULL;
}

/* Writes the records the lane gathered to the single stream. */
static void hand_over_batch(fsi_lane *lane) {
  fsi_output *out = lane->out;
  if (lane->jw.len) {
    pthread_mutex_lock(&out->lock);
    stream *s = &out->streams[0];
    if (s->f && fwrite(lane->jw.buf, 1, lane->jw.len, s->f) != lane->jw.len)
      write_failed(out, s);
    pthread_mutex_unlock(&out->lock);
  }
  fsi_jw_reset(&lane->jw);
}

/* The lane's entry for @p path, made on first use (with one file per log,
 * the log's file is opened then, so --stats lists logs in the order they
 * first appeared, and a log past MAX_STREAMS goes to "other" when
 * @p other). NULL when the lane has MAX_STREAMS paths already. */
static lane_path *lane_path_for(fsi_lane *lane, const char *path, int other) {
  char clean[32];
  sanitize(path, clean, sizeof clean);
  for (uint32_t i = 0; i < lane->n_paths; i++)
    if (!strcmp(lane->paths[i].path, clean))
      return &lane->paths[i];
  if (lane->n_paths >= MAX_STREAMS)
    return NULL;
  lane_path *lp = &lane->paths[lane->n_paths++];
  memset(lp, 0, sizeof *lp);
  memcpy(lp->path, clean, sizeof lp->path);
  fsi_output *out = lane->out;
  if (out->per_path) {
    pthread_mutex_lock(&out->lock);
    lp->s = stream_for(out, clean);
    if (!lp->s && other)
      lp->s = stream_for(out, "other"); /* more paths than files */
    pthread_mutex_unlock(&out->lock);
    fsi_jw_init(&lp->jw);
  }
  return lp;
}

/* One file per log: writes the records gathered for @p lp to its file. */
static void hand_over_path(fsi_lane *lane, lane_path *lp) {
  fsi_output *out = lane->out;
  if (lp->n || lp->jw.len) {
    pthread_mutex_lock(&out->lock);
    if (!lp->s)
      out->skipped += lp->n; /* no file for it (too many logs): counted */
    else if (fwrite(lp->jw.buf, 1, lp->jw.len, lp->s->f) != lp->jw.len)
      write_failed(out, lp->s);
    else
      lp->s->records += lp->n;
    pthread_mutex_unlock(&out->lock);
  }
  fsi_jw_reset(&lp->jw);
  lp->n = 0;
}

/* Starts building a record of @p path in the lane and returns the buffer
 * to build it in: after the records gathered for its stream when
 * batching, else an emptied one (written at once by emit). */
static fsi_jw *begin_record(fsi_lane *lane, const char *path, int other) {
  fsi_output *out = lane->out;
  fsi_jw *w = &lane->jw;
  lane->cur = NULL;
  if (out->per_path && !out->flush_each)
    lane->cur = lane_path_for(lane, path, other);
  if (lane->cur) {
    w = &lane->cur->jw;
    if (w->len >= PATH_BATCH_BYTES)
      hand_over_path(lane, lane->cur);
  } else if (!batching(out)) {
    fsi_jw_reset(w);
    return w;
  } else if (w->len >= BATCH_BYTES) {
    hand_over_batch(lane);
  }
  w->depth = 0;
  w->need_comma[0] = 0;
  lane->rec_start = w->len;
  return w;
}

/* The record built in @p w (plus a newline for JSON) is done: kept with
 * the gathered ones when batching, else written to the stream of @p path
 * (or of "other", with @p other, when there are more paths than files). */
static void emit(fsi_lane *lane, fsi_jw *w, const char *path, int other, int newline) {
  fsi_output *out = lane->out;
  if (newline)
    fsi_jw_raw(w, "\n", 1);
  if (lane->cur || batching(out)) {
    if (w->oom) {
      /* Only this record is dropped: the ones gathered before stay. */
      lane->skipped++;
      w->len = lane->rec_start;
      w->oom = 0;
      return;
    }
    lane_path *lp = lane->cur ? lane->cur : lane_path_for(lane, path, other);
    if (lp)
      lp->n++;
    else
      lane->overflow++;
    return;
  }
  pthread_mutex_lock(&out->lock);
  stream *s = stream_for(out, path);
  if (!s && other && out->per_path)
    s = stream_for(out, "other");
  if (!s || w->oom) {
    out->skipped++; /* no file for it (too many logs) or out of memory: counted */
  } else if (fwrite(w->buf, 1, w->len, s->f) != w->len) {
    write_failed(out, s);
  } else {
    s->records++;
    if (out->flush_each)
      fflush(s->f);
  }
  pthread_mutex_unlock(&out->lock);
}

void fsi_lane_flow(fsi_lane *lane, const fsi_flowinfo *fi) {
  const fsi_opts *o = lane->out->o;
  fsi_jw *w = begin_record(lane, "conn", 0);
  switch (o->format) {
  case FSI_FMT_EVE:
    fsi_eve_flow(w, fi, o->cid_seed);
    emit(lane, w, "conn", 0, 1);
    break;
  case FSI_FMT_CSV:
    fsi_csv_conn(w, fi, o->cid_seed);
    emit(lane, w, "conn", 0, 0);
    break;
  default:
    fsi_rec_conn(w, fi, o->cid_seed);
    emit(lane, w, "conn", 0, 1);
    break;
  }
}

void fsi_lane_message(fsi_lane *lane, const fsi_flowinfo *fi, const fs_message *msg,
                      fs_time_ns ts) {
  const char *path = msg->protocol ? msg->protocol : "unknown";
  if (lane->out->o->format == FSI_FMT_CSV) {
    lane->skipped++;
    return;
  }
  fsi_jw *w = begin_record(lane, path, 1);
  if (lane->out->o->format == FSI_FMT_EVE)
    fsi_eve_app(w, fi, msg, ts);
  else
    fsi_rec_app(w, fi, msg, ts);
  emit(lane, w, path, 1, 1);
}

void fsi_lane_close(fsi_lane *lane) {
  if (!lane || lane->closed)
    return;
  lane->closed = 1;
  fsi_output *out = lane->out;
  if (batching(out))
    hand_over_batch(lane);
  for (uint32_t i = 0; out->per_path && i < lane->n_paths; i++)
    hand_over_path(lane, &lane->paths[i]);
  pthread_mutex_lock(&out->lock);
  for (uint32_t i = 0; !out->per_path && i < lane->n_paths; i++) {
    /* The single stream: the lane counted its records by path. */
    stream *s = lane->paths[i].n ? stream_for(out, lane->paths[i].path) : NULL;
    if (s)
      s->records += lane->paths[i].n;
  }
  out->streams[0].records += lane->overflow;
  out->skipped += lane->skipped;
  pthread_mutex_unlock(&out->lock);
  for (uint32_t i = 0; out->per_path && i < lane->n_paths; i++)
    fsi_jw_free(&lane->paths[i].jw);
  fsi_jw_free(&lane->jw);
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
  for (uint32_t i = 0; i < out->n_lanes; i++) {
    fsi_lane_close(out->lanes[i]);
    free(out->lanes[i]);
  }
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
  pthread_mutex_destroy(&out->lock);
  free(out->fail_name);
  free(out);
  return rc;
}
