/* pgitem.h — a poll's items as the shared log holds them (JSON), and back.
 *
 * Promise: pgitem_encode turns the items of a batch into the JSON array pglog_complete
 * appends, each element everything store_put_item needs (the store_item and its live-blog
 * updates) plus the feed's title and site link as this poll saw them; pgitem_decode gives a
 * store_item back from one element, so that store_put_item on the replaying node sees what it
 * would have seen on the polling node. The array is cut (whole items, counted) to stay under
 * BRAID_PG_MAX_QUERY_BYTES: a row no statement can carry would block the feed for good.
 */
#ifndef BRAID_PGITEM_H
#define BRAID_PGITEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest.h"
#include "store.h"

/* The items of b (dates clamped against now, as ingest_store does), in order, as one JSON
 * array; feed_title, site_url and feed_url (a permanent redirect's target) may be NULL. *ret is the caller's (free); *ret_cut counts
 * the items left out for size. 0 or -ENOMEM. */
int pgitem_encode(struct ingest_batch *b, int64_t now, const char *feed_title,
                  const char *site_url, const char *feed_url, char **ret, size_t *ret_cut);

/* One item as one element (`braid store copy`). *ret is the caller's. 0, or -EINVAL when it
 * cannot be encoded (a string that is not UTF-8, or no memory). */
int pgitem_encode_item(const struct store_item *si, const char *feed_title, const char *site_url,
                       const char *feed_url, char **ret);

/* An item the copied store had pruned, as one element (`braid store copy`). 0 or -EINVAL. */
int pgitem_encode_tombstone(const struct store_tombstone *t, char **ret);

/* A live blog's page read with the feed's poll (pagepoll.c) as one element: the page's state
 * and, when the page gave updates, the item they make (NULL: a 304, or none). *ret is the
 * caller's. 0 or -ENOMEM. */
int pgitem_encode_page(const struct store_page_state *st, const struct store_item *si,
                       char **ret);

/* One decoded element. Its pointers point into the element; valid until pgitem_clear. */
struct pgitem {
  struct store_item item;
  bool has_item;                     /* item is to be stored (a page read may carry none) */
  const char *feed_title, *site_url; /* NULL when the poll had none */
  const char *feed_url;              /* where the feed moved for good, NULL: unchanged */
  bool has_page;                     /* a page read: page is its state, to store_page_set */
  struct store_page_state page;      /* its strings point into the element: never cleared */
  bool has_tomb;                     /* a pruned item (store copy): tomb, to store_put_tombstone */
  struct store_tombstone tomb;
  struct store_update *updates;
  void *json;
};

/* Decodes one element (JSON text). 0, -EINVAL (not an item braid logs: why in err), or
 * -ENOMEM. */
int pgitem_decode(const char *text, struct pgitem *ret, char *err, size_t errlen);
void pgitem_clear(struct pgitem *it);

#endif
