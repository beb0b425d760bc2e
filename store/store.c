/* store.c — opening the store, errors, feeds and transactions. See store.h.
 *
 * Pragmas, as SQLite's authors recommend for an application file with one writer and
 * several readers: WAL journal (readers never block the writer), a busy timeout (a reader's
 * checkpoint or a second braid waits instead of failing), foreign keys on, and
 * synchronous=NORMAL. In WAL mode NORMAL never corrupts the file and loses nothing when the
 * process crashes; only a power cut can undo the last few commits, and since a feed's
 * validators (ETag, Last-Modified) are committed in the same transaction as its items, an
 * undone poll is simply fetched and stored again at the next poll.
 *
 * The WAL is checkpointed every 4000 pages (16 MB, the size of the page cache) instead of
 * SQLite's 1000, and in the daemon off the loop (checkpoint.c): one poll's transaction touches
 * some 200 pages (an entry lands on random leaves of its indexes), so at 1000 a first poll of
 * 5,000 feeds ran 2,600 checkpoints, each with two fdatasync calls that stall the loop (34 s
 * wall for 20 s of CPU; 26 s with 711 syncs at 4000). The price: a power cut may undo up to
 * 16 MB of the last commits instead of 4 MB (up to BRAID_STORE_WAL_MAX_PAGES if background
 * checkpoints fall behind), which the argument above covers (those polls are fetched and
 * stored again); a crash of the process still loses nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "schema.h"
#include "bounds.h"
#include "store_internal.h"

/* Every query the store runs, indexed by enum store_stmt. */
static const char *const stmt_sql[STMT__COUNT] = {
    [STMT_FEED_BY_NAME] = "SELECT id, url FROM feeds WHERE name = ?1",
    [STMT_FEED_INSERT] = "INSERT INTO feeds (name, url) VALUES (?1, ?2)",
    [STMT_FEED_SET_URL] = "UPDATE feeds SET url = ?2, effective_url = NULL, etag = NULL,"
                          " last_modified = NULL, retired = 0 WHERE id = ?1",
    [STMT_FEED_GET] = "SELECT url, etag, last_modified, effective_url, title, site_url, next_due,"
                      " last_polled, error_count, last_status, retired FROM feeds WHERE name = ?1",
    [STMT_FEED_SET] = "UPDATE feeds SET etag = ?2, last_modified = ?3, effective_url = ?4,"
                      " title = ?5, site_url = ?6, next_due = ?7, last_polled = ?8,"
                      " error_count = ?9, last_status = ?10, retired = ?11 WHERE name = ?1",
    [STMT_FEEDS_DUE] = "SELECT name FROM feeds WHERE retired = 0 AND next_due <= ?1"
                       " ORDER BY next_due LIMIT ?2",
    [STMT_FEED_NAME] = "SELECT name FROM feeds WHERE id = ?1",
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_FTS_PENDING] = "SELECT 1 FROM entries_fts_pending LIMIT 1",
    [STMT_FTS_FLUSH] = "INSERT INTO entries_fts (rowid, title, text, story)"
                       " SELECT e.seq, e.title, e.text, e.story"
                       " FROM entries_fts_pending p JOIN entries e ON e.seq = p.seq",
    [STMT_FTS_CLEAR] = "DELETE FROM entries_fts_pending",
    [STMT_ITEM_FIND] = "SELECT id, content_hash, is_liveblog, first_seen FROM items"
                       " WHERE feed_id = ?1 AND ident = ?2",
    [STMT_ITEM_INSERT] = "INSERT INTO items (feed_id, ident, guid, link, norm_link, title, author,"
                         " published, updated, is_liveblog, content, content_hash, first_seen,"
                         " changed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
                         " ?13, ?13)",
    [STMT_ITEM_UPDATE] = "UPDATE items SET guid = ?3, link = ?4, norm_link = ?5, title = ?6,"
                         " author = ?7, published = ?8, updated = ?9, is_liveblog = ?10,"
                         " content = ?11, content_hash = ?12, changed = ?13"
                         " WHERE id = ?1 AND feed_id = ?2",
    [STMT_ITEM_DROP_KIND] = "DELETE FROM entry_sources WHERE item_id = ?1"
                            " AND (update_key = '') = ?2",
    [STMT_ITEM_DROP_ORPHANS] = "DELETE FROM entries WHERE item_id = ?1 AND NOT EXISTS"
                               " (SELECT 1 FROM entry_sources s WHERE s.entry_seq = entries.seq)",
    [STMT_ITEM_UPDATES] = "SELECT s.update_key, e.stamp FROM entry_sources s"
                          " JOIN entries e ON e.seq = s.entry_seq"
                          " WHERE s.item_id = ?1 AND s.update_key <> '' ORDER BY e.time, e.seq",
    [STMT_SOURCE_FIND] = "SELECT s.entry_seq, e.content_hash, e.item_id"
                         " FROM entry_sources s JOIN entries e ON e.seq = s.entry_seq"
                         " WHERE s.item_id = ?1 AND s.update_key = ?2",
    [STMT_SOURCE_SET_LINK] = "UPDATE entry_sources SET link = ?3"
                             " WHERE item_id = ?1 AND update_key = ?2 AND link IS NOT ?3",
    [STMT_SOURCE_INSERT] = "INSERT INTO entry_sources (entry_seq, item_id, update_key, feed_id,"
                           " link, time) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [STMT_SOURCES_SET_TIME] = "UPDATE entry_sources SET time = ?2 WHERE entry_seq = ?1"
                              " AND time <> ?2",
    /* Both bind an entry's fields as ?2..?11 (put.c, bind_entry_fields), ?10 being now: the
     * insert's first seen, the update's detection time. A new entry's `updated` (?13) is what
     * its source says (put.c, unit.own_updated); ?14 is the text key (dedupe.c). */
    [STMT_ENTRY_INSERT] = "INSERT INTO entries (uid, item_id, time, stamp, title, link, norm_link,"
                          " html, text, content_hash, first_seen, updated, simhash, text_key, link_hash,"
                          " story)"
                          " VALUES (?1, ?12, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?13, ?11, ?14,"
                          " ?15, ?16)",
    [STMT_ENTRY_UPDATE] = "UPDATE entries SET time = ?2, stamp = ?3, title = ?4, link = ?5,"
                          " norm_link = ?6, html = ?7, text = ?8, content_hash = ?9,"
                          " updated = ?10, simhash = ?11, text_key = ?14, link_hash = ?15,"
                          " story = ?16 WHERE seq = ?1",
    [STMT_ENTRY_SET_STORY] = "UPDATE entries SET story = ?2 WHERE item_id = ?1 AND story IS NOT ?2",
    /* "+feed_id" keeps SQLite from answering "does this feed carry entry N" by walking the
     * feed's entries: an entry has a source or two, a feed thousands of entries. */
    [STMT_ENTRY_BY_LINK] = "SELECT e.seq, e.time FROM entries e WHERE e.link_hash = ?3"
                           " AND e.norm_link = ?1"
                           " AND NOT EXISTS (SELECT 1 FROM entry_sources s"
                           " WHERE s.entry_seq = e.seq AND +s.feed_id = ?2) LIMIT 1",
    /* The band index's records (bands.c), oldest first, the newest BAND_INDEX_MAX_ENTRIES of
     * them: entries_time, which holds the fingerprint (schema version 11), answers it
     * without reading the entries' texts. */
    [STMT_BANDS_LOAD] = "SELECT seq, time, simhash FROM entries WHERE simhash IS NOT NULL"
                        " ORDER BY time, seq LIMIT -1 OFFSET (SELECT max(0, count(*) - ?1)"
                        " FROM entries WHERE simhash IS NOT NULL)",
    /* The same words within SIMHASH_SHORT_WINDOW_SECONDS, the nearest in time (min() picks
     * its row without sorting; no match is one row of NULLs, read as seq 0). The window's
     * two 256-second buckets are the index's first column (schema.c, version 10). */
    [STMT_ENTRY_BY_TEXT] = "SELECT e.seq, e.time, min(abs(e.time - ?5)), e.title FROM entries e"
                           " WHERE (e.time >> 8) IN (?3 >> 8, ?4 >> 8) AND e.text_key = ?1"
                           " AND e.time BETWEEN ?3 AND ?4 AND NOT EXISTS"
                           " (SELECT 1 FROM entry_sources s WHERE s.entry_seq = e.seq"
                           " AND +s.feed_id = ?2)",
    /* Short texts' candidates: the entries of the same minutes another feed carries. */
    [STMT_ENTRY_NEAR_TIME] = "SELECT e.seq, e.time, e.text, e.title FROM entries e"
                             " WHERE e.time BETWEEN ?2 AND ?3 AND e.text IS NOT NULL"
                             " AND NOT EXISTS (SELECT 1 FROM entry_sources s"
                             " WHERE s.entry_seq = e.seq AND +s.feed_id = ?1) LIMIT ?4",
    [STMT_ENTRY_TEXT] = "SELECT text FROM entries WHERE seq = ?1",
    [STMT_ENTRY_HAS_FEED] = "SELECT 1 FROM entry_sources WHERE entry_seq = ?1 AND +feed_id = ?2",
