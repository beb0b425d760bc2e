/* pagepoll.c — reading live blogs' web pages on the feed's schedule.
 *
 * Most news feeds carry a live blog as one item whose body is a summary; the updates are
 * only on the page. After each poll of a feed, the pages of its live-blog items that the
 * body gives few updates of (and of those still live) are fetched with the feed's fetcher —
 * same loop, same caps, same per-host limit, same User-Agent, conditional GET with the
 * page's own validators — read by page.h, and their updates stored as the item's entries in
 * one transaction with the page's state. A page that fails changes nothing: the item keeps
 * what the feed gave. Each read logs one `page` line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "buf.h"
#include "ingest.h"
#include "loopctx.h"
#include "page.h"
#include "pgitem.h"
#include "pgnode.h"
#include "uptitle.h"

struct page_job {
  struct daemon *d;
  char *feed;                 /* the feed's name: the feed may be removed meanwhile */
  int64_t feed_id;
  enum liveblog_mode split_mode;
  char *tz;
  struct store_page_state st; /* what the store knew, updated as the read goes */
  bool known;                 /* st came from the store */
  struct buf body;
  char *effective_url;        /* the page's final URL: base of its links */
  char *etag, *last_modified; /* the 200 response's validators */
};

static void page_job_free(struct page_job *j) {
  free(j->feed);
  free(j->tz);
  store_page_state_clear(&j->st);
  buf_clear(&j->body);
  free(j->effective_url);
  free(j->etag);
  free(j->last_modified);
  free(j);
}

static char *dup_opt(const char *s) { return s && *s ? strdup(s) : NULL; }

/* http and https always; file:// only for a feed that is itself a file (the demo): a network
 * feed must not make braid read local files. */
static bool page_url_allowed(const char *url, const char *feed_url) {
  if (strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0)
    return true;
  return strncasecmp(url, "file://", 7) == 0 && strncasecmp(feed_url, "file://", 7) == 0;
}

int pagepoll_mark_owned(struct daemon *d, struct feed_rt *f, struct ingest_batch *b) {
  if (f->def.liveblog_page == LIVEBLOG_NEVER)
    return 0;
  for (size_t i = 0; i < b->n; i++) {
    struct ingest_item *it = &b->items[i];
    if (!it->link)
      continue;
    struct store_page_state st;
    int r = store_page_get(d->store, f->feed_id, it->link, &st);
    if (r == -ENOENT)
      continue;
    if (r < 0)
      return r;
    it->page_owned = st.updates > 0;
    store_page_state_clear(&st);
  }
  return 0;
}

static void log_page(struct page_job *j, const char *status, size_t updates, int new_entries,
                     const char *source, const char *error) {
  char name[128], item[512], err[256];
  log_event(j->d->log, error ? LOG_LEVEL_WARNING : LOG_LEVEL_INFO, "page",
            "feed=%s item=%s status=%s updates=%zu new_entries=%d source=%s%s%s",
            log_value(name, sizeof name, j->feed),
            log_value(item, sizeof item, j->st.page_url), status, updates, new_entries, source,
            error ? " error=" : "", error ? log_value(err, sizeof err, error) : "");
}

static int on_headers(void *userdata, long status, const struct fetch_headers *h) {
  struct page_job *j = userdata;
  if (status < 200 || status > 299)
    return 0;
  j->effective_url = dup_opt(h->effective_url);
  j->etag = dup_opt(h->etag);
  j->last_modified = dup_opt(h->last_modified);
  return 0;
}

static int on_data(void *userdata, const char *data, size_t len) {
  struct page_job *j = userdata;
  return buf_append(&j->body, data, len) < 0 ? 1 : 0;
}

/* The page's updates as the store takes them, with their titles; with element, encoded with
 * the page's state for the shared log instead (a node of several, pgnode.h). */
