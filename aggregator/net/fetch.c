/* fetch.c — libcurl multi on a libuv loop (see fetch.h). Socket and timer plumbing follows
 * curl's docs/examples/multi-uv.c; response header parsing is in fetch_headers.c. */
#include "fetch.h"

#include <assert.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "defaults.h"
#include "feedurl.h"
#include "fetch_internal.h"

/* A socket curl asked us to watch. Never two on one fd: curl_multi_assign keeps the one. */
struct sock_ctx {
  uv_poll_t poll;
  curl_socket_t fd;
  struct fetcher *f;
  struct sock_ctx *next, *prev;
};

struct fetcher {
  uv_loop_t *loop;
  uv_timer_t timer;
  uv_timer_t defer;           /* ends jobs refused before curl saw them, on the next turn */
  CURLM *multi;
  CURLSH *share;
  struct fetch_limits lim;
  struct fetch_public_nets public_nets; /* test only: see fetch_internal.h */
  char *user_agent;
  char *ca_file;              /* copy of limits->ca_file, or NULL */
  struct fetch_job *jobs;     /* every job not yet ended */
  struct sock_ctx *socks;     /* every socket being watched */
  size_t active;
  unsigned dispatch_depth;    /* >0 while curl or on_done is running: free must wait */
  bool cancel_pending;        /* some job asked to be cancelled while curl was running */
  bool in_curl;               /* inside curl_multi_socket_action */
  unsigned pending_closes;    /* uv handles whose close callback has not run */
  bool closing;               /* fetcher_free ran: no new jobs, free when handles closed */
  bool free_deferred;         /* fetcher_free was asked for from inside a callback */
};

static const char *const outcome_names[] = {
    [FETCH_OK] = "ok",
    [FETCH_NOT_MODIFIED] = "not-modified",
    [FETCH_HTTP_ERROR] = "http-error",
    [FETCH_LIMIT_CONNECT_TIMEOUT] = "connect-timeout",
    [FETCH_LIMIT_TIMEOUT] = "timeout",
    [FETCH_LIMIT_LOW_SPEED] = "low-speed",
    [FETCH_LIMIT_MAX_BYTES] = "max-bytes",
    [FETCH_LIMIT_MAX_REDIRECTS] = "max-redirects",
    [FETCH_REDIRECT_LOOP] = "redirect-loop",
    [FETCH_REDIRECT_REFUSED] = "redirect-refused",
    [FETCH_NETWORK_ERROR] = "network-error",
    [FETCH_ABORTED] = "aborted",
    [FETCH_CANCELLED] = "cancelled",
};

const char *fetch_outcome_name(enum fetch_outcome o) {
  if ((unsigned)o < sizeof outcome_names / sizeof outcome_names[0] && outcome_names[o])
    return outcome_names[o];
  return "unknown";
}

/* A monotonic clock in milliseconds. Not uv_now(): that is the loop's time, cached when the
 * iteration began, so a job that ends in the same iteration as a long callback before it
 * would look seconds shorter than it took, and a redirect chain could outlive its timeout. */
static uint64_t now_ms(void) { return uv_hrtime() / 1000000; }

static void release_if_closed(struct fetcher *f) {
  if (!f->closing || f->pending_closes || f->dispatch_depth)
    return;
  free(f->user_agent);
  free(f->ca_file);
  free(f);
  curl_global_cleanup();
}

static void handle_closed(uv_handle_t *h) {
  struct fetcher *f = h->data;
  if (h->type == UV_POLL)
    free(container_of((uv_poll_t *)h, struct sock_ctx, poll));
  f->pending_closes--;
  release_if_closed(f);
}

static void sock_close(struct fetcher *f, struct sock_ctx *c) {
  uv_poll_stop(&c->poll);
  if (c->prev)
    c->prev->next = c->next;
  else
    f->socks = c->next;
  if (c->next)
    c->next->prev = c->prev;
  f->pending_closes++;
  c->poll.data = f;
  uv_close((uv_handle_t *)&c->poll, handle_closed);
}

