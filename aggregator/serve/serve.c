/* serve.c — the HTTP server on the libuv loop: libmicrohttpd's epoll descriptor under a
 * uv_poll_t, its timeouts on a uv_timer_t, and the routes. See serve.h.
 */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "bounds.h"
#include "defaults.h"
#include "listen.h"
#include "search.h"
#include "serve_priv.h"

/* Longest message libmicrohttpd's logger may leave for serve_new's caller, in bytes. */
#define SERVE_ERROR_BYTES 256
/* How often connections are checked against the header deadline, in milliseconds. */
#define SWEEP_INTERVAL_MS 1000
/* Descriptors kept free for everything else the daemon opens (the store, feed polls, logs):
 * the connection limit stays this far below RLIMIT_NOFILE, so accept never runs out. */
#define FD_HEADROOM 128

static const char *const route_labels[ROUTE_COUNT] = {
    "/", "/feed.atom", "/feed.rss", "/feed.json", "/feeds/NAME.atom", "/streams/NAME", "/healthz", "/metrics",
    "/status", "other"};

/* Status codes the server answers with, for the request counters. */
static const unsigned status_codes[] = {200, 304, 400, 401, 404, 405, 414, 500, 503};
#define STATUS_COUNT (sizeof status_codes / sizeof status_codes[0])

/* One client connection, while it waits for a request's headers. The header deadline
 * (BRAID_SERVE_HEADER_TIMEOUT_SECONDS) runs from when the connection opened or its last
 * response was sent: libmicrohttpd's own timeout restarts on every byte, so a client that
 * trickles a byte a second would otherwise hold its slot for ever. */
struct conn {
  struct conn *prev, *next; /* the server's list of open connections */
  int fd;                   /* libmicrohttpd's socket, shut down (not closed) at the deadline */
  uint64_t waiting_since;   /* uv_now when it began waiting for headers; 0 while a request runs */
};

/* One listening server. Freed in the close callback of its last uv handle. */
struct server {
  uv_loop_t *loop;  /* braid's one loop, which owns the two handles' registrations */
  uv_poll_t poll;   /* readable when MHD's epoll set has something ready */
  uv_timer_t timer; /* MHD's next timeout */
  uv_timer_t sweep; /* the header deadline's check */
  struct conn *conns; /* open connections, newest first */
  int open_handles; /* handles not yet closed; the struct is freed when it reaches 0 */
  struct MHD_Daemon *mhd; /* NULL once serve_free stopped it */
  const struct serve_provider *provider; /* the daemon's callbacks, borrowed */
  void *userdata;   /* passed to every provider callback */
  uint16_t port;    /* the bound port (the real one after port 0) */
  char *base_url;   /* the URL of "/" in documents: the options', else the bound address */
  char *title;      /* the stream's title in documents */
  struct render_policy policy; /* serve_options' */
  unsigned entries; /* entries when the request has no ?n= */
  unsigned max_age; /* Cache-Control max-age of feed responses, seconds */
  char *token;      /* access token every route but /healthz wants, or NULL */
  struct serve_cache cache; /* rendered documents, by route, parameters and store version */
  struct serve_streams streams; /* the named streams: routes, titles, the page's links */
  bool have_version; /* seen_version holds the provider's version at the last request */
  int64_t seen_version;
  int64_t version_time; /* when seen_version was first seen, UTC seconds: Last-Modified */
  uint64_t requests[ROUTE_COUNT][STATUS_COUNT]; /* answered requests, for /metrics */
  char error[SERVE_ERROR_BYTES]; /* libmicrohttpd's last complaint */
};

/* A request's req_cls says where it stands: the URI callback sets REQ_NEW or
 * REQ_URI_TOO_LONG. A GET or HEAD is answered on the access handler's second call, once MHD
 * has read the whole request: a response queued in the first call makes MHD close the
 * connection instead of keeping it alive. Requests refused outright (a long URI, another
 * method) are answered in the first call for just that reason: MHD then sends no
 * "100 Continue" and reads no body, and closes the connection after the answer. */
