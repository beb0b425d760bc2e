/* parse_sax.c — SAX2 callbacks that read RSS and Atom into items (see parse_sax.h).
 *
 * Elements are told apart by namespace (mapped once per distinct URI string, which libxml2
 * interns) and local name. Only the direct children of an item or of the channel are fields;
 * anything deeper (atom:source, image/title) cannot overwrite them. A field's text is
 * collected as HTML in one capped buffer: HTML-typed text as it is, plain text escaped, and
 * child elements (xhtml content, raw markup in RSS descriptions) serialised as tags. Plain
 * fields (titles, authors) are then flattened with htmltext.
 */
#include "parse_sax.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parserInternals.h>

#include "bounds.h"
#include "buf.h"
#include "date.h"
#include "entities.h"
#include "htmltext.h"
#include "parse_core.h"

enum ns {
  NS_NONE, NS_RSS10, NS_RSS090, NS_RDF, NS_ATOM10, NS_ATOM03, NS_CONTENT, NS_DC, NS_DCTERMS,
  NS_MEDIA, NS_ITUNES, NS_XHTML, NS_XML, NS_OTHER
};

static const struct {
  const char *uri;
  const char *prefix; /* what feeds write when they forget to declare it */
  enum ns ns;
} namespaces[] = {
    {"http://purl.org/rss/1.0/", NULL, NS_RSS10},
    {"http://my.netscape.com/rdf/simple/0.9/", NULL, NS_RSS090},
    {"http://backend.userland.com/rss2", NULL, NS_NONE},
    {"http://blogs.law.harvard.edu/tech/rss", NULL, NS_NONE},
    {"http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdf", NS_RDF},
    {"http://www.w3.org/2005/Atom", "atom", NS_ATOM10},
    {"http://purl.org/atom/ns#", NULL, NS_ATOM03},
    {"http://purl.org/rss/1.0/modules/content/", "content", NS_CONTENT},
    {"http://purl.org/dc/elements/1.1/", "dc", NS_DC},
    {"http://purl.org/dc/terms/", "dcterms", NS_DCTERMS},
    {"http://search.yahoo.com/mrss/", "media", NS_MEDIA},
    {"http://search.yahoo.com/mrss", NULL, NS_MEDIA},
    {"http://www.itunes.com/dtds/podcast-1.0.dtd", "itunes", NS_ITUNES},
    {"http://www.w3.org/1999/xhtml", "xhtml", NS_XHTML},
    {"http://www.w3.org/XML/1998/namespace", "xml", NS_XML},
};

enum field {
  F_NONE, F_TITLE, F_LINK, F_ID, F_SUMMARY, F_CONTENT, F_AUTHOR, F_AUTHOR_NAME, F_AUTHOR_EMAIL,
  F_PUBLISHED, F_UPDATED, F_CATEGORY, F_LANGUAGE, F_SUBTITLE, F_IMAGE, F_ICON, F_TTL
};
static const char *const field_names[] = {
    "", "title", "link", "id", "summary", "content", "author", "author", "author",
    "published", "updated", "category", "language", "subtitle", "image", "image", "ttl"};

enum textmode { TM_TEXT, TM_HTML, TM_XHTML };

#define URI_CACHE 8
#define ATTR_ENTITIES 16

struct sax_state {
  struct feed_parser *p;
  xmlParserCtxtPtr ctxt;
  const char *format;
  bool atom;
  int depth;
  bool depth_reported;
  int channel_depth;   /* depth of <channel>/<feed>, -1 once an RSS 1.0 channel closed */
  int item_depth;      /* depth of the open <item>/<entry>, 0 if none */
  int author_depth;    /* depth of an open atom:author, 0 if none */
  int image_depth;     /* depth of the channel's <image>, 0 if none */
  struct feed_item item;
  char *item_about;    /* RSS 1.0 rdf:about, the id of last resort */
  char *guid_link;     /* a permalink guid, the link of last resort */
  int link_rank;       /* how good the item's link is: 3 alternate html, 2 alternate, 1 other */
  int meta_link_rank;
  char *author_name, *author_email;
  bool meta_has_pub;
  int64_t meta_pub;
  char *meta_icon;
  /* the field being collected */
  enum field cap_field;
  int cap_depth;
  enum textmode cap_mode;
  bool cap_meta, cap_truncated, cap_permalink;
  int cap_wrapper_depth; /* the xhtml <div> wrapper being skipped, 0 if none */
  struct buf cap;
  char *base[BRAID_PARSE_MAX_DEPTH + 2]; /* resolved xml:base per depth, NULL = inherited */
  xmlEntity ent;       /* handed to libxml2 by get_entity; only its content changes */
  char ent_text[80];
  char *attr_ent[ATTR_ENTITIES]; /* entity values seen in the current start tag, in order */
  size_t n_attr_ent, attr_ent_used;
  unsigned long events;  /* SAX callbacks so far: progress, for parse.c */
  const xmlChar *uri_ptr[URI_CACHE];
  enum ns uri_ns[URI_CACHE];
  size_t uri_next;
};

int sax_state_new(struct feed_parser *p, struct sax_state **ret) {
  struct sax_state *s = calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  s->p = p;
  buf_init(&s->cap, BRAID_PARSE_MAX_FIELD_BYTES);
  s->ent.type = XML_ENTITY_DECL;
  s->ent.etype = XML_INTERNAL_PREDEFINED_ENTITY;
  *ret = s;
  return 0;
}

