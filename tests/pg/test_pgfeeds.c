/* test_pgfeeds.c — the shared schema and feed leases against a real PostgreSQL.
 *
 * Two pgconn connections on one loop play two braid nodes. Each test works in its own
 * PostgreSQL schema (search_path set in the connection string), so the tests share the cluster
 * pgcluster.py started but no tables. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bounds.h"
#include "pgfeeds.h"
#include "pgschema.h"
#include "pgtest.h"

#define MAX_FEEDS 128

struct env {
  struct pgtest t;
  char conninfo[512];
  struct pgconn *a, *b;  /* node-a and node-b */
};

static bool never_closed(void *arg) { return *(int *)arg == 0; }
static void closed(void *arg) { (*(int *)arg)--; }

/* A fresh schema named after the test, and two nodes whose search_path is that schema. */
static void env_open(struct env *e, const char *schema) {
  assert_int_equal(pgtest_init(&e->t), 0);
  assert_int_equal(pgtest_schema(&e->t, schema, e->conninfo, sizeof e->conninfo), 0);
  struct pgconn_config cfg = pgtest_config(e->conninfo);
  assert_int_equal(pgconn_new(&e->t.loop, &cfg, &e->a), 0);
  assert_int_equal(pgconn_new(&e->t.loop, &cfg, &e->b), 0);
}

static void env_close(struct env *e) {
  int open = 2;
  pgconn_close(e->a, closed, &open);
  pgconn_close(e->b, closed, &open);
  assert_true(pgtest_until(&e->t, never_closed, &open, 5000));
  assert_int_equal(pgtest_finish(&e->t), 0);
}

/* ---- migrations ------------------------------------------------------------------------ */

struct migrated { int calls, status, from; char message[256]; };
static void on_migrated(void *arg, int status, int from, const char *message) {
  struct migrated *m = arg;
  m->calls++;
  m->status = status;
  m->from = from;
  snprintf(m->message, sizeof m->message, "%s", message);
}
static bool migrated_done(void *arg) { return ((struct migrated *)arg)->calls > 0; }

static struct migrated migrate(struct env *e, struct pgconn *c) {
  struct migrated m = {0};
  assert_int_equal(pgschema_migrate(c, on_migrated, &m), 0);
  assert_true(pgtest_until(&e->t, migrated_done, &m, 10000));
  assert_int_equal(m.calls, 1);
  return m;
}

static void sql_ok(struct env *e, const char *sql, const char *want) {
  struct pgtest_result r;
  int rc = pgtest_query(&e->t, e->a, sql, 0, NULL, &r);
  if (rc != 0)
    fail_msg("%s: %d %s", sql, rc, r.message);
  if (want)
    assert_string_equal(r.value, want);
}

static void test_migrate_new_then_current(void **state) {
  struct env e;
  env_open(&e, "t_migrate");
  struct migrated m = migrate(&e, e.a);
  assert_int_equal(m.status, 0);
  assert_int_equal(m.from, 0);
  sql_ok(&e, "SELECT version FROM braid_schema", "3");
  m = migrate(&e, e.b);
  assert_int_equal(m.status, 0);
  assert_int_equal(m.from, 3);
  sql_ok(&e, "SELECT count(*) FROM braid_schema", "1");
  env_close(&e);
}

/* Two nodes starting together: one migrates, the other finds it done; no error. */
static void test_migrate_race(void **state) {
  struct env e;
  env_open(&e, "t_race");
  struct migrated ma = {0}, mb = {0};
  assert_int_equal(pgschema_migrate(e.a, on_migrated, &ma), 0);
  assert_int_equal(pgschema_migrate(e.b, on_migrated, &mb), 0);
  assert_true(pgtest_until(&e.t, migrated_done, &ma, 10000));
  assert_true(pgtest_until(&e.t, migrated_done, &mb, 10000));
  if (ma.status != 0 || mb.status != 0)
    fail_msg("a: %d %s / b: %d %s", ma.status, ma.message, mb.status, mb.message);
  sql_ok(&e, "SELECT count(*) || ':' || max(version) FROM braid_schema", "1:3");
  env_close(&e);
}

