/* poll.c — one feed's poll: fetch, parse as the bytes arrive, split live blogs, store the
 * result in one transaction, remember what the server said, log one line.
 *
 * The feed's validators (ETag, Last-Modified) are saved in the same transaction as its items:
 * if they were saved apart, a crash between the two would make the next poll a 304 and lose
 * those items for good.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "ingest.h"
#include "loopctx.h"
#include "parse.h"
#include "pgnode.h"

struct poll_job {
  struct daemon *d;
  struct feed_rt *f;
  struct fetch_job *fetch; /* the transfer while it runs, NULL once it has ended */
  struct feed_parser *parser;
  struct ingest_batch batch;
  int parse_rc;          /* a fatal parse error, 0 if none */
  char *etag;            /* validators of the 200 response, saved with its items */
  char *last_modified;
  poll_done_fn *done;    /* told once, when the poll has ended */
  /* Once fetched, a poll waits in the daemon's done queue for its turn to be saved, holding a
   * copy of the fetch's result (its strings owned). */
  struct poll_job *next_done;
  bool held;
  struct fetch_result result;
  struct fetch_headers headers;
};

/* The result's strings, for holding and freeing them. */
#define HELD_STRINGS(job)                                                                   \
  {&(job)->result.error, &(job)->headers.content_type, &(job)->headers.charset,            \
   &(job)->headers.etag, &(job)->headers.last_modified, &(job)->headers.effective_url,     \
   &(job)->headers.permanent_url}

static void poll_job_free(struct poll_job *job) {
  if (job->held) {
    const char **strs[] = HELD_STRINGS(job);
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
      free((char *)*strs[i]);
  }
  feed_parser_free(job->parser);
  ingest_batch_clear(&job->batch);
  free(job->etag);
  free(job->last_modified);
  free(job);
}

static int on_item(void *userdata, const struct feed_item *item) {
  struct poll_job *job = userdata;
  struct ingest_options opt = {.mode = job->f->def.liveblog, .tz = job->f->def.timezone};
  return ingest_add(&job->batch, item, &opt) < 0 ? 1 : 0;
}

static char *dup_opt(const char *s) { return s && *s ? strdup(s) : NULL; }

/* Whether an HTTP charset label is worth more than what the document says of itself.
 * Servers put iso-8859-1 (HTTP/1.1's old default) or us-ascii (RFC 3023's default for text/xml)
 * on documents that are really UTF-8, and trusting them garbles every non-ASCII character.
 * Ignoring those labels loses nothing: the parser then follows the XML declaration, else reads
 * UTF-8 and recovers any stray byte that is not UTF-8 as the windows-1252 (a superset of
 * Latin-1) character it is. Every other label (koi8-r, shift_jis, utf-16...) is honoured. */
static bool http_charset_trusted(const char *charset) {
  static const char *const weak[] = {"iso-8859-1", "iso8859-1", "latin1", "latin-1",
                                     "l1", "us-ascii", "ascii", "windows-1252", "cp1252"};
  if (!charset)
    return false;
  for (size_t i = 0; i < sizeof weak / sizeof weak[0]; i++)
    if (strcasecmp(charset, weak[i]) == 0)
      return false;
  return true;
}

static int on_headers(void *userdata, long status, const struct fetch_headers *h) {
  struct poll_job *job = userdata;
  if (status < 200 || status > 299)
    return 0;
  /* The document's own URL resolves its relative links. */
  struct parse_options po = {.base_url = h->effective_url,
                             .charset = http_charset_trusted(h->charset) ? h->charset : NULL,
                             .content_links_raw = true};
  job->parser = feed_parser_new(&po, on_item, job);
  if (!job->parser) {
    job->parse_rc = -ENOMEM;
    return 1;
  }
  job->etag = dup_opt(h->etag);
  job->last_modified = dup_opt(h->last_modified);
  return 0;
}

static int on_data(void *userdata, const char *data, size_t len) {
  struct poll_job *job = userdata;
  if (!job->parser)
    return 0;
  int r = feed_parser_push(job->parser, data, len);
  if (r < 0) {
    /* A cap was hit or the XML is beyond recovery: the items read so far are kept, the rest
     * of the body is not worth downloading. */
    job->parse_rc = r;
    return 1;
  }
  return 0;
}

