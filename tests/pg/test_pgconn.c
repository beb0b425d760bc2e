/* test_pgconn.c — libpq on the loop against a real PostgreSQL (a private cluster).
 *
 * Runs under tests/pg/pgcluster.py, which starts the cluster and hands over its address and
 * the commands that kill it (SIGQUIT: an immediate shutdown) and start it again. Each test makes
 * its own loop and connections and ends with the loop closing cleanly. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <cmocka.h>

#include "bounds.h"
#include "pgtest.h"

/* What a connection told its owner. */
struct node {
  int ups, downs;        /* on_state(true) / on_state(false) calls */
  int last_err;
  char last_message[BRAID_PG_MAX_ERROR_BYTES];
  int notifies;
  char payloads[8][64];  /* the first 8 payloads received */
  bool closed;
};

static void on_state(void *arg, bool connected, int err, const char *message) {
  struct node *n = arg;
  if (connected)
    n->ups++;
  else
    n->downs++;
  n->last_err = err;
  snprintf(n->last_message, sizeof n->last_message, "%s", message);
}

static void on_notify(void *arg, const char *channel, const char *payload, int pid) {
  struct node *n = arg;
  assert_string_equal(channel, "braid_changed");
  if (n->notifies < 8)
    snprintf(n->payloads[n->notifies], sizeof n->payloads[0], "%s", payload);
  n->notifies++;
}

static void on_closed(void *arg) { ((struct node *)arg)->closed = true; }

static const char *const channels[] = {"braid_changed", NULL};

static struct pgconn *connect_node(struct pgtest *t, const char *conninfo, struct node *n,
                                   unsigned statement_timeout_ms) {
  struct pgconn_config cfg = {
      .conninfo = conninfo, .connect_timeout_ms = 5000,
      .statement_timeout_ms = statement_timeout_ms, .backoff_min_ms = 50, .backoff_max_ms = 400,
      .channels = channels, .on_state = on_state, .on_notify = on_notify, .arg = n,
  };
  struct pgconn *c = NULL;
  assert_int_equal(pgconn_new(&t->loop, &cfg, &c), 0);
  return c;
}

static bool is_up(void *arg) { return ((struct node *)arg)->ups > 0; }
static bool is_down(void *arg) { return ((struct node *)arg)->downs > 0; }
static bool is_closed(void *arg) { return ((struct node *)arg)->closed; }

static void close_node(struct pgtest *t, struct pgconn *c, struct node *n) {
  pgconn_close(c, on_closed, n);
  assert_true(pgtest_until(t, is_closed, n, 5000));
}

static void test_query_params_and_multi(void **state) {
  struct pgtest t;
  struct node n = {0};
  struct pgtest_result r;
  assert_int_equal(pgtest_init(&t), 0);
  struct pgconn *c = connect_node(&t, pgtest_conninfo(), &n, 5000);
  const char *p[] = {"41", NULL};
  assert_int_equal(pgtest_query(&t, c, "SELECT $1::int + 1, $2::text IS NULL", 2, p, &r), 0);
  assert_string_equal(r.value, "42");
  assert_int_equal(n.ups, 1);
  assert_int_equal(pgtest_query(&t, c, "CREATE TABLE multi (x int); INSERT INTO multi VALUES "
                                       "(1), (2); SELECT count(*) FROM multi", 0, NULL, &r), 0);
  assert_string_equal(r.value, "2");
  assert_int_equal(pgtest_query(&t, c, "SHOW statement_timeout", 0, NULL, &r), 0);
  assert_string_equal(r.value, "5s");
  assert_int_equal(pgtest_query(&t, c, "DROP TABLE multi", 0, NULL, &r), 0);
  assert_int_equal(r.calls, 1);
  close_node(&t, c, &n);
  assert_int_equal(pgtest_finish(&t), 0);
}

