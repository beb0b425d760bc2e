/* htmltext.h — HTML fragment to plain text.
 *
 * Promise: tags are dropped (with the content of script, style and head), HTML named and
 * numeric character references are decoded, runs of white space collapse to one space, and
 * block-level elements (p, div, br, li, h1-h6, tr, blockquote, ...) become line breaks, with
 * no leading, trailing or doubled blank lines. One pass, linear in the input, output never
 * longer than cap bytes (cut at a UTF-8 boundary). Input must be UTF-8 (as everything
 * braid's parser hands out is).
 */
#ifndef BRAID_HTMLTEXT_H
#define BRAID_HTMLTEXT_H

#include <stddef.h>

#include "buf.h"

/* Plain text of html[0..len) as a new NUL-terminated string the caller frees.
 * single_line: block breaks become spaces too (for titles). cap: most bytes of output,
 * 0 for no cap beyond len*4. 0, -ENOMEM; *ret_truncated (may be NULL) says whether cap cut it. */
int htmltext(const char *html, size_t len, int single_line, size_t cap, char **ret_text,
             int *ret_truncated);

/* Appends s[0..len) to out with & < > " escaped, so that text reads as itself in HTML.
 * 0, -ENOMEM or -E2BIG (out's cap). */
int html_escape(struct buf *out, const char *s, size_t len);

#endif
