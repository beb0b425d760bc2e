/* discover.c — finds the feed behind a site or page URL. See discover.h. */
#include "discover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/uri.h>
#include <uv.h>

#include "bounds.h"
#include "buf.h"
#include "entities.h"
#include "fetch.h"
#include "parse.h"

/* The common places a site keeps its feed, tried when a page advertises none. */
static const char *const common_paths[] = {
    "/feed", "/rss", "/feed.xml", "/rss.xml", "/atom.xml", "/index.xml", "/feed.json",
};

/* What one fetch found out. */
struct probe {
  bool done;
  enum fetch_outcome outcome;
  long status;
  char error[200];
  char *content_type;
  char *final_url;
  struct feed_parser *parser; /* fed every body byte while it still can be a feed */
  bool parser_failed;
  bool is_feed;
  char *charset;              /* the Content-Type charset parameter, or NULL */
  struct buf page;            /* the first BRAID_DISCOVER_MAX_PAGE_BYTES, for the HTML scan */
};

static int noop_item(void *userdata, const struct feed_item *item) {
  (void)userdata;
  (void)item;
  return 0;
}

static char *strdup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static int probe_on_headers(void *userdata, long status, const struct fetch_headers *h) {
  struct probe *p = userdata;
  p->status = status;
  free(p->content_type);
  free(p->final_url);
  p->content_type = strdup_or_null(h->content_type);
  p->final_url = strdup_or_null(h->effective_url);
  free(p->charset);
  p->charset = strdup_or_null(h->charset);
  struct parse_options opt = {.base_url = h->effective_url, .charset = h->charset};
  p->parser = feed_parser_new(&opt, noop_item, NULL);
  return p->parser ? 0 : -ENOMEM;
}

static bool parser_says_feed(const struct probe *p) {
  return p->parser && !p->parser_failed && feed_parser_meta(p->parser)->format != NULL;
}

static int probe_on_data(void *userdata, const char *data, size_t len) {
  struct probe *p = userdata;
  if (p->parser && !p->parser_failed && feed_parser_push(p->parser, data, len) < 0)
    p->parser_failed = true;
  size_t room = p->page.len < BRAID_DISCOVER_MAX_PAGE_BYTES
                    ? BRAID_DISCOVER_MAX_PAGE_BYTES - p->page.len : 0;
  if (room && buf_append(&p->page, data, len < room ? len : room) < 0)
    return -ENOMEM;
  /* A feed root read is the answer (the rest of a big feed is not needed); so is a full page
   * buffer without one. JSON Feed is known only at its end, within the fetcher's size cap. */
  if (parser_says_feed(p) || p->page.len >= BRAID_DISCOVER_MAX_PAGE_BYTES)
    return 1;
  return 0;
}

static void probe_on_done(void *userdata, const struct fetch_result *r) {
  struct probe *p = userdata;
  p->outcome = r->outcome;
  p->status = r->status;
  snprintf(p->error, sizeof p->error, "%s", r->error ? r->error : "");
  if (r->outcome == FETCH_OK && p->parser && !p->parser_failed &&
      feed_parser_finish(p->parser) < 0)
    p->parser_failed = true;
  /* A feed cut by the size cap is still a feed: its root was read. */
  p->is_feed = parser_says_feed(p) &&
               (r->outcome == FETCH_OK || r->outcome == FETCH_LIMIT_MAX_BYTES ||
                r->outcome == FETCH_ABORTED);
  p->done = true;
}

static void probe_clear(struct probe *p) {
  free(p->charset);
  free(p->content_type);
  free(p->final_url);
  feed_parser_free(p->parser);
  buf_clear(&p->page);
  memset(p, 0, sizeof *p);
}

/* Fetches url to the end on loop. 0 (whatever the outcome, in p), or negative if the job
 * could not start. */
static int probe_run(uv_loop_t *loop, struct fetcher *f, const char *url, struct probe *p) {
  memset(p, 0, sizeof *p);
  buf_init(&p->page, BRAID_DISCOVER_MAX_PAGE_BYTES);
  struct fetch_request req = {.url = url};
  struct fetch_callbacks cb = {probe_on_headers, probe_on_data, probe_on_done};
  int rc = fetcher_start(f, &req, &cb, p, NULL);
  if (rc < 0)
    return rc;
  /* UV_RUN_ONCE, not DEFAULT: kept-alive connections hold the loop open after the job. */
  while (!p->done)
    uv_run(loop, UV_RUN_ONCE);
  return 0;
}

