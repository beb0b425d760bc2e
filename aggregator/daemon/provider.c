/* provider.c — what the HTTP server reads from the daemon: the stream and searches, metrics,
 * /status, health and the version its cache keys on (serve.h's struct serve_provider). */
#include <errno.h>
#include <stdio.h>

#include "bounds.h"
#include "civil.h"
#include "export.h"
#include "heapstat.h"
#include "loopctx.h"
#include "pgnode.h"
#include "streamread.h"

static int provider_get_stream(void *userdata, const char *feed, size_t n, int64_t since,
                               struct stream_list *ret) {
  struct daemon *d = userdata;
  if (feed && !daemon_find_feed(d, feed))
    return -ENOENT;
  return stream_read(d->store, feed, n, since, ret);
}

static int provider_get_query(void *userdata, const struct serve_query *q,
                              struct stream_list *ret, char *err, size_t errlen) {
  struct daemon *d = userdata;
  if (q->feed && !daemon_find_feed(d, q->feed))
    return -ENOENT;
  return daemon_stream_query(d, q, ret, err, errlen);
}

static int provider_get_metrics(void *userdata, struct buf *out) {
  struct daemon *d = userdata;
  const struct poll_counters *s = &d->stats;
  return buf_printf(out,
                    "# HELP braid_feeds Feeds configured.\n# TYPE braid_feeds gauge\n"
                    "braid_feeds %zu\n"
                    "# HELP braid_polls_in_flight Polls in flight.\n"
                    "# TYPE braid_polls_in_flight gauge\nbraid_polls_in_flight %zu\n"
                    "# HELP braid_polls_total Finished polls by result.\n"
                    "# TYPE braid_polls_total counter\n"
                    "braid_polls_total{result=\"ok\"} %llu\n"
                    "braid_polls_total{result=\"not_modified\"} %llu\n"
                    "braid_polls_total{result=\"failed\"} %llu\n"
                    "# HELP braid_entries_total Stream entries written since start.\n"
                    "# TYPE braid_entries_total counter\n"
                    "braid_entries_total{change=\"new\"} %llu\n"
                    "braid_entries_total{change=\"updated\"} %llu\n"
                    "# HELP braid_store_errors_total Poll results the store could not save.\n"
                    "# TYPE braid_store_errors_total counter\nbraid_store_errors_total %llu\n"
                    "# HELP braid_last_poll_timestamp_seconds When the last poll ended.\n"
                    "# TYPE braid_last_poll_timestamp_seconds gauge\n"
                    "braid_last_poll_timestamp_seconds %lld\n"
                    "# HELP braid_heap_bytes Heap in use, as the allocator counts it.\n"
                    "# TYPE braid_heap_bytes gauge\nbraid_heap_bytes %zu\n"
                    "# HELP braid_sqlite_heap_bytes Of that, SQLite's (page cache included).\n"
                    "# TYPE braid_sqlite_heap_bytes gauge\nbraid_sqlite_heap_bytes %lld\n",
                    d->n_rt, sched_queue_in_flight(d->queue), (unsigned long long)s->ok,
                    (unsigned long long)s->not_modified, (unsigned long long)s->failed,
                    (unsigned long long)s->new_entries, (unsigned long long)s->updated_entries,
                    (unsigned long long)s->store_errors, (long long)s->last_poll,
                    heap_bytes_in_use(), (long long)store_sqlite_heap_bytes()) < 0
             ? -ENOMEM
             : daemon_feed_metrics(d, out);
}

/* A feed name as a JSON string's contents (names come from file names: anything but '/'). */
static int json_name(struct buf *out, const char *name) {
  int r = 0;
  for (const unsigned char *p = (const unsigned char *)name; r == 0 && *p; p++)
    r = *p < 0x20 || *p == '"' || *p == '\\' ? buf_printf(out, "\\u%04x", *p)
                                             : buf_printf(out, "%c", *p);
  return r;
}

