/* storecopy.c — `braid store copy --from sqlite:PATH --to postgresql://...`. See storecopy.h.
 *
 * Why the log and not the stream: nodes build their streams by replaying items_log, so the
 * copy writes the store's items into the log as the polls that made them (store_copy_read),
 * and every node's replay rebuilds the same entries with the same dedupe. The feeds' state
 * (validators, schedule, backoff) goes into the shared feeds table, so the first leases send
 * the old validators and the feeds are not fetched whole again.
 *
 * Why blocking libpq here, when the daemon never blocks: this is a one-shot command with no
 * loop to keep turning, and the copy must be one transaction (BEGIN .. COMMIT on one session),
 * which pgconn's one-transaction-per-query model cannot give for a store of any size. Every
 * wait is still bounded: connect_timeout and the session's statement_timeout.
 */
#include "storecopy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#ifdef BRAID_HAVE_PG
#include <libpq-fe.h>

#include "bounds.h"
#include "buf.h"
#include "pgconn.h"
#include "pgitem.h"
#include "schedule.h"

/* The advisory lock braid_log_append holds (pgschema.c, version 2): held for the whole copy,
 * so no node appends to the log while it is filled. */
#define COPY_LOG_LOCK "7263651802"
/* One append statement carries at most this much JSON. */
#define COPY_BATCH_BYTES (1024 * 1024)

struct copy_feed {
  char *name;
  struct store_feed_state st;
};

struct copy {
  PGconn *pg;
  const char *where;
  struct copy_feed *feeds;
  size_t n_feeds;
  char *feed;         /* the batch's feed and poll time */
  int64_t seen_at;
  struct buf batch;   /* a JSON array being built, without its closing bracket */
  size_t batch_items;
  int64_t items, tombstones, rows;
  char err[600];
};

/* Runs sql with params; 0, or -EIO with c->err set. */
static int exec(struct copy *c, const char *what, const char *sql, int n,
                const char *const *params, PGresult **ret) {
  PGresult *res = PQexecParams(c->pg, sql, n, NULL, params, NULL, NULL, 0);
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    snprintf(c->err, sizeof c->err, "%s: %s", what, PQerrorMessage(c->pg));
    size_t len = strlen(c->err);
    if (len && c->err[len - 1] == '\n')
      c->err[len - 1] = '\0';
    PQclear(res);
    return -EIO;
  }
  if (ret)
    *ret = res;
  else
    PQclear(res);
  return 0;
}

static int flush(struct copy *c) {
  if (!c->batch_items)
    return 0;
  if (buf_append_char(&c->batch, ']') < 0)
    return -ENOMEM;
  char at[24];
  snprintf(at, sizeof at, "%" PRId64, c->seen_at);
  const char *p[] = {c->feed, at, c->batch.data};
  int rc = exec(c, "appending to items_log",
                "SELECT braid_log_append($1, $2::bigint, $3::jsonb)", 3, p, NULL);
  c->rows += (int64_t)c->batch_items;
  buf_reset(&c->batch);
  c->batch_items = 0;
  return rc;
}

static int feed_name_cmp(const void *key, const void *elem) {
  return strcmp(key, ((const struct copy_feed *)elem)->name);
}

/* c->feeds is in the store's feed-list order, by name. */
static const struct copy_feed *find_feed(const struct copy *c, const char *name) {
  return bsearch(name, c->feeds, c->n_feeds, sizeof *c->feeds, feed_name_cmp);
}

/* Appends one log element; consecutive elements of one feed and poll time share a row set
 * appended by one statement, as the poll's own commit would have. */
static int add_element(struct copy *c, const char *feed, int64_t seen_at, const char *element) {
  size_t len = strlen(element);
  if (c->batch_items && (strcmp(c->feed, feed) || c->seen_at != seen_at ||
                         c->batch.len + len + 2 > COPY_BATCH_BYTES)) {
    int rc = flush(c);
    if (rc < 0)
      return rc;
  }
  if (!c->batch_items) {
    free(c->feed);
    if (!(c->feed = strdup(feed)))
      return -ENOMEM;
    c->seen_at = seen_at;
  }
  int rc = buf_append_char(&c->batch, c->batch_items ? ',' : '[');
  if (rc == 0)
    rc = buf_append(&c->batch, element, len);
  if (rc == 0)
    c->batch_items++;
  return rc;
}

static int on_item(void *arg, const char *feed, int64_t seen_at, const struct store_item *item) {
  struct copy *c = arg;
  const struct copy_feed *f = find_feed(c, feed);
  char *el = NULL;
  int rc = pgitem_encode_item(item, f ? f->st.title : NULL, f ? f->st.site_url : NULL,
                              f ? f->st.effective_url : NULL, &el);
  if (rc < 0) {
    snprintf(c->err, sizeof c->err, "feed %s: an item (guid %s) cannot be encoded", feed,
             item->guid ? item->guid : "none");
    return rc;
  }
  rc = add_element(c, feed, seen_at, el);
  free(el);
  if (rc == 0)
    c->items++;
  return rc;
}