/* ---- job life cycle ---- */

void fetch_job_set_state(struct fetch_job *j, enum fetch_job_state to) {
  /* Bit s of allowed[from]: the move from -> s is in fetch_internal.h's diagram. */
#define B(s) (1u << (s))
  static const unsigned allowed[] = {
      [JOB_NEW] = B(JOB_IN_MULTI) | B(JOB_REFUSED),
      [JOB_REFUSED] = B(JOB_ENDING),
      [JOB_IN_MULTI] = B(JOB_IN_CALLBACK) | B(JOB_HOP) | B(JOB_ENDING),
      [JOB_IN_CALLBACK] = B(JOB_IN_MULTI),
      [JOB_HOP] = B(JOB_IN_MULTI) | B(JOB_ENDING),
      [JOB_ENDING] = 0,
  };
#undef B
  /* Checked in release builds too: a move outside the diagram is a bug that would otherwise
   * show up later as a use after free or a second on_done. */
  if ((unsigned)j->state >= sizeof allowed / sizeof allowed[0] ||
      !(allowed[j->state] & (1u << to))) {
    fprintf(stderr, "braid: fetch job state %d -> %d is not a transition\n", (int)j->state,
            (int)to);
    abort();
  }
  j->state = to;
}

static void job_unlink_free(struct fetch_job *j) {
  struct fetcher *f = j->f;
  assert(j->state == JOB_NEW || j->state == JOB_ENDING); /* never while curl holds it */
  if (j->prev)
    j->prev->next = j->next;
  else
    f->jobs = j->next;
  if (j->next)
    j->next->prev = j->prev;
  f->active--;
  if (j->easy)
    curl_easy_cleanup(j->easy);
  curl_slist_free_all(j->req_headers);
  for (unsigned i = 0; i < j->nvisited; i++)
    free(j->visited[i]);
  free(j->visited);
  free(j->url);
  free(j->permanent_url);
  free(j);
}

/* Delivers on_headers if it has not run; returns non-zero if the job must stop. */
int fetch_job_deliver_headers(struct fetch_job *j) {
  if (j->headers_delivered)
    return 0;
  j->headers_delivered = true;
  fetch_job_fill_headers(j);
  if (!j->cb.on_headers)
    return 0;
  fetch_job_set_state(j, JOB_IN_CALLBACK);
  int rc = j->cb.on_headers(j->userdata, j->h.status, &j->h);
  fetch_job_set_state(j, JOB_IN_MULTI);
  if (rc)
    j->aborted = true;
  return rc || j->cancel_requested;
}

static void job_end(struct fetch_job *j, enum fetch_outcome outcome, const char *error) {
  struct fetcher *f = j->f;
  if (j->state == JOB_ENDING)
    return;
  if (j->state == JOB_IN_MULTI)
    curl_multi_remove_handle(f->multi, j->easy);
  fetch_job_set_state(j, JOB_ENDING);
  fetch_job_fill_headers(j);
  struct fetch_result r = {
      .outcome = outcome,
      .status = j->h.status,
      .headers = &j->h,
      .body_bytes = j->body_bytes,
      .elapsed_ms = (int64_t)(now_ms() - j->start_ms),
      .error = error ? error : "",
  };
  f->dispatch_depth++;
  j->cb.on_done(j->userdata, &r);
  f->dispatch_depth--;
  job_unlink_free(j);
  if (f->free_deferred && f->dispatch_depth == 0) {
    f->free_deferred = false;
    fetcher_free(f);
  }
}

/* Sets the per-hop options and hands the easy handle to the multi. */
static int job_launch(struct fetch_job *j) {
  struct fetcher *f = j->f;
  int64_t spent = (int64_t)(now_ms() - j->start_ms);
  int64_t left = f->lim.total_timeout_ms - spent;
  if (left < 1)
    left = 1;
  fetch_job_reset_response(j);
  if (curl_easy_setopt(j->easy, CURLOPT_URL, j->url) != CURLE_OK ||
      curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS, (long)left) != CURLE_OK)
    return -EIO;
  if (curl_multi_add_handle(f->multi, j->easy) != CURLM_OK)
    return -EIO;
  fetch_job_set_state(j, JOB_IN_MULTI);
  return 0;
}

