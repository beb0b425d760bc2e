/* parse.c — the streaming feed parser: bytes in, items out (see parse.h).
 *
 * Bytes go through charset.c (to clean UTF-8) into a libxml2 push parser whose SAX2 callbacks
 * (parse_sax.c) fill one item at a time. This file owns the parser object, the decision
 * between XML and JSON, errors, caps and delivery; parse_sax.c knows the feed vocabularies.
 */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "bounds.h"
#include "buf.h"
#include "charset.h"
#include "entities.h"
#include "htmllinks.h"
#include "parse_core.h"
#include "parse_sax.h"
#include "xmlrepair.h"

enum mode { MODE_SNIFF, MODE_XML, MODE_JSON };

/* Bytes handed to xmlParseChunk at a time. */
#define PUSH_PIECE_BYTES (64 * 1024)

struct feed_parser {
  char *base_url;
  bool content_links_raw;
  char *http_charset;
  feed_item_cb cb;
  void *userdata;
  enum mode mode;
  struct buf sniff;              /* the first bytes, until the encoding is decided */
  struct buf json;               /* a JSON Feed, buffered whole */
  char encoding[CHARSET_LABEL_MAX];
  struct charset_decoder *dec;
  struct xml_repair repair;
  xmlParserCtxtPtr ctxt;
  struct sax_state *sax;
  struct feed_meta meta;
  size_t total_bytes;
  size_t stalled_bytes;          /* pushed since libxml2 last reported anything */
  unsigned long last_events;
  size_t items;
  bool wellformed;
  int fatal;                     /* first fatal error, sticky */
  char *errors[BRAID_PARSE_MAX_ERRORS];
  size_t n_errors;
  bool errors_dropped;
};

static xmlParserInputPtr no_external_entities(const char *url, const char *id,
                                              xmlParserCtxtPtr ctxt) {
  (void)url;
  (void)id;
  (void)ctxt;
  return NULL; /* XXE: nothing outside the document is ever read */
}

struct feed_parser *feed_parser_new(const struct parse_options *opt, feed_item_cb cb,
                                    void *userdata) {
  struct feed_parser *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->cb = cb;
  p->userdata = userdata;
  p->wellformed = true;
  buf_init(&p->sniff, 0);
  buf_init(&p->json, BRAID_PARSE_MAX_JSON_BYTES);
  xml_repair_init(&p->repair);
  p->repair.cdata_text = true; /* escaped HTML reaches libxml2 as CDATA: see xmlrepair.h */
  if (opt)
    p->content_links_raw = opt->content_links_raw;
  if (opt && opt->base_url && !(p->base_url = strdup(opt->base_url)))
    goto oom;
  if (opt && opt->charset && !(p->http_charset = strdup(opt->charset)))
    goto oom;
  /* libxml2's loader is process-wide; setting it to the same function each time is idempotent
   * and makes sure no code path of ours ever runs with the default, file-reading one. */
  xmlSetExternalEntityLoader(no_external_entities);
  return p;
oom:
  feed_parser_free(p);
  return NULL;
}

void feed_parser_free(struct feed_parser *p) {
  if (!p)
    return;
  if (p->ctxt) {
    /* libxml2 builds a stub document to hold DTD entity declarations ("SAX compatibility
     * mode"); it is never used (get_entity answers first) but is ours to free. */
    if (p->ctxt->myDoc)
      xmlFreeDoc(p->ctxt->myDoc);
    xmlFreeParserCtxt(p->ctxt);
  }
  sax_state_free(p->sax);
  charset_decoder_free(p->dec);
  xml_repair_clear(&p->repair);
  buf_clear(&p->sniff);
  buf_clear(&p->json);
  free(p->base_url);
  free(p->http_charset);
  struct feed_meta *m = &p->meta;
  free(m->title);
  free(m->link);
  free(m->id);
  free(m->subtitle);
  free(m->language);
  free(m->author);
  free(m->image);
  for (size_t i = 0; i < p->n_errors; i++)
    free(p->errors[i]);
  free(p);
}