/* The forms an operator may write: a URI, and a Unix socket directory as host. */
static void test_uri_and_socket(void **state) {
  struct pgtest t;
  struct node a = {0}, b = {0};
  struct pgtest_result r;
  const char *uri = getenv("BRAID_PG_URI"), *sock = getenv("BRAID_PG_SOCKET_CONNINFO");
  assert_non_null(uri);
  assert_non_null(sock);
  assert_int_equal(pgtest_init(&t), 0);
  struct pgconn *ca = connect_node(&t, uri, &a, 5000);
  struct pgconn *cb = connect_node(&t, sock, &b, 5000);
  assert_int_equal(pgtest_query(&t, ca, "SELECT inet_client_addr()", 0, NULL, &r), 0);
  assert_string_equal(r.value, "127.0.0.1");
  assert_int_equal(pgtest_query(&t, cb, "SELECT inet_client_addr() IS NULL", 0, NULL, &r), 0);
  assert_string_equal(r.value, "t"); /* a Unix socket has no address */
  close_node(&t, ca, &a);
  close_node(&t, cb, &b);
  assert_int_equal(pgtest_finish(&t), 0);
}

/* Over TCP the password comes from the password file alone: without it, no session, and the
 * failure is reported (once) with libpq's reason. */
static void test_password_from_passfile_only(void **state) {
  struct pgtest t;
  struct node n = {0};
  char conninfo[512];
  snprintf(conninfo, sizeof conninfo, "%s passfile=/nonexistent", pgtest_conninfo());
  assert_int_equal(pgtest_init(&t), 0);
  struct pgconn *c = connect_node(&t, conninfo, &n, 5000);
  assert_true(pgtest_until(&t, is_down, &n, 5000));
  assert_int_equal(n.ups, 0);
  assert_non_null(strstr(n.last_message, "password"));
  pgtest_run_for(&t, 300); /* retries, silently */
  assert_int_equal(n.downs, 1);
  close_node(&t, c, &n);
  assert_int_equal(pgtest_finish(&t), 0);
}

/* Queued before the connection is even up, run strictly in order. */
struct order { int seen[64]; int count; };
struct order_item { struct order *o; int i; };
static void on_ordered(void *arg, int status, const PGresult *res, const char *msg) {
  struct order_item *it = arg;
  assert_int_equal(status, 0);
  assert_int_equal(atoi(PQgetvalue(res, 0, 0)), it->i);
  it->o->seen[it->o->count++] = it->i;
}
static bool order_done(void *arg) { return ((struct order *)arg)->count == 50; }

static void test_fifo_order(void **state) {
  struct pgtest t;
  struct node n = {0};
  struct order o = {0};
  struct order_item items[50];
  assert_int_equal(pgtest_init(&t), 0);
  struct pgconn *c = connect_node(&t, pgtest_conninfo(), &n, 5000);
  assert_int_equal(pgconn_state(c), PGCONN_CONNECTING);
  assert_int_equal(pgconn_query(c, "CREATE TEMP TABLE fifo (id serial, n int)", 0, NULL, NULL,
                                NULL) == 0 ? 0 : -1, 0);
  for (int i = 0; i < 50; i++) {
    char num[16];
    snprintf(num, sizeof num, "%d", i);
    const char *p[] = {num};
    items[i] = (struct order_item){&o, i};
    assert_int_equal(pgconn_query(c, "INSERT INTO fifo (n) VALUES ($1) RETURNING n", 1, p,
                                  on_ordered, &items[i]), 0);
  }
  assert_true(pgtest_until(&t, order_done, &o, 10000));
  for (int i = 0; i < 50; i++)
    assert_int_equal(o.seen[i], i);
  struct pgtest_result r;
  assert_int_equal(pgtest_query(&t, c, "SELECT string_agg(n::text, ',' ORDER BY id) = "
                                       "(SELECT string_agg(g::text, ',') FROM generate_series"
                                       "(0, 49) g) FROM fifo", 0, NULL, &r), 0);
  assert_string_equal(r.value, "t");
  close_node(&t, c, &n);
  assert_int_equal(pgtest_finish(&t), 0);
}

