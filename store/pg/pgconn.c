/* pgconn.c — libpq's non-blocking API on a libuv loop (see pgconn.h for the states).
 *
 * One uv_poll_t follows PQsocket, which changes across connection attempts (and may change
 * inside one, as libpq tries the next address), so the poll handle is stopped before every
 * PQconnectPoll and a new one made when the socket differs: never two uv_poll_t on one fd,
 * never a closed fd left in epoll. One uv_timer_t bounds whatever the state waits for: the
 * connection attempt (CONNECTING, SETUP), the answer (BUSY) or the next attempt (WAITING). */
#include "pgconn.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"

enum query_kind {
  QUERY_USER,     /* from pgconn_query: has a callback */
  QUERY_SETUP,    /* SET statement_timeout, LISTEN ...: opens the session */
  QUERY_ROLLBACK, /* ends a transaction a user query left open */
};

struct pgquery {
  struct pgquery *next;
  enum query_kind kind;
  pgconn_result_cb cb;
  void *arg;
  int nparams;    /* -1: simple protocol (PQsendQuery) */
  const char *params[BRAID_PG_MAX_PARAMS]; /* into text, NULL for SQL NULL */
  char text[];    /* the SQL, then each non-NULL parameter, NUL-terminated */
};

/* A poll handle outlives the socket it watched until its close callback; it frees itself. */
struct pgpoll {
  uv_poll_t handle;
  struct pgconn *conn;
  int fd;
};

struct pgconn {
  uv_loop_t *loop;
  enum pgconn_state state;
  char *conninfo;
  struct pgconn_config cfg;        /* conninfo and channels point into our copies */
  char channels[BRAID_PG_MAX_CHANNELS][BRAID_PG_MAX_CHANNEL_BYTES + 1];
  size_t nchannels;
  PGconn *pg;                      /* NULL while WAITING and CLOSING */
  struct pgpoll *poll;             /* on PQsocket(pg), or NULL */
  uv_timer_t timer;
  struct pgquery *head, *tail;     /* queued, not sent */
  size_t queued;
  struct pgquery *inflight;        /* sent, result not complete */
  PGresult *result;                /* the result kept for inflight: first error, else last */
  unsigned backoff_ms;             /* the wait before the next attempt */
  unsigned sessions;               /* sessions set up */
  unsigned open_handles;           /* timer and poll handles not yet closed */
  bool down_reported;              /* on_state heard of this outage already */
  pgconn_closed_cb closed_cb;
  void *closed_arg;
  char message[BRAID_PG_MAX_ERROR_BYTES];
};

static void connect_begin(struct pgconn *c);
static void dispatch(struct pgconn *c);

const char *pgconn_state_name(enum pgconn_state s) {
  switch (s) {
  case PGCONN_WAITING: return "waiting";
  case PGCONN_CONNECTING: return "connecting";
  case PGCONN_SETUP: return "setup";
  case PGCONN_READY: return "ready";
  case PGCONN_BUSY: return "busy";
  case PGCONN_CLOSING: return "closing";
  }
  return "?";
}

enum pgconn_state pgconn_state(const struct pgconn *c) { return c->state; }
size_t pgconn_queued(const struct pgconn *c) { return c->queued; }
unsigned pgconn_sessions(const struct pgconn *c) { return c->sessions; }

/* The one place the state changes; the asserts are the diagram in pgconn.h. */
static void move(struct pgconn *c, enum pgconn_state to) {
  enum pgconn_state from = c->state;
  switch (to) {
  case PGCONN_CONNECTING: assert(from == PGCONN_WAITING); break;
  case PGCONN_SETUP: assert(from == PGCONN_CONNECTING); break;
  case PGCONN_READY: assert(from == PGCONN_SETUP || from == PGCONN_BUSY); break;
  case PGCONN_BUSY: assert(from == PGCONN_READY); break;
  case PGCONN_WAITING: assert(from != PGCONN_CLOSING && from != PGCONN_WAITING); break;
  case PGCONN_CLOSING: assert(from != PGCONN_CLOSING); break;
  }
  (void)from;
  c->state = to;
}

static void set_message(struct pgconn *c, const char *msg) {
  snprintf(c->message, sizeof c->message, "%s", msg ? msg : "");
  /* libpq ends its messages with a newline; a log field does not want it. */
  size_t n = strlen(c->message);
  while (n > 0 && (c->message[n - 1] == '\n' || c->message[n - 1] == ' '))
    c->message[--n] = '\0';
}

