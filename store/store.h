/* store.h — braid's memory: feeds, items and stream entries in one SQLite file.
 *
 * Promise: this is the only module that speaks SQL. Everything braid has read survives a
 * restart or a crash: a poll result is written in one transaction (store_begin ..
 * store_commit), so after a crash either all of a poll's items are there or none are. The
 * file is opened in WAL mode, so one writer (the daemon) and any number of readers
 * (`braid tail`, `braid export`) work at once without blocking each other.
 *
 * Entries are the unit of the merged stream (DESIGN.md, "The merged stream"): an ordinary
 * item is one entry, a live blog one entry per update. store_put_item turns items into
 * entries: it recognises an item it has seen before (same feed and guid, else same
 * normalised link, else same title and date), writes nothing when nothing changed, keeps
 * an entry's id when its content is edited, and merges the same story carried by several
 * feeds (same normalised link, the same update of the same live blog, or near-identical
 * text by SimHash within a week) into one entry with one source per feed, the first first.
 *
 * Errors: every call returns 0 or a negative errno-style code (-ENOSPC disk full, -EFBIG
 * file size limit, -EROFS read-only store, -EBUSY locked too long, -EIO damaged file or I/O
 * error, -ENOENT no such store, -EPROTO a store written by a newer braid or another
 * program's database, -ENOMEM, -EINVAL).
 * After a failure store_errmsg says what failed and names the store file (and the feed
 * where there is one), e.g. "store /var/lib/braid/braid.db: disk full while saving feed
 * ea-worldview". A failed write inside a transaction leaves the transaction to be rolled
 * back with store_rollback; what was committed before is untouched.
 *
 * Ownership: strings passed in are copied (or only read during the call); results are
 * owned by the caller and freed with the matching _clear function. A struct store is used
 * by one thread at a time.
 */
#ifndef BRAID_STORE_H
#define BRAID_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entry.h"

struct store;

/* The schema version this braid writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 11

enum store_open_flags {
  /* Opens an existing store for reading only: never creates, migrates or writes it
   * (`braid tail`). A missing file is -ENOENT, an older schema -EPROTO. */
  STORE_OPEN_READONLY = 1 << 0,
};

/* Opens (creating if needed, unless read-only) the store at path and brings its schema up
 * to date inside one transaction. A store written by a newer braid, or another program's
 * SQLite database, is refused with -EPROTO and left byte-for-byte unchanged; a read-only
 * file is refused with -EROFS unless STORE_OPEN_READONLY. On failure *ret is NULL and err
 * (if not NULL) holds the reason. */
int store_open(const char *path, unsigned flags, struct store **ret, char *err, size_t errlen);
/* Finalises every statement and closes the file. NULL is a no-op. */
void store_close(struct store *s);
/* The message of the last failure on s ("" if none). Owned by s, valid until the next call. */
const char *store_errmsg(const struct store *s);
/* The path the store was opened with. */
const char *store_path(const struct store *s);

/* ---- feeds ---------------------------------------------------------------------------- */

/* Finds the feed called name (the feeds.d file name) or adds it with url. An existing
 * feed whose configured url changed gets the new url, forgets its effective url and
 * validators (ETag, Last-Modified), since they belonged to the old address, and is no longer
 * retired. A retired feed ensured with the same url stays retired (it said 410 Gone). */
int store_feed_ensure(struct store *s, const char *name, const char *url, int64_t *ret_feed_id);

/* What the poller remembers about a feed between polls. Strings may be NULL. */
struct store_feed_state {
  char *url;           /* the configured url (read only: store_feed_ensure sets it) */
  char *etag;          /* ETag of the last 200 reply, for If-None-Match */
  char *last_modified; /* Last-Modified of the last 200 reply, for If-Modified-Since */
  char *effective_url; /* where a 301/308 moved the feed; poll this instead of url */
  char *title;         /* the feed's own title */
  char *site_url;      /* the feed's own <link> */
  int64_t next_due;    /* UTC seconds when the next poll is due */
  int64_t last_polled; /* UTC seconds of the last poll attempt, 0 never */
  int error_count;     /* consecutive failed polls, for backoff */
  int last_status;     /* HTTP status of the last poll, 0 none, negative a local error */
  bool retired;        /* a 410 Gone retired the feed: not polled any more */
};
/* Frees the strings; a zeroed state is fine. */
void store_feed_state_clear(struct store_feed_state *st);
/* -ENOENT if there is no feed called name. *ret is filled (caller clears it). */
int store_feed_get_state(struct store *s, const char *name, struct store_feed_state *ret);
/* Writes every field of st except url. -ENOENT if there is no feed called name. */
int store_feed_set_state(struct store *s, const char *name, const struct store_feed_state *st);

