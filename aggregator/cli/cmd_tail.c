/* cmd_tail.c — `braid tail [-f] [-n N] [--config FILE] [--store PATH]`.
 *
 * Prints the merged stream, one line per entry, oldest of the newest N first:
 *   TIME<TAB>SOURCES<TAB>TITLE<TAB>LINK
 * TIME is YYYY-MM-DDTHH:MM:SSZ, SOURCES the names of the feeds that carried the entry, first
 * source first, joined by ","; tabs, newlines and other control characters inside a field
 * become spaces, and an empty field is "-", so every line has exactly four fields for cut
 * and awk. With -f it then follows the store as the daemon writes it: a libuv timer checks
 * PRAGMA data_version once a second (one cheap read, no query unless something was
 * committed), and so does a change to the store's WAL file (uv_fs_event), so a commit shows
 * at once; then it prints the entries added since. It stops on SIGINT or SIGTERM, or when
 * whoever reads its output goes away, with status 0. It opens the store read-only: it never
 * creates, migrates or writes one.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "civil.h"
#include "cli.h"
#include "commands.h"
#include "defaults.h"
#include "store.h"

#define TAIL_MAX_ENTRIES 100000 /* each entry is read whole; `braid export` is for more */
/* How often -f looks for new entries, in ms. */
#define TAIL_CHECK_INTERVAL_MS 1000
/* Entries read per query while catching up, so a burst is printed in bounded memory. */
#define TAIL_FOLLOW_BATCH 500

/* The store to read: --store, else $BRAID_STORE, else [store] path of the braid.conf named by
 * --config / $BRAID_CONFIG / /etc/braid/braid.conf (defaults apply where that is absent).
 * *ret is newly allocated (caller frees). 0, -ENOMEM, or a config error (exit 2). */
static int resolve_store_path(const char *opt_store, const char *opt_config, char **ret) {
  const char *path = opt_store;
  if (!path || !*path)
    path = getenv("BRAID_STORE");
  if (path && *path) {
    *ret = strdup(path);
    return *ret ? 0 : -ENOMEM;
  }
  struct braid_config *cfg = NULL;
  int r = cli_load_config("tail", opt_config, &cfg);
  if (r < 0)
    return r;
  *ret = strdup(cfg->store_path);
  config_free(cfg);
  return *ret ? 0 : -ENOMEM;
}

struct tail {
  struct store *store;
  int64_t last_seq;     /* the highest seq printed or skipped: follow from here */
  int64_t data_version; /* as last seen: a change means another connection committed */
  int status;           /* the exit status once the loop stops */
  uv_timer_t timer;
  uv_fs_event_t wal_watch; /* the store's WAL file changed: check now, not at the next tick */
  uv_signal_t sigint, sigterm;
};

static void usage(FILE *out) {
  fprintf(out,
          "usage: braid tail [-f] [-n N] [--config FILE] [--store PATH]\n\n"
          "Prints the merged stream, one entry a line, oldest of the newest N first:\n"
          "  TIME<TAB>SOURCES<TAB>TITLE<TAB>LINK\n\n"
          "  -f, --follow      keep printing entries as the daemon stores them\n"
          "  -n, --lines N     how many of the newest entries to print first (default %d)\n"
          "  --config FILE     braid.conf (default: $BRAID_CONFIG, else /etc/braid/braid.conf)\n"
          "  --store PATH      the store (default: $BRAID_STORE, else [store] path, else %s)\n\n"
          "Exit status: 0 success, 1 store unavailable, 2 usage error.\n",
          BRAID_DEFAULT_TAIL_ENTRIES, BRAID_DEFAULT_STORE_PATH);
}

/* Writes s with control characters (tabs and newlines among them) as spaces, "-" if empty. */
static void put_field(FILE *out, const char *s) {
  if (!s || !*s) {
    fputc('-', out);
    return;
  }
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, out);
}

static void print_entry(FILE *out, const struct stream_entry *e) {
  char when[CIVIL_UTC_LEN];
  civil_format_utc(e->time, when);
  fputs(when, out);
  fputc('\t', out);
  if (e->n_sources == 0)
    fputc('-', out);
  for (size_t i = 0; i < e->n_sources; i++) {
    if (i)
      fputc(',', out);
    put_field(out, e->sources[i].feed);
  }
  fputc('\t', out);
  put_field(out, e->title);
  fputc('\t', out);
  put_field(out, e->link);
  fputc('\n', out);
}

