/* pglog.c — the shared log of polled results. See pglog.h. */
#include "pglog.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "pgfeeds_sql.h"

struct op {
  pgfeeds_done_cb done;
  pglog_read_cb read;
  void *arg;
  int64_t after; /* pglog_read's after_seq */
};

/* Queues sql with a copy of how its answer is to be handed back. */
static int queue_op(struct pgconn *c, const char *sql, int n, const char *const *p,
                    pgconn_result_cb on_result, struct op how) {
  struct op *op = malloc(sizeof *op);
  if (!op)
    return -ENOMEM;
  *op = how;
  int rc = pgconn_query(c, sql, n, p, on_result, op);
  if (rc < 0)
    free(op);
  return rc;
}

static bool value_ok(const char *s, size_t max) { return !s || strnlen(s, max + 1) <= max; }

static void on_completed(void *arg, int status, const PGresult *res, const char *message) {
  struct op *op = arg;
  int64_t count = 0;
  if (status == 0 && PQnfields(res) == 2 && PQntuples(res) <= 1)
    count = PQntuples(res);
  else if (status == 0)
    status = -EPROTO, message = "log statement answered an impossible row set";
  op->done(op->arg, status, count, message);
  free(op);
}

/* pgfeeds_complete's statement; the final SELECT appends the items through braid_log_append
 * once per feed written: zero times when the lease was lost. The data-modifying CTEs run
 * whether or not they are read, in one snapshot. */
static const char complete_sql[] =
    PGFEEDS_COMPLETE_CTES " SELECT f.id, braid_log_append(f.name, $9::bigint, $10::jsonb) FROM f";

int pglog_complete(struct pgconn *c, const char *holder, int64_t id,
                   const struct pgfeeds_result *r, int64_t polled_at, const char *items_json,
                   pgfeeds_done_cb cb, void *arg) {
  if (!holder || !*holder || !value_ok(holder, PGFEEDS_MAX_NAME_BYTES) || !items_json ||
      items_json[0] != '[' || !value_ok(r->etag, BRAID_FETCH_MAX_HEADER_BYTES) ||
      !value_ok(r->last_modified, BRAID_FETCH_MAX_HEADER_BYTES) ||
      !value_ok(r->effective_url, BRAID_FETCH_MAX_URL_BYTES))
    return -EINVAL;
  char ibuf[24], due[24], errs[16], st[16], at[24];
  snprintf(ibuf, sizeof ibuf, "%" PRId64, id);
  snprintf(due, sizeof due, "%" PRId64, r->next_due);
  snprintf(errs, sizeof errs, "%d", r->error_count);
  snprintf(st, sizeof st, "%d", r->last_status);
  snprintf(at, sizeof at, "%" PRId64, polled_at);
  const char *p[] = {holder, ibuf, r->etag, r->last_modified, r->effective_url, due, errs, st,
                     at, items_json};
  return queue_op(c, complete_sql, 10, p, on_completed, (struct op){.done = cb, .arg = arg});
}

static void on_pruned(void *arg, int status, const PGresult *res, const char *message) {
  struct op *op = arg;
  int64_t count = 0;
  if (status == 0 && PQntuples(res) == 1 && PQnfields(res) == 1)
    count = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  else if (status == 0)
    status = -EPROTO, message = "prune statement answered an impossible row set";
  op->done(op->arg, status, count, message);
  free(op);
}

/* The read's rows come with how far the log was pruned, from the same snapshot: one row
 * with a NULL seq when there is nothing after after_seq. */
