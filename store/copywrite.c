/* copywrite.c — a pruned item (tombstone) written as `braid store copy` found it. See store.h.
 *
 * Why tombstones are copied at all: a feed that still carries an item whose entries retention
 * has pruned must not make it new again; the store knows it by its identity and content hash
 * (an identical item is "unchanged"), so that row, without a body, is what a copy hands over.
 * Prepared per call: a copy writes a tombstone once.
 */
#include <errno.h>

#include "store_internal.h"

int store_put_tombstone(struct store *s, int64_t feed_id, const struct store_tombstone *t) {
  if (!t->ident || !*t->ident)
    return store_failf(s, -EINVAL, "store %s: a pruned item without its identity", s->path);
  sqlite3_stmt *st = NULL;
  /* Already there (a replay run twice, or the item came back): left as it is. */
  int rc = sqlite3_prepare_v2(
      s->db,
      "INSERT INTO items (feed_id, ident, guid, link, norm_link, title, author, published,"
      " updated, is_liveblog, content, content_hash, first_seen, changed)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, ?11, ?12, ?13)"
      " ON CONFLICT (feed_id, ident) DO NOTHING",
      -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_fail(s, rc, "saving a pruned item");
  sqlite3_bind_int64(st, 1, feed_id);
  const char *text[] = {t->ident, t->guid, t->link, t->norm_link, t->title, t->author};
  for (int i = 0; i < 6; i++)
    store_bind_text(st, 2 + i, text[i]);
  if (t->has_published)
    sqlite3_bind_int64(st, 8, t->published);
  if (t->has_updated)
    sqlite3_bind_int64(st, 9, t->updated);
  sqlite3_bind_int(st, 10, t->is_liveblog ? 1 : 0);
  sqlite3_bind_int64(st, 11, t->content_hash);
  sqlite3_bind_int64(st, 12, t->first_seen);
  sqlite3_bind_int64(st, 13, t->changed);
  rc = sqlite3_step(st);
  int err = rc == SQLITE_DONE ? 0 : store_fail(s, rc, "saving a pruned item");
  sqlite3_finalize(st);
  return err;
}