/* A hop answered with a redirect: follow it, or end the job saying why not. */
static void job_follow(struct fetch_job *j) {
  struct fetcher *f = j->f;
  char *target = NULL;
  if (curl_easy_getinfo(j->easy, CURLINFO_REDIRECT_URL, &target) != CURLE_OK || !target) {
    job_end(j, FETCH_REDIRECT_REFUSED, "redirect without a usable Location");
    return;
  }
  if (strlen(target) > BRAID_FETCH_MAX_URL_BYTES) {
    job_end(j, FETCH_REDIRECT_REFUSED, "redirect URL longer than BRAID_FETCH_MAX_URL_BYTES");
    return;
  }
  if (strncasecmp(target, "http://", 7) != 0 && strncasecmp(target, "https://", 8) != 0) {
    job_end(j, FETCH_REDIRECT_REFUSED, "redirect to a scheme other than http or https");
    return;
  }
  for (unsigned i = 0; i < j->nvisited; i++)
    if (strcmp(j->visited[i], target) == 0) {
      job_end(j, FETCH_REDIRECT_LOOP, "redirect loop");
      return;
    }
  if (j->hops >= f->lim.max_redirects) {
    char msg[96];
    snprintf(msg, sizeof msg, "more than %u redirects (max_redirects)", f->lim.max_redirects);
    job_end(j, FETCH_LIMIT_MAX_REDIRECTS, msg);
    return;
  }
  char *next = strdup(target); /* target belongs to the easy handle */
  if (!next) {
    job_end(j, FETCH_NETWORK_ERROR, "out of memory");
    return;
  }
  long status = j->status;
  j->hops++;
  if (j->all_permanent && (status == 301 || status == 308)) {
    free(j->permanent_url);
    j->permanent_url = strdup(next);
  } else {
    j->all_permanent = false;
  }
  curl_multi_remove_handle(f->multi, j->easy);
  fetch_job_set_state(j, JOB_HOP);
  /* The validators belong to the first URL; another one (maybe on another host) gets none. */
  curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt(j->easy, CURLOPT_TIMECONDITION, (long)CURL_TIMECOND_NONE);
  free(j->url);
  j->url = next;
  j->visited[j->nvisited++] = strdup(next);
  if (!j->visited[j->nvisited - 1] || job_launch(j) < 0)
    job_end(j, FETCH_NETWORK_ERROR, "could not start the redirected request");
}

