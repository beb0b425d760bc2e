/* pgfeeds.c — feed definitions, leases and per-host slots in PostgreSQL. See pgfeeds.h.
 *
 * Why the lease statement is safe under READ COMMITTED with nodes racing: every row its
 * decision rests on — the feed's lease row and feed row, the host's slot row — is locked with
 * FOR UPDATE SKIP LOCKED, and the lease and slot rows are then updated. A row another node is taking right now is skipped; a row another node took
 * and committed after this statement's snapshot is re-read when locked, and the lock's WHERE
 * (free or expired) is checked again on the new version, so it drops out. The decision "free"
 * is therefore always made on the newest committed row, under its lock. */
#include "pgfeeds.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "pgfeeds_sql.h"

struct op {
  pgfeeds_done_cb done;
  pgfeeds_lease_cb leased;
  void *arg;
};

static bool name_ok(const char *s) {
  return s && *s && strnlen(s, PGFEEDS_MAX_NAME_BYTES + 1) <= PGFEEDS_MAX_NAME_BYTES;
}

static bool value_ok(const char *s, size_t max) {
  return !s || strnlen(s, max + 1) <= max;
}

/* The statements answer one row whose first column is the count. */
static void on_done(void *arg, int status, const PGresult *res, const char *message) {
  struct op *op = arg;
  int64_t count = 0;
  if (status == 0 && PQntuples(res) == 1 && PQnfields(res) >= 1)
    count = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  else if (status == 0)
    status = -EPROTO;
  op->done(op->arg, status, count, message);
  free(op);
}

static int run(struct pgconn *c, const char *sql, int n, const char *const *params,
               pgfeeds_done_cb done, pgfeeds_lease_cb leased, void *arg,
               pgconn_result_cb on_result) {
  struct op *op = malloc(sizeof *op);
  if (!op)
    return -ENOMEM;
  *op = (struct op){.done = done, .leased = leased, .arg = arg};
  int rc = pgconn_query(c, sql, n, params, on_result, op);
  if (rc < 0)
    free(op);
  return rc;
}

int pgfeeds_upsert(struct pgconn *c, const char *name, const char *url, const char *host,
                   unsigned max_parallel, pgfeeds_done_cb cb, void *arg) {
  if (!name_ok(name) || !name_ok(host) || !url || !*url ||
      !value_ok(url, BRAID_FETCH_MAX_URL_BYTES) || max_parallel < 1 ||
      max_parallel > BRAID_PG_MAX_HOST_SLOTS)
    return -EINVAL;
  static const char sql[] =
      "WITH h AS (INSERT INTO hosts (host, max_parallel) VALUES ($3, $4)"
      "   ON CONFLICT (host) DO UPDATE SET max_parallel = excluded.max_parallel"
      "   RETURNING host, max_parallel),"
      " s AS (INSERT INTO host_slots (host, slot)"
      "   SELECT h.host, g FROM h, generate_series(0, h.max_parallel - 1) g"
      "   ON CONFLICT DO NOTHING),"
      /* Slots above a lowered limit go once free; busy ones end with their lease. */
      " d AS (DELETE FROM host_slots WHERE host = $3 AND slot >= $4"
      "   AND (holder IS NULL OR expires <= now())),"
      /* A changed URL forgets the validators and the redirect target: they belonged to the
       * old address (as the SQLite store's store_feed_ensure does). */
      " f AS (INSERT INTO feeds (name, url, host) VALUES ($1, $2, $3)"
      "   ON CONFLICT (name) DO UPDATE SET url = excluded.url, host = excluded.host,"
      "   retired = false,"
      "   effective_url = CASE WHEN feeds.url = excluded.url THEN feeds.effective_url END,"
      "   etag = CASE WHEN feeds.url = excluded.url THEN feeds.etag END,"
      "   last_modified = CASE WHEN feeds.url = excluded.url THEN feeds.last_modified END"
      "   RETURNING id),"
      " l AS (INSERT INTO feed_leases (feed_id) SELECT id FROM f ON CONFLICT DO NOTHING)"
      " SELECT id FROM f";
  char limit[16];
  snprintf(limit, sizeof limit, "%u", max_parallel);
  const char *p[] = {name, url, host, limit};
  return run(c, sql, 4, p, cb, NULL, arg, on_done);
}

