/* pgnode.h — `braid run` as one node of several on one PostgreSQL ([store] url).
 *
 * Promise: PostgreSQL is the shared source of truth as an ordered log of polled results;
 * this node's SQLite store ([store] path) is a read replica it fills by replaying that log
 * through store_put_item. So:
 *  - feeds.d is synced into the database at start and on every rescan (pgfeeds_upsert and
 *    pgfeeds_retire_absent); feeds are polled when this node holds their lease
 *    (pgfeeds_lease, renewed while fetching), never from the local schedule;
 *  - a poll's result (validators, schedule, items) is committed in one transaction, only while
 *    the lease is live (pglog_complete); until it is, the result stays in memory and is sent
 *    again after a reconnect; a result whose lease expired meanwhile is dropped (the next
 *    holder fetches with the validators the database still has, so nothing is lost);
 *  - live-blog pages are read by the node that polled the feed, and join its result;
 *  - the log is replayed on start, on each NOTIFY braid_log and on a timer, in seq order, in
 *    batches of one local transaction each that also records the watermark;
 *  - while the database is unreachable /healthz answers 503 and the log says so, once;
 *  - the log is pruned by [stream] retention, one node at a time (pgprune.c); a replica the
 *    pruning left behind is never replayed around the gap: said once, /healthz 503;
 *  - with `braid poll --once` (pgonce.c) the node polls until no feed is due or leased
 *    anywhere, replays the log to its end and stops; an unreachable database ends it at once.
 * Serving, named streams, tail -f and ETag read the local store as on a single node.
 * Without libpq at build time pgnode_start refuses with -ENOTSUP.
 */
#ifndef BRAID_PGNODE_H
#define BRAID_PGNODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest.h"
#include "loopctx.h"

/* Connects (in the background, with backoff), migrates the shared schema, syncs feeds.d and
 * starts leasing and replaying. 0, or negative with the reason logged. */
int pgnode_start(struct daemon *d);
/* Stops leasing, closes the connection and the node's handles (the loop finishes them);
 * results not yet committed are dropped, their leases expire. */
void pgnode_stop(struct daemon *d);
/* feeds.d changed: sync it into the database again. */
void pgnode_feeds_changed(struct daemon *d);
/* The validators to send for f's poll (its lease's). */
void pgnode_validators(const struct feed_rt *f, const char **etag, const char **last_modified);
/* f's fetched poll: its result is queued for pglog_complete; returns the next due time. The
 * batch's items are encoded (the batch itself stays the caller's). */
int64_t pgnode_poll_finished(struct daemon *d, struct feed_rt *f, struct ingest_batch *b,
                             const struct fetch_result *r, const struct sched_outcome *so,
                             int64_t now, const char *title, const char *site_url,
                             const char *etag, const char *last_modified);
/* Live-blog pages read after f's poll (pagepoll.c) join its result: pgnode_page_begin for each
 * page read started, pgnode_page_end when it ended with its log element (pgitem_encode_page,
 * taken; NULL: nothing to log), and pgnode_poll_pages_started once every read has started.
 * The result is committed when the last of them ended; the lease is renewed meanwhile. */
void pgnode_page_begin(struct daemon *d, const char *feed);
void pgnode_page_end(struct daemon *d, const char *feed, char *element);
void pgnode_poll_pages_started(struct daemon *d, struct feed_rt *f);
/* A poll of f ended (daemon_poll_done): a cancelled one gives its lease back; any frees a
 * place for the next lease. */
void pgnode_poll_ended(struct daemon *d, struct feed_rt *f, const struct poll_report *r);
/* 0 when the node is fit to serve; else negative with reason set (/healthz). */
int pgnode_health(struct daemon *d, char *reason, size_t reasonlen);

#endif
