/* opml.h — OPML subscription lists in and out.
 *
 * Promise: reading accepts OPML 1.0 and 2.0 (outlines nested to any depth up to
 * BRAID_OPML_MAX_DEPTH, feeds being the outlines with an xmlUrl), through libxml2's reader
 * with no network access and no external entities or DTDs loaded; it never fails on an
 * outline it does not understand, it skips it. Writing produces OPML 2.0.
 */
#ifndef BRAID_OPML_H
#define BRAID_OPML_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"

struct opml_feed {
  char *url;    /* xmlUrl */
  char *title;  /* title, else text; NULL when neither */
  char *category; /* the folders it sits in, outermost first, joined by '/' ("News/World");
                     ',', '/' and ';' in a folder's title become spaces; NULL at top level */
};

struct opml_list {
  struct opml_feed *items;
  size_t n;
};
void opml_list_clear(struct opml_list *l);

/* Reads the OPML document at path. 0 with *ret filled (in document order), or a negative code
 * with a message in err ("FILE:LINE: ..."). */
int opml_read_file(const char *path, struct opml_list *ret, char *err, size_t err_size);
int opml_read_memory(const char *data, size_t len, const char *name, struct opml_list *ret,
                     char *err, size_t err_size);

/* Writes feeds as an OPML 2.0 document titled title. A feed with categories sits in the
 * folders its first category names ('/' nests), so import gives the categories back; feeds
 * without come first, at top level. 0, -EIO or -ENOMEM. */
int opml_write(FILE *out, const struct feed_list *feeds, const char *title);

#endif
