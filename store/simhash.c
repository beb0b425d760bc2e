/* simhash.c — SimHash over word shingles, and the stored 64-bit hash. See simhash.h. */
#include "simhash.h"

#include <string.h>

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void hash64_init(struct hash64 *s) { s->h = 0xcbf29ce484222325ULL; }

void hash64_add(struct hash64 *s, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) {
    s->h ^= p[i];
    s->h *= 0x100000001b3ULL;
  }
}

void hash64_add_str(struct hash64 *s, const char *str) {
  static const unsigned char null_marker[2] = {0xff, 0x00};
  if (!str) {
    hash64_add(s, null_marker, sizeof null_marker);
    return;
  }
  hash64_add(s, str, strlen(str) + 1);
}

void hash64_add_i64(struct hash64 *s, int64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (unsigned char)((uint64_t)v >> (8 * i));
  hash64_add(s, b, sizeof b);
}

uint64_t hash64_final(const struct hash64 *s) { return mix64(s->h); }

uint64_t hash64_bytes(const void *data, size_t len) {
  struct hash64 s;
  hash64_init(&s);
  hash64_add(&s, data, len);
  return hash64_final(&s);
}

/* Word bytes: ASCII letters and digits, and every byte of a multi-byte UTF-8 character
 * (so "Homs’" keeps its apostrophe as part of the word, which is harmless). */
static int is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Next word of text at *pos: its hash (of the lower-cased bytes). 0 at the end. */
static int next_word(const char *text, size_t *pos, uint64_t *ret_hash) {
  size_t i = *pos;
  while (text[i] && !is_word_byte((unsigned char)text[i]))
    i++;
  if (!text[i])
    return 0;
  struct hash64 h;
  hash64_init(&h);
  while (text[i] && is_word_byte((unsigned char)text[i])) {
    unsigned char c = (unsigned char)text[i];
    if (c >= 'A' && c <= 'Z')
      c = (unsigned char)(c - 'A' + 'a');
    hash64_add(&h, &c, 1);
    i++;
  }
  *pos = i;
  *ret_hash = hash64_final(&h);
  return 1;
}

void simhash_text(const char *text, uint64_t *ret, size_t *ret_shingles) {
  int32_t votes[64] = {0};
  uint64_t window[SIMHASH_SHINGLE_WORDS] = {0};
  size_t words = 0, shingles = 0, pos = 0;
  uint64_t w;
  while (text && next_word(text, &pos, &w)) {
    window[words % SIMHASH_SHINGLE_WORDS] = w;
    words++;
    if (words < SIMHASH_SHINGLE_WORDS)
      continue;
    uint64_t sh = 0;
    for (size_t k = 0; k < SIMHASH_SHINGLE_WORDS; k++) /* oldest word first */
      sh = mix64(sh ^ window[(words + k) % SIMHASH_SHINGLE_WORDS]);
    for (int bit = 0; bit < 64; bit++)
      votes[bit] += (sh >> bit) & 1 ? 1 : -1;
    shingles++;
  }
  uint64_t fp = 0;
  for (int bit = 0; bit < 64; bit++)
    if (votes[bit] > 0)
      fp |= 1ULL << bit;
  *ret = fp;
  *ret_shingles = shingles;
}

int simhash_distance(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }

int64_t simhash_band_key(uint64_t fp, int band) {
  return ((int64_t)band << SIMHASH_BAND_BITS) |
         (int64_t)((fp >> (SIMHASH_BAND_BITS * band)) & ((1u << SIMHASH_BAND_BITS) - 1));
}
