/* test_store_bands.c — the writer's in-memory SimHash band index (store/bandindex.c,
 * store/bands.c): lookups stay in their band and window, transactions that roll back take
 * their fingerprints with them, and another connection's commits are seen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bandindex.h"
#include "simhash.h"
#include "store.h"
#include "store_internal.h"
#include "test_store_util.h"

/* Records out of time order land sorted; a lookup returns its window only, in order, and
 * a removed record is gone from every band. */
static void index_keeps_band_lists_sorted_and_windows_exact(void **state) {
  (void)state;
  struct band_index *bi;
  assert_int_equal(band_index_new(&bi), 0);
  uint64_t fp = 0x0123456789abcdefULL;
  static const int64_t times[] = {500, 100, 300, 200, 400, 300};
  for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
    assert_int_equal(band_index_add(bi, (int64_t)i + 1, times[i], fp), 0);
  assert_int_equal(band_index_add(bi, 2, 100, fp), 0); /* again: a no-op */
  assert_int_equal(band_index_count(bi), 6);
  int64_t seq[8], t[8];
  for (int b = 0; b < SIMHASH_BANDS; b++) {
    size_t n = band_index_near(bi, fp, b, 200, 400, 0, seq, t, 8);
    assert_int_equal(n, 4);
    assert_int_equal(t[0], 200);
    assert_int_equal(t[1], 300);
    assert_int_equal(seq[1], 3); /* equal times in seq order */
    assert_int_equal(seq[2], 6);
    assert_int_equal(t[3], 400);
  }
  /* a fingerprint 9 bits away shares bands but is filtered by distance */
  uint64_t other = fp ^ 0x1ffULL;
  assert_int_equal(band_index_add(bi, 7, 300, other), 0);
  assert_int_equal(band_index_near(bi, fp, 7, 0, 1000, 8, seq, t, 8), 6);
  assert_int_equal(band_index_near(bi, fp, 7, 0, 1000, 9, seq, t, 8), 7);
  assert_int_equal(band_index_near(bi, fp, 7, 0, 1000, 9, seq, t, 3), 3); /* max */
  assert_int_equal(band_index_remove(bi, 3, 300, fp), 0);
  for (int b = 0; b < SIMHASH_BANDS; b++)
    assert_int_equal(band_index_near(bi, fp, b, 300, 300, 0, seq, t, 8), 1);
  assert_int_equal(band_index_count(bi), 6);
  band_index_free(bi);
}

static void undo_restores_what_the_journal_saw(void **state) {
  (void)state;
  struct band_index *bi;
  assert_int_equal(band_index_new(&bi), 0);
  uint64_t fp = 0xfeedfacecafebeefULL;
  assert_int_equal(band_index_add(bi, 1, 10, fp), 0);
  band_index_journal(bi, true);
  assert_int_equal(band_index_add(bi, 2, 20, fp), 0);
  size_t mark = band_index_mark(bi);
  assert_int_equal(band_index_remove(bi, 1, 10, fp), 0);
  assert_int_equal(band_index_add(bi, 3, 30, fp), 0);
  assert_int_equal(band_index_count(bi), 2);
  assert_int_equal(band_index_undo_to(bi, mark), 0); /* back to {1, 2} */
  int64_t seq[4], t[4];
  assert_int_equal(band_index_near(bi, fp, 0, 0, 100, 0, seq, t, 4), 2);
  assert_int_equal(seq[0], 1);
  assert_int_equal(seq[1], 2);
  assert_int_equal(band_index_undo_to(bi, 0), 0); /* back to {1} */
  assert_int_equal(band_index_count(bi), 1);
  band_index_journal(bi, false);
  band_index_free(bi);
}

struct fx {
  struct scratch sc;
  struct store *s;
  int64_t feed_a, feed_b;
  char *body;
};

static int setup(void **state) {
  struct fx *f = calloc(1, sizeof *f);
  scratch_make(&f->sc);
  f->s = open_store(f->sc.db);
  assert_int_equal(store_feed_ensure(f->s, "a", "https://a.example/feed", &f->feed_a), 0);
  assert_int_equal(store_feed_ensure(f->s, "b", "https://b.example/rss", &f->feed_b), 0);
  f->body = seed_text(2); /* long enough to be fingerprinted */
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fx *f = *state;
  store_close(f->s);
  scratch_remove(&f->sc);
  free(f->body);
  free(f);
  return 0;
}