/* The field name of the [poll] setting behind a limit outcome, for the log. */
static const char *limit_setting(enum fetch_outcome o) {
  switch (o) {
  case FETCH_LIMIT_CONNECT_TIMEOUT: return "connect_timeout";
  case FETCH_LIMIT_TIMEOUT: return "timeout";
  case FETCH_LIMIT_LOW_SPEED: return "low_speed_limit";
  case FETCH_LIMIT_MAX_BYTES: return "max_bytes";
  case FETCH_LIMIT_MAX_REDIRECTS: return "max_redirects";
  default: return NULL;
  }
}

static void log_parse_problems(struct poll_job *job) {
  struct daemon *d = job->d;
  struct feed_parser *p = job->parser;
  size_t n = feed_parser_error_count(p);
  if (n == 0 && job->parse_rc == 0)
    return;
  char name[128], first[512];
  int level = job->parse_rc < 0 || !feed_parser_wellformed(p) ? LOG_LEVEL_WARNING
                                                               : LOG_LEVEL_INFO;
  log_event(d->log, level, "parse", "feed=%s wellformed=%s errors=%zu first=%s",
            log_value(name, sizeof name, job->f->def.name),
            feed_parser_wellformed(p) ? "true" : "false", n,
            log_value(first, sizeof first, n ? feed_parser_error(p, 0) : strerror(-job->parse_rc)));
}

/* Saves what this poll taught us about the feed (and, for a 200, its items) and returns the
 * next due time. Runs inside the caller's transaction when there is one. */
static int save_state(struct poll_job *job, const struct fetch_result *r,
                      const struct sched_outcome *so, int64_t now, int64_t *ret_next_due) {
  struct daemon *d = job->d;
  struct feed_rt *f = job->f;
  struct store_feed_state st = {0};
  int rc = store_feed_get_state(d->store, f->def.name, &st);
  if (rc < 0)
    return rc;
  struct sched_state ss = {.next_due = st.next_due, .last_polled = st.last_polled,
                           .errors = (unsigned)(st.error_count > 0 ? st.error_count : 0),
                           .retired = st.retired};
  int64_t next = sched_after_poll(&ss, f->interval_s, so, now, &d->rng);
  st.next_due = next;
  st.last_polled = now;
  st.error_count = (int)ss.errors;
  st.retired = ss.retired;
  st.last_status = r->status ? (int)r->status : -(int)r->outcome;
  if (so->kind == SCHED_OK) {
    free(st.etag);
    free(st.last_modified);
    st.etag = job->etag;
    st.last_modified = job->last_modified;
    job->etag = job->last_modified = NULL;
    const struct feed_meta *m = job->parser ? feed_parser_meta(job->parser) : NULL;
    const char *title = f->def.title ? f->def.title : m ? m->title : NULL;
    if (title) {
      free(st.title);
      st.title = strdup(title);
    }
    if (m && m->link) {
      free(st.site_url);
      st.site_url = strdup(m->link);
    }
  }
  if (r->headers->permanent_url && strcmp(r->headers->permanent_url, f->def.url) != 0) {
    free(st.effective_url);
    st.effective_url = strdup(r->headers->permanent_url);
  }
  rc = store_feed_set_state(d->store, f->def.name, &st);
  store_feed_state_clear(&st);
  *ret_next_due = next;
  return rc;
}

/* The store is failing while the last write of any feed failed: a small write that happens to
 * fit (another feed's 304) does not make /healthz flap back to 200. Logged when it changes. */
static void store_health_update(struct daemon *d) {
  /* A streak starts only in store_failed: while the store is fine and none started, it still
   * is. Scanning every feed after every poll made a round of n polls O(n^2) (2% of a re-poll's
   * CPU at 2,000 feeds). */
  if (!d->store_failing && !d->store_streak_started)
    return;
  d->store_streak_started = false;
  bool failing = false;
  for (size_t i = 0; i < d->n_rt && !failing; i++)
    failing = d->rt[i]->store_fail_streak > 0;
  daemon_log_store_state(d, "store", d->store_failing, failing);
  d->store_failing = failing;
}

