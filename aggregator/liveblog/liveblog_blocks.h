/* liveblog_blocks.h — an HTML body as the flat list of text blocks the splitter reads.
 *
 * Promise: parses a body with libxml2's HTML parser (recovering, no network, no external
 * entities) and walks it once, in document order, into blocks: the text of each p, div, li,
 * h1-h6, ... and of each line of text separated by <br>, with white space collapsed and
 * entities decoded. For every block it keeps what the splitter needs to cut the body there:
 * the node it starts at, the <time> element it opens with, ids for anchors, whether it sits in
 * a blockquote, and its container (the nearest article, section, li or div). It also writes the
 * markup between two blocks back out as HTML. Linear in the body's size; caps from bounds.h.
 */
#ifndef BRAID_LIVEBLOG_BLOCKS_H
#define BRAID_LIVEBLOG_BLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <errno.h>

#include <libxml/HTMLparser.h>

#include "buf.h"

struct block {
  size_t text_off, text_len; /* the block's text in blocks.text */
  xmlNodePtr start;          /* the node the block's markup starts at (its element when the
                                block is a whole element, else its first inline node) */
  xmlNodePtr time;           /* a <time> element the block opens with, or NULL */
  long long epoch;           /* data-timestamp= (seconds since the epoch) of an element the
                                block opens with, or 0 */
  const char *anchor;        /* an id or <a name> on the block or at its start, or NULL */
  int container;             /* index into blocks.containers, or -1 */
  bool in_quote;             /* inside a <blockquote> */
  int aside;                 /* which outermost <aside> or <nav> holds it (0, 1, ...), or -1 */
  int heading;               /* 1-6 for a whole h1-h6, else 0 */
  bool soft;                 /* follows a single <br>: the same paragraph's next line */
};

struct container {
  xmlNodePtr node;
  size_t first, last;        /* the blocks it holds, inclusive (first > last: none) */
  const char *id;            /* its id attribute, or NULL */
  int parent;                /* the container around it, or -1 */
};

struct blocks {
  htmlDocPtr doc;
  struct block *v;
  size_t n, alloc;
  struct container *containers;
  size_t ncontainers, containers_alloc;
  struct buf text;           /* every block's text, back to back */
  xmlBufferPtr scratch;      /* reused by blocks_html, so 20,000 updates make one buffer */
};

/* Makes room for one more element in the array *v of *alloc elements of elem bytes holding
 * n: doubles it when full. 0 or -ENOMEM (the array is then unchanged). */
static inline int grow_array(void **v, size_t *alloc, size_t n, size_t elem) {
  if (n < *alloc)
    return 0;
  size_t na = *alloc ? *alloc * 2 : 64;
  void *p = realloc(*v, na * elem);
  if (!p)
    return -ENOMEM;
  *v = p;
  *alloc = na;
  return 0;
}

/* Parses html and fills *b (zero it first). 0, -E2BIG naming the cap in err, -ENOMEM. */
int blocks_build(struct blocks *b, const char *html, size_t len, char *err, size_t errlen);
void blocks_clear(struct blocks *b);

static inline const char *block_text(const struct blocks *b, size_t i) {
  return b->text.data ? b->text.data + b->v[i].text_off : "";
}

/* Appends to out the markup from node `from` up to (not including) node `stop` in document
 * order, or to the end of the body when stop is NULL; `only`, when not NULL, confines the
 * output to that subtree. Trailing <br>s are dropped. 0 or an error from buf. */
int blocks_html(struct blocks *b, xmlNodePtr from, xmlNodePtr stop, xmlNodePtr only,
                struct buf *out);

/* The whitespace-collapsed text content of node (for a <time> element's own text). */
int blocks_node_text(xmlNodePtr node, struct buf *out);

#endif