int pgfeeds_retire_absent(struct pgconn *c, const char *const *names, size_t n,
                          pgfeeds_done_cb cb, void *arg) {
  /* One parameter, the names one per line: an array literal would need its own quoting. */
  size_t size = 1;
  for (size_t i = 0; i < n; i++) {
    if (!name_ok(names[i]) || strchr(names[i], '\n'))
      return -EINVAL;
    size += strlen(names[i]) + 1;
    if (size > BRAID_PG_MAX_QUERY_BYTES)
      return -E2BIG;
  }
  char *list = malloc(size);
  if (!list)
    return -ENOMEM;
  size_t off = 0;
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(names[i]);
    memcpy(list + off, names[i], len);
    off += len;
    list[off++] = '\n';
  }
  list[off] = '\0';
  static const char sql[] =
      "WITH r AS (UPDATE feeds SET retired = true WHERE NOT retired"
      "   AND name <> ALL (string_to_array($1, E'\\n')) RETURNING id)"
      " SELECT count(*) FROM r";
  const char *p[] = {list};
  int rc = run(c, sql, 1, p, cb, NULL, arg, on_done);
  free(list);
  return rc;
}

/* The lease statement. $1 holder, $2 how many, $3 lease seconds.
 *  due_hosts   hosts with due feeds whose lease is free, by their oldest due feed
 *  free_slots  up to $2 free slots below their host's limit, oldest due host first, locked
 *              (skipping others' locks: nodes leasing at once get different slots, the
 *              job-queue use of SKIP LOCKED, instead of one node locking every free slot)
 *  ranked      due feeds with a free lease on those hosts, ranked per host (before locking:
 *              FOR UPDATE does not mix with window functions at one level)
 *  cand        of those, as many per host as we hold slots (twice, for rows skipped as
 *              locked), the lease row and the feed row locked and re-checked: both, since a
 *              node completing a feed frees its lease and moves its next_due in one commit, and
 *              a snapshot from before that commit must not see a free lease on a due feed
 *  pick        the n-th candidate of a host paired with its n-th slot, oldest due first
 *  take_*      the lease and the slot written together */
