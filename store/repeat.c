/* repeat.c — finding a body that holds its text twice in a row (store_dedupe_repeated_body,
 * declared in store.h). Scrapers and syndication sometimes paste an article after itself;
 * seed 000 is such a body, title once, article twice, then site boilerplate. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "store.h"

/* The repeated block must be long enough not to be a refrain or a table row. */
#define REPEAT_MIN_BLOCK_BYTES 256
/* Bytes of the block's start searched for its second copy. */
#define REPEAT_PROBE_BYTES 64
/* Odd, so multiplying by its powers (mod 2^64) loses nothing: equal hashes of windows at
 * different places mean equal bytes, up to a collision. */
#define REPEAT_HASH_BASE 0x100000001b3ull
/* Hash collisions that memcmp refuted before the search gives up: crafted text can make a
 * polynomial hash collide, and each refutation costs a scan of the block. */
#define REPEAT_MAX_COLLISIONS 4
/* The search's work is bounded by this many units per byte of the body, where a byte
 * memmem scans is 1 unit, a probe it matches REPEAT_PROBE_BYTES units (it compares them) and
 * a byte a hash window moves over REPEAT_WINDOW_COST units (a multiply and an add: about
 * that much slower than memmem's scan). It is a full scan for each of the
 * BRAID_STORE_REPEAT_MAX_STARTS starts, twice over: a real repeat, found within a few
 * scans, fits; a body whose probes match everywhere (a line said thousands of times) gives
 * up after a few starts instead of costing seconds (one of 2 MB used to cost over a minute). */
#define REPEAT_WORK_PER_BYTE (2 * BRAID_STORE_REPEAT_MAX_STARTS)
#define REPEAT_WINDOW_COST 8
/* First slice of the body one memmem call is given, in bytes; doubled after each miss. */
#define REPEAT_SLICE_BYTES 512

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Candidate starts of a block: the start of the body, of a line, or of a tag (HTML bodies
 * are often one long line). */
static bool is_block_start(const char *body, size_t i) {
  return i == 0 || body[i - 1] == '\n' || (body[i] == '<' && !is_space(body[i - 1]));
}

static uint64_t pow_u64(uint64_t b, size_t e) {
  uint64_t r = 1;
  for (; e; e >>= 1, b *= b)
    if (e & 1)
      r *= b;
  return r;
}

/* The bytes [lo, hi) of a body and their hash, the sum of byte[t] * BASE^t (mod 2^64).
 * Both ends only move forwards, so each byte enters and leaves once per block start: the
 * whole search for one start is linear in the body, whatever the body holds. */
struct window {
  size_t lo, hi;
  uint64_t hash;
  uint64_t pow_lo, pow_hi; /* BASE^lo, BASE^hi */
};

static void window_start(struct window *w, size_t at) {
  *w = (struct window){.lo = at, .hi = at, .pow_lo = pow_u64(REPEAT_HASH_BASE, at)};
  w->pow_hi = w->pow_lo;
}

/* Moves w to [lo, hi), with lo >= w->lo, hi >= w->hi and lo <= hi; returns the work. */
static size_t window_move(struct window *w, const unsigned char *body, size_t lo, size_t hi) {
  size_t work = (hi - w->hi + lo - w->lo) * REPEAT_WINDOW_COST;
  for (; w->hi < hi; w->hi++, w->pow_hi *= REPEAT_HASH_BASE)
    w->hash += body[w->hi] * w->pow_hi;
  for (; w->lo < lo; w->lo++, w->pow_lo *= REPEAT_HASH_BASE)
    w->hash -= body[w->lo] * w->pow_lo;
  return work;
}

/* Whether a and b (of equal length) hold the same bytes, up to a hash collision: a's
 * hash moved to b's place is a.hash * BASE^(b.lo - a.lo). */
static bool window_same(const struct window *a, const struct window *b) {
  return a->hash * b->pow_lo == b->hash * a->pow_lo;
}

/* The first copy of probe (REPEAT_PROBE_BYTES) in body[from..n), or NULL; adds the work to
 * *work. memmem is given slices that double from REPEAT_SLICE_BYTES, so a call reads about
 * as far as the copy it finds: a sanitizer checks the whole range a call is given, which over
 * the rest of the body would make a probe found every few bytes cost quadratic time. */
static const char *find_probe(const char *body, size_t n, size_t from, const char *probe,
                              size_t *work) {
  for (size_t slice = REPEAT_SLICE_BYTES; from + REPEAT_PROBE_BYTES <= n; slice *= 2) {
    size_t end = n - from > slice ? from + slice : n;
    const char *at = memmem(body + from, end - from, probe, REPEAT_PROBE_BYTES);
    if (at) {
      *work += (size_t)(at - body) - from + REPEAT_PROBE_BYTES;
      return at;
    }
    *work += end - from;
    if (end == n)
      break;
    from = end - REPEAT_PROBE_BYTES + 1; /* a copy may straddle the slice's end */
  }
  return NULL;
}

/* Copies body without its first copy body[i..i+len) and the blank space up to j. */
static int cut_first_copy(const char *body, size_t n, size_t i, size_t len, size_t j,
                          char **ret) {
  size_t tail = n - (j + len);
  char *out = malloc(i + len + tail + 1);
  if (!out)
    return -ENOMEM;
  memcpy(out, body, i + len);
  memcpy(out + i + len, body + j + len, tail);
  out[i + len + tail] = '\0';
  *ret = out;
  return 0;
}

int store_dedupe_repeated_body(const char *body, char **ret) {
  *ret = NULL;
  if (!body)
    return 0;
  size_t n = strlen(body);
  /* Two copies of a block of length L cover 2L >= n/2 of the body, so L >= n/4 and the
   * first copy starts before n - 2L. */
  size_t min_block = n / 4 > REPEAT_MIN_BLOCK_BYTES ? n / 4 : REPEAT_MIN_BLOCK_BYTES;
  if (n < 2 * min_block || n > BRAID_STORE_MAX_BODY_BYTES)
    return 0;
  const unsigned char *bytes = (const unsigned char *)body;
  size_t starts = 0;
  int collisions = 0;
  size_t budget = n * REPEAT_WORK_PER_BYTE, work = 0;
  for (size_t i = 0; i + 2 * min_block <= n && starts < BRAID_STORE_REPEAT_MAX_STARTS; i++) {
    if (is_space(body[i]) || !is_block_start(body, i))
      continue;
    starts++;
    struct window first, second;
    window_start(&first, i);
    bool second_started = false;
    size_t from = i + min_block;
    while (from + REPEAT_PROBE_BYTES <= n) {
      if (work > budget)
        return 0;
      const char *at = find_probe(body, n, from, body + i, &work);
      if (!at)
        break;
      size_t j = (size_t)(at - body);
      /* The first copy is body[i..j) without the white space that separates the copies. */
      size_t len = j - i;
      while (len > 0 && is_space(body[i + len - 1]))
        len--;
      /* j + len only grows with j: once the second copy runs past the end, so do all
       * later ones. */
      if (j + len > n)
        break;
      if (len >= min_block) {
        work += window_move(&first, bytes, i, i + len);
        if (!second_started) {
          window_start(&second, j);
          second_started = true;
        }
        work += window_move(&second, bytes, j, j + len);
        if (window_same(&first, &second)) {
          if (memcmp(body + i, body + j, len) == 0)
            return cut_first_copy(body, n, i, len, j, ret);
          if (++collisions > REPEAT_MAX_COLLISIONS)
            return 0;
        }
      }
      from = j + 1;
    }
  }
  return 0;
}
