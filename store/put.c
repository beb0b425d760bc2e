/* put.c — turning a feed item into stream entries (store_put_item). See store.h.
 *
 * An item is found again by its identity within its feed: "g:" and its guid, else "l:" and
 * its normalised link, else "h:" and a hash of its title and date. A hash of everything the
 * feed said about the item tells whether anything changed; if not, nothing is written.
 * Otherwise each of its entries (the item itself, or each live-blog update, found again by
 * its update key: its stamp's time, else its stamp) is added, edited in place or left
 * alone, and a new entry that another feed already carries (same normalised link, or text
 * within SIMHASH_MAX_DISTANCE bits) becomes one more source of that entry.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "buf.h"
#include "civil.h"
#include "simhash.h"
#include "put_internal.h"
#include "urlnorm.h"

/* Tag URIs need a date their minter owned the name on; braid's is fixed forever. */
#define STORE_TAG_PREFIX "tag:braid,2011:"
static int check_len(struct store *s, const char *feed, const char *what, const char *v,
                     size_t cap, const char *cap_name) {
  if (v && strlen(v) > cap)
    return store_failf(s, -E2BIG, "item of feed %s: %s longer than %s (%zu bytes)", feed, what,
                       cap_name, cap);
  return 0;
}

static int validate(struct store *s, const char *feed, const struct store_item *it) {
#define FIELD(v, what) check_len(s, feed, what, v, BRAID_STORE_MAX_FIELD_BYTES, \
                                 "BRAID_STORE_MAX_FIELD_BYTES")
#define BODY(v, what) check_len(s, feed, what, v, BRAID_STORE_MAX_BODY_BYTES, \
                                "BRAID_STORE_MAX_BODY_BYTES")
  int r = 0;
  if (!r) r = FIELD(it->guid, "guid");
  if (!r) r = FIELD(it->link, "link");
  if (!r) r = FIELD(it->title, "title");
  if (!r) r = FIELD(it->author, "author");
  if (!r) r = BODY(it->html, "html");
  if (!r) r = BODY(it->text, "text");
  if (r)
    return r;
  if (it->n_updates > BRAID_STORE_MAX_UPDATES)
    return store_failf(s, -E2BIG, "item of feed %s: more updates than BRAID_STORE_MAX_UPDATES "
                       "(%d)", feed, BRAID_STORE_MAX_UPDATES);
  for (size_t i = 0; i < it->n_updates && !r; i++) {
    const struct store_update *u = &it->updates[i];
    if (!r) r = FIELD(u->stamp, "update stamp");
    if (!r) r = FIELD(u->anchor, "update anchor");
    if (!r) r = FIELD(u->title, "update title");
    if (!r) r = FIELD(u->link, "update link");
    if (!r) r = BODY(u->html, "update html");
    if (!r) r = BODY(u->text, "update text");
  }
  return r;
#undef FIELD
#undef BODY
}

static int feed_name(struct store *s, int64_t feed_id, char **ret) {
  bool in_write = s->in_tx || (s->in_group && !s->group_lost);
  if (in_write && s->named_feed && s->named_feed_id == feed_id) {
    *ret = strdup(s->named_feed);
    return *ret ? 0 : store_failf(s, -ENOMEM, "out of memory");
  }
  sqlite3_stmt *st = store_stmt(s, STMT_FEED_NAME);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, feed_id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
      return store_failf(s, -ENOENT, "no feed with id %" PRId64, feed_id);
    return store_fail(s, rc, "looking up feed %" PRId64, feed_id);
  }
  bool oom = false;
  *ret = store_column_strdup(st, 0, &oom);
  sqlite3_reset(st);
  if (oom)
    return store_failf(s, -ENOMEM, "out of memory");
  if (in_write && *ret) {
    char *copy = strdup(*ret);
    if (copy) { /* without it the next item looks the name up again */
      free(s->named_feed);
      s->named_feed = copy;
      s->named_feed_id = feed_id;
    }
  }
  return 0;
}

