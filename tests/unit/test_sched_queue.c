/* test_sched_queue.c — the ready queue's heaps (per host, and of hosts): the edge cases of its
 * structure, and a randomized run against a plain scan that defines the order the queue
 * promises (earliest due first, ties by name; global and per-host limits; one request per
 * feed; removal in flight; URL changes that move a feed to another host). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "schedule.h"

#define NOW 1700000000

static size_t ready(struct sched_queue *q, int64_t now, const char **names) {
  return sched_queue_next_ready(q, now, names, 64);
}

/* Earlier due wins over a smaller name, across hosts; equal due goes by name. */
static void test_ties_by_name_across_hosts(void **state) {
  (void)state;
  struct sched_queue *q;
  assert_int_equal(sched_queue_new(64, 64, &q), 0);
  assert_int_equal(sched_queue_add(q, "b", "http://h1.example/", NOW), 0);
  assert_int_equal(sched_queue_add(q, "a", "http://h2.example/", NOW), 0);
  assert_int_equal(sched_queue_add(q, "z", "http://h3.example/", NOW - 1), 0);
  assert_int_equal(sched_queue_add(q, "c", "http://h1.example/", NOW), 0);
  assert_int_equal(sched_queue_add(q, "aa", "http://h3.example/", NOW), 0);
  const char *names[64];
  assert_int_equal(ready(q, NOW, names), 5);
  const char *want[] = {"z", "a", "aa", "b", "c"};
  for (size_t i = 0; i < 5; i++)
    assert_string_equal(names[i], want[i]);
  sched_queue_free(q);
}

/* One host at its limit holds the earliest feeds; the others' feeds start in order behind it,
 * and the held host's next feed starts first once its request ends. */
static void test_host_at_limit_lets_others_start(void **state) {
  (void)state;
  struct sched_queue *q;
  assert_int_equal(sched_queue_new(8, 1, &q), 0);
  char name[16];
  for (int i = 0; i < 4; i++) {
    snprintf(name, sizeof name, "busy%d", i);
    assert_int_equal(sched_queue_add(q, name, "http://busy.example/", NOW - 100 + i), 0);
  }
  assert_int_equal(sched_queue_add(q, "x", "http://x.example/", NOW - 10), 0);
  assert_int_equal(sched_queue_add(q, "y", "http://y.example/", NOW - 5), 0);
  assert_int_equal(sched_queue_add(q, "w", "http://w.example/", NOW + 5), 0);
  const char *names[64];
  assert_int_equal(ready(q, NOW, names), 3);
  assert_string_equal(names[0], "busy0");
  assert_string_equal(names[1], "x");
  assert_string_equal(names[2], "y");
  /* A feed due on a host at its limit is still what the wake-up time reports. */
  assert_int_equal(sched_queue_next_wakeup(q), NOW - 99);
  assert_int_equal(sched_queue_done(q, "x", NOW + 1), 0);
  assert_int_equal(ready(q, NOW, names), 0);
  assert_int_equal(sched_queue_done(q, "busy0", NOW + 600), 0);
  assert_int_equal(ready(q, NOW + 5, names), 3);
  assert_string_equal(names[0], "busy1");
  assert_string_equal(names[1], "x");
  assert_string_equal(names[2], "w");
  assert_int_equal(sched_queue_next_wakeup(q), NOW - 98); /* busy2, held by busy1 */
  /* A raised per_host lets the held host's next feeds go at once. */
  assert_int_equal(sched_queue_set_limits(q, 8, 3), 0);
  assert_int_equal(ready(q, NOW + 5, names), 2);
  assert_string_equal(names[0], "busy2");
  assert_string_equal(names[1], "busy3");
  /* A lowered one holds them again until enough requests end. */
  assert_int_equal(sched_queue_set_limits(q, 8, 1), 0);
  assert_int_equal(sched_queue_done(q, "busy1", NOW + 5), 0);
  assert_int_equal(sched_queue_done(q, "busy2", NOW + 5), 0);
  assert_int_equal(ready(q, NOW + 5, names), 0);
  assert_int_equal(sched_queue_done(q, "busy3", NOW + 6), 0);
  assert_int_equal(ready(q, NOW + 6, names), 1);
  assert_string_equal(names[0], "busy1");
  sched_queue_free(q);
}

/* Thousands of hosts with three feeds each, all due at once, so the order by name puts a host's
 * feeds side by side: with per_host 1 each batch of 16 skips the host-mates of the feeds it
 * took, so the feeds start as 16 hosts' first feeds, the same hosts' second, third, then the
 * next 16 hosts. */
