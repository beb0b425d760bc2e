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

#include <curl/curl.h>
#include <microhttpd.h>

#include "bounds.h"
#include "serve_priv.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEFAULT_ENTRIES 50
#define DEFAULT_MAX_AGE 60
/* Longest message libmicrohttpd's logger may leave for serve_new's caller, in bytes. */
#define SERVE_ERROR_BYTES 256

/* What a request asked for; indexes the request counters. */
enum route {
  ROUTE_HTML,
  ROUTE_ATOM,
  ROUTE_RSS,
  ROUTE_JSON,
  ROUTE_FEED,
  ROUTE_HEALTHZ,
  ROUTE_METRICS,
  ROUTE_OTHER,
  ROUTE_COUNT
};

static const char *const route_labels[ROUTE_COUNT] = {
    "/", "/feed.atom", "/feed.rss", "/feed.json", "/feeds/NAME.atom", "/healthz", "/metrics",
    "other"};

/* Status codes the server answers with, for the request counters. */
static const unsigned status_codes[] = {200, 304, 400, 404, 405, 414, 500, 503};
#define STATUS_COUNT (sizeof status_codes / sizeof status_codes[0])

/* One listening server. Freed in the close callback of its last uv handle. */
struct server {
  uv_loop_t *loop;  /* braid's one loop, which owns the two handles' registrations */
  uv_poll_t poll;   /* readable when MHD's epoll set has something ready */
  uv_timer_t timer; /* MHD's next timeout */
  int open_handles; /* handles not yet closed; the struct is freed when it reaches 0 */
  struct MHD_Daemon *mhd; /* NULL once serve_free stopped it */
  const struct serve_provider *provider; /* the daemon's callbacks, borrowed */
  void *userdata;   /* passed to every provider callback */
  uint16_t port;    /* the bound port (the real one after port 0) */
  char *base_url;   /* from the options, or NULL to build one from Host */
  char *fallback_base_url; /* from the bound address, for requests without a usable Host */
  char *title;      /* the stream's title in documents */
  struct render_policy policy; /* serve_options' */
  unsigned entries; /* entries when the request has no ?n= */
  unsigned max_age; /* Cache-Control max-age of feed responses, seconds */
  struct serve_cache cache; /* rendered documents, by route, parameters and store version */
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

/* Each handle's close; the last one frees the server. */
static void on_close(uv_handle_t *h) {
  struct server *s = h->data;
  if (--s->open_handles == 0) {
    free(s->base_url);
    free(s->fallback_base_url);
    free(s->title);
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

/* The URL documents link to: the configured one, else http://HOST/ from the request's Host
 * header, else the bound address. Returns a pointer into scratch or the server. */
static const char *base_url_for(struct server *s, struct MHD_Connection *c, char *scratch, size_t len) {
  if (s->base_url)
    return s->base_url;
  const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
  if (host && serve_host_valid(host)) {
    snprintf(scratch, len, "http://%s/", host);
    return scratch;
  }
  return s->fallback_base_url;
}

/* A feed document (or the HTML page): parameters checked, from the cache or rendered, then
 * 200 in the encoding the client accepts, or 304. */
static enum MHD_Result serve_document(struct server *s, struct MHD_Connection *c, enum route route,
                                      enum render_format fmt, const char *feed, const char *path) {
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
  char host_base[300];
  const char *base = base_url_for(s, c, host_base, sizeof host_base);
  char key[BRAID_SERVE_MAX_FEED_NAME_BYTES + 400];
  snprintf(key, sizeof key, "%d|%s|%u|%" PRId64 "|%s", (int)fmt, feed ? feed : "", n, since, base);
  bool cacheable = s->provider->get_version != NULL;
  int64_t version = cacheable ? s->provider->get_version(s->userdata) : 0;
  struct serve_doc *d = cacheable ? serve_cache_get(&s->cache, key, version) : NULL;
  if (!d) {
    struct serve_doc_request rq = {
        .key = key, .version = version, .fmt = fmt, .feed = feed, .n = n, .since = since,
        .base_url = base, .path = path, .title = s->title, .policy = s->policy,
        .max_age = s->max_age,
    };
    int r = serve_doc_new(s->provider, s->userdata, &rq, &d);
    if (r == -ENOENT)
      return respond_error(s, c, route, MHD_HTTP_NOT_FOUND, "no feed named %s\n", feed ? feed : "");
    if (r == -E2BIG)
      return respond_error(s, c, route, MHD_HTTP_INTERNAL_SERVER_ERROR,
                           "document larger than BRAID_RENDER_MAX_BYTES (%d bytes): ask for fewer "
                           "entries with ?n=\n", BRAID_RENDER_MAX_BYTES);
    if (r < 0)
      return respond_error(s, c, route, MHD_HTTP_INTERNAL_SERVER_ERROR,
                           "could not render the stream: %s\n", strerror(-r));
    if (cacheable)
      serve_cache_put(&s->cache, d);
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
  buf_free(&out);
  return ret;
}

/* Which route a path names; for /feeds/NAME.atom, *ret_feed and *ret_feed_len give NAME. */
static enum route route_for(const char *url, const char **ret_feed, size_t *ret_feed_len) {
  static const struct {
    const char *path;
    enum route route;
  } fixed[] = {
      {"/", ROUTE_HTML},           {"/feed.atom", ROUTE_ATOM}, {"/feed.rss", ROUTE_RSS},
      {"/feed.json", ROUTE_JSON},  {"/healthz", ROUTE_HEALTHZ}, {"/metrics", ROUTE_METRICS},
  };
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
    if (strcmp(url, fixed[i].path) == 0)
      return fixed[i].route;
  static const char prefix[] = "/feeds/", suffix[] = ".atom";
  size_t len = strlen(url);
  if (len > sizeof prefix - 1 + sizeof suffix - 1 && strncmp(url, prefix, sizeof prefix - 1) == 0 &&
      strcmp(url + len - (sizeof suffix - 1), suffix) == 0) {
    *ret_feed = url + sizeof prefix - 1;
    *ret_feed_len = len - (sizeof prefix - 1) - (sizeof suffix - 1);
    return ROUTE_FEED;
  }
  return ROUTE_OTHER;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls) {
  struct server *s = cls;
  (void)version;
  (void)upload_data;
  if (*req_cls == &request_marks[REQ_URI_TOO_LONG])
    return respond_error(s, c, ROUTE_OTHER, MHD_HTTP_URI_TOO_LONG,
                         "request URI longer than %d bytes\n", BRAID_SERVE_MAX_URI_BYTES);
  const char *feed = NULL;
  size_t feed_len = 0;
  enum route route = route_for(url, &feed, &feed_len);
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
    return respond_error(s, c, route, MHD_HTTP_METHOD_NOT_ALLOWED, "method %s not allowed: use GET or HEAD\n",
                         strlen(method) > 32 ? "(long)" : method);
  if (*req_cls == &request_marks[REQ_NEW]) {
    *req_cls = (void *)(uintptr_t)&request_marks[REQ_READ];
    return MHD_YES;
  }
  if (*upload_data_size) {
    *upload_data_size = 0; /* a GET with a body: the body means nothing, read past it */
    return MHD_YES;
  }
  switch (route) {
  case ROUTE_HTML: return serve_document(s, c, route, RENDER_HTML, NULL, "");
  case ROUTE_ATOM: return serve_document(s, c, route, RENDER_ATOM, NULL, "feed.atom");
  case ROUTE_RSS: return serve_document(s, c, route, RENDER_RSS, NULL, "feed.rss");
  case ROUTE_JSON: return serve_document(s, c, route, RENDER_JSON, NULL, "feed.json");
  case ROUTE_HEALTHZ: return serve_health(s, c);
  case ROUTE_METRICS: return serve_metrics(s, c);
  case ROUTE_FEED:
    if (serve_feed_name_valid(feed, feed_len)) {
      char name[BRAID_SERVE_MAX_FEED_NAME_BYTES + 1], path[BRAID_SERVE_MAX_FEED_NAME_BYTES + 16];
      memcpy(name, feed, feed_len);
      name[feed_len] = '\0';
      snprintf(path, sizeof path, "feeds/%s.atom", name);
      return serve_document(s, c, route, RENDER_ATOM, name, path);
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

/* "http://ADDR:PORT/" of the bound address, for links when the request has no usable Host. */
static char *fallback_base(const struct sockaddr_storage *addr, uint16_t port) {
  char host[INET6_ADDRSTRLEN], url[INET6_ADDRSTRLEN + 32];
  if (addr->ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr, host, sizeof host);
    snprintf(url, sizeof url, "http://[%s]:%u/", host, port);
  } else {
    inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, host, sizeof host);
    snprintf(url, sizeof url, "http://%s:%u/", host, port);
  }
  return strdup(url);
}

/* Writes what failed, with libmicrohttpd's complaint if it made one, and returns r. */
static int fail(struct server *s, int r, char *err, size_t errlen, const char *what) {
  snprintf(err, errlen, "%s%s%s", what, s && s->error[0] ? ": " : "", s ? s->error : "");
  return r;
}

int serve_new(uv_loop_t *loop, const struct serve_options *opts,
              const struct serve_provider *provider, void *userdata, struct server **ret,
              char *err, size_t errlen) {
  static const struct serve_options defaults = {0};
  if (!opts)
    opts = &defaults;
  const char *listen = opts->listen ? opts->listen : DEFAULT_LISTEN;
  struct sockaddr_storage addr;
  socklen_t addr_len;
  if (!provider || !provider->get_stream) {
    snprintf(err, errlen, "serve_new: a provider with get_stream is required");
    return -EINVAL;
  }
  if (serve_parse_listen(listen, &addr, &addr_len) < 0) {
    snprintf(err, errlen, "listen address \"%s\": want HOST:PORT or [IPV6]:PORT with a numeric host",
             listen);
    return -EINVAL;
  }
  struct server *s = calloc(1, sizeof *s);
  if (!s)
    return fail(NULL, -ENOMEM, err, errlen, "out of memory");
  s->loop = loop;
  s->provider = provider;
  s->userdata = userdata;
  s->entries = opts->entries ? opts->entries : DEFAULT_ENTRIES;
  if (s->entries > BRAID_SERVE_MAX_ENTRIES)
    s->entries = BRAID_SERVE_MAX_ENTRIES;
  s->max_age = opts->max_age ? opts->max_age : DEFAULT_MAX_AGE;
  s->title = strdup(opts->title ? opts->title : "braid");
  s->policy = opts->policy;
  s->base_url = opts->base_url ? strdup(opts->base_url) : NULL;
  if (!s->title || (opts->base_url && !s->base_url)) {
    free(s->title);
    free(s->base_url);
    free(s);
    return fail(NULL, -ENOMEM, err, errlen, "out of memory");
  }
  unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
  errno = 0;
  s->mhd = MHD_start_daemon(
      flags, ntohs(((struct sockaddr_in *)&addr)->sin_port), NULL, NULL, on_request, s,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)BRAID_SERVE_MAX_CONNECTIONS,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)BRAID_SERVE_MAX_CONNECTIONS_PER_IP,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)BRAID_SERVE_CONNECTION_TIMEOUT_SECONDS,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)BRAID_SERVE_CONNECTION_MEMORY_BYTES,
      MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
      MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
      MHD_OPTION_END);
  int r = 0;
  if (!s->mhd) {
    r = errno ? -errno : -EIO;
    fail(s, r, err, errlen, "cannot listen");
    snprintf(err + strlen(err), errlen - strlen(err), " (%s)", listen);
    goto fail_free;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info ? info->port : 0;
  s->fallback_base_url = fallback_base(&addr, s->port);
  info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
  if (!s->fallback_base_url || !info) {
    r = !info ? -EIO : -ENOMEM;
    fail(s, r, err, errlen, "cannot start the HTTP server");
    goto fail_stop;
  }
  if ((r = uv_poll_init(loop, &s->poll, info->epoll_fd)) < 0) {
    snprintf(err, errlen, "cannot watch the HTTP server's epoll descriptor: %s", uv_strerror(r));
    goto fail_stop;
  }
  uv_timer_init(loop, &s->timer);
  s->poll.data = s->timer.data = s;
  s->open_handles = 2;
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
  free(s->fallback_base_url);
  free(s->base_url);
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
  serve_cache_clear(&s->cache);
  MHD_stop_daemon(s->mhd);
  s->mhd = NULL;
}