enum request_mark { REQ_NEW, REQ_URI_TOO_LONG, REQ_READ };
static const char request_marks[3];

/* ---- the loop --------------------------------------------------------------------------- */

static void on_timer(uv_timer_t *t);

/* Runs MHD and re-arms the timer from what it wants next, as external polling requires. */
static void drive(struct server *s) {
  MHD_run(s->mhd);
  MHD_UNSIGNED_LONG_LONG ms;
  if (MHD_get_timeout(s->mhd, &ms) == MHD_YES)
    uv_timer_start(&s->timer, on_timer, ms, 0);
  else
    uv_timer_stop(&s->timer);
}

/* MHD's epoll descriptor is readable: some connection or the listening socket is ready. */
static void on_poll(uv_poll_t *h, int status, int events) {
  (void)status; /* on an error MHD_run finds out for itself which connection failed */
  (void)events;
  drive(h->data);
}

static void on_timer(uv_timer_t *t) { drive(t->data); }

/* Shuts down connections past the header deadline. shutdown() leaves the descriptor to
 * libmicrohttpd, which sees the end of the stream and closes the connection itself. */
static void on_sweep(uv_timer_t *t) {
  struct server *s = t->data;
  uint64_t now = uv_now(s->loop), limit = (uint64_t)BRAID_SERVE_HEADER_TIMEOUT_SECONDS * 1000;
  for (struct conn *k = s->conns; k; k = k->next)
    if (k->waiting_since && now - k->waiting_since >= limit && k->fd >= 0) {
      shutdown(k->fd, SHUT_RDWR);
      k->fd = -1; /* once is enough; the descriptor may be reused after MHD closes it */
    }
  /* Also when nothing was shut down: at its connection limit MHD takes the listening socket
   * out of its epoll set and puts it back only within a later MHD_run, which nothing else
   * would trigger once the last connection closed. */
  if (s->mhd)
    drive(s);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  struct server *s = cls;
  struct conn *k = *socket_context;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    k = calloc(1, sizeof *k);
    if (!k)
      return; /* untracked: libmicrohttpd's idle timeout still applies */
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    k->fd = info ? info->connect_fd : -1;
    k->waiting_since = uv_now(s->loop) ? uv_now(s->loop) : 1;
    k->next = s->conns;
    if (s->conns)
      s->conns->prev = k;
    s->conns = k;
    *socket_context = k;
  } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && k) {
    if (k->prev)
      k->prev->next = k->next;
    else
      s->conns = k->next;
    if (k->next)
      k->next->prev = k->prev;
    free(k);
    *socket_context = NULL;
  }
}

/* The connection's tracker, or NULL when it has none. */
static struct conn *conn_of(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info ? info->socket_context : NULL;
}

/* A response went out: the connection waits for its next request's headers from now. */
static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
  struct server *s = cls;
  (void)req_cls;
  (void)toe;
  struct conn *k = conn_of(c);
  if (k)
    k->waiting_since = uv_now(s->loop) ? uv_now(s->loop) : 1;
}

/* Each handle's close; the last one frees the server. */
static void on_close(uv_handle_t *h) {
  struct server *s = h->data;
  if (--s->open_handles == 0) {
    free(s->base_url);
    free(s->title);
    free(s->token);
    serve_streams_clear(&s->streams);
    free(s);
  }
}

/* ---- responses -------------------------------------------------------------------------- */

/* Counts an answer for /metrics. */
static void count(struct server *s, enum route route, unsigned status) {
  for (size_t i = 0; i < STATUS_COUNT; i++)
    if (status_codes[i] == status)
      s->requests[route][i]++;
}

/* Queues resp with status and counts it. The caller keeps its own reference to resp. */
static enum MHD_Result queue(struct server *s, struct MHD_Connection *c, enum route route,
                             unsigned status, struct MHD_Response *resp) {
  count(s, route, status);
  return MHD_queue_response(c, status, resp);
}

