/* daemon.c — start-up, the schedule, signals, reloads and a clean stop, all on one libuv loop.
 * One feed's poll is poll.c's business; what the server reads, provider.c's. */
#include "daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "export.h"
#include "listen.h"
#include "fetchconf.h"
#include "loopctx.h"
#include "notify.h"
#include "pgnode.h"
#include "pollerlock.h"
#include "search.h"

/* How often retention pruning and the static export run, in milliseconds. */
#define UPKEEP_INTERVAL_MS (10 * 60 * 1000)
/* How often the `round` line sums up the polls: often enough to watch, rare enough to read. */
#define ROUND_INTERVAL_MS (60 * 1000)
/* Entries deleted per prune transaction: small, so a poll never waits long for the lock. */
#define PRUNE_BATCH 500
/* The most feeds started in one scheduler pass; the rest start on the next pass. */
#define START_BATCH 64
/* How soon the scheduler looks again at feeds that are due but held back by a limit. */
#define TICK_RETRY_MS 1000

/* ---- feed runtime table ------------------------------------------------------------------ */

static void feed_rt_free(struct feed_rt *f) {
  if (!f)
    return;
  feed_def_clear(&f->def);
  free(f->poll_url);
  free(f->pg.etag);
  free(f->pg.last_modified);
  free(f);
}

static int cmp_rt(const void *a, const void *b) {
  return strcmp((*(struct feed_rt *const *)a)->def.name, (*(struct feed_rt *const *)b)->def.name);
}

struct feed_rt *daemon_find_feed(struct daemon *d, const char *name) {
  struct feed_rt key = {.def.name = (char *)name}, *kp = &key;
  struct feed_rt **p = bsearch(&kp, d->rt, d->n_rt, sizeof *d->rt, cmp_rt);
  return p ? *p : NULL;
}

/* Makes def (a new or changed definition) f's own. */
static int feed_rt_apply(struct daemon *d, struct feed_rt *f, const struct feed_def *def) {
  struct feed_def copy;
  if (feed_def_copy(&copy, def) < 0)
    return -ENOMEM;
  feed_def_clear(&f->def);
  f->def = copy;
  f->interval_s = def->interval_s > 0 ? def->interval_s : d->cfg->poll_interval_s;
  return 0;
}

/* Registers def in the store and the queue, reading its saved state so that a restart keeps
 * its schedule, validators and permanent redirect. A first poll that is due is spread over
 * spread_s seconds (sched_startup_spread_s of the feeds starting with it). */