static void handle_closed(uv_handle_t *h) {
  struct pgconn *c = h->data;
  if (h->type == UV_POLL)
    free((struct pgpoll *)h); /* handle is its first member */
  assert(c->open_handles > 0);
  if (--c->open_handles > 0)
    return;
  pgconn_closed_cb cb = c->closed_cb;
  void *arg = c->closed_arg;
  free(c->conninfo);
  free(c);
  if (cb)
    cb(arg);
}

static void poll_drop(struct pgconn *c) {
  if (!c->poll)
    return;
  uv_poll_stop(&c->poll->handle);
  uv_close((uv_handle_t *)&c->poll->handle, handle_closed);
  c->poll = NULL;
}

static void on_poll(uv_poll_t *h, int status, int events);

/* Watches PQsocket for events; a new handle when the socket changed. */
static int poll_watch(struct pgconn *c, int events) {
  int fd = PQsocket(c->pg);
  if (fd < 0)
    return -EBADF;
  if (c->poll && c->poll->fd != fd)
    poll_drop(c);
  if (!c->poll) {
    struct pgpoll *p = calloc(1, sizeof *p);
    if (!p)
      return -ENOMEM;
    int rc = uv_poll_init_socket(c->loop, &p->handle, fd);
    if (rc < 0) {
      free(p);
      return rc;
    }
    p->conn = c;
    p->fd = fd;
    p->handle.data = c;
    c->poll = p;
    c->open_handles++;
  }
  return uv_poll_start(&c->poll->handle, events, on_poll);
}

static void timer_arm(struct pgconn *c, uv_timer_cb cb, uint64_t ms) {
  uv_timer_stop(&c->timer);
  uv_timer_start(&c->timer, cb, ms, 0);
}

/* Runs a query's callback (user queries only) and frees it. */
static void finish_query(struct pgquery *q, int status, const PGresult *res, const char *msg) {
  if (q->kind == QUERY_USER && q->cb)
    q->cb(q->arg, status, res, msg ? msg : "");
  free(q);
}

/* Ends every queued query with status; the list is detached first, so callbacks that queue
 * or close see an empty queue. */
static void fail_queued(struct pgconn *c, int status, const char *msg) {
  struct pgquery *q = c->head;
  c->head = c->tail = NULL;
  c->queued = 0;
  while (q) {
    struct pgquery *next = q->next;
    finish_query(q, status, NULL, msg);
    q = next;
  }
}

static void on_backoff(uv_timer_t *t);

/* Stops watching, then closes the socket (in that order: no closed fd left in epoll). */
static void drop_connection(struct pgconn *c) {
  uv_timer_stop(&c->timer);
  poll_drop(c);
  if (c->pg)
    PQfinish(c->pg);
  c->pg = NULL;
  PQclear(c->result);
  c->result = NULL;
}

/* The connection is gone or never came: drop it, fail what depended on it, and wait. */
static void lost(struct pgconn *c, int err, const char *msg) {
  set_message(c, msg && *msg ? msg : (c->pg ? PQerrorMessage(c->pg) : "connection lost"));
  drop_connection(c);
  /* Report a lost session, or a first failed attempt; not every retry of an outage. */
  bool report = !c->down_reported;
  c->down_reported = true;
  move(c, PGCONN_WAITING);
  /* Up to ±25% of jitter, so nodes that lost one server do not come back in step. */
  uint64_t wait = c->backoff_ms;
  wait = wait * 3 / 4 + (uv_hrtime() / 1000) % (wait / 2 + 1);
  timer_arm(c, on_backoff, wait);
  unsigned next = c->backoff_ms * 2;
  c->backoff_ms = next > c->cfg.backoff_max_ms || next < c->backoff_ms ? c->cfg.backoff_max_ms
                                                                       : next;
  char message[sizeof c->message];
  memcpy(message, c->message, sizeof message);
  struct pgquery *q = c->inflight;
  c->inflight = NULL;
  if (q)
    finish_query(q, err == -ETIMEDOUT ? err : -ECONNRESET, NULL, message);
  if (c->state != PGCONN_WAITING)
    return; /* a callback closed us */
  fail_queued(c, -ENOTCONN, message);
  if (c->state != PGCONN_WAITING)
    return;
  if (c->cfg.on_state && report)
    c->cfg.on_state(c->cfg.arg, false, err, message);
}