static void attr_ent_clear(struct sax_state *s) {
  for (size_t i = 0; i < s->n_attr_ent; i++)
    free(s->attr_ent[i]);
  s->n_attr_ent = s->attr_ent_used = 0;
}

void sax_state_free(struct sax_state *s) {
  if (!s)
    return;
  feed_item_clear(&s->item);
  free(s->item_about);
  free(s->guid_link);
  free(s->author_name);
  free(s->author_email);
  free(s->meta_icon);
  buf_free(&s->cap);
  for (size_t i = 0; i < sizeof s->base / sizeof s->base[0]; i++)
    free(s->base[i]);
  attr_ent_clear(s);
  free(s);
}

void sax_attach(struct sax_state *s, xmlParserCtxtPtr ctxt) { s->ctxt = ctxt; }
struct feed_parser *sax_parser(struct sax_state *s) { return s->p; }
unsigned long sax_events(const struct sax_state *s) { return s->events; }
int sax_line(const struct sax_state *s) { return s->ctxt ? xmlSAX2GetLineNumber(s->ctxt) : 0; }

static enum ns ns_of(struct sax_state *s, const xmlChar *uri, const xmlChar *prefix) {
  if (!uri) {
    if (!prefix)
      return NS_NONE;
    for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++)
      if (namespaces[i].prefix && strcmp(namespaces[i].prefix, (const char *)prefix) == 0)
        return namespaces[i].ns;
    return NS_OTHER;
  }
  for (size_t i = 0; i < URI_CACHE; i++)
    if (s->uri_ptr[i] == uri)
      return s->uri_ns[i];
  enum ns ns = NS_OTHER;
  for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++)
    if (strcmp(namespaces[i].uri, (const char *)uri) == 0) {
      ns = namespaces[i].ns;
      break;
    }
  s->uri_ptr[s->uri_next] = uri;
  s->uri_ns[s->uri_next] = ns;
  s->uri_next = (s->uri_next + 1) % URI_CACHE;
  return ns;
}

/* The vocabulary of the feed itself, whatever its version. */
static bool core(enum ns ns) {
  return ns == NS_NONE || ns == NS_RSS10 || ns == NS_RSS090 || ns == NS_ATOM10 || ns == NS_ATOM03;
}
static bool is_atom_ns(enum ns ns) { return ns == NS_ATOM10 || ns == NS_ATOM03; }

static bool eq(const xmlChar *a, const char *b) { return strcmp((const char *)a, b) == 0; }

/* ---- attributes ------------------------------------------------------------------------ */

/* libxml2 hands attribute values raw: '&' as "&#38;", and the entities get_entity supplied
 * as a 0x01 byte each (it copies only one byte of them); undo both. */
static char *attr_value(struct sax_state *s, const xmlChar *v, const xmlChar *end) {
  size_t n = (size_t)(end - v);
  struct buf b;
  buf_init(&b, BRAID_PARSE_MAX_FIELD_BYTES);
  for (size_t i = 0; i < n; i++) {
    char c = (char)v[i];
    int r;
    if (c == '&' && n - i >= 5 && memcmp(v + i, "&#38;", 5) == 0) {
      r = buf_append_char(&b, '&');
      i += 4;
    } else if (c == '\x01') {
      const char *e = s->attr_ent_used < s->n_attr_ent ? s->attr_ent[s->attr_ent_used++] : "";
      r = buf_append_str(&b, e);
    } else
      r = buf_append_char(&b, c);
    if (r < 0)
      break;
  }
  return buf_steal(&b);
}

/* The value of attribute `name` (no namespace, or in namespace `ns`), new string or NULL. */
static char *attr(struct sax_state *s, int n, const xmlChar **a, const char *name, enum ns ns) {
  for (int i = 0; i < n; i++, a += 5) {
    if (!eq(a[0], name))
      continue;
    enum ns ans = a[2] ? ns_of(s, a[2], a[1]) : (a[1] ? ns_of(s, NULL, a[1]) : NS_NONE);
    if (ans == ns)
      return attr_value(s, a[3], a[4]);
  }
  return NULL;
}

/* ---- bases ------------------------------------------------------------------------------ */

static const char *xml_base(const struct sax_state *s, int depth) {
  for (int d = depth < BRAID_PARSE_MAX_DEPTH ? depth : BRAID_PARSE_MAX_DEPTH; d > 0; d--)
    if (s->base[d])
      return s->base[d];
  return NULL;
}

/* Base for links inside the feed: xml:base in scope, else the feed's own link, else the
 * document's URL. */
static const char *link_base(struct sax_state *s, bool for_feed_link) {
  const char *b = xml_base(s, s->depth);
  if (b)
    return b;
  const struct feed_meta *m = parser_meta_mut(s->p);
  if (!for_feed_link && m->link)
    return m->link;
  return parser_doc_url(s->p);
}

/* ---- entities --------------------------------------------------------------------------- */

