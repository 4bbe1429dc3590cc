/* SPDX-License-Identifier: MIT */
/* Bounded big-endian readers over byte views: every length is checked
 * against what remains, so a hostile length can never read past the view. */
#include "tls_internal.h"

int fsi_tls_take(fsi_tls_view *v, size_t n, fsi_tls_view *out) {
  if (v->n < n)
    return 0;
  if (out) {
    out->p = v->p;
    out->n = n;
  }
  v->p += n;
  v->n -= n;
  return 1;
}

static int take_be(fsi_tls_view *v, unsigned bytes, uint32_t *out) {
  fsi_tls_view b;
  if (!fsi_tls_take(v, bytes, &b))
    return 0;
  uint32_t x = 0;
  for (unsigned i = 0; i < bytes; i++)
    x = (x << 8) | b.p[i];
  *out = x;
  return 1;
}

int fsi_tls_take_u8(fsi_tls_view *v, uint32_t *out) { return take_be(v, 1, out); }
int fsi_tls_take_u16(fsi_tls_view *v, uint32_t *out) { return take_be(v, 2, out); }
int fsi_tls_take_u24(fsi_tls_view *v, uint32_t *out) { return take_be(v, 3, out); }

int fsi_tls_take_vec(fsi_tls_view *v, unsigned len_bytes, fsi_tls_view *out) {
  fsi_tls_view save = *v;
  uint32_t n;
  if (!take_be(v, len_bytes, &n) || !fsi_tls_take(v, n, out)) {
    *v = save;
    return 0;
  }
  return 1;
}

uint16_t fsi_tls_u16_at(fsi_tls_view v, size_t i) {
  return (uint16_t)((v.p[2 * i] << 8) | v.p[2 * i + 1]);
}
