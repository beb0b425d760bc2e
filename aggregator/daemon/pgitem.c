/* pgitem.c — items to and from the shared log's JSON. See pgitem.h.
 *
 * Short keys: the log holds every item every node polled, so its size is the database's
 * size; they are named in one place, here. */
#include "pgitem.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "buf.h"

/* Room left in a query for everything but the items: the statement and its other
 * parameters. */
#define PGITEM_QUERY_SLACK (64 * 1024)

static int set_str(json_t *o, const char *key, const char *v) {
  if (!v)
    return 0;
  json_t *s = json_string(v);
  /* A string that is not UTF-8 is refused by jansson; the parser hands UTF-8 only, so this is
   * a broken invariant, not a feed's fault: the item is left out rather than mangled. */
  return s && json_object_set_new(o, key, s) == 0 ? 0 : -EINVAL;
}

static int set_int(json_t *o, const char *key, int64_t v) {
  return json_object_set_new(o, key, json_integer(v)) == 0 ? 0 : -ENOMEM;
}

static json_t *encode_updates(const struct store_item *si) {
  json_t *a = json_array();
  for (size_t u = 0; a && u < si->n_updates; u++) {
    const struct store_update *up = &si->updates[u];
    json_t *o = json_object();
    if (!o || set_str(o, "s", up->stamp) || set_int(o, "tm", up->time) ||
        set_str(o, "h", up->html) || set_str(o, "x", up->text) || set_str(o, "an", up->anchor) ||
        set_str(o, "t", up->title) || set_str(o, "l", up->link) || json_array_append_new(a, o)) {
      json_decref(o);
      json_decref(a);
      return NULL;
    }
  }
  return a;
}

static json_t *encode_item(const struct store_item *si, const char *feed_title,
                           const char *site_url, const char *feed_url) {
  json_t *o = json_object();
  if (!o || set_str(o, "g", si->guid) || set_str(o, "l", si->link) || set_str(o, "t", si->title) ||
      set_str(o, "a", si->author) || set_str(o, "h", si->html) || set_str(o, "x", si->text) ||
      (si->has_published && set_int(o, "p", si->published)) ||
      (si->has_updated && set_int(o, "u", si->updated)) || set_str(o, "ft", feed_title) ||
      set_str(o, "fs", site_url) || set_str(o, "fu", feed_url)) {
    json_decref(o);
    return NULL;
  }
  if (si->is_liveblog) {
    json_t *ups = encode_updates(si);
    if (!ups || json_object_set_new(o, "up", ups)) {
      json_decref(o);
      return NULL;
    }
  }
  return o;
}

int pgitem_encode(struct ingest_batch *b, int64_t now, const char *feed_title,
                  const char *site_url, const char *feed_url, char **ret, size_t *ret_cut) {
  size_t cut = 0, total = 2;
  struct buf out;
  buf_init(&out, 0);
  int rc = buf_append_char(&out, '[');
  for (size_t i = 0; i < b->n && rc == 0; i++) {
    struct ingest_item *it = &b->items[i];
    if (it->page_owned)
      continue;
    ingest_clamp_future(it, now);
    struct store_item si;
    ingest_item_view(it, &si);
    json_t *o = encode_item(&si, feed_title, site_url, feed_url);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text) {
      cut++;
      continue;
    }
    size_t len = strlen(text);
    if (total + len + 1 > BRAID_PG_MAX_QUERY_BYTES - PGITEM_QUERY_SLACK) {
      cut++;
      free(text);
      continue;
    }
    if (out.len > 1)
      rc = buf_append_char(&out, ',');
    if (rc == 0)
      rc = buf_append(&out, text, len);
    total += len + 1;
    free(text);
  }
  if (rc == 0)
    rc = buf_append_char(&out, ']');
  char *json = rc == 0 ? buf_steal(&out) : NULL;
  buf_clear(&out);
  if (!json)
    return rc < 0 ? rc : -ENOMEM;
  *ret = json;
  *ret_cut = cut;
  return 0;
}

/* o as compact text into *ret when ok (o is released either way); else err. */
static int dump(json_t *o, bool ok, int err, char **ret) {
  char *text = ok && o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (!text)
    return err;
  *ret = text;
  return 0;
}

int pgitem_encode_item(const struct store_item *si, const char *feed_title, const char *site_url,
                       const char *feed_url, char **ret) {
  json_t *o = encode_item(si, feed_title, site_url, feed_url);
  return dump(o, true, -EINVAL, ret);
}

int pgitem_encode_tombstone(const struct store_tombstone *t, char **ret) {
  json_t *o = json_object(), *tb = json_object();
  bool ok = o && tb && !set_str(tb, "i", t->ident) && !set_str(tb, "g", t->guid) &&
            !set_str(tb, "l", t->link) && !set_str(tb, "nl", t->norm_link) &&
            !set_str(tb, "t", t->title) && !set_str(tb, "a", t->author) &&
            !(t->has_published && set_int(tb, "p", t->published)) &&
            !(t->has_updated && set_int(tb, "u", t->updated)) &&
            !set_int(tb, "lb", t->is_liveblog) && !set_int(tb, "h", t->content_hash) &&
            !set_int(tb, "fs", t->first_seen) && !set_int(tb, "ch", t->changed);
  if (ok) {
    ok = json_object_set_new(o, "tomb", tb) == 0; /* takes tb, even when it fails */
    tb = NULL;
  }
  json_decref(tb);
  return dump(o, ok, -EINVAL, ret);
}