void parse__error(struct feed_parser *p, const char *fmt, ...) {
  if (p->n_errors >= BRAID_PARSE_MAX_ERRORS) {
    p->errors_dropped = true;
    return;
  }
  /* Formatted with room to spare, then cut at the cap where no character is cut in half
   * (libxml2 quotes element names), or the list would hand out invalid UTF-8. */
  char msg[2 * BRAID_PARSE_MAX_ERROR_BYTES];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  size_t n = utf8_cut(msg, strlen(msg), BRAID_PARSE_MAX_ERROR_BYTES - 1);
  msg[n] = '\0';
  while (n > 0 && isspace((unsigned char)msg[n - 1]))
    msg[--n] = '\0';
  if (p->n_errors == BRAID_PARSE_MAX_ERRORS - 1)
    snprintf(msg, sizeof msg, "more than %d errors; the rest are not shown",
             BRAID_PARSE_MAX_ERRORS - 1);
  char *copy = strdup(msg);
  if (copy && utf8_make_valid(&copy) == 0)
    p->errors[p->n_errors++] = copy;
  else
    free(copy);
}

void parse__not_wellformed(struct feed_parser *p) { p->wellformed = false; }
struct feed_meta *parse__meta_mut(struct feed_parser *p) { return &p->meta; }
const char *parse__doc_url(const struct feed_parser *p) { return p->base_url; }
bool parse__content_links_raw(const struct feed_parser *p) { return p->content_links_raw; }

char *parse__resolve(const char *url, const char *base) {
  if (!url)
    return NULL;
  while (isspace((unsigned char)*url))
    url++;
  size_t n = strlen(url);
  while (n > 0 && isspace((unsigned char)url[n - 1]))
    n--;
  char *trimmed = strndup(url, n);
  if (!trimmed || !base || !*base)
    return trimmed;
  char *out = html_build_uri(trimmed, base);
  if (!out)
    return trimmed; /* not a URI libxml2 can resolve: keep it as written */
  free(trimmed);
  return out;
}

char *parse__field(struct feed_parser *p, size_t item, const char *field, const char *s,
                   size_t len) {
  if (len > BRAID_PARSE_MAX_FIELD_BYTES) {
    len = BRAID_PARSE_MAX_FIELD_BYTES;
    while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
      len--;
    if (item)
      parse__error(p, "item %zu: %s exceeds BRAID_PARSE_MAX_FIELD_BYTES (%u bytes); cut", item,
                   field, BRAID_PARSE_MAX_FIELD_BYTES);
    else
      parse__error(p, "feed: %s exceeds BRAID_PARSE_MAX_FIELD_BYTES (%u bytes); cut", field,
                   BRAID_PARSE_MAX_FIELD_BYTES);
  }
  return strndup(s, len);
}

void parse__item_clear(struct feed_item *it) {
  free(it->id);
  free(it->title);
  free(it->link);
  free(it->author);
  free(it->summary);
  free(it->content);
  free(it->content_base);
  for (size_t i = 0; i < it->n_categories; i++)
    free(it->categories[i]);
  free(it->categories);
  for (size_t i = 0; i < it->n_enclosures; i++) {
    free(it->enclosures[i].url);
    free(it->enclosures[i].type);
  }
  free(it->enclosures);
  memset(it, 0, sizeof *it);
}

int parse__add_category(struct feed_parser *p, struct feed_item *it, const char *term) {
  if (!term || !*term)
    return 0;
  for (size_t i = 0; i < it->n_categories; i++)
    if (strcmp(it->categories[i], term) == 0)
      return 0;
  if (it->n_categories >= BRAID_PARSE_MAX_CATEGORIES) {
    if (it->n_categories == BRAID_PARSE_MAX_CATEGORIES)
      parse__error(p, "item %zu: more than BRAID_PARSE_MAX_CATEGORIES (%d) categories; the rest "
                   "are dropped", p->items + 1, BRAID_PARSE_MAX_CATEGORIES);
    return 0;
  }
  char **c = realloc(it->categories, (it->n_categories + 1) * sizeof *c);
  if (!c)
    return -ENOMEM;
  it->categories = c;
  if (!(c[it->n_categories] = strdup(term)))
    return -ENOMEM;
  it->n_categories++;
  return 0;
}