/* ---- the HTML scan ------------------------------------------------------------------- */

struct scan {
  char *base;                      /* <base href>, resolved, or NULL */
  const char *page_url;
  struct discovered_feed *feeds;
  size_t n;
  bool oom;
};

static bool rel_names_feed(const char *rel) {
  /* rel is a space-separated token list, compared case-insensitively. */
  const char *s = rel;
  while (*s) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f')
      s++;
    size_t n = strcspn(s, " \t\n\r\f");
    if ((n == 9 && strncasecmp(s, "alternate", 9) == 0) || (n == 4 && strncasecmp(s, "feed", 4) == 0))
      return true;
    s += n;
  }
  return false;
}

static bool type_is_feed(const char *type) {
  static const char *const types[] = {
      "application/rss+xml", "application/atom+xml", "application/rdf+xml",
      "application/feed+json", "application/x.atom+xml", "application/x-atom+xml",
  };
  size_t n = strcspn(type, ";");
  while (n && (type[n - 1] == ' ' || type[n - 1] == '\t'))
    n--;
  for (size_t i = 0; i < sizeof types / sizeof *types; i++)
    if (strlen(types[i]) == n && strncasecmp(type, types[i], n) == 0)
      return true;
  return false;
}

static const char *attr_of(const xmlChar **attrs, const char *name) {
  for (size_t i = 0; attrs && attrs[i]; i += 2)
    if (strcasecmp((const char *)attrs[i], name) == 0)
      return attrs[i + 1] ? (const char *)attrs[i + 1] : "";
  return NULL;
}

/* href made absolute against the page's base, or NULL if it cannot be (or is not http/https). */
static char *absolute_http_url(const struct scan *s, const char *href) {
  xmlChar *abs = xmlBuildURI((const xmlChar *)href,
                             (const xmlChar *)(s->base ? s->base : s->page_url));
  if (!abs)
    return NULL;
  char *out = NULL;
  size_t len = strlen((const char *)abs);
  if (len <= BRAID_FETCH_MAX_URL_BYTES && (strncasecmp((const char *)abs, "http://", 7) == 0 ||
                                           strncasecmp((const char *)abs, "https://", 8) == 0))
    out = strdup((const char *)abs);
  xmlFree(abs);
  return out;
}

static int add_feed(struct scan *s, char *url, const char *type, const char *title) {
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->feeds[i].url, url) == 0) {
      free(url);
      return 0;
    }
  if (s->n >= BRAID_DISCOVER_MAX_LINKS) {
    free(url);
    return 0;
  }
  struct discovered_feed *grown = realloc(s->feeds, (s->n + 1) * sizeof *grown);
  if (!grown) {
    free(url);
    return -ENOMEM;
  }
  s->feeds = grown;
  struct discovered_feed *d = &s->feeds[s->n];
  memset(d, 0, sizeof *d);
  d->url = url;
  d->type = strdup(type);
  d->title = title ? strndup(title, utf8_cut(title, strlen(title), BRAID_DISCOVER_MAX_TITLE_BYTES)) : NULL;
  s->n++;
  if (!d->type || (title && !d->title))
    return -ENOMEM;
  return 0;
}

static void scan_start_element(void *ctx, const xmlChar *name, const xmlChar **attrs) {
  struct scan *s = ((htmlParserCtxtPtr)ctx)->_private;
  if (s->oom)
    return;
  if (strcasecmp((const char *)name, "base") == 0 && !s->base) {
    const char *href = attr_of(attrs, "href");
    if (href && *href)
      s->base = absolute_http_url(s, href);
    return;
  }
  if (strcasecmp((const char *)name, "link") != 0)
    return;
  const char *rel = attr_of(attrs, "rel"), *type = attr_of(attrs, "type");
  const char *href = attr_of(attrs, "href");
  if (!rel || !type || !href || !*href || !rel_names_feed(rel) || !type_is_feed(type))
    return;
  char *url = absolute_http_url(s, href);
  if (url && add_feed(s, url, type, attr_of(attrs, "title")) < 0)
    s->oom = true;
}