void daemon_log_store_state(struct daemon *d, const char *event, bool was_failing,
                            bool failing) {
  if (failing == was_failing)
    return;
  char why[512];
  log_event(d->log, failing ? LOG_LEVEL_ERR : LOG_LEVEL_NOTICE, event, "state=%s%s%s",
            failing ? "failing" : "ok", failing ? " error=" : "",
            failing ? log_value(why, sizeof why, store_errmsg(d->store)) : "");
}

static void log_done(struct poll_job *job, const struct fetch_result *r,
                     const struct store_put_stats *ps, int64_t next_due, int64_t now) {
  struct daemon *d = job->d;
  char name[128], err[512];
  log_value(name, sizeof name, job->f->def.name);
  long long next_in = next_due == SCHED_NEVER ? -1 : (long long)(next_due - now);
  switch (r->outcome) {
  case FETCH_OK:
    log_event(d->log, LOG_LEVEL_INFO, "poll",
              "feed=%s status=%ld bytes=%llu items=%zu updates=%zu new_entries=%d "
              "updated_entries=%d ms=%lld next_in=%llds",
              name, r->status, (unsigned long long)r->body_bytes, job->batch.n,
              ingest_update_count(&job->batch), ps->new_entries, ps->updated_entries,
              (long long)r->elapsed_ms, next_in);
    break;
  case FETCH_NOT_MODIFIED:
    /* Most polls of a polite poller are 304s: at info they drowned the log (the `round` line
     * counts them). */
    log_event(d->log, LOG_LEVEL_DEBUG, "poll", "feed=%s status=304 ms=%lld next_in=%llds", name,
              (long long)r->elapsed_ms, next_in);
    break;
  default: {
    const char *limit = limit_setting(r->outcome);
    log_event(d->log, LOG_LEVEL_WARNING, "poll",
              "feed=%s status=%ld result=%s%s%s ms=%lld next_in=%llds error=%s", name, r->status,
              fetch_outcome_name(r->outcome), limit ? " limit=" : "", limit ? limit : "",
              (long long)r->elapsed_ms, next_in, log_value(err, sizeof err, r->error));
  }
  }
  if (r->status == 410)
    log_event(d->log, LOG_LEVEL_WARNING, "retired",
              "feed=%s status=410 hint=\"the publisher removed it; delete or fix feeds.d/%s.feed\"",
              name, job->f->def.name);
  if (r->headers->permanent_url && strcmp(r->headers->permanent_url, job->f->def.url) != 0) {
    char to[512];
    log_event(d->log, LOG_LEVEL_NOTICE, "redirect",
              "feed=%s permanent=true to=%s hint=\"update the url in feeds.d/%s.feed\"", name,
              log_value(to, sizeof to, r->headers->permanent_url), job->f->def.name);
  }
}

/* Once a permanent redirect is saved (save_state), polls go straight to its target, as they
 * do after a restart, when feed_rt_add reads the saved URL. */
static void follow_permanent_redirect(struct daemon *d, struct feed_rt *f, const char *url) {
  if (!url || strcmp(url, f->def.url) == 0 || strcmp(url, f->poll_url) == 0)
    return;
  char *copy = strdup(url);
  /* Without memory the old URL is kept: it still redirects, so nothing is lost. */
  if (!copy || sched_queue_set_url(d->queue, f->def.name, copy) < 0) {
    free(copy);
    return;
  }
  free(f->poll_url);
  f->poll_url = copy;
}

/* Why a body that yielded nothing is not a feed, with the way out when it is a web page:
 * the URL of a site or an article, pasted where its feed's belongs. */
static const char *not_a_feed_error(const struct fetch_headers *h, char *out, size_t size) {
  const char *type = h->content_type ? h->content_type : "no content type";
  bool page = h->content_type && (strcasecmp(type, "text/html") == 0 ||
                                  strcasecmp(type, "application/xhtml+xml") == 0);
  snprintf(out, size, "not a feed (%s)%s", type,
           page ? "; try braid feeds add URL to discover" : "");
  return out;
}