static void job_completed(struct fetch_job *j, CURLcode res) {
  if (j->addr_refused && !j->cancel_requested) {
    /* Not even a 301 to such a place may be remembered. */
    free(j->permanent_url);
    j->permanent_url = NULL;
    j->all_permanent = false;
    job_end(j, FETCH_REDIRECT_REFUSED, j->addr_msg);
    return;
  }
  if (j->cancel_requested) {
    job_end(j, FETCH_CANCELLED, "cancelled");
    return;
  }
  if (j->aborted) {
    job_end(j, FETCH_ABORTED, "aborted by the caller");
    return;
  }
  /* An error page too big to read is still, first of all, an error status. */
  bool error_status = j->headers_done && !j->is_redirect && j->status >= 300 && j->status != 304;
  if ((j->cap_hit || res == CURLE_FILESIZE_EXCEEDED) && !error_status) {
    char msg[96];
    snprintf(msg, sizeof msg, "body larger than %llu bytes (max_bytes)",
             (unsigned long long)j->f->lim.max_bytes);
    job_end(j, FETCH_LIMIT_MAX_BYTES, msg);
    return;
  }
  if (res == CURLE_OK || error_status) {
    if (j->is_redirect) {
      job_follow(j);
      return;
    }
    long unmet = 0;
    if (j->is_file && curl_easy_getinfo(j->easy, CURLINFO_CONDITION_UNMET, &unmet) == CURLE_OK &&
        unmet)
      j->status = 304;
    else if (j->is_file)
      j->status = 200;
    if (fetch_job_deliver_headers(j)) {
      job_end(j, j->cancel_requested ? FETCH_CANCELLED : FETCH_ABORTED,
              j->cancel_requested ? "cancelled" : "aborted by the caller");
      return;
    }
    if (j->status == 304)
      job_end(j, FETCH_NOT_MODIFIED, NULL);
    else if (j->status >= 200 && j->status < 300)
      job_end(j, FETCH_OK, NULL);
    else {
      char msg[64];
      snprintf(msg, sizeof msg, "HTTP status %ld", j->status);
      job_end(j, FETCH_HTTP_ERROR, msg);
    }
    return;
  }
  const char *detail = j->errbuf[0] ? j->errbuf : curl_easy_strerror(res);
  if (res == CURLE_OPERATION_TIMEDOUT) {
    curl_off_t connect_us = 0;
    curl_easy_getinfo(j->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
    if (strncmp(j->errbuf, "Operation too slow", 18) == 0)
      job_end(j, FETCH_LIMIT_LOW_SPEED, detail);
    else if (connect_us == 0 && strncmp(j->errbuf, "Operation timed out", 19) != 0)
      job_end(j, FETCH_LIMIT_CONNECT_TIMEOUT, detail); /* timed out before connecting */
    else
      job_end(j, FETCH_LIMIT_TIMEOUT, detail);
    return;
  }
  if (res == CURLE_TOO_MANY_REDIRECTS) {
    job_end(j, FETCH_LIMIT_MAX_REDIRECTS, detail);
    return;
  }
  job_end(j, FETCH_NETWORK_ERROR, detail);
}

static void check_completions(struct fetcher *f) {
  CURLMsg *msg;
  int pending;
  while (!f->free_deferred && (msg = curl_multi_info_read(f->multi, &pending))) {
    if (msg->msg != CURLMSG_DONE)
      continue;
    struct fetch_job *j = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
    CURLcode res = msg->data.result;
    if (j && j->state != JOB_ENDING)
      job_completed(j, res);
  }
}

/* Ends the jobs whose cancellation was asked for while curl could not let go of them. */
static void sweep_cancels(struct fetcher *f) {
  if (!f->cancel_pending)
    return;
  f->cancel_pending = false;
  for (struct fetch_job *j = f->jobs, *next; j && !f->free_deferred; j = next) {
    next = j->next;
    if (j->state == JOB_REFUSED) {
      job_end(j, FETCH_NETWORK_ERROR, j->errbuf);
      next = f->jobs;
    } else if (j->cancel_requested && j->state != JOB_ENDING && j->state != JOB_IN_CALLBACK) {
      job_end(j, FETCH_CANCELLED, "cancelled");
      next = f->jobs; /* on_done may have changed the list: start over */
    }
  }
}

/* One curl_multi_socket_action, then whatever it finished. Callbacks that run inside it
 * (on_headers, on_data) cannot remove handles, so frees and cancels they ask for wait. */
static void drive(struct fetcher *f, curl_socket_t fd, int flags) {
  int running;
  f->dispatch_depth++;
  f->in_curl = true;
  curl_multi_socket_action(f->multi, fd, flags, &running);
  f->in_curl = false;
  check_completions(f);
  sweep_cancels(f);
  f->dispatch_depth--;
  if (f->free_deferred && f->dispatch_depth == 0) {
    f->free_deferred = false;
    fetcher_free(f);
  }
}

/* ---- curl <-> uv plumbing ---- */

static void on_poll(uv_poll_t *h, int status, int events) {
  struct sock_ctx *c = container_of(h, struct sock_ctx, poll);
  struct fetcher *f = c->f;
  int flags = 0;
  if (status < 0)
    flags = CURL_CSELECT_ERR;
  else {
    if (events & UV_READABLE)
      flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
      flags |= CURL_CSELECT_OUT;
  }
  drive(f, c->fd, flags);
}

static void on_defer(uv_timer_t *t) {
  struct fetcher *f = t->data;
  f->dispatch_depth++;
  sweep_cancels(f);
  f->dispatch_depth--;
  if (f->free_deferred && f->dispatch_depth == 0) {
    f->free_deferred = false;
    fetcher_free(f);
  }
}

static void on_timer(uv_timer_t *t) {
  struct fetcher *f = t->data;
  drive(f, CURL_SOCKET_TIMEOUT, 0);
}

static int curl_timer_cb(CURLM *multi, long timeout_ms, void *userp) {
  struct fetcher *f = userp;
  (void)multi;
  if (f->closing)
    return 0;
  if (timeout_ms < 0)
    uv_timer_stop(&f->timer);
  else
    uv_timer_start(&f->timer, on_timer, (uint64_t)timeout_ms, 0);
  return 0;
}

static int curl_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp) {
  struct fetcher *f = userp;
  struct sock_ctx *c = socketp;
  (void)easy;
  if (what == CURL_POLL_REMOVE) {
    if (c) {
      curl_multi_assign(f->multi, s, NULL);
      sock_close(f, c);
    }
    return 0;
  }
  if (f->closing)
    return -1;
  if (!c) {
    c = calloc(1, sizeof *c);
    if (!c)
      return -1;
    if (uv_poll_init_socket(f->loop, &c->poll, s) < 0) {
      free(c);
      return -1;
    }
    c->fd = s;
    c->f = f;
    c->poll.data = f;
    c->next = f->socks;
    if (f->socks)
      f->socks->prev = c;
    f->socks = c;
    curl_multi_assign(f->multi, s, c);
  }
  int events = 0;
  if (what & CURL_POLL_IN)
    events |= UV_READABLE;
  if (what & CURL_POLL_OUT)
    events |= UV_WRITABLE;
  return uv_poll_start(&c->poll, events, on_poll) < 0 ? -1 : 0;
}

