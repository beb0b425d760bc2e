/* test_pglog.c — the shared log of polled results against a real PostgreSQL: a poll's items
 * are appended with its lease's completion or not at all, in order, read back in bounded
 * batches, announced by NOTIFY on commit, pruned as a prefix that later readers are held to,
 * and the schema step that adds them migrates a version 1 database. Two connections play two nodes; each test has its own schema. */
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
#include "pglog.h"
#include "pgschema.h"
#include "pgtest.h"

struct env {
  struct pgtest t;
  char conninfo[512];
  struct pgconn *a, *b; /* node a; node b LISTENs on the log's channel */
  int notified;
};

static bool zero(void *arg) { return *(int *)arg == 0; }
static void closed(void *arg) { (*(int *)arg)--; }
static void on_notify(void *arg, const char *channel, const char *payload, int pid) {
  struct env *e = arg;
  if (!strcmp(channel, PGLOG_CHANNEL))
    e->notified++;
}

static bool listening(void *arg) { return pgconn_sessions(arg) > 0; }

static void env_open(struct env *e, const char *schema) {
  memset(e, 0, sizeof *e);
  assert_int_equal(pgtest_init(&e->t), 0);
  assert_int_equal(pgtest_schema(&e->t, schema, e->conninfo, sizeof e->conninfo), 0);
  static const char *const channels[] = {PGLOG_CHANNEL, NULL};
  struct pgconn_config cfg = pgtest_config(e->conninfo);
  assert_int_equal(pgconn_new(&e->t.loop, &cfg, &e->a), 0);
  cfg.channels = channels;
  cfg.on_notify = on_notify;
  cfg.arg = e;
  assert_int_equal(pgconn_new(&e->t.loop, &cfg, &e->b), 0);
  /* Until b's session is set up its LISTEN has not run, and a NOTIFY committed before that is
   * not delivered to it (a loaded CI machine showed it: the daemon's replay has its 5 s timer
   * for that, the test would wait in vain). */
  assert_true(pgtest_until(&e->t, listening, e->b, 10000));
}

static void env_close(struct env *e) {
  int open = 2;
  pgconn_close(e->a, closed, &open);
  pgconn_close(e->b, closed, &open);
  assert_true(pgtest_until(&e->t, zero, &open, 5000));
  assert_int_equal(pgtest_finish(&e->t), 0);
}