static void on_backoff(uv_timer_t *t) {
  struct pgconn *c = t->data;
  if (c->state == PGCONN_WAITING)
    connect_begin(c);
}

static void on_timeout(uv_timer_t *t) {
  struct pgconn *c = t->data;
  if (c->state == PGCONN_CONNECTING || c->state == PGCONN_SETUP)
    lost(c, -ETIMEDOUT, "connection attempt timed out");
  else if (c->state == PGCONN_BUSY)
    lost(c, -ETIMEDOUT, "no answer from the server in time");
}

/* Sends the head of the queue. */
static void send_head(struct pgconn *c) {
  struct pgquery *q = c->head;
  c->head = q->next;
  if (!c->head)
    c->tail = NULL;
  c->queued--;
  q->next = NULL;
  int ok = q->nparams < 0
               ? PQsendQuery(c->pg, q->text)
               : PQsendQueryParams(c->pg, q->text, q->nparams, NULL, q->params, NULL, NULL, 0);
  c->inflight = q;
  if (q->kind != QUERY_SETUP)
    move(c, PGCONN_BUSY);
  if (!ok) {
    lost(c, -EIO, NULL);
    return;
  }
  if (q->kind != QUERY_SETUP)
    timer_arm(c, on_timeout, (uint64_t)c->cfg.statement_timeout_ms + BRAID_PG_ANSWER_GRACE_MS);
  int f = PQflush(c->pg);
  int rc = f < 0 ? -EIO : poll_watch(c, f == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE);
  if (rc < 0)
    lost(c, rc, NULL);
}

static void dispatch(struct pgconn *c) {
  if (c->state == PGCONN_READY && c->head)
    send_head(c);
}

/* The inflight query's results are all in: report it and move on. */
static void complete(struct pgconn *c) {
  struct pgquery *q = c->inflight;
  PGresult *res = c->result;
  c->inflight = NULL;
  c->result = NULL;
  uv_timer_stop(&c->timer);
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  bool failed = st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY;
  int status = failed ? -EIO : 0;
  const char *msg = failed ? (res ? PQresultErrorMessage(res) : "no result") : "";
  PGTransactionStatusType ts = PQtransactionStatus(c->pg);
  if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
    /* Every query is its own transaction: one left open would swallow the next caller's. */
    struct pgquery *rb = calloc(1, sizeof *rb + sizeof "ROLLBACK");
    if (!rb) {
      lost(c, -ENOMEM, "out of memory");
      PQclear(res);
      free(q);
      return;
    }
    rb->kind = QUERY_ROLLBACK;
    rb->nparams = -1;
    memcpy(rb->text, "ROLLBACK", sizeof "ROLLBACK");
    rb->next = c->head;
    c->head = rb;
    if (!c->tail)
      c->tail = rb;
    c->queued++;
    status = -EINVAL;
    msg = "the query left a transaction open; it was rolled back";
  }
  set_message(c, msg);
  if (q->kind == QUERY_SETUP) {
    free(q);
    PQclear(res);
    if (status < 0) {
      lost(c, status, c->message);
      return;
    }
    move(c, PGCONN_READY);
    c->sessions++;
    c->backoff_ms = c->cfg.backoff_min_ms;
    c->down_reported = false;
    if (c->cfg.on_state)
      c->cfg.on_state(c->cfg.arg, true, 0, "");
  } else {
    move(c, PGCONN_READY);
    char message[sizeof c->message];
    memcpy(message, c->message, sizeof message);
    finish_query(q, status, status == 0 || status == -EIO ? res : NULL, message);
    PQclear(res);
  }
  if (c->state == PGCONN_READY)
    dispatch(c);
}

/* Reads what the server sent: results of the inflight query, then notifications. */
static void drain(struct pgconn *c) {
  while (c->inflight && (c->state == PGCONN_BUSY || c->state == PGCONN_SETUP) &&
         !PQisBusy(c->pg)) {
    PGresult *r = PQgetResult(c->pg);
    if (!r) {
      complete(c);
      continue;
    }
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
      PQclear(r);
      lost(c, -EPROTO, "COPY is not supported on this connection");
      return;
    }
    bool keep_old = c->result && PQresultStatus(c->result) == PGRES_FATAL_ERROR;
    if (keep_old) {
      PQclear(r);
    } else {
      PQclear(c->result);
      c->result = r;
    }
  }
  PGnotify *n;
  while (c->pg && c->state != PGCONN_CLOSING && c->state != PGCONN_WAITING &&
         (n = PQnotifies(c->pg)) != NULL) {
    if (c->cfg.on_notify)
      c->cfg.on_notify(c->cfg.arg, n->relname, n->extra, n->be_pid);
    PQfreemem(n);
  }
}