static xmlEntityPtr get_entity(void *ctx, const xmlChar *name) {
  struct sax_state *s = ctx;
  /* libxml2 drops every entity reference once the document is known not to be well-formed
   * (even &amp;); braid tracks well-formedness itself, so tell it all is well. */
  s->ctxt->wellFormed = 1;
  uint32_t cp = entity_lookup((const char *)name, strlen((const char *)name));
  char *t = s->ent_text;
  if (cp) {
    t[utf8_encode(cp, t)] = '\0';
  } else {
    /* Unknown or DTD-declared: passes through as text, never expanded. */
    snprintf(t, sizeof s->ent_text, "&%.60s;", (const char *)name);
  }
  if (s->ctxt->instate == XML_PARSER_START_TAG) {
    if (s->n_attr_ent < ATTR_ENTITIES) {
      char *copy = strdup(t);
      if (copy)
        s->attr_ent[s->n_attr_ent++] = copy;
    }
    strcpy(t, "\x01");
  }
  s->ent.name = name;
  s->ent.content = (xmlChar *)t;
  s->ent.orig = (xmlChar *)t;
  s->ent.length = (int)strlen(t);
  return &s->ent;
}

static void entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *publicId,
                        const xmlChar *systemId, xmlChar *content) {
  struct sax_state *s = ctx;
  (void)type;
  (void)publicId;
  (void)content;
  parser_error(s->p, "line %d: entity '%s' declared in the DTD%s is not expanded",
               xmlSAX2GetLineNumber(s->ctxt), (const char *)name,
               systemId ? " (external)" : "");
}

static xmlParserInputPtr resolve_entity(void *ctx, const xmlChar *publicId,
                                        const xmlChar *systemId) {
  (void)ctx;
  (void)publicId;
  (void)systemId;
  return NULL;
}

/* ---- collecting a field ----------------------------------------------------------------- */

static size_t item_number(struct sax_state *s) {
  return s->item_depth ? feed_parser_item_count(s->p) + 1 : 0;
}

static void cap_overflow(struct sax_state *s) {
  if (s->cap_truncated)
    return;
  s->cap_truncated = true;
  if (s->cap_meta)
    parser_error(s->p, "feed: %s exceeds BRAID_PARSE_MAX_FIELD_BYTES (%u bytes); cut",
                 field_names[s->cap_field], BRAID_PARSE_MAX_FIELD_BYTES);
  else
    parser_error(s->p, "item %zu: %s exceeds BRAID_PARSE_MAX_FIELD_BYTES (%u bytes); cut",
                 item_number(s), field_names[s->cap_field], BRAID_PARSE_MAX_FIELD_BYTES);
}

static void cap_raw(struct sax_state *s, const char *t, size_t n) {
  if (s->cap_truncated)
    return;
  if (buf_append(&s->cap, t, n) == 0)
    return;
  /* keep what fits, cut at a UTF-8 boundary */
  size_t room = BRAID_PARSE_MAX_FIELD_BYTES - s->cap.len;
  while (room > 0 && room < n && ((unsigned char)t[room] & 0xC0) == 0x80)
    room--;
  if (room < n)
    (void)buf_append(&s->cap, t, room);
  cap_overflow(s);
}

static void cap_text(struct sax_state *s, const char *t, size_t n) {
  if (s->cap_mode == TM_HTML) {
    cap_raw(s, t, n);
  } else if (!s->cap_truncated && html_escape(&s->cap, t, n) < 0) {
    cap_overflow(s);
  }
}

static void on_characters(void *ctx, const xmlChar *ch, int len) {
  struct sax_state *s = ctx;
  s->events++;
  if (s->cap_field != F_NONE && len > 0)
    cap_text(s, (const char *)ch, (size_t)len);
}

static enum textmode text_mode(struct sax_state *s, int na, const xmlChar **a, enum textmode dflt) {
  char *type = attr(s, na, a, "type", NS_NONE);
  char *mode = attr(s, na, a, "mode", NS_NONE);
  enum textmode m = dflt;
  if (type) {
    if (strstr(type, "xhtml"))
      m = TM_XHTML;
    else if (strstr(type, "html"))
      m = TM_HTML;
    else if (strcmp(type, "text") == 0 || strcmp(type, "text/plain") == 0)
      m = TM_TEXT;
  }
  if (mode && strcmp(mode, "escaped") == 0 && m == TM_TEXT && type && strstr(type, "plain") == NULL)
    m = TM_HTML;
  if (mode && strcmp(mode, "escaped") == 0 && !type)
    m = TM_HTML;
  free(type);
  free(mode);
  return m;
}

static void start_capture(struct sax_state *s, enum field f, enum textmode mode, bool meta) {
  s->cap_field = f;
  s->cap_depth = s->depth;
  s->cap_mode = mode;
  s->cap_meta = meta;
  s->cap_truncated = false;
  s->cap_wrapper_depth = 0;
  buf_reset(&s->cap);
}

static bool is_void(const xmlChar *name) {
  static const char *const v[] = {"area", "base", "br", "col", "embed", "hr", "img", "input",
                                  "link", "meta", "param", "source", "track", "wbr", NULL};
  for (size_t i = 0; v[i]; i++)
    if (eq(name, v[i]))
      return true;
  return false;
}

