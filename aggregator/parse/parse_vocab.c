/* parse_vocab.c — the feed vocabularies as data (see parse_saxint.h).
 *
 * Every element braid reads as a field of an item or of the channel is one row of `vocab`
 * (namespace, local name, where, what it is), as in sfeed's tag tables: the handlers below are
 * one per kind of element, never one per element. A row's namespace NS_NONE stands for the
 * feed's own vocabulary, whatever its version (RSS 0.9x/1.0/2.0, Atom 0.3/1.0).
 *
 * Lookup is once per distinct element name: libxml2 interns names in its dictionary, so the
 * name's pointer (with its namespace) keys a small direct-mapped cache of rows; a miss costs a
 * binary search of the sorted table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse_core.h"
#include "parse_saxint.h"

enum scope { IN_ITEM = 1, IN_CHANNEL = 2, IN_BOTH = 3 };

enum kind {
  K_TEXT,      /* the element's text is the field, read in `mode` */
  K_TYPED,     /* text whose Atom type=/mode= attributes decide how it is read; `mode` is
                  the RSS reading (no attributes) */
  K_CONTENT,   /* Atom content: typed text, unless src= points elsewhere (then nothing) */
  K_LINK,      /* Atom <link rel href type> (also a link without href: its text), RSS text */
  K_PERSON,    /* Atom person (name and email children), else text as RSS writes it */
  K_CATEGORY,  /* term= or label= attribute, else (RSS) the text */
  K_GUID,      /* RSS guid: the id, and the link of last resort unless isPermaLink="false" */
  K_ENCLOSURE, /* url=, type= and a length attribute (`len_attr`) */
  K_IMAGE_BOX, /* the channel's <image>: its <url> child is the feed's image */
  K_ICON_HREF, /* href= (or url=, as some wrote it) is the feed's icon (itunes:image; and
                  itunes:link if rel="image") */
  K_GROUP,     /* media:group: its media children are read as the item's */
  K_CATEGORY_TREE, /* itunes:category text=: a category whose children are categories too */
};

/* Dates: where several elements give one date, the feed's own (RANK_CORE: pubDate, Atom's
 * published/issued, updated/modified) win over extensions (dc:date, dcterms:*, Atom 0.3's
 * created), and of equal rank the last one read wins, as in feedparser (which keeps the
 * last value of a repeated element, and reads issued as published). */
enum { RANK_EXT = 0, RANK_CORE = 1 };

struct vocab {
  unsigned char ns;       /* enum ns; NS_NONE = the feed's own vocabulary */
  const char *name;       /* local name */
  unsigned char scope;    /* enum scope */
  unsigned char kind;     /* enum kind */
  unsigned char field;    /* enum field */
  unsigned char mode;     /* enum textmode */
  unsigned char rank;     /* dates: RANK_* */
  bool atom_only;         /* only in an Atom document or under an Atom namespace */
  const char *len_attr;   /* K_ENCLOSURE: the attribute holding the size in bytes */
};

/* Sorted by (ns, name without case, scope): vocab_find() searches it. Names are matched
 * without case, as feedparser does (it lowercases every element name: <TiTlE>, <PubDate>). */
