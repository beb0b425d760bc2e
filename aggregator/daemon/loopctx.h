/* loopctx.h — the daemon's loop context: the one place braid keeps mutable state while it
 * runs. Shared by daemon.c (start-up, schedule, signals, server) and poll.c (one feed's
 * fetch → parse → split → store). Not a public API: nothing else includes it.
 */
#ifndef BRAID_LOOPCTX_H
#define BRAID_LOOPCTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "config.h"
#include "export.h"
#include "fetch.h"
#include "log.h"
#include "schedule.h"
#include "serve.h"
#include "store.h"

struct poll_job;
struct ingest_batch;
struct pgnode;

/* One configured feed while the daemon runs. Its definition is a private copy, so a reload
 * can swap feed lists while a poll of this feed is in flight. */
struct feed_rt {
  struct feed_def def;   /* its definition, a private copy */
  int64_t interval_s;    /* resolved: the feed's, else [poll] interval */
  int64_t feed_id;       /* the store's id */
  char *poll_url;        /* where to poll: a permanent redirect's target, else url */
  struct poll_job *job;  /* the poll in flight, or NULL */
  bool removed;          /* dropped by a reload while its poll was in flight */
  unsigned store_fail_streak; /* store writes of its polls that failed in a row */
  struct feed_counts {   /* its polls since start, for /metrics' per-feed series */
    uint64_t ok, not_modified, failed;
    int64_t last_success; /* UTC seconds of its last poll that fetched (200 or 304), 0 none */
  } counts;
  struct feed_pg_lease { /* with [store] url: its lease from PostgreSQL (pgnode.c) */
    bool held;           /* leased to this node, its result not yet committed */
    int64_t id;          /* the feed's id in PostgreSQL */
    char *etag, *last_modified; /* the validators the database had when leased */
    int errors;          /* consecutive failures, for the backoff */
    int64_t next_due;    /* the due time it was leased at */
  } pg;
};

struct poll_counters {
  uint64_t ok, not_modified, failed;  /* polls by result */
  uint64_t new_entries, updated_entries;
  uint64_t store_errors;
  int64_t last_poll;                  /* UTC seconds of the last finished poll, 0 none */
};

/* Polls saved in one transaction at most (poll.c, poll_group_commit). */
#define POLL_GROUP_MAX_POLLS 64
/* ... and entries written in one at most: a commit writes its pages to the WAL on the loop,
 * some 0.1 ms an entry, and should not hold the loop past ~50 ms. */
#define POLL_GROUP_MAX_ENTRIES 400

