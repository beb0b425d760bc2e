/* reload.c — the configuration while the daemon runs: braid.conf re-read on SIGHUP (what can
 * change live changes, what cannot is named and kept), and feeds.d watched so that a feed
 * file added, edited or removed is picked up within a second without a signal. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetchconf.h"
#include "loopctx.h"
#include "search.h"

/* How long the watch waits after the last change before it rescans: an editor's save is
 * several events (temporary file, rename, chmod), and one rescan should see them all. */
#define FEEDS_DEBOUNCE_MS 200

static bool str_differs(const char *a, const char *b) {
  if (!a || !b)
    return a != b;
  return strcmp(a, b) != 0;
}

/* Appends ",name" (or "name") to list; a full list ends in "..." rather than being cut. */
static void list_add(char *list, size_t size, const char *name) {
  size_t used = strlen(list);
  if (used + strlen(name) + 5 >= size) {
    if (used + 4 < size && (used < 3 || strcmp(list + used - 3, "...") != 0))
      strcat(list, ",...");
    return;
  }
  if (used)
    strcat(list, ",");
  strcat(list, name);
}

/* Keys that need a restart keep their old value (the pointer is moved into fresh, so what
 * the server and the store were started with stays valid); each one is logged. */
static void keep_restart_keys(struct daemon *d, struct braid_config *fresh) {
  struct {
    const char *key;
    char **old_v, **new_v;
  } fixed[] = {{"[store] path", &d->cfg->store_path, &fresh->store_path},
               {"[store] url", &d->cfg->store_url, &fresh->store_url},
               {"[http] listen", &d->cfg->http_listen, &fresh->http_listen},
               {"[http] base_url", &d->cfg->http_base_url, &fresh->http_base_url},
               {"[http] token_file", &d->cfg->http_token_file, &fresh->http_token_file}};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
    if (!str_differs(*fixed[i].old_v, *fixed[i].new_v))
      continue;
    char was[512], asked[512];
    log_event(d->log, LOG_LEVEL_WARNING, "reload",
              "result=restart-needed key=\"%s\" running=%s configured=%s", fixed[i].key,
              log_value(was, sizeof was, *fixed[i].old_v),
              log_value(asked, sizeof asked, *fixed[i].new_v));
    char *t = *fixed[i].old_v;
    *fixed[i].old_v = *fixed[i].new_v;
    *fixed[i].new_v = t;
  }
}

/* Names the live keys that differ between a and b into list. */
static void changed_keys(const struct braid_config *a, const struct braid_config *b, char *list,
                         size_t size) {
  struct {
    const char *name;
    bool differs;
  } k[] = {
      {"poll.interval", a->poll_interval_s != b->poll_interval_s},
      {"poll.concurrency", a->poll_concurrency != b->poll_concurrency},
      {"poll.per_host", a->poll_per_host != b->poll_per_host},
      {"poll.timeout", a->poll_timeout_s != b->poll_timeout_s},
      {"poll.connect_timeout", a->poll_connect_timeout_s != b->poll_connect_timeout_s},
      {"poll.low_speed_limit", a->poll_low_speed_limit != b->poll_low_speed_limit},
      {"poll.low_speed_time", a->poll_low_speed_time_s != b->poll_low_speed_time_s},
      {"poll.max_bytes", a->poll_max_bytes != b->poll_max_bytes},
      {"poll.max_redirects", a->poll_max_redirects != b->poll_max_redirects},
      {"poll.user_agent", str_differs(a->user_agent, b->user_agent)},
      {"poll.allow_private_redirects",
       a->poll_allow_private_redirects != b->poll_allow_private_redirects},
      {"http.publish_feed_queries",
       a->http_publish_feed_queries != b->http_publish_feed_queries},
      {"http.remote_images", a->http_remote_images != b->http_remote_images},
      {"stream.title", str_differs(a->stream_title, b->stream_title)},
      {"stream.entries", a->stream_entries != b->stream_entries},
      {"stream.retention", a->stream_retention_s != b->stream_retention_s},
      {"stream.per_feed", a->stream_per_feed != b->stream_per_feed},
      {"feeds.dir", str_differs(a->feeds_dir, b->feeds_dir)},
      {"output.dir", str_differs(a->output_dir, b->output_dir)},
      {"log.level", a->log_level != b->log_level},
      {"streams", !config_streams_equal(a, b)},
  };
  list[0] = '\0';
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
    if (k[i].differs)
      list_add(list, size, k[i].name);
}