/* One feed as `braid feeds list --state` shows it (feedlist.c). */
struct store_feed_row {
  char *name;
  int64_t last_polled; /* UTC seconds, 0 never polled */
  int64_t next_due;    /* UTC seconds */
  int error_count;     /* consecutive failed polls */
  int last_status;     /* HTTP status of the last poll, 0 none, negative -enum fetch_outcome */
  bool retired;
  int64_t entries;     /* stream entries that name this feed as a source */
};
struct store_feed_rows {
  struct store_feed_row *rows; /* sorted by name */
  size_t n;
};
void store_feed_rows_clear(struct store_feed_rows *r);
/* Every feed the store knows (at most BRAID_CONFIG_MAX_FEEDS), by name. 0 or negative with
 * store_errmsg set; *ret is empty on failure. */
int store_feed_rows(struct store *s, struct store_feed_rows *ret);

struct store_name_list {
  char **names; /* feed names, soonest due first */
  size_t n;
};
void store_name_list_clear(struct store_name_list *l);
/* Names of the feeds not retired whose next_due <= before, soonest first, at most max. */
int store_feeds_due(struct store *s, int64_t before, size_t max, struct store_name_list *ret);

/* ---- one poll result, atomically ------------------------------------------------------ */

/* Everything stored between store_begin and store_commit becomes visible at once, or
 * (after store_rollback, a crash or a power cut) not at all. Without store_begin each
 * put is its own transaction. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* Group commit: between store_group_begin and store_group_commit, each store_begin ..
 * store_commit (or store_rollback) is a savepoint of one transaction, still kept or undone
 * whole, but nothing of the group is visible to other connections or survives a crash until
 * store_group_commit: several feeds' polls cost one commit. A failure that makes SQLite
 * roll back the whole transaction (disk full, I/O error) loses the group: store_group_commit
 * then fails with -EIO and the message says so. store_group_rollback undoes an open group
 * (nothing if none). */
int store_group_begin(struct store *s);
int store_group_commit(struct store *s);
void store_group_rollback(struct store *s);
/* Whether a group is open. */
bool store_group_open(const struct store *s);
/* Whether what store_commit just committed waits for store_group_commit: a savepoint of an
 * open group not yet lost. false: it was a transaction of its own, already durable. */
bool store_group_pending(const struct store *s);

/* One live-blog update, as the splitter found it. */
struct store_update {
  const char *stamp;  /* the stamp as written ("2120 GMT"), or NULL */
  int64_t time;       /* UTC seconds the stamp stands for, 0 unknown */
  const char *html;   /* the update's markup without its stamp */
  const char *text;   /* its plain text */
  const char *anchor; /* id of its element in the live blog's page, for link#anchor, or NULL */
  const char *title;  /* the update's own title (uptitle.h), or NULL: "blog title — stamp" */
  const char *link;   /* the update's own absolute URL, or NULL: the item's link#anchor */
};

/* One feed item as parsed. Strings may be NULL except where said. */
struct store_item {
  const char *guid, *link, *title, *author;
  const char *html; /* the item's body (content, else summary) */
  const char *text; /* its plain text, what near-duplicate detection compares */
  int64_t published, updated;
  bool has_published, has_updated;
  bool is_liveblog; /* if true the item's entries are its updates, not the item itself */
  const struct store_update *updates;
  size_t n_updates;
};

/* What store_put_item did, added to the caller's tally (for the poll log line). */
struct store_put_stats {
  int new_entries;       /* entries added to the stream */
  int updated_entries;   /* entries whose content changed (same id, new `updated`) */
  int unchanged;         /* items or updates seen before with nothing changed */
  int merged_duplicates; /* entries this feed carried that another feed had already */
};

/* Stores one item of feed_id as seen at `now` (UTC seconds); see the header comment for
 * what is an existing item, an edit and a duplicate. A body that holds its text twice in a
 * row is stored once (store_dedupe_repeated_body). acc may be NULL. An item over a cap of
 * bounds.h is refused with -E2BIG before anything is written (the poll may go on without
 * it); any other failure inside store_begin .. store_commit leaves the transaction to be
 * rolled back, and acc may then count what was rolled back. */