/* A small plain-text (or other text) answer, not cached. */
static enum MHD_Result respond_text(struct server *s, struct MHD_Connection *c, enum route route,
                                    unsigned status, const char *content_type, const char *text) {
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
  if (!resp)
    return MHD_NO;
  enum MHD_Result r = MHD_YES;
  if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) != MHD_YES ||
      MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
      MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES ||
      (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
       MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") != MHD_YES))
    r = MHD_NO;
  if (r == MHD_YES)
    r = queue(s, c, route, status, resp);
  MHD_destroy_response(resp);
  return r;
}

static enum MHD_Result respond_error(struct server *s, struct MHD_Connection *c, enum route route,
                                     unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static enum MHD_Result respond_error(struct server *s, struct MHD_Connection *c, enum route route,
                                     unsigned status, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return respond_text(s, c, route, status, "text/plain; charset=utf-8", msg);
}

/* 304: no body, the validators and caching headers of the variant the client would get. */
static enum MHD_Result respond_not_modified(struct server *s, struct MHD_Connection *c,
                                            enum route route, const struct serve_doc *d,
                                            bool gzip) {
  struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
  if (!resp)
    return MHD_NO;
  char cache[48], modified[RENDER_RFC822_LEN];
  snprintf(cache, sizeof cache, "public, max-age=%u", s->max_age);
  enum MHD_Result r = MHD_YES;
  if (MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, gzip ? d->etag_gzip : d->etag) != MHD_YES ||
      MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache) != MHD_YES ||
      MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding") != MHD_YES)
    r = MHD_NO;
  if (r == MHD_YES && d->last_modified) {
    render_rfc822_date(d->last_modified, modified);
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, modified) != MHD_YES)
      r = MHD_NO;
  }
  if (r == MHD_YES)
    r = queue(s, c, route, MHD_HTTP_NOT_MODIFIED, resp);
  MHD_destroy_response(resp);
  return r;
}

/* RFC 9110 13.2.2: If-None-Match decides when present; If-Modified-Since only without it. */
static bool not_modified(struct MHD_Connection *c, const struct serve_doc *d) {
  const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
  if (inm)
    return serve_etag_matches(inm, d->etag) || serve_etag_matches(inm, d->etag_gzip);
  const char *ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
  if (!ims || !d->last_modified)
    return false;
  time_t since = curl_getdate(ims, NULL);
  return since != -1 && d->last_modified <= (int64_t)since;
}

/* ---- routes ----------------------------------------------------------------------------- */

/* The provider's version, noting when it changed: that moment is every document's
 * Last-Modified, so a new entry (or another process's write to the store) moves it forward
 * whatever dates the entries carry. Strictly increasing, so two changes within one second
 * still give two different times. */
static int64_t current_version(struct server *s) {
  int64_t v = s->provider->get_version(s->userdata);
  if (!s->have_version || v != s->seen_version) {
    int64_t now = (int64_t)time(NULL);
    s->version_time = s->have_version && now <= s->version_time ? s->version_time + 1 : now;
    s->seen_version = v;
    s->have_version = true;
  }
  return v;
}

/* What one document route serves: the whole stream, one feed or one named stream. */
struct doc_target {
  enum route route;
  enum render_format fmt;
  const char *feed;                 /* /feeds/NAME.atom's NAME, or NULL */
  const struct serve_stream *stream; /* /streams/NAME.*'s stream, or NULL */
  const char *path;                 /* below base_url: "feed.atom", "streams/NAME.rss", "" */
};

/* The documents' title: the stream's (or the named stream's), with the search it shows. */
static int doc_title(struct server *s, const struct doc_target *t, const char *q, struct buf *out) {
  int r = buf_append_str(out, t->stream ? t->stream->title : s->title);
  if (r == 0 && q)
    r = buf_printf(out, ": %s", q);
  return r;
}

/* Renders t's document for n, since and q into *ret (key and version go into it). 0,
 * -ENOENT (no such feed or stream), -EINVAL (a search refused: why says), other codes. */