static int feed_rt_add(struct daemon *d, const struct feed_def *def, int64_t spread_s,
                       int64_t now) {
  struct feed_rt *f = calloc(1, sizeof *f);
  if (!f || feed_rt_apply(d, f, def) < 0) {
    feed_rt_free(f);
    return -ENOMEM;
  }
  int rc = store_feed_ensure(d->store, f->def.name, f->def.url, &f->feed_id);
  struct store_feed_state st = {0};
  if (rc == 0)
    rc = store_feed_get_state(d->store, f->def.name, &st);
  if (rc < 0) {
    char name[128], why[512];
    log_event(d->log, LOG_LEVEL_ERR, "store", "feed=%s error=%s",
              log_value(name, sizeof name, f->def.name),
              log_value(why, sizeof why, store_errmsg(d->store)));
    feed_rt_free(f);
    return rc;
  }
  f->poll_url = strdup(st.effective_url ? st.effective_url : f->def.url);
  struct sched_state ss = {.next_due = st.next_due, .last_polled = st.last_polled,
                           .errors = (unsigned)(st.error_count > 0 ? st.error_count : 0),
                           .retired = st.retired,
                           .throttled = st.last_status == 429 || st.last_status == 503};
  if (st.last_polled && st.error_count == 0 && !st.retired)
    f->counts.last_success = st.last_polled; /* /metrics knows it across a restart */
  /* With [store] url the feed is polled when this node leases it (pgnode.c), never from
   * the local schedule. */
  int64_t due = d->cfg->store_url ? SCHED_NEVER
                : d->once ? (st.retired ? SCHED_NEVER : now)
                          : sched_initial_due(&ss, f->interval_s, spread_s, now, &d->rng);
  store_feed_state_clear(&st);
  if (!f->poll_url) {
    feed_rt_free(f);
    return -ENOMEM;
  }
  struct feed_rt **rt = realloc(d->rt, (d->n_rt + 1) * sizeof *rt);
  if (!rt) {
    feed_rt_free(f);
    return -ENOMEM;
  }
  d->rt = rt;
  rc = sched_queue_add(d->queue, f->def.name, f->poll_url, due);
  if (rc < 0) {
    feed_rt_free(f);
    return rc;
  }
  /* Keep the table sorted by inserting in place: feeds come in name order at start-up, so
   * this is an append there, and one memmove on a reload. */
  size_t at = d->n_rt;
  while (at > 0 && strcmp(d->rt[at - 1]->def.name, f->def.name) > 0)
    at--;
  memmove(&d->rt[at + 1], &d->rt[at], (d->n_rt - at) * sizeof *d->rt);
  d->rt[at] = f;
  d->n_rt++;
  if (d->once && d->cfg->store_url) {
    /* leased from the database like braid run's polls; pgonce.c says when all are done */
  } else if (d->once && due == SCHED_NEVER) {
    char name[128];
    log_event(d->log, LOG_LEVEL_NOTICE, "skip", "feed=%s reason=retired",
              log_value(name, sizeof name, f->def.name));
  } else if (d->once) {
    d->once_left++;
  }
  return 0;
}

static void feed_rt_remove(struct daemon *d, struct feed_rt *f) {
  sched_queue_remove(d->queue, f->def.name);
  size_t i = 0;
  while (i < d->n_rt && d->rt[i] != f)
    i++;
  if (i == d->n_rt)
    return;
  memmove(&d->rt[i], &d->rt[i + 1], (d->n_rt - i - 1) * sizeof *d->rt);
  d->n_rt--;
  if (f->job) {
    /* Its poll ends in on_done, which frees the runtime entry once it is marked removed. */
    f->removed = true;
    poll_cancel(f);
  } else {
    feed_rt_free(f);
  }
}

/* ---- the schedule ------------------------------------------------------------------------- */

static void begin_stop(struct daemon *d, const char *why);
static void on_tick(uv_timer_t *t);
static void on_export_timer(uv_timer_t *t);
static void on_prune_next(uv_timer_t *t);

static void schedule_wakeup(struct daemon *d) {
  if (d->stopping || d->cfg->store_url)
    return; /* with [store] url, leases start the polls (pgnode.c) */
  int64_t now = daemon_now();
  const char *names[START_BATCH];
  size_t n;
  while ((n = sched_queue_next_ready(d->queue, now, names, START_BATCH)) > 0) {
    for (size_t i = 0; i < n; i++) {
      struct feed_rt *f = daemon_find_feed(d, names[i]);
      if (!f)
        continue;
      int rc = poll_start(d, f, daemon_poll_done);
      if (rc < 0) {
        char name[128];
        log_event(d->log, LOG_LEVEL_ERR, "poll", "feed=%s result=not-started error=%s",
                  log_value(name, sizeof name, f->def.name), strerror(-rc));
        sched_queue_done(d->queue, f->def.name, now + f->interval_s);
        if (d->once) {
          d->once_failed++;
          d->once_left--;
        }
      }
    }
    if (n < START_BATCH)
      break;
  }
  if (d->once && d->once_left == 0 && d->pages_active == 0) {
    begin_stop(d, "done");
    return;
  }
  int64_t next = sched_queue_next_wakeup(d->queue);
  if (next == SCHED_NEVER) {
    uv_timer_stop(&d->tick);
    return;
  }
  /* A feed already due but not started is held back by a concurrency limit: the end of a
   * request in flight re-runs this function. The timer is only a safety net then, and must
   * not be 0 ms: libuv would run it again and again without ever polling for I/O. */
  uint64_t delay_ms = next <= now ? TICK_RETRY_MS : (uint64_t)(next - now) * 1000;
  uv_timer_start(&d->tick, on_tick, delay_ms, 0);
}