/* The item's identity within its feed, as stored in items.ident (caller frees). */
static char *item_ident(const struct store_item *it, const char *norm_link) {
  char *out = NULL;
  if (it->guid && *it->guid) {
    if (asprintf(&out, "g:%s", it->guid) < 0)
      return NULL;
  } else if (norm_link) {
    if (asprintf(&out, "l:%s", norm_link) < 0)
      return NULL;
  } else {
    struct hash64 h;
    hash64_init(&h);
    hash64_add_str(&h, it->title);
    hash64_add_i64(&h, it->has_published ? it->published : 0);
    hash64_add_i64(&h, it->has_updated ? it->updated : 0);
    if (asprintf(&out, "h:%016" PRIx64, hash64_final(&h)) < 0)
      return NULL;
  }
  return out;
}

/* A hash of everything the feed said about the item, to see whether anything changed. */
static uint64_t item_hash(const struct store_item *it) {
  struct hash64 h;
  hash64_init(&h);
  const char *strs[] = {it->guid, it->link, it->title, it->author, it->html, it->text};
  for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
    hash64_add_str(&h, strs[i]);
  hash64_add_i64(&h, it->has_published ? it->published : INT64_MIN);
  hash64_add_i64(&h, it->has_updated ? it->updated : INT64_MIN);
  hash64_add_i64(&h, it->is_liveblog);
  hash64_add_i64(&h, (int64_t)it->n_updates);
  for (size_t i = 0; i < it->n_updates; i++) {
    const struct store_update *u = &it->updates[i];
    hash64_add_str(&h, u->stamp);
    hash64_add_i64(&h, u->time);
    hash64_add_str(&h, u->html);
    hash64_add_str(&h, u->text);
    hash64_add_str(&h, u->anchor);
    hash64_add_str(&h, u->title);
    hash64_add_str(&h, u->link);
  }
  return hash64_final(&h);
}

static uint64_t unit_hash(const struct unit *u) {
  struct hash64 h;
  hash64_init(&h);
  hash64_add_i64(&h, u->time);
  hash64_add_str(&h, u->stamp);
  hash64_add_str(&h, u->title);
  hash64_add_str(&h, u->link);
  hash64_add_str(&h, u->html);
  hash64_add_str(&h, u->text);
  return hash64_final(&h);
}

/* The feed name as a tag URI segment: unreserved characters kept, the rest %-escaped. */
static int append_tag_segment(struct buf *b, const char *name) {
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                 (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
    int r = plain ? buf_append_char(b, (char)*p) : buf_printf(b, "%%%02X", *p);
    if (r < 0)
      return r;
  }
  return 0;
}

/* The stable id of a unit: tag:braid,2011:FEED/IDENTHASH[/UPDATEKEY] (caller frees). */
static char *unit_uid(const struct put_ctx *c, const struct unit *u) {
  struct buf b;
  buf_init(&b, 0);
  int r = buf_append_str(&b, STORE_TAG_PREFIX);
  if (!r) r = append_tag_segment(&b, c->feed_name);
  if (!r) r = buf_printf(&b, "/%s", c->ident_hex);
  if (!r && u->key[0]) r = buf_printf(&b, "/%s", u->key);
  if (r < 0) {
    buf_clear(&b);
    return NULL;
  }
  return buf_steal(&b);
}
static int insert_source(struct put_ctx *c, const struct unit *u, int64_t seq, int64_t time) {
  sqlite3_stmt *st = store_stmt(c->s, STMT_SOURCE_INSERT);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, seq);
  sqlite3_bind_int64(st, 2, c->item_id);
  store_bind_text(st, 3, u->key);
  sqlite3_bind_int64(st, 4, c->feed_id);
  store_bind_text(st, 5, u->link);
  sqlite3_bind_int64(st, 6, time);
  int rc = store_step_done(st);
  return rc == SQLITE_DONE ? 0 : store_fail(c->s, rc, "saving feed %s", c->feed_name);
}

