/* ingest.c — parsed items to store items, live blogs split. See ingest.h. */
#include "ingest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "grow.h"
#include "entities.h"
#include "htmllinks.h"
#include "htmltext.h"
#include "liveblog_signals.h"
#include "uptitle.h"

/* strdup that keeps NULL as NULL; *failed is set on out-of-memory. */
static char *dup_or_null(const char *s, bool *failed) {
  if (!s)
    return NULL;
  char *p = strdup(s);
  if (!p)
    *failed = true;
  return p;
}

/* Cuts *field to the store's BRAID_STORE_MAX_FIELD_BYTES at a character boundary: a title
 * or author is still worth showing cut, where the store would refuse the whole item. */
static bool cut_to_store_cap(char *field) {
  if (!field)
    return false;
  size_t len = strlen(field);
  if (len <= BRAID_STORE_MAX_FIELD_BYTES)
    return false;
  field[utf8_cut(field, len, BRAID_STORE_MAX_FIELD_BYTES)] = '\0';
  return true;
}

/* Bytes of an item's name quoted in a log line: enough to find it in the feed. */
#define INGEST_ITEM_NAME_BYTES 80

/* Writes `item N "NAME": what` for the log, NAME being what the feed identifies the item
 * with (guid, else link, else title), cut: it may be the huge field. */
static void describe_item(const struct ingest_item *it, size_t index, const char *what,
                          char *out, size_t size) {
  const char *name = it->guid ? it->guid : it->link ? it->link : it->title;
  name = name ? name : "";
  size_t len = strlen(name);
  int shown = (int)utf8_cut(name, len, INGEST_ITEM_NAME_BYTES);
  snprintf(out, size, "item %zu \"%.*s%s\": %s", index + 1, shown, name,
           (size_t)shown < len ? "..." : "", what);
}

static void ingest_item_clear(struct ingest_item *it) {
  free(it->guid);
  free(it->link);
  free(it->title);
  free(it->author);
  free(it->html);
  free(it->text);
  free(it->updates);
  for (size_t i = 0; it->titles && it->liveblog && i < it->liveblog->n; i++)
    free(it->titles[i]);
  free(it->titles);
  liveblog_free(it->liveblog);
  memset(it, 0, sizeof *it);
}

/* *html with its relative links resolved against base (NULL: left as is). 0 or -ENOMEM. */
static int resolve_links(char **html, const char *base) {
  char *abs = NULL;
  if (!*html || !base)
    return 0;
  if (html_resolve_links(*html, strlen(*html), base, &abs) < 0)
    return -ENOMEM;
  if (abs) {
    free(*html);
    *html = abs;
  }
  return 0;
}

/* A live blog's updates live on the item's page, not in the feed file: their relative links
 * ("#block-c4", "/2024/live/x") resolve against the item's link, unless the feed set an
 * xml:base for the content. Parsed with content_links_raw, src->content_base is what the
 * parser would have used; without it the links are absolute already. */
static int resolve_update_links(struct liveblog *lb, const struct feed_item *src) {
  if (!src->content_base)
    return 0;
  const char *base = !src->content_base_explicit && src->link ? src->link : src->content_base;
  for (size_t i = 0; i < lb->n; i++)
    if (resolve_links(&lb->updates[i].html, base) < 0)
      return -ENOMEM;
  return 0;
}

/* Splits it->html into updates when the feed and the body say it is a live blog. A failed
 * split keeps the item whole: losing the body to a cap would be worse than not splitting. */
static int split_item(struct ingest_batch *b, struct ingest_item *it, const struct feed_item *src,
                      const struct ingest_options *opt) {
  if (opt->mode == LIVEBLOG_NEVER || !it->html)
    return 0;
  /* The item's title, link and categories are evidence for a blog of one or two updates. */
  struct split_options so = {.mode = opt->mode, .tz = opt->tz, .title = src->title,
                             .link = src->link, .n_categories = src->n_categories,
                             .categories = (const char *const *)src->categories};
  /* A live blog's feed date is most often its first publication; its updates come after. */
  if (it->has_published) {
    so.post_date = it->published;
    so.has_post_date = true;
  } else if (it->has_updated) {
    so.post_date = it->updated;
    so.has_post_date = true;
  }
  struct liveblog *lb = NULL;
  char err[sizeof b->last_error];
  int r = liveblog_split(it->html, strlen(it->html), &so, &lb, err, sizeof err);
  if (r == -ENOMEM)
    return r;
  if (r < 0) {
    b->split_errors++;
    snprintf(b->last_error, sizeof b->last_error, "%s", err);
    return 0;
  }
  if (!lb->is_liveblog || lb->n == 0) {
    liveblog_free(lb);
    return 0;
  }
  if (resolve_update_links(lb, src) < 0) {
    liveblog_free(lb);
    return -ENOMEM;
  }
  /* The store keeps at most BRAID_STORE_MAX_UPDATES per item and would refuse it whole. */
  if (lb->n > BRAID_STORE_MAX_UPDATES) {
    b->split_errors++;
    snprintf(b->last_error, sizeof b->last_error,
             "%zu updates, more than BRAID_STORE_MAX_UPDATES (%d): kept as one entry", lb->n,
             BRAID_STORE_MAX_UPDATES);
    liveblog_free(lb);
    return 0;
  }
  it->updates = calloc(lb->n, sizeof *it->updates);
  it->titles = calloc(lb->n, sizeof *it->titles);
  it->liveblog = lb;
  if (!it->updates || !it->titles)
    return -ENOMEM;
  for (size_t i = 0; i < lb->n; i++) {
    const struct liveblog_update *u = &lb->updates[i];
    /* Titled by its own words: "Blog — 0510 GMT" ten times over tells a reader nothing. */
    if (uptitle(NULL, u->html, u->text, &it->titles[i]) < 0)
      return -ENOMEM;
  }
  const char **texts = calloc(lb->n ? lb->n : 1, sizeof *texts);
  if (!texts)
    return -ENOMEM;
  for (size_t i = 0; i < lb->n; i++)
    texts[i] = lb->updates[i].text;
  r = uptitle_distinct(it->titles, texts, lb->n);
  free(texts);
  if (r < 0)
    return r;
  for (size_t i = 0; i < lb->n; i++) {
    const struct liveblog_update *u = &lb->updates[i];
    it->updates[i] = (struct store_update){
        .stamp = u->stamp, .time = u->time, .html = u->html, .text = u->text,
        .anchor = u->anchor, .title = it->titles[i]};
  }
  return 0;
}

