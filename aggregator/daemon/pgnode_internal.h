/* pgnode_internal.h — what pgnode.c (leases, results, the connection) and pgreplay.c (the
 * log into the local store) share. Daemon-private; see pgnode.h for the promises. */
#ifndef BRAID_PGNODE_INTERNAL_H
#define BRAID_PGNODE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "loopctx.h"
#include "pgconn.h"
#include "pgfeeds.h"

/* Rows replayed per local transaction: one transaction on the loop, some 0.1 ms an entry. */
#define PGNODE_REPLAY_BATCH 200
/* The safety net behind NOTIFY (a notification lost with a connection). */
#define PGNODE_REPLAY_EVERY_MS 5000
/* How often a node with free places asks for due feeds. */
#define PGNODE_LEASE_EVERY_MS 1000
/* How long a stopping node waits for its fetched results to commit. */
#define PGNODE_STOP_GRACE_MS 3000
/* How often a node offers to prune the shared log (pgprune.c), and rows per statement. */
#define PGNODE_PRUNE_EVERY_MS (10 * 60 * 1000)
#define PGNODE_PRUNE_BATCH 2000
/* The source name of the watermark in the local store. */
#define PGNODE_SOURCE "postgresql"

/* A fetched poll's result waiting for its commit. */
struct pending {
  struct pending *next;
  struct pgnode *node;
  char *feed;
  int64_t id;
  struct pgfeeds_result r; /* its strings owned */
  int64_t polled_at;
  char *items;             /* JSON array */
  bool sent;               /* in flight: its callback will come */
  bool hold;               /* its live-blog page reads may still start (pagepoll.c) */
  unsigned pages;          /* page reads of this poll still running: sent once all ended */
};

struct pgnode {
  struct daemon *d;
  struct pgconn *conn;
  char holder[PGFEEDS_MAX_NAME_BYTES + 1];
  char where[512];          /* the connection string, redacted, for the log */
  bool connected, schema_ok, migrating, synced, stopping, conn_closing;
  bool leasing, renewing, syncing, sync_again;
  bool replaying, replay_again;
  bool once_checking, once_done; /* poll --once: asking whether all is polled; it is */
  bool pruning;             /* a round of prune statements in flight */
  int64_t prune_deleted;    /* rows the round deleted so far */
  unsigned prune_batches;
  bool behind;              /* the log was pruned past this replica's watermark */
  char behind_why[200];
  size_t sync_next;         /* the next feed to upsert */
  size_t held;              /* feeds leased here: polls in flight and results pending */
  struct pending *pending;  /* oldest first */
  int64_t watermark;        /* the last seq replayed into the local store */
  bool replay_failing;      /* the last replay could not write the local store */
  char down_why[256];       /* why the database is unreachable, "" while connected */
  uv_timer_t lease_timer, renew_timer, replay_timer, prune_timer;
  int open_handles;         /* the four timers and the connection, until each has closed */
};

/* The next batch of the log after n->watermark (or once more after the one in flight). */
void pgnode_replay(struct pgnode *n);
/* Logs a failed statement: what, its status and the server's or libpq's message. */
void pgnode_log_error(struct pgnode *n, int level, const char *what, int status,
                      const char *message);
/* `braid poll --once` (pgonce.c): a lease answered count feeds; the log replayed to its end
 * (a read found nothing more); the database is unreachable (the run ends, exit 1). */
void pgnode_once_leased(struct pgnode *n, size_t count);
void pgnode_once_replayed(struct pgnode *n);
void pgnode_once_unreachable(struct pgnode *n, const char *why);
/* Logs a statement the server refused; with poll --once, ends the run (exit 1). */
void pgnode_once_failed(struct pgnode *n, const char *what, int status, const char *message);
/* pgprune.c: one round of pruning the shared log, in batches; the log was pruned past this
 * replica (said once; /healthz 503; poll --once fails). */
void pgnode_prune_round(struct pgnode *n);
void pgnode_replica_behind(struct pgnode *n, const char *why);
/* Failures after which a statement did not run, or may not have: tried again later. */
bool pgnode_retry_later(int status);

#endif
