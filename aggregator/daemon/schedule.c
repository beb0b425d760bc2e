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

/* ---- the ready queue ----
 *
 * Starting a feed costs O(log n), not a scan: each host keeps its idle feeds in a min-heap by
 * (due, name), and the hosts with an idle feed are in two heaps keyed by their earliest feed:
 * `all` (what sched_queue_next_wakeup reads) and `ready`, which leaves out the hosts at their
 * per_host limit, so its top is the feed that may start next. A scan of the whole queue per
 * feed started made a round of n feeds O(n^2): 6.6% of a 2,000-feed re-poll's CPU, and most
 * of it at 20,000. Heap pushes never allocate: room is reserved when a feed joins a host, so
 * sched_queue_done cannot fail for want of memory. */

#define HEAP_NONE SIZE_MAX

/* A binary min-heap of pointers that records in each element where it sits (at pos_off), so
 * that an element whose key changed is moved, or removed, without a search. */
struct pheap {
  void **v;
  size_t n, alloc;
  size_t pos_off;                                  /* offset of the element's size_t position */
  bool (*before)(const void *x, const void *y);    /* the order: true if x comes first */
};

static size_t *heap_pos(const struct pheap *h, void *x) {
  return (size_t *)(void *)((char *)x + h->pos_off);
}

static void heap_put(struct pheap *h, size_t i, void *x) {
  h->v[i] = x;
  *heap_pos(h, x) = i;
}

static void heap_up(struct pheap *h, size_t i) {
  void *x = h->v[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!h->before(x, h->v[parent]))
      break;
    heap_put(h, i, h->v[parent]);
    i = parent;
  }
  heap_put(h, i, x);
}

static void heap_down(struct pheap *h, size_t i) {
  void *x = h->v[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= h->n)
      break;
    if (c + 1 < h->n && h->before(h->v[c + 1], h->v[c]))
      c++;
    if (!h->before(h->v[c], x))
      break;
    heap_put(h, i, h->v[c]);
    i = c;
  }
  heap_put(h, i, x);
}

/* Room for n elements: 0 or -ENOMEM (the heap unchanged). */
static int heap_reserve(struct pheap *h, size_t n) {
  while (h->alloc < n) {
    void **v = grow_array(h->v, &h->alloc, sizeof *v, 8);
    if (!v)
      return -ENOMEM;
    h->v = v;
  }
  return 0;
}

/* The caller reserved room (heap_reserve). */
static void heap_push(struct pheap *h, void *x) {
  h->v[h->n++] = x;
  heap_up(h, h->n - 1);
}

static void heap_remove(struct pheap *h, void *x) {
  size_t i = *heap_pos(h, x);
  *heap_pos(h, x) = HEAP_NONE;
  void *last = h->v[--h->n];
  if (i == h->n)
    return;
  heap_put(h, i, last);
  heap_up(h, i);
  heap_down(h, *heap_pos(h, last));
}

/* x's key changed: back to its place. */
static void heap_fix(struct pheap *h, void *x) {
  heap_up(h, *heap_pos(h, x));
  heap_down(h, *heap_pos(h, x));
}

static void *heap_top(const struct pheap *h) { return h->n ? h->v[0] : NULL; }

struct qent;

/* One host, shared by every feed on it, so that the per-host limit is a counter to read. */
struct qhost {
  char *name;         /* lower-case host; "" for file:// */
  size_t feeds;       /* queue entries that point here: `idle` has room for all of them */
  unsigned in_flight; /* of those, how many are in flight */
  struct pheap idle;  /* its feeds neither in flight nor removed, earliest (due, name) first */
  size_t pos_all;     /* place in the queue's `all` heap, HEAP_NONE when `idle` is empty */
  size_t pos_ready;   /* place in `ready`, HEAP_NONE when idle is empty or at per_host */
};

struct qent {
  char *name;
  struct qhost *host;
  int64_t due;
  size_t pos;     /* place in host->idle, HEAP_NONE when in flight */
  bool in_flight;
  bool removed;   /* removed while in flight: dropped at sched_queue_done */
};

/* Entries (each allocated alone, so that the heaps may point at them) are kept sorted by name
 * and hosts by host name, so both are found by binary search. */
struct sched_queue {
  struct qent **v;
  size_t n, alloc;
  struct qhost **hosts;
  size_t n_hosts, alloc_hosts;
  struct pheap all;   /* hosts with an idle feed, by their earliest one */
  struct pheap ready; /* of those, the hosts below per_host */
  unsigned concurrency, per_host;
  size_t in_flight;
};

/* Earliest due first, ties by name (the order the tests and README promise). */
static bool ent_before(const void *x, const void *y) {
  const struct qent *a = x, *b = y;
  if (a->due != b->due)
    return a->due < b->due;
  return strcmp(a->name, b->name) < 0;
}

