/* bench_pglease.c — how fast nodes lease and complete feeds through store/pg (not a test).
 *
 *   python3 tests/pg/pgcluster.py run -- build/gcc/bench_pglease [FEEDS [HOSTS [SLOTS]]]
 *
 * Creates FEEDS due feeds (default 20000) on HOSTS hosts (200) with SLOTS slots each (4), then,
 * for 1 and for 2 nodes (connections on one loop), leases batches of 100 and completes every
 * leased feed (next due far ahead) until all were polled once; prints the wall time, the
 * feeds per second, and the mean time of one lease statement. The feed set is reset between
 * runs. Exits non-zero if a feed was leased twice or never. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgfeeds.h"
#include "pgschema.h"
#include "pgtest.h"

#define BATCH 100
#define MAX_NODES 2

struct node {
  struct pgconn *conn;
  char name[16];
  int leasing;        /* a lease statement in flight */
  int completing;     /* completions in flight */
  uint64_t lease_ns;  /* summed lease statement time */
  uint64_t started;
  unsigned leases;    /* lease statements */
  unsigned empty;     /* consecutive leases that got nothing */
};

struct bench {
  struct pgtest t;
  struct node nodes[MAX_NODES];
  int nnodes;
  long feeds;
  long done;
  unsigned char *seen;  /* per feed id - first */
  long first;
  int errors;
};

struct done_ctx { struct bench *b; struct node *n; };

static void lease_next(struct bench *b, struct node *n);

static void on_completed(void *arg, int status, int64_t count, const char *message) {
  struct done_ctx *d = arg;
  if (status != 0 || count != 1) {
    fprintf(stderr, "complete: %d %lld %s\n", status, (long long)count, message);
    d->b->errors++;
  }
  d->n->completing--;
  d->b->done++;
  if (d->n->completing == 0 && !d->n->leasing)
    lease_next(d->b, d->n);
  free(d);
}

static void on_leased(void *arg, int status, const struct pgfeeds_lease *f, size_t count,
                      const char *message) {
  struct done_ctx *ctx = arg;
  struct bench *b = ctx->b;
  struct node *n = ctx->n;
  free(ctx);
  n->leasing = 0;
  n->lease_ns += uv_hrtime() - n->started;
  n->leases++;
  if (status != 0) {
    fprintf(stderr, "lease: %s\n", message);
    b->errors++;
    return;
  }
  n->empty = count == 0 ? n->empty + 1 : 0;
  struct pgfeeds_result r = {.etag = "\"b\"", .next_due = 4102444800, .last_status = 200};
  for (size_t i = 0; i < count; i++) {
    long idx = (long)(f[i].id - b->first);
    if (idx < 0 || idx >= b->feeds || b->seen[idx]++) {
      fprintf(stderr, "%s: feed %lld (index %ld of %ld) leased twice or unknown\n", n->name,
              (long long)f[i].id, idx, b->feeds);
      b->errors++;
    }
    struct done_ctx *d = malloc(sizeof *d);
    if (!d || pgfeeds_complete(n->conn, n->name, f[i].id, &r, on_completed, d) != 0) {
      free(d);
      b->errors++;
      continue;
    }
    *d = (struct done_ctx){b, n};
    n->completing++;
  }
  if (n->completing == 0)
    lease_next(b, n);
}

static void lease_next(struct bench *b, struct node *n) {
  if (b->done >= b->feeds || b->errors || n->empty > 50)
    return;
  struct done_ctx *ctx = malloc(sizeof *ctx);
  if (!ctx) {
    b->errors++;
    return;
  }
  *ctx = (struct done_ctx){b, n};
  n->started = uv_hrtime();
  n->leasing = 1;
  if (pgfeeds_lease(n->conn, n->name, BATCH, 60, on_leased, ctx) != 0) {
    free(ctx);
    n->leasing = 0;
    b->errors++;
  }
}

/* No statement of the run in flight: a node that went idle (all polled, an error, or 50
 * empty leases in a row) never starts again, so the run is over. */
static bool finished(void *arg) {
  struct bench *b = arg;
  for (int i = 0; i < MAX_NODES; i++)
    if (b->nodes[i].leasing || b->nodes[i].completing)
      return false;
  return true;
}

static int sql(struct bench *b, const char *text, char *value, size_t size) {
  struct pgtest_result r;
  int rc = pgtest_query(&b->t, b->nodes[0].conn, text, 0, NULL, &r);
  if (rc != 0)
    fprintf(stderr, "%s: %s\n", text, r.message);
  else if (value)
    snprintf(value, size, "%s", r.value);
  return rc;
}