#define ENTRY_COLUMNS                                                                        \
  "e.seq, e.uid, e.time, e.updated, e.title, e.link, i.author, e.html, e.text, e.stamp,"    \
  " CASE WHEN i.is_liveblog THEN i.title END, coalesce(i.guid, i.link, i.ident)"
    [STMT_STREAM_NEWEST] = "SELECT " ENTRY_COLUMNS " FROM entries e"
                           " JOIN items i ON i.id = e.item_id"
                           " ORDER BY e.time DESC, e.seq DESC LIMIT ?1",
    [STMT_STREAM_AFTER] = "SELECT " ENTRY_COLUMNS " FROM entries e"
                          " JOIN items i ON i.id = e.item_id"
                          " WHERE e.seq > ?1 ORDER BY e.seq LIMIT ?2",
    [STMT_STREAM_FEED] = "SELECT " ENTRY_COLUMNS " FROM entry_sources s"
                         " JOIN entries e ON e.seq = s.entry_seq JOIN items i ON i.id = e.item_id"
                         " WHERE s.feed_id = (SELECT id FROM feeds WHERE name = ?1)"
                         " ORDER BY s.time DESC, s.entry_seq DESC LIMIT ?2",
    /* search.c: ?1 the FTS5 expression, ?2 since, ?3 a JSON array of feed names or NULL,
     * ?4 the limit. The filter is the same without ?1. */
