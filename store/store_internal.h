/* store_internal.h — what the store's own files (store.c, put.c, stream.c) share.
 *
 * Promise: one prepared statement per query, prepared on first use with
 * SQLITE_PREPARE_PERSISTENT and kept for the life of the connection; store_fail turns a
 * SQLite failure into a negative errno-style code and a message naming the store file.
 */
#ifndef BRAID_STORE_INTERNAL_H
#define BRAID_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>

#include "bandindex.h"
#include "store.h"

enum store_stmt {
  STMT_FEED_BY_NAME,
  STMT_FEED_INSERT,
  STMT_FEED_SET_URL,
  STMT_FEED_GET,
  STMT_FEED_SET,
  STMT_FEEDS_DUE,
  STMT_FEED_NAME,
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_FTS_PENDING,
  STMT_FTS_FLUSH,
  STMT_FTS_CLEAR,
  STMT_ITEM_FIND,
  STMT_ITEM_INSERT,
  STMT_ITEM_UPDATE,
  STMT_ITEM_DROP_KIND,
  STMT_ITEM_DROP_ORPHANS,
  STMT_ITEM_UPDATES,
  STMT_SOURCE_FIND,
  STMT_SOURCE_SET_LINK,
  STMT_SOURCE_INSERT,
  STMT_SOURCES_SET_TIME,
  STMT_ENTRY_INSERT,
  STMT_ENTRY_UPDATE,
  STMT_ENTRY_SET_STORY,
  STMT_ENTRY_BY_LINK,
  STMT_ENTRY_BY_TEXT,
  STMT_ENTRY_NEAR_TIME,
  STMT_BANDS_LOAD,
  STMT_ENTRY_HAS_FEED,
  STMT_ENTRY_TEXT,
  STMT_STREAM_NEWEST,
  STMT_STREAM_AFTER,
  STMT_STREAM_FEED,
  STMT_STREAM_SEARCH,
  STMT_STREAM_FILTER,
  STMT_SOURCES_OF,
  STMT_MAX_SEQ,
  STMT_DATA_VERSION,
  STMT_PRUNE_OLD,
  STMT_PRUNE_FEEDS,
  STMT_PRUNE_FEED_EXCESS,
  STMT_DELETE_ENTRY,
  STMT_DELETE_SOURCE,
  STMT_DELETE_ORPHAN_ENTRY,
  STMT_PRUNE_TOMBSTONES,
  STMT_PAGE_GET,
  STMT_PAGE_SET,
  STMT_PAGES_LIVE,
  STMT__COUNT
};

struct store {
  sqlite3 *db;
  char *path;
  bool readonly;
  bool in_tx; /* inside store_begin .. store_commit */
  bool in_group; /* inside store_group_begin .. store_group_commit: store_begin is a savepoint */
  bool group_lost; /* SQLite rolled the group's transaction back under it */
  char tx_feed[128]; /* the feed being saved in the open transaction, for error messages */
  /* The name of the feed last saved in the open write transaction (put.c), so the items
   * of one poll look it up once; forgotten when a transaction begins, as the write lock is
   * all that keeps another connection from changing the feeds. */
  int64_t named_feed_id;
  char *named_feed;
  sqlite3_stmt *stmt[STMT__COUNT];
  /* The writer's SimHash band index (bands.c): NULL for a reader. Kept equal to the entries'
   * fingerprints by temporary triggers; ready once built inside a write transaction, rebuilt
   * when another connection has committed since (bands_data_version). */
  struct band_index *bands;
  bool bands_ready;
  int64_t bands_data_version;
  size_t bands_savepoint; /* the journal's mark at the open SAVEPOINT poll */
  /* WAL checkpoints (checkpoint.c): frames in the WAL after the last commit, and how many of
   * them a checkpoint has already handled; whether the owner checkpoints off the loop. */
  int wal_pages;
  int wal_checkpointed;
  int wal_copied; /* of those, copied by the last checkpoint (0: none since the WAL began) */
  bool checkpoint_elsewhere;
  char errmsg[512];
};

/* The SQL of a statement (tests check each query's plan uses an index). */
const char *store_stmt_sql(enum store_stmt id);
/* The statement for id, reset and with its bindings cleared, or NULL (s->errmsg set). */
sqlite3_stmt *store_stmt(struct store *s, enum store_stmt id);

/* Records that `what` failed with SQLite result code rc (its message read from s->db) in
 * s->errmsg: "store PATH: REASON while WHAT (sqlite message)". Returns the errno code. */
int store_fail(struct store *s, int rc, const char *what_fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Records an error that is not SQLite's: "store PATH: MESSAGE". Returns err. */
int store_failf(struct store *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The band index's share of opening and of transactions (bands.c). setup: registers the
 * index's triggers on a writer's connection (0 or an errno code, err set). begin: after a
 * top-level BEGIN, (re)builds the index if it is not current and journals its changes.
 * end: after a top-level COMMIT (committed) or ROLLBACK (undoes the journal). */
int store__bands_setup(struct store *s, char *err, size_t errlen);
int store__bands_begin(struct store *s);
void store__bands_end(struct store *s, bool committed);
/* Registers the commit hook that checkpoints (checkpoint.c) on a writer's connection. */
void store__checkpoint_setup(struct store *s);
/* After ROLLBACK TO poll: undoes the band changes made since SAVEPOINT poll. */
void store__bands_undo_savepoint(struct store *s);
/* Reads the rows of a stream query (columns as ENTRY_COLUMNS in store.c) and their sources
 * into ret (stream.c); on failure ret is left empty and s->errmsg set. */
int store__read_entries(struct store *s, sqlite3_stmt *st, struct stream_list *ret);

/* Binds a string, or NULL for a NULL string. */
int store_bind_text(sqlite3_stmt *st, int col, const char *text);
/* A newly allocated copy of a text column, NULL for NULL; *ret_oom set on allocation failure. */
char *store_column_strdup(sqlite3_stmt *st, int col, bool *ret_oom);
/* Steps a statement that returns no row; the SQLite code (SQLITE_DONE on success). */
int store_step_done(sqlite3_stmt *st);

#endif
