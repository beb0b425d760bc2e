/* parse_entity.c — entities for the SAX layer (see parse_saxint.h).
 *
 * libxml2 asks get_entity for every reference (XML_PARSE_OLDSAX makes it ask even for &amp;),
 * so braid decides them all: HTML's named entities, plain-text entities the DTD declared
 * (under a byte budget), and anything else passed through as text. Nothing is ever loaded.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/parserInternals.h>

#include "entities.h"
#include "parse_core.h"
#include "parse_saxint.h"

/* ---- entities --------------------------------------------------------------------------- */

/* get_entity past the cache: declared entities, the HTML table, text passed through. Kept out
 * of line so that a cache hit costs no more than a leaf call. */
static __attribute__((noinline)) xmlEntityPtr
get_entity_decode(struct sax_state *s, const xmlChar *name, bool in_attr, struct ent_slot *slot) {
  const char *declared = NULL;
  for (size_t i = 0; i < s->n_decl && !declared; i++)
    if (strcmp(s->decl_name[i], (const char *)name) == 0)
      declared = s->decl_value[i];
  if (declared) {
    size_t n = strlen(declared);
    if (s->expanded_bytes + n > BRAID_PARSE_MAX_EXPANSION_BYTES) {
      if (!s->expansion_reported)
        parse__error(s->p, "line %d: entity expansions exceed BRAID_PARSE_MAX_EXPANSION_BYTES "
                     "(%d bytes); the rest pass through as text", xmlSAX2GetLineNumber(s->ctxt),
                     BRAID_PARSE_MAX_EXPANSION_BYTES);
      s->expansion_reported = true;
      declared = NULL;
    } else
      s->expanded_bytes += n;
  }
  uint32_t cp = declared ? 0 : entity_lookup((const char *)name, strlen((const char *)name));
  char *t = s->ent_text;
  if (declared && !in_attr) {
    s->ent.name = name;
    s->ent.content = (xmlChar *)declared;
    s->ent.orig = (xmlChar *)declared;
    s->ent.length = (int)strlen(declared);
    return &s->ent;
  }
  if (declared) {
    snprintf(t, sizeof s->ent_text, "%s", "");
  } else if (cp) {
    size_t n = utf8_encode(cp, t);
    t[n] = '\0';
    if (!in_attr && s->n_decl == 0) {
      slot->name = name;
      memcpy(slot->text, t, n + 1);
      slot->len = (int)n;
    }
  } else {
    /* Unknown or DTD-declared: passes through as text, never expanded. */
    snprintf(t, sizeof s->ent_text, "&%.60s;", (const char *)name);
  }
  if (in_attr) {
    if (s->n_attr_ent < ATTR_ENTITIES) {
      char *copy = strdup(declared ? declared : t);
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

xmlEntityPtr parse__get_entity(void *ctx, const xmlChar *name) {
  struct sax_state *s = ctx;
  /* libxml2 drops every entity reference once the document is known not to be well-formed
   * (even &amp;); braid tracks well-formedness itself, so tell it all is well. */
  s->ctxt->wellFormed = 1;
  /* In an attribute value libxml2 copies only the first byte of an entity's text. */
  bool in_attr = s->ctxt->instate == XML_PARSER_ATTRIBUTE_VALUE ||
                 s->ctxt->instate == XML_PARSER_START_TAG;
  /* Escaped HTML is mostly &lt; &gt; &amp; &quot;: names libxml2 interns, so one pointer
   * compare finds the text a previous reference decoded (DTD-declared names never get here).
   * The slot comes from the first two letters, which put lt gt amp quot apos nbsp in six
   * different slots (their interned copies lie side by side: a pointer hash made them
   * collide). name[1] is at worst the terminating NUL. */
  struct ent_slot *slot = &s->ent_cache[(name[0] * 5u + name[1]) % ENT_CACHE];
  if (!in_attr && s->n_decl == 0 && slot->name == name) {
    s->ent.name = name;
    s->ent.content = (xmlChar *)slot->text;
    s->ent.orig = (xmlChar *)slot->text;
    s->ent.length = slot->len;
    return &s->ent;
  }
  return get_entity_decode(s, name, in_attr, slot);
}

bool sax_pe_declared(const struct sax_state *s, const char *name) {
  for (size_t i = 0; name && i < s->n_pe; i++)
    if (strcmp(s->pe_name[i], name) == 0)
      return true;
  return false;
}

/* Parameter entities only matter inside a DTD, which braid never acts on. */
xmlEntityPtr parse__get_parameter_entity(void *ctx, const xmlChar *name) {
  (void)ctx;
  (void)name;
  return NULL;
}

void parse__entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *publicId,
                        const xmlChar *systemId, xmlChar *content) {
  struct sax_state *s = ctx;
  (void)publicId;
  const char *v = (const char *)content;
  if (type == XML_INTERNAL_PARAMETER_ENTITY || type == XML_EXTERNAL_PARAMETER_ENTITY) {
    if (s->n_pe < BRAID_PARSE_MAX_ENTITIES) {
      char *n = strdup((const char *)name);
      if (n)
        s->pe_name[s->n_pe++] = n;
    }
  }
  /* Plain text cannot nest, so expanding it cannot blow up beyond the expansion budget. */
  if (type == XML_INTERNAL_GENERAL_ENTITY && v && !systemId && !strpbrk(v, "&<%") &&
      strlen(v) <= BRAID_PARSE_MAX_ENTITY_BYTES && s->n_decl < BRAID_PARSE_MAX_ENTITIES) {
    for (size_t i = 0; i < s->n_decl; i++)
      if (strcmp(s->decl_name[i], (const char *)name) == 0)
        return; /* the first declaration binds */
    char *n = strdup((const char *)name), *val = strdup(v);
    if (n && val) {
      s->decl_name[s->n_decl] = n;
      s->decl_value[s->n_decl++] = val;
      return;
    }
    free(n);
    free(val);
  }
  parse__error(s->p, "line %d: entity '%s' declared in the DTD%s is not expanded",
               xmlSAX2GetLineNumber(s->ctxt), (const char *)name,
               systemId ? " (external)" : "");
}

xmlParserInputPtr parse__resolve_entity(void *ctx, const xmlChar *publicId,
                                        const xmlChar *systemId) {
  (void)ctx;
  (void)publicId;
  (void)systemId;
  return NULL;
}