static const struct vocab vocab[] = {
    {NS_NONE, "author", IN_BOTH, K_PERSON, F_AUTHOR, TM_HTML, 0, false, NULL},
    {NS_NONE, "category", IN_ITEM, K_CATEGORY, F_CATEGORY, TM_HTML, 0, false, NULL},
    {NS_NONE, "content", IN_ITEM, K_CONTENT, F_CONTENT, TM_TEXT, 0, true, NULL},
    {NS_NONE, "created", IN_ITEM, K_TEXT, F_PUBLISHED, TM_TEXT, RANK_EXT, true, NULL},
    {NS_NONE, "description", IN_ITEM, K_TEXT, F_SUMMARY, TM_HTML, 0, false, NULL},
    {NS_NONE, "description", IN_CHANNEL, K_TYPED, F_SUBTITLE, TM_HTML, 0, false, NULL},
    {NS_NONE, "enclosure", IN_ITEM, K_ENCLOSURE, F_NONE, TM_TEXT, 0, false, "length"},
    {NS_NONE, "fullitem", IN_ITEM, K_TEXT, F_CONTENT, TM_HTML, 0, false, NULL},
    {NS_NONE, "guid", IN_ITEM, K_GUID, F_ID, TM_HTML, 0, false, NULL},
    {NS_NONE, "icon", IN_CHANNEL, K_TEXT, F_ICON, TM_TEXT, 0, false, NULL},
    {NS_NONE, "id", IN_BOTH, K_TEXT, F_ID, TM_TEXT, 0, false, NULL},
    {NS_NONE, "image", IN_CHANNEL, K_IMAGE_BOX, F_NONE, TM_TEXT, 0, false, NULL},
    {NS_NONE, "issued", IN_ITEM, K_TEXT, F_PUBLISHED, TM_TEXT, RANK_CORE, false, NULL},
    {NS_NONE, "language", IN_CHANNEL, K_TEXT, F_LANGUAGE, TM_TEXT, 0, false, NULL},
    {NS_NONE, "lastBuildDate", IN_CHANNEL, K_TEXT, F_UPDATED, TM_TEXT, RANK_CORE, false, NULL},
    {NS_NONE, "link", IN_BOTH, K_LINK, F_LINK, TM_HTML, 0, false, NULL},
    {NS_NONE, "logo", IN_CHANNEL, K_TEXT, F_IMAGE, TM_TEXT, 0, false, NULL},
    {NS_NONE, "managingEditor", IN_CHANNEL, K_TEXT, F_AUTHOR, TM_HTML, 0, false, NULL},
    {NS_NONE, "modified", IN_BOTH, K_TEXT, F_UPDATED, TM_TEXT, RANK_CORE, false, NULL},
    {NS_NONE, "pubDate", IN_BOTH, K_TEXT, F_PUBLISHED, TM_TEXT, RANK_CORE, false, NULL},
    {NS_NONE, "published", IN_ITEM, K_TEXT, F_PUBLISHED, TM_TEXT, RANK_CORE, false, NULL},
    {NS_NONE, "subtitle", IN_CHANNEL, K_TYPED, F_SUBTITLE, TM_HTML, 0, false, NULL},
    {NS_NONE, "summary", IN_ITEM, K_TYPED, F_SUMMARY, TM_TEXT, 0, false, NULL},
    {NS_NONE, "tagline", IN_CHANNEL, K_TYPED, F_SUBTITLE, TM_HTML, 0, false, NULL},
    {NS_NONE, "title", IN_BOTH, K_TYPED, F_TITLE, TM_HTML, 0, false, NULL},
    {NS_NONE, "ttl", IN_CHANNEL, K_TEXT, F_TTL, TM_TEXT, 0, false, NULL},
    {NS_NONE, "updated", IN_BOTH, K_TEXT, F_UPDATED, TM_TEXT, RANK_CORE, false, NULL},
    {NS_CONTENT, "encoded", IN_ITEM, K_TEXT, F_CONTENT, TM_HTML, 0, false, NULL},
    {NS_DC, "author", IN_BOTH, K_TEXT, F_AUTHOR, TM_HTML, 0, false, NULL},
    {NS_DC, "creator", IN_BOTH, K_TEXT, F_AUTHOR, TM_HTML, 0, false, NULL},
    {NS_DC, "date", IN_ITEM, K_TEXT, F_PUBLISHED, TM_TEXT, RANK_EXT, false, NULL},
    {NS_DC, "date", IN_CHANNEL, K_TEXT, F_UPDATED, TM_TEXT, RANK_EXT, false, NULL},
    {NS_DC, "description", IN_ITEM, K_TEXT, F_SUMMARY, TM_HTML, 0, false, NULL},
    {NS_DC, "description", IN_CHANNEL, K_TEXT, F_SUBTITLE, TM_HTML, 0, false, NULL},
    {NS_DC, "identifier", IN_ITEM, K_TEXT, F_ID, TM_TEXT, 0, false, NULL},
    {NS_DC, "language", IN_CHANNEL, K_TEXT, F_LANGUAGE, TM_TEXT, 0, false, NULL},
    {NS_DC, "publisher", IN_CHANNEL, K_TEXT, F_AUTHOR, TM_HTML, 0, false, NULL},
    {NS_DC, "subject", IN_ITEM, K_TEXT, F_CATEGORY, TM_HTML, 0, false, NULL},
    {NS_DC, "title", IN_BOTH, K_TEXT, F_TITLE, TM_HTML, 0, false, NULL},
    {NS_DCTERMS, "created", IN_ITEM, K_TEXT, F_PUBLISHED, TM_TEXT, RANK_EXT, false, NULL},
    {NS_DCTERMS, "issued", IN_ITEM, K_TEXT, F_PUBLISHED, TM_TEXT, RANK_EXT, false, NULL},
    {NS_DCTERMS, "modified", IN_BOTH, K_TEXT, F_UPDATED, TM_TEXT, RANK_EXT, false, NULL},
    {NS_MEDIA, "category", IN_ITEM, K_TEXT, F_CATEGORY, TM_TEXT, 0, false, NULL},
    {NS_MEDIA, "content", IN_ITEM, K_ENCLOSURE, F_NONE, TM_TEXT, 0, false, "fileSize"},
    {NS_MEDIA, "description", IN_ITEM, K_TEXT, F_MEDIA_SUMMARY, TM_TEXT, 0, false, NULL},
    {NS_MEDIA, "group", IN_ITEM, K_GROUP, F_NONE, TM_TEXT, 0, false, NULL},
    {NS_MEDIA, "thumbnail", IN_ITEM, K_ENCLOSURE, F_NONE, TM_TEXT, 0, false, "fileSize"},
    {NS_MEDIA, "title", IN_ITEM, K_TEXT, F_MEDIA_TITLE, TM_TEXT, 0, false, NULL},
    {NS_ITUNES, "author", IN_BOTH, K_TEXT, F_AUTHOR, TM_HTML, 0, false, NULL},
    {NS_ITUNES, "category", IN_ITEM, K_CATEGORY_TREE, F_NONE, TM_TEXT, 0, false, NULL},
    {NS_ITUNES, "image", IN_CHANNEL, K_ICON_HREF, F_NONE, TM_TEXT, 0, false, NULL},
    {NS_ITUNES, "link", IN_CHANNEL, K_ICON_HREF, F_NONE, TM_TEXT, 0, false, NULL},
    {NS_ITUNES, "subtitle", IN_CHANNEL, K_TEXT, F_SUBTITLE, TM_TEXT, 0, false, NULL},
    {NS_ITUNES, "summary", IN_ITEM, K_TEXT, F_SUMMARY, TM_TEXT, 0, false, NULL},
    {NS_ITUNES, "summary", IN_CHANNEL, K_TEXT, F_SUBTITLE, TM_TEXT, 0, false, NULL},
    {NS_XHTML, "body", IN_ITEM, K_TEXT, F_CONTENT, TM_XHTML, 0, false, NULL},
    {NS_XHTML, "div", IN_ITEM, K_TEXT, F_CONTENT, TM_XHTML, 0, false, NULL},
};
#define N_VOCAB (sizeof vocab / sizeof vocab[0])

