/* cmd_store.c — `braid store migrate|check`: the store's schema and health, for the SQLite
 * store ([store] path) and, with [store] url, the database the nodes share. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "store.h"
#include "storecopy.h"

#ifdef BRAID_HAVE_PG
#include <uv.h>

#include "pgconn.h"
#include "pgschema.h"
#endif

static void usage(FILE *out) {
  fprintf(out,
          "usage: braid store migrate|check [--config FILE]\n"
          "       braid store copy --from sqlite:PATH [--to postgresql://...] [--config FILE]\n\n"
          "migrate  brings the store ([store] path) and, with [store] url, the shared PostgreSQL\n"
          "         schema up to this braid's version (what `braid run` also does at start)\n"
          "check    changes nothing: reads every page of the store, and checks the shared\n"
          "         database's version and invariants (leases, per-host slots, the log)\n"
          "copy     moves a single-node store into the shared database (--to, else [store] url),\n"
          "         feeds' state and every item, in one transaction; refused unless the\n"
          "         database's log is empty and was never pruned\n"
          "Exit status: 0 all well, 1 a problem found or a store unreachable, 2 usage.\n");
}

/* The SQLite store: 0 when all is well, 1 otherwise (said on stderr). *watermark: how far it
 * replayed the shared log. */
static int sqlite_part(const struct braid_config *cfg, bool migrate, int64_t *watermark) {
  struct store *s = NULL;
  char err[512];
  int rc = store_open(cfg->store_path, migrate ? 0 : STORE_OPEN_READONLY, &s, err, sizeof err);
  if (rc < 0) {
    fprintf(stderr, "braid store: %s\n", err);
    return 1;
  }
  int status = 0;
  if (store_replica_get(s, "postgresql", watermark) < 0)
    *watermark = 0;
  if (migrate) {
    printf("store %s: schema version %d\n", cfg->store_path, STORE_SCHEMA_VERSION);
  } else {
    char report[512];
    rc = store_check(s, report, sizeof report);
    printf("store %s: schema version %d, pages %s\n", cfg->store_path, STORE_SCHEMA_VERSION,
           rc == 0 ? "ok" : "DAMAGED");
    if (rc < 0) {
      fprintf(stderr, "braid store: %s: %s\n", cfg->store_path, report);
      status = 1;
    }
  }
  store_close(s);
  return status;
}

#ifdef BRAID_HAVE_PG
struct pg_run {
  uv_loop_t loop;
  struct pgconn *conn;
  bool migrate, done;
  bool close_pending; /* on_state failed before pgconn_new returned the connection */
  int status;
  int64_t watermark;
  char where[512];
  char message[512];
};

static void on_closed(void *arg) { (void)arg; }

static void close_run(struct pg_run *r) {
  if (r->conn)
    pgconn_close(r->conn, on_closed, r);
  else
    r->close_pending = true;
}

static void on_migrated(void *arg, int status, int from, const char *message) {
  struct pg_run *r = arg;
  r->done = true;
  if (status < 0) {
    fprintf(stderr, "braid store: postgresql %s: %s\n", r->where, message);
    r->status = 1;
  } else if (from == PGSCHEMA_VERSION) {
    printf("postgresql %s: schema version %d (already)\n", r->where, PGSCHEMA_VERSION);
  } else {
    printf("postgresql %s: schema version %d (migrated from %d)\n", r->where, PGSCHEMA_VERSION,
           from);
  }
  close_run(r);
}

static void on_checked(void *arg, int status, const struct pgschema_report *rep,
                       const char *message) {
  struct pg_run *r = arg;
  r->done = true;
  if (status < 0 && status != -EUCLEAN) {
    fprintf(stderr, "braid store: postgresql %s: %s\n", r->where, message);
    r->status = 1;
    close_run(r);
    return;
  }
  printf("postgresql %s: schema version %d, %lld feeds, %lld log rows (up to seq %lld, "
         "pruned up to seq %lld)\n",
         r->where, rep->version, (long long)rep->feeds, (long long)rep->log_rows,
         (long long)rep->log_max_seq, (long long)rep->log_pruned_upto);
  if (status == -EUCLEAN) {
    fprintf(stderr,
            "braid store: postgresql %s: %s: feeds without a lease row %lld, live leases "
            "without a host slot %lld, hosts over their limit %lld\n",
            r->where, message, (long long)rep->feeds_without_lease,
            (long long)rep->leases_without_slot, (long long)rep->hosts_over_limit);
    r->status = 1;
  }
  if (r->watermark > rep->log_max_seq) {
    fprintf(stderr,
            "braid store: the local store replayed the log up to seq %lld but the database's "
            "log ends at %lld: it was filled from another database\n",
            (long long)r->watermark, (long long)rep->log_max_seq);
    r->status = 1;
  } else if (r->watermark < rep->log_pruned_upto) {
    fprintf(stderr,
            "braid store: the local store replayed the log up to seq %lld but the database "
            "pruned it up to seq %lld: this replica misses rows that are gone; stop its node, "
            "replace [store] path with a copy of a level node's store (sqlite3 ITS.db "
            "'.backup COPY.db': a node whose check says \"level\") and start it again\n",
            (long long)r->watermark, (long long)rep->log_pruned_upto);
    r->status = 1;
  } else {
    printf("replica: replayed up to seq %lld of %lld (%s)\n", (long long)r->watermark,
           (long long)rep->log_max_seq,
           r->watermark == rep->log_max_seq ? "level" : "behind, catching up by replay");
  }
  close_run(r);
}

