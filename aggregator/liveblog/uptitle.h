/* uptitle.h — the title of one live-blog update, in its own words.
 *
 * Promise: uptitle gives an update the title a reader scans a list by: its own headline when
 * it has one (a JSON-LD headline, else a leading h1-h6, strong or b element that opens its
 * markup), else its first sentence; either cut at a word boundary to at most
 * BRAID_UPTITLE_MAX_CHARS characters, "…" included, never inside a UTF-8 sequence. White
 * space is collapsed; the result is plain text, never empty when the update has any text.
 */
#ifndef BRAID_UPTITLE_H
#define BRAID_UPTITLE_H

#include <stddef.h>

/* headline, html, text may each be NULL. *ret is a new string (caller frees), or NULL when
 * the update has no words at all. 0 or -ENOMEM. */
int uptitle(const char *headline, const char *html, const char *text, char **ret);

/* The headline a leading h1-h6, strong or b element of html states, as a new plain-text
 * string in *ret, else NULL (only wrappers such as p, div, article, section, header, the
 * update's <time> stamp and white space may come before it). 0 or -ENOMEM. */
int uptitle_html_headline(const char *html, char **ret);

/* Makes the titles of one blog's updates tell them apart: where two or more are the same
 * (an update opening "Syria." like others), each of those runs on to its text's second
 * sentence, and so does a one-word title that is the text's first sentence ("Egypt.") (texts[i] the update's plain text, may be NULL), cut as above. titles[i] may be
 * NULL and is replaced in place. 0 or -ENOMEM. */
int uptitle_distinct(char **titles, const char *const *texts, size_t n);

#endif