/* ---- public API ---- */

int fetcher_new(uv_loop_t *loop, const struct fetch_limits *limits, struct fetcher **ret) {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return -EIO;
  struct fetcher *f = calloc(1, sizeof *f);
  if (!f) {
    curl_global_cleanup();
    return -ENOMEM;
  }
  f->loop = loop;
  if (fetch_public_nets_parse(getenv("BRAID_TEST_PUBLIC_NETS"), &f->public_nets) < 0) {
    free(f);
    curl_global_cleanup();
    return -EINVAL;
  }
  if (limits)
    f->lim = *limits;
  struct fetch_limits *l = &f->lim;
  if (!l->connect_timeout_ms)
    l->connect_timeout_ms = BRAID_DEFAULT_POLL_CONNECT_TIMEOUT_S * 1000;
  if (!l->total_timeout_ms)
    l->total_timeout_ms = BRAID_DEFAULT_POLL_TIMEOUT_S * 1000;
  if (!l->low_speed_limit)
    l->low_speed_limit = BRAID_DEFAULT_POLL_LOW_SPEED_LIMIT;
  if (!l->low_speed_time_s)
    l->low_speed_time_s = BRAID_DEFAULT_POLL_LOW_SPEED_TIME_S;
  if (!l->max_bytes)
    l->max_bytes = BRAID_DEFAULT_POLL_MAX_BYTES;
  if (!l->max_redirects && !limits)
    l->max_redirects = BRAID_DEFAULT_POLL_MAX_REDIRECTS;
  if (l->max_redirects > BRAID_FETCH_MAX_REDIRECTS_CAP)
    l->max_redirects = BRAID_FETCH_MAX_REDIRECTS_CAP;
  if (!l->max_total_connections)
    l->max_total_connections = BRAID_DEFAULT_POLL_CONCURRENCY;
  if (!l->max_host_connections)
    l->max_host_connections = BRAID_DEFAULT_POLL_PER_HOST;
  f->user_agent = strdup(l->user_agent ? l->user_agent : BRAID_DEFAULT_USER_AGENT);
  l->user_agent = f->user_agent;
  f->ca_file = l->ca_file ? strdup(l->ca_file) : NULL;
  l->ca_file = f->ca_file;
  f->multi = curl_multi_init();
  f->share = curl_share_init();
  if (!f->user_agent || (l->ca_file && !f->ca_file) || !f->multi || !f->share) {
    int rc = f->multi && f->share ? -ENOMEM : -EIO;
    curl_multi_cleanup(f->multi);
    curl_share_cleanup(f->share);
    free(f->user_agent);
    free(f->ca_file);
    free(f);
    curl_global_cleanup();
    return rc;
  }
  curl_share_setopt(f->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(f->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  curl_share_setopt(f->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
  curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
  curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
  curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
  curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)l->max_total_connections);
  curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)l->max_host_connections);
  uv_timer_init(loop, &f->timer);
  f->timer.data = f;
  uv_timer_init(loop, &f->defer);
  f->defer.data = f;
  *ret = f;
  return 0;
}