/* Hosts are only in `all` and `ready` while their idle heap is not empty. */
static bool host_before(const void *x, const void *y) {
  const struct qhost *a = x, *b = y;
  return ent_before(heap_top(&a->idle), heap_top(&b->idle));
}

/* h's earliest idle feed or its in-flight count changed: its place in `all` and `ready`. */
static void host_fix(struct sched_queue *q, struct qhost *h) {
  bool want_all = h->idle.n > 0;
  bool want_ready = want_all && h->in_flight < q->per_host;
  struct {
    struct pheap *heap;
    size_t pos;
    bool want;
  } sets[] = {{&q->all, h->pos_all, want_all}, {&q->ready, h->pos_ready, want_ready}};
  for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
    if (sets[i].pos != HEAP_NONE && sets[i].want)
      heap_fix(sets[i].heap, h);
    else if (sets[i].pos != HEAP_NONE)
      heap_remove(sets[i].heap, h);
    else if (sets[i].want)
      heap_push(sets[i].heap, h);
  }
}

/* e becomes idle on its host (a push: room was reserved when it joined the host). */
static void ent_idle(struct sched_queue *q, struct qent *e) {
  heap_push(&e->host->idle, e);
  host_fix(q, e->host);
}

/* e leaves its host's idle heap (to start, to move, or to go). */
static void ent_unidle(struct sched_queue *q, struct qent *e) {
  heap_remove(&e->host->idle, e);
  host_fix(q, e->host);
}

int sched_queue_new(unsigned concurrency, unsigned per_host, struct sched_queue **ret) {
  if (concurrency < 1 || per_host < 1)
    return -EINVAL;
  struct sched_queue *q = calloc(1, sizeof *q);
  if (!q)
    return -ENOMEM;
  q->concurrency = concurrency;
  q->per_host = per_host;
  q->all = (struct pheap){.pos_off = offsetof(struct qhost, pos_all), .before = host_before};
  q->ready = (struct pheap){.pos_off = offsetof(struct qhost, pos_ready), .before = host_before};
  *ret = q;
  return 0;
}

int sched_queue_set_limits(struct sched_queue *q, unsigned concurrency, unsigned per_host) {
  if (concurrency < 1 || per_host < 1)
    return -EINVAL;
  q->concurrency = concurrency;
  q->per_host = per_host;
  /* A new per_host moves hosts in or out of `ready`: once per reload, O(hosts log hosts). */
  for (size_t i = 0; i < q->n_hosts; i++)
    host_fix(q, q->hosts[i]);
  return 0;
}