int parse__add_enclosure(struct feed_parser *p, struct feed_item *it, const char *url,
                       const char *type, const char *length) {
  if (!url || !*url)
    return 0;
  for (size_t i = 0; i < it->n_enclosures; i++)
    if (strcmp(it->enclosures[i].url, url) == 0)
      return 0; /* media:content repeating the enclosure */
  if (it->n_enclosures >= BRAID_PARSE_MAX_ENCLOSURES) {
    parse__error(p, "item %zu: more than BRAID_PARSE_MAX_ENCLOSURES (%d) enclosures; the rest "
                 "are dropped", p->items + 1, BRAID_PARSE_MAX_ENCLOSURES);
    return 0;
  }
  struct feed_enclosure *e = realloc(it->enclosures, (it->n_enclosures + 1) * sizeof *e);
  if (!e)
    return -ENOMEM;
  it->enclosures = e;
  e += it->n_enclosures;
  memset(e, 0, sizeof *e);
  e->url = strdup(url);
  e->type = type && *type ? strdup(type) : NULL;
  if (!e->url || (type && *type && !e->type)) {
    free(e->url);
    free(e->type);
    return -ENOMEM;
  }
  if (length) {
    char *end;
    errno = 0;
    long long v = strtoll(length, &end, 10);
    while (isspace((unsigned char)*end))
      end++;
    if (errno == 0 && end != length && *end == '\0' && v >= 0) {
      e->length = v;
      e->has_length = true;
    }
  }
  it->n_enclosures++;
  return 0;
}

int parse__deliver(struct feed_parser *p, struct feed_item *it) {
  if (p->fatal) {
    parse__item_clear(it);
    return p->fatal;
  }
  if (p->items >= BRAID_PARSE_MAX_ITEMS) {
    parse__error(p, "feed has more than BRAID_PARSE_MAX_ITEMS (%d) items; stopped there",
                 BRAID_PARSE_MAX_ITEMS);
    parse__item_clear(it);
    return p->fatal = -E2BIG;
  }
  char **fields[] = {&it->id, &it->title, &it->link, &it->author, &it->summary, &it->content};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (utf8_make_valid(fields[i]) < 0)
      return p->fatal = -ENOMEM;
  for (size_t i = 0; i < it->n_categories; i++)
    if (utf8_make_valid(&it->categories[i]) < 0)
      return p->fatal = -ENOMEM;
  for (size_t i = 0; i < it->n_enclosures; i++)
    if (utf8_make_valid(&it->enclosures[i].url) < 0 || utf8_make_valid(&it->enclosures[i].type) < 0)
      return p->fatal = -ENOMEM;
  it->index = ++p->items;
  int r = p->cb ? p->cb(p->userdata, it) : 0;
  parse__item_clear(it);
  if (r != 0) {
    parse__error(p, "item %zu: stopped by the caller", it->index);
    return p->fatal = -ECANCELED;
  }
  return 0;
}

/* ---- libxml2 glue ---------------------------------------------------------------------- */

/* libxml2 passes the SAX user data (the sax_state) to the structured error handler. */
static void on_xml_error(void *userdata, xmlErrorPtr e) {
  struct feed_parser *p = sax_parser(userdata);
  if (!e || e->level == XML_ERR_WARNING)
    return;
  /* Namespace errors (an undeclared dc: prefix) are common and harmless: the SAX layer reads
   * the prefix instead. Everything else at error level breaks XML well-formedness. */
  if (e->domain == XML_FROM_NAMESPACE)
    return;
  /* A reference to a parameter entity the DTD declared (braid reads none: the declaration
   * is reported as not expanded) is no well-formedness error, whatever libxml2 says. */
  if (e->code == XML_ERR_UNDECLARED_ENTITY && sax_pe_declared(userdata, e->str1))
    return;
  p->wellformed = false;
  parse__error(p, "line %d: %s", e->line, e->message ? e->message : "XML error");
  if (e->code == XML_ERR_TAG_NAME_MISMATCH && e->str2)
    sax_tag_mismatch(userdata, e->str2);
}

