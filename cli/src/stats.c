/* SPDX-License-Identifier: MIT */
/* --stats: one "stats:" line per topic, only non-zero reasons listed. */
#include "stats.h"

typedef struct line {
  FILE *f;
  int n; /* items written on the current line */
} line;

static void item(line *l, const char *name, uint64_t v) {
  fprintf(l->f, "%s%s %llu", l->n++ ? ", " : "", name, (unsigned long long)v);
}

static void count_cb(void *ctx, const char *path, uint64_t n) { item(ctx, path, n); }

void fsi_stats_print(FILE *f, fs_source *src, fsi_engine *e, const fsi_output *out) {
  fsi_engine_counters dc;
  fsi_engine_counters_get(e, &dc);
  fs_tracker_counters tc = {.struct_size = sizeof tc};
  fsi_engine_tracker_counters(e, &tc);
  uint64_t skipped = 0;
  for (int i = 0; i < 32; i++)
    skipped += dc.skipped[i];
  line l = {f, 0};

  fprintf(f, "stats: packets %llu, bytes %llu, in flows %llu, skipped %llu\n",
          (unsigned long long)dc.packets, (unsigned long long)dc.bytes,
          (unsigned long long)dc.packets_in_flows, (unsigned long long)skipped);
  if (skipped) {
    fprintf(f, "stats: skipped by reason: ");
    l.n = 0;
    for (uint32_t i = 1; i < 32; i++)
      if (dc.skipped[i])
        item(&l, fs_skip_reason_name(i), dc.skipped[i]);
    fputc('\n', f);
  }
  fprintf(f, "stats: flows %llu, ended %llu, evicted %llu, time went backwards %llu\n",
          (unsigned long long)tc.flows_created, (unsigned long long)tc.flows_ended,
          (unsigned long long)tc.flows_evicted, (unsigned long long)tc.time_backwards);
  fprintf(f, "stats: flows by end reason: ");
  l.n = 0;
  for (uint32_t i = 1; i < 16; i++)
    if (tc.ended_by_reason[i])
      item(&l, fs_end_reason_name(i), tc.ended_by_reason[i]);
  if (!l.n)
    fprintf(f, "none");
  fputc('\n', f);
  fprintf(f,
          "stats: messages %llu, parse errors %llu, flows no parser claimed %llu, "
          "reassembly dropped bytes %llu, events dropped %llu, hand-offs %llu (refused %llu)\n",
          (unsigned long long)dc.messages, (unsigned long long)dc.parse_errors,
          (unsigned long long)dc.detect_unclaimed, (unsigned long long)dc.reasm_dropped_bytes,
          (unsigned long long)dc.events_dropped, (unsigned long long)dc.handoffs,
          (unsigned long long)dc.handoffs_refused);
  fprintf(f, "stats: memory: flows retired %llu (revived %llu), parsers released early %llu\n",
          (unsigned long long)dc.flows_retired, (unsigned long long)dc.flows_revived,
          (unsigned long long)dc.parsers_released);
  if (out) {
    fprintf(f, "stats: records: ");
    l.n = 0;
    fsi_output_counts(out, count_cb, &l);
    if (fsi_output_skipped(out))
      item(&l, "not written", fsi_output_skipped(out));
    fputc('\n', f);
  }
  if (src) {
    fs_source_stats ss = {.struct_size = sizeof ss};
    if (fs_source_get_stats(src, &ss) == 0 && ss.live)
      fprintf(f, "stats: capture: received %llu, kernel dropped %llu, interface dropped %llu\n",
              (unsigned long long)ss.kernel_received, (unsigned long long)ss.kernel_dropped,
              (unsigned long long)ss.iface_dropped);
  }
}