static int on_tombstone(void *arg, const char *feed, const struct store_tombstone *t) {
  struct copy *c = arg;
  char *el = NULL;
  int rc = pgitem_encode_tombstone(t, &el);
  if (rc < 0)
    snprintf(c->err, sizeof c->err, "feed %s: a pruned item (%s) cannot be encoded", feed,
             t->ident);
  if (rc == 0)
    rc = add_element(c, feed, t->first_seen, el);
  free(el);
  if (rc == 0)
    c->tombstones++;
  return rc;
}

static int on_page(void *arg, const char *feed, const struct store_page_state *st) {
  struct copy *c = arg;
  char *el = NULL;
  int rc = pgitem_encode_page(st, NULL, &el);
  if (rc == 0)
    rc = add_element(c, feed, st->last_fetched, el);
  free(el);
  return rc;
}

static int load_feeds(struct copy *c, struct store *s) {
  struct store_feed_rows rows = {0};
  int rc = store_feed_rows(s, &rows);
  if (rc == 0 && rows.n && !(c->feeds = calloc(rows.n, sizeof *c->feeds)))
    rc = -ENOMEM;
  for (size_t i = 0; rc == 0 && i < rows.n; i++) {
    c->feeds[i].name = rows.rows[i].name;
    rows.rows[i].name = NULL;
    c->n_feeds++;
    rc = store_feed_get_state(s, c->feeds[i].name, &c->feeds[i].st);
  }
  store_feed_rows_clear(&rows);
  if (rc < 0)
    snprintf(c->err, sizeof c->err, "%s", rc == -ENOMEM ? "out of memory" : store_errmsg(s));
  return rc;
}

/* The feed's state, as pgfeeds_upsert writes a definition plus what the store knew. A feed a
 * 410 retired is due never: on PostgreSQL, `retired` means "absent from feeds.d", and the
 * nodes' sync would bring it back. */
static int copy_feed(struct copy *c, const struct copy_feed *f, unsigned per_host) {
  static const char sql[] =
      "WITH h AS (INSERT INTO hosts (host, max_parallel) VALUES ($3, $4::int)"
      "   ON CONFLICT (host) DO UPDATE SET max_parallel = excluded.max_parallel"
      "   RETURNING host, max_parallel),"
      " s AS (INSERT INTO host_slots (host, slot)"
      "   SELECT h.host, g FROM h, generate_series(0, h.max_parallel - 1) g"
      "   ON CONFLICT DO NOTHING),"
      " f AS (INSERT INTO feeds (name, url, host, effective_url, title, site_url, etag,"
      "   last_modified, next_due, last_polled, error_count, last_status)"
      "   VALUES ($1, $2, $3, $5, $6, $7, $8, $9, $10::bigint, $11::bigint, $12::int, $13::int)"
      "   ON CONFLICT (name) DO UPDATE SET url = excluded.url, host = excluded.host,"
      "   effective_url = excluded.effective_url, title = excluded.title,"
      "   site_url = excluded.site_url, etag = excluded.etag,"
      "   last_modified = excluded.last_modified, next_due = excluded.next_due,"
      "   last_polled = excluded.last_polled, error_count = excluded.error_count,"
      "   last_status = excluded.last_status, retired = false RETURNING id)"
      " INSERT INTO feed_leases (feed_id) SELECT id FROM f ON CONFLICT DO NOTHING";
  const struct store_feed_state *st = &f->st;
  char *host = sched_url_host(st->url);
  if (!host)
    return -ENOMEM;
  char lim[16], due[24], polled[24], errs[16], status[16];
  snprintf(lim, sizeof lim, "%u", per_host);
  snprintf(due, sizeof due, "%" PRId64, st->retired ? SCHED_NEVER : st->next_due);
  snprintf(polled, sizeof polled, "%" PRId64, st->last_polled);
  snprintf(errs, sizeof errs, "%d", st->error_count);
  snprintf(status, sizeof status, "%d", st->last_status);
  const char *p[] = {f->name, st->url, *host ? host : "-", lim, st->effective_url, st->title,
                     st->site_url, st->etag, st->last_modified, due, polled, errs, status};
  char what[400];
  snprintf(what, sizeof what, "copying feed %s", f->name);
  int rc = exec(c, what, sql, 13, p, NULL);
  free(host);
  return rc;
}

/* The log must never have held a row (none now, none pruned): a node that replayed an
 * earlier log would otherwise take the copy as news on top of its stream. Live leases mean
 * nodes are running. */