struct migrated { int calls, status, from; };
static void on_migrated(void *arg, int status, int from, const char *message) {
  struct migrated *m = arg;
  m->calls++, m->status = status, m->from = from;
}
static bool migrated_done(void *arg) { return ((struct migrated *)arg)->calls > 0; }
static struct migrated migrate(struct env *e) {
  struct migrated m = {0};
  assert_int_equal(pgschema_migrate(e->a, on_migrated, &m), 0);
  assert_true(pgtest_until(&e->t, migrated_done, &m, 10000));
  assert_int_equal(m.status, 0);
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

struct done { int calls, status; int64_t count; char message[256]; };
static void on_done(void *arg, int status, int64_t count, const char *message) {
  struct done *d = arg;
  d->calls++, d->status = status, d->count = count;
  snprintf(d->message, sizeof d->message, "%s", message);
}
static bool done_done(void *arg) { return ((struct done *)arg)->calls > 0; }

static int64_t upsert(struct env *e, const char *name) {
  struct done d = {0};
  char url[128];
  snprintf(url, sizeof url, "http://h.test/%s.xml", name);
  assert_int_equal(pgfeeds_upsert(e->a, name, url, "h.test", 4, on_done, &d), 0);
  assert_true(pgtest_until(&e->t, done_done, &d, 10000));
  assert_int_equal(d.status, 0);
  return d.count;
}

struct leased { int calls, status; size_t n; int64_t ids[8]; };
static void on_leased(void *arg, int status, const struct pgfeeds_lease *f, size_t n,
                      const char *message) {
  struct leased *l = arg;
  l->calls++, l->status = status, l->n = n;
  for (size_t i = 0; i < n && i < 8; i++)
    l->ids[i] = f[i].id;
}
static bool leased_done(void *arg) { return ((struct leased *)arg)->calls > 0; }
static struct leased lease(struct env *e, const char *holder, unsigned secs) {
  struct leased l = {0};
  assert_int_equal(pgfeeds_lease(e->a, holder, 8, secs, on_leased, &l), 0);
  assert_true(pgtest_until(&e->t, leased_done, &l, 10000));
  assert_int_equal(l.status, 0);
  return l;
}

static struct done complete(struct env *e, const char *holder, int64_t id, const char *etag,
                            const char *items) {
  struct done d = {0};
  struct pgfeeds_result r = {.etag = etag, .next_due = 2000000000, .last_status = 200};
  assert_int_equal(pglog_complete(e->a, holder, id, &r, 1700000000, items, on_done, &d), 0);
  assert_true(pgtest_until(&e->t, done_done, &d, 10000));
  if (d.status != 0)
    fail_msg("complete: %s", d.message);
  return d;
}

#define MAX_ROWS 16
struct rows { int calls, status; size_t n; int64_t seq[MAX_ROWS]; char feed[MAX_ROWS][32];
              char item[MAX_ROWS][64]; int64_t at[MAX_ROWS]; };
static void on_rows(void *arg, int status, const struct pglog_row *rows, size_t n,
                    const char *message) {
  struct rows *r = arg;
  r->calls++, r->status = status, r->n = n;
  assert_true(n <= MAX_ROWS);
  for (size_t i = 0; i < n; i++) {
    r->seq[i] = rows[i].seq;
    r->at[i] = rows[i].polled_at;
    snprintf(r->feed[i], sizeof r->feed[i], "%s", rows[i].feed);
    snprintf(r->item[i], sizeof r->item[i], "%s", rows[i].item);
  }
}
static bool rows_done(void *arg) { return ((struct rows *)arg)->calls > 0; }
static struct rows read_log(struct env *e, int64_t after, unsigned max) {
  struct rows r = {0};
  assert_int_equal(pglog_read(e->a, after, max, on_rows, &r), 0);
  assert_true(pgtest_until(&e->t, rows_done, &r, 10000));
  assert_int_equal(r.status, 0);
  return r;
}

static bool notified(void *arg) { return ((struct env *)arg)->notified > 0; }

/* A completed poll's items land in order with its feed and time; the other node hears of it
 * once, after the commit; reads page by the watermark. */
static void test_append_read_notify(void **state) {
  struct env e;
  env_open(&e, "t_log_append");
  migrate(&e);
  upsert(&e, "alpha");
  upsert(&e, "beta");
  struct leased l = lease(&e, "node-a", 30);
  assert_int_equal(l.n, 2);
  struct done d = complete(&e, "node-a", l.ids[0], "\"e1\"", "[{\"g\":\"1\"},{\"g\":\"2\"},{\"g\":\"3\"}]");
  assert_int_equal(d.count, 1);
  assert_true(pgtest_until(&e.t, notified, &e, 5000));
  d = complete(&e, "node-a", l.ids[1], NULL, "[]"); /* a 304: no rows, no NOTIFY */
  assert_int_equal(d.count, 1);
  sql_ok(&e, "SELECT string_agg(feed || ':' || (item->>'g'), ',' ORDER BY seq) FROM items_log",
         "alpha:1,alpha:2,alpha:3");
  sql_ok(&e, "SELECT etag FROM feeds WHERE name = 'alpha'", "\"e1\"");
  struct rows r = read_log(&e, 0, 2);
  assert_int_equal(r.n, 2);
  assert_true(r.seq[0] < r.seq[1]);
  assert_string_equal(r.feed[0], "alpha");
  assert_string_equal(r.item[0], "{\"g\": \"1\"}");
  assert_int_equal(r.at[0], 1700000000);
  struct rows rest = read_log(&e, r.seq[1], 10);
  assert_int_equal(rest.n, 1);
  assert_string_equal(rest.item[0], "{\"g\": \"3\"}");
  assert_int_equal(read_log(&e, rest.seq[0], 10).n, 0);
  pgtest_run_for(&e.t, 300);
  assert_int_equal(e.notified, 1);
  env_close(&e);
}

static bool wait_ms_done(void *arg) { return uv_hrtime() >= *(uint64_t *)arg; }

/* A node whose lease expired (another node may be polling the feed) writes nothing: neither
 * the feed's validators nor a single item. */
static void test_lost_lease_writes_nothing(void **state) {
  struct env e;
  env_open(&e, "t_log_lost");
  migrate(&e);
  upsert(&e, "alpha");
  struct leased l = lease(&e, "node-a", 1);
  assert_int_equal(l.n, 1);
  uint64_t until = uv_hrtime() + 1500ull * 1000000;
  pgtest_until(&e.t, wait_ms_done, &until, 3000);
  struct done d = complete(&e, "node-a", l.ids[0], "\"late\"", "[{\"g\":\"1\"}]");
  assert_int_equal(d.count, 0);
  sql_ok(&e, "SELECT count(*) FROM items_log", "0");
  sql_ok(&e, "SELECT coalesce(etag, 'none') FROM feeds", "none");
  /* Another holder's id: nothing either. */
  l = lease(&e, "node-b", 30);
  assert_int_equal(l.n, 1);
  assert_int_equal(complete(&e, "node-a", l.ids[0], "\"x\"", "[{\"g\":\"1\"}]").count, 0);
  sql_ok(&e, "SELECT count(*) FROM items_log", "0");
  pgtest_run_for(&e.t, 300);
  assert_int_equal(e.notified, 0);
  env_close(&e);
}

/* A version 1 database (feed state, no log) is brought to the current version with its feeds
 * kept. */
static void test_migrate_from_v1(void **state) {
  struct env e;
  env_open(&e, "t_log_v1");
  migrate(&e);
  upsert(&e, "alpha");
  sql_ok(&e, "DROP FUNCTION braid_log_append; DROP TABLE items_log, items_log_pruned;"
             " UPDATE braid_schema SET version = 1", NULL);
  struct migrated m = migrate(&e);
  assert_int_equal(m.from, 1);
  sql_ok(&e, "SELECT version FROM braid_schema", "3");
  sql_ok(&e, "SELECT upto_seq FROM items_log_pruned", "0");
  sql_ok(&e, "SELECT count(*) FROM feeds", "1");
  sql_ok(&e, "SELECT count(*) FROM items_log", "0");
  env_close(&e);
}

static struct done prune(struct env *e, int64_t retention_s, unsigned max) {
  struct done d = {0};
  assert_int_equal(pglog_prune(e->a, retention_s, max, on_done, &d), 0);
  assert_true(pgtest_until(&e->t, done_done, &d, 10000));
  if (d.status != 0)
    fail_msg("prune: %s", d.message);
  return d;
}

/* Pruning cuts the log's prefix older than the retention, in batches, never past a recent row
 * (an old row after it stays), only under the prune lock, and records how far: a reader that
 * had not replayed that far is refused, one that had reads on. */
static void test_prune_prefix(void **state) {
  struct env e;
  env_open(&e, "t_log_prune");
  migrate(&e);
  sql_ok(&e, "SELECT braid_log_append('a', extract(epoch FROM now())::bigint - 7200,"
             " '[{\"g\":\"1\"},{\"g\":\"2\"},{\"g\":\"3\"}]');"
             "SELECT braid_log_append('a', extract(epoch FROM now())::bigint, '[{\"g\":\"4\"}]');"
             "SELECT braid_log_append('a', extract(epoch FROM now())::bigint - 7200,"
             " '[{\"g\":\"5\"}]')", NULL);
  struct pgtest_result r;
  assert_int_equal(pgtest_query(&e.t, e.b, "SELECT pg_advisory_lock(" PGLOG_PRUNE_LOCK ")", 0,
                                NULL, &r), 0);
  assert_int_equal(prune(&e, 3600, 2).count, 0); /* another node is pruning */
  assert_int_equal(pgtest_query(&e.t, e.b, "SELECT pg_advisory_unlock(" PGLOG_PRUNE_LOCK ")",
                                0, NULL, &r), 0);
  sql_ok(&e, "SELECT upto_seq FROM items_log_pruned", "0");
  assert_int_equal(prune(&e, 3600, 2).count, 2);
  sql_ok(&e, "SELECT upto_seq FROM items_log_pruned", "2");
  assert_int_equal(prune(&e, 3600, 2).count, 1);
  assert_int_equal(prune(&e, 3600, 2).count, 0);
  sql_ok(&e, "SELECT string_agg(item->>'g', ',' ORDER BY seq) FROM items_log", "4,5");
  sql_ok(&e, "SELECT upto_seq FROM items_log_pruned", "3");
  struct rows behind = {0};
  assert_int_equal(pglog_read(e.a, 2, 10, on_rows, &behind), 0);
  assert_true(pgtest_until(&e.t, rows_done, &behind, 10000));
  assert_int_equal(behind.status, -ERANGE);
  assert_int_equal(behind.n, 0);
  assert_int_equal(read_log(&e, 3, 10).n, 2);
  assert_int_equal(read_log(&e, 5, 10).n, 0);
  sql_ok(&e, "UPDATE items_log SET polled_at = polled_at - 86400", NULL); /* a day later */
  assert_int_equal(prune(&e, 3600, 10).count, 2);
  sql_ok(&e, "SELECT upto_seq FROM items_log_pruned", "5");
  assert_int_equal(read_log(&e, 5, 10).n, 0);
  env_close(&e);
}

static void test_bad_arguments(void **state) {
  struct env e;
  env_open(&e, "t_log_args");
  struct pgfeeds_result r = {0};
  assert_int_equal(pglog_complete(e.a, "", 1, &r, 0, "[]", on_done, NULL), -EINVAL);
  assert_int_equal(pglog_complete(e.a, "n", 1, &r, 0, "{}", on_done, NULL), -EINVAL);
  assert_int_equal(pglog_complete(e.a, "n", 1, &r, 0, NULL, on_done, NULL), -EINVAL);
  assert_int_equal(pglog_read(e.a, 0, 0, on_rows, NULL), -EINVAL);
  assert_int_equal(pglog_read(e.a, 0, BRAID_PG_MAX_LOG_BATCH + 1, on_rows, NULL), -EINVAL);
  assert_int_equal(pglog_read(e.a, -1, 10, on_rows, NULL), -EINVAL);
  env_close(&e);
}

int main(void) {
  pgtest_conninfo();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_append_read_notify),
      cmocka_unit_test(test_lost_lease_writes_nothing),
      cmocka_unit_test(test_migrate_from_v1),
      cmocka_unit_test(test_bad_arguments),
      cmocka_unit_test(test_prune_prefix),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