/* Binds what an entry holds as ?2..?11 and ?14..?16 of STMT_ENTRY_INSERT or
 * STMT_ENTRY_UPDATE. */
static void bind_entry_fields(sqlite3_stmt *st, const struct put_ctx *c, const struct unit *u,
                              const struct fingerprint *f) {
  sqlite3_bind_int64(st, 2, u->time);
  store_bind_text(st, 3, u->stamp);
  store_bind_text(st, 4, u->title);
  store_bind_text(st, 5, u->link);
  store_bind_text(st, 6, u->link_key);
  store_bind_text(st, 7, u->html);
  store_bind_text(st, 8, u->text);
  sqlite3_bind_int64(st, 9, (int64_t)u->hash);
  sqlite3_bind_int64(st, 10, c->now);
  store__bind_fingerprint(st, 11, f);
  if (f->text_key)
    sqlite3_bind_int64(st, 14, (int64_t)f->text_key);
  if (u->link_key)
    sqlite3_bind_int64(st, 15, store_link_hash(u->link_key));
  /* an update is found by its blog's title too (schema version 8) */
  if (c->item->is_liveblog)
    store_bind_text(st, 16, c->item->title);
}

static int insert_entry(struct put_ctx *c, const struct unit *u, const struct fingerprint *f) {
  char *uid = unit_uid(c, u);
  if (!uid)
    return store_failf(c->s, -ENOMEM, "out of memory saving feed %s", c->feed_name);
  sqlite3_stmt *st = store_stmt(c->s, STMT_ENTRY_INSERT);
  if (!st) {
    free(uid);
    return -EIO;
  }
  store_bind_text(st, 1, uid);
  bind_entry_fields(st, c, u, f);
  sqlite3_bind_int64(st, 13, u->own_updated);
  sqlite3_bind_int64(st, 12, c->item_id);
  int rc = store_step_done(st);
  free(uid);
  if (rc != SQLITE_DONE)
    return store_fail(c->s, rc, "saving feed %s", c->feed_name);
  /* (the entry's fingerprint is filed by a trigger: bands.c) */
  return insert_source(c, u, sqlite3_last_insert_rowid(c->s->db), u->time);
}

static int update_entry(struct put_ctx *c, const struct unit *u, int64_t seq,
                        const struct fingerprint *f) {
  sqlite3_stmt *st = store_stmt(c->s, STMT_ENTRY_UPDATE);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, seq);
  bind_entry_fields(st, c, u, f);
  int rc = store_step_done(st);
  if (rc != SQLITE_DONE)
    return store_fail(c->s, rc, "saving feed %s", c->feed_name);
  if (!(st = store_stmt(c->s, STMT_SOURCES_SET_TIME)))
    return -EIO;
  sqlite3_bind_int64(st, 1, seq);
  sqlite3_bind_int64(st, 2, u->time);
  rc = store_step_done(st);
  return rc == SQLITE_DONE ? 0 : store_fail(c->s, rc, "saving feed %s", c->feed_name);
}

static int set_source_link(struct put_ctx *c, const struct unit *u) {
  sqlite3_stmt *st = store_stmt(c->s, STMT_SOURCE_SET_LINK);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, c->item_id);
  store_bind_text(st, 2, u->key);
  store_bind_text(st, 3, u->link);
  int rc = store_step_done(st);
  return rc == SQLITE_DONE ? 0 : store_fail(c->s, rc, "saving feed %s", c->feed_name);
}

