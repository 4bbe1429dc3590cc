/* SPDX-License-Identifier: MIT */
/*
 * GCC 12 twice compiled a function whose only effects were prefetches into
 * nothing (once a bare `ret`), which silently cost the batch paths their
 * look-ahead: results stay the same, only speed is lost, so no behaviour
 * test notices. This test disassembles the built libflowscope with objdump
 * and checks that the functions which must fetch ahead still contain
 * prefetch instructions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Prefetch instructions in the body of @p fn in objdump's listing of the
 * library, or -1 when the function is not in it. */
static int count_prefetches(const char *fn) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "objdump -d --no-show-raw-insn '%s' 2>/dev/null", FS_LIBFLOWSCOPE);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  char head[256];
  snprintf(head, sizeof head, "<%s>:", fn);
  char line[512];
  int in_fn = 0, found = 0, n = 0;
  while (fgets(line, sizeof line, p) != NULL) {
    if (strstr(line, head) != NULL) {
      in_fn = found = 1;
      continue;
    }
    if (in_fn && (line[0] == '\n' || strstr(line, ">:") != NULL))
      in_fn = 0; /* a blank line or the next symbol ends the body */
    if (in_fn && strstr(line, "prefetch") != NULL)
      n++;
  }
  pclose(p);
  return found ? n : -1;
}

static int have_objdump(void) { return system("objdump --version >/dev/null 2>&1") == 0; }

static void test_batch_paths_prefetch(void **state) {
  (void)state;
  if (!have_objdump()) {
    fprintf(stderr, "objdump not found: skipped\n");
    skip();
  }
  /* The driver's look-ahead: table records, flow state, reassemblers, parsers. */
  static const char *const fns[] = {"fsi_tracker_prefetch_record", "fsi_tracker_prefetch_slot",
                                    "fs_driver_feed_batch", "fs_tracker_track_batch"};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    int n = count_prefetches(fns[i]);
    fprintf(stderr, "%s: %d prefetch instructions\n", fns[i], n);
    assert_true(n != -1); /* the symbol must be in the listing */
    assert_true(n > 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_batch_paths_prefetch),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
