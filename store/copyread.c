/* copyread.c — a whole store read out as the polls that built it, for `braid store copy`.
 * See store.h.
 *
 * The store keeps entries, not the polls that made them; what a replay needs is rebuilt from
 * the times the entries carry. An item is handed over once per poll time at which its entries
 * changed: when it was first seen, when each live-blog update first appeared (entries'
 * first_seen), when an entry was edited (its `updated` is then the poll's time, not a date the
 * feed gave). Before an edit the entry is handed over with a marker in its body, so the
 * version at the edit's time differs and the replay's store_put_item writes the edit at that
 * time, as the original did. The events are put in the order the store first wrote their
 * entries (entry seq is insertion order), so the replay's dedupe meets the same entries in
 * the same order. Pruned items (tombstones: no body, no entry) are handed over first, as the
 * rows the store keeps of them (identity and content hash), so a feed that still carries one
 * does not make it new again on the replica. (An item whose entries a live blog's page wrote
 * has no body but entries: it is not a tombstone.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* Events held in memory at once (32 bytes each): far above any store retention keeps. */
#define STORE_COPY_MAX_EVENTS (4u * 1024 * 1024)

struct copy_item {
  int64_t id, first_seen, last_t; /* last_t: the last event handed over (dedupe) */
};

struct copy_event {
  int64_t t, k;  /* poll time; the seq of the entry it writes or refers to */
  size_t item;   /* index into the items */
  int merge;     /* 1: refers to another item's entry (after its owner at equal k) */
};

struct copy_ctx {
  struct store *s;
  struct copy_item *items;
  size_t n_items;
  struct copy_event *ev;
  size_t n_ev, cap_ev;
};

static int cmp_event(const void *a, const void *b) {
  const struct copy_event *x = a, *y = b;
  if (x->t != y->t)
    return x->t < y->t ? -1 : 1;
  if (x->k != y->k)
    return x->k < y->k ? -1 : 1;
  if (x->merge != y->merge)
    return x->merge - y->merge;
  return x->item < y->item ? -1 : x->item > y->item;
}

static int add_event(struct copy_ctx *c, size_t item, int64_t t, int64_t k, int merge) {
  if (c->n_ev == c->cap_ev) {
    size_t cap = c->cap_ev ? c->cap_ev * 2 : 1024;
    if (cap > STORE_COPY_MAX_EVENTS)
      cap = STORE_COPY_MAX_EVENTS;
    if (c->n_ev >= cap)
      return store_failf(c->s, -E2BIG, "store %s: more than %u item versions to copy",
                         c->s->path, STORE_COPY_MAX_EVENTS);
    struct copy_event *ev = realloc(c->ev, cap * sizeof *ev);
    if (!ev)
      return store_failf(c->s, -ENOMEM, "out of memory reading store %s", c->s->path);
    c->ev = ev;
    c->cap_ev = cap;
  }
  c->ev[c->n_ev++] = (struct copy_event){.t = t, .k = k, .item = item, .merge = merge};
  return 0;
}

static size_t find_item(const struct copy_ctx *c, int64_t id) {
  size_t lo = 0, hi = c->n_items;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (c->items[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < c->n_items && c->items[lo].id == id ? lo : SIZE_MAX;
}

static int load_items(struct copy_ctx *c) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(c->s->db,
                              "SELECT id, first_seen FROM items WHERE content IS NOT NULL"
                              " OR EXISTS (SELECT 1 FROM entry_sources s WHERE s.item_id = items.id)"
                              " ORDER BY id", -1, &st, NULL);
  size_t cap = 0;
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (c->n_items == cap) {
      cap = cap ? cap * 2 : 1024;
      struct copy_item *it = cap <= STORE_COPY_MAX_EVENTS ? realloc(c->items, cap * sizeof *it)
                                                          : NULL;
      if (!it) {
        sqlite3_finalize(st);
        return store_failf(c->s, -ENOMEM, "store %s: too many items to copy", c->s->path);
      }
      c->items = it;
    }
    int64_t seen = sqlite3_column_int64(st, 1);
    c->items[c->n_items++] = (struct copy_item){.id = sqlite3_column_int64(st, 0),
                                                .first_seen = seen, .last_t = INT64_MIN};
    rc = SQLITE_OK;
  }
  int err = rc == SQLITE_DONE ? 0 : store_fail(c->s, rc, "reading the items to copy");
  sqlite3_finalize(st);
  return err;
}