int store_put_item(struct store *s, int64_t feed_id, const struct store_item *item, int64_t now,
                   struct store_put_stats *acc);

/* ---- a replica's watermark (replica.c) ------------------------------------------------ */

/* How far this store has replayed the log of `source` (a node of several on PostgreSQL: see
 * aggregator/daemon/pgnode.c); 0 when it never did. */
int store_replica_get(struct store *s, const char *source, int64_t *ret_watermark);
/* Records it; inside the transaction that replayed up to it, so both commit or neither. */
int store_replica_set(struct store *s, const char *source, int64_t watermark);

/* Reads every page of the store (PRAGMA quick_check): 0 and "ok" in report, -EUCLEAN and the
 * first problem SQLite found, or another error (store_errmsg). */
int store_check(struct store *s, char *report, size_t size);

/* ---- live-blog pages (pagestate.c) ---------------------------------------------------- */

/* What braid remembers about one live blog's web page between reads. Strings may be NULL. */
struct store_page_state {
  char *page_url;       /* the feed item's link: the page read */
  char *guid;           /* the feed item's guid, so the page's updates replace that item */
  char *title;          /* the feed item's title: the blog's */
  int64_t published;    /* the feed item's date, 0 unknown */
  char *etag;           /* the page's ETag, for If-None-Match */
  char *last_modified;  /* the page's Last-Modified, for If-Modified-Since */
  int64_t live_until;   /* UTC seconds: the page is read again on the feed's schedule until then */
  int64_t last_fetched; /* UTC seconds of the last read, 0 never */
  int updates;          /* updates the page gave when last read; > 0: the page's entries stand
                           for the feed item, which the feed's polls then leave alone */
};
void store_page_state_clear(struct store_page_state *st);
/* -ENOENT when braid never recorded the page of feed_id at page_url. */
int store_page_get(struct store *s, int64_t feed_id, const char *page_url,
                   struct store_page_state *ret);
/* Inserts or replaces the state of st->page_url of feed_id. */
int store_page_set(struct store *s, int64_t feed_id, const struct store_page_state *st);
struct store_page_list {
  struct store_page_state *pages;
  size_t n;
};
void store_page_list_clear(struct store_page_list *l);
/* The pages of feed_id still live at now (live_until > now), at most max, newest first. */
int store_pages_live(struct store *s, int64_t feed_id, int64_t now, size_t max,
                     struct store_page_list *ret);

/* ---- stream queries: fill a stream_list (entry.h); clear it with stream_list_clear ---- */

/* The newest n entries of the merged stream, newest first (by time, then seq). */
int store_stream_newest(struct store *s, size_t n, struct stream_list *ret);
/* Entries with seq > after_seq, oldest first by seq, at most max: what a follower has not
 * printed yet. Seq only grows; an edited entry keeps its seq. */
int store_stream_after(struct store *s, int64_t after_seq, size_t max, struct stream_list *ret);
/* The newest n entries carried by the feed called feed_name, newest first. */
int store_stream_feed(struct store *s, const char *feed_name, size_t n, struct stream_list *ret);
/* The highest seq in the store (0 if empty): where a follower starts. */
int store_max_seq(struct store *s, int64_t *ret_seq);

/* ---- upkeep --------------------------------------------------------------------------- */

/* Deletes at most `batch` entries: those braid first stored before older_than (retention
 * counts from when braid read an entry, not from the story's own date, so a feed full of old
 * stories is kept as long as a new one), oldest first, and per feed the sources beyond its
 * newest max_per_feed by time (0 = no cap; an entry left with no source goes). Then returns
 * freed pages to the file system (incremental vacuum). Call repeatedly until *ret_deleted
 * < batch, so no single call holds the write lock long. */
int store_prune(struct store *s, int64_t older_than, size_t max_per_feed, size_t batch,
                size_t *ret_deleted);

/* PRAGMA data_version: changes when another connection commits, so a follower can check
 * cheaply whether to query again. */
int store_data_version(struct store *s, int64_t *ret);

/* Bytes of heap SQLite holds in this process, page caches included (sqlite3_memory_used):
 * bounded by the connections' cache_size, so it rises until the cache is full, then stays. */
int64_t store_sqlite_heap_bytes(void);