int pgitem_encode_page(const struct store_page_state *st, const struct store_item *si,
                       char **ret) {
  json_t *o = si ? encode_item(si, NULL, NULL, NULL) : json_object();
  json_t *pg = json_object();
  bool ok = o && pg && !set_str(pg, "url", st->page_url) && !set_str(pg, "g", st->guid) &&
            !set_str(pg, "t", st->title) && !set_int(pg, "p", st->published) &&
            !set_str(pg, "et", st->etag) && !set_str(pg, "lm", st->last_modified) &&
            !set_int(pg, "until", st->live_until) && !set_int(pg, "at", st->last_fetched) &&
            !set_int(pg, "n", st->updates);
  if (ok) {
    ok = json_object_set_new(o, "pg", pg) == 0; /* takes pg, even when it fails */
    pg = NULL;
  }
  if (ok && !si)
    ok = json_object_set_new(o, "noitem", json_true()) == 0;
  json_decref(pg);
  return dump(o, ok, -ENOMEM, ret);
}

static const char *get_str(json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

static int decode_updates(json_t *a, struct pgitem *it, char *err, size_t errlen) {
  size_t n = json_array_size(a);
  if (!json_is_array(a) || n > BRAID_STORE_MAX_UPDATES) {
    snprintf(err, errlen, "updates: not an array of at most %d", BRAID_STORE_MAX_UPDATES);
    return -EINVAL;
  }
  if (n && !(it->updates = calloc(n, sizeof *it->updates)))
    return -ENOMEM;
  for (size_t u = 0; u < n; u++) {
    json_t *o = json_array_get(a, u);
    if (!json_is_object(o)) {
      snprintf(err, errlen, "update %zu: not an object", u);
      return -EINVAL;
    }
    it->updates[u] = (struct store_update){
        .stamp = get_str(o, "s"), .time = json_integer_value(json_object_get(o, "tm")),
        .html = get_str(o, "h"), .text = get_str(o, "x"), .anchor = get_str(o, "an"),
        .title = get_str(o, "t"), .link = get_str(o, "l")};
  }
  it->item.updates = it->updates;
  it->item.n_updates = n;
  it->item.is_liveblog = true;
  return 0;
}

static int decode_tombstone(json_t *tb, struct pgitem *it, char *err, size_t errlen) {
  json_t *p = json_object_get(tb, "p"), *u = json_object_get(tb, "u");
  if (!json_is_object(tb) || !get_str(tb, "i") || !json_is_integer(json_object_get(tb, "h"))) {
    snprintf(err, errlen, "pruned item: not an object with an identity and a hash");
    return -EINVAL;
  }
  it->has_tomb = true;
  it->has_item = false;
  it->tomb = (struct store_tombstone){
      .ident = get_str(tb, "i"), .guid = get_str(tb, "g"), .link = get_str(tb, "l"),
      .norm_link = get_str(tb, "nl"), .title = get_str(tb, "t"), .author = get_str(tb, "a"),
      .published = json_integer_value(p), .has_published = json_is_integer(p),
      .updated = json_integer_value(u), .has_updated = json_is_integer(u),
      .is_liveblog = json_integer_value(json_object_get(tb, "lb")) != 0,
      .content_hash = json_integer_value(json_object_get(tb, "h")),
      .first_seen = json_integer_value(json_object_get(tb, "fs")),
      .changed = json_integer_value(json_object_get(tb, "ch"))};
  return 0;
}

int pgitem_decode(const char *text, struct pgitem *ret, char *err, size_t errlen) {
  memset(ret, 0, sizeof *ret);
  json_error_t je;
  json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &je);
  if (!o || !json_is_object(o)) {
    snprintf(err, errlen, "not a JSON object: %s", o ? "another JSON value" : je.text);
    json_decref(o);
    return -EINVAL;
  }
  ret->json = o;
  json_t *p = json_object_get(o, "p"), *u = json_object_get(o, "u");
  ret->item = (struct store_item){
      .guid = get_str(o, "g"), .link = get_str(o, "l"), .title = get_str(o, "t"),
      .author = get_str(o, "a"), .html = get_str(o, "h"), .text = get_str(o, "x"),
      .published = json_integer_value(p), .has_published = json_is_integer(p),
      .updated = json_integer_value(u), .has_updated = json_is_integer(u)};
  ret->feed_title = get_str(o, "ft");
  ret->site_url = get_str(o, "fs");
  ret->feed_url = get_str(o, "fu");
  ret->has_item = !json_is_true(json_object_get(o, "noitem"));
  json_t *pg = json_object_get(o, "pg");
  if (pg) {
    if (!json_is_object(pg) || !get_str(pg, "url")) {
      snprintf(err, errlen, "page: not an object with a url");
      pgitem_clear(ret);
      return -EINVAL;
    }
    ret->has_page = true;
    /* Views into the element, typed as the store's struct wants them: never freed through
     * store_page_state_clear. */
    ret->page = (struct store_page_state){
        .page_url = (char *)get_str(pg, "url"), .guid = (char *)get_str(pg, "g"),
        .title = (char *)get_str(pg, "t"), .published = json_integer_value(json_object_get(pg, "p")),
        .etag = (char *)get_str(pg, "et"), .last_modified = (char *)get_str(pg, "lm"),
        .live_until = json_integer_value(json_object_get(pg, "until")),
        .last_fetched = json_integer_value(json_object_get(pg, "at")),
        .updates = (int)json_integer_value(json_object_get(pg, "n"))};
  }
  json_t *tb = json_object_get(o, "tomb");
  if (tb && decode_tombstone(tb, ret, err, errlen) < 0) {
    pgitem_clear(ret);
    return -EINVAL;
  }
  json_t *ups = json_object_get(o, "up");
  int rc = ups ? decode_updates(ups, ret, err, errlen) : 0;
  if (rc < 0)
    pgitem_clear(ret);
  return rc;
}

void pgitem_clear(struct pgitem *it) {
  if (!it)
    return;
  free(it->updates);
  json_decref(it->json);
  memset(it, 0, sizeof *it);
}
