/* test_store_schema.c — migrations: a store at every older schema version opens, keeps its
 * data and ends with exactly the schema a new store gets; a failed migration leaves the
 * store at its old version. Each historic schema is kept here as released, because a store
 * in the field may be at any of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store.h"
#include "test_store_util.h"
#include "urlnorm.h"

/* Schema version 1, as released. Never edit. */
static const char schema_v1_as_released[] =
    "CREATE TABLE feeds ("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, url TEXT NOT NULL,"
    "  effective_url TEXT, title TEXT, site_url TEXT, etag TEXT, last_modified TEXT,"
    "  next_due INTEGER NOT NULL DEFAULT 0, last_polled INTEGER NOT NULL DEFAULT 0,"
    "  error_count INTEGER NOT NULL DEFAULT 0, last_status INTEGER NOT NULL DEFAULT 0,"
    "  retired INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX feeds_due ON feeds(next_due) WHERE retired = 0;"
    "CREATE TABLE items ("
    "  id INTEGER PRIMARY KEY,"
    "  feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,"
    "  ident TEXT NOT NULL, guid TEXT, link TEXT, norm_link TEXT, title TEXT, author TEXT,"
    "  published INTEGER, updated INTEGER, is_liveblog INTEGER NOT NULL DEFAULT 0,"
    "  content TEXT, content_hash INTEGER NOT NULL, first_seen INTEGER NOT NULL,"
    "  changed INTEGER NOT NULL, UNIQUE (feed_id, ident));"
    "CREATE INDEX items_tombstones ON items(first_seen) WHERE content IS NULL;"
    "CREATE TABLE entries ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT, uid TEXT NOT NULL,"
    "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  time INTEGER NOT NULL,"
    "  stamp TEXT, title TEXT, link TEXT, norm_link TEXT, html TEXT, text TEXT,"
    "  content_hash INTEGER NOT NULL, first_seen INTEGER NOT NULL, updated INTEGER NOT NULL);"
    "CREATE INDEX entries_time ON entries(time, seq);"
    "CREATE INDEX entries_item ON entries(item_id);"
    "CREATE INDEX entries_norm_link ON entries(norm_link) WHERE norm_link IS NOT NULL;"
    "CREATE TABLE entry_sources ("
    "  id INTEGER PRIMARY KEY,"
    "  entry_seq INTEGER NOT NULL REFERENCES entries(seq) ON DELETE CASCADE,"
    "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  update_key TEXT NOT NULL,"
    "  feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,"
    "  link TEXT, time INTEGER NOT NULL, UNIQUE (item_id, update_key));"
    "CREATE INDEX entry_sources_entry ON entry_sources(entry_seq);"
    "CREATE INDEX entry_sources_feed ON entry_sources(feed_id, time, entry_seq);"
    "CREATE TRIGGER entry_sources_tombstone AFTER DELETE ON entry_sources BEGIN"
    "  UPDATE items SET content = NULL WHERE id = old.item_id AND content IS NOT NULL"
    "    AND NOT EXISTS (SELECT 1 FROM entry_sources WHERE item_id = old.item_id);"
    "END;"
    "PRAGMA user_version = 1;";

static void exec_or_die(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
    fail_msg("%s: %s", sql, msg);
}

/* A v1 store with one feed carrying one entry (seed 002's text). */
static void make_v1_store(const char *path, const char *text) {
  sqlite3 *db;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  exec_or_die(db, "PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL");
  exec_or_die(db, schema_v1_as_released);
  exec_or_die(db, "INSERT INTO feeds (id, name, url) VALUES (1, 'old', 'https://old.example/rss');"
                  "INSERT INTO items (id, feed_id, ident, guid, title, content, content_hash,"
                  " first_seen, changed) VALUES (1, 1, 'g:old-1', 'old-1', 'Homs', 'x', 42,"
                  " 1733572800, 1733572800);");
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db,
                                      "INSERT INTO entries (uid, item_id, time, title, text,"
                                      " content_hash, first_seen, updated) VALUES"
                                      " ('tag:braid,2011:old/1', 1, 1733572800, 'Homs', ?1, 7,"
                                      " 1733572800, 1733572800)",
                                      -1, &st, NULL),
                   SQLITE_OK);
  sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
  assert_int_equal(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  exec_or_die(db, "INSERT INTO entry_sources (entry_seq, item_id, update_key, feed_id, link, time)"
                  " VALUES (1, 1, '', 1, NULL, 1733572800)");
  sqlite3_close(db);
}

