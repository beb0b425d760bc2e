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
};

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
  struct op *op = malloc(sizeof *op);
  if (!op)
    return -ENOMEM;
  *op = (struct op){.done = cb, .arg = arg};
  int rc = pgconn_query(c, complete_sql, 10, p, on_completed, op);
  if (rc < 0)
    free(op);
  return rc;
}

static void on_read(void *arg, int status, const PGresult *res, const char *message) {
  struct op *op = arg;
  struct pglog_row *rows = NULL;
  size_t n = 0;
  if (status == 0) {
    int nt = PQntuples(res);
    if (nt > BRAID_PG_MAX_LOG_BATCH || PQnfields(res) != 4)
      status = -EPROTO, message = "log read answered an impossible row set";
    else if (nt > 0 && !(rows = calloc((size_t)nt, sizeof *rows)))
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
  struct op *op = malloc(sizeof *op);
  if (!op)
    return -ENOMEM;
  *op = (struct op){.read = cb, .arg = arg};
  int rc = pgconn_query(c,
                        "SELECT seq, feed, polled_at, item::text FROM items_log"
                        " WHERE seq > $1::bigint ORDER BY seq LIMIT $2::int",
                        2, p, on_read, op);
  if (rc < 0)
    free(op);
  return rc;
}