static int put_unit(struct put_ctx *c, const struct unit *u) {
  sqlite3_stmt *st = store_stmt(c->s, STMT_SOURCE_FIND);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, c->item_id);
  store_bind_text(st, 2, u->key);
  int rc = sqlite3_step(st);
  int64_t seq = 0, owner = 0;
  uint64_t old_hash = 0;
  if (rc == SQLITE_ROW) {
    seq = sqlite3_column_int64(st, 0);
    old_hash = (uint64_t)sqlite3_column_int64(st, 1);
    owner = sqlite3_column_int64(st, 2);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_fail(c->s, rc, "saving feed %s", c->feed_name);
  /* An entry first carried by another feed keeps that feed's content; this feed's copy
   * only updates its own link. */
  if (seq && (owner != c->item_id || old_hash == u->hash)) {
    c->acc->unchanged++;
    return owner != c->item_id ? set_source_link(c, u) : 0;
  }
  struct fingerprint f = {.time = u->time};
  size_t shingles;
  simhash_text_keyed(u->text, &f.fp, &shingles, &f.text_key);
  f.have = shingles >= SIMHASH_MIN_SHINGLES;
  f.is_short = !f.have && shingles >= SIMHASH_MIN_SHORT_SHINGLES;
  if (seq) {
    int r = update_entry(c, u, seq, &f);
    if (!r)
      r = set_source_link(c, u);
    if (!r)
      c->acc->updated_entries++;
    return r;
  }
  int64_t dup = 0, dup_time = 0;
  int r = store__find_duplicate(c, u, &f, &dup, &dup_time);
  if (r < 0)
    return r;
  if (dup) {
    r = insert_source(c, u, dup, dup_time);
    if (!r)
      c->acc->merged_duplicates++;
    return r;
  }
  r = insert_entry(c, u, &f);
  if (!r)
    c->acc->new_entries++;
  return r;
}

/* The key that finds an update again within its live blog: its stamp's time, else its
 * stamp, else its position; "-2", "-3" for later updates with the same key. (An update the
 * splitter dated differently this time keeps its old key: reuse_moved_keys.) */
static void update_key(const struct store_update *ups, size_t i, char out[48]) {
  const struct store_update *u = &ups[i];
  if (u->time)
    snprintf(out, 48, "t%" PRId64, u->time);
  else if (u->stamp)
    snprintf(out, 48, "s%016" PRIx64, hash64_bytes(u->stamp, strlen(u->stamp)));
  else
    snprintf(out, 48, "n%zu", i);
}

static int build_units(struct put_ctx *c, int64_t first_seen, const char *html,
                       const char *text, struct unit **ret, size_t *ret_n) {
  const struct store_item *it = c->item;
  size_t n = it->is_liveblog ? it->n_updates : 1;
  struct unit *units = calloc(n ? n : 1, sizeof *units);
  if (!units)
    return -ENOMEM;
  *ret = units;
  *ret_n = n;
  if (!it->is_liveblog) {
    struct unit *u = &units[0];
    u->time = it->has_published ? it->published : it->has_updated ? it->updated : first_seen;
    u->own_updated = it->has_updated ? it->updated : u->time;
    if (it->title && !(u->title = strdup(it->title)))
      return -ENOMEM;
    if (it->link && !(u->link = strdup(it->link)))
      return -ENOMEM;
    u->html = html;
    u->text = text;
    u->hash = unit_hash(u);
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    const struct store_update *up = &it->updates[i];
    struct unit *u = &units[i];
    update_key(it->updates, i, u->key);
    int same = 1; /* updates before this one with the same key, plus one */
    for (size_t k = 0; k < i; k++)
      if (units[k].base_len == strlen(u->key) &&
          strncmp(units[k].key, u->key, units[k].base_len) == 0)
        same++;
    u->base_len = strlen(u->key);
    if (same > 1)
      snprintf(u->key + u->base_len, sizeof u->key - u->base_len, "-%d", same);
    u->time = up->time ? up->time : it->has_published ? it->published
                                   : it->has_updated  ? it->updated
                                                      : first_seen;
    u->own_updated = u->time;
    u->stamp = up->stamp;
    char when[CIVIL_UTC_LEN];
    civil_format_utc(u->time, when);
    const char *label = up->stamp ? up->stamp : when;
    int r = up->title ? asprintf(&u->title, "%s", up->title)
            : it->title ? asprintf(&u->title, "%s \xe2\x80\x94 %s", it->title, label)
                        : asprintf(&u->title, "%s", label);
    if (r < 0) {
      u->title = NULL;
      return -ENOMEM;
    }
    if (up->link)
      r = asprintf(&u->link, "%s", up->link);
    else if (it->link && up->anchor && *up->anchor)
      r = asprintf(&u->link, "%s#%s", it->link, up->anchor);
    else if (it->link)
      r = asprintf(&u->link, "%s", it->link);
    if (r < 0) {
      u->link = NULL;
      return -ENOMEM;
    }
    u->html = up->html;
    u->text = up->text;
    u->hash = unit_hash(u);
  }
  return 0;
}