/* The item's own words for live coverage: title, link, categories (liveblog_signals.h). */
static bool item_says_live(const struct feed_item *src) {
  if (src->title && liveblog_words_say_live(src->title, strlen(src->title)))
    return true;
  if (src->link && liveblog_words_say_live(src->link, strlen(src->link)))
    return true;
  for (size_t i = 0; i < src->n_categories; i++)
    if (src->categories[i] && liveblog_words_say_live(src->categories[i],
                                                      strlen(src->categories[i])))
      return true;
  return false;
}

int ingest_add(struct ingest_batch *b, const struct feed_item *src,
               const struct ingest_options *opt) {
  if (b->n == b->alloc) {
    struct ingest_item *p = grow_array(b->items, &b->alloc, sizeof *p, 16);
    if (!p)
      return -ENOMEM;
    b->items = p;
  }
  struct ingest_item *it = &b->items[b->n];
  memset(it, 0, sizeof *it);
  bool failed = false;
  it->guid = dup_or_null(src->id, &failed);
  it->link = dup_or_null(src->link, &failed);
  it->title = dup_or_null(src->title, &failed);
  it->author = dup_or_null(src->author, &failed);
  it->html = dup_or_null(src->content ? src->content : src->summary, &failed);
  it->published = src->published;
  it->has_published = src->has_published;
  it->updated = src->updated;
  it->has_updated = src->has_updated;
  bool cut = cut_to_store_cap(it->title);
  if (cut_to_store_cap(it->author) || cut) {
    b->cut_items++;
    describe_item(it, b->n, "title or author cut to BRAID_STORE_MAX_FIELD_BYTES", b->last_cut,
                  sizeof b->last_cut);
  }
  if (!failed && it->html && htmltext(it->html, strlen(it->html), 0, 0, &it->text, NULL) < 0)
    failed = true;
  int r = failed ? -ENOMEM : split_item(b, it, src, opt);
  /* The item whole keeps the links parse would have given it (xml:base, else the feed). */
  if (r == 0)
    r = resolve_links(&it->html, src->content_base);
  if (r == 0)
    it->is_live = opt->mode != LIVEBLOG_NEVER && (opt->mode == LIVEBLOG_ALWAYS ||
                                                 it->liveblog || item_says_live(src));
  if (r < 0) {
    ingest_item_clear(it);
    return r;
  }
  b->n++;
  return 0;
}

size_t ingest_update_count(const struct ingest_batch *b) {
  size_t n = 0;
  for (size_t i = 0; i < b->n; i++)
    n += b->items[i].liveblog ? b->items[i].liveblog->n : 0;
  return n;
}

void ingest_item_view(const struct ingest_item *it, struct store_item *ret) {
  *ret = (struct store_item){
      .guid = it->guid, .link = it->link, .title = it->title, .author = it->author,
      .html = it->html, .text = it->text, .published = it->published,
      .updated = it->updated, .has_published = it->has_published,
      .has_updated = it->has_updated, .is_liveblog = it->liveblog != NULL,
      .updates = it->updates, .n_updates = it->liveblog ? it->liveblog->n : 0};
}

/* Dates more than BRAID_INGEST_FUTURE_SLACK_S ahead become "no date": first-seen time. */
void ingest_clamp_future(struct ingest_item *it, int64_t now) {
  int64_t limit = now + BRAID_INGEST_FUTURE_SLACK_S;
  if (it->has_published && it->published > limit)
    it->has_published = false, it->published = 0;
  if (it->has_updated && it->updated > limit)
    it->has_updated = false, it->updated = 0;
  for (size_t u = 0; it->liveblog && u < it->liveblog->n; u++)
    if (it->updates[u].time > limit)
      it->updates[u].time = now;
}

int ingest_store(struct store *s, int64_t feed_id, struct ingest_batch *b, int64_t now,
                 struct store_put_stats *acc) {
  for (size_t i = 0; i < b->n; i++) {
    struct ingest_item *it = &b->items[i];
    if (it->page_owned)
      continue;
    ingest_clamp_future(it, now);
    struct store_item si;
    ingest_item_view(it, &si);
    int r = store_put_item(s, feed_id, &si, now, acc);
    if (r == -E2BIG) {
      /* Refused before anything was written: the rest of the feed goes on. The item is
       * named by what the feed identifies it with, cut (the field may be the huge one). */
      b->skipped_items++;
      describe_item(it, i, store_errmsg(s), b->last_skipped, sizeof b->last_skipped);
      continue;
    }
    if (r < 0)
      return r;
  }
  return 0;
}

void ingest_batch_clear(struct ingest_batch *b) {
  if (!b)
    return;
  for (size_t i = 0; i < b->n; i++)
    ingest_item_clear(&b->items[i]);
  free(b->items);
  memset(b, 0, sizeof *b);
}