/* Flushes stdout; false once nobody reads it any more (EPIPE) or it cannot be written. */
static bool flush_output(void) { return fflush(stdout) == 0 && !ferror(stdout); }

/* Whether the reader of stdout went away, without writing: a pipe whose reading end
 * closed reports POLLERR. */
static bool output_closed(void) {
  struct pollfd p = {.fd = STDOUT_FILENO, .events = 0};
  return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP | POLLNVAL));
}

static void stop(struct tail *t, int status) {
  t->status = status;
  uv_stop(t->timer.loop);
}

/* Prints every entry after t->last_seq. 0, or 1 (store failed) / -EPIPE (stop quietly). */
static int print_new(struct tail *t) {
  for (;;) {
    struct stream_list l;
    int r = store_stream_after(t->store, t->last_seq, TAIL_FOLLOW_BATCH, &l);
    if (r < 0) {
      fprintf(stderr, "braid tail: %s\n", store_errmsg(t->store));
      return 1;
    }
    for (size_t i = 0; i < l.n; i++) {
      print_entry(stdout, &l.entries[i]);
      t->last_seq = l.entries[i].seq;
    }
    size_t n = l.n;
    stream_list_clear(&l);
    if (!flush_output())
      return -EPIPE;
    if (n < TAIL_FOLLOW_BATCH)
      return 0;
  }
}

/* Prints what was committed since the last check, if anything; stops the loop when done. */
static void check_store(struct tail *t) {
  int64_t v;
  if (store_data_version(t->store, &v) < 0) {
    fprintf(stderr, "braid tail: %s\n", store_errmsg(t->store));
    stop(t, 1);
    return;
  }
  if (v != t->data_version) {
    t->data_version = v;
    int r = print_new(t);
    if (r != 0) {
      stop(t, r == -EPIPE ? 0 : r);
      return;
    }
  }
  if (output_closed())
    stop(t, 0);
}

static void on_timer(uv_timer_t *timer) { check_store(timer->data); }

static void on_wal_change(uv_fs_event_t *watch, const char *name, int events, int status) {
  (void)name;
  (void)events;
  if (status == 0)
    check_store(watch->data);
}

/* Watches STORE-wal so that a commit is printed at once. Best effort: there is no WAL file
 * while no daemon has the store open, and the timer finds commits anyway. */
static void watch_wal(struct tail *t) {
  char wal[4096];
  if (snprintf(wal, sizeof wal, "%s-wal", store_path(t->store)) >= (int)sizeof wal)
    return;
  if (uv_fs_event_init(t->timer.loop, &t->wal_watch) == 0 &&
      uv_fs_event_start(&t->wal_watch, on_wal_change, wal, 0) < 0)
    uv_close((uv_handle_t *)&t->wal_watch, NULL);
}

static void on_signal(uv_signal_t *sig, int signum) {
  (void)signum;
  stop(sig->data, 0);
}

static void close_handle(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

static int follow(struct tail *t) {
  uv_loop_t loop;
  int r = uv_loop_init(&loop);
  if (r < 0) {
    fprintf(stderr, "braid tail: cannot start the event loop: %s\n", uv_strerror(r));
    return 1;
  }
  t->timer.data = t->wal_watch.data = t->sigint.data = t->sigterm.data = t;
  if ((r = uv_timer_init(&loop, &t->timer)) == 0 &&
      (r = uv_signal_init(&loop, &t->sigint)) == 0 &&
      (r = uv_signal_init(&loop, &t->sigterm)) == 0 &&
      (r = uv_signal_start(&t->sigint, on_signal, SIGINT)) == 0 &&
      (r = uv_signal_start(&t->sigterm, on_signal, SIGTERM)) == 0)
    r = uv_timer_start(&t->timer, on_timer, TAIL_CHECK_INTERVAL_MS, TAIL_CHECK_INTERVAL_MS);
  if (r < 0) {
    fprintf(stderr, "braid tail: cannot follow: %s\n", uv_strerror(r));
    t->status = 1;
  } else {
    watch_wal(t);
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_walk(&loop, close_handle, NULL);
  uv_run(&loop, UV_RUN_DEFAULT); /* let the close callbacks run */
  if (uv_loop_close(&loop) < 0 && t->status == 0)
    t->status = 1;
  return t->status;
}

/* Prints the newest n entries, oldest first, that were in the store when it held up to
 * t->last_seq; later ones are left to follow. */
static int print_newest(struct tail *t, size_t n) {
  struct stream_list l;
  if (store_stream_newest(t->store, n, &l) < 0) {
    fprintf(stderr, "braid tail: %s\n", store_errmsg(t->store));
    return 1;
  }
  for (size_t i = l.n; i-- > 0;)
    if (l.entries[i].seq <= t->last_seq)
      print_entry(stdout, &l.entries[i]);
  stream_list_clear(&l);
  return flush_output() ? 0 : -EPIPE;
}

static int parse_count(const char *s, size_t *ret) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < 0 || v > TAIL_MAX_ENTRIES)
    return -EINVAL;
  *ret = (size_t)v;
  return 0;
}

