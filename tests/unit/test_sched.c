/* test_sched.c — the polling policy (intervals, jitter, floors, backoff, Retry-After, 410) and
 * the ready queue (global and per-host limits, one request per feed, ordering). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bounds.h"
#include "schedule.h"

#define NOW 1700000000

static struct sched_outcome ok(void) {
  return (struct sched_outcome){SCHED_OK, -1, -1, -1};
}

static void test_prng_deterministic(void **state) {
  (void)state;
  struct sched_prng a, b, c;
  sched_prng_seed(&a, 42);
  sched_prng_seed(&b, 42);
  sched_prng_seed(&c, 43);
  bool differs = false;
  for (int i = 0; i < 100; i++) {
    uint64_t x = sched_prng_next(&a);
    assert_int_equal(x, sched_prng_next(&b));
    if (x != sched_prng_next(&c))
      differs = true;
  }
  assert_true(differs);
}

static void test_jitter_within_ten_percent(void **state) {
  (void)state;
  struct sched_prng rng;
  sched_prng_seed(&rng, 7);
  int64_t lo = INT64_MAX, hi = 0, sum = 0;
  const int n = 5000;
  for (int i = 0; i < n; i++) {
    struct sched_state st = {0};
    struct sched_outcome o = ok();
    int64_t due = sched_after_poll(&st, 600, &o, NOW, &rng);
    int64_t d = due - NOW;
    assert_in_range(d, 540, 660);
    lo = d < lo ? d : lo;
    hi = d > hi ? d : hi;
    sum += d;
  }
  /* The whole ±10% band is used, centred on the interval. */
  assert_true(lo <= 545);
  assert_true(hi >= 655);
  assert_in_range(sum / n, 590, 610);
}

static void test_same_seed_same_schedule(void **state) {
  (void)state;
  struct sched_prng a, b;
  sched_prng_seed(&a, 99);
  sched_prng_seed(&b, 99);
  struct sched_state s1 = {0}, s2 = {0};
  struct sched_outcome o = ok();
  for (int i = 0; i < 10; i++)
    assert_int_equal(sched_after_poll(&s1, 300, &o, NOW + i, &a),
                     sched_after_poll(&s2, 300, &o, NOW + i, &b));
}

static void test_tiny_interval_never_below_one_second(void **state) {
  (void)state;
  struct sched_prng rng;
  sched_prng_seed(&rng, 1);
  struct sched_state st = {0};
  struct sched_outcome o = ok();
  for (int i = 0; i < 100; i++)
    assert_int_equal(sched_after_poll(&st, 1, &o, NOW, &rng), NOW + 1);
}

static void test_max_age_is_a_floor(void **state) {
  (void)state;
  struct sched_prng rng;
  sched_prng_seed(&rng, 3);
  struct sched_state st = {0};
  struct sched_outcome o = ok();
  o.max_age_s = 600;
  assert_int_equal(sched_after_poll(&st, 60, &o, NOW, &rng), NOW + 600);
  /* A max-age shorter than the interval changes nothing. */
  o.max_age_s = 10;
  assert_in_range(sched_after_poll(&st, 600, &o, NOW, &rng), NOW + 540, NOW + 660);
  /* An absurd one is honoured only up to the cap. */
  o.max_age_s = 90 * 86400;
  assert_int_equal(sched_after_poll(&st, 60, &o, NOW, &rng), NOW + BRAID_SCHED_MAX_FLOOR_S);
  /* It applies after a 304 as well. */
  o.kind = SCHED_NOT_MODIFIED;
  o.max_age_s = 1200;
  assert_int_equal(sched_after_poll(&st, 60, &o, NOW, &rng), NOW + 1200);
}

static void test_expires_is_a_floor(void **state) {
  (void)state;
  struct sched_prng rng;
  sched_prng_seed(&rng, 4);
  struct sched_state st = {0};
  struct sched_outcome o = ok();
  o.expires = NOW + 900;
  assert_int_equal(sched_after_poll(&st, 60, &o, NOW, &rng), NOW + 900);
  o.expires = NOW - 900; /* already expired */
  assert_in_range(sched_after_poll(&st, 60, &o, NOW, &rng), NOW + 54, NOW + 66);
}

