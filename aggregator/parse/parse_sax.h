/* parse_sax.h — the SAX2 side of the feed parser: RSS 0.9x/1.0/2.0 and Atom 0.3/1.0
 * vocabularies (with content:, dc:, dcterms:, media:, itunes:, xml:base, xml:lang) turned
 * into struct feed_item and struct feed_meta. Internal to parse.c.
 */
#ifndef BRAID_PARSE_SAX_H
#define BRAID_PARSE_SAX_H

#include <libxml/parser.h>

#include "parse.h"

struct sax_state;

int sax_state_new(struct feed_parser *p, struct sax_state **ret);
void sax_state_free(struct sax_state *s);
/* Fills h with braid's callbacks (getEntity supplies HTML entities; nothing loads DTDs). */
void sax_handler_init(xmlSAXHandler *h);
/* The parser this state belongs to. */
struct feed_parser *sax_parser(struct sax_state *s);
void sax_attach(struct sax_state *s, xmlParserCtxtPtr ctxt);
/* Counts SAX events; parse.c watches it to see whether libxml2 is making progress. */
unsigned long sax_events(const struct sax_state *s);
/* libxml2 reported the end tag `name` where another element was open (parse.c's error
 * handler calls this; the end tag closes up to the element it names). */
void sax_tag_mismatch(struct sax_state *s, const char *name);
/* Whether the DTD declared parameter entity `name` (braid never reads one, so libxml2 calls
 * a reference to it undeclared; it is not a well-formedness error). */
bool sax_pe_declared(const struct sax_state *s, const char *name);
/* The line libxml2 is at. */
int sax_line(const struct sax_state *s);
/* End of document (or of the parse): delivers an item still open, recording "item N: why".
 * 0 or a fatal error. */
int sax_finish(struct sax_state *s, const char *why);

/* Stops the libxml2 parser after a fatal error (parse.c). */
void parse__xml_stop(struct feed_parser *p, int err);

#endif