/* Feeds that take [poll] interval get the new one. A shorter one counts from now (waiting
 * out the old, longer interval would make it seem ignored); a longer one starts after the
 * poll already scheduled. Retired feeds stay retired. */
static void apply_interval(struct daemon *d, int64_t interval_s) {
  int64_t now = daemon_now();
  for (size_t i = 0; i < d->n_rt; i++) {
    struct feed_rt *f = d->rt[i];
    if (f->def.interval_s > 0 || f->interval_s == interval_s)
      continue;
    f->interval_s = interval_s;
    if (!f->job)
      sched_queue_lower_due(d->queue, f->def.name, now + interval_s);
  }
}

/* One line per named stream added, removed or changed. */
static void log_stream_changes(struct daemon *d, const struct braid_config *old,
                               const struct braid_config *fresh) {
  for (size_t i = 0; i < fresh->n_streams; i++) {
    const struct stream_def *now = &fresh->streams[i], *was = config_stream_find(old, now->name);
    struct braid_config one_old = {.streams = (struct stream_def *)(uintptr_t)was,
                                   .n_streams = was ? 1 : 0};
    struct braid_config one_new = {.streams = (struct stream_def *)(uintptr_t)now, .n_streams = 1};
    if (!was || !config_streams_equal(&one_old, &one_new))
      log_event(d->log, LOG_LEVEL_INFO, "reload", "stream=%s change=%s", now->name,
                was ? "changed" : "added");
  }
  for (size_t i = 0; i < old->n_streams; i++)
    if (!config_stream_find(fresh, old->streams[i].name))
      log_event(d->log, LOG_LEVEL_INFO, "reload", "stream=%s change=removed",
                old->streams[i].name);
}

/* Hands fresh's live values to the parts that copied them at start-up. */
static int apply_live(struct daemon *d, const struct braid_config *old,
                      const struct braid_config *fresh) {
  struct fetch_limits limits;
  fetch_limits_from_config(&limits, fresh);
  int rc = fetcher_set_limits(d->fetcher, &limits);
  if (rc < 0)
    return rc;
  if ((rc = sched_queue_set_limits(d->queue, fresh->poll_concurrency, fresh->poll_per_host)) < 0)
    return rc;
  serve_set_entries(d->server, fresh->stream_entries);
  const struct render_policy policy = {.publish_feed_queries = fresh->http_publish_feed_queries,
                                       .remote_images = fresh->http_remote_images};
  if ((rc = serve_set_style(d->server, fresh->stream_title, policy)) < 0)
    return rc;
  if (!config_streams_equal(old, fresh)) {
    if ((rc = daemon_streams_publish(d, fresh)) < 0)
      return rc;
    log_stream_changes(d, old, fresh);
  }
  if (!d->log_level_set)
    d->log->max_level = fresh->log_level;
  if (old->poll_interval_s != fresh->poll_interval_s)
    apply_interval(d, fresh->poll_interval_s);
  /* Cached documents were rendered with the old entries; a new [output] dir starts empty. */
  d->stream_version++;
  if (fresh->output_dir)
    d->export_pending = true;
  return 0;
}

