/* liveblog_signals.h — what says, outside the stamps, that a body is a live blog.
 *
 * Promise: reads the item's title, link and categories (split_options) and the body's own
 * <title>, canonical / og:url / og:title and schema.org LiveBlogPosting markup (microdata or
 * JSON-LD) for the words outlets use for live coverage: live, live blog, live updates, latest
 * updates, as it happened, Liveticker, Newsticker, en direct, en directo, en vivo, in diretta,
 * ao vivo, minuto a minuto. Bounded: titles and URLs are read up to LIVEBLOG_SIGNAL_MAX_BYTES,
 * the head up to LIVEBLOG_SIGNAL_MAX_NODES nodes; the markup search is one memmem over the body.
 */
#ifndef BRAID_LIVEBLOG_SIGNALS_H
#define BRAID_LIVEBLOG_SIGNALS_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/HTMLparser.h>

#include "liveblog.h"

#define LIVEBLOG_SIGNAL_MAX_BYTES 1024
#define LIVEBLOG_SIGNAL_MAX_NODES 400

/* Whether text (a title, URL or category; n bytes) holds a live-coverage word. */
bool liveblog_words_say_live(const char *text, size_t n);

/* Whether the item (opt) or the page (doc, and its bytes html/len) says it is a live blog. */
bool liveblog_signals(const struct split_options *opt, htmlDocPtr doc, const char *html,
                      size_t len);

#endif
