/* pgonce.c — `braid poll --once` as a node of several on PostgreSQL. See pgnode.h.
 *
 * The run's polling, leases and commits are those of `braid run`; what differs is the end:
 * once no feed is due or leased anywhere (every feed had its poll, by this process or
 * another), the node replays the log to its end and stops. Waiting for the others' leases
 * rather than stopping when this node can lease nothing more is what makes each replica
 * whole: a feed another process polls at that moment is in the log before this one ends.
 * A database that cannot be reached ends the run at once with exit status 1.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "pgnode.h"

#ifdef BRAID_HAVE_PG

#include "pgnode_internal.h"

static void on_outstanding(void *arg, int status, int64_t count, const char *message) {
  struct pgnode *n = arg;
  n->once_checking = false;
  if (n->stopping || n->once_done)
    return;
  if (status < 0) {
    if (!pgnode_retry_later(status))
      pgnode_once_failed(n, "once-check", status, message);
    return; /* the lease timer asks again */
  }
  if (count > 0)
    return; /* others' polls in flight, or feeds due again: the lease timer asks again */
  n->once_done = true;
  log_event(n->d->log, LOG_LEVEL_INFO, "pg", "once=polled hint=\"no feed due or leased; "
            "replaying the log to its end\"");
  pgnode_replay(n);
}

/* A statement the server refused: asking again would only repeat it, so poll --once ends. */
void pgnode_once_failed(struct pgnode *n, const char *what, int status, const char *message) {
  pgnode_log_error(n, LOG_LEVEL_ERR, what, status, message);
  if (n->d->once && !n->stopping) {
    n->d->once_failed++;
    daemon_stop(n->d, "a statement failed");
  }
}

void pgnode_once_leased(struct pgnode *n, size_t count) {
  if (!n->d->once || count || n->held || n->pending || n->once_checking || n->once_done ||
      n->stopping)
    return;
  if (pgfeeds_outstanding(n->conn, on_outstanding, n) == 0)
    n->once_checking = true;
}

void pgnode_once_replayed(struct pgnode *n) {
  if (n->once_done && !n->stopping)
    daemon_stop(n->d, "done");
}

void pgnode_once_unreachable(struct pgnode *n, const char *why) {
  char text[300];
  log_event(n->d->log, LOG_LEVEL_ERR, "pg",
            "state=unreachable server=%s error=%s hint=\"braid poll --once does not wait for "
            "the database; its leases run out and a later poll takes the feeds\"",
            n->where, log_value(text, sizeof text, why));
  n->d->once_failed++;
  daemon_stop(n->d, "PostgreSQL unreachable");
}

#endif