static void test_many_hosts(void **state) {
  (void)state;
  enum { HOSTS = 3008, PER = 3, C = 16 }; /* HOSTS a multiple of C */
  struct sched_queue *q;
  assert_int_equal(sched_queue_new(C, 1, &q), 0);
  char name[32], url[64];
  for (int h = HOSTS - 1; h >= 0; h--)
    for (int k = 0; k < PER; k++) {
      snprintf(name, sizeof name, "h%04d-%d", h, k);
      snprintf(url, sizeof url, "http://h%d.example/%d", h, k);
      assert_int_equal(sched_queue_add(q, name, url, NOW), 0);
    }
  const char *names[64];
  size_t started = 0, n;
  while ((n = ready(q, NOW, names)) > 0) {
    assert_int_equal(n, C);
    for (size_t i = 0; i < n; i++, started++) {
      size_t block = started / (C * PER), k = started % (C * PER) / C;
      snprintf(name, sizeof name, "h%04zu-%zu", block * C + i, k);
      assert_string_equal(names[i], name);
    }
    for (size_t i = 0; i < n; i++)
      assert_int_equal(sched_queue_done(q, names[i], SCHED_NEVER), 0);
  }
  assert_int_equal(started, HOSTS * PER);
  assert_int_equal(sched_queue_next_wakeup(q), SCHED_NEVER);
  sched_queue_free(q);
}

/* A feed removed in flight leaves every heap: it is not started again, not counted in the
 * wake-up time, and its host's slot is freed only when its request ends. */
static void test_remove_in_flight(void **state) {
  (void)state;
  struct sched_queue *q;
  assert_int_equal(sched_queue_new(4, 1, &q), 0);
  assert_int_equal(sched_queue_add(q, "a", "http://one.example/", NOW), 0);
  assert_int_equal(sched_queue_add(q, "b", "http://one.example/", NOW + 50), 0);
  const char *names[64];
  assert_int_equal(ready(q, NOW, names), 1);
  assert_int_equal(sched_queue_remove(q, "a"), 0);
  assert_int_equal(sched_queue_next_wakeup(q), NOW + 50);
  assert_int_equal(ready(q, NOW + 50, names), 0); /* a's request still holds one.example */
  assert_int_equal(sched_queue_done(q, "a", NOW), 0);
  assert_int_equal(sched_queue_done(q, "a", NOW), -ENOENT);
  assert_int_equal(sched_queue_next_wakeup(q), NOW + 50);
  assert_int_equal(ready(q, NOW + 50, names), 1);
  assert_string_equal(names[0], "b");
  /* The last feed of a host removed idle: the host goes, and a new feed there starts fresh. */
  assert_int_equal(sched_queue_done(q, "b", NOW + 100), 0);
  assert_int_equal(sched_queue_remove(q, "b"), 0);
  assert_int_equal(sched_queue_next_wakeup(q), SCHED_NEVER);
  assert_int_equal(sched_queue_add(q, "c", "http://one.example/", NOW), 0);
  assert_int_equal(ready(q, NOW, names), 1);
  assert_string_equal(names[0], "c");
  assert_int_equal(sched_queue_in_flight(q), 1);
  sched_queue_free(q); /* with a feed in flight: freed all the same */
}

/* set_url on an idle feed moves it to the new host's heap (and its order there); on a feed in
 * flight it moves the request's slot. */
static void test_set_url_moves_between_heaps(void **state) {
  (void)state;
  struct sched_queue *q;
  assert_int_equal(sched_queue_new(10, 1, &q), 0);
  assert_int_equal(sched_queue_add(q, "a", "http://one.example/", NOW - 2), 0);
  assert_int_equal(sched_queue_add(q, "b", "http://one.example/", NOW - 1), 0);
  assert_int_equal(sched_queue_add(q, "c", "http://two.example/", NOW - 3), 0);
  assert_int_equal(sched_queue_add(q, "d", "http://two.example/", NOW), 0);
  /* a joins two.example, behind c: one.example's earliest is now b. */
  assert_int_equal(sched_queue_set_url(q, "a", "http://TWO.example/x"), 0);
  const char *names[64];
  assert_int_equal(ready(q, NOW, names), 2);
  assert_string_equal(names[0], "c");
  assert_string_equal(names[1], "b");
  /* c (in flight) moves to three.example: two.example is free for a. */
  assert_int_equal(sched_queue_set_url(q, "c", "http://three.example/"), 0);
  assert_int_equal(ready(q, NOW, names), 1);
  assert_string_equal(names[0], "a");
  assert_int_equal(sched_queue_add(q, "e", "http://three.example/", NOW), 0);
  assert_int_equal(ready(q, NOW, names), 0); /* three.example holds c; two.example holds a */
  assert_int_equal(sched_queue_done(q, "c", NOW + 60), 0);
  assert_int_equal(ready(q, NOW, names), 1);
  assert_string_equal(names[0], "e");
  /* An idle feed moved to its own host's heap again changes nothing. */
  assert_int_equal(sched_queue_set_url(q, "d", "http://two.example/other"), 0);
  assert_int_equal(sched_queue_done(q, "a", NOW + 60), 0);
  assert_int_equal(ready(q, NOW, names), 1);
  assert_string_equal(names[0], "d");
  assert_int_equal(sched_queue_set_url(q, "nope", "http://x.example/"), -ENOENT);
  sched_queue_free(q);
}