struct daemon {
  uv_loop_t loop;
  struct logger *log;
  struct braid_config *cfg;
  struct feed_list feeds;      /* the current definitions, as loaded */
  struct feed_rt **rt;         /* runtime state, sorted by name */
  size_t n_rt;
  struct store *store;
  struct fetcher *fetcher;
  struct sched_queue *queue;
  struct sched_prng rng;
  struct server *server;
  uv_timer_t tick;             /* wakes the scheduler at the next due time */
  uv_timer_t watchdog;         /* systemd watchdog pings */
  uv_timer_t upkeep;           /* retention pruning */
  uv_timer_t prune_next;       /* the next batch of a pruning round, after the loop's I/O */
  int64_t prune_older_than;    /* the round's retention horizon, UTC seconds */
  size_t prune_deleted;        /* entries the round has deleted so far */
  uv_timer_t round_timer;      /* the `round` summary line, once a minute */
  uv_timer_t export_timer;     /* writes the [output] dir a moment after new entries */
  uv_timer_t group_timer;      /* commits the open group of polls (poll.c) within its bound */
  unsigned group_polls;        /* polls saved in the open group, not yet committed */
  unsigned group_entries;      /* entries they added or changed (POLL_GROUP_MAX_ENTRIES) */
  int64_t group_feeds[POLL_GROUP_MAX_POLLS]; /* their feeds' store ids: a failed commit lost
                                                these polls */
  uv_idle_t done_idle;         /* saves the polls of the done queue, one a loop turn (poll.c) */
  struct poll_job *done_head, *done_tail; /* fetched polls waiting to be saved, oldest first */
  uv_timer_t stop_timer;       /* runs the stop outside any fetch callback */
  uv_signal_t sig_hup, sig_term, sig_int;
  uv_fs_event_t feeds_watch;   /* changes in the feeds.d directory */
  uv_timer_t feeds_debounce;   /* rescans feeds.d a moment after the last change */
  char *watched_dir;           /* the directory feeds_watch watches, or NULL */
  bool config_explicit;        /* braid.conf was named (--config, $BRAID_CONFIG): must exist */
  bool log_level_set;          /* --log-level given: [log] level does not change it */
  bool once;
  bool stopping;
  const char *stop_reason;     /* why the loop is stopping, for the log */
  int poller_lock;             /* fd holding the store's poller lock (pollerlock.h), or -1 */
  bool store_failing;          /* the last store write failed: /healthz says so */
  bool store_streak_started;   /* a feed's store failure streak started since store_failing
                                  was last worked out (poll.c) */
  bool export_pending;         /* new entries since the last [output] dir export */
  size_t once_left;            /* with once: feeds not yet polled */
  unsigned once_failed;        /* with once: feeds that could not be fetched */
  int64_t stream_version;      /* bumped on every write that changed the stream */
  int64_t store_data_version;  /* PRAGMA data_version when the server last asked: another
                                  process's commit changes it */
  int64_t startup_spread_s;    /* the first polls at start are spread over this many seconds */
  struct poll_counters stats;
  struct poll_counters round_base; /* stats when the last `round` line was written */
  uint64_t round_started_ms;       /* uv_now of that moment */
  size_t pages_active;             /* live-blog page reads in flight (pagepoll.c) */
  uv_check_t ckpt_check;           /* starts a WAL checkpoint when one is due (walckpt.c) */
  uv_work_t ckpt_work;             /* ... on libuv's thread pool */
  bool ckpt_running;               /* ckpt_work is queued or running */
  uint64_t ckpt_started_ns;        /* uv_hrtime when it was queued */
  uint64_t ckpt_ended_ms;          /* uv_now when the last one's result came back */
  bool ckpt_failed;                /* the last one reported an error */
  const char *ckpt_path;           /* the store's path, which the worker reads */
  struct store_checkpoint_result ckpt_result; /* written by the worker thread only */
  struct pgnode *pg;               /* with [store] url: this node's share of PostgreSQL
                                      (pgnode.c), else NULL */
};

/* How a poll ended, told once through its poll_done_fn. */
struct poll_report {
  bool cancelled;              /* dropped: nothing saved, no next due time (next_due -1) */
  enum fetch_outcome outcome;  /* of the fetch, a body that is not a feed FETCH_ABORTED */
  bool saved;                  /* its results are committed or in the open group */
  int new_entries, updated_entries;
  int64_t next_due;            /* UTC seconds, SCHED_NEVER for a retired feed */
  int64_t finished;            /* UTC seconds */
};
typedef void poll_done_fn(struct daemon *d, struct feed_rt *f, const struct poll_report *r);
/* Starts a poll of f (not in flight); done is called once when it has ended, from the loop
 * (never from inside poll_start). 0 or negative (the caller reschedules; done not called). */
int poll_start(struct daemon *d, struct feed_rt *f, poll_done_fn *done);
/* daemon.c: the one place a poll's end reaches the daemon (poll_start's done for every poll). */
void daemon_poll_done(struct daemon *d, struct feed_rt *f, const struct poll_report *r);
/* Logs "EVENT state=failing error=<the store's message>" or "EVENT state=ok" when the store's
 * writes start or stop failing (was_failing differs from failing); nothing otherwise. */
void daemon_log_store_state(struct daemon *d, const char *event, bool was_failing,
                            bool failing);
