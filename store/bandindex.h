/* bandindex.h — the SimHash band index, in memory: "which entries of these days share a band
 * with this fingerprint?" without a row per band on disk.
 *
 * Promise: a band index holds (seq, time, fingerprint) records, each filed under its
 * SIMHASH_BANDS band keys (simhash_band_key) in (time, seq) order, so a lookup is a binary
 * search and a walk over the records of one band key within a time range, never a scan of
 * the index. It costs BAND_INDEX_BYTES_PER_ENTRY bytes per fingerprinted entry (plus the
 * slack of growing arrays, at most as much again) and holds at most BAND_INDEX_MAX_ENTRIES
 * records; beyond that, band_index_add refuses (-ENOSPC) and the entry is not found by its
 * fingerprint, only by its link and its words (dedupe.c), which is a duplicate left in the
 * stream, never a wrong merge.
 *
 * Changes can be journaled (band_index_journal) so that a transaction's changes are undone
 * when SQLite rolls it back: band_index_undo_to takes the index back to a mark.
 * Not thread-safe: the store's writer connection owns it (store.c).
 */
#ifndef BRAID_BANDINDEX_H
#define BRAID_BANDINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A record (seq, time, fingerprint: 24 bytes) and, in each of the 8 band lists, its slot and
 * a copy of its fingerprint (12 bytes each, so a lookup walks one array). */
#define BAND_INDEX_BYTES_PER_ENTRY 120
/* 2 Mi fingerprinted entries, 240 MiB: two years of a stream that takes in 2,900 entries a
 * day (one every 30 s, the store benchmark's pace). */
#define BAND_INDEX_MAX_ENTRIES (2u << 20)

struct band_index;

/* An empty index in *ret (band_index_free it). 0 or -ENOMEM. */
int band_index_new(struct band_index **ret);
/* Frees the index; NULL is a no-op. */
void band_index_free(struct band_index *bi);
/* Empties the index and its journal, keeping it for reuse. */
void band_index_clear(struct band_index *bi);
/* Records held. */
size_t band_index_count(const struct band_index *bi);

/* Files entry seq, stamped time, under fp's bands. Adding a record the index has is a no-op.
 * 0, -ENOMEM or -ENOSPC (BAND_INDEX_MAX_ENTRIES reached; nothing changed). */
int band_index_add(struct band_index *bi, int64_t seq, int64_t time, uint64_t fp);
/* Forgets entry seq filed with (time, fp); a record the index does not have is a no-op.
 * 0 or -ENOMEM (only when journaling). */
int band_index_remove(struct band_index *bi, int64_t seq, int64_t time, uint64_t fp);

/* Up to max records filed under band `band` of fp with from <= time <= to, in (time, seq)
 * order, whose fingerprint is at most max_distance bits from fp: their seq and time in
 * ret_seq[] and ret_time[]. Returns how many. */
size_t band_index_near(const struct band_index *bi, uint64_t fp, int band, int64_t from,
                       int64_t to, int max_distance, int64_t *ret_seq, int64_t *ret_time,
                       size_t max);

/* Journaling on (changes are recorded until band_index_journal(bi, false), which also forgets
 * the journal: the changes are kept). */
void band_index_journal(struct band_index *bi, bool on);
/* The journal's position now, for band_index_undo_to. */
size_t band_index_mark(const struct band_index *bi);
/* Undoes the journaled changes made since mark, newest first. 0, or -ENOMEM (the index may
 * then be neither; the caller rebuilds it). */
int band_index_undo_to(struct band_index *bi, size_t mark);

#endif
