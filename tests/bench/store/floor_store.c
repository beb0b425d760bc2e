/* floor_store.c — what SQLite alone costs to write what the store writes for a new entry.
 *
 * usage: floor_store STORE_PATH [ENTRIES [ITEMS_PER_POLL [FEEDS]]]
 * The same store (store_open creates braid's schema, indexes, triggers and search index),
 * the same pragmas, the same pseudo-text and the same grouping as bench_store.c, but each new
 * entry is written with the three INSERTs the store ends up running (items, entries,
 * entry_sources) and nothing else: no lookup of an earlier copy, no duplicate search, no
 * hashing, no band index. Each poll is a savepoint; each group indexes its entries for search
 * and commits as store_group_commit does. bench_store's rate divided by this one is what
 * braid's own work costs on top of SQLite's (tests/bench/store/run.sh prints both).
 * FLOOR_NO_FK=1 and FLOOR_NO_AUTOVACUUM=1 in the environment measure those two settings. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sqlite3.h>
#include <time.h>

#include "benchstore.h"
#include "store.h"

static sqlite3 *db;

static void die(const char *what) {
  fprintf(stderr, "floor_store: %s: %s\n", what, sqlite3_errmsg(db));
  exit(1);
}

static void exec(const char *sql) {
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
    die(sql);
}

static sqlite3_stmt *prepare(const char *sql) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
    die(sql);
  return st;
}

static void step_done(sqlite3_stmt *st, const char *what) {
  if (sqlite3_step(st) != SQLITE_DONE)
    die(what);
  sqlite3_reset(st);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: floor_store STORE_PATH [ENTRIES [ITEMS_PER_POLL [FEEDS]]]\n");
    return 2;
  }
  const char *path = argv[1];
  long entries = argc > 2 ? atol(argv[2]) : 1000000;
  int per_poll = argc > 3 ? atoi(argv[3]) : 20;
  int feeds = argc > 4 ? atoi(argv[4]) : 100;
  bool no_fk = getenv("FLOOR_NO_FK") && strcmp(getenv("FLOOR_NO_FK"), "1") == 0;
  bool no_av = getenv("FLOOR_NO_AUTOVACUUM") && strcmp(getenv("FLOOR_NO_AUTOVACUUM"), "1") == 0;
  if (no_av) { /* a store created without auto_vacuum: set before store_open makes its first page */
    if (sqlite3_open(path, &db) != SQLITE_OK)
      die("open");
    exec("PRAGMA auto_vacuum = NONE; PRAGMA journal_mode = WAL");
    sqlite3_close(db);
  }
  int64_t *feed_ids;
  struct store *s = bench_open_with_feeds("floor_store", path, feeds, &feed_ids);
  if (!s)
    return 1;
  store_close(s);
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    die("open");
  /* store.c's pragmas for its writer */
  exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384;"
       " PRAGMA temp_store = MEMORY");
  exec(no_fk ? "PRAGMA foreign_keys = OFF" : "PRAGMA foreign_keys = ON");
  sqlite3_stmt *item_ins = prepare(
      "INSERT INTO items (feed_id, ident, guid, link, norm_link, title, author, published,"
      " updated, is_liveblog, content, content_hash, first_seen, changed)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, NULL, 0, ?8, ?9, ?7, ?7)");
  sqlite3_stmt *entry_ins = prepare(
      "INSERT INTO entries (uid, item_id, time, stamp, title, link, norm_link, html, text,"
      " content_hash, first_seen, updated, simhash, text_key, link_hash, story)"
      " VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, ?7, ?8, ?9, ?3, ?3, ?10, ?11, ?12, NULL)");
  sqlite3_stmt *source_ins = prepare(
      "INSERT INTO entry_sources (entry_seq, item_id, update_key, feed_id, link, time)"
      " VALUES (?1, ?2, '', ?3, ?4, ?5)");
  sqlite3_stmt *fts_flush = prepare(
      "INSERT INTO entries_fts (rowid, title, text, story) SELECT e.seq, e.title, e.text,"
      " e.story FROM entries_fts_pending p JOIN entries e ON e.seq = p.seq");
  sqlite3_stmt *fts_clear = prepare("DELETE FROM entries_fts_pending");
  int64_t t0 = 1700000000 - (int64_t)entries * 30;
  char text[1024], html[1100], guid[32], ident[40], link[96], uid[128];
  double start = now_s(), cpu_start = cpu_s(), block_cpu = cpu_start;
  double first_block_cpu = 0, last_block_cpu = 0;
  long done = 0;
  int group_polls = 0, group_entries = 0;
  bool in_group = false;
  for (long poll = 0; done < entries; poll++) {
    int f = (int)(poll % feeds);
    if (!in_group) {
      exec("BEGIN IMMEDIATE");
      in_group = true;
    }
    exec("SAVEPOINT poll");
    int i;
    for (i = 0; i < per_poll && done < entries; i++, done++) {
      int64_t t = t0 + done * 30;
      make_text(text, sizeof text, 60);
      snprintf(html, sizeof html, "<p>%s</p>", text);
      snprintf(guid, sizeof guid, "e%ld", done);
      snprintf(ident, sizeof ident, "g:%s", guid);
      snprintf(link, sizeof link, "https://feed%03d.example/story/%ld", f, done);
      snprintf(uid, sizeof uid, "tag:braid,2023:feed%03d/%s", f, guid);
      sqlite3_bind_int64(item_ins, 1, feed_ids[f]);
      sqlite3_bind_text(item_ins, 2, ident, -1, SQLITE_STATIC);
      sqlite3_bind_text(item_ins, 3, guid, -1, SQLITE_STATIC);
      sqlite3_bind_text(item_ins, 4, link, -1, SQLITE_STATIC);
      sqlite3_bind_text(item_ins, 5, link + 8, -1, SQLITE_STATIC);
      sqlite3_bind_text(item_ins, 6, guid, -1, SQLITE_STATIC);
      sqlite3_bind_int64(item_ins, 7, t);
      sqlite3_bind_text(item_ins, 8, "", -1, SQLITE_STATIC);
      sqlite3_bind_int64(item_ins, 9, (int64_t)rng());
      step_done(item_ins, "item");
      int64_t item_id = sqlite3_last_insert_rowid(db);
      sqlite3_bind_text(entry_ins, 1, uid, -1, SQLITE_STATIC);
      sqlite3_bind_int64(entry_ins, 2, item_id);
      sqlite3_bind_int64(entry_ins, 3, t);
      sqlite3_bind_text(entry_ins, 4, guid, -1, SQLITE_STATIC);
      sqlite3_bind_text(entry_ins, 5, link, -1, SQLITE_STATIC);
      sqlite3_bind_text(entry_ins, 6, link + 8, -1, SQLITE_STATIC);
      sqlite3_bind_text(entry_ins, 7, html, -1, SQLITE_STATIC);
      sqlite3_bind_text(entry_ins, 8, text, -1, SQLITE_STATIC);
      sqlite3_bind_int64(entry_ins, 9, (int64_t)rng());
      sqlite3_bind_int64(entry_ins, 10, (int64_t)rng());
      sqlite3_bind_int64(entry_ins, 11, (int64_t)rng());
      sqlite3_bind_int64(entry_ins, 12, (int64_t)rng());
      step_done(entry_ins, "entry");
      int64_t seq = sqlite3_last_insert_rowid(db);
      sqlite3_bind_int64(source_ins, 1, seq);
      sqlite3_bind_int64(source_ins, 2, item_id);
      sqlite3_bind_int64(source_ins, 3, feed_ids[f]);
      sqlite3_bind_text(source_ins, 4, link, -1, SQLITE_STATIC);
      sqlite3_bind_int64(source_ins, 5, t);
      step_done(source_ins, "source");
    }
    exec("RELEASE poll");
    group_polls++;
    group_entries += i;
    bool block_end = done == RATE_BLOCK || done == entries - RATE_BLOCK || done == entries;
    if (group_polls >= GROUP_MAX_POLLS || group_entries >= GROUP_MAX_ENTRIES || block_end) {
      step_done(fts_flush, "search index");
      step_done(fts_clear, "search index");
      exec("COMMIT");
      in_group = false;
      group_polls = group_entries = 0;
    }
    if (done == RATE_BLOCK || (entries >= 2 * RATE_BLOCK && done == entries - RATE_BLOCK)) {
      if (done == RATE_BLOCK)
        first_block_cpu = cpu_s() - block_cpu;
      block_cpu = cpu_s();
    }
    if (entries >= 2 * RATE_BLOCK && done == entries)
      last_block_cpu = cpu_s() - block_cpu;
  }
  double wall = now_s() - start, cpu = cpu_s() - cpu_start;
  printf("floor entries:        %ld (items, entries, entry_sources rows; FK %s, auto_vacuum %s)\n",
         entries, no_fk ? "off" : "on", no_av ? "none" : "incremental");
  printf("floor rate:           %.0f entries/s (%.1f s)\n", entries / wall, wall);
  printf("floor rate, CPU:      %.0f entries/s (%.1f s user+sys)\n", entries / cpu, cpu);
  if (first_block_cpu > 0 && last_block_cpu > 0)
    printf("floor flat ratio:     %.2f (first %d: %.0f/s, last %d: %.0f/s per CPU s)\n",
           first_block_cpu / last_block_cpu, RATE_BLOCK, RATE_BLOCK / first_block_cpu, RATE_BLOCK,
           RATE_BLOCK / last_block_cpu);
  sqlite3_finalize(item_ins);
  sqlite3_finalize(entry_ins);
  sqlite3_finalize(source_ins);
  sqlite3_finalize(fts_flush);
  sqlite3_finalize(fts_clear);
  sqlite3_close(db);
  free(feed_ids);
  return 0;
}
