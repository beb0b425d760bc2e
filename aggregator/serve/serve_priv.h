/* serve_priv.h — the pieces of the HTTP server that serve.c shares with serve_http.c (request
 * header and parameter parsing, pure functions) and serve_doc.c (rendered documents and their
 * cache). Not part of the server's API: include serve.h. Unit tests use it directly.
 */
#ifndef BRAID_SERVE_PRIV_H
#define BRAID_SERVE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "bounds.h"
#include "render.h"
#include "serve.h"

/* ---- serve_http.c ---------------------------------------------------------------------- */

/* Whether an If-None-Match header value ("*", or a list of entity tags, W/ or not) matches
 * the strong tag etag (quotes included), by the weak comparison RFC 9110 13.1.2 asks for. */
bool serve_etag_matches(const char *if_none_match, const char *etag);
/* Whether an Accept-Encoding value allows gzip (gzip, x-gzip or *, with q > 0). */
bool serve_accepts_gzip(const char *accept_encoding);
/* ?n=: decimal digits only, 1..BRAID_SERVE_MAX_ENTRIES. 0 or -EINVAL. */
int serve_parse_n(const char *s, unsigned *ret_n);
/* ?since=: RFC 3339. A query string's '+' arrives as a space, so a space after the date part
 * is read as '+'. 0 or -EINVAL. */
int serve_parse_since(const char *s, int64_t *ret_utc);
/* NAME of /feeds/NAME.atom: [A-Za-z0-9._-]+, not "." or "..", at most
 * BRAID_SERVE_MAX_FEED_NAME_BYTES bytes. */
bool serve_feed_name_valid(const char *s, size_t len);
/* Appends s to out percent-encoded for a query string's value (unreserved bytes kept).
 * 0 or buf's error. */
int serve_query_escape(const char *s, struct buf *out);
/* Whether a client's token equals the configured one, in time that does not depend on
 * where they differ. */
bool serve_token_matches(const char *given, const char *token);

/* ---- serve_streams.c ------------------------------------------------------------------- */

/* The named streams the server answers for, with what their documents need. */
struct serve_streams {
  struct serve_stream *items; /* names and titles, owned */
  char **pages;               /* "streams/NAME.html" of each, for the page's links */
  struct render_nav *nav;     /* the HTML page's links, pointing into items and pages */
  size_t n;
};
/* Replaces t's streams with copies of src. 0, or -E2BIG (over SERVE_MAX_STREAMS), -EINVAL
 * (a bad name) or -ENOMEM, and t is unchanged. */
int serve_streams_replace(struct serve_streams *t, const struct serve_stream *src, size_t n);
void serve_streams_clear(struct serve_streams *t);
/* The stream whose name is the len bytes at name, or NULL. */
const struct serve_stream *serve_streams_find(const struct serve_streams *t, const char *name,
                                              size_t len);

/* ---- serve_doc.c ----------------------------------------------------------------------- */

/* A rendered document, ready to send: both encodings, as MHD responses with every header
 * but those of the request's own (the cache holds one reference to each response). */
struct serve_doc {
  char *key;                   /* route, feed, n, since: what the document depends on */
  int64_t version;             /* provider's stream version when it was rendered */
  unsigned status;             /* 200, or the error status of a failed render (then plain
                                  holds the message and gzip is NULL) */
  uint64_t last_used;          /* the cache's clock when last served, for LRU eviction */
  struct MHD_Response *plain;  /* identity encoding */
  struct MHD_Response *gzip;   /* Content-Encoding: gzip */
  char etag[40];               /* "HASH" of the identity body, quotes included */
  char etag_gzip[44];          /* "HASH-gz" */
  size_t length;               /* bytes of the identity body */
  size_t entries;              /* entries it holds (fewer than asked when the cap bit) */
  int64_t last_modified;       /* when the server saw the stream's version change, UTC seconds;
                                  0 when unknown (no version): no Last-Modified */
};

/* What to render. */
struct serve_doc_request {
  const char *key;       /* copied into the document */
  int64_t version;       /* copied into the document */
  enum render_format fmt;
  const char *feed;      /* NULL for the whole stream */
  const char *stream;    /* a named stream, or NULL */
  const char *q;         /* ?q=, or NULL */
  unsigned n;
  int64_t since;
  const char *base_url;  /* ends in '/' */
  const char *path;      /* the path below base_url: "feed.atom", "feeds/NAME.atom", "" */
  const char *title;
  const char *alternates_path; /* render_meta's: "streams/NAME." or NULL */
  const char *home_url;  /* render_meta's, or NULL */
  const struct render_nav *nav; /* the HTML page's links to named streams */
  size_t n_nav;
  struct render_policy policy;
  unsigned max_age;      /* Cache-Control max-age, seconds */
  int64_t last_modified; /* Last-Modified, UTC seconds; 0 = none */
  size_t max_bytes;      /* the document's cap; 0 = BRAID_RENDER_MAX_BYTES (tests lower it) */
  char *err;             /* where get_query's reason for -EINVAL goes (errlen bytes), or NULL */
  size_t errlen;
};

/* Renders a document from the provider's stream (get_query when rq names a stream or a
 * search, else get_stream). 0 and *ret (free with serve_doc_free), -ENOENT for an unknown
 * feed or stream, -EINVAL for a search the store refused (why in rq->err), other negative codes
 * for failures. */
int serve_doc_new(const struct serve_provider *p, void *userdata,
                  const struct serve_doc_request *rq, struct serve_doc **ret);
/* A document standing for a failed render: status 500 with text as its plain body.
 * 0 or -ENOMEM. */
int serve_doc_new_error(const char *key, int64_t version, const char *text,
                        struct serve_doc **ret);
void serve_doc_free(struct serve_doc *d);

/* A bounded set of documents, evicting the least recently used. */
struct serve_cache {
  struct serve_doc *docs[BRAID_SERVE_CACHE_DOCUMENTS];
  uint64_t clock;
  uint64_t hits, misses;
};

/* The cached document for key at version (marked used), or NULL. */
struct serve_doc *serve_cache_get(struct serve_cache *c, const char *key, int64_t version);
/* Takes ownership of d, replacing any document with the same key and evicting the least
 * recently used one if full. */
void serve_cache_put(struct serve_cache *c, struct serve_doc *d);
void serve_cache_clear(struct serve_cache *c);

/* What a request asked for; indexes the request counters. */
enum route {
  ROUTE_HTML,
  ROUTE_ATOM,
  ROUTE_RSS,
  ROUTE_JSON,
  ROUTE_FEED,
  ROUTE_STREAM,
  ROUTE_HEALTHZ,
  ROUTE_METRICS,
  ROUTE_STATUS,
  ROUTE_OTHER,
  ROUTE_COUNT
};

/* Which route a path names; for /feeds/NAME.atom and /streams/NAME.EXT, *ret_feed and
 * *ret_feed_len give NAME (and *ret_ext EXT). */
enum route serve_route_for(const char *url, const char **ret_feed, size_t *ret_feed_len,
                           const char **ret_ext);
struct MHD_Connection;
/* Why a GET or HEAD request must be refused with 400 (RFC 9112 3.2, 6.3: a body, two
 * lengths, a length beside a transfer coding, no Host in HTTP/1.1, two Hosts), or NULL. */
const char *serve_ambiguity(struct MHD_Connection *c, const char *version);

#endif