/* Tables with their columns, and every index and trigger by name: what the schema is. */
static char *schema_shape(const char *path) {
  return sql_text(path,
                  "SELECT group_concat(x, ' ') FROM (SELECT m.type || ':' || m.name || '('"
                  " || coalesce((SELECT group_concat(p.name || '/' || p.type || '/' || p.pk, ',')"
                  " FROM pragma_table_info(m.name) p), '') || ')' AS x FROM sqlite_master m"
                  " WHERE m.name NOT LIKE 'sqlite_%' ORDER BY m.type, m.name)");
}

static void new_store_is_at_the_current_version(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  FILE *f = fopen(sc.db, "w"); /* an empty file is a new store, too */
  fclose(f);
  struct store *s = open_store(sc.db);
  store_close(s);
  assert_int_equal(sql_int(sc.db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
  assert_int_equal(sql_int(sc.db, "SELECT count(*) FROM sqlite_master WHERE name IN"
                                  " ('feeds','items','entries','entry_sources','entries_time')"),
                   5);
  /* version 11: the fingerprint lives in entries_time; its own index is gone */
  assert_int_equal(sql_int(sc.db, "SELECT count(*) FROM sqlite_master WHERE name = 'entries_simhash'"),
                   0);
  assert_int_equal(sql_int(sc.db, "SELECT count(*) FROM pragma_index_info('entries_time')"
                                  " WHERE name = 'simhash'"),
                   1);
  assert_int_equal(sql_int(sc.db, "SELECT count(*) FROM sqlite_master WHERE name = 'simhash_bands'"),
                   0); /* version 5 keeps the bands in memory */
  scratch_remove(&sc);
}

static void version_1_store_migrates_with_its_data(void **state) {
  (void)state;
  struct scratch sc, fresh;
  scratch_make(&sc);
  scratch_make(&fresh);
  char *text = seed_text(2);
  make_v1_store(sc.db, text);
  struct store *s = open_store(sc.db);
  assert_int_equal(sql_int(sc.db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
  struct stream_list l;
  assert_int_equal(store_stream_newest(s, 10, &l), 0);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.entries[0].id, "tag:braid,2011:old/1");
  assert_string_equal(l.entries[0].text, text);
  assert_int_equal(l.entries[0].n_sources, 1);
  assert_string_equal(l.entries[0].sources[0].feed, "old");
  stream_list_clear(&l);
  /* the old entry was fingerprinted, so the same story from a new feed merges into it */
  assert_int_equal(sql_int(sc.db, "SELECT count(*) FROM entries WHERE seq = 1 AND simhash IS NOT NULL"),
                   1);
  int64_t fid;
  assert_int_equal(store_feed_ensure(s, "new", "https://new.example/rss", &fid), 0);
  struct store_item it = plain_item("new-1", NULL, "Homs falls", text, 1733572800 + 3600);
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(s, fid, &it, 1733600000, &st), 0);
  assert_int_equal(st.merged_duplicates, 1);
  store_close(s);
  /* and its schema is exactly a new store's */
  store_close(open_store(fresh.db));
  char *migrated = schema_shape(sc.db), *created = schema_shape(fresh.db);
  assert_string_equal(migrated, created);
  free(migrated);
  free(created);
  free(text);
  scratch_remove(&sc);
  scratch_remove(&fresh);
}

/* Version 7 finds entries by a hash of their link: an old entry's is computed when the store
 * migrates, so the same link from another feed still merges into it. */
static void old_entries_are_found_by_link_after_migrating(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  char *text = seed_text(2), *norm = NULL;
  make_v1_store(sc.db, text);
  assert_int_equal(url_normalise("https://old.example/homs", &norm), 0);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(sc.db, &db), SQLITE_OK);
  char sql[512];
  snprintf(sql, sizeof sql, "UPDATE entries SET link = 'https://old.example/homs', norm_link = '%s'",
           norm);
  exec_or_die(db, sql);
  sqlite3_close(db);
  struct store *s = open_store(sc.db);
  assert_int_equal(sql_int(sc.db, "SELECT count(*) FROM entries WHERE link_hash IS NOT NULL"), 1);
  int64_t fid;
  assert_int_equal(store_feed_ensure(s, "new", "https://new.example/rss", &fid), 0);
  /* other words entirely: only the link makes it the same story */
  struct store_item it = plain_item("new-1", "https://old.example/homs", "Homs", "Other words.",
                                    1733572800 + 86400 * 30);
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(s, fid, &it, 1736000000, &st), 0);
  assert_int_equal(st.merged_duplicates, 1);
  assert_int_equal(st.new_entries, 0);
  store_close(s);
  free(norm);
  free(text);
  scratch_remove(&sc);
}

