/* test_store_checkpoint.c — when the WAL goes back into the database file (checkpoint.c): in
 * the commit that passes BRAID_STORE_WAL_CHECKPOINT_PAGES by default; with
 * store_checkpoint_elsewhere, only when its owner runs store_checkpoint, on a connection of
 * its own, after which the WAL starts over and every committed entry is still there; and when
 * a checkpoint left frames behind, after one more. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bounds.h"
#include "store.h"
#include "test_store_util.h"

/* Entries of about 200 KB of HTML each: some 50 WAL pages apiece. */
#define BIG_HTML_BYTES (200 * 1024)
#define WAL_PAGE_BYTES 4096

static long long wal_bytes(const struct scratch *sc) {
  char path[PATH_MAX + 8];
  snprintf(path, sizeof path, "%s-wal", sc->db);
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Writes entries [from, to) of one feed, one transaction each. */
static void write_big(struct store *s, int64_t feed, char *html, int from, int to) {
  for (int i = from; i < to; i++) {
    char guid[32], text[64];
    snprintf(guid, sizeof guid, "big-%d", i);
    snprintf(text, sizeof text, "entry number %d of the checkpoint test", i);
    html[0] = (char)('a' + i % 26); /* each body its own */
    struct store_item it = plain_item(guid, NULL, guid, text, 1700000000 + i);
    it.html = html;
    assert_int_equal(store_put_item(s, feed, &it, 1700000000 + i, NULL), 0);
  }
}

static char *big_html(void) {
  char *html = malloc(BIG_HTML_BYTES + 1);
  assert_non_null(html);
  for (size_t i = 0; i < BIG_HTML_BYTES; i++)
    html[i] = (char)('a' + (i * 7919) % 26);
  html[BIG_HTML_BYTES] = '\0';
  return html;
}

/* Entries that write three times the checkpoint size in all. */
#define ENTRIES (3 * BRAID_STORE_WAL_CHECKPOINT_PAGES * WAL_PAGE_BYTES / BIG_HTML_BYTES)

/* A store whose owner checkpoints, written until a checkpoint is due. */
struct due_store {
  struct scratch sc;
  struct store *s;
  int64_t feed;
  char *html;
  int written;
};

static void due_store_open(struct due_store *d) {
  scratch_make(&d->sc);
  d->s = open_store(d->sc.db);
  store_checkpoint_elsewhere(d->s, true);
  assert_int_equal(store_feed_ensure(d->s, "big", "https://big.example/rss", &d->feed), 0);
  d->html = big_html();
  d->written = 0;
  while (!store_checkpoint_due(d->s) && d->written < ENTRIES)
    write_big(d->s, d->feed, d->html, d->written, d->written + 1), d->written++;
}

static void due_store_write(struct due_store *d, int n) {
  write_big(d->s, d->feed, d->html, d->written, d->written + n);
  d->written += n;
}

/* Closes the store; every entry written is there. */
static void due_store_close(struct due_store *d) {
  store_close(d->s);
  assert_int_equal(sql_int(d->sc.db, "SELECT count(*) FROM entries"), d->written);
  char *ok = sql_text(d->sc.db, "PRAGMA integrity_check");
  assert_string_equal(ok, "ok");
  free(ok);
  free(d->html);
  scratch_remove(&d->sc);
}

static void the_commit_checkpoints_by_default(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  struct store *s = open_store(sc.db);
  int64_t feed;
  assert_int_equal(store_feed_ensure(s, "big", "https://big.example/rss", &feed), 0);
  char *html = big_html();
  write_big(s, feed, html, 0, ENTRIES);
  assert_false(store_checkpoint_due(s));
  /* The WAL started over after each checkpoint: it never held much more than one's worth. */
  long long wal = wal_bytes(&sc);
  assert_true(wal > 0);
  assert_true(wal < (BRAID_STORE_WAL_CHECKPOINT_PAGES + 200) * (long long)WAL_PAGE_BYTES);
  store_close(s);
  assert_int_equal(sql_int(sc.db, "SELECT count(*) FROM entries"), ENTRIES);
  free(html);
  scratch_remove(&sc);
}

static void elsewhere_the_owner_checkpoints_and_the_wal_starts_over(void **state) {
  (void)state;
  struct due_store d;
  due_store_open(&d);
  assert_true(store_checkpoint_due(d.s));
  /* Nothing was copied in the commits: the WAL holds all of it. */
  long long wal = wal_bytes(&d.sc);
  assert_true(wal >= BRAID_STORE_WAL_CHECKPOINT_PAGES * (long long)WAL_PAGE_BYTES);
  due_store_write(&d, 10);
  assert_true(wal_bytes(&d.sc) > wal);

  struct store_checkpoint_result r;
  assert_int_equal(store_checkpoint(d.sc.db, &r), 0);
  assert_true(r.wal_pages >= BRAID_STORE_WAL_CHECKPOINT_PAGES);
  assert_int_equal(r.copied_pages, r.wal_pages);
  store_checkpoint_done(d.s, &r);
  assert_false(store_checkpoint_due(d.s));
  assert_false(store_checkpoint_unfinished(d.s));
  /* The next writes reuse the WAL from its start: the file does not grow. */
  wal = wal_bytes(&d.sc);
  due_store_write(&d, 10);
  assert_int_equal(wal_bytes(&d.sc), wal);
  assert_false(store_checkpoint_due(d.s));
  due_store_close(&d);
}

/* What a checkpoint beside the writer leaves: here a reader's snapshot stands for the commits
 * that came while it ran. The WAL cannot start over then, and grew by a checkpoint's worth
 * each time (the daemon's WAL reached 150 MB in a two-minute soak) until the owner learnt to
 * run one more when store_checkpoint_unfinished says so. */
static void a_checkpoint_that_left_frames_is_finished_and_the_wal_starts_over(void **state) {
  (void)state;
  struct due_store d;
  due_store_open(&d);
  assert_false(store_checkpoint_unfinished(d.s)); /* no checkpoint has run yet */

  sqlite3 *reader;
  assert_int_equal(sqlite3_open_v2(d.sc.db, &reader, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM entries", NULL, NULL, NULL),
                   SQLITE_OK);
  due_store_write(&d, 10);
  struct store_checkpoint_result r;
  assert_int_equal(store_checkpoint(d.sc.db, &r), 0);
  assert_true(r.copied_pages > 0);
  assert_true(r.copied_pages < r.wal_pages);
  store_checkpoint_done(d.s, &r);
  assert_false(store_checkpoint_due(d.s));
  assert_true(store_checkpoint_unfinished(d.s));
  assert_int_equal(sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(reader);

  /* Without another checkpoint the next write appends... */
  long long wal = wal_bytes(&d.sc);
  due_store_write(&d, 1);
  assert_true(wal_bytes(&d.sc) > wal);
  assert_true(store_checkpoint_unfinished(d.s));
  /* ... after it, the write starts the WAL over and the file stops growing. */
  assert_int_equal(store_checkpoint(d.sc.db, &r), 0);
  assert_int_equal(r.copied_pages, r.wal_pages);
  store_checkpoint_done(d.s, &r);
  wal = wal_bytes(&d.sc);
  due_store_write(&d, 10);
  assert_int_equal(wal_bytes(&d.sc), wal);
  assert_false(store_checkpoint_unfinished(d.s));
  assert_false(store_checkpoint_due(d.s));
  due_store_close(&d);
}

static void a_checkpoint_of_a_missing_store_says_which(void **state) {
  (void)state;
  struct store_checkpoint_result r;
  assert_int_equal(store_checkpoint("/nonexistent/braid.db", &r), -EIO);
  assert_non_null(strstr(r.err, "/nonexistent/braid.db"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(the_commit_checkpoints_by_default),
      cmocka_unit_test(elsewhere_the_owner_checkpoints_and_the_wal_starts_over),
      cmocka_unit_test(a_checkpoint_that_left_frames_is_finished_and_the_wal_starts_over),
      cmocka_unit_test(a_checkpoint_of_a_missing_store_says_which),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
