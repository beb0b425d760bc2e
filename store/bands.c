/* bands.c — keeping the writer's in-memory SimHash band index (bandindex.h) equal to the
 * entries' fingerprints. See store_internal.h.
 *
 * Until schema version 5 every fingerprint was 8 rows of simhash_bands, written and read in
 * every poll: 16 of the ~22 statements a new entry cost, and half of the store's time. The
 * rows are only an index, so the writer now keeps them in memory (BAND_INDEX_BYTES_PER_ENTRY
 * bytes an entry) and builds them at its first write transaction from entries_time, a
 * covering index of (time, seq, simhash) that new entries append to (schema version 11).
 *
 * Temporary triggers on this connection call braid_bands() for every entry inserted,
 * deleted or re-fingerprinted, however the change is made (a poll, pruning, a cascade from a
 * retired feed), so no code path has to remember the index. Inside a transaction the changes
 * are journaled and undone when SQLite rolls back, whole or to the poll's savepoint. A
 * change committed by another connection (a second braid, a test) moves PRAGMA data_version;
 * the next write transaction sees it and rebuilds.
 */
#include <errno.h>
#include <stdio.h>

#include "store_internal.h"

/* braid_bands(added, seq, time, simhash): one entry's fingerprint filed or forgotten. */
static void bands_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  struct store *s = sqlite3_user_data(ctx);
  (void)argc;
  if (!s->bands_ready)
    return; /* built from the table at the next write transaction */
  int64_t seq = sqlite3_value_int64(argv[1]), time = sqlite3_value_int64(argv[2]);
  uint64_t fp = (uint64_t)sqlite3_value_int64(argv[3]);
  int r = sqlite3_value_int(argv[0]) ? band_index_add(s->bands, seq, time, fp)
                                     : band_index_remove(s->bands, seq, time, fp);
  /* -ENOSPC: the index is full (bandindex.h); the entry is stored, only not found by its
   * fingerprint. */
  if (r == -ENOMEM)
    sqlite3_result_error_nomem(ctx);
}

static const char bands_triggers[] =
    "CREATE TEMP TRIGGER entries_bands_insert AFTER INSERT ON main.entries"
    " WHEN new.simhash IS NOT NULL BEGIN"
    "  SELECT braid_bands(1, new.seq, new.time, new.simhash);"
    " END;"
    "CREATE TEMP TRIGGER entries_bands_delete AFTER DELETE ON main.entries"
    " WHEN old.simhash IS NOT NULL BEGIN"
    "  SELECT braid_bands(0, old.seq, old.time, old.simhash);"
    " END;"
    "CREATE TEMP TRIGGER entries_bands_update AFTER UPDATE OF time, simhash ON main.entries"
    " WHEN old.simhash IS NOT new.simhash OR old.time IS NOT new.time BEGIN"
    "  SELECT braid_bands(0, old.seq, old.time, old.simhash) WHERE old.simhash IS NOT NULL;"
    "  SELECT braid_bands(1, new.seq, new.time, new.simhash) WHERE new.simhash IS NOT NULL;"
    " END;";

int store__bands_setup(struct store *s, char *err, size_t errlen) {
  int r = band_index_new(&s->bands);
  if (r < 0) {
    snprintf(err, errlen, "store %s: out of memory", s->path);
    return r;
  }
  int rc = sqlite3_create_function(s->db, "braid_bands", 4, SQLITE_UTF8, s, bands_fn, NULL,
                                   NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(s->db, bands_triggers, NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    snprintf(err, errlen, "store %s: setting up the connection (%s)", s->path,
             sqlite3_errmsg(s->db));
    return -EIO;
  }
  return 0;
}

static int rebuild(struct store *s) {
  s->bands_ready = false;
  band_index_journal(s->bands, false);
  band_index_clear(s->bands);
  sqlite3_stmt *st = store_stmt(s, STMT_BANDS_LOAD);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, BAND_INDEX_MAX_ENTRIES);
  int rc, r = 0;
  while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
    r = band_index_add(s->bands, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                       (uint64_t)sqlite3_column_int64(st, 2));
  sqlite3_reset(st);
  if (r < 0)
    return store_failf(s, r, "out of memory indexing fingerprints (%zu entries)",
                       band_index_count(s->bands));
  if (rc != SQLITE_DONE)
    return store_fail(s, rc, "indexing fingerprints");
  s->bands_ready = true;
  return 0;
}

int store__bands_begin(struct store *s) {
  if (!s->bands)
    return 0;
  int64_t version;
  int r = store_data_version(s, &version);
  if (r < 0)
    return r;
  if (!s->bands_ready || version != s->bands_data_version) {
    if ((r = rebuild(s)) < 0)
      return r;
    s->bands_data_version = version;
  }
  band_index_journal(s->bands, true);
  return 0;
}

void store__bands_end(struct store *s, bool committed) {
  if (!s->bands)
    return;
  /* An undo that runs out of memory leaves the index neither before nor after: rebuilt. */
  if (!committed && band_index_undo_to(s->bands, 0) < 0)
    s->bands_ready = false;
  band_index_journal(s->bands, false);
}

void store__bands_undo_savepoint(struct store *s) {
  if (s->bands && band_index_undo_to(s->bands, s->bands_savepoint) < 0)
    s->bands_ready = false;
}