void sched_queue_free(struct sched_queue *q) {
  if (!q)
    return;
  for (size_t i = 0; i < q->n; i++) {
    free(q->v[i]->name);
    free(q->v[i]);
  }
  free(q->v);
  for (size_t i = 0; i < q->n_hosts; i++) {
    free(q->hosts[i]->idle.v);
    free(q->hosts[i]->name);
    free(q->hosts[i]);
  }
  free(q->hosts);
  free(q->all.v);
  free(q->ready.v);
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

static const char *entry_name_at(const struct sched_queue *q, size_t i) { return q->v[i]->name; }
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
  return found ? q->v[i] : NULL;
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

/* The shared record of url's host, created on first use, with one more feed counted on it
 * and room in its idle heap for that feed. */
static struct qhost *host_ref(struct sched_queue *q, const char *url) {
  char *name = sched_url_host(url);
  if (!name)
    return NULL;
  bool found;
  size_t i = host_slot(q, name, &found);
  if (found) {
    free(name);
    struct qhost *h = q->hosts[i];
    if (heap_reserve(&h->idle, h->feeds + 1) < 0)
      return NULL;
    h->feeds++;
    return h;
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
  if (!h || heap_reserve(&q->all, q->n_hosts + 1) < 0 ||
      heap_reserve(&q->ready, q->n_hosts + 1) < 0) {
    free(h);
    free(name);
    return NULL;
  }
  h->idle = (struct pheap){.pos_off = offsetof(struct qent, pos), .before = ent_before};
  if (heap_reserve(&h->idle, 1) < 0) {
    free(h);
    free(name);
    return NULL;
  }
  h->name = name;
  h->feeds = 1;
  h->pos_all = h->pos_ready = HEAP_NONE;
  memmove(&q->hosts[i + 1], &q->hosts[i], (q->n_hosts - i) * sizeof *q->hosts);
  q->hosts[i] = h;
  q->n_hosts++;
  return h;
}

/* One feed fewer on h; the last one frees it (it has no idle feed then, so no heap holds it). */
static void host_unref(struct sched_queue *q, struct qhost *h) {
  if (--h->feeds > 0)
    return;
  bool found;
  size_t i = host_slot(q, h->name, &found);
  if (found) {
    memmove(&q->hosts[i], &q->hosts[i + 1], (q->n_hosts - i - 1) * sizeof *q->hosts);
    q->n_hosts--;
  }
  free(h->idle.v);
  free(h->name);
  free(h);
}

/* Points e at url's host; a request in flight moves with it, as it did when the host was
 * looked up afresh on every check, and an idle feed moves to the new host's heap. */
static int entry_set_host(struct sched_queue *q, struct qent *e, const char *url) {
  struct qhost *h = host_ref(q, url);
  if (!h)
    return -ENOMEM;
  bool idle = e->pos != HEAP_NONE;
  struct qhost *old = e->host;
  if (idle)
    ent_unidle(q, e);
  if (old) {
    if (e->in_flight) {
      old->in_flight--;
      host_fix(q, old);
    }
    host_unref(q, old);
  }
  e->host = h;
  if (e->in_flight) {
    h->in_flight++;
    host_fix(q, h);
  }
  if (idle)
    ent_idle(q, e);
  return 0;
}

int sched_queue_add(struct sched_queue *q, const char *name, const char *url, int64_t due) {
  bool found;
  size_t i = entry_slot(q, name, &found);
  if (found) {
    struct qent *e = q->v[i];
    if (!e->removed)
      return -EEXIST;
    /* re-added while its old request is still running: idle again at sched_queue_done */
    int rc = entry_set_host(q, e, url);
    if (rc < 0)
      return rc;
    e->due = due;
    e->removed = false;
    return 0;
  }
  if (q->n == q->alloc) {
    struct qent **v = grow_array(q->v, &q->alloc, sizeof *v, 16);
    if (!v)
      return -ENOMEM;
    q->v = v;
  }
  struct qent *e = calloc(1, sizeof *e);
  if (!e)
    return -ENOMEM;
  e->pos = HEAP_NONE;
  e->due = due;
  if (!(e->name = strdup(name)) || entry_set_host(q, e, url) < 0) {
    free(e->name);
    free(e);
    return -ENOMEM;
  }
  memmove(&q->v[i + 1], &q->v[i], (q->n - i) * sizeof *q->v);
  q->v[i] = e;
  q->n++;
  ent_idle(q, e);
  return 0;
}

/* Frees e, which no heap holds. */
static void drop(struct sched_queue *q, struct qent *e) {
  bool found;
  size_t i = entry_slot(q, e->name, &found);
  if (found) {
    memmove(&q->v[i], &q->v[i + 1], (q->n - i - 1) * sizeof *q->v);
    q->n--;
  }
  host_unref(q, e->host);
  free(e->name);
  free(e);
}

int sched_queue_remove(struct sched_queue *q, const char *name) {
  struct qent *e = find(q, name);
  if (!e || e->removed)
    return -ENOENT;
  if (e->in_flight) {
    e->removed = true;
    return 0;
  }
  ent_unidle(q, e);
  drop(q, e);
  return 0;
}

/* e's due time becomes due, and an idle e moves to its place. */
static void ent_set_due(struct sched_queue *q, struct qent *e, int64_t due) {
  e->due = due;
  if (e->pos == HEAP_NONE)
    return;
  heap_fix(&e->host->idle, e);
  host_fix(q, e->host);
}

int sched_queue_set_due(struct sched_queue *q, const char *name, int64_t due) {
  struct qent *e = find(q, name);
  if (!e || e->removed)
    return -ENOENT;
  ent_set_due(q, e, due);
  return 0;
}

int sched_queue_lower_due(struct sched_queue *q, const char *name, int64_t due) {
  struct qent *e = find(q, name);
  if (!e || e->removed)
    return -ENOENT;
  if (e->due != SCHED_NEVER && e->due > due)
    ent_set_due(q, e, due);
  return 0;
}

int sched_queue_set_url(struct sched_queue *q, const char *name, const char *url) {
  struct qent *e = find(q, name);
  if (!e || e->removed)
    return -ENOENT;
  return entry_set_host(q, e, url);
}

size_t sched_queue_next_ready(struct sched_queue *q, int64_t now, const char **ret_names,
                              size_t max) {
  size_t out = 0;
  /* The top of `ready` is the earliest feed on a host below its limit; if it is not due, no
   * feed that may start is. */
  while (out < max && q->in_flight < q->concurrency) {
    struct qhost *h = heap_top(&q->ready);
    if (!h)
      break;
    struct qent *e = heap_top(&h->idle);
    if (e->due > now)
      break;
    heap_remove(&h->idle, e);
    e->in_flight = true;
    h->in_flight++;
    q->in_flight++;
    host_fix(q, h);
    ret_names[out++] = e->name;
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
  if (e->removed) {
    host_fix(q, e->host);
    drop(q, e);
    return 0;
  }
  e->due = next_due;
  ent_idle(q, e);
  return 0;
}

int64_t sched_queue_next_wakeup(const struct sched_queue *q) {
  const struct qhost *h = heap_top(&q->all);
  if (!h)
    return SCHED_NEVER;
  const struct qent *e = heap_top(&h->idle);
  return e->due;
}

size_t sched_queue_in_flight(const struct sched_queue *q) { return q->in_flight; }