#define STREAM_FILTER                                                                        \
  " e.time >= ?2 AND (?3 IS NULL OR EXISTS (SELECT 1 FROM entry_sources s"                  \
  " JOIN feeds f ON f.id = s.feed_id WHERE s.entry_seq = e.seq"                              \
  " AND f.name IN (SELECT value FROM json_each(?3))))"                                       \
  " ORDER BY e.time DESC, e.seq DESC LIMIT ?4"
    [STMT_STREAM_SEARCH] = "SELECT " ENTRY_COLUMNS " FROM entries e"
                           " JOIN items i ON i.id = e.item_id"
                           " WHERE e.seq IN (SELECT rowid FROM entries_fts"
                           " WHERE entries_fts MATCH ?1) AND" STREAM_FILTER,
    [STMT_STREAM_FILTER] = "SELECT " ENTRY_COLUMNS " FROM entries e"
                           " JOIN items i ON i.id = e.item_id WHERE" STREAM_FILTER,
#undef STREAM_FILTER
#undef ENTRY_COLUMNS
    [STMT_SOURCES_OF] = "SELECT f.name, f.title, f.site_url, coalesce(f.effective_url, f.url),"
                        " s.link FROM entry_sources s JOIN feeds f ON f.id = s.feed_id"
                        " WHERE s.entry_seq = ?1 ORDER BY s.id",
    [STMT_MAX_SEQ] = "SELECT coalesce(max(seq), 0) FROM entries",
    [STMT_DATA_VERSION] = "PRAGMA data_version",
    /* Entries in the order stored (seq) are in the order first seen: the oldest batch. */
    [STMT_PRUNE_OLD] = "SELECT seq FROM (SELECT seq, first_seen FROM entries ORDER BY seq"
                       " LIMIT ?2) WHERE first_seen < ?1",
    [STMT_PRUNE_FEEDS] = "SELECT id FROM feeds",
    [STMT_PRUNE_FEED_EXCESS] = "SELECT id, entry_seq FROM entry_sources WHERE feed_id = ?1"
                               " ORDER BY time DESC, entry_seq DESC LIMIT ?3 OFFSET ?2",
    [STMT_DELETE_ENTRY] = "DELETE FROM entries WHERE seq = ?1",
    [STMT_DELETE_SOURCE] = "DELETE FROM entry_sources WHERE id = ?1",
    [STMT_DELETE_ORPHAN_ENTRY] = "DELETE FROM entries WHERE seq = ?1 AND NOT EXISTS"
                                 " (SELECT 1 FROM entry_sources s WHERE s.entry_seq = ?1)",
    [STMT_PRUNE_TOMBSTONES] = "DELETE FROM items WHERE id IN (SELECT i.id FROM items i"
                              " WHERE i.content IS NULL AND i.first_seen < ?1"
                              " AND NOT EXISTS (SELECT 1 FROM entry_sources s"
                              " WHERE s.item_id = i.id)"
                              " AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.item_id = i.id)"
                              " LIMIT ?2)",
