/* dedupe.c — finding the entry another feed already has for the same story or update.
 *
 * A unit (an item, or one live-blog update) is another feed's entry when, in this order:
 *  1. its link key is that entry's (the same item, or the same update of the same blog);
 *  2. its text has the same words (simhash_text_key) and its time is within
 *     SIMHASH_SHORT_WINDOW_SECONDS of the entry's: the same update or story, whatever its
 *     length, wherever each feed links it;
 *  3. a long text (a fingerprint): the entry's fingerprint is within SIMHASH_MAX_DISTANCE
 *     bits, at most SIMHASH_WINDOW_SECONDS apart, and the texts share
 *     SIMHASH_MIN_CONTAINMENT of the shorter one's phrases;
 *     a short text (simhash.h): an entry at most SIMHASH_SHORT_WINDOW_SECONDS apart whose
 *     text shares SIMHASH_SHORT_MIN_SHARE of the longer one's phrases, the best first.
 * A short item (fewer than SIMHASH_MIN_SHINGLES phrases; not an update) matches by 2. or 3.
 * only when the titles have the same words too (or one has none): "Follow our coverage as it happens" is
 * the summary of many different blogs, and one lost story is worse than one duplicate.
 * An entry the unit's own feed already carries is never a match: two updates of one blog
 * that share a minute stay two entries, and once a unit has become a source of an entry
 * the next unit of the same feed cannot join it too. Every lookup is an index range
 * (tests/unit/test_store.c checks the plans); fingerprints are looked up in the writer's
 * in-memory band index (bandindex.h, bands.c), a binary search and a walk over one band's
 * records of the window.
 */
#include <errno.h>

#include "put_internal.h"
#include "simhash.h"

/* STMT_ENTRY_BY_TEXT looks in the two 256-second buckets (time >> 8, the index of schema
 * version 10) of the window's ends: a wider window would span a third one unseen. */
_Static_assert(2 * SIMHASH_SHORT_WINDOW_SECONDS < 256,
               "the text-key window must fit in two of entries_text_key's time buckets");

int store__bind_fingerprint(sqlite3_stmt *st, int col, const struct fingerprint *f) {
  return f->have ? sqlite3_bind_int64(st, col, (int64_t)f->fp) : sqlite3_bind_null(st, col);
}

/* Whether this unit's feed already carries entry seq. */
static int carried_by_feed(struct put_ctx *c, int64_t seq, bool *ret) {
  sqlite3_stmt *st = store_stmt(c->s, STMT_ENTRY_HAS_FEED);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, seq);
  sqlite3_bind_int64(st, 2, c->feed_id);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_fail(c->s, rc, "saving feed %s", c->feed_name);
  *ret = rc == SQLITE_ROW;
  return 0;
}

/* Whether entry seq, a long text too, shares enough phrases with text to be its story (a
 * long text never joins a short entry that only fingerprints alike). */
static int confirm_same_text(struct put_ctx *c, int64_t seq, const char *text, bool *ret) {
  *ret = false;
  sqlite3_stmt *st = store_stmt(c->s, STMT_ENTRY_TEXT);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, seq);
  int rc = sqlite3_step(st);
  double smaller = 0, larger = 0;
  size_t theirs = 0;
  int r = 0;
  if (rc == SQLITE_ROW) {
    const char *stored = (const char *)sqlite3_column_text(st, 0);
    uint64_t fp;
    simhash_text(stored, &fp, &theirs);
    r = simhash_shared(stored, text, &smaller, &larger);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_fail(c->s, rc, "saving feed %s", c->feed_name);
  if (r < 0)
    return store_failf(c->s, r, "out of memory saving feed %s", c->feed_name);
  *ret = rc == SQLITE_ROW && theirs >= SIMHASH_MIN_SHINGLES && smaller >= SIMHASH_MIN_CONTAINMENT;
  return 0;
}

/* Whether a short item's match by its words is the same story by its title too. An update's
 * title is made from its own words (or is the blog's), so it says nothing more. */
static bool titles_agree(const struct unit *u, const unsigned char *their_title) {
  if (u->key[0] || u->shingles >= SIMHASH_MIN_SHINGLES || !u->title || !*u->title || !their_title ||
      !*their_title)
    return true;
  return simhash_text_key(u->title) == simhash_text_key((const char *)their_title);
}

/* Candidates per band looked at, at most: bounds a lookup among many look-alike texts. */
#define DEDUPE_MAX_NEAR 8

/* An entry not carried by this feed whose fingerprint is within SIMHASH_MAX_DISTANCE bits
 * of f and whose text confirms it: *ret_seq 0 if none. */
