/* export.h — the merged stream read from the store and written as documents: for
 * `braid export` and the static [output] dir (the HTTP server reads it through
 * streamread.h).
 *
 * Promise: export_write_dir replaces each file atomically (written beside it, fsync'ed, then
 * renamed over it), so a static web server never serves half a document.
 */
#ifndef BRAID_EXPORT_H
#define BRAID_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "entry.h"
#include "render.h"
#include "search.h"
#include "store.h"

/* The base URL documents link to: [http] base_url when set (base_url non-NULL), else
 * "http://HOST:PORT/" of the [http] listen string (see listen_base_url). Writes at most size
 * bytes into out; give it EXPORT_BASE_URL_BYTES. */
#define EXPORT_BASE_URL_BYTES 600
void export_base_url(const char *base_url, const char *listen, char *out, size_t size);

/* What every exported document shares: the stream's title ([stream] title; NULL = "braid")
 * and what the operator allows ([http] publish_feed_queries, remote_images). */
struct export_style {
  const char *title;
  struct render_policy policy;
  const struct render_nav *nav; /* the named streams the HTML pages link ("streams/NAME.html") */
  size_t n_nav;
};

/* One named stream to export: its name, title and which entries it holds. */
struct export_stream {
  const char *name;  /* a valid feed-style name: the files are streams/NAME.atom etc.; NULL =
                        the whole stream's documents, filtered (a search) */
  const char *title;
  struct store_filter filter;
};

/* Renders the newest n entries as fmt into out: the whole stream (st NULL) or those st's
 * filter passes, named as st says. style NULL = the defaults. On failure err says why (a
 * refused search: -EINVAL and the reason). */
int export_render(struct store *s, enum render_format fmt, size_t n, const char *base_url,
                  const struct export_style *style, const struct export_stream *st,
                  struct buf *out, char *err, size_t errlen);

/* Writes feed.atom, feed.rss, feed.json and index.html into dir, linking to base_url. */
int export_write_dir(struct store *s, const char *dir, size_t n, const char *base_url,
                     const struct export_style *style, char *err, size_t errlen);

/* Writes streams/NAME.atom, .rss, .json and .html into dir (creating dir/streams), the same
 * paths the server answers, linking to base_url. */
int export_write_stream(struct store *s, const char *dir, const struct export_stream *st,
                        size_t n, const char *base_url, const struct export_style *style,
                        char *err, size_t errlen);

#endif