#define PAGE_COLUMNS                                                                         \
  "page_url, guid, title, published, etag, last_modified, live_until, last_fetched, updates"
    [STMT_PAGE_GET] = "SELECT " PAGE_COLUMNS " FROM page_state WHERE feed_id = ?1"
                      " AND page_url = ?2",
    [STMT_PAGE_SET] = "INSERT OR REPLACE INTO page_state (feed_id, " PAGE_COLUMNS ")"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [STMT_PAGES_LIVE] = "SELECT " PAGE_COLUMNS " FROM page_state WHERE feed_id = ?1"
                        " AND live_until > ?2 ORDER BY live_until DESC LIMIT ?3",
#undef PAGE_COLUMNS
};

/* How long a writer waits for another connection's lock before giving up, in ms. */
#define STORE_BUSY_TIMEOUT_MS 5000

static int vfail(char *out, size_t outlen, const char *path, int err, const char *fmt,
                 va_list ap) __attribute__((format(printf, 5, 0)));
static int vfail(char *out, size_t outlen, const char *path, int err, const char *fmt,
                 va_list ap) {
  if (!out || outlen == 0)
    return err;
  int n = snprintf(out, outlen, "store %s: ", path);
  if (n >= 0 && (size_t)n < outlen)
    vsnprintf(out + n, outlen - (size_t)n, fmt, ap);
  return err;
}

int store_failf(struct store *s, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(s->errmsg, sizeof s->errmsg, s->path, err, fmt, ap);
  va_end(ap);
  return err;
}

/* Why a write failed when SQLite could not say (it reports the errno current when it
 * records the error, which its rollback may have reset): a file at the process's file size
 * limit (EFBIG), a file system with no room left (ENOSPC), or 0 if neither. */
static int guess_write_failure(const char *path) {
  struct rlimit lim;
  if (getrlimit(RLIMIT_FSIZE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    char wal[PATH_MAX];
    snprintf(wal, sizeof wal, "%s-wal", path);
    const char *files[] = {path, wal};
    for (size_t i = 0; i < 2; i++) {
      struct stat st;
      /* a failed write leaves the file within a WAL frame or two of the limit */
      if (stat(files[i], &st) == 0 && (rlim_t)st.st_size + 64 * 1024 >= lim.rlim_cur)
        return EFBIG;
    }
  }
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash)
    *(slash == dir ? slash + 1 : slash) = '\0';
  else
    snprintf(dir, sizeof dir, ".");
  struct statvfs vfs;
  if (statvfs(dir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < 1024 * 1024)
    return ENOSPC;
  return 0;
}

/* The errno code and the words for a SQLite failure. */
static int describe(sqlite3 *db, const char *path, int rc, const char **ret_reason) {
  int sys = db ? sqlite3_system_errno(db) : 0;
  if (sys == 0 && ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL))
    sys = guess_write_failure(path);
  switch (rc & 0xff) {
  case SQLITE_FULL:
    if (sys == EFBIG) {
      *ret_reason = "file size limit reached";
      return -EFBIG;
    }
    *ret_reason = "disk full";
    return -ENOSPC;
  case SQLITE_IOERR:
  case SQLITE_CANTOPEN:
    if (sys == ENOSPC) {
      *ret_reason = "disk full";
      return -ENOSPC;
    }
    if (sys == EFBIG) {
      *ret_reason = "file size limit reached";
      return -EFBIG;
    }
    if (sys == EDQUOT) {
      *ret_reason = "disk quota exceeded";
      return -EDQUOT;
    }
    if (sys == EACCES || sys == EPERM) {
      *ret_reason = "permission denied";
      return -EACCES;
    }
    if ((rc & 0xff) == SQLITE_CANTOPEN) {
      *ret_reason = sys == ENOENT ? "no such file or directory" : "cannot open the file";
      return sys == ENOENT ? -ENOENT : -EIO;
    }
    *ret_reason = "I/O error";
    return -EIO;
  case SQLITE_READONLY:
    *ret_reason = "the store is read-only";
    return -EROFS;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    *ret_reason = "locked by another process for too long";
    return -EBUSY;
  case SQLITE_CORRUPT:
    *ret_reason = "the file is damaged";
    return -EIO;
  case SQLITE_NOTADB:
    *ret_reason = "not a braid store (not an SQLite database)";
    return -EIO;
  case SQLITE_NOMEM:
    *ret_reason = "out of memory";
    return -ENOMEM;
  case SQLITE_CONSTRAINT:
    *ret_reason = "constraint violated";
    return -EINVAL;
  case SQLITE_TOOBIG:
    *ret_reason = "value too big";
    return -E2BIG;
  default:
    *ret_reason = "error";
    return -EIO;
  }
}