static int find_near_duplicate(struct put_ctx *c, const struct unit *u,
                               const struct fingerprint *f, int64_t *ret_seq,
                               int64_t *ret_time) {
  if (f->have && !c->s->bands_ready)
    return store_failf(c->s, -EINVAL, "saving feed %s: no fingerprint index outside a write "
                       "transaction", c->feed_name);
  for (int b = 0; f->have && b < SIMHASH_BANDS; b++) {
    int64_t near[DEDUPE_MAX_NEAR];
    int64_t near_time[DEDUPE_MAX_NEAR];
    size_t n_near = band_index_near(c->s->bands, f->fp, b, f->time - SIMHASH_WINDOW_SECONDS,
                                    f->time + SIMHASH_WINDOW_SECONDS, SIMHASH_MAX_DISTANCE,
                                    near, near_time, DEDUPE_MAX_NEAR);
    for (size_t i = 0; i < n_near; i++) {
      bool same_feed = true, same_text = false;
      int r = carried_by_feed(c, near[i], &same_feed);
      if (r == 0 && !same_feed)
        r = confirm_same_text(c, near[i], u->text, &same_text);
      if (r < 0)
        return r;
      if (!same_feed && same_text) {
        *ret_seq = near[i];
        *ret_time = near_time[i];
        return 0;
      }
    }
  }
  return 0;
}

/* The entry of the same minutes, not carried by this feed, whose text shares the most of
 * the short text u's phrases, if at least SIMHASH_SHORT_MIN_SHARE of the longer one's. */
static int find_short_duplicate(struct put_ctx *c, const struct unit *u, int64_t *ret_seq,
                                int64_t *ret_time) {
  sqlite3_stmt *st = store_stmt(c->s, STMT_ENTRY_NEAR_TIME);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, c->feed_id);
  sqlite3_bind_int64(st, 2, u->time - SIMHASH_SHORT_WINDOW_SECONDS);
  sqlite3_bind_int64(st, 3, u->time + SIMHASH_SHORT_WINDOW_SECONDS);
  sqlite3_bind_int(st, 4, SIMHASH_SHORT_MAX_COMPARED);
  double best = SIMHASH_SHORT_MIN_SHARE;
  int rc, r = 0;
  while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    double smaller, larger;
    r = simhash_shared((const char *)sqlite3_column_text(st, 2), u->text, &smaller, &larger);
    if (r == 0 && larger >= best && titles_agree(u, sqlite3_column_text(st, 3))) {
      best = larger;
      *ret_seq = sqlite3_column_int64(st, 0);
      *ret_time = sqlite3_column_int64(st, 1);
    }
  }
  sqlite3_reset(st);
  if (r < 0)
    return store_failf(c->s, r, "out of memory saving feed %s", c->feed_name);
  if (rc != SQLITE_DONE)
    return store_fail(c->s, rc, "saving feed %s", c->feed_name);
  return 0;
}

/* Runs a lookup that answers (seq, time) or nothing; with u, its row's fourth column is the
 * entry's title, which must agree with u's (titles_agree). */
static int lookup_seq(struct put_ctx *c, sqlite3_stmt *st, int64_t *ret_seq, int64_t *ret_time,
                      const struct unit *u) {
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW && (!u || titles_agree(u, sqlite3_column_text(st, 3)))) {
    *ret_seq = sqlite3_column_int64(st, 0);
    *ret_time = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_fail(c->s, rc, "saving feed %s", c->feed_name);
  return 0;
}

int store__find_duplicate(struct put_ctx *c, const struct unit *u, const struct fingerprint *f,
                          int64_t *ret_seq, int64_t *ret_time) {
  *ret_seq = 0;
  if (u->link_key) {
    sqlite3_stmt *st = store_stmt(c->s, STMT_ENTRY_BY_LINK);
    if (!st)
      return -EIO;
    store_bind_text(st, 1, u->link_key);
    sqlite3_bind_int64(st, 2, c->feed_id);
    sqlite3_bind_int64(st, 3, store_link_hash(u->link_key));
    int r = lookup_seq(c, st, ret_seq, ret_time, NULL);
    if (r < 0 || *ret_seq)
      return r;
  }
  if (f->text_key) {
    sqlite3_stmt *st = store_stmt(c->s, STMT_ENTRY_BY_TEXT);
    if (!st)
      return -EIO;
    sqlite3_bind_int64(st, 1, (int64_t)f->text_key);
    sqlite3_bind_int64(st, 2, c->feed_id);
    sqlite3_bind_int64(st, 3, u->time - SIMHASH_SHORT_WINDOW_SECONDS);
    sqlite3_bind_int64(st, 4, u->time + SIMHASH_SHORT_WINDOW_SECONDS);
    sqlite3_bind_int64(st, 5, u->time);
    int r = lookup_seq(c, st, ret_seq, ret_time, u);
    if (r < 0 || *ret_seq)
      return r;
  }
  if (f->is_short)
    return find_short_duplicate(c, u, ret_seq, ret_time);
  return find_near_duplicate(c, u, f, ret_seq, ret_time);
}