/* Version 10 files text keys by time bucket and merges search segments 8 at a time: a
 * migrated store's old entry is still found by its words, through the new index. */
static void old_entries_are_found_by_words_after_migrating(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  char *text = seed_text(2);
  make_v1_store(sc.db, text);
  struct store *s = open_store(sc.db);
  assert_int_equal(sql_int(sc.db, "SELECT count(*) FROM sqlite_master WHERE name ="
                                  " 'entries_text_key' AND sql LIKE '%(time >> 8, text_key)%'"),
                   1);
  assert_int_equal(sql_int(sc.db, "SELECT v FROM entries_fts_config WHERE k = 'automerge'"), 8);
  assert_int_equal(sql_int(sc.db, "SELECT count(*) FROM entries WHERE text_key IS NOT NULL"), 1);
  int64_t fid;
  assert_int_equal(store_feed_ensure(s, "new", "https://new.example/rss", &fid), 0);
  /* the same words a minute later, under the same title and no link */
  struct store_item it = plain_item("new-1", NULL, "Homs", text, 1733572800 + 60);
  struct store_put_stats st = {0};
  assert_int_equal(store_put_item(s, fid, &it, 1733600000, &st), 0);
  assert_int_equal(st.merged_duplicates, 1);
  assert_int_equal(st.new_entries, 0);
  store_close(s);
  assert_int_equal(sql_int(sc.db, "SELECT count(*) FROM entries"), 1);
  free(text);
  scratch_remove(&sc);
}

static void failed_migration_leaves_the_old_version(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  char *text = seed_text(2);
  make_v1_store(sc.db, text);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(sc.db, &db), SQLITE_OK);
  exec_or_die(db, "CREATE TABLE simhash_bands (x)"); /* in the way of version 2 */
  sqlite3_close(db);
  struct store *s;
  char err[512];
  int r = store_open(sc.db, 0, &s, err, sizeof err);
  assert_true(r < 0);
  assert_null(s);
  assert_non_null(strstr(err, sc.db));
  char want[64];
  snprintf(want, sizeof want, "upgrading the schema from version 1 to %d", STORE_SCHEMA_VERSION);
  assert_non_null(strstr(err, want));
  assert_int_equal(sql_int(sc.db, "PRAGMA user_version"), 1);
  assert_int_equal(sql_int(sc.db, "SELECT count(*) FROM pragma_table_info('entries')"
                                  " WHERE name = 'simhash'"),
                   0);
  assert_int_equal(sql_int(sc.db, "SELECT count(*) FROM entries"), 1);
  free(text);
  scratch_remove(&sc);
}

static void readonly_open_refuses_an_old_schema_without_touching_it(void **state) {
  (void)state;
  struct scratch sc;
  scratch_make(&sc);
  char *text = seed_text(2);
  make_v1_store(sc.db, text);
  struct store *s;
  char err[512];
  assert_int_equal(store_open(sc.db, STORE_OPEN_READONLY, &s, err, sizeof err), -EPROTO);
  assert_non_null(strstr(err, "older than this braid's"));
  assert_int_equal(sql_int(sc.db, "PRAGMA user_version"), 1);
  free(text);
  scratch_remove(&sc);
}

/* The schema fixture that integration tests build stores from is the current schema. */
static void schema_fixture_matches_a_new_store(void **state) {
  (void)state;
  struct scratch sc, fresh;
  scratch_make(&sc);
  scratch_make(&fresh);
  const char *fixtures = getenv("BRAID_FIXTURES");
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/store/schema-v%d.sql", fixtures ? fixtures : "tests/fixtures",
           STORE_SCHEMA_VERSION);
  char *sql = slurp(path, NULL);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(sc.db, &db), SQLITE_OK);
  exec_or_die(db, sql);
  sqlite3_close(db);
  store_close(open_store(fresh.db));
  char *fixture = schema_shape(sc.db), *created = schema_shape(fresh.db);
  if (strcmp(fixture, created) != 0)
    fail_msg("%s is out of date: regenerate it as its first lines say", path);
  assert_int_equal(sql_int(sc.db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
  free(fixture);
  free(created);
  free(sql);
  scratch_remove(&sc);
  scratch_remove(&fresh);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(new_store_is_at_the_current_version),
      cmocka_unit_test(version_1_store_migrates_with_its_data),
      cmocka_unit_test(old_entries_are_found_by_link_after_migrating),
      cmocka_unit_test(failed_migration_leaves_the_old_version),
      cmocka_unit_test(readonly_open_refuses_an_old_schema_without_touching_it),
      cmocka_unit_test(schema_fixture_matches_a_new_store),
      cmocka_unit_test(old_entries_are_found_by_words_after_migrating),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
