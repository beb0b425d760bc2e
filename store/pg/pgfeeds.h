/* pgfeeds.h — feeds shared by several nodes: definitions, leases, per-host limits, results.
 *
 * Promise (on the tables of pgschema.h, each call one statement, so one transaction):
 *  - A feed is leased to at most one node at a time. pgfeeds_lease hands a node up to max due
 *    feeds (next_due <= now) whose lease is free or expired, each with one free slot of its
 *    host; rows another node is leasing at that moment are skipped (FOR UPDATE SKIP LOCKED),
 *    not waited for. Expiry is on the database's clock.
 *  - A host never has more live leases than its max_parallel, across all nodes: a lease
 *    occupies one of the host's max_parallel slot rows, locked while it is taken.
 *  - Only the holder of a live lease writes a feed's validators and schedule:
 *    pgfeeds_complete does it and releases the lease in one statement, and does nothing (count
 *    0) when the lease expired or another node holds it, so a slow node cannot undo a newer
 *    poll. A holder renews (pgfeeds_renew) before expiry or gives the fetch up: after expiry
 *    another node may poll the feed, and the host's slot is free again.
 * Cost: a lease statement ranks every due feed per host (a scan of the due feeds, whatever the
 * batch size); at tens of thousands of feeds that is the figure to watch.
 */
#ifndef BRAID_PGFEEDS_H
#define BRAID_PGFEEDS_H

#include <stddef.h>
#include <stdint.h>

#include "pgconn.h"

/* Longest node name (lease holder), feed name and host, in bytes. */
#define PGFEEDS_MAX_NAME_BYTES 255

/* A leased feed, as its holder needs it to poll. Strings are valid only during the callback
 * (NULL: none). */
struct pgfeeds_lease {
  int64_t id;
  const char *name;
  const char *url;      /* where to poll: a permanent redirect's target, else the feed's url */
  const char *etag;
  const char *last_modified;
  int64_t next_due;   /* Unix seconds */
  int error_count;    /* consecutive failures, for the backoff */
};

/* What a poll found, written by pgfeeds_complete. */
struct pgfeeds_result {
  const char *etag;           /* NULL: none */
  const char *last_modified;  /* NULL: none */
  const char *effective_url;  /* NULL: unchanged */
  int64_t next_due;           /* Unix seconds */
  int error_count;
  int last_status;            /* HTTP status, or a negative error */
};

/* status 0 and count: rows the statement touched (a feed's id for pgfeeds_upsert, leases
 * renewed, 1/0 for complete and release); else a pgconn error with message. */
typedef void (*pgfeeds_done_cb)(void *arg, int status, int64_t count, const char *message);
/* status 0 and the n feeds now leased to this node (n may be 0); else an error. */
typedef void (*pgfeeds_lease_cb)(void *arg, int status, const struct pgfeeds_lease *feeds,
                                 size_t n, const char *message);

/* Creates or updates the feed `name` (a feeds.d file), its lease row, its host with
 * max_parallel slots (1..BRAID_PG_MAX_HOST_SLOTS; the host's limit becomes this; slots above a
 * lowered limit go once free). A retired feed comes back. A changed url forgets the feed's
 * validators and redirect target (they belonged to the old address). count: the feed's id.
 * -EINVAL for a bad argument (nothing queued), else as pgconn_query. */
int pgfeeds_upsert(struct pgconn *c, const char *name, const char *url, const char *host,
                   unsigned max_parallel, pgfeeds_done_cb cb, void *arg);

/* Feeds.d is the list of feeds: retires every feed whose name is not among names (n of
 * them; none may hold a newline), so no node leases it again; its state stays, and an upsert
 * brings it back; n == 0 retires every feed. count: feeds retired. -EINVAL for a bad name, -E2BIG past
 * BRAID_PG_MAX_QUERY_BYTES, else as pgconn_query. */
int pgfeeds_retire_absent(struct pgconn *c, const char *const *names, size_t n,
                          pgfeeds_done_cb cb, void *arg);

/* Leases up to max (1..BRAID_PG_MAX_LEASE_BATCH) due feeds to holder for lease_s seconds
 * (BRAID_PG_MIN_LEASE_S..BRAID_PG_MAX_LEASE_S), oldest due first. */
int pgfeeds_lease(struct pgconn *c, const char *holder, unsigned max, unsigned lease_s,
                  pgfeeds_lease_cb cb, void *arg);

/* Extends every live lease of holder (and its slots) to now + lease_s; expired ones are not
 * revived. count: leases renewed. */
int pgfeeds_renew(struct pgconn *c, const char *holder, unsigned lease_s, pgfeeds_done_cb cb,
                  void *arg);

/* Writes r into feed id and releases its lease and slot, if holder's lease is live. count 1
 * when written, 0 when the lease was lost (nothing written). */
int pgfeeds_complete(struct pgconn *c, const char *holder, int64_t id,
                     const struct pgfeeds_result *r, pgfeeds_done_cb cb, void *arg);

/* Gives feed id back without a result (a node shutting down): due as it was, another node may
 * take it at once. count 1 when released, 0 when holder had no live lease on it. */
int pgfeeds_release(struct pgconn *c, const char *holder, int64_t id, pgfeeds_done_cb cb,
                    void *arg);

/* count: feeds not retired that are due now or leased (a poll in flight somewhere): 0 when
 * every feed has had its poll (`braid poll --once`). */
int pgfeeds_outstanding(struct pgconn *c, pgfeeds_done_cb cb, void *arg);

#endif
