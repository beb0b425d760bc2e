/* render_json.c — JSON Feed 1.1 (https://jsonfeed.org/version/1.1) with jansson. See render.h.
 *
 * Items carry braid's extension object `_braid`: {"source": {feed, title, feed_url,
 * site_url}, "other_sources": [...] (only when the story came from several feeds),
 * "stamp": "2120 GMT" and "live_blog": {"id", "title"} (only for a live blog's update)}.
 */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "civil.h"
#include "render_priv.h"
#include "sanitize.h"

/* Builders that remember the first failure, so one check at the end covers every call. */
struct jb {
  struct buf text; /* scratch: one cleaned string */
  int err;
};

/* A JSON string of s made valid UTF-8; NULL (failure recorded) on error. */
static json_t *jb_str(struct jb *b, const char *s) {
  buf_reset(&b->text);
  int r = sanitize_utf8(s, strlen(s), &b->text);
  if (r < 0) {
    b->err = b->err ? b->err : r;
    return NULL;
  }
  json_t *v = json_stringn(buf_str(&b->text), b->text.len);
  if (!v)
    b->err = b->err ? b->err : -ENOMEM;
  return v;
}

/* obj[key] = value, taking value's reference; a NULL value records -ENOMEM. */
static void jb_set(struct jb *b, json_t *obj, const char *key, json_t *value) {
  if (!value) {
    b->err = b->err ? b->err : -ENOMEM;
    return;
  }
  if (json_object_set_new(obj, key, value) < 0)
    b->err = b->err ? b->err : -ENOMEM;
}

/* Sets obj[key] to the string s; nothing when s is NULL. */
static void jb_set_str(struct jb *b, json_t *obj, const char *key, const char *s) {
  if (s)
    jb_set(b, obj, key, jb_str(b, s));
}

/* obj[key] = t as YYYY-MM-DDTHH:MM:SSZ. */
static void jb_set_date(struct jb *b, json_t *obj, const char *key, int64_t t) {
  char s[CIVIL_UTC_LEN];
  civil_format_utc(t, s);
  jb_set_str(b, obj, key, s);
}

/* Appends value (taking its reference) to arr. */
static void jb_append(struct jb *b, json_t *arr, json_t *value) {
  if (!value || json_array_append_new(arr, value) < 0)
    b->err = b->err ? b->err : -ENOMEM;
}

/* A feed as {feed, title, feed_url, site_url, url}, unsafe URLs left out, feed_url only where
 * it may be published (render_feed_url_public). */
static json_t *source_object(struct jb *b, const struct stream_source *s, bool feed_queries) {
  json_t *o = json_object();
  if (!o) {
    b->err = b->err ? b->err : -ENOMEM;
    return NULL;
  }
  jb_set_str(b, o, "feed", s->feed);
  jb_set_str(b, o, "title", s->title);
  jb_set_str(b, o, "feed_url", render_feed_url_public(s, feed_queries) ? s->feed_url : NULL);
  jb_set_str(b, o, "site_url", render_link(s->site_url));
  jb_set_str(b, o, "url", render_link(s->link));
  return o;
}

/* The item's `_braid` object. */
static json_t *braid_extension(struct jb *b, const struct stream_entry *e, bool feed_queries) {
  json_t *ext = json_object();
  if (!ext)
    return NULL;
  if (e->n_sources)
    jb_set(b, ext, "source", source_object(b, &e->sources[0], feed_queries));
  if (e->n_sources > 1) {
    json_t *others = json_array();
    for (size_t i = 1; others && i < e->n_sources; i++)
      jb_append(b, others, source_object(b, &e->sources[i], feed_queries));
    jb_set(b, ext, "other_sources", others);
  }
  jb_set_str(b, ext, "stamp", e->stamp);
  /* Only an update has a live blog to belong to; every entry has an item. */
  if (e->stamp && (e->item_title || e->item_id)) {
    json_t *live = json_object();
    if (live) {
      jb_set_str(b, live, "id", e->item_id);
      jb_set_str(b, live, "title", e->item_title);
    }
    jb_set(b, ext, "live_blog", live);
  }
  return ext;
}

/* One JSON Feed item. */
static json_t *item_object(struct jb *b, const struct stream_entry *e, const struct render_item *it) {
  json_t *o = json_object();
  if (!o)
    return NULL;
  jb_set_str(b, o, "id", it->id);
  jb_set_str(b, o, "url", it->link);
  jb_set_str(b, o, "title", it->title);
  /* JSON Feed requires content_html or content_text; an entry with neither gets "". */
  if (*it->html)
    jb_set_str(b, o, "content_html", it->html);
  if (e->text || !*it->html)
    jb_set_str(b, o, "content_text", e->text ? e->text : "");
  jb_set_date(b, o, "date_published", it->published);
  jb_set_date(b, o, "date_modified", it->updated);
  if (it->author) {
    json_t *authors = json_array(), *a = json_object();
    if (a)
      jb_set_str(b, a, "name", it->author);
    if (authors)
      jb_append(b, authors, a);
    else
      json_decref(a);
    jb_set(b, o, "authors", authors);
  }
  if (e->stamp) {
    json_t *tags = json_array();
    if (tags)
      jb_append(b, tags, json_string("live"));
    jb_set(b, o, "tags", tags);
  }
  jb_set(b, o, "_braid", braid_extension(b, e, it->feed_queries));
  return o;
}

struct dump_ctx {
  struct buf *out;
  int err;
};

/* json_dump_callback sink: appends to the caller's buf, keeping its error. */
static int dump_to_buf(const char *data, size_t len, void *ctx) {
  struct dump_ctx *d = ctx;
  int r = buf_append(d->out, data, len);
  if (r < 0 && !d->err)
    d->err = r;
  return r < 0 ? -1 : 0;
}

int render_json(const struct render_doc *doc, struct buf *out) {
  struct jb b = {.err = 0};
  buf_init(&b.text, 0);
  struct render_item it;
  render_item_init(&it);
  it.feed_queries = doc->feed_queries;
  const struct render_meta *m = doc->meta;
  json_t *feed = json_object(), *items = json_array();
  if (!feed || !items) {
    json_decref(feed);
    json_decref(items);
    b.err = -ENOMEM;
    goto done;
  }
  jb_set_str(&b, feed, "version", "https://jsonfeed.org/version/1.1");
  jb_set_str(&b, feed, "title", doc->title);
  jb_set_str(&b, feed, "home_page_url", doc->home_url);
  jb_set_str(&b, feed, "feed_url", m->self_url);
  jb_set_str(&b, feed, "description", doc->description);
  for (size_t i = 0; !b.err && i < doc->entries->n; i++) {
    int r = render_item_fill(&it, &doc->entries->entries[i]);
    if (r < 0)
      b.err = r;
    else
      jb_append(&b, items, item_object(&b, &doc->entries->entries[i], &it));
  }
  jb_set(&b, feed, "items", items);
  if (!b.err) {
    struct dump_ctx d = {.out = out};
    if (json_dump_callback(feed, dump_to_buf, &d, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
      b.err = d.err ? d.err : -ENOMEM;
    else
      b.err = buf_append_char(out, '\n');
  }
  json_decref(feed);
done:
  render_item_clear(&it);
  buf_clear(&b.text);
  return b.err;
}
