/* SPDX-License-Identifier: MIT */
/*
 * Zeek connection history letters. Upper case for the initiator, lower
 * case for the responder. Three recording rules (Zeek's conn/main.zeek):
 * once per direction (a d i q, and the first s h f r), again when the
 * sequence number differs (s h f r, decided by the caller), and
 * logarithmically (c g t w at the 1st, 10th, 100th, ... occurrence).
 * The first two are inline in track_internal.h (fsi_hist_check,
 * fsi_hist_add); the logarithmic one is here.
 */
#include "track/track_internal.h"

void fsi_hist_scaled(fsi_flow *f, uint32_t s, char upper, uint32_t count) {
  /* Letter at the 1st, 10th, 100th, ... occurrence. */
  uint32_t p = 1;
  while (p < count && p <= 100000000u)
    p *= 10u;
  if (p == count)
    fsi_hist_add(f, fsi_side_case(s, upper));
}