static void test_backoff_doubles_and_caps(void **state) {
  (void)state;
  assert_int_equal(sched_backoff_s(300, 0), 300);
  assert_int_equal(sched_backoff_s(300, 1), 600);
  assert_int_equal(sched_backoff_s(300, 2), 1200);
  assert_int_equal(sched_backoff_s(300, 5), 9600);
  assert_int_equal(sched_backoff_s(300, 9), BRAID_SCHED_MAX_BACKOFF_S);
  assert_int_equal(sched_backoff_s(300, 64), BRAID_SCHED_MAX_BACKOFF_S);
  assert_int_equal(sched_backoff_s(300, 4000), BRAID_SCHED_MAX_BACKOFF_S);
  /* The cap never shortens an interval that is already longer. */
  assert_int_equal(sched_backoff_s(2 * 86400, 3), 2 * 86400);
}

static void test_errors_back_off_and_success_resets(void **state) {
  (void)state;
  struct sched_prng rng;
  sched_prng_seed(&rng, 5);
  struct sched_state st = {0};
  struct sched_outcome err = {SCHED_ERROR, -1, -1, -1};
  int64_t want = 600;
  for (unsigned i = 1; i <= 4; i++) {
    int64_t due = sched_after_poll(&st, 300, &err, NOW, &rng);
    assert_int_equal(st.errors, i);
    assert_in_range(due - NOW, want - want / 10, want + want / 10);
    want *= 2;
  }
  assert_int_equal(st.last_polled, NOW);
  struct sched_outcome o = ok();
  int64_t due = sched_after_poll(&st, 300, &o, NOW + 5, &rng);
  assert_int_equal(st.errors, 0);
  assert_int_equal(st.last_polled, NOW + 5);
  assert_in_range(due - NOW - 5, 270, 330);
}

static void test_retry_after_honoured(void **state) {
  (void)state;
  struct sched_prng rng;
  sched_prng_seed(&rng, 6);
  struct sched_state st = {0};
  struct sched_outcome o = {SCHED_THROTTLED, -1, -1, NOW + 7200};
  assert_int_equal(sched_after_poll(&st, 60, &o, NOW, &rng), NOW + 7200);
  assert_int_equal(st.errors, 1);
  /* Without Retry-After, 429/503 back off like errors. */
  o.retry_after = -1;
  assert_in_range(sched_after_poll(&st, 60, &o, NOW, &rng), NOW + 216, NOW + 264);
  assert_int_equal(st.errors, 2);
  /* A Retry-After in the past does not shorten the backoff. */
  o.retry_after = NOW - 10;
  assert_in_range(sched_after_poll(&st, 60, &o, NOW, &rng), NOW + 432, NOW + 528);
  /* Far-future Retry-After is capped. */
  o.retry_after = NOW + 365 * 86400;
  assert_int_equal(sched_after_poll(&st, 60, &o, NOW, &rng), NOW + BRAID_SCHED_MAX_RETRY_AFTER_S);
  /* Retry-After only counts on 429/503: a plain error ignores it. */
  struct sched_state s2 = {0};
  struct sched_outcome e = {SCHED_ERROR, -1, -1, NOW + 7200};
  assert_in_range(sched_after_poll(&s2, 60, &e, NOW, &rng), NOW + 108, NOW + 132);
}

static void test_gone_retires(void **state) {
  (void)state;
  struct sched_prng rng;
  sched_prng_seed(&rng, 8);
  struct sched_state st = {0};
  struct sched_outcome o = {SCHED_GONE, -1, -1, -1};
  assert_int_equal(sched_after_poll(&st, 60, &o, NOW, &rng), SCHED_NEVER);
  assert_true(st.retired);
  assert_int_equal(st.next_due, SCHED_NEVER);
  assert_int_equal(sched_initial_due(&st, 60, BRAID_SCHED_STARTUP_SPREAD_S, NOW, &rng), SCHED_NEVER);
}

