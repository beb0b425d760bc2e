/* parse_core.h — what parse.c lends the format readers (jsonfeed.c): recording errors,
 * resolving links, capping fields and handing an item to the caller. Internal to the parser.
 */
#ifndef BRAID_PARSE_CORE_H
#define BRAID_PARSE_CORE_H

#include <stdbool.h>
#include <stddef.h>

#include "parse.h"

/* Records a recovered error (at most BRAID_PARSE_MAX_ERRORS are kept). */
void parse__error(struct feed_parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Marks the document as not well-formed. */
void parse__not_wellformed(struct feed_parser *p);
struct feed_meta *parse__meta_mut(struct feed_parser *p);
/* The document's own URL (parse_options.base_url), or NULL. */
const char *parse__doc_url(const struct feed_parser *p);
/* parse_options.content_links_raw. */
bool parse__content_links_raw(const struct feed_parser *p);
/* url made absolute against base (NULL: keep as is), trimmed; a new string or NULL. */
char *parse__resolve(const char *url, const char *base);
/* A copy of s[0..len) cut at BRAID_PARSE_MAX_FIELD_BYTES (at a UTF-8 boundary), recording
 * "item N: FIELD exceeds ..." (item 0: "feed: ...") when cut. NULL on -ENOMEM. */
char *parse__field(struct feed_parser *p, size_t item, const char *field, const char *s,
                   size_t len);
/* Hands a finished item to the callback (assigning its index), then frees its contents.
 * 0, or a negative fatal error (-E2BIG at BRAID_PARSE_MAX_ITEMS, -ECANCELED). */
int parse__deliver(struct feed_parser *p, struct feed_item *it);
/* Frees an item's contents and zeroes it. */
void parse__item_clear(struct feed_item *it);
/* Adds a category / enclosure (copied), honouring the bounds.h caps. 0 or -ENOMEM. */
int parse__add_category(struct feed_parser *p, struct feed_item *it, const char *term);
int parse__add_enclosure(struct feed_parser *p, struct feed_item *it, const char *url,
                       const char *type, const char *length);

/* JSON Feed (jsonfeed.c): reads the whole buffered document into p's meta and items. */
int parse__jsonfeed(struct feed_parser *p, const char *data, size_t len);

#endif