static void test_refuse_newer_and_unknown(void **state) {
  struct env e;
  env_open(&e, "t_refuse");
  assert_int_equal(migrate(&e, e.a).status, 0);
  sql_ok(&e, "UPDATE braid_schema SET version = 99", NULL);
  struct migrated m = migrate(&e, e.b);
  assert_int_equal(m.status, -EPROTO);
  assert_non_null(strstr(m.message, "newer braid (schema version 99, this braid knows up to 3)"));
  sql_ok(&e, "SELECT version FROM braid_schema", "99"); /* untouched */
  sql_ok(&e, "UPDATE braid_schema SET version = 1; INSERT INTO braid_schema VALUES (1)", NULL);
  m = migrate(&e, e.b);
  assert_int_equal(m.status, -EPROTO);
  assert_non_null(strstr(m.message, "unknown schema state (braid_schema has 2 rows"));
  sql_ok(&e, "DELETE FROM braid_schema; DROP TABLE braid_schema", NULL);
  m = migrate(&e, e.b); /* braid's tables, no version table: not ours to touch */
  assert_int_equal(m.status, -EPROTO);
  assert_non_null(strstr(m.message, "not a braid database"));
  sql_ok(&e, "SELECT to_regclass('braid_schema') IS NULL", "t");
  env_close(&e);
}

/* ---- leases ---------------------------------------------------------------------------- */

struct done { int calls, status; int64_t count; char message[256]; };
static void on_done(void *arg, int status, int64_t count, const char *message) {
  struct done *d = arg;
  d->calls++;
  d->status = status;
  d->count = count;
  snprintf(d->message, sizeof d->message, "%s", message);
}
static bool done_done(void *arg) { return ((struct done *)arg)->calls > 0; }

static int64_t upsert(struct env *e, const char *name, const char *host, unsigned limit) {
  struct done d = {0};
  char url[128];
  snprintf(url, sizeof url, "http://%s/%s.xml", host, name);
  assert_int_equal(pgfeeds_upsert(e->a, name, url, host, limit, on_done, &d), 0);
  assert_true(pgtest_until(&e->t, done_done, &d, 10000));
  if (d.status != 0)
    fail_msg("upsert %s: %s", name, d.message);
  return d.count;
}

/* One lease call's outcome: the feeds, copied out of the callback. */
struct leased {
  int calls, status;
  size_t n;
  int64_t ids[MAX_FEEDS];
  char hosts[MAX_FEEDS][16];
  char etag0[64];
  char message[256];
};
static void on_leased(void *arg, int status, const struct pgfeeds_lease *f, size_t n,
                      const char *message) {
  struct leased *l = arg;
  l->calls++;
  l->status = status;
  l->n = n;
  snprintf(l->message, sizeof l->message, "%s", message);
  assert_true(n <= MAX_FEEDS);
  for (size_t i = 0; i < n; i++) {
    l->ids[i] = f[i].id;
    /* url is http://HOST/NAME.xml */
    sscanf(f[i].url, "http://%15[^/]", l->hosts[i]);
  }
  snprintf(l->etag0, sizeof l->etag0, "%s", n > 0 && f[0].etag ? f[0].etag : "");
}
static bool leased_done(void *arg) { return ((struct leased *)arg)->calls > 0; }

static struct leased lease(struct env *e, struct pgconn *c, const char *holder, unsigned max,
                           unsigned secs) {
  struct leased l = {0};
  assert_int_equal(pgfeeds_lease(c, holder, max, secs, on_leased, &l), 0);
  assert_true(pgtest_until(&e->t, leased_done, &l, 10000));
  if (l.status != 0)
    fail_msg("lease: %s", l.message);
  return l;
}

static struct done complete(struct env *e, struct pgconn *c, const char *holder, int64_t id,
                            const char *etag, int64_t next_due) {
  struct done d = {0};
  struct pgfeeds_result r = {.etag = etag, .next_due = next_due, .last_status = 200};
  assert_int_equal(pgfeeds_complete(c, holder, id, &r, on_done, &d), 0);
  assert_true(pgtest_until(&e->t, done_done, &d, 10000));
  if (d.status != 0)
    fail_msg("complete: %s", d.message);
  return d;
}

