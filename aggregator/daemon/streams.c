/* streams.c — what the daemon adds around the store's filtered reads: named streams and
 * searches for the server and the [output] dir, and the per-feed /metrics series.
 *
 * A named stream's feeds = and categories = are resolved against the feeds running now, on
 * every read, so a feed added to a category in feeds.d joins the stream at once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loopctx.h"
#include "search.h"

/* Fills f for the named stream sd (NULL: none) seen through one feed (NULL: all) with the
 * search q (NULL: none). *ret_names is malloc'ed (free it); the names are borrowed from
 * d->rt. 0 or -ENOMEM. */
static int stream_filter(struct daemon *d, const struct stream_def *sd, const char *feed,
                         const char *q, struct store_filter *f, const char ***ret_names) {
  *ret_names = NULL;
  *f = (struct store_filter){.query = q, .query2 = sd ? sd->query : NULL};
  bool by_feeds = sd && (sd->feeds_line || sd->categories_line);
  if (!by_feeds && !feed)
    return 0;
  const char **names = malloc((d->n_rt ? d->n_rt : 1) * sizeof *names);
  if (!names)
    return -ENOMEM;
  size_t n = 0;
  for (size_t i = 0; i < d->n_rt; i++) {
    const struct feed_def *def = &d->rt[i]->def;
    if ((!feed || strcmp(feed, def->name) == 0) && (!by_feeds || stream_def_takes_feed(sd, def)))
      names[n++] = def->name;
  }
  f->feeds = names;
  f->n_feeds = n;
  f->by_feeds = true;
  *ret_names = names;
  return 0;
}

int daemon_stream_query(struct daemon *d, const struct serve_query *q, struct stream_list *ret,
                        char *err, size_t errlen) {
  memset(ret, 0, sizeof *ret);
  const struct stream_def *sd = NULL;
  if (q->stream && !(sd = config_stream_find(d->cfg, q->stream)))
    return -ENOENT;
  struct store_filter f;
  const char **names;
  int r = stream_filter(d, sd, q->feed, q->q, &f, &names);
  if (r < 0)
    return r;
  f.since = q->since;
  r = store_stream_filter(d->store, &f, q->n, ret);
  free(names);
  if (r == -EINVAL)
    snprintf(err, errlen, "%s", store_errmsg(d->store));
  else if (r < 0) {
    char why[512];
    log_event(d->log, LOG_LEVEL_ERR, "serve", "stream=%s error=%s",
              q->stream ? q->stream : "-", log_value(why, sizeof why, store_errmsg(d->store)));
  }
  return r;
}

/* The named streams of cfg as the server and the exports list them; titles default to
 * "STREAM TITLE: NAME". */
struct stream_names {
  struct serve_stream *list;
  struct render_nav *nav;
  char **owned; /* the titles and page paths made here, 2 per stream */
  size_t n;
};

static void stream_names_clear(struct stream_names *sn) {
  for (size_t i = 0; sn->owned && i < 2 * sn->n; i++)
    free(sn->owned[i]);
  free(sn->owned);
  free(sn->list);
  free(sn->nav);
  memset(sn, 0, sizeof *sn);
}

static int stream_names_build(const struct braid_config *cfg, struct stream_names *sn) {
  memset(sn, 0, sizeof *sn);
  size_t n = cfg->n_streams;
  if (n == 0)
    return 0;
  sn->list = calloc(n, sizeof *sn->list);
  sn->nav = calloc(n, sizeof *sn->nav);
  sn->owned = calloc(2 * n, sizeof *sn->owned);
  sn->n = n;
  if (!sn->list || !sn->nav || !sn->owned) {
    stream_names_clear(sn);
    return -ENOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    const struct stream_def *sd = &cfg->streams[i];
    char **title = &sn->owned[2 * i], **page = &sn->owned[2 * i + 1];
    if ((sd->title ? asprintf(title, "%s", sd->title)
                   : asprintf(title, "%s: %s", cfg->stream_title, sd->name)) < 0)
      *title = NULL;
    if (asprintf(page, "streams/%s.html", sd->name) < 0)
      *page = NULL;
    if (!*title || !*page) {
      stream_names_clear(sn);
      return -ENOMEM;
    }
    sn->list[i] = (struct serve_stream){.name = sd->name, .title = *title};
    sn->nav[i] = (struct render_nav){.title = *title, .path = *page};
  }
  return 0;
}

int daemon_streams_publish(struct daemon *d, const struct braid_config *cfg) {
  struct stream_names sn;
  int r = stream_names_build(cfg, &sn);
  if (r == 0)
    r = serve_set_streams(d->server, sn.list, sn.n);
  stream_names_clear(&sn);
  if (r < 0)
    log_event(d->log, LOG_LEVEL_ERR, "serve", "streams=%zu error=%s", cfg->n_streams,
              strerror(-r));
  return r;
}

