/* feedstate.c — what the store remembers about each feed between polls. See store.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "store_internal.h"

int store_feed_ensure(struct store *s, const char *name, const char *url, int64_t *ret_feed_id) {
  if (!name || !*name || !url)
    return store_failf(s, -EINVAL, "a feed needs a name and a url");
  if (strlen(name) > BRAID_STORE_MAX_FIELD_BYTES || strlen(url) > BRAID_STORE_MAX_FIELD_BYTES)
    return store_failf(s, -E2BIG, "feed name or url longer than BRAID_STORE_MAX_FIELD_BYTES");
  sqlite3_stmt *st = store_stmt(s, STMT_FEED_BY_NAME);
  if (!st)
    return -EIO;
  store_bind_text(st, 1, name);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(st, 0);
    bool same_url = strcmp((const char *)sqlite3_column_text(st, 1), url) == 0;
    sqlite3_reset(st);
    if (!same_url) {
      st = store_stmt(s, STMT_FEED_SET_URL);
      if (!st)
        return -EIO;
      sqlite3_bind_int64(st, 1, id);
      store_bind_text(st, 2, url);
      rc = store_step_done(st);
      if (rc != SQLITE_DONE)
        return store_fail(s, rc, "updating feed %s", name);
    }
    *ret_feed_id = id;
    return 0;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE)
    return store_fail(s, rc, "looking up feed %s", name);
  st = store_stmt(s, STMT_FEED_INSERT);
  if (!st)
    return -EIO;
  store_bind_text(st, 1, name);
  store_bind_text(st, 2, url);
  rc = store_step_done(st);
  if (rc != SQLITE_DONE)
    return store_fail(s, rc, "adding feed %s", name);
  *ret_feed_id = sqlite3_last_insert_rowid(s->db);
  return 0;
}

void store_feed_state_clear(struct store_feed_state *st) {
  if (!st)
    return;
  free(st->url);
  free(st->etag);
  free(st->last_modified);
  free(st->effective_url);
  free(st->title);
  free(st->site_url);
  memset(st, 0, sizeof *st);
}

int store_feed_get_state(struct store *s, const char *name, struct store_feed_state *ret) {
  memset(ret, 0, sizeof *ret);
  sqlite3_stmt *st = store_stmt(s, STMT_FEED_GET);
  if (!st)
    return -EIO;
  store_bind_text(st, 1, name);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) {
    sqlite3_reset(st);
    return store_failf(s, -ENOENT, "no feed called %s", name);
  }
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    return store_fail(s, rc, "reading the state of feed %s", name);
  }
  bool oom = false;
  ret->url = store_column_strdup(st, 0, &oom);
  ret->etag = store_column_strdup(st, 1, &oom);
  ret->last_modified = store_column_strdup(st, 2, &oom);
  ret->effective_url = store_column_strdup(st, 3, &oom);
  ret->title = store_column_strdup(st, 4, &oom);
  ret->site_url = store_column_strdup(st, 5, &oom);
  ret->next_due = sqlite3_column_int64(st, 6);
  ret->last_polled = sqlite3_column_int64(st, 7);
  ret->error_count = sqlite3_column_int(st, 8);
  ret->last_status = sqlite3_column_int(st, 9);
  ret->retired = sqlite3_column_int(st, 10) != 0;
  sqlite3_reset(st);
  if (oom) {
    store_feed_state_clear(ret);
    return store_failf(s, -ENOMEM, "out of memory reading feed %s", name);
  }
  return 0;
}

int store_feed_set_state(struct store *s, const char *name, const struct store_feed_state *fs) {
  const char *strs[] = {fs->etag, fs->last_modified, fs->effective_url, fs->title, fs->site_url};
  for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
    if (strs[i] && strlen(strs[i]) > BRAID_STORE_MAX_FIELD_BYTES)
      return store_failf(s, -E2BIG, "state of feed %s: a value is longer than "
                                    "BRAID_STORE_MAX_FIELD_BYTES", name);
  sqlite3_stmt *st = store_stmt(s, STMT_FEED_SET);
  if (!st)
    return -EIO;
  store_bind_text(st, 1, name);
  for (int i = 0; i < 5; i++)
    store_bind_text(st, 2 + i, strs[i]);
  sqlite3_bind_int64(st, 7, fs->next_due);
  sqlite3_bind_int64(st, 8, fs->last_polled);
  sqlite3_bind_int(st, 9, fs->error_count);
  sqlite3_bind_int(st, 10, fs->last_status);
  sqlite3_bind_int(st, 11, fs->retired ? 1 : 0);
  int rc = store_step_done(st);
  if (rc != SQLITE_DONE)
    return store_fail(s, rc, "saving the state of feed %s", name);
  if (sqlite3_changes(s->db) == 0)
    return store_failf(s, -ENOENT, "no feed called %s", name);
  return 0;
}

void store_name_list_clear(struct store_name_list *l) {
  if (!l)
    return;
  for (size_t i = 0; i < l->n; i++)
    free(l->names[i]);
  free(l->names);
  l->names = NULL;
  l->n = 0;
}

int store_feeds_due(struct store *s, int64_t before, size_t max, struct store_name_list *ret) {
  memset(ret, 0, sizeof *ret);
  sqlite3_stmt *st = store_stmt(s, STMT_FEEDS_DUE);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, before);
  sqlite3_bind_int64(st, 2, max > INT64_MAX ? INT64_MAX : (int64_t)max);
  size_t alloc = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (ret->n == alloc) {
      size_t na = alloc ? 2 * alloc : 16;
      char **nn = realloc(ret->names, na * sizeof *nn);
      if (!nn)
        goto oom;
      ret->names = nn;
      alloc = na;
    }
    bool oom = false;
    ret->names[ret->n] = store_column_strdup(st, 0, &oom);
    if (oom)
      goto oom;
    ret->n++;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    store_name_list_clear(ret);
    return store_fail(s, rc, "listing the feeds due");
  }
  return 0;
oom:
  sqlite3_reset(st);
  store_name_list_clear(ret);
  return store_failf(s, -ENOMEM, "out of memory listing the feeds due");
}
