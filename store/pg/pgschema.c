/* pgschema.c — the numbered migrations of the shared PostgreSQL state. See pgschema.h.
 *
 * Never edit a released step: add a new one. The steps run inside one implicit transaction
 * (a multi-statement simple query), so they must not use statements PostgreSQL refuses inside
 * a transaction block (CREATE INDEX CONCURRENTLY, VACUUM). */
#include "pgschema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Version 1: feeds and their schedule, leases, per-host politeness slots. Times a node
 * compares with another node's (expires) are timestamptz on the database's clock, so nodes'
 * clocks need not agree; next_due and last_polled are Unix seconds, as in the SQLite store. */
static const char schema_v1[] =
    "CREATE TABLE feeds ("
    "  id bigserial PRIMARY KEY,"
    "  name text NOT NULL UNIQUE,"            /* feeds.d file name */
    "  url text NOT NULL,"                    /* as configured */
    "  host text NOT NULL,"                   /* the politeness key: the URL's host */
    "  effective_url text,"                   /* after permanent redirects */
    "  title text, site_url text,"
    "  etag text, last_modified text,"        /* validators for conditional GET */
    "  next_due bigint NOT NULL DEFAULT 0,"
    "  last_polled bigint NOT NULL DEFAULT 0,"
    "  error_count integer NOT NULL DEFAULT 0," /* consecutive failures: the backoff */
    "  last_status integer NOT NULL DEFAULT 0,"
    "  retired boolean NOT NULL DEFAULT false);"
    "CREATE INDEX feeds_due ON feeds (next_due) WHERE NOT retired;"
    "CREATE TABLE feed_leases ("
    "  feed_id bigint PRIMARY KEY REFERENCES feeds (id) ON DELETE CASCADE,"
    "  holder text,"                          /* the node polling it, NULL: none */
    "  expires timestamptz,"
    "  CHECK ((holder IS NULL) = (expires IS NULL)));"
    "CREATE INDEX feed_leases_holder ON feed_leases (holder) WHERE holder IS NOT NULL;"
    "CREATE TABLE hosts ("
    "  host text PRIMARY KEY,"
    "  max_parallel integer NOT NULL CHECK (max_parallel BETWEEN 1 AND 64));"
    "CREATE TABLE host_slots ("
    "  host text NOT NULL REFERENCES hosts (host) ON DELETE CASCADE,"
    "  slot integer NOT NULL CHECK (slot BETWEEN 0 AND 63),"
    "  feed_id bigint REFERENCES feeds (id) ON DELETE SET NULL,"
    "  holder text, expires timestamptz,"     /* free when holder IS NULL or expired */
    "  CHECK ((holder IS NULL) = (expires IS NULL)),"
    "  PRIMARY KEY (host, slot));"
    "CREATE INDEX host_slots_holder ON host_slots (holder) WHERE holder IS NOT NULL;";

/* Version 2: the log of polled results every node replays into its own SQLite store
 * (pglog.h). seq orders it; braid_log_append is the only writer, and it takes an advisory
 * lock before it draws a seq and holds it to commit, so the log's committed rows are always a
 * prefix of seq order: a reader that has seen seq n never later finds a committed row below
 * it. A bigserial alone does not promise that (two transactions draw 10 and 11, 11 commits
 * first, a reader moves past 10 for good). The items go in their array order, one row each,
 * and one NOTIFY braid_log tells the nodes once the transaction commits. */
static const char schema_v2[] =
    "CREATE TABLE items_log ("
    "  seq bigserial PRIMARY KEY,"
    "  feed text NOT NULL,"                    /* the feeds.d name */
    "  polled_at bigint NOT NULL,"             /* Unix seconds: the `now` every replay uses */
    "  item jsonb NOT NULL);"                  /* the store_item, see pglog.c */
    "CREATE INDEX items_log_polled ON items_log (polled_at);"
    "CREATE FUNCTION braid_log_append(p_feed text, p_polled_at bigint, p_items jsonb)"
    " RETURNS bigint LANGUAGE plpgsql AS $f$"
    " DECLARE x jsonb; n bigint := 0;"
    " BEGIN"
    "  IF jsonb_typeof(p_items) <> 'array' OR jsonb_array_length(p_items) = 0 THEN"
    "   RETURN 0; END IF;"
    "  PERFORM pg_advisory_xact_lock(" "7263651802" ");"
    "  FOR x IN SELECT e FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(e, k)"
    "   ORDER BY k LOOP"
    "   INSERT INTO items_log (feed, polled_at, item) VALUES (p_feed, p_polled_at, x);"
    "   n := n + 1;"
    "  END LOOP;"
    "  PERFORM pg_notify('braid_log', '');"
    "  RETURN n;"
    " END $f$;";

/* Version 3: the log is pruned (pglog_prune), always a prefix in seq order, and
 * items_log_pruned remembers how far: a replica that replayed less than upto_seq missed rows
 * that are gone, which pglog_read then refuses to hide. One row, 0 until the first prune. */