static int vfail_sqlite(char *out, size_t outlen, const char *path, sqlite3 *db, int rc,
                        const char *what_fmt, va_list ap) __attribute__((format(printf, 6, 0)));
static int vfail_sqlite(char *out, size_t outlen, const char *path, sqlite3 *db, int rc,
                        const char *what_fmt, va_list ap) {
  const char *reason;
  int err = describe(db, path, rc, &reason);
  if (!out || outlen == 0)
    return err;
  char what[256];
  vsnprintf(what, sizeof what, what_fmt, ap);
  const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  snprintf(out, outlen, "store %s: %s while %s (%s)", path, reason, what, msg);
  return err;
}

int store_fail(struct store *s, int rc, const char *what_fmt, ...) {
  va_list ap;
  va_start(ap, what_fmt);
  int err = vfail_sqlite(s->errmsg, sizeof s->errmsg, s->path, s->db, rc, what_fmt, ap);
  va_end(ap);
  return err;
}

static int open_fail(char *err, size_t errlen, const char *path, sqlite3 *db, int rc,
                     const char *what, ...) __attribute__((format(printf, 6, 7)));
static int open_fail(char *err, size_t errlen, const char *path, sqlite3 *db, int rc,
                     const char *what, ...) {
  va_list ap;
  va_start(ap, what);
  int e = vfail_sqlite(err, errlen, path, db, rc, what, ap);
  va_end(ap);
  return e;
}

static int open_failf(char *err, size_t errlen, const char *path, int e, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int open_failf(char *err, size_t errlen, const char *path, int e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(err, errlen, path, e, fmt, ap);
  va_end(ap);
  return e;
}

const char *store_stmt_sql(enum store_stmt id) { return stmt_sql[id]; }

sqlite3_stmt *store_stmt(struct store *s, enum store_stmt id) {
  sqlite3_stmt *st = s->stmt[id];
  if (st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
  }
  int rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
  if (rc != SQLITE_OK) {
    store_fail(s, rc, "preparing query %d", (int)id);
    return NULL;
  }
  s->stmt[id] = st;
  return st;
}

int store_bind_text(sqlite3_stmt *st, int col, const char *text) {
  if (!text)
    return sqlite3_bind_null(st, col);
  return sqlite3_bind_text(st, col, text, -1, SQLITE_STATIC);
}

char *store_column_strdup(sqlite3_stmt *st, int col, bool *ret_oom) {
  const unsigned char *t = sqlite3_column_text(st, col);
  if (!t)
    return NULL;
  char *copy = strdup((const char *)t);
  if (!copy)
    *ret_oom = true;
  return copy;
}

int store_step_done(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc;
}

static int read_int_pragma(sqlite3 *db, const char *sql, int64_t *ret) {
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc != SQLITE_OK)
    return rc;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *ret = sqlite3_column_int64(st, 0);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc;
}

/* sqlite3_exec callback: copies the first column of the row into arg (16 bytes). */
static int copy_first_column(void *arg, int ncols, char **values, char **names) {
  (void)names;
  snprintf(arg, 16, "%s", ncols > 0 && values[0] ? values[0] : "");
  return 0;
}

/* Whether the file's schema version is one this braid may use as asked: a newer braid's store,
 * another program's database or (read-only) a store not yet upgraded is refused untouched.
 * 0 or an errno code, err set. */