static void on_tick(uv_timer_t *t) { schedule_wakeup(t->data); }

void daemon_pages_idle(struct daemon *d) {
  if (!d->stopping)
    schedule_wakeup(d);
}

int64_t daemon_now(void) { return (int64_t)time(NULL); }

void daemon_store_errors(struct daemon *d, unsigned n) { d->stats.store_errors += n; }

void daemon_entries_saved(struct daemon *d, int new_entries, int updated_entries) {
  d->stats.new_entries += (uint64_t)new_entries;
  d->stats.updated_entries += (uint64_t)updated_entries;
  if (new_entries || updated_entries) {
    d->stream_version++;
    d->export_pending = true;
  }
}

/* The one place a poll's end reaches the daemon: its counters, the stream's version, and
 * the feed's next turn. */
void daemon_poll_done(struct daemon *d, struct feed_rt *f, const struct poll_report *r) {
  if (d->pg)
    pgnode_poll_ended(d, f, r);
  if (f->removed) {
    feed_rt_free(f);
    return;
  }
  int64_t next_due = r->next_due;
  bool fetched = !r->cancelled && r->saved &&
                 (r->outcome == FETCH_OK || r->outcome == FETCH_NOT_MODIFIED);
  if (!r->cancelled) {
    /* The feed's own counts feed /metrics' per-feed series. */
    if (r->outcome == FETCH_OK) {
      d->stats.ok++;
      f->counts.ok++;
      f->counts.last_success = r->finished;
    } else if (r->outcome == FETCH_NOT_MODIFIED) {
      d->stats.not_modified++;
      f->counts.not_modified++;
      f->counts.last_success = r->finished;
    } else {
      d->stats.failed++;
      f->counts.failed++;
    }
    d->stats.last_poll = r->finished;
    daemon_entries_saved(d, r->new_entries, r->updated_entries);
  }
  if (next_due >= 0 && !d->pg)
    sched_queue_done(d->queue, f->def.name, next_due);
  if (d->once && next_due >= 0) {
    if (!fetched)
      d->once_failed++;
    if (d->once_left > 0)
      d->once_left--;
    /* Poll each feed once: its next due time is for the daemon, not for us. */
    sched_queue_set_due(d->queue, f->def.name, SCHED_NEVER);
  }
  if (d->stopping)
    return;
  daemon_export_soon(d);
  if (!d->once) {
    notify_status("%zu feeds; %llu polls ok, %llu not modified, %llu failed; %llu new entries",
                  d->n_rt, (unsigned long long)d->stats.ok,
                  (unsigned long long)d->stats.not_modified, (unsigned long long)d->stats.failed,
                  (unsigned long long)d->stats.new_entries);
  }
  schedule_wakeup(d);
}

/* ---- upkeep: retention and the static export ----------------------------------------------- */

/* One batch of the pruning round; the next batch waits for the loop's next turn, so a round
 * of tens of thousands of entries (a lowered per_feed, FTS5 deletes) never holds the loop for
 * more than one batch. */
static void prune_step(struct daemon *d) {
  poll_group_commit(d); /* pruning's small batches are not held by the polls' group */
  size_t deleted = 0;
  int rc = store_prune(d->store, d->prune_older_than, d->cfg->stream_per_feed, PRUNE_BATCH,
                       &deleted);
  if (rc == 0)
    d->prune_deleted += deleted;
  if (rc == 0 && deleted == PRUNE_BATCH && !d->stopping) {
    uv_timer_start(&d->prune_next, on_prune_next, 0, 0);
    return;
  }
  if (rc < 0) {
    char why[512];
    log_event(d->log, LOG_LEVEL_ERR, "prune", "error=%s",
              log_value(why, sizeof why, store_errmsg(d->store)));
  }
  if (d->prune_deleted > 0) {
    log_event(d->log, LOG_LEVEL_INFO, "prune", "deleted_entries=%zu", d->prune_deleted);
    d->stream_version++;
    d->export_pending = true;
  }
}