static void count_call(void *arg, int status, const PGresult *res, const char *msg) {
  assert_int_equal(status, 0);
  (*(int *)arg)++;
}
static bool all_counted(void *arg) { return ((int *)arg)[0] == ((int *)arg)[1]; }

/* Round trips through the loop, one query at a time on one connection (the queue keeps one in
 * flight): 5000 parameterised INSERTs, each its own transaction; the rate is printed. */
static void test_round_trip_rate(void **state) {
  struct pgtest t;
  struct node n = {0};
  struct pgtest_result r;
  assert_int_equal(pgtest_init(&t), 0);
  struct pgconn *c = connect_node(&t, pgtest_conninfo(), &n, 5000);
  assert_int_equal(pgtest_query(&t, c, "CREATE TEMP TABLE rate (n int)", 0, NULL, &r), 0);
  uint64_t start = uv_hrtime();
  int counts[2] = {0, 0};
  for (int batch = 0; batch < 25; batch++) {
    for (int i = 0; i < 200; i++) {
      char num[16];
      snprintf(num, sizeof num, "%d", batch * 200 + i);
      const char *p[] = {num};
      assert_int_equal(pgconn_query(c, "INSERT INTO rate VALUES ($1)", 1, p, count_call,
                                    &counts[0]), 0);
      counts[1]++;
    }
    assert_true(pgtest_until(&t, all_counted, counts, 20000));
  }
  double secs = (double)(uv_hrtime() - start) / 1e9;
  assert_int_equal(pgtest_query(&t, c, "SELECT count(DISTINCT n) FROM rate", 0, NULL, &r), 0);
  assert_string_equal(r.value, "5000");
  print_message("5000 INSERTs, one at a time: %.2f s, %.0f per second\n", secs, 5000 / secs);
  close_node(&t, c, &n);
  assert_int_equal(pgtest_finish(&t), 0);
}

static void test_queue_bounded(void **state) {
  struct pgtest t;
  struct node n = {0};
  int counts[2] = {0, 0}; /* completed, accepted */
  assert_int_equal(pgtest_init(&t), 0);
  struct pgconn *c = connect_node(&t, pgtest_conninfo(), &n, 5000);
  int rc;
  while ((rc = pgconn_query(c, "SELECT 1", 0, NULL, count_call, &counts[0])) == 0)
    counts[1]++;
  assert_int_equal(rc, -ENOBUFS);
  /* The session's own setup statement holds one place while connecting. */
  assert_int_equal(counts[1], BRAID_PG_MAX_QUEUED - 1);
  assert_true(pgtest_until(&t, all_counted, counts, 20000));
  const char *many[BRAID_PG_MAX_PARAMS + 1] = {0};
  assert_int_equal(pgconn_query(c, "SELECT 1", BRAID_PG_MAX_PARAMS + 1, many, count_call,
                                &counts[0]), -E2BIG);
  close_node(&t, c, &n);
  assert_int_equal(pgtest_finish(&t), 0);
}

static void test_sql_error_then_usable(void **state) {
  struct pgtest t;
  struct node n = {0};
  struct pgtest_result r;
  assert_int_equal(pgtest_init(&t), 0);
  struct pgconn *c = connect_node(&t, pgtest_conninfo(), &n, 5000);
  assert_int_equal(pgtest_query(&t, c, "SELECT * FROM no_such_table", 0, NULL, &r), -EIO);
  assert_string_equal(r.sqlstate, "42P01");
  assert_non_null(strstr(r.message, "no_such_table"));
  /* A multi-statement string stops at its error and rolls back as one transaction. */
  assert_int_equal(pgtest_query(&t, c, "CREATE TABLE half (x int); SELECT 1/0", 0, NULL, &r),
                   -EIO);
  assert_string_equal(r.sqlstate, "22012");
  assert_int_equal(pgtest_query(&t, c, "SELECT to_regclass('half') IS NULL", 0, NULL, &r), 0);
  assert_string_equal(r.value, "t");
  close_node(&t, c, &n);
  assert_int_equal(pgtest_finish(&t), 0);
}