/* A child element inside a field: markup to keep (xhtml content, raw HTML in RSS). */
static void cap_start_tag(struct sax_state *s, const xmlChar *name, enum ns ns, int na,
                          const xmlChar **a) {
  if (s->cap_mode == TM_TEXT)
    return;
  if (s->cap_mode == TM_XHTML && s->depth == s->cap_depth + 1 && ns == NS_XHTML &&
      eq(name, "div") && s->cap_wrapper_depth == 0) {
    s->cap_wrapper_depth = s->depth; /* Atom's required wrapper is not content */
    return;
  }
  cap_raw(s, "<", 1);
  cap_raw(s, (const char *)name, strlen((const char *)name));
  for (int i = 0; i < na; i++, a += 5) {
    char *v = attr_value(s, a[3], a[4]);
    cap_raw(s, " ", 1);
    cap_raw(s, (const char *)a[0], strlen((const char *)a[0]));
    cap_raw(s, "=\"", 2);
    if (v && !s->cap_truncated && html_escape(&s->cap, v, strlen(v)) < 0)
      cap_overflow(s);
    cap_raw(s, "\"", 1);
    free(v);
  }
  cap_raw(s, ">", 1);
}

static void cap_end_tag(struct sax_state *s, const xmlChar *name) {
  if (s->cap_mode == TM_TEXT || is_void(name))
    return;
  if (s->cap_wrapper_depth == s->depth) {
    s->cap_wrapper_depth = 0;
    return;
  }
  cap_raw(s, "</", 2);
  cap_raw(s, (const char *)name, strlen((const char *)name));
  cap_raw(s, ">", 1);
}

/* The collected field, trimmed, as HTML. */
static char *cap_html(struct sax_state *s) {
  const char *t = buf_str(&s->cap);
  size_t n = s->cap.len;
  while (n > 0 && isspace((unsigned char)*t))
    t++, n--;
  while (n > 0 && isspace((unsigned char)t[n - 1]))
    n--;
  /* Double-escaped HTML ("&lt;p&gt;" after XML decoding, and no real tag): unescape once. */
  if (s->cap_mode == TM_HTML && !memchr(t, '<', n)) {
    const char *lt = memmem(t, n, "&lt;", 4);
    if (lt && lt + 4 < t + n && (isalpha((unsigned char)lt[4]) || lt[4] == '/')) {
      char *plain;
      /* htmltext would also drop the tags; decode entities only, keeping markup */
      struct buf b;
      buf_init(&b, BRAID_PARSE_MAX_FIELD_BYTES);
      for (size_t i = 0; i < n; i++) {
        char u[UTF8_MAX];
        size_t ulen, used = 0;
        if (t[i] == '&' && (n - i >= 4) &&
            (memcmp(t + i, "&lt;", 4) == 0 || memcmp(t + i, "&gt;", 4) == 0 ||
             (n - i >= 5 && memcmp(t + i, "&amp;", 5) == 0) ||
             (n - i >= 6 && memcmp(t + i, "&quot;", 6) == 0)))
          used = entity_decode(t + i, n - i, u, &ulen);
        if (used) {
          (void)buf_append(&b, u, ulen);
          i += used - 1;
        } else
          (void)buf_append_char(&b, t[i]);
      }
      plain = buf_steal(&b);
      return plain;
    }
  }
  return strndup(t, n);
}

static char *cap_plain(struct sax_state *s) {
  char *text = NULL;
  if (htmltext(buf_str(&s->cap), s->cap.len, 1, BRAID_PARSE_MAX_FIELD_BYTES, &text, NULL) < 0)
    return NULL;
  return text;
}

static void set_once(char **dst, char *v) {
  if (!*dst && v && *v)
    *dst = v;
  else
    free(v);
}

static void set_date(struct sax_state *s, int64_t *dst, bool *has, const char *name) {
  char *text = cap_plain(s);
  if (!text)
    return;
  int64_t t;
  char err[160];
  if (*text && date_parse(text, &t, err, sizeof err) == 0) {
    if (!*has) {
      *dst = t;
      *has = true;
    }
  } else if (*text) {
    if (s->cap_meta)
      parser_error(s->p, "line %d: feed %s: %s", xmlSAX2GetLineNumber(s->ctxt), name, err);
    else
      parser_error(s->p, "line %d: item %zu: %s: %s", xmlSAX2GetLineNumber(s->ctxt),
                   item_number(s), name, err);
  }
  free(text);
}

/* C1 controls in text are windows-1252 mistakes ("&#150;", or bytes iconv let through). */
static void fix_c1(struct buf *b) {
  const char *t = buf_str(b);
  bool found = false;
  for (const char *c = memchr(t, 0xC2, b->len); c && !found;
       c = memchr(c + 1, 0xC2, b->len - (size_t)(c + 1 - t)))
    found = c + 1 < t + b->len && (unsigned char)c[1] >= 0x80 && (unsigned char)c[1] <= 0x9F;
  if (!found)
    return;
  char *fixed = c1_to_cp1252(t, b->len);
  if (!fixed)
    return;
  buf_reset(b);
  (void)buf_append_str(b, fixed);
  free(fixed);
}

