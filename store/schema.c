/* schema.c — the numbered migrations of the store. See schema.h.
 *
 * Never edit a released step: add a new one. tests/unit/test_store_schema.c keeps a copy of
 * every historic schema and checks that a store at each one migrates with its data. */
#include "schema.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "simhash.h"

/* Version 1: feeds, the items read from them, the entries of the stream and which feeds
 * carried each entry. */
static const char schema_v1[] =
    "CREATE TABLE feeds ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"          /* feeds.d file name */
    "  url TEXT NOT NULL,"                  /* as configured */
    "  effective_url TEXT,"                 /* after permanent redirects */
    "  title TEXT, site_url TEXT,"          /* the feed's own */
    "  etag TEXT, last_modified TEXT,"      /* validators for conditional GET */
    "  next_due INTEGER NOT NULL DEFAULT 0,"
    "  last_polled INTEGER NOT NULL DEFAULT 0,"
    "  error_count INTEGER NOT NULL DEFAULT 0,"
    "  last_status INTEGER NOT NULL DEFAULT 0,"
    "  retired INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX feeds_due ON feeds(next_due) WHERE retired = 0;"
    "CREATE TABLE items ("
    "  id INTEGER PRIMARY KEY,"
    "  feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,"
    "  ident TEXT NOT NULL,"                /* g:guid, l:normalised link or h:hash */
    "  guid TEXT, link TEXT, norm_link TEXT, title TEXT, author TEXT,"
    "  published INTEGER, updated INTEGER,"
    "  is_liveblog INTEGER NOT NULL DEFAULT 0,"
    "  content TEXT,"                       /* NULL once all its entries are pruned */
    "  content_hash INTEGER NOT NULL,"      /* of everything the feed said about it */
    "  first_seen INTEGER NOT NULL,"
    "  changed INTEGER NOT NULL,"
    "  UNIQUE (feed_id, ident));"
    "CREATE INDEX items_tombstones ON items(first_seen) WHERE content IS NULL;"
    "CREATE TABLE entries ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT," /* never reused, so followers miss nothing */
    "  uid TEXT NOT NULL,"                  /* the stable tag: URI; unique by construction */
    "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE," /* first source */
    "  time INTEGER NOT NULL,"
    "  stamp TEXT, title TEXT, link TEXT,"
    "  norm_link TEXT,"                     /* normalised link [# update key], to find it again */
    "  html TEXT, text TEXT,"
    "  content_hash INTEGER NOT NULL,"
    "  first_seen INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL);"
    "CREATE INDEX entries_time ON entries(time, seq);"
    "CREATE INDEX entries_item ON entries(item_id);"
    "CREATE INDEX entries_norm_link ON entries(norm_link) WHERE norm_link IS NOT NULL;"
    "CREATE TABLE entry_sources ("
    "  id INTEGER PRIMARY KEY,"             /* order added: the first source first */
    "  entry_seq INTEGER NOT NULL REFERENCES entries(seq) ON DELETE CASCADE,"
    "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  update_key TEXT NOT NULL,"           /* '' for an ordinary item, else the update's */
    "  feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,"
    "  link TEXT,"                          /* this feed's link for the story */
    "  time INTEGER NOT NULL,"              /* the entry's time, for one feed's stream */
    "  UNIQUE (item_id, update_key));"
    "CREATE INDEX entry_sources_entry ON entry_sources(entry_seq);"
    "CREATE INDEX entry_sources_feed ON entry_sources(feed_id, time, entry_seq);"
    /* An item whose every entry is gone keeps only its identity and hash, so that a feed
     * still carrying it does not bring it back as new. */
    "CREATE TRIGGER entry_sources_tombstone AFTER DELETE ON entry_sources BEGIN"
    "  UPDATE items SET content = NULL WHERE id = old.item_id AND content IS NOT NULL"
    "    AND NOT EXISTS (SELECT 1 FROM entry_sources WHERE item_id = old.item_id);"
    "END;";

/* Version 2: near-duplicate detection. Each entry's SimHash, indexed under 8 bands of 8
 * bits with the entry's time (simhash.h), so a lookup finds every fingerprint within 7 bits
 * among the entries of the same days from the index alone. */
