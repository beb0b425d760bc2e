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
/* "HOST:PORT" or "[IPV6]:PORT" with a numeric host ("localhost" is 127.0.0.1); port
 * 0..65535. Fills *ret_addr and *ret_len; 0 or -EINVAL. */
int serve_parse_listen(const char *listen, struct sockaddr_storage *ret_addr, socklen_t *ret_len);
/* A Host header value fit to build absolute URLs from: [A-Za-z0-9.:[\]-], at most 255
 * bytes, not empty. */
bool serve_host_valid(const char *host);

/* ---- serve_doc.c ----------------------------------------------------------------------- */

/* A rendered document, ready to send: both encodings, as MHD responses with every header
 * but those of the request's own (the cache holds one reference to each response). */
struct serve_doc {
  char *key;                   /* route, feed, n, since, host: what the document depends on */
  int64_t version;             /* provider's stream version when it was rendered */
  uint64_t last_used;          /* the cache's clock when last served, for LRU eviction */
  struct MHD_Response *plain;  /* identity encoding */
  struct MHD_Response *gzip;   /* Content-Encoding: gzip */
  char etag[40];               /* "HASH" of the identity body, quotes included */
  char etag_gzip[44];          /* "HASH-gz" */
  int64_t last_modified;       /* newest entry's time, UTC seconds; 0 when the stream is empty */
};

/* What to render. */
struct serve_doc_request {
  const char *key;       /* copied into the document */
  int64_t version;       /* copied into the document */
  enum render_format fmt;
  const char *feed;      /* NULL for the whole stream */
  unsigned n;
  int64_t since;
  const char *base_url;  /* ends in '/' */
  const char *path;      /* the path below base_url: "feed.atom", "feeds/NAME.atom", "" */
  const char *title;
  struct render_policy policy;
  unsigned max_age;      /* Cache-Control max-age, seconds */
};

/* Renders a document from the provider's stream. 0 and *ret (free with serve_doc_free),
 * -ENOENT for an unknown feed, other negative codes for failures. */
int serve_doc_new(const struct serve_provider *p, void *userdata,
                  const struct serve_doc_request *rq, struct serve_doc **ret);
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

#endif
