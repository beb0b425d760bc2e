/* xmlrepair.h — mend the commonest breakage of hand-made feeds before libxml2 sees it.
 *
 * Promise: a bare '&' that starts no character or entity reference ("AT&T", "?a=1&b=2")
 * becomes "&amp;"; a '<' that cannot start markup ("a < b", "<3") becomes "&lt;"; an
 * unquoted attribute value (href=x) gets quotes. These are what make libxml2's recovery give
 * up on the rest of a document. Well-formed XML passes through unchanged, byte for byte:
 * CDATA sections, comments, processing instructions and the DOCTYPE are never touched.
 * Streaming: a construct split across pushes is held back until it can be decided, so
 * memory is a small multiple of one push. An attribute quote left open ends at the next '<',
 * so one broken tag cannot turn the rest of the document into an attribute value.
 *
 * With cdata_text set (the feed parser sets it), element text is also rewritten for speed,
 * not repair: the five predefined entities (&lt; &gt; &amp; &quot; &apos;) and the short
 * runs of text between them go on as CDATA sections, decoded ("&lt;p&gt;" ->
 * "<![CDATA[<p>]]>"): the same characters to a SAX reader, which libxml2 reads without one
 * callback and one name lookup per entity (escaped HTML has one every few bytes). Left to
 * libxml2: text outside the root element, all text after markup too broken to be sure what
 * libxml2 reads as text, other references (&#233; &nbsp;), and longer runs of text (after a
 * section's last reference, or longer than REWRITE_TEXT_RUN_MAX). A section is closed
 * before any ']' (no "]]>" can appear in it), any CR (libxml2 does not normalise line ends
 * inside CDATA) and at the end of each push.
 */
#ifndef BRAID_XMLREPAIR_H
#define BRAID_XMLREPAIR_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct xml_repair {
  int state;          /* where in the document the scan is (text, tag, comment, ...) */
  char quote;         /* the quote an attribute value in a tag opened, 0 if none */
  bool unquoted;      /* inside an attribute value braid quoted */
  int subset_depth;   /* '[' nesting inside a DOCTYPE */
  struct buf carry;   /* bytes held back from the last push */
  struct buf out;     /* the repaired text of the last push */
  size_t repairs;     /* how many fixes so far */
  size_t edits;       /* fixes and CDATA rewrites so far: none in a push means no copy */
  bool cdata_text;    /* rewrite element text as CDATA (see above); set after init */
  bool in_cdata;      /* a CDATA section braid opened is open in the output */
  size_t section_at;  /* where in `out` that section's text began */
  bool end_tag;       /* the tag being scanned is an end tag */
  bool slash;         /* the tag's last byte outside values was '/' (an empty element) */
  size_t depth;       /* open elements as libxml2 counts them: one per start tag, end tags
                         pop one; text is only rewritten at depth > 0 */
  bool lost;          /* the markup is broken where libxml2's recovery and this scan may
                         disagree on what is text (a tag cut off by '<', "<!" in content):
                         no more rewriting, libxml2 reads the rest as it is */
  size_t section_bytes; /* length so far of the CDATA section, comment or PI being read
                           (libxml2 buffers one whole; the caller caps it) */
};

void xml_repair_init(struct xml_repair *x);
void xml_repair_clear(struct xml_repair *x);
/* Repairs the next len bytes (UTF-8); *ret_data and *ret_len: what to hand to the XML parser,
 * valid until the next call. final: the document ends here. 0 or -ENOMEM. */
int xml_repair(struct xml_repair *x, const char *in, size_t len, bool final,
               const char **ret_data, size_t *ret_len);

#endif