/* daemon.c: stops the daemon from the loop; why names the reason in the log. */
void daemon_stop(struct daemon *d, const char *why);
/* daemon.c: writes the [output] dir a moment from now if new entries are waiting for it. */
void daemon_export_soon(struct daemon *d);
/* Cancels f's poll in flight, if any (its result is dropped). */
void poll_cancel(struct feed_rt *f);
/* Saves every fetched poll still waiting in the done queue (at stop). */
void poll_drain(struct daemon *d);
/* daemon.c: counts store writes that failed (a poll's, or a group commit's per poll lost). */
void daemon_store_errors(struct daemon *d, unsigned n);
/* Counts entries a save added or changed; any makes the stream's documents stale. */
void daemon_entries_saved(struct daemon *d, int new_entries, int updated_entries);
/* walckpt.c: checkpoints the store's WAL on libuv's thread pool instead of in the commits on
 * the loop (store_checkpoint_elsewhere). Initialises and starts d->ckpt_check; 0 or a libuv
 * error code. The check handle closes with the others at stop; a checkpoint in flight ends
 * before uv_run returns. */
int walckpt_start(struct daemon *d);
/* Commits the open group of polls (poll.c; see store_group_begin); a no-op without one. A
 * failure is logged and marks the store failing. */
void poll_group_commit(struct daemon *d);

/* Reads feeds.d again and applies what changed; event names the log line ("reload" on
 * SIGHUP, "feeds" when the directory watch saw a change). */
void daemon_feeds_rescan(struct daemon *d, const char *event);

/* reload.c: re-reads braid.conf and applies what can change while running; keeps the old
 * configuration whole when the file is broken. */
void daemon_config_reload(struct daemon *d);
/* reload.c: watches d->cfg->feeds_dir (again, if it changed); a change rescans it ~200 ms
 * later. 0 or a negative libuv code (polling goes on; only SIGHUP rescans then). */
int daemon_watch_feeds(struct daemon *d);

/* pagepoll.c: marks the items of b whose live blog's page already gave their entries, so
 * the feed's summary does not replace them. Inside the poll's transaction. 0 or negative. */
int pagepoll_mark_owned(struct daemon *d, struct feed_rt *f, struct ingest_batch *b);
/* pagepoll.c: after f's poll was saved, starts reading the pages of its live blogs that the
 * feed body gives few updates of (b: this poll's items, NULL after a 304) and of those still
 * live. Failures are logged, never fatal. */
void pagepoll_after_feed(struct daemon *d, struct feed_rt *f, const struct ingest_batch *b);
/* Called by pagepoll.c when its last page read in flight ended (for `run --once`). */
void daemon_pages_idle(struct daemon *d);

/* streams.c: the entries of a named stream and/or a search (serve_provider.get_query), the
 * feed already checked. 0, -ENOENT (no such stream), -EINVAL (a search the store refused,
 * why in err), or another negative code. */
int daemon_stream_query(struct daemon *d, const struct serve_query *q, struct stream_list *ret,
                        char *err, size_t errlen);
/* streams.c: hands cfg's named streams to the server. 0 or negative (logged). */
int daemon_streams_publish(struct daemon *d, const struct braid_config *cfg);
/* streams.c: writes the [output] dir: the whole stream's documents (style, with links to
 * the named streams added) and each named stream's four. 0 or negative with err set (the
 * first failure; the others are still written). */
int daemon_streams_export(struct daemon *d, const char *base_url,
                          const struct export_style *style, char *err, size_t errlen);
/* streams.c: after feeds.d lost feeds, a warning for each named stream that still names one
 * (the stream goes on without it; the next braid.conf reload is refused until it is fixed). */
void daemon_streams_warn_missing(struct daemon *d);
/* streams.c: the per-feed Prometheus series (polls by result, entries, last success), for at
 * most DAEMON_METRICS_MAX_FEEDS feeds. 0 or negative. */
#define DAEMON_METRICS_MAX_FEEDS 500
int daemon_feed_metrics(struct daemon *d, struct buf *out);

/* daemon.c: the running feed named name, or NULL. */
struct feed_rt *daemon_find_feed(struct daemon *d, const char *name);
/* provider.c: the server's callbacks; their userdata is the daemon. */
extern const struct serve_provider daemon_serve_provider;

/* Current time in UTC seconds. */
int64_t daemon_now(void);

#endif
