/* serve_request.c — what a request asks for, before the server answers it: its route, and
 * whether its framing is one a GET-only server can trust. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "serve_priv.h"

enum route serve_route_for(const char *url, const char **ret_feed, size_t *ret_feed_len,
                            const char **ret_ext) {
  static const struct {
    const char *path;
    enum route route;
  } fixed[] = {
      {"/", ROUTE_HTML},           {"/feed.atom", ROUTE_ATOM}, {"/feed.rss", ROUTE_RSS},
      {"/feed.json", ROUTE_JSON},  {"/healthz", ROUTE_HEALTHZ}, {"/metrics", ROUTE_METRICS},
      {"/status", ROUTE_STATUS},
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
  static const char streams[] = "/streams/";
  const char *dot = strrchr(url, '.');
  if (strncmp(url, streams, sizeof streams - 1) == 0 && dot && dot > url + sizeof streams - 1) {
    *ret_feed = url + sizeof streams - 1;
    *ret_feed_len = (size_t)(dot - *ret_feed);
    *ret_ext = dot + 1;
    return ROUTE_STREAM;
  }
  return ROUTE_OTHER;
}

/* The request headers that make a GET ambiguous or give it a body. */
struct framing {
  unsigned hosts, lengths, encodings;
  bool nonzero_length; /* a Content-Length other than 0 */
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value) {
  struct framing *f = cls;
  (void)kind;
  if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
    f->hosts++;
  else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
    f->lengths++;
    f->nonzero_length |= !value || strspn(value, "0") != strlen(value) || !*value;
  } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
    f->encodings++;
  return MHD_YES;
}

/* Two servers in a row could read an ambiguous request differently (request smuggling), and
 * a feed server has no use for a body. */
const char *serve_ambiguity(struct MHD_Connection *c, const char *version) {
  struct framing f = {0};
  MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &f);
  if (f.hosts > 1)
    return "more than one Host header";
  if (f.hosts == 0 && strcmp(version, MHD_HTTP_VERSION_1_0) != 0)
    return "no Host header";
  if (f.lengths && f.encodings)
    return "both Content-Length and Transfer-Encoding";
  if (f.lengths > 1)
    return "more than one Content-Length header";
  if (f.encodings || f.nonzero_length)
    return "a body: GET and HEAD take none";
  return NULL;
}
