/* SPDX-License-Identifier: MIT */
/* The generator's PRNG: xoshiro256** seeded through splitmix64, so a seed
 * gives the same stream on every platform. */
#include "gen_internal.h"

uint64_t fsi_gen_mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

void fsi_gen_rng_seed(fsi_gen_rng *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++) {
    x = fsi_gen_mix64(x);
    r->s[i] = x;
  }
  if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
    r->s[0] = 1;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t fsi_gen_rng_next(fsi_gen_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

uint32_t fsi_gen_rng_below(fsi_gen_rng *r, uint32_t n) {
  /* Multiply-shift: bias is below 2^-32 per draw, irrelevant for traffic shapes. */
  return (uint32_t)(((fsi_gen_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}
