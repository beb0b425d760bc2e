/* bandindex.c — the SimHash band index in memory. See bandindex.h.
 *
 * Records live in one array of slots (a freed slot is reused, chained through its seq); each
 * band key has an array of slot numbers sorted by the records' (time, seq). Entries arrive
 * mostly in time order, so an insertion is nearly always an append; a lookup is a binary
 * search for the window's start and a walk to its end. Before anything changes, every array
 * an operation needs is grown, so a failed allocation leaves the index as it was.
 */
#include "bandindex.h"
#include "grow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "simhash.h"

#define BAND_KEYS (SIMHASH_BANDS << SIMHASH_BAND_BITS)
#define FREE_SLOT_TIME INT64_MIN /* a free slot's time; its seq is the next free slot + 1 */

struct band_rec {
  int64_t seq;
  int64_t time; /* FREE_SLOT_TIME: the slot is free */
  uint64_t fp;
};

struct band_list {
  uint32_t *slot; /* sorted by the records' (time, seq) */
  uint64_t *fp;   /* fp[i] is rec[slot[i]].fp: a lookup walks this array alone */
  uint32_t n, cap;
};

struct band_op {
  struct band_rec rec;
  bool added; /* undo removes it; else undo adds it back */
};

struct band_index {
  struct band_rec *rec;
  uint32_t n_slots, cap_slots;
  uint32_t free_head; /* first free slot + 1, 0 none */
  size_t count;
  struct band_list list[BAND_KEYS];
  bool journaling;
  struct band_op *journal;
  size_t n_journal, cap_journal;
};

int band_index_new(struct band_index **ret) {
  *ret = calloc(1, sizeof **ret);
  return *ret ? 0 : -ENOMEM;
}

void band_index_clear(struct band_index *bi) {
  for (size_t k = 0; k < BAND_KEYS; k++)
    bi->list[k].n = 0;
  bi->n_slots = 0;
  bi->free_head = 0;
  bi->count = 0;
  bi->n_journal = 0;
}

void band_index_free(struct band_index *bi) {
  if (!bi)
    return;
  for (size_t k = 0; k < BAND_KEYS; k++) {
    free(bi->list[k].slot);
    free(bi->list[k].fp);
  }
  free(bi->rec);
  free(bi->journal);
  free(bi);
}

size_t band_index_count(const struct band_index *bi) { return bi->count; }

/* Grows *p (of *cap elements of size) to hold at least want. 0 or -ENOMEM. */
static int grow(void **p, uint32_t *cap, uint32_t want, size_t size) {
  if (want <= *cap)
    return 0;
  uint32_t n = *cap ? *cap : 4;
  while (n < want)
    n = n > UINT32_MAX / 2 ? want : n * 2;
  void *q = realloc(*p, (size_t)n * size);
  if (!q)
    return -ENOMEM;
  *p = q;
  *cap = n;
  return 0;
}

static int grow_journal(struct band_index *bi) {
  if (!bi->journaling || bi->n_journal < bi->cap_journal)
    return 0;
  struct band_op *q = grow_array(bi->journal, &bi->cap_journal, sizeof *q, 64);
  if (!q)
    return -ENOMEM;
  bi->journal = q;
  return 0;
}

static bool before(const struct band_rec *r, int64_t time, int64_t seq) {
  return r->time < time || (r->time == time && r->seq < seq);
}