static int check_version(sqlite3 *db, const char *path, bool readonly, int64_t version,
                         char *err, size_t errlen) {
  if (version > SCHEMA_VERSION)
    return open_failf(err, errlen, path, -EPROTO,
                      "written by a newer braid (schema version %lld, this braid knows up to "
                      "%d); refusing to use it, the file is left untouched",
                      (long long)version, SCHEMA_VERSION);
  /* user_version is a signed field any program may set; braid never writes one below 0. */
  if (version < 0)
    return open_failf(err, errlen, path, -EPROTO,
                      "unknown schema version %lld (braid's are 0 to %d); refusing to use it, "
                      "the file is left untouched",
                      (long long)version, SCHEMA_VERSION);
  if (readonly) {
    if (version == 0)
      return open_failf(err, errlen, path, -EPROTO,
                        "not a braid store yet (no schema); run `braid run` or "
                        "`braid poll --once` to create it");
    if (version < SCHEMA_VERSION)
      return open_failf(err, errlen, path, -EPROTO,
                        "schema version %lld is older than this braid's (%d); run the daemon "
                        "once to upgrade it",
                        (long long)version, SCHEMA_VERSION);
    return 0;
  }
  /* Version 0 with tables is another program's database: not ours to add tables to. (A
   * braid store is never left at version 0 with tables: migrations are transactions.) */
  if (version == 0) {
    int64_t tables = 0;
    int rc = read_int_pragma(db, "SELECT count(*) FROM sqlite_master", &tables);
    if (rc != SQLITE_OK)
      return open_fail(err, errlen, path, db, rc, "reading the schema");
    if (tables > 0)
      return open_failf(err, errlen, path, -EPROTO,
                        "not a braid store (an SQLite database of another program); "
                        "refusing to use it, the file is left untouched");
  }
  return 0;
}

/* The writer's settings: WAL (refused where SQLite cannot use it), synchronous=NORMAL, foreign
 * keys, cache size, the WAL's size limit; incremental auto-vacuum on a new file. Checkpoints: checkpoint.c.
 * temp_store=MEMORY keeps the savepoint journals in memory: every poll of a group is a
 * savepoint and every statement with a trigger has one, and SQLite wrote what they saved to a
 * temporary file once past 64 KiB: 40 KB of write(2) per stored entry, more than the WAL
 * (README, issue 16). They hold the old image of each page a poll changes that existed before
 * it (new pages are not saved), so their size is bounded by one poll's writes. */
static int set_writer_pragmas(sqlite3 *db, const char *path, char *err, size_t errlen) {
  int64_t pages = 0;
  int rc = read_int_pragma(db, "PRAGMA page_count", &pages);
  /* auto_vacuum can only be chosen before the first table exists. */
  if (rc == SQLITE_OK && pages == 0)
    rc = sqlite3_exec(db, "PRAGMA auto_vacuum = INCREMENTAL", NULL, NULL, NULL);
  char mode[16] = "";
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", copy_first_column, mode, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
                          " PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY",
                      NULL, NULL, NULL);
  /* A WAL that a burst of writes grew is cut back to this when it starts over. */
  char limit[64];
  snprintf(limit, sizeof limit, "PRAGMA journal_size_limit = %lld",
           (long long)BRAID_STORE_WAL_FINISH_PAGES * 4096);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(db, limit, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return open_fail(err, errlen, path, db, rc, "setting up the connection");
  /* Without WAL a reader blocks the daemon's writes and the durability argument above
   * does not hold; SQLite refuses WAL where it cannot share memory (network file systems). */
  if (strcmp(mode, "wal") != 0)
    return open_failf(err, errlen, path, -EIO,
                      "cannot use write-ahead logging here (journal mode stays \"%s\"); "
                      "keep the store on a local file system", mode);
  return 0;
}

/* Brings a store at version up to SCHEMA_VERSION in one transaction, under the write lock. */
static int migrate(sqlite3 *db, const char *path, int64_t version, char *err, size_t errlen) {
  int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  /* Another braid may have migrated while we waited for the lock. */
  if (rc == SQLITE_OK)
    rc = read_int_pragma(db, "PRAGMA user_version", &version);
  /* Checked again: what the lock waited for may have set any version. */
  if (rc == SQLITE_OK && (version < 0 || version > SCHEMA_VERSION)) {
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return open_failf(err, errlen, path, -EPROTO,
                      "unknown schema version %lld (braid's are 0 to %d); refusing to use it",
                      (long long)version, SCHEMA_VERSION);
  }
  if (rc == SQLITE_OK && version < SCHEMA_VERSION)
    rc = schema_migrate(db, (int)version);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    int e = open_fail(err, errlen, path, db, rc, "upgrading the schema from version %lld to %d",
                      (long long)version, SCHEMA_VERSION);
    if (!sqlite3_get_autocommit(db))
      sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return e;
  }
  return 0;
}