static bool valid_utf8(const char *data, size_t len) {
  const unsigned char *p = (const unsigned char *)data;
  while (len) {
    int n = len < 4 ? (int)len : 4;
    if (xmlGetUTF8Char(p, &n) < 0)
      return false;
    p += n;
    len -= (size_t)n;
  }
  return true;
}

/* The encoding to read a page in: the HTTP charset when it names one libxml2 knows; else
 * UTF-8 when the bytes are valid UTF-8 (libxml2's own fallback, latin-1, would turn "»"
 * into "Â»"); else NONE, leaving libxml2 to its <meta charset> and fallback. */
static xmlCharEncoding page_encoding(const struct buf *page, const char *http_charset) {
  if (http_charset) {
    xmlCharEncoding e = xmlParseCharEncoding(http_charset);
    if (e > XML_CHAR_ENCODING_NONE)
      return e;
  }
  return valid_utf8(page->data, page->len) ? XML_CHAR_ENCODING_UTF8 : XML_CHAR_ENCODING_NONE;
}

/* The feeds page (bytes of the page at page_url) advertises, in document order. */
static int scan_page(const struct buf *page, const char *page_url, const char *http_charset,
                     struct scan *s) {
  memset(s, 0, sizeof *s);
  s->page_url = page_url;
  htmlSAXHandler sax;
  memset(&sax, 0, sizeof sax);
  sax.startElement = scan_start_element;
  htmlParserCtxtPtr ctx = htmlCreatePushParserCtxt(&sax, NULL, NULL, 0, page_url,
                                                   page_encoding(page, http_charset));
  if (!ctx)
    return -ENOMEM;
  ctx->_private = s;
  htmlCtxtUseOptions(ctx, HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                              HTML_PARSE_RECOVER | HTML_PARSE_COMPACT);
  /* The user data of SAX callbacks is the context itself when NULL is given above. */
  ctx->userData = ctx;
  htmlParseChunk(ctx, page->data ? page->data : "", (int)page->len, 1);
  htmlFreeParserCtxt(ctx);
  return s->oom ? -ENOMEM : 0;
}

/* A comments feed ("Comments Feed", ".../comments/feed") is rarely what a person means: it
 * goes after the others, which keep their document order. */
static bool is_comments_feed(const struct discovered_feed *d) {
  return (d->title && strcasestr(d->title, "comment")) || strcasestr(d->url, "comment");
}

static void order_candidates(struct discovered_feed *feeds, size_t n) {
  size_t w = 0;
  struct discovered_feed tmp;
  for (size_t pass = 0; pass < 2; pass++)
    for (size_t i = w; i < n; i++)
      if (is_comments_feed(&feeds[i]) == (pass == 1)) {
        tmp = feeds[i];
        memmove(&feeds[w + 1], &feeds[w], (i - w) * sizeof *feeds);
        feeds[w++] = tmp;
      }
}

/* scheme://host[:port] of url, or NULL. */
static char *origin_of(const char *url) {
  const char *p = strstr(url, "://");
  if (!p)
    return NULL;
  p += 3;
  size_t n = strcspn(p, "/?#");
  return strndup(url, (size_t)(p - url) + n);
}

/* ---- the whole look ------------------------------------------------------------------ */

static void describe_failure(const struct probe *p, char *out, size_t size) {
  if (p->outcome == FETCH_HTTP_ERROR)
    snprintf(out, size, "HTTP %ld", p->status);
  else
    snprintf(out, size, "%s%s%s", fetch_outcome_name(p->outcome), *p->error ? ": " : "",
             p->error);
}

/* Fetches the candidates in order until one answers as a feed. */
static int check_candidates(uv_loop_t *loop, struct fetcher *f, struct discovery *d) {
  for (size_t i = 0; i < d->n_feeds && d->probes < BRAID_DISCOVER_MAX_PROBES; i++) {
    struct probe p;
    int rc = probe_run(loop, f, d->feeds[i].url, &p);
    d->probes++;
    bool feed = rc == 0 && p.is_feed;
    probe_clear(&p);
    if (feed) {
      d->feeds[i].checked = true;
      d->picked = i;
      d->verdict = DISCOVER_FOUND;
      return 0;
    }
  }
  return 0;
}