/* An entry's `updated` that no date of the feed explains was the time of an edit. */
#define EDIT_TIME_SQL                                                                          \
  "CASE WHEN e.updated > e.first_seen AND e.updated <>"                                        \
  " (CASE WHEN o.is_liveblog THEN e.time ELSE coalesce(o.updated, e.time) END)"                \
  " THEN e.updated ELSE 0 END"

static int load_events(struct copy_ctx *c) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(c->s->db,
                              "SELECT s.item_id, e.seq, e.item_id, e.first_seen, " EDIT_TIME_SQL
                              " FROM entry_sources s JOIN entries e ON e.seq = s.entry_seq"
                              " JOIN items o ON o.id = e.item_id",
                              -1, &st, NULL);
  int err = 0;
  while (rc == SQLITE_OK && err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    rc = SQLITE_OK;
    size_t x = find_item(c, sqlite3_column_int64(st, 0));
    if (x == SIZE_MAX)
      continue;
    int64_t seq = sqlite3_column_int64(st, 1), seen = sqlite3_column_int64(st, 3);
    int64_t edit = sqlite3_column_int64(st, 4);
    if (sqlite3_column_int64(st, 2) != c->items[x].id) {
      int64_t t = seen > c->items[x].first_seen ? seen : c->items[x].first_seen;
      err = add_event(c, x, t, seq, 1);
      continue;
    }
    err = add_event(c, x, seen, seq, 0);
    if (err == 0 && edit)
      err = add_event(c, x, edit, seq, 0);
  }
  if (err == 0 && rc != SQLITE_DONE)
    err = store_fail(c->s, rc, "reading the entries to copy");
  sqlite3_finalize(st);
  /* Every item at its first sight, after the entries that poll wrote (a live blog may have
   * none yet); the dedupe below keeps the earliest event of an item at one time. */
  for (size_t i = 0; err == 0 && i < c->n_items; i++)
    err = add_event(c, i, c->items[i].first_seen, INT64_MAX, 0);
  return err;
}

/* Marks a body that is edited later: the version seen before the edit. */
static char *before_edit(const char *s) {
  char *out = NULL;
  return asprintf(&out, "%s<!--braid:before-edit-->", s ? s : "") < 0 ? NULL : out;
}

struct version {
  struct store_item item;
  struct store_update *ups;
  char **owned;
  size_t n_owned;
  char *feed;
};

static void version_clear(struct version *v) {
  for (size_t i = 0; i < v->n_owned; i++)
    free(v->owned[i]);
  free(v->owned);
  free(v->ups);
  free(v->feed);
  memset(v, 0, sizeof *v);
}

static const char *keep(struct version *v, char *s, int *err) {
  char **owned = s ? realloc(v->owned, (v->n_owned + 1) * sizeof *owned) : NULL;
  if (!owned) {
    free(s);
    *err = -ENOMEM;
    return NULL;
  }
  v->owned = owned;
  v->owned[v->n_owned++] = s;
  return s;
}

static const char *col(sqlite3_stmt *st, int i, struct version *v, int *err) {
  const unsigned char *s = sqlite3_column_text(st, i);
  return s ? keep(v, strdup((const char *)s), err) : NULL;
}

enum { U_SEEN, U_EDIT, U_TIME, U_STAMP, U_TITLE, U_LINK, U_HTML, U_TEXT, U_KEY };

/* One unit (entry) of the item as it stood at t; *skip when it did not exist yet. */
static int add_unit(struct version *v, sqlite3_stmt *st, int64_t t, size_t *n_ups, size_t *cap) {
  int err = 0;
  if (sqlite3_column_int64(st, U_SEEN) > t)
    return 0;
  int64_t edit = sqlite3_column_int64(st, U_EDIT);
  const unsigned char *html = sqlite3_column_text(st, U_HTML);
  const char *h = edit > t ? keep(v, before_edit((const char *)html), &err)
                           : col(st, U_HTML, v, &err);
  const char *x = col(st, U_TEXT, v, &err);
  const char *key = (const char *)sqlite3_column_text(st, U_KEY);
  if (err)
    return err;
  if (!key || !*key) { /* an ordinary item's one entry */
    v->item.html = h;
    v->item.text = x;
    return 0;
  }
  if (*n_ups == *cap) {
    *cap = *cap ? *cap * 2 : 16;
    struct store_update *ups = realloc(v->ups, *cap * sizeof *ups);
    if (!ups)
      return -ENOMEM;
    v->ups = ups;
  }
  /* The update's key was its time when it had one ("t..."): give the time only then, so the
   * replay finds the same key. */
  v->ups[(*n_ups)++] = (struct store_update){
      .time = key[0] == 't' ? sqlite3_column_int64(st, U_TIME) : 0,
      .stamp = col(st, U_STAMP, v, &err), .title = col(st, U_TITLE, v, &err),
      .link = col(st, U_LINK, v, &err), .html = h, .text = x};
  return err;
}