/* Sets the connection up and brings the schema up to date. 0 or an errno code, err set. */
static int prepare_connection(sqlite3 *db, const char *path, unsigned flags, char *err,
                              size_t errlen) {
  bool readonly = flags & STORE_OPEN_READONLY;
  sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
  sqlite3_extended_result_codes(db, 1);
  if (!readonly && sqlite3_db_readonly(db, "main") == 1)
    return open_failf(err, errlen, path, -EROFS,
                      "the file is read-only for this user; braid needs to write it "
                      "(check its owner and mode, and its directory's)");
  /* Read the version before anything writes: a newer braid's store is not ours to touch. */
  int64_t version = 0;
  int rc = read_int_pragma(db, "PRAGMA user_version", &version);
  if (rc != SQLITE_OK)
    return open_fail(err, errlen, path, db, rc, "reading the schema version");
  if ((rc = check_version(db, path, readonly, version, err, errlen)) < 0)
    return rc;
  if (readonly) {
    rc = sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : open_fail(err, errlen, path, db, rc, "setting up the connection");
  }
  if ((rc = set_writer_pragmas(db, path, err, errlen)) < 0)
    return rc;
  return version == SCHEMA_VERSION ? 0 : migrate(db, path, version, err, errlen);
}

int store_open(const char *path, unsigned flags, struct store **ret, char *err, size_t errlen) {
  *ret = NULL;
  if (err && errlen)
    err[0] = '\0';
  bool readonly = flags & STORE_OPEN_READONLY;
  struct stat stbuf;
  if (readonly && stat(path, &stbuf) < 0)
    return open_failf(err, errlen, path, -errno, "%s", strerror(errno));
  struct store *s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(path))) {
    free(s);
    return open_failf(err, errlen, path, -ENOMEM, "out of memory");
  }
  s->readonly = readonly;
  int oflags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
               SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
  int e;
  if (rc != SQLITE_OK)
    e = open_fail(err, errlen, path, s->db, rc, "opening it");
  else
    e = prepare_connection(s->db, path, flags, err, errlen);
  if (e == 0 && !readonly)
    e = store__bands_setup(s, err, errlen);
  if (e == 0 && !readonly)
    store__checkpoint_setup(s);
  if (e < 0) {
    store_close(s);
    return e;
  }
  *ret = s;
  return 0;
}

void store_close(struct store *s) {
  if (!s)
    return;
  for (int i = 0; i < STMT__COUNT; i++)
    sqlite3_finalize(s->stmt[i]);
  if (s->db && !sqlite3_get_autocommit(s->db))
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close(s->db);
  band_index_free(s->bands);
  free(s->named_feed);
  free(s->path);
  free(s);
}

const char *store_errmsg(const struct store *s) { return s->errmsg; }
const char *store_path(const struct store *s) { return s->path; }

/* ---- transactions ---------------------------------------------------------------------- */

/* At the start of a write transaction: what another connection may have changed since the
 * last one is read afresh. */
static void forget_feed_name(struct store *s) {
  free(s->named_feed);
  s->named_feed = NULL;
  s->named_feed_id = 0;
}

