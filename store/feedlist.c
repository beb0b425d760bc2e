/* feedlist.c — every feed's poll state and entry count in one read, for `braid feeds list
 * --state` (store.h). A plain read: it runs beside the poller on a read-only connection. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "grow.h"
#include "store_internal.h"

static const char feedlist_sql[] =
    "SELECT f.name, f.last_polled, f.next_due, f.error_count, f.last_status, f.retired,"
    " (SELECT count(*) FROM entry_sources es WHERE es.feed_id = f.id)"
    " FROM feeds f ORDER BY f.name LIMIT ?1";

void store_feed_rows_clear(struct store_feed_rows *r) {
  for (size_t i = 0; i < r->n; i++)
    free(r->rows[i].name);
  free(r->rows);
  r->rows = NULL;
  r->n = 0;
}

int store_feed_rows(struct store *s, struct store_feed_rows *ret) {
  memset(ret, 0, sizeof *ret);
  sqlite3_stmt *st = NULL;
  /* Not one of the kept statements: it runs once per command. */
  int rc = sqlite3_prepare_v2(s->db, feedlist_sql, -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_fail(s, rc, "preparing the feed list");
  sqlite3_bind_int64(st, 1, BRAID_CONFIG_MAX_FEEDS);
  size_t alloc = 0;
  int err = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (ret->n == alloc) {
      struct store_feed_row *v = grow_array(ret->rows, &alloc, sizeof *v, 32);
      if (!v) {
        err = -ENOMEM;
        break;
      }
      ret->rows = v;
    }
    const unsigned char *name = sqlite3_column_text(st, 0);
    struct store_feed_row *row = &ret->rows[ret->n];
    row->name = strdup(name ? (const char *)name : "");
    if (!row->name) {
      err = -ENOMEM;
      break;
    }
    row->last_polled = sqlite3_column_int64(st, 1);
    row->next_due = sqlite3_column_int64(st, 2);
    row->error_count = sqlite3_column_int(st, 3);
    row->last_status = sqlite3_column_int(st, 4);
    row->retired = sqlite3_column_int(st, 5) != 0;
    row->entries = sqlite3_column_int64(st, 6);
    ret->n++;
  }
  if (!err && rc != SQLITE_DONE)
    err = store_fail(s, rc, "reading the feed list");
  else if (err)
    err = store_failf(s, err, "out of memory reading the feed list");
  sqlite3_finalize(st);
  if (err)
    store_feed_rows_clear(ret);
  return err;
}