static const char schema_v3[] =
    "CREATE TABLE items_log_pruned ("
    "  one boolean PRIMARY KEY DEFAULT true CHECK (one),"
    "  upto_seq bigint NOT NULL,"              /* every row up to it is deleted */
    "  at timestamptz);"                       /* the last prune that deleted rows */
    "INSERT INTO items_log_pruned (upto_seq) VALUES (0);";

/* migrations[k] takes the database from version k to k + 1. */
static const char *const migrations[PGSCHEMA_VERSION] = {schema_v1, schema_v2, schema_v3};

/* Any constant both nodes agree on: the advisory lock that serialises migrations. */
#define PGSCHEMA_LOCK_KEY "7263651801"
/* Tries before a migration that keeps losing races gives up. */
#define PGSCHEMA_MAX_TRIES 3

struct migrate_op {
  struct pgconn *conn;
  pgschema_cb cb;
  pgschema_check_cb check_cb; /* set: check, never migrate */
  void *arg;
  int tries;
  int from; /* the version this call found first: what the caller is told */
  int at;   /* the version the steps start from: the latest read */
};

static void on_tables(void *arg, int status, const PGresult *res, const char *message);
static void on_version(void *arg, int status, const PGresult *res, const char *message);

/* First which tables exist (a SELECT from a missing table does not even parse), then, if
 * braid_schema does, what it holds. */
static int read_version(struct migrate_op *op) {
  return pgconn_query(op->conn,
                      "SELECT to_regclass('braid_schema') IS NOT NULL,"
                      " to_regclass('feeds') IS NOT NULL OR to_regclass('feed_leases') IS NOT NULL",
                      0, NULL, on_tables, op);
}

static void finish(struct migrate_op *op, int status, const char *message) {
  if (op->check_cb) {
    struct pgschema_report r = {.version = op->from};
    op->check_cb(op->arg, status, &r, message);
  } else {
    op->cb(op->arg, status, op->from, message);
  }
  free(op);
}

static void check_invariants(struct migrate_op *op);

static void on_migrated(void *arg, int status, const PGresult *res, const char *message) {
  struct migrate_op *op = arg;
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  /* 40001: another node migrated between our read and our lock; read again. */
  if (status == -EIO && state && !strcmp(state, "40001") && ++op->tries < PGSCHEMA_MAX_TRIES) {
    int rc = read_version(op);
    if (rc < 0)
      finish(op, rc, "reading the schema version again");
    return;
  }
  finish(op, status, status == 0 ? "" : message);
}

/* The steps from op->at on, as one transaction. */
static int send_steps(struct migrate_op *op) {
  size_t size = 1024;
  for (int v = op->at; v < PGSCHEMA_VERSION; v++)
    size += strlen(migrations[v]);
  char *sql = malloc(size);
  if (!sql)
    return -ENOMEM;
  int n = snprintf(sql, size,
                   "SELECT pg_advisory_xact_lock(" PGSCHEMA_LOCK_KEY ");"
                   "CREATE TABLE IF NOT EXISTS braid_schema ("
                   "  version integer NOT NULL CHECK (version > 0));"
                   "DO $$ BEGIN IF (SELECT coalesce(max(version), 0) FROM braid_schema) <> %d"
                   " OR (SELECT count(*) FROM braid_schema) > 1 THEN RAISE EXCEPTION"
                   " 'braid schema changed during migration' USING ERRCODE = '40001';"
                   " END IF; END $$;",
                   op->at);
  for (int v = op->at; v < PGSCHEMA_VERSION; v++)
    n += snprintf(sql + n, size - (size_t)n, "%s", migrations[v]);
  snprintf(sql + n, size - (size_t)n,
           "DELETE FROM braid_schema; INSERT INTO braid_schema (version) VALUES (%d);",
           PGSCHEMA_VERSION);
  int rc = pgconn_query(op->conn, sql, 0, NULL, on_migrated, op);
  free(sql);
  return rc;
}

static void decide(struct migrate_op *op, long long version);

static void on_tables(void *arg, int status, const PGresult *res, const char *message) {
  struct migrate_op *op = arg;
  if (status < 0) {
    finish(op, status, message);
    return;
  }
  bool has_version = !strcmp(PQgetvalue(res, 0, 0), "t");
  bool has_tables = !strcmp(PQgetvalue(res, 0, 1), "t");
  if (!has_version && has_tables) {
    finish(op, -EPROTO, "braid's tables exist without braid_schema: not a braid database "
                        "(or one damaged by hand); refusing to use it, nothing was changed");
    return;
  }
  if (!has_version) {
    decide(op, 0);
    return;
  }
  int rc = pgconn_query(op->conn,
                        "SELECT count(*), coalesce(min(version), 0), coalesce(max(version), 0)"
                        " FROM braid_schema",
                        0, NULL, on_version, op);
  if (rc < 0)
    finish(op, rc, "reading the schema version");
}