static void end_capture(struct sax_state *s) {
  struct feed_meta *m = parser_meta_mut(s->p);
  fix_c1(&s->cap);
  struct feed_item *it = &s->item;
  bool meta = s->cap_meta;
  enum field f = s->cap_field;
  s->cap_field = F_NONE;
  switch (f) {
  case F_TITLE:
    set_once(meta ? &m->title : &it->title, cap_plain(s));
    break;
  case F_SUBTITLE:
    set_once(&m->subtitle, cap_plain(s));
    break;
  case F_LINK: {
    char *t = cap_plain(s);
    if (t && *t && (meta ? s->meta_link_rank : s->link_rank) < 3) {
      char *abs = parser_resolve(t, link_base(s, meta));
      if (abs) {
        char **dst = meta ? &m->link : &it->link;
        free(*dst);
        *dst = abs;
        *(meta ? &s->meta_link_rank : &s->link_rank) = 3;
      }
    }
    free(t);
    break;
  }
  case F_ID: {
    char *t = cap_plain(s);
    if (t && *t && !meta && s->cap_permalink && !s->guid_link &&
        (strncmp(t, "http://", 7) == 0 || strncmp(t, "https://", 8) == 0))
      s->guid_link = strdup(t);
    set_once(meta ? &m->id : &it->id, t);
    break;
  }
  case F_SUMMARY:
    set_once(&it->summary, cap_html(s));
    break;
  case F_CONTENT:
    set_once(&it->content, cap_html(s));
    break;
  case F_AUTHOR:
    set_once(meta ? &m->author : &it->author, cap_plain(s));
    break;
  case F_AUTHOR_NAME:
    set_once(&s->author_name, cap_plain(s));
    break;
  case F_AUTHOR_EMAIL:
    set_once(&s->author_email, cap_plain(s));
    break;
  case F_PUBLISHED:
    if (meta)
      set_date(s, &s->meta_pub, &s->meta_has_pub, "published");
    else
      set_date(s, &it->published, &it->has_published, "published");
    break;
  case F_UPDATED:
    if (meta)
      set_date(s, &m->updated, &m->has_updated, "updated");
    else
      set_date(s, &it->updated, &it->has_updated, "updated");
    break;
  case F_CATEGORY: {
    char *t = cap_plain(s);
    if (t && item_add_category(s->p, it, t) < 0)
      parser_xml_stop(s->p, -ENOMEM);
    free(t);
    break;
  }
  case F_LANGUAGE:
    set_once(&m->language, cap_plain(s));
    break;
  case F_IMAGE:
  case F_ICON: {
    char *t = cap_plain(s);
    char *abs = t && *t ? parser_resolve(t, link_base(s, false)) : NULL;
    set_once(f == F_IMAGE ? &m->image : &s->meta_icon, abs);
    free(t);
    break;
  }
  case F_TTL: {
    char *t = cap_plain(s);
    char *end;
    long v = t ? strtol(t, &end, 10) : 0;
    if (t && end != t && *end == '\0' && v >= 0 && !m->has_ttl) {
      m->ttl = v;
      m->has_ttl = true;
    }
    free(t);
    break;
  }
  case F_NONE:
    break;
  }
}

/* ---- elements --------------------------------------------------------------------------- */

/* An Atom-style <link rel href type length>: the item's or feed's link, or an enclosure. */
static void atom_link(struct sax_state *s, int na, const xmlChar **a, bool meta) {
  char *href = attr(s, na, a, "href", NS_NONE);
  char *rel = attr(s, na, a, "rel", NS_NONE);
  char *type = attr(s, na, a, "type", NS_NONE);
  if (!href)
    goto out;
  bool alternate = !rel || strcmp(rel, "alternate") == 0 ||
                   strcmp(rel, "http://www.iana.org/assignments/relation/alternate") == 0;
  char *abs = parser_resolve(href, link_base(s, meta));
  if (!abs)
    goto out;
  if (!meta && rel && strcmp(rel, "enclosure") == 0) {
    char *len = attr(s, na, a, "length", NS_NONE);
    if (item_add_enclosure(s->p, &s->item, abs, type, len) < 0)
      parser_xml_stop(s->p, -ENOMEM);
    free(len);
    free(abs);
    goto out;
  }
  int rank = alternate ? ((!type || strstr(type, "html")) ? 3 : 2) : 0;
  if (rel && (strcmp(rel, "self") == 0 || strcmp(rel, "hub") == 0 || strcmp(rel, "replies") == 0 ||
              strcmp(rel, "edit") == 0))
    rank = -1;
  else if (!alternate)
    rank = 1;
  int *cur = meta ? &s->meta_link_rank : &s->link_rank;
  char **dst = meta ? &parser_meta_mut(s->p)->link : &s->item.link;
  if (rank > *cur || (rank >= 0 && !*dst)) {
    free(*dst);
    *dst = abs;
    *cur = rank;
  } else
    free(abs);
out:
  free(href);
  free(rel);
  free(type);
}

static void media_element(struct sax_state *s, const xmlChar *name, int na, const xmlChar **a) {
  if (!eq(name, "content") && !eq(name, "thumbnail"))
    return;
  char *url = attr(s, na, a, "url", NS_NONE);
  if (url) {
    char *abs = parser_resolve(url, link_base(s, false));
    char *type = attr(s, na, a, "type", NS_NONE);
    char *size = attr(s, na, a, "fileSize", NS_NONE);
    if (abs && item_add_enclosure(s->p, &s->item, abs, type, size) < 0)
      parser_xml_stop(s->p, -ENOMEM);
    free(abs);
    free(type);
    free(size);
  }
  free(url);
}