static void test_initial_due_spreads_start(void **state) {
  (void)state;
  struct sched_prng rng;
  sched_prng_seed(&rng, 9);
  struct sched_state never = {0};
  int64_t lo = INT64_MAX, hi = 0;
  for (int i = 0; i < 1000; i++) {
    int64_t due = sched_initial_due(&never, 900, BRAID_SCHED_STARTUP_SPREAD_S, NOW, &rng);
    assert_in_range(due, NOW, NOW + BRAID_SCHED_STARTUP_SPREAD_S - 1);
    lo = due < lo ? due : lo;
    hi = due > hi ? due : hi;
  }
  assert_true(hi - lo >= BRAID_SCHED_STARTUP_SPREAD_S - 5);
  /* A short interval spreads over that interval only. */
  for (int i = 0; i < 100; i++)
    assert_in_range(sched_initial_due(&never, 10, BRAID_SCHED_STARTUP_SPREAD_S, NOW, &rng), NOW, NOW + 9);
  /* A stored future time is kept; an overdue one is spread like a new feed. */
  struct sched_state later = {.next_due = NOW + 500, .last_polled = NOW - 100};
  assert_int_equal(sched_initial_due(&later, 900, BRAID_SCHED_STARTUP_SPREAD_S, NOW, &rng), NOW + 500);
  struct sched_state overdue = {.next_due = NOW - 5000, .last_polled = NOW - 6000};
  assert_in_range(sched_initial_due(&overdue, 900, BRAID_SCHED_STARTUP_SPREAD_S, NOW, &rng), NOW, NOW + 59);
  /* A stored time beyond anything the rules could set is pulled back to the feed's own
   * bound: its interval and jitter (60 + 6 s). */
  struct sched_state absurd = {.next_due = NOW + 10LL * 365 * 86400};
  assert_int_equal(sched_initial_due(&absurd, 60, BRAID_SCHED_STARTUP_SPREAD_S, NOW, &rng), NOW + 66);
}

static void test_startup_spread_grows_with_feeds(void **state) {
  (void)state;
  /* A new user's handful of feeds is read at once; thousands spread over the whole minute. */
  assert_int_equal(sched_startup_spread_s(0), 0);
  assert_int_equal(sched_startup_spread_s(3), 0);
  assert_int_equal(sched_startup_spread_s(BRAID_SCHED_STARTUP_FEEDS_PER_S - 1), 0);
  assert_int_equal(sched_startup_spread_s(10 * BRAID_SCHED_STARTUP_FEEDS_PER_S), 10);
  assert_int_equal(sched_startup_spread_s(3000), BRAID_SCHED_STARTUP_SPREAD_S);
  assert_int_equal(sched_startup_spread_s(1000000), BRAID_SCHED_STARTUP_SPREAD_S);
  struct sched_prng rng;
  sched_prng_seed(&rng, 10);
  struct sched_state never = {0};
  struct sched_state overdue = {.next_due = NOW - 5000, .last_polled = NOW - 6000};
  struct sched_state later = {.next_due = NOW + 500, .last_polled = NOW - 100};
  for (int i = 0; i < 100; i++) {
    assert_int_equal(sched_initial_due(&never, 900, sched_startup_spread_s(3), NOW, &rng), NOW);
    assert_int_equal(sched_initial_due(&overdue, 900, sched_startup_spread_s(3), NOW, &rng), NOW);
  }
  /* A stored future time is kept whatever the spread. */
  assert_int_equal(sched_initial_due(&later, 900, 0, NOW, &rng), NOW + 500);
  int64_t lo = INT64_MAX, hi = 0;
  for (int i = 0; i < 1000; i++) {
    int64_t due = sched_initial_due(&never, 900, sched_startup_spread_s(500), NOW, &rng);
    assert_in_range(due, NOW, NOW + 9);
    lo = due < lo ? due : lo;
    hi = due > hi ? due : hi;
  }
  assert_true(hi - lo >= 8);
}

