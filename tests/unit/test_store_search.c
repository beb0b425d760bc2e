/* test_store_search.c — full-text search over a real store file: the query subset and its
 * rewriting, the FTS5 index kept by the entries' own writes (insert, edit, prune), filters by
 * feed, and the bounds (length, terms, work). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "search.h"
#include "test_store_util.h"

struct fx {
  struct scratch sc;
  struct store *s;
  int64_t bbc, dw;
};

static void put(struct fx *f, int64_t feed, const char *guid, const char *title,
                const char *text, int64_t when) {
  struct store_item it = {.guid = guid, .link = NULL, .title = title, .text = text,
                          .html = text, .published = when, .has_published = true};
  assert_int_equal(store_put_item(f->s, feed, &it, when, NULL), 0);
}

static int setup(void **state) {
  struct fx *f = calloc(1, sizeof *f);
  scratch_make(&f->sc);
  f->s = open_store(f->sc.db);
  assert_int_equal(store_feed_ensure(f->s, "bbc", "https://bbc.example/rss", &f->bbc), 0);
  assert_int_equal(store_feed_ensure(f->s, "dw", "https://dw.example/rss", &f->dw), 0);
  put(f, f->bbc, "b1", "Shelling in Homs", "Residents of Homs reported shelling overnight.",
      1700000000);
  put(f, f->bbc, "b2", "Aleppo talks", "Talks on Aleppo resumed in Geneva.", 1700000100);
  put(f, f->dw, "d1", "Bundestag vote", "The Bundestag voted on the budget.", 1700000200);
  put(f, f->dw, "d2", "Weather", "Sunny in Berlin, rain in Munich.", 1700000300);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fx *f = *state;
  store_close(f->s);
  scratch_remove(&f->sc);
  free(f);
  return 0;
}

/* The titles of what the filter finds, newest first, joined by '|'. */
static void titles(struct fx *f, const struct store_filter *flt, char *out, size_t size) {
  struct stream_list l;
  int r = store_stream_filter(f->s, flt, 50, &l);
  if (r < 0)
    fail_msg("store_stream_filter: %d %s", r, store_errmsg(f->s));
  out[0] = '\0';
  for (size_t i = 0; i < l.n; i++)
    snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? "|" : "", l.entries[i].title);
  stream_list_clear(&l);
}

static void search_is(struct fx *f, const char *q, const char *want) {
  char got[512];
  struct store_filter flt = {.query = q};
  titles(f, &flt, got, sizeof got);
  if (strcmp(got, want) != 0)
    fail_msg("q=%s: got [%s], want [%s]", q, got, want);
}

static void words_phrases_operators_and_prefixes_match(void **state) {
  struct fx *f = *state;
  search_is(f, "homs", "Shelling in Homs");
  search_is(f, "HOMS", "Shelling in Homs");
  search_is(f, "Homs OR Aleppo", "Aleppo talks|Shelling in Homs");
  search_is(f, "Aleppo AND Geneva", "Aleppo talks");
  search_is(f, "aleppo geneva", "Aleppo talks");
  search_is(f, "aleppo berlin", "");
  search_is(f, "\"talks on aleppo\"", "Aleppo talks");
  search_is(f, "\"aleppo on talks\"", "");
  search_is(f, "bundes*", "Bundestag vote");
  search_is(f, "ale* OR hom* OR ber* OR mun*", "Weather|Aleppo talks|Shelling in Homs");
  search_is(f, "(homs OR aleppo) NOT geneva", "Shelling in Homs");
  search_is(f, "in NOT homs", "Weather|Aleppo talks");
  search_is(f, "or", ""); /* lower-case operators are words */
  /* FTS5 syntax outside the subset is only ever words */
  search_is(f, "title:homs", "");
  search_is(f, "NEAR(homs shelling)", ""); /* NEAR is a word here, and no entry has it */
}