static void free_units(struct unit *units, size_t n) {
  for (size_t i = 0; units && i < n; i++) {
    free(units[i].title);
    free(units[i].link);
    free(units[i].link_key);
  }
  free(units);
}

/* An update this item already has: its key and its stamp as written. */
struct known_update {
  char *key;
  char *stamp;
  bool claimed; /* matched to an update of this poll */
};

static void free_known(struct known_update *k, size_t n) {
  for (size_t i = 0; k && i < n; i++) {
    free(k[i].key);
    free(k[i].stamp);
  }
  free(k);
}

static int load_known_updates(struct put_ctx *c, struct known_update **ret, size_t *ret_n) {
  *ret = NULL;
  *ret_n = 0;
  sqlite3_stmt *st = store_stmt(c->s, STMT_ITEM_UPDATES);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, c->item_id);
  size_t alloc = 0;
  int rc, r = 0;
  while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (*ret_n == alloc) {
      size_t na = alloc ? 2 * alloc : 32;
      struct known_update *nk = realloc(*ret, na * sizeof *nk);
      if (!nk) {
        r = -ENOMEM;
        break;
      }
      *ret = nk;
      alloc = na;
    }
    bool oom = false;
    struct known_update *k = &(*ret)[(*ret_n)++];
    k->key = store_column_strdup(st, 0, &oom);
    k->stamp = store_column_strdup(st, 1, &oom);
    k->claimed = false;
    if (oom || !k->key)
      r = -ENOMEM;
  }
  sqlite3_reset(st);
  if (r == 0 && rc != SQLITE_DONE)
    r = store_fail(c->s, rc, "saving feed %s", c->feed_name);
  else if (r == -ENOMEM)
    store_failf(c->s, r, "out of memory saving feed %s", c->feed_name);
  if (r < 0) {
    free_known(*ret, *ret_n);
    *ret = NULL;
    *ret_n = 0;
  }
  return r;
}

/* The splitter dates stamps from the post's date and the run of stamps, so when a live blog
 * grows (a "2245 GMT" after a post dated 21:30) the same updates may come back a day later.
 * An update whose time key is unknown takes the key of a known update with the same stamp
 * that no update of this poll claimed by its time, oldest first: it is that update, moved. */
static int reuse_moved_keys(struct put_ctx *c, struct unit *units, size_t n) {
  struct known_update *known;
  size_t n_known;
  int r = load_known_updates(c, &known, &n_known);
  if (r < 0 || n_known == 0)
    return r;
  bool *matched = calloc(n ? n : 1, sizeof *matched);
  if (!matched) {
    free_known(known, n_known);
    return store_failf(c->s, -ENOMEM, "out of memory saving feed %s", c->feed_name);
  }
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < n_known && !matched[i]; k++)
      if (strcmp(known[k].key, units[i].key) == 0)
        matched[i] = known[k].claimed = true;
  for (size_t i = 0; i < n; i++) {
    if (matched[i] || !units[i].stamp)
      continue;
    for (size_t k = 0; k < n_known; k++)
      if (!known[k].claimed && known[k].stamp && strcmp(known[k].stamp, units[i].stamp) == 0 &&
          strlen(known[k].key) < sizeof units[i].key) {
        snprintf(units[i].key, sizeof units[i].key, "%s", known[k].key);
        known[k].claimed = true;
        break;
      }
  }
  free(matched);
  free_known(known, n_known);
  return 0;
}

