/* parse_sax.c — SAX2 callbacks that read RSS and Atom into items (see parse_sax.h).
 *
 * Elements are told apart by namespace (mapped once per distinct URI string, which libxml2
 * interns) and local name. Only the direct children of an item or of the channel are fields;
 * anything deeper (atom:source, image/title) cannot overwrite them. Entities are decided in
 * parse_entity.c, and each field's text is collected by parse_text.c.
 */
#include "parse_saxint.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parserInternals.h>

#include "parse_core.h"

static const struct {
  const char *uri;
  const char *prefix; /* what feeds write when they forget to declare it */
  enum ns ns;
} namespaces[] = {
    {"http://purl.org/rss/1.0/", NULL, NS_RSS10},
    {"http://my.netscape.com/rdf/simple/0.9/", NULL, NS_RSS090},
    {"http://backend.userland.com/rss2", NULL, NS_NONE},
    {"http://backend.userland.com/rss", NULL, NS_NONE},
    {"http://blogs.law.harvard.edu/tech/rss", NULL, NS_NONE},
    {"http://purl.org/rss/1.0/modules/rss091#", NULL, NS_NONE},
    {"http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdf", NS_RDF},
    {"http://www.w3.org/2005/Atom", "atom", NS_ATOM10},
    {"http://purl.org/atom/ns#", NULL, NS_ATOM03},
    /* Atom's drafts before 0.3, still in the wild (feedparser reads them too) */
    {"http://example.com/newformat#", NULL, NS_ATOM03},
    {"http://example.com/necho", NULL, NS_ATOM03},
    {"http://purl.org/echo/", NULL, NS_ATOM03},
    {"uri/of/echo/namespace#", NULL, NS_ATOM03},
    {"http://purl.org/pie/", NULL, NS_ATOM03},
    {"http://purl.org/rss/1.0/modules/content/", "content", NS_CONTENT},
    {"http://purl.org/dc/elements/1.1/", "dc", NS_DC},
    {"http://purl.org/dc/terms/", "dcterms", NS_DCTERMS},
    {"http://search.yahoo.com/mrss/", "media", NS_MEDIA},
    {"http://search.yahoo.com/mrss", NULL, NS_MEDIA},
    {"http://www.itunes.com/dtds/podcast-1.0.dtd", "itunes", NS_ITUNES},
    {"http://example.com/dtds/podcast-1.0.dtd", NULL, NS_ITUNES},
    {"http://www.w3.org/1999/xhtml", "xhtml", NS_XHTML},
    {"http://www.w3.org/XML/1998/namespace", "xml", NS_XML},
};

int sax_state_new(struct feed_parser *p, struct sax_state **ret) {
  assert(parse__vocab_sorted());
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
  s->n_attr_ent = 0;
}

void sax_state_free(struct sax_state *s) {
  if (!s)
    return;
  parse__item_clear(&s->item);
  free(s->item_about);
  free(s->guid_link);
  free(s->media_title);
  free(s->media_summary);
  free(s->author_name);
  free(s->author_email);
  free(s->meta_icon);
  buf_clear(&s->cap);
  for (size_t i = 0; i < sizeof s->base / sizeof s->base[0]; i++)
    free(s->base[i]);
  attr_ent_clear(s);
  for (size_t i = 0; i < s->n_decl; i++) {
    free(s->decl_name[i]);
    free(s->decl_value[i]);
  }
  for (size_t i = 0; i < s->n_pe; i++)
    free(s->pe_name[i]);
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
  enum ns ns = NS_OTHER;
  size_t i = 0;
  while (i < URI_CACHE && s->uri_ptr[i] != uri)
    i++;
  if (i < URI_CACHE) {
    ns = s->uri_ns[i];
  } else {
    /* URIs are compared without case, as feedparser does ("HTTP://WWW.ITUNES.COM/...") */
    for (size_t k = 0; k < sizeof namespaces / sizeof namespaces[0]; k++)
      if (strcasecmp(namespaces[k].uri, (const char *)uri) == 0) {
        ns = namespaces[k].ns;
        break;
      }
    s->uri_ptr[s->uri_next] = uri;
    s->uri_ns[s->uri_next] = ns;
    s->uri_next = (s->uri_next + 1) % URI_CACHE;
  }
  /* An unknown default namespace (<rss xmlns="http://backend.userland.com/rss2.1">) still
   * holds the feed's own vocabulary: read its elements by local name, as feedparser does. */
  return ns == NS_OTHER && !prefix ? NS_NONE : ns;
}