/* set_due and lower_due on an idle feed re-order it within its host and among hosts. */
static void test_due_changes_reorder(void **state) {
  (void)state;
  struct sched_queue *q;
  assert_int_equal(sched_queue_new(1, 1, &q), 0);
  assert_int_equal(sched_queue_add(q, "a", "http://one.example/", NOW - 5), 0);
  assert_int_equal(sched_queue_add(q, "b", "http://one.example/", NOW - 4), 0);
  assert_int_equal(sched_queue_add(q, "c", "http://two.example/", NOW - 3), 0);
  assert_int_equal(sched_queue_set_due(q, "a", NOW + 100), 0);
  assert_int_equal(sched_queue_lower_due(q, "c", NOW - 10), 0);
  assert_int_equal(sched_queue_next_wakeup(q), NOW - 10);
  const char *names[64];
  assert_int_equal(ready(q, NOW, names), 1);
  assert_string_equal(names[0], "c");
  assert_int_equal(sched_queue_done(q, "c", SCHED_NEVER), 0);
  assert_int_equal(ready(q, NOW, names), 1);
  assert_string_equal(names[0], "b");
  assert_int_equal(sched_queue_done(q, "b", SCHED_NEVER), 0);
  assert_int_equal(sched_queue_next_wakeup(q), NOW + 100);
  assert_int_equal(sched_queue_set_due(q, "a", SCHED_NEVER), 0);
  assert_int_equal(sched_queue_next_wakeup(q), SCHED_NEVER);
  assert_int_equal(sched_queue_lower_due(q, "a", NOW), 0); /* held: stays held */
  assert_int_equal(ready(q, NOW + 1000000, names), 0);
  assert_int_equal(sched_queue_set_due(q, "b", NOW + 1), 0);
  assert_int_equal(sched_queue_next_wakeup(q), NOW + 1);
  sched_queue_free(q);
}

/* ---- a plain scan, the reference the heaps must agree with ---- */

#define REF_NAMES 48
#define REF_HOSTS 7

struct ref_ent {
  bool present;   /* in the queue (idle, in flight, or removed in flight) */
  bool removed;
  bool in_flight;
  int host;
  int64_t due;
};

struct ref {
  struct ref_ent e[REF_NAMES]; /* index order is name order: names are "f%02d" */
  unsigned concurrency, per_host;
  size_t in_flight;
};

static unsigned ref_host_in_flight(const struct ref *r, int host) {
  unsigned n = 0;
  for (size_t i = 0; i < REF_NAMES; i++)
    n += r->e[i].present && r->e[i].in_flight && r->e[i].host == host;
  return n;
}

static size_t ref_next_ready(struct ref *r, int64_t now, int *ret, size_t max) {
  size_t out = 0;
  while (out < max && r->in_flight < r->concurrency) {
    int best = -1;
    for (int i = 0; i < REF_NAMES; i++) {
      const struct ref_ent *e = &r->e[i];
      if (!e->present || e->in_flight || e->removed || e->due > now ||
          ref_host_in_flight(r, e->host) >= r->per_host)
        continue;
      if (best < 0 || e->due < r->e[best].due)
        best = i; /* ties: the lower index, the smaller name, came first */
    }
    if (best < 0)
      break;
    r->e[best].in_flight = true;
    r->in_flight++;
    ret[out++] = best;
  }
  return out;
}

static int64_t ref_next_wakeup(const struct ref *r) {
  int64_t t = SCHED_NEVER;
  for (size_t i = 0; i < REF_NAMES; i++)
    if (r->e[i].present && !r->e[i].in_flight && !r->e[i].removed && r->e[i].due < t)
      t = r->e[i].due;
  return t;
}