static const char schema_v2[] =
    "ALTER TABLE entries ADD COLUMN simhash INTEGER;"
    "CREATE TABLE simhash_bands ("
    "  band_key INTEGER NOT NULL,"          /* band number << 8 | the band's byte */
    "  time INTEGER NOT NULL,"              /* the entry's time */
    "  entry_seq INTEGER NOT NULL,"
    "  simhash INTEGER NOT NULL,"           /* the whole fingerprint, so lookups stay here */
    "  PRIMARY KEY (band_key, time, entry_seq)) WITHOUT ROWID;"
    "CREATE TRIGGER entries_drop_bands AFTER DELETE ON entries WHEN old.simhash IS NOT NULL"
    " BEGIN"
    "  DELETE FROM simhash_bands WHERE time = old.time AND entry_seq = old.seq AND band_key IN ("
    "    old.simhash & 255, 256 | ((old.simhash >> 8) & 255),"
    "    512 | ((old.simhash >> 16) & 255), 768 | ((old.simhash >> 24) & 255),"
    "    1024 | ((old.simhash >> 32) & 255), 1280 | ((old.simhash >> 40) & 255),"
    "    1536 | ((old.simhash >> 48) & 255), 1792 | ((old.simhash >> 56) & 255));"
    "END;";

/* Fingerprints the entries stored before version 2. */
static int backfill_simhash(sqlite3 *db) {
  sqlite3_stmt *sel = NULL, *upd = NULL, *band = NULL;
  int rc = sqlite3_prepare_v2(db, "SELECT seq, text, time FROM entries WHERE text IS NOT NULL",
                              -1, &sel, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(db, "UPDATE entries SET simhash = ?2 WHERE seq = ?1", -1, &upd,
                            NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO simhash_bands VALUES (?1, ?3, ?2, ?4)",
                            -1, &band, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
    rc = SQLITE_OK;
    int64_t seq = sqlite3_column_int64(sel, 0);
    uint64_t fp;
    size_t shingles;
    simhash_text((const char *)sqlite3_column_text(sel, 1), &fp, &shingles);
    if (shingles < SIMHASH_MIN_SHINGLES)
      continue;
    sqlite3_bind_int64(upd, 1, seq);
    sqlite3_bind_int64(upd, 2, (int64_t)fp);
    if (sqlite3_step(upd) != SQLITE_DONE)
      rc = sqlite3_errcode(db);
    sqlite3_reset(upd);
    for (int b = 0; rc == SQLITE_OK && b < SIMHASH_BANDS; b++) {
      sqlite3_bind_int64(band, 1, simhash_band_key(fp, b));
      sqlite3_bind_int64(band, 2, seq);
      sqlite3_bind_int64(band, 3, sqlite3_column_int64(sel, 2));
      sqlite3_bind_int64(band, 4, (int64_t)fp);
      if (sqlite3_step(band) != SQLITE_DONE)
        rc = sqlite3_errcode(db);
      sqlite3_reset(band);
    }
  }
  if (rc == SQLITE_DONE)
    rc = SQLITE_OK;
  sqlite3_finalize(sel);
  sqlite3_finalize(upd);
  sqlite3_finalize(band);
  return rc;
}

/* Version 3: exact duplicates across feeds. Each entry's text key (simhash_text_key: its
 * words, case and punctuation aside), indexed with its time, so "the same text within two
 * minutes" is one index range. */
static const char schema_v3[] =
    "ALTER TABLE entries ADD COLUMN text_key INTEGER;"
    "CREATE INDEX entries_text_key ON entries(text_key, time) WHERE text_key IS NOT NULL;";

/* Sets a column computed from a text column for every row of entries where key() gives one:
 * the backfill of a step that adds such a column. */
static int backfill_key(sqlite3 *db, const char *select_sql, const char *update_sql,
                        bool (*key)(const char *text, int64_t *ret)) {
  sqlite3_stmt *sel = NULL, *upd = NULL;
  int rc = sqlite3_prepare_v2(db, select_sql, -1, &sel, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(db, update_sql, -1, &upd, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
    rc = SQLITE_OK;
    int64_t k;
    if (!key((const char *)sqlite3_column_text(sel, 1), &k))
      continue;
    sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
    sqlite3_bind_int64(upd, 2, k);
    if (sqlite3_step(upd) != SQLITE_DONE)
      rc = sqlite3_errcode(db);
    sqlite3_reset(upd);
  }
  if (rc == SQLITE_DONE)
    rc = SQLITE_OK;
  sqlite3_finalize(sel);
  sqlite3_finalize(upd);
  return rc;
}

static bool text_key_of(const char *text, int64_t *ret) {
  *ret = (int64_t)simhash_text_key(text);
  return *ret != 0;
}

static int backfill_text_key(sqlite3 *db) {
  return backfill_key(db, "SELECT seq, text FROM entries WHERE text IS NOT NULL",
                      "UPDATE entries SET text_key = ?2 WHERE seq = ?1", text_key_of);
}

/* Version 4 (live-blog pages): what braid
 * remembers about each live blog's web page between reads, so its conditional GET and its
 * "still live" horizon survive a restart. */
static const char schema_v4[] =
    "CREATE TABLE page_state ("
    "  feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,"
    "  page_url TEXT NOT NULL,"             /* the feed item's link */
    "  guid TEXT, title TEXT,"              /* the feed item the page belongs to */
    "  published INTEGER NOT NULL DEFAULT 0,"
    "  etag TEXT, last_modified TEXT,"      /* the page's own validators */
    "  live_until INTEGER NOT NULL DEFAULT 0," /* re-read while now < live_until */
    "  last_fetched INTEGER NOT NULL DEFAULT 0,"
    "  updates INTEGER NOT NULL DEFAULT 0," /* updates the page last gave; > 0: it owns the item */
    "  PRIMARY KEY (feed_id, page_url));"
    "CREATE INDEX page_state_live ON page_state(feed_id, live_until);";

/* Version 5: the band rows leave the file. Eight rows per fingerprint were half of what a
 * new entry cost; the writer now keeps the bands in memory (bands.c), built from
 * entries_simhash, one covering index row per fingerprinted entry. */
static const char schema_v5[] =
    "DROP TRIGGER entries_drop_bands;"
    "DROP TABLE simhash_bands;"
    "CREATE INDEX entries_simhash ON entries(time, seq, simhash) WHERE simhash IS NOT NULL;";

/* Version 6: full-text search (search.c). An FTS5 index over the entries' titles and text,
 * external-content (the words live only in entries), kept by triggers so it changes in the
 * very transaction that changes an entry; the step indexes what the store already holds. */
static const char schema_v6[] =
    "CREATE VIRTUAL TABLE entries_fts USING fts5(title, text, content='entries',"
    " content_rowid='seq');"
    "CREATE TRIGGER entries_fts_insert AFTER INSERT ON entries BEGIN"
    "  INSERT INTO entries_fts (rowid, title, text) VALUES (new.seq, new.title, new.text);"
    "END;"
    "CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries BEGIN"
    "  INSERT INTO entries_fts (entries_fts, rowid, title, text)"
    "    VALUES ('delete', old.seq, old.title, old.text);"
    "END;"
    "CREATE TRIGGER entries_fts_update AFTER UPDATE OF title, text ON entries"
    " WHEN old.title IS NOT new.title OR old.text IS NOT new.text BEGIN"
    "  INSERT INTO entries_fts (entries_fts, rowid, title, text)"
    "    VALUES ('delete', old.seq, old.title, old.text);"
    "  INSERT INTO entries_fts (rowid, title, text) VALUES (new.seq, new.title, new.text);"
    "END;"
    "INSERT INTO entries_fts (entries_fts) VALUES ('rebuild');";

/* Version 7: cheaper writes. (1) The search index FTS5 (SQLite 3.40) writes its pending
 * words out as a new segment at every statement savepoint, and every statement of a write
 * transaction with a trigger has one: a segment per entry, merged again and again, was half of
 * what storing an entry cost. Now a new entry's seq goes to entries_fts_pending, and the
 * commit indexes them all in one statement (store.c, fts_flush). An entry edited or deleted
 * before that is not in the index yet: its words are not taken out of it. (2) Entries are
 * found by link through a 64-bit hash of it (link_hash, store_link_hash; the query compares
 * the link itself too) instead of an index of the links' text: the largest index, at random
 * places, and twice the pages of an integer's. */
static const char schema_v7[] =
    "ALTER TABLE entries ADD COLUMN link_hash INTEGER;"
    "DROP INDEX entries_norm_link;"
    "CREATE INDEX entries_link_hash ON entries(link_hash) WHERE link_hash IS NOT NULL;"
    "CREATE TABLE entries_fts_pending (seq INTEGER PRIMARY KEY);"
    "DROP TRIGGER entries_fts_insert;"
    "DROP TRIGGER entries_fts_delete;"
    "DROP TRIGGER entries_fts_update;"
    "CREATE TRIGGER entries_fts_insert AFTER INSERT ON entries BEGIN"
    "  INSERT INTO entries_fts_pending (seq) VALUES (new.seq);"
    "END;"
    "CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries BEGIN"
    "  INSERT INTO entries_fts (entries_fts, rowid, title, text)"
    "    SELECT 'delete', old.seq, old.title, old.text"
    "    WHERE NOT EXISTS (SELECT 1 FROM entries_fts_pending WHERE seq = old.seq);"
    "  DELETE FROM entries_fts_pending WHERE seq = old.seq;"
    "END;"
    "CREATE TRIGGER entries_fts_update AFTER UPDATE OF title, text ON entries"
    " WHEN (old.title IS NOT new.title OR old.text IS NOT new.text)"
    "  AND NOT EXISTS (SELECT 1 FROM entries_fts_pending WHERE seq = old.seq) BEGIN"
    "  INSERT INTO entries_fts (entries_fts, rowid, title, text)"
    "    VALUES ('delete', old.seq, old.title, old.text);"
    "  INSERT INTO entries_fts (rowid, title, text) VALUES (new.seq, new.title, new.text);"
    "END;";

/* Version 8: a live blog's updates are found by the blog's title too. A reader who searches
 * "storm ada", or a stream whose query names the story, wants the updates of "Storm Ada –
 * live" whose own words never repeat the name. The title is copied onto each update (story;
 * NULL for ordinary entries, whose title is the item's) so the index's external content holds
 * every word it indexed, as FTS5's 'delete' needs; the index is rebuilt with the column. */
static const char schema_v8[] =
    "ALTER TABLE entries ADD COLUMN story TEXT;"
    "UPDATE entries SET story = (SELECT i.title FROM items i WHERE i.id = entries.item_id)"
    " WHERE item_id IN (SELECT id FROM items WHERE is_liveblog = 1);"
    "DROP TRIGGER entries_fts_insert;"
    "DROP TRIGGER entries_fts_delete;"
    "DROP TRIGGER entries_fts_update;"
    "DROP TABLE entries_fts;"
    "DELETE FROM entries_fts_pending;"
    "CREATE VIRTUAL TABLE entries_fts USING fts5(title, text, story, content='entries',"
    " content_rowid='seq');"
    "CREATE TRIGGER entries_fts_insert AFTER INSERT ON entries BEGIN"
    "  INSERT INTO entries_fts_pending (seq) VALUES (new.seq);"
    "END;"
    "CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries BEGIN"
    "  INSERT INTO entries_fts (entries_fts, rowid, title, text, story)"
    "    SELECT 'delete', old.seq, old.title, old.text, old.story"
    "    WHERE NOT EXISTS (SELECT 1 FROM entries_fts_pending WHERE seq = old.seq);"
    "  DELETE FROM entries_fts_pending WHERE seq = old.seq;"
    "END;"
    "CREATE TRIGGER entries_fts_update AFTER UPDATE OF title, text, story ON entries"
    " WHEN (old.title IS NOT new.title OR old.text IS NOT new.text OR old.story IS NOT new.story)"
    "  AND NOT EXISTS (SELECT 1 FROM entries_fts_pending WHERE seq = old.seq) BEGIN"
    "  INSERT INTO entries_fts (entries_fts, rowid, title, text, story)"
    "    VALUES ('delete', old.seq, old.title, old.text, old.story);"
    "  INSERT INTO entries_fts (rowid, title, text, story)"
    "    VALUES (new.seq, new.title, new.text, new.story);"
    "END;"
    "INSERT INTO entries_fts (entries_fts) VALUES ('rebuild');";

static bool link_hash_of(const char *norm_link, int64_t *ret) {
  *ret = store_link_hash(norm_link);
  return true;
}

static int backfill_link_hash(sqlite3 *db) {
  return backfill_key(db, "SELECT seq, norm_link FROM entries WHERE norm_link IS NOT NULL",
                      "UPDATE entries SET link_hash = ?2 WHERE seq = ?1", link_hash_of);
}

/* Version 9: a node of several on PostgreSQL keeps its store as a replica of the shared log
 * of polled results (aggregator/daemon/pgnode.c): how far it has replayed that log, written
 * in the transaction that replays it, so a crash can neither skip nor repeat a part. */
static const char schema_v9[] =
    "CREATE TABLE replica_state ("
    "  source TEXT PRIMARY KEY,"
    "  watermark INTEGER NOT NULL);";

/* Version 10: cheaper writes at a million entries (README, issue 16). (1) The text-key index
 * leads with the entry's time in 256-second buckets (time >> 8) instead of the key: keys are
 * random, so each of a transaction's entries dirtied a leaf of its own, and the pages a commit
 * writes to the WAL grew with the store (0.9 of the 4.5 pages an entry cost at 1 M entries);
 * new entries' times are near each other, so now they share leaves. A lookup is "the same
 * words within SIMHASH_SHORT_WINDOW_SECONDS", a window that spans at most two buckets
 * (dedupe.c). (2) FTS5 merges its segments 8 at a time instead of 4 ('automerge'): each
 * entry's words are rewritten at every level of merging, and with 400-entry segments a million
 * entries made six levels; this was 1.3 pages per entry. Searches read at most 8 segments a
 * level instead of 4. */
static const char schema_v10[] =
    "DROP INDEX entries_text_key;"
    "CREATE INDEX entries_text_key ON entries(time >> 8, text_key) WHERE text_key IS NOT NULL;"
    "INSERT INTO entries_fts (entries_fts, rank) VALUES ('automerge', 8);";

/* Version 11: one index fewer to write per entry. The band index's records (bands.c) came
 * from entries_simhash, (time, seq, simhash) of the fingerprinted entries, beside
 * entries_time, (time, seq) of all of them: the same leading columns in two B-trees, both
 * appended to by every new entry. entries_time now carries the fingerprint and answers
 * both (in the store benchmark's SQLite floor, -4% instructions an entry); the entries
 * without a fingerprint, the few with too short a text, cost a NULL each. */
static const char schema_v11[] =
    "DROP INDEX entries_simhash;"
    "DROP INDEX entries_time;"
    "CREATE INDEX entries_time ON entries(time, seq, simhash);";

struct migration {
  const char *sql;
  int (*after)(sqlite3 *db); /* data changes SQL alone cannot make, or NULL */
};

/* migrations[k] takes a store from version k to k + 1. */
static const struct migration migrations[SCHEMA_VERSION] = {
    {schema_v1, NULL},
    {schema_v2, backfill_simhash},
    {schema_v3, backfill_text_key},
    {schema_v4, NULL},
    {schema_v5, NULL},
    {schema_v6, NULL},
    {schema_v7, backfill_link_hash},
    {schema_v8, NULL},
    {schema_v9, NULL},
    {schema_v10, NULL},
    {schema_v11, NULL},
};

int schema_migrate(sqlite3 *db, int from_version) {
  /* migrations[] has a step for each version 0 .. SCHEMA_VERSION - 1 and no other. */
  if (from_version < 0 || from_version > SCHEMA_VERSION)
    return SQLITE_MISUSE;
  for (int v = from_version; v < SCHEMA_VERSION; v++) {
    int rc = sqlite3_exec(db, migrations[v].sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK && migrations[v].after)
      rc = migrations[v].after(db);
    if (rc != SQLITE_OK)
      return rc;
  }
  char sql[64];
  snprintf(sql, sizeof sql, "PRAGMA user_version = %d", SCHEMA_VERSION);
  return sqlite3_exec(db, sql, NULL, NULL, NULL);
}