/* Polls saved in one transaction at most, and how long the first of them waits for the
 * commit: one commit per poll cost more than the poll's own inserts on a first poll of
 * thousands of feeds, while a poll's entries should reach readers (`braid tail`, other
 * processes) within a quarter second. */
#define POLL_GROUP_MAX_MS 250

/* A store call on the loop longer than this is logged (info, "slow"): the loop answers
 * nothing meanwhile, and /healthz should answer within 100 ms. */
#define POLL_SLOW_STORE_MS 50

static void log_if_slow(struct daemon *d, const char *what, const char *feed, uint64_t t0_ns,
                        unsigned polls) {
  uint64_t ms = (uv_hrtime() - t0_ns) / 1000000;
  if (ms < POLL_SLOW_STORE_MS)
    return;
  char name[128];
  log_event(d->log, LOG_LEVEL_INFO, "slow", "what=%s feed=%s polls=%u ms=%llu", what,
            feed ? log_value(name, sizeof name, feed) : "-", polls, (unsigned long long)ms);
}

/* A poll whose results were not saved: said once per feed (then at debug level), and the
 * feed's next poll, which fetches everything again (the validators went too), waits longer each
 * time: interval x 2^(streak-1), at most the backoff bound. Returns that due time. */
static int64_t store_failed(struct daemon *d, struct feed_rt *f, int64_t now) {
  char name[128], why[512];
  log_event(d->log, f->store_fail_streak ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERR, "store",
            "feed=%s error=%s", log_value(name, sizeof name, f->def.name),
            log_value(why, sizeof why, store_errmsg(d->store)));
  daemon_store_errors(d, 1);
  d->store_streak_started = true;
  if (f->store_fail_streak < 32)
    f->store_fail_streak++;
  int64_t wait = f->interval_s;
  for (unsigned i = 1; i < f->store_fail_streak && wait < BRAID_SCHED_MAX_BACKOFF_S; i++)
    wait *= 2;
  return now + (wait < BRAID_SCHED_MAX_BACKOFF_S ? wait : BRAID_SCHED_MAX_BACKOFF_S);
}

/* A poll whose results are committed. */
static void store_saved(struct daemon *d, struct feed_rt *f) {
  if (f->store_fail_streak) {
    char name[128];
    log_event(d->log, LOG_LEVEL_NOTICE, "store", "feed=%s recovered=true after_failures=%u",
              log_value(name, sizeof name, f->def.name), f->store_fail_streak);
  }
  f->store_fail_streak = 0;
}

void poll_group_commit(struct daemon *d) {
  uv_timer_stop(&d->group_timer);
  if (!store_group_open(d->store))
    return;
  unsigned polls = d->group_polls;
  d->group_polls = 0;
  d->group_entries = 0;
  uint64_t t0 = uv_hrtime();
  bool saved = store_group_commit(d->store) == 0;
  log_if_slow(d, "commit", NULL, t0, polls);
  if (!saved) {
    char why[512];
    log_event(d->log, LOG_LEVEL_DEBUG, "store", "polls=%u error=%s", polls,
              log_value(why, sizeof why, store_errmsg(d->store)));
  }
  /* A member joined with no failure streak (finish saves a failing feed alone) and cannot
   * be polled again before this commit (poll_start commits first), so after a successful
   * commit store_saved has nothing to do for it: the search of every feed for each member,
   * O(polls x feeds) per commit, is left to a failed one. */
  if (saved) {
    store_health_update(d);
    return;
  }
  int64_t now = daemon_now();
  for (unsigned i = 0; i < polls && i < POLL_GROUP_MAX_POLLS; i++) {
    for (size_t k = 0; k < d->n_rt; k++) {
      struct feed_rt *f = d->rt[k];
      if (f->feed_id != d->group_feeds[i])
        continue;
      int64_t due = store_failed(d, f, now);
      if (!f->job && !d->once)
        sched_queue_set_due(d->queue, f->def.name, due);
    }
  }
  store_health_update(d);
}

