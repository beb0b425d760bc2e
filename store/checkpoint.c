/* checkpoint.c — when the WAL is copied back into the database file. See store.h.
 *
 * SQLite's own rule (wal_autocheckpoint) checkpoints inside the commit that passes a size:
 * on the daemon's loop that is a stall of two fdatasync calls, the longest the loop had
 * during a first poll (`slow what=commit`, 180-250 ms on a loaded disk). A WAL hook replaces
 * that rule (registering one turns autocheckpoint off) and records the WAL's size after each
 * commit; the daemon then runs store_checkpoint on libuv's thread pool. Why that thread is
 * safe: a checkpoint writes no rows, it copies pages that are already committed in the WAL
 * into the database file, on its own connection; SQLite lets it run beside the one writer and
 * the readers (PASSIVE never waits on a lock), and a crash of the process at any point leaves
 * every committed transaction in the WAL or the file, as before.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bounds.h"
#include "store_internal.h"

static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages) {
  struct store *s = arg;
  if (pages < s->wal_checkpointed) /* the WAL started over from its beginning */
    s->wal_checkpointed = s->wal_copied = 0;
  s->wal_pages = pages;
  int mode = -1;
  if (pages >= BRAID_STORE_WAL_MAX_PAGES)
    mode = SQLITE_CHECKPOINT_TRUNCATE;
  else if (pages >= (s->checkpoint_elsewhere ? BRAID_STORE_WAL_FINISH_PAGES
                                             : BRAID_STORE_WAL_CHECKPOINT_PAGES))
    mode = SQLITE_CHECKPOINT_PASSIVE; /* elsewhere: only what the background one left */
  if (mode < 0)
    return SQLITE_OK;
  int log = 0, copied = 0;
  /* The transaction is committed already; a checkpoint that cannot finish now (a reader's
   * snapshot, or the background one running: SQLITE_BUSY) is tried again at the next commit. */
  if (sqlite3_wal_checkpoint_v2(db, name, mode, &log, &copied) == SQLITE_OK) {
    s->wal_pages = log; /* 0 after TRUNCATE */
    s->wal_checkpointed = s->wal_copied = copied;
  }
  return SQLITE_OK;
}

void store__checkpoint_setup(struct store *s) { sqlite3_wal_hook(s->db, on_wal_commit, s); }

void store_checkpoint_elsewhere(struct store *s, bool elsewhere) {
  s->checkpoint_elsewhere = elsewhere;
}

bool store_checkpoint_due(const struct store *s) {
  return !s->readonly && s->wal_pages - s->wal_checkpointed >= BRAID_STORE_WAL_CHECKPOINT_PAGES;
}

void store_checkpoint_done(struct store *s, const struct store_checkpoint_result *r) {
  /* What was in the WAL when it ran is handled, copied or not: a reader that kept the rest
   * from being copied is waited out until the WAL grows by a checkpoint's worth again. */
  if (r->wal_pages > s->wal_checkpointed && r->wal_pages <= s->wal_pages) {
    s->wal_checkpointed = r->wal_pages;
    s->wal_copied = r->copied_pages;
  }
}

bool store_checkpoint_unfinished(const struct store *s) {
  /* SQLite starts the WAL over only at a write that begins once every frame is copied; a
   * checkpoint that ran beside the writer's commits (or behind a reader's snapshot) leaves
   * the last frames, and without another one the file grows by a checkpoint's worth each
   * time, up to BRAID_STORE_WAL_MAX_PAGES. */
  return !s->readonly && s->wal_copied > 0 && s->wal_pages > s->wal_copied;
}

int store_checkpoint(const char *path, struct store_checkpoint_result *ret) {
  memset(ret, 0, sizeof *ret);
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  const char *what = "opening it";
  if (rc == SQLITE_OK) {
    what = "setting up the connection";
    rc = sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
  }
  if (rc == SQLITE_OK) {
    what = "checkpointing its WAL";
    rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &ret->wal_pages,
                                   &ret->copied_pages);
  }
  int e = 0;
  if (rc != SQLITE_OK) {
    snprintf(ret->err, sizeof ret->err, "store %s: %s while %s", path,
             db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), what);
    e = -EIO;
  }
  sqlite3_close(db);
  return e;
}