bool parse__eq(const xmlChar *a, const char *b) { return strcmp((const char *)a, b) == 0; }

/* ---- attributes ------------------------------------------------------------------------ */

/* Attribute i of a start tag's attributes a (libxml2's five pointers each), decoded: libxml2
 * hands values raw, with '&' as "&#38;" and each entity get_entity supplied as one 0x01 byte
 * (it copies only one byte of an entity's text); the entities' text waits in s->attr_ent in
 * document order, so the ones before attribute i are counted to find its own. */
char *parse__attr_value(struct sax_state *s, const xmlChar **a, int i) {
  const xmlChar *v = a[i * 5 + 3], *end = a[i * 5 + 4];
  size_t next = 0;
  if (s->n_attr_ent > 0)
    for (int k = 0; k < i; k++)
      for (const xmlChar *c = a[k * 5 + 3]; c < a[k * 5 + 4]; c++)
        next += *c == 0x01;
  size_t n = (size_t)(end - v);
  struct buf b;
  buf_init(&b, BRAID_PARSE_MAX_FIELD_BYTES);
  for (size_t j = 0; j < n; j++) {
    char c = (char)v[j];
    int r;
    if (c == '&' && n - j >= 5 && memcmp(v + j, "&#38;", 5) == 0) {
      r = buf_append_char(&b, '&');
      j += 4;
    } else if (c == '\x01') {
      r = buf_append_str(&b, next < s->n_attr_ent ? s->attr_ent[next] : "");
      next++;
    } else
      r = buf_append_char(&b, c);
    if (r < 0)
      break;
  }
  return buf_steal(&b);
}