/* No advertised feed: the common paths on the page's origin; only one that answers is kept. */
static int try_common_paths(uv_loop_t *loop, struct fetcher *f, const char *page_url,
                            struct discovery *d) {
  char *origin = origin_of(page_url);
  if (!origin)
    return 0;
  for (size_t i = 0; i < sizeof common_paths / sizeof *common_paths &&
                     d->probes < BRAID_DISCOVER_MAX_PROBES; i++) {
    char *url;
    if (asprintf(&url, "%s%s", origin, common_paths[i]) < 0) {
      free(origin);
      return -ENOMEM;
    }
    if (strcmp(url, page_url) == 0) {
      free(url);
      continue;
    }
    struct probe p;
    int rc = probe_run(loop, f, url, &p);
    d->probes++;
    bool feed = rc == 0 && p.is_feed;
    probe_clear(&p);
    if (!feed) {
      free(url);
      continue;
    }
    struct scan s = {.feeds = d->feeds, .n = d->n_feeds};
    if (add_feed(&s, url, "", NULL) < 0) {
      d->feeds = s.feeds;
      d->n_feeds = s.n;
      free(origin);
      return -ENOMEM;
    }
    d->feeds = s.feeds;
    d->n_feeds = s.n;
    d->feeds[d->n_feeds - 1].checked = true;
    d->picked = d->n_feeds - 1;
    d->verdict = DISCOVER_FOUND;
    break;
  }
  free(origin);
  return 0;
}

static int look(uv_loop_t *loop, struct fetcher *f, const char *url, struct discovery *d) {
  struct probe p;
  int rc = probe_run(loop, f, url, &p);
  d->probes++;
  if (rc < 0) {
    snprintf(d->error, sizeof d->error, "cannot fetch: %s", strerror(-rc));
    d->verdict = DISCOVER_UNREACHED;
    return 0;
  }
  d->content_type = strdup_or_null(p.content_type);
  if (p.is_feed) {
    d->verdict = DISCOVER_FEED;
    probe_clear(&p);
    return 0;
  }
  bool answered = p.outcome == FETCH_OK || p.outcome == FETCH_ABORTED ||
                  p.outcome == FETCH_LIMIT_MAX_BYTES;
  if (!answered) {
    describe_failure(&p, d->error, sizeof d->error);
    d->verdict = DISCOVER_UNREACHED;
    probe_clear(&p);
    return 0;
  }
  const char *page_url = p.final_url ? p.final_url : url;
  struct scan s;
  rc = scan_page(&p.page, page_url, p.charset, &s);
  d->feeds = s.feeds;
  d->n_feeds = s.n;
  free(s.base);
  if (rc == 0) {
    order_candidates(d->feeds, d->n_feeds);
    d->verdict = DISCOVER_NONE;
    rc = d->n_feeds ? check_candidates(loop, f, d) : try_common_paths(loop, f, page_url, d);
  }
  if (rc == 0 && d->verdict == DISCOVER_NONE)
    snprintf(d->error, sizeof d->error, "not a feed (%s) and %s",
             d->content_type ? d->content_type : "no content type",
             d->n_feeds ? "none of the feeds it names answers as one"
                        : "it names no feed; none at the common feed paths either");
  probe_clear(&p);
  return rc;
}

int discover_feed(const char *url, const struct fetch_limits *limits, struct discovery *ret) {
  memset(ret, 0, sizeof *ret);
  uv_loop_t loop;
  if (uv_loop_init(&loop) < 0)
    return -EIO;
  struct fetcher *f = NULL;
  int rc = fetcher_new(&loop, limits, &f);
  if (rc == 0)
    rc = look(&loop, f, url, ret);
  fetcher_free(f);
  uv_run(&loop, UV_RUN_DEFAULT); /* lets the fetcher's handles close */
  if (uv_loop_close(&loop) < 0)
    rc = rc < 0 ? rc : -EIO;
  if (rc < 0)
    discovery_clear(ret);
  return rc;
}

void discovery_clear(struct discovery *d) {
  for (size_t i = 0; i < d->n_feeds; i++) {
    free(d->feeds[i].url);
    free(d->feeds[i].type);
    free(d->feeds[i].title);
  }
  free(d->feeds);
  free(d->content_type);
  memset(d, 0, sizeof *d);
}