static void on_group_timer(uv_timer_t *t) { poll_group_commit(t->data); }

/* Opens a group for this poll if none is open (a failure to open one leaves the poll its
 * own transaction). */
static void group_join(struct daemon *d) {
  if (store_group_open(d->store) || d->stopping)
    return;
  if (store_group_begin(d->store) == 0)
    uv_timer_start(&d->group_timer, on_group_timer, POLL_GROUP_MAX_MS, 0);
}

/* The end of a poll that saved nothing and has no next due time (cancelled, or its feed
 * removed while it waited). */
static void drop(struct poll_job *job) {
  struct daemon *d = job->d;
  struct feed_rt *f = job->f;
  poll_done_fn *done = job->done;
  f->job = NULL;
  poll_job_free(job);
  done(d, f, &(struct poll_report){.cancelled = true, .next_due = -1});
}

/* Parses the rest, stores, logs and reports a fetched poll: one store transaction (or
 * savepoint of the open group) on the loop. */
/* The outcome a poll counts as once its parser has finished: a 200 whose body the parser gave
 * up on early still counts as fetched when it yielded items; one that yielded nothing is a
 * failed poll (not_feed, of size BRAID_FETCH_MAX_HEADER_BYTES + 128, holds the reason). */
static void settle_parse(struct poll_job *job, struct fetch_result *res, char *not_feed,
                         size_t size) {
  if (!job->parser || (res->outcome != FETCH_OK && res->outcome != FETCH_ABORTED))
    return;
  /* Also after a fatal push error: finish then repeats that error but still completes the
   * feed's metadata (its title, link) from what was read. */
  int finished = feed_parser_finish(job->parser);
  if (job->parse_rc == 0)
    job->parse_rc = finished;
  log_parse_problems(job);
  if (job->batch.n > 0 || (job->parse_rc == 0 && feed_parser_meta(job->parser)->format)) {
    res->outcome = FETCH_OK;
  } else {
    res->outcome = FETCH_ABORTED;
    res->error = not_a_feed_error(res->headers, not_feed, size);
  }
}

/* One line each for items the split failed on, skipped, or cut. */
static void log_batch_notes(struct daemon *d, const char *feed, const struct ingest_batch *b) {
  char name[128];
  log_value(name, sizeof name, feed);
  if (b->split_errors) {
    char why[256];
    log_event(d->log, LOG_LEVEL_WARNING, "split", "feed=%s failed_items=%u error=%s", name,
              b->split_errors, log_value(why, sizeof why, b->last_error));
  }
  if (b->skipped_items) {
    char why[640];
    log_event(d->log, LOG_LEVEL_WARNING, "skip", "feed=%s skipped_items=%u last=%s", name,
              b->skipped_items, log_value(why, sizeof why, b->last_skipped));
  }
  if (b->cut_items) {
    char what[384];
    log_event(d->log, LOG_LEVEL_NOTICE, "cut", "feed=%s cut_items=%u last=%s", name,
              b->cut_items, log_value(what, sizeof what, b->last_cut));
  }
}

/* Counts a finished save into the open group; true when the group should commit now. The last
 * poll in flight commits at once: a lone poll is never held back, only a burst (a first poll,
 * a restart) shares commits. */
static bool group_enrol(struct daemon *d, const struct feed_rt *f, int rc,
                        const struct store_put_stats *ps) {
  if (!store_group_open(d->store))
    return false;
  bool member = rc == 0 && store_group_pending(d->store);
  d->group_feeds[d->group_polls] = member ? f->feed_id : 0; /* ids start at 1 */
  d->group_entries += (unsigned)(ps->new_entries + ps->updated_entries);
  return ++d->group_polls >= POLL_GROUP_MAX_POLLS || d->group_entries >= POLL_GROUP_MAX_ENTRIES ||
         sched_queue_in_flight(d->queue) <= 1;
}

/* With [store] url: the result goes to PostgreSQL (pgnode.c) and reaches the local store when
 * the node replays the shared log, like every other node's results; the pages of its live
 * blogs are read now and join it (pagepoll.c). */
