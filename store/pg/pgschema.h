/* pgschema.h — the schema of the state braid nodes share in PostgreSQL, and its migrations.
 *
 * Promise: the same rules as the SQLite store's (store/schema.c): numbered steps, each fixed
 * forever once released; a one-row table braid_schema holds the version; a database written by
 * a newer braid (a version above PGSCHEMA_VERSION) or in a state braid never leaves (several
 * rows, a version below 1, braid's tables without braid_schema) is refused with a message that
 * says so and is left untouched. A migration is one transaction (one multi-statement query)
 * that first takes a transaction-scoped advisory lock and re-checks the version, so nodes
 * starting together migrate once: the one that loses the race finds the work done.
 *
 * What version 1 holds — the feed state that moves between nodes:
 *   feeds        one row per feeds.d feed: URL, host, validators, schedule and backoff
 *   feed_leases  one row per feed: which node polls it (holder) until when (expires, on the
 *                database's clock); holder NULL when nobody does
 *   hosts        each host's politeness limit (max_parallel fetches across all nodes)
 *   host_slots   max_parallel rows per host: a fetch in progress occupies one (feed, holder,
 *                expires), so a host can never have more than max_parallel live leases
 * Version 2 adds the log of polled results (pglog.h):
 *   items_log         one row per item a poll found, in the order nodes replay them (seq)
 *   braid_log_append  the one writer of items_log: appends in seq order = commit order
 * Version 3 adds how far the log was pruned (pglog_prune):
 *   items_log_pruned  one row: upto_seq, the highest seq deleted (0: none)
 * Entries and the stream are each node's SQLite store, a replica replayed from items_log.
 */
#ifndef BRAID_PGSCHEMA_H
#define BRAID_PGSCHEMA_H

#include <stdint.h>

#include "pgconn.h"

#define PGSCHEMA_VERSION 3

/* status 0: the database is at PGSCHEMA_VERSION (from_version is the version this call found
 * first: 0 for a new database). Else -EPROTO (refused: message says why, nothing was changed),
 * or a pgconn error (-EIO with the server's message, -ECONNRESET, ...). */
typedef void (*pgschema_cb)(void *arg, int status, int from_version, const char *message);

/* Brings the database c is connected to up to PGSCHEMA_VERSION; cb runs exactly once when
 * this returns 0. Returns pgconn_query's refusal (-ENOTCONN, -ENOBUFS, ...) or -ENOMEM. */
int pgschema_migrate(struct pgconn *c, pgschema_cb cb, void *arg);

/* What pgschema_check found. Counts are 0 unless the version is current. */
struct pgschema_report {
  int version;                 /* found (0: no braid schema) */
  int64_t feeds;               /* not retired */
  int64_t feeds_without_lease; /* each should have its lease row */
  int64_t leases_without_slot; /* a live lease always holds one of its host's slots */
  int64_t hosts_over_limit;    /* hosts with more live slots than max_parallel */
  int64_t log_rows, log_max_seq;
  int64_t log_pruned_upto;     /* rows up to it were pruned: a replica below it missed them */
};
/* status 0: current and every invariant holds; -ESTALE: an older version or none (message
 * says to migrate); -EPROTO: refused as pgschema_migrate would; -EUCLEAN: an invariant broken
 * (the counts say which); or a pgconn error. */
typedef void (*pgschema_check_cb)(void *arg, int status, const struct pgschema_report *r,
                                  const char *message);

/* Reads the version and, when current, checks the invariants; changes nothing. */
int pgschema_check(struct pgconn *c, pgschema_check_cb cb, void *arg);

#endif