static int store_updates(struct page_job *j, const struct page_updates *p, int64_t now,
                         struct store_put_stats *ps, char **element) {
  struct store_update *ups = calloc(p->n, sizeof *ups);
  char **titles = calloc(p->n, sizeof *titles);
  int r = ups && titles ? 0 : -ENOMEM;
  for (size_t i = 0; r == 0 && i < p->n; i++) {
    const struct page_update *u = &p->updates[i];
    r = uptitle(u->headline, u->html, u->text, &titles[i]);
  }
  const char **texts = r == 0 ? calloc(p->n ? p->n : 1, sizeof *texts) : NULL;
  if (r == 0 && !texts)
    r = -ENOMEM;
  for (size_t i = 0; r == 0 && i < p->n; i++)
    texts[i] = p->updates[i].text;
  if (r == 0)
    r = uptitle_distinct(titles, texts, p->n);
  free(texts);
  for (size_t i = 0; r == 0 && i < p->n; i++) {
    const struct page_update *u = &p->updates[i];
    ups[i] = (struct store_update){.stamp = u->stamp, .time = u->time, .html = u->html,
                                   .text = u->text, .anchor = u->anchor, .title = titles[i],
                                   .link = u->url};
  }
  const char *blog = j->st.title ? j->st.title : p->title;
  struct store_item si = {.guid = j->st.guid, .link = j->st.page_url, .title = blog,
                          .published = j->st.published, .has_published = j->st.published != 0,
                          .is_liveblog = true, .updates = ups, .n_updates = p->n};
  if (r == 0)
    r = element ? pgitem_encode_page(&j->st, &si, element)
                : store_put_item(j->d->store, j->feed_id, &si, now, ps);
  for (size_t i = 0; titles && i < p->n; i++)
    free(titles[i]);
  free(titles);
  free(ups);
  return r;
}

/* Until when the blog counts as live: while its coverageEndTime has not passed, or for a
 * day after its newest update, whichever is later. */
static int64_t live_until(const struct page_updates *p, int64_t now) {
  int64_t newest = 0;
  for (size_t i = 0; i < p->n; i++) {
    int64_t t = p->updates[i].modified > p->updates[i].time ? p->updates[i].modified
                                                             : p->updates[i].time;
    newest = t > newest ? t : newest;
  }
  int64_t until = newest ? newest + BRAID_PAGE_LIVE_AFTER_S : now;
  return p->has_coverage_end && p->coverage_end > until ? p->coverage_end : until;
}

/* The page's state after a read that gave p. */
static void page_state_after_read(struct page_job *j, const struct page_updates *p, int64_t now) {
  if (p->n > 0) {
    free(j->st.etag);
    free(j->st.last_modified);
    j->st.etag = j->etag;
    j->st.last_modified = j->last_modified;
    j->etag = j->last_modified = NULL;
  }
  /* A page without updates is not read again (the feed's item stands). One that gave
   * updates before and none now (a maintenance page, a redesign) keeps what it gave: its
   * entries stay, and it is tried again while it was live. */
  bool lost = p->n == 0 && j->known && j->st.updates > 0;
  if (!lost) {
    j->st.live_until = p->n > 0 ? live_until(p, now) : 0;
    j->st.updates = (int)p->n;
  }
  j->st.last_fetched = now;
}

/* With [store] url: the read joins its feed's poll result, committed to the shared log with
 * it (pgnode.c); every node then stores it by replaying the log. */
static void page_ok_shared(struct page_job *j, const struct fetch_result *r,
                           const struct page_updates *p, int64_t now) {
  page_state_after_read(j, p, now);
  char *element = NULL;
  int rc = p->n > 0 ? store_updates(j, p, now, NULL, &element)
                    : pgitem_encode_page(&j->st, NULL, &element);
  char status[16];
  snprintf(status, sizeof status, "%ld", r->status);
  log_page(j, status, p->n, 0, page_source_name(p->source), rc < 0 ? strerror(-rc) : NULL);
  pgnode_page_end(j->d, j->feed, rc == 0 ? element : NULL);
}