/* The first position in l whose record is not before (time, seq). */
static uint32_t lower_bound(const struct band_index *bi, const struct band_list *l, int64_t time,
                            int64_t seq) {
  uint32_t lo = 0, hi = l->n;
  /* the common case, a record newer than all: no search */
  if (hi && before(&bi->rec[l->slot[hi - 1]], time, seq))
    return hi;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (before(&bi->rec[l->slot[mid]], time, seq))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* The slot of record (seq, time) filed under fp's band 0, or -1. */
static int64_t find_slot(const struct band_index *bi, int64_t seq, int64_t time, uint64_t fp) {
  const struct band_list *l = &bi->list[simhash_band_key(fp, 0)];
  uint32_t p = lower_bound(bi, l, time, seq);
  if (p < l->n && bi->rec[l->slot[p]].seq == seq && bi->rec[l->slot[p]].time == time)
    return l->slot[p];
  return -1;
}

static int add(struct band_index *bi, const struct band_rec *r, bool journal) {
  if (find_slot(bi, r->seq, r->time, r->fp) >= 0)
    return 0;
  if (bi->count >= BAND_INDEX_MAX_ENTRIES)
    return -ENOSPC;
  if (journal && grow_journal(bi) < 0)
    return -ENOMEM;
  if (!bi->free_head &&
      grow((void **)&bi->rec, &bi->cap_slots, bi->n_slots + 1, sizeof *bi->rec) < 0)
    return -ENOMEM;
  for (int b = 0; b < SIMHASH_BANDS; b++) {
    struct band_list *l = &bi->list[simhash_band_key(r->fp, b)];
    uint32_t cap = l->cap;
    if (grow((void **)&l->slot, &cap, l->n + 1, sizeof *l->slot) < 0)
      return -ENOMEM;
    if (cap != l->cap) {
      uint64_t *fp = realloc(l->fp, (size_t)cap * sizeof *fp);
      if (!fp)
        return -ENOMEM; /* slot's larger array is kept: it only has room to spare */
      l->fp = fp;
      l->cap = cap;
    }
  }
  uint32_t slot;
  if (bi->free_head) {
    slot = bi->free_head - 1;
    bi->free_head = (uint32_t)bi->rec[slot].seq;
  } else {
    slot = bi->n_slots++;
  }
  bi->rec[slot] = *r;
  for (int b = 0; b < SIMHASH_BANDS; b++) {
    struct band_list *l = &bi->list[simhash_band_key(r->fp, b)];
    uint32_t p = lower_bound(bi, l, r->time, r->seq);
    memmove(l->slot + p + 1, l->slot + p, (size_t)(l->n - p) * sizeof *l->slot);
    memmove(l->fp + p + 1, l->fp + p, (size_t)(l->n - p) * sizeof *l->fp);
    l->slot[p] = slot;
    l->fp[p] = r->fp;
    l->n++;
  }
  bi->count++;
  if (journal && bi->journaling)
    bi->journal[bi->n_journal++] = (struct band_op){.rec = *r, .added = true};
  return 0;
}

static int remove_rec(struct band_index *bi, int64_t seq, int64_t time, uint64_t fp,
                      bool journal) {
  int64_t found = find_slot(bi, seq, time, fp);
  if (found < 0)
    return 0;
  if (journal && grow_journal(bi) < 0)
    return -ENOMEM;
  uint32_t slot = (uint32_t)found;
  struct band_rec r = bi->rec[slot];
  for (int b = 0; b < SIMHASH_BANDS; b++) {
    struct band_list *l = &bi->list[simhash_band_key(r.fp, b)];
    uint32_t p = lower_bound(bi, l, r.time, r.seq);
    if (p < l->n && l->slot[p] == slot) {
      memmove(l->slot + p, l->slot + p + 1, (size_t)(l->n - p - 1) * sizeof *l->slot);
      memmove(l->fp + p, l->fp + p + 1, (size_t)(l->n - p - 1) * sizeof *l->fp);
      l->n--;
    }
  }
  bi->rec[slot] = (struct band_rec){.seq = bi->free_head, .time = FREE_SLOT_TIME};
  bi->free_head = slot + 1;
  bi->count--;
  if (journal && bi->journaling)
    bi->journal[bi->n_journal++] = (struct band_op){.rec = r, .added = false};
  return 0;
}

int band_index_add(struct band_index *bi, int64_t seq, int64_t time, uint64_t fp) {
  return add(bi, &(struct band_rec){.seq = seq, .time = time, .fp = fp}, true);
}

int band_index_remove(struct band_index *bi, int64_t seq, int64_t time, uint64_t fp) {
  return remove_rec(bi, seq, time, fp, true);
}

size_t band_index_near(const struct band_index *bi, uint64_t fp, int band, int64_t from,
                       int64_t to, int max_distance, int64_t *ret_seq, int64_t *ret_time,
                       size_t max) {
  const struct band_list *l = &bi->list[simhash_band_key(fp, band)];
  if (to < from)
    return 0;
  /* Both ends by binary search, then a walk over the fingerprints alone: the records of a
   * dense window are read only when they are near. */
  uint32_t lo = lower_bound(bi, l, from, INT64_MIN);
  uint32_t hi = to == INT64_MAX ? l->n : lower_bound(bi, l, to + 1, INT64_MIN);
  size_t n = 0;
  for (uint32_t p = lo; p < hi && n < max; p++)
    if (simhash_distance(fp, l->fp[p]) <= max_distance) {
      const struct band_rec *r = &bi->rec[l->slot[p]];
      ret_seq[n] = r->seq;
      ret_time[n++] = r->time;
    }
  return n;
}

void band_index_journal(struct band_index *bi, bool on) {
  bi->journaling = on;
  bi->n_journal = 0;
}

size_t band_index_mark(const struct band_index *bi) { return bi->n_journal; }

int band_index_undo_to(struct band_index *bi, size_t mark) {
  int r = 0;
  while (bi->n_journal > mark) {
    const struct band_op *op = &bi->journal[--bi->n_journal];
    int e = op->added ? remove_rec(bi, op->rec.seq, op->rec.time, op->rec.fp, false)
                      : add(bi, &op->rec, false);
    if (e == -ENOMEM)
      r = e;
  }
  return r;
}