static int check_empty(struct copy *c) {
  PGresult *res = NULL;
  int rc = exec(c, "checking the log",
                "SELECT (SELECT count(*) FROM items_log),"
                " (SELECT upto_seq FROM items_log_pruned),"
                " (SELECT count(*) FROM feed_leases WHERE holder IS NOT NULL AND expires > now())",
                0, NULL, &res);
  if (rc < 0)
    return rc;
  long long rows = atoll(PQgetvalue(res, 0, 0)), pruned = atoll(PQgetvalue(res, 0, 1));
  long long leases = atoll(PQgetvalue(res, 0, 2));
  PQclear(res);
  /* Not the sequence's is_called: a copy that failed and rolled back drew numbers too, and
   * must be possible to run again. */
  if (rows || pruned) {
    snprintf(c->err, sizeof c->err,
             "the database's log is not empty (%lld rows, pruned up to seq %lld): a copy goes "
             "into a database no node has written to; nothing was changed", rows, pruned);
    return -EEXIST;
  }
  if (leases) {
    snprintf(c->err, sizeof c->err,
             "%lld feeds are being polled by running nodes: stop them (and their polls) before "
             "copying; nothing was changed", leases);
    return -EBUSY;
  }
  return 0;
}

static int copy_all(struct copy *c, struct store *s, unsigned per_host) {
  int rc = exec(c, "setting up the session",
                "SET statement_timeout = '300s'", 0, NULL, NULL);
  if (rc == 0)
    rc = exec(c, "starting the transaction", "BEGIN", 0, NULL, NULL);
  if (rc == 0)
    rc = exec(c, "locking the log", "SELECT pg_advisory_xact_lock(" COPY_LOG_LOCK ")", 0, NULL,
              NULL);
  if (rc == 0)
    rc = check_empty(c);
  for (size_t i = 0; rc == 0 && i < c->n_feeds; i++)
    rc = copy_feed(c, &c->feeds[i], per_host);
  if (rc == 0) {
    rc = store_copy_read(s, on_tombstone, on_item, on_page, c);
    if (rc < 0 && !c->err[0])
      snprintf(c->err, sizeof c->err, "%s", store_errmsg(s));
  }
  if (rc == 0)
    rc = flush(c);
  if (rc == 0)
    rc = exec(c, "committing", "COMMIT", 0, NULL, NULL);
  if (rc < 0 && !c->err[0])
    snprintf(c->err, sizeof c->err, "%s; nothing was changed", strerror(-rc));
  return rc;
}

static bool names_password(const char *url) {
  PQconninfoOption *opts = PQconninfoParse(url, NULL);
  bool has = false;
  for (PQconninfoOption *o = opts; o && o->keyword; o++)
    if (!strcmp(o->keyword, "password") && o->val && *o->val)
      has = true;
  PQconninfoFree(opts);
  return has;
}

int store_copy_run(const struct braid_config *cfg, const char *from, const char *to) {
  const char *url = to ? to : cfg->store_url;
  if (!from || strncmp(from, "sqlite:", 7) || !from[7]) {
    fprintf(stderr, "braid store copy: --from sqlite:PATH names the store to copy\n");
    return 2;
  }
  if (!url) {
    fprintf(stderr, "braid store copy: no database: give --to postgresql://... or set "
                    "[store] url\n");
    return 2;
  }
  char where[512];
  if (pgconn_conninfo_redact(url, where, sizeof where) == -EINVAL) {
    fprintf(stderr, "braid store copy: --to is not a connection string libpq can read\n");
    return 2;
  }
  if (names_password(url)) {
    fprintf(stderr, "braid store copy: %s: a password in the connection string is refused; "
                    "put it in PGPASSFILE (.pgpass)\n", where);
    return 2;
  }
  const char *path = from + 7;
  struct store *s = NULL;
  char err[512];
  if (store_open(path, STORE_OPEN_READONLY, &s, err, sizeof err) < 0) {
    fprintf(stderr, "braid store copy: %s\n", err);
    return 1;
  }
  int status = store_cli_migrate_pg(url);
  struct copy c = {.where = where};
  buf_init(&c.batch, 0);
  if (status == 0 && load_feeds(&c, s) < 0)
    status = 1;
  if (status == 0) {
    const char *const keys[] = {"dbname", "connect_timeout", NULL};
    const char *const vals[] = {url, "10", NULL};
    c.pg = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c.pg) != CONNECTION_OK) {
      snprintf(c.err, sizeof c.err, "connecting: %s", PQerrorMessage(c.pg));
      c.err[strcspn(c.err, "\n")] = '\0';
      status = 1;
    } else if (copy_all(&c, s, cfg->poll_per_host) < 0) {
      status = 1;
    }
  }
  if (status == 0)
    printf("copied %s into postgresql %s: %zu feeds, %lld item versions, %lld pruned items, "
           "%lld log rows\n", path, where, c.n_feeds, (long long)c.items,
           (long long)c.tombstones, (long long)c.rows);
  else if (c.err[0])
    fprintf(stderr, "braid store copy: postgresql %s: %s\n", where, c.err);
  PQfinish(c.pg); /* an open transaction is rolled back: nothing was changed */
  for (size_t i = 0; i < c.n_feeds; i++) {
    free(c.feeds[i].name);
    store_feed_state_clear(&c.feeds[i].st);
  }
  free(c.feeds);
  free(c.feed);
  buf_clear(&c.batch);
  store_close(s);
  return status;
}

#else

int store_copy_run(const struct braid_config *cfg, const char *from, const char *to) {
  fprintf(stderr, "braid store copy: this braid was built without PostgreSQL (libpq)\n");
  return 1;
}

#endif