/* Gives each unit its link key. A live blog's updates all share its link, so theirs adds
 * the update key: the same update of the same live blog from two feeds is one entry. A
 * site's front page names no story (many feeds give it as every item's link). */
static int set_link_keys(const struct put_ctx *c, struct unit *units, size_t n) {
  if (!c->norm_link || url_is_site_root(c->norm_link))
    return 0;
  for (size_t i = 0; i < n; i++) {
    struct unit *u = &units[i];
    int r = u->key[0] ? asprintf(&u->link_key, "%s#%s", c->norm_link, u->key)
                      : asprintf(&u->link_key, "%s", c->norm_link);
    if (r < 0) {
      u->link_key = NULL;
      return -ENOMEM;
    }
  }
  return 0;
}

/* Writes the item row (its identity, fields and hash; not its body). */
static int write_item(struct put_ctx *c, const char *ident, bool found, uint64_t hash) {
  const struct store_item *it = c->item;
  sqlite3_stmt *st = store_stmt(c->s, found ? STMT_ITEM_UPDATE : STMT_ITEM_INSERT);
  if (!st)
    return -EIO;
  if (found)
    sqlite3_bind_int64(st, 1, c->item_id);
  else
    sqlite3_bind_int64(st, 1, c->feed_id);
  if (found)
    sqlite3_bind_int64(st, 2, c->feed_id);
  else
    store_bind_text(st, 2, ident);
  store_bind_text(st, 3, it->guid);
  store_bind_text(st, 4, it->link);
  store_bind_text(st, 5, c->norm_link);
  store_bind_text(st, 6, it->title);
  store_bind_text(st, 7, it->author);
  if (it->has_published)
    sqlite3_bind_int64(st, 8, it->published);
  if (it->has_updated)
    sqlite3_bind_int64(st, 9, it->updated);
  sqlite3_bind_int(st, 10, it->is_liveblog ? 1 : 0);
  /* items.content only marks a live item (NULL = tombstone): the body lives in its
   * entries, and a second copy here cost a third of the bytes written per item. */
  store_bind_text(st, 11, "");
  sqlite3_bind_int64(st, 12, (int64_t)hash);
  sqlite3_bind_int64(st, 13, c->now);
  int rc = store_step_done(st);
  if (rc != SQLITE_DONE)
    return store_fail(c->s, rc, "saving feed %s", c->feed_name);
  if (!found)
    c->item_id = sqlite3_last_insert_rowid(c->s->db);
  return 0;
}

/* An item that turned from ordinary into a live blog (or back) loses the entries of its
 * old kind, so the stream does not show it both ways. */
static int drop_other_kind(struct put_ctx *c) {
  sqlite3_stmt *st = store_stmt(c->s, STMT_ITEM_DROP_KIND);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, c->item_id);
  sqlite3_bind_int(st, 2, c->item->is_liveblog ? 1 : 0);
  int rc = store_step_done(st);
  if (rc == SQLITE_DONE) {
    if (!(st = store_stmt(c->s, STMT_ITEM_DROP_ORPHANS)))
      return -EIO;
    sqlite3_bind_int64(st, 1, c->item_id);
    rc = store_step_done(st);
  }
  return rc == SQLITE_DONE ? 0 : store_fail(c->s, rc, "saving feed %s", c->feed_name);
}

/* A live blog renamed ("Storm Ada – live" becomes "Storm Ada: the clean-up"): its updates,
 * including those no longer on the page, are found by the new title. */
static int retitle_updates(struct put_ctx *c) {
  sqlite3_stmt *st = store_stmt(c->s, STMT_ENTRY_SET_STORY);
  if (!st)
    return -EIO;
  sqlite3_bind_int64(st, 1, c->item_id);
  store_bind_text(st, 2, c->item->title);
  int rc = store_step_done(st);
  return rc == SQLITE_DONE ? 0 : store_fail(c->s, rc, "saving feed %s", c->feed_name);
}