static void item_child(struct sax_state *s, const xmlChar *name, enum ns ns, int na,
                       const xmlChar **a) {
  if (core(ns)) {
    switch (name[0]) {
    case 'a':
      if (eq(name, "author")) {
        if (is_atom_ns(ns) || s->atom)
          s->author_depth = s->depth;
        else
          start_capture(s, F_AUTHOR, TM_HTML, false);
      }
      return;
    case 'c':
      if (eq(name, "content") && (is_atom_ns(ns) || s->atom)) {
        char *src = attr(s, na, a, "src", NS_NONE);
        if (src) /* out-of-line content: nothing to collect */
          free(src);
        else
          start_capture(s, F_CONTENT, text_mode(s, na, a, TM_TEXT), false);
      } else if (eq(name, "category")) {
        char *term = attr(s, na, a, "term", NS_NONE);
        if (!term)
          term = attr(s, na, a, "label", NS_NONE);
        if (term) {
          if (item_add_category(s->p, &s->item, term) < 0)
            parser_xml_stop(s->p, -ENOMEM);
          free(term);
        } else if (!is_atom_ns(ns))
          start_capture(s, F_CATEGORY, TM_HTML, false);
      } else if (eq(name, "created") && ns == NS_ATOM03)
        start_capture(s, F_PUBLISHED, TM_TEXT, false);
      return;
    case 'd':
      if (eq(name, "description"))
        start_capture(s, F_SUMMARY, TM_HTML, false);
      return;
    case 'e':
      if (eq(name, "enclosure")) {
        char *url = attr(s, na, a, "url", NS_NONE);
        char *abs = url ? parser_resolve(url, link_base(s, false)) : NULL;
        char *type = attr(s, na, a, "type", NS_NONE);
        char *len = attr(s, na, a, "length", NS_NONE);
        if (abs && item_add_enclosure(s->p, &s->item, abs, type, len) < 0)
          parser_xml_stop(s->p, -ENOMEM);
        free(url);
        free(abs);
        free(type);
        free(len);
      }
      return;
    case 'g':
      if (eq(name, "guid")) {
        char *perma = attr(s, na, a, "isPermaLink", NS_NONE);
        start_capture(s, F_ID, TM_HTML, false);
        s->cap_permalink = !perma || strcmp(perma, "false") != 0;
        free(perma);
      }
      return;
    case 'i':
      if (eq(name, "id"))
        start_capture(s, F_ID, TM_TEXT, false);
      else if (eq(name, "issued"))
        start_capture(s, F_PUBLISHED, TM_TEXT, false);
      return;
    case 'l':
      if (eq(name, "link")) {
        bool has_href = false;
        for (int i = 0; i < na; i++)
          has_href |= eq(a[i * 5], "href");
        if (has_href || is_atom_ns(ns))
          atom_link(s, na, a, false);
        else
          start_capture(s, F_LINK, TM_HTML, false);
      }
      return;
    case 'm':
      if (eq(name, "modified"))
        start_capture(s, F_UPDATED, TM_TEXT, false);
      return;
    case 'p':
      if (eq(name, "pubDate") || eq(name, "published"))
        start_capture(s, F_PUBLISHED, TM_TEXT, false);
      return;
    case 's':
      if (eq(name, "summary"))
        start_capture(s, F_SUMMARY, text_mode(s, na, a, TM_TEXT), false);
      return;
    case 't':
      if (eq(name, "title"))
        start_capture(s, F_TITLE, (is_atom_ns(ns) || s->atom) ? text_mode(s, na, a, TM_TEXT)
                                                                : TM_HTML, false);
      return;
    case 'u':
      if (eq(name, "updated"))
        start_capture(s, F_UPDATED, TM_TEXT, false);
      return;
    }
    return;
  }
  switch (ns) {
  case NS_CONTENT:
    if (eq(name, "encoded"))
      start_capture(s, F_CONTENT, TM_HTML, false);
    break;
  case NS_DC:
    if (eq(name, "creator") || eq(name, "author"))
      start_capture(s, F_AUTHOR, TM_HTML, false);
    else if (eq(name, "date"))
      start_capture(s, F_PUBLISHED, TM_TEXT, false);
    else if (eq(name, "subject"))
      start_capture(s, F_CATEGORY, TM_HTML, false);
    else if (eq(name, "description"))
      start_capture(s, F_SUMMARY, TM_HTML, false);
    else if (eq(name, "title"))
      start_capture(s, F_TITLE, TM_HTML, false);
    else if (eq(name, "identifier"))
      start_capture(s, F_ID, TM_TEXT, false);
    break;
  case NS_DCTERMS:
    if (eq(name, "issued") || eq(name, "created"))
      start_capture(s, F_PUBLISHED, TM_TEXT, false);
    else if (eq(name, "modified"))
      start_capture(s, F_UPDATED, TM_TEXT, false);
    break;
  case NS_MEDIA:
    media_element(s, name, na, a);
    break;
  case NS_ITUNES:
    if (eq(name, "author"))
      start_capture(s, F_AUTHOR, TM_HTML, false);
    break;
  case NS_XHTML:
    if (eq(name, "body") || eq(name, "div"))
      start_capture(s, F_CONTENT, TM_XHTML, false);
    break;
  default:
    break;
  }
}