int fetcher_set_limits(struct fetcher *f, const struct fetch_limits *limits) {
  char *ua = strdup(limits->user_agent ? limits->user_agent : BRAID_DEFAULT_USER_AGENT);
  if (!ua)
    return -ENOMEM;
  struct fetch_limits *l = &f->lim;
  if (limits->connect_timeout_ms)
    l->connect_timeout_ms = limits->connect_timeout_ms;
  if (limits->total_timeout_ms)
    l->total_timeout_ms = limits->total_timeout_ms;
  if (limits->low_speed_limit)
    l->low_speed_limit = limits->low_speed_limit;
  if (limits->low_speed_time_s)
    l->low_speed_time_s = limits->low_speed_time_s;
  if (limits->max_bytes)
    l->max_bytes = limits->max_bytes;
  l->max_redirects = limits->max_redirects > BRAID_FETCH_MAX_REDIRECTS_CAP
                         ? BRAID_FETCH_MAX_REDIRECTS_CAP
                         : limits->max_redirects;
  l->allow_private_redirects = limits->allow_private_redirects;
  if (limits->max_total_connections)
    l->max_total_connections = limits->max_total_connections;
  if (limits->max_host_connections)
    l->max_host_connections = limits->max_host_connections;
  free(f->user_agent);
  f->user_agent = ua;
  l->user_agent = ua;
  curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)l->max_total_connections);
  curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)l->max_host_connections);
  return 0;
}

size_t fetcher_active(const struct fetcher *f) { return f->active; }

/* Adds "Name: value" to the job's request headers; nothing for a NULL or empty value. Values
 * come from a previous response (a store written by an older braid may hold anything), so
 * they are checked again here: an ETag must be an entity-tag, a date is re-formatted, and
 * anything else is dropped rather than sent. */
static int add_request_header(struct fetch_job *j, const char *name, const char *value) {
  if (!value || !*value || strlen(value) >= BRAID_FETCH_MAX_HEADER_BYTES)
    return 0;
  char date[64];
  if (strcmp(name, "If-None-Match") == 0) {
    if (!fetch_etag_valid(value, strlen(value)))
      return 0;
  } else {
    if (fetch_http_date_normalize(value, strlen(value), date, sizeof date) < 0)
      return 0;
    value = date;
  }
  char line[BRAID_FETCH_MAX_HEADER_BYTES + 32];
  snprintf(line, sizeof line, "%s: %s", name, value);
  struct curl_slist *s = curl_slist_append(j->req_headers, line);
  if (!s)
    return -ENOMEM;
  j->req_headers = s;
  return 0;
}

/* Runs once a connection is up (new or reused), before the request goes out: the one place
 * that sees the address curl really connected to, whatever name or spelling led there. */