/* The most live leases any host has right now, from the database. */
static int max_live_per_host(struct env *e) {
  struct pgtest_result r;
  assert_int_equal(pgtest_query(&e->t, e->a,
                                "SELECT coalesce(max(n), 0) FROM (SELECT f.host, count(*) n"
                                " FROM feed_leases l JOIN feeds f ON f.id = l.feed_id"
                                " WHERE l.expires > now() GROUP BY f.host) x",
                                0, NULL, &r), 0);
  return atoi(r.value);
}

#define FAR_FUTURE 4102444800 /* 2100-01-01: not due again in this test */

/* 60 feeds on 6 hosts (limit 2), two nodes leasing at the same moment, round after round,
 * completing what they got: every feed leased exactly once, and never more than 2 live
 * leases on one host, counting both nodes. */
static void test_two_nodes_share_exactly_once(void **state) {
  struct env e;
  env_open(&e, "t_share");
  assert_int_equal(migrate(&e, e.a).status, 0);
  int64_t first = 0;
  for (int i = 0; i < 60; i++) {
    char name[16], host[16];
    snprintf(name, sizeof name, "f%02d", i);
    snprintf(host, sizeof host, "h%d.test", i % 6);
    int64_t id = upsert(&e, name, host, 2);
    if (i == 0)
      first = id;
  }
  int times[60] = {0};
  size_t by_node[2] = {0, 0};
  int rounds = 0;
  size_t total = 0;
  while (total < 60 && rounds < 40) {
    rounds++;
    struct leased la = {0}, lb = {0};
    /* Both statements are on the wire at once: the server runs them concurrently. */
    assert_int_equal(pgfeeds_lease(e.a, "node-a", 7, 60, on_leased, &la), 0);
    assert_int_equal(pgfeeds_lease(e.b, "node-b", 7, 60, on_leased, &lb), 0);
    assert_true(pgtest_until(&e.t, leased_done, &la, 10000));
    assert_true(pgtest_until(&e.t, leased_done, &lb, 10000));
    assert_int_equal(la.status, 0);
    assert_int_equal(lb.status, 0);
    int per_host[6] = {0};
    struct leased *both[2] = {&la, &lb};
    for (int k = 0; k < 2; k++)
      for (size_t i = 0; i < both[k]->n; i++) {
        int64_t idx = both[k]->ids[i] - first;
        assert_true(idx >= 0 && idx < 60);
        times[idx]++;
        per_host[both[k]->hosts[i][1] - '0']++;
        by_node[k]++;
        total++;
      }
    for (int h = 0; h < 6; h++)
      assert_true(per_host[h] <= 2);
    assert_true(max_live_per_host(&e) <= 2);
    for (int k = 0; k < 2; k++)
      for (size_t i = 0; i < both[k]->n; i++)
        assert_int_equal(complete(&e, k ? e.b : e.a, k ? "node-b" : "node-a", both[k]->ids[i],
                                  "\"v1\"", FAR_FUTURE).count, 1);
  }
  for (int i = 0; i < 60; i++)
    assert_int_equal(times[i], 1);
  print_message("60 feeds in %d rounds: node-a %zu, node-b %zu\n", rounds, by_node[0],
                by_node[1]);
  /* 6 hosts x 2 slots: no round can hand out more than 12. */
  assert_true(rounds >= 5);
  assert_true(by_node[0] > 0 && by_node[1] > 0);
  sql_ok(&e, "SELECT count(*) FROM feeds WHERE etag = '\"v1\"' AND last_status = 200", "60");
  sql_ok(&e, "SELECT count(*) FROM feed_leases WHERE holder IS NOT NULL", "0");
  sql_ok(&e, "SELECT count(*) FROM host_slots WHERE holder IS NOT NULL", "0");
  env_close(&e);
}

