/* pgnode.c — one node of several on one PostgreSQL. See pgnode.h.
 *
 * Why a log replayed into each node's SQLite store, rather than the stream itself in
 * PostgreSQL: the store's dedupe, live-blog merging, retention and every reader (serve, tail,
 * search, export) stay the one tested implementation, and they are deterministic: every node
 * replays the same rows in the same order with the same `now` (the row's polled_at), so every
 * node builds the same stream, and two nodes that polled look-alike items are reconciled by
 * the same dedupe on every node instead of racing at insert time.
 */
#include "pgnode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "log.h"

#ifndef BRAID_HAVE_PG

int pgnode_start(struct daemon *d) {
  log_event(d->log, LOG_LEVEL_ERR, "pg",
            "error=\"[store] url is set but this braid was built without PostgreSQL (libpq)\"");
  return -ENOTSUP;
}
void pgnode_stop(struct daemon *d) { (void)d; }
void pgnode_feeds_changed(struct daemon *d) { (void)d; }
void pgnode_validators(const struct feed_rt *f, const char **etag, const char **last_modified) {
  *etag = f->pg.etag;
  *last_modified = f->pg.last_modified;
}
int64_t pgnode_poll_finished(struct daemon *d, struct feed_rt *f, struct ingest_batch *b,
                             const struct fetch_result *r, const struct sched_outcome *so,
                             int64_t now, const char *title, const char *site_url,
                             const char *etag, const char *last_modified) {
  return now + f->interval_s;
}
void pgnode_poll_ended(struct daemon *d, struct feed_rt *f, const struct poll_report *r) {}
void pgnode_page_begin(struct daemon *d, const char *feed) {}
void pgnode_page_end(struct daemon *d, const char *feed, char *element) { free(element); }
void pgnode_poll_pages_started(struct daemon *d, struct feed_rt *f) {}
int pgnode_health(struct daemon *d, char *reason, size_t reasonlen) { return 0; }

#else

#include "pgconn.h"
#include "pgfeeds.h"
#include "pgitem.h"
#include "pglog.h"
#include "pgschema.h"

#include "pgnode_internal.h"

static void lease_more(struct pgnode *n);
static void sync_step(struct pgnode *n);

static void pending_free(struct pending *p) {
  free(p->feed);
  free((char *)p->r.etag);
  free((char *)p->r.last_modified);
  free((char *)p->r.effective_url);
  free(p->items);
  free(p);
}

void pgnode_log_error(struct pgnode *n, int level, const char *what, int status,
                      const char *message) {
  char why[600];
  log_event(n->d->log, level, "pg", "what=%s status=%d error=%s", what, status,
            log_value(why, sizeof why, message && *message ? message : strerror(-status)));
}

static void maybe_free(struct pgnode *n) {
  if (n->stopping && n->conn_closing && n->open_handles == 0 && !n->pending) {
    n->d->pg = NULL;
    free(n);
  }
}

/* ---- results: committed with their lease, kept until then ------------------------------------ */

/* Failures after which the statement did not run, or may not have: sent again once the
 * connection is back. A repeat that finds the lease already released writes nothing. */
bool pgnode_retry_later(int status) {
  return status == -ENOTCONN || status == -ECONNRESET || status == -ETIMEDOUT ||
         status == -ENOBUFS;
}

static void unlink_pending(struct pgnode *n, struct pending *p) {
  for (struct pending **pp = &n->pending; *pp; pp = &(*pp)->next)
    if (*pp == p) {
      *pp = p->next;
      return;
    }
}

/* The feed's lease is over here (committed, lost, or given back). */
static void lease_forget(struct feed_rt *f) {
  f->pg.held = false;
  free(f->pg.etag);
  free(f->pg.last_modified);
  f->pg.etag = f->pg.last_modified = NULL;
}

static void lease_done(struct pgnode *n, const char *feed) {
  struct feed_rt *f = daemon_find_feed(n->d, feed);
  if (f && f->pg.held)
    lease_forget(f);
  if (n->held > 0)
    n->held--;
}

static void close_conn(struct pgnode *n);