/* The red-team run: the clock ran 7 days ahead while braid polled, so each feed's stored next
 * poll was a week away once the clock was set right; the feeds stayed silent that week. A
 * stored time is now held to what the feed's own rules allow from now. */
static void test_clock_jump_keeps_feeds_polled(void **state) {
  (void)state;
  struct sched_prng rng;
  sched_prng_seed(&rng, 11);
  const int64_t week = 7 * 86400, interval = 900;
  for (unsigned errors = 0; errors < 12; errors++) {
    struct sched_state st = {.next_due = NOW + week + interval, .last_polled = NOW + week,
                             .errors = errors};
    int64_t bound = sched_backoff_s(interval, errors) * 11 / 10;
    int64_t due = sched_initial_due(&st, interval, BRAID_SCHED_STARTUP_SPREAD_S, NOW, &rng);
    if (due > NOW + bound)
      fail_msg("%u errors: due in %lld s, beyond the feed's backoff bound of %lld s", errors,
               (long long)(due - NOW), (long long)bound);
    assert_true(due > NOW); /* a time still ahead is not made sooner than its bound */
  }
  /* After a poll that ended in the wrong future, the next one is within the interval. */
  struct sched_state st = {.next_due = NOW + week + interval};
  assert_int_equal(sched_initial_due(&st, interval, BRAID_SCHED_STARTUP_SPREAD_S, NOW, &rng), NOW + interval + interval / 10);
  /* A 429 or 503 may have asked for days: its Retry-After stands, up to its cap. */
  struct sched_state throttled = {.next_due = NOW + 3 * 86400, .errors = 1, .throttled = true};
  assert_int_equal(sched_initial_due(&throttled, interval, BRAID_SCHED_STARTUP_SPREAD_S, NOW, &rng), NOW + 3 * 86400);
  throttled.next_due = NOW + 30 * 86400;
  assert_int_equal(sched_initial_due(&throttled, interval, BRAID_SCHED_STARTUP_SPREAD_S, NOW, &rng),
                   NOW + BRAID_SCHED_MAX_RETRY_AFTER_S);
}

static void test_outcome_from_fetch(void **state) {
  (void)state;
  struct fetch_headers h = {.max_age_s = 30, .expires = -1, .retry_after = NOW + 60};
  struct fetch_result r = {.headers = &h};
  struct sched_outcome o;
  static const struct {
    enum fetch_outcome outcome;
    long status;
    enum sched_kind want;
  } cases[] = {
      {FETCH_OK, 200, SCHED_OK},
      {FETCH_NOT_MODIFIED, 304, SCHED_NOT_MODIFIED},
      {FETCH_HTTP_ERROR, 410, SCHED_GONE},
      {FETCH_HTTP_ERROR, 429, SCHED_THROTTLED},
      {FETCH_HTTP_ERROR, 503, SCHED_THROTTLED},
      {FETCH_HTTP_ERROR, 500, SCHED_ERROR},
      {FETCH_HTTP_ERROR, 404, SCHED_ERROR},
      {FETCH_NETWORK_ERROR, 0, SCHED_ERROR},
      {FETCH_LIMIT_MAX_BYTES, 200, SCHED_ERROR},
      {FETCH_REDIRECT_LOOP, 302, SCHED_ERROR},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    r.outcome = cases[i].outcome;
    r.status = cases[i].status;
    sched_outcome_from_fetch(&r, &o);
    if (o.kind != cases[i].want)
      fail_msg("%s %ld -> kind %d, want %d", fetch_outcome_name(r.outcome), r.status, o.kind,
               cases[i].want);
  }
  assert_int_equal(o.max_age_s, 30);
  assert_int_equal(o.retry_after, NOW + 60);
  assert_int_equal(o.expires, -1);
}