/* Item id as it stood at poll time t. *ret_none: nothing of it existed yet. */
static int load_version(struct store *s, sqlite3_stmt *item_st, sqlite3_stmt *unit_st,
                        int64_t id, int64_t t, struct version *v) {
  int err = 0;
  sqlite3_bind_int64(item_st, 1, id);
  int rc = sqlite3_step(item_st);
  if (rc == SQLITE_ROW) {
    v->feed = strdup((const char *)sqlite3_column_text(item_st, 0));
    if (!v->feed)
      err = -ENOMEM;
    struct store_item *it = &v->item;
    it->guid = col(item_st, 1, v, &err);
    it->link = col(item_st, 2, v, &err);
    it->title = col(item_st, 3, v, &err);
    it->author = col(item_st, 4, v, &err);
    it->has_published = sqlite3_column_type(item_st, 5) != SQLITE_NULL;
    it->published = sqlite3_column_int64(item_st, 5);
    it->has_updated = sqlite3_column_type(item_st, 6) != SQLITE_NULL;
    it->updated = sqlite3_column_int64(item_st, 6);
    it->is_liveblog = sqlite3_column_int(item_st, 7) != 0;
  }
  sqlite3_reset(item_st);
  if (rc != SQLITE_ROW)
    return store_fail(s, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, "reading item %lld to copy",
                      (long long)id);
  sqlite3_bind_int64(unit_st, 1, id);
  size_t n_ups = 0, cap = 0;
  while (err == 0 && (rc = sqlite3_step(unit_st)) == SQLITE_ROW)
    err = add_unit(v, unit_st, t, &n_ups, &cap);
  sqlite3_reset(unit_st);
  if (err)
    return store_failf(s, err, "out of memory reading store %s", s->path);
  if (rc != SQLITE_DONE)
    return store_fail(s, rc, "reading the entries of item %lld to copy", (long long)id);
  v->item.updates = v->ups;
  v->item.n_updates = v->item.is_liveblog ? n_ups : 0;
  return 0;
}

static int emit_items(struct copy_ctx *c, store_copy_item_fn item_fn, void *arg) {
  sqlite3_stmt *item_st = NULL, *unit_st = NULL;
  int rc = sqlite3_prepare_v2(c->s->db,
                              "SELECT f.name, i.guid, i.link, i.title, i.author, i.published,"
                              " i.updated, i.is_liveblog FROM items i"
                              " JOIN feeds f ON f.id = i.feed_id WHERE i.id = ?1",
                              -1, &item_st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(c->s->db,
                            "SELECT e.first_seen, " EDIT_TIME_SQL ", e.time, e.stamp, e.title,"
                            " s.link, e.html, e.text, s.update_key"
                            " FROM entry_sources s JOIN entries e ON e.seq = s.entry_seq"
                            " JOIN items o ON o.id = e.item_id WHERE s.item_id = ?1 ORDER BY s.id",
                            -1, &unit_st, NULL);
  int err = rc == SQLITE_OK ? 0 : store_fail(c->s, rc, "reading the store to copy");
  for (size_t i = 0; err == 0 && i < c->n_ev; i++) {
    struct copy_event *e = &c->ev[i];
    struct copy_item *it = &c->items[e->item];
    if (it->last_t == e->t)
      continue;
    it->last_t = e->t;
    struct version v = {0};
    err = load_version(c->s, item_st, unit_st, it->id, e->t, &v);
    if (err == 0)
      err = item_fn(arg, v.feed, e->t, &v.item);
    version_clear(&v);
  }
  sqlite3_finalize(item_st);
  sqlite3_finalize(unit_st);
  return err;
}

/* Runs sql and hands each row to row_fn (with arg) until it returns non-zero. */
static int walk(struct store *s, const char *sql, const char *what,
                int (*row_fn)(sqlite3_stmt *st, void *arg), void *arg) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  int err = 0;
  while (rc == SQLITE_OK && err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    rc = SQLITE_OK;
    err = row_fn(st, arg);
  }
  if (err == 0 && rc != SQLITE_DONE)
    err = store_fail(s, rc, "%s", what);
  sqlite3_finalize(st);
  return err;
}

