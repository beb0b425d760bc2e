/* render_xml.c — Atom 1.0 (RFC 4287) and RSS 2.0, written with libxml2's xmlTextWriter
 * straight into the caller's buf. See render.h.
 *
 * Every write goes through the xw_ helpers, which remember the first failure and turn the
 * rest into no-ops, so each call is checked without an if around every line; every string
 * is made valid XML text (sanitize_utf8) before libxml2 escapes it.
 */
#include <errno.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "civil.h"
#include "render_priv.h"
#include "sanitize.h"

#define ATOM_NS "http://www.w3.org/2005/Atom"

struct xw {
  xmlTextWriterPtr w;
  struct buf *out;
  struct buf text; /* scratch: one cleaned string */
  int err;         /* first failure, 0 while all is well */
};

/* A refused write is recorded, not reported to libxml2: it would print "I/O error" on
 * stderr, and library code does not print. The xw_ helpers stop at the recorded error. */
static int xw_write(void *ctx, const char *data, int len) {
  struct xw *x = ctx;
  int r = x->err ? x->err : buf_append(x->out, data, (size_t)len);
  if (r < 0 && !x->err)
    x->err = r;
  return len;
}

/* Records a failed libxml2 writer call. */
static void xw_check(struct xw *x, int rc) {
  if (rc < 0 && !x->err)
    x->err = -ENOMEM; /* xw_write records the real cause first when the buf refused */
}

/* s as valid XML text (in x->text, valid until the next call). */
static const xmlChar *xw_clean(struct xw *x, const char *s) {
  buf_reset(&x->text);
  int r = sanitize_utf8(s, strlen(s), &x->text);
  if (r < 0 && !x->err)
    x->err = r;
  return (const xmlChar *)buf_str(&x->text);
}

/* Opens <name>. */
static void xw_start(struct xw *x, const char *name) {
  if (!x->err)
    xw_check(x, xmlTextWriterStartElement(x->w, (const xmlChar *)name));
}

/* Closes the innermost open element. */
static void xw_end(struct xw *x) {
  if (!x->err)
    xw_check(x, xmlTextWriterEndElement(x->w));
}

/* name="value" on the open element; nothing when value is NULL. */
static void xw_attr(struct xw *x, const char *name, const char *value) {
  if (!x->err && value)
    xw_check(x, xmlTextWriterWriteAttribute(x->w, (const xmlChar *)name, xw_clean(x, value)));
}

/* Escaped text content. */
static void xw_text(struct xw *x, const char *value) {
  if (!x->err)
    xw_check(x, xmlTextWriterWriteString(x->w, xw_clean(x, value)));
}

/* <name>value</name>, nothing when value is NULL. */
static void xw_elem(struct xw *x, const char *name, const char *value) {
  if (!value)
    return;
  xw_start(x, name);
  xw_text(x, value);
  xw_end(x);
}

/* <name>YYYY-MM-DDTHH:MM:SSZ</name> (RFC 3339). */
static void xw_date(struct xw *x, const char *name, int64_t t) {
  char s[CIVIL_UTC_LEN];
  civil_format_utc(t, s);
  xw_elem(x, name, s);
}

/* <name>Sun, 06 Nov 1994 08:49:37 GMT</name> (RFC 822, for RSS). */
static void xw_rfc822(struct xw *x, const char *name, int64_t t) {
  char s[RENDER_RFC822_LEN];
  render_rfc822_date(t, s);
  xw_elem(x, name, s);
}

/* <link rel=... href=... [type=...] [title=...]/>, nothing without an href. */
static void xw_link(struct xw *x, const char *rel, const char *href, const char *type,
                    const char *title) {
  if (!href)
    return;
  xw_start(x, "link");
  xw_attr(x, "rel", rel);
  xw_attr(x, "href", href);
  xw_attr(x, "type", type);
  xw_attr(x, "title", title);
  xw_end(x);
}

/* Starts an indented UTF-8 document that writes into out. */
static int xw_open(struct xw *x, struct buf *out) {
  memset(x, 0, sizeof *x);
  x->out = out;
  buf_init(&x->text, 0);
  xmlOutputBufferPtr ob = xmlOutputBufferCreateIO(xw_write, NULL, x, NULL);
  if (!ob)
    return -ENOMEM;
  x->w = xmlNewTextWriter(ob); /* owns ob from here on */
  if (!x->w) {
    xmlOutputBufferClose(ob);
    return -ENOMEM;
  }
  xw_check(x, xmlTextWriterSetIndent(x->w, 1));
  xw_check(x, xmlTextWriterSetIndentString(x->w, (const xmlChar *)"  "));
  xw_check(x, xmlTextWriterStartDocument(x->w, "1.0", "UTF-8", NULL));
  return x->err;
}

/* Ends the document, flushes it into out and frees the writer; the first error, or 0. */
static int xw_close(struct xw *x) {
  if (x->w) {
    if (!x->err)
      xw_check(x, xmlTextWriterEndDocument(x->w));
    if (!x->err)
      xw_check(x, xmlTextWriterFlush(x->w));
    xmlFreeTextWriter(x->w);
  }
  buf_clear(&x->text);
  return x->err;
}

/* ---- Atom ------------------------------------------------------------------------------- */

/* <atom:source> for the feed that carried the entry first. Its id and self link are the feed's
 * URL only where that may be published (render_feed_public_url); else the id is its site. */