static void on_prune_next(uv_timer_t *t) { prune_step(t->data); }

static void prune(struct daemon *d) {
  if (uv_is_active((uv_handle_t *)&d->prune_next))
    return; /* a round is still going */
  d->prune_older_than = daemon_now() - d->cfg->stream_retention_s;
  d->prune_deleted = 0;
  prune_step(d);
}

static void on_upkeep(uv_timer_t *t) { prune(t->data); }

/* One line a minute that says how polling goes, so that info can keep 304s (debug) out of the
 * log without hiding that polling happens. Nothing is written for a minute without polls. */
static void on_round_timer(uv_timer_t *t) {
  struct daemon *d = t->data;
  const struct poll_counters *now = &d->stats, *was = &d->round_base;
  uint64_t polls = (now->ok - was->ok) + (now->not_modified - was->not_modified) +
                   (now->failed - was->failed);
  uint64_t ms = uv_now(&d->loop) - d->round_started_ms;
  if (polls)
    log_event(d->log, LOG_LEVEL_INFO, "round",
              "polls=%llu ok=%llu not_modified=%llu failed=%llu new_entries=%llu "
              "updated_entries=%llu store_errors=%llu feeds=%zu s=%llu",
              (unsigned long long)polls, (unsigned long long)(now->ok - was->ok),
              (unsigned long long)(now->not_modified - was->not_modified),
              (unsigned long long)(now->failed - was->failed),
              (unsigned long long)(now->new_entries - was->new_entries),
              (unsigned long long)(now->updated_entries - was->updated_entries),
              (unsigned long long)(now->store_errors - was->store_errors), d->n_rt,
              (unsigned long long)((ms + 500) / 1000));
  d->round_base = d->stats;
  d->round_started_ms = uv_now(&d->loop);
}

static void write_output_dir(struct daemon *d) {
  if (!d->cfg->output_dir || !d->export_pending)
    return;
  d->export_pending = false;
  char err[512], dir[512], base[EXPORT_BASE_URL_BYTES];
  export_base_url(d->cfg->http_base_url, d->cfg->http_listen, base, sizeof base);
  const struct export_style style = {
      .title = d->cfg->stream_title,
      .policy = {.publish_feed_queries = d->cfg->http_publish_feed_queries,
                 .remote_images = d->cfg->http_remote_images}};
  int rc = daemon_streams_export(d, base, &style, err, sizeof err);
  log_value(dir, sizeof dir, d->cfg->output_dir);
  if (rc < 0) {
    char why[600];
    log_event(d->log, LOG_LEVEL_ERR, "export", "dir=%s error=%s", dir,
              log_value(why, sizeof why, err));
  } else {
    log_event(d->log, LOG_LEVEL_DEBUG, "export", "dir=%s", dir);
  }
}

static void on_export_timer(uv_timer_t *t) { write_output_dir(t->data); }

/* ---- signals, reload, stop ---------------------------------------------------------------- */

static void log_config_errors(struct daemon *d, const struct msg_list *errs, int level) {
  for (size_t i = 0; i < errs->n; i++) {
    char why[600];
    log_event(d->log, level, "config", "error=%s", log_value(why, sizeof why, errs->items[i]));
  }
}

/* Makes f poll its (new) url from now on: validators belonged to the old address. */
static int feed_rt_change(struct daemon *d, struct feed_rt *f, const struct feed_def *def,
                          int64_t now) {
  bool url_changed = strcmp(f->def.url, def->url) != 0;
  int rc = feed_rt_apply(d, f, def);
  if (rc < 0 || !url_changed)
    return rc;
  rc = store_feed_ensure(d->store, f->def.name, f->def.url, &f->feed_id);
  char *pu = strdup(f->def.url);
  if (rc < 0 || !pu) {
    free(pu);
    return rc < 0 ? rc : -ENOMEM;
  }
  free(f->poll_url);
  f->poll_url = pu;
  sched_queue_set_url(d->queue, f->def.name, f->poll_url);
  if (!f->job)
    sched_queue_set_due(d->queue, f->def.name, now);
  return 0;
}