/* One host, limit 2, ten due feeds: two nodes together never get more than 2. */
static void test_host_limit_across_nodes(void **state) {
  struct env e;
  env_open(&e, "t_limit");
  assert_int_equal(migrate(&e, e.a).status, 0);
  for (int i = 0; i < 10; i++) {
    char name[16];
    snprintf(name, sizeof name, "f%d", i);
    upsert(&e, name, "one.test", 2);
  }
  struct leased la = lease(&e, e.a, "node-a", 10, 60);
  struct leased lb = lease(&e, e.b, "node-b", 10, 60);
  assert_int_equal(la.n + lb.n, 2);
  assert_int_equal(max_live_per_host(&e), 2);
  struct leased *got = la.n ? &la : &lb;
  struct pgconn *gc = la.n ? e.a : e.b;
  const char *gh = la.n ? "node-a" : "node-b";
  assert_int_equal(complete(&e, gc, gh, got->ids[0], NULL, FAR_FUTURE).count, 1);
  /* One slot free again: exactly one more, whoever asks. */
  struct leased lb2 = lease(&e, e.b, "node-b", 10, 60);
  assert_int_equal(lb2.n, 1);
  assert_int_equal(lease(&e, e.a, "node-a", 10, 60).n, 0);
  assert_int_equal(max_live_per_host(&e), 2);
  /* A lowered limit takes effect as slots free up: the busy slot above it stays until its
   * fetch ends, and is never handed out again. */
  upsert(&e, "f0", "one.test", 1);
  sql_ok(&e, "SELECT count(*) FROM host_slots WHERE host = 'one.test'", "2"); /* both busy */
  struct leased *all[3] = {&la, &lb, &lb2};
  for (int k = 0; k < 3; k++)
    for (size_t i = 0; i < all[k]->n; i++)
      if (all[k]->ids[i] != got->ids[0]) /* done already */
        assert_int_equal(complete(&e, k == 0 ? e.a : e.b, k == 0 ? "node-a" : "node-b",
                                  all[k]->ids[i], NULL, FAR_FUTURE).count, 1);
  struct leased la3 = lease(&e, e.a, "node-a", 10, 60);
  struct leased lb3 = lease(&e, e.b, "node-b", 10, 60);
  assert_int_equal(la3.n + lb3.n, 1);
  assert_int_equal(max_live_per_host(&e), 1);
  env_close(&e);
}

static bool wait_ms_done(void *arg) { return uv_hrtime() >= *(uint64_t *)arg; }
static void wait_ms(struct env *e, unsigned ms) {
  uint64_t until = uv_hrtime() + (uint64_t)ms * 1000000;
  pgtest_until(&e->t, wait_ms_done, &until, ms + 1000);
}

/* node-a leases for 1 s and stops renewing: after expiry node-b takes the feeds, and
 * node-a's late result is refused and writes nothing. */
static void test_expired_lease_moves_to_other_node(void **state) {
  struct env e;
  env_open(&e, "t_expire");
  assert_int_equal(migrate(&e, e.a).status, 0);
  for (int i = 0; i < 4; i++) {
    char name[16], host[16];
    snprintf(name, sizeof name, "f%d", i);
    snprintf(host, sizeof host, "h%d.test", i % 2);
    upsert(&e, name, host, 2);
  }
  struct leased la = lease(&e, e.a, "node-a", 10, 1);
  assert_int_equal(la.n, 4);
  assert_int_equal(lease(&e, e.b, "node-b", 10, 60).n, 0);
  wait_ms(&e, 1300);
  struct leased lb = lease(&e, e.b, "node-b", 10, 60);
  assert_int_equal(lb.n, 4);
  for (size_t i = 0; i < 4; i++)
    assert_int_equal(lb.ids[i], la.ids[i]);
  /* Validators and schedule: the holder's only. */
  assert_int_equal(complete(&e, e.a, "node-a", la.ids[0], "\"stale\"", 1).count, 0);
  struct done d = {0};
  assert_int_equal(pgfeeds_renew(e.a, "node-a", 60, on_done, &d), 0);
  assert_true(pgtest_until(&e.t, done_done, &d, 10000));
  assert_int_equal(d.status, 0);
  assert_int_equal(d.count, 0);
  assert_int_equal(complete(&e, e.b, "node-b", lb.ids[0], "\"fresh\"", FAR_FUTURE).count, 1);
  char sql[128];
  snprintf(sql, sizeof sql, "SELECT etag || ' ' || next_due FROM feeds WHERE id = %lld",
           (long long)lb.ids[0]);
  sql_ok(&e, sql, "\"fresh\" 4102444800");
  env_close(&e);
}