/* /status: every feed whose last polls failed or that a 410 retired, at most
 * BRAID_SERVE_STATUS_MAX_FEEDS of them. Read from the store, so it survives restarts. */
static int provider_get_status(void *userdata, struct buf *out) {
  struct daemon *d = userdata;
  size_t listed = 0, troubled = 0;
  int r = buf_printf(out, "{\"feeds\": %zu, \"store_ok\": %s, \"in_trouble\": [", d->n_rt,
                     d->store_failing ? "false" : "true");
  for (size_t i = 0; r == 0 && i < d->n_rt; i++) {
    struct store_feed_state st = {0};
    if (store_feed_get_state(d->store, d->rt[i]->def.name, &st) == 0 &&
        (st.error_count > 0 || st.retired) && troubled++ < BRAID_SERVE_STATUS_MAX_FEEDS) {
      char last[CIVIL_UTC_LEN] = "", next[CIVIL_UTC_LEN] = "";
      if (st.last_polled)
        civil_format_utc(st.last_polled, last);
      civil_format_utc(st.next_due, next);
      r = buf_printf(out, "%s\n  {\"name\": \"", listed++ ? "," : "");
      if (r == 0)
        r = json_name(out, d->rt[i]->def.name);
      if (r == 0)
        r = buf_printf(out, "\", \"state\": \"%s\", \"errors\": %d, \"last_status\": %d, "
                            "\"last_polled\": \"%s\", \"next_poll\": \"%s\"}",
                       st.retired ? "retired" : "failing", st.error_count, st.last_status, last,
                       st.retired ? "" : next);
    }
    store_feed_state_clear(&st);
  }
  if (r == 0)
    r = buf_printf(out, "%s], \"in_trouble_total\": %zu, \"streams\": [", listed ? "\n" : "",
                   troubled);
  /* The named streams, so a dashboard (or a person) finds their addresses. */
  char base[EXPORT_BASE_URL_BYTES];
  export_base_url(d->cfg->http_base_url, d->cfg->http_listen, base, sizeof base);
  for (size_t i = 0; r == 0 && i < d->cfg->n_streams; i++) {
    const struct stream_def *sd = &d->cfg->streams[i];
    r = buf_printf(out, "%s\n  {\"name\": \"%s\", \"title\": \"", i ? "," : "", sd->name);
    if (r == 0)
      r = json_name(out, sd->title ? sd->title : sd->name);
    if (r == 0)
      r = buf_printf(out, "\", \"url\": \"");
    if (r == 0)
      r = json_name(out, base);
    if (r == 0)
      r = buf_printf(out, "streams/%s.atom\"}", sd->name);
  }
  if (r == 0)
    r = buf_printf(out, "%s]}\n", d->cfg->n_streams ? "\n" : "");
  return r;
}

static int provider_get_health(void *userdata, char *reason, size_t reasonlen) {
  struct daemon *d = userdata;
  int rc = pgnode_health(d, reason, reasonlen);
  if (rc < 0)
    return rc;
  if (d->store_failing) {
    snprintf(reason, reasonlen, "the store cannot save poll results: %s",
             store_errmsg(d->store));
    return -EIO;
  }
  if (d->stopping) {
    snprintf(reason, reasonlen, "stopping");
    return -ESHUTDOWN;
  }
  return 0;
}

/* Our own writes bump stream_version; a write by another process (braid import, a script,
 * sqlite3) shows only in PRAGMA data_version, checked on every request so the served stream
 * never lags the store. */
static int64_t provider_get_version(void *userdata) {
  struct daemon *d = userdata;
  int64_t dv;
  if (store_data_version(d->store, &dv) == 0 && dv != d->store_data_version) {
    d->store_data_version = dv;
    d->stream_version++;
  }
  return d->stream_version;
}

const struct serve_provider daemon_serve_provider = {
    .get_stream = provider_get_stream, .get_metrics = provider_get_metrics,
    .get_health = provider_get_health, .get_version = provider_get_version,
    .get_status = provider_get_status, .get_query = provider_get_query};