int daemon_streams_export(struct daemon *d, const char *base_url,
                          const struct export_style *base_style, char *err, size_t errlen) {
  struct stream_names sn;
  int first = stream_names_build(d->cfg, &sn);
  if (first < 0) {
    snprintf(err, errlen, "out of memory");
    return first;
  }
  struct export_style with_nav = *base_style, *style = &with_nav;
  with_nav.nav = sn.nav;
  with_nav.n_nav = sn.n;
  first = export_write_dir(d->store, d->cfg->output_dir, d->cfg->stream_entries, base_url, style,
                           err, errlen);
  for (size_t i = 0; i < sn.n; i++) {
    const struct stream_def *sd = &d->cfg->streams[i];
    struct export_stream st = {.name = sd->name, .title = sn.list[i].title};
    const char **names;
    char why[512];
    int r = stream_filter(d, sd, NULL, NULL, &st.filter, &names);
    if (r == 0)
      r = export_write_stream(d->store, d->cfg->output_dir, &st, d->cfg->stream_entries,
                              base_url, style, why, sizeof why);
    else
      snprintf(why, sizeof why, "out of memory");
    free(names);
    if (r < 0 && first == 0) {
      first = r;
      snprintf(err, errlen, "%s", why);
    }
  }
  stream_names_clear(&sn);
  return first;
}

void daemon_streams_warn_missing(struct daemon *d) {
  struct msg_list errs = {0};
  config_streams_check(d->cfg, &d->feeds, NULL, &errs);
  for (size_t i = 0; i < errs.n; i++) {
    char why[600];
    log_event(d->log, LOG_LEVEL_WARNING, "streams", "warning=%s result=stream-goes-on-without-it",
              log_value(why, sizeof why, errs.items[i]));
  }
  msg_list_clear(&errs);
}

/* ---- per-feed metrics ------------------------------------------------------------------ */

/* A label value in the Prometheus text format: backslash, double quote and newline
 * escaped. */
static int label_value(struct buf *out, const char *v) {
  int r = 0;
  for (const char *p = v; r == 0 && *p; p++)
    r = *p == '\\' ? buf_append_str(out, "\\\\")
        : *p == '"' ? buf_append_str(out, "\\\"")
        : *p == '\n' ? buf_append_str(out, "\\n")
                     : buf_append(out, p, 1);
  return r;
}

static int series(struct buf *out, const char *metric, const char *feed, const char *result,
                  long long value) {
  int r = buf_printf(out, "%s{feed=\"", metric);
  if (r == 0)
    r = label_value(out, feed);
  if (r == 0 && result)
    r = buf_printf(out, "\",result=\"%s", result);
  if (r == 0)
    r = buf_printf(out, "\"} %lld\n", value);
  return r;
}

/* The store's entry count of the feed called name (rows sorted by name), 0 when absent. */
static int64_t entries_of(const struct store_feed_rows *rows, const char *name) {
  size_t lo = 0, hi = rows->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(rows->rows[mid].name, name);
    if (c == 0)
      return rows->rows[mid].entries;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

int daemon_feed_metrics(struct daemon *d, struct buf *out) {
  struct store_feed_rows rows = {0};
  if (store_feed_rows(d->store, &rows) < 0) {
    char why[512];
    log_event(d->log, LOG_LEVEL_WARNING, "metrics", "error=%s",
              log_value(why, sizeof why, store_errmsg(d->store)));
  }
  /* Feeds are the label: one series per feed, the first DAEMON_METRICS_MAX_FEEDS by name,
   * so a large instance cannot flood the scraper; the rest are counted, not listed. */
  size_t shown = d->n_rt < DAEMON_METRICS_MAX_FEEDS ? d->n_rt : DAEMON_METRICS_MAX_FEEDS;
  int r = buf_append_str(out, "# HELP braid_feed_polls_total Finished polls of one feed since "
                              "start, by result.\n# TYPE braid_feed_polls_total counter\n");
  for (size_t i = 0; r == 0 && i < shown; i++) {
    const struct feed_rt *f = d->rt[i];
    r = series(out, "braid_feed_polls_total", f->def.name, "ok", (long long)f->counts.ok);
    if (r == 0)
      r = series(out, "braid_feed_polls_total", f->def.name, "not_modified",
                 (long long)f->counts.not_modified);
    if (r == 0)
      r = series(out, "braid_feed_polls_total", f->def.name, "failed",
                 (long long)f->counts.failed);
  }
  if (r == 0)
    r = buf_append_str(out, "# HELP braid_feed_entries Stream entries the feed is a source of.\n"
                            "# TYPE braid_feed_entries gauge\n");
  for (size_t i = 0; r == 0 && i < shown; i++)
    r = series(out, "braid_feed_entries", d->rt[i]->def.name, NULL,
               (long long)entries_of(&rows, d->rt[i]->def.name));
  if (r == 0)
    r = buf_append_str(out, "# HELP braid_feed_last_success_timestamp_seconds When the feed "
                            "last fetched (200 or 304); 0 never.\n"
                            "# TYPE braid_feed_last_success_timestamp_seconds gauge\n");
  for (size_t i = 0; r == 0 && i < shown; i++)
    r = series(out, "braid_feed_last_success_timestamp_seconds", d->rt[i]->def.name, NULL,
               (long long)d->rt[i]->counts.last_success);
  if (r == 0)
    r = buf_printf(out, "# HELP braid_feed_series_omitted Feeds left out of the per-feed "
                        "series (only the first %d by name have them).\n"
                        "# TYPE braid_feed_series_omitted gauge\nbraid_feed_series_omitted %zu\n",
                   DAEMON_METRICS_MAX_FEEDS, d->n_rt - shown);
  store_feed_rows_clear(&rows);
  return r;
}