static void connect_step(struct pgconn *c) {
  uv_poll_stop(&c->poll->handle); /* libpq may close this socket inside PQconnectPoll */
  PostgresPollingStatusType ps = PQconnectPoll(c->pg);
  int rc = 0;
  switch (ps) {
  case PGRES_POLLING_READING: rc = poll_watch(c, UV_READABLE); break;
  case PGRES_POLLING_WRITING: rc = poll_watch(c, UV_WRITABLE); break;
  case PGRES_POLLING_OK: {
    if (PQsetnonblocking(c->pg, 1) != 0) {
      lost(c, -EIO, NULL);
      return;
    }
    move(c, PGCONN_SETUP);
    assert(c->head && c->head->kind == QUERY_SETUP); /* connect_begin put it there */
    send_head(c);
    return;
  }
  default: lost(c, -ECONNREFUSED, NULL); return;
  }
  if (rc < 0)
    lost(c, rc, NULL);
}

/* Builds the session's setup statement and puts it at the head of the queue. */
static int queue_setup(struct pgconn *c) {
  char sql[128 + BRAID_PG_MAX_CHANNELS * (BRAID_PG_MAX_CHANNEL_BYTES + 16)];
  int n = snprintf(sql, sizeof sql,
                   "SET statement_timeout = %u; SET idle_in_transaction_session_timeout = %u;",
                   c->cfg.statement_timeout_ms, c->cfg.statement_timeout_ms);
  for (size_t i = 0; i < c->nchannels; i++)
    n += snprintf(sql + n, sizeof sql - (size_t)n, " LISTEN \"%s\";", c->channels[i]);
  struct pgquery *q = calloc(1, sizeof *q + (size_t)n + 1);
  if (!q)
    return -ENOMEM;
  q->kind = QUERY_SETUP;
  q->nparams = -1;
  memcpy(q->text, sql, (size_t)n + 1);
  q->next = c->head;
  c->head = q;
  if (!c->tail)
    c->tail = q;
  c->queued++;
  return 0;
}

/* Server notices (WARNING before an immediate shutdown, NOTICE from DDL) are not errors, and a
 * module below the daemon writes nothing to stderr: the failures they precede arrive as errors. */
static void ignore_notice(void *arg, const char *message) {
  (void)arg;
  (void)message;
}

static void connect_begin(struct pgconn *c) {
  move(c, PGCONN_CONNECTING);
  timer_arm(c, on_timeout, c->cfg.connect_timeout_ms);
  int rc = queue_setup(c);
  if (rc < 0) {
    lost(c, rc, "out of memory");
    return;
  }
  c->pg = PQconnectStart(c->conninfo);
  if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
    lost(c, c->pg ? -ECONNREFUSED : -ENOMEM, NULL);
    return;
  }
  PQsetNoticeProcessor(c->pg, ignore_notice, NULL);
  /* "Consider a status of PGRES_POLLING_WRITING at the beginning" (libpq's manual). */
  rc = poll_watch(c, UV_WRITABLE);
  if (rc < 0)
    lost(c, rc, NULL);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  struct pgconn *c = h->data;
  if (c->state == PGCONN_CONNECTING) {
    connect_step(c);
    return;
  }
  if (status < 0) {
    lost(c, status, uv_strerror(status));
    return;
  }
  if (events & UV_WRITABLE) {
    int f = PQflush(c->pg);
    int rc = f < 0 ? -EIO : poll_watch(c, f == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE);
    if (rc < 0) {
      lost(c, rc, NULL);
      return;
    }
  }
  if (events & UV_READABLE) {
    if (!PQconsumeInput(c->pg)) {
      lost(c, -ECONNRESET, NULL);
      return;
    }
    drain(c);
  }
  if (c->pg && c->state != PGCONN_WAITING && c->state != PGCONN_CLOSING &&
      PQstatus(c->pg) == CONNECTION_BAD)
    lost(c, -ECONNRESET, NULL);
}

/* Channel names go into LISTEN unquoted-safe: letters, digits, '_'. */
static bool channel_ok(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > BRAID_PG_MAX_CHANNEL_BYTES)
    return false;
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '_'))
      return false;
  return true;
}

