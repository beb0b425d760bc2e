/* stream.c — reading the merged stream and pruning it. See store.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* How much longer than its entries an item is remembered (its identity and hash only), in
 * seconds: a feed that still carries an item whose entries were pruned must not bring it
 * back as new, and feeds drop their items within weeks. */
#define STORE_REMEMBER_ITEMS_SECONDS (90 * 24 * 3600)

/* Pages handed back to the file system per prune call: a few MB, so a prune stays short. */
#define STORE_VACUUM_PAGES_PER_PRUNE 1024

static int64_t clamp_limit(size_t n) { return n > INT64_MAX ? INT64_MAX : (int64_t)n; }

static int read_sources(struct store *s, struct stream_entry *e) {
  sqlite3_stmt *st = store_stmt(s, STMT_SOURCES_OF);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, e->seq);
  size_t alloc = 0;
  int rc;
  bool oom = false;
  while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (e->n_sources == alloc) {
      size_t na = alloc ? 2 * alloc : 2;
      struct stream_source *ns = realloc(e->sources, na * sizeof *ns);
      if (!ns) {
        oom = true;
        break;
      }
      e->sources = ns;
      alloc = na;
    }
    struct stream_source *src = &e->sources[e->n_sources++];
    memset(src, 0, sizeof *src);
    src->feed = store_column_strdup(st, 0, &oom);
    src->title = store_column_strdup(st, 1, &oom);
    src->site_url = store_column_strdup(st, 2, &oom);
    src->feed_url = store_column_strdup(st, 3, &oom);
    src->link = store_column_strdup(st, 4, &oom);
  }
  sqlite3_reset(st);
  if (oom)
    return store_failf(s, -ENOMEM, "out of memory reading the stream");
  if (rc != SQLITE_DONE)
    return store_fail(s, rc, "reading the sources of entry %lld", (long long)e->seq);
  return 0;
}

int store__read_entries(struct store *s, sqlite3_stmt *st, struct stream_list *ret) {
  size_t alloc = 0;
  int rc, r = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (ret->n == alloc) {
      size_t na = alloc ? 2 * alloc : 16;
      struct stream_entry *ne = realloc(ret->entries, na * sizeof *ne);
      if (!ne) {
        r = store_failf(s, -ENOMEM, "out of memory reading the stream");
        break;
      }
      ret->entries = ne;
      alloc = na;
    }
    struct stream_entry *e = &ret->entries[ret->n++];
    memset(e, 0, sizeof *e);
    bool oom = false;
    e->seq = sqlite3_column_int64(st, 0);
    e->id = store_column_strdup(st, 1, &oom);
    e->time = sqlite3_column_int64(st, 2);
    e->updated = sqlite3_column_int64(st, 3);
    e->title = store_column_strdup(st, 4, &oom);
    e->link = store_column_strdup(st, 5, &oom);
    e->author = store_column_strdup(st, 6, &oom);
    e->html = store_column_strdup(st, 7, &oom);
    e->text = store_column_strdup(st, 8, &oom);
    e->stamp = store_column_strdup(st, 9, &oom);
    e->item_title = store_column_strdup(st, 10, &oom);
    e->item_id = store_column_strdup(st, 11, &oom);
    if (oom) {
      r = store_failf(s, -ENOMEM, "out of memory reading the stream");
      break;
    }
  }
  if (!r && rc != SQLITE_DONE)
    r = store_fail(s, rc, "reading the stream");
  sqlite3_reset(st);
  /* Sources are read after the entries so that one statement is stepped at a time. */
  for (size_t i = 0; !r && i < ret->n; i++)
    r = read_sources(s, &ret->entries[i]);
  if (r < 0)
    stream_list_clear(ret);
  return r;
}

int store_stream_newest(struct store *s, size_t n, struct stream_list *ret) {
  memset(ret, 0, sizeof *ret);
  sqlite3_stmt *st = store_stmt(s, STMT_STREAM_NEWEST);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, clamp_limit(n));
  return store__read_entries(s, st, ret);
}

int store_stream_after(struct store *s, int64_t after_seq, size_t max, struct stream_list *ret) {
  memset(ret, 0, sizeof *ret);
  sqlite3_stmt *st = store_stmt(s, STMT_STREAM_AFTER);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, after_seq);
  sqlite3_bind_int64(st, 2, clamp_limit(max));
  return store__read_entries(s, st, ret);
}

int store_stream_feed(struct store *s, const char *feed_name, size_t n, struct stream_list *ret) {
  memset(ret, 0, sizeof *ret);
  sqlite3_stmt *st = store_stmt(s, STMT_STREAM_FEED);
  if (!st)
    return -EIO;
  store_bind_text(st, 1, feed_name);
  sqlite3_bind_int64(st, 2, clamp_limit(n));
  return store__read_entries(s, st, ret);
}

/* ---- pruning ------------------------------------------------------------------------- */

static int step_id(struct store *s, enum store_stmt id, int64_t arg) {
  sqlite3_stmt *st = store_stmt(s, id);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, arg);
  int rc = store_step_done(st);
  return rc == SQLITE_DONE ? 0 : store_fail(s, rc, "pruning old entries");
}

