/* pagestate.c — what the store remembers about live blogs' web pages. See store.h.
 *
 * The statements are cached in store_internal.h's table: store_page_get runs for every
 * item of a feed that may have live-blog pages, and preparing it each time was a tenth of
 * a first poll's CPU.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "store_internal.h"

void store_page_state_clear(struct store_page_state *st) {
  if (!st)
    return;
  free(st->page_url);
  free(st->guid);
  free(st->title);
  free(st->etag);
  free(st->last_modified);
  memset(st, 0, sizeof *st);
}

void store_page_list_clear(struct store_page_list *l) {
  if (!l)
    return;
  for (size_t i = 0; i < l->n; i++)
    store_page_state_clear(&l->pages[i]);
  free(l->pages);
  memset(l, 0, sizeof *l);
}

/* Reads one row of the page columns (store.c: STMT_PAGE_GET). false on out-of-memory (ret cleared). */
static bool read_row(sqlite3_stmt *st, struct store_page_state *ret) {
  bool oom = false;
  ret->page_url = store_column_strdup(st, 0, &oom);
  ret->guid = store_column_strdup(st, 1, &oom);
  ret->title = store_column_strdup(st, 2, &oom);
  ret->published = sqlite3_column_int64(st, 3);
  ret->etag = store_column_strdup(st, 4, &oom);
  ret->last_modified = store_column_strdup(st, 5, &oom);
  ret->live_until = sqlite3_column_int64(st, 6);
  ret->last_fetched = sqlite3_column_int64(st, 7);
  ret->updates = sqlite3_column_int(st, 8);
  if (oom)
    store_page_state_clear(ret);
  return !oom;
}

int store_page_get(struct store *s, int64_t feed_id, const char *page_url,
                   struct store_page_state *ret) {
  memset(ret, 0, sizeof *ret);
  sqlite3_stmt *st = store_stmt(s, STMT_PAGE_GET);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, feed_id);
  store_bind_text(st, 2, page_url);
  int rc = sqlite3_step(st);
  int r = 0;
  if (rc == SQLITE_DONE)
    r = -ENOENT;
  else if (rc != SQLITE_ROW)
    r = store_fail(s, rc, "reading the state of page %s", page_url);
  else if (!read_row(st, ret))
    r = store_failf(s, -ENOMEM, "out of memory reading page %s", page_url);
  sqlite3_reset(st);
  return r;
}

int store_page_set(struct store *s, int64_t feed_id, const struct store_page_state *p) {
  if (!p->page_url)
    return store_failf(s, -EINVAL, "a page needs a url");
  if (strlen(p->page_url) > BRAID_STORE_MAX_FIELD_BYTES ||
      (p->title && strlen(p->title) > BRAID_STORE_MAX_FIELD_BYTES) ||
      (p->guid && strlen(p->guid) > BRAID_STORE_MAX_FIELD_BYTES))
    return store_failf(s, -E2BIG, "page url, guid or title longer than "
                                  "BRAID_STORE_MAX_FIELD_BYTES");
  sqlite3_stmt *st = store_stmt(s, STMT_PAGE_SET);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, feed_id);
  store_bind_text(st, 2, p->page_url);
  store_bind_text(st, 3, p->guid);
  store_bind_text(st, 4, p->title);
  sqlite3_bind_int64(st, 5, p->published);
  store_bind_text(st, 6, p->etag);
  store_bind_text(st, 7, p->last_modified);
  sqlite3_bind_int64(st, 8, p->live_until);
  sqlite3_bind_int64(st, 9, p->last_fetched);
  sqlite3_bind_int(st, 10, p->updates);
  int rc = store_step_done(st);
  return rc == SQLITE_DONE ? 0 : store_fail(s, rc, "saving the state of page %s", p->page_url);
}

int store_pages_live(struct store *s, int64_t feed_id, int64_t now, size_t max,
                     struct store_page_list *ret) {
  memset(ret, 0, sizeof *ret);
  sqlite3_stmt *st = store_stmt(s, STMT_PAGES_LIVE);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, feed_id);
  sqlite3_bind_int64(st, 2, now);
  sqlite3_bind_int64(st, 3, (int64_t)max);
  int r = 0, rc;
  while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    struct store_page_state *p = realloc(ret->pages, (ret->n + 1) * sizeof *p);
    if (!p) {
      r = store_failf(s, -ENOMEM, "out of memory listing live pages");
      break;
    }
    ret->pages = p;
    if (!read_row(st, &ret->pages[ret->n])) {
      r = store_failf(s, -ENOMEM, "out of memory listing live pages");
      break;
    }
    ret->n++;
  }
  if (r == 0 && rc != SQLITE_DONE)
    r = store_fail(s, rc, "listing live pages");
  sqlite3_reset(st);
  if (r < 0)
    store_page_list_clear(ret);
  return r;
}
