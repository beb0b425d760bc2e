/* pgtest.h — the C side of the private cluster fixture (tests/pg/pgcluster.py).
 *
 * A test program runs under `pgcluster.py run --`, which hands it BRAID_PG_CONNINFO and the
 * commands that kill and restart the server. Run any other way, the program SKIPs (exit 77)
 * rather than reach for a system PostgreSQL. The loop helpers run one libuv loop until a
 * condition holds or a deadline passes, so no test can hang; each test ends by closing the loop
 * cleanly (every handle closed). Header-only: each test program is one translation unit. */
#ifndef BRAID_PGTEST_H
#define BRAID_PGTEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "bounds.h"
#include "pgconn.h"

#define PGTEST_SKIP 77

struct pgtest {
  uv_loop_t loop;
  uv_timer_t tick; /* wakes uv_run(UV_RUN_ONCE) so deadlines are checked */
};

static inline const char *pgtest_conninfo(void) {
  const char *ci = getenv("BRAID_PG_CONNINFO");
  if (!ci || !*ci) {
    printf("SKIP: BRAID_PG_CONNINFO not set: run under tests/pg/pgcluster.py run --\n");
    exit(PGTEST_SKIP);
  }
  return ci;
}

/* Runs the cluster's kill or start command (BRAID_PG_KILL, BRAID_PG_START); 0 on success. */
static inline int pgtest_cluster(const char *what) {
  const char *cmd = getenv(what);
  if (!cmd)
    return -1;
  int rc = system(cmd);
  return rc == 0 ? 0 : -1;
}

static inline void pgtest_tick(uv_timer_t *t) { (void)t; }

static inline int pgtest_init(struct pgtest *t) {
  if (uv_loop_init(&t->loop) < 0 || uv_timer_init(&t->loop, &t->tick) < 0)
    return -1;
  return uv_timer_start(&t->tick, pgtest_tick, 10, 10);
}

/* Runs the loop until done(arg) or ms pass; returns done(arg). */
static inline bool pgtest_until(struct pgtest *t, bool (*done)(void *), void *arg, unsigned ms) {
  uint64_t deadline = uv_now(&t->loop) + ms;
  while (!done(arg) && uv_now(&t->loop) < deadline)
    uv_run(&t->loop, UV_RUN_ONCE);
  return done(arg);
}

/* Runs the loop for ms, whatever happens. */
static inline bool pgtest_never(void *arg) {
  (void)arg;
  return false;
}
static inline void pgtest_run_for(struct pgtest *t, unsigned ms) {
  pgtest_until(t, pgtest_never, t, ms);
}

/* Closes the ticker, runs the loop dry; 0 when the loop closes (nothing left open). */
static inline int pgtest_finish(struct pgtest *t) {
  uv_close((uv_handle_t *)&t->tick, NULL);
  for (int i = 0; i < 1000 && uv_run(&t->loop, UV_RUN_NOWAIT); i++)
    ;
  return uv_loop_close(&t->loop);
}

/* One query's outcome, as the tests look at it. */
struct pgtest_result {
  int calls;          /* how many times the callback ran (must end 1) */
  int status;
  int ntuples;
  char value[256];    /* row 0, column 0 */
  char sqlstate[8];
  char message[BRAID_PG_MAX_ERROR_BYTES];
};

static inline void pgtest_on_result(void *arg, int status, const PGresult *res, const char *msg) {
  struct pgtest_result *r = arg;
  r->calls++;
  r->status = status;
  snprintf(r->message, sizeof r->message, "%s", msg);
  if (!res)
    return;
  r->ntuples = PQntuples(res);
  if (r->ntuples > 0 && PQnfields(res) > 0)
    snprintf(r->value, sizeof r->value, "%s", PQgetvalue(res, 0, 0));
  const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  snprintf(r->sqlstate, sizeof r->sqlstate, "%s", st ? st : "");
}

static inline bool pgtest_result_done(void *arg) {
  return ((struct pgtest_result *)arg)->calls > 0;
}

/* Queues a query and runs the loop until its callback (10 s at most); returns its status, or
 * -1000 when it never completed, or pgconn_query's refusal. */
static inline int pgtest_query(struct pgtest *t, struct pgconn *c, const char *sql, int n,
                               const char *const *params, struct pgtest_result *r) {
  memset(r, 0, sizeof *r);
  int rc = pgconn_query(c, sql, n, params, pgtest_on_result, r);
  if (rc < 0)
    return rc;
  if (!pgtest_until(t, pgtest_result_done, r, 10000))
    return -1000;
  return r->status;
}

/* The settings the tests' connections share, on conninfo. */
static inline struct pgconn_config pgtest_config(const char *conninfo) {
  return (struct pgconn_config){.conninfo = conninfo, .connect_timeout_ms = 5000,
                                .statement_timeout_ms = 10000, .backoff_min_ms = 50,
                                .backoff_max_ms = 400};
}

static inline bool pgtest_zero(void *arg) { return *(int *)arg == 0; }
static inline void pgtest_count_down(void *arg) { (*(int *)arg)--; }

/* A fresh schema named schema (dropped and created through a short-lived connection) and, in
 * conninfo, a connection string whose search_path is that schema, so each test has tables of
 * its own. 0, or -1 when the schema could not be made. */
static inline int pgtest_schema(struct pgtest *t, const char *schema, char *conninfo,
                                size_t size) {
  snprintf(conninfo, size, "%s options='-c search_path=%s'", pgtest_conninfo(), schema);
  struct pgconn_config cfg = pgtest_config(pgtest_conninfo());
  struct pgconn *admin;
  if (pgconn_new(&t->loop, &cfg, &admin) != 0)
    return -1;
  char sql[256];
  snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema, schema);
  struct pgtest_result r;
  int rc = pgtest_query(t, admin, sql, 0, NULL, &r);
  int open = 1;
  pgconn_close(admin, pgtest_count_down, &open);
  if (!pgtest_until(t, pgtest_zero, &open, 5000))
    rc = -1;
  return rc == 0 ? 0 : -1;
}

#endif
