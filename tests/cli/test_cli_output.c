/* SPDX-License-Identifier: MIT */
/*
 * The CLI's output lanes (cli/src/output.c): each thread builds records in
 * a lane of its own and hands them to the output a batch at a time. Checked
 * here against what the files hold: every record written once, whole, in
 * its lane's order; --stats counts equal to the lines; one file per log
 * with logs past the file limit counted as not written; two threads
 * writing at once into one stream and into one file per log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"

/* output.c reports errors through these (options.c is not linked here). */
static void say(const char *fmt, va_list ap) {
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

void fsi_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  say(fmt, ap);
  va_end(ap);
}

void fsi_warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  say(fmt, ap);
  va_end(ap);
}

static fs_flow_key key_of(uint32_t i) {
  fs_flow_key k;
  memset(&k, 0, sizeof k);
  k.kind = FS_KEY_FIVE_TUPLE_V4;
  k.proto = 6;
  k.addr_a[0] = 10;
  k.addr_a[3] = (uint8_t)i;
  k.addr_b[0] = 10;
  k.addr_b[3] = 200;
  k.port_a = (uint16_t)(1024 + i);
  k.port_b = 80;
  return k;
}

/* Writes one application record of @p protocol whose field "seq" is @p seq
 * and "lane" is @p lane. */
static void write_message(fsi_lane *lane, const char *protocol, uint64_t lane_no, uint64_t seq) {
  fs_flow_key k = key_of((uint32_t)seq);
  fsi_flowinfo fi;
  fsi_flowinfo_init(&fi, &k, FS_ORIENT_A_TO_B, NULL, 1, 0);
  fs_field f[2] = {fs_field_u64("lane", lane_no), fs_field_u64("seq", seq)};
  fs_message m;
  memset(&m, 0, sizeof m);
  m.struct_size = sizeof m;
  m.protocol = protocol;
  m.fields = f;
  m.n_fields = 2;
  fsi_lane_message(lane, &fi, &m, 1);
}

/* The lines of @p path that are records of @p protocol written by lane
 * @p lane_no, checked to come in ascending seq order; returns how many.
 * *all gets the number of lines, each checked to be one whole record. */
static uint64_t count_lines(const char *path, const char *protocol, uint64_t lane_no,
                            uint64_t *all) {
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  char line[4096], json[64], eve[64];
  snprintf(json, sizeof json, "{\"_path\":\"%s\",", protocol);
  snprintf(eve, sizeof eve, "\"event_type\":\"%s\",", protocol);
  uint64_t n = 0, next = 0;
  *all = 0;
  while (fgets(line, sizeof line, f)) {
    size_t len = strlen(line);
    assert_true(len > 0 && line[len - 1] == '\n'); /* whole lines only */
    assert_true(line[0] == '{' && line[len - 2] == '}');
    (*all)++;
    const char *l = strstr(line, "\"lane\":");
    const char *s = strstr(line, "\"seq\":");
    assert_non_null(l);
    assert_non_null(s);
    int mine = strncmp(line, json, strlen(json)) == 0 || strstr(line, eve) != NULL;
    if (!mine || strtoull(l + 7, NULL, 10) != lane_no)
      continue;
    uint64_t seq = strtoull(s + 6, NULL, 10);
    assert_true(seq >= next); /* the lane's order */
    next = seq + 1;
    n++;
  }
  fclose(f);
  return n;
}

typedef struct counts {
  char names[64][32];
  uint64_t n[64];
  uint32_t len;
} counts;

static void add_count(void *ctx, const char *path, uint64_t n) {
  counts *c = ctx;
  assert_true(c->len < 64);
  snprintf(c->names[c->len], sizeof c->names[0], "%s", path);
  c->n[c->len++] = n;
}

static uint64_t count_of(const counts *c, const char *name) {
  for (uint32_t i = 0; i < c->len; i++)
    if (!strcmp(c->names[i], name))
      return c->n[i];
  return 0;
}

static void opts_for(fsi_opts *o, const char *log_dir) {
  memset(o, 0, sizeof *o);
  o->command = FSI_CMD_SESSIONS;
  o->format = FSI_FMT_JSON;
  o->log_dir = log_dir;
}

static void remove_dir(const char *dir) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

/* One file per log, two lanes, 40 logs: 31 files besides conn.log, the
 * rest counted as not written; 3000 records of one log from each lane
 * (several 64 KiB hand-overs each), every one in its file once. */
