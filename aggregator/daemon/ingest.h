/* ingest.h — turns parsed feed items into what the store keeps.
 *
 * Promise: ingest_add copies one item out of the parser's callback (whose memory is gone
 * afterwards), works out its plain text and, unless the feed says `liveblog = never`, splits a
 * live blog's body into its time-stamped updates; ingest_store writes a whole batch with
 * store_put_item. A batch is filled while a response streams in and written at its end in one
 * transaction, so a poll is stored whole or not at all. Its size is bounded by the parser's
 * caps (items per feed, bytes per field). Nothing here logs: problems with one item (a split
 * that hit a cap, or more updates than the store keeps: the item is kept unsplit; a title or
 * author over the store's cap: it is cut; a guid or link over it: the item is skipped) are
 * counted and described in the batch.
 */
#ifndef BRAID_INGEST_H
#define BRAID_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "liveblog.h"
#include "parse.h"
#include "store.h"

struct ingest_options {
  enum liveblog_mode mode; /* the feed's `liveblog =` */
  const char *tz;          /* the feed's `timezone =`, or NULL */
};

/* One item, owned by its batch. */
struct ingest_item {
  char *guid, *link, *title, *author;
  char *html;               /* content, else summary */
  char *text;               /* plain text of html */
  int64_t published, updated;
  bool has_published, has_updated;
  struct liveblog *liveblog;       /* NULL unless the body was split into updates */
  struct store_update *updates;    /* views into liveblog, liveblog->n of them */
  char **titles;            /* each update's own title (uptitle.h), liveblog->n of them */
  bool is_live;             /* a live blog by the feed's `liveblog =`, its body or its signals:
                               its page may hold more updates (pagepoll.c) */
  bool page_owned;          /* its live blog's page gave its entries: ingest_store leaves it */
};

struct ingest_batch {
  struct ingest_item *items;
  size_t n, alloc;
  unsigned split_errors;    /* items whose split failed (kept as one entry) */
  char last_error[160];     /* why the last one failed, for the log */
  unsigned cut_items;       /* items whose title or author was cut to the store's cap */
  char last_cut[256];       /* which item was cut last, for the log */
  unsigned skipped_items;   /* items the store refused as over a cap (ingest_store) */
  char last_skipped[512];   /* which item was skipped last and why, for the log */
};

/* Copies it into b. 0 or -ENOMEM. */
int ingest_add(struct ingest_batch *b, const struct feed_item *it, const struct ingest_options *opt);
/* Total live-blog updates found in the batch. */
size_t ingest_update_count(const struct ingest_batch *b);
/* Fills a store_item that points into it (valid while the batch lives). */
void ingest_item_view(const struct ingest_item *it, struct store_item *ret);
/* Dates more than BRAID_INGEST_FUTURE_SLACK_S after now become "no date" (ingest_store does
 * it; pgitem.c before it logs an item). */
void ingest_clamp_future(struct ingest_item *it, int64_t now);
/* store_put_item for every item of b not page_owned, in order. An item the store refuses as over a cap of
 * bounds.h (-E2BIG: nothing of it was written) is skipped, counted in b->skipped_items and
 * described in b->last_skipped, so one hostile item does not cost the feed its other items;
 * any other failure stops the batch (the caller rolls back). */
int ingest_store(struct store *s, int64_t feed_id, struct ingest_batch *b, int64_t now,
                 struct store_put_stats *acc);
/* Frees every item; leaves an empty batch. NULL is a no-op. */
void ingest_batch_clear(struct ingest_batch *b);

#endif
