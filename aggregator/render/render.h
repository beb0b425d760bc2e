/* render.h — the merged stream written as Atom 1.0, RSS 2.0, JSON Feed 1.1 or an HTML page.
 *
 * Promise: equal input gives byte-identical output (so a hash of it is a stable ETag); every
 * entry's HTML passes through sanitize_html before it is written; every string is written as
 * valid UTF-8 with the control characters XML forbids removed, escaped for its format; the
 * order of entries is the order of the list (newest first). Atom entries carry an
 * <atom:source> naming the feed that carried them first, RSS items a <source>, JSON Feed
 * items a `_braid` extension object. Nothing here logs, reads files or touches the network.
 */
#ifndef BRAID_RENDER_H
#define BRAID_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "entry.h"

enum render_format {
  RENDER_ATOM,
  RENDER_RSS,
  RENDER_JSON,
  RENDER_HTML,
};

/* What the operator allows documents to do ([http] keys in braid.conf). Zero = the safe
 * defaults. */
struct render_policy {
  bool publish_feed_queries; /* publish_feed_queries: a feed URL with a query (often a token)
                                may be published; false = its site link instead */
  bool remote_images;        /* remote_images: the HTML page loads images, media and embeds
                                from other hosts; false = they become links */
};

/* A link the HTML page lists in its header: a named stream. */
struct render_nav {
  const char *title; /* what the link says */
  const char *path;  /* below base_url: "streams/NAME.html" */
};

/* What the document says about itself. Strings are borrowed for the call. */
struct render_meta {
  const char *title;             /* the stream's title; NULL = "braid" (or the source's title) */
  const char *self_url;          /* absolute URL of this document; also the Atom feed id */
  const char *base_url;          /* absolute URL of the server's root, ending in '/': the HTML
                                    view, and the prefix of the other formats' links */
  const char *generator_version; /* braid's version for <generator>; NULL = BRAID_VERSION */
  int64_t updated;               /* UTC seconds the stream last changed; 0 = the newest
                                    `updated` among the entries (the epoch if none) */
  const struct stream_source *source; /* non-NULL for one feed's document (/feeds/NAME.atom) */
  struct render_policy policy;
  const char *alternates_path;   /* below base_url, the documents' shared path before the
                                    format's name: "streams/NAME." for a named stream's four;
                                    NULL = "feed." (the whole stream) */
  const char *home_url;          /* the page the document stands for; NULL = the one source's
                                    site, else base_url */
  const char *description;       /* one line saying what the document holds; NULL = the
                                    stream's or the one feed's usual line */
  const struct render_nav *nav;  /* links the HTML page's header lists (named streams) */
  size_t n_nav;
  bool search_form;              /* the HTML page has a search box (a page the server answers:
                                    it submits ?q= to the page's own address) */
  const char *search;            /* the search this document answers (?q=), or NULL: the box
                                    shows it, the page says so and offers the whole stream */
  const char *search_suffix;     /* "?q=" and the search URL-escaped, appended to the page's
                                    feed links so a reader can subscribe to the search; NULL */
};

/* Appends the document to out (out's cap bounds it). 0, -EINVAL for an unknown format or a
 * NULL meta/url, -E2BIG when out's cap is reached, -ENOMEM. On error out may hold a prefix. */
int render_stream(enum render_format fmt, const struct render_meta *meta,
                  const struct stream_list *entries, struct buf *out);

/* The newest of the entries' `updated` and `time`, in UTC seconds; 0 for an empty list. What
 * a document says it was last updated when render_meta.updated is 0, and a server's
 * Last-Modified. */
int64_t render_stream_updated(const struct stream_list *entries);

/* The Content-Type (with charset) a server sends for fmt. */
const char *render_content_type(enum render_format fmt);
/* "atom", "rss", "json", "html" -> format. 0, or -EINVAL for any other name. */
int render_format_from_name(const char *name, enum render_format *ret_fmt);

/* The Content-Security-Policy of the HTML page: no script, no plug-ins. By default
 * nothing is loaded from another host (a feed could otherwise count and follow its readers
 * with an image): images only from data: URLs and the page's own server, remote images and
 * media written as links. The _REMOTE policies are those with [http] remote_images = yes:
 * images and media from the web, frames only from the embed hosts the sanitiser keeps. A page
 * the server answers has a search box that submits to the same server (form-action 'self',
 * the _SEARCH policies); an exported file has no form and allows none. The page carries its
 * policy in a <meta> (so an exported file is covered too) and the server sends it as a header
 * (render_html_csp). */
#define RENDER_HTML_CSP_LOCAL_                                                                   \
  "default-src 'none'; img-src 'self' data:; media-src 'self'; "                                 \
  "style-src 'unsafe-inline'; frame-src 'none'; base-uri 'none'; "
#define RENDER_HTML_CSP_REMOTE_                                                                  \
  "default-src 'none'; img-src http: https: data:; media-src http: https:; "                     \
  "style-src 'unsafe-inline'; frame-src https://www.youtube.com https://youtube.com "            \
  "https://www.youtube-nocookie.com https://youtube-nocookie.com https://player.vimeo.com; "     \
  "base-uri 'none'; "
#define RENDER_HTML_CSP RENDER_HTML_CSP_LOCAL_ "form-action 'none'"
#define RENDER_HTML_CSP_REMOTE RENDER_HTML_CSP_REMOTE_ "form-action 'none'"
#define RENDER_HTML_CSP_SEARCH RENDER_HTML_CSP_LOCAL_ "form-action 'self'"
#define RENDER_HTML_CSP_REMOTE_SEARCH RENDER_HTML_CSP_REMOTE_ "form-action 'self'"
/* The policy for the page as render_policy.remote_images and the search box say. */
const char *render_html_csp(bool remote_images, bool search_form);

/* The URL a document may publish for the feed s: its feed_url when that is an http(s) URL
 * with no user:password@ and, unless allow_query, no query (a query is where tokens live);
 * else its site link when that is a safe http(s) URL; else NULL. Never a local path. Every
 * renderer and export names a feed through this. */
const char *render_feed_public_url(const struct stream_source *s, bool allow_query);
/* Whether s's feed_url itself is publishable (render_feed_public_url would return it). */
bool render_feed_url_public(const struct stream_source *s, bool allow_query);

/* Bytes needed for render_rfc822_date's output, NUL included. */
#define RENDER_RFC822_LEN 30
/* Writes "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 822 as RSS and HTTP's IMF-fixdate want it). */
void render_rfc822_date(int64_t utc, char out[RENDER_RFC822_LEN]);

#endif