/* Renewing keeps a lease past its first expiry; releasing hands it over at once. */
static void test_renew_and_release(void **state) {
  struct env e;
  env_open(&e, "t_renew");
  assert_int_equal(migrate(&e, e.a).status, 0);
  int64_t id = upsert(&e, "f0", "r.test", 1);
  assert_int_equal(lease(&e, e.a, "node-a", 5, 1).n, 1);
  wait_ms(&e, 600);
  struct done d = {0};
  assert_int_equal(pgfeeds_renew(e.a, "node-a", 3, on_done, &d), 0);
  assert_true(pgtest_until(&e.t, done_done, &d, 10000));
  assert_int_equal(d.count, 1);
  wait_ms(&e, 800); /* past the first expiry */
  assert_int_equal(lease(&e, e.b, "node-b", 5, 60).n, 0);
  memset(&d, 0, sizeof d);
  assert_int_equal(pgfeeds_release(e.b, "node-b", id, on_done, &d), 0);
  assert_true(pgtest_until(&e.t, done_done, &d, 10000));
  assert_int_equal(d.count, 0); /* not node-b's to release */
  memset(&d, 0, sizeof d);
  assert_int_equal(pgfeeds_release(e.a, "node-a", id, on_done, &d), 0);
  assert_true(pgtest_until(&e.t, done_done, &d, 10000));
  assert_int_equal(d.count, 1);
  struct leased lb = lease(&e, e.b, "node-b", 5, 60);
  assert_int_equal(lb.n, 1);
  assert_int_equal(lb.ids[0], id);
  env_close(&e);
}

/* Counts completions of a batch queued at once. */
static void on_counted(void *arg, int status, int64_t count, const char *message) {
  int *n = arg;
  if (status != 0 || count != 1)
    fail_msg("complete: %d count %lld %s", status, (long long)count, message);
  n[0]++;
}
static bool counted_all(void *arg) { return ((int *)arg)[0] == ((int *)arg)[1]; }

/* 2000 feeds on 40 hosts (limit 3: 120 slots), two nodes leasing batches of 100 at the same
 * moment until every feed was polled once: exactly once each, the limit held in every round,
 * and the cost of a lease round printed. */
static void test_lease_scale(void **state) {
  struct env e;
  env_open(&e, "t_scale");
  assert_int_equal(migrate(&e, e.a).status, 0);
  sql_ok(&e,
         "INSERT INTO hosts SELECT 'h' || g || '.test', 3 FROM generate_series(0, 39) g;"
         "INSERT INTO host_slots SELECT 'h' || g || '.test', s FROM generate_series(0, 39) g,"
         " generate_series(0, 2) s;"
         "INSERT INTO feeds (name, url, host) SELECT 'f' || g,"
         " 'http://h' || (g % 40) || '.test/f' || g || '.xml', 'h' || (g % 40) || '.test'"
         " FROM generate_series(0, 1999) g;"
         "INSERT INTO feed_leases (feed_id) SELECT id FROM feeds",
         NULL);
  struct pgtest_result r;
  assert_int_equal(pgtest_query(&e.t, e.a, "SELECT min(id) FROM feeds", 0, NULL, &r), 0);
  int64_t first = strtoll(r.value, NULL, 10);
  static int times[2000];
  memset(times, 0, sizeof times);
  size_t total = 0;
  int rounds = 0;
  uint64_t lease_ns = 0;
  static struct leased la, lb; /* 2 x ~2.5 KB: off the stack */
  while (total < 2000 && rounds < 100) {
    rounds++;
    memset(&la, 0, sizeof la);
    memset(&lb, 0, sizeof lb);
    uint64_t t0 = uv_hrtime();
    assert_int_equal(pgfeeds_lease(e.a, "node-a", 100, 60, on_leased, &la), 0);
    assert_int_equal(pgfeeds_lease(e.b, "node-b", 100, 60, on_leased, &lb), 0);
    assert_true(pgtest_until(&e.t, leased_done, &la, 10000));
    assert_true(pgtest_until(&e.t, leased_done, &lb, 10000));
    lease_ns += uv_hrtime() - t0;
    assert_int_equal(la.status, 0);
    assert_int_equal(lb.status, 0);
    int per_host[40] = {0};
    int counts[2] = {0, (int)(la.n + lb.n)};
    struct leased *both[2] = {&la, &lb};
    for (int k = 0; k < 2; k++)
      for (size_t i = 0; i < both[k]->n; i++) {
        int64_t idx = both[k]->ids[i] - first;
        assert_true(idx >= 0 && idx < 2000);
        times[idx]++;
        per_host[atoi(both[k]->hosts[i] + 1)]++;
        struct pgfeeds_result res = {.etag = "\"x\"", .next_due = FAR_FUTURE, .last_status = 200};
        assert_int_equal(pgfeeds_complete(k ? e.b : e.a, k ? "node-b" : "node-a",
                                          both[k]->ids[i], &res, on_counted, counts), 0);
      }
    for (int h = 0; h < 40; h++)
      assert_true(per_host[h] <= 3);
    total += la.n + lb.n;
    assert_true(pgtest_until(&e.t, counted_all, counts, 20000));
  }
  for (int i = 0; i < 2000; i++)
    assert_int_equal(times[i], 1);
  print_message("2000 feeds, 40 hosts x 3 slots, batches of 100 from 2 nodes at once: %d rounds, "
                "%.1f ms per concurrent lease round (both nodes)\n",
                rounds, (double)lease_ns / rounds / 1e6);
  assert_true(rounds >= 2000 / 120);
  env_close(&e);
}

