/* render_priv.h — what render.c shares with the per-format writers (render_xml.c,
 * render_json.c, render_html.c). Not part of the renderer's API: include render.h instead.
 */
#ifndef BRAID_RENDER_PRIV_H
#define BRAID_RENDER_PRIV_H

#include <stdint.h>

#include "buf.h"
#include "entry.h"
#include "render.h"

/* The values every format needs, worked out once from render_meta and the list. */
struct render_doc {
  const struct render_meta *meta;
  const struct stream_list *entries;
  const char *title;     /* meta's title, else the one source's title or name, else "braid" */
  const char *version;   /* generator version */
  int64_t updated;       /* meta's, else the newest entry's */
  const char *home_url;  /* the web page the document stands for: the one source's site, else
                            the server's root */
  const char *description; /* one line saying what the document holds */
  bool feed_queries;     /* meta's publish_feed_queries */
};

/* The parts of one entry every format writes, with the fallbacks for missing fields.
 * Strings point into the entry or into the struct's buffers; valid until the next call. */
struct render_item {
  const char *id;       /* entry id, else "urn:braid:entry:SEQ" */
  const char *link;     /* entry link if it is a safe http(s) URL, else NULL */
  const char *title;    /* entry title, else the start of its text, else "(untitled)" */
  const char *author;   /* entry author, else its first source's title or name, else NULL */
  int64_t published;    /* entry time */
  int64_t updated;      /* the later of the entry's updated and its time */
  const char *html;     /* sanitised HTML ("" when the entry has none) */
  const struct stream_source *source; /* first source, or NULL */
  bool feed_queries;    /* set by the caller: render_doc.feed_queries */
  bool media_as_links;  /* set by the caller: remote images and media in html become links */
  struct buf id_buf, title_buf, html_buf; /* storage for the above */
};

void render_item_init(struct render_item *it);
void render_item_clear(struct render_item *it);
/* Fills it from e. 0 or -ENOMEM / -E2BIG. */
int render_item_fill(struct render_item *it, const struct stream_entry *e);

/* url if it is an http(s) URL safe to link to (sanitize_link_ok), else NULL: links from
 * feeds are untrusted like their bodies. */
const char *render_link(const char *url);

/* A source's display name: its title, else its feed name, else "". */
const char *render_source_name(const struct stream_source *s);

int render_atom(const struct render_doc *doc, struct buf *out);
int render_rss(const struct render_doc *doc, struct buf *out);
int render_json(const struct render_doc *doc, struct buf *out);
int render_html(const struct render_doc *doc, struct buf *out);

#endif