/* The value of attribute `name` (no namespace, or in namespace `ns`), new string or NULL. */
char *parse__attr(struct sax_state *s, int n, const xmlChar **a, const char *name, enum ns ns) {
  for (int i = 0; i < n; i++) {
    const xmlChar **at = a + i * 5;
    if (!parse__eq(at[0], name))
      continue;
    enum ns ans = at[2] ? ns_of(s, at[2], at[1]) : (at[1] ? ns_of(s, NULL, at[1]) : NS_NONE);
    if (ans == ns)
      return parse__attr_value(s, a, i);
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
const char *parse__link_base(struct sax_state *s, bool for_feed_link) {
  const char *b = xml_base(s, s->depth);
  if (b)
    return b;
  const struct feed_meta *m = parse__meta_mut(s->p);
  if (!for_feed_link && m->link)
    return m->link;
  return parse__doc_url(s->p);
}

const char *parse__content_base(struct sax_state *s) {
  const char *b = xml_base(s, s->depth);
  return b ? b : parse__doc_url(s->p);
}

bool parse__content_base_explicit(struct sax_state *s) {
  return xml_base(s, s->depth) != NULL;
}

/* ---- elements --------------------------------------------------------------------------- */

static void root_element(struct sax_state *s, const xmlChar *name, enum ns ns, int na,
                         const xmlChar **a, int nb_ns, const xmlChar **ns_decl) {
  if (parse__eq(name, "rss") && ns == NS_NONE) {
    char *v = parse__attr(s, na, a, "version", NS_NONE);
    s->format = v && strncmp(v, "0.9", 3) == 0 ? "rss0.9x" : "rss2.0";
    free(v);
  } else if (parse__eq(name, "RDF") && (ns == NS_RDF || ns == NS_NONE || ns == NS_OTHER)) {
    /* RSS 0.90 is RDF too: its vocabulary's namespace tells it apart, even with no channel */
    s->format = "rss1.0";
    for (int i = 0; i < nb_ns; i++)
      if (!ns_decl[2 * i] && ns_decl[2 * i + 1] &&
          ns_of(s, ns_decl[2 * i + 1], NULL) == NS_RSS090)
        s->format = "rss0.9x";
  } else if (parse__eq(name, "feed") && (ns == NS_ATOM10 || ns == NS_ATOM03 || ns == NS_NONE)) {
    char *v = parse__attr(s, na, a, "version", NS_NONE);
    s->format = ns == NS_ATOM03 || (v && strcmp(v, "0.3") == 0) ? "atom0.3" : "atom1.0";
    free(v);
    s->atom = true;
    s->channel_depth = 1;
  } else if (parse__eq(name, "channel")) {
    s->format = "rss2.0";
    s->channel_depth = 1;
  }
  parse__meta_mut(s->p)->format = s->format;
}

static void open_item(struct sax_state *s, int na, const xmlChar **a) {
  parse__item_clear(&s->item);
  free(s->item_about);
  free(s->guid_link);
  s->guid_link = NULL;
  s->item_about = parse__attr(s, na, a, "about", NS_RDF);
  s->item_depth = s->depth;
  s->group_depth = 0;
  s->link_rank = 0;
  s->pub_rank = s->upd_rank = 0;
}

static void close_author(struct sax_state *s) {
  char *who = s->author_name ? s->author_name : s->author_email;
  if (who == s->author_name)
    free(s->author_email);
  else
    free(s->author_name);
  s->author_name = s->author_email = NULL;
  if (s->item_depth)
    parse__set_once(&s->item.author, who);
  else
    parse__set_once(&parse__meta_mut(s->p)->author, who);
  s->author_depth = 0;
}

static int close_item(struct sax_state *s) {
  struct feed_item *it = &s->item;
  if (!it->id && s->item_about) {
    it->id = s->item_about;
    s->item_about = NULL;
  }
  if (!it->title) {
    it->title = s->media_title;
    s->media_title = NULL;
  }
  if (!it->summary) {
    it->summary = s->media_summary;
    s->media_summary = NULL;
  }
  free(s->media_title);
  free(s->media_summary);
  s->media_title = s->media_summary = NULL;
  if (!it->link && s->guid_link) {
    it->link = parse__resolve(s->guid_link, parse__link_base(s, false));
  }
  s->item_depth = 0;
  int r = parse__deliver(s->p, it);
  if (r < 0)
    parse__xml_stop(s->p, r);
  return r;
}

/* xml:base and xml:lang on the element at depth d. The feed's language is the xml:lang of
 * the root or of the RSS channel; a child's (<title xml:lang>) is that text's own, as in
 * feedparser. */
static void xml_attrs(struct sax_state *s, const xmlChar *name, int d, int na, const xmlChar **a) {
  for (int i = 0; i < na; i++) {
    const xmlChar **at = a + i * 5;
    if (at[1] && parse__eq(at[1], "xml") && parse__eq(at[0], "base")) {
      char *v = parse__attr_value(s, a, i);
      const char *parent = xml_base(s, d - 1);
      free(s->base[d]);
      s->base[d] = parse__resolve(v, parent ? parent : parse__doc_url(s->p));
      free(v);
    } else if (at[1] && parse__eq(at[1], "xml") && parse__eq(at[0], "lang") &&
               (d == 1 || (d == 2 && parse__eq(name, "channel")))) {
      char *v = parse__attr_value(s, a, i);
      for (char *c = v; c && *c; c++)
        if (*c == '_')
          *c = '-'; /* "en_US" is a locale name; the language tag is "en-US" */
      parse__set_once(&parse__meta_mut(s->p)->language, v);
    }
  }
}

/* <name> or <email> inside an author (of the item, or of the feed when meta). */
static void author_child(struct sax_state *s, const xmlChar *name, bool meta) {
  if (parse__eq(name, "name"))
    parse__start_capture(s, F_AUTHOR_NAME, TM_TEXT, meta);
  else if (parse__eq(name, "email"))
    parse__start_capture(s, F_AUTHOR_EMAIL, TM_TEXT, meta);
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
                     int nb_ns, const xmlChar **namespaces_, int na, int nb_defaulted,
                     const xmlChar **a) {
  (void)nb_defaulted;
  struct sax_state *s = ctx;
  s->ctxt->wellFormed = 1; /* see get_entity */
  s->events++;
  s->pending_close[0] = '\0';
  int lx = ++s->lx_depth;
  if (lx >= 0 && lx < SAX_LX_STACK)
    s->lx_ghost[lx] = 0;
  int d = ++s->depth;
  if (d <= BRAID_PARSE_MAX_DEPTH) {
    s->live_lx[d] = lx;
    s->live_name[d] = name;
  }
  if (d > BRAID_PARSE_MAX_DEPTH) {
    if (!s->depth_reported)
      parse__error(s->p, "line %d: elements nested deeper than BRAID_PARSE_MAX_DEPTH (%d) are "
                   "ignored", xmlSAX2GetLineNumber(s->ctxt), BRAID_PARSE_MAX_DEPTH);
    s->depth_reported = true;
    attr_ent_clear(s);
    return;
  }
  xml_attrs(s, name, d, na, a);
  enum ns ns = ns_of(s, uri, prefix);
  if (s->cap_field != F_NONE) {
    parse__cap_start_tag(s, name, ns, na, a);
  } else if (d == 1) {
    root_element(s, name, ns, na, a, nb_ns, namespaces_);
  } else if (!s->format) {
    /* not a feed: nothing to read */
  } else if (s->item_depth) {
    if (d == s->item_depth + 1 ||
        (s->group_depth && d == s->group_depth + 1 && ns == s->group_ns))
      parse__vocab_child(s, name, ns, na, a, false);
    else if (s->author_depth && d == s->author_depth + 1 && parse__core_ns(ns))
      author_child(s, name, false);
  } else if (parse__core_ns(ns) && (parse__eq(name, "item") || (parse__eq(name, "entry") && s->atom))) {
    if (ns == NS_RSS090)
      s->format = parse__meta_mut(s->p)->format = "rss0.9x";
    open_item(s, na, a);
  } else if (parse__core_ns(ns) && parse__eq(name, "channel") && s->channel_depth == 0) {
    s->channel_depth = d;
    if (ns == NS_RSS090)
      s->format = parse__meta_mut(s->p)->format = "rss0.9x";
  } else if (s->image_depth && d == s->image_depth + 1) {
    if (parse__core_ns(ns) && parse__eq(name, "url"))
      parse__start_capture(s, F_IMAGE, TM_TEXT, true);
  } else if (s->author_depth && d == s->author_depth + 1 && parse__core_ns(ns)) {
    author_child(s, name, true);
  } else if (s->channel_depth > 0 && d == s->channel_depth + 1) {
    parse__vocab_child(s, name, ns, na, a, true);
  } else if (d == 2 && parse__core_ns(ns) && parse__eq(name, "image")) {
    s->image_depth = d; /* RSS 1.0: <image> is the channel's sibling */
  }
  attr_ent_clear(s);
}

void sax_tag_mismatch(struct sax_state *s, const char *name) {
  const char *colon = strrchr(name, ':'); /* compare local names */
  snprintf(s->pending_close, sizeof s->pending_close, "%s", colon ? colon + 1 : name);
}

static void end_element(struct sax_state *s, const xmlChar *name);

/* The live element at or below our top that libxml2 knows as depth lx; 0 if none. */
static int live_of(const struct sax_state *s, int lx) {
  for (int d = s->depth; d > 0; d--) {
    if (s->live_lx[d] == lx)
      return d;
    if (s->live_lx[d] >= 0 && s->live_lx[d] < lx)
      break;
  }
  return 0;
}

/* Closes our elements from the top down to depth `to`; those libxml2 still holds open become
 * ghosts, to be ignored when libxml2 closes them. */
static void close_down_to(struct sax_state *s, int to) {
  while (s->depth >= to && s->depth > 0) {
    int lx = s->live_lx[s->depth];
    if (lx >= 0 && lx <= s->lx_depth && lx < SAX_LX_STACK)
      s->lx_ghost[lx] = 1;
    end_element(s, s->live_name[s->depth]);
  }
}

/* libxml2 closes its top element. Our stack is the truth; libxml2's is mirrored:
 * - a ghost (closed by us already): ignore;
 * - a normal end tag: close down to that element (anything above it was left open by
 *   libxml2's earlier recoveries);
 * - an end tag naming another element that is open ("<item><title>x</item>"): close down to
 *   that one instead; the element libxml2 closed, if below it, stays open for us;
 * - an end tag naming nothing open (a stray "</b>"): close nothing. */
static void on_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri) {
  (void)prefix;
  (void)uri;
  struct sax_state *s = ctx;
  s->events++;
  int lx = s->lx_depth--;
  bool mismatch = s->pending_close[0] != '\0';
  int target = 0;
  if (mismatch && s->depth <= BRAID_PARSE_MAX_DEPTH)
    for (int d = s->depth; d > 0 && !target; d--)
      if (parse__eq(s->live_name[d], s->pending_close))
        target = d;
  s->pending_close[0] = '\0';
  if (lx >= 0 && lx < SAX_LX_STACK && s->lx_ghost[lx]) {
    if (target)
      close_down_to(s, target);
    return;
  }
  if (s->depth > BRAID_PARSE_MAX_DEPTH || lx >= SAX_LX_STACK) {
    end_element(s, name); /* beyond what braid mirrors: take libxml2's word */
    return;
  }
  int closed = live_of(s, lx);
  if (closed && (!mismatch || (target && target <= closed))) {
    s->live_lx[closed] = -1; /* popped by libxml2: never to be ghosted */
    close_down_to(s, target ? target : closed);
  } else {
    if (closed)
      s->live_lx[closed] = -1; /* libxml2 closed it, braid keeps it open */
    if (target)
      close_down_to(s, target);
  }
}

static void end_element(struct sax_state *s, const xmlChar *name) {
  int d = s->depth;
  if (d > BRAID_PARSE_MAX_DEPTH) {
    s->depth--;
    return;
  }
  if (s->cap_field != F_NONE) {
    if (d == s->cap_depth)
      parse__end_capture(s);
    else
      parse__cap_end_tag(s, name);
  } else if (s->group_depth && d == s->group_depth) {
    s->group_depth = 0;
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
  h->characters = parse__on_characters;
  h->cdataBlock = parse__on_characters;
  h->getEntity = parse__get_entity;
  h->getParameterEntity = parse__get_parameter_entity;
  h->entityDecl = parse__entity_decl;
  h->resolveEntity = parse__resolve_entity;
  /* no internalSubset/externalSubset handlers: a DTD is parsed for syntax and forgotten */
}

int sax_finish(struct sax_state *s, const char *why) {
  struct feed_meta *m = parse__meta_mut(s->p);
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
    parse__error(s->p, "item %zu: %s", parse__item_number(s), why);
    if (s->cap_field != F_NONE)
      parse__end_capture(s);
    if (s->author_depth)
      close_author(s);
    return close_item(s);
  }
  return 0;
}