static void channel_child(struct sax_state *s, const xmlChar *name, enum ns ns, int na,
                          const xmlChar **a) {
  if (core(ns)) {
    if (eq(name, "title"))
      start_capture(s, F_TITLE, (is_atom_ns(ns) || s->atom) ? text_mode(s, na, a, TM_TEXT)
                                                              : TM_HTML, true);
    else if (eq(name, "link")) {
      bool has_href = false;
      for (int i = 0; i < na; i++)
        has_href |= eq(a[i * 5], "href");
      if (has_href || is_atom_ns(ns))
        atom_link(s, na, a, true);
      else
        start_capture(s, F_LINK, TM_HTML, true);
    } else if (eq(name, "description") || eq(name, "subtitle") || eq(name, "tagline"))
      start_capture(s, F_SUBTITLE, (is_atom_ns(ns) || s->atom) ? text_mode(s, na, a, TM_TEXT)
                                                                 : TM_HTML, true);
    else if (eq(name, "language"))
      start_capture(s, F_LANGUAGE, TM_TEXT, true);
    else if (eq(name, "id"))
      start_capture(s, F_ID, TM_TEXT, true);
    else if (eq(name, "updated") || eq(name, "modified") || eq(name, "lastBuildDate"))
      start_capture(s, F_UPDATED, TM_TEXT, true);
    else if (eq(name, "pubDate"))
      start_capture(s, F_PUBLISHED, TM_TEXT, true);
    else if (eq(name, "managingEditor"))
      start_capture(s, F_AUTHOR, TM_HTML, true);
    else if (eq(name, "author")) {
      if (is_atom_ns(ns) || s->atom)
        s->author_depth = s->depth;
      else
        start_capture(s, F_AUTHOR, TM_HTML, true);
    } else if (eq(name, "image"))
      s->image_depth = s->depth;
    else if (eq(name, "logo"))
      start_capture(s, F_IMAGE, TM_TEXT, true);
    else if (eq(name, "icon"))
      start_capture(s, F_ICON, TM_TEXT, true);
    else if (eq(name, "ttl"))
      start_capture(s, F_TTL, TM_TEXT, true);
    return;
  }
  if (ns == NS_DC) {
    if (eq(name, "creator") || eq(name, "publisher"))
      start_capture(s, F_AUTHOR, TM_HTML, true);
    else if (eq(name, "date"))
      start_capture(s, F_UPDATED, TM_TEXT, true);
    else if (eq(name, "language"))
      start_capture(s, F_LANGUAGE, TM_TEXT, true);
    else if (eq(name, "title"))
      start_capture(s, F_TITLE, TM_HTML, true);
    else if (eq(name, "description"))
      start_capture(s, F_SUBTITLE, TM_HTML, true);
  } else if (ns == NS_ITUNES && eq(name, "image")) {
    char *href = attr(s, na, a, "href", NS_NONE);
    char *abs = href ? parser_resolve(href, link_base(s, false)) : NULL;
    set_once(&s->meta_icon, abs);
    free(href);
  } else if (ns == NS_ITUNES && eq(name, "author")) {
    start_capture(s, F_AUTHOR, TM_HTML, true);
  }
}

static void root_element(struct sax_state *s, const xmlChar *name, enum ns ns, int na,
                         const xmlChar **a) {
  if (eq(name, "rss") && ns == NS_NONE) {
    char *v = attr(s, na, a, "version", NS_NONE);
    s->format = v && strncmp(v, "0.9", 3) == 0 ? "rss0.9x" : "rss2.0";
    free(v);
  } else if (eq(name, "RDF") && (ns == NS_RDF || ns == NS_NONE || ns == NS_OTHER)) {
    s->format = "rss1.0";
  } else if (eq(name, "feed") && (ns == NS_ATOM10 || ns == NS_ATOM03 || ns == NS_NONE)) {
    char *v = attr(s, na, a, "version", NS_NONE);
    s->format = ns == NS_ATOM03 || (v && strcmp(v, "0.3") == 0) ? "atom0.3" : "atom1.0";
    free(v);
    s->atom = true;
    s->channel_depth = 1;
  } else if (eq(name, "channel")) {
    s->format = "rss2.0";
    s->channel_depth = 1;
  }
  parser_meta_mut(s->p)->format = s->format;
}

static void open_item(struct sax_state *s, int na, const xmlChar **a) {
  feed_item_clear(&s->item);
  free(s->item_about);
  free(s->guid_link);
  s->guid_link = NULL;
  s->item_about = attr(s, na, a, "about", NS_RDF);
  s->item_depth = s->depth;
  s->link_rank = 0;
}

static void close_author(struct sax_state *s) {
  char *who = s->author_name ? s->author_name : s->author_email;
  if (who == s->author_name)
    free(s->author_email);
  else
    free(s->author_name);
  s->author_name = s->author_email = NULL;
  if (s->item_depth)
    set_once(&s->item.author, who);
  else
    set_once(&parser_meta_mut(s->p)->author, who);
  s->author_depth = 0;
}