static void test_open_transaction_rolled_back(void **state) {
  struct pgtest t;
  struct node n = {0};
  struct pgtest_result r;
  assert_int_equal(pgtest_init(&t), 0);
  struct pgconn *c = connect_node(&t, pgtest_conninfo(), &n, 5000);
  assert_int_equal(pgtest_query(&t, c, "CREATE TABLE opentx (x int)", 0, NULL, &r), 0);
  assert_int_equal(pgtest_query(&t, c, "BEGIN; INSERT INTO opentx VALUES (1)", 0, NULL, &r),
                   -EINVAL);
  assert_non_null(strstr(r.message, "rolled back"));
  assert_int_equal(pgtest_query(&t, c, "SELECT count(*) FROM opentx", 0, NULL, &r), 0);
  assert_string_equal(r.value, "0");
  assert_int_equal(pgtest_query(&t, c, "DROP TABLE opentx", 0, NULL, &r), 0);
  close_node(&t, c, &n);
  assert_int_equal(pgtest_finish(&t), 0);
}

static void test_statement_timeout(void **state) {
  struct pgtest t;
  struct node n = {0};
  struct pgtest_result r;
  assert_int_equal(pgtest_init(&t), 0);
  struct pgconn *c = connect_node(&t, pgtest_conninfo(), &n, 300);
  uint64_t start = uv_hrtime();
  assert_int_equal(pgtest_query(&t, c, "SELECT pg_sleep(10)", 0, NULL, &r), -EIO);
  assert_string_equal(r.sqlstate, "57014"); /* query_canceled */
  assert_true(uv_hrtime() - start < 3000000000u);
  assert_int_equal(pgtest_query(&t, c, "SELECT 7", 0, NULL, &r), 0);
  assert_string_equal(r.value, "7");
  close_node(&t, c, &n);
  assert_int_equal(pgtest_finish(&t), 0);
}

/* A server that accepts TCP and never answers: the attempt ends at connect_timeout_ms. */
static void test_connect_timeout(void **state) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(listen(fd, 4), 0);
  socklen_t len = sizeof sa;
  assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
  char conninfo[128];
  snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%d dbname=x user=x",
           ntohs(sa.sin_port));
  struct pgtest t;
  struct node n = {0};
  struct pgtest_result r = {0};
  assert_int_equal(pgtest_init(&t), 0);
  struct pgconn_config cfg = {
      .conninfo = conninfo, .connect_timeout_ms = 300, .statement_timeout_ms = 1000,
      .backoff_min_ms = 1000, .backoff_max_ms = 2000, .on_state = on_state, .arg = &n,
  };
  struct pgconn *c = NULL;
  assert_int_equal(pgconn_new(&t.loop, &cfg, &c), 0);
  assert_int_equal(pgconn_query(c, "SELECT 1", 0, NULL, pgtest_on_result, &r), 0);
  uint64_t start = uv_hrtime();
  assert_true(pgtest_until(&t, is_down, &n, 3000));
  uint64_t took_ms = (uv_hrtime() - start) / 1000000;
  assert_true(took_ms >= 250 && took_ms < 1500);
  assert_int_equal(n.last_err, -ETIMEDOUT);
  assert_int_equal(r.calls, 1);
  assert_int_equal(r.status, -ENOTCONN); /* never sent */
  assert_int_equal(pgconn_state(c), PGCONN_WAITING);
  assert_int_equal(pgconn_query(c, "SELECT 1", 0, NULL, pgtest_on_result, &r), -ENOTCONN);
  close_node(&t, c, &n);
  assert_int_equal(pgtest_finish(&t), 0);
  close(fd);
}

static bool two_notifies(void *arg) { return ((struct node *)arg)->notifies >= 2; }