void parse__xml_stop(struct feed_parser *p, int err) {
  if (!p->fatal)
    p->fatal = err;
  if (p->ctxt)
    xmlStopParser(p->ctxt);
}

static int start_xml(struct feed_parser *p) {
  int r = sax_state_new(p, &p->sax);
  if (r < 0)
    return r;
  xmlSAXHandler h;
  sax_handler_init(&h);
  h.serror = on_xml_error;
  p->ctxt = xmlCreatePushParserCtxt(&h, p->sax, NULL, 0, p->base_url);
  if (!p->ctxt)
    return -ENOMEM;
  /* RECOVER: read what can be read. IGNORE_ENC: charset.c already made the bytes UTF-8.
   * OLDSAX: libxml2 asks get_entity even for &amp; &lt; &gt; &quot; &apos;, which it would
   * otherwise drop silently once the document has shown an error.
   * Never NOENT, DTDLOAD or HUGE: entities and DTDs stay unexpanded and unloaded. */
  xmlCtxtUseOptions(p->ctxt, XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_IGNORE_ENC |
                                 XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_OLDSAX);
  sax_attach(p->sax, p->ctxt);
  return 0;
}

/* libxml2 would buffer a run of text it cannot report piecemeal: stop there, delivering the
 * item being read as far as it got. */
static int stop_at_cap(struct feed_parser *p, bool in_section) {
  int line = sax_line(p->sax);
  xmlStopParser(p->ctxt);
  (void)sax_finish(p->sax, "the parse stopped inside it");
  if (in_section)
    parse__error(p, "line %d: a CDATA section, comment or processing instruction longer than "
                 "BRAID_PARSE_MAX_TEXT_BYTES (%u bytes); stopped there", line,
                 BRAID_PARSE_MAX_TEXT_BYTES);
  else
    parse__error(p, "line %d: more than BRAID_PARSE_MAX_TEXT_BYTES (%u bytes) in one run the "
                 "parser must buffer whole (text, tag or attribute); stopped there", line,
                 BRAID_PARSE_MAX_TEXT_BYTES);
  return p->fatal = -E2BIG;
}

static int feed_bytes(struct feed_parser *p, const char *data, size_t len, bool final) {
  const char *out;
  size_t outlen;
  int r = charset_decode(p->dec, data, len, final, &out, &outlen);
  if (r < 0)
    return p->fatal = r;
  if (p->mode == MODE_JSON) {
    if (buf_append(&p->json, out, outlen) < 0) {
      parse__error(p, "JSON Feed exceeds BRAID_PARSE_MAX_JSON_BYTES (%u bytes)",
                   BRAID_PARSE_MAX_JSON_BYTES);
      return p->fatal = -E2BIG;
    }
    return 0;
  }
  if ((r = xml_repair(&p->repair, out, outlen, final, &out, &outlen)) < 0)
    return p->fatal = r;
  if (p->repair.section_bytes > BRAID_PARSE_MAX_TEXT_BYTES)
    return stop_at_cap(p, true);
  /* Small pieces: libxml2 gets to report (and free) text before it buffers a lot of it. */
  while (outlen > 0 && !p->fatal) {
    if (p->ctxt->instate == XML_PARSER_EOF)
      return 0; /* libxml2 gave up (and said why): the rest of the document is not read */
    int n = outlen > PUSH_PIECE_BYTES ? PUSH_PIECE_BYTES : (int)outlen;
    xmlParseChunk(p->ctxt, out, n, 0);
    out += n;
    outlen -= (size_t)n;
    unsigned long ev = sax_events(p->sax);
    if (ev != p->last_events) {
      p->last_events = ev;
      p->stalled_bytes = 0;
    } else if ((p->stalled_bytes += (size_t)n) > BRAID_PARSE_MAX_TEXT_BYTES && !p->fatal) {
      return stop_at_cap(p, false);
    }
  }
  return p->fatal;
}