/* Whatever a server says, in whatever order: a poll is never scheduled in the past, never
 * before Retry-After or a max-age floor, and never further out than the largest cap. */
static void test_invariants_under_random_outcomes(void **state) {
  (void)state;
  struct sched_prng rng, pick;
  sched_prng_seed(&rng, 11);
  sched_prng_seed(&pick, 12);
  struct sched_state st = {0};
  int64_t now = NOW;
  int64_t furthest = BRAID_SCHED_MAX_RETRY_AFTER_S;
  for (int i = 0; i < 20000; i++) {
    int64_t interval = 1 + (int64_t)(sched_prng_next(&pick) % (2 * 86400));
    struct sched_outcome o = {(enum sched_kind)(sched_prng_next(&pick) % 4), -1, -1, -1};
    if (sched_prng_next(&pick) % 3 == 0)
      o.max_age_s = (int64_t)(sched_prng_next(&pick) % (3 * 86400));
    if (sched_prng_next(&pick) % 3 == 0)
      o.retry_after = now + (int64_t)(sched_prng_next(&pick) % (30 * 86400)) - 3600;
    if (sched_prng_next(&pick) % 3 == 0)
      o.expires = now + (int64_t)(sched_prng_next(&pick) % (3 * 86400)) - 3600;
    int64_t due = sched_after_poll(&st, interval, &o, now, &rng);
    assert_true(due >= now + 1);
    assert_true(due <= now + (furthest > interval * 11 / 10 + 1 ? furthest : interval * 11 / 10 + 1));
    if (o.kind == SCHED_THROTTLED && o.retry_after > now)
      assert_true(due >= now + (o.retry_after - now < furthest ? o.retry_after - now : furthest));
    if ((o.kind == SCHED_OK || o.kind == SCHED_NOT_MODIFIED) && o.max_age_s >= 0)
      assert_true(due >= now + (o.max_age_s < BRAID_SCHED_MAX_FLOOR_S ? o.max_age_s : BRAID_SCHED_MAX_FLOOR_S));
    assert_int_equal(st.errors == 0, o.kind == SCHED_OK || o.kind == SCHED_NOT_MODIFIED);
    now += 1 + (int64_t)(sched_prng_next(&pick) % 600);
  }
}

/* ---- queue ---- */

static size_t ready(struct sched_queue *q, int64_t now, const char **names) {
  return sched_queue_next_ready(q, now, names, 64);
}

static void test_queue_order_and_due(void **state) {
  (void)state;
  struct sched_queue *q;
  assert_int_equal(sched_queue_new(10, 10, &q), 0);
  assert_int_equal(sched_queue_add(q, "c", "http://c.example/", NOW + 5), 0);
  assert_int_equal(sched_queue_add(q, "a", "http://a.example/", NOW - 5), 0);
  assert_int_equal(sched_queue_add(q, "b", "http://b.example/", NOW - 5), 0);
  assert_int_equal(sched_queue_add(q, "d", "http://d.example/", NOW - 9), 0);
  assert_int_equal(sched_queue_add(q, "a", "http://a.example/", NOW), -EEXIST);
  const char *names[64];
  size_t n = ready(q, NOW, names);
  assert_int_equal(n, 3);
  assert_string_equal(names[0], "d"); /* earliest first, ties by name */
  assert_string_equal(names[1], "a");
  assert_string_equal(names[2], "b");
  assert_int_equal(sched_queue_in_flight(q), 3);
  /* In flight: never handed out twice. */
  assert_int_equal(ready(q, NOW + 100, names), 1);
  assert_string_equal(names[0], "c");
  assert_int_equal(sched_queue_next_wakeup(q), SCHED_NEVER);
  assert_int_equal(sched_queue_done(q, "a", NOW + 300), 0);
  assert_int_equal(sched_queue_done(q, "a", NOW + 300), -ENOENT);
  assert_int_equal(sched_queue_next_wakeup(q), NOW + 300);
  assert_int_equal(ready(q, NOW + 299, names), 0);
  assert_int_equal(ready(q, NOW + 300, names), 1);
  sched_queue_free(q);
}

