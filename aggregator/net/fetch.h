/* fetch.h — HTTP(S) and file:// transfers on the caller's libuv loop, via libcurl's multi
 * interface (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION, one uv_poll_t per socket).
 *
 * Promise: transfers never block the loop and use no threads of ours; bodies are streamed to
 * the caller chunk by chunk, decoded (gzip/deflate/br/zstd), and never held whole; every
 * started job ends with exactly one on_done, whatever happens (success, limit, error, cancel,
 * fetcher_free); every cap (body bytes counted after decoding, time, speed, redirects) ends
 * the transfer with an outcome naming the cap. Redirects are followed by the fetcher itself,
 * only to http and https, with loop detection; it reports whether the chain was permanent.
 * A redirect hop may not connect to an address more private than the first request's
 * (public < private < link-local < loopback, unspecified; the address curl actually connected
 * to, so names and odd spellings such as 2130706433 change nothing): such a hop ends the job
 * with FETCH_REDIRECT_REFUSED and no permanent_url, unless limits.allow_private_redirects.
 * Only a regular file is read for file://. Validators (ETag, Last-Modified) are reported only
 * when valid (an entity-tag; an HTTP-date, re-formatted) and only when they belong to the URL
 * the next request goes to (no redirect, or an all-permanent chain); request validators are
 * checked again and sent to the first URL only, never to a redirect's target.
 * Connections, TLS sessions and DNS answers are shared between jobs; HTTP/2 is used where
 * the server offers it.
 */
#ifndef BRAID_FETCH_H
#define BRAID_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct fetcher;
struct fetch_job;

/* Caps and politeness for every job of one fetcher. Zero fields take the [poll] defaults of
 * defaults.h (the same braid.conf would give), except max_redirects, where 0 means "follow
 * none" (a NULL limits pointer gives BRAID_DEFAULT_POLL_MAX_REDIRECTS). */
struct fetch_limits {
  int64_t connect_timeout_ms;   /* default BRAID_DEFAULT_POLL_CONNECT_TIMEOUT_S */
  int64_t total_timeout_ms;     /* whole job, all redirects included; BRAID_DEFAULT_POLL_TIMEOUT_S */
  uint64_t low_speed_limit;     /* bytes/s; below it for low_speed_time_s aborts */
  int64_t low_speed_time_s;
  uint64_t max_bytes;           /* decoded body bytes */
  unsigned max_redirects;       /* hops beyond it end the job; capped at BRAID_FETCH_MAX_REDIRECTS_CAP */
  unsigned max_total_connections; /* open connections, all hosts; BRAID_DEFAULT_POLL_CONCURRENCY */
  unsigned max_host_connections;  /* open connections to one host; BRAID_DEFAULT_POLL_PER_HOST */
  const char *user_agent;       /* copied; NULL: BRAID_DEFAULT_USER_AGENT */
  const char *ca_file;          /* PEM bundle to trust instead of the system's; NULL: system */
  bool allow_private_redirects; /* let a redirect lead to a more private address class */
};

struct fetch_request {
  const char *url;              /* http://, https:// or file:// */
  const char *etag;             /* sent as If-None-Match; NULL/"" for none */
  const char *last_modified;    /* sent as If-Modified-Since (file://: compared with the mtime);
                                   NULL/"" for none */
  const char *user_agent;       /* NULL: the fetcher's */
};

/* What the final response said. Strings are NULL when absent; all stay valid until on_done
 * returns. Times are seconds since the epoch, -1 when absent. */
struct fetch_headers {
  long status;                  /* HTTP status of the final response; for file:// 200, or 304
                                   when the file is not newer than the request's last_modified */
  const char *content_type;     /* media type without parameters, e.g. "application/rss+xml" */
  const char *charset;          /* Content-Type charset parameter, unquoted */
  const char *etag;
  const char *last_modified;
  int64_t max_age_s;            /* Cache-Control max-age; -1 when absent */
  int64_t expires;              /* Expires, corrected for clock skew against Date */
  int64_t retry_after;          /* Retry-After (seconds or HTTP date) as an absolute time */
  const char *effective_url;    /* URL of the final response */
  const char *permanent_url;    /* where the leading 301/308 hops led (the URL to store from
                                   now on), NULL when the first hop was not permanent */
  bool permanent_redirect;      /* every hop of the chain was 301 or 308 (and there was one) */
  unsigned redirects;           /* hops followed */
};