static uint64_t pick(struct sched_prng *rng, uint64_t n) { return sched_prng_next(rng) % n; }

static int64_t random_due(struct sched_prng *rng) {
  return pick(rng, 10) == 0 ? SCHED_NEVER : NOW - 20 + (int64_t)pick(rng, 60);
}

/* One random operation on both; their answers must be the same. */
static void random_step(struct sched_queue *q, struct ref *r, struct sched_prng *rng, int64_t now) {
  int i = (int)pick(rng, REF_NAMES);
  struct ref_ent *e = &r->e[i];
  bool live = e->present && !e->removed;
  char name[16], url[64];
  snprintf(name, sizeof name, "f%02d", i);
  int host = (int)pick(rng, REF_HOSTS);
  snprintf(url, sizeof url, "http://h%d.example/%d", host, i);
  int64_t due = random_due(rng);
  switch (pick(rng, 9)) {
  case 0:
  case 1: /* add: new, or back while its removed request runs */
    assert_int_equal(sched_queue_add(q, name, url, due), live ? -EEXIST : 0);
    if (!live) {
      if (!e->present)
        *e = (struct ref_ent){.present = true};
      e->removed = false;
      e->host = host;
      e->due = due;
    }
    break;
  case 2:
    assert_int_equal(sched_queue_remove(q, name), live ? 0 : -ENOENT);
    if (live && e->in_flight)
      e->removed = true;
    else if (live)
      e->present = false;
    break;
  case 3:
    assert_int_equal(sched_queue_set_due(q, name, due), live ? 0 : -ENOENT);
    if (live)
      e->due = due;
    break;
  case 4:
    assert_int_equal(sched_queue_lower_due(q, name, due), live ? 0 : -ENOENT);
    if (live && e->due != SCHED_NEVER && e->due > due)
      e->due = due;
    break;
  case 5:
    assert_int_equal(sched_queue_set_url(q, name, url), live ? 0 : -ENOENT);
    if (live)
      e->host = host;
    break;
  case 6: { /* done: mostly on a feed in flight */
    for (int k = 0; k < REF_NAMES && !(e->present && e->in_flight); k++) {
      i = (i + 1) % REF_NAMES;
      e = &r->e[i];
    }
    snprintf(name, sizeof name, "f%02d", i);
    bool flying = e->present && e->in_flight;
    assert_int_equal(sched_queue_done(q, name, due), flying ? 0 : -ENOENT);
    if (flying) {
      e->in_flight = false;
      r->in_flight--;
      if (e->removed)
        e->present = false;
      else
        e->due = due;
    }
    break;
  }
  case 7: {
    unsigned c = 1 + (unsigned)pick(rng, 8), p = 1 + (unsigned)pick(rng, 3);
    assert_int_equal(sched_queue_set_limits(q, c, p), 0);
    r->concurrency = c;
    r->per_host = p;
    break;
  }
  default: {
    size_t max = 1 + pick(rng, 6);
    const char *got[8];
    int want[8];
    size_t n = sched_queue_next_ready(q, now, got, max);
    assert_int_equal(n, ref_next_ready(r, now, want, max));
    for (size_t k = 0; k < n; k++) {
      snprintf(name, sizeof name, "f%02d", want[k]);
      assert_string_equal(got[k], name);
    }
    break;
  }
  }
  assert_int_equal(sched_queue_next_wakeup(q), ref_next_wakeup(r));
  assert_int_equal(sched_queue_in_flight(q), r->in_flight);
}

static void test_random_against_scan(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 40; seed++) {
    struct sched_prng rng;
    sched_prng_seed(&rng, seed);
    struct ref r = {.concurrency = 4, .per_host = 2};
    struct sched_queue *q;
    assert_int_equal(sched_queue_new(r.concurrency, r.per_host, &q), 0);
    int64_t now = NOW - 20;
    for (int step = 0; step < 3000; step++) {
      if (pick(&rng, 20) == 0)
        now += 1 + (int64_t)pick(&rng, 5);
      if (now > NOW + 50)
        now = NOW - 20;
      random_step(q, &r, &rng, now);
    }
    sched_queue_free(q);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ties_by_name_across_hosts),
      cmocka_unit_test(test_host_at_limit_lets_others_start),
      cmocka_unit_test(test_many_hosts),
      cmocka_unit_test(test_remove_in_flight),
      cmocka_unit_test(test_set_url_moves_between_heaps),
      cmocka_unit_test(test_due_changes_reorder),
      cmocka_unit_test(test_random_against_scan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