static void on_completed(void *arg, int status, int64_t count, const char *message) {
  struct pending *p = arg;
  struct pgnode *n = p->node;
  p->sent = false;
  if (!n->stopping && pgnode_retry_later(status))
    return; /* kept: sent again when the connection is back (on_state) */
  char name[128];
  log_value(name, sizeof name, p->feed);
  if (status < 0) {
    pgnode_log_error(n, n->stopping ? LOG_LEVEL_INFO : LOG_LEVEL_ERR, "commit-poll", status, message);
    log_event(n->d->log, LOG_LEVEL_WARNING, "pg",
              "feed=%s result=dropped hint=\"its lease expires and a node polls it again\"",
              name);
  } else if (count == 0) {
    log_event(n->d->log, LOG_LEVEL_WARNING, "pg",
              "feed=%s result=lease-lost hint=\"held past [store] lease; another node polls it\"",
              name);
  } else {
    log_event(n->d->log, LOG_LEVEL_DEBUG, "pg", "feed=%s result=committed", name);
  }
  lease_done(n, p->feed);
  unlink_pending(n, p);
  pending_free(p);
  if (n->stopping && !n->pending)
    close_conn(n); /* the last result the stop waited for */
  if (n->stopping)
    maybe_free(n);
  else
    lease_more(n);
}