/* A poll rolled back inside a group, and a whole group rolled back, leave no fingerprint
 * behind: the same story from another feed is then new, not merged into nothing. */
static void rolled_back_polls_leave_no_fingerprints(void **state) {
  struct fx *f = *state;
  struct store_item a = plain_item("a1", NULL, "Story", f->body, 1733572800);
  assert_int_equal(store_group_begin(f->s), 0);
  assert_int_equal(store_begin(f->s), 0);
  assert_int_equal(store_put_item(f->s, f->feed_a, &a, 1733572900, NULL), 0);
  assert_int_equal(band_index_count(f->s->bands), 1);
  store_rollback(f->s); /* the poll fails; the group goes on */
  assert_int_equal(band_index_count(f->s->bands), 0);
  assert_int_equal(store_begin(f->s), 0);
  assert_int_equal(store_put_item(f->s, f->feed_a, &a, 1733572900, NULL), 0);
  assert_int_equal(store_commit(f->s), 0);
  assert_int_equal(band_index_count(f->s->bands), 1);
  store_group_rollback(f->s); /* the whole group lost */
  assert_int_equal(band_index_count(f->s->bands), 0);
  assert_int_equal(sql_int(f->sc.db, "SELECT count(*) FROM entries"), 0);
  struct store_item b = plain_item("b1", NULL, "Story", f->body, 1733572800 + 60);
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(f->s, f->feed_b, &b, 1733573000, &st), 0);
  assert_int_equal(st.new_entries, 1);
  assert_int_equal(st.merged_duplicates, 0);
  assert_int_equal(band_index_count(f->s->bands), 1);
}

/* An entry another connection commits is found by the writer's next transaction. */
static void another_connections_entries_are_found(void **state) {
  struct fx *f = *state;
  struct store_item a = plain_item("a1", NULL, "Story", f->body, 1733572800);
  assert_int_equal(store_put_item(f->s, f->feed_a, &a, 1733572900, NULL), 0);
  struct store *other = open_store(f->sc.db);
  struct store_item a2 = plain_item("a2", NULL, "Story told again", f->body, 1733600000);
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(other, f->feed_a, &a2, 1733600100, &st), 0);
  assert_int_equal(st.new_entries, 1); /* its own feed's: never merged */
  store_close(other);
  /* feed b's copy, dated next to a2 and a week after a1: only a2 is in the window */
  struct store_item b = plain_item("b1", NULL, "Story", f->body,
                                   1733600000 + SIMHASH_WINDOW_SECONDS - 600);
  st = (struct store_put_stats){0};
  assert_int_equal(store_put_item(f->s, f->feed_b, &b, 1733600200, &st), 0);
  assert_int_equal(st.merged_duplicates, 1);
  assert_int_equal(band_index_count(f->s->bands), 2);
  /* and a pruned entry leaves the index through the delete trigger */
  size_t deleted;
  assert_int_equal(store_prune(f->s, 1733572901, 0, 10, &deleted), 0);
  assert_int_equal(deleted, 1);
  assert_int_equal(band_index_count(f->s->bands), 1);
}

/* A store reopened rebuilds its index from entries_time (time, seq, simhash). */
static void reopened_store_rebuilds_its_index(void **state) {
  struct fx *f = *state;
  struct store_item a = plain_item("a1", NULL, "Story", f->body, 1733572800);
  assert_int_equal(store_put_item(f->s, f->feed_a, &a, 1733572900, NULL), 0);
  store_close(f->s);
  f->s = open_store(f->sc.db);
  assert_int_equal(band_index_count(f->s->bands), 0); /* not before a write transaction */
  struct store_item b = plain_item("b1", NULL, "Story", f->body, 1733572800 + 3600);
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(f->s, f->feed_b, &b, 1733576500, &st), 0);
  assert_int_equal(st.merged_duplicates, 1);
  assert_int_equal(band_index_count(f->s->bands), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(index_keeps_band_lists_sorted_and_windows_exact),
      cmocka_unit_test(undo_restores_what_the_journal_saw),
      cmocka_unit_test_setup_teardown(rolled_back_polls_leave_no_fingerprints, setup, teardown),
      cmocka_unit_test_setup_teardown(another_connections_entries_are_found, setup, teardown),
      cmocka_unit_test_setup_teardown(reopened_store_rebuilds_its_index, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