void daemon_feeds_rescan(struct daemon *d, const char *event) {
  struct feed_list fresh = {0};
  struct msg_list errs = {0};
  int rc = feeds_reload(d->cfg->feeds_dir, &d->feeds, &fresh, &errs);
  log_config_errors(d, &errs, LOG_LEVEL_WARNING);
  size_t n_errors = errs.n;
  msg_list_clear(&errs);
  if (rc < 0 && rc != -EINVAL) {
    char dir[512];
    log_event(d->log, LOG_LEVEL_ERR, event, "dir=%s result=kept-old error=%s",
              log_value(dir, sizeof dir, d->cfg->feeds_dir), strerror(-rc));
    feed_list_clear(&fresh);
    return;
  }
  struct feed_diff *diff = NULL;
  size_t n_diff = 0;
  unsigned added = 0, removed = 0, changed = 0;
  int64_t now = daemon_now();
  if (feeds_diff(&d->feeds, &fresh, &diff, &n_diff) == 0) {
    size_t n_added = 0;
    for (size_t i = 0; i < n_diff; i++)
      n_added += diff[i].change == FEED_ADDED;
    int64_t spread_s = sched_startup_spread_s(n_added);
    for (size_t i = 0; i < n_diff; i++) {
      const struct feed_diff *c = &diff[i];
      struct feed_rt *f = c->old_def ? daemon_find_feed(d, c->old_def->name) : NULL;
      if (c->change == FEED_ADDED && feed_rt_add(d, c->new_def, spread_s, now) == 0)
        added++;
      else if (c->change == FEED_REMOVED && f) {
        feed_rt_remove(d, f);
        removed++;
      } else if (c->change == FEED_CHANGED && f && feed_rt_change(d, f, c->new_def, now) == 0)
        changed++;
    }
  }
  free(diff);
  feed_list_clear(&d->feeds);
  d->feeds = fresh;
  /* The watch also fires for editors' temporary files: a rescan that found nothing to do
   * is not worth an info line. */
  bool quiet = strcmp(event, "reload") != 0 && !added && !removed && !changed && !n_errors;
  log_event(d->log, n_errors ? LOG_LEVEL_WARNING : quiet ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO,
            event, "feeds=%zu added=%u removed=%u changed=%u errors=%zu", d->n_rt, added,
            removed, changed, n_errors);
  if (removed)
    daemon_streams_warn_missing(d);
  if (added || removed || changed)
    pgnode_feeds_changed(d);
  schedule_wakeup(d);
}