/* A 200: read the page, store its updates and its state in one transaction. */
static void page_ok(struct page_job *j, const struct fetch_result *r, int64_t now) {
  struct daemon *d = j->d;
  const char *base = j->effective_url ? j->effective_url : j->st.page_url;
  struct page_options po = {
      .page_url = base,
      .split = {.mode = j->split_mode, .tz = j->tz, .title = j->st.title, .link = base,
                .post_date = j->st.published, .has_post_date = j->st.published != 0}};
  struct page_updates *p = NULL;
  char err[160];
  int rc = page_read(buf_str(&j->body), j->body.len, &po, &p, err, sizeof err);
  if (rc < 0) {
    log_page(j, "200", 0, 0, "none", rc == -ENOMEM ? "out of memory" : err);
    if (d->pg)
      pgnode_page_end(d, j->feed, NULL);
    return;
  }
  if (d->pg) {
    page_ok_shared(j, r, p, now);
    page_updates_free(p);
    return;
  }
  struct store_put_stats ps = {0};
  rc = store_begin(d->store);
  if (rc == 0 && p->n > 0)
    rc = store_updates(j, p, now, &ps, NULL);
  if (rc == 0) {
    page_state_after_read(j, p, now);
    rc = store_page_set(d->store, j->feed_id, &j->st);
  }
  if (rc == 0)
    rc = store_commit(d->store);
  if (rc < 0) {
    store_rollback(d->store);
    log_page(j, "200", p->n, 0, page_source_name(p->source), store_errmsg(d->store));
    daemon_store_errors(d, 1);
  } else {
    char status[16];
    snprintf(status, sizeof status, "%ld", r->status);
    log_page(j, status, p->n, ps.new_entries, page_source_name(p->source), NULL);
    daemon_entries_saved(d, ps.new_entries, ps.updated_entries);
  }
  page_updates_free(p);
}

static void on_done(void *userdata, const struct fetch_result *r) {
  struct page_job *j = userdata;
  struct daemon *d = j->d;
  d->pages_active--;
  if (r->outcome != FETCH_CANCELLED) {
    int64_t now = daemon_now();
    if (r->outcome == FETCH_OK) {
      page_ok(j, r, now);
    } else if (d->pg) {
      /* A 304 moves only when the page was last read; a failure changes nothing. */
      char *element = NULL;
      j->st.last_fetched = now;
      bool keep = r->outcome == FETCH_NOT_MODIFIED &&
                  pgitem_encode_page(&j->st, NULL, &element) == 0;
      char status[32];
      snprintf(status, sizeof status, "%ld", r->status);
      log_page(j, r->outcome == FETCH_NOT_MODIFIED ? "304" : r->status ? status
                  : fetch_outcome_name(r->outcome), 0, 0, "none",
               r->outcome == FETCH_NOT_MODIFIED ? NULL
               : r->error && *r->error ? r->error : fetch_outcome_name(r->outcome));
      pgnode_page_end(d, j->feed, keep ? element : NULL);
    } else if (r->outcome == FETCH_NOT_MODIFIED) {
      j->st.last_fetched = now;
      int rc = store_page_set(d->store, j->feed_id, &j->st);
      log_page(j, "304", 0, 0, "none", rc < 0 ? store_errmsg(d->store) : NULL);
    } else {
      char status[32];
      snprintf(status, sizeof status, "%ld", r->status);
      log_page(j, r->status ? status : fetch_outcome_name(r->outcome), 0, 0, "none",
               r->error && *r->error ? r->error : fetch_outcome_name(r->outcome));
    }
  } else if (d->pg) {
    pgnode_page_end(d, j->feed, NULL);
  }
  page_job_free(j);
  if (d->pages_active == 0)
    daemon_pages_idle(d);
}