static int close_item(struct sax_state *s) {
  struct feed_item *it = &s->item;
  if (!it->id && s->item_about) {
    it->id = s->item_about;
    s->item_about = NULL;
  }
  if (!it->link && s->guid_link) {
    it->link = parser_resolve(s->guid_link, link_base(s, false));
  }
  s->item_depth = 0;
  int r = parser_deliver(s->p, it);
  if (r < 0)
    parser_xml_stop(s->p, r);
  return r;
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
                     int nb_ns, const xmlChar **namespaces_, int na, int nb_defaulted,
                     const xmlChar **a) {
  (void)nb_ns;
  (void)namespaces_;
  (void)nb_defaulted;
  struct sax_state *s = ctx;
  s->ctxt->wellFormed = 1; /* see get_entity */
  s->events++;
  int d = ++s->depth;
  if (d > BRAID_PARSE_MAX_DEPTH) {
    if (!s->depth_reported)
      parser_error(s->p, "line %d: elements nested deeper than BRAID_PARSE_MAX_DEPTH (%d) are "
                   "ignored", xmlSAX2GetLineNumber(s->ctxt), BRAID_PARSE_MAX_DEPTH);
    s->depth_reported = true;
    attr_ent_clear(s);
    return;
  }
  for (int i = 0; i < na; i++) {
    const xmlChar **at = a + i * 5;
    if (at[1] && eq(at[1], "xml") && eq(at[0], "base")) {
      char *v = attr_value(s, at[3], at[4]);
      const char *parent = xml_base(s, d - 1);
      free(s->base[d]);
      s->base[d] = parser_resolve(v, parent ? parent : parser_doc_url(s->p));
      free(v);
    } else if (at[1] && eq(at[1], "xml") && eq(at[0], "lang") && d <= 2) {
      char *v = attr_value(s, at[3], at[4]);
      set_once(&parser_meta_mut(s->p)->language, v);
    }
  }
  enum ns ns = ns_of(s, uri, prefix);
  if (s->cap_field != F_NONE) {
    cap_start_tag(s, name, ns, na, a);
  } else if (d == 1) {
    root_element(s, name, ns, na, a);
  } else if (!s->format) {
    /* not a feed: nothing to read */
  } else if (s->item_depth) {
    if (d == s->item_depth + 1)
      item_child(s, name, ns, na, a);
    else if (s->author_depth && d == s->author_depth + 1 && core(ns)) {
      if (eq(name, "name"))
        start_capture(s, F_AUTHOR_NAME, TM_TEXT, false);
      else if (eq(name, "email"))
        start_capture(s, F_AUTHOR_EMAIL, TM_TEXT, false);
    } else if (ns == NS_MEDIA && d == s->item_depth + 2)
      media_element(s, name, na, a); /* inside media:group */
  } else if (core(ns) && (eq(name, "item") || (eq(name, "entry") && s->atom))) {
    if (ns == NS_RSS090)
      s->format = parser_meta_mut(s->p)->format = "rss0.9x";
    open_item(s, na, a);
  } else if (core(ns) && eq(name, "channel") && s->channel_depth == 0) {
    s->channel_depth = d;
    if (ns == NS_RSS090)
      s->format = parser_meta_mut(s->p)->format = "rss0.9x";
  } else if (s->image_depth && d == s->image_depth + 1) {
    if (core(ns) && eq(name, "url"))
      start_capture(s, F_IMAGE, TM_TEXT, true);
  } else if (s->author_depth && d == s->author_depth + 1 && core(ns)) {
    if (eq(name, "name"))
      start_capture(s, F_AUTHOR_NAME, TM_TEXT, true);
    else if (eq(name, "email"))
      start_capture(s, F_AUTHOR_EMAIL, TM_TEXT, true);
  } else if (s->channel_depth > 0 && d == s->channel_depth + 1) {
    channel_child(s, name, ns, na, a);
  } else if (d == 2 && core(ns) && eq(name, "image")) {
    s->image_depth = d; /* RSS 1.0: <image> is the channel's sibling */
  }
  attr_ent_clear(s);
}

static void on_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri) {
  (void)prefix;
  (void)uri;
  struct sax_state *s = ctx;
  s->events++;
  int d = s->depth;
  if (d > BRAID_PARSE_MAX_DEPTH) {
    s->depth--;
    return;
  }
  if (s->cap_field != F_NONE) {
    if (d == s->cap_depth)
      end_capture(s);
    else
      cap_end_tag(s, name);
  } else if (s->item_depth && d == s->item_depth) {
    close_item(s);
  } else if (s->author_depth && d == s->author_depth) {
    close_author(s);
  } else if (s->image_depth && d == s->image_depth) {
    s->image_depth = 0;
  } else if (d == s->channel_depth && !s->atom && d > 1) {
    s->channel_depth = -1; /* RSS 1.0: what follows the channel is not its metadata */
  }
  free(s->base[d]);
  s->base[d] = NULL;
  s->depth--;
}

void sax_handler_init(xmlSAXHandler *h) {
  memset(h, 0, sizeof *h);
  h->initialized = XML_SAX2_MAGIC;
  h->startElementNs = on_start;
  h->endElementNs = on_end;
  h->characters = on_characters;
  h->cdataBlock = on_characters;
  h->getEntity = get_entity;
  h->getParameterEntity = get_entity;
  h->entityDecl = entity_decl;
  h->resolveEntity = resolve_entity;
  /* no internalSubset/externalSubset handlers: a DTD is parsed for syntax and forgotten */
}

int sax_finish(struct sax_state *s) {
  struct feed_meta *m = parser_meta_mut(s->p);
  if (!m->has_updated && s->meta_has_pub) {
    m->updated = s->meta_pub;
    m->has_updated = true;
  }
  if (!m->image && s->meta_icon) {
    m->image = s->meta_icon;
    s->meta_icon = NULL;
  }
  if (s->item_depth) {
    /* the document ended inside an item: deliver what was read of it */
    parser_error(s->p, "item %zu: the document ended inside it", item_number(s));
    if (s->cap_field != F_NONE)
      end_capture(s);
    if (s->author_depth)
      close_author(s);
    return close_item(s);
  }
  return 0;
}