static void test_notify_between_nodes(void **state) {
  struct pgtest t;
  struct node a = {0}, b = {0};
  struct pgtest_result r;
  assert_int_equal(pgtest_init(&t), 0);
  struct pgconn *ca = connect_node(&t, pgtest_conninfo(), &a, 5000);
  struct pgconn *cb = connect_node(&t, pgtest_conninfo(), &b, 5000);
  assert_true(pgtest_until(&t, is_up, &a, 5000));
  const char *p[] = {"feed 7"};
  assert_int_equal(pgtest_query(&t, cb, "SELECT pg_notify('braid_changed', $1)", 1, p, &r), 0);
  /* Rolled back: never delivered. */
  assert_int_equal(pgtest_query(&t, cb, "BEGIN; SELECT pg_notify('braid_changed', 'undone'); "
                                        "ROLLBACK", 0, NULL, &r), 0);
  assert_int_equal(pgtest_query(&t, cb, "NOTIFY braid_changed, 'after'", 0, NULL, &r), 0);
  assert_true(pgtest_until(&t, two_notifies, &a, 5000));
  pgtest_run_for(&t, 200);
  assert_int_equal(a.notifies, 2);
  assert_string_equal(a.payloads[0], "feed 7");
  assert_string_equal(a.payloads[1], "after");
  /* The sender listens too, and hears its own. */
  assert_int_equal(b.notifies, 2);
  close_node(&t, ca, &a);
  close_node(&t, cb, &b);
  assert_int_equal(pgtest_finish(&t), 0);
}

static bool two_ups(void *arg) { return ((struct node *)arg)->ups >= 2; }
static bool one_notify(void *arg) { return ((struct node *)arg)->notifies >= 1; }

/* The server dies (immediate shutdown) under an idle and a busy connection and comes back. */
static void test_reconnect_after_server_restart(void **state) {
  struct pgtest t;
  struct node a = {0}, b = {0}, s = {0};
  struct pgtest_result r, sleeping = {0};
  assert_int_equal(pgtest_init(&t), 0);
  struct pgconn *ca = connect_node(&t, pgtest_conninfo(), &a, 20000);
  struct pgconn *cb = connect_node(&t, pgtest_conninfo(), &b, 20000);
  assert_int_equal(pgtest_query(&t, ca, "SELECT 1", 0, NULL, &r), 0);
  assert_true(pgtest_until(&t, is_up, &b, 5000));
  assert_int_equal(pgconn_query(cb, "SELECT pg_sleep(15)", 0, NULL, pgtest_on_result,
                                &sleeping), 0);
  pgtest_run_for(&t, 200);
  assert_int_equal(pgtest_cluster("BRAID_PG_KILL"), 0);
  assert_true(pgtest_until(&t, is_down, &a, 5000));
  assert_true(pgtest_until(&t, is_down, &b, 5000));
  assert_true(pgtest_until(&t, pgtest_result_done, &sleeping, 5000));
  assert_int_equal(sleeping.status, -ECONNRESET);
  pgtest_run_for(&t, 600); /* several failed attempts: each reported once per outage */
  assert_int_equal(a.downs, 1);
  assert_int_equal(pgtest_cluster("BRAID_PG_START"), 0);
  assert_true(pgtest_until(&t, two_ups, &a, 5000));
  assert_true(pgtest_until(&t, two_ups, &b, 5000));
  assert_int_equal(pgconn_sessions(ca), 2);
  assert_int_equal(pgtest_query(&t, ca, "SELECT 'back'", 0, NULL, &r), 0);
  assert_string_equal(r.value, "back");
  /* The new session listens again. */
  struct pgconn *cs = connect_node(&t, pgtest_conninfo(), &s, 5000);
  assert_int_equal(pgtest_query(&t, cs, "NOTIFY braid_changed, 'again'", 0, NULL, &r), 0);
  assert_true(pgtest_until(&t, one_notify, &a, 5000));
  assert_string_equal(a.payloads[0], "again");
  close_node(&t, ca, &a);
  close_node(&t, cb, &b);
  close_node(&t, cs, &s);
  assert_int_equal(pgtest_finish(&t), 0);
}