/* Decides encoding and syntax from the first bytes, then replays them. */
static int decide(struct feed_parser *p) {
  size_t bom = 0;
  const char *data = p->sniff.data ? p->sniff.data : "";
  charset_sniff(data, p->sniff.len, p->http_charset, p->encoding, &bom);
  bool known;
  int r = charset_decoder_new(p->encoding, &p->dec, &known);
  if (r < 0)
    return p->fatal = r;
  if (!known) {
    parse__error(p, "unknown charset \"%s\"; read as utf-8", p->encoding);
    strcpy(p->encoding, "utf-8");
  }
  p->meta.encoding = p->encoding;
  size_t i = bom;
  while (i < p->sniff.len && isspace((unsigned char)data[i]))
    i++;
  if (i < p->sniff.len && data[i] == '{') {
    p->mode = MODE_JSON;
  } else {
    p->mode = MODE_XML;
    if ((r = start_xml(p)) < 0)
      return p->fatal = r;
  }
  /* White space before the XML declaration is a common fault libxml2 would report */
  size_t start = bom;
  if (p->mode == MODE_XML && i + 5 <= p->sniff.len && memcmp(data + i, "<?xml", 5) == 0)
    start = i;
  r = feed_bytes(p, data + start, p->sniff.len - start, false);
  buf_clear(&p->sniff);
  return r;
}

int feed_parser_push(struct feed_parser *p, const char *data, size_t len) {
  if (p->fatal)
    return p->fatal;
  if (len > BRAID_PARSE_MAX_DOC_BYTES - p->total_bytes) {
    parse__error(p, "document exceeds BRAID_PARSE_MAX_DOC_BYTES (%u bytes); stopped there",
                 BRAID_PARSE_MAX_DOC_BYTES);
    parse__xml_stop(p, -E2BIG);
    return p->fatal;
  }
  p->total_bytes += len;
  if (p->mode == MODE_SNIFF) {
    int r = buf_append(&p->sniff, data, len);
    if (r < 0)
      return p->fatal = r;
    if (p->sniff.len < BRAID_PARSE_SNIFF_BYTES && !memchr(p->sniff.data, '>', p->sniff.len) &&
        !memchr(p->sniff.data, '{', p->sniff.len))
      return 0;
    return decide(p);
  }
  return feed_bytes(p, data, len, false);
}

static int feed_parser_finish_document(struct feed_parser *p);

static int meta_make_valid(struct feed_parser *p) {
  struct feed_meta *m = &p->meta;
  char **fields[] = {&m->title, &m->link,     &m->id,     &m->subtitle,
                     &m->language, &m->author, &m->image};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (utf8_make_valid(fields[i]) < 0)
      return -ENOMEM;
  return 0;
}

int feed_parser_finish(struct feed_parser *p) {
  int r = feed_parser_finish_document(p);
  int v = meta_make_valid(p);
  return r < 0 ? r : v;
}

static int feed_parser_finish_document(struct feed_parser *p) {
  if (p->fatal)
    return p->fatal;
  int r;
  if (p->mode == MODE_SNIFF) {
    if (p->total_bytes == 0) {
      parse__error(p, "empty document");
      p->wellformed = false;
      return 0;
    }
    if ((r = decide(p)) < 0)
      return r;
  }
  if ((r = feed_bytes(p, "", 0, true)) < 0)
    return r;
  if (p->mode == MODE_JSON)
    return parse__jsonfeed(p, p->json.data ? p->json.data : "", p->json.len);
  xmlParseChunk(p->ctxt, NULL, 0, 1);
  if (p->repair.repairs > 0) {
    p->wellformed = false;
    parse__error(p, "%zu bare '&', stray '<' or unquoted attribute values were repaired",
                 p->repair.repairs);
  }
  if (p->fatal)
    return p->fatal;
  return sax_finish(p->sax, "the document ended inside it");
}

const struct feed_meta *feed_parser_meta(const struct feed_parser *p) { return &p->meta; }
bool feed_parser_wellformed(const struct feed_parser *p) { return p->wellformed; }
size_t feed_parser_item_count(const struct feed_parser *p) { return p->items; }
size_t feed_parser_error_count(const struct feed_parser *p) { return p->n_errors; }
const char *feed_parser_error(const struct feed_parser *p, size_t i) {
  return i < p->n_errors ? p->errors[i] : NULL;
}