static int vocab_cmp(enum ns ns, const char *name, int scope, const struct vocab *v);

bool parse__vocab_sorted(void) {
  for (size_t i = 1; i < N_VOCAB; i++)
    if (vocab_cmp((enum ns)vocab[i].ns, vocab[i].name, vocab[i].scope, &vocab[i - 1]) <= 0)
      return false;
  return true;
}

/* The feed's own vocabulary, whatever its version. */
bool parse__core_ns(enum ns ns) {
  return ns == NS_NONE || ns == NS_RSS10 || ns == NS_RSS090 || ns == NS_ATOM10 || ns == NS_ATOM03;
}
static bool atom_ns(enum ns ns) { return ns == NS_ATOM10 || ns == NS_ATOM03; }

static int vocab_cmp(enum ns ns, const char *name, int scope, const struct vocab *v) {
  if (ns != v->ns)
    return ns < v->ns ? -1 : 1;
  int c = strcasecmp(name, v->name);
  if (c)
    return c;
  return scope == v->scope ? 0 : scope < v->scope ? -1 : 1;
}

/* The first row for (ns, name) at or after the sorted position, or -1. */
static int vocab_search(enum ns ns, const char *name) {
  size_t lo = 0, hi = N_VOCAB;
  while (lo < hi) { /* lower bound of (ns, name, scope 0) */
    size_t mid = (lo + hi) / 2;
    if (vocab_cmp(ns, name, 0, &vocab[mid]) > 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < N_VOCAB && vocab[lo].ns == ns && strcasecmp(vocab[lo].name, name) == 0 ? (int)lo : -1;
}

/* The row for an element (name interned by libxml2) in scope, or NULL. */
static const struct vocab *vocab_find(struct sax_state *s, const xmlChar *name, enum ns ns,
                                      enum scope scope) {
  enum ns key = parse__core_ns(ns) ? NS_NONE : ns;
  size_t h = (((uintptr_t)name >> 3) ^ ((uintptr_t)name >> 9) ^ (size_t)key) % VOCAB_CACHE;
  struct vocab_slot *slot = &s->vocab_cache[h];
  if (slot->name != name || slot->ns != key) {
    slot->name = name;
    slot->ns = key;
    slot->row = (short)vocab_search(key, (const char *)name);
    slot->rows = 0;
    for (size_t i = (size_t)slot->row; slot->row >= 0 && i < N_VOCAB && vocab[i].ns == key &&
                                        strcasecmp(vocab[i].name, (const char *)name) == 0;
         i++)
      slot->rows++;
  }
  for (int i = slot->row; i >= 0 && i < slot->row + slot->rows; i++) {
    const struct vocab *v = &vocab[i];
    if (v->scope & scope)
      return v->atom_only && !atom_ns(ns) && !s->atom ? NULL : v;
  }
  return NULL;
}

/* ---- one handler per kind ---------------------------------------------------------------- */

/* An Atom-style <link rel href type length>: the item's or feed's link, or an enclosure. */
static void atom_link(struct sax_state *s, int na, const xmlChar **a, bool meta) {
  char *href = parse__attr(s, na, a, "href", NS_NONE);
  char *rel = parse__attr(s, na, a, "rel", NS_NONE);
  char *type = parse__attr(s, na, a, "type", NS_NONE);
  bool alternate = !rel || strcmp(rel, "alternate") == 0 ||
                   strcmp(rel, "http://www.iana.org/assignments/relation/alternate") == 0;
  if (!href) {
    /* Atom 0.3 as some wrote it: <link rel="alternate">URL</link> */
    if (alternate)
      parse__start_capture(s, F_LINK, TM_TEXT, meta);
    goto out;
  }
  char *abs = parse__resolve(href, parse__link_base(s, meta));
  if (!abs)
    goto out;
  if (!meta && rel && strcmp(rel, "enclosure") == 0) {
    char *len = parse__attr(s, na, a, "length", NS_NONE);
    if (parse__add_enclosure(s->p, &s->item, abs, type, len) < 0)
      parse__xml_stop(s->p, -ENOMEM);
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
  char **dst = meta ? &parse__meta_mut(s->p)->link : &s->item.link;
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

static bool has_attr(int na, const xmlChar **a, const char *name) {
  for (int i = 0; i < na; i++)
    if (parse__eq(a[i * 5], name))
      return true;
  return false;
}

static void enclosure(struct sax_state *s, const struct vocab *v, int na, const xmlChar **a) {
  char *url = parse__attr(s, na, a, "url", NS_NONE);
  if (!url)
    return;
  char *abs = parse__resolve(url, parse__link_base(s, false));
  char *type = parse__attr(s, na, a, "type", NS_NONE);
  char *len = parse__attr(s, na, a, v->len_attr, NS_NONE);
  if (abs && parse__add_enclosure(s->p, &s->item, abs, type, len) < 0)
    parse__xml_stop(s->p, -ENOMEM);
  free(url);
  free(abs);
  free(type);
  free(len);
}

static void category(struct sax_state *s, enum ns ns, int na, const xmlChar **a) {
  char *term = parse__attr(s, na, a, "term", NS_NONE);
  if (!term)
    term = parse__attr(s, na, a, "label", NS_NONE);
  if (!term && ns == NS_ITUNES)
    term = parse__attr(s, na, a, "text", NS_NONE);
  if (term) {
    if (parse__add_category(s->p, &s->item, term) < 0)
      parse__xml_stop(s->p, -ENOMEM);
    free(term);
  } else if (!atom_ns(ns) && ns != NS_ITUNES) {
    parse__start_capture(s, F_CATEGORY, TM_HTML, false);
  }
}

/* Reads a child of an item (scope IN_ITEM) or of the channel (IN_CHANNEL) that the table
 * knows; anything else is skipped. */
void parse__vocab_child(struct sax_state *s, const xmlChar *name, enum ns ns, int na,
                        const xmlChar **a, bool meta) {
  const struct vocab *v = vocab_find(s, name, ns, meta ? IN_CHANNEL : IN_ITEM);
  if (!v)
    return;
  bool atom = atom_ns(ns) || s->atom;
  switch ((enum kind)v->kind) {
  case K_TEXT:
    parse__start_capture(s, v->field, v->mode, meta);
    s->cap_rank = v->rank;
    break;
  case K_TYPED:
    parse__start_capture(s, v->field,
                         atom || v->mode == TM_TEXT ? parse__text_mode(s, na, a, TM_TEXT)
                                                    : (enum textmode)v->mode,
                         meta);
    break;
  case K_CONTENT:
    if (!has_attr(na, a, "src")) /* out-of-line content: nothing to collect */
      parse__start_capture(s, v->field, parse__text_mode(s, na, a, TM_TEXT), meta);
    break;
  case K_LINK:
    if (atom || has_attr(na, a, "href"))
      atom_link(s, na, a, meta);
    else
      parse__start_capture(s, F_LINK, TM_HTML, meta);
    break;
  case K_PERSON:
    if (atom)
      s->author_depth = s->depth;
    else
      parse__start_capture(s, F_AUTHOR, TM_HTML, meta);
    break;
  case K_CATEGORY:
    category(s, ns, na, a);
    break;
  case K_GUID: {
    char *perma = parse__attr(s, na, a, "isPermaLink", NS_NONE);
    parse__start_capture(s, F_ID, TM_HTML, false);
    s->cap_permalink = !perma || strcmp(perma, "false") != 0;
    free(perma);
    break;
  }
  case K_ENCLOSURE:
    enclosure(s, v, na, a);
    break;
  case K_IMAGE_BOX:
    s->image_depth = s->depth;
    break;
  case K_ICON_HREF: {
    char *rel = parse__attr(s, na, a, "rel", NS_NONE);
    bool image = strcasecmp((const char *)name, "link") != 0 ||
                 (rel && strcasecmp(rel, "image") == 0);
    free(rel);
    if (!image)
      break;
    char *href = parse__attr(s, na, a, "href", NS_NONE);
    if (!href)
      href = parse__attr(s, na, a, "url", NS_NONE);
    char *abs = href ? parse__resolve(href, parse__link_base(s, false)) : NULL;
    parse__set_once(&s->meta_icon, abs);
    free(href);
    break;
  }
  case K_GROUP:
    s->group_depth = s->depth;
    s->group_ns = NS_MEDIA;
    break;
  case K_CATEGORY_TREE:
    category(s, ns, na, a);
    s->group_depth = s->depth; /* nested itunes:category: a category too */
    s->group_ns = NS_ITUNES;
    break;
  }
}