static bool both_up(void *arg) {
  struct pgconn **c = arg;
  return pgconn_state(c[0]) == PGCONN_READY && pgconn_state(c[1]) == PGCONN_READY;
}

/* The database dies while a lease statement is in flight: whether it committed is unknown to
 * the node, and it does not matter: after the restart the feeds are leased again, at the
 * latest once the lost lease expires, and nothing is leased twice at once. */
static void test_lease_across_server_restart(void **state) {
  struct env e;
  env_open(&e, "t_restart");
  assert_int_equal(migrate(&e, e.a).status, 0);
  for (int i = 0; i < 4; i++) {
    char name[16];
    snprintf(name, sizeof name, "f%d", i);
    upsert(&e, name, "x.test", 4);
  }
  struct leased la = {0};
  assert_int_equal(pgfeeds_lease(e.a, "node-a", 10, 1, on_leased, &la), 0);
  assert_int_equal(pgtest_cluster("BRAID_PG_KILL"), 0);
  assert_true(pgtest_until(&e.t, leased_done, &la, 10000));
  /* Committed just before the kill, or cut off: the node cannot tell which. */
  assert_true(la.status == 0 || la.status == -ECONNRESET || la.status == -ENOTCONN);
  assert_int_equal(pgtest_cluster("BRAID_PG_START"), 0);
  struct pgconn *both[2] = {e.a, e.b};
  assert_true(pgtest_until(&e.t, both_up, both, 10000));
  wait_ms(&e, 1200); /* past any lease the lost statement may have taken */
  struct leased lb = lease(&e, e.b, "node-b", 10, 60);
  assert_int_equal(lb.n, 4);
  assert_int_equal(lease(&e, e.a, "node-a", 10, 60).n, 0);
  env_close(&e);
}

/* A feed gone from feeds.d is retired: never leased again, until it comes back. */
static void test_retire_absent(void **state) {
  struct env e;
  env_open(&e, "t_retire");
  assert_int_equal(migrate(&e, e.a).status, 0);
  int64_t ids[3];
  for (int i = 0; i < 3; i++) {
    char name[16];
    snprintf(name, sizeof name, "f%d", i);
    ids[i] = upsert(&e, name, "r.test", 4);
  }
  const char *keep[] = {"f0", "f2"};
  struct done d = {0};
  assert_int_equal(pgfeeds_retire_absent(e.a, keep, 2, on_done, &d), 0);
  assert_true(pgtest_until(&e.t, done_done, &d, 10000));
  assert_int_equal(d.status, 0);
  assert_int_equal(d.count, 1);
  struct leased l = lease(&e, e.b, "node-b", 10, 60);
  assert_int_equal(l.n, 2);
  assert_int_equal(l.ids[0], ids[0]);
  assert_int_equal(l.ids[1], ids[2]);
  assert_int_equal(upsert(&e, "f1", "r.test", 4), ids[1]); /* back, same id and state */
  l = lease(&e, e.a, "node-a", 10, 60);
  assert_int_equal(l.n, 1);
  assert_int_equal(l.ids[0], ids[1]);
  const char *bad[] = {"a\nb"};
  assert_int_equal(pgfeeds_retire_absent(e.a, bad, 1, on_done, &d), -EINVAL);
  env_close(&e);
}