/* Starts reading st's page (taken over: cleared here whatever happens). */
static void start_page(struct daemon *d, struct feed_rt *f, struct store_page_state *st,
                       bool known) {
  struct page_job *j = calloc(1, sizeof *j);
  if (!j || !(j->feed = strdup(f->def.name)) ||
      (f->def.timezone && !(j->tz = strdup(f->def.timezone)))) {
    if (j)
      page_job_free(j);
    store_page_state_clear(st);
    return;
  }
  j->d = d;
  j->feed_id = f->feed_id;
  j->split_mode = f->def.liveblog == LIVEBLOG_ALWAYS ? LIVEBLOG_ALWAYS : LIVEBLOG_AUTO;
  j->st = *st;
  j->known = known;
  memset(st, 0, sizeof *st);
  buf_init(&j->body, BRAID_SPLIT_MAX_BODY_BYTES);
  if (!page_url_allowed(j->st.page_url, f->def.url)) {
    log_page(j, "refused", 0, 0, "none", "only http and https pages are read");
    page_job_free(j);
    return;
  }
  struct fetch_request req = {.url = j->st.page_url, .etag = j->st.etag,
                              .last_modified = j->st.last_modified};
  static const struct fetch_callbacks callbacks = {
      .on_headers = on_headers, .on_data = on_data, .on_done = on_done};
  int rc = fetcher_start(d->fetcher, &req, &callbacks, j, NULL);
  if (rc < 0) {
    log_page(j, "not-started", 0, 0, "none", strerror(-rc));
    page_job_free(j);
    return;
  }
  d->pages_active++;
  if (d->pg)
    pgnode_page_begin(d, f->def.name);
}

/* Whether the page of it is worth reading after this poll: new to braid (a page read
 * before is either live, and listed by store_pages_live, or over). */
static bool wants_page(const struct feed_rt *f, const struct ingest_item *it) {
  if (!it->link || !it->is_live)
    return false;
  size_t n = it->liveblog ? it->liveblog->n : 0;
  return f->def.liveblog_page == LIVEBLOG_ALWAYS || n < BRAID_PAGE_FEW_UPDATES;
}

void pagepoll_after_feed(struct daemon *d, struct feed_rt *f, const struct ingest_batch *b) {
  if (f->def.liveblog_page == LIVEBLOG_NEVER || d->stopping)
    return;
  int64_t now = daemon_now();
  size_t started = 0;
  struct store_page_list live = {0};
  if (store_pages_live(d->store, f->feed_id, now, BRAID_PAGE_MAX_PER_POLL, &live) < 0) {
    char name[128], why[512];
    log_event(d->log, LOG_LEVEL_ERR, "store", "feed=%s error=%s",
              log_value(name, sizeof name, f->def.name),
              log_value(why, sizeof why, store_errmsg(d->store)));
    return;
  }
  for (size_t i = 0; i < live.n && started < BRAID_PAGE_MAX_PER_POLL; i++, started++)
    start_page(d, f, &live.pages[i], true);
  for (size_t i = 0; b && i < b->n && started < BRAID_PAGE_MAX_PER_POLL; i++) {
    const struct ingest_item *it = &b->items[i];
    if (!wants_page(f, it))
      continue;
    struct store_page_state st;
    int rc = store_page_get(d->store, f->feed_id, it->link, &st);
    if (rc == 0) {
      /* Known: live ones were started above; one that is over stays over. */
      store_page_state_clear(&st);
      continue;
    }
    if (rc != -ENOENT)
      break;
    bool failed = !(st.page_url = strdup(it->link)) ||
                  (it->guid && !(st.guid = strdup(it->guid))) ||
                  (it->title && !(st.title = strdup(it->title)));
    st.published = it->has_published ? it->published : it->has_updated ? it->updated : 0;
    if (failed) {
      store_page_state_clear(&st);
      break;
    }
    start_page(d, f, &st, false);
    started++;
  }
  store_page_list_clear(&live);
}
