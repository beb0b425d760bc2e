/* pglog.h — the log of polled results that several braid nodes share (pgschema version 2).
 *
 * Promise: PostgreSQL holds what every poll found as one ordered log (items_log); each node
 * replays it, in seq order, into its own SQLite store, so every node's stream is built by the
 * same code from the same input in the same order.
 *  - pglog_complete is pgfeeds_complete and the append of the poll's items in ONE statement,
 *    so one transaction: the items are logged if and only if the holder's lease was live and
 *    the feed's validators and schedule were written with them (a 304 for items never logged
 *    cannot happen). On commit the nodes LISTENing on PGLOG_CHANNEL hear of it.
 *  - The committed rows of items_log are always a prefix of seq order (braid_log_append
 *    serialises appenders), so a reader that keeps the highest seq it replayed as its
 *    watermark never misses a row and never needs one twice.
 *  - pglog_read answers at most max rows: every result libpq buffers is bounded.
 */
#ifndef BRAID_PGLOG_H
#define BRAID_PGLOG_H

#include <stddef.h>
#include <stdint.h>

#include "pgconn.h"
#include "pgfeeds.h"

/* The channel braid_log_append notifies once its transaction commits. */
#define PGLOG_CHANNEL "braid_log"

/* Writes r into feed id, releases holder's lease on it and appends items_json (a JSON array,
 * one element per item, in the order the node must replay them; "[]" for none) under the
 * feed's name and polled_at, all in one transaction, if holder's lease is live. count 1 when
 * written, 0 when the lease was lost (nothing written: another node polls the feed). -EINVAL
 * for a bad argument, -E2BIG when the items exceed BRAID_PG_MAX_QUERY_BYTES, else as
 * pgconn_query. */
int pglog_complete(struct pgconn *c, const char *holder, int64_t id,
                   const struct pgfeeds_result *r, int64_t polled_at, const char *items_json,
                   pgfeeds_done_cb cb, void *arg);

/* One row of the log; strings valid only during the callback. */
struct pglog_row {
  int64_t seq;
  const char *feed;   /* the feeds.d name */
  int64_t polled_at;  /* Unix seconds */
  const char *item;   /* the item, JSON text */
};
/* status 0 and up to max rows in seq order (n 0: nothing after after_seq); else an error. */
typedef void (*pglog_read_cb)(void *arg, int status, const struct pglog_row *rows, size_t n,
                              const char *message);

/* The rows after after_seq, oldest first, at most max (1..BRAID_PG_MAX_LOG_BATCH). Status
 * -ERANGE (message says how far) when the log was pruned past after_seq: rows this reader
 * never saw are gone, and it must not carry on as if it had them. */
int pglog_read(struct pgconn *c, int64_t after_seq, unsigned max, pglog_read_cb cb, void *arg);

/* The advisory lock that lets one node at a time prune the log. */
#define PGLOG_PRUNE_LOCK "7263651803"

/* Deletes, in one transaction, at most max (1..BRAID_PG_MAX_PRUNE_BATCH) rows of the log's
 * prefix polled more than retention_s seconds before the database's clock, and records the
 * highest seq deleted (items_log_pruned), which pglog_read holds every later reader to. count:
 * rows deleted (0 also when another node holds the prune lock); call again while it is max. */
int pglog_prune(struct pgconn *c, int64_t retention_s, unsigned max, pgfeeds_done_cb cb,
                void *arg);

#endif