static int render_document(struct server *s, const struct doc_target *t, const char *key,
                           int64_t version, bool cacheable, unsigned n, int64_t since,
                           const char *q, char *why, size_t whylen, struct serve_doc **ret) {
  struct buf title, home;
  buf_init(&title, 0);
  buf_init(&home, 0);
  char alternates[BRAID_SERVE_MAX_FEED_NAME_BYTES + 16];
  snprintf(alternates, sizeof alternates, "streams/%s.", t->stream ? t->stream->name : "");
  int r = doc_title(s, t, q, &title);
  if (r == 0 && t->stream)
    r = buf_printf(&home, "%sstreams/%s.html", s->base_url, t->stream->name);
  struct serve_doc_request rq = {
      .key = key, .version = version, .fmt = t->fmt, .feed = t->feed, .n = n, .since = since,
      .stream = t->stream ? t->stream->name : NULL, .q = q,
      .base_url = s->base_url, .path = t->path, .title = buf_str(&title),
      .alternates_path = t->stream ? alternates : NULL,
      .home_url = t->stream ? buf_str(&home) : NULL,
      .nav = s->streams.nav, .n_nav = s->streams.n, .policy = s->policy,
      .max_age = s->max_age, .last_modified = cacheable ? s->version_time : 0,
      .err = why, .errlen = whylen,
  };
  if (r == 0)
    r = serve_doc_new(s->provider, s->userdata, &rq, ret);
  buf_clear(&title);
  buf_clear(&home);
  return r;
}

/* A feed document (or the HTML page): parameters checked, from the cache or rendered, then
 * 200 in the encoding the client accepts, or 304. */
static enum MHD_Result serve_document(struct server *s, struct MHD_Connection *c,
                                      const struct doc_target *t) {
  enum route route = t->route;
  enum render_format fmt = t->fmt;
  const char *feed = t->feed;
  unsigned n = s->entries;
  int64_t since = 0;
  const char *arg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "n");
  if (arg && serve_parse_n(arg, &n) < 0)
    return respond_error(s, c, route, MHD_HTTP_BAD_REQUEST,
                         "bad parameter n: want a whole number from 1 to %d\n", BRAID_SERVE_MAX_ENTRIES);
  arg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
  if (arg && serve_parse_since(arg, &since) < 0)
    return respond_error(s, c, route, MHD_HTTP_BAD_REQUEST,
                         "bad parameter since: want an RFC 3339 time such as 2024-05-01T12:00:00Z\n");
  const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "q");
  char why[256];
  if (q && store_search_check(q, why, sizeof why) < 0)
    return respond_error(s, c, route, MHD_HTTP_BAD_REQUEST, "bad parameter q: %s\n", why);
  /* The key holds only what the request's path and query say: nothing a client can vary
   * in its headers (such as Host) makes the server render again. q comes last, so a '|' in
   * it cannot make two requests' keys meet. */
  char key[BRAID_SERVE_MAX_FEED_NAME_BYTES * 2 + STORE_SEARCH_MAX_QUERY_BYTES + 100];
  snprintf(key, sizeof key, "%d|%s|%s|%u|%" PRId64 "|%s", (int)fmt, feed ? feed : "",
           t->stream ? t->stream->name : "", n, since, q ? q : "");
  bool cacheable = s->provider->get_version != NULL;
  int64_t version = cacheable ? current_version(s) : 0;
  struct serve_doc *d = cacheable ? serve_cache_get(&s->cache, key, version) : NULL;
  if (!d) {
    why[0] = '\0';
    int r = render_document(s, t, key, version, cacheable, n, since, q, why, sizeof why, &d);
    if (r == -ENOENT)
      return respond_error(s, c, route, MHD_HTTP_NOT_FOUND, "no %s named %s\n",
                           t->stream ? "stream" : "feed",
                           t->stream ? t->stream->name : feed ? feed : "");
    if (r == -EINVAL)
      return respond_error(s, c, route, MHD_HTTP_BAD_REQUEST, "bad parameter q: %s\n",
                           why[0] ? why : "the search was refused");
    if (r < 0) {
      /* Kept like a document, so a failing version costs one attempt, not one per request. */
      char msg[160];
      snprintf(msg, sizeof msg, "could not render the stream: %s\n", strerror(-r));
      if (serve_doc_new_error(key, version, msg, &d) < 0)
        return MHD_NO;
    }
    if (cacheable)
      serve_cache_put(&s->cache, d);
  }
  if (d->status != MHD_HTTP_OK) {
    enum MHD_Result r = queue(s, c, route, d->status, d->plain);
    if (!cacheable)
      serve_doc_free(d);
    return r;
  }
  const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
  bool gzip = ae && serve_accepts_gzip(ae);
  enum MHD_Result r = not_modified(c, d) ? respond_not_modified(s, c, route, d, gzip)
                                         : queue(s, c, route, MHD_HTTP_OK, gzip ? d->gzip : d->plain);
  if (!cacheable)
    serve_doc_free(d); /* MHD keeps its own reference to the queued response */
  return r;
}