void daemon_config_reload(struct daemon *d) {
  struct braid_config *fresh = NULL;
  struct msg_list errs = {0};
  char where[512];
  log_value(where, sizeof where, d->cfg->path);
  int rc = config_load(d->cfg->path, d->config_explicit, &fresh, &errs);
  if (rc == 0 && config_streams_check(fresh, &d->feeds, store_search_check, &errs) < 0) {
    config_free(fresh);
    fresh = NULL;
    rc = -EINVAL;
  }
  for (size_t i = 0; i < errs.n; i++) {
    char why[600];
    log_event(d->log, LOG_LEVEL_ERR, "config", "error=%s",
              log_value(why, sizeof why, errs.items[i]));
  }
  msg_list_clear(&errs);
  if (rc < 0) {
    log_event(d->log, LOG_LEVEL_ERR, "reload", "config=%s result=kept-old error=%s", where,
              rc == -EINVAL ? "invalid" : strerror(-rc));
    return;
  }
  keep_restart_keys(d, fresh);
  char changed[512];
  changed_keys(d->cfg, fresh, changed, sizeof changed);
  if (!*changed) {
    log_event(d->log, LOG_LEVEL_INFO, "reload", "config=%s changed=none", where);
    config_free(fresh);
    return;
  }
  if ((rc = apply_live(d, d->cfg, fresh)) < 0) {
    log_event(d->log, LOG_LEVEL_ERR, "reload", "config=%s result=kept-old error=%s", where,
              strerror(-rc));
    config_free(fresh);
    return;
  }
  bool dir_moved = str_differs(d->cfg->feeds_dir, fresh->feeds_dir);
  config_free(d->cfg);
  d->cfg = fresh;
  log_event(d->log, LOG_LEVEL_INFO, "reload", "config=%s changed=%s", where, changed);
  if (dir_moved)
    daemon_watch_feeds(d);
}

/* ---- the feeds.d watch ----------------------------------------------------------------- */

static void on_feeds_debounce(uv_timer_t *t) {
  struct daemon *d = t->data;
  if (!d->stopping)
    daemon_feeds_rescan(d, "feeds");
}

static void on_feeds_event(uv_fs_event_t *h, const char *filename, int events, int status) {
  struct daemon *d = h->data;
  (void)filename;
  (void)events;
  if (status < 0) {
    char dir[512];
    log_event(d->log, LOG_LEVEL_WARNING, "watch", "dir=%s error=%s",
              log_value(dir, sizeof dir, d->watched_dir ? d->watched_dir : "?"),
              uv_strerror(status));
    return;
  }
  if (!d->stopping)
    uv_timer_start(&d->feeds_debounce, on_feeds_debounce, FEEDS_DEBOUNCE_MS, 0);
}

int daemon_watch_feeds(struct daemon *d) {
  if (d->watched_dir && strcmp(d->watched_dir, d->cfg->feeds_dir) == 0)
    return 0;
  if (d->watched_dir) {
    uv_fs_event_stop(&d->feeds_watch);
    free(d->watched_dir);
    d->watched_dir = NULL;
  } else if (!d->feeds_watch.loop) {
    int rc = uv_fs_event_init(&d->loop, &d->feeds_watch);
    if (rc < 0)
      return rc;
    d->feeds_watch.data = d;
  }
  char dir[512];
  log_value(dir, sizeof dir, d->cfg->feeds_dir);
  int rc = uv_fs_event_start(&d->feeds_watch, on_feeds_event, d->cfg->feeds_dir, 0);
  if (rc < 0) {
    log_event(d->log, LOG_LEVEL_WARNING, "watch",
              "dir=%s error=%s result=rescan-on-SIGHUP-only", dir, uv_strerror(rc));
    return rc;
  }
  d->watched_dir = strdup(d->cfg->feeds_dir);
  if (!d->watched_dir) {
    uv_fs_event_stop(&d->feeds_watch);
    return -ENOMEM;
  }
  log_event(d->log, LOG_LEVEL_DEBUG, "watch", "dir=%s", dir);
  return 0;
}
