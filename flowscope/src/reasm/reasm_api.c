/* SPDX-License-Identifier: MIT */
/* The public face of the built-in reassembler: defaults and the fs_reassembler vtable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reasm/reasm_stream.h"

void fs_reasm_config_default(fs_reasm_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->struct_size = sizeof *cfg;
  cfg->overflow_policy = FS_OVERFLOW_SLIDING_WINDOW;
  cfg->max_buffer = 1024u * 1024u;
  cfg->max_segments = 1024;
  cfg->gap_timeout = 10 * FS_NS_PER_SEC;
}

static int op_segment(void *self, uint32_t seq, uint32_t flags, const uint8_t *data, size_t len,
                      fs_time_ns ts) {
  return fsi_reasm_segment(self, seq, flags, data, len, ts);
}

static int op_tick(void *self, fs_time_ns now) { return fsi_reasm_tick(self, now); }

static int op_finish(void *self, fs_time_ns ts) { return fsi_reasm_finish(self, ts); }

static int op_ack(void *self, uint32_t ack, fs_time_ns ts) { return fsi_reasm_ack(self, ack, ts); }

static void op_stats(void *self, fs_reasm_stats *out) { fsi_reasm_stats(self, out); }

static void op_destroy(void *self) {
  fsi_reasm_release(self);
  free(self);
}

static const fs_reassembler_ops reasm_ops = {
    .struct_size = sizeof(fs_reassembler_ops),
    .segment = op_segment,
    .tick = op_tick,
    .finish = op_finish,
    .stats = op_stats,
    .destroy = op_destroy,
    .ack = op_ack,
};

static void set_err(char *errbuf, const char *msg) {
  if (errbuf != NULL)
    snprintf(errbuf, FS_ERRBUF_SIZE, "reassembler: %s", msg);
}

int fs_reasm_create(fs_reassembler *out, const fs_reasm_config *cfg, const fs_stream_sink *sink,
                    char *errbuf) {
  if (out == NULL || sink == NULL) {
    set_err(errbuf, "out and sink are required");
    return FS_E_INVAL;
  }
  out->ops = NULL;
  out->self = NULL;
  fs_reasm_config c;
  fs_reasm_config_default(&c);
  if (cfg != NULL) {
    if (cfg->struct_size < sizeof c) {
      set_err(errbuf, "config struct_size is too small (use fs_reasm_config_default)");
      return FS_E_INVAL;
    }
    c = *cfg;
    c.struct_size = sizeof c;
  }
  if (c.overflow_policy > FS_OVERFLOW_DROP_FLOW) {
    set_err(errbuf, "unknown overflow_policy");
    return FS_E_INVAL;
  }
  fsi_reasm *r = malloc(sizeof *r);
  if (r == NULL) {
    set_err(errbuf, "out of memory");
    return FS_E_NOMEM;
  }
  fsi_reasm_init(r, &c, sink, NULL);
  out->ops = &reasm_ops;
  out->self = r;
  return 0;
}

void fs_reasm_destroy(fs_reassembler *r) {
  if (r == NULL || r->ops == NULL)
    return;
  r->ops->destroy(r->self);
  r->ops = NULL;
  r->self = NULL;
}