static void atom_source(struct xw *x, const struct stream_source *s, int64_t updated,
                        bool feed_queries) {
  const char *public_url = render_feed_public_url(s, feed_queries);
  xw_start(x, "source");
  if (public_url) {
    xw_elem(x, "id", public_url);
  } else if (s->feed && *s->feed) {
    xw_start(x, "id");
    xw_text(x, "urn:braid:feed:");
    xw_text(x, s->feed);
    xw_end(x);
  }
  xw_elem(x, "title", render_source_name(s));
  xw_link(x, "alternate", render_link(s->site_url), "text/html", NULL);
  if (render_feed_url_public(s, feed_queries))
    xw_link(x, "self", s->feed_url, NULL, NULL);
  xw_date(x, "updated", updated);
  xw_end(x);
}

/* One <entry>. */
static void atom_entry(struct xw *x, const struct stream_entry *e, const struct render_item *it) {
  xw_start(x, "entry");
  xw_elem(x, "id", it->id);
  xw_start(x, "title");
  xw_attr(x, "type", "text");
  xw_text(x, it->title);
  xw_end(x);
  xw_date(x, "updated", it->updated);
  xw_date(x, "published", it->published);
  xw_link(x, "alternate", it->link, "text/html", NULL);
  /* The same story from other feeds: atom:source can name only one. */
  for (size_t i = 1; i < e->n_sources; i++) {
    const struct stream_source *s = &e->sources[i];
    const char *href = render_link(s->link)       ? s->link
                                                  : render_feed_public_url(s, it->feed_queries);
    xw_link(x, "via", href, NULL, render_source_name(s));
  }
  /* RFC 4287 4.1.2: an entry needs an author when neither the feed nor its source has one. */
  xw_start(x, "author");
  xw_elem(x, "name", it->author ? it->author : "unknown");
  xw_end(x);
  if (e->stamp) {
    xw_start(x, "category");
    xw_attr(x, "term", "live");
    xw_attr(x, "label", "Live blog update");
    xw_end(x);
  }
  xw_start(x, "content");
  if (*it->html) {
    xw_attr(x, "type", "html");
    xw_text(x, it->html);
  } else {
    xw_attr(x, "type", "text");
    xw_text(x, e->text ? e->text : "");
  }
  xw_end(x);
  if (it->source)
    atom_source(x, it->source, it->updated, it->feed_queries);
  xw_end(x);
}

/* Writes every entry of the document with write_item. */
static void xw_items(struct xw *x, const struct render_doc *doc,
                     void (*write_item)(struct xw *, const struct stream_entry *,
                                        const struct render_item *)) {
  struct render_item it;
  render_item_init(&it);
  it.feed_queries = doc->feed_queries;
  for (size_t i = 0; !x->err && i < doc->entries->n; i++) {
    int r = render_item_fill(&it, &doc->entries->entries[i]);
    if (r < 0)
      x->err = r;
    else
      write_item(x, &doc->entries->entries[i], &it);
  }
  render_item_clear(&it);
}

int render_atom(const struct render_doc *doc, struct buf *out) {
  struct xw x;
  if (xw_open(&x, out) == 0) {
    const struct render_meta *m = doc->meta;
    xw_start(&x, "feed");
    xw_attr(&x, "xmlns", ATOM_NS);
    xw_elem(&x, "id", m->self_url);
    xw_elem(&x, "title", doc->title);
    xw_date(&x, "updated", doc->updated);
    xw_link(&x, "self", m->self_url, "application/atom+xml", NULL);
    xw_link(&x, "alternate", doc->home_url, "text/html", NULL);
    xw_start(&x, "generator");
    xw_attr(&x, "version", doc->version);
    xw_text(&x, "braid");
    xw_end(&x);
    xw_items(&x, doc, atom_entry);
    xw_end(&x);
  }
  return xw_close(&x);
}

/* ---- RSS 2.0 ---------------------------------------------------------------------------- */

/* One <item>. */
static void rss_item(struct xw *x, const struct stream_entry *e, const struct render_item *it) {
  xw_start(x, "item");
  xw_elem(x, "title", it->title);
  xw_elem(x, "link", it->link);
  xw_start(x, "guid");
  xw_attr(x, "isPermaLink", "false");
  xw_text(x, it->id);
  xw_end(x);
  xw_rfc822(x, "pubDate", it->published);
  /* RSS's own <author> must be an e-mail address; Dublin Core's creator is a name. */
  xw_elem(x, "dc:creator", it->author);
  if (e->stamp)
    xw_elem(x, "category", "live");
  if (*it->html)
    xw_elem(x, "description", it->html);
  else if (e->text)
    xw_elem(x, "description", e->text);
  const char *source_url = render_feed_public_url(it->source, it->feed_queries);
  if (source_url) {
    xw_start(x, "source");
    xw_attr(x, "url", source_url);
    xw_text(x, render_source_name(it->source));
    xw_end(x);
  }
  xw_end(x);
}

int render_rss(const struct render_doc *doc, struct buf *out) {
  struct xw x;
  if (xw_open(&x, out) == 0) {
    const struct render_meta *m = doc->meta;
    xw_start(&x, "rss");
    xw_attr(&x, "version", "2.0");
    xw_attr(&x, "xmlns:atom", ATOM_NS);
    xw_attr(&x, "xmlns:dc", "http://purl.org/dc/elements/1.1/");
    xw_start(&x, "channel");
    xw_elem(&x, "title", doc->title);
    xw_elem(&x, "link", doc->home_url);
    xw_elem(&x, "description", doc->description);
    xw_start(&x, "atom:link");
    xw_attr(&x, "rel", "self");
    xw_attr(&x, "type", "application/rss+xml");
    xw_attr(&x, "href", m->self_url);
    xw_end(&x);
    xw_rfc822(&x, "lastBuildDate", doc->updated);
    xw_start(&x, "generator");
    xw_text(&x, "braid ");
    xw_text(&x, doc->version);
    xw_end(&x);
    xw_items(&x, doc, rss_item);
    xw_end(&x);
    xw_end(&x);
  }
  return xw_close(&x);
}