static void on_read(void *arg, int status, const PGresult *res, const char *message) {
  struct op *op = arg;
  struct pglog_row *rows = NULL;
  size_t n = 0;
  char why[160];
  if (status == 0) {
    int nt = PQntuples(res);
    if (nt < 1 || nt > BRAID_PG_MAX_LOG_BATCH || PQnfields(res) != 5)
      status = -EPROTO, message = "log read answered an impossible row set";
    int64_t upto = status == 0 ? strtoll(PQgetvalue(res, 0, 4), NULL, 10) : 0;
    if (status == 0 && upto > op->after) {
      snprintf(why, sizeof why, "the log was pruned up to seq %" PRId64 ", and this replica "
               "replayed only up to seq %" PRId64, upto, op->after);
      status = -ERANGE, message = why;
    }
    if (status == 0 && PQgetisnull(res, 0, 0))
      nt = 0;
    if (status == 0 && nt > 0 && !(rows = calloc((size_t)nt, sizeof *rows)))
      status = -ENOMEM, message = "out of memory";
    for (int i = 0; status == 0 && i < nt; i++, n++)
      rows[i] = (struct pglog_row){.seq = strtoll(PQgetvalue(res, i, 0), NULL, 10),
                                   .feed = PQgetvalue(res, i, 1),
                                   .polled_at = strtoll(PQgetvalue(res, i, 2), NULL, 10),
                                   .item = PQgetvalue(res, i, 3)};
  }
  op->read(op->arg, status, status == 0 ? rows : NULL, status == 0 ? n : 0, message);
  free(rows);
  free(op);
}

int pglog_read(struct pgconn *c, int64_t after_seq, unsigned max, pglog_read_cb cb, void *arg) {
  if (max < 1 || max > BRAID_PG_MAX_LOG_BATCH || after_seq < 0)
    return -EINVAL;
  char after[24], lim[16];
  snprintf(after, sizeof after, "%" PRId64, after_seq);
  snprintf(lim, sizeof lim, "%u", max);
  const char *p[] = {after, lim};
  return queue_op(c,
              "SELECT l.seq, l.feed, l.polled_at, l.item::text, p.upto_seq"
              " FROM items_log_pruned p LEFT JOIN LATERAL (SELECT * FROM items_log"
              "   WHERE seq > $1::bigint ORDER BY seq LIMIT $2::int) l ON true"
              " ORDER BY l.seq",
              2, p, on_read, (struct op){.read = cb, .arg = arg, .after = after_seq});
}

/* The prefix of the log before its first row polled within retention_s of the database's
 * clock, at most max rows; only under the prune lock, taken without waiting (another node
 * pruning: nothing done here, count 0). A prefix, never a row in between: then "replayed past
 * upto_seq" means "has every row still there". Rows are appended in seq order under the log's
 * lock, so a row not yet committed has a seq above every committed one and is never cut. */
int pglog_prune(struct pgconn *c, int64_t retention_s, unsigned max, pgfeeds_done_cb cb,
                void *arg) {
  if (retention_s < 0 || max < 1 || max > BRAID_PG_MAX_PRUNE_BATCH)
    return -EINVAL;
  static const char sql[] =
      "WITH lk AS (SELECT pg_try_advisory_xact_lock(" PGLOG_PRUNE_LOCK ") AS ok),"
      /* the first recent row by the seq index: a walk over the prefix to cut, not a scan
       * of every recent row */
      " lim AS (SELECT coalesce((SELECT seq FROM items_log"
      "   WHERE polled_at >= extract(epoch FROM now())::bigint - $1::bigint"
      "   ORDER BY seq LIMIT 1),"
      "   (SELECT max(seq) + 1 FROM items_log), 0) AS below),"
      " cut AS (SELECT seq FROM items_log, lim, lk WHERE lk.ok AND seq < lim.below"
      "   ORDER BY seq LIMIT $2::int),"
      " d AS (DELETE FROM items_log WHERE seq IN (SELECT seq FROM cut) RETURNING seq),"
      " u AS (UPDATE items_log_pruned SET upto_seq = (SELECT max(seq) FROM d), at = now()"
      "   WHERE EXISTS (SELECT 1 FROM d) AND upto_seq < (SELECT max(seq) FROM d))"
      " SELECT count(*) FROM d";
  char ret[24], lim[16];
  snprintf(ret, sizeof ret, "%" PRId64, retention_s);
  snprintf(lim, sizeof lim, "%u", max);
  const char *p[] = {ret, lim};
  return queue_op(c, sql, 2, p, on_pruned, (struct op){.done = cb, .arg = arg});
}