static void test_queue_global_limit(void **state) {
  (void)state;
  struct sched_queue *q;
  assert_int_equal(sched_queue_new(2, 5, &q), 0);
  char name[16], u[64];
  for (int i = 0; i < 5; i++) {
    snprintf(name, sizeof name, "f%d", i);
    snprintf(u, sizeof u, "http://h%d.example/feed", i);
    assert_int_equal(sched_queue_add(q, name, u, NOW), 0);
  }
  const char *names[64];
  assert_int_equal(ready(q, NOW, names), 2);
  assert_int_equal(ready(q, NOW, names), 0);
  /* A held-back feed still counts as due: the wake-up time is now. */
  assert_int_equal(sched_queue_next_wakeup(q), NOW);
  assert_int_equal(sched_queue_done(q, "f0", NOW + 60), 0);
  assert_int_equal(ready(q, NOW, names), 1);
  assert_string_equal(names[0], "f2");
  /* max limits the batch too. */
  assert_int_equal(sched_queue_done(q, "f1", NOW + 60), 0);
  assert_int_equal(sched_queue_done(q, "f2", NOW + 60), 0);
  assert_int_equal(sched_queue_next_ready(q, NOW, names, 1), 1);
  assert_string_equal(names[0], "f3");
  sched_queue_free(q);
}

/* A reload: new limits apply to the next starts; a shorter interval moves due times earlier,
 * never later, and never wakes a retired feed. */
static void test_queue_reload_limits_and_lower_due(void **state) {
  (void)state;
  struct sched_queue *q;
  assert_int_equal(sched_queue_new(1, 1, &q), 0);
  assert_int_equal(sched_queue_set_limits(q, 0, 1), -EINVAL);
  assert_int_equal(sched_queue_add(q, "a", "http://a.example/", NOW), 0);
  assert_int_equal(sched_queue_add(q, "b", "http://b.example/", NOW), 0);
  assert_int_equal(sched_queue_add(q, "c", "http://c.example/", NOW + 3600), 0);
  assert_int_equal(sched_queue_add(q, "gone", "http://d.example/", SCHED_NEVER), 0);
  const char *names[64];
  assert_int_equal(ready(q, NOW, names), 1);
  assert_int_equal(sched_queue_set_limits(q, 2, 1), 0);
  assert_int_equal(ready(q, NOW, names), 1);
  assert_int_equal(sched_queue_lower_due(q, "c", NOW + 60), 0);
  assert_int_equal(sched_queue_lower_due(q, "gone", NOW + 60), 0);
  assert_int_equal(sched_queue_next_wakeup(q), NOW + 60);
  assert_int_equal(sched_queue_lower_due(q, "c", NOW + 600), 0); /* later: no change */
  assert_int_equal(sched_queue_done(q, "a", SCHED_NEVER), 0);
  assert_int_equal(sched_queue_done(q, "b", SCHED_NEVER), 0);
  assert_int_equal(ready(q, NOW + 60, names), 1);
  assert_string_equal(names[0], "c");
  assert_int_equal(sched_queue_lower_due(q, "nope", NOW), -ENOENT);
  sched_queue_free(q);
}

static void test_queue_per_host_limit(void **state) {
  (void)state;
  struct sched_queue *q;
  assert_int_equal(sched_queue_new(10, 2, &q), 0);
  assert_int_equal(sched_queue_add(q, "x1", "https://News.Example.org/a", NOW - 3), 0);
  assert_int_equal(sched_queue_add(q, "x2", "https://news.example.org/b", NOW - 2), 0);
  assert_int_equal(sched_queue_add(q, "x3", "http://news.example.org:8080/c", NOW - 1), 0);
  assert_int_equal(sched_queue_add(q, "y1", "https://other.example.org/", NOW), 0);
  const char *names[64];
  size_t n = ready(q, NOW, names);
  /* Two for news.example.org (case and port aside), and the other host. */
  assert_int_equal(n, 3);
  assert_string_equal(names[0], "x1");
  assert_string_equal(names[1], "x2");
  assert_string_equal(names[2], "y1");
  assert_int_equal(sched_queue_done(q, "x1", NOW + 60), 0);
  n = ready(q, NOW, names);
  assert_int_equal(n, 1);
  assert_string_equal(names[0], "x3");
  sched_queue_free(q);
}