int store_begin(struct store *s) {
  if (s->in_tx)
    return store_failf(s, -EINVAL, "store_begin inside a transaction");
  if (s->in_group && !s->group_lost && sqlite3_get_autocommit(s->db)) {
    s->group_lost = true; /* rolled back under us: what follows is not the group's */
    store__bands_end(s, false);
  }
  int rc;
  bool savepoint = s->in_group && !s->group_lost;
  if (savepoint) {
    rc = sqlite3_exec(s->db, "SAVEPOINT poll", NULL, NULL, NULL);
    s->bands_savepoint = s->bands ? band_index_mark(s->bands) : 0;
  } else {
    sqlite3_stmt *st = store_stmt(s, STMT_BEGIN);
    if (!st)
      return -EIO;
    rc = store_step_done(st);
    rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  if (rc != SQLITE_OK)
    return store_fail(s, rc, "starting a transaction");
  if (!savepoint) {
    forget_feed_name(s);
    int r = store__bands_begin(s);
    if (r < 0) {
      sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
      return r;
    }
  }
  s->in_tx = true;
  s->tx_feed[0] = '\0';
  return 0;
}

/* Indexes the entries added in the open transaction for search, in one statement (schema.c,
 * version 7: FTS5 writes a segment per statement). An SQLite code. */
static int fts_flush(struct store *s) {
  sqlite3_stmt *st = store_stmt(s, STMT_FTS_PENDING);
  if (!st)
    return SQLITE_ERROR;
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_ROW)
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
  st = store_stmt(s, STMT_FTS_FLUSH);
  rc = st ? store_step_done(st) : SQLITE_ERROR;
  if (rc == SQLITE_DONE) {
    st = store_stmt(s, STMT_FTS_CLEAR);
    rc = st ? store_step_done(st) : SQLITE_ERROR;
  }
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_commit(struct store *s) {
  if (!s->in_tx)
    return store_failf(s, -EINVAL, "store_commit outside a transaction");
  bool savepoint = s->in_group && !s->group_lost;
  int rc;
  if (savepoint) {
    rc = sqlite3_exec(s->db, "RELEASE poll", NULL, NULL, NULL);
  } else {
    rc = fts_flush(s);
    sqlite3_stmt *st = rc == SQLITE_OK ? store_stmt(s, STMT_COMMIT) : NULL;
    if (rc == SQLITE_OK && !st)
      return -EIO;
    if (rc == SQLITE_OK)
      rc = store_step_done(st);
    rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  if (rc != SQLITE_OK) {
    /* SQLite may have rolled back already (disk full); otherwise the caller rolls back. */
    if (sqlite3_get_autocommit(s->db)) {
      s->in_tx = false;
      s->group_lost = s->in_group;
      store__bands_end(s, false);
    }
    if (s->tx_feed[0])
      return store_fail(s, rc, "saving feed %s", s->tx_feed);
    return store_fail(s, rc, "committing");
  }
  if (!savepoint)
    store__bands_end(s, true);
  s->in_tx = false;
  return 0;
}

void store_rollback(struct store *s) {
  if (s->in_group && !s->group_lost && !sqlite3_get_autocommit(s->db)) {
    if (s->in_tx && sqlite3_exec(s->db, "ROLLBACK TO poll; RELEASE poll", NULL, NULL, NULL) ==
                        SQLITE_OK) {
      s->in_tx = false;
      store__bands_undo_savepoint(s);
      return;
    }
    s->group_lost = true;
  }
  if (!sqlite3_get_autocommit(s->db))
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  store__bands_end(s, false);
  s->in_tx = false;
}

int store_group_begin(struct store *s) {
  if (s->in_group || s->in_tx)
    return store_failf(s, -EINVAL, "store_group_begin inside a transaction");
  sqlite3_stmt *st = store_stmt(s, STMT_BEGIN);
  if (!st)
    return -EIO;
  int rc = store_step_done(st);
  if (rc != SQLITE_DONE)
    return store_fail(s, rc, "starting a transaction");
  forget_feed_name(s);
  int r = store__bands_begin(s);
  if (r < 0) {
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return r;
  }
  s->in_group = true;
  s->group_lost = false;
  return 0;
}

int store_group_commit(struct store *s) {
  if (!s->in_group || s->in_tx)
    return store_failf(s, -EINVAL, "store_group_commit outside a group");
  s->in_group = false;
  if (s->group_lost || sqlite3_get_autocommit(s->db)) {
    s->group_lost = false;
    store__bands_end(s, false);
    return store_failf(s, -EIO, "a failed write rolled back the polls saved since the last "
                       "commit; they are fetched again");
  }
  int rc = fts_flush(s);
  if (rc != SQLITE_OK) {
    int e = store_fail(s, rc, "indexing the new entries for search");
    store_rollback(s);
    return e;
  }
  sqlite3_stmt *st = store_stmt(s, STMT_COMMIT);
  if (!st) {
    store_rollback(s);
    return -EIO;
  }
  rc = store_step_done(st);
  if (rc != SQLITE_DONE) {
    int e = store_fail(s, rc, "committing");
    store_rollback(s);
    return e;
  }
  store__bands_end(s, true);
  return 0;
}

void store_group_rollback(struct store *s) {
  s->in_group = false;
  s->group_lost = false;
  s->in_tx = false;
  if (!sqlite3_get_autocommit(s->db))
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  store__bands_end(s, false);
}

bool store_group_open(const struct store *s) { return s->in_group; }

bool store_group_pending(const struct store *s) { return s->in_group && !s->group_lost; }

int64_t store_sqlite_heap_bytes(void) { return sqlite3_memory_used(); }

int store_data_version(struct store *s, int64_t *ret) {
  sqlite3_stmt *st = store_stmt(s, STMT_DATA_VERSION);
  if (!st)
    return -EIO;
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW)
    return store_fail(s, rc, "reading the data version");
  *ret = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return 0;
}

int store_max_seq(struct store *s, int64_t *ret_seq) {
  sqlite3_stmt *st = store_stmt(s, STMT_MAX_SEQ);
  if (!st)
    return -EIO;
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW)
    return store_fail(s, rc, "reading the newest entry");
  *ret_seq = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return 0;
}