static void finish_shared(struct poll_job *job, struct fetch_result *res,
                          const struct sched_outcome *so, int64_t now) {
  struct daemon *d = job->d;
  struct feed_rt *f = job->f;
  const struct feed_meta *m = job->parser ? feed_parser_meta(job->parser) : NULL;
  const char *title = f->def.title ? f->def.title : m ? m->title : NULL;
  /* From the replica, which may lag the log by a replay: a page read in that gap is read
   * again, and its entries are the same. */
  if (res->outcome == FETCH_OK)
    pagepoll_mark_owned(d, f, &job->batch);
  int64_t next_due = pgnode_poll_finished(d, f, &job->batch, res, so, now, title,
                                          m ? m->link : NULL, job->etag, job->last_modified);
  log_batch_notes(d, f->def.name, &job->batch);
  struct store_put_stats ps = {0};
  log_done(job, res, &ps, next_due, now);
  follow_permanent_redirect(d, f, res->headers->permanent_url);
  if (res->outcome == FETCH_OK || res->outcome == FETCH_NOT_MODIFIED)
    pagepoll_after_feed(d, f, res->outcome == FETCH_OK ? &job->batch : NULL);
  pgnode_poll_pages_started(d, f);
  poll_done_fn *done = job->done;
  poll_job_free(job);
  done(d, f, &(struct poll_report){.outcome = res->outcome, .saved = true,
                                   .next_due = next_due, .finished = now});
}

static void finish(struct poll_job *job, const struct fetch_result *r) {
  struct daemon *d = job->d;
  struct feed_rt *f = job->f;
  f->job = NULL;
  int64_t now = daemon_now();
  struct fetch_result res = *r;
  char not_feed[BRAID_FETCH_MAX_HEADER_BYTES + 128];
  settle_parse(job, &res, not_feed, sizeof not_feed);
  struct sched_outcome so;
  sched_outcome_from_fetch(&res, &so);
  if (res.outcome == FETCH_ABORTED)
    so.kind = SCHED_ERROR;

  if (d->pg) {
    finish_shared(job, &res, &so, now);
    return;
  }
  struct store_put_stats ps = {0};
  int64_t next_due = now + f->interval_s;
  /* A feed whose last save failed saves alone, so its failure (a full disk, an oversized
   * write) cannot take other feeds' polls down with it, and its recovery is its own. */
  if (f->store_fail_streak)
    poll_group_commit(d);
  else
    group_join(d);
  uint64_t t0 = uv_hrtime();
  int rc = store_begin(d->store);
  if (rc == 0 && res.outcome == FETCH_OK)
    rc = pagepoll_mark_owned(d, f, &job->batch);
  if (rc == 0 && res.outcome == FETCH_OK)
    rc = ingest_store(d->store, f->feed_id, &job->batch, now, &ps);
  log_batch_notes(d, f->def.name, &job->batch);
  if (rc == 0)
    rc = save_state(job, &res, &so, now, &next_due);
  if (rc == 0)
    rc = store_commit(d->store);
  log_if_slow(d, "save", f->def.name, t0, 1);
  if (rc < 0) {
    store_rollback(d->store);
    memset(&ps, 0, sizeof ps);
    next_due = store_failed(d, f, now);
  } else {
    /* A savepoint of the group is saved only when the group commits (poll_group_commit). */
    if (!store_group_pending(d->store))
      store_saved(d, f);
    follow_permanent_redirect(d, f, res.headers->permanent_url);
  }
  bool commit_now = group_enrol(d, f, rc, &ps);

  log_done(job, &res, &ps, next_due, now);
  bool fetched = res.outcome == FETCH_OK || res.outcome == FETCH_NOT_MODIFIED;
  if (rc == 0 && fetched)
    pagepoll_after_feed(d, f, res.outcome == FETCH_OK ? &job->batch : NULL);
  poll_done_fn *done = job->done;
  poll_job_free(job);
  done(d, f, &(struct poll_report){.outcome = res.outcome, .saved = rc == 0,
                                   .new_entries = ps.new_entries,
                                   .updated_entries = ps.updated_entries,
                                   .next_due = next_due, .finished = now});
  if (commit_now)
    poll_group_commit(d); /* after the feed's next poll is scheduled: a failure moves it */
  else
    store_health_update(d);
}