/* Collects up to max int64 pairs from a query (column 0 and, if want2, column 1). */
static int collect(struct store *s, sqlite3_stmt *st, bool want2, int64_t *out, size_t max,
                   size_t *ret_n) {
  size_t n = 0;
  int rc;
  while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    out[2 * n] = sqlite3_column_int64(st, 0);
    out[2 * n + 1] = want2 ? sqlite3_column_int64(st, 1) : 0;
    n++;
  }
  if (n < max && rc != SQLITE_DONE) {
    sqlite3_reset(st);
    return store_fail(s, rc, "pruning old entries");
  }
  sqlite3_reset(st);
  *ret_n = n;
  return 0;
}

/* Per feed, drops the sources beyond its newest max_per_feed, and entries left with none. */
static int prune_per_feed(struct store *s, size_t max_per_feed, size_t budget, int64_t *pairs,
                          size_t *ret_deleted) {
  sqlite3_stmt *st = store_stmt(s, STMT_PRUNE_FEEDS);
  if (!st)
    return -EIO;
  int64_t *feeds = NULL;
  size_t nfeeds = 0, alloc = 0;
  int rc, r = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (nfeeds == alloc) {
      size_t na = alloc ? 2 * alloc : 64;
      int64_t *nf = realloc(feeds, na * sizeof *nf);
      if (!nf) {
        r = store_failf(s, -ENOMEM, "out of memory pruning");
        break;
      }
      feeds = nf;
      alloc = na;
    }
    feeds[nfeeds++] = sqlite3_column_int64(st, 0);
  }
  sqlite3_reset(st);
  if (!r && rc != SQLITE_DONE)
    r = store_fail(s, rc, "pruning old entries");
  for (size_t f = 0; !r && f < nfeeds && *ret_deleted < budget; f++) {
    if (!(st = store_stmt(s, STMT_PRUNE_FEED_EXCESS))) {
      r = -EIO;
      break;
    }
    sqlite3_bind_int64(st, 1, feeds[f]);
    sqlite3_bind_int64(st, 2, clamp_limit(max_per_feed));
    sqlite3_bind_int64(st, 3, clamp_limit(budget - *ret_deleted));
    size_t n = 0;
    r = collect(s, st, true, pairs, budget - *ret_deleted, &n);
    for (size_t i = 0; !r && i < n; i++) {
      r = step_id(s, STMT_DELETE_SOURCE, pairs[2 * i]);
      if (!r)
        r = step_id(s, STMT_DELETE_ORPHAN_ENTRY, pairs[2 * i + 1]);
      if (!r)
        *ret_deleted += (size_t)sqlite3_changes(s->db);
    }
  }
  free(feeds);
  return r;
}

int store_prune(struct store *s, int64_t older_than, size_t max_per_feed, size_t batch,
                size_t *ret_deleted) {
  *ret_deleted = 0;
  if (batch == 0)
    return 0;
  int64_t *pairs = calloc(batch, 2 * sizeof *pairs);
  if (!pairs)
    return store_failf(s, -ENOMEM, "out of memory pruning");
  bool own_tx = !s->in_tx;
  int r = own_tx ? store_begin(s) : 0;
  sqlite3_stmt *st = r ? NULL : store_stmt(s, STMT_PRUNE_OLD);
  if (!r && !st)
    r = -EIO;
  size_t n = 0;
  if (!r) {
    sqlite3_bind_int64(st, 1, older_than);
    sqlite3_bind_int64(st, 2, clamp_limit(batch));
    r = collect(s, st, false, pairs, batch, &n);
  }
  for (size_t i = 0; !r && i < n; i++) {
    r = step_id(s, STMT_DELETE_ENTRY, pairs[2 * i]);
    if (!r)
      *ret_deleted += 1;
  }
  if (!r && max_per_feed > 0 && *ret_deleted < batch)
    r = prune_per_feed(s, max_per_feed, batch, pairs, ret_deleted);
  /* Items whose entries are all gone are forgotten some time after them. */
  if (!r && (st = store_stmt(s, STMT_PRUNE_TOMBSTONES)) != NULL) {
    sqlite3_bind_int64(st, 1, older_than - STORE_REMEMBER_ITEMS_SECONDS);
    sqlite3_bind_int64(st, 2, clamp_limit(batch));
    int rc = store_step_done(st);
    if (rc != SQLITE_DONE)
      r = store_fail(s, rc, "pruning old entries");
  } else if (!r) {
    r = -EIO;
  }
  if (own_tx) {
    if (!r)
      r = store_commit(s);
    if (r < 0)
      store_rollback(s);
  }
  free(pairs);
  if (r < 0)
    return r;
  /* Outside the transaction: hand freed pages back so the file does not only grow. */
  if (own_tx) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA incremental_vacuum(%d)", STORE_VACUUM_PAGES_PER_PRUNE);
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
      return store_fail(s, rc, "returning free space to the file system");
  }
  return 0;
}
