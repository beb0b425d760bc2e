/* page.h — read a live blog's web page into its updates.
 *
 * Promise: given the HTML of a live blog's page and the URL it came from, page_read returns
 * the blog's updates, each with its instant, its own headline where the page gives one, its
 * markup (links made absolute against the page URL, not the feed's), its plain text and its
 * own URL (the update's schema.org `url`, else the page URL + "#" + its block's id), oldest
 * first. Sources, in order of trust: schema.org JSON-LD (`<script type="application/ld+json">`
 * holding a LiveBlogPosting, or a NewsArticle, with `liveBlogUpdate`; also inside `@graph`
 * and arrays), then blocks carrying `<time datetime>`, then text stamps — the last two by the
 * live-blog splitter (liveblog.h). When a page has both, updates of the blocks that JSON-LD
 * does not list (more than a minute from all of its own) are added, and a JSON-LD update
 * without a url takes its block's anchor. Every size is capped (BRAID_PAGE_* in bounds.h, plus the
 * splitter's); nothing here touches the network, logs or keeps global state.
 */
#ifndef BRAID_PAGE_H
#define BRAID_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "liveblog.h"

/* Where the updates of a page came from. */
enum page_source {
  PAGE_SOURCE_NONE = 0, /* no updates found */
  PAGE_SOURCE_JSONLD,   /* schema.org liveBlogUpdate */
  PAGE_SOURCE_BLOCKS,   /* the splitter: <time datetime> blocks or text stamps */
};
/* "none", "json-ld", "blocks". */
const char *page_source_name(enum page_source s);

struct page_update {
  int64_t time;     /* datePublished (else dateModified), or the block's stamp, UTC seconds */
  int64_t modified; /* dateModified, 0 when the page gives none */
  char *headline;   /* the update's own headline, plain text, or NULL */
  char *stamp;      /* the stamp as written in a block; for JSON-LD the date as written */
  char *html;       /* its markup, links absolute, unsanitised */
  char *text;       /* its plain text */
  char *url;        /* absolute URL of the update itself, or NULL */
  char *anchor;     /* the id of its block in the page, or NULL */
};

struct page_updates {
  enum page_source source;
  int64_t coverage_end;   /* JSON-LD coverageEndTime, UTC seconds */
  bool has_coverage_end;
  char *title;            /* the blog's headline from JSON-LD, or NULL */
  struct page_update *updates; /* oldest first */
  size_t n;
};

struct page_options {
  const char *page_url;   /* the page's final URL (after redirects): base of its links */
  struct split_options split; /* for the splitter fallback: mode, tz, post date, signals */
};

/* Reads html[0..len). On success *ret is new (page_updates_free) and may hold 0 updates.
 * 0, -E2BIG (the page is over BRAID_SPLIT_MAX_BODY_BYTES; err says so), -EINVAL (bad tz),
 * -ENOMEM. err (errlen bytes) may be NULL. A JSON-LD script that is not valid JSON is
 * skipped, not an error: pages carry broken ones. */
int page_read(const char *html, size_t len, const struct page_options *opt,
              struct page_updates **ret, char *err, size_t errlen);
void page_updates_free(struct page_updates *p);

#endif