struct emit {
  store_copy_tombstone_fn tomb_fn;
  store_copy_page_fn page_fn;
  void *arg;
};

static const char *text_col(sqlite3_stmt *st, int i) {
  return (const char *)sqlite3_column_text(st, i);
}

static int page_row(sqlite3_stmt *st, void *arg) {
  struct emit *e = arg;
  struct store_page_state ps = {
      .page_url = (char *)text_col(st, 1), .guid = (char *)text_col(st, 2),
      .title = (char *)text_col(st, 3), .published = sqlite3_column_int64(st, 4),
      .etag = (char *)text_col(st, 5), .last_modified = (char *)text_col(st, 6),
      .live_until = sqlite3_column_int64(st, 7), .last_fetched = sqlite3_column_int64(st, 8),
      .updates = sqlite3_column_int(st, 9)};
  return e->page_fn(e->arg, text_col(st, 0), &ps);
}

static int tombstone_row(sqlite3_stmt *st, void *arg) {
  struct emit *e = arg;
  struct store_tombstone ts = {
      .ident = text_col(st, 1), .guid = text_col(st, 2), .link = text_col(st, 3),
      .norm_link = text_col(st, 4), .title = text_col(st, 5), .author = text_col(st, 6),
      .published = sqlite3_column_int64(st, 7),
      .has_published = sqlite3_column_type(st, 7) != SQLITE_NULL,
      .updated = sqlite3_column_int64(st, 8),
      .has_updated = sqlite3_column_type(st, 8) != SQLITE_NULL,
      .is_liveblog = sqlite3_column_int(st, 9) != 0,
      .content_hash = sqlite3_column_int64(st, 10), .first_seen = sqlite3_column_int64(st, 11),
      .changed = sqlite3_column_int64(st, 12)};
  return e->tomb_fn(e->arg, text_col(st, 0), &ts);
}

static const char pages_sql[] =
    "SELECT f.name, p.page_url, p.guid, p.title, p.published, p.etag, p.last_modified,"
    " p.live_until, p.last_fetched, p.updates FROM page_state p JOIN feeds f ON f.id = p.feed_id"
    " ORDER BY p.last_fetched, f.name, p.page_url";
static const char tombstones_sql[] =
    "SELECT f.name, i.ident, i.guid, i.link, i.norm_link, i.title, i.author, i.published,"
    " i.updated, i.is_liveblog, i.content_hash, i.first_seen, i.changed FROM items i"
    " JOIN feeds f ON f.id = i.feed_id WHERE i.content IS NULL"
    " AND NOT EXISTS (SELECT 1 FROM entry_sources x WHERE x.item_id = i.id)"
    " ORDER BY i.first_seen, i.id";

int store_copy_read(struct store *s, store_copy_tombstone_fn tomb_fn, store_copy_item_fn item_fn,
                    store_copy_page_fn page_fn, void *arg) {
  struct copy_ctx c = {.s = s};
  /* One snapshot: a daemon still writing cannot tear the copy. */
  int rc = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return store_fail(s, rc, "reading the store to copy");
  struct emit e = {.tomb_fn = tomb_fn, .page_fn = page_fn, .arg = arg};
  int err = walk(s, tombstones_sql, "reading the pruned items to copy", tombstone_row, &e);
  if (err == 0)
    err = load_items(&c);
  if (err == 0)
    err = load_events(&c);
  if (err == 0) {
    qsort(c.ev, c.n_ev, sizeof *c.ev, cmp_event);
    err = emit_items(&c, item_fn, arg);
  }
  free(c.items);
  free(c.ev);
  if (err == 0)
    err = walk(s, pages_sql, "reading the live-blog pages to copy", page_row, &e);
  sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
  return err;
}
