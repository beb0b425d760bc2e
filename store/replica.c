/* replica.c — the watermark of a store that replays a shared log (a node of several on
 * PostgreSQL). See store.h. Prepared per call: it runs once per replayed batch, not per item,
 * so the statement cache of store.c is not worth an entry. */
#include <errno.h>

#include "store_internal.h"

int store_replica_get(struct store *s, const char *source, int64_t *ret_watermark) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->db, "SELECT watermark FROM replica_state WHERE source = ?", -1,
                              &st, NULL);
  if (rc != SQLITE_OK)
    return store_fail(s, rc, "reading the replica watermark");
  sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  *ret_watermark = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  int err = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
                                                  : store_fail(s, rc, "reading the replica watermark");
  sqlite3_finalize(st);
  return err;
}

int store_replica_set(struct store *s, const char *source, int64_t watermark) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->db,
                              "INSERT INTO replica_state (source, watermark) VALUES (?, ?)"
                              " ON CONFLICT (source) DO UPDATE SET watermark = excluded.watermark",
                              -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_fail(s, rc, "writing the replica watermark");
  sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, watermark);
  rc = sqlite3_step(st);
  int err = rc == SQLITE_DONE ? 0 : store_fail(s, rc, "writing the replica watermark");
  sqlite3_finalize(st);
  return err;
}
