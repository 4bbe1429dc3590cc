/* SPDX-License-Identifier: MIT */
/*
 * Zeek connection history letters. Upper case for the initiator, lower
 * case for the responder. Three recording rules (Zeek's conn/main.zeek):
 * once per direction (a d i q, and the first s h f r), again when the
 * sequence number differs (s h f r, decided by the caller), and
 * logarithmically (c g t w at the 1st, 10th, 100th, ... occurrence).
 */
#include "track/track_internal.h"

void fsi_hist_add(fsi_flow *f, char letter) {
  if (f->hist_len < FSI_HIST_LEN)
    f->hist[f->hist_len++] = letter;
  else
    f->flags |= FSI_F_HIST_TRUNC;
}

static char side_case(uint32_t s, char upper) {
  return s == FS_SIDE_INITIATOR ? upper : (char)(upper - 'A' + 'a');
}

int fsi_hist_check(fsi_flow *f, uint32_t s, uint8_t bit, char upper) {
  uint8_t *seen = (f->key.proto == FS_L4_TCP) ? &f->u.tcp[s].hist_seen : &f->u.dg[s].hist_seen;
  if (*seen & bit)
    return 1;
  *seen |= bit;
  fsi_hist_add(f, side_case(s, upper));
  return 0;
}

void fsi_hist_scaled(fsi_flow *f, uint32_t s, char upper, uint32_t count) {
  /* Letter at the 1st, 10th, 100th, ... occurrence. */
  uint32_t p = 1;
  while (p < count && p <= 100000000u)
    p *= 10u;
  if (p == count)
    fsi_hist_add(f, side_case(s, upper));
}