static const char lease_sql[] =
    "WITH due_hosts AS ("
    "   SELECT f.host, min(f.next_due) AS due FROM feeds f"
    "   JOIN feed_leases l ON l.feed_id = f.id"
    "   WHERE NOT f.retired AND f.next_due <= extract(epoch FROM now())::bigint"
    "     AND (l.holder IS NULL OR l.expires <= now()) GROUP BY f.host),"
    " free_slots AS MATERIALIZED ("
    "   SELECT s.host, s.slot FROM host_slots s JOIN hosts h ON h.host = s.host"
    "   JOIN due_hosts d ON d.host = s.host"
    "   WHERE s.slot < h.max_parallel AND (s.holder IS NULL OR s.expires <= now())"
    "   ORDER BY d.due, s.host, s.slot LIMIT $2::int"
    "   FOR UPDATE OF s SKIP LOCKED),"
    " free_count AS (SELECT host, count(*) AS n FROM free_slots GROUP BY host),"
    " ranked AS ("
    "   SELECT f.id, f.host, f.next_due,"
    "     row_number() OVER (PARTITION BY f.host ORDER BY f.next_due, f.id) AS rn"
    "   FROM feeds f JOIN feed_leases l ON l.feed_id = f.id"
    "   JOIN free_count fc ON fc.host = f.host"
    "   WHERE NOT f.retired AND f.next_due <= extract(epoch FROM now())::bigint"
    "     AND (l.holder IS NULL OR l.expires <= now())),"
    " cand AS MATERIALIZED ("
    "   SELECT l.feed_id, r.host, r.next_due FROM feed_leases l"
    "   JOIN feeds f ON f.id = l.feed_id"
    "   JOIN ranked r ON r.id = l.feed_id JOIN free_count fc ON fc.host = r.host"
    "   WHERE r.rn <= fc.n * 2 AND (l.holder IS NULL OR l.expires <= now())"
    "     AND NOT f.retired AND f.next_due <= extract(epoch FROM now())::bigint"
    "   ORDER BY r.next_due, r.id LIMIT $2::int * 2"
    "   FOR UPDATE OF l, f SKIP LOCKED),"
    " cand_n AS (SELECT feed_id, host, next_due,"
    "   row_number() OVER (PARTITION BY host ORDER BY next_due, feed_id) AS rn FROM cand),"
    " slot_n AS (SELECT host, slot,"
    "   row_number() OVER (PARTITION BY host ORDER BY slot) AS rn FROM free_slots),"
    " pick AS MATERIALIZED (SELECT c.feed_id, c.host, s.slot, c.next_due"
    "   FROM cand_n c JOIN slot_n s ON s.host = c.host AND s.rn = c.rn"
    "   ORDER BY c.next_due, c.feed_id LIMIT $2::int),"
    " take_slot AS (UPDATE host_slots hs SET feed_id = p.feed_id, holder = $1,"
    "   expires = now() + make_interval(secs => $3::int)"
    "   FROM pick p WHERE hs.host = p.host AND hs.slot = p.slot RETURNING hs.feed_id),"
    " take_lease AS (UPDATE feed_leases l SET holder = $1,"
    "   expires = now() + make_interval(secs => $3::int)"
    "   FROM pick p WHERE l.feed_id = p.feed_id RETURNING l.feed_id)"
    " SELECT f.id, f.name, coalesce(f.effective_url, f.url), f.etag, f.last_modified,"
    "   f.next_due, f.error_count,"
    "   (SELECT count(*) FROM take_slot)"
    " FROM feeds f JOIN take_lease t ON t.feed_id = f.id ORDER BY f.next_due, f.id";