/* /healthz: the provider says whether the daemon is fit to serve. */
static enum MHD_Result serve_health(struct server *s, struct MHD_Connection *c) {
  char reason[256] = "unhealthy";
  if (s->provider->get_health && s->provider->get_health(s->userdata, reason, sizeof reason) < 0) {
    reason[sizeof reason - 1] = '\0';
    return respond_error(s, c, ROUTE_HEALTHZ, MHD_HTTP_SERVICE_UNAVAILABLE, "%s\n", reason);
  }
  return respond_text(s, c, ROUTE_HEALTHZ, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n");
}

/* The server's own Prometheus lines. */
static int server_metrics(struct server *s, struct buf *out) {
  int r = buf_append_str(out, "# HELP braid_http_requests_total HTTP requests answered, by route "
                              "and status.\n# TYPE braid_http_requests_total counter\n");
  for (size_t i = 0; r == 0 && i < ROUTE_COUNT; i++)
    for (size_t j = 0; r == 0 && j < STATUS_COUNT; j++)
      if (s->requests[i][j])
        r = buf_printf(out, "braid_http_requests_total{route=\"%s\",code=\"%u\"} %" PRIu64 "\n",
                       route_labels[i], status_codes[j], s->requests[i][j]);
  if (r == 0)
    r = buf_printf(out,
                   "# HELP braid_http_cache_hits_total Feed documents served from the render cache.\n"
                   "# TYPE braid_http_cache_hits_total counter\n"
                   "braid_http_cache_hits_total %" PRIu64 "\n"
                   "# HELP braid_http_cache_misses_total Feed documents rendered for a request.\n"
                   "# TYPE braid_http_cache_misses_total counter\n"
                   "braid_http_cache_misses_total %" PRIu64 "\n",
                   s->cache.hits, s->cache.misses);
  return r;
}

/* /metrics: the provider's lines, then the server's. */
static enum MHD_Result serve_metrics(struct server *s, struct MHD_Connection *c) {
  struct buf out;
  buf_init(&out, 0);
  int r = s->provider->get_metrics ? s->provider->get_metrics(s->userdata, &out) : 0;
  if (r == 0)
    r = server_metrics(s, &out);
  enum MHD_Result ret;
  if (r < 0) {
    ret = respond_error(s, c, ROUTE_METRICS, MHD_HTTP_INTERNAL_SERVER_ERROR,
                        "could not collect metrics: %s\n", strerror(-r));
  } else {
    ret = respond_text(s, c, ROUTE_METRICS, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                       buf_str(&out));
  }
  buf_clear(&out);
  return ret;
}

/* The request carries the token: "Authorization: Bearer TOKEN", or ?token=TOKEN for
 * readers that cannot send headers. */
static bool authorized(struct server *s, struct MHD_Connection *c) {
  const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  if (auth && strncasecmp(auth, "Bearer ", 7) == 0 && serve_token_matches(auth + 7, s->token))
    return true;
  const char *arg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
  return arg && serve_token_matches(arg, s->token);
}

static enum MHD_Result respond_unauthorized(struct server *s, struct MHD_Connection *c) {
  (void)s;
  static const char text[] = "unauthorized: send Authorization: Bearer TOKEN or ?token=TOKEN\n";
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(sizeof text - 1, (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
  if (!resp)
    return MHD_NO;
  enum MHD_Result r = MHD_NO;
  if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8") == MHD_YES &&
      MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_YES &&
      MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"braid\"") == MHD_YES)
    r = MHD_queue_response(c, MHD_HTTP_UNAUTHORIZED, resp);
  MHD_destroy_response(resp);
  return r;
}

/* /status: the provider's JSON about the feeds. */
static enum MHD_Result serve_status(struct server *s, struct MHD_Connection *c) {
  struct buf out;
  buf_init(&out, 0);
  int r = s->provider->get_status(s->userdata, &out);
  enum MHD_Result ret =
      r < 0 ? respond_error(s, c, ROUTE_STATUS, MHD_HTTP_INTERNAL_SERVER_ERROR,
                            "could not collect the status: %s\n", strerror(-r))
            : respond_text(s, c, ROUTE_STATUS, MHD_HTTP_OK, "application/json", buf_str(&out));
  buf_clear(&out);
  return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls) {
  struct server *s = cls;
  (void)upload_data;
  if (*req_cls == &request_marks[REQ_URI_TOO_LONG])
    return respond_error(s, c, ROUTE_OTHER, MHD_HTTP_URI_TOO_LONG,
                         "request URI longer than %d bytes\n", BRAID_SERVE_MAX_URI_BYTES);
  const char *feed = NULL, *ext = NULL;
  size_t feed_len = 0;
  enum route route = serve_route_for(url, &feed, &feed_len, &ext);
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
    return respond_error(s, c, route, MHD_HTTP_METHOD_NOT_ALLOWED, "method %s not allowed: use GET or HEAD\n",
                         strlen(method) > 32 ? "(long)" : method);
  if (*req_cls == &request_marks[REQ_NEW]) {
    struct conn *k = conn_of(c);
    if (k)
      k->waiting_since = 0; /* the headers are in: the deadline is met */
    const char *why = serve_ambiguity(c, version);
    if (why)
      return respond_error(s, c, route, MHD_HTTP_BAD_REQUEST, "bad request: %s\n", why);
    *req_cls = (void *)(uintptr_t)&request_marks[REQ_READ];
    return MHD_YES;
  }
  if (*upload_data_size) {
    *upload_data_size = 0; /* a GET with a body: the body means nothing, read past it */
    return MHD_YES;
  }
  if (s->token && route != ROUTE_HEALTHZ && !authorized(s, c)) {
    count(s, route, MHD_HTTP_UNAUTHORIZED);
    return respond_unauthorized(s, c);
  }
  struct doc_target t = {.route = route, .path = url + 1};
  switch (route) {
  case ROUTE_HTML: t.fmt = RENDER_HTML; return serve_document(s, c, &t);
  case ROUTE_ATOM: t.fmt = RENDER_ATOM; return serve_document(s, c, &t);
  case ROUTE_RSS: t.fmt = RENDER_RSS; return serve_document(s, c, &t);
  case ROUTE_JSON: t.fmt = RENDER_JSON; return serve_document(s, c, &t);
  case ROUTE_STREAM:
    t.stream = serve_streams_find(&s->streams, feed, feed_len);
    if (t.stream && render_format_from_name(ext, &t.fmt) == 0)
      return serve_document(s, c, &t);
    break;
  case ROUTE_HEALTHZ: return serve_health(s, c);
  case ROUTE_METRICS: return serve_metrics(s, c);
  case ROUTE_STATUS:
    if (s->provider->get_status)
      return serve_status(s, c);
    break;
  case ROUTE_FEED:
    if (serve_feed_name_valid(feed, feed_len)) {
      char name[BRAID_SERVE_MAX_FEED_NAME_BYTES + 1], path[BRAID_SERVE_MAX_FEED_NAME_BYTES + 16];
      memcpy(name, feed, feed_len);
      name[feed_len] = '\0';
      snprintf(path, sizeof path, "feeds/%s.atom", name);
      t = (struct doc_target){.route = route, .fmt = RENDER_ATOM, .feed = name, .path = path};
      return serve_document(s, c, &t);
    }
    break;
  case ROUTE_OTHER:
  case ROUTE_COUNT:
    break;
  }
  return respond_error(s, c, route, MHD_HTTP_NOT_FOUND, "not found\n");
}

/* Sees the whole request line's URI before routing: too long gets 414. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
  (void)cls;
  (void)c;
  return (void *)(uintptr_t)&request_marks[strlen(uri) > BRAID_SERVE_MAX_URI_BYTES ? REQ_URI_TOO_LONG
                                                                                   : REQ_NEW];
}

/* Library code does not log: keep libmicrohttpd's last message for serve_new's error. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
  struct server *s = cls;
  vsnprintf(s->error, sizeof s->error, fmt, ap);
  size_t len = strlen(s->error);
  while (len && (s->error[len - 1] == '\n' || s->error[len - 1] == '\r'))
    s->error[--len] = '\0';
}

/* ---- life cycle ------------------------------------------------------------------------- */

/* Writes what failed, with libmicrohttpd's complaint if it made one, and returns r. */
static int fail(struct server *s, int r, char *err, size_t errlen, const char *what) {
  snprintf(err, errlen, "%s%s%s", what, s && s->error[0] ? ": " : "", s ? s->error : "");
  return r;
}

/* A server's settings from opts, nothing started yet; NULL without memory. */
static struct server *server_alloc(uv_loop_t *loop, const struct serve_options *opts,
                                   const struct serve_provider *provider, void *userdata) {
  struct server *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->loop = loop;
  s->provider = provider;
  s->userdata = userdata;
  s->entries = opts->entries ? opts->entries : BRAID_DEFAULT_STREAM_ENTRIES;
  if (s->entries > BRAID_SERVE_MAX_ENTRIES)
    s->entries = BRAID_SERVE_MAX_ENTRIES;
  s->max_age = opts->max_age ? opts->max_age : BRAID_DEFAULT_HTTP_MAX_AGE_S;
  s->title = strdup(opts->title ? opts->title : BRAID_DEFAULT_STREAM_TITLE);
  s->policy = opts->policy;
  s->base_url = opts->base_url ? strdup(opts->base_url) : NULL;
  s->token = opts->token ? strdup(opts->token) : NULL;
  if (!s->title || (opts->base_url && !s->base_url) || (opts->token && !s->token)) {
    free(s->title);
    free(s->base_url);
    free(s->token);
    free(s);
    return NULL;
  }
  return s;
}

/* libmicrohttpd listening on addr, polled through its epoll descriptor; NULL with errno. */
static struct MHD_Daemon *start_mhd(struct server *s, const struct sockaddr_storage *addr) {
  /* Headroom below the descriptor limit: a full server refuses connections, it does not
   * starve the store and the poller of descriptors. */
  unsigned max_conns = BRAID_SERVE_MAX_CONNECTIONS;
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      rl.rlim_cur < (rlim_t)max_conns + 2 * FD_HEADROOM)
    max_conns = rl.rlim_cur > 2 * FD_HEADROOM ? (unsigned)(rl.rlim_cur - FD_HEADROOM)
                                              : FD_HEADROOM / 2;
  unsigned flags =
      MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (addr->ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
  errno = 0;
  return MHD_start_daemon(
      flags, ntohs(((const struct sockaddr_in *)addr)->sin_port), NULL, NULL, on_request, s,
      MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)addr,
      MHD_OPTION_CONNECTION_LIMIT, max_conns,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)BRAID_SERVE_MAX_CONNECTIONS_PER_IP,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)BRAID_SERVE_CONNECTION_TIMEOUT_SECONDS,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)BRAID_SERVE_CONNECTION_MEMORY_BYTES,
      MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
      MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
      MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
      MHD_OPTION_END);
}