static void on_version(void *arg, int status, const PGresult *res, const char *message) {
  struct migrate_op *op = arg;
  if (status < 0) {
    finish(op, status, message);
    return;
  }
  long long rows = atoll(PQgetvalue(res, 0, 0));
  long long version = atoll(PQgetvalue(res, 0, 2));
  if (rows != 1 || version < 1) {
    char msg[256];
    snprintf(msg, sizeof msg,
             "unknown schema state (braid_schema has %lld rows, version %lld; braid writes one "
             "row, 1 to %d); refusing to use it, nothing was changed",
             rows, version, PGSCHEMA_VERSION);
    finish(op, -EPROTO, msg);
    return;
  }
  decide(op, version);
}

/* Refuses a newer version, or migrates from an older one. */
static void decide(struct migrate_op *op, long long version) {
  char msg[256];
  if (version > PGSCHEMA_VERSION) {
    snprintf(msg, sizeof msg,
             "written by a newer braid (schema version %lld, this braid knows up to %d); "
             "refusing to use it, nothing was changed",
             version, PGSCHEMA_VERSION);
    finish(op, -EPROTO, msg);
    return;
  }
  if (op->tries == 0)
    op->from = (int)version;
  op->at = (int)version;
  if (version == PGSCHEMA_VERSION && op->check_cb) {
    check_invariants(op);
    return;
  }
  if (version == PGSCHEMA_VERSION) {
    finish(op, 0, "");
    return;
  }
  if (op->check_cb) {
    if (version == 0)
      snprintf(msg, sizeof msg, "no braid schema in this database (braid store migrate "
                                "creates it)");
    else
      snprintf(msg, sizeof msg, "schema version %lld, this braid uses %d: run braid store "
                                "migrate", version, PGSCHEMA_VERSION);
    finish(op, -ESTALE, msg);
    return;
  }
  int rc = send_steps(op);
  if (rc < 0)
    finish(op, rc, "queueing the migration");
}

static int start(struct pgconn *c, pgschema_cb cb, pgschema_check_cb check_cb, void *arg) {
  struct migrate_op *op = calloc(1, sizeof *op);
  if (!op)
    return -ENOMEM;
  *op = (struct migrate_op){.conn = c, .cb = cb, .check_cb = check_cb, .arg = arg};
  int rc = read_version(op);
  if (rc < 0)
    free(op);
  return rc;
}

int pgschema_migrate(struct pgconn *c, pgschema_cb cb, void *arg) {
  return start(c, cb, NULL, arg);
}

/* What braid never leaves behind, counted: a feed without its lease row, a live lease without
 * its host slot, a host with more live slots than its limit. */
static void on_invariants(void *arg, int status, const PGresult *res, const char *message) {
  struct migrate_op *op = arg;
  if (status < 0) {
    finish(op, status, message);
    return;
  }
  struct pgschema_report r = {.version = op->from};
  int64_t *v[] = {&r.feeds, &r.feeds_without_lease, &r.leases_without_slot,
                  &r.hosts_over_limit, &r.log_rows, &r.log_max_seq, &r.log_pruned_upto};
  for (int i = 0; i < 7; i++)
    *v[i] = strtoll(PQgetvalue(res, 0, i), NULL, 10);
  bool bad = r.feeds_without_lease || r.leases_without_slot || r.hosts_over_limit;
  op->check_cb(op->arg, bad ? -EUCLEAN : 0, &r,
               bad ? "the shared state breaks braid's invariants (see the counts)" : "");
  free(op);
}

static void check_invariants(struct migrate_op *op) {
  int rc = pgconn_query(
      op->conn,
      "SELECT (SELECT count(*) FROM feeds WHERE NOT retired),"
      " (SELECT count(*) FROM feeds f WHERE NOT EXISTS"
      "   (SELECT 1 FROM feed_leases l WHERE l.feed_id = f.id)),"
      " (SELECT count(*) FROM feed_leases l WHERE l.holder IS NOT NULL AND l.expires > now()"
      "   AND NOT EXISTS (SELECT 1 FROM host_slots s WHERE s.feed_id = l.feed_id"
      "     AND s.holder = l.holder AND s.expires > now())),"
      " (SELECT count(*) FROM (SELECT s.host FROM host_slots s JOIN hosts h ON h.host = s.host"
      "   WHERE s.holder IS NOT NULL AND s.expires > now()"
      "   GROUP BY s.host, h.max_parallel HAVING count(*) > h.max_parallel) x),"
      " (SELECT count(*) FROM items_log), (SELECT coalesce(max(seq), 0) FROM items_log),"
      " (SELECT upto_seq FROM items_log_pruned)",
      0, NULL, on_invariants, op);
  if (rc < 0)
    finish(op, rc, "queueing the check");
}

int pgschema_check(struct pgconn *c, pgschema_check_cb cb, void *arg) {
  return start(c, NULL, cb, arg);
}
