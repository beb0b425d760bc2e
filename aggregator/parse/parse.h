/* parse.h — a streaming parser for RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON Feed 1/1.1.
 *
 * Promise: bytes are pushed as they arrive (libxml2 push parser with SAX2 callbacks, never a
 * DOM of the whole feed), and each item is handed to the caller's callback as soon as its end
 * is read, so memory is bounded by the largest item (every field capped by bounds.h), not by
 * the feed. JSON Feed is the exception: it is buffered whole, up to BRAID_PARSE_MAX_DOC_BYTES.
 *
 * Every string the parser hands out is valid UTF-8 (invalid bytes become U+FFFD or, where a
 * stray byte is plainly windows-1252, its character). Links are absolute where a base is known
 * (xml:base, the feed's link, opt->base_url), also inside summary and content. `title`,
 * `author` (a person's name) and feed-level text fields are plain text; `summary` and
 * `content` are HTML. Dates are UTC seconds since the epoch.
 *
 * Hostile input: no DTD or external entity is ever loaded, no network; of the entities a
 * document's DTD declares only plain-text ones are expanded, under a byte budget (bounds.h);
 * a reference to any other passes through as text, like sfeed.
 *
 * Broken XML is mended where it is cheap (xmlrepair.h: bare '&', stray '<', unquoted
 * attributes) and recovered where it is not (libxml2's RECOVER mode).
 *
 * Errors. Recovered errors (the document is not well-formed, a date cannot be read, a field
 * was cut at its cap, a DTD entity was not expanded) are recorded as "line N: ..." or
 * "item N: ..." strings and parsing goes on; they make feed_parser_wellformed() false only
 * when the XML (or JSON) itself was not well-formed. When libxml2 cannot go on at all, the
 * items read so far were delivered, an item the document ended inside is delivered as far
 * as it got, and finish returns 0. Fatal errors stop the parse and make push/finish return a
 * negative code (sticky); the error list says why:
 *   -E2BIG     a cap on the whole document: BRAID_PARSE_MAX_DOC_BYTES, BRAID_PARSE_MAX_ITEMS,
 *              BRAID_PARSE_MAX_TEXT_BYTES (text libxml2 would buffer whole) or
 *              BRAID_PARSE_MAX_JSON_BYTES; the items before the cap were delivered;
 *   -ENOMEM    out of memory;
 *   -ECANCELED the item callback returned non-zero.
 * A field longer than BRAID_PARSE_MAX_FIELD_BYTES is NOT fatal: the field is cut at the cap
 * (at a UTF-8 boundary), the error "item N: content exceeds BRAID_PARSE_MAX_FIELD_BYTES (...)"
 * is recorded, and the item is still delivered.
 */
#ifndef BRAID_PARSE_H
#define BRAID_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct parse_options {
  const char *base_url; /* the document's URL, for resolving relative links; may be NULL */
  const char *charset;  /* charset from the HTTP Content-Type; may be NULL. Precedence (as in
                           browsers and feedparser's RFC 3023 handling): a byte-order mark wins,
                           then this, then the XML declaration, then UTF-8. */
  bool content_links_raw; /* leave relative links in RSS/Atom summary and content as written
                           and say in feed_item.content_base what they resolve against: the
                           daemon resolves a live blog's updates against the item's own page */
};

/* Feed-level metadata. Owned by the parser; valid until feed_parser_free. Fields may be
 * filled in after some items were delivered (RSS puts <title> anywhere in <channel>). */
struct feed_meta {
  const char *format;  /* "rss2.0","rss1.0","rss0.9x","atom1.0","atom0.3","jsonfeed1", or NULL
                          while (or if) the format is unknown; a static string */
  const char *encoding;/* the charset the document was decoded from, lower case; static */
  char *title;         /* plain text, or NULL */
  char *link;          /* the site's URL (absolute), or NULL */
  char *id;            /* Atom id / JSON Feed feed_url, or NULL */
  char *subtitle;      /* plain text (RSS description, Atom subtitle/tagline), or NULL */
  char *language;      /* as written ("en-us"), or NULL */
  char *author;        /* plain text, or NULL */
  char *image;         /* absolute URL of the feed's image/logo/icon, or NULL */
  int64_t updated;     /* UTC seconds; valid when has_updated */
  bool has_updated;
  long ttl;            /* minutes (RSS <ttl>); valid when has_ttl */
  bool has_ttl;
};

struct feed_enclosure {
  char *url;           /* absolute URL, never NULL in a delivered item */
  char *type;          /* MIME type, or NULL */
  int64_t length;      /* bytes; valid when has_length */
  bool has_length;
};

/* One item, valid only during the callback; the parser frees it afterwards. */
struct feed_item {
  size_t index;        /* 1-based position in the feed, as used in error messages */
  char *id;            /* guid / id as written (not resolved), or NULL */
  char *title;         /* plain text, or NULL */
  char *link;          /* absolute URL, or NULL */
  char *author;        /* plain text, or NULL */
  char *summary;       /* HTML, or NULL */
  char *content;       /* HTML, or NULL */
  char *content_base;  /* with content_links_raw: the base the content's (else the summary's)
                          relative links resolve against, xml:base in scope else the
                          document's URL, or NULL */
  bool content_base_explicit; /* that base is an xml:base the feed wrote */
  int64_t published, updated; /* UTC seconds; valid when has_published / has_updated */
  bool has_published, has_updated;
  char **categories;   /* plain text terms, n_categories of them */
  size_t n_categories;
  struct feed_enclosure *enclosures;
  size_t n_enclosures;
};

/* Called once per item, in document order. Non-zero return aborts the parse (-ECANCELED). */
typedef int (*feed_item_cb)(void *userdata, const struct feed_item *item);

struct feed_parser;

/* opt may be NULL; its strings are copied. NULL on out-of-memory. */
struct feed_parser *feed_parser_new(const struct parse_options *opt, feed_item_cb cb,
                                    void *userdata);
/* Feeds the next len bytes of the document. 0, or a negative fatal error (see above); after
 * a fatal error further pushes return the same error. */
int feed_parser_push(struct feed_parser *p, const char *data, size_t len);
/* Ends the document: flushes the last item, parses a buffered JSON Feed. 0 or negative.
 * Call it also after a fatal error (it then returns that error): it makes the metadata
 * final. */
int feed_parser_finish(struct feed_parser *p);
const struct feed_meta *feed_parser_meta(const struct feed_parser *p);
/* False when the XML (or JSON) was not well-formed; items may still have been recovered. */
bool feed_parser_wellformed(const struct feed_parser *p);
/* Items delivered so far. */
size_t feed_parser_item_count(const struct feed_parser *p);
/* Recorded errors, oldest first ("line 12: ..."). At most BRAID_PARSE_MAX_ERRORS are kept;
 * the pointer is owned by the parser and valid until feed_parser_free. NULL past the end. */
size_t feed_parser_error_count(const struct feed_parser *p);
const char *feed_parser_error(const struct feed_parser *p, size_t i);
void feed_parser_free(struct feed_parser *p);

#endif