static void test_queue_file_urls_share_a_host(void **state) {
  (void)state;
  struct sched_queue *q;
  assert_int_equal(sched_queue_new(10, 1, &q), 0);
  assert_int_equal(sched_queue_add(q, "f1", "file:///srv/a.xml", NOW), 0);
  assert_int_equal(sched_queue_add(q, "f2", "file:///srv/b.xml", NOW), 0);
  const char *names[64];
  assert_int_equal(ready(q, NOW, names), 1);
  sched_queue_free(q);
}

static void test_queue_remove_and_url_change(void **state) {
  (void)state;
  struct sched_queue *q;
  assert_int_equal(sched_queue_new(10, 1, &q), 0);
  assert_int_equal(sched_queue_add(q, "a", "http://one.example/", NOW), 0);
  assert_int_equal(sched_queue_add(q, "b", "http://one.example/b", NOW), 0);
  const char *names[64];
  assert_int_equal(ready(q, NOW, names), 1);
  assert_string_equal(names[0], "a");
  /* b moved to another host (permanent redirect): no longer held back by a. */
  assert_int_equal(sched_queue_set_url(q, "b", "http://two.example/b"), 0);
  assert_int_equal(ready(q, NOW, names), 1);
  assert_string_equal(names[0], "b");
  /* Removing a feed in flight keeps its slot until its request ends. */
  assert_int_equal(sched_queue_remove(q, "a"), 0);
  assert_int_equal(sched_queue_remove(q, "a"), -ENOENT);
  assert_int_equal(sched_queue_set_due(q, "a", NOW), -ENOENT);
  assert_int_equal(sched_queue_add(q, "c", "http://one.example/c", NOW), 0);
  assert_int_equal(ready(q, NOW, names), 0);
  assert_int_equal(sched_queue_in_flight(q), 2);
  assert_int_equal(sched_queue_done(q, "a", NOW + 60), 0);
  assert_int_equal(sched_queue_in_flight(q), 1);
  assert_int_equal(ready(q, NOW, names), 1);
  assert_string_equal(names[0], "c");
  /* An idle feed goes at once; a held one waits for set_due. */
  assert_int_equal(sched_queue_done(q, "b", SCHED_NEVER), 0);
  assert_int_equal(sched_queue_remove(q, "b"), 0);
  assert_int_equal(sched_queue_add(q, "d", "http://three.example/", SCHED_NEVER), 0);
  assert_int_equal(ready(q, NOW + 1000000, names), 0);
  assert_int_equal(sched_queue_set_due(q, "d", NOW), 0);
  assert_int_equal(ready(q, NOW, names), 1);
  sched_queue_free(q);
  struct sched_queue *bad = NULL;
  assert_int_equal(sched_queue_new(0, 1, &bad), -EINVAL);
  assert_int_equal(sched_queue_new(1, 0, &bad), -EINVAL);
  assert_null(bad);
  sched_queue_free(NULL);
}

/* A feed removed in flight and added back with another URL takes its request's slot to the new
 * host, and its old host's last feed leaving frees that host. */
