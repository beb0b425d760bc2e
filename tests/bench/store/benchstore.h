/* benchstore.h — what bench_store.c and floor_store.c share, so both measure the same work:
 * the clocks, the pseudo-text generator (the same seed gives both the same bytes) and the
 * daemon's group bounds. Each benchmark is one file; these are static for that reason. */
#ifndef BRAID_BENCH_STORE_H
#define BRAID_BENCH_STORE_H

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "store.h"

static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* user + sys seconds of this process: steadier than wall time on a shared machine */
static inline double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Bytes this process has passed to write(2) and friends, or 0 where /proc does not say. */
static inline double written_bytes(void) {
  FILE *f = fopen("/proc/self/io", "r");
  char line[128];
  double v = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "wchar: %lf", &v) == 1)
      break;
  if (f)
    fclose(f);
  return v;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static inline uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* A text of `words` pseudo-words from a 4096-word vocabulary. */
static inline void make_text(char *out, size_t size, int words) {
  static const char *const syll[] = {"ka", "ro", "mi", "su", "te", "la", "no", "vi",
                                     "da", "pe", "zu", "ho", "ri", "ba", "fo", "ge"};
  size_t len = 0;
  for (int w = 0; w < words && len + 16 < size; w++) {
    uint64_t r = rng() % 4096;
    for (int k = 0; k < 3; k++, r >>= 4)
      out[len++] = syll[r & 15][0], out[len++] = syll[r & 15][1];
    out[len++] = ' ';
  }
  out[len ? len - 1 : 0] = '\0';
}

/* The daemon's group bounds (POLL_GROUP_MAX_POLLS, POLL_GROUP_MAX_ENTRIES in
 * aggregator/daemon/loopctx.h, which this benchmark does not include). */
#define GROUP_MAX_POLLS 64
#define GROUP_MAX_ENTRIES 400

/* Entries per block whose rate is compared, first against last. */
#define RATE_BLOCK 10000

/* Opens (creating) the store at path with `feeds` feeds named feed000..., their ids in
 * *ret_ids (caller frees). NULL, having said why on stderr as `who`, on failure. */
static inline struct store *bench_open_with_feeds(const char *who, const char *path, int feeds,
                                                  int64_t **ret_ids) {
  struct store *s;
  char err[512];
  if (store_open(path, 0, &s, err, sizeof err) < 0) {
    fprintf(stderr, "%s: %s\n", who, err);
    return NULL;
  }
  int64_t *ids = calloc((size_t)feeds, sizeof *ids);
  for (int f = 0; ids && f < feeds; f++) {
    char name[32], url[64];
    snprintf(name, sizeof name, "feed%03d", f);
    snprintf(url, sizeof url, "https://feed%03d.example/rss", f);
    if (store_feed_ensure(s, name, url, &ids[f]) < 0) {
      fprintf(stderr, "%s: feed: %s\n", who, store_errmsg(s));
      free(ids);
      ids = NULL;
    }
  }
  if (!ids) {
    store_close(s);
    return NULL;
  }
  *ret_ids = ids;
  return s;
}

#endif