/* What the command line asked for. */
struct tail_args {
  bool follow;
  size_t n;
  const char *store, *config;
};

/* Reads argv into a; -1 to go on, else the exit status (usage errors are 2). */
static int parse_args(int argc, char **argv, struct tail_args *a) {
  enum { OPT_CONFIG = 256, OPT_STORE };
  static const struct option options[] = {
      {"follow", no_argument, NULL, 'f'},
      {"lines", required_argument, NULL, 'n'},
      {"config", required_argument, NULL, OPT_CONFIG},
      {"store", required_argument, NULL, OPT_STORE},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  *a = (struct tail_args){.n = BRAID_DEFAULT_TAIL_ENTRIES};
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":fn:h", options, NULL)) != -1) {
    switch (c) {
    case 'f':
      a->follow = true;
      break;
    case 'n':
      if (parse_count(optarg, &a->n) < 0) {
        fprintf(stderr, "braid tail: -n wants a number of entries from 0 to %d, not '%s'\n",
                TAIL_MAX_ENTRIES, optarg);
        return 2;
      }
      break;
    case OPT_CONFIG:
      a->config = optarg;
      break;
    case OPT_STORE:
      a->store = optarg;
      break;
    case 'h':
      usage(stdout);
      return 0;
    case ':':
      fprintf(stderr, "braid tail: %s needs a value (see braid tail --help)\n", argv[optind - 1]);
      return 2;
    default:
      fprintf(stderr, "braid tail: unknown option '%s' (see braid tail --help)\n",
              argv[optind - 1]);
      return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "braid tail: unexpected argument '%s' (see braid tail --help)\n",
            argv[optind]);
    return 2;
  }
  return -1;
}

int cmd_tail(int argc, char **argv) {
  struct tail_args a;
  int r = parse_args(argc, argv, &a);
  if (r >= 0)
    return r;
  char *path;
  r = resolve_store_path(a.store, a.config, &path);
  if (r < 0) {
    if (r == -ENOMEM)
      fprintf(stderr, "braid tail: out of memory\n");
    return r == -ENOMEM ? 1 : 2;
  }
  /* A closed pipe is an error return from write (EPIPE), not a signal that kills us. */
  signal(SIGPIPE, SIG_IGN);
  struct tail t = {0};
  char err[512];
  r = store_open(path, STORE_OPEN_READONLY, &t.store, err, sizeof err);
  free(path);
  if (r < 0) {
    fprintf(stderr, "braid tail: %s\n", err);
    return 1;
  }
  /* The high-water mark first: anything committed after it is printed by follow. */
  if (store_max_seq(t.store, &t.last_seq) < 0 ||
      (a.follow && store_data_version(t.store, &t.data_version) < 0)) {
    fprintf(stderr, "braid tail: %s\n", store_errmsg(t.store));
    store_close(t.store);
    return 1;
  }
  int status = a.n > 0 ? print_newest(&t, a.n) : 0;
  if (status == 0 && a.follow) {
    status = print_new(&t); /* catch up with what came meanwhile */
    if (status == 0)
      status = follow(&t);
  }
  if (status == -EPIPE)
    status = 0;
  store_close(t.store);
  return status;
}