int serve_new(uv_loop_t *loop, const struct serve_options *opts,
              const struct serve_provider *provider, void *userdata, struct server **ret,
              char *err, size_t errlen) {
  static const struct serve_options defaults = {0};
  if (!opts)
    opts = &defaults;
  const char *listen = opts->listen ? opts->listen : BRAID_DEFAULT_LISTEN;
  struct sockaddr_storage addr;
  socklen_t addr_len;
  if (!provider || !provider->get_stream) {
    snprintf(err, errlen, "serve_new: a provider with get_stream is required");
    return -EINVAL;
  }
  if (listen_parse(listen, &addr, &addr_len) < 0) {
    snprintf(err, errlen, "listen address \"%s\": want HOST:PORT or [IPV6]:PORT with a numeric host",
             listen);
    return -EINVAL;
  }
  struct server *s = server_alloc(loop, opts, provider, userdata);
  if (!s)
    return fail(NULL, -ENOMEM, err, errlen, "out of memory");
  s->mhd = start_mhd(s, &addr);
  int r = 0;
  if (!s->mhd) {
    r = errno ? -errno : -EIO;
    fail(s, r, err, errlen, "cannot listen");
    snprintf(err + strlen(err), errlen - strlen(err), " (%s)", listen);
    goto fail_free;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info ? info->port : 0;
  char base[600];
  if (!s->base_url && listen_base_url(NULL, listen, s->port, base, sizeof base) == 0)
    s->base_url = strdup(base);
  info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
  if (!s->base_url || !info) {
    r = !info ? -EIO : -ENOMEM;
    fail(s, r, err, errlen, "cannot start the HTTP server");
    goto fail_stop;
  }
  if ((r = uv_poll_init(loop, &s->poll, info->epoll_fd)) < 0) {
    snprintf(err, errlen, "cannot watch the HTTP server's epoll descriptor: %s", uv_strerror(r));
    goto fail_stop;
  }
  uv_timer_init(loop, &s->timer);
  uv_timer_init(loop, &s->sweep);
  s->poll.data = s->timer.data = s->sweep.data = s;
  s->open_handles = 3;
  uv_timer_start(&s->sweep, on_sweep, SWEEP_INTERVAL_MS, SWEEP_INTERVAL_MS);
  if ((r = uv_poll_start(&s->poll, UV_READABLE, on_poll)) < 0) {
    snprintf(err, errlen, "cannot watch the HTTP server's epoll descriptor: %s", uv_strerror(r));
    serve_free(s); /* handles exist now: the memory goes in their close callbacks */
    return r;
  }
  drive(s); /* arm the timer for whatever MHD wants from the start */
  *ret = s;
  return 0;
fail_stop:
  MHD_stop_daemon(s->mhd);
fail_free:
  free(s->base_url);
  free(s->token);
  free(s->title);
  free(s);
  return r;
}

uint16_t serve_port(const struct server *s) { return s ? s->port : 0; }

void serve_free(struct server *s) {
  if (!s)
    return;
  /* Stop watching the epoll descriptor before MHD closes it. */
  uv_close((uv_handle_t *)&s->poll, on_close);
  uv_close((uv_handle_t *)&s->timer, on_close);
  uv_close((uv_handle_t *)&s->sweep, on_close);
  serve_cache_clear(&s->cache);
  MHD_stop_daemon(s->mhd);
  s->mhd = NULL;
}

int serve_set_style(struct server *s, const char *title, struct render_policy policy) {
  if (!s)
    return 0;
  char *t = strdup(title ? title : BRAID_DEFAULT_STREAM_TITLE);
  if (!t)
    return -ENOMEM;
  free(s->title);
  s->title = t;
  s->policy = policy;
  return 0;
}

int serve_set_streams(struct server *s, const struct serve_stream *streams, size_t n) {
  if (!s)
    return 0;
  int r = serve_streams_replace(&s->streams, streams, n);
  if (r == 0)
    serve_cache_clear(&s->cache); /* cached pages link the old streams */
  return r;
}

void serve_set_entries(struct server *s, unsigned entries) {
  if (!s)
    return;
  s->entries = entries ? entries : BRAID_DEFAULT_STREAM_ENTRIES;
  if (s->entries > BRAID_SERVE_MAX_ENTRIES)
    s->entries = BRAID_SERVE_MAX_ENTRIES;
}