static const char *text_or_null(const PGresult *res, int row, int col) {
  return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static void on_leased(void *arg, int status, const PGresult *res, const char *message) {
  struct op *op = arg;
  struct pgfeeds_lease *feeds = NULL;
  size_t n = 0;
  if (status == 0) {
    int rows = PQntuples(res);
    /* The statement's LIMIT bounds rows; a slot count that differs means the schema's
     * invariant broke (a lease without a slot), which the caller must hear about. */
    if (rows > BRAID_PG_MAX_LEASE_BATCH || PQnfields(res) != 8 ||
        (rows > 0 && strtoll(PQgetvalue(res, 0, 7), NULL, 10) != rows))
      status = -EPROTO, message = "lease statement answered an impossible row set";
    else if (rows > 0 && !(feeds = calloc((size_t)rows, sizeof *feeds)))
      status = -ENOMEM, message = "out of memory";
    for (int i = 0; status == 0 && i < rows; i++) {
      feeds[i] = (struct pgfeeds_lease){
          .id = strtoll(PQgetvalue(res, i, 0), NULL, 10),
          .name = PQgetvalue(res, i, 1),
          .url = PQgetvalue(res, i, 2),
          .etag = text_or_null(res, i, 3),
          .last_modified = text_or_null(res, i, 4),
          .next_due = strtoll(PQgetvalue(res, i, 5), NULL, 10),
          .error_count = atoi(PQgetvalue(res, i, 6)),
      };
      n++;
    }
  }
  op->leased(op->arg, status, status == 0 ? feeds : NULL, status == 0 ? n : 0, message);
  free(feeds);
  free(op);
}

int pgfeeds_lease(struct pgconn *c, const char *holder, unsigned max, unsigned lease_s,
                  pgfeeds_lease_cb cb, void *arg) {
  if (!name_ok(holder) || max < 1 || max > BRAID_PG_MAX_LEASE_BATCH ||
      lease_s < BRAID_PG_MIN_LEASE_S || lease_s > BRAID_PG_MAX_LEASE_S)
    return -EINVAL;
  char nbuf[16], sbuf[16];
  snprintf(nbuf, sizeof nbuf, "%u", max);
  snprintf(sbuf, sizeof sbuf, "%u", lease_s);
  const char *p[] = {holder, nbuf, sbuf};
  return run(c, lease_sql, 3, p, NULL, cb, arg, on_leased);
}

int pgfeeds_renew(struct pgconn *c, const char *holder, unsigned lease_s, pgfeeds_done_cb cb,
                  void *arg) {
  if (!name_ok(holder) || lease_s < BRAID_PG_MIN_LEASE_S || lease_s > BRAID_PG_MAX_LEASE_S)
    return -EINVAL;
  static const char sql[] =
      "WITH l AS (UPDATE feed_leases SET expires = now() + make_interval(secs => $2::int)"
      "   WHERE holder = $1 AND expires > now() RETURNING feed_id),"
      " s AS (UPDATE host_slots SET expires = now() + make_interval(secs => $2::int)"
      "   WHERE holder = $1 AND expires > now())"
      " SELECT count(*) FROM l";
  char sbuf[16];
  snprintf(sbuf, sizeof sbuf, "%u", lease_s);
  const char *p[] = {holder, sbuf};
  return run(c, sql, 2, p, cb, NULL, arg, on_done);
}

int pgfeeds_complete(struct pgconn *c, const char *holder, int64_t id,
                     const struct pgfeeds_result *r, pgfeeds_done_cb cb, void *arg) {
  if (!name_ok(holder) || !value_ok(r->etag, BRAID_FETCH_MAX_HEADER_BYTES) ||
      !value_ok(r->last_modified, BRAID_FETCH_MAX_HEADER_BYTES) ||
      !value_ok(r->effective_url, BRAID_FETCH_MAX_URL_BYTES))
    return -EINVAL;
  /* The feed is written only through the lease row this statement releases: no live lease of
   * holder's, no row in l, nothing written. */
  static const char sql[] = PGFEEDS_COMPLETE_CTES " SELECT count(*) FROM f";
  char ibuf[24], due[24], errs[16], st[16];
  snprintf(ibuf, sizeof ibuf, "%" PRId64, id);
  snprintf(due, sizeof due, "%" PRId64, r->next_due);
  snprintf(errs, sizeof errs, "%d", r->error_count);
  snprintf(st, sizeof st, "%d", r->last_status);
  const char *p[] = {holder, ibuf, r->etag, r->last_modified, r->effective_url, due, errs, st};
  return run(c, sql, 8, p, cb, NULL, arg, on_done);
}

int pgfeeds_release(struct pgconn *c, const char *holder, int64_t id, pgfeeds_done_cb cb,
                    void *arg) {
  if (!name_ok(holder))
    return -EINVAL;
  static const char sql[] =
      "WITH l AS (UPDATE feed_leases SET holder = NULL, expires = NULL"
      "   WHERE feed_id = $2 AND holder = $1 AND expires > now() RETURNING feed_id),"
      " s AS (UPDATE host_slots SET feed_id = NULL, holder = NULL, expires = NULL"
      "   WHERE feed_id = $2 AND holder = $1 AND EXISTS (SELECT 1 FROM l))"
      " SELECT count(*) FROM l";
  char ibuf[24];
  snprintf(ibuf, sizeof ibuf, "%" PRId64, id);
  const char *p[] = {holder, ibuf};
  return run(c, sql, 2, p, cb, NULL, arg, on_done);
}

int pgfeeds_outstanding(struct pgconn *c, pgfeeds_done_cb cb, void *arg) {
  static const char sql[] =
      "SELECT count(*) FROM feeds f JOIN feed_leases l ON l.feed_id = f.id WHERE NOT f.retired"
      " AND (f.next_due <= extract(epoch FROM now())::bigint"
      "   OR (l.holder IS NOT NULL AND l.expires > now()))";
  return run(c, sql, 0, NULL, cb, NULL, arg, on_done);
}