static int prereq_cb(void *clientp, char *primary_ip, char *local_ip, int primary_port,
                     int local_port) {
  struct fetch_job *j = clientp;
  (void)local_ip;
  (void)primary_port;
  (void)local_port;
  enum fetch_addr_class c = fetch_addr_classify(primary_ip, &j->f->public_nets);
  if (j->first_class < 0 || j->hops == 0) {
    j->first_class = (int)c;
    return CURL_PREREQFUNC_OK;
  }
  if ((int)c <= j->first_class || j->f->lim.allow_private_redirects)
    return CURL_PREREQFUNC_OK;
  snprintf(j->addr_msg, sizeof j->addr_msg,
           "redirect from a %s address to %s address %s refused (allow_private_redirects)",
           fetch_addr_class_name((enum fetch_addr_class)j->first_class),
           fetch_addr_class_name(c), primary_ip);
  j->addr_refused = true;
  return CURL_PREREQFUNC_ABORT;
}

static int setopts(struct fetch_job *j, const struct fetch_request *req) {
  struct fetcher *f = j->f;
  const struct fetch_limits *l = &f->lim;
  CURL *e = j->easy;
  const char *ua = req->user_agent && *req->user_agent ? req->user_agent : f->user_agent;
  if (add_request_header(j, "If-None-Match", req->etag) < 0 ||
      add_request_header(j, "If-Modified-Since", req->last_modified) < 0)
    return -ENOMEM;
  CURLcode c = CURLE_OK;
#define SET(opt, val)                                                                          \
  do {                                                                                         \
    if (c == CURLE_OK)                                                                         \
      c = curl_easy_setopt(e, opt, val);                                                       \
  } while (0)
  SET(CURLOPT_PRIVATE, (char *)j);
  SET(CURLOPT_WRITEFUNCTION, fetch_write_cb);
  SET(CURLOPT_WRITEDATA, j);
  SET(CURLOPT_HEADERFUNCTION, fetch_header_cb);
  SET(CURLOPT_HEADERDATA, j);
  SET(CURLOPT_ERRORBUFFER, j->errbuf);
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_ACCEPT_ENCODING, "");
  SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
  SET(CURLOPT_FOLLOWLOCATION, 0L);
  SET(CURLOPT_PROTOCOLS_STR, "http,https,file");
  SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_USERAGENT, ua);
  SET(CURLOPT_HTTPHEADER, j->req_headers);
  SET(CURLOPT_SHARE, f->share);
  SET(CURLOPT_CONNECTTIMEOUT_MS, (long)l->connect_timeout_ms);
  SET(CURLOPT_LOW_SPEED_LIMIT, (long)l->low_speed_limit);
  SET(CURLOPT_LOW_SPEED_TIME, (long)l->low_speed_time_s);
  SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)l->max_bytes);
  if (!j->is_file) {
    SET(CURLOPT_PREREQFUNCTION, prereq_cb);
    SET(CURLOPT_PREREQDATA, j);
  }
  if (f->ca_file)
    SET(CURLOPT_CAINFO, f->ca_file);
  if (j->is_file && req->last_modified && *req->last_modified) {
    /* file:// has no request headers, but curl honours a time condition against the mtime
     * and reports Last-Modified, so local feeds revalidate like remote ones. */
    time_t since = fetch_http_date(req->last_modified);
    if (since > 0) {
      SET(CURLOPT_TIMECONDITION, (long)CURL_TIMECOND_IFMODSINCE);
      SET(CURLOPT_TIMEVALUE_LARGE, (curl_off_t)since);
    }
  }
#undef SET
  return c == CURLE_OK ? 0 : -EIO;
}

/* curl's file:// opens the path with a blocking open(): a FIFO would hold the loop until a
 * writer comes, a device could be read forever. Only a regular file is handed to curl; 0, or
 * -EINVAL with the reason in j->errbuf. A path that cannot be opened is left to curl, which
 * reports it as it always has. */