/* A permanent redirect's target is where the next holder polls, with the validators it gave;
 * a feed whose configured URL changes forgets both (they belonged to the old address). */
static void test_redirect_target_and_url_change(void **state) {
  struct env e;
  env_open(&e, "t_redirect");
  assert_int_equal(migrate(&e, e.a).status, 0);
  int64_t id = upsert(&e, "r", "u.test", 4);
  struct leased l = lease(&e, e.a, "node-a", 10, 60);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.hosts[0], "u.test");
  struct done d = {0};
  struct pgfeeds_result r = {.etag = "\"m\"", .effective_url = "http://moved.test/r.xml",
                             .next_due = 0, .last_status = 200};
  assert_int_equal(pgfeeds_complete(e.a, "node-a", id, &r, on_done, &d), 0);
  assert_true(pgtest_until(&e.t, done_done, &d, 10000));
  assert_int_equal(d.count, 1);
  upsert(&e, "r", "u.test", 4); /* a node's sync, the same URL: nothing forgotten */
  l = lease(&e, e.b, "node-b", 10, 60);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.hosts[0], "moved.test");
  assert_string_equal(l.etag0, "\"m\"");
  complete(&e, e.b, "node-b", id, "\"m\"", 0);
  upsert(&e, "r", "new.test", 4); /* feeds.d now names another URL */
  l = lease(&e, e.a, "node-a", 10, 60);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.hosts[0], "new.test");
  assert_string_equal(l.etag0, "");
  env_close(&e);
}

static void test_bad_arguments(void **state) {
  struct env e;
  env_open(&e, "t_args");
  char big[BRAID_FETCH_MAX_URL_BYTES + 2];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  assert_int_equal(pgfeeds_upsert(e.a, "f", big, "h", 2, on_done, NULL), -EINVAL);
  assert_int_equal(pgfeeds_upsert(e.a, "f", "http://h/", "h", 0, on_done, NULL), -EINVAL);
  assert_int_equal(pgfeeds_upsert(e.a, "f", "http://h/", "h", BRAID_PG_MAX_HOST_SLOTS + 1,
                                  on_done, NULL), -EINVAL);
  assert_int_equal(pgfeeds_lease(e.a, "", 1, 60, on_leased, NULL), -EINVAL);
  assert_int_equal(pgfeeds_lease(e.a, "n", BRAID_PG_MAX_LEASE_BATCH + 1, 60, on_leased, NULL),
                   -EINVAL);
  assert_int_equal(pgfeeds_lease(e.a, "n", 1, 0, on_leased, NULL), -EINVAL);
  assert_int_equal(pgfeeds_renew(e.a, "n", BRAID_PG_MAX_LEASE_S + 1, on_done, NULL), -EINVAL);
  env_close(&e);
}

int main(void) {
  pgtest_conninfo(); /* SKIP before any test when not under pgcluster.py */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_migrate_new_then_current),
      cmocka_unit_test(test_migrate_race),
      cmocka_unit_test(test_refuse_newer_and_unknown),
      cmocka_unit_test(test_two_nodes_share_exactly_once),
      cmocka_unit_test(test_host_limit_across_nodes),
      cmocka_unit_test(test_expired_lease_moves_to_other_node),
      cmocka_unit_test(test_renew_and_release),
      cmocka_unit_test(test_lease_scale),
      cmocka_unit_test(test_retire_absent),
      cmocka_unit_test(test_lease_across_server_restart),
      cmocka_unit_test(test_redirect_target_and_url_change),
      cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
