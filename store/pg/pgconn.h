/* pgconn.h — one PostgreSQL connection on the libuv loop, never blocking it.
 *
 * Promise: libpq's non-blocking API (PQconnectStart/PQconnectPoll, PQsendQuery[Params],
 * PQflush, PQconsumeInput, PQisBusy, PQgetResult) driven by one uv_poll_t on PQsocket and one
 * uv_timer_t; nothing here waits on the network. Queries run one at a time in the order they
 * were queued; each is its own transaction (a query that leaves one open is rolled back and
 * fails). Every wait is bounded: the connection attempt by connect_timeout_ms, each statement
 * by the session's statement_timeout (set on every new session) and, should the server stop
 * answering, by statement_timeout + BRAID_PG_ANSWER_GRACE_MS on the client's side (for a
 * multi-statement query as a whole, while the server times each statement: keep those short).
 * When the server goes away the connection retries with capped exponential backoff and
 * re-LISTENs.
 *
 * The states and what moves them (pgconn_state_name gives the names):
 *
 *   pgconn_new ─> CONNECTING ─(CONNECTION_OK)─> SETUP ─(SET/LISTEN done)─> READY <─> BUSY
 *                   │   ▲                         │                          │        │
 *   failed/timed out│   │backoff timer            │   server gone, timeout   │        │
 *                   ▼   │                         ▼                          ▼        ▼
 *                  WAITING <───────────────────────────────────────────────────────────
 *   pgconn_close, from any state ─> CLOSING ─(every handle closed)─> freed, closed_cb
 *
 * Completion: pgconn_query returning 0 means its callback runs exactly once, later, from the
 * loop — with the result, or with an error: -EIO (the server refused the statement: res is the
 * error result, with its SQLSTATE), -EINVAL (it left a transaction open), -ECONNRESET (the
 * connection broke while it ran: it may or may not have committed), -ETIMEDOUT (no answer in
 * time: same), -ENOTCONN (the connection broke before it was sent: it did not run),
 * -ECANCELED (pgconn_close). Queries are accepted while CONNECTING, SETUP, READY and BUSY and
 * refused with -ENOTCONN while WAITING: the caller keeps what it must not lose and retries
 * after on_state reports the connection back. Callbacks may queue queries and may call
 * pgconn_close; the pgconn is freed only later, from the loop.
 *
 * libpq buffers a result whole before handing it over: callers bound result sizes in their SQL
 * (LIMIT), as pgfeeds does.
 *
 * This module does not log (it is below the daemon): on_state hands the daemon libpq's message,
 * which never contains the password; pgconn_conninfo_redact renders the connection string for
 * a log line.
 */
#ifndef BRAID_PGCONN_H
#define BRAID_PGCONN_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

struct pgconn;

enum pgconn_state {
  PGCONN_WAITING,    /* no connection; the backoff timer will start the next attempt */
  PGCONN_CONNECTING, /* PQconnectPoll under way, bounded by connect_timeout_ms */
  PGCONN_SETUP,      /* connected; the session's SET and LISTEN statements in flight */
  PGCONN_READY,      /* connected, nothing in flight */
  PGCONN_BUSY,       /* one query in flight */
  PGCONN_CLOSING,    /* pgconn_close called; waiting for the handles to close */
};

/* res: valid only during the call (pgconn clears it afterwards); NULL when status is not 0 or
 * -EIO. message: the server's or libpq's error text (cut to BRAID_PG_MAX_ERROR_BYTES), "" on
 * success. */
typedef void (*pgconn_result_cb)(void *arg, int status, const PGresult *res, const char *message);
/* A NOTIFY on one of the channels, delivered once its transaction committed. */
typedef void (*pgconn_notify_cb)(void *arg, const char *channel, const char *payload,
                                 int sender_pid);
/* connected: the session is set up (after a first connect or a reconnect) or it was lost
 * (err < 0, message from libpq, for the log). */
typedef void (*pgconn_state_cb)(void *arg, bool connected, int err, const char *message);
typedef void (*pgconn_closed_cb)(void *arg);

struct pgconn_config {
  const char *conninfo;          /* libpq URI or keyword string; copied */
  unsigned connect_timeout_ms;   /* one connection attempt, socket to session */
  unsigned statement_timeout_ms; /* SET statement_timeout on every session; > 0 */
  unsigned backoff_min_ms;       /* first retry after a failure; doubles per failure ... */
  unsigned backoff_max_ms;       /* ... up to this; a session that comes up resets it */
  const char *const *channels;   /* NULL-terminated channels to LISTEN on, or NULL; copied;
                                    each 1..BRAID_PG_MAX_CHANNEL_BYTES of [A-Za-z0-9_] */
  pgconn_state_cb on_state;      /* may be NULL */
  pgconn_notify_cb on_notify;    /* may be NULL */
  void *arg;                     /* for on_state and on_notify */
};

/* Starts connecting at once (a failure to even start is reported through on_state, possibly
 * before this returns, and retried). -EINVAL for a bad config (zero timeouts, too many or bad channel
 * names, a conninfo libpq cannot parse or longer than BRAID_PG_MAX_CONNINFO_BYTES), -ENOMEM,
 * or a libuv error. On success the caller owns *ret and ends it with pgconn_close. */
int pgconn_new(uv_loop_t *loop, const struct pgconn_config *cfg, struct pgconn **ret);

/* Queues sql with nparams text parameters (params[i] NULL is SQL NULL; $1 .. $n in sql).
 * With nparams == 0 the simple protocol is used, so sql may hold several statements, which
 * then run as one transaction (res is the last statement's). Copies sql and params.
 * Returns 0 (cb will run exactly once), -ENOTCONN (WAITING), -ECANCELED (CLOSING),
 * -ENOBUFS (BRAID_PG_MAX_QUEUED waiting), -E2BIG (over BRAID_PG_MAX_QUERY_BYTES or
 * BRAID_PG_MAX_PARAMS), -ENOMEM. */
int pgconn_query(struct pgconn *c, const char *sql, int nparams, const char *const *params,
                 pgconn_result_cb cb, void *arg);

/* Fails the queued and running queries with -ECANCELED, closes the connection and the handles;
 * closed_cb (may be NULL) runs from the loop once c is freed. c must not be used after. A
 * second call is ignored. */
void pgconn_close(struct pgconn *c, pgconn_closed_cb closed_cb, void *arg);

enum pgconn_state pgconn_state(const struct pgconn *c);
const char *pgconn_state_name(enum pgconn_state s);
/* Queries queued and not yet sent. */
size_t pgconn_queued(const struct pgconn *c);
/* Sessions set up so far (1 after the first connect, 2 after one reconnect, ...). */
unsigned pgconn_sessions(const struct pgconn *c);

/* Renders conninfo for a log line with every password removed (password, sslpassword, a
 * password inside a URI's user info or query): the options libpq parsed, as `key=value`
 * pairs, values quoted as libpq reads them. Cut to fit size (ending "..."), always
 * NUL-terminated when size > 0. Returns 0, -E2BIG when cut, or -EINVAL when libpq cannot parse
 * it (out then says so and holds nothing of conninfo). */
int pgconn_conninfo_redact(const char *conninfo, char *out, size_t size);

#endif