static int run_once(struct bench *b, int nnodes, long hosts, int slots) {
  char q[1024], v[256];
  snprintf(q, sizeof q,
           "TRUNCATE feeds, feed_leases, hosts, host_slots;"
           "INSERT INTO hosts SELECT 'h' || g || '.test', %d FROM generate_series(0, %ld) g;"
           "INSERT INTO host_slots SELECT 'h' || g || '.test', s FROM generate_series(0, %ld) g,"
           " generate_series(0, %d) s;"
           "INSERT INTO feeds (name, url, host) SELECT 'f' || g, 'http://h' || (g %% %ld) ||"
           " '.test/' || g, 'h' || (g %% %ld) || '.test' FROM generate_series(0, %ld) g;"
           "INSERT INTO feed_leases (feed_id) SELECT id FROM feeds; ANALYZE;"
           "SELECT min(id) FROM feeds",
           slots, hosts - 1, hosts - 1, slots - 1, hosts, hosts, b->feeds - 1);
  if (sql(b, q, v, sizeof v) != 0)
    return 1;
  b->first = atol(v);
  memset(b->seen, 0, (size_t)b->feeds);
  b->done = 0;
  for (int i = 0; i < nnodes; i++) {
    b->nodes[i].lease_ns = 0;
    b->nodes[i].leases = 0;
    b->nodes[i].empty = 0;
  }
  uint64_t start = uv_hrtime();
  for (int i = 0; i < nnodes; i++)
    lease_next(b, &b->nodes[i]);
  pgtest_until(&b->t, finished, b, 600000);
  double secs = (double)(uv_hrtime() - start) / 1e9;
  long missing = 0;
  for (long i = 0; i < b->feeds; i++)
    missing += b->seen[i] != 1;
  uint64_t ns = 0;
  unsigned leases = 0;
  for (int i = 0; i < nnodes; i++) {
    ns += b->nodes[i].lease_ns;
    leases += b->nodes[i].leases;
  }
  printf("%d node(s): %ld feeds on %ld hosts x %d slots: %.2f s, %.0f feeds/s leased and "
         "completed, %u lease statements of %.1f ms mean\n",
         nnodes, b->feeds, hosts, slots, secs, b->feeds / secs, leases,
         leases ? (double)ns / leases / 1e6 : 0.0);
  if (missing || b->errors) {
    fprintf(stderr, "%ld feeds not leased exactly once, %d errors\n", missing, b->errors);
    return 1;
  }
  return 0;
}

static void on_migrated(void *arg, int status, int from, const char *message) {
  if (status != 0)
    fprintf(stderr, "migrate: %s\n", message);
  *(int *)arg = status == 0 ? 1 : -1;
}
static bool migrated_done(void *arg) { return *(int *)arg != 0; }

static void closed(void *arg) { (*(int *)arg)--; }
static bool all_closed(void *arg) { return *(int *)arg == 0; }

int main(int argc, char **argv) {
  static struct bench b;
  b.feeds = argc > 1 ? atol(argv[1]) : 20000;
  long hosts = argc > 2 ? atol(argv[2]) : 200;
  int slots = argc > 3 ? atoi(argv[3]) : 4;
  if (b.feeds < 1 || b.feeds > 1000000 || hosts < 1 || hosts > b.feeds || slots < 1 ||
      slots > 64) {
    fprintf(stderr, "usage: bench_pglease [FEEDS [HOSTS [SLOTS]]]\n");
    return 2;
  }
  const char *conninfo = pgtest_conninfo();
  setvbuf(stdout, NULL, _IOLBF, 0);
  b.seen = calloc((size_t)b.feeds, 1);
  if (!b.seen || pgtest_init(&b.t) != 0)
    return 1;
  struct pgconn_config cfg = {.conninfo = conninfo, .connect_timeout_ms = 5000,
                              .statement_timeout_ms = 60000, .backoff_min_ms = 100,
                              .backoff_max_ms = 1000};
  for (int i = 0; i < MAX_NODES; i++) {
    snprintf(b.nodes[i].name, sizeof b.nodes[i].name, "node-%c", 'a' + i);
    if (pgconn_new(&b.t.loop, &cfg, &b.nodes[i].conn) != 0)
      return 1;
  }
  /* The schema through its own migration, as a node would make it. */
  int migrated = 0, rc = 0;
  if (pgschema_migrate(b.nodes[0].conn, on_migrated, &migrated) != 0 ||
      !pgtest_until(&b.t, migrated_done, &migrated, 30000) || migrated != 1)
    rc = 1;
  rc = rc ? rc : run_once(&b, 1, hosts, slots);
  rc = rc ? rc : run_once(&b, 2, hosts, slots);
  int open = MAX_NODES;
  for (int i = 0; i < MAX_NODES; i++)
    pgconn_close(b.nodes[i].conn, closed, &open);
  pgtest_until(&b.t, all_closed, &open, 5000);
  free(b.seen);
  return pgtest_finish(&b.t) == 0 ? rc : 1;
}
