/* discover.h — from the URL a person pastes (a feed, a site, an article) to the feed to poll.
 *
 * Promise: one fetch of the URL with the fetcher (the same caps, User-Agent, redirect rules
 * and compression as polling; the body is read up to BRAID_DISCOVER_MAX_PAGE_BYTES). If the
 * answer is a feed (the feed parser finds an RSS, RDF, Atom or JSON Feed root) the URL is the
 * feed. If it is an HTML page, the feeds it advertises — <link rel="alternate"> (or
 * rel="feed") with an RSS, RDF, Atom or JSON Feed type, resolved against the page's <base> or
 * its final URL, in document order — are the candidates; a page that advertises none gets the
 * common feed paths on its origin (/feed, /rss, /feed.xml, /rss.xml, /atom.xml, /index.xml,
 * /feed.json). Candidates are fetched in order, a comments feed last, until one is a feed: that
 * one is picked. At most BRAID_DISCOVER_MAX_PROBES fetches in all, one at a time, so a site
 * gets no more than a reader's visit.
 *
 * Runs its own libuv loop and blocks until done: for the command line, not the daemon.
 */
#ifndef BRAID_DISCOVER_H
#define BRAID_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>

struct fetch_limits;

/* One feed a page advertised (or a common path that answered with a feed). */
struct discovered_feed {
  char *url;      /* absolute */
  char *type;     /* the link's media type, e.g. "application/atom+xml"; "" for a common path */
  char *title;    /* the link's title attribute, or NULL */
  bool checked;   /* fetched and found to be a feed */
};

enum discover_verdict {
  DISCOVER_FEED,       /* the URL itself is a feed */
  DISCOVER_FOUND,      /* a page; `picked` is the feed to poll */
  DISCOVER_NONE,       /* a page (or other document) that names no feed that answers as one */
  DISCOVER_UNREACHED,  /* the URL could not be fetched (network error, HTTP error, cap) */
};

struct discovery {
  enum discover_verdict verdict;
  char *content_type;            /* of the URL's answer, or NULL */
  struct discovered_feed *feeds; /* what the page advertised (or the common path that answered) */
  size_t n_feeds;
  size_t picked;                 /* index into feeds, for DISCOVER_FOUND */
  size_t probes;                 /* fetches made */
  char error[256];               /* why, for DISCOVER_UNREACHED and DISCOVER_NONE */
};

/* Looks at url as described above. limits may be NULL (defaults). 0 with *ret filled in
 * (whatever the verdict), or -ENOMEM / -EIO (the loop or curl could not be set up). */
int discover_feed(const char *url, const struct fetch_limits *limits, struct discovery *ret);

/* Frees what discover_feed filled in; the struct itself is the caller's. Zeroed is fine. */
void discovery_clear(struct discovery *d);

#endif