enum fetch_outcome {
  FETCH_OK = 0,                 /* 2xx, body delivered */
  FETCH_NOT_MODIFIED,           /* 304 */
  FETCH_HTTP_ERROR,             /* final status not 2xx/304 (status in result); body not delivered */
  FETCH_LIMIT_CONNECT_TIMEOUT,
  FETCH_LIMIT_TIMEOUT,          /* total_timeout_ms */
  FETCH_LIMIT_LOW_SPEED,
  FETCH_LIMIT_MAX_BYTES,
  FETCH_LIMIT_MAX_REDIRECTS,
  FETCH_REDIRECT_LOOP,
  FETCH_REDIRECT_REFUSED,       /* redirect to a scheme other than http/https, no Location, or
                                   into a more private address class */
  FETCH_NETWORK_ERROR,          /* DNS, connect, TLS, reset, unreadable or non-regular file...:
                                   see error */
  FETCH_ABORTED,                /* on_headers or on_data returned non-zero */
  FETCH_CANCELLED,              /* fetcher_cancel or fetcher_free */
};
/* "ok", "not-modified", "http-error", "connect-timeout", "timeout", "low-speed", "max-bytes",
 * "max-redirects", "redirect-loop", "redirect-refused", "network-error", "aborted", "cancelled". */
const char *fetch_outcome_name(enum fetch_outcome o);

struct fetch_result {
  enum fetch_outcome outcome;
  long status;                  /* final HTTP status, 0 when no response came */
  const struct fetch_headers *headers; /* never NULL; status 0 and all absent if none came */
  uint64_t body_bytes;          /* decoded body bytes delivered (or counted, for errors) */
  int64_t elapsed_ms;
  const char *error;            /* human-readable detail (curl's message, the cap hit); "" for ok */
};

struct fetch_callbacks {
  /* Once per job, when the final response's headers are in (never for redirect hops).
   * Non-zero return aborts the job (FETCH_ABORTED). May be NULL. */
  int (*on_headers)(void *userdata, long status, const struct fetch_headers *h);
  /* Decoded body bytes of a 2xx response, in order. Non-zero return aborts. May be NULL. */
  int (*on_data)(void *userdata, const char *data, size_t len);
  /* Exactly once per job. After it returns the job is gone. Required. */
  void (*on_done)(void *userdata, const struct fetch_result *r);
};


/* Replaces f's limits (a reload) for jobs started from now on; jobs in flight keep theirs.
 * ca_file is kept as it was. 0 or -ENOMEM (the old limits then stay). */
int fetcher_set_limits(struct fetcher *f, const struct fetch_limits *limits);

/* A fetcher on loop. limits may be NULL (all defaults). 0, -ENOMEM, -EIO (curl setup), or
 * -EINVAL when the test-only environment variable BRAID_TEST_PUBLIC_NETS does not parse. */
int fetcher_new(uv_loop_t *loop, const struct fetch_limits *limits, struct fetcher **ret);

/* Starts a transfer. *ret_job (may be NULL) identifies it for fetcher_cancel until on_done
 * returns. Do not call from inside on_headers/on_data (on_done is fine). 0; -EINVAL for a bad
 * URL or scheme; -ESHUTDOWN after fetcher_free began; -ENOMEM; -EIO. On error no callback runs. */
int fetcher_start(struct fetcher *f, const struct fetch_request *req,
                  const struct fetch_callbacks *cb, void *userdata, struct fetch_job **ret_job);

/* Ends a job with FETCH_CANCELLED. From outside the fetcher's callbacks (a timer, a signal,
 * any on_done), on_done runs before this returns; from inside an on_headers/on_data (of this
 * job or another), on_done follows as soon as curl returns control. */
void fetcher_cancel(struct fetch_job *job);

/* Jobs in flight. */
size_t fetcher_active(const struct fetcher *f);

/* Cancels every job (each gets its on_done now; from inside a fetch callback, as soon as that
 * returns) and closes the fetcher's handles. Memory is
 * released from the uv_close callbacks, so run the loop afterwards (uv_run) before
 * uv_loop_close. NULL is a no-op. */
void fetcher_free(struct fetcher *f);

#endif
