/* schedule.h — when to poll each feed and which feeds may start now. Pure logic: no I/O, no
 * clock reads (callers pass `now`), no global random state (callers own a struct sched_prng).
 * (Named schedule.h, not sched.h: aggregator/daemon/ is on the include path and would shadow <sched.h>.)
 *
 * Policy (documented for users in README "Polling"):
 *  - after a success or a 304, the next poll is interval ± up to 10% jitter, but never sooner
 *    than Cache-Control max-age or Expires say (each capped at BRAID_SCHED_MAX_FLOOR_S);
 *  - after an error (network, limit, 5xx, 4xx...) the delay is interval * 2^errors, capped at
 *    BRAID_SCHED_MAX_BACKOFF_S (24 h), jittered the same way;
 *  - 429 and 503 back off the same way and never poll before Retry-After (capped at
 *    BRAID_SCHED_MAX_RETRY_AFTER_S);
 *  - 410 Gone retires the feed (never polled again until its definition changes);
 *  - at start-up, a feed never polled, or whose stored due time has passed, is due at a
 *    random moment within the first min(interval, spread) seconds, where the spread grows with
 *    the number of feeds starting together (sched_startup_spread_s: 0 for a handful, up to
 *    BRAID_SCHED_STARTUP_SPREAD_S for thousands), so a new user's few feeds are read at once
 *    and a restart of thousands does not fire every request in the same second; a stored due time further ahead than the feed's
 *    own backoff bound (interval * 2^errors capped as above, plus the 10% jitter; for a feed
 *    whose last answer was 429/503, BRAID_SCHED_MAX_RETRY_AFTER_S) is pulled back to it, so a
 *    clock that ran ahead when the time was stored cannot silence a feed for days.
 * The queue enforces a global and a per-host limit of requests in flight and at most one
 * request per feed.
 */
#ifndef BRAID_SCHEDULE_H
#define BRAID_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fetch.h"

#define SCHED_NEVER INT64_MAX

/* A small deterministic PRNG (splitmix64): the same seed gives the same jitter. */
struct sched_prng {
  uint64_t state;
};
void sched_prng_seed(struct sched_prng *r, uint64_t seed);
uint64_t sched_prng_next(struct sched_prng *r);

/* What braid keeps per feed between polls (the store persists it). */
struct sched_state {
  int64_t next_due;     /* when to poll next; 0 = never scheduled */
  int64_t last_polled;  /* when the last poll ended; 0 = never */
  unsigned errors;      /* consecutive failed polls */
  bool retired;         /* 410 Gone seen */
  bool throttled;       /* the last answer was 429 or 503: a Retry-After may stand */
};

enum sched_kind {
  SCHED_OK = 0,         /* 2xx */
  SCHED_NOT_MODIFIED,   /* 304 */
  SCHED_ERROR,          /* anything else that failed */
  SCHED_THROTTLED,      /* 429 or 503: back off, honour Retry-After */
  SCHED_GONE,           /* 410 */
};

/* What a poll told the scheduler. Times absolute (seconds since the epoch), -1 if absent. */
struct sched_outcome {
  enum sched_kind kind;
  int64_t max_age_s;
  int64_t expires;
  int64_t retry_after;
};
/* Maps a fetch result to a sched_outcome. */
void sched_outcome_from_fetch(const struct fetch_result *r, struct sched_outcome *ret);

/* Updates st after a poll that ended at now: errors, retired, last_polled and next_due
 * (returned too; SCHED_NEVER for a retired feed). interval_s > 0. */
int64_t sched_after_poll(struct sched_state *st, int64_t interval_s, const struct sched_outcome *o,
                         int64_t now, struct sched_prng *rng);

/* How many seconds the first polls of `feeds` feeds starting together are spread over:
 * feeds / BRAID_SCHED_STARTUP_FEEDS_PER_S, at most BRAID_SCHED_STARTUP_SPREAD_S. */
int64_t sched_startup_spread_s(size_t feeds);
/* When a feed should first be polled after start-up, from its stored state (see the policy
 * above), spread over spread_s seconds (sched_startup_spread_s) when it is due now.
 * SCHED_NEVER for a retired feed. */
int64_t sched_initial_due(const struct sched_state *st, int64_t interval_s, int64_t spread_s,
                          int64_t now, struct sched_prng *rng);

/* The backoff delay for the given number of consecutive errors, before jitter (exposed for
 * documentation and tests). */
int64_t sched_backoff_s(int64_t interval_s, unsigned errors);

/* The lower-case host of url, what per_host limits ("" for none, file://); NULL without
 * memory. The caller frees it. */
char *sched_url_host(const char *url);

/* ---- the ready queue ---- */

struct sched_queue;

/* concurrency: requests in flight at once (≥ 1); per_host: to one host (≥ 1). */
int sched_queue_new(unsigned concurrency, unsigned per_host, struct sched_queue **ret);
void sched_queue_free(struct sched_queue *q);
/* New limits for polls started from now on (a reload); those in flight finish. 0 or -EINVAL. */
int sched_queue_set_limits(struct sched_queue *q, unsigned concurrency, unsigned per_host);

/* Adds a feed (name unique) with its URL (the host is what per_host limits) and due time
 * (SCHED_NEVER to hold it). 0, -EEXIST, -EINVAL (URL without a host is fine: file:// feeds
 * share the host ""), -ENOMEM. */
int sched_queue_add(struct sched_queue *q, const char *name, const char *url, int64_t due);
/* 0 or -ENOENT. Removing a feed in flight is allowed; its later sched_queue_done is a no-op. */
int sched_queue_remove(struct sched_queue *q, const char *name);
int sched_queue_set_due(struct sched_queue *q, const char *name, int64_t due);
/* Moves the feed's due time earlier, to due, if it is later now; a held feed (SCHED_NEVER:
 * retired) stays held. 0 or -ENOENT. */
int sched_queue_lower_due(struct sched_queue *q, const char *name, int64_t due);
/* After a permanent redirect: the feed's host may change. 0, -ENOENT, -ENOMEM. */
int sched_queue_set_url(struct sched_queue *q, const char *name, const char *url);

/* Up to max feeds that may start now: due ≤ now, not in flight, within the global and
 * per-host limits; earliest due first (ties by name). Each returned feed is marked in flight;
 * the names point into the queue and stay valid until that feed is removed. Returns the
 * count. */
size_t sched_queue_next_ready(struct sched_queue *q, int64_t now, const char **ret_names,
                              size_t max);
/* The feed's request ended (whatever the outcome, cancellation included): frees its slot and
 * sets its next due time. A feed removed while in flight is dropped now, and the name pointer
 * handed out for it becomes invalid. 0, or -ENOENT if the feed was not in flight. */
int sched_queue_done(struct sched_queue *q, const char *name, int64_t next_due);

/* Earliest due time of a feed not in flight (SCHED_NEVER if none): when to wake up next.
 * A feed held back only by a limit becomes startable when a request ends, so callers also
 * ask sched_queue_next_ready after every sched_queue_done. */
int64_t sched_queue_next_wakeup(const struct sched_queue *q);
size_t sched_queue_in_flight(const struct sched_queue *q);

#endif
