/* put_internal.h — what put.c (writing an item's entries) and dedupe.c (finding the entry
 * another feed already has for the same story) share. Not promised outside store/.
 */
#ifndef BRAID_PUT_INTERNAL_H
#define BRAID_PUT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store_internal.h"

/* One entry an item yields: the item itself or one of its updates. */
struct unit {
  char key[48];      /* update key: "" for the item itself */
  size_t base_len;   /* length of key before a "-2" that tells apart equal keys */
  int64_t time;
  int64_t own_updated; /* what the source says of its last change: an item's updated date,
                          else its published date, else first seen; an update's own time
                          (the blog's dates are the whole blog's). An edit braid detects
                          later stores the detection time instead. */
  const char *stamp;
  char *title;       /* owned */
  char *link;        /* owned, or NULL */
  char *link_key;    /* owned: the normalised link, "#" and the update key for an update;
                        NULL for a link that says nothing (none, or a site's front page) */
  const char *html;  /* borrowed */
  const char *text;  /* borrowed */
  uint64_t hash;
  size_t shingles;   /* of text */
};

/* What every unit of one put shares. */
struct put_ctx {
  struct store *s;
  int64_t feed_id;
  char *feed_name;
  const struct store_item *item;
  char *norm_link;
  char ident_hex[17]; /* hash of the identity, for the tag URI */
  int64_t item_id;
  int64_t now;
  struct store_put_stats *acc;
};

/* A unit's SimHash as indexed: with the time it is filed under. */
struct fingerprint {
  bool have; /* false for a text too short to fingerprint */
  bool is_short; /* no fingerprint, but SIMHASH_MIN_SHORT_SHINGLES: matched near in time */
  uint64_t fp;
  int64_t time;
  uint64_t text_key; /* simhash_text_key of the text, 0 none */
};

int store__bind_fingerprint(sqlite3_stmt *st, int col, const struct fingerprint *f);
/* An entry another feed carries that is this unit's story (dedupe.c): *ret_seq 0 if none,
 * else the entry and its time. */
int store__find_duplicate(struct put_ctx *c, const struct unit *u, const struct fingerprint *f,
                          int64_t *ret_seq, int64_t *ret_time);

#endif