static void on_signal(uv_signal_t *h, int signum) {
  struct daemon *d = h->data;
  if (signum == SIGHUP) {
    if (!d->once && !d->stopping) {
      notify_reloading();
      daemon_config_reload(d);
      daemon_feeds_rescan(d, "reload");
      daemon_watch_feeds(d); /* a directory missing at start may exist now */
      notify_ready();
    }
    return;
  }
  begin_stop(d, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

static void on_watchdog(uv_timer_t *t) {
  (void)t;
  notify_watchdog();
}

static void close_if_active(uv_handle_t *h) {
  if (h->loop && !uv_is_closing(h))
    uv_close(h, NULL);
}

/* The real stop, from a timer callback: never from inside a fetch callback, where freeing the
 * fetcher would pull the transfer out from under curl. */
static void on_stop_timer(uv_timer_t *t) {
  struct daemon *d = t->data;
  log_event(d->log, LOG_LEVEL_INFO, "stop", "reason=%s in_flight=%zu", d->stop_reason,
            sched_queue_in_flight(d->queue));
  /* In-flight polls end now with FETCH_CANCELLED: nothing of them is stored. */
  fetcher_free(d->fetcher);
  d->fetcher = NULL;
  poll_drain(d); /* fetched before the stop: saved, not fetched again */
  poll_group_commit(d);
  pgnode_stop(d);
  serve_free(d->server);
  d->server = NULL;
  write_output_dir(d);
  uv_handle_t *handles[] = {(uv_handle_t *)&d->tick,        (uv_handle_t *)&d->watchdog,
                            (uv_handle_t *)&d->upkeep,      (uv_handle_t *)&d->prune_next,
                            (uv_handle_t *)&d->export_timer,
                            (uv_handle_t *)&d->round_timer, (uv_handle_t *)&d->feeds_debounce,
                            (uv_handle_t *)&d->feeds_watch, (uv_handle_t *)&d->group_timer,
                            (uv_handle_t *)&d->stop_timer,  (uv_handle_t *)&d->done_idle,
                            (uv_handle_t *)&d->sig_hup,     (uv_handle_t *)&d->ckpt_check,
                            (uv_handle_t *)&d->sig_term,    (uv_handle_t *)&d->sig_int};
  for (size_t i = 0; i < sizeof handles / sizeof handles[0]; i++)
    close_if_active(handles[i]);
}

void daemon_stop(struct daemon *d, const char *why) { begin_stop(d, why); }

/* Writes the [output] dir a moment after a change, so a burst of polls writes it once. */
void daemon_export_soon(struct daemon *d) {
  if (!d->stopping && d->export_pending && d->cfg->output_dir &&
      !uv_is_active((uv_handle_t *)&d->export_timer))
    uv_timer_start(&d->export_timer, on_export_timer, 2000, 0);
}

static void begin_stop(struct daemon *d, const char *why) {
  if (d->stopping)
    return;
  d->stopping = true;
  d->stop_reason = why;
  if (!d->once)
    notify_stopping();
  uv_timer_stop(&d->tick);
  uv_timer_start(&d->stop_timer, on_stop_timer, 0, 0);
}

/* ---- start-up and shut-down ---------------------------------------------------------------- */

/* Closes whatever start-up opened, lets the loop finish the close callbacks, frees the rest. */
static void teardown(struct daemon *d) {
  if (d->loop.data) {
    if (!d->stopping) {
      d->stopping = true;
      d->stop_reason = "start-up failed";
      on_stop_timer(&d->stop_timer);
    }
    uv_run(&d->loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(&d->loop);
    if (rc < 0)
      log_event(d->log, LOG_LEVEL_WARNING, "stop", "loop=busy error=%s", uv_strerror(rc));
  }
  for (size_t i = 0; i < d->n_rt; i++)
    feed_rt_free(d->rt[i]);
  free(d->rt);
  sched_queue_free(d->queue);
  store_close(d->store);
  poller_lock_release(d->poller_lock);
  feed_list_clear(&d->feeds);
  config_free(d->cfg);
  free(d->watched_dir);
}

static int start_loop(struct daemon *d) {
  int rc = uv_loop_init(&d->loop);
  if (rc < 0)
    return rc;
  d->loop.data = d;
  uv_timer_t *timers[] = {&d->tick,        &d->watchdog,       &d->upkeep,
                          &d->export_timer, &d->stop_timer,     &d->round_timer,
                          &d->feeds_debounce, &d->group_timer, &d->prune_next};
  for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++) {
    uv_timer_init(&d->loop, timers[i]);
    timers[i]->data = d;
  }
  uv_idle_init(&d->loop, &d->done_idle);
  d->done_idle.data = d;
  struct {
    uv_signal_t *h;
    int signum;
  } sigs[] = {{&d->sig_hup, SIGHUP}, {&d->sig_term, SIGTERM}, {&d->sig_int, SIGINT}};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    uv_signal_init(&d->loop, sigs[i].h);
    sigs[i].h->data = d;
    if ((rc = uv_signal_start(sigs[i].h, on_signal, sigs[i].signum)) < 0)
      return rc;
  }
  return walckpt_start(d);
}

static int start_fetching(struct daemon *d) {
  const struct braid_config *c = d->cfg;
  struct fetch_limits limits;
  fetch_limits_from_config(&limits, c);
  int rc = fetcher_new(&d->loop, &limits, &d->fetcher);
  if (rc == 0)
    rc = sched_queue_new(c->poll_concurrency, c->poll_per_host, &d->queue);
  if (rc < 0)
    return rc;
  sched_prng_seed(&d->rng, (uint64_t)daemon_now() ^ ((uint64_t)getpid() << 32));
  int64_t now = daemon_now();
  /* With [store] url the database's schedule decides: nothing is spread here. */
  d->startup_spread_s = c->store_url ? 0 : sched_startup_spread_s(d->feeds.n);
  for (size_t i = 0; i < d->feeds.n; i++)
    if ((rc = feed_rt_add(d, &d->feeds.items[i], d->startup_spread_s, now)) < 0)
      return rc;
  return 0;
}

static int start_serving(struct daemon *d) {
  char base[EXPORT_BASE_URL_BYTES], err[512];
  export_base_url(d->cfg->http_base_url, d->cfg->http_listen, base, sizeof base);
  char *token = NULL;
  int rc = 0;
  if (d->cfg->http_token_file)
    rc = serve_token_read(d->cfg->http_token_file, &token, err, sizeof err);
  else if (!listen_is_loopback(d->cfg->http_listen))
    rc = -EACCES; /* an open stream on a public address is a mistake, not a default */
  if (rc < 0) {
    char why[600];
    if (rc == -EACCES)
      snprintf(err, sizeof err, "%s is not a loopback address: set [http] token_file, or "
               "listen on 127.0.0.1 behind a reverse proxy", d->cfg->http_listen);
    log_event(d->log, LOG_LEVEL_ERR, "serve", "listen=%s error=%s", d->cfg->http_listen,
              log_value(why, sizeof why, err));
    return -EKEYREJECTED; /* told apart from bind's errors: braid.conf needs fixing */
  }
  struct serve_options so = {
      .listen = d->cfg->http_listen, .base_url = base, .entries = d->cfg->stream_entries,
      .token = token, .title = d->cfg->stream_title,
      .policy = {.publish_feed_queries = d->cfg->http_publish_feed_queries,
                 .remote_images = d->cfg->http_remote_images}};
  rc = serve_new(&d->loop, &so, &daemon_serve_provider, d, &d->server, err, sizeof err);
  free(token);
  if (rc < 0) {
    char why[600];
    log_event(d->log, LOG_LEVEL_ERR, "serve", "listen=%s error=%s", d->cfg->http_listen,
              log_value(why, sizeof why, err));
    return rc;
  }
  if ((rc = daemon_streams_publish(d, d->cfg)) < 0)
    return rc;
  uv_timer_start(&d->upkeep, on_upkeep, 0, UPKEEP_INTERVAL_MS);
  daemon_watch_feeds(d);
  d->round_started_ms = uv_now(&d->loop);
  uv_timer_start(&d->round_timer, on_round_timer, ROUND_INTERVAL_MS, ROUND_INTERVAL_MS);
  uint64_t usec = 0;
  if (notify_watchdog_interval_usec(&usec) == 0 && usec > 0) {
    uint64_t ms = usec / 2000 ? usec / 2000 : 1;
    uv_timer_start(&d->watchdog, on_watchdog, ms, ms);
  }
  return 0;
}

/* Reads braid.conf and feeds.d into d, logging every error with its file and line. 0, or -1
 * when the daemon cannot start (exit 2). *config_errors: some feed file was broken (its feed is
 * left out; the others run, and poll --once then exits 2). */
static int load_configuration(struct daemon *d, const struct daemon_options *opt,
                              bool *config_errors) {
  char *path = NULL;
  bool explicit_path = false;
  struct msg_list errs = {0};
  d->log_level_set = opt->log_level_set;
  int rc = config_choose_path(opt->config_path, &path, &explicit_path);
  d->config_explicit = explicit_path;
  if (rc == 0)
    rc = config_load(path, explicit_path, &d->cfg, &errs);
  free(path);
  log_config_errors(d, &errs, LOG_LEVEL_ERR);
  msg_list_clear(&errs);
  if (rc < 0)
    return -1;
  if (!opt->log_level_set)
    d->log->max_level = d->cfg->log_level;
  rc = feeds_load(d->cfg->feeds_dir, &d->feeds, &errs);
  /* A named stream that names a feed feeds.d lacks, or a query that cannot run, is a
   * configuration error like any other (exit 2): found now, not at the first request. */
  if ((rc == 0 || rc == -EINVAL) &&
      config_streams_check(d->cfg, &d->feeds, store_search_check, &errs) < 0)
    rc = -EPERM;
  *config_errors = errs.n > 0;
  log_config_errors(d, &errs, LOG_LEVEL_ERR);
  msg_list_clear(&errs);
  return (rc < 0 && rc != -EINVAL) || rc == -EPERM ? -1 : 0;
}

int daemon_main(const struct daemon_options *opt, struct logger *lg) {
  struct daemon d;
  memset(&d, 0, sizeof d);
  d.log = lg;
  d.once = opt->once;
  d.poller_lock = -1;

  bool config_errors = false;
  if (load_configuration(&d, opt, &config_errors) < 0) {
    teardown(&d);
    return 2;
  }

  char err[512], why[600], where[512];
  int rc = store_open(d.cfg->store_path, 0, &d.store, err, sizeof err);
  /* After the store is opened, so what is wrong with the store itself is said first; before
   * anything is polled. */
  if (rc == 0)
    rc = poller_lock_take(d.cfg->store_path, &d.poller_lock, err, sizeof err);
  if (rc < 0) {
    log_event(lg, LOG_LEVEL_ERR, "store", "path=%s error=%s",
              log_value(where, sizeof where, d.cfg->store_path), log_value(why, sizeof why, err));
    teardown(&d);
    return 1;
  }
  if ((rc = start_loop(&d)) < 0 || (rc = start_fetching(&d)) < 0) {
    log_event(lg, LOG_LEVEL_ERR, "start", "error=%s", strerror(-rc));
    teardown(&d);
    return 1;
  }
  if (d.cfg->store_url && (rc = pgnode_start(&d)) < 0) {
    teardown(&d);
    return rc == -EINVAL || rc == -ENOTSUP ? 2 : 1;
  }
  if (!d.once && (rc = start_serving(&d)) < 0) {
    teardown(&d);
    return rc == -EKEYREJECTED ? 2 : 1;
  }
  int64_t max_seq = 0;
  store_max_seq(d.store, &max_seq);
  d.stream_version = max_seq;
  log_event(lg, LOG_LEVEL_INFO, d.once ? "poll-once" : "start",
            "version=%s feeds=%zu first_polls_within=%llds store=%s%s%s", BRAID_VERSION,
            d.n_rt, d.once ? 0LL : (long long)d.startup_spread_s,
            log_value(where, sizeof where, d.cfg->store_path), d.once ? "" : " listen=",
            d.once ? "" : d.cfg->http_listen);
  if (!d.once) {
    notify_ready();
    notify_status("%zu feeds; polling", d.n_rt);
  }
  schedule_wakeup(&d);
  uv_run(&d.loop, UV_RUN_DEFAULT);

  int status = 0;
  if (d.once) {
    log_event(lg, d.once_failed ? LOG_LEVEL_WARNING : LOG_LEVEL_INFO, "done",
              "feeds=%zu failed=%u new_entries=%llu fetched=%llu not_modified=%llu", d.n_rt,
              d.once_failed, (unsigned long long)d.stats.new_entries,
              (unsigned long long)d.stats.ok, (unsigned long long)d.stats.not_modified);
    status = d.once_failed ? 1 : config_errors ? 2 : 0;
  }
  teardown(&d);
  return status;
}
