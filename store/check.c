/* check.c — `braid store check` for the SQLite store. See store.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

int store_check(struct store *s, char *report, size_t size) {
  sqlite3_stmt *st = NULL;
  /* quick_check: every page and index entry read once, without cross-checking indexes
   * against tables (integrity_check's hours on a big store); the first problem is enough. */
  int rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_fail(s, rc, "checking the store");
  rc = sqlite3_step(st);
  const char *v = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
  int err = 0;
  if (rc != SQLITE_ROW)
    err = store_fail(s, rc, "checking the store");
  else if (!v || strcmp(v, "ok") != 0)
    err = -EUCLEAN;
  snprintf(report, size, "%s", err == 0 ? "ok" : v ? v : store_errmsg(s));
  sqlite3_finalize(st);
  return err;
}