/* The part of store_put_item that writes; runs inside a transaction. */
static int put_changed(struct put_ctx *c, const char *ident, bool found, bool was_liveblog,
                       int64_t first_seen, uint64_t hash) {
  const struct store_item *it = c->item;
  char *html = NULL, *text = NULL;
  struct unit *units = NULL;
  size_t n = 0;
  int r = store_dedupe_repeated_body(it->html, &html);
  if (!r)
    r = store_dedupe_repeated_body(it->text, &text);
  if (!r)
    r = write_item(c, ident, found, hash);
  if (!r && found && was_liveblog != it->is_liveblog)
    r = drop_other_kind(c);
  if (!r && found && it->is_liveblog && was_liveblog)
    r = retitle_updates(c);
  if (!r) {
    r = build_units(c, first_seen, html ? html : it->html, text ? text : it->text, &units, &n);
    if (!r && found && it->is_liveblog && was_liveblog)
      r = reuse_moved_keys(c, units, n);
    if (!r)
      r = set_link_keys(c, units, n);
    if (r == -ENOMEM)
      store_failf(c->s, r, "out of memory saving feed %s", c->feed_name);
  }
  for (size_t i = 0; !r && i < n; i++)
    r = put_unit(c, &units[i]);
  free_units(units, n);
  free(html);
  free(text);
  return r;
}

int store_put_item(struct store *s, int64_t feed_id, const struct store_item *item, int64_t now,
                   struct store_put_stats *acc) {
  struct store_put_stats ignored = {0};
  struct put_ctx c = {.s = s, .feed_id = feed_id, .item = item, .now = now,
                      .acc = acc ? acc : &ignored};
  char *ident = NULL;
  int r = feed_name(s, feed_id, &c.feed_name);
  if (!r)
    r = validate(s, c.feed_name, item);
  if (!r && item->link) {
    r = url_normalise(item->link, &c.norm_link);
    if (r == -E2BIG) {
      c.norm_link = NULL; /* too long to be a key: identify the item otherwise */
      r = 0;
    }
  }
  if (!r && !(ident = item_ident(item, c.norm_link)))
    r = -ENOMEM;
  if (r == -ENOMEM)
    store_failf(s, r, "out of memory saving feed %s", c.feed_name ? c.feed_name : "?");
  if (r < 0)
    goto out;
  snprintf(c.ident_hex, sizeof c.ident_hex, "%016" PRIx64, hash64_bytes(ident, strlen(ident)));
  uint64_t hash = item_hash(item);

  sqlite3_stmt *st = store_stmt(s, STMT_ITEM_FIND);
  if (!st) {
    r = -EIO;
    goto out;
  }
  sqlite3_bind_int64(st, 1, feed_id);
  store_bind_text(st, 2, ident);
  int rc = sqlite3_step(st);
  bool found = rc == SQLITE_ROW, was_liveblog = false;
  int64_t first_seen = now;
  if (found) {
    c.item_id = sqlite3_column_int64(st, 0);
    was_liveblog = sqlite3_column_int(st, 2) != 0;
    first_seen = sqlite3_column_int64(st, 3);
    if ((uint64_t)sqlite3_column_int64(st, 1) == hash) {
      sqlite3_reset(st);
      c.acc->unchanged++;
      goto out;
    }
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    r = store_fail(s, rc, "saving feed %s", c.feed_name);
    goto out;
  }
  bool own_tx = !s->in_tx;
  if (own_tx && (r = store_begin(s)) < 0)
    goto out;
  snprintf(s->tx_feed, sizeof s->tx_feed, "%s", c.feed_name);
  struct store_put_stats before = *c.acc;
  r = put_changed(&c, ident, found, was_liveblog, first_seen, hash);
  if (own_tx) {
    if (!r)
      r = store_commit(s);
    if (r < 0) {
      store_rollback(s);
      *c.acc = before; /* nothing of this item was kept */
    }
  }
out:
  free(ident);
  free(c.norm_link);
  free(c.feed_name);
  return r;
}