/* Copies what finish needs of r into the job. 0 or -ENOMEM (nothing held). */
static int hold(struct poll_job *job, const struct fetch_result *r) {
  job->result = *r;
  job->headers = *r->headers;
  job->result.headers = &job->headers;
  const char **strs[] = HELD_STRINGS(job);
  size_t i;
  for (i = 0; i < sizeof strs / sizeof strs[0]; i++)
    if (*strs[i] && !(*strs[i] = strdup(*strs[i])))
      break;
  if (i < sizeof strs / sizeof strs[0]) {
    while (i-- > 0)
      free((char *)*strs[i]);
    return -ENOMEM;
  }
  job->held = true;
  return 0;
}

/* Saves the first poll of the done queue: one a loop turn, so that a burst of fetches that
 * end together (a first poll) cannot hold the loop for the sum of their saves. */
static void on_done_idle(uv_idle_t *h) {
  struct daemon *d = h->data;
  struct poll_job *job = d->done_head;
  if (job) {
    d->done_head = job->next_done;
    if (!d->done_head)
      d->done_tail = NULL;
    if (job->f->removed)
      drop(job);
    else
      finish(job, &job->result);
  }
  if (!d->done_head)
    uv_idle_stop(h);
}

void poll_drain(struct daemon *d) {
  while (d->done_head)
    on_done_idle(&d->done_idle);
}

static void on_done(void *userdata, const struct fetch_result *r) {
  struct poll_job *job = userdata;
  struct daemon *d = job->d;
  job->fetch = NULL;
  if (r->outcome == FETCH_CANCELLED) {
    drop(job);
    return;
  }
  /* Without memory for a copy, the poll is saved now, as it is at once when the loop is
   * otherwise idle. */
  if (hold(job, r) < 0) {
    finish(job, r);
    return;
  }
  if (d->done_tail)
    d->done_tail->next_done = job;
  else
    d->done_head = job;
  d->done_tail = job;
  uv_idle_start(&d->done_idle, on_done_idle);
}

/* Whether feed_id's last poll is saved in the open group, not yet committed. */
static bool pending_in_group(const struct daemon *d, int64_t feed_id) {
  for (unsigned i = 0; i < d->group_polls && i < POLL_GROUP_MAX_POLLS; i++)
    if (d->group_feeds[i] == feed_id)
      return true;
  return false;
}

int poll_start(struct daemon *d, struct feed_rt *f, poll_done_fn *done) {
  /* The validators sent must be committed ones: sent from a save the group then loses, they
   * would earn a 304 for items never stored, and those would be lost for good. */
  if (store_group_pending(d->store) && pending_in_group(d, f->feed_id))
    poll_group_commit(d);
  struct store_feed_state st = {0};
  /* On PostgreSQL the validators are the database's, handed over with the lease. */
  int rc = d->pg ? 0 : store_feed_get_state(d->store, f->def.name, &st);
  if (rc < 0)
    return rc;
  if (d->pg)
    pgnode_validators(f, (const char **)&st.etag, (const char **)&st.last_modified);
  struct poll_job *job = calloc(1, sizeof *job);
  if (!job) {
    store_feed_state_clear(&st);
    return -ENOMEM;
  }
  job->d = d;
  job->f = f;
  job->done = done;
  struct fetch_request req = {.url = f->poll_url, .etag = st.etag,
                              .last_modified = st.last_modified};
  static const struct fetch_callbacks callbacks = {
      .on_headers = on_headers, .on_data = on_data, .on_done = on_done};
  f->job = job;
  rc = fetcher_start(d->fetcher, &req, &callbacks, job, &job->fetch);
  if (!d->pg)
    store_feed_state_clear(&st);
  if (rc < 0) {
    f->job = NULL;
    free(job);
  }
  return rc;
}

void poll_cancel(struct feed_rt *f) {
  /* A poll waiting in the done queue is dropped when its turn comes (f->removed). */
  if (f->job && f->job->fetch)
    fetcher_cancel(f->job->fetch);
}
