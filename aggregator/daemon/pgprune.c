/* pgprune.c — a node's share of pruning the shared log. See pgnode.h.
 *
 * Why rows older than [stream] retention may go: every replica prunes the entries they made
 * once they are that old (an entry's first sight is its row's poll time), so a replica that
 * has replayed them loses nothing when they are deleted. The horizon is the database's clock
 * against each row's poll time, the same for every node. The log is cut only as a prefix
 * (pglog_prune), and how far is recorded, so a replica that had not replayed that far is
 * found (pglog_read's -ERANGE, `braid store check`) instead of silently missing rows.
 * Rows superseded by a later row of the same item are not deleted: the replay of the later row
 * would take its poll time as the item's first sight, and the streams would differ.
 * Any node may prune; the prune lock makes it one at a time, in short batches on the node's
 * connection (non-blocking, between its other statements), every PGNODE_PRUNE_EVERY_MS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pgnode.h"

#ifdef BRAID_HAVE_PG

#include "pglog.h"
#include "pgnode_internal.h"

static void prune_step(struct pgnode *n);

static void on_pruned(void *arg, int status, int64_t count, const char *message) {
  struct pgnode *n = arg;
  if (n->stopping) {
    n->pruning = false;
    return;
  }
  if (status < 0) {
    n->pruning = false;
    if (!pgnode_retry_later(status))
      pgnode_log_error(n, LOG_LEVEL_WARNING, "prune-log", status, message);
    return; /* the next round tries again */
  }
  n->prune_deleted += count;
  n->prune_batches++;
  if (count == PGNODE_PRUNE_BATCH) {
    prune_step(n);
    return;
  }
  n->pruning = false;
  if (n->prune_deleted)
    log_event(n->d->log, LOG_LEVEL_INFO, "pg", "log=pruned rows=%lld batches=%u retention=%llds",
              (long long)n->prune_deleted, n->prune_batches,
              (long long)n->d->cfg->stream_retention_s);
}

static void prune_step(struct pgnode *n) {
  if (pglog_prune(n->conn, n->d->cfg->stream_retention_s, PGNODE_PRUNE_BATCH, on_pruned, n) < 0)
    n->pruning = false;
}

void pgnode_prune_round(struct pgnode *n) {
  if (n->stopping || !n->connected || !n->schema_ok || n->pruning || n->d->once)
    return;
  n->pruning = true;
  n->prune_deleted = 0;
  n->prune_batches = 0;
  prune_step(n);
}

/* Said once, at error level: the node keeps serving what it has, and /healthz says 503;
 * poll --once ends with exit status 1. */
void pgnode_replica_behind(struct pgnode *n, const char *why) {
  if (n->behind)
    return;
  n->behind = true;
  snprintf(n->behind_why, sizeof n->behind_why, "%s", why);
  char text[300];
  log_event(n->d->log, LOG_LEVEL_ERR, "replay",
            "state=behind-pruned-log error=%s hint=\"this replica misses rows the shared log no "
            "longer holds: stop this node, replace its [store] path with a copy of a node that "
            "is level (sqlite3 ITS.db '.backup COPY.db'), start it again; braid store check "
            "tells which are level\"",
            log_value(text, sizeof text, why));
  if (n->d->once) {
    n->d->once_failed++;
    daemon_stop(n->d, "the replica is behind the pruned log");
  }
}

#endif