/* The server process stops (SIGSTOP: as a hung host would) with a query in flight: its own
 * statement_timeout cannot fire, so the client's bound does, and the connection starts over. */
static void test_server_stops_answering(void **state) {
  struct pgtest t;
  struct node n = {0};
  struct pgtest_result r;
  assert_int_equal(pgtest_init(&t), 0);
  struct pgconn *c = connect_node(&t, pgtest_conninfo(), &n, 200);
  assert_int_equal(pgtest_query(&t, c, "SELECT pg_backend_pid()", 0, NULL, &r), 0);
  pid_t backend = (pid_t)atoi(r.value);
  assert_true(backend > 0);
  assert_int_equal(kill(backend, SIGSTOP), 0);
  uint64_t start = uv_hrtime();
  memset(&r, 0, sizeof r);
  assert_int_equal(pgconn_query(c, "SELECT 1", 0, NULL, pgtest_on_result, &r), 0);
  bool done = pgtest_until(&t, pgtest_result_done, &r, 200 + BRAID_PG_ANSWER_GRACE_MS + 2000);
  uint64_t took_ms = (uv_hrtime() - start) / 1000000;
  kill(backend, SIGCONT); /* it finds its client gone and exits */
  assert_true(done);
  assert_int_equal(r.status, -ETIMEDOUT);
  assert_true(took_ms >= 200 + BRAID_PG_ANSWER_GRACE_MS - 100);
  assert_int_equal(n.downs, 1);
  assert_int_equal(n.last_err, -ETIMEDOUT);
  assert_true(pgtest_until(&t, two_ups, &n, 5000));
  assert_int_equal(pgtest_query(&t, c, "SELECT 2", 0, NULL, &r), 0);
  close_node(&t, c, &n);
  assert_int_equal(pgtest_finish(&t), 0);
}

static void test_close_cancels_everything(void **state) {
  struct pgtest t;
  struct node n = {0};
  struct pgtest_result r[5];
  assert_int_equal(pgtest_init(&t), 0);
  struct pgconn *c = connect_node(&t, pgtest_conninfo(), &n, 5000);
  assert_true(pgtest_until(&t, is_up, &n, 5000));
  for (int i = 0; i < 5; i++) {
    memset(&r[i], 0, sizeof r[i]);
    assert_int_equal(pgconn_query(c, "SELECT pg_sleep(1)", 0, NULL, pgtest_on_result, &r[i]),
                     0);
  }
  pgconn_close(c, on_closed, &n);
  for (int i = 0; i < 5; i++) {
    assert_int_equal(r[i].calls, 1);
    assert_int_equal(r[i].status, -ECANCELED);
  }
  assert_true(pgtest_until(&t, is_closed, &n, 5000));
  assert_int_equal(pgtest_finish(&t), 0);
}

int main(void) {
  pgtest_conninfo(); /* SKIP before any test when not under pgcluster.py */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_query_params_and_multi),
      cmocka_unit_test(test_uri_and_socket),
      cmocka_unit_test(test_password_from_passfile_only),
      cmocka_unit_test(test_fifo_order),
      cmocka_unit_test(test_queue_bounded),
      cmocka_unit_test(test_round_trip_rate),
      cmocka_unit_test(test_sql_error_then_usable),
      cmocka_unit_test(test_open_transaction_rolled_back),
      cmocka_unit_test(test_statement_timeout),
      cmocka_unit_test(test_connect_timeout),
      cmocka_unit_test(test_notify_between_nodes),
      cmocka_unit_test(test_reconnect_after_server_restart),
      cmocka_unit_test(test_server_stops_answering),
      cmocka_unit_test(test_close_cancels_everything),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
