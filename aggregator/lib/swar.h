/* swar.h — tests on eight bytes at once, for the scans every byte of every feed goes through
 * (charset cleaning, XML repair, JSON output). Header-only; no state.
 *
 * Promise: each test is exact (no false positives or negatives) on the eight bytes of w.
 */
#ifndef BRAID_SWAR_H
#define BRAID_SWAR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define SWAR_ONES 0x0101010101010101ull
#define SWAR_HIGH 0x8080808080808080ull

static inline uint64_t swar_load(const void *p) {
  uint64_t w;
  memcpy(&w, p, 8);
  return w;
}

/* Some byte of w equals c. */
static inline bool swar_has(uint64_t w, unsigned char c) {
  uint64_t x = w ^ (SWAR_ONES * c);
  return ((x - SWAR_ONES) & ~x & SWAR_HIGH) != 0;
}

/* Some byte of w is below n (n <= 128). */
static inline bool swar_has_below(uint64_t w, unsigned char n) {
  return ((w - SWAR_ONES * n) & ~w & SWAR_HIGH) != 0;
}

/* Some byte of w is 0x80 or above. */
static inline bool swar_has_high(uint64_t w) { return (w & SWAR_HIGH) != 0; }

#endif
