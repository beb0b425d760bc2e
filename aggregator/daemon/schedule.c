/* schedule.c — polling policy and the ready queue (see schedule.h). */
#include "schedule.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "grow.h"

void sched_prng_seed(struct sched_prng *r, uint64_t seed) { r->state = seed; }

uint64_t sched_prng_next(struct sched_prng *r) {
  /* splitmix64: tiny, fast, and every seed gives a good sequence. */
  uint64_t z = (r->state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* delay ± up to 10%, never below 1 s. */
static int64_t jitter(int64_t delay, struct sched_prng *rng) {
  int64_t span = delay / 10;
  int64_t d = delay;
  if (span > 0)
    d += (int64_t)(sched_prng_next(rng) % (uint64_t)(2 * span + 1)) - span;
  return d < 1 ? 1 : d;
}

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

int64_t sched_backoff_s(int64_t interval_s, unsigned errors) {
  if (interval_s < 1)
    interval_s = 1;
  int64_t d = interval_s;
  for (unsigned i = 0; i < errors && d < BRAID_SCHED_MAX_BACKOFF_S; i++)
    d *= 2;
  /* The cap limits the backoff, never makes a long interval shorter. */
  return max64(interval_s, min64(d, BRAID_SCHED_MAX_BACKOFF_S));
}

void sched_outcome_from_fetch(const struct fetch_result *r, struct sched_outcome *ret) {
  ret->max_age_s = r->headers->max_age_s;
  ret->expires = r->headers->expires;
  ret->retry_after = r->headers->retry_after;
  switch (r->outcome) {
  case FETCH_OK:
    ret->kind = SCHED_OK;
    break;
  case FETCH_NOT_MODIFIED:
    ret->kind = SCHED_NOT_MODIFIED;
    break;
  case FETCH_HTTP_ERROR:
    if (r->status == 410)
      ret->kind = SCHED_GONE;
    else if (r->status == 429 || r->status == 503)
      ret->kind = SCHED_THROTTLED;
    else
      ret->kind = SCHED_ERROR;
    break;
  default:
    ret->kind = SCHED_ERROR;
    break;
  }
}

int64_t sched_after_poll(struct sched_state *st, int64_t interval_s, const struct sched_outcome *o,
                         int64_t now, struct sched_prng *rng) {
  if (interval_s < 1)
    interval_s = 1;
  st->last_polled = now;
  int64_t delay;
  switch (o->kind) {
  case SCHED_GONE:
    st->retired = true;
    st->next_due = SCHED_NEVER;
    return st->next_due;
  case SCHED_OK:
  case SCHED_NOT_MODIFIED:
    st->errors = 0;
    delay = jitter(interval_s, rng);
    if (o->max_age_s >= 0)
      delay = max64(delay, min64(o->max_age_s, BRAID_SCHED_MAX_FLOOR_S));
    if (o->expires > now)
      delay = max64(delay, min64(o->expires - now, BRAID_SCHED_MAX_FLOOR_S));
    break;
  case SCHED_THROTTLED:
  case SCHED_ERROR:
  default:
    if (st->errors < 64)
      st->errors++;
    delay = jitter(sched_backoff_s(interval_s, st->errors), rng);
    if (o->kind == SCHED_THROTTLED && o->retry_after > now)
      delay = max64(delay, min64(o->retry_after - now, BRAID_SCHED_MAX_RETRY_AFTER_S));
    break;
  }
  st->next_due = now + delay;
  return st->next_due;
}

int64_t sched_startup_spread_s(size_t feeds) {
  return min64((int64_t)(feeds / BRAID_SCHED_STARTUP_FEEDS_PER_S), BRAID_SCHED_STARTUP_SPREAD_S);
}

int64_t sched_initial_due(const struct sched_state *st, int64_t interval_s, int64_t spread_s,
                          int64_t now, struct sched_prng *rng) {
  if (st->retired)
    return SCHED_NEVER;
  if (st->next_due > now) {
    /* A stored time further ahead than this feed's own rules could have set it from now (the
     * clock ran ahead when it was stored, or the interval was shortened since) is pulled
     * back: the longest backoff its error count allows, with jitter, or a Retry-After. */
    int64_t backoff = sched_backoff_s(interval_s, st->errors);
    int64_t bound = backoff + backoff / 10;
    if (st->throttled)
      bound = max64(bound, BRAID_SCHED_MAX_RETRY_AFTER_S);
    return min64(st->next_due, now + bound);
  }
  int64_t spread = min64(interval_s, spread_s);
  if (spread <= 1)
    return now;
  return now + (int64_t)(sched_prng_next(rng) % (uint64_t)spread);
}

/* ---- the ready queue ---- */

/* One host, shared by every feed on it, so that the per-host limit is a counter to read and
 * not a scan of the queue for each candidate: that scan made a poll of thousands of feeds on
 * one host quadratic in the number of feeds. */
struct qhost {
  char *name;         /* lower-case host; "" for file:// */
  size_t feeds;       /* queue entries that point here */
  unsigned in_flight; /* of those, how many are in flight */
};

struct qent {
  char *name;
  struct qhost *host;
  int64_t due;
  bool in_flight;
  bool removed;   /* removed while in flight: dropped at sched_queue_done */
};

/* Entries are kept sorted by name and hosts by host name, so both are found by binary search. */
struct sched_queue {
  struct qent *v;
  size_t n, alloc;
  struct qhost **hosts;
  size_t n_hosts, alloc_hosts;
  unsigned concurrency, per_host;
  size_t in_flight;
};

int sched_queue_new(unsigned concurrency, unsigned per_host, struct sched_queue **ret) {
  if (concurrency < 1 || per_host < 1)
    return -EINVAL;
  struct sched_queue *q = calloc(1, sizeof *q);
  if (!q)
    return -ENOMEM;
  q->concurrency = concurrency;
  q->per_host = per_host;
  *ret = q;
  return 0;
}

int sched_queue_set_limits(struct sched_queue *q, unsigned concurrency, unsigned per_host) {
  if (concurrency < 1 || per_host < 1)
    return -EINVAL;
  q->concurrency = concurrency;
  q->per_host = per_host;
  return 0;
}

void sched_queue_free(struct sched_queue *q) {
  if (!q)
    return;
  for (size_t i = 0; i < q->n; i++)
    free(q->v[i].name);
  free(q->v);
  for (size_t i = 0; i < q->n_hosts; i++) {
    free(q->hosts[i]->name);
    free(q->hosts[i]);
  }
  free(q->hosts);
  free(q);
}

/* Binary search of a name-sorted set of n names read through name_at: the index of name, or
 * of where it would go; *found says which. */
static size_t name_slot(const struct sched_queue *q, size_t n,
                        const char *(*name_at)(const struct sched_queue *, size_t),
                        const char *name, bool *found) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(name_at(q, mid), name);
    if (c == 0) {
      *found = true;
      return mid;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = false;
  return lo;
}

static const char *entry_name_at(const struct sched_queue *q, size_t i) { return q->v[i].name; }
static const char *host_name_at(const struct sched_queue *q, size_t i) {
  return q->hosts[i]->name;
}

static size_t entry_slot(const struct sched_queue *q, const char *name, bool *found) {
  return name_slot(q, q->n, entry_name_at, name, found);
}

static size_t host_slot(const struct sched_queue *q, const char *name, bool *found) {
  return name_slot(q, q->n_hosts, host_name_at, name, found);
}

static struct qent *find(const struct sched_queue *q, const char *name) {
  bool found;
  size_t i = entry_slot(q, name, &found);
  return found ? &q->v[i] : NULL;
}

char *sched_url_host(const char *url) {
  CURLU *u = curl_url();
  if (!u)
    return NULL;
  char *host = NULL, *out = NULL;
  if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host) {
    out = strdup(host);
    for (char *p = out; p && *p; p++)
      if (*p >= 'A' && *p <= 'Z')
        *p = (char)(*p - 'A' + 'a');
  } else {
    out = strdup("");
  }
  curl_free(host);
  curl_url_cleanup(u);
  return out;
}

/* The shared record of url's host, created on first use, with one more feed counted on it. */
static struct qhost *host_ref(struct sched_queue *q, const char *url) {
  char *name = sched_url_host(url);
  if (!name)
    return NULL;
  bool found;
  size_t i = host_slot(q, name, &found);
  if (found) {
    free(name);
    q->hosts[i]->feeds++;
    return q->hosts[i];
  }
  if (q->n_hosts == q->alloc_hosts) {
    struct qhost **v = grow_array(q->hosts, &q->alloc_hosts, sizeof *v, 8);
    if (!v) {
      free(name);
      return NULL;
    }
    q->hosts = v;
  }
  struct qhost *h = calloc(1, sizeof *h);
  if (!h) {
    free(name);
    return NULL;
  }
  h->name = name;
  h->feeds = 1;
  memmove(&q->hosts[i + 1], &q->hosts[i], (q->n_hosts - i) * sizeof *q->hosts);
  q->hosts[i] = h;
  q->n_hosts++;
  return h;
}

static void host_unref(struct sched_queue *q, struct qhost *h) {
  if (--h->feeds > 0)
    return;
  bool found;
  size_t i = host_slot(q, h->name, &found);
  if (found) {
    memmove(&q->hosts[i], &q->hosts[i + 1], (q->n_hosts - i - 1) * sizeof *q->hosts);
    q->n_hosts--;
  }
  free(h->name);
  free(h);
}

/* Points e at url's host; a request in flight moves with it, as it did when the host was
 * looked up afresh on every check. */
static int entry_set_host(struct sched_queue *q, struct qent *e, const char *url) {
  struct qhost *h = host_ref(q, url);
  if (!h)
    return -ENOMEM;
  if (e->host) {
    if (e->in_flight)
      e->host->in_flight--;
    host_unref(q, e->host);
  }
  e->host = h;
  if (e->in_flight)
    h->in_flight++;
  return 0;
}

int sched_queue_add(struct sched_queue *q, const char *name, const char *url, int64_t due) {
  bool found;
  size_t i = entry_slot(q, name, &found);
  if (found) {
    struct qent *e = &q->v[i];
    if (!e->removed)
      return -EEXIST;
    /* re-added while its old request is still running */
    int rc = entry_set_host(q, e, url);
    if (rc < 0)
      return rc;
    e->due = due;
    e->removed = false;
    return 0;
  }
  if (q->n == q->alloc) {
    struct qent *v = grow_array(q->v, &q->alloc, sizeof *v, 16);
    if (!v)
      return -ENOMEM;
    q->v = v;
  }
  struct qent e = {.name = strdup(name), .due = due};
  if (!e.name)
    return -ENOMEM;
  if (entry_set_host(q, &e, url) < 0) {
    free(e.name);
    return -ENOMEM;
  }
  memmove(&q->v[i + 1], &q->v[i], (q->n - i) * sizeof *q->v);
  q->v[i] = e;
  q->n++;
  return 0;
}

static void drop(struct sched_queue *q, struct qent *e) {
  free(e->name);
  host_unref(q, e->host);
  size_t i = (size_t)(e - q->v);
  memmove(&q->v[i], &q->v[i + 1], (q->n - i - 1) * sizeof *q->v);
  q->n--;
}

int sched_queue_remove(struct sched_queue *q, const char *name) {
  struct qent *e = find(q, name);
  if (!e || e->removed)
    return -ENOENT;
  if (e->in_flight)
    e->removed = true;
  else
    drop(q, e);
  return 0;
}

int sched_queue_set_due(struct sched_queue *q, const char *name, int64_t due) {
  struct qent *e = find(q, name);
  if (!e || e->removed)
    return -ENOENT;
  e->due = due;
  return 0;
}

int sched_queue_lower_due(struct sched_queue *q, const char *name, int64_t due) {
  struct qent *e = find(q, name);
  if (!e || e->removed)
    return -ENOENT;
  if (e->due != SCHED_NEVER && e->due > due)
    e->due = due;
  return 0;
}

int sched_queue_set_url(struct sched_queue *q, const char *name, const char *url) {
  struct qent *e = find(q, name);
  if (!e || e->removed)
    return -ENOENT;
  return entry_set_host(q, e, url);
}

/* Earliest due first, ties by name: q->v is kept sorted by name (entry_slot), so the entry
 * earlier in it has the smaller name. Comparing the names instead was a strcmp for every feed
 * of every scan, most of them ties at start (all due at once): 7.6% of a re-poll's CPU at
 * 2,000 feeds. */
static bool due_before(const struct qent *x, const struct qent *y) {
  if (x->due != y->due)
    return x->due < y->due;
  return x < y;
}

size_t sched_queue_next_ready(struct sched_queue *q, int64_t now, const char **ret_names,
                              size_t max) {
  size_t out = 0;
  /* One pass per feed started, each picking the earliest feed that may start: at most
   * min(max, free slots) passes, where sorting every due feed on every call cost
   * O(n log n) per finished request. */
  while (out < max && q->in_flight < q->concurrency) {
    struct qent *best = NULL;
    for (size_t i = 0; i < q->n; i++) {
      struct qent *e = &q->v[i];
      if (e->in_flight || e->removed || e->due > now || e->host->in_flight >= q->per_host)
        continue;
      if (!best || due_before(e, best))
        best = e;
    }
    if (!best)
      break;
    best->in_flight = true;
    best->host->in_flight++;
    q->in_flight++;
    ret_names[out++] = best->name;
  }
  return out;
}

int sched_queue_done(struct sched_queue *q, const char *name, int64_t next_due) {
  struct qent *e = find(q, name);
  if (!e || !e->in_flight)
    return -ENOENT;
  e->in_flight = false;
  e->host->in_flight--;
  q->in_flight--;
  if (e->removed)
    drop(q, e);
  else
    e->due = next_due;
  return 0;
}

int64_t sched_queue_next_wakeup(const struct sched_queue *q) {
  int64_t t = SCHED_NEVER;
  for (size_t i = 0; i < q->n; i++)
    if (!q->v[i].in_flight && !q->v[i].removed && q->v[i].due < t)
      t = q->v[i].due;
  return t;
}

size_t sched_queue_in_flight(const struct sched_queue *q) { return q->in_flight; }
