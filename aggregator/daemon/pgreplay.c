/* pgreplay.c — a node's replay of the shared log into its SQLite store. See pgnode.h.
 *
 * In seq order, a batch at a time, each batch one local transaction that also records the
 * watermark: a crash replays a batch again or not at all, never half of one or a gap. Every
 * row goes through store_put_item with the row's poll time as `now`, so every node makes the
 * same entries from the same rows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pgnode.h"

#ifdef BRAID_HAVE_PG

#include "pgitem.h"
#include "pglog.h"
#include "pgnode_internal.h"

/* *field becomes v when v is given and differs; *differs then says so. */
static int take(char **field, const char *v, bool *differs) {
  if (!v || (*field && !strcmp(*field, v)))
    return 0;
  char *copy = strdup(v);
  if (!copy)
    return -ENOMEM;
  free(*field);
  *field = copy;
  *differs = true;
  return 0;
}

/* A feed's title, site link and permanent address as its last logged poll saw them: the
 * stream names its sources with them. Only written when they differ, which is rare. */
static int replay_feed_meta(struct store *s, const char *feed, const struct pgitem *it) {
  if (!it->feed_title && !it->site_url && !it->feed_url)
    return 0;
  struct store_feed_state st = {0};
  int rc = store_feed_get_state(s, feed, &st);
  if (rc < 0)
    return rc;
  bool differs = false;
  rc = take(&st.title, it->feed_title, &differs);
  if (rc == 0)
    rc = take(&st.site_url, it->site_url, &differs);
  if (rc == 0)
    rc = take(&st.effective_url, it->feed_url, &differs);
  if (rc == 0 && differs)
    rc = store_feed_set_state(s, feed, &st);
  store_feed_state_clear(&st);
  return rc;
}

/* One row into the local store. A row this node cannot use (a feed its feeds.d lacks, an
 * item it cannot decode or the store refuses as over a cap) is skipped, counted and logged:
 * stopping the replay there would stop this node's stream for good. */
static int replay_row(struct pgnode *n, const struct pglog_row *row, struct store_put_stats *ps,
                      unsigned *skipped) {
  struct daemon *d = n->d;
  struct feed_rt *f = daemon_find_feed(d, row->feed);
  char err[256], name[128], why[512];
  if (!f) {
    (*skipped)++;
    log_event(d->log, LOG_LEVEL_WARNING, "replay",
              "seq=%lld feed=%s result=skipped reason=\"not in this node's feeds.d\"",
              (long long)row->seq, log_value(name, sizeof name, row->feed));
    return 0;
  }
  struct pgitem it;
  int rc = pgitem_decode(row->item, &it, err, sizeof err);
  if (rc == -EINVAL) {
    (*skipped)++;
    log_event(d->log, LOG_LEVEL_WARNING, "replay", "seq=%lld feed=%s result=skipped error=%s",
              (long long)row->seq, log_value(name, sizeof name, row->feed),
              log_value(why, sizeof why, err));
    return 0;
  }
  if (rc < 0)
    return rc;
  rc = it.has_item ? store_put_item(d->store, f->feed_id, &it.item, row->polled_at, ps) : 0;
  if (rc == -E2BIG) {
    (*skipped)++;
    log_event(d->log, LOG_LEVEL_WARNING, "replay", "seq=%lld feed=%s result=skipped error=%s",
              (long long)row->seq, log_value(name, sizeof name, row->feed),
              log_value(why, sizeof why, store_errmsg(d->store)));
    rc = 0;
  }
  if (rc == 0 && it.has_tomb)
    rc = store_put_tombstone(d->store, f->feed_id, &it.tomb);
  if (rc == 0 && it.has_page)
    rc = store_page_set(d->store, f->feed_id, &it.page);
  if (rc == 0)
    rc = replay_feed_meta(d->store, f->def.name, &it);
  pgitem_clear(&it);
  return rc;
}

static void replay_store_health(struct pgnode *n, bool failing) {
  daemon_log_store_state(n->d, "replay", n->replay_failing, failing);
  n->replay_failing = failing;
}

static void on_log_read(void *arg, int status, const struct pglog_row *rows, size_t count,
                        const char *message) {
  struct pgnode *n = arg;
  struct daemon *d = n->d;
  n->replaying = false;
  if (n->stopping)
    return;
  if (status == -ERANGE) {
    pgnode_replica_behind(n, message);
    return;
  }
  if (status < 0) {
    if (!pgnode_retry_later(status))
      pgnode_log_error(n, LOG_LEVEL_WARNING, "read-log", status, message);
    return; /* the timer or the next NOTIFY tries again */
  }
  if (count == 0) {
    if (n->replay_again) {
      n->replay_again = false;
      pgnode_replay(n);
    } else {
      pgnode_once_replayed(n);
    }
    return;
  }
  struct store_put_stats ps = {0};
  unsigned skipped = 0;
  uint64_t t0 = uv_hrtime();
  int rc = store_begin(d->store);
  for (size_t i = 0; rc == 0 && i < count; i++)
    rc = replay_row(n, &rows[i], &ps, &skipped);
  if (rc == 0)
    rc = store_replica_set(d->store, PGNODE_SOURCE, rows[count - 1].seq);
  if (rc == 0)
    rc = store_commit(d->store);
  if (rc < 0) {
    store_rollback(d->store);
    replay_store_health(n, true);
    return; /* the same rows again at the next timer */
  }
  replay_store_health(n, false);
  n->watermark = rows[count - 1].seq;
  log_event(d->log, LOG_LEVEL_DEBUG, "replay",
            "rows=%zu to_seq=%lld new_entries=%d updated_entries=%d skipped=%u ms=%llu", count,
            (long long)n->watermark, ps.new_entries, ps.updated_entries, skipped,
            (unsigned long long)((uv_hrtime() - t0) / 1000000));
  daemon_entries_saved(d, ps.new_entries, ps.updated_entries);
  daemon_export_soon(d);
  /* poll --once reads until a read finds nothing: then the replica is level with the log. */
  if (count == PGNODE_REPLAY_BATCH || n->replay_again || n->once_done) {
    n->replay_again = false;
    pgnode_replay(n);
  }
}

void pgnode_replay(struct pgnode *n) {
  if (n->stopping || !n->connected || !n->schema_ok)
    return;
  if (n->replaying) {
    n->replay_again = true; /* a NOTIFY during a read: read once more after it */
    return;
  }
  if (pglog_read(n->conn, n->watermark, PGNODE_REPLAY_BATCH, on_log_read, n) == 0)
    n->replaying = true;
}

#endif
