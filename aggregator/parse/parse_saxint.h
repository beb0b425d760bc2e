/* parse_saxint.h — state shared by the SAX layer's two halves: parse_sax.c (elements, the
 * feed vocabularies) and parse_text.c (collecting one field's text). Internal to the parser.
 */
#ifndef BRAID_PARSE_SAXINT_H
#define BRAID_PARSE_SAXINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/parser.h>

#include "bounds.h"
#include "buf.h"
#include "parse.h"
#include "parse_sax.h"

enum ns {
  NS_NONE, NS_RSS10, NS_RSS090, NS_RDF, NS_ATOM10, NS_ATOM03, NS_CONTENT, NS_DC, NS_DCTERMS,
  NS_MEDIA, NS_ITUNES, NS_XHTML, NS_XML, NS_OTHER
};

enum field {
  F_NONE, F_TITLE, F_LINK, F_ID, F_SUMMARY, F_CONTENT, F_AUTHOR, F_AUTHOR_NAME, F_AUTHOR_EMAIL,
  F_PUBLISHED, F_UPDATED, F_CATEGORY, F_LANGUAGE, F_SUBTITLE, F_IMAGE, F_ICON, F_TTL,
  F_MEDIA_TITLE, F_MEDIA_SUMMARY /* media:title/description: used where the item has none */
};
/* Field names as error messages write them. */
extern const char *const parse__field_names[];

enum textmode { TM_TEXT, TM_HTML, TM_XHTML };

#define URI_CACHE 8
#define ATTR_ENTITIES 16
#define SAX_LX_STACK 512

#define VOCAB_CACHE 64
/* parse_vocab.c's cache: an interned element name (and namespace) -> its first table row */
struct vocab_slot {
  const xmlChar *name;
  enum ns ns;
  short row; /* -1: not in the table */
  short rows; /* how many rows from `row` on hold this name (one per scope) */
};

#define ENT_CACHE 16
/* parse_entity.c's cache: an interned entity name -> its text (a character's UTF-8) */
struct ent_slot {
  const xmlChar *name;
  char text[8];
  int len;
};

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
  int group_depth;     /* depth of the item's media:group or itunes:category, 0 if none */
  enum ns group_ns;    /* the namespace of the children read as the item's there */
  int cap_rank;        /* the rank of the date being collected (parse_vocab.c) */
  int pub_rank, upd_rank;           /* rank of the item's published / updated, if set */
  int meta_pub_rank, meta_upd_rank; /* the same for the feed */
  struct feed_item item;
  char *item_about;    /* RSS 1.0 rdf:about, the id of last resort */
  char *media_title, *media_summary; /* the title and summary of last resort */
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
  bool cap_base64, next_base64; /* Atom 0.3 mode="base64" on this field / the next one */
  bool cap_base64_raw, next_base64_raw; /* ... with no type, or a binary one (Atom 1.0) */
  int cap_wrapper_depth; /* the xhtml <div> wrapper being skipped, 0 if none */
  bool cap_had_child;    /* an element started inside the field already */
  struct buf cap;
  char *base[BRAID_PARSE_MAX_DEPTH + 2]; /* resolved xml:base per depth, NULL = inherited */
  xmlEntity ent;       /* handed to libxml2 by get_entity; only its content changes */
  char ent_text[80];
  char *decl_name[BRAID_PARSE_MAX_ENTITIES];  /* plain-text entities the DTD declared */
  char *decl_value[BRAID_PARSE_MAX_ENTITIES];
  size_t n_decl;
  char *pe_name[BRAID_PARSE_MAX_ENTITIES]; /* parameter entities the DTD declared */
  size_t n_pe;
  size_t expanded_bytes;
  bool expansion_reported;
  char *attr_ent[ATTR_ENTITIES]; /* entity values seen in the current start tag, in order */
  size_t n_attr_ent;
  /* Mismatched end tags. libxml2 answers "<item><title>x</item>" by closing <title> only and
   * leaves <item> open, swallowing every later item. braid closes up to the element the end
   * tag named instead, and remembers those elements as ghosts to ignore when libxml2 closes
   * them later. libxml2's own stack is mirrored here to know which is which. */
  unsigned char lx_ghost[SAX_LX_STACK];
  int lx_depth;
  int live_lx[BRAID_PARSE_MAX_DEPTH + 2];           /* libxml2 depth of each live element */
  const xmlChar *live_name[BRAID_PARSE_MAX_DEPTH + 2]; /* its local name (libxml2's dict) */
  char pending_close[64];  /* the end tag a mismatch named, "" if none */
  unsigned long events;  /* SAX callbacks so far: progress, for parse.c */
  const xmlChar *uri_ptr[URI_CACHE];
  enum ns uri_ns[URI_CACHE];
  size_t uri_next;
  struct vocab_slot vocab_cache[VOCAB_CACHE];
  struct ent_slot ent_cache[ENT_CACHE];
};

/* parse_sax.c */
char *parse__attr_value(struct sax_state *s, const xmlChar **a, int i);
char *parse__attr(struct sax_state *s, int n, const xmlChar **a, const char *name, enum ns ns);
const char *parse__link_base(struct sax_state *s, bool for_feed_link);
/* Base for links inside content: xml:base in scope, else the document's URL. */
const char *parse__content_base(struct sax_state *s);
/* Whether that base is an xml:base. */
bool parse__content_base_explicit(struct sax_state *s);
bool parse__eq(const xmlChar *a, const char *b);

/* parse_vocab.c: the feed vocabularies */
bool parse__core_ns(enum ns ns);
/* True when the table is in the order its binary search needs (asserted in debug builds). */
bool parse__vocab_sorted(void);
/* A child element of an item (meta false) or of the channel (meta true). */
void parse__vocab_child(struct sax_state *s, const xmlChar *name, enum ns ns, int na,
                        const xmlChar **a, bool meta);

/* parse_entity.c: libxml2's entity callbacks */
xmlEntityPtr parse__get_entity(void *ctx, const xmlChar *name);
xmlEntityPtr parse__get_parameter_entity(void *ctx, const xmlChar *name);
void parse__entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *publicId,
                 const xmlChar *systemId, xmlChar *content);
xmlParserInputPtr parse__resolve_entity(void *ctx, const xmlChar *publicId, const xmlChar *systemId);

/* parse_text.c */
size_t parse__item_number(struct sax_state *s);
void parse__set_once(char **dst, char *v);
enum textmode parse__text_mode(struct sax_state *s, int na, const xmlChar **a, enum textmode dflt);
void parse__start_capture(struct sax_state *s, enum field f, enum textmode mode, bool meta);
void parse__cap_start_tag(struct sax_state *s, const xmlChar *name, enum ns ns, int na,
                   const xmlChar **a);
void parse__cap_end_tag(struct sax_state *s, const xmlChar *name);
void parse__end_capture(struct sax_state *s);
void parse__on_characters(void *ctx, const xmlChar *ch, int len);

#endif