static int file_check(struct fetch_job *j) {
  CURLU *u = curl_url();
  char *path = NULL;
  int rc = 0;
  if (!u || curl_url_set(u, CURLUPART_URL, j->url, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) != CURLUE_OK) {
    curl_url_cleanup(u);
    return 0;
  }
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
    snprintf(j->errbuf, sizeof j->errbuf, "%s: not a regular file (a FIFO, device, socket or "
             "directory is never read)", path);
    rc = -EINVAL;
  }
  if (fd >= 0)
    close(fd);
  curl_free(path);
  curl_url_cleanup(u);
  return rc;
}

int fetcher_start(struct fetcher *f, const struct fetch_request *req,
                  const struct fetch_callbacks *cb, void *userdata, struct fetch_job **ret_job) {
  if (f->closing)
    return -ESHUTDOWN;
  if (!req || !req->url || !cb || !cb->on_done || !feed_url_valid(req->url))
    return -EINVAL;
  struct fetch_job *j = calloc(1, sizeof *j);
  if (!j)
    return -ENOMEM;
  j->f = f;
  j->cb = *cb;
  j->userdata = userdata;
  j->all_permanent = true;
  j->first_class = -1;
  j->f_max_bytes = f->lim.max_bytes;
  j->start_ms = now_ms();
  j->is_file = strncasecmp(req->url, "file:", 5) == 0;
  j->url = strdup(req->url);
  /* Sized for the cap, not f->lim: a reload may raise max_redirects while this job runs. */
  j->visited = calloc(BRAID_FETCH_MAX_REDIRECTS_CAP + 1, sizeof *j->visited);
  j->easy = curl_easy_init();
  int rc = -ENOMEM;
  if (j->url && j->visited && j->easy) {
    j->visited[j->nvisited++] = strdup(req->url);
    rc = j->visited[0] ? setopts(j, req) : -ENOMEM;
  } else if (j->url && j->visited) {
    rc = -EIO;
  }
  j->next = f->jobs;
  if (f->jobs)
    f->jobs->prev = j;
  f->jobs = j;
  f->active++;
  if (rc == 0 && j->is_file && file_check(j) < 0) {
    /* Refused like any unreadable file: through on_done, but never from inside this call. */
    fetch_job_set_state(j, JOB_REFUSED);
    f->cancel_pending = true;
    uv_timer_start(&f->defer, on_defer, 0, 0);
  } else if (rc == 0) {
    rc = job_launch(j);
  }
  if (rc < 0) {
    job_unlink_free(j);
    return rc;
  }
  if (ret_job)
    *ret_job = j;
  return 0;
}

void fetcher_cancel(struct fetch_job *j) {
  if (!j || j->state == JOB_ENDING)
    return;
  if (j->state == JOB_IN_CALLBACK || j->f->in_curl) {
    j->cancel_requested = true;
    j->f->cancel_pending = true;
    return;
  }
  job_end(j, FETCH_CANCELLED, "cancelled");
}

void fetcher_free(struct fetcher *f) {
  if (!f || f->closing)
    return;
  if (f->dispatch_depth) {
    f->free_deferred = true;
    return;
  }
  f->closing = true; /* before the on_done calls, so none of them can start a job */
  while (f->jobs)
    job_end(f->jobs, FETCH_CANCELLED, "cancelled: fetcher shutting down");
  /* Close our watchers before curl closes the sockets under them. */
  while (f->socks) {
    curl_multi_assign(f->multi, f->socks->fd, NULL);
    sock_close(f, f->socks);
  }
  curl_multi_cleanup(f->multi);
  curl_share_cleanup(f->share);
  f->multi = NULL;
  f->share = NULL;
  uv_timer_stop(&f->timer);
  uv_timer_stop(&f->defer);
  f->pending_closes += 2;
  uv_close((uv_handle_t *)&f->timer, handle_closed);
  uv_close((uv_handle_t *)&f->defer, handle_closed);
}
