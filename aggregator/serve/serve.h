/* serve.h — the merged stream over HTTP, on braid's one libuv loop.
 *
 * Promise: libmicrohttpd with its own epoll set and no thread of its own, driven by a
 * uv_poll_t on that epoll descriptor and a uv_timer_t re-armed from MHD_get_timeout after
 * every MHD_run. Routes (GET and HEAD; anything else is 405 with Allow):
 *   /                 HTML view          /feed.atom /feed.rss /feed.json   the stream
 *   /feeds/NAME.atom  one source (NAME is [A-Za-z0-9._-]+; unknown NAME is 404)
 *   /streams/NAME.atom|.rss|.json|.html   a named stream (serve_set_streams; unknown is 404)
 *   /healthz          200 "ok" or 503 with the reason      /metrics   Prometheus text 0.0.4
 *   /status           JSON: the feeds in trouble (provider's get_status)
 * Query: ?n=1..BRAID_SERVE_MAX_ENTRIES (default serve_options.entries), ?since=RFC 3339,
 * ?q=SEARCH on every stream route (store/search.h's query subset, checked here before the
 * provider is asked); bad values get 400 naming the parameter and, for q, what is wrong. Feed responses carry a strong ETag (a hash of the
 * body; the gzip variant's differs), Last-Modified, Cache-Control and Vary: Accept-Encoding,
 * answer If-None-Match / If-Modified-Since with 304, and are gzipped when the client accepts
 * it. Rendered documents are cached per (route, feed, n, since, stream version) in a small
 * bounded cache. No request ever reaches the file system. Connection limits come from
 * bounds.h. Nothing here logs: the provider's owner does.
 */
#ifndef BRAID_SERVE_H
#define BRAID_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "buf.h"
#include "entry.h"
#include "render.h"

/* What a filtered document asks for: a named stream, a search, or both. */
struct serve_query {
  const char *feed;   /* one feed's name (/feeds/NAME.atom), or NULL */
  const char *stream; /* a named stream's name (/streams/NAME.*), or NULL */
  const char *q;      /* ?q=, already checked with store_search_check, or NULL */
  size_t n;           /* at most this many entries, newest first */
  int64_t since;      /* UTC seconds; 0 = all */
};

/* A named stream as the server lists it: its routes and its link on the HTML page. */
struct serve_stream {
  const char *name;  /* [A-Za-z0-9._-]+: /streams/NAME.atom */
  const char *title; /* the documents' title */
};

/* What the daemon gives the server. Callbacks run on the loop's thread, inside MHD_run. */
struct serve_provider {
  /* Fills *ret (zeroed by the caller, cleared by the server with stream_list_clear) with
   * at most n entries, newest first, of the whole stream (feed NULL) or of the feed of that
   * name, keeping only entries whose time is at or after `since` (UTC seconds; 0 = all).
   * For one feed, entries' sources[0] should be that feed (its title names the document).
   * 0, -ENOENT for an unknown feed name, another negative code on failure (500). */
  int (*get_stream)(void *userdata, const char *feed, size_t n, int64_t since,
                    struct stream_list *ret);
  /* Like get_stream, for a request with a named stream or ?q=: 0; -ENOENT for an unknown
   * feed or stream; -EINVAL for a search the store refused (over its work bound), with the
   * reason in err (400); another negative code on failure (500). May be NULL: such requests
   * are then 404. */
  int (*get_query)(void *userdata, const struct serve_query *q, struct stream_list *ret,
                   char *err, size_t errlen);
  /* Appends Prometheus text lines (feeds, polls, entries, errors, last poll time) to out.
   * May be NULL. Negative return: 500. */
  int (*get_metrics)(void *userdata, struct buf *out);
  /* 0 when healthy; otherwise negative, with a one-line reason written into reason.
   * May be NULL (always healthy). */
  int (*get_health)(void *userdata, char *reason, size_t reasonlen);
  /* Appends a JSON object about the feeds to out, for /status (never cached). May be NULL
   * (404). Negative return: 500. */
  int (*get_status)(void *userdata, struct buf *out);
  /* A number that changes whenever the stream's content changes (e.g. the store's highest
   * sequence or a counter bumped on every write); keys the document cache. May be NULL
   * (then nothing is cached). */
  int64_t (*get_version)(void *userdata);
};

struct serve_options {
  const char *listen;   /* "HOST:PORT", "[IPV6]:PORT" (numeric hosts, or "localhost");
                           NULL = BRAID_DEFAULT_LISTEN (defaults.h);
                           port 0 picks a free port (see serve_port) */
  const char *base_url; /* public URL of "/" for links in documents, ending in '/'; NULL =
                           "http://HOST/" from the request's Host header (else the bound
                           address), so links work under whatever name the client used */
  const char *title;    /* the stream's title; NULL = BRAID_DEFAULT_STREAM_TITLE */
  struct render_policy policy; /* what documents may publish and load ([http] keys) */
  unsigned entries;     /* entries when no ?n= is given; 0 = BRAID_DEFAULT_STREAM_ENTRIES */
  unsigned max_age;     /* Cache-Control max-age in seconds; 0 = BRAID_DEFAULT_HTTP_MAX_AGE_S */
  const char *token;    /* when set, every route but /healthz wants "Authorization: Bearer
                           TOKEN" or ?token=TOKEN (else 401); NULL = open */
};

/* Reads an access token from path: one line of 16 to BRAID_SERVE_TOKEN_MAX_BYTES printable
 * ASCII bytes without spaces (white space around it is dropped), from a regular file.
 * 0 and *ret (caller frees), or a negative code with the reason in err. */
int serve_token_read(const char *path, char **ret, char *err, size_t errlen);

struct server;

/* Starts listening and registers the handles on loop. provider and userdata must outlive the
 * server. 0 and *ret, or a negative code with a message in err (-EINVAL for a bad listen
 * string, -EADDRINUSE and friends from bind). */
int serve_new(uv_loop_t *loop, const struct serve_options *opts,
              const struct serve_provider *provider, void *userdata, struct server **ret,
              char *err, size_t errlen);
/* Entries when a request has no ?n= from now on (a reload); 0 = 50. */
void serve_set_entries(struct server *s, unsigned entries);
/* The stream's title (NULL = "braid") and render policy from now on (a reload). 0, or -ENOMEM
 * and the old ones stay. */
int serve_set_style(struct server *s, const char *title, struct render_policy policy);
/* Most named streams a server holds. */
#define SERVE_MAX_STREAMS 64
/* The named streams from now on (copied; at most SERVE_MAX_STREAMS, names valid as feed
 * names): their routes answer, the HTML page links them. 0, or -E2BIG/-EINVAL/-ENOMEM and
 * the old ones stay. */
int serve_set_streams(struct server *s, const struct serve_stream *streams, size_t n);
/* The port actually bound (useful after port 0). */
uint16_t serve_port(const struct server *s);
/* Stops the daemon, closes every connection and starts closing the uv handles; the memory
 * is released in their close callbacks, so run the loop once more (uv_run) before
 * uv_loop_close. Call it from the loop (a signal or timer callback), never from inside a
 * provider callback, which runs within libmicrohttpd. NULL is a no-op. */
void serve_free(struct server *s);

#endif