static void bad_queries_say_why(void **state) {
  (void)state;
  static const struct {
    const char *q, *why;
  } bad[] = {
      {"", "empty query"},
      {"   ", "empty query"},
      {"OR homs", "OR needs a term"},
      {"homs AND", "ends with an operator"},
      {"homs OR OR aleppo", "OR needs a term"},
      {"NOT homs", "NOT needs a term"},
      {"\"homs", "not closed"},
      {"\"\"", "empty phrase"},
      {"(homs", "'(' without ')'"},
      {"homs)", "')' without '('"},
      {"()", "nothing before ')'"},
      {"ab*", "at least 3 characters"},
      {"*", "at least 3 characters"},
      {"abc* abd* abe* abf* abg*", "too many prefixes (at most 4"},
      {"((((((((( x )))))))))", "nested too deep"},
      {"a b c d e f g h i j k l m n o p q", "too many terms"},
      {"homs\x01", "control character"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char err[256] = "";
    if (store_search_check(bad[i].q, err, sizeof err) != -EINVAL)
      fail_msg("query [%s] was accepted", bad[i].q);
    if (!strstr(err, bad[i].why))
      fail_msg("query [%s]: message [%s] lacks [%s]", bad[i].q, err, bad[i].why);
  }
  char longq[STORE_SEARCH_MAX_QUERY_BYTES + 2];
  memset(longq, 'x', sizeof longq - 1);
  longq[sizeof longq - 1] = '\0';
  char err[256];
  assert_int_equal(store_search_check(longq, err, sizeof err), -EINVAL);
  assert_non_null(strstr(err, "longer than"));
  longq[STORE_SEARCH_MAX_QUERY_BYTES] = '\0';
  assert_int_equal(store_search_check(longq, err, sizeof err), 0);
}

static void rewritten_queries_quote_every_word(void **state) {
  (void)state;
  char *fts, err[128];
  assert_int_equal(store_search_compile("homs (a:b OR \"x y\") NOT c*d*", &fts, err, sizeof err),
                   0);
  assert_string_equal(fts, "\"homs\" AND (\"a:b\" OR \"x y\") NOT \"c*d\"*");
  free(fts);
}

static void a_bad_query_is_einval_with_the_reason_not_a_store_failure(void **state) {
  struct fx *f = *state;
  struct stream_list l;
  struct store_filter flt = {.query = "homs OR"};
  assert_int_equal(store_stream_filter(f->s, &flt, 10, &l), -EINVAL);
  assert_non_null(strstr(store_errmsg(f->s), "ends with an operator"));
  assert_int_equal(l.n, 0);
}

static void filters_by_feed_since_and_a_second_query(void **state) {
  struct fx *f = *state;
  char got[512];
  const char *dw[] = {"dw"}, *both[] = {"dw", "bbc"}, *none[] = {"nosuch"};
  struct store_filter flt = {.feeds = dw, .n_feeds = 1, .by_feeds = true};
  titles(f, &flt, got, sizeof got);
  assert_string_equal(got, "Weather|Bundestag vote");
  flt = (struct store_filter){.feeds = both, .n_feeds = 2, .by_feeds = true, .query = "in"};
  titles(f, &flt, got, sizeof got);
  assert_string_equal(got, "Weather|Aleppo talks|Shelling in Homs");
  flt.query2 = "homs OR berlin";
  titles(f, &flt, got, sizeof got);
  assert_string_equal(got, "Weather|Shelling in Homs");
  flt.since = 1700000100;
  titles(f, &flt, got, sizeof got);
  assert_string_equal(got, "Weather");
  flt = (struct store_filter){.feeds = none, .n_feeds = 1, .by_feeds = true};
  titles(f, &flt, got, sizeof got);
  assert_string_equal(got, "");
  flt = (struct store_filter){.by_feeds = true}; /* a stream whose feeds are all gone */
  titles(f, &flt, got, sizeof got);
  assert_string_equal(got, "");
}

/* FTS5's own check that the index agrees with its content table. */
static void index_is_consistent(struct fx *f) {
  sqlite3 *db;
  assert_int_equal(sqlite3_open(f->sc.db, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "INSERT INTO entries_fts(entries_fts) VALUES('integrity-check')",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
}

/* After a commit nothing waits to be indexed, and the index is consistent. */
static void index_is_current(struct fx *f) {
  assert_int_equal(sql_int(f->sc.db, "SELECT count(*) FROM entries_fts_pending"), 0);
  index_is_consistent(f);
}

/* The index follows the entries: an edit replaces the old words, pruning removes them. */
static void the_index_follows_edits_and_pruning(void **state) {
  struct fx *f = *state;
  put(f, f->bbc, "b1", "Ceasefire in Homs", "A ceasefire was agreed in Homs.", 1700000000);
  search_is(f, "shelling", "");
  search_is(f, "ceasefire", "Ceasefire in Homs");
  size_t deleted;
  assert_int_equal(store_prune(f->s, 1700000000 + 1, 0, 100, &deleted), 0);
  assert_true(deleted >= 1);
  search_is(f, "ceasefire", "");
  index_is_consistent(f);
}

/* New entries are indexed at the commit (schema version 7), in one statement: one written in
 * a transaction, then edited or pruned in it, is indexed as it is at the commit, and a
 * rolled-back one not at all. Within a group, each poll's savepoint counts likewise. */
static void entries_are_indexed_at_the_commit(void **state) {
  struct fx *f = *state;
  assert_int_equal(store_begin(f->s), 0);
  put(f, f->bbc, "c1", "Curfew in Idlib", "A curfew was declared in Idlib.", 1700000400);
  put(f, f->bbc, "c1", "Curfew lifted in Idlib", "The curfew in Idlib was lifted.", 1700000400);
  put(f, f->dw, "c2", "Floods in Dresden", "The Elbe flooded Dresden.", 1700000500);
  assert_int_equal(store_commit(f->s), 0);
  index_is_current(f);
  search_is(f, "declared", "");
  search_is(f, "lifted", "Curfew lifted in Idlib");
  search_is(f, "elbe", "Floods in Dresden");

  assert_int_equal(store_group_begin(f->s), 0);
  assert_int_equal(store_begin(f->s), 0);
  put(f, f->dw, "g1", "Strike in Hamburg", "Dockers went on strike in Hamburg.", 1700000600);
  assert_int_equal(store_commit(f->s), 0);
  assert_int_equal(store_begin(f->s), 0);
  put(f, f->dw, "g2", "Storm in Kiel", "A storm reached Kiel.", 1700000700);
  store_rollback(f->s);
  size_t deleted;
  assert_int_equal(store_begin(f->s), 0);
  put(f, f->bbc, "g3", "Snow in Bonn", "Snow fell in Bonn.", 1600000000);
  assert_int_equal(store_commit(f->s), 0);
  assert_int_equal(store_prune(f->s, 1650000000, 0, 100, &deleted), 0);
  assert_int_equal(deleted, 1);
  assert_int_equal(store_group_commit(f->s), 0);
  index_is_current(f);
  search_is(f, "hamburg", "Strike in Hamburg");
  search_is(f, "kiel", "");
  search_is(f, "bonn", "");
}

/* Closes the store, turns it back into an older one with sql (which ends by setting the
 * version), and opens it again: the migration runs, and the store ends at the current version. */
static void reopen_as_older(struct fx *f, const char *sql) {
  store_close(f->s);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(f->sc.db, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  f->s = open_store(f->sc.db);
  assert_int_equal(sql_int(f->sc.db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
}

/* A store from before version 6 gets its existing entries indexed by the migration. */
static void migration_indexes_existing_entries(void **state) {
  struct fx *f = *state;
  reopen_as_older(f,
                 "DROP TRIGGER entries_fts_insert; DROP TRIGGER entries_fts_delete;"
                 "DROP TRIGGER entries_fts_update; DROP TABLE entries_fts;"
                 /* and what version 7 changed */
                 "DROP TABLE entries_fts_pending; DROP INDEX entries_link_hash;"
                 "ALTER TABLE entries DROP COLUMN link_hash;"
                 /* and version 8 */
                 "ALTER TABLE entries DROP COLUMN story;"
                 /* and version 9 */
                 "DROP TABLE replica_state;"
                 "CREATE INDEX entries_norm_link ON entries(norm_link)"
                 " WHERE norm_link IS NOT NULL;"
                 /* and version 11 */
                 "DROP INDEX entries_time; CREATE INDEX entries_time ON entries(time, seq);"
                 "CREATE INDEX entries_simhash ON entries(time, seq, simhash)"
                 " WHERE simhash IS NOT NULL;"
                 "PRAGMA user_version = 5;");
  search_is(f, "bundestag OR homs", "Bundestag vote|Shelling in Homs");
}

/* A live blog "Storm Ada – live" whose updates never say "storm". */
static void put_storm_blog(struct fx *f, const char *title) {
  static const struct store_update ups[] = {
      {.stamp = "0645 GMT", .time = 1700000400, .html = "<p>Amber wind warning in force.</p>",
       .text = "Amber wind warning in force.", .title = "Amber wind warning"},
      {.stamp = "0810 GMT", .time = 1700005800, .html = "<p>The coast road is closed.</p>",
       .text = "The coast road is closed.", .title = "Coast road closed"},
  };
  struct store_item it = {.guid = "ada", .link = "https://bbc.example/live/ada", .title = title,
                          .text = "Follow the storm.", .html = "<p>Follow the storm.</p>",
                          .published = 1700000400, .has_published = true, .is_liveblog = true,
                          .updates = ups, .n_updates = 2};
  assert_int_equal(store_put_item(f->s, f->bbc, &it, 1700006000, NULL), 0);
}

/* A live blog's updates are found by the blog's title as well as their own words; a renamed
 * blog by its new title; an ordinary entry is not found by another item's title. */
static void updates_are_found_by_their_blog_title(void **state) {
  struct fx *f = *state;
  put_storm_blog(f, "Storm Ada \xe2\x80\x93 live");
  search_is(f, "\"storm ada\"", "Coast road closed|Amber wind warning");
  search_is(f, "ada AND road", "Coast road closed");
  search_is(f, "ada AND homs", "");
  put_storm_blog(f, "Ada clean-up begins");
  search_is(f, "clean*", "Coast road closed|Amber wind warning");
  search_is(f, "\"storm ada\"", "");
  index_is_current(f);
}

/* A store from before version 8 finds its live blogs' updates by title once migrated. */
static void migration_titles_existing_updates(void **state) {
  struct fx *f = *state;
  put_storm_blog(f, "Storm Ada \xe2\x80\x93 live");
  reopen_as_older(f,
                 "DROP TRIGGER entries_fts_insert; DROP TRIGGER entries_fts_delete;"
                 "DROP TRIGGER entries_fts_update; DROP TABLE entries_fts;"
                 "ALTER TABLE entries DROP COLUMN story;"
                 "CREATE VIRTUAL TABLE entries_fts USING fts5(title, text,"
                 " content='entries', content_rowid='seq');"
                 "INSERT INTO entries_fts (entries_fts) VALUES ('rebuild');"
                 /* version 7's triggers by name (step 8 replaces them) */
                 "CREATE TRIGGER entries_fts_insert AFTER INSERT ON entries"
                 " BEGIN SELECT 1; END;"
                 "CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries"
                 " BEGIN SELECT 1; END;"
                 "CREATE TRIGGER entries_fts_update AFTER UPDATE ON entries"
                 " BEGIN SELECT 1; END;"
                 "DROP TABLE replica_state;" /* version 9's */
                 /* version 11's */
                 "DROP INDEX entries_time; CREATE INDEX entries_time ON entries(time, seq);"
                 "CREATE INDEX entries_simhash ON entries(time, seq, simhash)"
                 " WHERE simhash IS NOT NULL;"
                 "PRAGMA user_version = 7;");
  search_is(f, "\"storm ada\"", "Coast road closed|Amber wind warning");
  search_is(f, "homs", "Shelling in Homs");
  index_is_current(f);
}

/* A search through thousands of matching entries is ordinary work, well within the bound. */
static void many_matches_stay_within_the_work_bound(void **state) {
  struct fx *f = *state;
  char text[64];
  for (int i = 0; i < 3000; i++) {
    char guid[16];
    snprintf(guid, sizeof guid, "n%d", i);
    snprintf(text, sizeof text, "common word number %d filler", i);
    put(f, f->dw, guid, text, text, 1600000000 + i);
  }
  struct stream_list l;
  const char *dw[] = {"dw"};
  /* a few thousand matches are well within the bound */
  struct store_filter flt = {.query = "common", .feeds = dw, .n_feeds = 1, .by_feeds = true};
  assert_int_equal(store_stream_filter(f->s, &flt, 10, &l), 0);
  assert_int_equal(l.n, 10);
  stream_list_clear(&l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bad_queries_say_why),
      cmocka_unit_test(rewritten_queries_quote_every_word),
      cmocka_unit_test_setup_teardown(words_phrases_operators_and_prefixes_match, setup, teardown),
      cmocka_unit_test_setup_teardown(a_bad_query_is_einval_with_the_reason_not_a_store_failure,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(filters_by_feed_since_and_a_second_query, setup, teardown),
      cmocka_unit_test_setup_teardown(the_index_follows_edits_and_pruning, setup, teardown),
      cmocka_unit_test_setup_teardown(entries_are_indexed_at_the_commit, setup, teardown),
      cmocka_unit_test_setup_teardown(migration_indexes_existing_entries, setup, teardown),
      cmocka_unit_test_setup_teardown(updates_are_found_by_their_blog_title, setup, teardown),
      cmocka_unit_test_setup_teardown(migration_titles_existing_updates, setup, teardown),
      cmocka_unit_test_setup_teardown(many_matches_stay_within_the_work_bound, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
