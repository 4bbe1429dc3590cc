/* SPDX-License-Identifier: MIT */
/* uid = "C" + base62(96 bits of XXH3-128(key . first_seen, seed)). */
#include "uid.h"

#include <string.h>
#include <xxhash.h>

uint64_t fsi_uid(const fs_flow_key *key, fs_time_ns first_seen, uint64_t seed, char *out) {
  static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  uint8_t in[FS_KEY_SIZE + 8];
  memcpy(in, key, FS_KEY_SIZE);
  for (int i = 0; i < 8; i++) /* little-endian, so the hash is the same on every host */
    in[FS_KEY_SIZE + i] = (uint8_t)(first_seen >> (8 * i));
  XXH128_hash_t h = XXH3_128bits_withSeed(in, sizeof in, seed);
  /* 96 bits: all of low64 and 32 bits of high64, as three 32-bit limbs. */
  uint32_t limb[3] = {(uint32_t)(h.high64 & 0xffffffffu), (uint32_t)(h.low64 >> 32),
                      (uint32_t)h.low64};
  out[0] = 'C';
  /* Five digits at a time: three long divisions by 62^5 (it fits in 32
   * bits) leave a quotient below 62^2, since the number is below 62^17. */
  const uint64_t d5 = 62u * 62u * 62u * 62u * 62u;
  int pos = 17;
  for (int round = 0; round < 3; round++) {
    uint64_t rem = 0;
    for (int i = 0; i < 3; i++) {
      uint64_t cur = (rem << 32) | limb[i];
      limb[i] = (uint32_t)(cur / d5);
      rem = cur % d5;
    }
    uint32_t r = (uint32_t)rem;
    for (int k = 0; k < 5; k++) {
      out[pos--] = b62[r % 62];
      r /= 62;
    }
  }
  uint32_t q = limb[2]; /* limbs 0 and 1 are zero now */
  out[pos--] = b62[q % 62];
  out[pos] = b62[q / 62];
  out[18] = '\0';
  return h.low64;
}
