/* sanitize.h — untrusted HTML from feeds made safe to show a reader.
 *
 * Promise: the output is a fragment of well-formed HTML5 that a browser cannot be made to run
 * code from. The input is parsed with libxml2's HTML parser (recovering, no network) and the
 * tree is written back through an allow-list: elements outside it are unwrapped (their text
 * kept), and a few are dropped together with their content (script, style, svg, math, object,
 * embed, iframe except https embeds from YouTube and Vimeo, forms' controls, head material).
 * Every on* and style attribute is dropped, as is every URL whose scheme is not http, https,
 * mailto, ftp or tel (data:image/png|gif|jpeg|webp is kept in img src only). Relative URLs are
 * made absolute against base_url; links get rel="noopener noreferrer"; embedded iframes get a
 * sandbox. Text and attribute values are re-escaped, comments and processing instructions
 * dropped, invalid UTF-8 and NUL bytes replaced. Nothing here logs or reads files.
 */
#ifndef BRAID_SANITIZE_H
#define BRAID_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Appends the sanitised form of html[0..len) to out. base_url (may be NULL: relative URLs
 * then stay relative) resolves relative references. 0, -E2BIG when the input is longer than
 * BRAID_SANITIZE_MAX_INPUT_BYTES or out's cap is reached, -ENOMEM. */
int sanitize_html(const char *html, size_t len, const char *base_url, struct buf *out);

/* sanitize_html's flags. SANITIZE_MEDIA_AS_LINKS: nothing in the fragment loads from another
 * host when shown (a remote image is how a feed counts and follows its readers): an img with
 * a remote src becomes a link to it with its alt text ("image" without one), a video, audio,
 * source or iframe becomes a link to its src ("video", "audio", "media", "embed"), the
 * fallback content of video and audio kept. data: images stay images. */
#define SANITIZE_MEDIA_AS_LINKS 1u
/* sanitize_html with flags. */
int sanitize_html_flags(const char *html, size_t len, const char *base_url, unsigned flags,
                        struct buf *out);

/* Appends s[0..len) to out as valid UTF-8: invalid sequences become U+FFFD and the control
 * characters XML 1.0 forbids (all below 0x20 but tab, LF and CR, and DEL) are removed.
 * 0, -E2BIG, -ENOMEM. */
int sanitize_utf8(const char *s, size_t len, struct buf *out);

/* Whether url is an absolute http or https URL without white space or control characters:
 * what a document may link to from a feed's field (an entry's link, a feed's site). */
bool sanitize_link_ok(const char *url);

/* Appends s[0..len) to out as HTML text, valid in element content and in a double- or
 * single-quoted attribute value: sanitize_utf8's cleaning, then & < > " ' escaped.
 * 0, -E2BIG, -ENOMEM. */
int sanitize_text(const char *s, size_t len, struct buf *out);

#endif
