/* simhash.c — SimHash over word shingles, and the stored 64-bit hash. See simhash.h. */
#include "simhash.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
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

int64_t store_link_hash(const char *link_key) {
  return (int64_t)hash64_bytes(link_key, strlen(link_key));
}

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

/* The text key from the hash of its words' hashes: 0 says "too few words to tell". */
static uint64_t text_key_final(const struct hash64 *h, size_t words) {
  uint64_t key = hash64_final(h);
  return words >= SIMHASH_SHINGLE_WORDS ? (key ? key : 1) : 0;
}

/* Calls fn for the hash of every shingle of text, in order; the text's key
 * (simhash_text_key) in *ret_key when asked, from the same pass over its words. */
static size_t for_each_shingle(const char *text, void (*fn)(uint64_t sh, void *arg), void *arg,
                               uint64_t *ret_key) {
  uint64_t window[SIMHASH_SHINGLE_WORDS] = {0};
  size_t words = 0, shingles = 0, pos = 0;
  uint64_t w;
  struct hash64 key;
  hash64_init(&key);
  while (text && next_word(text, &pos, &w)) {
    if (ret_key)
      hash64_add_i64(&key, (int64_t)w);
    window[words % SIMHASH_SHINGLE_WORDS] = w;
    words++;
    if (words < SIMHASH_SHINGLE_WORDS)
      continue;
    uint64_t sh = 0;
    for (size_t k = 0; k < SIMHASH_SHINGLE_WORDS; k++) /* oldest word first */
      sh = mix64(sh ^ window[(words + k) % SIMHASH_SHINGLE_WORDS]);
    fn(sh, arg);
    shingles++;
  }
  if (ret_key)
    *ret_key = text_key_final(&key, words);
  return shingles;
}

/* The 64 bit votes, counted eight bits at a time: lanes[j] holds in byte m the number of
 * shingles with bit 8m+j set, so a shingle costs eight shift-mask-adds instead of 64
 * branches. A byte holds 255 at most, so the lanes are emptied into ones[] every 255. */
#define LANE_BYTES 0x0101010101010101ULL

struct votes {
  uint64_t lanes[8];
  uint32_t ones[64]; /* shingles with each bit set */
  unsigned pending;  /* shingles in lanes[] not yet in ones[] */
  size_t n;
  uint64_t all;      /* xor of every shingle: breaks ties */
};

static void votes_flush(struct votes *vs) {
  for (int j = 0; j < 8; j++) {
    for (int m = 0; m < 8; m++)
      vs->ones[8 * m + j] += (uint32_t)((vs->lanes[j] >> (8 * m)) & 0xff);
    vs->lanes[j] = 0;
  }
  vs->pending = 0;
}

static void vote(uint64_t sh, void *arg) {
  struct votes *vs = arg;
  for (int j = 0; j < 8; j++)
    vs->lanes[j] += (sh >> j) & LANE_BYTES;
  vs->all ^= sh;
  vs->n++;
  if (++vs->pending == 255)
    votes_flush(vs);
}

void simhash_text_keyed(const char *text, uint64_t *ret, size_t *ret_shingles,
                        uint64_t *ret_key) {
  struct votes vs;
  memset(&vs, 0, sizeof vs);
  size_t shingles = for_each_shingle(text, vote, &vs, ret_key);
  votes_flush(&vs);
  /* A bit wins when more shingles have it set than not. A tied bit (even counts tie often)
   * takes its value from all the shingles together, so that ties do not pull every
   * fingerprint towards 0 and towards each other. */
  uint64_t fp = 0;
  for (int bit = 0; bit < 64; bit++) {
    uint64_t set = vs.ones[bit], unset = vs.n - set;
    if (set > unset || (set == unset && ((vs.all >> bit) & 1)))
      fp |= 1ULL << bit;
  }
  *ret = fp;
  *ret_shingles = shingles;
}

void simhash_text(const char *text, uint64_t *ret, size_t *ret_shingles) {
  simhash_text_keyed(text, ret, ret_shingles, NULL);
}

struct shingle_set {
  uint64_t *h;
  size_t n, alloc;
  bool oom;
};

static void collect_shingle(uint64_t sh, void *arg) {
  struct shingle_set *set = arg;
  if (set->oom || set->n >= SIMHASH_MAX_COMPARED_SHINGLES)
    return;
  if (set->n == set->alloc) {
    size_t na = set->alloc ? 2 * set->alloc : 256;
    uint64_t *nh = realloc(set->h, na * sizeof *nh);
    if (!nh) {
      set->oom = true;
      return;
    }
    set->h = nh;
    set->alloc = na;
  }
  set->h[set->n++] = sh;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Sorts and removes repeats. */
static void make_set(struct shingle_set *set) {
  qsort(set->h, set->n, sizeof *set->h, cmp_u64);
  size_t out = 0;
  for (size_t i = 0; i < set->n; i++)
    if (out == 0 || set->h[out - 1] != set->h[i])
      set->h[out++] = set->h[i];
  set->n = out;
}

uint64_t simhash_text_key(const char *text) {
  struct hash64 h;
  hash64_init(&h);
  size_t pos = 0, words = 0;
  uint64_t w;
  while (text && next_word(text, &pos, &w)) {
    hash64_add_i64(&h, (int64_t)w);
    words++;
  }
  return text_key_final(&h, words);
}

int simhash_containment(const char *a, const char *b, double *ret) {
  double larger;
  return simhash_shared(a, b, ret, &larger);
}

int simhash_shared(const char *a, const char *b, double *ret, double *ret_larger) {
  struct shingle_set sa = {0}, sb = {0};
  for_each_shingle(a, collect_shingle, &sa, NULL);
  for_each_shingle(b, collect_shingle, &sb, NULL);
  int r = 0;
  if (sa.oom || sb.oom) {
    r = -ENOMEM;
  } else {
    make_set(&sa);
    make_set(&sb);
    size_t common = 0, i = 0, j = 0;
    while (i < sa.n && j < sb.n) {
      if (sa.h[i] == sb.h[j])
        common++, i++, j++;
      else if (sa.h[i] < sb.h[j])
        i++;
      else
        j++;
    }
    size_t smaller = sa.n < sb.n ? sa.n : sb.n, larger = sa.n < sb.n ? sb.n : sa.n;
    *ret = smaller ? (double)common / (double)smaller : 0.0;
    *ret_larger = larger ? (double)common / (double)larger : 0.0;
  }
  free(sa.h);
  free(sb.h);
  return r;
}

int simhash_distance(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }

int64_t simhash_band_key(uint64_t fp, int band) {
  return ((int64_t)band << SIMHASH_BAND_BITS) |
         (int64_t)((fp >> (SIMHASH_BAND_BITS * band)) & ((1u << SIMHASH_BAND_BITS) - 1));
}