static void test_log_dir_lanes(void **state) {
  (void)state;
  char dir[] = "/tmp/fs-output-XXXXXX";
  assert_non_null(mkdtemp(dir));
  fsi_opts o;
  opts_for(&o, dir);
  fsi_output *out = NULL;
  assert_int_equal(fsi_output_open(&out, &o, 0), FSI_EXIT_OK);
  fsi_lane *a = fsi_output_lane(out), *b = fsi_output_lane(out);
  assert_true(a && b);
  char name[40][16];
  for (uint32_t i = 0; i < 40; i++) {
    snprintf(name[i], sizeof name[i], "p%u", i);
    write_message(a, name[i], 0, i);
  }
  for (uint64_t s = 0; s < 3000; s++) {
    write_message(a, "p0", 0, 100 + s);
    write_message(b, "p0", 1, s);
  }
  fsi_lane_close(a);
  fsi_lane_close(b);
  counts c = {0};
  fsi_output_counts(out, add_count, &c);
  assert_int_equal(c.len, 32); /* conn + 31 logs: the file limit */
  assert_int_equal(count_of(&c, "conn"), 0);
  assert_int_equal(count_of(&c, "p0"), 1 + 6000);
  assert_int_equal(count_of(&c, "p30"), 1);
  assert_int_equal(fsi_output_skipped(out), 40 - 31);
  assert_int_equal(fsi_output_close(out), FSI_EXIT_OK);

  char path[600];
  uint64_t all = 0;
  snprintf(path, sizeof path, "%s/p0.log", dir);
  assert_int_equal(count_lines(path, "p0", 0, &all), 3001);
  assert_int_equal(count_lines(path, "p0", 1, &all), 3000);
  assert_int_equal(all, 6001);
  snprintf(path, sizeof path, "%s/p30.log", dir);
  assert_int_equal(count_lines(path, "p30", 0, &all), 1);
  snprintf(path, sizeof path, "%s/p31.log", dir);
  assert_int_equal(access(path, F_OK), -1);
  snprintf(path, sizeof path, "%s/conn.log", dir); /* exists even when empty */
  assert_int_equal(access(path, F_OK), 0);
  remove_dir(dir);
}

typedef struct writer {
  fsi_lane *lane;
  uint64_t no, n;
} writer;

static void *write_many(void *arg) {
  writer *w = arg;
  for (uint64_t s = 0; s < w->n; s++)
    write_message(w->lane, s % 3 ? "http" : "dns", w->no, s);
  return NULL;
}

/* Two threads write 30,000 records each at once through their own lanes,
 * 2 of 3 to "http" and 1 of 3 to "dns": with --log-dir and JSON into
 * http.log and dns.log (one file per log), with EVE into eve.json (one
 * stream, 256 KiB batches). Every record must be there once, whole, in its
 * lane's order, and the counts must add up. */
static void run_two_threads(uint32_t format) {
  char dir[] = "/tmp/fs-output-XXXXXX";
  assert_non_null(mkdtemp(dir));
  fsi_opts o;
  opts_for(&o, dir);
  o.format = format;
  fsi_output *out = NULL;
  assert_int_equal(fsi_output_open(&out, &o, 0), FSI_EXIT_OK);
  writer w[2] = {{fsi_output_lane(out), 0, 30000}, {fsi_output_lane(out), 1, 30000}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&t[i], NULL, write_many, &w[i]), 0);
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_join(t[i], NULL), 0);
  fsi_lane_close(w[0].lane);
  fsi_lane_close(w[1].lane);
  counts c = {0};
  fsi_output_counts(out, add_count, &c);
  assert_int_equal(count_of(&c, "http"), 2 * 20000);
  assert_int_equal(count_of(&c, "dns"), 2 * 10000);
  assert_int_equal(fsi_output_close(out), FSI_EXIT_OK);
  char http[600], dns[600];
  snprintf(http, sizeof http, "%s/%s", dir, format == FSI_FMT_EVE ? "eve.json" : "http.log");
  snprintf(dns, sizeof dns, "%s/%s", dir, format == FSI_FMT_EVE ? "eve.json" : "dns.log");
  uint64_t all_http = 0, all_dns = 0;
  for (uint64_t lane = 0; lane < 2; lane++) {
    assert_int_equal(count_lines(http, "http", lane, &all_http), 20000);
    assert_int_equal(count_lines(dns, "dns", lane, &all_dns), 10000);
  }
  assert_int_equal(all_http, format == FSI_FMT_EVE ? 60000 : 40000);
  assert_int_equal(all_dns, format == FSI_FMT_EVE ? 60000 : 20000);
  remove_dir(dir);
}

static void test_two_threads_log_dir(void **state) {
  (void)state;
  run_two_threads(FSI_FMT_JSON);
}

static void test_two_threads_one_stream(void **state) {
  (void)state;
  run_two_threads(FSI_FMT_EVE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_log_dir_lanes),
      cmocka_unit_test(test_two_threads_log_dir),
      cmocka_unit_test(test_two_threads_one_stream),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