/* One attempt, no retries: a command reports an unreachable database rather than wait. */
static void on_state(void *arg, bool connected, int err, const char *message) {
  struct pg_run *r = arg;
  if (r->done)
    return;
  if (!connected) {
    fprintf(stderr, "braid store: postgresql %s: %s\n", r->where,
            message && *message ? message : strerror(-err));
    r->status = 1;
    r->done = true;
    close_run(r);
    return;
  }
  int rc = r->migrate ? pgschema_migrate(r->conn, on_migrated, r)
                      : pgschema_check(r->conn, on_checked, r);
  if (rc < 0) {
    fprintf(stderr, "braid store: postgresql %s: %s\n", r->where, strerror(-rc));
    r->status = 1;
    r->done = true;
    close_run(r);
  }
}

static int pg_part(const char *url, bool migrate, int64_t watermark) {
  struct pg_run r = {.migrate = migrate, .watermark = watermark};
  if (pgconn_conninfo_redact(url, r.where, sizeof r.where) == -EINVAL) {
    fprintf(stderr, "braid store: [store] url is not a connection string libpq can read\n");
    return 2;
  }
  if (uv_loop_init(&r.loop) < 0)
    return 1;
  struct pgconn_config pc = {.conninfo = url, .connect_timeout_ms = 10000,
                             .statement_timeout_ms = 60000, .backoff_min_ms = 1000,
                             .backoff_max_ms = 1000, .on_state = on_state, .arg = &r};
  int rc = pgconn_new(&r.loop, &pc, &r.conn);
  if (rc < 0) {
    fprintf(stderr, "braid store: postgresql %s: %s\n", r.where, strerror(-rc));
    uv_loop_close(&r.loop);
    return 1;
  }
  if (r.close_pending)
    pgconn_close(r.conn, on_closed, &r);
  uv_run(&r.loop, UV_RUN_DEFAULT);
  uv_loop_close(&r.loop);
  return r.status;
}
#else
static int pg_part(const char *url, bool migrate, int64_t watermark) {
  fprintf(stderr, "braid store: [store] url is set but this braid was built without "
                  "PostgreSQL (libpq)\n");
  return 1;
}
#endif

int store_cli_migrate_pg(const char *url) { return pg_part(url, true, 0); }

int cmd_store(int argc, char **argv) {
  static const struct option options[] = {{"config", required_argument, NULL, 'c'},
                                          {"help", no_argument, NULL, 'h'},
                                          {"from", required_argument, NULL, 'f'},
                                          {"to", required_argument, NULL, 't'},
                                          {NULL, 0, NULL, 0}};
  const char *config_path = NULL, *from = NULL, *to = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
    if (c == 'c') {
      config_path = optarg;
    } else if (c == 'f') {
      from = optarg;
    } else if (c == 't') {
      to = optarg;
    } else if (c == 'h') {
      usage(stdout);
      return 0;
    } else {
      usage(stderr);
      return 2;
    }
  }
  if (optind != argc - 1 ||
      (strcmp(argv[optind], "migrate") != 0 && strcmp(argv[optind], "check") != 0 &&
       strcmp(argv[optind], "copy") != 0)) {
    fprintf(stderr, "braid store: expected migrate, check or copy\n");
    usage(stderr);
    return 2;
  }
  bool copy = strcmp(argv[optind], "copy") == 0;
  if (!copy && (from || to)) {
    fprintf(stderr, "braid store: --from and --to belong to braid store copy\n");
    return 2;
  }
  bool migrate = strcmp(argv[optind], "migrate") == 0;
  struct braid_config *cfg = NULL;
  if (cli_load_config("store", config_path, &cfg) < 0)
    return 2;
  if (copy) {
    int st = store_copy_run(cfg, from, to);
    config_free(cfg);
    return st;
  }
  int64_t watermark = 0;
  int status = sqlite_part(cfg, migrate, &watermark);
  if (cfg->store_url) {
    int pg = pg_part(cfg->store_url, migrate, watermark);
    status = pg > status ? pg : status;
  }
  config_free(cfg);
  return status;
}