static void test_queue_readd_moves_host(void **state) {
  (void)state;
  struct sched_queue *q;
  assert_int_equal(sched_queue_new(10, 1, &q), 0);
  assert_int_equal(sched_queue_add(q, "a", "http://one.example/", NOW), 0);
  const char *names[64];
  assert_int_equal(ready(q, NOW, names), 1);
  assert_int_equal(sched_queue_remove(q, "a"), 0);
  assert_int_equal(sched_queue_add(q, "a", "http://two.example/", NOW), 0);
  assert_int_equal(sched_queue_add(q, "b", "http://one.example/b", NOW), 0);
  assert_int_equal(sched_queue_add(q, "c", "http://two.example/c", NOW), 0);
  assert_int_equal(ready(q, NOW, names), 1);
  assert_string_equal(names[0], "b"); /* one.example is free; two.example holds a */
  assert_int_equal(sched_queue_done(q, "a", NOW + 60), 0);
  assert_int_equal(ready(q, NOW, names), 1);
  assert_string_equal(names[0], "c");
  assert_int_equal(sched_queue_done(q, "b", NOW + 60), 0);
  assert_int_equal(sched_queue_remove(q, "b"), 0);
  assert_int_equal(sched_queue_add(q, "b", "http://one.example/b", NOW), 0);
  assert_int_equal(ready(q, NOW, names), 1);
  assert_string_equal(names[0], "b");
  sched_queue_free(q);
}

/* Thousands of feeds on one host, a few at a time: each request's end starts exactly the next
 * feed by name, and every feed is polled once. */
static void test_queue_many_feeds_one_host(void **state) {
  (void)state;
  struct sched_queue *q;
  assert_int_equal(sched_queue_new(16, 2, &q), 0);
  char name[16];
  for (int i = 4999; i >= 0; i--) {
    snprintf(name, sizeof name, "f%04d", i);
    assert_int_equal(sched_queue_add(q, name, "http://one.example/", NOW), 0);
  }
  const char *names[64];
  assert_int_equal(ready(q, NOW, names), 2);
  assert_string_equal(names[0], "f0000");
  assert_string_equal(names[1], "f0001");
  for (int i = 0; i < 4998; i++) {
    snprintf(name, sizeof name, "f%04d", i);
    assert_int_equal(sched_queue_done(q, name, SCHED_NEVER), 0);
    assert_int_equal(ready(q, NOW, names), 1);
    snprintf(name, sizeof name, "f%04d", i + 2);
    assert_string_equal(names[0], name);
  }
  assert_int_equal(sched_queue_done(q, "f4998", SCHED_NEVER), 0);
  assert_int_equal(sched_queue_done(q, "f4999", SCHED_NEVER), 0);
  assert_int_equal(ready(q, NOW, names), 0);
  assert_int_equal(sched_queue_next_wakeup(q), SCHED_NEVER);
  sched_queue_free(q);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prng_deterministic),
      cmocka_unit_test(test_jitter_within_ten_percent),
      cmocka_unit_test(test_same_seed_same_schedule),
      cmocka_unit_test(test_tiny_interval_never_below_one_second),
      cmocka_unit_test(test_max_age_is_a_floor),
      cmocka_unit_test(test_expires_is_a_floor),
      cmocka_unit_test(test_backoff_doubles_and_caps),
      cmocka_unit_test(test_errors_back_off_and_success_resets),
      cmocka_unit_test(test_retry_after_honoured),
      cmocka_unit_test(test_gone_retires),
      cmocka_unit_test(test_initial_due_spreads_start),
      cmocka_unit_test(test_startup_spread_grows_with_feeds),
      cmocka_unit_test(test_clock_jump_keeps_feeds_polled),
      cmocka_unit_test(test_outcome_from_fetch),
      cmocka_unit_test(test_invariants_under_random_outcomes),
      cmocka_unit_test(test_queue_order_and_due),
      cmocka_unit_test(test_queue_global_limit),
      cmocka_unit_test(test_queue_reload_limits_and_lower_due),
      cmocka_unit_test(test_queue_per_host_limit),
      cmocka_unit_test(test_queue_file_urls_share_a_host),
      cmocka_unit_test(test_queue_remove_and_url_change),
      cmocka_unit_test(test_queue_readd_moves_host),
      cmocka_unit_test(test_queue_many_feeds_one_host),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