/* ---- WAL checkpoints (checkpoint.c) ------------------------------------------------------ */

/* A writer copies its WAL back into the database file (a checkpoint: two fdatasync calls,
 * tens of ms) in the commit that takes the WAL past BRAID_STORE_WAL_CHECKPOINT_PAGES. After
 * store_checkpoint_elsewhere(s, true) it leaves that to its owner, who runs store_checkpoint
 * off the loop when store_checkpoint_due says so; the commit then only finishes what those
 * left once the WAL passes BRAID_STORE_WAL_FINISH_PAGES (so that it can start over), and
 * truncates it past BRAID_STORE_WAL_MAX_PAGES. */
void store_checkpoint_elsewhere(struct store *s, bool elsewhere);
/* Whether the WAL has grown by BRAID_STORE_WAL_CHECKPOINT_PAGES since the last checkpoint
 * store_checkpoint_done reported (or since it was last reset). */
bool store_checkpoint_due(const struct store *s);
struct store_checkpoint_result {
  int wal_pages;    /* frames in the WAL when it ran */
  int copied_pages; /* of those, in the database file afterwards */
  char err[256];    /* why it failed */
};
/* Tells s that a store_checkpoint has run, with its result (so store_checkpoint_due is false
 * until the WAL grows again). */
void store_checkpoint_done(struct store *s, const struct store_checkpoint_result *r);
/* Whether the last checkpoint left frames behind (commits that came while it ran, or a
 * reader's snapshot): the WAL starts over from its beginning, instead of growing, only at a
 * write that begins after a checkpoint copied all of it. The owner runs one more, paced (it
 * is cheap: only those frames), until this is false. */
bool store_checkpoint_unfinished(const struct store *s);
/* A PASSIVE checkpoint of the store file at path, on a connection of its own that it opens
 * and closes: it writes no rows and touches no struct store, so it may run on another thread
 * while the writer writes (it copies committed pages only, and never waits for a lock). 0, or
 * an errno code with ret->err set. */
int store_checkpoint(const char *path, struct store_checkpoint_result *ret);

/* ---- helpers usable without a store --------------------------------------------------- */

/* If body holds one block of text twice in a row (a scraping or syndication artifact),
 * returns a newly allocated copy with the first copy and the blank space after it removed
 * (what came before and after the pair is kept) in *ret (caller frees); otherwise *ret is
 * NULL. The block must be at least 256 bytes and the two copies at least half the body.
 * 0 or -ENOMEM. */
int store_dedupe_repeated_body(const char *body, char **ret);

/* ---- a whole store read out as the polls that built it (copyread.c) ----------------------- */

/* An item whose entries were pruned: what the store keeps to know it again (strings may be
 * NULL but ident). */
struct store_tombstone {
  const char *ident, *guid, *link, *norm_link, *title, *author;
  int64_t published, updated;
  bool has_published, has_updated, is_liveblog;
  int64_t content_hash, first_seen, changed;
};
typedef int (*store_copy_tombstone_fn)(void *arg, const char *feed,
                                       const struct store_tombstone *t);

/* One version of an item, as seen by a poll at seen_at (strings valid during the call). */
typedef int (*store_copy_item_fn)(void *arg, const char *feed, int64_t seen_at,
                                  const struct store_item *item);
/* One live-blog page's state (strings valid during the call). */
typedef int (*store_copy_page_fn)(void *arg, const char *feed, const struct store_page_state *st);
/* In one read snapshot: tomb_fn for every pruned item the store still remembers (oldest
 * first); item_fn for every item not pruned, once per poll time at which its entries changed
 * (first seen, a live-blog update added, an entry edited), in the order the store first wrote
 * those entries, so that store_put_item of each, at seen_at, into an empty store (after
 * store_put_tombstone of the pruned ones) rebuilds the same entries, sources and dedupe; then
 * page_fn for every live-blog page. A callback's non-zero return stops the walk and is
 * returned; else 0 or an error (store_errmsg). */
int store_copy_read(struct store *s, store_copy_tombstone_fn tomb_fn, store_copy_item_fn item_fn,
                    store_copy_page_fn page_fn, void *arg);
/* Writes t as a pruned item of feed_id (copywrite.c), unless the feed has an item with its
 * identity already. */
int store_put_tombstone(struct store *s, int64_t feed_id, const struct store_tombstone *t);

#endif