static void send_pending(struct pgnode *n) {
  struct pending *next;
  for (struct pending *p = n->pending; p && n->connected; p = next) {
    next = p->next;
    if (p->sent || p->hold || p->pages)
      continue;
    int rc = pglog_complete(n->conn, n->holder, p->id, &p->r, p->polled_at, p->items,
                            on_completed, p);
    if (rc == 0) {
      p->sent = true;
    } else if (!pgnode_retry_later(rc)) {
      /* Refused before it was sent (an argument over a cap): it can never commit. */
      pgnode_log_error(n, LOG_LEVEL_ERR, "commit-poll", rc, p->feed);
      lease_done(n, p->feed);
      unlink_pending(n, p);
      pending_free(p);
    }
  }
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

int64_t pgnode_poll_finished(struct daemon *d, struct feed_rt *f, struct ingest_batch *b,
                             const struct fetch_result *r, const struct sched_outcome *so,
                             int64_t now, const char *title, const char *site_url,
                             const char *etag, const char *last_modified) {
  struct pgnode *n = d->pg;
  struct sched_state ss = {.next_due = f->pg.next_due,
                           .errors = (unsigned)(f->pg.errors > 0 ? f->pg.errors : 0)};
  int64_t next = sched_after_poll(&ss, f->interval_s, so, now, &d->rng);
  struct pending *p = calloc(1, sizeof *p);
  bool fetched_ok = so->kind == SCHED_OK;
  /* After a 200 the response's validators; otherwise the ones the feed had. */
  const char *et = fetched_ok ? etag : f->pg.etag;
  const char *lm = fetched_ok ? last_modified : f->pg.last_modified;
  const char *perm = r->headers->permanent_url;
  size_t cut = 0;
  int rc = p ? 0 : -ENOMEM;
  if (rc == 0) {
    *p = (struct pending){.node = n, .feed = strdup(f->def.name), .id = f->pg.id,
                          .polled_at = now, .hold = true};
    p->r = (struct pgfeeds_result){
        .etag = dup_or_null(et), .last_modified = dup_or_null(lm),
        .effective_url = perm && strcmp(perm, f->def.url) ? strdup(perm) : NULL,
        .next_due = next, .error_count = (int)ss.errors,
        .last_status = r->status ? (int)r->status : -(int)r->outcome};
    if (fetched_ok && r->outcome == FETCH_OK)
      rc = pgitem_encode(b, now, title, site_url, p->r.effective_url, &p->items, &cut);
    else
      p->items = strdup("[]");
    if (rc == 0 && (!p->feed || !p->items || (et && !p->r.etag) || (lm && !p->r.last_modified)))
      rc = -ENOMEM;
  }
  char name[128];
  log_value(name, sizeof name, f->def.name);
  if (rc < 0) {
    /* Without memory the poll is given up: the lease expires and the feed is polled again. */
    log_event(d->log, LOG_LEVEL_ERR, "pg", "feed=%s result=dropped error=%s", name,
              strerror(-rc));
    if (p)
      pending_free(p);
    lease_done(n, f->def.name);
    return next;
  }
  if (cut)
    log_event(d->log, LOG_LEVEL_WARNING, "cut",
              "feed=%s items_left_out=%zu reason=\"over the shared log's statement size\"", name,
              cut);
  lease_forget(f); /* the pending entry holds the lease from here */
  struct pending **tail = &n->pending;
  while (*tail)
    tail = &(*tail)->next;
  *tail = p;
  send_pending(n);
  return next;
}

/* The result of feed's poll that its page reads join: not yet sent, so at most one. */
static struct pending *waiting_for_pages(struct pgnode *n, const char *feed) {
  for (struct pending *p = n ? n->pending : NULL; p; p = p->next)
    if ((p->hold || p->pages) && !strcmp(p->feed, feed))
      return p;
  return NULL;
}

void pgnode_poll_pages_started(struct daemon *d, struct feed_rt *f) {
  struct pending *p = waiting_for_pages(d->pg, f->def.name);
  if (!p)
    return;
  p->hold = false;
  if (!p->pages)
    send_pending(d->pg);
}

void pgnode_page_begin(struct daemon *d, const char *feed) {
  struct pending *p = waiting_for_pages(d->pg, feed);
  if (p)
    p->pages++;
}

/* Appends element to the array p->items, unless that would pass what one statement carries. */
static int append_element(struct pending *p, const char *element) {
  size_t have = strlen(p->items), add = strlen(element);
  if (have + add + 2 > BRAID_PG_MAX_QUERY_BYTES - 64 * 1024)
    return -E2BIG;
  char *items = realloc(p->items, have + add + 2);
  if (!items)
    return -ENOMEM;
  /* "[...]" becomes "[...,element]" ("[element]" when it was empty). */
  items[have - 1] = have > 2 ? ',' : '\0';
  if (have == 2)
    items[1] = '\0', have = 1;
  memcpy(items + have, element, add);
  items[have + add] = ']';
  items[have + add + 1] = '\0';
  p->items = items;
  return 0;
}

void pgnode_page_end(struct daemon *d, const char *feed, char *element) {
  struct pgnode *n = d->pg;
  struct pending *p = waiting_for_pages(n, feed);
  if (p && element) {
    int rc = append_element(p, element);
    if (rc < 0) {
      char name[128];
      log_event(d->log, LOG_LEVEL_WARNING, "page", "feed=%s result=left-out error=%s",
                log_value(name, sizeof name, feed), strerror(-rc));
    }
  }
  free(element);
  if (!p || !p->pages)
    return;
  if (--p->pages == 0 && !p->hold)
    send_pending(n);
}

/* ---- leases ------------------------------------------------------------------------------------ */

static void on_released(void *arg, int status, int64_t count, const char *message) {
  struct pgnode *n = arg;
  if (status < 0 && !n->stopping)
    pgnode_log_error(n, LOG_LEVEL_WARNING, "release", status, message);
  /* At stop, the last lease given back lets the connection go. */
  if (n->stopping && !n->conn_closing && !n->pending && pgconn_queued(n->conn) == 0)
    close_conn(n);
}

static void release(struct pgnode *n, int64_t id) {
  if (n->connected)
    pgfeeds_release(n->conn, n->holder, id, on_released, n);
}

void pgnode_validators(const struct feed_rt *f, const char **etag, const char **last_modified) {
  *etag = f->pg.etag;
  *last_modified = f->pg.last_modified;
}

void pgnode_poll_ended(struct daemon *d, struct feed_rt *f, const struct poll_report *r) {
  struct pgnode *n = d->pg;
  if (!n)
    return;
  if (r->cancelled && f->pg.held) {
    release(n, f->pg.id);
    lease_done(n, f->def.name);
  }
  if (!n->stopping)
    lease_more(n);
}

static int start_leased(struct pgnode *n, const struct pgfeeds_lease *l) {
  struct daemon *d = n->d;
  struct feed_rt *f = daemon_find_feed(d, l->name);
  if (!f || f->job || f->pg.held || f->removed)
    return -EBUSY;
  /* Where the database says to poll (a permanent redirect's target, which the validators
   * came from); without memory the configured URL still redirects there. */
  if (l->url && strcmp(l->url, f->poll_url)) {
    char *url = strdup(l->url);
    if (url && sched_queue_set_url(d->queue, f->def.name, url) == 0) {
      free(f->poll_url);
      f->poll_url = url;
    } else {
      free(url);
    }
  }
  lease_forget(f);
  f->pg = (struct feed_pg_lease){.held = true, .id = l->id, .etag = dup_or_null(l->etag),
                                 .last_modified = dup_or_null(l->last_modified),
                                 .errors = l->error_count, .next_due = l->next_due};
  n->held++;
  int rc = poll_start(d, f, daemon_poll_done);
  if (rc < 0) {
    char name[128];
    log_event(d->log, LOG_LEVEL_ERR, "poll", "feed=%s result=not-started error=%s",
              log_value(name, sizeof name, f->def.name), strerror(-rc));
    lease_done(n, f->def.name);
  }
  return rc;
}

static void on_leased(void *arg, int status, const struct pgfeeds_lease *feeds, size_t count,
                      const char *message) {
  struct pgnode *n = arg;
  n->leasing = false;
  if (status < 0) {
    if (!n->stopping && !pgnode_retry_later(status) && n->d->once)
      pgnode_once_failed(n, "lease", status, message);
    else if (!n->stopping && !pgnode_retry_later(status))
      pgnode_log_error(n, LOG_LEVEL_WARNING, "lease", status, message);
    return;
  }
  for (size_t i = 0; i < count; i++) {
    if (n->stopping || start_leased(n, &feeds[i]) < 0)
      release(n, feeds[i].id);
  }
  pgnode_once_leased(n, count);
}

static void lease_more(struct pgnode *n) {
  struct daemon *d = n->d;
  unsigned limit = d->cfg->poll_concurrency;
  if (n->stopping || !n->connected || !n->synced || n->leasing || n->held >= limit ||
      n->once_done ||
      pgconn_queued(n->conn) > BRAID_PG_MAX_QUEUED / 2)
    return;
  size_t want = limit - n->held;
  if (want > BRAID_PG_MAX_LEASE_BATCH)
    want = BRAID_PG_MAX_LEASE_BATCH;
  int rc = pgfeeds_lease(n->conn, n->holder, (unsigned)want, (unsigned)d->cfg->store_lease_s,
                         on_leased, n);
  if (rc == 0)
    n->leasing = true;
}

/* Also the retry of results pgconn's full queue refused (-ENOBUFS). */
static void on_lease_timer(uv_timer_t *t) {
  send_pending(t->data);
  lease_more(t->data);
}

static void on_renewed(void *arg, int status, int64_t count, const char *message) {
  struct pgnode *n = arg;
  n->renewing = false;
  if (status < 0 && !n->stopping && !pgnode_retry_later(status))
    pgnode_log_error(n, LOG_LEVEL_WARNING, "renew", status, message);
}

/* Leases are renewed for polls in flight and for results not yet committed: a slow fetch or
 * a short outage of the database should not hand the feed to another node. */
static void on_renew_timer(uv_timer_t *t) {
  struct pgnode *n = t->data;
  if (n->held == 0 || !n->connected || n->renewing)
    return;
  if (pgfeeds_renew(n->conn, n->holder, (unsigned)n->d->cfg->store_lease_s, on_renewed, n) == 0)
    n->renewing = true;
}

/* ---- feeds.d into the database ------------------------------------------------------------------- */

static void on_retired(void *arg, int status, int64_t count, const char *message) {
  struct pgnode *n = arg;
  n->syncing = false;
  if (status < 0) {
    if (!n->stopping)
      pgnode_once_failed(n, "sync-feeds", status, message);
    return; /* tried again on reconnect (on_state) */
  }
  if (!n->synced || count)
    log_event(n->d->log, LOG_LEVEL_INFO, "pg", "synced=true feeds=%zu retired=%lld",
              n->d->n_rt, (long long)count);
  n->synced = true;
  if (n->sync_again) {
    n->sync_again = false;
    n->sync_next = 0;
    sync_step(n);
    return;
  }
  lease_more(n);
}

static void on_upserted(void *arg, int status, int64_t count, const char *message) {
  struct pgnode *n = arg;
  if (status < 0) {
    n->syncing = false;
    if (!n->stopping)
      pgnode_once_failed(n, "sync-feeds", status, message); /* run: again on reconnect */
    return;
  }
  n->sync_next++;
  sync_step(n);
}

/* One upsert at a time: feeds.d may hold more feeds than pgconn queues. */
static void sync_step(struct pgnode *n) {
  struct daemon *d = n->d;
  n->syncing = true;
  while (n->sync_next < d->n_rt) {
    struct feed_rt *f = d->rt[n->sync_next];
    char *host = sched_url_host(f->def.url);
    if (!host) {
      n->syncing = false;
      return;
    }
    /* pgfeeds wants a host name; file:// feeds share one politeness key. */
    int rc = pgfeeds_upsert(n->conn, f->def.name, f->def.url, *host ? host : "-",
                            d->cfg->poll_per_host, on_upserted, n);
    free(host);
    if (rc == 0)
      return;
    if (rc != -EINVAL) {
      n->syncing = false;
      return;
    }
    char name[128];
    log_event(d->log, LOG_LEVEL_WARNING, "pg", "feed=%s result=not-shared reason=\"name or URL "
              "over the database's caps\"", log_value(name, sizeof name, f->def.name));
    n->sync_next++;
  }
  const char **names = d->n_rt ? calloc(d->n_rt, sizeof *names) : NULL;
  if (d->n_rt && !names) {
    n->syncing = false;
    return;
  }
  for (size_t i = 0; i < d->n_rt; i++)
    names[i] = d->rt[i]->def.name;
  int rc = pgfeeds_retire_absent(n->conn, names, d->n_rt, on_retired, n);
  free(names);
  if (rc < 0) {
    n->syncing = false;
    pgnode_log_error(n, LOG_LEVEL_ERR, "sync-feeds", rc, "retiring feeds absent from feeds.d");
  }
}

void pgnode_feeds_changed(struct daemon *d) {
  struct pgnode *n = d->pg;
  if (!n || n->stopping || !n->schema_ok || !n->connected)
    return;
  if (n->syncing) {
    n->sync_again = true;
    return;
  }
  n->sync_next = 0;
  sync_step(n);
}

static void on_migrated(void *arg, int status, int from_version, const char *message);

static void on_replay_timer(uv_timer_t *t) {
  struct pgnode *n = t->data;
  if (n->connected && !n->schema_ok && !n->migrating && !n->stopping &&
      pgschema_migrate(n->conn, on_migrated, n) == 0)
    n->migrating = true;
  pgnode_replay(n);
}

static void on_prune_timer(uv_timer_t *t) { pgnode_prune_round(t->data); }

static void on_notify(void *arg, const char *channel, const char *payload, int sender_pid) {
  struct pgnode *n = arg;
  if (!strcmp(channel, PGLOG_CHANNEL))
    pgnode_replay(n);
}

/* ---- the connection ------------------------------------------------------------------------------ */

static void on_migrated(void *arg, int status, int from_version, const char *message) {
  struct pgnode *n = arg;
  n->migrating = false;
  if (n->stopping)
    return;
  if (status == -EPROTO) {
    pgnode_log_error(n, LOG_LEVEL_ERR, "schema", status, message);
    if (n->d->once)
      n->d->once_failed++; /* poll --once: exit 1 */
    daemon_stop(n->d, "the PostgreSQL schema is refused");
    return;
  }
  if (status < 0) {
    if (!pgnode_retry_later(status))
      pgnode_log_error(n, LOG_LEVEL_ERR, "schema", status, message);
    /* Again on reconnect; if the connection already came back while this failure was on
     * its way, now. */
    if (pgnode_retry_later(status) && n->connected && pgschema_migrate(n->conn, on_migrated, n) == 0)
      n->migrating = true;
    return; /* else the replay timer tries again */
  }
  if (from_version != PGSCHEMA_VERSION)
    log_event(n->d->log, LOG_LEVEL_NOTICE, "pg", "schema=migrated from=%d to=%d", from_version,
              PGSCHEMA_VERSION);
  n->schema_ok = true;
  n->sync_next = 0;
  sync_step(n);
  pgnode_replay(n);
}

static void on_state(void *arg, bool connected, int err, const char *message) {
  struct pgnode *n = arg;
  struct daemon *d = n->d;
  if (n->stopping)
    return;
  char why[300];
  if (!connected) {
    bool was = n->connected || !n->down_why[0];
    n->connected = false;
    n->leasing = n->renewing = n->replaying = false;
    if (n->syncing) {
      n->syncing = false;
      n->sync_again = true; /* cut off: done again whole after the reconnect */
    }
    snprintf(n->down_why, sizeof n->down_why, "%s", message && *message ? message : "lost");
    /* Said once per outage at error level; the retries in between at debug. */
    if (d->once) {
      pgnode_once_unreachable(n, n->down_why);
      return;
    }
    log_event(d->log, was ? LOG_LEVEL_ERR : LOG_LEVEL_DEBUG, "pg",
              "state=disconnected server=%s pending_results=%s error=%s "
              "hint=\"retrying with backoff; /healthz answers 503 meanwhile\"",
              n->where, n->pending ? "kept" : "none",
              log_value(why, sizeof why, n->down_why));
    return;
  }
  n->connected = true;
  n->down_why[0] = '\0';
  log_event(d->log, LOG_LEVEL_NOTICE, "pg", "state=connected server=%s holder=%s sessions=%u",
            n->where, n->holder, pgconn_sessions(n->conn));
  if (!n->schema_ok) {
    if (!n->migrating && pgschema_migrate(n->conn, on_migrated, n) == 0)
      n->migrating = true;
    return;
  }
  send_pending(n);
  if (!n->synced || n->sync_again) {
    n->sync_next = 0;
    n->sync_again = false;
    sync_step(n);
  }
  pgnode_replay(n);
  lease_more(n);
}

int pgnode_health(struct daemon *d, char *reason, size_t reasonlen) {
  struct pgnode *n = d->pg;
  if (!n)
    return 0;
  if (!n->connected) {
    snprintf(reason, reasonlen, "PostgreSQL unreachable (%s); reconnecting",
             n->down_why[0] ? n->down_why : "connecting");
    return -ENOTCONN;
  }
  if (!n->schema_ok) {
    snprintf(reason, reasonlen, "the PostgreSQL schema is not ready (see the log)");
    return -EAGAIN;
  }
  if (n->behind) {
    snprintf(reason, reasonlen, "the local replica is behind the pruned shared log (%s): "
             "replace it with a level node's store", n->behind_why);
    return -ERANGE;
  }
  if (n->replay_failing) {
    snprintf(reason, reasonlen, "the local replica cannot be written: %s",
             store_errmsg(d->store));
    return -EIO;
  }
  return 0;
}

static void on_handle_closed(uv_handle_t *h) {
  struct pgnode *n = h->data;
  n->open_handles--;
  maybe_free(n);
}

static void on_conn_closed(void *arg) {
  struct pgnode *n = arg;
  n->open_handles--;
  maybe_free(n);
}

int pgnode_start(struct daemon *d) {
  struct pgnode *n = calloc(1, sizeof *n);
  if (!n)
    return -ENOMEM;
  n->d = d;
  char host[128] = "";
  if (gethostname(host, sizeof host) < 0 || !host[0])
    snprintf(host, sizeof host, "braid");
  host[sizeof host - 1] = '\0';
  /* A restarted node is a new holder: the leases of the process that died run out. */
  snprintf(n->holder, sizeof n->holder, "%s:%ld:%lld", host, (long)getpid(),
           (long long)daemon_now());
  if (pgconn_conninfo_redact(d->cfg->store_url, n->where, sizeof n->where) == -EINVAL) {
    log_event(d->log, LOG_LEVEL_ERR, "pg",
              "error=\"[store] url is not a connection string libpq can read\"");
    free(n);
    return -EINVAL;
  }
  int rc = store_replica_get(d->store, PGNODE_SOURCE, &n->watermark);
  if (rc < 0) {
    char why[512];
    log_event(d->log, LOG_LEVEL_ERR, "store", "error=%s",
              log_value(why, sizeof why, store_errmsg(d->store)));
    free(n);
    return rc;
  }
  static const char *const channels[] = {PGLOG_CHANNEL, NULL};
  unsigned lease_ms = (unsigned)d->cfg->store_lease_s * 1000;
  struct pgconn_config pc = {
      .conninfo = d->cfg->store_url, .connect_timeout_ms = 10000,
      /* A statement may not outlive a third of a lease, the renew period. */
      .statement_timeout_ms = lease_ms / 3 < 30000 ? lease_ms / 3 : 30000,
      .backoff_min_ms = 250, .backoff_max_ms = 10000, .channels = channels,
      .on_state = on_state, .on_notify = on_notify, .arg = n};
  uv_timer_t *timers[] = {&n->lease_timer, &n->renew_timer, &n->replay_timer, &n->prune_timer};
  for (size_t i = 0; i < 4; i++) {
    uv_timer_init(&d->loop, timers[i]);
    timers[i]->data = n;
    n->open_handles++;
  }
  d->pg = n;
  rc = pgconn_new(&d->loop, &pc, &n->conn);
  if (rc < 0) {
    log_event(d->log, LOG_LEVEL_ERR, "pg", "server=%s error=%s", n->where, strerror(-rc));
    pgnode_stop(d);
    return rc;
  }
  n->open_handles++;
  uv_timer_start(&n->lease_timer, on_lease_timer, PGNODE_LEASE_EVERY_MS, PGNODE_LEASE_EVERY_MS);
  uv_timer_start(&n->renew_timer, on_renew_timer, lease_ms / 3, lease_ms / 3);
  uv_timer_start(&n->replay_timer, on_replay_timer, PGNODE_REPLAY_EVERY_MS,
                 PGNODE_REPLAY_EVERY_MS);
  /* A test-only override, as BRAID_TEST_PUBLIC_NETS: tests cannot wait ten minutes. */
  const char *every = getenv("BRAID_TEST_PG_PRUNE_MS");
  uint64_t prune_ms = every && atoi(every) > 0 ? (uint64_t)atoi(every) : PGNODE_PRUNE_EVERY_MS;
  uv_timer_start(&n->prune_timer, on_prune_timer, prune_ms, prune_ms);
  log_event(d->log, LOG_LEVEL_INFO, "pg", "server=%s holder=%s lease=%llds watermark=%lld",
            n->where, n->holder, (long long)d->cfg->store_lease_s, (long long)n->watermark);
  return 0;
}

/* The connection closes once the results sent at stop have their answer, or the grace ran
 * out; a second call is a no-op. */
static void close_conn(struct pgnode *n) {
  if (n->conn_closing)
    return;
  n->conn_closing = true;
  uv_timer_stop(&n->replay_timer);
  if (!uv_is_closing((uv_handle_t *)&n->replay_timer))
    uv_close((uv_handle_t *)&n->replay_timer, on_handle_closed);
  /* Queued statements fail with -ECANCELED: their callbacks free the pending results. */
  if (n->conn)
    pgconn_close(n->conn, on_conn_closed, n);
  /* Results never sent have no callback to come. */
  struct pending **pp = &n->pending;
  while (*pp) {
    struct pending *p = *pp;
    if (p->sent) {
      pp = &p->next;
      continue;
    }
    *pp = p->next;
    char name[128];
    log_event(n->d->log, LOG_LEVEL_WARNING, "pg",
              "feed=%s result=dropped-at-stop hint=\"its lease expires; a node polls it again\"",
              log_value(name, sizeof name, p->feed));
    pending_free(p);
  }
}

static void on_grace_timer(uv_timer_t *t) { close_conn(t->data); }

void pgnode_stop(struct daemon *d) {
  struct pgnode *n = d->pg;
  if (!n || n->stopping)
    return;
  n->stopping = true;
  uv_close((uv_handle_t *)&n->lease_timer, on_handle_closed);
  uv_close((uv_handle_t *)&n->renew_timer, on_handle_closed);
  uv_close((uv_handle_t *)&n->prune_timer, on_handle_closed);
  /* Fetched results (and the leases of cancelled polls, given back by pgnode_poll_ended) are
   * worth a moment: committed, the other nodes need not poll those feeds again. */
  send_pending(n);
  bool waiting = false;
  for (struct pending *p = n->pending; p; p = p->next)
    waiting = waiting || p->sent;
  if (n->connected && n->conn && (waiting || pgconn_queued(n->conn) > 0)) {
    uv_timer_stop(&n->replay_timer);
    uv_timer_start(&n->replay_timer, on_grace_timer, PGNODE_STOP_GRACE_MS, 0);
    log_event(d->log, LOG_LEVEL_INFO, "pg", "stop=true committing_results=%s grace_ms=%d",
              waiting ? "yes" : "no", PGNODE_STOP_GRACE_MS);
    return;
  }
  close_conn(n);
}

#endif