static int config_check(const struct pgconn_config *cfg) {
  if (!cfg->conninfo || strlen(cfg->conninfo) > BRAID_PG_MAX_CONNINFO_BYTES ||
      cfg->connect_timeout_ms == 0 || cfg->statement_timeout_ms == 0 ||
      cfg->backoff_min_ms == 0 || cfg->backoff_max_ms < cfg->backoff_min_ms)
    return -EINVAL;
  size_t n = 0;
  for (; cfg->channels && cfg->channels[n]; n++)
    if (n == BRAID_PG_MAX_CHANNELS || !channel_ok(cfg->channels[n]))
      return -EINVAL;
  char *err = NULL;
  PQconninfoOption *opts = PQconninfoParse(cfg->conninfo, &err);
  PQfreemem(err);
  if (!opts)
    return -EINVAL;
  PQconninfoFree(opts);
  return 0;
}

int pgconn_new(uv_loop_t *loop, const struct pgconn_config *cfg, struct pgconn **ret) {
  *ret = NULL;
  int rc = config_check(cfg);
  if (rc < 0)
    return rc;
  struct pgconn *c = calloc(1, sizeof *c);
  if (!c || !(c->conninfo = strdup(cfg->conninfo))) {
    free(c);
    return -ENOMEM;
  }
  c->loop = loop;
  c->cfg = *cfg;
  c->cfg.conninfo = c->conninfo;
  c->cfg.channels = NULL;
  for (; cfg->channels && cfg->channels[c->nchannels]; c->nchannels++)
    memcpy(c->channels[c->nchannels], cfg->channels[c->nchannels],
           strlen(cfg->channels[c->nchannels]) + 1);
  c->backoff_ms = cfg->backoff_min_ms;
  rc = uv_timer_init(loop, &c->timer);
  if (rc < 0) {
    free(c->conninfo);
    free(c);
    return rc;
  }
  c->timer.data = c;
  c->open_handles = 1;
  c->state = PGCONN_WAITING;
  connect_begin(c); /* a failure here is reported through on_state and retried */
  *ret = c;
  return 0;
}

int pgconn_query(struct pgconn *c, const char *sql, int nparams, const char *const *params,
                 pgconn_result_cb cb, void *arg) {
  if (c->state == PGCONN_CLOSING)
    return -ECANCELED;
  if (c->state == PGCONN_WAITING)
    return -ENOTCONN;
  if (nparams < 0 || nparams > BRAID_PG_MAX_PARAMS)
    return -E2BIG;
  if (c->queued >= BRAID_PG_MAX_QUEUED)
    return -ENOBUFS;
  size_t total = strlen(sql) + 1;
  for (int i = 0; i < nparams && total <= BRAID_PG_MAX_QUERY_BYTES; i++)
    total += params[i] ? strnlen(params[i], BRAID_PG_MAX_QUERY_BYTES) + 1 : 0;
  if (total > BRAID_PG_MAX_QUERY_BYTES)
    return -E2BIG;
  struct pgquery *q = calloc(1, sizeof *q + total);
  if (!q)
    return -ENOMEM;
  q->kind = QUERY_USER;
  q->cb = cb;
  q->arg = arg;
  q->nparams = nparams == 0 ? -1 : nparams;
  size_t off = strlen(sql) + 1;
  memcpy(q->text, sql, off);
  for (int i = 0; i < nparams; i++) {
    if (!params[i])
      continue;
    size_t n = strlen(params[i]) + 1;
    memcpy(q->text + off, params[i], n);
    q->params[i] = q->text + off;
    off += n;
  }
  if (c->tail)
    c->tail->next = q;
  else
    c->head = q;
  c->tail = q;
  c->queued++;
  dispatch(c);
  return 0;
}

void pgconn_close(struct pgconn *c, pgconn_closed_cb closed_cb, void *arg) {
  if (!c || c->state == PGCONN_CLOSING)
    return;
  move(c, PGCONN_CLOSING);
  c->closed_cb = closed_cb;
  c->closed_arg = arg;
  drop_connection(c);
  struct pgquery *q = c->inflight;
  c->inflight = NULL;
  if (q)
    finish_query(q, -ECANCELED, NULL, "connection closed");
  fail_queued(c, -ECANCELED, "connection closed");
  uv_close((uv_handle_t *)&c->timer, handle_closed);
}
